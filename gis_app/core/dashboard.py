"""The leaders' dashboard (工作看板): its indicators, their default targets, and how each is judged.

An indicator is on track (正常) when it reaches its target, at risk (有风险) when it misses it
by no more than its margin, and late (滞后) beyond that. The targets and margins below are the
defaults; a user may change them (the window keeps them per PC). Two targets come from
elsewhere unless set: the coverage expected today from the campaign's timetable
(:func:`timetable_target`) and a worker's household limit (``Thresholds.household_limit``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gis_app.core.compliance import to_days

ON_TRACK, AT_RISK, LATE, NO_TARGET = "on_track", "at_risk", "late", "none"
#: Each state's name as users see it.
STATE_NAMES: dict[str, str] = {ON_TRACK: "正常", AT_RISK: "有风险", LATE: "滞后",
                               NO_TARGET: "无目标"}


@dataclass(frozen=True)
class IndicatorSpec:
    """An indicator of the dashboard.

    ``share`` indicators are fractions (shown as percentages), ``count`` ones whole numbers,
    ``mean`` ones averages. ``target`` None: taken from the timetable or the thresholds.
    """

    key: str
    name: str
    kind: str
    higher_is_better: bool
    target: float | None
    margin: float


#: The tiles, in the order shown.
INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("coverage", "排查覆盖率", "share", True, None, 0.10),
    IndicatorSpec("home_share", "入户排查占比", "share", True, 0.90, 0.10),
    IndicatorSpec("paired", "监测对象结对率", "share", True, 1.0, 0.05),
    IndicatorSpec("overdue_clues", "逾期未核实线索", "count", False, 0.0, 5.0),
    IndicatorSpec("overdue_cases", "超期办理案件", "count", False, 0.0, 5.0),
    IndicatorSpec("exposed_unpaired", "受灾害威胁的未结对监测户", "count", False, 0.0, 3.0),
    IndicatorSpec("worker_load", "网格员人均户数", "mean", False, None, 20.0),
)
SPECS: dict[str, IndicatorSpec] = {spec.key: spec for spec in INDICATORS}


def judge(value: float | None, target: float | None, higher_is_better: bool,
          margin: float) -> str:
    """The state of ``value`` against ``target``: on track, at risk (within ``margin``), late.

    Without a value or a target the indicator is not judged (:data:`NO_TARGET`).
    """
    if value is None or target is None or np.isnan(value) or np.isnan(target):
        return NO_TARGET
    gap = (target - value) if higher_is_better else (value - target)
    if gap <= 1e-12:
        return ON_TRACK
    return AT_RISK if gap <= margin + 1e-12 else LATE


def timetable_target(start_date, due_dates, targets, days) -> np.ndarray:
    """The coverage the timetable expects on each of ``days``.

    From 0 on the campaign's first day the expected coverage rises in a straight line to each
    coverage milestone's target on its due date, and stays at the last target after it.

    Parameters
    ----------
    start_date : datetime.date
        The campaign's first day.
    due_dates, targets : array-like
        The milestones' due dates and coverage targets (None or NaN: not a coverage milestone).
    days : array-like
        The days asked (dates or day numbers of :func:`gis_app.core.compliance.to_days`).

    Returns
    -------
    numpy.ndarray
        float per day; NaN for every day when no milestone has a target.
    """
    targets = np.array([np.nan if t is None else float(t) for t in targets], dtype=float)
    due = to_days(list(due_dates)) if len(targets) else np.zeros(0, np.int64)
    asked = np.asarray(days)
    asked = asked if np.issubdtype(asked.dtype, np.integer) else to_days(list(asked))
    keep = ~np.isnan(targets)
    if not keep.any():
        return np.full(len(asked), np.nan)
    order = np.argsort(due[keep], kind="stable")
    x = np.r_[to_days([start_date])[0], due[keep][order]].astype(float)
    y = np.r_[0.0, targets[keep][order]]
    return np.interp(asked.astype(float), x, y)


#: The dates of a case's five steps (DOMAIN §6), in order: a step is done when its date is set.
CASE_STEP_DATES: tuple[str, ...] = ("applied_on", "verified_on", "publicity_end",
                                    "township_reviewed_on", "county_approved_on")


def pending_step(done) -> np.ndarray:
    """The step (1–5) each case is at: the first whose date is not set (5 when all are).

    Parameters
    ----------
    done : numpy.ndarray
        Boolean, shape (cases, 5): each step's date set, in :data:`CASE_STEP_DATES` order.
    """
    done = np.asarray(done, dtype=bool).reshape(-1, len(CASE_STEP_DATES))
    missing = ~done
    first = np.argmax(missing, axis=1) + 1
    return np.where(missing.any(axis=1), first, len(CASE_STEP_DATES)).astype(np.int64)


def load_bins(limit: int) -> list[tuple[float, float, str]]:
    """Bins of households per worker: (low exclusive, high inclusive, Chinese label)."""
    half, more = limit // 2, limit + limit // 2
    return [(-1, half, f"≤{half}户"), (half, limit, f"{half + 1}–{limit}户"),
            (limit, more, f"{limit + 1}–{more}户"), (more, np.inf, f">{more}户")]
