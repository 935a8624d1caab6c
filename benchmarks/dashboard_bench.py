"""Benchmark: the dashboard (工作看板) after a new visit record, beside a full recount.

Run ``python benchmarks/dashboard_bench.py [--households 120000] [--repeat 7]``. The county is
``benchmarks/_work/county-<n>.gmp`` (built once, as session_bench.py builds it), copied for each
run so the records added here do not pile up. Rows:

- the service: ``DashboardService.compute`` of the county and of one township right after a
  visit record was saved (the record service's unit of work; the session's events move the
  kept arrays) — every tile and chart;
- the window: the 工作看板 dock shown, the dock's refresh that the record's change set sets off
  (the count, the seven tiles and nine charts drawn again), events handled;
- the first count (the campaign's per-household state, every derived part; the exposure apart)
  all on one thread, then split as the window runs it: ``gather`` (the window's thread: the
  session's frames), ``count_parts`` (the worker's thread) and ``adopt`` + ``compute`` (the
  window's thread), on a fresh session whose map sources are loaded;
- the window opening the dock on a fresh window: the time its thread is blocked (the dock
  shown, the count gathered and started; the count taken and drawn; the exposure's inputs
  warmed and started; the exposure taken and drawn) beside the worker's time for the count
  and the exposure;
- the baseline in the same run: the same county-wide figures by plain pandas straight from the
  store (read the tables, the compliance rules, ``groupby`` counts), as a dashboard without kept
  state would recount after each record. Its coverage is asserted equal to the service's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = ROOT / "benchmarks" / "_work"

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def county(households: int) -> Path:
    """The synthetic county of that size, built once (written aside, then moved in place)."""
    path = WORK / f"county-{households}.gmp"
    if not path.exists():
        from gis_app.services.sample_service import create_sample_project

        WORK.mkdir(parents=True, exist_ok=True)
        building = WORK / f"county-{households}.building-{os.getpid()}.gmp"
        create_sample_project(building, households=households).close()
        building.replace(path)
    return path


def fresh_copy(households: int, name: str) -> Path:
    copy = WORK / f"dashboard-{name}-{households}.gmp"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copy(county(households), copy)
    return copy


def baseline(path: Path, as_of: dt.date) -> dict:
    """The county's figures recounted with plain pandas from the store."""
    from gis_app.core.compliance import check_records

    with sqlite3.connect(path) as connection:
        def read(sql):
            return pd.read_sql_query(sql, connection)

        campaign = read("SELECT * FROM campaign ORDER BY year DESC, round DESC LIMIT 1").iloc[0]
        homes = read("""SELECT h.id, h.attribute, h.monitoring_type, h.risk_eliminated,
                               h.grid_id, v.parent_id AS township
                        FROM household h LEFT JOIN admin_unit v ON v.id = h.village_id""")
        towns = set(read(f"SELECT township_id FROM campaign_township "
                         f"WHERE campaign_id = {int(campaign['id'])}")["township_id"])
        records = read(f"SELECT * FROM investigation_record "
                       f"WHERE campaign_id = {int(campaign['id'])}")
        pairs = read("SELECT household_id, start_date, end_date FROM helper_pair")
        clues = read("SELECT household_id, found_on, verified_on FROM risk_clue")
        cases = read("SELECT household_id, started_on, status FROM monitoring_case")
        assignments = read(f"""SELECT a.worker_id, a.grid_id FROM grid_assignment a
                              JOIN grid g ON g.id = a.grid_id WHERE g.level = 3
                              AND a.role IN ('三级网格员', '网格员', '网格长', '副网格长')
                              AND (a.end_date IS NULL OR a.end_date > '{as_of}')
                              AND a.start_date <= '{as_of}'""")
    start = dt.date.fromisoformat(str(campaign["start_date"])[:10])
    end = dt.date.fromisoformat(str(campaign["end_date"])[:10])
    inside = homes[homes["township"].isin(towns)]
    ok = check_records(records, start, end)["compliant"].to_numpy()
    rank = np.where(ok & (records["method"] == 1), 3, np.where(ok & (records["method"] == 2),
                                                                2, 1))
    best = pd.Series(rank).groupby(records["household_id"].to_numpy()).max()
    status = inside["id"].map(best).fillna(0)
    monitored = homes[(homes["attribute"] == 2) & (homes["risk_eliminated"] == 0)]
    now = pairs[(pairs["start_date"] <= str(as_of))
                & (pairs["end_date"].isna() | (pairs["end_date"] > str(as_of)))]
    found = pd.to_datetime(clues["found_on"])
    per_grid = homes["grid_id"].value_counts()
    return {
        "covered": int(status.isin([2, 3]).sum()), "households": len(status),
        "home": int((status == 3).sum()),
        "types": monitored["monitoring_type"].value_counts().to_dict(),
        "paired": int(monitored["id"].isin(set(now["household_id"])).sum()),
        # an approximate deadline (7 calendar days): the plain count has no holiday calendar
        "open_late": int((clues["verified_on"].isna()
                          & (pd.Timestamp(as_of) - found).dt.days.gt(7)).sum()),
        "cases_late": int(((cases["status"] == "办理中")
                           & (pd.Timestamp(as_of) - pd.to_datetime(cases["started_on"]))
                           .dt.days.gt(15)).sum()),
        "load": float(assignments.drop_duplicates().assign(
            n=lambda f: f["grid_id"].map(per_grid).fillna(0)).groupby("worker_id")["n"]
            .sum().mean()),
    }


