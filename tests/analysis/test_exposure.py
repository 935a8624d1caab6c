"""Hazard exposure: hand-made cases of every rule, then random layers against plain GEOS.

The cases sit in Gauss–Krüger metres of zone 37 (EPSG:4525, x with its zone prefix), where a
county's households are.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gis_app.analysis.exposure import (
    SUMMARY_COLUMNS,
    ExposureIndex,
    _simplified,
    exposure_summary,
    household_exposure,
    select_by_location,
    zones_at,
)
from gis_app.core.hazards import DEFAULT_THREAT_RADIUS_M

GK = 4525
X0, Y0 = 37_500_000.0, 3_000_000.0


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def zones(*rows, crs=GK) -> gpd.GeoDataFrame:
    """Zones from (kind, level, geometry) rows."""
    return gpd.GeoDataFrame({"kind": [r[0] for r in rows], "level": [r[1] for r in rows]},
                            geometry=[r[2] for r in rows], crs=crs)


def points(*xy, crs=GK) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[shapely.Point(X0 + x, Y0 + y) for x, y in xy], crs=crs)


def exposed(frame: pd.DataFrame) -> dict:
    """{(row, kind): level}."""
    return {(int(r), str(k)): int(v)
            for r, k, v in zip(frame["row"], frame["kind"], frame["level"], strict=True)}


# --- the rules, case by case -------------------------------------------------------------------


def test_a_point_on_the_boundary_is_inside_and_one_just_outside_is_not():
    zone = zones(("洪涝", 2, box(0, 0, 1000, 1000)))
    pts = points((1000, 500), (0, 0), (500, 0), (1000.000001, 500), (500, 500), (-0.001, 1))
    assert exposed(household_exposure(pts, zone)) == {
        (0, "洪涝"): 2, (1, "洪涝"): 2, (2, "洪涝"): 2, (4, "洪涝"): 2}


def test_a_point_on_a_slanted_edge_or_a_vertex_is_inside():
    triangle = shapely.Polygon([(X0, Y0), (X0 + 300, Y0 + 100), (X0 + 90, Y0 + 400)])
    zone = zones(("滑坡", 1, triangle))
    on_vertex = shapely.get_coordinates(triangle)[:3]
    on_edge = (on_vertex[0] + on_vertex[1]) / 2  # (150, 50): exactly representable
    xy = np.vstack([on_vertex, on_edge]) - [X0, Y0]
    result = household_exposure(points(*map(tuple, xy)), zone)
    assert sorted(result["row"]) == [0, 1, 2, 3]
    assert shapely.intersects(triangle, shapely.Point(*on_edge))


def test_a_point_in_a_hole_is_not_inside_unless_the_buffer_reaches_it():
    ring = shapely.Polygon(
        shapely.get_coordinates(box(0, 0, 1000, 1000)),
        holes=[shapely.get_coordinates(box(300, 300, 700, 700))])
    other = box(2000, 0, 2500, 500)
    zone = zones(("干旱", 3, shapely.MultiPolygon([ring, other])))
    pts = points((500, 500), (100, 100), (2200, 200), (300, 500), (350, 500))
    assert exposed(household_exposure(pts, zone)) == {
        (1, "干旱"): 3, (2, "干旱"): 3, (3, "干旱"): 3}
    # 200 m from the hole's ring is every point of the hole (its centre is 200 m from it).
    assert exposed(household_exposure(pts, zone, buffer_m=200)) == {
        (0, "干旱"): 3, (1, "干旱"): 3, (2, "干旱"): 3, (3, "干旱"): 3, (4, "干旱"): 3}
    assert (0, "干旱") not in exposed(household_exposure(pts, zone, buffer_m=199.99))


def test_the_buffer_counts_distance_just_inside_and_just_outside():
    zone = zones(("洪涝", 4, box(0, 0, 1000, 1000)))
    pts = points((1200, 500), (1200.001, 500), (1199.999, 500), (500, 1200.01),
                 # off a corner: distance sqrt(120² + 160²) = 200 exactly
                 (1120, 1160), (1120.01, 1160))
    result = exposed(household_exposure(pts, zone, buffer_m=200))
    assert result == {(0, "洪涝"): 4, (2, "洪涝"): 4, (4, "洪涝"): 4}
    expected = shapely.dwithin(zone.geometry.iloc[0], pts.geometry.values, 200)
    assert sorted(r for r, _ in result) == list(np.flatnonzero(expected))


def test_overlapping_zones_count_once_at_the_most_severe_level():
    zone = zones(("洪涝", 4, box(0, 0, 1000, 1000)), ("洪涝", 1, box(400, 400, 600, 600)),
                 ("洪涝", 3, box(0, 0, 700, 700)), ("洪涝", 2, box(550, 550, 800, 800)))
    pts = points((500, 500), (650, 650), (100, 100), (900, 900), (1500, 1500))
    result = household_exposure(pts, zone)
    assert exposed(result) == {(0, "洪涝"): 1, (1, "洪涝"): 2, (2, "洪涝"): 3, (3, "洪涝"): 4}
    assert not result.duplicated(["row", "kind"]).any()
    # The buffer can raise a point's level: 60 m off the 极高 square reaches it.
    assert exposed(household_exposure(points((660, 500)), zone, buffer_m=60)) == {(0, "洪涝"): 1}


def test_two_kinds_on_one_household_are_two_rows_in_kind_order():
    zone = zones(("滑坡", 2, box(0, 0, 500, 500)), ("洪涝", 3, box(200, 200, 900, 900)),
                 ("干旱", 4, box(-100, -100, 1000, 1000)))
    result = household_exposure(points((300, 300)), zone)
    assert list(result["kind"].astype(str)) == ["洪涝", "干旱", "滑坡"]  # HazardKind's order
    assert list(result["level"]) == [3, 4, 2]


def test_hazard_points_reach_their_threat_radius_plus_the_buffer():
    hazards = gpd.GeoDataFrame(
        {"kind": ["滑坡", "崩塌", "泥石流"], "level": [2, 1, 3],
         "threat_radius": [100.0, None, np.nan]},
        geometry=[shapely.Point(X0, Y0), shapely.Point(X0 + 5000, Y0),
                  shapely.Point(X0 + 10000, Y0)], crs=GK)
    collapse = DEFAULT_THREAT_RADIUS_M["崩塌"]
    debris = DEFAULT_THREAT_RADIUS_M["泥石流"]
    pts = points((99.99, 0), (100.01, 0), (60, 80), (5000 + collapse - 0.01, 0),
                 (5000, collapse + 0.01), (10000, debris), (10000 + debris + 1, 0))
    none = zones()
    result = exposed(household_exposure(pts, none, hazard_points=hazards))
    assert result == {(0, "滑坡"): 2, (2, "滑坡"): 2, (3, "崩塌"): 1, (5, "泥石流"): 3}
    with_buffer = exposed(household_exposure(pts, none, hazard_points=hazards, buffer_m=1.5))
    assert with_buffer == {(0, "滑坡"): 2, (1, "滑坡"): 2, (2, "滑坡"): 2, (3, "崩塌"): 1,
                           (4, "崩塌"): 1, (5, "泥石流"): 3, (6, "泥石流"): 3}


def test_missing_points_are_never_exposed_and_rows_are_positions():
    zone = zones(("洪涝", 1, box(0, 0, 100, 100)))
    frame = gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 50, Y0 + 50), None, shapely.Point(),
                                       shapely.Point(X0 + 60, Y0 + 60)],
                             index=[10, 11, 12, 13], crs=GK)
    assert list(household_exposure(frame, zone)["row"]) == [0, 3]
    x = np.array([X0 + 50, np.nan, X0 + 60])
    y = np.array([Y0 + 50, np.nan, np.inf])
    assert list(household_exposure((x, y), zone)["row"]) == [0]


def test_bad_input_is_refused_in_chinese():
    zone = zones(("洪涝", 1, box(0, 0, 100, 100)))
    with pytest.raises(ValueError, match="坐标系不一致"):
        household_exposure(points((1, 1), crs=4526), zone)
    lonlat = zones(("洪涝", 1, shapely.box(111.0, 27.0, 111.1, 27.1)), crs=4490)
    lonlat_points = gpd.GeoDataFrame(geometry=[shapely.Point(111.05, 27.05)], crs=4490)
    assert len(household_exposure(lonlat_points, lonlat)) == 1  # no distance: any CRS
    with pytest.raises(ValueError, match="不以米为单位"):
        household_exposure(lonlat_points, lonlat, buffer_m=10)
    with pytest.raises(ValueError, match="缓冲距离无效"):
        household_exposure(points((1, 1)), zone, buffer_m=-1)
    with pytest.raises(ValueError, match="风险等级"):
        household_exposure(points((1, 1)), zones(("洪涝", 7, box(0, 0, 1, 1))))
    with pytest.raises(ValueError, match="非点要素"):
        household_exposure(zone, zone)


def test_no_zones_and_no_points():
    assert household_exposure(points(), zones()).empty
    assert household_exposure(points((1, 1)), zones()).empty
    assert list(household_exposure(points((1, 1)), zones()).columns) == ["row", "kind", "level"]


def test_progress_is_reported():
    seen = []
    household_exposure(points((1, 1)), zones(("洪涝", 1, box(0, 0, 5, 5))),
                       progress=lambda done, total: seen.append((done, total)))
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1]


def test_zones_at_lists_every_zone_a_point_lies_in():
    zone = zones(("洪涝", 4, box(0, 0, 1000, 1000)), ("洪涝", 1, box(400, 400, 600, 600)),
                 ("滑坡", 2, box(1000, 0, 1200, 200)))
    pairs = zones_at(points((500, 500), (1000, 100), (5000, 5000), (600, 600)), zone)
    assert list(map(tuple, pairs[["point", "zone"]].to_numpy())) == [
        (0, 0), (0, 1), (1, 0), (1, 2), (3, 0), (3, 1)]


def test_select_by_location_is_qgis_intersects_or_within_distance():
    shape = shapely.Polygon(shapely.get_coordinates(box(0, 0, 100, 100)),
                            holes=[shapely.get_coordinates(box(40, 40, 60, 60))])
    pts = points((50, 50), (100, 50), (0, 0), (130, 50), (150.001, 50), (50, 20))
    assert list(select_by_location(pts, shape)) == [False, True, True, False, False, True]
    assert list(select_by_location(pts, shape, 50)) == [True, True, True, True, False, True]
    footprint = gpd.GeoSeries([shape], crs=GK)
    assert list(select_by_location(pts, footprint, 5)) == [
        False, True, True, False, False, True]  # the hole's centre is 10 m from its ring
    with pytest.raises(ValueError, match="缓冲距离无效"):
        select_by_location(pts, shape, -3)


# --- random layers against GEOS ---------------------------------------------------------------


def random_hazards(seed: int, n: int = 60):
    """Irregular lobes (some with holes, some multipolygons), axis-aligned boxes, points."""
    rng = np.random.default_rng(seed)
    cx, cy = X0 + rng.uniform(0, 8000, n), Y0 + rng.uniform(0, 8000, n)
    r = rng.uniform(50, 900, n)
    a = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    rr = r[:, None] * (1 + 0.3 * np.sin(3 * a + rng.uniform(0, 6, (n, 1))))
    ring = np.stack([cx[:, None] + rr * np.cos(a), cy[:, None] + rr * np.sin(a)], -1)
    lobes = shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))
    holed = rng.random(n) < 0.3
    lobes[holed] = shapely.difference(lobes[holed],
                                      shapely.buffer(shapely.points(cx, cy)[holed], r[holed] / 3))
    pairs = rng.random(n) < 0.2
    lobes[pairs] = shapely.union(lobes[pairs], shapely.box(cx[pairs] + 2 * r[pairs], cy[pairs],
                                                           cx[pairs] + 2.5 * r[pairs],
                                                           cy[pairs] + r[pairs]))
    boxes = shapely.box(np.round(cx[:10], -2), np.round(cy[:10], -2),
                        np.round(cx[:10], -2) + 300, np.round(cy[:10], -2) + 200)
    spots = shapely.points(cx[:8] + 50, cy[:8] - 70)
    geoms = np.concatenate([lobes, boxes, spots])
    kinds = rng.integers(0, 4, len(geoms))
    levels = rng.integers(1, 5, len(geoms))
    return geoms, kinds, levels


def random_points(seed: int, geoms, n: int = 30_000):
    """Uniform points plus points on vertices, edges and right at 0/37/200 m off boundaries."""
    rng = np.random.default_rng(seed + 1)
    xy = [np.c_[X0 + rng.uniform(-500, 8500, n), Y0 + rng.uniform(-500, 8500, n)]]
    rings = shapely.get_coordinates(shapely.boundary(geoms[shapely.get_type_id(geoms) != 0]))
    xy.append(rings[rng.choice(len(rings), 2000)])
    i = rng.choice(len(rings) - 1, 3000)
    t = rng.random(3000)[:, None]
    edge = rings[i] * (1 - t) + rings[i + 1] * t
    xy.append(edge)
    normal = rng.normal(size=(3000, 2))
    normal /= np.hypot(normal[:, 0], normal[:, 1])[:, None]
    for d in (37.0, 200.0):
        xy.append(edge + normal * d * rng.choice([0.9999, 1.0, 1.0001], 3000)[:, None])
    xy = np.concatenate(xy)
    return xy[:, 0], xy[:, 1]


def brute_force(geoms, kinds, levels, reach, x, y):
    pts = shapely.points(x, y)
    best = {}
    for j, geom in enumerate(geoms):
        if reach[j] == 0 and shapely.get_type_id(geom) != 0:
            hit = shapely.intersects(geom, pts)
        else:
            hit = shapely.dwithin(geom, pts, reach[j])
        for p in np.flatnonzero(hit):
            key = (int(p), int(kinds[j]))
            best[key] = min(best.get(key, 99), int(levels[j]))
    return best


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("buffer_m", [0.0, 0.5, 37.0, 200.0])
def test_random_layers_equal_geos_on_every_point(seed, buffer_m):
    geoms, kinds, levels = random_hazards(seed)
    reach = np.where(shapely.get_type_id(geoms) == 0, 120.0 + buffer_m, buffer_m)
    x, y = random_points(seed, geoms)
    index = ExposureIndex(geoms, kinds, levels, reach)
    row, kind, level = index.locate(x, y)
    got = {(int(r), int(k)): int(v) for r, k, v in zip(row, kind, level, strict=True)}
    assert got == brute_force(geoms, kinds, levels, reach, x, y)
    assert index.stats()["uncertain_pairs"] > 0  # the exact tests were exercised
    if buffer_m >= 37:  # … and so was the distance to a zone's rings, for points outside it
        assert np.not_equal(index._rings_of, None).any()


def test_points_in_the_notch_between_two_parts_and_at_a_hair_of_reach_are_geos():
    """Where two parts' reaches meet in a notch, a point inside the inner polygon may be
    nearer its rings than the band yet out of reach: the inner polygon, not nearness to it,
    says sure. And a reach too small for an inner buffer (a zone is then its own, a hazard
    point has none) gives GEOS's answers too."""
    rng = np.random.default_rng(21)
    # Two round islets 380 m apart, one zone: at 200 m their reaches meet in notches 62 m
    # either side of the line between them.
    islets = shapely.buffer(shapely.points([X0, X0 + 380.0], [Y0, Y0]), 30.0, quad_segs=32)
    zone = shapely.MultiPolygon(list(islets))
    bisector = np.c_[np.full(4000, X0 + 190.0) + rng.normal(0, 3, 4000),
                     Y0 + rng.uniform(-120, 120, 4000)]
    # … and points right at 200 m from an islet (its rim at 30 m: 230 m from its centre).
    angle = rng.uniform(0, 2 * np.pi, 4000)
    rim = 230.0 * (1 + rng.choice([-1e-6, 0.0, 1e-6], 4000))
    ring = np.c_[X0 + rim * np.cos(angle), Y0 + rim * np.sin(angle)]
    xy = np.concatenate([bisector, ring])
    geoms = np.array([zone], dtype=object)
    row, kind, level = ExposureIndex(geoms, [0], [2], 200.0).locate(xy[:, 0], xy[:, 1])
    got = {(int(r), int(k)): int(v) for r, k, v in zip(row, kind, level, strict=True)}
    assert got == brute_force(geoms, [0], [2], [200.0], xy[:, 0], xy[:, 1])
    assert 0 < len(got) < len(xy)  # some in reach, some not
    # A hair of reach: 0.5 mm around a square and a hazard point, points around that.
    square, spot = shapely.box(X0, Y0, X0 + 10, Y0 + 10), shapely.Point(X0 + 20, Y0)
    geoms = np.array([square, spot], dtype=object)
    t = rng.uniform(0, 10, 3000)
    off = rng.choice([0.0, 0.0004, 0.0005, 0.0006, 0.001], 3000)
    x = np.r_[X0 - off, X0 + t, X0 + 20 + off, X0 + 5.0]
    y = np.r_[Y0 + t, Y0 + 10 + off, np.full(3000, Y0), Y0 + 5.0]
    reach = np.array([0.0005, 0.0005])
    row, kind, level = ExposureIndex(geoms, [0, 1], [1, 3], reach).locate(x, y)
    got = {(int(r), int(k)): int(v) for r, k, v in zip(row, kind, level, strict=True)}
    assert got == brute_force(geoms, [0, 1], [1, 3], reach, x, y)
    assert (len(x) - 1, 0) in got  # inside the square


