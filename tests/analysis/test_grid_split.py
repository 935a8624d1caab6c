"""Cutting, merging and balanced splitting of level-3 grids, checked independently with shapely."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gis_app.analysis import (
    assign_households,
    check_grid_tiling,
    merge_grids,
    split_balanced,
    split_by_line,
)

#: CGCS2000 / 3-degree Gauss–Krüger zone 37 (central meridian 111°E), with zone prefix.
GK37 = 4525
#: Origin of the hand-made layouts: about 111.0°E, 27.0°N.
E0, N0 = 37_500_000.0, 2_988_000.0


def lonlat(geom):
    """A geometry given in metres relative to the origin, as stored: EPSG:4490."""
    shifted = shapely.transform(geom, lambda c: c + [E0, N0])
    return gpd.GeoSeries([shifted], crs=GK37).to_crs(4490).iloc[0]


def lonlat_xy(xy):
    points = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0] + E0, xy[:, 1] + N0), crs=GK37)
    points = points.to_crs(4490)
    return np.c_[points.x, points.y]


def metres(geoms) -> gpd.GeoSeries:
    """EPSG:4490 geometries in GK zone 37, for areas and overlaps."""
    return gpd.GeoSeries(list(geoms), crs=4490).to_crs(GK37)


def assert_tiles(parts, whole, rel=1e-9):
    """The parts tile the whole, in GK metres (as the map and the tiling check see them).

    Union area and summed area equal the whole's area; no two parts overlap by 1 m², nothing
    sticks out or is left out by 1 m². In lon/lat, where the parts share their vertices, they
    do not overlap either.
    """
    geoms = np.asarray(list(parts), dtype=object)
    gk, gk_whole = metres(geoms), metres([whole]).iloc[0]
    gk_union = shapely.union_all(gk.values)
    assert gk_union.area == pytest.approx(gk_whole.area, rel=rel)
    assert gk.area.sum() == pytest.approx(gk_whole.area, rel=rel)
    assert shapely.difference(gk_union, gk_whole).area < 1.0
    assert shapely.difference(gk_whole, gk_union).area < 1.0
    left, right = np.triu_indices(len(gk), 1)
    overlaps = shapely.area(shapely.intersection(gk.values[left], gk.values[right]))
    assert overlaps.max(initial=0.0) < 1.0
    union = shapely.union_all(geoms)
    assert shapely.area(geoms).sum() == pytest.approx(union.area, rel=rel)
    # New vertices on the outline sit on its GK chords: off the lon/lat edges by the bow
    # between the two projections (≈ 1 cm in the middle of a 1 km edge, 8 cm for 3 km).
    assert union.area == pytest.approx(whole.area, rel=1e-4)


def village_and_households(seed=0, n=2000):
    """A ~5 km² wavy village with 8 hamlets and scattered households (GK metres and lon/lat)."""
    rng = np.random.default_rng(seed)
    angle = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    radius = 1250 * (1 + 0.15 * np.sin(3 * angle) + 0.05 * np.cos(7 * angle))
    outline = shapely.Polygon(np.c_[radius * np.cos(angle), radius * np.sin(angle)])
    hamlets = rng.uniform(-800, 800, (8, 2))
    pick = rng.integers(0, 8, 2000)
    xy = np.r_[hamlets[pick] + rng.normal(0, 110, (2000, 2)), rng.uniform(-1300, 1300, (1500, 2))]
    xy = xy[shapely.contains_xy(outline, xy[:, 0], xy[:, 1])][:n]
    return lonlat(outline), lonlat_xy(xy)


@pytest.fixture(scope="module")
def village():
    return village_and_households()


@pytest.fixture(scope="module")
def split30(village):
    area, xy = village
    calls = []
    parts = split_balanced(area, xy, 30, progress=lambda d, t: calls.append((d, t)))
    return parts, calls


# ---------------------------------------------------------------- split_by_line


def test_split_square_by_line_known_areas():
    square = lonlat(shapely.box(0, 0, 1000, 1000))
    line = lonlat(shapely.LineString([(300, -200), (300, 1300)]))
    parts = split_by_line(square, line)
    assert len(parts) == 2
    areas = metres(parts).area.to_numpy()
    # 700 m × 1000 m and 300 m × 1000 m, largest first.
    np.testing.assert_allclose(areas, [700_000.0, 300_000.0], atol=0.1)
    assert_tiles(parts, square)
    # The square's own corners are kept exactly; the new vertices lie on its GK edges.
    coords = shapely.get_coordinates(np.asarray(parts, dtype=object))
    corners = shapely.get_coordinates(square)[:4]
    for corner in corners:
        assert (coords == corner).all(axis=1).any()
    new = np.unique(coords[~(coords[:, None, :] == corners[None]).all(axis=2).any(axis=1)], axis=0)
    new = metres(shapely.points(new)).values
    np.testing.assert_allclose(shapely.get_x(new), E0 + 300, atol=1e-6)  # all on the cut
    on_edge = shapely.distance(new, metres([square]).iloc[0].boundary) < 1e-6
    np.testing.assert_allclose(np.sort(shapely.get_y(new[on_edge])), [N0, N0 + 1000], atol=1e-6)


def test_split_concave_grid_crossed_twice():
    # A U: two 200 m arms joined at the bottom; a line across both arms at y = 600.
    u = lonlat(
        shapely.Polygon(
            [
                (0, 0),
                (600, 0),
                (600, 1000),
                (400, 1000),
                (400, 200),
                (200, 200),
                (200, 1000),
                (0, 1000),
            ]
        )
    )
    parts = split_by_line(u, lonlat(shapely.LineString([(-50, 600), (650, 600)])))
    # By hand: the U is 600 × 1000 less the 200 × 800 notch; each arm loses 200 × 400 on top.
    np.testing.assert_allclose(
        metres(parts).area.to_numpy(), [440_000 - 2 * 80_000, 80_000, 80_000], atol=0.1
    )
    assert_tiles(parts, u)


def test_split_multipolygon_keeps_islands_with_nearest_part():
    grid = lonlat(
        shapely.MultiPolygon([shapely.box(0, 0, 1000, 500), shapely.box(1200, 0, 1400, 500)])
    )
    parts = split_by_line(grid, lonlat(shapely.LineString([(400, -10), (400, 510)])))
    gk = metres(parts)
    np.testing.assert_allclose(gk.area.to_numpy(), [600 * 500 + 200 * 500, 400 * 500], atol=0.1)
    assert parts[0].geom_type == "MultiPolygon"
    assert_tiles(parts, grid)


@pytest.mark.parametrize(
    "line",
    [
        [(300, -200), (300, 500)],  # stops inside
        [(-300, -200), (-300, 1300)],  # misses the grid
        [(0, -200), (0, 1300)],  # runs along the boundary
    ],
)
def test_split_refuses_line_not_crossing(line):
    square = lonlat(shapely.box(0, 0, 1000, 1000))
    with pytest.raises(ValueError, match="分割线没有完整穿过网格"):
        split_by_line(square, lonlat(shapely.LineString(line)))


def test_split_bent_line_and_projected_input_refused():
    square = lonlat(shapely.box(0, 0, 1000, 1000))
    bent = lonlat(shapely.LineString([(-100, 500), (500, 500), (500, 1100)]))
    parts = split_by_line(square, bent)
    np.testing.assert_allclose(metres(parts).area.to_numpy(), [750_000, 250_000], atol=0.1)
    with pytest.raises(ValueError, match="经纬度"):
        split_by_line(shapely.box(E0, N0, E0 + 10, N0 + 10), bent)


# ---------------------------------------------------------------- merge_grids


def test_merge_neighbours_restores_the_grid():
    square = lonlat(shapely.box(0, 0, 1000, 1000))
    parts = split_by_line(square, lonlat(shapely.LineString([(300, -200), (300, 1300)])))
    merged = merge_grids(parts)
    assert merged.geom_type == "Polygon"
    assert merged.area == pytest.approx(square.area, rel=1e-9)
    assert shapely.symmetric_difference(*metres([merged, square]).values).area < 1e-3
    chain = [lonlat(shapely.box(x, 0, x + 100, 100)) for x in (0, 200, 100)]  # 0-100, 100-200 link
    assert metres([merge_grids(chain)]).area.iloc[0] == pytest.approx(30_000, rel=1e-6)


@pytest.mark.parametrize(
    "boxes",
    [
        [(0, 0, 100, 100), (100, 100, 200, 200)],  # corners touch only
        [(0, 0, 100, 100), (300, 0, 400, 100)],  # apart
        [(0, 0, 100, 100), (100, 0, 200, 100), (500, 0, 600, 100)],  # two linked, one apart
    ],
)
def test_merge_refuses_non_neighbours(boxes):
    with pytest.raises(ValueError, match="所选网格不相邻，不能合并"):
        merge_grids([lonlat(shapely.box(*b)) for b in boxes])


# ---------------------------------------------------------------- assign_households


def test_assign_households_keeps_overrides():
    grids = [lonlat(shapely.box(0, 0, 100, 100)), lonlat(shapely.box(100, 0, 200, 100))]
    xy = lonlat_xy(np.array([[50.0, 50.0], [150.0, 50.0], [150.0, 60.0], [500.0, 50.0]]))
    xy = np.r_[xy, [[np.nan, np.nan]]]
    np.testing.assert_array_equal(assign_households(xy, grids), [0, 1, 1, -1, -1])
    override = np.array([False, True, False, False, False])
    current = np.array([1, 0, 0, 0, 0])
    np.testing.assert_array_equal(
        assign_households(xy, grids, override, current), [0, 0, 1, -1, -1]
    )
    with pytest.raises(ValueError, match="current"):
        assign_households(xy, grids, override)
    layer = gpd.GeoSeries(grids, crs=4490).to_crs(GK37)
    with pytest.raises(ValueError, match="EPSG:4490"):
        assign_households(xy, layer)


# ---------------------------------------------------------------- split_balanced


def test_balanced_split_tiles_the_village(village, split30):
    area, _ = village
    parts, calls = split30
    assert parts.crs.to_epsg() == 4490
    assert parts["part"].tolist() == list(range(30))
    assert (parts.geom_type == "Polygon").all()
    assert_tiles(parts.geometry, area)
    grids = parts.assign(code=parts["part"].astype(str), admin_code="V")
    villages = gpd.GeoDataFrame({"code": ["V"]}, geometry=[area], crs=4490)
    assert check_grid_tiling(grids, villages).empty
    assert calls[0] == (0, calls[0][1]) and calls[-1][0] == calls[-1][1]


def test_balanced_split_counts_match_an_independent_count(village, split30):
    _, xy = village
    parts, _ = split30
    geoms = parts.geometry.to_numpy()
    inside = np.column_stack([shapely.contains_xy(g, xy[:, 0], xy[:, 1]) for g in geoms])
    touch = np.column_stack([shapely.intersects_xy(g, xy[:, 0], xy[:, 1]) for g in geoms])
    assert (touch.sum(axis=1) >= 1).all()  # every household is in some part
    assert (inside.sum(axis=1) <= 1).all()  # and in no two interiors
    on_edge = inside.sum(axis=1) == 0
    expected = inside.sum(axis=0) + np.bincount(touch[on_edge].argmax(axis=1), minlength=len(geoms))
    np.testing.assert_array_equal(parts["households"], expected)
    assert parts["households"].sum() == len(xy)
    mean = len(xy) / 30
    assert np.abs(parts["households"] - mean).max() <= max(2, 0.1 * mean)


def test_balanced_split_parts_are_compact(split30):
    parts, _ = split30
    gk = metres(parts.geometry)
    # Parts are convex cells cut by the village outline: only a bay of the outline dents them.
    assert (gk.area / gk.convex_hull.area).min() > 0.5
    assert np.median(gk.area / gk.convex_hull.area) > 0.95
    polsby_popper = 4 * np.pi * gk.area / gk.length**2  # 1 for a disc, 0.785 for a square
    assert polsby_popper.min() > 0.3


def test_balanced_split_is_deterministic(village, split30):
    area, xy = village
    again = split_balanced(area, xy, 30)
    assert list(shapely.to_wkb(again.geometry.values)) == list(
        shapely.to_wkb(split30[0].geometry.values)
    )


def test_balanced_split_of_a_concave_village_keeps_parts_whole():
    rng = np.random.default_rng(5)
    outline = shapely.Polygon(
        [
            (0, 0),
            (3000, 0),
            (3000, 2500),
            (2200, 2500),
            (2200, 700),
            (800, 700),
            (800, 2500),
            (0, 2500),
        ]
    )
    xy = rng.uniform([0, 0], [3000, 2500], (4000, 2))
    xy = xy[shapely.contains_xy(outline, xy[:, 0], xy[:, 1])][:900]
    area = lonlat(outline)
    parts = split_balanced(area, lonlat_xy(xy), 12)
    assert (parts.geom_type == "Polygon").all()
    assert_tiles(parts.geometry, area)
    assert parts["households"].sum() == 900
    assert np.abs(parts["households"] - 75).max() <= 7.5


def test_balanced_split_around_a_deep_bay():
    # A 100 m × 1500 m slot (a stream, say): cells reach across it, their detached pieces
    # join a neighbour, and pairs of neighbours are re-cut until the counts are even again.
    rng = np.random.default_rng(3)
    outline = shapely.difference(shapely.box(0, 0, 2000, 2000), shapely.box(-1, 950, 1500, 1050))
    xy = rng.uniform([0, 0], [2000, 2000], (3000, 2))
    xy = xy[shapely.contains_xy(outline, xy[:, 0], xy[:, 1])][:800]
    area = lonlat(outline)
    parts = split_balanced(area, lonlat_xy(xy), 10)
    assert (parts.geom_type == "Polygon").all()
    assert_tiles(parts.geometry, area)
    assert parts["households"].sum() == 800
    assert np.abs(parts["households"] - 80).max() <= 8


def test_balanced_split_of_a_village_with_an_island():
    rng = np.random.default_rng(6)
    outline = shapely.MultiPolygon([shapely.box(0, 0, 1000, 1000), shapely.box(1100, 0, 1400, 300)])
    xy = rng.uniform([0, 0], [1400, 1000], (3000, 2))
    xy = xy[shapely.contains_xy(outline, xy[:, 0], xy[:, 1])][:600]
    area = lonlat(outline)
    parts = split_balanced(area, lonlat_xy(xy), 6)
    assert_tiles(parts.geometry, area)
    assert parts["households"].sum() == 600
    assert np.abs(parts["households"] - 100).max() <= 10
    # The island belongs whole to one part.
    island = metres([lonlat(shapely.box(1100, 0, 1400, 300))]).iloc[0]
    share = shapely.area(shapely.intersection(metres(parts.geometry).values, island))
    assert np.sort(share)[-1] == pytest.approx(island.area, rel=1e-9)


def test_balanced_split_shares_outside_households_and_symmetric_ties():
    square = lonlat(shapely.box(0, 0, 1000, 1000))
    # Four equal hamlets on a symmetric lattice: cuts fall between lattice rows, by symmetry.
    g = np.arange(5) * 20.0
    hamlet = np.array(np.meshgrid(g, g)).reshape(2, -1).T
    xy = np.r_[hamlet + 150, hamlet + [750, 150], hamlet + [150, 750], hamlet + 750]
    outside = np.array([[-50.0, 500.0], [1500.0, 500.0]])
    parts = split_balanced(square, lonlat_xy(np.r_[xy, outside]), 4)
    np.testing.assert_array_equal(np.sort(parts["households"]), [25, 25, 25, 25])
    assert_tiles(parts.geometry, square)
    shared = split_balanced(square, lonlat_xy(xy), 3, shares=[2, 1, 1])
    np.testing.assert_array_equal(shared["households"], [50, 25, 25])


def test_balanced_split_edge_cases():
    square = lonlat(shapely.box(0, 0, 1000, 1000))
    xy = lonlat_xy(np.array([[100.0, 100.0], [100.0, 100.0], [900.0, 900.0]]))
    whole = split_balanced(square, xy, 1)
    assert whole["households"].tolist() == [3] and whole.geometry.iloc[0].equals(square)
    two = split_balanced(square, xy, 2)
    np.testing.assert_array_equal(np.sort(two["households"]), [1, 2])  # same spot: not split
    with pytest.raises(ValueError, match="不能分成 3 个网格"):
        split_balanced(square, xy, 3)
    with pytest.raises(ValueError, match="网格数"):
        split_balanced(square, xy, 0)
    with pytest.raises(ValueError, match="EPSG:4490"):
        split_balanced(gpd.GeoSeries([square], crs=4490).to_crs(GK37), xy, 2)
