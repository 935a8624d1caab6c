"""Coverage of the centralized investigation per township, village, grid and worker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gis_app.core.assignments import in_force
from gis_app.core.codes import RESPONSIBLE_ROLES
from gis_app.core.compliance import (
    LOCAL_RULES,
    answer_codes,
    check_records,
    local_flags,
    to_days,
)
from gis_app.core.coverage import (
    NEVER,
    STATUS_KEYS,
    CoverageStatus,
    first_covered_day,
    household_positions,
    household_status,
    record_status,
)

#: Household columns holding each unit level's code and name.
LEVEL_COLUMNS: dict[int, tuple[str, str]] = {
    1: ("township_code", "township"),
    2: ("village_code", "village"),
    3: ("grid_code", "grid_name"),
}

#: Name of the unit gathering households without a code at that level.
UNKNOWN_UNIT: dict[int, str] = {1: "（未知乡镇）", 2: "（未知村）", 3: "（未划入网格）"}

#: Columns of the per-unit tables, in order.
TABLE_COLUMNS: list[str] = [
    "code",
    "name",
    "households",
    "home",
    "remote",
    "noncompliant",
    "unchecked",
    "coverage",
]

_N_STATUS = len(STATUS_KEYS)


@dataclass(frozen=True)
class UnitIndex:
    """The units of one level: each household's unit, and each unit's code and name."""

    unit: np.ndarray
    codes: np.ndarray
    names: np.ndarray

    @classmethod
    def of(cls, households: pd.DataFrame, level: int,
           units: pd.DataFrame | None = None) -> UnitIndex:
        """Units of ``level`` (1 township, 2 village, 3 level-3 grid) from household columns.

        Households without a code at that level form one more unit, with code None (the last).
        ``units`` (``code``, ``name``): units to list even without a household (an empty
        grid after a split), after those the households name.
        """
        if level not in LEVEL_COLUMNS:
            raise ValueError(f"统计层级应为1（乡镇）、2（村）或3（三级网格），而不是{level}")
        code_column, name_column = LEVEL_COLUMNS[level]
        unit, uniques = pd.factorize(households[code_column], use_na_sentinel=True)
        unit = unit.astype(np.int64)
        codes = np.asarray(uniques, dtype=object)
        names = households[name_column] if name_column in households else households[code_column]
        first = np.full(len(codes), -1, dtype=np.int64)
        located = np.flatnonzero(unit >= 0)
        first[unit[located[::-1]]] = located[::-1]
        unit_names = np.asarray(names.iloc[first], dtype=object)
        unit_names = np.where(pd.isna(unit_names), codes, unit_names)
        if units is not None and len(units):
            listed = units.dropna(subset=["code"]).drop_duplicates("code")
            empty = listed[~listed["code"].isin(set(codes))]
            codes = np.concatenate([codes, empty["code"].to_numpy(dtype=object)])
            unit_names = np.concatenate([unit_names, empty["name"].to_numpy(dtype=object)])
        if (unit < 0).any():
            unit = np.where(unit < 0, len(codes), unit)
            codes = np.append(codes, None)
            unit_names = np.append(unit_names, UNKNOWN_UNIT[level])
        return cls(unit, codes, unit_names)

    def counts(self, status: np.ndarray) -> np.ndarray:
        """Households per (unit, status): int64 array of shape (units, 4)."""
        flat = self.unit * _N_STATUS + np.asarray(status, dtype=np.int64)
        size = len(self.codes) * _N_STATUS
        return np.bincount(flat, minlength=size).reshape(len(self.codes), _N_STATUS)


def household_coverage(
    household_ids, records: pd.DataFrame, start_date: dt.date, end_date: dt.date
) -> tuple[np.ndarray, np.ndarray]:
    """Each household's coverage status and the day of its first covering check.

    Parameters
    ----------
    household_ids : array-like of int
        The campaign's households.
    records : pandas.DataFrame
        The campaign's records (columns of :data:`gis_app.core.compliance.RECORD_COLUMNS`);
        records of other households are ignored.
    start_date, end_date : datetime.date
        The campaign window.

    Returns
    -------
    status : numpy.ndarray
        int8 :class:`~gis_app.core.coverage.CoverageStatus` value per household.
    first_day : numpy.ndarray
        int64 day number (days since 1970-01-01), ``NEVER`` when not covered.
    """
    days = to_days(records["checked_on"].to_numpy())
    # Dates converted once: the rules get them as datetime64, which they take as they are.
    flags = check_records(
        records.assign(checked_on=days.astype("datetime64[D]")), start_date, end_date
    )
    positions = household_positions(household_ids, records["household_id"].to_numpy())
    statuses = record_status(records["method"].to_numpy(), flags["compliant"].to_numpy())
    n = len(household_ids)
    status = household_status(n, positions, statuses)
    first = first_covered_day(n, positions, statuses, days)
    return status, first


def coverage_table(
    codes, names, counts: np.ndarray, workers: Mapping | None = None, sort: bool = True
) -> pd.DataFrame:
    """The per-unit table of :data:`TABLE_COLUMNS` from counts per (unit, status).

    Parameters
    ----------
    codes, names : array-like
        Code and name of each unit.
    counts : numpy.ndarray
        Shape (units, 4), columns in :data:`STATUS_KEYS` order.
    workers : Mapping, optional
        Unit code to the names of its workers (a string or a list); adds a ``workers`` column.
    sort : bool
        Lowest coverage first (the largest gap), then by code; otherwise in unit order.

    Returns
    -------
    pandas.DataFrame
        ``coverage`` is NaN for a unit without households (nothing to cover).
    """
    counts = np.asarray(counts, dtype=np.int64)
    total = counts.sum(axis=1)
    covered = counts[:, int(CoverageStatus.HOME)] + counts[:, int(CoverageStatus.REMOTE)]
    coverage = np.divide(covered, total, out=np.full(len(total), np.nan), where=total > 0)
    table = pd.DataFrame(
        {
            "code": np.asarray(codes, dtype=object),
            "name": np.asarray(names, dtype=object),
            "households": total,
            **{key: counts[:, int(CoverageStatus[key.upper()])] for key in TABLE_COLUMNS[3:7]},
            "coverage": coverage,
        },
        columns=TABLE_COLUMNS,
    )
    if workers is not None:
        table["workers"] = [_names(workers.get(code)) for code in table["code"]]
    return sort_by_gap(table) if sort else table


def sort_by_gap(table: pd.DataFrame) -> pd.DataFrame:
    """Rows with the lowest coverage first, ties by code (units without a code last).

    Units without households (coverage NaN) come after every unit with households.
    """
    codes = table["code"].astype(object).fillna("\uffff").astype(str).to_numpy()
    order = np.lexsort((codes, table["coverage"].to_numpy()))
    return table.iloc[order].reset_index(drop=True)


def _names(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, str):
        return value
    return "、".join(str(v) for v in value)


def coverage_by_unit(
    households: pd.DataFrame,
    status,
    level: int = 3,
    workers: Mapping | None = None,
    sort: bool = True,
    units: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Households per coverage status and the coverage of each township, village or grid.

    Parameters
    ----------
    households : pandas.DataFrame
        ``township_code, township, village_code, village, grid_code`` and optionally
        ``grid_name``, one row per household of the campaign.
    status : array-like
        :class:`~gis_app.core.coverage.CoverageStatus` value of each household (same order).
    level : int
        1 townships, 2 villages, 3 level-3 grids.
    workers : Mapping, optional
        At level 3, grid code to its workers' names (adds a ``workers`` column).
    sort : bool
        Lowest coverage first.
    units : pandas.DataFrame, optional
        ``code, name`` of every unit of the level to list, with or without households.

    Returns
    -------
    pandas.DataFrame
        :data:`TABLE_COLUMNS`; ``coverage = (home + remote) / households`` (NaN without
        households) and the four statuses add up to ``households``.
    """
    index = UnitIndex.of(households, level, units)
    return coverage_table(index.codes, index.names, index.counts(status), workers, sort)


