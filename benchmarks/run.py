"""Benchmarks of the foundation: build, open, load and join a county, each beside a baseline.

Run: ``.venv/bin/python benchmarks/run.py [--sizes 120000 1000000] [--repeat 3]``.
Prints a Markdown table (median of ``--repeat`` runs) to paste into docs/performance.md.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sqlite3
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.common import timed  # noqa: E402
from gis_app.runtime import freeze_start_up, tune_allocator  # noqa: E402

WORK = ROOT / "benchmarks" / "_work"



def bench_size(households: int, repeat: int, map_figures: bool = True
               ) -> list[tuple[str, float, str, float | None]]:
    """Rows of (what, seconds, baseline name, baseline seconds) for one county size."""
    from gis_app.analysis import PolygonIndex
    from gis_app.services.sample_service import create_sample_project
    from gis_app.storage.project import open_project
    from gis_app.storage.reader import load_grids, load_households

    rows = []
    path = WORK / f"county-{households}.gmp"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    seconds, project = timed(lambda: create_sample_project(path, households=households))
    frame = load_households(project.engine)
    project.close()
    pandas_db = WORK / f"pandas-{households}.sqlite"
    pandas_db.unlink(missing_ok=True)

    def pandas_to_sql():
        connection = sqlite3.connect(pandas_db)
        frame.to_sql("household", connection, index=False, chunksize=50_000)
        connection.close()

    base, _ = timed(pandas_to_sql)
    rows.append((f"build county ({households:,} households, all tables) into a project", seconds,
                 "pandas to_sql of the household table alone", base))

    def open_and_load():
        project = open_project(path)
        frame = load_households(project.engine)
        project.close()
        return frame

    seconds, frame = timed(open_and_load, repeat)
    columns = len(frame.columns)

    def plain_sqlite():
        connection = sqlite3.connect(path)
        rows = connection.execute("SELECT * FROM household").fetchall()
        connection.close()
        return rows

    base, _ = timed(plain_sqlite, repeat)
    rows.append((f"open project + load households with {columns} attributes", seconds,
                 "sqlite3 fetchall of the same table", base))

    def all_layers():
        from gis_app.catalog import load_layers, load_styles
        from gis_app.services.layers import LayerSet
        from gis_app.services.session import ProjectSession

        session = ProjectSession(open_project(path), user="bench")
        layers = LayerSet(session, load_layers(styles=load_styles()))
        frames = {layer.id: layer.frame for layer in layers if layer.loaded}
        session.close()
        return frames

    seconds, layers = timed(all_layers, repeat)
    gpkg = WORK / f"layers-{households}.gpkg"
    gpkg.unlink(missing_ok=True)
    for name, layer in layers.items():
        if not isinstance(layer, gpd.GeoDataFrame):  # households: lean x/y columns
            crs = next(f.crs for f in layers.values() if isinstance(f, gpd.GeoDataFrame))
            layer = gpd.GeoDataFrame(layer.drop(columns=["x", "y"]), crs=crs,
                                     geometry=gpd.points_from_xy(layer["x"], layer["y"]))
        layer.to_file(gpkg, layer=name, engine="pyogrio")

    def read_gpkg():
        return {name: gpd.read_file(gpkg, layer=name, engine="pyogrio", use_arrow=True)
                for name in layers}

    base, _ = timed(read_gpkg, repeat)
    rows.append(("open project + load every map layer (projected to GK; households lean)", seconds,
                 "geopandas read of the same layers from a GeoPackage", base))

    project = open_project(path)
    grids = load_grids(project.engine, 3)
    located = frame[frame["lon"].notna()]
    x, y = located["lon"].to_numpy(), located["lat"].to_numpy()
    project.close()

    def fast_join():
        return PolygonIndex(grids.geometry.to_numpy()).locate(x, y).index

    def geopandas_join():
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=4490)
        return gpd.sjoin(points, grids[["geometry"]], predicate="within", how="left")

    seconds, ours = timed(fast_join, repeat)
    base, theirs = timed(geopandas_join, repeat)
    theirs = theirs[~theirs.index.duplicated()]["index_right"].fillna(-1).to_numpy(int)
    agree = float(np.mean(ours == theirs))
    rows.append((f"join {len(x):,} households to {len(grids):,} level-3 grids "
                 f"(index build included; agreement {agree:.4%})", seconds,
                 "geopandas sjoin(predicate='within')", base))
    if map_figures:
        from benchmarks.map_bench import bench_map

        rows += bench_map(path, f"{households:,} households")
    return rows


def main() -> None:
    """Run the benchmarks and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[120_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-map", action="store_true", help="skip the map window figures")
    parser.add_argument("--no-session", action="store_true",
                        help="skip one edit with the window and the 1M open (session_bench)")
    parser.add_argument("--no-join", action="store_true", help="skip the 1M x 3,000 join")
    parser.add_argument("--no-split", action="store_true", help="skip the grid split figures")
    parser.add_argument("--no-route", action="store_true",
                        help="skip the visit-list route figures")
    parser.add_argument("--no-coverage", action="store_true",
                        help="skip the investigation coverage figures")
    parser.add_argument("--no-exposure", action="store_true",
                        help="skip the hazard exposure figures (exposure_bench)")
    args = parser.parse_args()
    tune_allocator()  # as the app and the command line do at start …
    freeze_start_up()  # … and the app once its imports are done
    WORK.mkdir(parents=True, exist_ok=True)
    import datetime
    import os

    print(f"{datetime.date.today()} · {platform.machine()}, {os.cpu_count()} cores, "
          f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB · "
          f"Python {platform.python_version()}")
    print("| what | seconds | baseline | baseline seconds |")
    print("|---|---:|---|---:|")
    for size in args.sizes:
        for what, seconds, base_name, base in bench_size(size, args.repeat, not args.no_map):
            base_text = f"{base:.3f}" if base is not None else ""
            print(f"| {what} | {seconds:.3f} | {base_name} | {base_text} |", flush=True)
    if not args.no_session:
        from benchmarks.session_bench import bench_edit, bench_open

        rows = bench_edit(min(args.sizes), 10) + bench_open(max(args.sizes))
        for what, seconds, base_name, base in rows:
            print(f"| {what} | {seconds:.3f} | {base_name} | {base:.3f} |", flush=True)
    if not args.no_join:
        from benchmarks.join_bench import run_join_benchmark

        timed = {r["step"]: r for r in run_join_benchmark(1_000_000, 3_000, args.repeat)}
        ours = next(r for step, r in timed.items() if step.startswith("build + locate"))
        base = timed["geopandas.sjoin within"]
        print(f"| join 1,000,000 points to 3,000 polygons of ~100 vertices (synthetic tiling, "
              f"index build included) | {ours['median_s']:.3f} | geopandas sjoin(predicate="
              f"'within') | {base['median_s']:.3f} |", flush=True)
    if not args.no_coverage:
        from benchmarks.coverage_bench import bench_coverage

        bench_coverage(tuple(args.sizes), args.repeat,
                       projects={n: WORK / f"county-{n}.gmp" for n in args.sizes})
    if not args.no_exposure:
        from benchmarks.exposure_bench import bench_exposure

        bench_exposure(tuple(args.sizes), repeat=args.repeat)
    if not args.no_split:
        from benchmarks.split_bench import bench_split

        for what, seconds, base_name, base in bench_split(max(args.repeat, 5)):
            base_text = f"{base:.3f}" if base is not None else ""
            print(f"| {what} | {seconds:.3f} | {base_name} | {base_text} |", flush=True)
    if not args.no_route:
        from benchmarks.route_bench import run_rows

        for what, seconds, base_name, base in run_rows(args.repeat):
            base_text = f"{base:.3f}" if base is not None else ""
            print(f"| {what} | {seconds:.3f} | {base_name} | {base_text} |", flush=True)
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
