"""The synthetic county generator: determinism, topology, grids, identifiers, people, campaign."""

from __future__ import annotations

import datetime as dt
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gis_app.core.codes import CaseKind, CaseStatus, HazardKind, WorkerRole
from gis_app.core.idcard import is_valid
from gis_app.core.ledger import HOUSEHOLD_KEYS, RECORD_KEYS
from gis_app.synth import SampleCounty, build_county

GK_ZONE_37 = 4525


@pytest.fixture(scope="module")
def county() -> SampleCounty:
    return build_county()


@pytest.fixture(scope="module")
def scaled() -> SampleCounty:
    start = time.perf_counter()
    built = build_county(households=50_000, seed=7)
    print(f"\nbuild_county(households=50_000): {time.perf_counter() - start:.2f} s")
    return built


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_gives_identical_frames(county):
    again = build_county()
    for name, value in vars(county).items():
        other = getattr(again, name)
        if isinstance(value, gpd.GeoDataFrame):
            pd.testing.assert_frame_equal(value.drop(columns="geometry"),
                                          other.drop(columns="geometry"))
            assert shapely.equals_exact(value.geometry.values, other.geometry.values, 0).all()
        elif isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, other)
        else:
            assert value == other, name


def test_other_seed_gives_other_county(county):
    other = build_county(seed=11)
    assert not county.households["head_id_number"].equals(other.households["head_id_number"])


def test_progress_is_reported():
    calls = []
    build_county(households=600, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1][0] == calls[-1][1]
    assert [c[0] for c in calls] == list(range(1, len(calls) + 1))


# --- structure shared by the sample and a scaled county ---------------------------------------


def _check_units(c: SampleCounty) -> None:
    assert c.county == {"code": "430599", "name": "青溪县"}
    for frame in (c.townships, c.villages, c.grids, c.sites, c.hazard_zones, c.hazard_points,
                  c.rivers, c.roads):
        assert frame.crs.to_epsg() == 4490
    lon0, lat0, lon1, lat1 = c.townships.total_bounds
    assert 109.6 <= lon0 and lon1 <= 112.4 and 25.5 < lat0 and lat1 < 29.0
    zone = c.townships.to_crs(GK_ZONE_37)
    assert zone.total_bounds[0] > 37_000_000  # GK zone prefix: inside zone 37
    assert (c.townships.geometry.geom_type == "MultiPolygon").all()
    assert (c.villages.geometry.geom_type == "MultiPolygon").all()
    assert c.townships["code"].str.fullmatch(r"430599\d{3}").all()
    assert c.villages["code"].str.fullmatch(r"430599\d{6}").all()
    assert (c.villages["code"].str[:9] == c.villages["township_code"]).all()
    assert c.villages["name"].str.endswith(("村", "社区")).all()
    assert c.townships["code"].is_unique and c.villages["code"].is_unique


def _check_tiling(parts: gpd.GeoSeries, whole) -> None:
    """``parts`` cover ``whole`` exactly: same area, no overlaps."""
    area = shapely.area(whole)
    union = shapely.union_all(parts.values)
    assert abs(shapely.area(union) - area) <= 1e-9 * area
    assert abs(shapely.area(parts.values).sum() - area) <= 1e-9 * area
    assert shapely.area(shapely.symmetric_difference(union, whole)) <= 1e-9 * area
    tree = shapely.STRtree(parts.values)
    a, b = tree.query(parts.values, predicate="intersects")
    pairs = a < b
    overlap = shapely.area(shapely.intersection(parts.values[a[pairs]], parts.values[b[pairs]]))
    assert overlap.sum() <= 1e-9 * area


def _check_tilings(c: SampleCounty) -> None:
    for code, town in zip(c.townships["code"], c.townships.geometry, strict=True):
        _check_tiling(c.villages.geometry[c.villages["township_code"] == code], town)
    level3 = c.grids[c.grids["level"] == 3]
    village_of = level3["admin_code"].to_numpy()
    for code, village in zip(c.villages["code"], c.villages.geometry, strict=True):
        _check_tiling(level3.geometry[village_of == code], village)