def current_assignments(
    assignments: pd.DataFrame, as_of: dt.date | None = None, level: int = 3
) -> pd.DataFrame:
    """Assignments in force on ``as_of`` (default today) in a role responsible for ``level``.

    In force: the rule of :mod:`gis_app.core.assignments`.

    Parameters
    ----------
    assignments : pandas.DataFrame
        ``worker_id, grid_code, role`` and optionally ``start_date, end_date`` (None: open).
    as_of : datetime.date, optional
        The day; today when None.
    level : int
        Grid level whose responsible roles count (see ``RESPONSIBLE_ROLES``).

    Returns
    -------
    pandas.DataFrame
        The rows of ``assignments`` that qualify.
    """
    roles = [r.value for r in RESPONSIBLE_ROLES[level]]
    keep = np.array(assignments["role"].isin(roles), dtype=bool)
    if "start_date" in assignments or "end_date" in assignments:
        none = np.full(len(assignments), None, dtype=object)
        keep &= in_force(assignments.get("start_date", pd.Series(none)).to_numpy(),
                         assignments.get("end_date", pd.Series(none)).to_numpy(), as_of)
    return assignments[keep]


def coverage_by_worker(
    households: pd.DataFrame,
    status,
    assignments: pd.DataFrame,
    workers: pd.DataFrame,
    as_of: dt.date | None = None,
    sort: bool = True,
) -> pd.DataFrame:
    """Coverage of the households each level-3 worker is currently responsible for.

    A worker's households are those of the level-3 grids they are assigned to on ``as_of`` in a
    level-3 role (三级网格员, 网格员, 网格长, 副网格长).

    Parameters
    ----------
    households : pandas.DataFrame
        With ``grid_code`` (see :func:`coverage_by_unit`).
    status : array-like
        Status of each household.
    assignments : pandas.DataFrame
        ``worker_id, grid_code, role, start_date, end_date`` of level-3 grids.
    workers : pandas.DataFrame
        ``id, name``.
    as_of : datetime.date, optional
        The day the assignments are read on; today when None.
    sort : bool
        Lowest coverage first.

    Returns
    -------
    pandas.DataFrame
        :data:`TABLE_COLUMNS` plus ``grids``; ``code`` is the worker id.
    """
    index = UnitIndex.of(households, 3)
    counts = pd.DataFrame(index.counts(status), columns=list(STATUS_KEYS))
    counts["grid_code"] = index.codes
    current = current_assignments(assignments, as_of)[["worker_id", "grid_code"]]
    pairs = current.drop_duplicates().merge(counts, on="grid_code", how="left")
    pairs[list(STATUS_KEYS)] = pairs[list(STATUS_KEYS)].fillna(0).astype(np.int64)
    per_worker = pairs.groupby("worker_id", sort=True).agg(
        grids=("grid_code", "nunique"), **{k: (k, "sum") for k in STATUS_KEYS}
    )
    names = workers.set_index("id")["name"].reindex(per_worker.index)
    table = coverage_table(
        per_worker.index.to_numpy(),
        names.to_numpy(),
        per_worker[list(STATUS_KEYS)].to_numpy(),
        sort=False,
    )
    table.insert(2, "grids", per_worker["grids"].to_numpy(np.int64))
    return sort_by_gap(table) if sort else table


