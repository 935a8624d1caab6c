"""The centralized investigation (集中排查) of the synthetic county and its records (DOMAIN §9)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gis_app.core.campaign import campaign_name, default_milestones, reference_window
from gis_app.core.codes import InvestigationMethod, MonitoringType, RiskType
from gis_app.core.ledger import RECORD_KEYS
from gis_app.core.thresholds import Thresholds
from gis_app.synth.common import nullable_int, pick, text, to_date_objects
from gis_app.synth.households import LIFTED, MONITORED, Traits

_OTHER_PROBLEMS = ("房屋屋顶漏雨，需维修", "自来水管老化，偶有停水", "子女上学路途较远",
                   "家中老人长期卧床", "务工收入较上年下降", "产业（养殖）受市场影响收入减少")
_NEW_RISKS = np.array([RiskType.NATURAL_DISASTER, RiskType.ACCIDENT, RiskType.FAILED_BUSINESS,
                       RiskType.UNSTABLE_WORK, RiskType.SCHOOLING, RiskType.OTHER], dtype=np.int64)
_NEW_RISKS_P = np.array([0.18, 0.22, 0.14, 0.30, 0.10, 0.06])


def campaign_year(seed: int) -> int:
    """Return the campaign year: the seed if it is a year of the current rules, else 2023."""
    return int(seed) if 2020 <= int(seed) <= 2024 else 2023


def campaign_info(year: int) -> tuple[dict, dt.date]:
    """Return the campaign of ``year`` (seed 002's timetable) and the day the data describe.

    Returns
    -------
    campaign : dict
        ``year, round, name, income_line, early_warning_income, start_date, end_date,
        milestones`` (each ``key, name, due_date, target_coverage``).
    as_of : datetime.date
        31 May: about 70% of households have been checked by then.
    """
    start, end = reference_window(year)
    thresholds = Thresholds()
    campaign = {
        "year": year, "round": 1, "name": campaign_name(year),
        "income_line": thresholds.income_line,
        "early_warning_income": thresholds.early_warning_income,
        "start_date": start, "end_date": end, "milestones": default_milestones(start, end),
    }
    return campaign, dt.date(year, 5, 31)


@dataclass
class Findings:
    """What the investigation found, for the clue and case stages."""

    records: pd.DataFrame
    checked_on: np.ndarray
    candidates: np.ndarray
    candidate_risk: np.ndarray
    candidate_type: np.ndarray
    remote_noncompliant: np.ndarray
    village_rate: np.ndarray


def investigate(rng: np.random.Generator, traits: Traits, village: np.ndarray,
                grid: np.ndarray, village_first_grid: np.ndarray, head_ids: pd.Series,
                checker: pd.Series, second: pd.Series, problems: dict, campaign: dict,
                as_of: dt.date) -> Findings:
    """Draw the investigation records up to ``as_of``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random stream of this stage.
    traits : Traits
        Household traits.
    village, grid : numpy.ndarray
        Village and level-3 grid index of each household (grid -1 when not located).
    village_first_grid : numpy.ndarray
        Grid whose worker checks the unlocated households of each village.
    head_ids : pandas.Series
        ID number of each household head.
    checker, second : pandas.Series
        Names of the first and (possibly missing) second level-3 worker of each grid.
    problems : dict
        Boolean arrays ``housing_problem, education_problem, insurance_problem,
        water_problem`` per household.
    campaign : dict
        From :func:`campaign_info`.
    as_of : datetime.date
        Records stop here.

    Returns
    -------
    Findings
    """
    n = len(traits)
    n_v = int(village.max()) + 1
    as_of64 = np.datetime64(as_of, "D")
    start = np.datetime64(campaign["start_date"], "D")

    # Progress by village: most near 70–95%, a few lagging far behind.
    rate = rng.beta(6, 2.2, n_v)
    lagging = rng.random(n_v) < 0.15
    if n_v > 1 and not lagging.any():
        lagging[rng.integers(0, n_v)] = True
    rate = np.where(lagging, rng.uniform(0.25, 0.5, n_v), rate)
    size = np.bincount(village, minlength=n_v)
    for _ in range(3):
        rate = np.clip(rate * 0.70 / (np.sum(rate * size) / size.sum()), 0.15, 0.98)
    checked = rng.random(n) < rate[village]
    begin = start + 16 + rng.integers(0, 6, n_v) + np.where(lagging, rng.integers(4, 10, n_v), 0)
    span = (as_of64 - begin).astype(np.int64) + 1
    on = begin[village] + (rng.beta(1.3, 1.0, n) * span[village]).astype(np.int64)

    method = np.where(traits.away, int(InvestigationMethod.REMOTE),
                      int(InvestigationMethod.HOME_VISIT))
    noncompliant = checked & ~traits.away & (rng.random(n) < 0.015)
    method = np.where(noncompliant, int(InvestigationMethod.REMOTE), method)
    who = np.where(grid >= 0, grid, village_first_grid[village])
    use_second = (rng.random(n) < 0.3) & second.notna().to_numpy()[who]
    staff_names = pd.concat([checker, second], ignore_index=True).array
    name_code = np.where(use_second, len(checker) + who, who)

    monitored = (traits.attribute == MONITORED) & ~traits.risk_eliminated
    has_risk = monitored.copy()
    risk = np.where(monitored, traits.risk_type, 0)
    proposed = np.zeros(n, np.int64)
    # New risks: low income, illness or disability among households not yet monitored.
    prone = checked & (traits.attribute != MONITORED) & (
        (traits.income < 9000) | traits.ill_plan | traits.disabled_plan)
    cand = pick(rng, prone, max(6, int(round(0.013 * checked.sum()))))
    c_risk = rng.choice(_NEW_RISKS, len(cand), p=_NEW_RISKS_P)
    c_risk = np.where(traits.disabled_plan[cand], int(RiskType.DISABILITY), c_risk)
    c_risk = np.where(traits.ill_plan[cand], int(RiskType.ILLNESS), c_risk)
    sudden = np.isin(c_risk, [int(RiskType.ACCIDENT), int(RiskType.NATURAL_DISASTER)]) & (
        rng.random(len(cand)) < 0.6)
    c_type = np.where(traits.attribute[cand] == LIFTED, int(MonitoringType.UNSTABLE),
                      np.where(sudden, int(MonitoringType.SUDDEN_HARDSHIP),
                               int(MonitoringType.MARGINAL)))
    has_risk[cand] = True
    risk[cand] = c_risk
    proposed[cand] = c_type

    other = np.full(n, -1)
    other_mask = rng.random(n) < 0.03
    other[other_mask] = rng.integers(0, len(_OTHER_PROBLEMS), other_mask.sum())
    rows = np.flatnonzero(checked)
    on_rows = on[rows]
    code_rows = name_code[rows]
    # Data-quality problems the checks must find: no checker, dates outside the campaign.
    blank = rng.choice(len(rows), min(4, len(rows)), replace=False)
    code_rows[blank] = -1
    free = np.ones(len(rows), bool)
    free[blank] = False
    early = rng.choice(np.flatnonzero(free), min(4, int(free.sum())), replace=False)
    free[early] = False
    on_rows[early] = start - rng.integers(3, 20, len(early))
    # A few households checked twice, with the two answers disagreeing on the risk.
    twice = rng.choice(rows[free], min(4, int(free.sum())), replace=False)
    again_on = np.minimum(on[twice] + rng.integers(1, 6, len(twice)), as_of64)
    idx = np.r_[rows, twice]
    flip = np.r_[np.zeros(len(rows), bool), np.ones(len(twice), bool)]
    hr = np.where(flip, ~has_risk[idx], has_risk[idx])
    rk = np.where(hr, np.where(risk[idx] > 0, risk[idx], int(RiskType.OTHER)), 0)
    pm = np.where(hr & ~monitored[idx], np.where(proposed[idx] > 0, proposed[idx],
                                                 int(MonitoringType.MARGINAL)), 0)
    records = pd.DataFrame({
        "head_id_number": head_ids.array.take(idx),
        "method": method[idx].astype(np.int64),
        "checked_on": to_date_objects(np.r_[on_rows, again_on]),
        "checker": staff_names.take(np.r_[code_rows, name_code[twice]], allow_fill=True),
        "whole_household_away": traits.away[idx],
        "housing_problem": problems["housing_problem"][idx],
        "education_problem": problems["education_problem"][idx],
        "insurance_problem": problems["insurance_problem"][idx],
        "water_problem": problems["water_problem"][idx],
        "other_problems": text(_OTHER_PROBLEMS, other[idx]),
        "has_risk": hr,
        "risk_type": nullable_int(rk, rk > 0),
        "proposed_monitoring_type": nullable_int(pm, pm > 0),
    })
    order = np.lexsort((np.arange(len(idx)), np.r_[on_rows, again_on]))
    records = records.iloc[order].reset_index(drop=True)[list(RECORD_KEYS)]
    checked_on = np.full(n, np.datetime64("NaT"), "datetime64[D]")
    checked_on[rows] = on_rows
    return Findings(records=records, checked_on=checked_on, candidates=cand,
                    candidate_risk=c_risk, candidate_type=c_type,
                    remote_noncompliant=noncompliant, village_rate=rate)
