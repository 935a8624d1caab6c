"""Spatial analysis on GeoDataFrames: point location, grid checks, measures, redrawing grids.

The names below are re-exported lazily (PEP 562), so importing the package stays cheap until
one of them is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_EXPORTS = {
    "LocateResult": "point_in_polygon",
    "PolygonIndex": "point_in_polygon",
    "join_points_to_polygons": "point_in_polygon",
    "PROBLEM_COLUMNS": "grid_quality",
    "check_grid_tiling": "grid_quality",
    "check_households_in_grids": "grid_quality",
    "check_households_in_villages": "grid_quality",
    "areas_m2": "measure",
    "check_same_crs": "measure",
    "distance_m": "measure",
    "gauss_kruger_epsg_for": "measure",
    "to_gauss_kruger": "measure",
    "assign_households": "grid_split",
    "merge_grids": "grid_split",
    "split_balanced": "grid_split",
    "split_by_line": "grid_split",
    "Proposal": "rebalance",
    "propose_rebalance": "rebalance",
    "CoverageTracker": "coverage",
    "coverage_by_unit": "coverage",
    "coverage_by_worker": "coverage",
    "ExposureIndex": "exposure",
    "exposure_summary": "exposure",
    "household_exposure": "exposure",
    "select_by_location": "exposure",
    "zones_at": "exposure",
}

__all__ = [
    "PROBLEM_COLUMNS",
    "CoverageTracker",
    "ExposureIndex",
    "LocateResult",
    "PolygonIndex",
    "Proposal",
    "areas_m2",
    "assign_households",
    "check_grid_tiling",
    "check_households_in_grids",
    "check_households_in_villages",
    "check_same_crs",
    "coverage_by_unit",
    "coverage_by_worker",
    "distance_m",
    "exposure_summary",
    "gauss_kruger_epsg_for",
    "household_exposure",
    "join_points_to_polygons",
    "merge_grids",
    "propose_rebalance",
    "select_by_location",
    "split_balanced",
    "split_by_line",
    "to_gauss_kruger",
    "zones_at",
]

if TYPE_CHECKING:
    from gis_app.analysis.coverage import CoverageTracker, coverage_by_unit, coverage_by_worker
    from gis_app.analysis.exposure import (
        ExposureIndex,
        exposure_summary,
        household_exposure,
        select_by_location,
        zones_at,
    )
    from gis_app.analysis.grid_quality import (
        PROBLEM_COLUMNS,
        check_grid_tiling,
        check_households_in_grids,
        check_households_in_villages,
    )
    from gis_app.analysis.grid_split import (
        assign_households,
        merge_grids,
        split_balanced,
        split_by_line,
    )
    from gis_app.analysis.measure import (
        areas_m2,
        check_same_crs,
        distance_m,
        gauss_kruger_epsg_for,
        to_gauss_kruger,
    )
    from gis_app.analysis.point_in_polygon import (
        LocateResult,
        PolygonIndex,
        join_points_to_polygons,
    )
    from gis_app.analysis.rebalance import Proposal, propose_rebalance


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
