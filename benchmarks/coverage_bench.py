"""Benchmark: investigation coverage from scratch and one record at a time, beside pandas groupby.

Run ``python benchmarks/coverage_bench.py [--sizes 120000 1000000]``. The frames are synthetic
(no database): households with township, village and level-3 grid codes (~5,000, ~300 and ~40
households each), records for ~70% of them with dates as ``datetime.date`` like the store returns,
a few phone checks of households at home, blank checkers, dates outside the campaign and
households checked twice with different answers. The baseline is the straightforward pandas
version: boolean rules, ``groupby().nunique()`` for the answers, ``groupby().max()`` for the
status, ``groupby([unit, status]).size().unstack()`` for the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import timed  # noqa: E402
from gis_app.analysis.coverage import (  # noqa: E402
    CoverageTracker,
    coverage_by_unit,
    household_coverage,
)

START, END = dt.date(2023, 4, 20), dt.date(2023, 6, 20)


def synthesise(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(households, records) of a county of ``n`` households."""
    rng = np.random.default_rng(seed)
    grid = np.sort(rng.integers(0, max(n // 40, 1), n))
    village = grid // 8
    township = village // 16
    households = pd.DataFrame({
        "id": np.arange(1, n + 1),
        "township_code": pd.Series(township).map("43{:07d}".format),
        "township": pd.Series(township).map("乡镇{}".format),
        "village_code": pd.Series(village).map("43{:010d}".format),
        "village": pd.Series(village).map("村{}".format),
        "grid_code": pd.Series(grid).map("G3-{:08d}".format),
        "grid_name": pd.Series(grid).map("网格{}".format),
    })
    checked = np.flatnonzero(rng.random(n) < 0.70)
    twice = rng.choice(checked, max(len(checked) // 1000, 1), replace=False)
    household = np.r_[checked, twice]
    m = len(household)
    away = rng.random(m) < 0.04
    method = np.where(away | (rng.random(m) < 0.01), 2, 1)
    day = np.datetime64(START) + rng.integers(-3, (END - START).days + 1, m)
    has_risk = rng.random(m) < 0.05
    has_risk[len(checked):] = ~has_risk[np.searchsorted(checked, twice)]
    names = np.array(["张三", "李四", "王五", "赵六", "", None], dtype=object)
    records = pd.DataFrame({
        "id": np.arange(1, m + 1),
        "household_id": household + 1,
        "method": method,
        "checked_on": day.astype("datetime64[D]").astype(object),
        "checker": names[rng.choice(6, m, p=[0.25, 0.25, 0.25, 0.249, 0.0005, 0.0005])],
        "whole_household_away": away,
        "has_risk": has_risk,
        "risk_type": pd.array(np.where(has_risk, 1, 0), dtype="Int64").astype("Int64"),
        "proposed_monitoring_type": pd.array([None] * m, dtype="Int64"),
    })
    records.loc[~records["has_risk"], "risk_type"] = pd.NA
    return households, records


def baseline(households: pd.DataFrame, records: pd.DataFrame, column: str = "grid_code"):
    """The same table with plain pandas: rules, groupby, merge, unstack."""
    day = pd.to_datetime(records["checked_on"])
    checker = records["checker"]
    local_ok = ~(
        ((records["method"] == 2) & ~records["whole_household_away"])
        | checker.isna() | (checker.fillna("").str.strip() == "")
        | day.isna() | (day < pd.Timestamp(START)) | (day > pd.Timestamp(END))
        | ~records["method"].isin([1, 2])
    )
    answers = records.groupby("household_id")[
        ["has_risk", "risk_type", "proposed_monitoring_type"]].nunique(dropna=False)
    conflict = records["household_id"].map(answers.max(axis=1) > 1)
    rank = np.where(local_ok & ~conflict, np.where(records["method"] == 1, 3, 2), 1)
    best = pd.Series(rank).groupby(records["household_id"]).max()
    status = households["id"].map(best).fillna(0).astype(int)
    table = households.groupby([column, status]).size().unstack(fill_value=0)
    table = table.reindex(columns=[0, 1, 2, 3], fill_value=0)
    table["households"] = table.sum(axis=1)
    table["coverage"] = (table[2] + table[3]) / table["households"]
    return table.sort_values("coverage")



def _new_record(rng, n: int) -> dict:
    return {
        "household_id": int(rng.integers(1, n + 1)),
        "method": 1,
        "checked_on": START + dt.timedelta(days=int(rng.integers(0, 60))),
        "checker": "新核查人",
        "whole_household_away": False,
        "has_risk": False,
        "risk_type": None,
        "proposed_monitoring_type": None,
    }


def _scratch(households: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    status, _ = household_coverage(households["id"], records, START, END)
    return coverage_by_unit(households, status, 3)


def bench_size(n: int, repeat: int = 3) -> list[tuple[str, float, str, float | None]]:
    """Rows of (what, seconds, baseline name, baseline seconds) for ``n`` households."""
    households, records = synthesise(n)
    label = f"{n:,} households, {len(records):,} records"
    base_s, expected = timed(lambda: baseline(households, records), repeat)
    seconds, table = timed(lambda: _scratch(households, records), repeat)
    ours = table.set_index("code")[["households", "coverage"]].sort_index()
    theirs = expected[["households", "coverage"]].sort_index()
    assert np.array_equal(ours["households"].to_numpy(), theirs["households"].to_numpy())
    assert np.allclose(ours["coverage"].to_numpy(), theirs["coverage"].to_numpy())
    rows = [(f"coverage from scratch: status + level-3 table ({label})", seconds,
             "pandas groupby recomputation", base_s)]

    seconds, tracker = timed(lambda: CoverageTracker(households, records, START, END), repeat)
    rows.append((f"CoverageTracker from scratch: status + counts at 3 levels ({label})", seconds,
                 "pandas groupby recomputation (one level)", base_s))

    rng = np.random.default_rng(1)
    times, added = [], []
    for _ in range(20):
        record = _new_record(rng, n)
        start = time.perf_counter()
        tracker.apply_record(record)
        tracker.table(3)
        times.append(time.perf_counter() - start)
        added.append(record)
    grown = pd.concat([records, pd.DataFrame(added)], ignore_index=True)
    base_one, _ = timed(lambda: baseline(households, grown), repeat)
    status, _ = household_coverage(households["id"], grown, START, END)
    assert np.array_equal(status, tracker.status)
    rows.append((f"one new record → updated level-3 table, median of 20 ({n:,} households)",
                 statistics.median(times), "pandas groupby recomputation", base_one))
    return rows


def bench_record_service(n: int, project_path: Path | None = None, repeat: int = 3):
    """RecordService.add_record on a generated project of ``n`` households (the window's path).

    One call validates the record, reads the household's earlier answers, writes the record and
    its audit row in one transaction, pushes the undo step and updates the tracker; then the
    level-3 table is read from the tracker. The baseline writes the same kind of record and
    recomputes the table from the store, as a window without the tracker would.
    ``project_path``: a project of that size already built (run.py's), copied first.
    """
    import shutil
    import tempfile

    from gis_app.services.coverage_service import campaign_coverage
    from gis_app.services.record_service import RecordService
    from gis_app.services.sample_service import create_sample_project
    from gis_app.storage.project import open_project

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "county.gmp"
        if project_path is not None and Path(project_path).exists():
            shutil.copy(project_path, path)
            project = open_project(path)
        else:
            project = create_sample_project(path, households=n)
        service = RecordService(project, campaign_id=1)
        start = service.campaign["start_date"]
        ids = service.households["id"].to_numpy()
        rng = np.random.default_rng(3)

        def one_record():
            service.add_record(int(rng.choice(ids)), method=1, checker="新核查人",
                               checked_on=start + dt.timedelta(days=int(rng.integers(0, 60))))
            return service.table(3)

        times = [timed(one_record, 1)[0] for _ in range(20)]

        def write_and_recompute():
            service.add_record(int(rng.choice(ids)), method=1, checker="新核查人",
                               checked_on=start + dt.timedelta(days=int(rng.integers(0, 60))))
            return campaign_coverage(project, level=3, campaign_id=1)

        base, _ = timed(write_and_recompute, repeat)
        fresh = RecordService(project, campaign_id=1)  # from scratch: the same statuses
        assert np.array_equal(fresh.tracker.status, service.tracker.status)
        project.close()
    return (f"RecordService.add_record: checks, record + audit row in one transaction, undo "
            f"step, tracker → level-3 table, median of 20 ({n:,} households in a project)",
            statistics.median(times), "same write, then campaign_coverage() from the store", base)


def bench_coverage(sizes=(120_000, 1_000_000), repeat: int = 3, echo: bool = True,
                   projects: dict | None = None):
    """Rows of (what, seconds, baseline name, baseline seconds); printed when ``echo``.

    ``projects``: size → a project file of that size already built (for the record service
    row, which runs for counties up to 200,000 households).
    """
    rows = []
    for n in sizes:
        extra = ([bench_record_service(n, (projects or {}).get(n), repeat)]
                 if n <= 200_000 else [])
        for row in bench_size(n, repeat) + extra:
            rows.append(row)
            if echo:
                what, seconds, base_name, base = row
                print(f"| {what} | {_fmt(seconds)} | {base_name} | {_fmt(base)} |", flush=True)
    return rows


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds:.4f}" if seconds < 0.01 else f"{seconds:.3f}"


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[120_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| what | seconds | baseline | baseline seconds |")
    print("|---|---:|---|---:|")
    bench_coverage(tuple(args.sizes), args.repeat)


if __name__ == "__main__":
    main()
