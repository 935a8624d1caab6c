"""Benchmark: hazard exposure of households (1,000 zones, 200 m buffer) beside geopandas.

Run ``python benchmarks/exposure_bench.py [--sizes 120000 1000000] [--zones 1000]
[--buffer 200] [--repeat 3]``. The county is synthetic, in Gauss–Krüger metres of zone 37
(EPSG:4525, x with its zone prefix), about 60 km × 50 km:

* flood zones: nested bands (极高 60 m, 高 150 m, 中 300 m, 低 500 m) along five winding
  rivers, cut into reaches of ~8 km: long polygons of a few hundred vertices, with holes
  where a river loops back on itself;
* slope hazards (landslides, debris flows, collapses): tongue-shaped lobes of 60–240 vertices,
  70–1,400 m long, above hamlets, some overlapping;
* drought areas: a few large multipolygons (up to 2,000 vertices) with holes (valleys);
* households: 80 % clustered round 3,000 hamlets (a third of them near a river), the rest
  scattered; 0.2 % without a location.

Ours: :class:`~gis_app.analysis.exposure.ExposureIndex` (built once per hazard layer and
buffer, in two halves on two threads: one GEOS buffer per zone and the raster, sized three
cells a household) and its
``locate``, the whole of ``household_exposure`` from cold (no index kept), and asked again
with the same hazards (the index found by its digest: what the dock, the choropleth and a
plan do after the first). Baseline, the way a geopandas user
writes it: ``zones.buffer(200)``, ``gpd.sjoin(buffered, households, predicate="intersects")``
(zones on the left, so that GEOS prepares them), ``groupby([household, kind]).level.min()``;
its sjoin + groupby alone on zones buffered beforehand stands beside our query. A new
session on hazards asked before reads the index from the cache folder where the first kept
it (:mod:`gis_app.storage.index_files`). The household
GeoDataFrame is built before the clock starts (building it from the x/y arrays alone takes
longer than our whole query). The baseline's buffers approximate arcs by chords, so it misses
a few households right at 200 m; ours uses exact distances (``dwithin``), checked here against
GEOS on every household. Besides wall-clock medians, the query's CPU time is given: on a shared
machine the two differ.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import timed  # noqa: E402
from gis_app.analysis.exposure import (  # noqa: E402
    forget_indexes,
    hazard_index,
    household_exposure,
)
from gis_app.runtime import freeze_start_up, tune_allocator  # noqa: E402
from gis_app.storage.index_files import KeptIndexes  # noqa: E402

EPSG = 4525
X0, Y0 = 37_470_000.0, 3_000_000.0
WIDTH, HEIGHT = 60_000.0, 50_000.0
FLOOD_BANDS = ((1, 60.0), (2, 150.0), (3, 300.0), (4, 500.0))


def _river(rng: np.random.Generator, length: float) -> np.ndarray:
    """A winding polyline crossing the county, vertices every ~50 m."""
    steps = int(length / 50)
    heading = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.08, steps))
    start = np.array([X0 + rng.uniform(0.2, 0.8) * WIDTH, Y0 + rng.uniform(0.2, 0.8) * HEIGHT])
    xy = start + np.cumsum(np.c_[np.cos(heading), np.sin(heading)] * 50, axis=0)
    return xy


def _lobes(rng, centre, heading, length, width, vertices) -> np.ndarray:
    a = np.linspace(0, 2 * np.pi, vertices, endpoint=False)[None, :]
    n = len(centre)
    r = (1 + 0.12 * np.sin(3 * a + rng.uniform(0, 6.3, (n, 1)))
         + 0.08 * np.sin(5 * a + rng.uniform(0, 6.3, (n, 1)))
         + 0.02 * np.sin(17 * a + rng.uniform(0, 6.3, (n, 1))))
    x = length[:, None] / 2 * r * np.cos(a) * (1 + 0.25 * np.cos(a))
    y = width[:, None] / 2 * r * np.sin(a)
    c, s = np.cos(heading)[:, None], np.sin(heading)[:, None]
    ring = np.stack([centre[:, :1] + c * x - s * y, centre[:, 1:] + s * x + c * y], axis=-1)
    return shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))


def synthesise(n_households: int, n_zones: int = 1000, seed: int = 0):
    """(zones GeoDataFrame, household x, household y) of the synthetic county."""
    rng = np.random.default_rng(seed)
    zones = []
    rivers = [_river(rng, rng.uniform(30_000, 60_000)) for _ in range(5)]
    for line in rivers:
        geom = shapely.linestrings(line)
        reach_len = 8000.0
        cuts = np.arange(0, shapely.length(geom), reach_len)
        inner = None
        for level, dist in FLOOD_BANDS:
            outer = shapely.buffer(geom, dist, quad_segs=4)
            band = outer if inner is None else shapely.difference(outer, inner)
            inner = outer
            for start in cuts:
                cut = shapely.buffer(substring(geom, start, start + reach_len), dist + 5,
                                     cap_style="flat")
                part = shapely.intersection(band, cut)
                if not part.is_empty and part.area > 1000:
                    zones.append(("洪涝", level, part))
    n_drought = 6
    for _ in range(n_drought):
        centre = np.array([X0 + rng.uniform(0.1, 0.9) * WIDTH, Y0 + rng.uniform(0.1, 0.9) * HEIGHT])
        big = _lobes(rng, centre[None, :], rng.uniform(0, 6.3, 1), rng.uniform(4000, 9000, 1),
                     rng.uniform(3000, 6000, 1), 2000)[0]
        holes = shapely.buffer(shapely.points(centre + rng.normal(0, 900, (3, 2))),
                               rng.uniform(150, 400, 3))
        shape = shapely.difference(big, shapely.union_all(holes))
        far = shapely.buffer(shapely.points(centre + [6000.0, 0.0]), 800, quad_segs=32)
        zones.append(("干旱", int(rng.integers(2, 5)), shapely.multipolygons(
            shapely.get_parts(shapely.union_all([shape, far])))))
    hamlets = np.c_[X0 + rng.uniform(0, WIDTH, 3000), Y0 + rng.uniform(0, HEIGHT, 3000)]
    riverside = np.concatenate(rivers)
    near = rng.choice(len(riverside), 1000)
    hamlets[:1000] = riverside[near] + rng.normal(0, 250, (1000, 2))
    n_slope = max(n_zones - len(zones), 0)
    kinds = rng.choice(["滑坡", "泥石流", "崩塌"], n_slope, p=[0.6, 0.2, 0.2])
    length = np.where(kinds == "泥石流", rng.uniform(600, 1400, n_slope),
                      np.where(kinds == "滑坡", rng.uniform(180, 420, n_slope),
                               rng.uniform(70, 150, n_slope)))
    centre = hamlets[rng.integers(1000, 3000, n_slope)] + rng.normal(0, 300, (n_slope, 2))
    lobes = _lobes(rng, centre, rng.uniform(0, 6.3, n_slope), length, length * 0.45,
                   int(rng.integers(60, 240)))
    levels = rng.choice([1, 2, 3, 4], n_slope, p=[0.15, 0.3, 0.35, 0.2])
    zones += [(str(k), int(lv), g) for k, lv, g in zip(kinds, levels, lobes, strict=True)]
    frame = gpd.GeoDataFrame({"kind": [z[0] for z in zones], "level": [z[1] for z in zones]},
                             geometry=[z[2] for z in zones], crs=EPSG)

    clustered = int(n_households * 0.8)
    pick = rng.integers(0, len(hamlets), clustered)
    x = np.r_[hamlets[pick, 0] + rng.normal(0, 180, clustered),
              X0 + rng.uniform(0, WIDTH, n_households - clustered)]
    y = np.r_[hamlets[pick, 1] + rng.normal(0, 180, clustered),
              Y0 + rng.uniform(0, HEIGHT, n_households - clustered)]
    unknown = rng.random(n_households) < 0.002
    x[unknown] = np.nan
    y[unknown] = np.nan
    return frame, x, y


def _fresh(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy with new GEOS geometries (no prepared caches left from an earlier run)."""
    return zones.set_geometry(shapely.from_wkb(shapely.to_wkb(zones.geometry.values)))



