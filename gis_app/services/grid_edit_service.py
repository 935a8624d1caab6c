"""Redrawing level-3 grids: split, merge, draw a new one, apply a rebalancing proposal.

Every edit is checked first, then written as one unit of work of the session (its rows, their
audit rows and the undo step, in one transaction). The grids the user acts on must still be at
the version the session shows, or the edit is refused (``StaleEditError``) and writes nothing.
Households follow their location (manual overrides kept where their grid still exists) and the
assignments follow the grids; rows moved as a consequence are read, with their versions, inside
the edit's transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_app.analysis.grid_split import (
    assign_households,
    carve_out,
    clip_to_village,
    largest_overlap,
    merge_grids,
    split_balanced,
    split_by_line,
)
from gis_app.analysis.point_in_polygon import PolygonIndex
from gis_app.analysis.rebalance import Proposal, propose_rebalance
from gis_app.core.assignments import current, in_force
from gis_app.core.changes import ChangeSet
from gis_app.core.codes import WorkerRole
from gis_app.core.crs import CHINA_BOUNDS, STORAGE_EPSG
from gis_app.storage.repositories import grids as repo
from gis_app.storage.uow import StaleEditError, stale_message

_L3 = WorkerRole.LEVEL3_WORKER.value


class GridEditError(ValueError):
    """An edit that cannot be made; the message is for the user (Chinese)."""


@dataclass(frozen=True)
class GridEdit:
    """What an edit did, for the window to report.

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
    changes : ChangeSet
        Every row the edit changed, by entity (the session has re-read them already).
    """

    label: str
    created: list[int]
    changed: list[int]
    removed: list[int]
    households_moved: int
    changes: ChangeSet = field(default_factory=ChangeSet)


@dataclass
class VillageProposal(Proposal):
    """A :class:`~gis_app.analysis.rebalance.Proposal` for a stored village.

    ``assignment`` is aligned with ``household_ids``: the village's households (those in its
    level-3 grids or in the village without a grid) when the proposal was made, by id.
    """

    village_id: int = 0
    household_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


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


def _next_codes(village: dict, taken: set[str], count: int) -> list[tuple[str, str]]:
    """Codes and names for new level-3 grids of a village, after the highest number in use.

    The scheme of :mod:`gis_app.synth.frames`: ``G3-<village code>-NN``, 「<村>第N网格」.
    """
    prefix = f"G3-{village['code']}-"
    pattern = re.compile(re.escape(prefix) + r"(\d+)")
    numbers = [int(m.group(1)) for c in taken if (m := pattern.fullmatch(c))]
    number, out = max(numbers, default=0) + 1, []
    while len(out) < count:
        if f"{prefix}{number:02d}" not in taken:
            out.append((f"{prefix}{number:02d}", f"{village['name']}第{number}网格"))
        number += 1
    return out


class GridEditService:
    """Editing use cases of the level-3 grids, on a project session.

    Parameters
    ----------
    session : ProjectSession
        The session whose grids the user sees; undo is its :meth:`ProjectSession.undo`,
        shared with every other edit.
    """

    def __init__(self, session):
        self.session = session

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
            parts = split_by_line(row["geom"], line)
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
        with self.session.project.engine.connect() as connection:
            frame = repo.households(connection, [row["id"]])
        xy = frame[["lon", "lat"]].to_numpy()
        located = int(np.isfinite(xy).all(axis=1).sum())
        if parts > located:
            raise GridEditError(f"{row['name']}只有{located}户有位置，不能分成{parts}个网格")
        try:
            split = split_balanced(row["geom"], xy, parts, progress)
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
            merged = merge_grids(np.array([r["geom"] for r in rows], dtype=object))
        except ValueError as error:
            raise GridEditError(str(error)) from None
        shown = self._shown(rows)
        label = f"合并网格{'、'.join(r['name'] for r in rows)}"
        today = dt.date.today()
        with self.session.edit(label) as uow:
            frame = repo.households(uow.connection, ids)
            counts = frame["grid_id"].value_counts()
            kept = max(rows, key=lambda r: (counts.get(r["id"], 0), -r["id"]))
            others = [r for r in rows if r is not kept]
            uow.update("grid", kept["id"], shown[kept["id"]], geom=repo.stored_polygon(merged))
            moved = self._move_households(uow, frame, np.full(len(frame), kept["id"]))
            self._repoint(uow, {r["id"]: kept["id"] for r in others}, today)
            uow.delete_rows("grid", {r["id"]: shown[r["id"]] for r in others})
            uow.note("merge_grids", "grid", {
                "id": kept["id"], "kept": kept["code"], "merged": [r["code"] for r in others],
                "households_moved": moved})
        return GridEdit(label, [], [kept["id"]], [r["id"] for r in others], moved, uow.changes)

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
        with self.session.project.engine.connect() as connection:
            village_ids, shapes = repo.village_boundaries(connection)
            try:
                best, clipped = clip_to_village(polygon, shapes)
            except ValueError as error:
                raise GridEditError(str(error)) from None
            village_id = int(village_ids[best])
            siblings = repo.village_grids(connection, village_id)
        geoms = np.array([r["geom"] for r in siblings], dtype=object)
        new, rest = carve_out(clipped, geoms)
        if new.is_empty or new.area <= 0:
            raise GridEditError("所画网格在村内没有面积")
        touched = shapely.area(shapely.intersection(geoms, new)) > 0 if siblings else \
            np.zeros(0, bool)
        for row, left in zip(siblings, rest, strict=True):
            if left.is_empty or left.area <= 0:
                raise GridEditError(f"所画网格完全覆盖了{row['name']}，请改用合并网格")
        cut = [(row, left) for row, left, hit in zip(siblings, rest, touched, strict=True) if hit]
        shown = self._shown([row for row, _ in cut])
        with self.session.edit("新增网格") as uow:
            template = {"admin_unit_id": village_id,
                        "parent_id": repo.village_grid(uow.connection, village_id)}
            (grid_id, code, grid_name), = self._insert_grids(uow, template, [new], name)
            uow.label = f"新增网格{grid_name}"
            for row, left in cut:
                uow.update("grid", row["id"], shown[row["id"]], geom=repo.stored_polygon(left))
            frame = repo.households(uow.connection, [r["id"] for r in siblings], ungridded=True,
                                    within=new.bounds, manual=False)
            inside = PolygonIndex(np.array([new], dtype=object)).locate(
                frame["lon"].to_numpy(), frame["lat"].to_numpy()).index >= 0
            moved = self._move_households(uow, frame,
                                          np.where(inside, grid_id, frame["grid_id"].to_numpy()))
            uow.note("add_grid", "grid", {"id": grid_id, "grid": code,
                                          "cut": [row["code"] for row, _ in cut],
                                          "households_moved": moved})
        return GridEdit(uow.label, [grid_id], [row["id"] for row, _ in cut], [], moved,
                        uow.changes)

    def propose_rebalance(self, village_id: int, household_limit: int | None = None,
                          worker_ids: list[int] | None = None) -> Proposal:
        """Proposed level-3 grids and workers for a village (nothing is written).

        Default limit: the project's threshold of households per worker; default workers: the
        current 三级网格员 of the village's level-3 grids. Returns a :class:`VillageProposal`.
        """
        limit = self.session.project.thresholds().household_limit if household_limit is None \
            else _count(household_limit, "每名网格员的户数上限")
        if limit < 1:
            raise GridEditError("每名网格员的户数上限必须至少为 1")
        with self.session.project.engine.connect() as connection:
            village = self._village(connection, village_id)
            grids = repo.village_grids(connection, village_id)
            ids = [r["id"] for r in grids]
            serving = self._level3_workers(connection, ids, dt.date.today())
            frame = repo.households(connection, ids, ungridded=True, village_id=village_id)
            if worker_ids is None:
                workers = sorted(set(serving["worker_id"].astype(int)))
                if not workers:
                    raise GridEditError(f"{village['name']}的网格没有三级网格员，请选择网格员")
            else:
                workers = [_count(w, "网格员编号") for w in worker_ids]
                self._check_workers(connection, workers)
        first = {}
        for grid, worker in zip(serving["grid_id"], serving["worker_id"], strict=True):
            if worker in workers:  # the grid's longest-serving worker speaks for it
                first.setdefault(int(grid), int(worker))
        served = [r for r in grids if r["id"] in first]
        current_grids = gpd.GeoDataFrame(
            {"worker": [first[r["id"]] for r in served]},
            geometry=[r["geom"] for r in served], crs=STORAGE_EPSG) if served else None
        try:
            proposal = propose_rebalance(village["geom"], frame[["lon", "lat"]].to_numpy(),
                                         workers, limit, current_grids=current_grids)
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
        with self.session.project.engine.connect() as connection:
            village = self._village(connection, village_id)
        with self.session.edit(f"重新划分{village['name']}的网格") as uow:
            connection = uow.connection
            old = repo.village_grids(connection, village_id)
            frame = repo.households(connection, [r["id"] for r in old], ungridded=True,
                                    village_id=village_id)
            assignment = np.asarray(proposal.assignment, dtype=np.int64)
            stale = len(assignment) != len(frame) or (
                isinstance(proposal, VillageProposal)
                and not np.array_equal(proposal.household_ids, frame["id"].to_numpy()))
            if stale or (assignment >= geoms.size).any():
                raise GridEditError("村里的户或网格已有变化，请重新生成方案")
            self._check_workers(connection, sorted({w for w in workers if w is not None}))
            shown = self._shown(old)
            reuse = min(len(old), geoms.size)
            for row, geom in zip(old[:reuse], geoms[:reuse], strict=True):
                uow.update("grid", row["id"], shown[row["id"]], geom=repo.stored_polygon(geom))
            template = old[0] if old else {
                "admin_unit_id": village_id, "parent_id": repo.village_grid(connection,
                                                                            village_id)}
            new_rows = self._insert_grids(uow, template, list(geoms[reuse:]))
            created = [grid_id for grid_id, _, _ in new_rows]
            part_ids = np.array([r["id"] for r in old[:reuse]] + created, dtype=np.int64)
            removed = old[reuse:]
            nearest = largest_overlap(np.array([r["geom"] for r in removed], dtype=object), geoms)
            target_of = {r["id"]: int(part_ids[j]) for r, j in zip(removed, nearest, strict=True)}
            now = frame["grid_id"].to_numpy()
            gone = np.isin(now, list(target_of))
            fallback = pd.Series(now).replace(target_of).to_numpy() if target_of else now
            by_place = np.where(assignment >= 0, part_ids[np.maximum(assignment, 0)], fallback)
            target = np.where(frame["grid_override"].to_numpy() & ~gone, now, by_place)
            moved = self._move_households(uow, frame, target)
            self._set_level3_workers(uow, part_ids, workers, today)
            self._repoint(uow, target_of, today, end_roles={_L3})
            uow.delete_rows("grid", {r["id"]: shown[r["id"]] for r in removed})
            uow.note("apply_rebalance", "admin_unit", {
                "id": int(village_id), "village": village["code"],
                "grids": [r["code"] for r in old[:reuse]] + [c for _, c, _ in new_rows],
                "workers": workers, "removed": [r["code"] for r in removed],
                "households_moved": moved})
        return GridEdit(uow.label, created, [r["id"] for r in old[:reuse]],
                        [r["id"] for r in removed], moved, uow.changes)

    # -- reading
    def _shown(self, rows: list[dict]) -> dict[int, int]:
        """Grid id → the version the session shows (the stored one for a grid it has not read).

        An edit expects these versions: a grid changed by someone since the session read it
        refuses the edit, naming who changed it.
        """
        grids = self.session.grids
        seen = dict(zip(grids["id"].to_numpy().tolist(), grids["version"].to_numpy().tolist(),
                        strict=True))
        return {r["id"]: int(seen.get(r["id"], r["version"])) for r in rows}

    def _level3(self, grid_ids: list[int]) -> list[dict]:
        """Whole rows of level-3 grids with a boundary, in the order asked; GridEditError else.

        A grid stored at another version than the session shows refuses the edit at once
        (StaleEditError), before any computation on a shape the user has not seen.
        """
        ids = [_count(i, "网格编号") for i in grid_ids]
        with self.session.project.engine.connect() as connection:
            rows = repo.grid_rows(connection, ids)
            missing = [i for i in ids if i not in rows]
            shown = set(self.session.grids["id"].tolist())
            for grid_id in missing:
                if grid_id in shown:  # deleted since the session read it: say by whom
                    raise StaleEditError(stale_message(connection, "grid", grid_id, True))
            if missing:
                raise GridEditError(f"网格不存在：{missing}")
            for row in rows.values():
                if row["level"] != 3:
                    raise GridEditError(
                        f"只能编辑三级网格（{row['name']}是{row['level']}级网格）")
                if row["geom"] is None:
                    raise GridEditError(f"{row['name']}没有边界，不能编辑")
            for grid_id, version in self._shown(list(rows.values())).items():
                if rows[grid_id]["version"] != version:
                    raise StaleEditError(stale_message(connection, "grid", grid_id, False))
        return [rows[i] for i in ids]

    @staticmethod
    def _village(connection, village_id: int) -> dict:
        village = repo.village(connection, village_id)
        if village is None or village["level"] != 3:
            raise GridEditError(f"村不存在：{village_id}")
        if village["geom"] is None:
            raise GridEditError(f"{village['name']}没有村界，不能划分网格")
        return village

    @staticmethod
    def _level3_workers(connection, grid_ids, day: dt.date) -> pd.DataFrame:
        """The 三级网格员 rows in force on ``day`` on these grids, by id."""
        serving = current(repo.assignments(connection, grid_ids), day)
        return serving[serving["role"] == _L3].reset_index(drop=True)

    @staticmethod
    def _check_workers(connection, worker_ids: list[int]) -> None:
        if len(set(worker_ids)) != len(worker_ids):
            raise GridEditError("网格员名单中有重复")
        active = repo.worker_activity(connection, worker_ids)
        missing = [w for w in worker_ids if w not in active]
        if missing:
            raise GridEditError(f"网格员不存在：{missing}")
        retired = [w for w in worker_ids if not active[w]]
        if retired:
            raise GridEditError(f"已退出的网格员不能分配网格：{retired}")

    # -- writing, inside the edit's unit of work
    def _insert_grids(self, uow, template: dict, geoms: list,
                      name: str | None = None) -> list[tuple[int, str, str]]:
        """New level-3 grids beside ``template`` (same village and parent), with new codes.

        Returns (id, code, name) of each.
        """
        if not geoms:
            return []
        village = repo.village(uow.connection, template["admin_unit_id"])
        taken = repo.grid_codes(uow.connection, f"G3-{village['code']}-")
        out = []
        for (code, default_name), geom in zip(_next_codes(village, taken, len(geoms)), geoms,
                                              strict=True):  # a few new grids
            grid_id = uow.insert("grid", {
                "code": code, "name": name or default_name, "level": 3,
                "parent_id": template["parent_id"], "admin_unit_id": template["admin_unit_id"],
                "geom": repo.stored_polygon(geom)})
            out.append((int(grid_id), code, name or default_name))
        return out

    def _split(self, row: dict, parts: list, details: dict) -> GridEdit:
        """Write a split: the grid becomes ``parts[0]``, the other parts new grids."""
        today = dt.date.today()
        label = f"拆分网格{row['name']}为{len(parts)}个"
        shown = self._shown([row])[row["id"]]
        with self.session.edit(label) as uow:
            frame = repo.households(uow.connection, [row["id"]])
            uow.update("grid", row["id"], shown, geom=repo.stored_polygon(parts[0]))
            new_rows = self._insert_grids(uow, row, parts[1:])
            created = [grid_id for grid_id, _, _ in new_rows]
            ids = np.array([row["id"], *created], dtype=np.int64)
            try:
                where = assign_households(frame[["lon", "lat"]].to_numpy(),
                                          np.array(parts, dtype=object))
            except ValueError as error:
                raise GridEditError(str(error)) from None
            # Manual placements, and households outside every part, stay in the grid.
            follow = (where >= 0) & ~frame["grid_override"].to_numpy()
            moved = self._move_households(uow, frame,
                                          np.where(follow, ids[np.maximum(where, 0)], row["id"]))
            # Whoever covers the grid covers its parts until the user reassigns them.
            serving = current(repo.assignments(uow.connection, [row["id"]]), today)
            uow.insert_rows("grid_assignment", [
                {"worker_id": int(worker), "grid_id": grid_id, "role": role,
                 "start_date": today, "assigned_by": uow.user}
                for worker, role in zip(serving["worker_id"], serving["role"], strict=True)
                for grid_id in created])
            uow.note("split_grid", "grid", {"id": row["id"], "grid": row["code"],
                                            "new": [c for _, c, _ in new_rows],
                                            "households_moved": moved, **details})
        return GridEdit(label, created, [row["id"]], [], moved, uow.changes)

    @staticmethod
    def _move_households(uow, frame: pd.DataFrame, target: np.ndarray) -> int:
        """Set each household's grid to ``target`` (-1: leave it), at the version read."""
        target = np.asarray(target, dtype=np.int64)
        moved = (target >= 0) & (target != frame["grid_id"].to_numpy())
        uow.update_each("household", {  # one statement per target grid
            int(h): (int(v), {"grid_id": int(g)}) for h, v, g in zip(
                frame["id"].to_numpy()[moved], frame["version"].to_numpy()[moved],
                target[moved], strict=True)})
        return int(moved.sum())

    @staticmethod
    def _repoint(uow, target_of: dict[int, int], today: dt.date,
                 end_roles: set[str] = frozenset()) -> None:
        """Move every assignment row of the grids going away (history too) to their targets.

        A row in force today that would repeat a (worker, role) in force on the target, or whose
        role is in ``end_roles``, is ended today instead of staying in force.
        """
        if not target_of:
            return
        held = current(repo.assignments(uow.connection, set(target_of.values())), today)
        held = set(zip(held["grid_id"], held["worker_id"], held["role"], strict=True))
        rows = repo.assignments(uow.connection, target_of)  # rows of a few grids
        now = in_force(rows["start_date"].to_numpy(), rows["end_date"].to_numpy(), today) \
            if len(rows) else np.zeros(0, bool)
        changes = {}
        for a, serving in zip(rows.itertuples(), now, strict=True):
            values = {"grid_id": target_of[a.grid_id]}
            key = (values["grid_id"], a.worker_id, a.role)
            if serving:
                if key in held or a.role in end_roles:
                    values["end_date"] = today
                else:
                    held.add(key)
            changes[int(a.id)] = (int(a.version), values)
        uow.update_each("grid_assignment", changes)

    def _set_level3_workers(self, uow, grid_ids: np.ndarray, workers: list,
                            today: dt.date) -> None:
        """Each grid's 三级网格员 in force becomes the proposal's worker (unchanged rows stay)."""
        serving = self._level3_workers(uow.connection, grid_ids, today)
        ended, added = {}, []
        for grid_id, worker in zip(grid_ids.tolist(), workers, strict=True):
            mine = serving[serving["grid_id"] == grid_id]
            for a in mine.itertuples():
                if a.worker_id != worker:
                    ended[int(a.id)] = (int(a.version), {"end_date": today})
            if worker is not None and not (mine["worker_id"] == worker).any():
                added.append({"worker_id": int(worker), "grid_id": int(grid_id), "role": _L3,
                              "start_date": today, "assigned_by": uow.user})
        uow.update_each("grid_assignment", ended)
        uow.insert_rows("grid_assignment", added)
