"""Redrawing level-3 grids: split, merge, draw a new one, apply a rebalancing proposal.

Every edit is validated first, then written in one transaction with one audit row, and pushed
as one step on the (shared) undo stack. Households follow their location (manual overrides
kept where their grid still exists) and the assignments follow the grids.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, delete, insert, select, update

from gis_app.analysis.grid_split import assign_households, merge_grids, split_balanced, split_by_line
from gis_app.analysis.point_in_polygon import PolygonIndex
from gis_app.analysis.rebalance import Proposal, propose_rebalance
from gis_app.core.codes import WorkerRole
from gis_app.core.crs import CHINA_BOUNDS, STORAGE_EPSG
from gis_app.services.undo import CHUNK, Step, UndoStack
from gis_app.storage.audit import current_user, log_change
from gis_app.storage.bulk import as_multipolygons
from gis_app.storage.models import AdminUnit, Grid, GridAssignment, Household, Worker
from gis_app.storage.project import Project

_GRID, _HOUSEHOLD = Grid.__table__, Household.__table__
_ASSIGNMENT, _UNIT = GridAssignment.__table__, AdminUnit.__table__
_L3 = WorkerRole.LEVEL3_WORKER.value


class GridEditError(ValueError):
    """An edit that cannot be made; the message is for the user (Chinese)."""


@dataclass(frozen=True)
class GridEdit:
    """What an edit did, for the window to redraw and report.

    Attributes
    ----------
    label : str
        The undo step's label (Chinese).
    created : list of int
        New grid ids.
    changed : list of int
        Grid ids whose geometry changed.
    removed : list of int
        Grid ids deleted (merged away or replaced).
    households_moved : int
        Households whose ``grid_id`` changed.
    """

    label: str
    created: list[int]
    changed: list[int]
    removed: list[int]
    households_moved: int


@dataclass
class VillageProposal(Proposal):
    """A :class:`~gis_app.analysis.rebalance.Proposal` for a stored village.

    ``assignment`` is aligned with ``household_ids``: the village's households (those in its
    level-3 grids or in the village without a grid) when the proposal was made, by id.
    """

    village_id: int = 0
    household_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