def test_a_large_raster_or_many_hazards_are_searched_not_tabled(monkeypatch):
    """Past a size, cells and (hazard, row) groups are found by a search instead of a table
    as long as the raster: the same answers."""
    import gis_app.analysis.exposure as exposure

    monkeypatch.setattr(exposure, "_SLOT_CELLS", 0)
    geoms, kinds, levels = random_hazards(2)
    reach = np.where(shapely.get_type_id(geoms) == 0, 100.0, 37.0)
    x, y = random_points(2, geoms, 20_000)
    index = ExposureIndex(geoms, kinds, levels, reach)
    assert index._slot is None and index._group_keys is not None
    row, kind, level = index.locate(x, y)
    got = {(int(r), int(k)): int(v) for r, k, v in zip(row, kind, level, strict=True)}
    assert got == brute_force(geoms, kinds, levels, reach, x, y)


@pytest.mark.parametrize("threads", [1, 2])
def test_built_in_parts_on_two_threads_or_on_one_the_answers_are_geos(monkeypatch, threads):
    """The index is built (and its exact tests made) in parts of the hazards on two threads
    when there is much to do, each hazard in one part, and the raster read in two halves of
    the points; here forced on small layers, and off (one core)."""
    import gis_app.analysis.exposure as exposure

    monkeypatch.setattr(exposure, "_THREADS", threads)
    monkeypatch.setattr(exposure, "_PARALLEL_FROM", 10)
    monkeypatch.setattr(exposure, "_PARALLEL_POINTS", 1000)  # the raster read in halves
    parts, tested, halves = [], [], []
    build, exact = exposure.ExposureIndex._bracket, exposure.ExposureIndex._exact
    monkeypatch.setattr(exposure.ExposureIndex, "_bracket",
                        lambda self, part: parts.append(part) or build(self, part))
    monkeypatch.setattr(exposure.ExposureIndex, "_exact",
                        lambda self, hazard, *args: tested.append(set(hazard.tolist()))
                        or exact(self, hazard, *args))
    look_up = exposure.ExposureIndex._look_up
    monkeypatch.setattr(exposure.ExposureIndex, "_look_up",
                        lambda self, x, y, first: halves.append((first, len(x)))
                        or look_up(self, x, y, first))
    geoms, kinds, levels = random_hazards(5)
    reach = np.where(shapely.get_type_id(geoms) == 0, 150.0, 60.0)
    x, y = random_points(5, geoms, 20_000)
    index = ExposureIndex(geoms, kinds, levels, reach)
    assert len(parts) == (2 * exposure._PARTS_PER_THREAD if threads == 2 else 1)
    assert sorted(np.concatenate(parts).tolist()) == list(range(len(geoms)))
    row, kind, level = index.locate(x, y)
    assert len(tested) == (2 * exposure._EXACT_PARTS_PER_THREAD if threads == 2 else 1)
    assert sum(len(part) for part in tested) == len(set().union(*tested))  # no hazard twice
    half = len(x) // 2
    assert sorted(halves) == ([(0, half), (half, len(x) - half)] if threads == 2
                              else [(0, len(x))])
    got = {(int(r), int(k)): int(v) for r, k, v in zip(row, kind, level, strict=True)}
    assert got == brute_force(geoms, kinds, levels, reach, x, y)