def _check_grids(c: SampleCounty) -> None:
    g = c.grids
    assert list(g.columns) == ["code", "name", "level", "parent_code", "admin_code", "geometry"]
    assert g["code"].is_unique
    assert set(g["level"]) == {0, 1, 2, 3}
    assert g.loc[g["level"] == 0, "parent_code"].isna().all()
    code_level = dict(zip(g["code"], g["level"], strict=True))
    child = g[g["level"] > 0]
    assert all(code_level[p] == lv - 1
               for p, lv in zip(child["parent_code"], child["level"], strict=True))
    assert (g.loc[g["level"] == 0, "code"] == "Z" + g.loc[g["level"] == 0, "admin_code"]).all()
    level3 = g[g["level"] == 3]
    assert level3["code"].str.fullmatch(r"G3-430599\d{6}-\d{2}").all()
    assert (level3["parent_code"] == "G2-" + level3["admin_code"]).all()
    assert level3["name"].str.contains("第").all()

    # Every located household lies in exactly one level-3 grid, counted independently.
    h = c.households
    located = h[h["lon"].notna()]
    points = gpd.GeoDataFrame(located[["household_code", "grid_code", "village_code",
                                       "grid_override"]],
                              geometry=gpd.points_from_xy(located["lon"], located["lat"]),
                              crs=4490)
    joined = gpd.sjoin(points, level3[["code", "admin_code", "geometry"]], predicate="within")
    assert joined.index.is_unique and len(joined) == len(located)
    counts = joined["code"].value_counts().reindex(level3["code"], fill_value=0)
    assert counts.between(30, 80).all(), counts.describe()
    assert (joined["admin_code"] == joined["village_code"]).all()
    same = joined["code"] == joined["grid_code"]
    assert same[~joined["grid_override"]].all()
    assert not same[joined["grid_override"]].any()
    unlocated = h[h["lon"].isna()]
    assert unlocated["grid_code"].isna().all() and unlocated["village_code"].notna().all()


def _check_people(c: SampleCounty) -> None:
    h, p = c.households, c.persons
    assert list(h.columns) == list(HOUSEHOLD_KEYS)
    ids = pd.concat([p["id_number"], c.workers["id_number"]])
    assert ids.is_unique
    assert ids.str.startswith("430599").all()
    sample = ids.sample(min(len(ids), 20_000), random_state=1)
    assert all(is_valid(i) for i in sample)
    assert h["head_id_number"].is_unique
    assert h["household_code"].is_unique
    assert (h["household_code"].str[:12] == h["village_code"]).all()
    assert h["members"].between(1, 8).all()
    assert 3.0 <= h["members"].mean() <= 3.45
    sizes = p.groupby("head_id_number", sort=False).size()
    assert (sizes.reindex(h["head_id_number"]).to_numpy() == h["members"].to_numpy()).all()
    heads = p[p["relation"] == "户主"]
    assert (heads["id_number"] == heads["head_id_number"]).all()
    assert len(heads) == len(h)
    assert set(p["relation"]) <= {"户主", "配偶", "子女", "父母", "孙子女", "其他"}
    assert set(p["sex"]) == {"男", "女"}
    assert set(p["labour"]) == {"普通劳动力", "弱劳动力", "无劳动力", "丧失劳动力"}
    phones = pd.concat([h["phone"].dropna(), c.workers["phone"]])
    assert phones.is_unique and phones.str.fullmatch(r"1[3-9]\d{9}").all()
    assert 0.01 < h["phone"].isna().mean() < 0.05
    shares = h["attribute"].value_counts(normalize=True)
    assert 0.2 < shares[1] < 0.32 and 0.025 < shares[2] < 0.06
    monitored = h["attribute"] == 2
    assert h.loc[monitored, "monitoring_type"].notna().all()
    assert h.loc[~monitored, "monitoring_type"].isna().all()
    assert set(h.loc[monitored, "monitoring_type"]) == {1, 2, 3}
    assert h["income_per_person"].between(3000, 60000).all()
    active = monitored & ~h["risk_eliminated"]
    assert h.loc[active, "income_per_person"].median() < 9000
    assert not (h["risk_eliminated"] & h["no_labour_support"]).any()
    assert h.loc[h["risk_eliminated"], "risk_eliminated_on"].map(
        lambda d: isinstance(d, dt.date)).all()
    assert 0.002 < h["lon"].isna().mean() < 0.01
    assert h.loc[h["relocated"], "resettlement_site_code"].notna().all()
    assert h.loc[~h["relocated"], "resettlement_site_code"].isna().all()


