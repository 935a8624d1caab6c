"""Grid Monitor (网格防返贫监测 GIS): a desktop GIS for rural poverty-prevention grid monitoring."""

__version__ = "0.1.0"
