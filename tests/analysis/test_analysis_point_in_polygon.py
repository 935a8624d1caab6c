"""PolygonIndex and join_points_to_polygons against geopandas.sjoin and a brute-force oracle."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gis_app.analysis import LocateResult, PolygonIndex, join_points_to_polygons


def sjoin_locate(polygons, x, y) -> tuple[np.ndarray, np.ndarray]:
    """geopandas' answer: lowest containing polygon and how many contain (capped at 2).

    Points with a NaN coordinate are left out: a point like POINT (x NaN) corrupts the GEOS
    STRtree that sjoin builds over the points, which then silently misses other points.
    """
    finite = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x[finite], y[finite]), crs=4490)
    layer = gpd.GeoDataFrame(geometry=list(polygons), crs=4490)
    joined = gpd.sjoin(points, layer, predicate="within", how="inner")
    pairs = pd.DataFrame(
        {"pt": finite[joined.index.to_numpy()], "poly": joined["index_right"].to_numpy()}
    )
    grouped = pairs.groupby("pt")["poly"].agg(["min", "size"])
    index = np.full(len(x), -1, dtype=np.int64)
    count = np.zeros(len(x), dtype=np.int8)
    index[grouped.index.to_numpy()] = grouped["min"].to_numpy()
    count[grouped.index.to_numpy()] = np.minimum(grouped["size"].to_numpy(), 2)
    return index, count


# ---------------------------------------------------------------- hand-made


def test_two_squares_five_points():
    squares = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
    x = np.array([0.5, 1.5, 1.0, 3.0, np.nan])
    y = np.array([0.5, 0.5, 0.5, 0.5, 0.5])
    result = PolygonIndex(squares).locate(x, y)
    assert isinstance(result, LocateResult)
    assert result.index.dtype == np.int64 and result.covered_count.dtype == np.int8
    # inside A, inside B, on the shared edge (lowest neighbour), outside, NaN
    assert result.index.tolist() == [0, 1, 0, -1, -1]
    assert result.covered_count.tolist() == [1, 1, 1, 0, 0]
    strict = PolygonIndex(squares, boundary="exclude").locate(x, y)
    assert strict.index.tolist() == [0, 1, -1, -1, -1]
    assert strict.covered_count.tolist() == [1, 1, 0, 0, 0]


def test_boundary_points_are_deterministic():
    squares = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(0, 1, 2, 2)]
    x = np.array([1.0, 1.0, 0.3, 2.0, 0.0])
    y = np.array([1.0, 0.2, 1.0, 1.5, 0.0])
    first = PolygonIndex(squares).locate(x, y).index
    again = PolygonIndex(squares, target_cells=7).locate(x[::-1], y[::-1]).index[::-1]
    assert first.tolist() == again.tolist() == [0, 0, 0, 2, 0]


def test_overlap_is_counted():
    polygons = [shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3), shapely.box(5, 5, 6, 6)]
    x = np.array([0.5, 1.5, 2.5, 5.5, 1.0])
    y = np.array([0.5, 1.5, 2.5, 5.5, 1.5])
    result = PolygonIndex(polygons).locate(x, y)
    assert result.index.tolist() == [0, 0, 1, 2, 0]
    # (1, 1.5) lies on B's edge and inside A: A contains it, B does not.
    assert result.covered_count.tolist() == [1, 2, 1, 1, 1]


def test_holes_multipolygons_missing_and_z():
    ring = shapely.box(0, 0, 10, 10).difference(shapely.box(2, 2, 4, 4))
    multi = shapely.MultiPolygon([shapely.box(11, 0, 12, 1), shapely.box(13, 0, 14, 1)])
    island = shapely.Polygon([(3, 3, 5), (3.5, 3.9, 5), (3.9, 3.1, 5)])
    polygons = np.array([ring, None, multi, shapely.Polygon(), island], dtype=object)
    x = np.array([1, 3, 3.5, 11.5, 13.5, 12.5, 3.45, np.inf])
    y = np.array([1, 2.5, 3.5, 0.5, 0.5, 0.5, 3.3, 1.0])
    result = PolygonIndex(polygons).locate(x, y)
    assert result.index.tolist() == [0, -1, 4, 2, 2, -1, 4, -1]


def test_empty_layer_and_no_points():
    index = PolygonIndex([None, shapely.Polygon()])
    assert index.locate([1.0], [2.0]).index.tolist() == [-1]
    assert PolygonIndex([shapely.box(0, 0, 1, 1)]).locate([], []).index.size == 0


def test_rejects_lines():
    with pytest.raises(ValueError):
        PolygonIndex([shapely.LineString([(0, 0), (1, 1)])])


def test_progress_reaches_total():
    calls = []
    index = PolygonIndex([shapely.box(0, 0, 1, 1)])
    index.locate([0.5], [0.5], progress=lambda done, total: calls.append((done, total)))
    assert calls[0][0] == 0 and calls[-1][0] == calls[-1][1]


def test_crowded_cells_use_the_tree(oracle):
    # Many slices of a pie meet in one point: with a coarse raster the centre cell is touched
    # by more than two polygons and is answered by the STRtree.
    angles = np.linspace(0, 2 * np.pi, 13)
    slices = [
        shapely.Polygon([(0, 0), (np.cos(a), np.sin(a)), (np.cos(b), np.sin(b))])
        for a, b in zip(angles[:-1], angles[1:], strict=True)
    ]
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-1.2, 1.2, 5000), rng.uniform(-1.2, 1.2, 5000)
    x[:3], y[:3] = 0.0, 0.0
    for cells in (16, 400, None):
        result = PolygonIndex(slices, target_cells=cells).locate(x, y)
        expected = oracle(slices, x, y)
        np.testing.assert_array_equal(result.index, expected[0])
        np.testing.assert_array_equal(result.covered_count, expected[1])


# ---------------------------------------------------------------- random tilings vs sjoin


def complicated_layer(make_voronoi, seed: int) -> np.ndarray:
    """A Voronoi tiling with holes, islands, a MultiPolygon, an overlap and missing shapes."""
    cells = list(make_voronoi(seed))
    rng = np.random.default_rng(seed)
    for k in range(10):  # holes; half of them get an island polygon exactly filling them
        hole = shapely.buffer(shapely.point_on_surface(cells[k]), 0.002, quad_segs=4)
        cells[k] = shapely.difference(cells[k], hole)
        if k % 2:
            cells.append(hole)
    far = int(np.argmax(shapely.distance(np.array(cells[20:], dtype=object), cells[20]))) + 20
    cells[20] = shapely.MultiPolygon(list(shapely.get_parts([cells[20], cells[far]])))
    cells[far] = None
    cells.append(shapely.buffer(shapely.Point(111.1, 27.07), 0.02))  # overlaps many cells
    cells.insert(int(rng.integers(len(cells))), shapely.Polygon())
    cells.insert(int(rng.integers(len(cells))), None)
    return np.array(cells, dtype=object)


def awkward_points(polygons, seed: int, n: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points (some outside), NaN, polygon vertices and edge midpoints."""
    rng = np.random.default_rng(seed + 100)
    x = rng.uniform(110.98, 111.22, n)
    y = rng.uniform(26.98, 27.17, n)
    coords = shapely.get_coordinates(polygons[shapely.is_valid_input(polygons)])
    pick = rng.integers(0, len(coords) - 1, 600)
    mid = (coords[pick] + coords[pick + 1]) / 2
    x = np.r_[x, coords[pick[:300], 0], mid[:, 0], np.nan, 111.05]
    y = np.r_[y, coords[pick[:300], 1], mid[:, 1], 27.05, np.nan]
    return x, y


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("cells", [None, 3_000, 200_000])
def test_equals_sjoin_on_voronoi(make_voronoi, seed, cells):
    polygons = complicated_layer(make_voronoi, seed)
    x, y = awkward_points(polygons, seed)
    expected_index, expected_count = sjoin_locate(polygons, x, y)

    strict = PolygonIndex(polygons, target_cells=cells, boundary="exclude").locate(x, y)
    np.testing.assert_array_equal(strict.index, expected_index)
    np.testing.assert_array_equal(strict.covered_count, expected_count)
    assert (expected_count == 2).sum() > 100  # the overlap was exercised

    result = PolygonIndex(polygons, target_cells=cells).locate(x, y)
    inside = expected_index >= 0
    np.testing.assert_array_equal(result.index[inside], expected_index[inside])
    np.testing.assert_array_equal(result.covered_count[inside], expected_count[inside])
    # Elsewhere: nothing, or a polygon on whose boundary the point lies.
    moved = np.flatnonzero(~inside & (result.index >= 0))
    assert moved.size > 0
    geoms = polygons[result.index[moved]]
    assert shapely.intersects_xy(geoms, x[moved], y[moved]).all()
    assert not shapely.contains_xy(geoms, x[moved], y[moved]).any()


