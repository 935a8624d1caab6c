"""Grid tiling and household checks on hand-made layers with areas known by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gis_app.analysis import PROBLEM_COLUMNS, check_grid_tiling, check_households_in_grids

#: CGCS2000 / 3-degree Gauss–Krüger zone 37 (central meridian 111°E), with zone prefix.
GK37 = 4525
#: Origin of the hand-made layout: about 111.0°E, 27.0°N.
E0, N0 = 37_500_000.0, 2_988_000.0


def gk_box(x0, y0, x1, y1):
    """A rectangle given in metres relative to the layout origin."""
    return shapely.box(E0 + x0, N0 + y0, E0 + x1, N0 + y1)


def layer(codes, boxes, **columns) -> gpd.GeoDataFrame:
    """Built in GK zone 37, stored like the application stores it: EPSG:4490 lon/lat."""
    frame = gpd.GeoDataFrame({"code": codes, **columns}, geometry=boxes, crs=GK37)
    return frame.to_crs(4490)


@pytest.fixture
def villages():
    return layer(
        ["V1", "V2", "V3"],
        [gk_box(0, 0, 1000, 1000), gk_box(1000, 0, 2000, 1000), gk_box(2000, 0, 3000, 1000)],
    )


@pytest.fixture
def grids():
    return layer(
        ["A", "B", "C", "D", "E", "F", "H1", "H2"],
        [
            gk_box(0, 0, 500, 500),  # A
            gk_box(490, 0, 1000, 500),  # B overlaps A by 10 m × 500 m
            gk_box(0, 500, 500, 1000),  # C touches A: no problem
            gk_box(500, 500, 1000, 980),  # D leaves a 500 m × 20 m gap in V1
            gk_box(990, 0, 2000, 1000),  # E sticks 10 m × 1000 m into V1
            gk_box(0, -200, 100, -100),  # F: its village does not exist
            gk_box(2000, 0, 2500.0005, 1000),  # H1 and H2 overlap by 0.5 m²: noise
            gk_box(2500, 0, 3000, 1000),
        ],
        admin_code=["V1", "V1", "V1", "V1", "V2", "V9", "V3", "V3"],
    )


def rows(problems, rule):
    return problems[problems["rule"] == rule].sort_values(["code", "other_code"])


def test_tiling_problems(grids, villages):
    calls = []
    problems = check_grid_tiling(grids, villages, progress=lambda d, t: calls.append((d, t)))
    assert list(problems.columns) == PROBLEM_COLUMNS
    assert calls[-1][0] == calls[-1][1]
    assert set(problems["rule"]) == {
        "grid_overlap",
        "grid_gap",
        "grid_outside_village",
        "grid_without_village",
    }

    overlap = rows(problems, "grid_overlap")
    # By hand, in GK metres: A∩B = 10 × 500, B∩E = 10 × 500, D∩E = 10 × 480; H1∩H2 = 0.5 m².
    assert overlap[["code", "other_code"]].values.tolist() == [["A", "B"], ["B", "E"], ["D", "E"]]
    np.testing.assert_allclose(overlap["area_m2"], [5000.0, 5000.0, 4800.0], rtol=1e-6)
    assert "A" in overlap["message"].iloc[0] and "B" in overlap["message"].iloc[0]
    assert "重叠" in overlap["message"].iloc[0] and "5000.0" in overlap["message"].iloc[0]

    gap = rows(problems, "grid_gap")
    assert gap["code"].tolist() == ["V1"]
    np.testing.assert_allclose(gap["area_m2"], [500.0 * 20.0], rtol=1e-6)
    # The zoom point lies in the gap: lon/lat of the strip 980–1000 m north of the origin.
    zoom = gpd.GeoSeries(gpd.points_from_xy(gap["x"], gap["y"]), crs=4490).to_crs(GK37)
    assert gk_box(500, 980, 1000, 1000).contains(zoom.iloc[0])

    outside = rows(problems, "grid_outside_village")
    assert outside[["code", "other_code"]].values.tolist() == [["E", "V2"]]
    np.testing.assert_allclose(outside["area_m2"], [10.0 * 1000.0], rtol=1e-6)

    orphan = rows(problems, "grid_without_village")
    assert orphan[["code", "other_code"]].values.tolist() == [["F", "V9"]]
    assert np.isnan(orphan["area_m2"]).all()
    assert "V9" in orphan["message"].iloc[0]

    assert problems[["x", "y"]].notna().all().all()
    assert problems["x"].between(110.9, 111.1).all() and problems["y"].between(26.9, 27.1).all()


def test_clean_tiling_has_no_problems(villages):
    grids = layer(
        ["A", "B", "C"],
        [gk_box(0, 0, 1000, 1000), gk_box(1000, 0, 2000, 1000), gk_box(2000, 0, 3000, 1000)],
        admin_code=["V1", "V2", "V3"],
    )
    problems = check_grid_tiling(grids, villages)
    assert problems.empty
    assert list(problems.columns) == PROBLEM_COLUMNS


def test_village_without_grids_is_one_gap(villages):
    grids = layer(["A"], [gk_box(0, 0, 1000, 1000)], admin_code=["V1"])
    gaps = rows(check_grid_tiling(grids, villages), "grid_gap")
    assert gaps["code"].tolist() == ["V2", "V3"]
    np.testing.assert_allclose(gaps["area_m2"], [1e6, 1e6], rtol=1e-6)


def test_invalid_grid_is_reported_and_repaired(villages):
    bow = shapely.Polygon([(E0, N0), (E0 + 1000, N0 + 1000), (E0 + 1000, N0), (E0, N0 + 1000)])
    grids = layer(["X"], [bow], admin_code=["V1"])
    problems = check_grid_tiling(grids, villages)
    assert "grid_invalid" in set(problems["rule"])
    gap = rows(problems, "grid_gap")
    np.testing.assert_allclose(gap.loc[gap["code"] == "V1", "area_m2"].sum(), 5e5, rtol=1e-6)


def test_tiling_crs_mismatch(grids, villages):
    with pytest.raises(ValueError, match="图层坐标系不一致"):
        check_grid_tiling(grids, villages.to_crs(GK37))


# ---------------------------------------------------------------- households


@pytest.fixture
def lonlat_grids():
    """Three grids in plain lon/lat: A and B side by side, C overlapping B's east half."""
    return gpd.GeoDataFrame(
        {"code": ["A", "B", "C"]},
        geometry=[
            shapely.box(111.00, 27.00, 111.01, 27.01),
            shapely.box(111.01, 27.00, 111.02, 27.01),
            shapely.box(111.015, 27.00, 111.03, 27.01),
        ],
        crs=4490,
    )


