"""Data package: the files beside this one are installed with gis_app (see setup.py)."""