def test_reuse_for_many_point_sets(make_voronoi, oracle):
    polygons = make_voronoi(7, n=60)
    index = PolygonIndex(polygons)
    rng = np.random.default_rng(7)
    for _ in range(3):
        x, y = rng.uniform(110.99, 111.21, 3000), rng.uniform(26.99, 27.16, 3000)
        np.testing.assert_array_equal(index.locate(x, y).index, oracle(polygons, x, y)[0])


# ---------------------------------------------------------------- property test


def _boxes(draw):
    n = draw(st.integers(1, 6))
    boxes = []
    for _ in range(n):
        x0 = draw(st.integers(0, 8)) / 2
        y0 = draw(st.integers(0, 8)) / 2
        w = draw(st.integers(1, 6)) / 2
        h = draw(st.integers(1, 6)) / 2
        boxes.append(shapely.box(x0, y0, x0 + w, y0 + h))
    return boxes


def _stars(draw):
    n = draw(st.integers(1, 4))
    shapes = []
    for _ in range(n):
        cx = draw(st.floats(1, 9))
        cy = draw(st.floats(1, 9))
        k = draw(st.integers(3, 9))
        radii = draw(st.lists(st.floats(0.2, 3), min_size=k, max_size=k))
        angles = np.sort(
            draw(st.lists(st.floats(0, 2 * np.pi - 1e-3), min_size=k, max_size=k, unique=True))
        )
        shell = np.c_[cx + np.cos(angles) * radii, cy + np.sin(angles) * radii]
        holes = [(shell - [cx, cy]) * 0.4 + [cx, cy]] if draw(st.booleans()) else []
        polygon = shapely.Polygon(shell, holes)
        if polygon.is_valid and polygon.area > 1e-6:
            shapes.append(polygon)
    return shapes


