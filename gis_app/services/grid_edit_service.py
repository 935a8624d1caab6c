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

from gis_app.analysis.grid_split import (
    assign_households,
    merge_grids,
    split_balanced,
    split_by_line,
)
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


def _geom(row: dict):
    """The stored geometry of a row (WKB bytes on SQLite, hex EWKB on PostGIS)."""
    return shapely.from_wkb(row["geom"])


def _multi(geom):
    return as_multipolygons(np.array([geom], dtype=object))[0]


def _user_polygon(polygon, what: str):
    """Raise GridEditError unless ``polygon`` is a valid, non-empty polygon in lon/lat."""
    if not isinstance(polygon, shapely.Geometry) or shapely.get_type_id(polygon) not in (3, 6):
        raise GridEditError(f"{what}必须是面（Polygon）")
    if polygon.is_empty:
        raise GridEditError(f"{what}是空的")
    if not polygon.is_valid:
        raise GridEditError(f"{what}无效（边界自相交等），请重新绘制")
    if polygon.area == 0:
        raise GridEditError(f"{what}是空的")
    west, south, east, north = CHINA_BOUNDS
    x0, y0, x1, y1 = polygon.bounds
    if not (west <= x0 and x1 <= east and south <= y0 and y1 <= north):
        raise GridEditError(f"{what}的坐标不是中国范围内的经纬度（EPSG:4490）")
    return polygon


