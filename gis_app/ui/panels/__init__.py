"""Dock panels around the map: layers, identify, attribute table, households without location."""