def test_household_problems(lonlat_grids):
    households = {
        "H1": (111.005, 27.005, "A", False),  # fine
        "H2": (111.005, 27.005, "B", False),  # lies in A, recorded in B: mismatch
        "H3": (111.005, 27.005, "B", True),  # the same, but set by hand: fine
        "H4": (111.018, 27.005, "B", False),  # in B and C
        "H5": (111.100, 27.005, None, False),  # in no grid
        "H6": (np.nan, np.nan, "A", False),  # not located: skipped
        "H7": (111.010, 27.005, "B", False),  # on the A|B line, recorded B: fine
        "H8": (111.025, 27.005, None, False),  # in C, nothing recorded: mismatch
        "H9": (111.018, 27.005, "A", False),  # in B and C, recorded A: both problems
    }
    codes = list(households)
    x, y, assigned, override = (
        np.array(v, dtype=object) for v in zip(*households.values(), strict=True)
    )
    problems = check_households_in_grids(
        x.astype(float),
        y.astype(float),
        codes,
        assigned,
        lonlat_grids,
        override=override.astype(bool),
    )
    assert list(problems.columns) == PROBLEM_COLUMNS
    found = sorted(
        zip(problems["rule"], problems["code"], problems["other_code"], strict=True), key=str
    )
    assert found == sorted(
        [
            ("household_grid_mismatch", "H2", "A"),
            ("household_in_two_grids", "H4", "B、C"),
            ("household_outside_grids", "H5", None),
            ("household_grid_mismatch", "H8", "C"),
            ("household_in_two_grids", "H9", "B、C"),
            ("household_grid_mismatch", "H9", "B"),
        ],
        key=str,
    )
    message = problems.loc[problems["code"] == "H2", "message"].iloc[0]
    assert "H2" in message and "B" in message and "A" in message
    assert problems.loc[problems["code"] == "H5", "x"].iloc[0] == pytest.approx(111.1)


def test_households_need_lonlat_grids(lonlat_grids):
    with pytest.raises(ValueError, match="图层坐标系不一致"):
        check_households_in_grids([111.0], [27.0], ["H1"], ["A"], lonlat_grids.to_crs(GK37))
