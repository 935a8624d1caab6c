"""Recording a visit (走访记录) of the centralized investigation, one household at a time.

Each record is checked (codes, the household, the campaign) and written as one unit of work of
the session (record, audit row, undo step); the session hands it to the campaign's
:class:`CoverageTracker`, so the coverage views redraw from counts kept up to date instead of a
recomputation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from gis_app.core.codes import InvestigationMethod, LabeledIntEnum, MonitoringType, RiskType
from gis_app.core.compliance import answer_codes, local_flags
from gis_app.core.coverage import COVERED, CoverageStatus
from gis_app.services.import_report import ImportReport
from gis_app.storage.repositories import records as repository

#: A record's broken rules as the form and the status bar name them (rule of
#: :data:`gis_app.core.compliance.RULES` → short Chinese flag).
FLAGS: dict[str, str] = {
    "remote_not_away": "电话核查但非全家外出",
    "no_checker": "无核查人",
    "date_outside_campaign": "日期不在排查期内",
    "conflicting_answers": "重复核查结论冲突",
}

_BOOLEANS = ("whole_household_away", "housing_problem", "education_problem",
             "insurance_problem", "water_problem", "has_risk", "proposed_rollback",
             "proposed_removal")
#: The annex-2 fields :meth:`RecordService.add_record` takes.
FIELDS: tuple[str, ...] = ("method", "checked_on", "checker", "checker_worker_id",
                           "other_problems", "risk_type", "proposed_monitoring_type", *_BOOLEANS)


@dataclass(frozen=True)
class RecordResult:
    """A saved record and its compliance verdict.

    Attributes
    ----------
    record_id : int
        The new ``investigation_record`` row.
    flags : dict
        Broken rule → Chinese flag (see :data:`FLAGS`); empty when the record is compliant.
    status : CoverageStatus
        The household's coverage status after the record.
    """

    record_id: int
    flags: dict[str, str]
    status: CoverageStatus

    @property
    def compliant(self) -> bool:
        """No rule broken."""
        return not self.flags

    @property
    def covered(self) -> bool:
        """The household now counts as covered."""
        return self.status in COVERED


def _code(enum: type[LabeledIntEnum], value, field: str, required: bool = False):
    """``value`` as a member of ``enum`` (codes, members or labels); None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()) or pd.isna(value):
        if required:
            raise ValueError(f"请选择{field}")
        return None
    try:
        return enum.from_label(value) if isinstance(value, str) else enum(int(value))
    except (ValueError, TypeError):
        raise ValueError(f"{field}无效：{value}") from None


def _date(value) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"排查日期无效：{value}") from None


def clean_fields(fields: dict) -> dict:
    """Check and normalise a record's annex-2 fields (codes, date, text, yes/no).

    Raises
    ------
    ValueError
        With the reason in Chinese: an unknown field, an invalid code, a risk type without
        a risk, a risk without its type.
    """
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise ValueError(f"走访记录没有这些字段：{'、'.join(unknown)}")
    values = {name: bool(fields.get(name, False)) for name in _BOOLEANS}
    values["method"] = int(_code(InvestigationMethod, fields.get("method"), "排查方式", True))
    risk = _code(RiskType, fields.get("risk_type"), "致返贫风险类型")
    proposed = _code(MonitoringType, fields.get("proposed_monitoring_type"), "拟纳入监测类型")
    if values["has_risk"] and risk is None:
        raise ValueError("存在致返贫风险时请选择风险类型")
    if not values["has_risk"] and risk is not None:
        raise ValueError("未勾选“存在致返贫风险”时不应填写风险类型")
    if not values["has_risk"] and proposed is not None:
        raise ValueError("未勾选“存在致返贫风险”时不应拟纳入监测")
    values["risk_type"] = None if risk is None else int(risk)
    values["proposed_monitoring_type"] = None if proposed is None else int(proposed)
    values["checked_on"] = _date(fields.get("checked_on"))
    for name in ("checker", "other_problems"):
        text = str(fields.get(name) or "").strip()
        values[name] = text or None
    worker = fields.get("checker_worker_id")
    values["checker_worker_id"] = None if worker is None else int(worker)
    return values