def test_simplified_zones_keep_every_answer_exact():
    """Rings simplified before buffering (5 % of the reach) change no answer; a ring that
    simplifying would lose (a hole smaller than the tolerance) is kept as it is, its zone's
    other rings simplified."""
    rng = np.random.default_rng(7)
    a = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    shapes = []
    for k in range(6):  # jagged rings: 0.4 m of noise on vertices ~8 m apart
        r = 500 * (1 + 0.2 * np.sin(3 * a + k)) + rng.normal(0, 0.4, a.size)
        ring = np.c_[X0 + 1500 * k + r * np.cos(a), Y0 + r * np.sin(a)]
        shapes.append(shapely.Polygon(ring))
    jagged = np.c_[X0 + 9000 + 400 * a / (2 * np.pi), Y0 + rng.normal(0, 0.3, a.size)]
    tiny_hole = shapely.Polygon(np.r_[jagged, [[X0 + 9400, Y0 + 400], [X0 + 9000, Y0 + 400]]],
                                holes=[shapely.get_coordinates(box(9200, 200, 9200.3, 200.3))])
    geoms = np.array([*shapes, tiny_hole], dtype=object)
    simple, kept = _simplified(geoms, np.full(len(geoms), 1.0))
    assert (kept == 1.0).all()
    assert shapely.equals_exact(shapely.get_interior_ring(shapely.get_geometry(simple[-1], 0), 0),
                                shapely.get_interior_ring(geoms[-1], 0), 0)
    fewer = shapely.get_num_coordinates(simple) < shapely.get_num_coordinates(geoms)
    assert fewer.all()
    moved = shapely.hausdorff_distance(shapely.boundary(simple[0]), shapely.boundary(geoms[0]))
    assert moved <= 1
    # A polygon with an empty hole (GEOS allows it) is kept as it is; the others beside it
    # are still simplified.
    empty_hole = shapely.polygons(box(9000, 0, 9400, 400).exterior, holes=[shapely.LinearRing()])
    again, tolerance = _simplified(np.array([empty_hole, shapes[0]], dtype=object),
                                   np.array([1.0, 1.0]))
    assert again[0] is empty_hole and tolerance[0] == 0.0
    assert tolerance[1] == 1.0 and shapely.equals(again[1], simple[0])
    kinds, levels = np.arange(len(geoms)) % 3, np.ones(len(geoms), dtype=int)
    for reach in (200.0, 30.0):
        x, y = random_points(7, geoms, 20_000)
        row, kind, level = ExposureIndex(geoms, kinds, levels, reach).locate(x, y)
        got = {(int(r), int(k)): int(v) for r, k, v in zip(row, kind, level, strict=True)}
        assert got == brute_force(geoms, kinds, levels, np.full(len(geoms), reach), x, y)


