"""Proposals of level-3 grids and their workers: the limit, balanced loads, warnings, continuity."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gis_app.analysis import Proposal, merge_grids, propose_rebalance
from tests.analysis.test_grid_split import GK37, lonlat, lonlat_xy


def households(n, seed=0, size=(2500.0, 2000.0)):
    """n households: three quarters in five hamlets, the rest scattered, inside the box."""
    rng = np.random.default_rng(seed)
    hamlets = rng.uniform([300, 300], [size[0] - 300, size[1] - 300], (5, 2))
    k = 3 * n // 4
    xy = np.r_[
        hamlets[rng.integers(0, 5, k)] + rng.normal(0, 120, (k, 2)),
        rng.uniform([0, 0], size, (n - k, 2)),
    ]
    return np.clip(xy, 1.0, np.array(size) - 1.0)


@pytest.fixture(scope="module")
def village():
    return lonlat(shapely.box(0, 0, 2500, 2000))


def check_tiling(grids, village):
    gk = grids.to_crs(GK37)
    whole = gpd.GeoSeries([village], crs=4490).to_crs(GK37).iloc[0]
    assert shapely.union_all(gk.geometry.values).area == pytest.approx(whole.area, rel=1e-9)
    assert gk.area.sum() == pytest.approx(whole.area, rel=1e-9)


def check_assignment(proposal, xy):
    """The assignment is by location (independent shapely count), and the counts agree."""
    geoms = proposal.grids.geometry.to_numpy()
    inside = np.column_stack([shapely.contains_xy(g, xy[:, 0], xy[:, 1]) for g in geoms])
    clear = inside.sum(axis=1) == 1
    np.testing.assert_array_equal(proposal.assignment[clear], inside[clear].argmax(axis=1))
    counts = np.bincount(proposal.assignment[proposal.assignment >= 0], minlength=len(geoms))
    np.testing.assert_array_equal(proposal.grids["households"], counts)


def test_enough_workers_one_grid_each(village):
    xy = lonlat_xy(households(2000))
    workers = [f"网格员{i:02d}" for i in range(30)]
    proposal = propose_rebalance(village, xy, workers, 100)
    assert isinstance(proposal, Proposal)
    assert proposal.warnings == []
    grids = proposal.grids
    assert list(grids.columns) == ["part", "households", "worker", "geometry"]
    assert grids.crs.to_epsg() == 4490 and len(grids) == 30
    assert sorted(grids["worker"]) == workers
    check_tiling(grids, village)
    check_assignment(proposal, xy)
    loads = np.array(list(proposal.loads.values()))
    assert loads.sum() == 2000 and loads.max() <= 100
    assert loads.max() - loads.min() <= 2


def test_too_few_workers_warns_and_keeps_each_workers_grids_together(village):
    xy = lonlat_xy(households(1900, seed=1))
    workers = [f"w{i}" for i in range(10)]
    proposal = propose_rebalance(village, xy, workers, 100)
    assert proposal.warnings == ["网格员不足：按每人不超过100户，至少需要19名网格员（现有10名）"]
    grids = proposal.grids
    assert len(grids) == 19  # max(10, ceil(1900 / 100))
    assert grids["households"].max() <= 100
    check_tiling(grids, village)
    check_assignment(proposal, xy)
    per_worker = grids.groupby("worker").size()
    assert sorted(per_worker.tolist()) == [1] + [2] * 9
    for _, own in grids.groupby("worker"):
        assert merge_grids(own.geometry).geom_type == "Polygon"  # adjacent: one area
    loads = np.array(list(proposal.loads.values()))
    # Whole grids of ≤ 100: the one-grid worker carries 100, the others as equal as possible.
    assert loads.sum() == 1900 and sorted(loads)[0] <= 100
    assert np.ptp(sorted(loads)[1:]) <= 4


def test_loads_level_out_under_the_grid_limit(village):
    xy = lonlat_xy(households(650, seed=2))
    proposal = propose_rebalance(village, xy, ["甲", "乙", "丙"], 100)
    assert len(proposal.grids) == 7
    assert proposal.grids["households"].max() <= 100
    assert sorted(proposal.loads.values()) == [200, 200, 250]  # water-filling of 3 + 2 + 2 grids
    assert "至少需要7名网格员" in proposal.warnings[0]


def test_current_grids_keep_workers_in_place(village):
    xy = lonlat_xy(households(900, seed=3))
    first = propose_rebalance(village, xy, ["a", "b", "c", "d", "e", "f", "g", "h", "i"], 100)
    again = propose_rebalance(
        village, xy, ["i", "h", "g", "f", "e", "d", "c", "b", "a"], 100, current_grids=first.grids
    )
    assert again.loads == first.loads
    np.testing.assert_array_equal(again.assignment, first.assignment)
    assert again.grids["worker"].tolist() == first.grids["worker"].tolist()
    projected = first.grids.to_crs(GK37)
    with pytest.raises(ValueError, match="EPSG:4490"):
        propose_rebalance(village, xy, ["a"], 100, current_grids=projected)


def test_deterministic_and_outside_households(village):
    xy = lonlat_xy(np.r_[households(300, seed=4), [[-100.0, 50.0], [3000.0, 50.0]]])
    one = propose_rebalance(village, xy, ["x", "y", "z"], 120)
    two = propose_rebalance(village, xy, ["x", "y", "z"], 120)
    assert list(shapely.to_wkb(one.grids.geometry.values)) == list(
        shapely.to_wkb(two.grids.geometry.values)
    )
    assert one.warnings == ["有2户不在村界内，未参与划分"]
    assert (one.assignment[-2:] == -1).all() and sum(one.loads.values()) == 300


def test_fewer_households_than_workers(village):
    xy = lonlat_xy(np.array([[100.0, 100.0], [2000.0, 1500.0]]))
    proposal = propose_rebalance(village, xy, ["a", "b", "c"], 100)
    assert len(proposal.grids) == 2
    assert proposal.loads == {"a": 1, "b": 1, "c": 0}
    assert any("暂不分配网格" in w for w in proposal.warnings)
    check_tiling(proposal.grids, village)


@pytest.mark.parametrize(
    ("workers", "limit", "message"),
    [([], 100, "没有网格员"), (["a", "a"], 100, "重复"), (["a"], 0, "上限")],
)
def test_bad_arguments(village, workers, limit, message):
    with pytest.raises(ValueError, match=message):
        propose_rebalance(village, lonlat_xy(households(50)), workers, limit)