def baseline(households: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, buffer_m: float):
    """geopandas: buffer the zones, sjoin, the most severe level per (household, kind)."""
    return baseline_join(households, zones.set_geometry(zones.buffer(buffer_m)))


def baseline_join(households: gpd.GeoDataFrame, buffered: gpd.GeoDataFrame):
    """The sjoin and groupby alone. Zones on the left: GEOS prepares them (households on the
    left would test each household against unprepared polygons, ten times slower here)."""
    joined = gpd.sjoin(buffered[["kind", "level", "geometry"]], households,
                       predicate="intersects", how="inner")
    return joined.groupby(["index_right", "kind"])["level"].min()


def exact_reference(x, y, zones: gpd.GeoDataFrame, buffer_m: float) -> pd.Series:
    """GEOS dwithin of every household against the zones (slow, obviously right)."""
    known = np.flatnonzero(np.isfinite(x))
    tree = shapely.STRtree(zones.geometry.values)
    found = []
    for chunk in np.array_split(known, max(1, len(known) // 100_000)):
        p, z = tree.query(shapely.points(x[chunk], y[chunk]), predicate="dwithin",
                          distance=buffer_m)
        found.append(pd.DataFrame({"row": chunk[p], "kind": zones["kind"].to_numpy()[z],
                                   "level": zones["level"].to_numpy()[z]}))
    pairs = pd.concat(found)
    return pairs.groupby(["row", "kind"])["level"].min()


def bench_size(n: int, n_zones: int = 1000, buffer_m: float = 200.0, repeat: int = 3,
               check: bool = True) -> list[tuple[str, float, str, float | None]]:
    """Rows of (what, seconds, baseline name, baseline seconds) for ``n`` households."""
    zones, x, y = synthesise(n, n_zones)
    vertices = int(shapely.get_num_coordinates(zones.geometry.values).sum())
    label = (f"{n:,} households × {len(zones):,} zones ({vertices:,} vertices), "
             f"{buffer_m:g} m buffer")
    def cold(function):
        """``function(zones)`` on new geometries (made before the clock starts), nothing kept
        (the indexes kept before are dropped before the clock starts, too)."""
        copies = [_fresh(zones) for _ in range(repeat)]
        return lambda: function(copies.pop())

    build_s, (index, _) = timed(cold(lambda fresh: hazard_index(fresh, None, buffer_m,
                                                                 points=n)), repeat,
                                setup=forget_indexes)
    index.locate(x, y)  # GEOS prepares the geometries it tests on first use
    locate_s, _ = timed(lambda: index.locate(x, y), max(repeat, 5))
    cpu = time.process_time()
    for _ in range(5):
        index.locate(x, y)
    cpu_s = (time.process_time() - cpu) / 5
    whole_s, ours = timed(cold(lambda fresh: household_exposure((x, y), fresh,
                                                                 buffer_m=buffer_m)), repeat,
                          setup=forget_indexes)
    # A new session on the same hazards: the index read from the cache folder, where the
    # first session kept it (digest + file + GEOS geometries + query + frame).
    with tempfile.TemporaryDirectory() as folder:
        keeper = KeptIndexes(Path(folder))
        forget_indexes()
        household_exposure((x, y), _fresh(zones), buffer_m=buffer_m, keep=keeper)
        kept_mb = sum(p.stat().st_size for p in Path(folder).glob("*.npz")) / 1e6
        session_s, again = timed(cold(lambda fresh: household_exposure(
            (x, y), fresh, buffer_m=buffer_m, keep=keeper)), repeat, setup=forget_indexes)
    assert again.equals(ours)
    # Asked again with the same hazards (the choropleth after the dock, another unit level):
    # the index is found by its digest, the points are located.
    kept = _fresh(zones)
    household_exposure((x, y), kept, buffer_m=buffer_m)
    warm_s, _ = timed(lambda: household_exposure((x, y), kept, buffer_m=buffer_m),
                       max(repeat, 5))
    known = np.isfinite(x)
    households = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x[known], y[known]),
                                  index=np.flatnonzero(known), crs=EPSG)
    copies = [_fresh(zones) for _ in range(repeat)]
    base_s, theirs = timed(lambda: baseline(households, copies.pop(), buffer_m), repeat)
    buffered = zones.set_geometry(zones.buffer(buffer_m))
    copies = [_fresh(buffered) for _ in range(repeat)]
    join_s, _ = timed(lambda: baseline_join(households, copies.pop()), repeat)
    ours_series = ours.assign(kind=ours["kind"].astype(str)).set_index(["row", "kind"])["level"]
    common = ours_series.index.intersection(theirs.index)
    agree = len(common) / max(len(ours_series.index.union(theirs.index)), 1)
    stats = index.stats()
    base_name = "geopandas buffer + sjoin + groupby min"
    rows = [
        (f"exposure query: {label}; index prebuilt ({stats['cells']:,} cells of "
         f"{stats['cell_size']:.1f} m, {stats['uncertain_pairs']:,} uncertain pairs); "
         f"CPU {cpu_s:.3f} s", locate_s, "geopandas sjoin + groupby min, zones buffered before",
         join_s),
        (f"exposure index build (1 GEOS buffer per zone + raster), {label}", build_s, "",
         None),
        (f"household_exposure whole (build + query + frame), {label}", whole_s, base_name,
         base_s),
        (f"household_exposure in a new session, the index read from the cache folder "
         f"({kept_mb:.1f} MB file), {label}", session_s, base_name, base_s),
        (f"household_exposure asked again, the index kept (digest + query + frame), {label}",
         warm_s, base_name, base_s),
    ]
    note = f"{len(ours):,} exposed (household, kind); agreement with the baseline {agree:.4%}"
    if check:
        exact = exact_reference(x, y, zones, buffer_m)
        same = ours_series.sort_index().equals(exact.sort_index().astype(np.int64))
        note += f"; equal to GEOS dwithin on every household: {same}"
        assert same
    print(f"  ({label}: {note})", file=sys.stderr, flush=True)
    return rows


