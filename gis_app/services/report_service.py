"""The official forms of a centralized investigation (seed 002, annexes 1–4) from the store.

One function per annex, each for a campaign (a year: its last round; None: the newest) and a
township (its statistical code; None: every township of the campaign):

- :func:`annex1` 集中排查情况统计表: a sheet per township, a row per village and the township's
  total (and, for the whole campaign, a first sheet with a row per township); the four
  identities are checked before anything is written (:func:`gis_app.core.annex.require_identities`);
- :func:`annex2` 集中排查台账: one row per household checked, written by the ledger's own writer
  (:func:`gis_app.io.write_ledger_excel`, the form's 17 columns);
- :func:`annex3` “画像”工作核实情况表: a sheet per household portrayed;
- :func:`annex4` 发现问题整改台账: a sheet per village with the campaign's rectification items.

A household is *checked* as annex 1 defines it (a record breaking no rule), and annex 2 lists
exactly the households annex 1 counts. ID numbers and phones are masked unless the user may see
them and asks to (:func:`~gis_app.services.export_service.may_see_personal_data`). Each file
written is noted in the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gis_app.core import annex as rules
from gis_app.core.ledger import ANNEX2_COLUMNS
from gis_app.services.coverage_service import _pick_campaign
from gis_app.services.export_service import (
    PersonalDataDenied,
    mask_personal_data,
    may_see_personal_data,
)
from gis_app.storage.audit import current_user
from gis_app.storage.project import Project
from gis_app.storage.reader import load_table
from gis_app.storage.snapshot import TableSnapshot
from gis_app.storage.uow import edit

#: Annex key → its title after the county's name (seed 002's wording).
TITLES: dict[str, str] = {
    "annex1": rules.TITLE,
    "annex2": "防止返贫监测帮扶集中排查台账",
    "annex3": "“画像”工作核实情况表",
    "annex4": "防止返贫监测帮扶集中排查阶段发现问题整改台账",
}
#: Annex key → how the interface names it.
NAMES: dict[str, str] = {
    "annex1": "附件1 集中排查情况统计表",
    "annex2": "附件2 集中排查台账",
    "annex3": "附件3 “画像”工作核实情况表",
    "annex4": "附件4 发现问题整改台账",
}
ANNEXES: tuple[str, ...] = tuple(TITLES)
#: The 17 columns of annex 2 as seed 002 prints them (序号 … 核查人签字).
ANNEX2_FORM = ANNEX2_COLUMNS[:17]
_HOUSEHOLD_COLUMNS = ["id", "village_id", "members", "attribute"]


@dataclass
class Report:
    """A form written: what, where, for which campaign and townships, and how much."""

    annex: str
    path: Path
    campaign: dict
    #: ``code, name`` of the townships covered.
    townships: pd.DataFrame
    #: Rows of data written (villages, households or items), sheets written.
    rows: int = 0
    sheets: int = 0
    unmasked: bool = False

    def message(self) -> str:
        """What was written, for a status bar or the command line (Chinese)."""
        return (f"已生成{NAMES[self.annex]}（{self.campaign['name']}，"
                f"{'、'.join(self.townships['name'])}）：{self.path}")


# --- reading --------------------------------------------------------------------------------


def resolve(project_or_session, user: str | None = None) -> tuple[Project, str]:
    """The project, and who writes: ``user``, else the session's, else the current user."""
    if isinstance(project_or_session, Project):
        return project_or_session, user or current_user()
    return project_or_session.project, user or project_or_session.user or current_user()


def _large(project: Project, table: str, columns: list[str]) -> pd.DataFrame:
    """``columns`` of a large table, through its snapshot (kept up to date from the journal)."""
    engine = project.engine
    return TableSnapshot(engine, table, columns, variant="report").load(
        lambda: load_table(engine, table, columns),
        lambda ids: load_table(engine, table, columns, ids=ids))


@dataclass
class Scope:
    """A campaign, its townships in the report and their villages."""

    campaign: dict
    townships: pd.DataFrame
    #: ``id, code, name, township_id, township_code, township`` sorted by township, then code.
    villages: pd.DataFrame