def test_a_simplified_zone_is_never_farther_or_nearer_than_the_tolerance():
    """What the buffers' margins rely on: any point's distance to a zone and to its
    simplification differ by at most the tolerance (inside, outside, in holes)."""
    rng = np.random.default_rng(11)
    a = np.linspace(0, 2 * np.pi, 300, endpoint=False)
    shapes = []
    for k in range(8):  # lobes with wiggles, every other one with a hole
        r = 400 * (1 + 0.25 * np.sin(3 * a + k) + 0.05 * np.sin(17 * a + 2 * k))
        shell = np.c_[X0 + 1500 * k + r * np.cos(a), Y0 + r * np.sin(a)]
        hole = np.c_[X0 + 1500 * k + 0.4 * r * np.cos(a), Y0 + 0.4 * r * np.sin(a)][::-1]
        shapes.append(shapely.Polygon(shell, [hole] if k % 2 else []))
    geoms = np.array(shapes, dtype=object)
    for tolerance in (5.0, 20.0):
        simple, kept = _simplified(geoms, np.full(len(geoms), tolerance))
        assert (kept == tolerance).all()
        owner = rng.integers(0, len(geoms), 100_000)
        boundary = shapely.get_coordinates(shapely.boundary(geoms))
        near = boundary[rng.integers(0, len(boundary), len(owner))]
        points = shapely.points(near + rng.normal(0, 2 * tolerance, near.shape))
        owner = shapely.STRtree(geoms).nearest(points)
        gap = np.abs(shapely.distance(geoms[owner], points)
                     - shapely.distance(simple[owner], points))
        assert gap.max() <= tolerance * (1 + 1e-9)
        assert gap.max() > 0.5 * tolerance  # the shapes were simplified that far


