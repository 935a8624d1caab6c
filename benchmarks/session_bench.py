"""The session's figures of issue 8, each beside a baseline measured in the same run.

1. One edit touching one household in a 120,000-household county: the unit of work, the
   session re-reading that row and every view of the window following it (the event loop
   drained), against re-loading the layers (what a window without change sets would do).
2. Opening a 1,000,000-household county in the window: open → first draw, and the process's
   peak memory, against the former way of loading households (every attribute, shapely points)
   measured in a separate process of the same run.

Run: ``.venv/bin/python benchmarks/session_bench.py [--households 120000] [--large 1000000]``.
Counties are built into benchmarks/_work/ (kept between runs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = ROOT / "benchmarks" / "_work"
#: The snapshots of the counties opened here (storage/snapshot.py).
CACHE = WORK / "cache"


def county(households: int) -> Path:
    """The synthetic county of that size, built once."""
    path = WORK / f"county-{households}.gmp"
    if not path.exists():
        from gis_app.services.sample_service import create_sample_project

        WORK.mkdir(parents=True, exist_ok=True)
        create_sample_project(path, households=households).close()
    return path


def _window(path: Path):
    from PyQt6.QtCore import QSettings

    from gis_app.services.session import ProjectSession
    from gis_app.storage.project import open_project
    from gis_app.ui.app import application
    from gis_app.ui.main_window import MainWindow

    app = application()
    settings = QSettings(str(WORK / "bench.ini"), QSettings.Format.IniFormat)
    settings.clear()
    session = ProjectSession(open_project(path), user="bench", watch=True)
    window = MainWindow(session, settings)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    window.canvas.grab()
    return app, window


def bench_edit(households: int, repeat: int) -> list[tuple[str, float, str, float]]:
    """One household edit (place it, then move it) with the window following; vs reloading."""
    from gis_app.services.household_service import HouseholdService
    from gis_app.services.record_service import RecordService

    copy = WORK / f"edit-{households}.gmp"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copy(county(households), copy)
    app, window = _window(copy)
    session = window.session
    grids = session.grids[session.grids["level"] == 3]
    spots = [g.representative_point() for g in grids.geometry.iloc[:repeat + 1]]
    household = int(session.households["id"].iloc[len(session.households) // 2])
    service = HouseholdService(session)
    place, place_paint = _timed(app, [lambda s=s: service.place(household, s.x, s.y, True)
                                      for s in spots])

    records = RecordService(session)
    ids = list(records.tracker.ids[:repeat + 1])
    window.docks["排查覆盖"].raise_()
    app.processEvents()
    record, record_paint = _timed(app, [
        lambda h=h: records.add_record(int(h), method=1, checker="测试",
                                       checked_on=records.campaign["start_date"])
        for h in ids])

    reloads = []
    for _ in range(3):
        start = time.perf_counter()
        session.reload()  # every source read again, every layer and view rebuilt
        _ = session.households
        app.processEvents()
        window.canvas.grab()
        reloads.append(time.perf_counter() - start)
    reload = statistics.median(reloads)
    window.close()
    session.close()
    return [
        (f"{households:,} households: place one household — store, session and every view "
         "updated (events handled), median", place, "re-load every layer and view", reload),
        (f"{households:,} households: … then the map repainted (full extent, 1600×1000)",
         place_paint, "re-load every layer and view", reload),
        (f"{households:,} households: save one visit with the coverage dock shown — store, "
         "session and views, median", record, "re-load every layer and view", reload),
        (f"{households:,} households: … then the window repainted", record_paint,
         "re-load every layer and view", reload),
    ]


def _timed(app, edits) -> tuple[float, float]:
    """Median seconds of each edit with its views following, and of the repaint after it.

    Qt paints when control returns to the event loop; every view's data is already updated
    when the edit call returns (the session's events are delivered synchronously).
    """
    edits[0]()  # the first reads columns once (the head's name for the unlocated list)
    app.processEvents()
    edit_times, paint_times = [], []
    for run in edits[1:]:
        start = time.perf_counter()
        run()
        middle = time.perf_counter()
        app.processEvents()
        edit_times.append(middle - start)
        paint_times.append(time.perf_counter() - middle)
    return statistics.median(edit_times), statistics.median(paint_times)


_OLD_LOAD = """
import sys, time
start = time.perf_counter()
sys.path.insert(0, {root!r})
import geopandas as gpd
from gis_app.storage.project import open_project
from gis_app.storage.reader import load_households
frame = load_households(open_project({path!r}).engine)
points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
                          crs=4490).to_crs(4526)
elapsed = time.perf_counter() - start
peak = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(elapsed, int(peak) / 1024)
"""


def _measure(script: str, path: Path) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", script.format(root=str(ROOT), path=str(path))],
                         check=True, capture_output=True, text=True).stdout.split()
    return float(out[-2]), float(out[-1])


def _open_app(path: Path) -> tuple[float, float]:
    """``gis-app open PATH`` as a user starts it: seconds until the map is first painted
    (the app prints ``opened: …`` then, with GIS_APP_EXIT_AFTER_PAINT=1) and the peak memory
    (MB) of the whole process, from the kernel's accounting of that child."""
    env = {**os.environ, "GIS_APP_EXIT_AFTER_PAINT": "1", "QT_QPA_PLATFORM": "offscreen",
           "GIS_APP_CACHE_DIR": str(CACHE)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules compiled once, then cached
    command = [str(Path(sys.executable).with_name("gis-app")), "open", str(path)]
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    for line in child.stdout:
        if line.startswith("opened:"):
            break
    painted = time.perf_counter() - start
    child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"gis-app open exited with {child.returncode}")
    return painted, usage.ru_maxrss / 1024


def bench_open(households: int, repeat: int = 3) -> list[tuple[str, float, str, float]]:
    """Open → first draw and peak memory of the real app, each in a fresh process.

    The first open of a county after it changed builds its snapshots; the figures are the
    median of ``repeat`` opens after that one (a county is opened many times between big
    imports), the first open beside them.
    """
    path = county(households)
    shutil.rmtree(CACHE, ignore_errors=True)  # no snapshot: the first open reads the store
    first_seconds, first_peak = _open_app(path)
    runs = [_open_app(path) for _ in range(repeat)]
    seconds = statistics.median(r[0] for r in runs)
    peak = max(r[1] for r in runs)
    old_seconds, old_peak = _measure(_OLD_LOAD, path)
    return [
        (f"{households:,} households: `gis-app open` → map painted (new process, imports "
         "included), median", seconds,
         "former household load alone (all attributes, shapely points)", old_seconds),
        (f"{households:,} households: peak memory of that process, MB", peak,
         "former household load alone, MB", old_peak),
        (f"{households:,} households: the first open, without snapshots (they are written "
         "then), s", first_seconds, "former household load alone", old_seconds),
        (f"{households:,} households: peak memory of the first open, MB", first_peak,
         "former household load alone, MB", old_peak),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=120_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    rows = bench_edit(args.households, args.repeat)
    if args.large:
        rows += bench_open(args.large)
    print("| what | result | baseline | baseline result |\n|---|---:|---|---:|")
    for what, value, base, base_value in rows:
        print(f"| {what} | {value:.3f} | {base} | {base_value:.3f} |")


if __name__ == "__main__":
    main()
