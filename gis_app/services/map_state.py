"""The map as the user left it, kept in the project: layer order, visibility, style, opacity.

It is a project setting (``map_layers`` in ``project_setting``), so whoever opens the project
next, on this PC or another, finds the map as it was left; it is display state, not data, so it
is written through the project's settings API rather than as an undoable edit.
"""

from __future__ import annotations

#: The project setting holding the layers' display state.
MAP_LAYERS_KEY = "map_layers"


def saved_map_state(session) -> dict | None:
    """The layers' display state stored in the project (None when never saved)."""
    state = session.settings.get(MAP_LAYERS_KEY)
    return state if isinstance(state, dict) else None


def save_map_state(session, state: dict) -> None:
    """Store the layers' display state (from ``LayerSet.display_state``) in the project."""
    if state == saved_map_state(session):
        return
    session.project.set_settings({MAP_LAYERS_KEY: state})
    session.settings[MAP_LAYERS_KEY] = state
