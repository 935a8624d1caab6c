"""Risk clues and their deadlines: due dates, who answers for each, the overdue view, visit lists.

A clue must be verified at the household within the project's number of working days
(``thresholds.clue_verify_working_days``, 5 by DOMAIN §5), counted by
:mod:`gis_app.core.workdays`: the day found is day 0 and the deadline is the n-th working day
after it. A clue still open after its deadline is overdue; one verified after it was verified
late. The worker who answers for a household's clue is the one responsible for its level-3
grid on the day asked (:func:`gis_app.core.assignments.current`, the roles of
:data:`gis_app.core.codes.RESPONSIBLE_ROLES`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gis_app.core.assignments import current
from gis_app.core.codes import RESPONSIBLE_ROLES
from gis_app.core.idcard import mask_id, mask_phone
from gis_app.core.workdays import add_working_days, china_calendar, working_days_between
from gis_app.services.export_service import PersonalDataDenied, may_see_personal_data
from gis_app.storage.audit import current_user
from gis_app.storage.project import Project
from gis_app.storage.reader import load_table

#: A clue's standing on a day.
OPEN, OVERDUE, VERIFIED, LATE = "待核实", "已超期", "已核实", "超期核实"
#: Columns of :attr:`Clues.frame` shown to users, with their Chinese headers.
COLUMNS: dict[str, str] = {
    "head_name": "户主姓名",
    "head_id_number": "证件号码",
    "phone": "联系电话",
    "village": "村（社区）",
    "grid": "网格",
    "worker": "责任网格员",
    "channel": "发现渠道",
    "found_on": "发现日期",
    "due_on": "核实期限",
    "verified_on": "核实日期",
    "status": "状态",
    "days_overdue": "超期天数",
}


@dataclass
class Clues:
    """Risk clues with their deadlines on a day, ready for a table or ``--json``.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per clue: ``clue_id, version, event_id, household_id`` and :data:`COLUMNS`'
        keys, plus ``grid_id, worker_id`` (the first responsible worker, ``<NA>`` when none),
        ``overdue`` (open after its deadline) and ``working_days_overdue``. ``days_overdue``
        counts calendar days past the deadline (open: to ``as_of``; verified late: to the
        day verified; else 0). Personal data masked unless ``unmasked``.
    as_of : datetime.date
        The day the standing is for.
    working_days : int
        The deadline's number of working days (the project setting).
    warnings : list of str
        Years counted without the State Council's notice (see :mod:`gis_app.core.workdays`).
    """

    frame: pd.DataFrame
    as_of: dt.date
    working_days: int
    warnings: list[str] = field(default_factory=list)
    unmasked: bool = False

    def table(self) -> pd.DataFrame:
        """The clues as users see them: Chinese headers, empty cells as ''."""
        frame = self.frame[list(COLUMNS)].astype(object)
        return frame.where(frame.notna(), "").rename(columns=COLUMNS)


def verify_days(project: Project) -> int:
    """The project's number of working days to verify a clue (DOMAIN §5)."""
    days = project.thresholds().clue_verify_working_days
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"项目设置中的线索核实期限无效：{days}（应为正整数个工作日）")
    return days


def due_dates(found_on, days: int) -> tuple[np.ndarray, list[str]]:
    """Deadlines (``datetime64[D]``) of clues found on ``found_on``, and calendar warnings."""
    found = np.asarray(pd.to_datetime(pd.Series(found_on, dtype=object)).to_numpy(),
                       dtype="datetime64[D]")
    if not len(found):
        return found, []
    years = found.astype("datetime64[Y]").astype(int) + 1970
    # A deadline lands at most a few weeks later: the next year is enough for any setting
    # below a year's working days.
    calendar = china_calendar(range(int(years.min()), int(years.max()) + 2))
    return add_working_days(found, days, calendar), calendar.warnings()