class RecordService:
    """Visits of one campaign, on a :class:`~gis_app.services.session.ProjectSession`.

    Parameters
    ----------
    session : ProjectSession
        The session whose views follow the records.
    campaign_id : int, optional
        The campaign records go to (default: the session's current campaign).
    """

    def __init__(self, session, campaign_id: int | None = None):
        self.session = session
        campaign_id = session.campaign_id if campaign_id is None else int(campaign_id)
        campaigns = session.frame("campaigns")
        rows = campaigns[campaigns["id"] == campaign_id]
        if campaign_id is None or not len(rows):
            raise ValueError("项目中还没有这个集中排查，请先新建排查任务")
        self.campaign_id = int(campaign_id)
        self.campaign = rows.iloc[0].to_dict()

    @property
    def tracker(self):
        """The campaign's coverage counts (the session's, when it follows this campaign)."""
        if self.session.campaign_id != self.campaign_id:
            self.session.set_campaign(self.campaign_id)
        return self.session.coverage()

    # -- reading
    def covers(self, household_id: int) -> bool:
        """True when the household lies in one of the campaign's townships."""
        return int(household_id) in self.tracker.ids

    def status_of(self, household_id: int) -> CoverageStatus:
        """The household's coverage status in this campaign (UNCHECKED when outside it)."""
        tracker = self.tracker
        if int(household_id) not in tracker.ids:
            return CoverageStatus.UNCHECKED
        return CoverageStatus(int(tracker.status[tracker.ids.get_loc(int(household_id))]))

    def household(self, household_id: int) -> dict:
        """What the form shows of a household: head, ID, village, grid, and its grid's workers.

        Returns
        -------
        dict
            ``id, head_name, head_id_number, township, village, grid_code, grid_name,
            in_campaign, workers`` (a DataFrame ``id, name, role`` of the workers in force on
            the household's grid today, by the rule of :mod:`gis_app.core.assignments`).

        Raises
        ------
        ValueError
            When the project has no such household.
        """
        household_id = int(household_id)
        households = self.session.households
        rows = households[households["id"] == household_id]
        if not len(rows):
            raise ValueError(f"项目中没有编号为{household_id}的农户")
        row = rows.iloc[0]
        head = self.session.household_columns(["head_name", "head_id_number"],
                                              [household_id]).iloc[0]
        grids = self.session.grids.set_index("id")
        units = self.session.frame("admin_units").set_index("id")
        grid_id = None if pd.isna(row["grid_id"]) else int(row["grid_id"])
        village_id = None if pd.isna(row["village_id"]) else int(row["village_id"])
        township_id = None if village_id is None else units.loc[village_id, "parent_id"]
        now = self.session.current_assignments()
        workers = now[(now["grid_id"] == grid_id)]
        active = self.session.workers.set_index("id")["active"]
        workers = workers[workers["worker_id"].map(active).fillna(False).astype(bool)]
        workers = workers[["worker_id", "worker_name", "role"]].rename(
            columns={"worker_id": "id", "worker_name": "name"})
        return {
            "id": household_id,
            "head_name": head["head_name"],
            "head_id_number": head["head_id_number"],
            "township": None if pd.isna(township_id) or township_id is None
            else units.loc[int(township_id), "name"],
            "village": None if village_id is None else units.loc[village_id, "name"],
            "grid_code": None if grid_id is None else grids.loc[grid_id, "code"],
            "grid_name": None if grid_id is None else grids.loc[grid_id, "name"],
            "in_campaign": self.covers(household_id),
            "workers": workers[["id", "name", "role"]].sort_values("name")
            .drop_duplicates("id").reset_index(drop=True),
        }

    # -- checking and saving
    def _verdict(self, connection, household_id: int, values: dict) -> dict[str, str]:
        """Broken rules of a record about to be added (its household's earlier records too)."""
        local = local_flags([values["method"]], [values["checked_on"]], [values["checker"]],
                            [values["whole_household_away"]], self.campaign["start_date"],
                            self.campaign["end_date"])
        earlier = repository.household_answers(connection, self.campaign_id, household_id)
        answers = answer_codes(
            [*earlier["has_risk"].astype(bool), values["has_risk"]],
            pd.array([*earlier["risk_type"], values["risk_type"]], dtype="Int64"),
            pd.array([*earlier["proposed_monitoring_type"],
                      values["proposed_monitoring_type"]], dtype="Int64"),
        )
        broken = {rule for rule, flag in local.items() if flag[0]}
        if len(set(answers.tolist())) > 1:
            broken.add("conflicting_answers")
        return {rule: text for rule, text in FLAGS.items() if rule in broken}

    def _validate(self, connection, household_id: int, fields: dict) -> dict:
        values = clean_fields(fields)
        if not repository.household_exists(connection, household_id):
            raise ValueError(f"项目中没有编号为{household_id}的农户")
        if not self.covers(household_id):
            raise ValueError("该户不在本次集中排查的乡镇范围内")
        worker = values["checker_worker_id"]
        if worker is not None and not repository.worker_exists(connection, worker):
            raise ValueError(f"项目中没有编号为{worker}的网格员")
        return values

    def check(self, household_id: int, **fields) -> dict[str, str]:
        """The rules a record would break, without saving it (for a warning before saving).

        Raises
        ------
        ValueError
            As :meth:`add_record` does for invalid input.
        """
        household_id = int(household_id)
        with self.session.project.engine.connect() as connection:
            values = self._validate(connection, household_id, fields)
            return self._verdict(connection, household_id, values)

    def add_record(self, household_id: int, **fields) -> RecordResult:
        """Save one visit of a household; the session's coverage counts follow.

        Parameters
        ----------
        household_id : int
            The household visited; it must lie in one of the campaign's townships.
        **fields
            The annex-2 fields of :data:`FIELDS`: ``method`` (1 入户排查, 2 电话、微信等排查;
            required), ``checked_on``, ``checker`` (name) and ``checker_worker_id``,
            ``whole_household_away``, the four problems and ``other_problems``, ``has_risk``
            with ``risk_type``, ``proposed_monitoring_type``, ``proposed_rollback``,
            ``proposed_removal``.

        Returns
        -------
        RecordResult
            The record's id, the rules it breaks (a non-compliant record is saved, and its
            household does not count as covered by it) and the household's new status.

        Raises
        ------
        ValueError
            Invalid codes, an unknown household or one outside the campaign (Chinese message);
            nothing is written then.
        """
        household_id = int(household_id)
        head = self.session.household_columns(["head_name"], [household_id])["head_name"]
        name = head.iloc[0] if len(head) and pd.notna(head.iloc[0]) else household_id
        _ = self.tracker  # counted before the record, so the record is added to the counts
        with self.session.edit(f"录入走访记录（户主{name}）") as uow:
            values = self._validate(uow.connection, household_id, fields)
            flags = self._verdict(uow.connection, household_id, values)
            record_id = int(uow.insert("investigation_record", {
                "campaign_id": self.campaign_id, "household_id": household_id, **values}))
        return RecordResult(record_id, flags, self.status_of(household_id))

    def import_ledger(self, path) -> ImportReport:
        """The records of a filled annex-2 ledger, into this campaign, as one undo step.

        The file is checked first (nothing written on an error), then written as one unit of
        work; the session's counts follow.
        """
        from gis_app.services.import_service import import_file

        return import_file(self.session, path, "records", campaign_id=self.campaign_id)

    def table(self, level: int = 3, workers=None, sort: bool = True) -> pd.DataFrame:
        """The per-unit coverage table from the kept counts (see ``CoverageTracker.table``)."""
        return self.tracker.table(level, workers, sort)
