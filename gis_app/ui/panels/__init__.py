"""Dock panels around the map: layer tree, identify, attribute table, households without location."""
