"""Coverage and compliance of a centralized investigation (集中排查, DOMAIN §9)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gis_app.analysis.coverage import (
    CoverageTracker,
    coverage_by_unit,
    coverage_by_worker,
    cumulative_by_unit,
    current_assignments,
    household_coverage,
    milestone_progress,
)
from gis_app.core.compliance import RECORD_COLUMNS, check_records, problem_list
from gis_app.storage.project import Project
from gis_app.storage.reader import load_table


class CampaignNotFoundError(ValueError):
    """The project has no centralized investigation (of the requested year)."""


@dataclass
class CampaignData:
    """A campaign with the households it covers and its records, ready for the analysis."""

    campaign: dict
    households: pd.DataFrame
    records: pd.DataFrame
    milestones: pd.DataFrame
    #: Level → ``code, name`` of every township (1), village (2) and level-3 grid (3) of the
    #: campaign's townships, listed even without households (an empty grid after a split).
    units: dict = field(default_factory=dict)


@dataclass
class CoverageTimeline:
    """Cumulative coverage per day and unit, and how the campaign's milestones went."""

    campaign: dict
    #: ``date, code, name, covered, households, coverage``.
    daily: pd.DataFrame
    #: ``key, name, due_date, target_coverage, covered, households, coverage, missed``.
    milestones: pd.DataFrame
    #: The same per unit, with ``code, unit``.
    unit_milestones: pd.DataFrame


def _pick_campaign(
    project: Project, campaign_year: int | None, campaign_id: int | None = None
) -> dict:
    campaigns = load_table(project.engine, "campaign")
    if campaign_id is not None:  # one round of a year with several
        campaigns = campaigns[campaigns["id"] == int(campaign_id)]
        if campaigns.empty:
            raise CampaignNotFoundError(f"项目中没有编号为{campaign_id}的集中排查")
    if campaign_year is not None:
        campaigns = campaigns[campaigns["year"] == int(campaign_year)]
    if campaigns.empty:
        if campaign_year is None:
            raise CampaignNotFoundError("项目中还没有集中排查，请先导入或创建排查任务")
        raise CampaignNotFoundError(f"项目中没有{campaign_year}年的集中排查")
    return campaigns.sort_values(["year", "round"]).iloc[-1].to_dict()


def _campaign_households(project: Project, campaign_id: int) -> pd.DataFrame:
    engine = project.engine
    units = load_table(engine, "admin_unit", ["id", "code", "name", "parent_id"]).set_index("id")
    grids = load_table(engine, "grid", ["id", "code", "name"]).set_index("id")
    links = load_table(engine, "campaign_township")
    townships = links.loc[links["campaign_id"] == campaign_id, "township_id"]
    households = load_table(
        engine, "household", ["id", "household_code", "head_name", "village_id", "grid_id"]
    )
    village = households["village_id"]
    township = village.map(units["parent_id"])
    households = households.assign(
        township_code=township.map(units["code"]),
        township=township.map(units["name"]),
        village_code=village.map(units["code"]),
        village=village.map(units["name"]),
        grid_code=households["grid_id"].map(grids["code"]),
        grid_name=households["grid_id"].map(grids["name"]),
    )
    return households[township.isin(set(townships)).to_numpy()].reset_index(drop=True)


def _campaign_units(project: Project, campaign_id: int) -> dict[int, pd.DataFrame]:
    """Every township, village and level-3 grid of the campaign's townships (code, name)."""
    engine = project.engine
    units = load_table(engine, "admin_unit", ["id", "code", "name", "parent_id"])
    links = load_table(engine, "campaign_township")
    townships = units[units["id"].isin(
        set(links.loc[links["campaign_id"] == campaign_id, "township_id"]))]
    villages = units[units["parent_id"].isin(set(townships["id"]))]
    grids = load_table(engine, "grid", ["id", "code", "name", "level", "admin_unit_id"])
    grids = grids[(grids["level"] == 3) & grids["admin_unit_id"].isin(set(villages["id"]))]
    return {level: frame[["code", "name"]].sort_values("code").reset_index(drop=True)
            for level, frame in ((1, townships), (2, villages), (3, grids))}


