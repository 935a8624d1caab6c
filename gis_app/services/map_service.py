"""What the map window asks for: the bundled sample project and the layers to draw."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd

from gis_app.core.crs import STORAGE_EPSG
from gis_app.storage.project import Project, open_project


def sample_project_path() -> Path:
    """Where the bundled sample county's project lives for this user."""
    base = Path(os.environ.get("GIS_APP_DATA", Path.home() / ".local" / "share" / "gis-app"))
    return base / "sample-county.gmp"


def open_or_create_sample(progress=None) -> Project:
    """Open the user's copy of the sample county, generating it on first start."""
    from gis_app.services.sample_service import create_sample_project

    path = sample_project_path()
    if path.exists():
        return open_project(path)
    return create_sample_project(path, progress=progress)


def map_layers(project: Project) -> dict[str, gpd.GeoDataFrame]:
    """Every drawable layer in the project's Gauss–Krüger zone (metres), by layer id."""
    from gis_app.services.export_service import load_layer

    epsg = project.settings().get("gauss_kruger_epsg")
    layers = {}
    for name in ("villages", "grids", "hazard_zones", "households", "sites", "hazard_points"):
        frame = load_layer(project, name)
        if name == "households":
            frame = frame[frame["lon"].notna()]
        frame = gpd.GeoDataFrame(frame, geometry=frame.geometry, crs=STORAGE_EPSG)
        layers[name] = frame.to_crs(epsg) if epsg else frame
    return layers