def test_a_small_raster_gives_the_same_answers():
    geoms, kinds, levels = random_hazards(3, 30)
    reach = np.full(len(geoms), 80.0)
    x, y = random_points(3, geoms, 5000)
    fine = ExposureIndex(geoms, kinds, levels, reach).locate(x, y)
    coarse = ExposureIndex(geoms, kinds, levels, reach, target_cells=500).locate(x, y)
    for a, b in zip(fine, coarse, strict=True):
        assert np.array_equal(a, b)


def test_many_kinds_and_levels_use_wider_codes():
    # 20 kinds × 3 bits and the flag: 64-bit codes, decoded without the table.
    geoms = shapely.buffer(shapely.points(X0 + np.arange(20) * 10.0, np.full(20, Y0)), 100)
    kinds = np.arange(20)
    levels = (np.arange(20) % 4) + 1
    x = np.array([X0 + 120.0])
    y = np.array([Y0])
    row, kind, level = ExposureIndex(geoms, kinds, levels, 0.0).locate(x, y)
    expected = np.flatnonzero(shapely.intersects(geoms, shapely.Point(X0 + 120.0, Y0)))
    assert list(kind) == list(expected) and list(level) == list(levels[expected])
    with pytest.raises(ValueError, match="灾害类型过多"):
        ExposureIndex(geoms[:1], [21], [4], 0.0)