def load_campaign(
    project: Project, campaign_year: int | None = None, campaign_id: int | None = None
) -> CampaignData:
    """The campaign of ``campaign_year`` (the newest when None) with its households and records.

    Only the households of the campaign's townships (``campaign_township``) are included.

    Parameters
    ----------
    project : Project
        The open project.
    campaign_year : int, optional
        The campaign's year; its last round is taken. None: the newest campaign.
    campaign_id : int, optional
        This campaign (any round), whatever the year.

    Returns
    -------
    CampaignData

    Raises
    ------
    CampaignNotFoundError
        When the project has no such campaign.
    """
    campaign = _pick_campaign(project, campaign_year, campaign_id)
    campaign_id = int(campaign["id"])
    records = load_table(project.engine, "investigation_record", ["id", "campaign_id",
                                                                  *RECORD_COLUMNS])
    records = records[records["campaign_id"] == campaign_id].reset_index(drop=True)
    milestones = load_table(project.engine, "campaign_milestone")
    milestones = milestones[milestones["campaign_id"] == campaign_id]
    milestones = milestones.sort_values(["due_date", "id"]).reset_index(drop=True)
    return CampaignData(
        campaign, _campaign_households(project, campaign_id), records,
        milestones[["key", "name", "due_date", "target_coverage"]],
        _campaign_units(project, campaign_id),
    )


def _assignments(project: Project) -> pd.DataFrame:
    """Current and past assignments to level-3 grids, with the grid's code."""
    grids = load_table(project.engine, "grid", ["id", "code", "level"]).set_index("id")
    assignments = load_table(
        project.engine, "grid_assignment", ["worker_id", "grid_id", "role", "start_date",
                                            "end_date"]
    )
    level3 = assignments["grid_id"].map(grids["level"]) == 3
    assignments = assignments[level3.to_numpy()]
    return assignments.assign(grid_code=assignments["grid_id"].map(grids["code"]))


def grid_workers(project: Project, as_of: dt.date | None = None) -> dict[str, list[str]]:
    """Level-3 grid code to the names of the workers responsible for it on ``as_of``."""
    workers = load_table(project.engine, "worker", ["id", "name"]).set_index("id")["name"]
    current = current_assignments(_assignments(project), as_of)
    current = current.assign(name=current["worker_id"].map(workers))
    return current.groupby("grid_code")["name"].agg(list).to_dict()


def _campaign_status(project: Project, campaign_year: int | None, campaign_id: int | None):
    """The campaign's data and the coverage status of each of its households."""
    data = load_campaign(project, campaign_year, campaign_id)
    status, _ = household_coverage(
        data.households["id"], data.records, data.campaign["start_date"],
        data.campaign["end_date"],
    )
    return data, status


def campaign_coverage(
    project: Project, campaign_year: int | None = None, level: int = 3,
    campaign_id: int | None = None,
) -> pd.DataFrame:
    """Households per coverage status and the coverage of each unit, largest gap first.

    Parameters
    ----------
    project : Project
        The open project.
    campaign_year : int, optional
        None: the newest campaign.
    level : int
        1 townships, 2 villages, 3 level-3 grids (with a ``workers`` column).
    campaign_id : int, optional
        This campaign instead (see :func:`load_campaign`).

    Returns
    -------
    pandas.DataFrame
        ``code, name, households, home, remote, noncompliant, unchecked, coverage``
        (see :func:`gis_app.analysis.coverage.coverage_by_unit`). Every unit of the
        campaign's townships is listed: one without households has coverage NaN and comes
        after the others; the row with code None holds the households in no unit (位置未知,
        at level 3: no grid).
    """
    data, status = _campaign_status(project, campaign_year, campaign_id)
    workers = grid_workers(project) if level == 3 else None
    return coverage_by_unit(data.households, status, level, workers,
                            units=data.units.get(level))


def worker_coverage(
    project: Project, campaign_year: int | None = None, as_of: dt.date | None = None,
    campaign_id: int | None = None,
) -> pd.DataFrame:
    """Coverage of the households of each level-3 worker's current grids, largest gap first."""
    data, status = _campaign_status(project, campaign_year, campaign_id)
    workers = load_table(project.engine, "worker", ["id", "name"])
    return coverage_by_worker(data.households, status, _assignments(project), workers, as_of)


def coverage_tracker(
    project: Project, campaign_year: int | None = None, campaign_id: int | None = None
) -> CoverageTracker:
    """A :class:`CoverageTracker` of the campaign, for views that follow records as they come."""
    data = load_campaign(project, campaign_year, campaign_id)
    return CoverageTracker(
        data.households, data.records, data.campaign["start_date"], data.campaign["end_date"],
        units=data.units,
    )


