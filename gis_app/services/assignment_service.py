"""Grid workers and their assignments: roster, add/edit/retire, assign/unassign, with undo.

Every change is one step on an undo stack and one row of the audit log (who, when, what). History
is kept: a retired worker stays in the roster, an ended assignment keeps its dates.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import insert, select, update

from gis_app.core.codes import WorkerRole
from gis_app.core.idcard import validation_error
from gis_app.services.undo import Step, UndoStack
from gis_app.storage.audit import current_user, log_change
from gis_app.storage.models import GridAssignment, Worker
from gis_app.storage.project import Project
from gis_app.storage.reader import load_grids, load_households, load_table

_EDITABLE = ("name", "phone", "unit", "title", "id_number")
#: Roles a worker may hold on a grid (DOMAIN §2); 结对帮扶责任人 is paired with households.
ASSIGNABLE_ROLES = tuple(WorkerRole)


def _check_worker_fields(values: dict) -> None:
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


class StaleEdit(Exception):
    """Someone else changed the row since it was read; reload and try again."""


class AssignmentService:
    """Use cases of the worker roster, bound to a project and a user."""

    def __init__(self, project: Project, user: str | None = None,
                 undo_stack: UndoStack | None = None):
        self.project = project
        self.user = user or current_user()
        # The window passes the stack its other editing services share.
        self.undo_stack = undo_stack if undo_stack is not None else UndoStack()

    # -- reading
    def roster(self) -> pd.DataFrame:
        """Every worker with roles, grids and current load (households, monitored, persons)."""
        engine = self.project.engine
        workers = load_table(engine, "worker")
        current = self.current_assignments()
        load = self.household_load(current)
        grids = current.groupby("worker_id").agg(
            roles=("role", lambda r: "、".join(sorted(set(r)))),
            grids=("grid_code", lambda c: "、".join(c)))
        frame = workers.merge(grids, left_on="id", right_index=True, how="left")
        frame = frame.merge(load, left_on="id", right_index=True, how="left")
        for name in ("households", "monitored", "persons"):
            frame[name] = frame[name].fillna(0).astype(int)
        return frame.fillna({"roles": "", "grids": ""})

    def current_assignments(self) -> pd.DataFrame:
        """Open assignments with their grid's code, name and level."""
        assignments = self._assignments_with_grids()
        return assignments[assignments["end_date"].isna()].reset_index(drop=True)

    def worker_history(self, worker_id: int) -> pd.DataFrame:
        """Every assignment a worker held or holds (ended ones keep their dates)."""
        assignments = self._assignments_with_grids()
        return assignments[assignments["worker_id"] == worker_id].reset_index(drop=True)

    def _assignments_with_grids(self) -> pd.DataFrame:
        """Assignments with their grid's code, name and level and the worker's name."""
        assignments = load_table(self.project.engine, "grid_assignment")
        names = load_table(self.project.engine, "worker", ["id", "name"]).set_index("id")["name"]
        assignments["worker_name"] = assignments["worker_id"].map(names)
        grids = load_table(self.project.engine, "grid", ["id", "code", "name", "level"])
        return assignments.merge(grids.rename(columns={"id": "grid_id", "code": "grid_code",
                                                   "name": "grid_name", "level": "grid_level"}),
                             on="grid_id", how="left")

    def household_load(self, current: pd.DataFrame) -> pd.DataFrame:
        """Households, monitored households and persons in each worker's grids (all levels)."""
        households = load_households(self.project.engine, with_codes=False)
        grids = load_grids(self.project.engine)
        parent = grids.set_index("id")["parent_id"]
        # Each household counts for its level-3 grid and every grid above it.
        chain = pd.DataFrame({"household": households["id"], "grid_id": households["grid_id"]})
        links = [chain.dropna()]
        while len(links[-1]):
            up = links[-1].assign(grid_id=links[-1]["grid_id"].map(parent)).dropna()
            links.append(up)
        membership = pd.concat(links).astype({"grid_id": "int64"})
        per_household = households.set_index("id")
        membership["monitored"] = membership["household"].map(per_household["attribute"] == 2)
        membership["persons"] = membership["household"].map(per_household["members"])
        joined = current[["worker_id", "grid_id"]].merge(membership, on="grid_id")
        joined = joined.drop_duplicates(["worker_id", "household"])
        return joined.groupby("worker_id").agg(households=("household", "size"),
                                               monitored=("monitored", "sum"),
                                               persons=("persons", "sum"))

    # -- changes
    def _apply(self, step: Step, action: str, details: dict) -> None:
        with self.project.engine.begin() as connection:
            log_change(connection, action, "worker", None, details, self.user)
        self.undo_stack.push(step)

    def add_worker(self, name: str, phone: str, unit: str | None = None,
                   title: str | None = None, id_number: str | None = None) -> int:
        """A new active worker; returns the id."""
        _check_worker_fields({"name": name, "phone": phone, "id_number": id_number})
        table = Worker.__table__
        with self.project.engine.begin() as connection:
            worker_id = connection.execute(insert(table).values(
                name=name.strip(), phone=phone, unit=unit, title=title, id_number=id_number,
                active=True, version=1).returning(table.c.id)).scalar_one()
        self._apply(Step(f"添加网格员{name}", inserted=[(table, worker_id)]), "add_worker",
                    {"worker": worker_id, "name": name})
        return worker_id

    def edit_worker(self, worker_id: int, version: int, **values) -> None:
        """Change a worker's fields; ``version`` is the one read (a stale edit is refused)."""
        unknown = set(values) - set(_EDITABLE)
        if unknown:
            raise ValueError(f"不能修改的字段：{sorted(unknown)}")
        _check_worker_fields(values)
        before = self._update(Worker.__table__, worker_id, version, values)
        step = Step(f"修改网格员{worker_id}", updated=[(Worker.__table__, worker_id, before)])
        self._apply(step, "edit_worker", {"worker": worker_id, **values})

    def retire_worker(self, worker_id: int, on: dt.date | None = None) -> None:
        """Retire a worker and end their open assignments; the history stays."""
        on = on or dt.date.today()
        table, assignments = Worker.__table__, GridAssignment.__table__
        step = Step(f"网格员{worker_id}退出")
        with self.project.engine.begin() as connection:
            version = connection.execute(select(table.c.version).where(
                table.c.id == worker_id)).scalar_one()
            open_rows = connection.execute(select(assignments.c.id, assignments.c.version).where(
                (assignments.c.worker_id == worker_id) & assignments.c.end_date.is_(None))).all()
        step.updated.append((table, worker_id, self._update(
            table, worker_id, version, {"active": False, "retired_on": on})))
        for assignment_id, assignment_version in open_rows:
            step.updated.append((assignments, assignment_id, self._update(
                assignments, assignment_id, assignment_version, {"end_date": on})))
        self._apply(step, "retire_worker", {"worker": worker_id, "on": on})

    def assign(self, worker_ids: list[int], grid_ids: list[int], role: str,
               on: dt.date | None = None) -> list[int]:
        """Make each worker responsible for each grid in ``role``; returns the new assignment ids.

        A worker already holding that role on that grid is skipped (no duplicate rows).
        """
        if role not in {r.value for r in ASSIGNABLE_ROLES}:
            raise ValueError(f"未知的职务：{role}")
        on = on or dt.date.today()
        table = GridAssignment.__table__
        current = load_table(self.project.engine, "grid_assignment")
        current = current[current["end_date"].isna() & (current["role"] == role)]
        held = set(zip(current["worker_id"], current["grid_id"], strict=True))
        retired = set(load_table(self.project.engine, "worker", ["id", "active"]).query(
            "not active")["id"])
        if retired & set(worker_ids):
            raise ValueError("已退出的网格员不能再分配网格")
        new_ids = []
        with self.project.engine.begin() as connection:
            for worker_id in worker_ids:  # the user's pick: a handful of workers and grids
                for grid_id in grid_ids:
                    if (worker_id, grid_id) in held:
                        continue
                    new_ids.append(connection.execute(insert(table).values(
                        worker_id=int(worker_id), grid_id=int(grid_id), role=role, start_date=on,
                        assigned_by=self.user, version=1).returning(table.c.id)).scalar_one())
        self._apply(Step(f"分配{len(new_ids)}项", inserted=[(table, i) for i in new_ids]),
                    "assign", {"workers": list(map(int, worker_ids)),
                               "grids": list(map(int, grid_ids)), "role": role})
        return new_ids

    def unassign(self, assignment_ids: list[int], on: dt.date | None = None) -> None:
        """End assignments (the rows stay, with their end date)."""
        on = on or dt.date.today()
        table = GridAssignment.__table__
        with self.project.engine.connect() as connection:
            versions = dict(connection.execute(select(table.c.id, table.c.version).where(
                table.c.id.in_(list(map(int, assignment_ids))))).all())
        step = Step(f"取消分配{len(versions)}项")
        for assignment_id, version in versions.items():
            step.updated.append((table, assignment_id,
                                 self._update(table, assignment_id, version, {"end_date": on})))
        self._apply(step, "unassign", {"assignments": list(versions)})

    def _update(self, table, row_id: int, version: int, values: dict) -> dict:
        """Update one row if its version is still ``version``; return the values it had."""
        with self.project.engine.begin() as connection:
            before = connection.execute(select(*[table.c[k] for k in values]).where(
                table.c.id == row_id)).one()._asdict()
            changed = connection.execute(update(table).where(
                (table.c.id == row_id) & (table.c.version == version)).values(
                **values, version=version + 1)).rowcount
        if changed != 1:
            raise StaleEdit("该记录已被他人修改，请刷新后重试")
        return before

    # -- undo
    def can_undo(self) -> bool:
        """True when there is a change to undo (on the shared stack)."""
        return self.undo_stack.can_undo()

    def undo(self) -> str | None:
        """Revert the last change on the shared stack (one audit row says so); returns its label."""
        return self.undo_stack.undo(self.project, self.user)
