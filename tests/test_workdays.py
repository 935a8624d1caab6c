"""The working-day calendar against the State Council's notices, and the deadline's boundaries.

The expected days are written here from the notices themselves (国务院办公厅关于2025年、2026年
部分节假日安排的通知), not read from the package: every day of both years must be a working day
or not exactly as the notice says.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from gis_app.core.workdays import (
    add_working_days,
    china_calendar,
    notice_years,
    working_days_between,
)

D = dt.date

#: (first day off, last day off) of each holiday, and the weekend days worked, per notice.
NOTICES = {
    2025: {  # 国办发明电〔2024〕12号
        "off": [(D(2025, 1, 1), D(2025, 1, 1)), (D(2025, 1, 28), D(2025, 2, 4)),
                (D(2025, 4, 4), D(2025, 4, 6)), (D(2025, 5, 1), D(2025, 5, 5)),
                (D(2025, 5, 31), D(2025, 6, 2)), (D(2025, 10, 1), D(2025, 10, 8))],
        "worked": [D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28),
                   D(2025, 10, 11)],
    },
    2026: {  # 国办发明电〔2025〕7号
        "off": [(D(2026, 1, 1), D(2026, 1, 3)), (D(2026, 2, 15), D(2026, 2, 23)),
                (D(2026, 4, 4), D(2026, 4, 6)), (D(2026, 5, 1), D(2026, 5, 5)),
                (D(2026, 6, 19), D(2026, 6, 21)), (D(2026, 9, 25), D(2026, 9, 27)),
                (D(2026, 10, 1), D(2026, 10, 7))],
        "worked": [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9),
                   D(2026, 9, 20), D(2026, 10, 10)],
    },
}


@pytest.fixture(scope="module")
def calendar():
    return china_calendar([2025, 2026])


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_day_of_the_year_is_worked_as_the_notice_says(calendar, year):
    notice = NOTICES[year]
    days = [D(year, 1, 1) + dt.timedelta(days=i)
            for i in range((D(year + 1, 1, 1) - D(year, 1, 1)).days)]
    off = {a + dt.timedelta(days=i) for a, b in notice["off"] for i in range((b - a).days + 1)}
    expected = [(d.weekday() < 5 or d in notice["worked"]) and d not in off for d in days]
    assert calendar.is_working_day(days).tolist() == expected
    assert calendar.warnings() == []


def test_the_pinned_package_holds_the_2026_notice():
    assert 2026 in notice_years()


def test_friday_before_national_day_day_5_and_day_6(calendar):
    found = D(2025, 9, 26)  # Friday; Sun 09-28 worked, 10-01..10-08 off, Sat 10-11 worked
    assert add_working_days(found, 5, calendar) == D(2025, 10, 10)
    assert add_working_days(found, 6, calendar) == D(2025, 10, 11)
    assert add_working_days(found, 1, calendar) == D(2025, 9, 28)
    assert working_days_between(found, D(2025, 10, 10), calendar) == 5
    assert working_days_between(found, D(2025, 10, 11), calendar) == 6
    # The holiday itself counts nothing: 09-30 is day 3, and so is every day up to 10-08.
    assert working_days_between(found, D(2025, 9, 30), calendar) == 3
    assert working_days_between(found, D(2025, 10, 8), calendar) == 3


def test_a_clue_found_on_an_adjusted_working_saturday(calendar):
    assert calendar.is_working_day(D(2025, 10, 11))
    assert add_working_days(D(2025, 10, 11), 5, calendar) == D(2025, 10, 17)
    # Found on the adjusted Sunday before the holiday: the fifth working day is Sat 10-11.
    assert add_working_days(D(2025, 9, 28), 5, calendar) == D(2025, 10, 11)


def test_a_clue_found_on_a_holiday_or_an_ordinary_weekend(calendar):
    assert add_working_days(D(2025, 10, 3), 5, calendar) == D(2025, 10, 14)
    assert add_working_days(D(2025, 11, 15), 5, calendar) == D(2025, 11, 21)  # a Saturday


def test_spring_festival_2026(calendar):
    # Fri 02-13; Sat 02-14 worked; 02-15..02-23 off; Sat 02-28 worked.
    assert add_working_days(D(2026, 2, 13), 5, calendar) == D(2026, 2, 27)
    assert add_working_days(D(2026, 2, 14), 5, calendar) == D(2026, 2, 28)
    assert add_working_days(D(2026, 2, 12), 2, calendar) == D(2026, 2, 14)


def test_across_new_year(calendar):
    # 01-01..01-03 off, Sun 2026-01-04 worked.
    assert add_working_days(D(2025, 12, 26), 5, calendar) == D(2026, 1, 5)
    assert working_days_between(D(2025, 12, 26), D(2026, 1, 5), calendar) == 5


def test_arrays_give_the_scalars_answers(calendar):
    found = [D(2025, 9, 26), D(2025, 10, 11), D(2026, 2, 13)]
    due = add_working_days(np.array(found, dtype="datetime64[D]"), 5, calendar)
    assert due.astype(object).tolist() == [add_working_days(d, 5, calendar) for d in found]
    assert working_days_between(np.array(found, dtype="datetime64[D]"), due,
                                calendar).tolist() == [5, 5, 5]
    assert working_days_between(D(2025, 10, 10), D(2025, 9, 26), calendar) == -5


def test_a_year_without_its_notice_is_said_not_guessed():
    beyond = max(notice_years()) + 1
    calendar = china_calendar([beyond])
    assert calendar.uncovered == (beyond,)
    assert f"{beyond}年" in calendar.warnings()[0]
    # No adjusted working days: every Saturday and Sunday is off; the statutory days are off.
    days = [D(beyond, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    worked = calendar.is_working_day(days)
    assert not any(w for d, w in zip(days, worked, strict=True) if d.weekday() >= 5)
    assert not calendar.is_working_day(D(beyond, 1, 1))
    assert not calendar.is_working_day(D(beyond, 5, 1))
    assert not calendar.is_working_day(D(beyond, 10, 1))


def test_questions_outside_the_calendar_and_bad_counts_are_refused(calendar):
    with pytest.raises(ValueError, match="2025–2026"):
        add_working_days(D(2024, 12, 31), 5, calendar)
    with pytest.raises(ValueError, match="2025–2026"):
        add_working_days(D(2026, 12, 30), 5, calendar)  # the deadline would fall in 2027
    with pytest.raises(ValueError, match="正整数"):
        add_working_days(D(2025, 9, 26), 0, calendar)
