"""The timetable of a centralized investigation (集中排查, DOMAIN §9, seed 002).

Seed 002's 2023 round ran from 20 April to 20 June: 制定工作方案 by the end of April (4月下旬),
分层分类培训 by early May (5月上旬), 开展集中排查 by early June (6月上旬) with 信息采集录入 by
10 June, 提交总结报告 by 20 June. A campaign of other dates gets the same milestones at the same
share of its length, so a shorter round keeps the order and ends with the report on its last day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class MilestoneTemplate:
    """A milestone of the reference timetable, ``day`` days after its start."""

    key: str
    name: str
    day: int
    #: Share of households covered by then (None: not a coverage milestone).
    target_coverage: float | None = None


#: Start and end (month, day) of seed 002's round.
REFERENCE_START = (4, 20)
REFERENCE_END = (6, 20)
#: Days from the reference start to its end (20 April → 20 June).
REFERENCE_DAYS = 61

#: Seed 002's timetable. 排查过半 is not in the seed: a halfway check on coverage that lets the
#: progress chart show a lagging village before the final date.
TIMETABLE: tuple[MilestoneTemplate, ...] = (
    MilestoneTemplate("plan", "制定工作方案", 10),
    MilestoneTemplate("training", "分层分类培训", 20),
    MilestoneTemplate("halfway", "排查过半", 35, 0.5),
    MilestoneTemplate("investigation", "开展集中排查", 51, 1.0),
    MilestoneTemplate("data_entry", "信息采集录入", 51),
    MilestoneTemplate("report", "提交总结报告", 61),
)


def reference_window(year: int) -> tuple[dt.date, dt.date]:
    """Start and end of the campaign of ``year`` on seed 002's dates (20 April – 20 June)."""
    return dt.date(year, *REFERENCE_START), dt.date(year, *REFERENCE_END)


def campaign_name(year: int, round_: int = 1) -> str:
    """The campaign's title as the notices write it; later rounds say which one."""
    name = f"{year}年防止返贫监测帮扶集中排查"
    return name if round_ == 1 else f"{name}（第{round_}轮）"


def default_milestones(start_date: dt.date, end_date: dt.date) -> list[dict]:
    """The timetable of :data:`TIMETABLE` stretched to ``[start_date, end_date]``.

    Parameters
    ----------
    start_date, end_date : datetime.date
        The campaign's first and last day (``end_date`` not before ``start_date``).

    Returns
    -------
    list of dict
        ``key, name, due_date, target_coverage`` in timetable order; on seed 002's dates
        exactly its due dates.
    """
    length = (end_date - start_date).days
    return [
        {
            "key": m.key,
            "name": m.name,
            # Rounded to whole days; the reference length gives the seed's dates unchanged.
            "due_date": start_date + dt.timedelta(days=round(m.day * length / REFERENCE_DAYS)),
            "target_coverage": m.target_coverage,
        }
        for m in TIMETABLE
    ]