def _count(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise GridEditError(f"{what}必须是整数")
    return int(value)


def _carve(polygon, grids: np.ndarray):
    """Cut ``polygon`` out of ``grids``: the new grid and what is left of each grid.

    All boundaries are noded once and the faces dissolved again, so the new grid and the
    grids it cuts share their new edges exactly (no slivers, no overlaps).
    """
    lines = shapely.union_all(np.r_[shapely.boundary(grids), [shapely.boundary(polygon)]])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    spot = shapely.get_coordinates(shapely.point_on_surface(faces))
    inside = shapely.contains_xy(polygon, spot[:, 0], spot[:, 1])
    owner = PolygonIndex(grids).locate(spot[:, 0], spot[:, 1]).index
    new = shapely.coverage_union_all(faces[inside])
    rest = [shapely.coverage_union_all(faces[(owner == i) & ~inside]) for i in range(grids.size)]
    return new, np.array(rest, dtype=object)


def _new_codes(connection: Connection, unit_id: int, count: int) -> list[tuple[str, str]]:
    """Codes and names for new level-3 grids of a village, after the highest number in use.

    The scheme of :mod:`gis_app.synth.frames`: ``G3-<village code>-NN``, 「<村>第N网格」.
    """
    unit = connection.execute(select(_UNIT.c.code, _UNIT.c.name).where(
        _UNIT.c.id == unit_id)).one()
    prefix = f"G3-{unit.code}-"
    taken = set(connection.execute(select(_GRID.c.code).where(
        _GRID.c.code.like(prefix + "%"))).scalars())
    pattern = re.compile(re.escape(prefix) + r"(\d+)")
    numbers = [int(m.group(1)) for c in taken if (m := pattern.fullmatch(c))]
    number, out = max(numbers, default=0) + 1, []
    while len(out) < count:
        if f"{prefix}{number:02d}" not in taken:
            out.append((f"{prefix}{number:02d}", f"{unit.name}第{number}网格"))
        number += 1
    return out


class GridEditService:
    """Editing use cases of the level-3 grids, bound to a project, a user and an undo stack."""

    def __init__(self, project: Project, user: str | None = None,
                 undo_stack: UndoStack | None = None):
        self.project = project
        self.user = user or current_user()
        # The window passes the stack its other editing services share.
        self.undo_stack = undo_stack if undo_stack is not None else UndoStack()

    # -- edits
    def split_by_line(self, grid_id: int, line) -> GridEdit:
        """Cut a level-3 grid with a line drawn by the user (shapely LineString, EPSG:4490).

        The grid keeps its id and code as the largest part; the others are new grids.
        """
        if not isinstance(line, shapely.Geometry) or shapely.get_type_id(line) not in (1, 5) \
                or line.is_empty:
            raise GridEditError("分割线必须是线（LineString）")
        row = self._level3([grid_id])[0]
        try:
            parts = split_by_line(_geom(row), line)
        except ValueError as error:
            raise GridEditError(str(error)) from None
        return self._split(row, parts, {"method": "line"})

    def split_balanced(self, grid_id: int, parts: int, progress=None) -> GridEdit:
        """Split a level-3 grid into ``parts`` compact grids with balanced household counts.

        ``progress(done, total)`` is called during the computation.
        """
        parts = _count(parts, "拆分的网格数")
        if parts < 2:
            raise GridEditError("拆分的网格数至少为 2")
        row = self._level3([grid_id])[0]
        with self.project.engine.connect() as connection:
            frame = self._households(connection, _HOUSEHOLD.c.grid_id == row["id"])
        xy = frame[["lon", "lat"]].to_numpy()
        located = int(np.isfinite(xy).all(axis=1).sum())
        if parts > located:
            raise GridEditError(f"{row['name']}只有{located}户有位置，不能分成{parts}个网格")
        try:
            split = split_balanced(_geom(row), xy, parts, progress)
        except ValueError as error:
            raise GridEditError(str(error)) from None
        geoms = split.geometry.to_numpy()
        geoms = geoms[np.argsort(-shapely.area(geoms), kind="stable")]  # the grid keeps the largest
        return self._split(row, list(geoms), {"method": "balanced"})

    def merge(self, grid_ids: list[int]) -> GridEdit:
        """Merge two or more neighbouring level-3 grids of one village into one.

        The grid with the most households (ties: lowest id) is kept; the others are deleted, their
        households and assignment rows (history included) move to it.
        """
        ids = sorted({_count(i, "网格编号") for i in grid_ids})
        if len(ids) < 2:
            raise GridEditError("至少选择两个网格才能合并")
        rows = self._level3(ids)
        if len({r["admin_unit_id"] for r in rows}) > 1:
            raise GridEditError("所选网格不在同一个村，不能合并")
        try:
            merged = merge_grids(np.array([_geom(r) for r in rows], dtype=object))
        except ValueError as error:
            raise GridEditError(str(error)) from None
        today = dt.date.today()
        with self.project.engine.begin() as connection:
            frame = self._households(connection, _HOUSEHOLD.c.grid_id.in_(ids))
            counts = frame["grid_id"].value_counts()
            kept = max(rows, key=lambda r: (counts.get(r["id"], 0), -r["id"]))
            others = [r for r in rows if r is not kept]
            step = Step(f"合并网格{'、'.join(r['name'] for r in rows)}")
            self._update_grid(connection, step, kept, geom=merged)
            moved = self._move_households(connection, step, frame,
                                          np.full(len(frame), kept["id"], dtype=np.int64))
            self._repoint(connection, step, {r["id"]: kept["id"] for r in others}, today)
            self._delete_grids(connection, step, others)
            log_change(connection, "merge_grids", "grid", kept["id"], {
                "kept": kept["code"], "merged": [r["code"] for r in others],
                "households_moved": moved}, self.user)
        self.undo_stack.push(step)
        return GridEdit(step.label, [], [kept["id"]], [r["id"] for r in others], moved)

    def add_grid(self, polygon, name: str | None = None) -> GridEdit:
        """A new level-3 grid drawn by the user (shapely polygon, EPSG:4490).

        Clipped to the village it mostly falls in and cut out of that village's other grids,
        which must keep some area; the households inside move to it (manual placements stay).
        """
        polygon = _user_polygon(polygon, "所画网格")
        if name is not None:
            name = str(name).strip()
            if not name or len(name) > 64:
                raise GridEditError("网格名称不能为空，且不超过64个字")
        with self.project.engine.connect() as connection:
            villages = connection.execute(select(_UNIT.c.id, _UNIT.c.geom).where(
                (_UNIT.c.level == 3) & _UNIT.c.geom.is_not(None)).order_by(_UNIT.c.id)).all()
        shapes = shapely.from_wkb(np.array([v.geom for v in villages], dtype=object))
        overlap = shapely.area(shapely.intersection(shapes, polygon)) if villages else np.zeros(0)
        if not overlap.size or overlap.max() <= 0:
            raise GridEditError("所画网格不在任何村的范围内")
        best = int(np.argmax(overlap))
        village_id, clipped = villages[best].id, shapely.intersection(shapes[best], polygon)
        clipped = shapely.union_all(shapely.get_parts(clipped)[np.isin(
            shapely.get_type_id(shapely.get_parts(clipped)), (3, 6))])
        siblings = self._village_grids(village_id)
        geoms = np.array([_geom(r) for r in siblings], dtype=object)
        new, rest = _carve(clipped, geoms) if siblings else (clipped, geoms)
        if new.is_empty or new.area <= 0:
            raise GridEditError("所画网格在村内没有面积")
        touched = shapely.area(shapely.intersection(geoms, new)) > 0 if siblings else \
            np.zeros(0, bool)
        for row, left in zip(siblings, rest, strict=True):
            if left.is_empty or left.area <= 0:
                raise GridEditError(f"所画网格完全覆盖了{row['name']}，请改用合并网格")
        with self.project.engine.begin() as connection:
            template = {"admin_unit_id": village_id,
                        "parent_id": self._parent(connection, village_id)}
            step = Step("新增网格")
            grid_id = self._insert_grids(connection, step, template, [new], name)[0]
            for row, left in zip(np.array(siblings, dtype=object)[touched], rest[touched],
                                 strict=True):
                self._update_grid(connection, step, row, geom=left)
            ids = [r["id"] for r in siblings]
            x0, y0, x1, y1 = new.bounds
            h = _HOUSEHOLD
            frame = self._households(connection, (h.c.grid_id.in_(ids) | h.c.grid_id.is_(None)) & (
                h.c.lon.between(x0, x1) & h.c.lat.between(y0, y1)) & ~h.c.grid_override)
            inside = PolygonIndex(np.array([new], dtype=object)).locate(
                frame["lon"].to_numpy(), frame["lat"].to_numpy()).index >= 0
            moved = self._move_households(connection, step, frame,
                                          np.where(inside, grid_id, frame["grid_id"].to_numpy()))
            code, label = connection.execute(select(_GRID.c.code, _GRID.c.name).where(
                _GRID.c.id == grid_id)).one()
            step.label = f"新增网格{label}"
            log_change(connection, "add_grid", "grid", grid_id, {
                "grid": code, "cut": [r["code"] for r in np.array(siblings, dtype=object)[touched]],
                "households_moved": moved}, self.user)
        self.undo_stack.push(step)
        return GridEdit(step.label, [grid_id], [r["id"] for r in np.array(siblings)[touched]],
                        [], moved)

    def propose_rebalance(self, village_id: int, household_limit: int | None = None,
                          worker_ids: list[int] | None = None) -> Proposal:
        """Proposed level-3 grids and workers for a village (nothing is written).

        Default limit: the project's threshold of households per worker; default workers: the
        current 三级网格员 of the village's level-3 grids. Returns a :class:`VillageProposal`.
        """
        limit = self.project.thresholds().household_limit if household_limit is None else \
            _count(household_limit, "每名网格员的户数上限")
        if limit < 1:
            raise GridEditError("每名网格员的户数上限必须至少为 1")
        with self.project.engine.connect() as connection:
            village = self._village(connection, village_id)
            grids = self._village_grids(village_id)
            ids = [r["id"] for r in grids]
            current = [a for a in self._assignments(connection, ids, open_only=True)
                       if a["role"] == _L3]
            frame = self._village_households(connection, village_id, ids)
            if worker_ids is None:
                workers = sorted({a["worker_id"] for a in current})
                if not workers:
                    raise GridEditError(f"{village['name']}的网格没有三级网格员，请选择网格员")
            else:
                workers = [_count(w, "网格员编号") for w in worker_ids]
                self._check_workers(connection, workers)
        first = {}
        for a in current:  # the grid's longest-serving worker speaks for it
            if a["worker_id"] in workers:
                first.setdefault(a["grid_id"], a["worker_id"])
        served = [r for r in grids if r["id"] in first]
        current_grids = gpd.GeoDataFrame(
            {"worker": [first[r["id"]] for r in served]},
            geometry=[_geom(r) for r in served], crs=STORAGE_EPSG) if served else None
        try:
            proposal = propose_rebalance(shapely.from_wkb(village["geom"]),
                                         frame[["lon", "lat"]].to_numpy(), workers, limit,
                                         current_grids=current_grids)
        except ValueError as error:
            raise GridEditError(str(error)) from None
        return VillageProposal(proposal.grids, proposal.assignment, proposal.loads,
                               proposal.warnings, village_id=int(village_id),
                               household_ids=frame["id"].to_numpy())

    def apply_proposal(self, village_id: int, proposal: Proposal) -> GridEdit:
        """Replace the village's level-3 grids by the proposal's grids and workers.

        The village's grids, by code, carry the first parts (ids and codes stay); further parts
        become new grids, spare grids are deleted and their assignment rows go to the part that
        covers most of them. Households follow ``proposal.assignment`` (manual placements stay
        where their grid still exists); each grid's 三级网格员 becomes the proposal's worker.
        """
        if not isinstance(proposal, Proposal) or "worker" not in proposal.grids.columns:
            raise GridEditError("不是有效的网格划分方案")
        if isinstance(proposal, VillageProposal) and proposal.village_id != village_id:
            raise GridEditError("该方案不是为这个村生成的")
        geoms = proposal.grids.geometry.to_numpy()
        if not geoms.size:
            raise GridEditError("方案中没有网格")
        if proposal.grids.crs is not None and proposal.grids.crs.to_epsg() != STORAGE_EPSG:
            raise GridEditError("方案的坐标系应为 EPSG:4490（CGCS2000 经纬度）")
        for geom in geoms:
            _user_polygon(geom, "方案中的网格")
        try:
            workers = [None if pd.isna(w) else int(w) for w in proposal.grids["worker"]]
        except (TypeError, ValueError):
            raise GridEditError("方案中的网格员编号无效") from None
        today = dt.date.today()
        with self.project.engine.begin() as connection:
            village = self._village(connection, village_id)
            old = self._village_grids(village_id, connection)
            frame = self._village_households(connection, village_id, [r["id"] for r in old])
            assignment = np.asarray(proposal.assignment, dtype=np.int64)
            stale = len(assignment) != len(frame) or (
                isinstance(proposal, VillageProposal)
                and not np.array_equal(proposal.household_ids, frame["id"].to_numpy()))
            if stale or (assignment >= geoms.size).any():
                raise GridEditError("村里的户或网格已有变化，请重新生成方案")
            self._check_workers(connection, sorted({w for w in workers if w is not None}))
            step = Step(f"重新划分{village['name']}的网格")
            reuse = min(len(old), geoms.size)
            for row, geom in zip(old[:reuse], geoms[:reuse], strict=True):
                self._update_grid(connection, step, row, geom=geom)
            template = old[0] if old else {"admin_unit_id": village_id,
                                           "parent_id": self._parent(connection, village_id)}
            created = self._insert_grids(connection, step, template, list(geoms[reuse:]))
            part_ids = np.array([r["id"] for r in old[:reuse]] + created, dtype=np.int64)
            removed = old[reuse:]
            target_of = {}
            if removed:
                spare = np.array([_geom(r) for r in removed], dtype=object)
                overlap = shapely.area(shapely.intersection(spare[:, None], geoms[None, :]))
                target_of = {r["id"]: int(part_ids[j])
                             for r, j in zip(removed, overlap.argmax(axis=1), strict=True)}
            current = frame["grid_id"].to_numpy()
            gone = np.isin(current, list(target_of))
            fallback = pd.Series(current).replace(target_of).to_numpy() if target_of else current
            by_place = np.where(assignment >= 0, part_ids[np.maximum(assignment, 0)], fallback)
            target = np.where(frame["grid_override"].to_numpy() & ~gone, current, by_place)
            moved = self._move_households(connection, step, frame, target)
            self._set_level3_workers(connection, step, part_ids[:reuse], workers[:reuse],
                                     created, workers[reuse:], today)
            self._repoint(connection, step, target_of, today, end_roles={_L3})
            self._delete_grids(connection, step, removed)
            codes = [r["code"] for r in old[:reuse]] + [
                c for c, in connection.execute(select(_GRID.c.code).where(
                    _GRID.c.id.in_(created)).order_by(_GRID.c.id))]
            log_change(connection, "apply_rebalance", "admin_unit", int(village_id), {
                "village": village["code"], "grids": codes, "workers": workers,
                "removed": [r["code"] for r in removed], "households_moved": moved}, self.user)
        self.undo_stack.push(step)
        return GridEdit(step.label, created, [r["id"] for r in old[:reuse]],
                        [r["id"] for r in removed], moved)

    # -- undo
    def can_undo(self) -> bool:
        """True when the shared stack has a change to undo."""
        return self.undo_stack.can_undo()

    def undo(self) -> str | None:
        """Revert the latest change on the shared stack; returns its label."""
        return self.undo_stack.undo(self.project, self.user)

    # -- reading
    def _level3(self, grid_ids: list[int]) -> list[dict]:
        """Whole rows of level-3 grids with a boundary, in the order asked; GridEditError else."""
        ids = [_count(i, "网格编号") for i in grid_ids]
        with self.project.engine.connect() as connection:
            rows = {r.id: r._asdict() for r in connection.execute(
                select(_GRID).where(_GRID.c.id.in_(ids)))}
        missing = [i for i in ids if i not in rows]
        if missing:
            raise GridEditError(f"网格不存在：{missing}")
        for row in rows.values():
            if row["level"] != 3:
                raise GridEditError(f"只能编辑三级网格（{row['name']}是{row['level']}级网格）")
            if row["geom"] is None:
                raise GridEditError(f"{row['name']}没有边界，不能编辑")
        return [rows[i] for i in ids]

    def _village_grids(self, village_id: int, connection: Connection | None = None) -> list[dict]:
        """Whole rows of a village's level-3 grids, by code."""
        query = select(_GRID).where((_GRID.c.level == 3) & (_GRID.c.admin_unit_id == village_id)
                                    & _GRID.c.geom.is_not(None)).order_by(_GRID.c.code)
        if connection is not None:
            return [r._asdict() for r in connection.execute(query)]
        with self.project.engine.connect() as own:
            return [r._asdict() for r in own.execute(query)]

    @staticmethod
    def _village(connection: Connection, village_id: int) -> dict:
        row = connection.execute(select(_UNIT.c.id, _UNIT.c.code, _UNIT.c.name, _UNIT.c.level,
                                        _UNIT.c.geom).where(_UNIT.c.id == village_id)).first()
        if row is None or row.level != 3:
            raise GridEditError(f"村不存在：{village_id}")
        if row.geom is None:
            raise GridEditError(f"{row.name}没有村界，不能划分网格")
        return row._asdict()

    @staticmethod
    def _parent(connection: Connection, village_id: int) -> int | None:
        """The village's level-2 grid, parent of its level-3 grids."""
        return connection.execute(select(_GRID.c.id).where(
            (_GRID.c.level == 2) & (_GRID.c.admin_unit_id == village_id)
        ).order_by(_GRID.c.id)).scalars().first()

    @staticmethod
    def _households(connection: Connection, where) -> pd.DataFrame:
        """Id, grid (-1 for none), override flag, lon/lat (NaN unknown) and version, by id."""
        h = _HOUSEHOLD
        rows = connection.execute(select(h.c.id, h.c.grid_id, h.c.grid_override, h.c.lon,
                                         h.c.lat, h.c.version).where(where).order_by(h.c.id)).all()
        frame = pd.DataFrame(rows, columns=["id", "grid_id", "grid_override", "lon", "lat",
                                            "version"])
        return frame.astype({"id": np.int64, "grid_override": bool, "lon": float, "lat": float,
                             "version": np.int64}).assign(
            grid_id=frame["grid_id"].astype(float).fillna(-1).astype(np.int64))

    def _village_households(self, connection: Connection, village_id: int,
                            grid_ids: list[int]) -> pd.DataFrame:
        """Households in the village's level-3 grids, or in the village without a grid."""
        h = _HOUSEHOLD
        return self._households(connection, h.c.grid_id.in_(grid_ids) | (
            h.c.grid_id.is_(None) & (h.c.village_id == village_id)))

    @staticmethod
    def _assignments(connection: Connection, grid_ids, open_only: bool = False) -> list[dict]:
        a = _ASSIGNMENT
        query = select(a).where(a.c.grid_id.in_([int(i) for i in grid_ids]))
        if open_only:
            query = query.where(a.c.end_date.is_(None))
        return [r._asdict() for r in connection.execute(query.order_by(a.c.id))]

    @staticmethod
    def _check_workers(connection: Connection, worker_ids: list[int]) -> None:
        if len(set(worker_ids)) != len(worker_ids):
            raise GridEditError("网格员名单中有重复")
        table = Worker.__table__
        active = dict(connection.execute(select(table.c.id, table.c.active).where(
            table.c.id.in_(worker_ids))).all())
        missing = [w for w in worker_ids if w not in active]
        if missing:
            raise GridEditError(f"网格员不存在：{missing}")
        retired = [w for w in worker_ids if not active[w]]
        if retired:
            raise GridEditError(f"已退出的网格员不能分配网格：{retired}")

    # -- writing, inside the caller's transaction; each records what it did on the step
    def _update_grid(self, connection: Connection, step: Step, row: dict, **values) -> None:
        if "geom" in values:
            values["geom"] = _multi(values["geom"])
        changed = connection.execute(update(_GRID).where(
            (_GRID.c.id == row["id"]) & (_GRID.c.version == row["version"])).values(
            **values, version=row["version"] + 1)).rowcount
        if changed != 1:
            raise GridEditError("网格已被他人修改，请刷新后重试")
        step.updated.append((_GRID, row["id"], {**{k: row[k] for k in values},
                                                "version": row["version"]}))

    def _insert_grids(self, connection: Connection, step: Step, template: dict, geoms: list,
                      name: str | None = None) -> list[int]:
        """New level-3 grids beside ``template`` (same village and parent), with new codes."""
        ids = []
        codes = _new_codes(connection, template["admin_unit_id"], len(geoms))
        for (code, default_name), geom in zip(codes, geoms, strict=True):  # a few new grids
            ids.append(connection.execute(insert(_GRID).values(
                code=code, name=name or default_name, level=3, parent_id=template["parent_id"],
                admin_unit_id=template["admin_unit_id"], geom=_multi(geom), version=1,
            ).returning(_GRID.c.id)).scalar_one())
            step.inserted.append((_GRID, ids[-1]))
        return ids

    def _delete_grids(self, connection: Connection, step: Step, rows: list[dict]) -> None:
        for row in rows:
            changed = connection.execute(delete(_GRID).where(
                (_GRID.c.id == row["id"]) & (_GRID.c.version == row["version"]))).rowcount
            if changed != 1:
                raise GridEditError("网格已被他人修改，请刷新后重试")
            step.deleted.append((_GRID, row))

    def _split(self, row: dict, parts: list, details: dict) -> GridEdit:
        """Write a split: the grid becomes ``parts[0]``, the other parts new grids."""
        today = dt.date.today()
        step = Step(f"拆分网格{row['name']}为{len(parts)}个")
        with self.project.engine.begin() as connection:
            frame = self._households(connection, _HOUSEHOLD.c.grid_id == row["id"])
            self._update_grid(connection, step, row, geom=parts[0])
            created = self._insert_grids(connection, step, row, parts[1:])
            ids = np.array([row["id"], *created], dtype=np.int64)
            try:
                where = assign_households(frame[["lon", "lat"]].to_numpy(),
                                          np.array(parts, dtype=object))
            except ValueError as error:
                raise GridEditError(str(error)) from None
            # Manual placements, and households outside every part, stay in the grid.
            follow = (where >= 0) & ~frame["grid_override"].to_numpy()
            moved = self._move_households(connection, step, frame,
                                          np.where(follow, ids[np.maximum(where, 0)], row["id"]))
            # Whoever covered the grid covers its parts until the user reassigns them.
            for a in self._assignments(connection, [row["id"]], open_only=True):
                for grid_id in created:
                    self._add_assignment(connection, step, a["worker_id"], grid_id, a["role"],
                                         today)
            codes = connection.execute(select(_GRID.c.code).where(
                _GRID.c.id.in_(created)).order_by(_GRID.c.id)).scalars().all()
            log_change(connection, "split_grid", "grid", row["id"], {
                "grid": row["code"], "new": codes, "households_moved": moved, **details},
                self.user)
        self.undo_stack.push(step)
        return GridEdit(step.label, created, [row["id"]], [], moved)

    def _move_households(self, connection: Connection, step: Step, frame: pd.DataFrame,
                         target: np.ndarray) -> int:
        """Set each household's grid to ``target`` (-1: leave it); one UPDATE per target grid."""
        current = frame["grid_id"].to_numpy()
        moved = (target >= 0) & (target != current)
        ids, to = frame["id"].to_numpy()[moved], target[moved]
        h = _HOUSEHOLD
        for grid_id in np.unique(to):  # a few target grids, not one statement per household
            chosen = ids[to == grid_id].tolist()
            for start in range(0, len(chosen), CHUNK):
                connection.execute(update(h).where(h.c.id.in_(chosen[start:start + CHUNK])).values(
                    grid_id=int(grid_id), version=h.c.version + 1))
        before = current[moved].tolist()
        step.updated += [(h, i, {"grid_id": None if g < 0 else g, "version": v})
                         for i, g, v in zip(ids.tolist(), before,
                                            frame["version"].to_numpy()[moved].tolist(),
                                            strict=True)]
        return int(moved.sum())

    def _add_assignment(self, connection: Connection, step: Step, worker_id: int, grid_id: int,
                        role: str, today: dt.date) -> None:
        a = _ASSIGNMENT
        step.inserted.append((a, connection.execute(insert(a).values(
            worker_id=int(worker_id), grid_id=int(grid_id), role=role, start_date=today,
            assigned_by=self.user, version=1).returning(a.c.id)).scalar_one()))

    @staticmethod
    def _update_assignment(connection: Connection, step: Step, row: dict, **values) -> None:
        a = _ASSIGNMENT
        connection.execute(update(a).where(a.c.id == row["id"]).values(
            **values, version=row["version"] + 1))
        step.updated.append((a, row["id"], {**{k: row[k] for k in values},
                                            "version": row["version"]}))

    def _repoint(self, connection: Connection, step: Step, target_of: dict[int, int],
                 today: dt.date, end_roles: set[str] = frozenset()) -> None:
        """Move every assignment row of the grids going away (history too) to their targets.

        An open row that would repeat a (worker, role) already open on the target, or whose
        role is in ``end_roles``, is ended today instead of staying open.
        """
        if not target_of:
            return
        held = {(a["grid_id"], a["worker_id"], a["role"]) for a in self._assignments(
            connection, set(target_of.values()), open_only=True)}
        for a in self._assignments(connection, target_of):  # rows of a few grids
            values = {"grid_id": target_of[a["grid_id"]]}
            key = (values["grid_id"], a["worker_id"], a["role"])
            if a["end_date"] is None:
                if key in held or a["role"] in end_roles:
                    values["end_date"] = today
                else:
                    held.add(key)
            self._update_assignment(connection, step, a, **values)

    def _set_level3_workers(self, connection: Connection, step: Step, kept_ids, kept_workers,
                            created: list[int], new_workers: list, today: dt.date) -> None:
        """Each grid's open 三级网格员 becomes the proposal's worker (unchanged rows stay)."""
        open_rows = [a for a in self._assignments(connection, kept_ids, open_only=True)
                     if a["role"] == _L3]
        for grid_id, worker in zip([*map(int, kept_ids), *created], [*kept_workers, *new_workers],
                                   strict=True):
            mine = [a for a in open_rows if a["grid_id"] == grid_id]
            for a in mine:
                if a["worker_id"] != worker:
                    self._update_assignment(connection, step, a, end_date=today)
            if worker is not None and all(a["worker_id"] != worker for a in mine):
                self._add_assignment(connection, step, worker, grid_id, _L3, today)
