"""Creating a centralized investigation (集中排查): year, round, income line, dates, townships.

A campaign covers every rural household of the townships chosen for it; its milestones default to
seed 002's timetable stretched to its dates (:mod:`gis_app.core.campaign`). Everything is checked
before anything is written, then written as one unit of work of the session.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from gis_app.core.campaign import campaign_name, default_milestones, reference_window
from gis_app.core.codes import AdminLevel
from gis_app.storage.project import Project
from gis_app.storage.reader import load_table
from gis_app.storage.repositories.records import campaign_exists
from gis_app.storage.uow import ConflictError


class CampaignError(ValueError):
    """A campaign that cannot be created; the message lists every reason (Chinese)."""


def list_townships(project: Project) -> pd.DataFrame:
    """The project's townships (``id, code, name``) in code order, for choosing a campaign's."""
    units = load_table(project.engine, "admin_unit", ["id", "code", "name", "level"])
    towns = units[units["level"] == int(AdminLevel.TOWNSHIP)]
    return towns[["id", "code", "name"]].sort_values("code").reset_index(drop=True)


def list_campaigns(project: Project) -> pd.DataFrame:
    """Every campaign, oldest first.

    Returns
    -------
    pandas.DataFrame
        ``id, year, round, name, income_line, early_warning_income, start_date, end_date,
        townships, records`` (the last two are counts).
    """
    campaigns = load_table(project.engine, "campaign")
    links = load_table(project.engine, "campaign_township", ["campaign_id"])
    records = load_table(project.engine, "investigation_record", ["campaign_id"])
    columns = ["id", "year", "round", "name", "income_line", "early_warning_income",
               "start_date", "end_date"]
    frame = campaigns[columns].sort_values(["year", "round"]).reset_index(drop=True)
    frame["townships"] = frame["id"].map(links["campaign_id"].value_counts()).fillna(0)
    frame["records"] = frame["id"].map(records["campaign_id"].value_counts()).fillna(0)
    return frame.astype({"townships": np.int64, "records": np.int64})


def campaign_defaults(project: Project, year: int | None = None) -> dict:
    """What a new campaign of ``year`` (default: this year) starts with in the form.

    The income lines are those of an earlier round of the same year, else the project's
    thresholds; the round is the next free one; dates and milestones follow seed 002.

    Returns
    -------
    dict
        The keyword arguments of :func:`create_campaign` (without ``project``).
    """
    year = int(year or dt.date.today().year)
    campaigns = load_table(project.engine, "campaign")
    same_year = campaigns[campaigns["year"] == year].sort_values("round")
    thresholds = project.thresholds()
    if len(same_year):
        income = float(same_year["income_line"].iloc[-1])
        warning = float(same_year["early_warning_income"].iloc[-1])
    else:
        income, warning = thresholds.income_line, thresholds.early_warning_income
    round_ = int(same_year["round"].max()) + 1 if len(same_year) else 1
    start, end = reference_window(year)
    return {
        "year": year,
        "round": round_,
        "name": campaign_name(year, round_),
        "income_line": income,
        "early_warning_income": warning,
        "start_date": start,
        "end_date": end,
        "township_ids": list_townships(project)["id"].astype(int).tolist(),
        "milestones": default_milestones(start, end),
    }


def _problems(project: Project, year, round_, income_line, early_warning_income, start_date,
              end_date, township_ids, milestones) -> list[str]:
    """Every reason the campaign cannot be created (empty: it can)."""
    problems = []
    if not 2000 <= year <= 2100:
        problems.append(f"年度{year}无效（应为2000—2100年）")
    if round_ < 1:
        problems.append("轮次应为正整数")
    campaigns = load_table(project.engine, "campaign", ["year", "round"])
    if ((campaigns["year"] == year) & (campaigns["round"] == round_)).any():
        problems.append(f"{year}年第{round_}轮集中排查已存在，请换一个轮次")
    if not income_line > 0:
        problems.append("监测收入基准线应大于0元")
    if not early_warning_income > 0:
        problems.append("预警收入线应大于0元")
    elif income_line > 0 and early_warning_income < income_line:
        problems.append("预警收入线不应低于监测收入基准线")
    if start_date is None or end_date is None:
        problems.append("请填写排查的开始和结束日期")
    elif end_date < start_date:
        problems.append("结束日期早于开始日期")
    elif start_date.year != year:
        problems.append(f"开始日期{start_date:%Y-%m-%d}不在{year}年内")
    if not township_ids:
        problems.append("请至少选择一个乡镇")
    else:
        known = set(list_townships(project)["id"].astype(int))
        unknown = sorted(set(township_ids) - known)
        if unknown:
            problems.append(f"项目中没有这些乡镇：{'、'.join(map(str, unknown))}")
    keys = [m.get("key") for m in milestones]
    if len(set(keys)) < len(keys):
        problems.append("里程碑的标识重复")
    for m in milestones:
        name, due, target = m.get("name"), m.get("due_date"), m.get("target_coverage")
        if not str(name or "").strip():
            problems.append("里程碑名称不能为空")
        if due is None:
            problems.append(f"里程碑“{name}”缺少日期")
        elif start_date and end_date and not start_date <= due <= end_date:
            problems.append(f"里程碑“{name}”的日期{due:%Y-%m-%d}不在排查期内")
        if target is not None and not 0 < target <= 1:
            problems.append(f"里程碑“{name}”的覆盖率目标应在0—100%之间")
    return problems


def create_campaign(
    session,
    year: int,
    round: int,  # the brief's and the table's name, though it shadows the builtin
    income_line: float,
    early_warning_income: float,
    start_date: dt.date,
    end_date: dt.date,
    township_ids,
    milestones: list[dict] | None = None,
    name: str | None = None,
) -> int:
    """Create a campaign covering every rural household of ``township_ids``.

    Parameters
    ----------
    session : ProjectSession
        The session the campaign is created in (one unit of work, one undo step that deletes
        it again with its milestones and townships).
    year, round : int
        The campaign's year and round; one campaign per (year, round).
    income_line, early_warning_income : float
        监测收入基准线 and the early-warning line (yuan per person per year).
    start_date, end_date : datetime.date
        The investigation window, both days included.
    township_ids : iterable of int
        The townships (``admin_unit`` ids) whose households it covers.
    milestones : list of dict, optional
        ``key, name, due_date, target_coverage``; None: seed 002's timetable stretched to the
        dates (:func:`gis_app.core.campaign.default_milestones`).
    name : str, optional
        Title; default "{year}年防止返贫监测帮扶集中排查" (with the round after the first).

    Returns
    -------
    int
        The new campaign's id.

    Raises
    ------
    CampaignError
        Listing every problem (Chinese); nothing is written then.
    """
    project = session.project
    year, round_ = int(year), int(round)
    township_ids = sorted({int(t) for t in township_ids})
    income_line, early_warning_income = float(income_line), float(early_warning_income)
    if milestones is None and start_date is not None and end_date is not None:
        milestones = default_milestones(start_date, end_date)
    milestones = [dict(m, key=m.get("key") or f"milestone_{i + 1}")
                  for i, m in enumerate(milestones or [])]
    problems = _problems(project, year, round_, income_line, early_warning_income, start_date,
                         end_date, township_ids, milestones)
    if problems:
        raise CampaignError("；".join(problems))
    name = (name or "").strip() or campaign_name(year, round_)
    taken = f"{year}年第{round_}轮集中排查已存在，请换一个轮次"
    try:
        with session.edit(f"新建排查{name}") as uow:
            if campaign_exists(uow.connection, year, round_):  # created a moment ago elsewhere
                raise CampaignError(taken)
            campaign_id = int(uow.insert("campaign", {
                "year": year, "round": round_, "name": name, "income_line": income_line,
                "early_warning_income": early_warning_income, "start_date": start_date,
                "end_date": end_date}))
            uow.insert_rows("campaign_milestone", [
                {"campaign_id": campaign_id, "key": m["key"], "name": str(m["name"]).strip(),
                 "due_date": m["due_date"], "target_coverage": m.get("target_coverage")}
                for m in milestones])
            uow.insert_rows("campaign_township", [
                {"campaign_id": campaign_id, "township_id": t} for t in township_ids])
    except ConflictError:  # another user created the same round a moment ago
        raise CampaignError(taken) from None
    return campaign_id
