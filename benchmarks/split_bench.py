"""Benchmark: balanced split of a village into level-3 grids, beside plain k-means + Voronoi.

Run ``python benchmarks/split_bench.py [--repeat 5]``. The village is a ~5 km² wavy outline near
111°E 27°N with 2,000 households, three quarters of them in eight hamlets; it is split into 30
grids (target: under 1 s). The baseline, timed in the same run, is what one would write without
balancing: 20 numpy Lloyd iterations of k-means from a fixed start, then shapely's Voronoi
polygons of the centres clipped to the village. Every row is the median of ``--repeat`` runs and
names the spread of households per grid that each method reaches.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import timed  # noqa: E402

#: CGCS2000 / 3-degree Gauss–Krüger zone 37 and the layout's origin (about 111.0°E, 27.0°N).
GK37, E0, N0 = 4525, 37_500_000.0, 2_988_000.0


def synthesise(n: int = 2000, seed: int = 0):
    """The village (EPSG:4490 polygon) and its households (n × 2 lon/lat), deterministic."""
    rng = np.random.default_rng(seed)
    angle = np.linspace(0, 2 * np.pi, 120, endpoint=False)
    radius = 1260 * (1 + 0.15 * np.sin(3 * angle) + 0.05 * np.cos(7 * angle))
    outline = shapely.Polygon(np.c_[E0 + radius * np.cos(angle), N0 + radius * np.sin(angle)])
    hamlets = rng.uniform(-800, 800, (8, 2)) + [E0, N0]
    k = 3 * n // 4
    xy = np.r_[
        hamlets[rng.integers(0, 8, 2 * k)] + rng.normal(0, 110, (2 * k, 2)),
        rng.uniform(-1400, 1400, (4 * n, 2)) + [E0, N0],
    ]
    inside = shapely.contains_xy(outline, xy[:, 0], xy[:, 1])
    clustered, scattered = xy[: 2 * k][inside[: 2 * k]][:k], xy[2 * k :][inside[2 * k :]]
    xy = np.r_[clustered, scattered[: n - len(clustered)]]
    village = gpd.GeoSeries([outline], crs=GK37).to_crs(4490).iloc[0]
    points = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=GK37).to_crs(4490)
    return village, np.c_[points.x, points.y]


def kmeans_voronoi(village, xy: np.ndarray, k: int, iterations: int = 20):
    """The unbalanced baseline: numpy k-means in GK metres, Voronoi of the centres, clipped."""
    village_gk = gpd.GeoSeries([village], crs=4490).to_crs(GK37).iloc[0]
    points = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=4490).to_crs(GK37)
    pts = np.c_[points.x, points.y]
    centres = pts[np.linspace(0, len(pts) - 1, k).astype(int)].copy()
    for _ in range(iterations):
        label = ((pts[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
        count = np.bincount(label, minlength=k)
        for c in (0, 1):
            sums = np.bincount(label, weights=pts[:, c], minlength=k)
            centres[:, c] = np.where(count > 0, sums / np.maximum(count, 1), centres[:, c])
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(centres), extend_to=village_gk)
    )
    cells = shapely.intersection(cells, village_gk)
    return gpd.GeoSeries(cells, crs=GK37).to_crs(4490).to_numpy()


def _spread(grids, xy) -> str:
    from gis_app.analysis import assign_households

    counts = np.bincount(assign_households(xy, grids), minlength=len(grids))
    return f"{counts.min()}–{counts.max()} households per grid"


def bench_split(repeat: int = 5) -> list[tuple[str, float, str, float | None]]:
    """Rows of (what, seconds, baseline name, baseline seconds)."""
    from gis_app.analysis import propose_rebalance, split_balanced

    village, xy = synthesise()
    n = len(xy)
    seconds, ours = timed(lambda: split_balanced(village, xy, 30), repeat)
    base, theirs = timed(lambda: kmeans_voronoi(village, xy, 30), repeat)
    rows = [
        (
            f"split_balanced: ~5 km² village, {n:,} clustered households into 30 grids "
            f"({_spread(ours.geometry.to_numpy(), xy)})",
            seconds,
            f"numpy k-means + shapely Voronoi, clipped, unbalanced ({_spread(theirs, xy)})",
            base,
        )
    ]
    workers = [f"w{i}" for i in range(10)]
    seconds, proposal = timed(lambda: propose_rebalance(village, xy, workers, 100), repeat)
    base, _ = timed(lambda: split_balanced(village, xy, len(proposal.grids)), repeat)
    loads = np.array(list(proposal.loads.values()))
    rows.append(
        (
            f"propose_rebalance: same village, 10 workers, ≤ 100 households each → "
            f"{len(proposal.grids)} grids, loads {loads.min()}–{loads.max()}",
            seconds,
            f"split_balanced into {len(proposal.grids)} grids, no grouping by worker",
            base,
        )
    )
    seconds, base = bench_service_split(village, xy, repeat)
    rows.append(
        (
            "GridEditService.split_balanced: the same village as one stored level-3 grid "
            "(SQLite), households read, split into 30, grids, households and assignments "
            "written in one transaction",
            seconds,
            "analysis split_balanced alone (no store)",
            base,
        )
    )
    return rows


def bench_service_split(village, xy: np.ndarray, repeat: int = 5) -> tuple[float, float]:
    """Median seconds of the service's balanced split end to end, and of the analysis alone.

    The grid is stored in a temporary project with its households and one worker; each run is
    undone afterwards (not timed) so the next one splits the same grid.
    """
    import datetime as dt
    import tempfile
    from pathlib import Path

    from sqlalchemy import insert

    from gis_app.analysis import split_balanced
    from gis_app.services.grid_edit_service import GridEditService
    from gis_app.services.session import ProjectSession
    from gis_app.storage.bulk import as_multipolygons
    from gis_app.storage.models import AdminUnit, Grid, GridAssignment, Household, Worker
    from gis_app.storage.project import open_project

    with tempfile.TemporaryDirectory() as folder:
        project = open_project(Path(folder) / "bench.gmp", create=True)
        shape = as_multipolygons(np.array([village], dtype=object))[0]
        with project.engine.begin() as connection:
            connection.execute(insert(AdminUnit.__table__).values(
                id=1, code="430599101001", name="试点村", level=3, geom=shape, version=1))
            connection.execute(insert(Grid.__table__).values(
                id=1, code="G3-430599101001-01", name="试点村第1网格", level=3, admin_unit_id=1,
                geom=shape, version=1))
            connection.execute(insert(Worker.__table__).values(
                id=1, name="网格员", active=True, version=1))
            connection.execute(insert(GridAssignment.__table__).values(
                worker_id=1, grid_id=1, role="三级网格员", start_date=dt.date(2024, 1, 1),
                version=1))
            connection.execute(insert(Household.__table__), [
                {"head_name": f"户主{i}", "head_id_number": f"43059919900101{i:04d}",
                 "members": 3, "attribute": 1, "village_id": 1, "grid_id": 1,
                 "lon": float(lon), "lat": float(lat), "location_source": "经纬度", "version": 1}
                for i, (lon, lat) in enumerate(xy)])
        session = ProjectSession(project, user="bench")
        service = GridEditService(session)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            service.split_balanced(1, 30)
            times.append(time.perf_counter() - start)
            session.undo()
        project.close()
    base, _ = timed(lambda: split_balanced(village, xy, 30), repeat)
    return statistics.median(times), base


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print("| what | seconds | baseline | baseline seconds |")
    print("|---|---:|---|---:|")
    for what, seconds, base_name, base in bench_split(args.repeat):
        base_text = f"{base:.3f}" if base is not None else ""
        print(f"| {what} | {seconds:.3f} | {base_name} | {base_text} |", flush=True)


if __name__ == "__main__":
    main()