# --- the summary -------------------------------------------------------------------------------


def test_the_summary_counts_each_household_once_per_kind_by_unit():
    households = pd.DataFrame({
        "id": [1, 2, 3, 4, 5],
        "township_code": ["T1", "T1", "T1", "T2", None],
        "township": ["甲乡", "甲乡", "甲乡", "乙镇", None],
        "village_code": ["V1", "V1", "V2", "V3", None],
        "village": ["一村", "一村", "二村", "三村", None],
        "grid_code": ["G1", "G2", "G3", "G4", None],
        "grid_name": ["一网格", "二网格", "三网格", "四网格", None],
        "members": [3, 4, 2, 5, 1],
        "attribute": [2, 2, 1, 3, 2],
        "monitoring_type": [1, 3, None, None, 2],
        "risk_eliminated": [False, False, False, False, False],
    })
    kinds = ["洪涝", "滑坡", "洪涝", "洪涝", "洪涝", "洪涝"]
    exposure = pd.DataFrame({"row": [0, 0, 1, 2, 3, 4], "kind": pd.Categorical(kinds),
                             "level": [1, 2, 1, 3, 1, 2]})
    pairs = pd.DataFrame({"household_id": [2]})
    sites = pd.DataFrame({"township_code": ["T1"], "township": ["甲乡"], "village_code": ["V2"],
                          "village": ["二村"], "grid_code": ["G3"], "grid_name": ["三网格"],
                          "households": [40]})
    site_exposure = pd.DataFrame({"row": [0], "kind": pd.Categorical(["洪涝"]), "level": [1]})
    table = exposure_summary(households, exposure, 1, sites, site_exposure, pairs)
    assert list(table.columns) == SUMMARY_COLUMNS
    rows = {(r.code, r.kind, r.level): r for r in table.itertuples()}
    t1 = rows[("T1", "洪涝", 1)]
    assert (t1.households, t1.persons, t1.monitored, t1.lifted, t1.unstable,
            t1.sudden_hardship, t1.unpaired, t1.sites, t1.site_households) == (
        2, 7, 2, 0, 1, 1, 1, 1, 40)
    assert rows[("T1", "洪涝", 3)].lifted == 1
    assert rows[("T1", "滑坡", 2)].households == 1
    assert rows[("T2", "洪涝", 1)].ordinary == 1
    unknown = rows[(None, "洪涝", 2)]
    assert unknown.name == "（未知乡镇）" and unknown.marginal == 1 and unknown.unpaired == 1
    assert list(table["code"]) == ["T1", "T1", "T1", "T2", None]
    assert list(table["kind"]) == ["洪涝", "洪涝", "滑坡", "洪涝", "洪涝"]
    by_village = exposure_summary(households, exposure, 2)
    assert by_village["households"].sum() == 6 and by_village["unpaired"].sum() == 0
    with pytest.raises(ValueError, match="统计层级"):
        exposure_summary(households, exposure, 4)


