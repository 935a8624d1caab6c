"""Each household's coverage status in a centralized investigation, from its records."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis_app.core.codes import InvestigationMethod, LabeledIntEnum
from gis_app.core.compliance import NO_DAY


class CoverageStatus(LabeledIntEnum):
    """排查覆盖状态; a larger value wins when a household has several records."""

    UNCHECKED = 0, "未排查"
    NONCOMPLIANT = 1, "排查不合规"
    REMOTE = 2, "电话、微信排查"
    HOME = 3, "入户排查"


#: Column names of the statuses in tables, indexed by status value.
STATUS_KEYS: tuple[str, ...] = ("unchecked", "noncompliant", "remote", "home")

#: The statuses that count as covered.
COVERED: tuple[CoverageStatus, ...] = (CoverageStatus.HOME, CoverageStatus.REMOTE)

#: Day number of households never covered in :func:`first_covered_day`.
NEVER = np.iinfo(np.int64).max


def record_status(method, compliant) -> np.ndarray:
    """The status one record alone gives its household (int8 :class:`CoverageStatus` values).

    A compliant home visit gives HOME, a compliant phone/WeChat check REMOTE (the rules already
    require the whole household to be away), any other record NONCOMPLIANT.
    """
    method = np.asarray(method, dtype=np.int64)
    compliant = np.asarray(compliant, dtype=bool)
    status = np.full(len(method), int(CoverageStatus.NONCOMPLIANT), dtype=np.int8)
    status[compliant & (method == int(InvestigationMethod.HOME_VISIT))] = CoverageStatus.HOME
    status[compliant & (method == int(InvestigationMethod.REMOTE))] = CoverageStatus.REMOTE
    return status


def household_positions(household_ids, record_household_ids) -> np.ndarray:
    """Position of each record's household in ``household_ids`` (-1 when not there)."""
    ids = np.asarray(household_ids, dtype=np.int64)
    wanted = np.asarray(record_household_ids, dtype=np.int64)
    if len(ids) == 0:
        return np.full(len(wanted), -1, dtype=np.int64)
    low, high = int(ids.min()), int(ids.max())
    if high - low > 4 * len(ids) + 1024:
        return pd.Index(ids).get_indexer(wanted)
    # Dense ids (the usual database keys): a lookup table is several times faster than a hash.
    table = np.full(high - low + 1, -1, dtype=np.int64)
    table[ids - low] = np.arange(len(ids))
    if not np.array_equal(table[ids - low], np.arange(len(ids))):
        raise ValueError("household ids must be unique")
    inside = (wanted >= low) & (wanted <= high)
    positions = np.full(len(wanted), -1, dtype=np.int64)
    positions[inside] = table[wanted[inside] - low]
    return positions


def household_status(n_households: int, positions, record_statuses) -> np.ndarray:
    """Each household's status: the best of its records' statuses, UNCHECKED without records.

    Parameters
    ----------
    n_households : int
        Number of households.
    positions : numpy.ndarray
        Household position of each record (see :func:`household_positions`); -1 is skipped.
    record_statuses : numpy.ndarray
        From :func:`record_status`.

    Returns
    -------
    numpy.ndarray
        int8 status per household.
    """
    positions = np.asarray(positions, dtype=np.int64)
    keep = positions >= 0
    status = np.zeros(n_households, dtype=np.int8)
    np.maximum.at(status, positions[keep], np.asarray(record_statuses, dtype=np.int8)[keep])
    return status


def first_covered_day(n_households: int, positions, record_statuses, days) -> np.ndarray:
    """Day of each household's first covering record (:data:`NEVER` when none).

    Parameters
    ----------
    n_households : int
        Number of households.
    positions : numpy.ndarray
        Household position of each record; -1 is skipped.
    record_statuses : numpy.ndarray
        From :func:`record_status`.
    days : numpy.ndarray
        Record dates as day numbers (:func:`gis_app.core.compliance.to_days`).

    Returns
    -------
    numpy.ndarray
        int64 day number per household.
    """
    positions = np.asarray(positions, dtype=np.int64)
    days = np.asarray(days, dtype=np.int64)
    covering = (positions >= 0) & np.isin(record_statuses, [int(s) for s in COVERED])
    covering &= days != NO_DAY
    first = np.full(n_households, NEVER, dtype=np.int64)
    np.minimum.at(first, positions[covering], days[covering])
    return first