def campaign_compliance(project: Project, campaign_year: int | None = None) -> pd.DataFrame:
    """Every broken compliance rule of the campaign's records, one row per record and rule.

    Parameters
    ----------
    project : Project
        The open project.
    campaign_year : int, optional
        None: the newest campaign.

    Returns
    -------
    pandas.DataFrame
        ``rule, message, household, village, household_id, record_id, checked_on, checker``;
        ``message`` names the household (head and village) before the rule's text.
    """
    data = load_campaign(project, campaign_year)
    records = data.records
    flags = check_records(records, data.campaign["start_date"], data.campaign["end_date"])
    problems = problem_list(records, flags)
    everyone = load_table(project.engine, "household", ["id", "head_name", "village_id"])
    villages = load_table(project.engine, "admin_unit", ["id", "name"]).set_index("id")["name"]
    everyone = everyone.set_index("id")
    head = problems["household_id"].map(everyone["head_name"]).fillna("（未知农户）")
    village = problems["household_id"].map(everyone["village_id"]).map(villages).fillna("")
    by_id = records.set_index("id")
    problems = problems.assign(
        message=village + "户主" + head + "：" + problems["message"],
        household=head,
        village=village,
        checked_on=problems["record_id"].map(by_id["checked_on"]),
        checker=problems["record_id"].map(by_id["checker"]),
    )
    columns = ["rule", "message", "household", "village", "household_id", "record_id",
               "checked_on", "checker"]
    return problems[columns]


def cumulative_coverage(
    project: Project,
    campaign_year: int | None = None,
    unit_level: int = 1,
    as_of: dt.date | None = None,
    campaign_id: int | None = None,
) -> CoverageTimeline:
    """Cumulative coverage per day and township (or village), and the campaign's milestones.

    A household counts as covered from the date of its first compliant check (home visit, or a
    phone/WeChat check of a wholly-away household).

    Parameters
    ----------
    project : Project
        The open project.
    campaign_year : int, optional
        None: the newest campaign.
    unit_level : int
        1 townships, 2 villages (3 level-3 grids also works).
    as_of : datetime.date, optional
        Today when None: the days run from the campaign's start to its end or ``as_of``,
        whichever is first, and milestones due after ``as_of`` are not judged yet.
    campaign_id : int, optional
        This campaign instead (see :func:`load_campaign`).

    Returns
    -------
    CoverageTimeline
        ``daily`` (``date, code, name, covered, households, coverage``), ``milestones``
        (``key, name, due_date, target_coverage, covered, households, coverage, missed``, all
        households together) and ``unit_milestones`` (the same per unit).
    """
    as_of = as_of or dt.date.today()
    data = load_campaign(project, campaign_year, campaign_id)
    start, end = data.campaign["start_date"], data.campaign["end_date"]
    _, first = household_coverage(data.households["id"], data.records, start, end)
    daily = cumulative_by_unit(data.households, first, start, max(start, min(end, as_of)),
                               unit_level)
    overall = milestone_progress(data.households, first, data.milestones, None, as_of)
    per_unit = milestone_progress(data.households, first, data.milestones, unit_level, as_of)
    return CoverageTimeline(
        {k: data.campaign[k] for k in ("id", "year", "round", "name", "start_date", "end_date")},
        daily,
        overall,
        per_unit,
    )


def coverage_summary(table: pd.DataFrame) -> dict:
    """Totals of a per-unit table: households, the four statuses and the overall coverage."""
    keys = ["households", "home", "remote", "noncompliant", "unchecked"]
    totals = {k: int(np.asarray(table[k]).sum()) for k in keys}
    covered = totals["home"] + totals["remote"]
    totals["coverage"] = covered / totals["households"] if totals["households"] else 0.0
    return totals


def tracked_worker_coverage(session) -> pd.DataFrame | None:
    """Coverage of each level-3 worker's current grids from the session's kept counts.

    The counts are the session's :class:`CoverageTracker` (nothing is read from the store);
    who is in force is the session's rule (:meth:`ProjectSession.current_assignments`).

    Parameters
    ----------
    session : ProjectSession
        The session; its current campaign is counted.

    Returns
    -------
    pandas.DataFrame or None
        As :func:`worker_coverage`, largest gap first; None when the project has no campaign.
    """
    tracker = session.coverage()
    if tracker is None:
        return None
    units = tracker.units[3]
    households = pd.DataFrame({"grid_code": units.codes[units.unit]})
    now = session.current_assignments()
    now = now[now["grid_level"] == 3]
    workers = session.workers[["id", "name"]]
    return coverage_by_worker(households, tracker.status,
                              now[["worker_id", "grid_code", "role"]], workers)