def responsible_workers(project: Project, grid_ids, day: dt.date) -> pd.DataFrame:
    """Who answers for each level-3 grid on ``day``: ``grid_id, worker_id, worker, phone``.

    ``worker_id`` is the first by role (三级网格员 before 网格长 …) and name; ``worker`` names
    every responsible worker in that order. Grids without one are left out.
    """
    roles = [str(r) for r in RESPONSIBLE_ROLES[3]]
    assignments = load_table(project.engine, "grid_assignment",
                             ["worker_id", "grid_id", "role", "start_date", "end_date"])
    assignments = current(assignments, day)
    grid_ids = pd.Series(grid_ids, dtype="Int64").dropna().unique()
    rows = assignments[assignments["grid_id"].isin(grid_ids)
                       & assignments["role"].isin(roles)]
    workers = load_table(project.engine, "worker", ["id", "name", "phone", "active"])
    workers = workers[workers["active"].astype(bool)].set_index("id")
    rows = rows[rows["worker_id"].isin(workers.index)]
    rows = rows.assign(rank=rows["role"].map({r: i for i, r in enumerate(roles)}),
                       name=rows["worker_id"].map(workers["name"]))
    rows = rows.sort_values(["grid_id", "rank", "name", "worker_id"]).drop_duplicates(
        ["grid_id", "worker_id"])
    grouped = rows.groupby("grid_id", sort=True)
    first = grouped["worker_id"].first()
    return pd.DataFrame({
        "grid_id": first.index.to_numpy(np.int64),
        "worker_id": first.to_numpy(np.int64),
        "worker": grouped["name"].agg("、".join).to_numpy(object),
        "phone": first.map(workers["phone"]).to_numpy(object),
    })


def load_clues(project: Project, as_of: dt.date | None = None, *, event_id: int | None = None,
               clue_ids=None, open_only: bool = False, unmask: bool = False,
               user: str | None = None) -> Clues:
    """Clues with their deadlines, households, places and responsible workers on ``as_of``.

    Parameters
    ----------
    project : Project
        The open project.
    as_of : datetime.date, optional
        The day of the standing and of the responsible workers (default today).
    event_id : int, optional
        Only the clues of this disaster event.
    clue_ids : iterable of int, optional
        Only these clues.
    open_only : bool
        Only clues not verified yet.
    unmask : bool
        ID numbers and phones in full; allowed only to users in ``personal_data_users``.
    user : str, optional
        Who asks (default: the current user).

    Raises
    ------
    PersonalDataDenied
        ``unmask`` asked by a user without the right.
    """
    user = user or current_user()
    if unmask and not may_see_personal_data(project, user):
        raise PersonalDataDenied(f"用户{user}无权查看未脱敏的个人信息（证件号码、电话）")
    as_of = as_of or dt.date.today()
    days = verify_days(project)
    clues = load_table(project.engine, "risk_clue")
    if event_id is not None:
        clues = clues[clues["event_id"] == int(event_id)]
    if clue_ids is not None:
        clues = clues[clues["id"].isin([int(i) for i in clue_ids])]
    if open_only:
        clues = clues[clues["verified_on"].isna()]
    clues = clues.sort_values(["found_on", "id"]).reset_index(drop=True)
    wanted = np.unique(clues["household_id"].to_numpy(np.int64))
    # A few clues (an edit's, one verified) read their households only; many, the whole column.
    households = load_table(project.engine, "household",
                            ["id", "head_name", "head_id_number", "phone", "village_id",
                             "grid_id"], ids=wanted if len(wanted) <= 5000 else None
                            ).set_index("id")
    units = load_table(project.engine, "admin_unit", ["id", "name"]).set_index("id")["name"]
    grids = load_table(project.engine, "grid", ["id", "name"]).set_index("id")["name"]
    home = households.reindex(clues["household_id"].to_numpy())
    grid_id = home["grid_id"].astype("Int64").to_numpy()
    answer = responsible_workers(project, grid_id, as_of).set_index("grid_id")
    due, warnings = due_dates(clues["found_on"], days)
    today = np.datetime64(as_of, "D")
    verified = np.asarray(pd.to_datetime(clues["verified_on"]).to_numpy(), dtype="datetime64[D]")
    is_open = np.isnat(verified)
    until = np.where(is_open, today, verified)
    late = until > due
    status = np.where(is_open, np.where(late, OVERDUE, OPEN), np.where(late, LATE, VERIFIED))
    over = np.where(late, (until - due).astype(np.int64), 0) if len(clues) else \
        np.zeros(0, np.int64)
    protect_id = (lambda v: v or "") if unmask else mask_id
    protect_phone = (lambda v: v or "") if unmask else mask_phone
    frame = pd.DataFrame({
        "clue_id": clues["id"].to_numpy(np.int64),
        "version": clues["version"].to_numpy(np.int64),
        "event_id": clues["event_id"].astype("Int64").to_numpy(),
        "household_id": clues["household_id"].to_numpy(np.int64),
        "head_name": home["head_name"].to_numpy(object),
        "head_id_number": home["head_id_number"].map(protect_id).to_numpy(object),
        "phone": home["phone"].map(protect_phone).to_numpy(object),
        "village": home["village_id"].map(units).to_numpy(object),
        "grid_id": pd.array(grid_id, dtype="Int64"),
        "grid": pd.Series(grid_id, dtype="Int64").map(grids).to_numpy(object),
        "worker_id": pd.Series(grid_id, dtype="Int64").map(answer["worker_id"]).astype(
            "Int64").to_numpy(),
        "worker": pd.Series(grid_id, dtype="Int64").map(answer["worker"]).to_numpy(object),
        "worker_phone": pd.Series(grid_id, dtype="Int64").map(answer["phone"]).map(
            lambda v: None if v is None or v != v else protect_phone(v)).to_numpy(object),
        "channel": clues["channel"].to_numpy(object),
        "found_on": clues["found_on"].to_numpy(object),
        "due_on": pd.Series(due).dt.date.to_numpy(object) if len(due) else [],
        "verified_on": clues["verified_on"].to_numpy(object),
        "status": status.astype(object),
        "overdue": is_open & late,
        "days_overdue": over,
        "working_days_overdue": _working_days_late(due, until, late),
    })
    return Clues(frame, as_of, days, warnings, unmask)


