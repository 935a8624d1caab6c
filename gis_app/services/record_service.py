"""Recording a visit (走访记录) of the centralized investigation, one household at a time.

Each record is checked (codes, the household, the campaign), written in one transaction with an
audit row, pushed on the window's undo stack and handed to a :class:`CoverageTracker`, so the
coverage views redraw from counts kept up to date instead of a recomputation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, insert, select

from gis_app.analysis.coverage import CoverageTracker
from gis_app.core.codes import InvestigationMethod, LabeledIntEnum, MonitoringType, RiskType
from gis_app.core.compliance import answer_codes, local_flags
from gis_app.core.coverage import COVERED, CoverageStatus
from gis_app.services.coverage_service import load_campaign
from gis_app.services.import_report import ImportReport
from gis_app.services.undo import Step, UndoStack
from gis_app.storage.audit import current_user, log_change
from gis_app.storage.models import GridAssignment, Household, InvestigationRecord, Worker
from gis_app.storage.project import Project

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
    """Visits of one campaign, bound to a project, a user and the window's undo stack.

    Parameters
    ----------
    project : Project
        The open project.
    campaign_id : int
        The campaign records go to.
    user : str, optional
        Who the audit log names (default: the current user).
    undo_stack : UndoStack, optional
        The window's shared stack; a private one when None.
    """

    def __init__(self, project: Project, campaign_id: int, user: str | None = None,
                 undo_stack: UndoStack | None = None):
        self.project = project
        self.campaign_id = int(campaign_id)
        self.user = user or current_user()
        self.undo_stack = undo_stack if undo_stack is not None else UndoStack()
        self.reload()

    def reload(self) -> None:
        """Rebuild the tracker from the store (after an undo or a bulk import)."""
        data = load_campaign(self.project, campaign_id=self.campaign_id)
        self.campaign = data.campaign
        self.households = data.households
        self._members = pd.Index(data.households["id"].to_numpy())
        self.tracker = CoverageTracker(data.households, data.records,
                                       self.campaign["start_date"], self.campaign["end_date"])
        self._counted = len(data.records)  # records of the campaign the tracker holds

    # -- reading
    def covers(self, household_id: int) -> bool:
        """True when the household lies in one of the campaign's townships."""
        return int(household_id) in self._members

    def status_of(self, household_id: int) -> CoverageStatus:
        """The household's coverage status in this campaign (UNCHECKED when outside it)."""
        if not self.covers(household_id):
            return CoverageStatus.UNCHECKED
        return CoverageStatus(int(self.tracker.status[self._members.get_loc(household_id)]))

    def household(self, household_id: int) -> dict:
        """What the form shows of a household: head, ID, village, grid, and its grid's workers.

        Returns
        -------
        dict
            ``id, head_name, head_id_number, township, village, grid_code, grid_name,
            in_campaign, workers`` (a DataFrame ``id, name, role`` of the workers currently
            assigned to the household's grid).

        Raises
        ------
        ValueError
            When the project has no such household.
        """
        household_id = int(household_id)
        rows = self.households[self.households["id"] == household_id]
        with self.project.engine.connect() as connection:
            head = connection.execute(select(
                Household.head_name, Household.head_id_number, Household.grid_id).where(
                Household.id == household_id)).one_or_none()
            if head is None:
                raise ValueError(f"项目中没有编号为{household_id}的农户")
            today = dt.date.today()
            workers = pd.DataFrame(connection.execute(select(
                Worker.id, Worker.name, GridAssignment.role).join(
                GridAssignment, GridAssignment.worker_id == Worker.id).where(
                (GridAssignment.grid_id == head.grid_id)
                & (GridAssignment.start_date <= today)
                & (GridAssignment.end_date.is_(None) | (GridAssignment.end_date >= today))
                & Worker.active).order_by(Worker.name)).all(), columns=["id", "name", "role"])
        first = rows.iloc[0] if len(rows) else {}
        return {
            "id": household_id,
            "head_name": head.head_name,
            "head_id_number": head.head_id_number,
            **{k: first.get(k) for k in ("township", "village", "grid_code", "grid_name")},
            "in_campaign": bool(len(rows)),
            "workers": workers.drop_duplicates("id").reset_index(drop=True),
        }

    # -- checking and saving
    def _verdict(self, connection, household_id: int, values: dict) -> dict[str, str]:
        """Broken rules of a record about to be added (its household's earlier records too)."""
        local = local_flags([values["method"]], [values["checked_on"]], [values["checker"]],
                            [values["whole_household_away"]], self.campaign["start_date"],
                            self.campaign["end_date"])
        table = InvestigationRecord.__table__
        earlier = connection.execute(select(
            table.c.has_risk, table.c.risk_type, table.c.proposed_monitoring_type).where(
            (table.c.campaign_id == self.campaign_id)
            & (table.c.household_id == household_id))).all()
        answers = answer_codes(
            [*(bool(r.has_risk) for r in earlier), values["has_risk"]],
            pd.array([*(r.risk_type for r in earlier), values["risk_type"]], dtype="Int64"),
            pd.array([*(r.proposed_monitoring_type for r in earlier),
                      values["proposed_monitoring_type"]], dtype="Int64"),
        )
        broken = {rule for rule, flag in local.items() if flag[0]}
        if len(set(answers.tolist())) > 1:
            broken.add("conflicting_answers")
        return {rule: text for rule, text in FLAGS.items() if rule in broken}

    def _validate(self, connection, household_id: int, fields: dict) -> dict:
        values = clean_fields(fields)
        if connection.execute(select(Household.id).where(
                Household.id == household_id)).one_or_none() is None:
            raise ValueError(f"项目中没有编号为{household_id}的农户")
        if not self.covers(household_id):
            raise ValueError("该户不在本次集中排查的乡镇范围内")
        worker = values["checker_worker_id"]
        if worker is not None and connection.execute(select(func.count()).where(
                Worker.id == worker)).scalar_one() == 0:
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
        with self.project.engine.connect() as connection:
            values = self._validate(connection, household_id, fields)
            return self._verdict(connection, household_id, values)

    def add_record(self, household_id: int, **fields) -> RecordResult:
        """Save one visit of a household and update the coverage counts.

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
        table = InvestigationRecord.__table__
        with self.project.engine.begin() as connection:
            values = self._validate(connection, household_id, fields)
            flags = self._verdict(connection, household_id, values)
            record_id = connection.execute(insert(table).values(
                campaign_id=self.campaign_id, household_id=household_id, version=1,
                **values).returning(table.c.id)).scalar_one()
            head = connection.execute(select(Household.head_name).where(
                Household.id == household_id)).scalar_one()
            log_change(connection, "add_record", table.name, record_id,
                       {"campaign": self.campaign_id, "household": household_id,
                        "method": values["method"], "checked_on": values["checked_on"],
                        "flags": list(flags)}, self.user)
        self.undo_stack.push(Step(f"录入走访记录（户主{head}）", inserted=[(table, record_id)]))
        self._counted += 1
        status = self.tracker.apply_record({"household_id": household_id, **values})
        return RecordResult(record_id, flags, status)

    def import_ledger(self, path) -> ImportReport:
        """The records of a filled annex-2 ledger, into this campaign, as one undo step.

        The file is checked first (nothing written on an error), then written in one
        transaction; the kept counts follow.
        """
        from gis_app.services.import_service import import_file

        report = import_file(self.project, path, "records", campaign_id=self.campaign_id,
                             user=self.user)
        if report.inserted_ids:
            table = InvestigationRecord.__table__
            self.undo_stack.push(Step(f"导入{report.written}条走访记录",
                                      inserted=[(table, i) for i in report.inserted_ids]))
        self.reload()
        return report

    def sync_after_undo(self) -> bool:
        """Rebuild the tracker if an undo took back records it counted; True when it did."""
        table = InvestigationRecord.__table__
        with self.project.engine.connect() as connection:
            present = connection.execute(select(func.count()).where(
                table.c.campaign_id == self.campaign_id)).scalar_one()
        if present == self._counted:
            return False
        self.reload()
        return True

    def table(self, level: int = 3, workers=None, sort: bool = True) -> pd.DataFrame:
        """The per-unit coverage table from the kept counts (see ``CoverageTracker.table``)."""
        return self.tracker.table(level, workers, sort)