def test_an_index_is_reused_for_the_same_hazards_and_rebuilt_for_changed_ones():
    from gis_app.analysis.exposure import forget_indexes, hazard_index

    forget_indexes()
    zones = gpd.GeoDataFrame({"kind": ["洪涝", "滑坡"], "level": [1, 2]},
                             geometry=[shapely.box(0, 0, 100, 100), shapely.box(50, 50, 300, 300)],
                             crs=4525)
    first, _ = hazard_index(zones, None, 20.0, points=100_000)
    again, _ = hazard_index(zones.copy(), None, 20.0, points=100_001)  # one household more
    assert again is first
    assert hazard_index(zones, None, 30.0, points=1000)[0] is not first  # another buffer
    # The flood zone grown by a metre: a house 120.5 m up is now within 20 m of it.
    moved = zones.set_geometry([shapely.box(0, 0, 100, 101), zones.geometry.iloc[1]], crs=4525)
    changed, kinds = hazard_index(moved, None, 20.0, points=1000)
    assert changed is not first
    flood = kinds.index("洪涝")
    x, y = np.array([50.0]), np.array([120.5])
    before = {(int(k), int(v)) for _, k, v in zip(*first.locate(x, y), strict=True)}
    after = {(int(k), int(v)) for _, k, v in zip(*changed.locate(x, y), strict=True)}
    assert (flood, 1) not in before and (flood, 1) in after
    # The same coordinates cut into other rings: a hole is not a second part.
    shell, hole = shapely.box(0, 0, 100, 100), shapely.box(30, 30, 70, 70)
    holed = gpd.GeoDataFrame({"kind": ["洪涝"], "level": [1]}, crs=4525,
                             geometry=[shapely.Polygon(shell.exterior, [hole.exterior])])
    parts = holed.set_geometry([shapely.MultiPolygon([shell, hole])], crs=4525)
    assert np.array_equal(shapely.get_coordinates(holed.geometry.values),
                          shapely.get_coordinates(parts.geometry.values))
    with_hole, _ = hazard_index(holed, None, 0.0, points=10)
    two_parts, _ = hazard_index(parts, None, 0.0, points=10)
    assert with_hole is not two_parts
    assert len(with_hole.locate([50.0], [50.0])[0]) == 0  # in the hole
    # … and a polygon of one ring (read by its vertices alone) is not a multipolygon of it.
    single = holed.set_geometry([shell], crs=4525)
    multi = holed.set_geometry([shapely.MultiPolygon([shell])], crs=4525)
    assert hazard_index(single, None, 0.0, points=10)[0] \
        is not hazard_index(multi, None, 0.0, points=10)[0]