def _check_staff(c: SampleCounty) -> None:
    w, a = c.workers, c.assignments
    assert set(w["role"]) == {r.value for r in WorkerRole}
    assert w["phone"].is_unique
    assert set(a["worker_phone"]) <= set(w["phone"])
    assert set(a["grid_code"]) == set(c.grids["code"])
    assert set(a["role"]) <= {r.value for r in WorkerRole}
    for level, role in ((0, WorkerRole.GRID_CAPTAIN), (0, WorkerRole.DEPUTY_CAPTAIN),
                        (1, WorkerRole.LEVEL1_WORKER), (2, WorkerRole.LEVEL2_WORKER),
                        (3, WorkerRole.LEVEL3_WORKER)):
        codes = set(c.grids.loc[c.grids["level"] == level, "code"])
        assert codes == set(a.loc[a["role"] == role.value, "grid_code"]), role
    titles = set(w.loc[w["role"] == WorkerRole.LEVEL3_WORKER.value, "title"])
    assert titles == {"第一书记", "驻村工作队员", "村组干部"}

    h, pairs = c.households, c.helper_pairs
    helpers = set(w.loc[w["role"] == WorkerRole.HELPER.value, "phone"])
    assert set(pairs["worker_phone"]) == helpers
    assert pairs.groupby("worker_phone").size().between(1, 5).all()
    needs = h.loc[(h["attribute"] == 2) & ~h["risk_eliminated"], "head_id_number"]
    unpaired = set(needs) - set(pairs["head_id_number"])
    assert 3 <= len(unpaired) <= 5
    assert set(pairs["head_id_number"]) <= set(needs)


def _check_records(c: SampleCounty) -> None:
    h, r = c.households, c.records
    assert list(r.columns) == list(RECORD_KEYS)
    assert set(r["head_id_number"]) <= set(h["head_id_number"])
    coverage = r["head_id_number"].nunique() / len(h)
    assert 0.62 <= coverage <= 0.78, coverage
    start, end = c.campaign["start_date"], c.campaign["end_date"]
    assert r["checked_on"].map(lambda d: d <= c.as_of).all()
    outside = r["checked_on"].map(lambda d: not start <= d <= end)
    assert 1 <= outside.sum() <= 10
    remote = r["method"] == 2
    assert (r.loc[r["whole_household_away"], "method"] == 2).all()
    assert (remote & ~r["whole_household_away"]).sum() >= 1  # non-compliant phone checks
    assert 1 <= r["checker"].isna().sum() <= 10
    twice = r[r["head_id_number"].duplicated(keep=False)]
    assert 2 <= twice["head_id_number"].nunique() <= 6
    assert (twice.groupby("head_id_number")["has_risk"].nunique() == 2).all()
    risky = r[r["has_risk"]]
    assert risky["risk_type"].notna().all() and len(risky) > 0
    assert r.loc[~r["has_risk"], "risk_type"].isna().all()
    assert risky["proposed_monitoring_type"].notna().any()
    level3 = set(c.workers.loc[c.workers["role"] == WorkerRole.LEVEL3_WORKER.value, "name"])
    assert set(r["checker"].dropna()) <= level3
    by_village = (r.drop_duplicates("head_id_number")
                  .merge(h[["head_id_number", "village_code"]], on="head_id_number")
                  .groupby("village_code").size() / h.groupby("village_code").size())
    assert by_village.max() - by_village.min() > 0.3  # some villages lag behind