def bench_exposure(sizes=(120_000, 1_000_000), n_zones: int = 1000, buffer_m: float = 200.0,
                   repeat: int = 3, check: bool = True, echo: bool = True):
    """Rows of every size; printed as table rows when ``echo``."""
    rows = []
    for n in sizes:
        for row in bench_size(n, n_zones, buffer_m, repeat, check):
            rows.append(row)
            if echo:
                what, seconds, base_name, base = row
                print(f"| {what} | {_fmt(seconds)} | {base_name} | {_fmt(base)} |", flush=True)
    return rows


def _fmt(seconds):
    return "" if seconds is None else (f"{seconds:.4f}" if seconds < 0.01 else f"{seconds:.3f}")


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[120_000, 1_000_000])
    parser.add_argument("--zones", type=int, default=1000)
    parser.add_argument("--buffer", type=float, default=200.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-check", action="store_true", help="skip the exact GEOS check")
    args = parser.parse_args()
    tune_allocator()  # as the app and the command line do at start …
    freeze_start_up()  # … and the app once its imports are done
    print("| what | seconds | baseline | baseline seconds |")
    print("|---|---:|---|---:|")
    bench_exposure(tuple(args.sizes), args.zones, args.buffer, args.repeat, not args.no_check)


if __name__ == "__main__":
    main()
