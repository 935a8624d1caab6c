"""The map canvas: pyqtgraph adapters per layer kind, symbology, tools and decorations."""
