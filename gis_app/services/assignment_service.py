"""Grid workers and their assignments: roster, add/edit/retire, assign/unassign.

Every change is one unit of work of the session (rows checked at the versions the user saw,
audit rows, one undo step) and returns the change set the session has applied. History is
kept: a retired worker stays in the roster, an ended assignment keeps its dates.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from gis_app.analysis.grid_membership import grid_membership
from gis_app.core.assignments import current, end_day
from gis_app.core.changes import ChangeSet
from gis_app.core.codes import WorkerRole
from gis_app.core.idcard import validation_error

#: Fields of a worker the roster form edits.
EDITABLE_FIELDS = ("name", "phone", "unit", "title", "id_number")
#: Roles a worker may hold on a grid (DOMAIN §2); 结对帮扶责任人 is paired with households.
ASSIGNABLE_ROLES = tuple(WorkerRole)


def check_worker_fields(values: dict) -> None:
    """Refuse an empty name, a phone that is not 11 digits, an ID number failing GB 11643."""
    if "name" in values and not (values["name"] or "").strip():
        raise ValueError("姓名不能为空")
    phone = values.get("phone")
    if phone and (not phone.isdigit() or len(phone) != 11):
        raise ValueError(f"手机号码应为11位数字：{phone}")
    if values.get("id_number"):
        error = validation_error(values["id_number"])
        if error:
            raise ValueError(f"身份证号码有误：{error}")


class AssignmentService:
    """Use cases of the worker roster, on a :class:`~gis_app.services.session.ProjectSession`."""

    def __init__(self, session):
        self.session = session

    # -- reading (from the session: what the user sees)
    def roster(self, day: dt.date | None = None) -> pd.DataFrame:
        """Every worker with roles, grids and load (households, monitored, persons) on ``day``."""
        workers = self.session.workers
        now = self.session.current_assignments(day)
        grids = now.groupby("worker_id").agg(
            roles=("role", lambda r: "、".join(sorted(set(r)))),
            grids=("grid_code", lambda c: "、".join(c)))
        frame = workers.merge(grids, left_on="id", right_index=True, how="left")
        frame = frame.merge(self.household_load(now), left_on="id", right_index=True,
                            how="left")
        for name in ("households", "monitored", "persons"):
            frame[name] = frame[name].fillna(0).astype(int)
        return frame.fillna({"roles": "", "grids": ""})

    def current_assignments(self, day: dt.date | None = None) -> pd.DataFrame:
        """Assignments in force on ``day`` with their grid's code, name and level."""
        return self.session.current_assignments(day)

    def worker_history(self, worker_id: int) -> pd.DataFrame:
        """Every assignment a worker held or holds (ended ones keep their dates)."""
        rows = self.session.assignments
        rows = rows[rows["worker_id"] == worker_id]
        grids = self.session.grids.set_index("id")
        return rows.assign(grid_code=rows["grid_id"].map(grids["code"]),
                           grid_name=rows["grid_id"].map(grids["name"]),
                           grid_level=rows["grid_id"].map(grids["level"])).reset_index(drop=True)

    def household_load(self, now: pd.DataFrame) -> pd.DataFrame:
        """Households, monitored households and persons in each worker's grids (all levels)."""
        households = self.session.households
        membership = grid_membership(households["id"], households["grid_id"],
                                     self.session.grids)
        per_household = households.set_index("id")
        membership["monitored"] = membership["household"].map(per_household["attribute"] == 2)
        membership["persons"] = membership["household"].map(per_household["members"])
        joined = now[["worker_id", "grid_id"]].merge(membership, on="grid_id")
        joined = joined.drop_duplicates(["worker_id", "household"])
        return joined.groupby("worker_id").agg(households=("household", "size"),
                                               monitored=("monitored", "sum"),
                                               persons=("persons", "sum"))

    def _worker(self, worker_id: int) -> pd.Series:
        workers = self.session.workers
        rows = workers[workers["id"] == int(worker_id)]
        if not len(rows):
            raise ValueError(f"项目中没有编号为{worker_id}的网格员")
        return rows.iloc[0]

    # -- changes
    def add_worker(self, name: str, phone: str, unit: str | None = None,
                   title: str | None = None, id_number: str | None = None) -> int:
        """A new active worker; returns the id."""
        check_worker_fields({"name": name, "phone": phone, "id_number": id_number})
        with self.session.edit(f"添加网格员{name.strip()}") as uow:
            return int(uow.insert("worker", {
                "name": name.strip(), "phone": phone or None, "unit": unit, "title": title,
                "id_number": id_number or None, "active": True}))

    def edit_worker(self, worker_id: int, version: int, **values) -> ChangeSet:
        """Change a worker's fields; ``version`` is the one the form read (stale: refused)."""
        unknown = set(values) - set(EDITABLE_FIELDS)
        if unknown:
            raise ValueError(f"不能修改的字段：{sorted(unknown)}")
        check_worker_fields(values)
        name = self._worker(worker_id)["name"]
        with self.session.edit(f"修改网格员{name}") as uow:
            uow.update("worker", int(worker_id), int(version), **values)
        return uow.changes

    def retire_worker(self, worker_id: int, on: dt.date | None = None) -> ChangeSet:
        """Retire a worker and end their assignments in force; the history stays."""
        on = end_day(on)
        worker = self._worker(worker_id)
        rows = current(self.session.assignments, on)
        rows = rows[rows["worker_id"] == int(worker_id)]
        with self.session.edit(f"网格员{worker['name']}退出") as uow:
            uow.update("worker", int(worker_id), int(worker["version"]), active=False,
                       retired_on=on)
            uow.update_rows("grid_assignment", _versions(rows), {"end_date": on})
        return uow.changes

    def assign(self, worker_ids: list[int], grid_ids: list[int], role: str,
               on: dt.date | None = None) -> list[int]:
        """Make each worker responsible for each grid in ``role``; returns the new assignment ids.

        A worker already holding that role on that grid is skipped (no duplicate rows); when
        every pair is held already nothing is written (no undo step).
        """
        if role not in {r.value for r in ASSIGNABLE_ROLES}:
            raise ValueError(f"未知的职务：{role}")
        on = on or dt.date.today()
        workers = self.session.workers.set_index("id")
        for worker_id in worker_ids:
            if int(worker_id) not in workers.index:
                raise ValueError(f"项目中没有编号为{worker_id}的网格员")
            if not bool(workers.loc[int(worker_id), "active"]):
                raise ValueError("已退出的网格员不能再分配网格")
        known = set(self.session.grids["id"].astype(int))
        missing = [g for g in grid_ids if int(g) not in known]
        if missing:
            raise ValueError(f"网格不存在：{missing}")
        held = current(self.session.assignments, on)
        held = set(zip(held.loc[held["role"] == role, "worker_id"].astype(int),
                       held.loc[held["role"] == role, "grid_id"].astype(int), strict=True))
        pairs = [(int(w), int(g)) for w in dict.fromkeys(worker_ids)
                 for g in dict.fromkeys(grid_ids) if (int(w), int(g)) not in held]
        if not pairs:
            return []
        with self.session.edit(f"分配{len(pairs)}项（{role}）") as uow:
            return [int(uow.insert("grid_assignment", {
                "worker_id": w, "grid_id": g, "role": role, "start_date": on,
                "assigned_by": self.session.user})) for w, g in pairs]

    def unassign(self, assignment_ids: list[int], on: dt.date | None = None) -> ChangeSet:
        """End assignments from ``on`` (today): the rows stay, with their end date."""
        on = end_day(on)
        rows = self.session.assignments
        rows = rows[rows["id"].isin([int(i) for i in assignment_ids])]
        rows = current(rows, on)
        if not len(rows):
            return ChangeSet()
        with self.session.edit(f"取消分配{len(rows)}项") as uow:
            uow.update_rows("grid_assignment", _versions(rows), {"end_date": on})
        return uow.changes


def _versions(rows: pd.DataFrame) -> dict[int, int]:
    """Id → version of the rows the user saw."""
    return dict(zip(rows["id"].astype(int), rows["version"].astype(int), strict=True))