def campaign_scope(project: Project, campaign_year: int | None = None,
                   township: str | None = None) -> Scope:
    """The campaign of ``campaign_year`` and the townships and villages reported.

    Raises
    ------
    CampaignNotFoundError
        No campaign (of that year).
    ValueError
        ``township`` is no township's code, or its township is not in the campaign.
    """
    campaign = _pick_campaign(project, campaign_year)
    units = load_table(project.engine, "admin_unit", ["id", "code", "name", "level", "parent_id"])
    links = load_table(project.engine, "campaign_township")
    in_campaign = set(links.loc[links["campaign_id"] == int(campaign["id"]), "township_id"])
    townships = units[units["id"].isin(in_campaign) & (units["level"] == 2)]
    if township is not None:
        code = str(township).strip()
        found = units[units["code"] == code]
        if found.empty:
            raise ValueError(f"项目中没有代码为{code}的乡镇")
        if int(found["level"].iloc[0]) != 2:
            raise ValueError(f"代码{code}是{found['name'].iloc[0]}，不是乡镇")
        townships = townships[townships["code"] == code]
        if townships.empty:
            raise ValueError(f"{found['name'].iloc[0]}（{code}）不在{campaign['name']}的排查范围内")
    townships = townships.sort_values("code").reset_index(drop=True)
    villages = units[units["parent_id"].isin(set(townships["id"])) & (units["level"] == 3)]
    parent = townships.set_index("id")
    villages = villages.assign(
        township_id=villages["parent_id"].astype(np.int64),
        township_code=villages["parent_id"].map(parent["code"]),
        township=villages["parent_id"].map(parent["name"]),
    ).sort_values(["township_code", "code"]).reset_index(drop=True)
    return Scope(campaign, townships[["id", "code", "name"]],
                 villages[["id", "code", "name", "township_id", "township_code", "township"]])


def checked_households(project: Project, scope: Scope,
                       household_columns: list[str] | None = None,
                       record_columns: tuple[str, ...] = rules.RECORD_COLUMNS):
    """The scope's households and the campaign's records, each household's status and row.

    Returns
    -------
    households : pandas.DataFrame
        ``id, village_id, members, attribute``, ``household_columns`` and ``village_code``.
    records : pandas.DataFrame
        ``campaign_id`` and ``record_columns`` of the campaign's records.
    status, row : numpy.ndarray
        From :func:`gis_app.core.annex.deciding_records`.
    """
    columns = list(dict.fromkeys(_HOUSEHOLD_COLUMNS + (household_columns or [])))
    households = _large(project, "household", columns)
    villages = scope.villages.set_index("id")
    households = households[households["village_id"].isin(villages.index)]
    households = households.assign(village_code=households["village_id"].map(villages["code"]))
    households = households.reset_index(drop=True)
    records = _large(project, "investigation_record", ["campaign_id", *record_columns])
    records = records[records["campaign_id"] == int(scope.campaign["id"])].reset_index(drop=True)
    status, row = rules.deciding_records(households["id"].to_numpy(), records,
                                         scope.campaign["start_date"], scope.campaign["end_date"])
    return households, records, status, row


def county_name(project: Project) -> str:
    """The county's name (project setting ``county_name``), '' when unset."""
    return str(project.settings().get("county_name") or "")


def refuse_unmask(project: Project, unmask: bool, user: str) -> None:
    """Refuse unmasked personal data to a user without the right (PersonalDataDenied)."""
    if unmask and not may_see_personal_data(project, user):
        raise PersonalDataDenied(f"用户{user}无权导出未脱敏的个人信息（证件号码、电话）")


def note_report(project: Project, user: str, report: Report) -> Report:
    """Note the file written in the audit log (an edit of its own, no undo step)."""
    with edit(project, user, f"导出{NAMES[report.annex]}：{report.path.name}") as uow:
        uow.note("report", report.annex, {"file": str(report.path),
                                          "campaign": int(report.campaign["id"]),
                                          "townships": report.townships["code"].tolist(),
                                          "unmasked": report.unmasked})
    return report


