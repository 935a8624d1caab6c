"""The Qt layer: the only importer of PyQt6 and pyqtgraph; presents and dispatches."""