def _working_days_late(due: np.ndarray, until: np.ndarray, late: np.ndarray) -> np.ndarray:
    """Working days from each deadline to ``until`` (0 where not late)."""
    if not late.any():
        return np.zeros(len(due), dtype=np.int64)
    years = np.concatenate([due, until]).astype("datetime64[Y]").astype(int) + 1970
    calendar = china_calendar(range(int(years.min()), int(years.max()) + 1))
    counted = working_days_between(due, until, calendar)
    return np.where(late, counted, 0).astype(np.int64)


def overdue_clues(project: Project, as_of: dt.date | None = None, unmask: bool = False,
                  user: str | None = None) -> Clues:
    """Open clues past their deadline on ``as_of``, the longest overdue first."""
    clues = load_clues(project, as_of, open_only=True, unmask=unmask, user=user)
    frame = clues.frame[clues.frame["overdue"].to_numpy(bool)]
    clues.frame = frame.sort_values(["days_overdue", "found_on", "clue_id"],
                                    ascending=[False, True, True]).reset_index(drop=True)
    return clues


def clue_visit_lists(project: Project, clues: Clues, title: str, unmask: bool = False,
                     user: str | None = None):
    """A visit list (走访清单) per responsible worker of ``clues`` (their open ones).

    Each list holds the worker's households in walking order with the map of
    :mod:`gis_app.services.visit_list_service`; the status column says 待核实 or 已超期 with
    the deadline.

    Returns
    -------
    (list of VisitList, pandas.DataFrame)
        The lists (by worker name), and the open clues whose household has no responsible
        worker.
    """
    from gis_app.services.visit_list_service import households_visit_list

    frame = clues.frame[pd.isna(clues.frame["verified_on"]).to_numpy()]
    assigned = frame[frame["worker_id"].notna().to_numpy()]
    lists = []
    for worker_id, mine in assigned.groupby("worker_id", sort=False):
        households = pd.DataFrame({
            "id": mine["household_id"].to_numpy(np.int64),
            "status": [f"{s}（期限{d}）" for s, d in zip(mine["status"], mine["due_on"],
                                                     strict=True)],
        })
        task = {"name": title, "start_date": min(mine["found_on"]),
                "end_date": max(mine["due_on"]), "task_label": "核实任务"}
        lists.append(households_visit_list(project, int(worker_id), households, task,
                                           unmask=unmask, user=user, as_of=clues.as_of))
    lists.sort(key=lambda v: (v.worker["name"], v.worker["id"]))
    return lists, frame[frame["worker_id"].isna().to_numpy()].reset_index(drop=True)
