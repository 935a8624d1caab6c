"""Benchmark: PolygonIndex against geopandas.sjoin for points in level-3-grid-like polygons.

Run ``python benchmarks/join_bench.py [--points N] [--polygons M] [--repeat R]``
(defaults: 1,000,000 points × 3,000 polygons, 3 runs). The layer is a Voronoi tiling of random
seeds over a ~50 km × 50 km box around 111°E 27°N, boundaries densified to ~100 vertices per
polygon and clipped to the box; the points are half clustered round "villages" and half uniform
over a slightly larger box, so some fall outside. Every run uses fresh copies of the geometries
(GEOS caches prepared geometries on them). Both results are checked against each other.
"""

from __future__ import annotations

import argparse
import statistics
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_app.analysis.point_in_polygon import PolygonIndex, join_points_to_polygons

#: ~50 km × 50 km around 111°E 27°N (one degree of longitude is ~99.2 km there).
BOX = (111.0 - 0.252, 27.0 - 0.225, 111.0 + 0.252, 27.0 + 0.225)


def synthesise(n_points: int, n_polygons: int, seed: int = 0, vertices: int = 100):
    """The test layer and points: (polygons as a GeoDataFrame, x, y)."""
    rng = np.random.default_rng(seed)
    west, south, east, north = BOX
    box = shapely.box(*BOX)
    seeds = shapely.multipoints(
        np.c_[rng.uniform(west, east, n_polygons), rng.uniform(south, north, n_polygons)]
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box))
    cells = shapely.intersection(cells, box)
    cells = shapely.segmentize(cells, shapely.length(cells).mean() / vertices)
    polygons = gpd.GeoDataFrame({"code": np.arange(cells.size)}, geometry=cells, crs=4490)

    clustered = n_points // 2
    centres = np.c_[rng.uniform(west, east, 200), rng.uniform(south, north, 200)]
    pick = rng.integers(0, len(centres), clustered)
    pad_x, pad_y = 0.05 * (east - west), 0.05 * (north - south)
    x = np.r_[
        centres[pick, 0] + rng.normal(0, 0.01, clustered),
        rng.uniform(west - pad_x, east + pad_x, n_points - clustered),
    ]
    y = np.r_[
        centres[pick, 1] + rng.normal(0, 0.009, clustered),
        rng.uniform(south - pad_y, north + pad_y, n_points - clustered),
    ]
    return polygons, x, y