def write_forms(forms: list, out, progress: Callable[[int, int], None] | None = None) -> Path:
    """Write the worksheets laid out by :mod:`gis_app.reports` as one ``.xlsx`` (atomically).

    Each :class:`~gis_app.reports.forms.FormSheet` becomes a sheet of the workbook writer of
    :mod:`gis_app.io.xlsx_writer` (A4, fitted to the page width, its title rows repeated).
    """
    from gis_app.io.xlsx_writer import PLAIN, Sheet, Style, write_xlsx
    from gis_app.reports.forms import STYLES

    styles = {name: Style(**spec) for name, spec in STYLES.items()}
    sheets = []
    for form in forms:
        sheet = Sheet(form.name, widths=list(form.widths), freeze=form.freeze,
                      print_rows=form.title_rows, landscape=form.landscape,
                      heights=dict(form.heights), merges=list(form.merges))
        for row, cells in form.rows():
            sheet.styled_row(row, [(value, styles[style] if style else PLAIN)
                                   for value, style in cells])
        sheets.append(sheet)
    return write_xlsx(Path(out), sheets, progress=progress)


# --- annex 1 ----------------------------------------------------------------------------------


def annex1_tables(project: Project, campaign_year: int | None = None,
                  township: str | None = None) -> tuple[Scope, pd.DataFrame]:
    """Annex 1's indicators per village of the scope, identities checked.

    Returns
    -------
    scope : Scope
    table : pandas.DataFrame
        ``code, name, township_code, township`` and one column per code (A1 … D2), a row per
        village in township and code order.

    Raises
    ------
    IdentityError
        A village (or township) breaks an identity; the message names each and the identity.
    """
    scope = campaign_scope(project, campaign_year, township)
    households, records, status, row = checked_households(project, scope)
    conditions = rules.household_conditions(households, records, status, row)
    villages = scope.villages.rename(columns={"name": "village"})
    table = rules.count_indicators(households, conditions, villages, "village_code")
    label = table["township"] + table["village"] + "（" + table["code"] + "）"
    rules.require_identities(table, label)
    return scope, table


def statistics_sheets(scope: Scope, table: pd.DataFrame, county: str) -> list:
    """Annex 1's sheets: one per township (its villages and total), after a summary of all.

    The summary (a row per township and the county's total, the seed's own form) comes only
    when the scope has several townships.
    """
    from gis_app.reports.annex1 import StatisticsSheet

    codes = list(rules.CODES)
    counts = table[codes].to_numpy(np.int64)
    owner = table["township_code"].to_numpy()
    names = table["village"].to_numpy()

    def with_total(block: np.ndarray) -> np.ndarray:
        return np.vstack([block, block.sum(axis=0, keepdims=True)])  # the total row last

    sheets, totals = [], []
    for township in scope.townships.itertuples():
        mine = owner == township.code
        n = int(mine.sum())
        lead = {"序号": [*range(1, n + 1), None], "乡镇场": [township.name] * (n + 1),
                "村（社区）": [*names[mine], "合计"]}
        sheets.append(StatisticsSheet(township.name, township.name, lead,
                                      with_total(counts[mine])))
        totals.append(counts[mine].sum(axis=0))
    if len(scope.townships) > 1:
        n = len(scope.townships)
        lead = {"序号": [*range(1, n + 1), None],
                "乡镇场": [*scope.townships["name"], "合计"]}
        sheets.insert(0, StatisticsSheet(f"{county}汇总", county, lead,
                                         with_total(np.vstack(totals))))
    return sheets


def annex1(project_or_session, out, campaign_year: int | None = None,
           township: str | None = None, user: str | None = None,
           date: dt.date | None = None) -> Report:
    """Write annex 1, 防止返贫监测帮扶集中排查情况统计表 (``.xlsx``).

    Parameters
    ----------
    project_or_session : Project or ProjectSession
        Where to read (a session's user is the audit log's).
    out : path-like
        Target ``.xlsx``.
    campaign_year : int, optional
        The campaign's year (its last round); None: the newest campaign.
    township : str, optional
        A township's code: its sheet only. None: every township of the campaign, after a
        summary sheet with a row per township.
    user : str, optional
        Who writes it (default: the session's, else the current user).
    date : datetime.date, optional
        填报时间 (default: today).

    Returns
    -------
    Report

    Raises
    ------
    CampaignNotFoundError, ValueError, IdentityError
        Nothing is written then.
    """
    from gis_app.reports.annex1 import statistics_forms

    project, user = resolve(project_or_session, user)
    scope, table = annex1_tables(project, campaign_year, township)
    county = county_name(project)
    sheets = statistics_sheets(scope, table, county)
    path = write_forms(statistics_forms(sheets, f"{county}{rules.TITLE}",
                                        date or dt.date.today()), out)
    report = Report("annex1", path, scope.campaign, scope.townships[["code", "name"]],
                    rows=len(table), sheets=len(sheets))
    return note_report(project, user, report)