def _unchecked(session, count: int) -> list[int]:
    tracker = session.coverage()
    return [int(i) for i in tracker.ids[tracker.status == 0][:count]]


def bench_service(households: int, repeat: int) -> list[tuple[str, float, str, float]]:
    from gis_app.services.dashboard_service import COUNTY, TOWNSHIP, DashboardService
    from gis_app.services.exposure_service import compute_exposure
    from gis_app.services.record_service import RecordService
    from gis_app.services.session import ProjectSession
    from gis_app.storage.project import open_project

    path = fresh_copy(households, "service")
    session = ProjectSession(open_project(path), user="bench")
    session.load()
    service = DashboardService(session)
    start = time.perf_counter()
    service.compute()
    first = time.perf_counter() - start
    service.set_exposure(compute_exposure(session, 0.0))
    service.compute()
    township = service.units().query("level == 1")["code"].iloc[0]
    records = RecordService(session)
    day = records.campaign["start_date"] + dt.timedelta(days=5)
    county_times, township_times, edit_times = [], [], []
    for household in _unchecked(session, repeat):
        start = time.perf_counter()
        records.add_record(household, method=1, checker="测试", checked_on=day)
        edit_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        board = service.compute(COUNTY)
        county_times.append(time.perf_counter() - start)
        records.add_record(household, method=1, checker="测试", checked_on=day)
        start = time.perf_counter()
        service.compute(TOWNSHIP, township)
        township_times.append(time.perf_counter() - start)
    base_times = []
    for _ in range(3):
        start = time.perf_counter()
        figures = baseline(path, service.as_of())
        base_times.append(time.perf_counter() - start)
    assert figures["covered"] == board.indicators["coverage"].counts[0], figures
    assert figures["households"] == board.indicators["coverage"].counts[1]
    assert abs(figures["load"] - board.indicators["worker_load"].value) < 1e-9
    session.close()
    split = _split_count(path)
    base = statistics.median(base_times)
    label = "plain pandas recount from the store (county)"
    return [
        (f"{households:,} households: dashboard of the county after one new visit record "
         "(every tile and chart), median", statistics.median(county_times), label, base),
        (f"{households:,} households: … of one township", statistics.median(township_times),
         label, base),
        (f"{households:,} households: the record's unit of work and the session's events "
         "(for scale; not part of the refresh)", statistics.median(edit_times), label, base),
        (f"{households:,} households: the dashboard's first count (campaign state, units, "
         "pairs, clues, cases, workers; exposure apart), all on one thread", first, label,
         base),
        (f"{households:,} households: … split: gather on the window's thread (the session's "
         "frames read)", split[0], label, base),
        (f"{households:,} households: … split: count_parts on the worker's thread",
         split[1], label, base),
        (f"{households:,} households: … split: adopt and compute on the window's thread",
         split[2], label, base),
    ]


