"""Official forms (annex 1–4), briefing maps (folium) and printed maps; later issues fill it."""
