"""Who is responsible for a grid on a given day: the one rule every view, report and the CLI use.

An assignment (or a helper pairing) is in force on ``day`` when it started on or before that day
and has not ended: ``start_date <= day < end_date``, an empty end meaning open. The end date is
the first day the worker is no longer responsible, so an assignment ended today (取消分配, 退出)
is not current today, and one started and ended on the same day never was.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from gis_app.core.codes import WorkerRole

#: The role a worker takes on a grid of each level when assigned without choosing one
#: (dropped on a grid of the map or the grid tree): DOMAIN §2.
ROLE_BY_LEVEL: dict[int, str] = {
    0: WorkerRole.GRID_CAPTAIN.value,
    1: WorkerRole.LEVEL1_WORKER.value,
    2: WorkerRole.LEVEL2_WORKER.value,
    3: WorkerRole.LEVEL3_WORKER.value,
}


def _days(values) -> np.ndarray:
    """Dates (date objects, None/NaT for empty) as day numbers, NaN for empty."""
    stamps = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce")
    days = stamps.to_numpy(dtype="datetime64[D]").astype("float64")
    days[stamps.isna().to_numpy()] = np.nan
    return days


def in_force(start_dates, end_dates, day: dt.date | None = None) -> np.ndarray:
    """True where ``start <= day < end`` (an empty end: still open; an empty start: from ever).

    Parameters
    ----------
    start_dates, end_dates : array-like of date or None
        One pair per assignment.
    day : datetime.date, optional
        The day asked about (default: today).
    """
    day = np.datetime64(day or dt.date.today(), "D").astype("float64")
    start, end = _days(start_dates), _days(end_dates)
    started = np.isnan(start) | (start <= day)
    not_ended = np.isnan(end) | (day < end)
    return started & not_ended


def current(frame: pd.DataFrame, day: dt.date | None = None) -> pd.DataFrame:
    """The rows of ``frame`` (``start_date``, ``end_date``) in force on ``day`` (default today)."""
    if not len(frame):
        return frame
    mask = in_force(frame["start_date"].to_numpy(), frame["end_date"].to_numpy(), day)
    return frame[mask].reset_index(drop=True)


def end_day(day: dt.date | None = None) -> dt.date:
    """The end date that stops an assignment from ``day`` on (today by default)."""
    return day or dt.date.today()