# --- annex 2 ----------------------------------------------------------------------------------

_LEDGER_RECORD_KEYS = ("method", "housing_problem", "education_problem", "insurance_problem",
                       "water_problem", "other_problems", "has_risk", "risk_type",
                       "proposed_monitoring_type", "checker")


def annex2_frame(project: Project, campaign_year: int | None = None,
                 township: str | None = None) -> tuple[Scope, pd.DataFrame]:
    """The households checked (annex 1's A1) with their deciding record, in ledger keys.

    Rows come in township, village and household-id order.
    """
    scope = campaign_scope(project, campaign_year, township)
    households, records, status, row = checked_households(
        project, scope, ["head_name", "head_id_number"],
        tuple(dict.fromkeys(rules.RECORD_COLUMNS + _LEDGER_RECORD_KEYS)))
    checked = np.flatnonzero(row >= 0)
    picked = records.iloc[row[checked]].reset_index(drop=True)
    villages = scope.villages.set_index("code")
    chosen = households.iloc[checked].reset_index(drop=True)
    frame = pd.DataFrame({
        "township_code": chosen["village_code"].map(villages["township_code"]).to_numpy(),
        "village_code": chosen["village_code"].to_numpy(),
        "township": chosen["village_code"].map(villages["township"]).to_numpy(),
        "village": chosen["village_code"].map(villages["name"]).to_numpy(),
        "household_id": chosen["id"].to_numpy(),
        "head_name": chosen["head_name"].to_numpy(),
        "head_id_number": chosen["head_id_number"].to_numpy(),
        "members": chosen["members"].to_numpy(),
        "attribute": chosen["attribute"].to_numpy(),
    })
    for key in _LEDGER_RECORD_KEYS:
        frame[key] = picked[key].to_numpy()
    frame = frame.sort_values(["township_code", "village_code", "household_id"], kind="stable")
    return scope, frame.reset_index(drop=True)


def annex2(project_or_session, out, campaign_year: int | None = None,
           township: str | None = None, unmask: bool = False, user: str | None = None,
           date: dt.date | None = None) -> Report:
    """Write annex 2, 防止返贫监测帮扶集中排查台账: one row per household checked (``.xlsx``).

    The ledger's own writer writes the form's 17 columns, print-ready (A4 landscape, one page
    wide, its header rows repeated). ID numbers are masked unless ``unmask``.

    Parameters are those of :func:`annex1`, and ``unmask`` (refused with
    :class:`PersonalDataDenied` for users without the right).
    """
    from gis_app.io import write_ledger_excel

    project, user = resolve(project_or_session, user)
    refuse_unmask(project, unmask, user)
    scope, frame = annex2_frame(project, campaign_year, township)
    frame = frame if unmask else mask_personal_data(frame)
    county = county_name(project)
    unit = "、".join(scope.townships["name"]) if township is not None else county
    path = write_ledger_excel(frame, out, title=f"{county}{TITLES['annex2']}", unit=unit,
                              date=date or dt.date.today(), columns=ANNEX2_FORM)
    report = Report("annex2", Path(path), scope.campaign, scope.townships[["code", "name"]],
                    rows=len(frame), sheets=1, unmasked=unmask)
    return note_report(project, user, report)




def write_report(project_or_session, annex: str, out, campaign_year: int | None = None,
                 township: str | None = None, unmask: bool = False, user: str | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Report:
    """Write the annex named ``annex`` (see :data:`ANNEXES`); the others' parameters."""
    from gis_app.services.report_pages import annex3, annex4

    writers = {"annex1": annex1, "annex2": annex2, "annex3": annex3, "annex4": annex4}
    if annex not in writers:
        raise ValueError(f"未知的报表：{annex}（可选：{'、'.join(ANNEXES)}）")
    if not str(out).lower().endswith(".xlsx"):
        raise ValueError(f"报表只能保存为 .xlsx 文件：{out}")
    kwargs = {"campaign_year": campaign_year, "township": township, "user": user}
    if annex != "annex1":
        kwargs["unmask"] = unmask
    if annex in ("annex3", "annex4"):
        kwargs["progress"] = progress
    return writers[annex](project_or_session, out, **kwargs)