def cumulative_by_unit(
    households: pd.DataFrame, first_day, start_date: dt.date, end_date: dt.date, level: int = 1
) -> pd.DataFrame:
    """Cumulative coverage of each unit on each day of ``[start_date, end_date]``.

    Parameters
    ----------
    households : pandas.DataFrame
        Household unit columns (see :func:`coverage_by_unit`).
    first_day : numpy.ndarray
        Day number of each household's first covering check
        (:func:`gis_app.core.coverage.first_covered_day`; ``NEVER`` when not covered).
    start_date, end_date : datetime.date
        The days to report, both included.
    level : int
        1 townships, 2 villages, 3 level-3 grids.

    Returns
    -------
    pandas.DataFrame
        ``date, code, name, covered, households, coverage``, by date then unit order.
    """
    index = UnitIndex.of(households, level)
    start, end = to_days([start_date, end_date])
    n_days = max(int(end - start) + 1, 0)
    first_day = np.asarray(first_day, dtype=np.int64)
    seen = (first_day != NEVER) & (first_day <= end)
    day = np.clip(first_day[seen] - start, 0, None)
    k = len(index.codes)
    daily = np.bincount(index.unit[seen] * n_days + day, minlength=k * n_days)
    covered = daily.reshape(k, n_days).cumsum(axis=1).T.ravel()
    total = np.tile(np.bincount(index.unit, minlength=k), n_days)
    dates = (np.datetime64(start_date, "D") + np.arange(n_days)).astype(object)
    return pd.DataFrame(
        {
            "date": np.repeat(dates, k),
            "code": np.tile(index.codes, n_days),
            "name": np.tile(index.names, n_days),
            "covered": covered,
            "households": total,
            "coverage": np.divide(covered, total, out=np.zeros(len(total)), where=total > 0),
        }
    )


