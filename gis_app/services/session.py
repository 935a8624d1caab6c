"""The project session: the one truth every view of a window (and every CLI command) reads.

A session owns what is loaded of one project (households, grids, units, workers … as frames in
map metres, the current campaign's coverage counts) and the undo stack of its user's edits.
Every edit goes through :meth:`ProjectSession.edit` (one unit of work); the change set it
returns (and an undo's, and another process's commit noticed by :meth:`refresh`) is applied
by re-reading exactly those rows, then announced on :attr:`ProjectSession.events`, one signal
per entity. Views subscribe; none of them reads the store or refreshes another view.

::

    edit → UnitOfWork → ChangeSet → Source.apply (re-read rows) → events.<entity> → views
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from psygnal import Signal, SignalGroup

from gis_app.core.assignments import current
from gis_app.core.changes import ChangeSet, EntityChange
from gis_app.core.crs import STORAGE_EPSG, gauss_kruger_epsg
from gis_app.services.sources import (
    GeoSource,
    GridSource,
    HouseholdSource,
    Source,
    project_lonlat,
    transformer,
)
from gis_app.storage.audit import current_user
from gis_app.storage.journal import ChangeWatcher
from gis_app.storage.project import Project
from gis_app.storage.undo import UndoStack
from gis_app.storage.uow import UnitOfWork
from gis_app.storage.uow import edit as unit_of_work

log = logging.getLogger(__name__)

#: Source name → (stored table, kind of source). The names are the signals of SessionEvents.
SOURCE_TABLES: dict[str, tuple[str, type[Source]]] = {
    "households": ("household", HouseholdSource),
    "grids": ("grid", GridSource),
    "admin_units": ("admin_unit", GeoSource),
    "sites": ("resettlement_site", GeoSource),
    "hazard_zones": ("hazard_zone", GeoSource),
    "hazard_points": ("hazard_point", GeoSource),
    "workers": ("worker", Source),
    "assignments": ("grid_assignment", Source),
    "helper_pairs": ("helper_pair", Source),
    "cases": ("monitoring_case", Source),
    "campaigns": ("campaign", Source),
    "clues": ("risk_clue", Source),
    "hazard_events": ("hazard_event", GeoSource),
}
#: Stored table → source name.
ENTITY_SOURCES: dict[str, str] = {table: name for name, (table, _) in SOURCE_TABLES.items()}


class SessionEvents(SignalGroup):
    """What a session announces; each entity signal carries an :class:`EntityChange`."""

    households = Signal(object)
    grids = Signal(object)
    admin_units = Signal(object)
    sites = Signal(object)
    hazard_zones = Signal(object)
    hazard_points = Signal(object)
    workers = Signal(object)
    assignments = Signal(object)
    helper_pairs = Signal(object)
    cases = Signal(object)
    campaigns = Signal(object)
    clues = Signal(object)
    hazard_events = Signal(object)
    #: The investigation's records changed (the coverage counts moved): an EntityChange.
    records = Signal(object)
    #: The campaign the views follow changed (its id, or None).
    campaign = Signal(object)
    #: After every entity signal of one change set: the whole ChangeSet.
    changed = Signal(object)
    #: Everything was read again (after an error, or another project's worth of change).
    reset = Signal()
    #: Something went wrong that the user must be told (Chinese).
    error = Signal(str)


class ProjectSession:
    """One user's view of one open project.

    Parameters
    ----------
    project : Project
        The open project.
    user : str, optional
        Who the audit log names (default: the current user).
    watch : bool
        Follow other processes' commits (:meth:`refresh`); a window does, a CLI command not.
    """

    def __init__(self, project: Project, user: str | None = None, watch: bool = False):
        self.project = project
        self.user = user or current_user()
        self.events = SessionEvents()
        self.undo_stack = UndoStack()
        self._settings = project.settings()
        self._epsg = self._settings.get("gauss_kruger_epsg")
        self._own_edits: set[int] = set()
        self._campaign_id: int | None = None
        self._campaign_ids = None  # (campaigns frame, its ids, the newest) kept per frame
        self._tracker = None
        self._grid_index: dict[int, tuple] = {}
        # Watch before anything is read: a commit in between is then read again, never missed.
        self.watcher = ChangeWatcher(project) if watch else None
        self.sources: dict[str, Source] = {
            name: kind(self) if kind is HouseholdSource else kind(self, table)
            for name, (table, kind) in SOURCE_TABLES.items()
        }

    # -- settings and projection
    @property
    def settings(self) -> dict:
        """The project's settings (read when the session opened)."""
        return self._settings

    @property
    def epsg(self) -> int:
        """The map's CRS: the project's 3-degree Gauss–Krüger zone."""
        if self._epsg is None:
            from gis_app.storage.reader import load_geo_table

            units = load_geo_table(self.project.engine, "admin_unit")
            centre = units.geometry.union_all().centroid.x if len(units) else 105.0
            self._epsg = gauss_kruger_epsg(float(centre))
        return int(self._epsg)

    def project_points(self, lon: np.ndarray, lat: np.ndarray):
        """Storage lon/lat → map metres (NaN stays NaN)."""
        return project_lonlat((lon, lat), self.epsg)

    def to_lonlat(self, x, y):
        """Map metres → CGCS2000 longitude/latitude."""
        return transformer(self.epsg, STORAGE_EPSG).transform(x, y)

    def to_map(self, lon, lat):
        """CGCS2000 longitude/latitude → map metres."""
        return transformer(STORAGE_EPSG, self.epsg).transform(lon, lat)

    # -- what is loaded
    def source(self, name: str) -> Source:
        """A source by name (see :data:`SOURCE_TABLES`)."""
        return self.sources[name]

    def frame(self, name: str) -> pd.DataFrame:
        """A source's frame, read on first use."""
        return self.sources[name].frame

    @property
    def households(self) -> pd.DataFrame:
        """Households, lean: id, x, y (map metres, NaN unknown), grid, village, drawn codes."""
        return self.frame("households")

    @property
    def grids(self):
        """Grids of every level (map metres) with label, admin_code, parent_code."""
        return self.frame("grids")

    @property
    def villages(self):
        """Villages (level-3 administrative units) with ``parent_code``."""
        return self._units(3)

    @property
    def townships(self):
        """Townships (level-2 administrative units)."""
        return self._units(2)

    def _units(self, level: int):
        units = self.frame("admin_units")
        codes = pd.Series(units["code"].to_numpy(), index=units["id"].to_numpy())
        picked = units[units["level"] == level].reset_index(drop=True)
        return picked.assign(parent_code=picked["parent_id"].map(codes))

    def admin_codes(self) -> pd.Series:
        """Administrative unit id → code."""
        units = self.frame("admin_units")
        return pd.Series(units["code"].to_numpy(), index=units["id"].to_numpy())

    @property
    def workers(self) -> pd.DataFrame:
        """Every worker, retired ones too."""
        return self.frame("workers")

    @property
    def assignments(self) -> pd.DataFrame:
        """Every assignment row, ended ones too."""
        return self.frame("assignments")

    def household_columns(self, names, ids=None) -> pd.DataFrame:
        """Stored household attributes beyond the lean ones, indexed by id (read when asked)."""
        return self.sources["households"].columns(names, ids)

    def load(self, names=None, progress=None) -> None:
        """Read sources now (default: what the map draws), ``progress(done, total)`` after each."""
        names = list(names or ("admin_units", "grids", "households", "sites", "hazard_zones",
                               "hazard_points"))
        for done, name in enumerate(names, start=1):
            _ = self.sources[name].frame
            if progress:
                progress(done, len(names))

    # -- rules every view shares
    def current_assignments(self, day: dt.date | None = None) -> pd.DataFrame:
        """Assignments in force on ``day`` (default today) with worker and grid names.

        Columns: those of ``grid_assignment`` and ``worker_name``, ``grid_code``,
        ``grid_name``, ``grid_level``.
        """
        rows = current(self.assignments, day)
        workers = self.workers.set_index("id")["name"]
        grids = self.grids.set_index("id")
        return rows.assign(worker_name=rows["worker_id"].map(workers),
                           grid_code=rows["grid_id"].map(grids["code"]),
                           grid_name=rows["grid_id"].map(grids["name"]),
                           grid_level=rows["grid_id"].map(grids["level"]))

    def grid_index(self, level: int = 3):
        """(PolygonIndex, grid ids) of one level's grids in map metres, kept until they change."""
        from gis_app.analysis.point_in_polygon import PolygonIndex

        if level not in self._grid_index:
            grids = self.grids[self.grids["level"] == level]
            geoms = np.asarray(grids.geometry.to_numpy(), dtype=object)
            self._grid_index[level] = (PolygonIndex(geoms), grids["id"].to_numpy(np.int64))
        return self._grid_index[level]

    def grids_at(self, x, y, level: int = 3) -> np.ndarray:
        """The grid of ``level`` holding each map point (-1 outside every grid)."""
        index, ids = self.grid_index(level)
        x, y = np.atleast_1d(np.asarray(x, dtype=float)), np.atleast_1d(np.asarray(y, float))
        if not len(ids):
            return np.full(len(x), -1, dtype=np.int64)
        where = index.locate(x, y).index
        return np.where(where >= 0, ids[np.maximum(where, 0)], -1)

    # -- the investigation
    @property
    def campaign_id(self) -> int | None:
        """The campaign the views follow: the one chosen, else the newest (None: none yet)."""
        campaigns = self.frame("campaigns")
        known = self._campaign_ids
        if known is None or known[0] is not campaigns:  # the frame is replaced on every change
            newest = None if not len(campaigns) else \
                int(campaigns.sort_values(["year", "round", "id"])["id"].iloc[-1])
            known = self._campaign_ids = (campaigns, set(campaigns["id"].tolist()), newest)
        if self._campaign_id is not None and self._campaign_id in known[1]:
            return self._campaign_id
        return known[2]

    def set_campaign(self, campaign_id: int | None) -> None:
        """Follow another campaign (None: the newest)."""
        if campaign_id != self._campaign_id:
            self._campaign_id = campaign_id
            self._tracker = None
            self.events.campaign.emit(self.campaign_id)

    def coverage(self):
        """The current campaign's CoverageTracker (None without a campaign), counted when asked."""
        campaign_id = self.campaign_id
        if campaign_id is None:
            return None
        if self._tracker is None or self._tracker[0] != campaign_id:
            from gis_app.services.coverage_service import coverage_tracker

            self._tracker = (campaign_id, coverage_tracker(self.project,
                                                           campaign_id=campaign_id))
        return self._tracker[1]

    def kept_coverage(self):
        """The current campaign's CoverageTracker if kept, else None (nothing is read)."""
        campaign_id = self.campaign_id
        if campaign_id is None or self._tracker is None or self._tracker[0] != campaign_id:
            return None
        return self._tracker[1]

    def keep_coverage(self, campaign_id: int, tracker) -> None:
        """Keep a tracker built elsewhere (a worker thread) from the store, records up to now.

        Kept only when the session has none of that campaign, the one it follows.
        """
        if campaign_id == self.campaign_id and self.kept_coverage() is None:
            self._tracker = (campaign_id, tracker)

    def _records_changed(self, change: EntityChange) -> None:
        """Keep the coverage counts: new records one by one, anything else counted again."""
        if self._tracker is None:
            return
        campaign_id, tracker = self._tracker
        if change.updated or change.deleted or len(change.inserted) > 200:
            self._tracker = None
            return
        from gis_app.storage.reader import load_table

        records = load_table(self.project.engine, "investigation_record",
                             ids=sorted(change.inserted))
        for record in records[records["campaign_id"] == campaign_id].to_dict("records"):
            try:
                tracker.apply_record(record)
            except KeyError:  # a household outside the campaign's townships
                continue

    def _households_moved(self, change: EntityChange) -> None:
        """Keep the coverage counts when households changed.

        Households moved between units are moved in the counts; anything else (households
        came or went, many moved, a unit the counts do not list) is counted again when asked.
        """
        if self._tracker is None:
            return
        if change.inserted or change.deleted or len(change.updated) > 200:
            self._tracker = None
            return
        ids = np.array(sorted(change.updated), dtype=np.int64)
        households = self.households
        rows = np.searchsorted(households["id"].to_numpy(np.int64), ids)
        units, grids = self.frame("admin_units"), self.grids
        unit_ids = units["id"].to_numpy(np.int64)
        village = households["village_id"].array[rows]
        township = _lookup(village, unit_ids, units["parent_id"].to_numpy(dtype=object))
        moved = {1: _lookup(township, unit_ids, units["code"].to_numpy(dtype=object)),
                 2: _lookup(village, unit_ids, units["code"].to_numpy(dtype=object)),
                 3: _lookup(households["grid_id"].array[rows], grids["id"].to_numpy(np.int64),
                            grids["code"].to_numpy(dtype=object))}
        if not self._tracker[1].move(ids, moved):
            self._tracker = None

    # -- editing
    @contextmanager
    def edit(self, label: str) -> Iterator[UnitOfWork]:
        """One unit of work of this session's user; on success the views follow it.

        The edit's step goes on the session's undo stack.

        Raises whatever the edit raised (nothing written then), including ``StaleEditError``.
        """
        with unit_of_work(self.project, self.user, label) as uow:
            yield uow
        self.undo_stack.push(uow.step)
        if uow.changes.edit_id is not None:
            self._own_edits.add(uow.changes.edit_id)
        self.apply(uow.changes)

    def can_undo(self) -> bool:
        """True when this session has an edit to undo."""
        return self.undo_stack.can_undo()

    def undo_label(self) -> str | None:
        """What :meth:`undo` would take back."""
        return self.undo_stack.label()

    def undo(self) -> ChangeSet | None:
        """Take back this session's latest edit (an edit itself; refused if rows moved on)."""
        return self._own(self.undo_stack.undo(self.project, self.user))

    def can_redo(self) -> bool:
        """True when this session has an undone edit to make again."""
        return self.undo_stack.can_redo()

    def redo_label(self) -> str | None:
        """What :meth:`redo` would make again."""
        return self.undo_stack.redo_label()

    def redo(self) -> ChangeSet | None:
        """Make the latest undone edit again (an edit itself; refused if rows moved on)."""
        return self._own(self.undo_stack.redo(self.project, self.user))

    def _own(self, changes: ChangeSet | None) -> ChangeSet | None:
        """Apply an undo's or redo's change set, as this session's own edit."""
        if changes is not None:
            if changes.edit_id is not None:
                self._own_edits.add(changes.edit_id)
            self.apply(changes)
        return changes

    # -- keeping equal to the store
    def apply(self, changes: ChangeSet) -> None:
        """Re-read what ``changes`` touched and tell the views, entity by entity.

        If re-reading fails, everything is read again (the views never show a state the store
        does not have) and :attr:`events.error` says what happened.
        """
        if not changes:
            return
        try:
            touched = []
            for entity, change in changes.entities.items():
                if entity == "investigation_record":
                    self._records_changed(change)
                    touched.append(("records", change))
                    continue
                name = ENTITY_SOURCES.get(entity)
                if name is None:
                    continue
                if name == "admin_units" and self.sources["grids"].loaded:
                    self.sources["grids"].unload()  # admin codes are derived into grids
                    touched.append(("grids", EntityChange()))
                if self.sources[name].apply(change) or not self.sources[name].loaded:
                    touched.append((name, change))
            if "grid" in changes:
                self._grid_index.clear()
            if "grid" in changes:
                self._tracker = None  # units changed: count again when asked
            elif "household" in changes:
                self._households_moved(changes["household"])
            if "campaign" in changes:
                self._tracker = None
        except Exception as exc:  # the store stays the truth: read everything again
            log.exception("refresh failed")
            self.reload()
            self.events.error.emit(f"刷新数据时出错，已重新读取项目：{exc}")
            return
        for name, change in touched:
            getattr(self.events, name).emit(change)
        self.events.changed.emit(changes)

    def refresh(self) -> ChangeSet | None:
        """Apply other processes' commits since the last call (cheap when there were none)."""
        if self.watcher is None:
            return None
        try:
            if not self.watcher.committed():
                return None
            changes = self.watcher.read(self._own_edits)
        except Exception as exc:
            log.exception("watching the store failed")
            self.events.error.emit(f"读取其他用户的修改时出错：{exc}")
            return None
        if changes:
            self.apply(changes)
            return changes
        return None

    def reload(self) -> None:
        """Forget everything loaded; the views read again (``events.reset``)."""
        for source in self.sources.values():
            source.unload()
        self._grid_index.clear()
        self._tracker = None
        self.events.reset.emit()

    def close(self) -> None:
        """Stop watching and release the project's connections."""
        if self.watcher is not None:
            self.watcher.close()
            self.watcher = None
        self.project.close()


def _lookup(keys, ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` of the rows whose sorted ``ids`` are ``keys`` (None for a missing key).

    For an edit's few rows: the keys are looked at one by one (NA, None, NaN are no key).
    """
    out = np.full(len(keys), None, dtype=object)
    present = [i for i, key in enumerate(keys) if key is not None and not pd.isna(key)]
    if not present or not len(ids):
        return out
    wanted = np.array([int(keys[i]) for i in present], dtype=np.int64)
    positions = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    found = ids[positions] == wanted
    out[np.asarray(present)[found]] = values[positions[found]]
    return out