def test_an_index_made_again_from_its_arrays_gives_geos_answers_and_bad_arrays_are_refused():
    geoms, kinds, levels = random_hazards(6)
    reach = np.where(shapely.get_type_id(geoms) == 0, 150.0, 45.0)
    reach[:5] = 0.0  # zones without buffer: their own brackets, nothing of theirs stored
    built = ExposureIndex(geoms, kinds, levels, reach)
    arrays = built.to_arrays()
    fresh = shapely.from_wkb(shapely.to_wkb(geoms))  # another session's geometries
    again = ExposureIndex.from_arrays(fresh, kinds, levels, reach, arrays)
    x, y = random_points(6, geoms, 10_000)
    row, kind, level = again.locate(x, y)
    got = {(int(r), int(k)): int(v) for r, k, v in zip(row, kind, level, strict=True)}
    assert got == brute_force(geoms, kinds, levels, reach, x, y)
    assert again.stats() == built.stats()
    # Arrays of other hazards, cut short or missing a part are refused, never used.
    with pytest.raises(ValueError):
        ExposureIndex.from_arrays(geoms[:10], kinds[:10], levels[:10], reach[:10], arrays)
    with pytest.raises(ValueError):
        ExposureIndex.from_arrays(geoms, kinds, levels, reach,
                                  {**arrays, "codes": arrays["codes"][:-1]})
    with pytest.raises(ValueError):
        ExposureIndex.from_arrays(geoms, kinds, levels, reach,
                                  {**arrays, "inner_wkb": arrays["inner_wkb"][:-9]})
    # … or with edges beyond the vertices, pieces out of order, a band too short
    with pytest.raises(ValueError):
        ExposureIndex.from_arrays(geoms, kinds, levels, reach,
                                  {**arrays, "chain_first": arrays["chain_first"]
                                   + len(arrays["vertices"])})
    with pytest.raises(ValueError):
        ExposureIndex.from_arrays(geoms, kinds, levels, reach,
                                  {**arrays, "chain_group": arrays["chain_group"][::-1]})
    with pytest.raises(ValueError):
        ExposureIndex.from_arrays(geoms, kinds, levels, reach,
                                  {**arrays, "near": arrays["near"][:-1]})
    with pytest.raises(ValueError):
        ExposureIndex.from_arrays(geoms, kinds, levels, reach,
                                  {k: v for k, v in arrays.items() if k != "cand"})


def test_an_index_kept_is_read_in_the_next_session_instead_of_built(monkeypatch):
    from gis_app.analysis import exposure
    from gis_app.analysis.exposure import forget_indexes, hazard_index

    kept, saved = {}, []

    class Keeper:  # the protocol the service's cache folder follows (tests/storage: the files)
        def load(self, key):
            return kept.get(key)

        def save(self, key, arrays):
            saved.append(key)
            kept[key] = arrays

    geoms, kinds, levels = random_hazards(8, 250)
    zones = gpd.GeoDataFrame({"kind": np.array(["洪涝", "滑坡", "崩塌", "干旱"])[kinds],
                              "level": levels}, geometry=geoms, crs=4525)
    zones = zones[shapely.get_type_id(zones.geometry.values) != 0]
    assert shapely.get_num_coordinates(zones.geometry.values).sum() >= exposure.KEEP_FROM
    built = []
    bracket = exposure.ExposureIndex._bracket
    monkeypatch.setattr(exposure.ExposureIndex, "_bracket",
                        lambda self, part: built.append(len(part)) or bracket(self, part))
    forget_indexes()
    first, _ = hazard_index(zones, None, 60.0, keep=Keeper())
    assert len(saved) == 1 and built
    forget_indexes()  # a new session
    built.clear()
    again, _ = hazard_index(zones.copy(), None, 60.0, keep=Keeper())
    assert built == [] and again is not first and len(saved) == 1
    x, y = random_points(8, geoms, 5000)
    for a, b in zip(first.locate(x, y), again.locate(x, y), strict=True):
        assert np.array_equal(a, b)
    # Damaged arrays under the key: built again and kept anew.
    forget_indexes()
    kept[saved[0]] = {**kept[saved[0]], "cand_start": kept[saved[0]]["cand_start"][:-1]}
    third, _ = hazard_index(zones, None, 60.0, keep=Keeper())
    assert built and len(saved) == 2
    for a, b in zip(first.locate(x, y), third.locate(x, y), strict=True):
        assert np.array_equal(a, b)
    # Too small to keep: built every session (a few ms), never written.
    forget_indexes()
    hazard_index(zones.iloc[:3], None, 60.0, keep=Keeper())
    assert len(saved) == 2


def test_one_index_located_from_several_threads_at_once_gives_each_the_same_answers():
    """The dock's and the dashboard's workers may locate on one kept index at the same time,
    its geometries not yet prepared by GEOS (the exact tests take turns)."""
    from concurrent.futures import ThreadPoolExecutor

    geoms, kinds, levels = random_hazards(9, 120)
    reach = np.where(shapely.get_type_id(geoms) == 0, 150.0, 70.0)
    x, y = random_points(9, geoms, 20_000)
    expected = brute_force(geoms, kinds, levels, reach, x, y)
    index = ExposureIndex(shapely.from_wkb(shapely.to_wkb(geoms)), kinds, levels, reach)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: index.locate(x, y), range(4)))
    for row, kind, level in answers:
        assert {(int(r), int(k)): int(v)
                for r, k, v in zip(row, kind, level, strict=True)} == expected