def _check_cases(c: SampleCounty) -> None:
    cases, as_of = c.cases, c.as_of
    assert set(cases["kind"]) == {k.value for k in CaseKind}
    ident = cases[cases["kind"] == CaseKind.IDENTIFICATION.value]
    open_ = ident[ident["status"] == CaseStatus.IN_PROGRESS.value]
    steps = {
        "applied": open_["applied_on"].notna() & open_["verified_on"].isna(),
        "verified": open_["verified_on"].notna() & open_["publicity_start"].isna(),
        "publicity": open_["publicity_start"].map(lambda d: d is not None and d <= as_of)
        & open_["publicity_end"].map(lambda d: d is not None and d > as_of),
        "township": open_["township_reviewed_on"].notna() & open_["county_approved_on"].isna(),
    }
    for step, mask in steps.items():
        assert mask.any(), step
    approved = ident[ident["status"] == CaseStatus.APPROVED.value]
    assert approved["plan_made_on"].notna().any()
    started = open_["started_on"].map(lambda d: (as_of - d).days)
    assert (started > 15).any()  # overdue identification
    no_plan = approved["plan_made_on"].isna() & approved["county_approved_on"].map(
        lambda d: (as_of - d).days > 10)
    assert no_plan.any()
    has_pub = cases["publicity_end"].notna()
    short = cases.loc[has_pub, "publicity_end"] - cases.loc[has_pub, "publicity_start"]
    assert (short.map(lambda d: d.days) < 5).any()
    assert (cases["status"] == CaseStatus.ELIMINATED.value).any()
    linked = cases["clue_index"].dropna().astype(int)
    assert linked.between(0, len(c.clues) - 1).all()
    assert (c.clues.loc[linked.to_numpy(), "head_id_number"].to_numpy()
            == cases.loc[linked.index, "head_id_number"].to_numpy()).all()
    dept = c.clues["channel"] == "部门筛查预警"
    assert c.clues.loc[dept, "department"].notna().all()
    assert c.clues["verified_on"].isna().any()


def _check_hazards(c: SampleCounty) -> None:
    z = c.hazard_zones
    kinds = set(z["kind"])
    assert {HazardKind.FLOOD, HazardKind.LANDSLIDE, HazardKind.DEBRIS_FLOW} <= kinds
    assert kinds <= {k.value for k in HazardKind}
    assert set(z["level"]) <= {1, 2, 3, 4} and z["code"].is_unique
    flood = z[z["kind"] == HazardKind.FLOOD.value]
    assert set(flood["level"]) == {1, 2, 3, 4}
    h = c.households.dropna(subset=["lon"])
    pts = gpd.GeoDataFrame(h[["head_id_number"]], geometry=gpd.points_from_xy(h["lon"], h["lat"]),
                           crs=4490)
    hit = gpd.sjoin(pts, z[["kind", "geometry"]], predicate="within")
    assert {HazardKind.FLOOD.value, HazardKind.LANDSLIDE.value} <= set(hit["kind"])
    assert (c.hazard_points["threatened_households"] >= 0).all()


@pytest.mark.parametrize("check", [_check_units, _check_tilings, _check_grids, _check_people,
                                   _check_staff, _check_records, _check_cases, _check_hazards])
def test_sample_county(county, check):
    check(county)


@pytest.mark.parametrize("check", [_check_units, _check_tilings, _check_grids, _check_people,
                                   _check_staff, _check_records, _check_cases, _check_hazards])
def test_scaled_county(scaled, check):
    check(scaled)


# --- the bundled sample's particulars ----------------------------------------------------------