def milestone_progress(
    households: pd.DataFrame,
    first_day,
    milestones: pd.DataFrame,
    level: int | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Coverage reached by each milestone's due date, and whether its target was missed.

    Parameters
    ----------
    households : pandas.DataFrame
        Household unit columns (see :func:`coverage_by_unit`).
    first_day : numpy.ndarray
        Day number of each household's first covering check.
    milestones : pandas.DataFrame
        ``key, name, due_date, target_coverage`` (None: not a coverage milestone).
    level : int, optional
        None: all households together; 1, 2 or 3: one row per milestone and unit.
    as_of : datetime.date, optional
        Today when None. A milestone due after ``as_of`` is not missed yet (``missed`` is NA),
        nor is one without a target.

    Returns
    -------
    pandas.DataFrame
        The milestone columns, with ``code, unit`` when by unit, then ``covered, households,
        coverage, missed``.
    """
    first_day = np.asarray(first_day, dtype=np.int64)
    if level is None:
        unit = np.zeros(len(first_day), np.int64)
        codes, names = np.array([None], dtype=object), np.array(["合计"], dtype=object)
    else:
        index = UnitIndex.of(households, level)
        unit, codes, names = index.unit, index.codes, index.names
    k, m = len(codes), len(milestones)
    due = to_days(milestones["due_date"].to_numpy())
    covered = np.zeros((m, k), dtype=np.int64)
    for i in range(m):  # a handful of milestones, each vectorised over the households
        covered[i] = np.bincount(unit[first_day <= due[i]], minlength=k)
    total = np.bincount(unit, minlength=k)
    coverage = np.divide(covered, total, out=np.zeros((m, k)), where=total > 0)
    target = pd.to_numeric(milestones["target_coverage"], errors="coerce").to_numpy(float)
    judged = ~np.isnan(target) & (due <= to_days([as_of or dt.date.today()])[0])
    missed = pd.array(coverage.ravel() < np.repeat(target, k), dtype="boolean")
    missed[~np.repeat(judged, k)] = pd.NA
    frame = milestones[["key", "name", "due_date", "target_coverage"]].reset_index(drop=True)
    frame = frame.loc[np.repeat(np.arange(m), k)].reset_index(drop=True)
    if level is not None:
        frame["code"] = np.tile(codes, m)
        frame["unit"] = np.tile(names, m)
    frame["covered"] = covered.ravel()
    frame["households"] = np.tile(total, m)
    frame["coverage"] = coverage.ravel()
    frame["missed"] = missed
    return frame


class CoverageTracker:
    """Per-household status and per-unit counts, updated one record at a time.

    Built once from a campaign's households and records; :meth:`apply_record` then re-evaluates
    only the household of the new record (its few records, for the answers rule) and moves it
    between status counts, so the per-unit tables stay current without a recomputation.

    Parameters
    ----------
    households : pandas.DataFrame
        ``id`` and the unit columns (see :func:`coverage_by_unit`).
    records : pandas.DataFrame
        The campaign's records (columns of :data:`gis_app.core.compliance.RECORD_COLUMNS`).
    start_date, end_date : datetime.date
        The campaign window.
    units : Mapping, optional
        Level → ``code, name`` of every unit of that level to list, households or not.
    """

    def __init__(
        self, households: pd.DataFrame, records: pd.DataFrame, start_date, end_date,
        units: Mapping[int, pd.DataFrame] | None = None,
    ) -> None:
        self.start_date, self.end_date = start_date, end_date
        self._ids = pd.Index(households["id"].to_numpy(np.int64))
        n = len(self._ids)
        positions = household_positions(self._ids, records["household_id"].to_numpy())
        flags = check_records(records, start_date, end_date)
        local_ok = ~flags[list(LOCAL_RULES)].to_numpy().any(axis=1)
        answers = answer_codes(
            records["has_risk"].to_numpy(),
            records["risk_type"],
            records["proposed_monitoring_type"],
        )
        method = records["method"].to_numpy(np.int64)
        self.status = household_status(
            n, positions, record_status(method, flags["compliant"].to_numpy())
        )
        # Records grouped by household (CSR): those of household p are [offsets[p], offsets[p+1]).
        keep = np.flatnonzero(positions >= 0)
        order = keep[np.argsort(positions[keep], kind="stable")]
        self._offsets = np.r_[0, np.cumsum(np.bincount(positions[keep], minlength=n))]
        self._local_ok, self._method, self._answers = local_ok[order], method[order], answers[order]
        self._added: dict[int, list[tuple[bool, int, int]]] = {}
        units = units or {}
        self.units = {level: UnitIndex.of(households, level, units.get(level))
                      for level in LEVEL_COLUMNS}
        self.counts = {level: index.counts(self.status) for level, index in self.units.items()}

    @property
    def ids(self) -> pd.Index:
        """The campaign's households, in the order of :attr:`status`."""
        return self._ids

    def apply_record(self, record: Mapping) -> CoverageStatus:
        """Add one record and update its household's status and the unit counts.

        Parameters
        ----------
        record : Mapping
            ``household_id, method, checked_on, checker, whole_household_away, has_risk,
            risk_type, proposed_monitoring_type``.

        Returns
        -------
        CoverageStatus
            The household's status after the record.
        """
        household = int(record["household_id"])
        try:
            p = int(self._ids.get_loc(household))
        except KeyError:
            raise KeyError(f"农户{household}不在本次集中排查的范围内") from None
        flags = local_flags(
            [record["method"]],
            [record.get("checked_on")],
            [record.get("checker")],
            [bool(record.get("whole_household_away", False))],
            self.start_date,
            self.end_date,
        )
        ok = not any(bool(flag[0]) for flag in flags.values())
        answer = answer_codes(
            [bool(record.get("has_risk", False))],
            [record.get("risk_type")],
            [record.get("proposed_monitoring_type")],
        )[0]
        self._added.setdefault(p, []).append((ok, int(record["method"]), int(answer)))
        lo, hi = self._offsets[p], self._offsets[p + 1]
        added = self._added[p]
        local_ok = np.r_[self._local_ok[lo:hi], [a[0] for a in added]]
        method = np.r_[self._method[lo:hi], [a[1] for a in added]]
        answers = np.r_[self._answers[lo:hi], [a[2] for a in added]]
        conflict = len(np.unique(answers)) > 1
        new = int(record_status(method, local_ok & ~conflict).max())
        old = int(self.status[p])
        if new != old:
            self.status[p] = new
            for level, index in self.units.items():
                counts = self.counts[level]
                counts[index.unit[p], old] -= 1
                counts[index.unit[p], new] += 1
        return CoverageStatus(new)

    def move(self, household_ids, codes: Mapping[int, np.ndarray]) -> bool:
        """Households moved to other units (a location set, a grid edited): counts follow.

        Parameters
        ----------
        household_ids : array-like of int
            Households of the campaign.
        codes : Mapping
            Level → each household's unit code at that level now (None: no unit).

        Returns
        -------
        bool
            False, changing nothing, when a household is not in the campaign or a unit is not
            one the tracker lists (then only a recount is right).
        """
        positions = self._ids.get_indexer(np.asarray(household_ids, dtype=np.int64))
        if (positions < 0).any():
            return False
        moved = {}
        for level, index in self.units.items():
            known = {code: unit for unit, code in enumerate(index.codes)}
            new = np.array([known.get(code, -1) for code in codes[level]], dtype=np.int64)
            if (new < 0).any():
                return False
            moved[level] = new
        status = self.status[positions].astype(np.int64)
        for level, index in self.units.items():
            counts = self.counts[level]
            np.subtract.at(counts, (index.unit[positions], status), 1)
            np.add.at(counts, (moved[level], status), 1)
            index.unit[positions] = moved[level]
            if index.codes[-1] is None and not counts[-1].any():
                # the last household without a unit got one: the row goes, as in a recount
                self.units[level] = UnitIndex(index.unit, index.codes[:-1], index.names[:-1])
                self.counts[level] = counts[:-1]
        return True

    def table(self, level: int = 3, workers: Mapping | None = None, sort: bool = True):
        """The per-unit table of :func:`coverage_by_unit`, from the kept counts.

        Parameters
        ----------
        level : int
            1 townships, 2 villages, 3 level-3 grids.
        workers : Mapping, optional
            Grid code to its workers' names.
        sort : bool
            Lowest coverage first.

        Returns
        -------
        pandas.DataFrame
        """
        index = self.units[level]
        return coverage_table(index.codes, index.names, self.counts[level], workers, sort)