def _fresh(polygons: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy with new GEOS geometries (no prepared-geometry caches left from an earlier run)."""
    return polygons.set_geometry(shapely.from_wkb(shapely.to_wkb(polygons.geometry.values)))


def _sjoin_answer(points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame):
    joined = gpd.sjoin(points, polygons, predicate="within", how="inner")
    return joined.index.to_numpy(), joined["index_right"].to_numpy()


def _check(result, n: int, sjoin_pairs, polygons, x, y) -> dict:
    """Assert that PolygonIndex and sjoin agree on every point off the boundaries."""
    pt, poly = sjoin_pairs
    pairs = pd.DataFrame({"pt": pt, "poly": poly}).groupby("pt")["poly"].agg(["min", "size"])
    expected = np.full(n, -1, dtype=np.int64)
    count = np.zeros(n, dtype=np.int8)
    expected[pairs.index.to_numpy()] = pairs["min"].to_numpy()
    count[pairs.index.to_numpy()] = np.minimum(pairs["size"].to_numpy(), 2)
    inside = expected >= 0
    assert np.array_equal(result.index[inside], expected[inside]), "assignments differ"
    assert np.array_equal(result.covered_count[inside], count[inside]), "overlap counts differ"
    # Points sjoin puts nowhere: PolygonIndex agrees, or they lie on a boundary it assigned.
    moved = np.flatnonzero(~inside & (result.index >= 0))
    geoms = polygons.geometry.values[result.index[moved]]
    assert shapely.intersects_xy(geoms, x[moved], y[moved]).all(), "assigned outside point"
    assert not shapely.contains_xy(geoms, x[moved], y[moved]).any()
    return {
        "agree": int(inside.sum() + (~inside & (result.index < 0)).sum()),
        "on_boundary": int(moved.size),
    }


def run_join_benchmark(n_points: int, n_polygons: int, repeat: int = 3) -> list[dict]:
    """Time PolygonIndex (build, locate, both) and geopandas.sjoin on the same data.

    Parameters
    ----------
    n_points, n_polygons : int
        Size of the synthetic layer.
    repeat : int
        Runs of each step; the table reports the median.

    Returns
    -------
    list of dict
        One row per step: ``step``, ``median_s``, ``min_s``, ``runs`` and the sizes; the last
        row (``step="check"``) has the agreement counts and raster statistics.
    """
    polygons, x, y = synthesise(n_points, n_polygons)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=polygons.crs)
    times: dict[str, list[float]] = {
        k: []
        for k in (
            "PolygonIndex build",
            "PolygonIndex.locate",
            "build + locate",
            "join_points_to_polygons (GeoDataFrames)",
            "geopandas.sjoin within",
        )
    }
    result = sjoin_pairs = index = None
    for _ in range(repeat):
        layer = _fresh(polygons)
        start = time.perf_counter()
        index = PolygonIndex(layer.geometry)
        built = time.perf_counter()
        result = index.locate(x, y)
        done = time.perf_counter()
        times["PolygonIndex build"].append(built - start)
        times["PolygonIndex.locate"].append(done - built)
        times["build + locate"].append(done - start)

        layer = _fresh(polygons)
        start = time.perf_counter()
        join_points_to_polygons(points, layer)
        times["join_points_to_polygons (GeoDataFrames)"].append(time.perf_counter() - start)

        layer = _fresh(polygons)
        start = time.perf_counter()
        sjoin_pairs = _sjoin_answer(points, layer)
        times["geopandas.sjoin within"].append(time.perf_counter() - start)

    size = {"n_points": n_points, "n_polygons": n_polygons}
    rows = [
        {"step": step, "median_s": statistics.median(t), "min_s": min(t), "runs": len(t), **size}
        for step, t in times.items()
    ]
    check = _check(result, n_points, sjoin_pairs, polygons, x, y)
    stats = index.cell_stats()
    rows.append(
        {
            "step": "check",
            **size,
            **check,
            **stats,
            "vertices": int(shapely.get_num_coordinates(polygons.geometry.values).sum()),
            "in_polygon": int((result.index >= 0).sum()),
        }
    )
    return rows


def print_table(rows: list[dict]) -> None:
    """The timings as a small text table, and the check line."""
    timed = [r for r in rows if r["step"] != "check"]
    check = next(r for r in rows if r["step"] == "check")
    baseline = next(r["median_s"] for r in timed if r["step"] == "geopandas.sjoin within")
    print(
        f"{check['n_points']:,} points × {check['n_polygons']:,} polygons "
        f"({check['vertices']:,} vertices), median of {timed[0]['runs']} runs"
    )
    print(f"{'step':<42}{'median s':>10}{'min s':>10}{'vs sjoin':>10}")
    for r in timed:
        print(
            f"{r['step']:<42}{r['median_s']:>10.3f}{r['min_s']:>10.3f}"
            f"{baseline / r['median_s']:>9.1f}×"
        )
    print(
        f"raster {check['cells']:,} cells, {check['touched']:,} touched by boundaries; "
        f"{check['in_polygon']:,} points in a polygon; results agree on {check['agree']:,} "
        f"points, {check['on_boundary']:,} boundary points assigned to a neighbour"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--polygons", type=int, default=3_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print_table(run_join_benchmark(args.points, args.polygons, args.repeat))


if __name__ == "__main__":
    main()