def test_sample_has_three_townships_and_eleven_villages_first(county):
    assert len(county.townships) == 3
    counts = county.villages.groupby("township_code", sort=True).size().to_numpy()
    assert counts[0] == 11
    assert all(6 <= n <= 9 for n in counts[1:])
    assert 4000 <= len(county.households) <= 5000
    assert (county.villages["name"].str.endswith("社区").groupby(
        county.villages["township_code"]).sum() <= 1).all()


def test_relocated_households_live_at_the_site(county):
    h, sites = county.households, county.sites
    moved = h[h["relocated"]]
    assert 60 <= len(moved) <= 150
    assert (sites["kind"] == "集中安置点").all()
    assert (sites["capacity"] >= moved.groupby("resettlement_site_code").size()
            .reindex(sites["code"]).to_numpy()).all()
    gk = 4525
    site = sites.to_crs(gk).set_index("code").geometry
    located = moved.dropna(subset=["lon"])
    pts = gpd.GeoSeries(gpd.points_from_xy(located["lon"], located["lat"]), crs=4490).to_crs(gk)
    dist = pts.distance(site.loc[located["resettlement_site_code"]].reset_index(drop=True))
    assert dist.max() < 600
    rel = county.relocations
    assert set(rel["head_id_number"]) == set(moved["head_id_number"])
    origin = rel.merge(h[["head_id_number", "village_code"]], on="head_id_number")
    assert (origin["from_village_code"] != origin["village_code"]).all()
    # The site is near a township seat: the township's first (seat) village.
    for _, s in sites.iterrows():
        town = county.townships.set_index("code").geometry[s["township_code"]]
        assert town.contains(s.geometry)


def test_sample_campaign_timetable(county):
    camp = county.campaign
    assert camp["year"] == 2023 and camp["round"] == 1
    assert camp["income_line"] == 7500.0 and camp["early_warning_income"] == 10000.0
    due = {m["name"]: m["due_date"] for m in camp["milestones"]}
    assert due["制定工作方案"] == dt.date(2023, 4, 30)
    assert due["分层分类培训"] == dt.date(2023, 5, 10)
    assert due["开展集中排查"] == dt.date(2023, 6, 10)
    assert due["信息采集录入"] == dt.date(2023, 6, 10)
    assert due["提交总结报告"] == dt.date(2023, 6, 20)
    targets = [m["target_coverage"] for m in camp["milestones"] if m["target_coverage"]]
    assert 0.5 in targets and 1.0 in targets
    assert county.as_of == dt.date(2023, 5, 31)


def test_sample_counts_of_secondary_tables(county):
    assert 10 <= len(county.hazard_points) <= 40
    assert county.households["grid_override"].sum() in (2, 3)
    assert len(county.measures) > 0 and len(county.contact_visits) > 0
    rect = county.rectifications
    assert set(rect["status"]) <= {"整改中", "已整改"}
    assert rect["responsible_phone"].notna().all()
    assert rect["head_id_number"].isna().any() and rect["head_id_number"].notna().any()


def test_households_cluster_in_hamlets_along_the_valleys(county):
    gk = 4525
    h = county.households.dropna(subset=["lon"])
    pts = gpd.GeoSeries(gpd.points_from_xy(h["lon"], h["lat"]), crs=4490).to_crs(gk).values
    _, dist = shapely.STRtree(pts).query_nearest(pts, exclusive=True, return_distance=True,
                                                  all_matches=False)
    area = county.townships.to_crs(gk).area.sum()
    uniform = 0.5 * np.sqrt(area / len(pts))  # mean nearest-neighbour distance, random points
    assert np.median(dist) < 0.5 * uniform
    rivers = county.rivers.to_crs(gk).union_all()
    near_river = gpd.GeoSeries(pts, crs=gk).distance(rivers) < 600
    assert near_river.mean() > 0.4
    slides = county.hazard_zones[county.hazard_zones["kind"] == HazardKind.LANDSLIDE.value]
    heads = slides.to_crs(gk).representative_point()
    assert (heads.distance(rivers) > 150).mean() > 0.8  # on slopes, off the valley floor
