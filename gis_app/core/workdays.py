"""Working days (工作日) in mainland China, for the deadline of a risk clue (DOMAIN §5).

A risk clue must be verified at the household "within 5 working days" (DOMAIN §5, seeds
``000_…`` and ``004_…``; the number is the project setting ``thresholds`` →
``clue_verify_working_days``, :class:`gis_app.core.thresholds.Thresholds`). The count:

* the day the clue is found is day 0, whatever kind of day it is;
* the deadline is the n-th working day after it: found on Friday 2025-09-26, the 5 working
  days are Sun 09-28 (an adjusted working day), Mon 09-29, Tue 09-30, Thu 10-09 and Fri
  10-10 (10-01 to 10-08 are the National Day and Mid-Autumn holiday), so the deadline is
  2025-10-10;
* a clue verified on its deadline is on time; it is overdue from the next day on.

A working day is a Monday to Friday that is neither a public holiday nor a rest day moved by
the State Council's yearly notice (调休), or a Saturday or Sunday that the notice makes a
working day (调休上班). The days come from the maintained ``holidays`` package
(``holidays.China``: public holidays and ``weekend_workdays``), which follows the General
Office of the State Council's notice of each year from 2001 on.

A year the package holds no notice for (the next year before its notice is published, in
November) is not guessed silently: its statutory holidays (全国年节及纪念日放假办法, computed by
the package) are days off, weekends are days off, no weekend is worked, and the calendar lists
the year in :attr:`WorkCalendar.uncovered` with a warning (:meth:`WorkCalendar.warnings`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

#: Every day of the week may be a working day; the days off are listed (weekends included),
#: so a worked weekend (调休上班) is simply not listed.
_EVERY_DAY = "1111111"


@dataclass(frozen=True)
class WorkCalendar:
    """The days off of a span of whole years (weekends, holidays and 调休 rest days).

    Attributes
    ----------
    first_year, last_year : int
        The span the calendar answers for (questions outside it raise ``ValueError``).
    days_off : numpy.ndarray
        Sorted ``datetime64[D]`` of every day not worked in the span.
    uncovered : tuple of int
        Years of the span without the State Council's notice in the package (counted with
        the statutory holidays and plain weekends only).
    """

    first_year: int
    last_year: int
    days_off: np.ndarray = field(repr=False)
    uncovered: tuple[int, ...] = ()

    def _check(self, days: np.ndarray) -> None:
        first = np.datetime64(f"{self.first_year}-01-01", "D")
        last = np.datetime64(f"{self.last_year}-12-31", "D")
        if len(days) and (days.min() < first or days.max() > last):
            raise ValueError(f"工作日历只包含{self.first_year}–{self.last_year}年")

    def is_working_day(self, day) -> np.ndarray | bool:
        """True for working days (one date, or an array of them)."""
        days = _days(day)
        self._check(days)
        worked = np.is_busday(days, weekmask=_EVERY_DAY, holidays=self.days_off)
        return bool(worked[0]) if np.ndim(day) == 0 else worked

    def warnings(self) -> list[str]:
        """Chinese warnings for the years counted without the notice (empty when none)."""
        if not self.uncovered:
            return []
        years = "、".join(str(y) for y in self.uncovered)
        return [f"节假日日历未收录{years}年的国务院放假安排（调休），这些年份按法定节假日和周末"
                "计算工作日，期限可能与实际安排不符"]


def _days(values) -> np.ndarray:
    """Dates (a date, or an iterable of them) as ``datetime64[D]``."""
    return np.atleast_1d(np.asarray(values, dtype="datetime64[D]"))


def notice_years() -> range:
    """The years whose State Council notice the installed ``holidays`` package holds."""
    from holidays.countries.china import ChinaStaticHolidays

    years = ChinaStaticHolidays.special_public_holidays
    return range(min(years), max(years) + 1)


def china_calendar(years: Iterable[int]) -> WorkCalendar:
    """The working-day calendar of mainland China for the span of ``years``.

    Parameters
    ----------
    years : iterable of int
        Years that must be answered for; the calendar spans the first to the last.

    Returns
    -------
    WorkCalendar
    """
    years = sorted({int(y) for y in years})
    if not years:
        raise ValueError("工作日历至少需要一个年份")
    return _calendar(years[0], years[-1])


@functools.lru_cache(maxsize=16)
def _calendar(first: int, last: int) -> WorkCalendar:
    """The calendar of the years ``first``–``last`` (built once per span: a third of a second)."""
    import holidays

    span = range(first, last + 1)
    known = notice_years()
    covered = [y for y in span if y in known]
    uncovered = tuple(y for y in span if y not in known)
    off, worked = set(), set()
    if covered:
        # A notice may move a day of the next or the previous year (2002's New Year from
        # 2001-12-29): the neighbours are read too, and only the span's days are kept.
        notices = holidays.China(years=range(covered[0] - 1, covered[-1] + 2))
        off |= {d for d in notices if d.year in covered}
        worked |= {d for d in notices.weekend_workdays if d.year in covered}
    if uncovered:
        off |= set(holidays.China(years=uncovered, observed=False))
    all_days = np.arange(np.datetime64(f"{first}-01-01", "D"),
                         np.datetime64(f"{last + 1}-01-01", "D"))
    weekend = np.is_busday(all_days, weekmask="0000011")
    listed = np.isin(all_days, _days(sorted(off))) if off else np.zeros(len(all_days), bool)
    kept = np.isin(all_days, _days(sorted(worked))) if worked else np.zeros(len(all_days), bool)
    days_off = all_days[(weekend & ~kept) | listed]
    return WorkCalendar(first, last, days_off, uncovered)


def add_working_days(day, n: int, calendar: WorkCalendar):
    """The n-th working day after ``day`` (day 0): a clue's deadline.

    Parameters
    ----------
    day : datetime.date or array-like of dates
        The day found (any day, worked or not).
    n : int
        Working days allowed (at least 1).
    calendar : WorkCalendar
        Spanning the days and their deadlines.

    Returns
    -------
    datetime.date or numpy.ndarray
        The deadline (an array of ``datetime64[D]`` for an array).
    """
    if int(n) < 1:
        raise ValueError(f"核实期限的工作日数无效：{n}（应为正整数）")
    days = _days(day)
    calendar._check(days)
    # Rolled back to the last working day on or before day 0: the n-th working day after
    # a Saturday is then the n-th after the Friday before it, as the count wants.
    due = np.busday_offset(days, int(n), roll="backward", weekmask=_EVERY_DAY,
                           holidays=calendar.days_off)
    calendar._check(due)
    return due[0].item() if np.ndim(day) == 0 else due


def working_days_between(start, end, calendar: WorkCalendar):
    """Working days after ``start`` up to and including ``end`` (negative when end < start).

    ``working_days_between(day, add_working_days(day, n, c), c) == n``.
    """
    a, b = np.broadcast_arrays(_days(start), _days(end))
    calendar._check(np.concatenate([a, b]))
    # busday_count counts [begin, end): the days after the earlier date, up to the later one.
    low, high = np.minimum(a, b) + 1, np.maximum(a, b) + 1
    counted = np.busday_count(low, high, weekmask=_EVERY_DAY, holidays=calendar.days_off)
    counted = np.where(b < a, -counted, counted)
    return int(counted[0]) if np.ndim(start) == 0 and np.ndim(end) == 0 else counted