def _split_count(path: Path) -> tuple[float, float, float]:
    """The first count as the window runs it: gather, count_parts, adopt + compute."""
    from gis_app.services.dashboard_service import DashboardService, count_parts
    from gis_app.services.session import ProjectSession
    from gis_app.storage.project import open_project

    session = ProjectSession(open_project(path), user="bench")
    session.load()  # what the map reads on opening
    service = DashboardService(session)
    start = time.perf_counter()
    counting = service.gather()
    gathered = time.perf_counter() - start
    start = time.perf_counter()
    counted = count_parts(counting)
    worker = time.perf_counter() - start
    start = time.perf_counter()
    assert service.adopt(counted)
    service.compute()
    adopted = time.perf_counter() - start
    session.close()
    return gathered, worker, adopted


def bench_window(households: int, repeat: int) -> list[tuple[str, float, str, float]]:
    from PyQt6.QtCore import QSettings

    from gis_app.services.record_service import RecordService
    from gis_app.services.session import ProjectSession
    from gis_app.storage.project import open_project
    from gis_app.ui.app import application
    from gis_app.ui.main_window import MainWindow

    path = fresh_copy(households, "window")
    app = application()
    settings = QSettings(str(WORK / "dashboard-bench.ini"), QSettings.Format.IniFormat)
    settings.clear()
    session = ProjectSession(open_project(path), user="bench", watch=True)
    window = MainWindow(session, settings)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    controller = window.controller("dashboard")
    blocked: dict[str, float] = {}
    worker: dict[str, float] = {}
    finish = controller._finished

    def timed_finish(outcome, error=None):  # the outcome taken and drawn: the window's thread
        kind = controller.thread.kind
        worker[kind] = controller.thread.seconds
        start = time.perf_counter()
        finish(outcome, error)
        blocked[kind] = time.perf_counter() - start

    controller._finished = timed_finish
    start = time.perf_counter()
    controller.show_dashboard()  # the dock shown, the count gathered and started
    blocked["open"] = time.perf_counter() - start
    while controller.thread is not None or "exposure" not in blocked:
        app.processEvents()
        time.sleep(0.005)
    app.processEvents()
    controller._finished = finish
    times = []
    refresh = controller.refresh

    def timed():
        start = time.perf_counter()
        refresh()
        times.append(time.perf_counter() - start)

    controller.refresh = timed
    records = RecordService(session)
    day = records.campaign["start_date"] + dt.timedelta(days=5)
    for household in _unchecked(session, repeat):
        records.add_record(household, method=1, checker="测试", checked_on=day)
        app.processEvents()
    start = time.perf_counter()
    baseline(path, controller.service.as_of())
    base = time.perf_counter() - start
    window.close()
    session.close()
    label = "plain pandas recount from the store (county)"
    window_total = sum(blocked.values())
    return [(f"{households:,} households: the 工作看板 dock's refresh after one new visit "
             "record (count, 7 tiles and 9 charts drawn again), median",
             statistics.median(times), label, base),
            (f"{households:,} households: opening the dock, the window's thread blocked in "
             f"all (open {blocked['open']:.3f} s + count taken and drawn, exposure started "
             f"{blocked['count']:.3f} s + exposure taken and drawn {blocked['exposure']:.3f} "
             "s; longest of the three)", max(blocked["open"], blocked["count"],
                                             blocked["exposure"]), label, base),
            (f"{households:,} households: … the window's thread in all", window_total, label,
             base),
            (f"{households:,} households: … the worker's thread: the first count",
             worker["count"], label, base),
            (f"{households:,} households: … the worker's thread: the exposure",
             worker["exposure"], label, base)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=120_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rows = bench_service(args.households, args.repeat)
    rows += bench_window(args.households, args.repeat)
    load = os.getloadavg()
    print(f"\n{platform.node()} · {os.cpu_count()} CPUs · load {load[0]:.2f} · "
          f"{dt.datetime.now():%Y-%m-%d %H:%M}\n")
    print("| measure | seconds | baseline (same run) | seconds |")
    print("|---|---:|---|---:|")
    for name, seconds, base_name, base in rows:
        print(f"| {name} | {seconds:.4f} | {base_name} | {base:.3f} |")


if __name__ == "__main__":
    main()