@st.composite
def polygon_cases(draw):
    polygons = draw(st.sampled_from([_boxes, _stars]))(draw)
    if not polygons:
        polygons = [shapely.box(0, 0, 1, 1)]
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    x = np.r_[rng.uniform(-1, 11, 300), rng.integers(-2, 24, 200) / 2]
    y = np.r_[rng.uniform(-1, 11, 300), rng.integers(-2, 24, 200) / 2]
    coords = shapely.get_coordinates(polygons)
    x, y = np.r_[x, coords[:, 0]], np.r_[y, coords[:, 1]]
    cells = draw(st.sampled_from([1, 4, 9, 50, 400, 10_000, None]))
    return np.array(polygons, dtype=object), x, y, cells


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(polygon_cases())
def test_property_matches_shapely(oracle, case):
    polygons, x, y, cells = case
    for boundary in ("assign", "exclude"):
        result = PolygonIndex(polygons, target_cells=cells, boundary=boundary).locate(x, y)
        index, count = oracle(polygons, x, y, boundary)
        np.testing.assert_array_equal(result.index, index)
        np.testing.assert_array_equal(result.covered_count, count)
    strict = PolygonIndex(polygons, target_cells=cells, boundary="exclude").locate(x, y)
    contained = np.stack([shapely.contains_xy(p, x, y) for p in polygons])
    np.testing.assert_array_equal(strict.covered_count, np.minimum(contained.sum(axis=0), 2))


# ---------------------------------------------------------------- the join function


def test_join_points_to_polygons_frames_and_arrays():
    grids = gpd.GeoDataFrame(
        {"code": ["A", "B"]}, geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4490
    )
    points = gpd.GeoDataFrame(
        geometry=[
            shapely.Point(0.5, 0.5),
            None,
            shapely.Point(),
            shapely.Point(1.5, 0.2),
            shapely.Point(9, 9),
        ],
        crs=4490,
    )
    calls = []
    result = join_points_to_polygons(points, grids, progress=lambda d, t: calls.append((d, t)))
    assert result.tolist() == [0, -1, -1, 1, -1]
    assert calls[-1] == (2, 2)
    result = join_points_to_polygons((np.array([0.5, 1.5]), np.array([0.5, 0.5])), grids)
    assert result.tolist() == [0, 1]


def test_join_checks_crs_first():
    grids = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs=4490)
    points = gpd.GeoDataFrame(geometry=[shapely.Point(0.5, 0.5)], crs=4326)
    with pytest.raises(ValueError, match="图层坐标系不一致"):
        join_points_to_polygons(points, grids)
    with pytest.raises(ValueError, match="图层坐标系不一致"):
        join_points_to_polygons(points.set_crs(None, allow_override=True), grids)


def test_large_projected_coordinates(make_voronoi):
    # Gauss–Krüger metres with the zone prefix: eastings near 37,500,000.
    def to_metres(coords):
        return (coords - [111.0, 27.0]) * [99_000.0, 111_000.0] + [37_500_000.0, 2_988_000.0]

    polygons = shapely.transform(make_voronoi(11), to_metres)
    lon, lat = awkward_points(make_voronoi(11), 11)
    x, y = to_metres(np.c_[lon, lat]).T
    expected_index, expected_count = sjoin_locate(polygons, x, y)
    frame = gpd.GeoDataFrame({"code": np.arange(polygons.size)}, geometry=polygons)
    result = PolygonIndex(frame, boundary="exclude").locate(x, y)
    np.testing.assert_array_equal(result.index, expected_index)
    np.testing.assert_array_equal(result.covered_count, expected_count)


def test_thin_strip_crossing_cells_without_corners(oracle):
    # The strip crosses whole cells without a vertex inside them and without covering any of
    # their corners: corner labels alone would say "A" there.
    strip = shapely.box(-1, 4.9999, 11, 5.0001)
    polygons = [shapely.box(0, 0, 10, 10).difference(strip), strip]
    rng = np.random.default_rng(5)
    x = np.r_[rng.uniform(0, 10, 2000), rng.uniform(0, 10, 500)]
    y = np.r_[rng.uniform(0, 10, 2000), rng.uniform(4.99995, 5.00005, 500)]
    for cells in (16, 100, None):
        result = PolygonIndex(polygons, target_cells=cells).locate(x, y)
        np.testing.assert_array_equal(result.index, oracle(polygons, x, y)[0])
        assert (result.index[2000:] == 1).all()
