"""The synthetic county as one object, and the function that builds it stage by stage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_app.core.ledger import HOUSEHOLD_KEYS
from gis_app.synth import frames
from gis_app.synth.campaign import campaign_info, campaign_year, investigate
from gis_app.synth.cases import build_casework
from gis_app.synth.common import joined, nullable_int, rng_for, text, to_date_objects
from gis_app.synth.followup import measures_frame, rectifications_frame, visits_frame
from gis_app.synth.grids import keep_inside, node_coverage, partition
from gis_app.synth.hazards import build_hazards
from gis_app.synth.households import MONITORED, draw_traits
from gis_app.synth.names import COUNTY_CODE, COUNTY_NAME, IdAllocator, NamePool, PhoneBook
from gis_app.synth.network import build_network
from gis_app.synth.people import build_people
from gis_app.synth.settlement import settle
from gis_app.synth.terrain import Frame, make_layout
from gis_app.synth.territory import build_territory
from gis_app.synth.workers import build_staff

#: Households of the bundled sample (three townships).
SAMPLE_HOUSEHOLDS = 4500
_STAGES = 10


@dataclass
class SampleCounty:
    """A complete synthetic county; geometries in CGCS2000 lon/lat (EPSG:4490)."""

    county: dict
    townships: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    households: pd.DataFrame
    persons: pd.DataFrame
    workers: pd.DataFrame
    assignments: pd.DataFrame
    helper_pairs: pd.DataFrame
    sites: gpd.GeoDataFrame
    relocations: pd.DataFrame
    hazard_zones: gpd.GeoDataFrame
    hazard_points: gpd.GeoDataFrame
    rivers: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    campaign: dict
    as_of: dt.date
    records: pd.DataFrame
    clues: pd.DataFrame
    cases: pd.DataFrame
    measures: pd.DataFrame
    contact_visits: pd.DataFrame
    rectifications: pd.DataFrame


def _overrides(rng: np.random.Generator, x, y, grid, part, located, count: int = 3
               ) -> tuple[np.ndarray, np.ndarray]:
    """Pick a few households on a grid border to be put in the neighbouring grid by hand."""
    polys = part.polys
    tree = shapely.STRtree(polys)
    multi = np.bincount(part.village, minlength=part.village.max() + 1) > 1
    pool = np.flatnonzero(located & (grid >= 0))
    pool = pool[multi[part.village[grid[pool]]]]
    sample = rng.permutation(pool)[:5000]
    pts = shapely.points(x[sample], y[sample])
    near = shapely.distance(shapely.boundary(polys[grid[sample]]), pts) < 40
    chosen, target = [], []
    for i in np.flatnonzero(near):
        h = sample[i]
        for g in tree.query(pts[i], predicate="dwithin", distance=40.0):
            if g != grid[h] and part.village[g] == part.village[grid[h]]:
                chosen.append(h)
                target.append(g)
                break
        if len(chosen) == count:
            break
    return np.array(chosen, dtype=np.int64), np.array(target, dtype=np.int64)


def _household_table(territory, place, traits, people, lon, lat, grid_code, override, phone,
                     site_codes) -> pd.DataFrame:
    """Assemble the households frame (columns of ``HOUSEHOLD_KEYS``)."""
    village = place.village
    rank = np.arange(len(village)) - np.searchsorted(village, village)
    return pd.DataFrame({
        "household_code": joined(text(territory.village_codes, village),
                                 text([f"{i:04d}" for i in range(10000)], rank + 1)).array,
        "head_name": people.head_names.array,
        "head_id_number": people.head_ids.array,
        "members": traits.members.astype(np.int64),
        "attribute": traits.attribute.astype(np.int64),
        "monitoring_type": nullable_int(traits.monitoring_type, traits.monitoring_type > 0),
        "phone": phone.array,
        "township": text(territory.township_names, territory.village_township[village]),
        "village": text(territory.village_names, village),
        "village_code": text(territory.village_codes, village),
        "grid_code": grid_code,
        "grid_override": override,
        "lon": lon,
        "lat": lat,
        "income_per_person": traits.income.astype(float),
        "no_labour_support": traits.no_labour,
        "relocated": place.relocated,
        "resettlement_site_code": text(site_codes, place.site),
        "dibao": traits.dibao,
        "tekun": traits.tekun,
        "severe_illness": people.severe_illness,
        "disability": people.disability,
        "risk_eliminated": traits.risk_eliminated,
        "risk_eliminated_on": to_date_objects(traits.eliminated_on),
        "housing_problem": traits.housing_problem,
        "education_problem": people.education_problem,
        "insurance_problem": people.insurance_problem,
        "water_problem": traits.water_problem,
    })[list(HOUSEHOLD_KEYS)]


def build_county(households: int | None = None, seed: int = 2023,
                 progress: Callable[[int, int], None] | None = None) -> SampleCounty:
    """Build a deterministic synthetic county.

    Parameters
    ----------
    households : int, optional
        Number of rural households; ``None`` builds the bundled sample (4,500 households in
        three townships, the first with 11 villages). Larger numbers give more townships and
        villages (about 10–30 townships and 100–400 villages for 30,000–150,000 households).
    seed : int
        Random seed; the same ``(households, seed)`` always gives identical frames. A seed
        between 2020 and 2024 also sets the campaign year (otherwise 2023).
    progress : callable, optional
        ``progress(done, total)`` after each stage.

    Returns
    -------
    SampleCounty
    """
    sample = households is None
    n = SAMPLE_HOUSEHOLDS if sample else int(households)
    if n < 200:
        raise ValueError("a synthetic county needs at least 200 households")
    campaign, as_of = campaign_info(campaign_year(seed))
    as_of64 = np.datetime64(as_of, "D")
    frame = Frame()
    step = iter(range(1, _STAGES + 1))

    def done() -> None:
        if progress is not None:
            progress(next(step), _STAGES)

    layout = make_layout(rng_for(seed, "layout"), n)
    territory = build_territory(rng_for(seed, "territory"), layout, n, sample)
    network = build_network(rng_for(seed, "network"), layout, territory)
    done()
    place = settle(rng_for(seed, "settlement"), territory, network, n, sample)
    part = partition(rng_for(seed, "grids"), place.x, place.y, place.village, place.located,
                     territory.village_polys)
    part.polys, territory.village_polys, territory.township_polys = node_coverage(
        part.polys, part.village, territory.village_township)
    territory.county = shapely.coverage_union_all(territory.township_polys)
    place.x, place.y = keep_inside(place.x, place.y, part.of_household, part.polys)
    done()
    townships, villages, towns_ll, vills_ll = frames.unit_frames(territory, frame)
    grids, grid_index = frames.grid_frames(territory, part, frame, towns_ll, vills_ll)
    rivers, roads = frames.network_frames(network, frame)
    sites = frames.site_frame(rng_for(seed, "sites"), place.sites, territory, frame)
    done()

    rng = rng_for(seed, "people")
    names, ids, phones = NamePool(rng), IdAllocator(rng), PhoneBook(rng)
    v_rng = rng_for(seed, "villages")
    mountain = np.clip(territory.village_river_distance / 1500, 0, 1)
    factor = (0.7 + 0.6 * mountain) * v_rng.lognormal(0, 0.25, territory.n_villages)
    traits = draw_traits(rng_for(seed, "traits"), factor[place.village], place.relocated,
                         as_of64)
    people = build_people(rng, traits, names, ids, as_of64)
    done()

    grid_of = part.of_household.copy()
    o_rng = rng_for(seed, "overrides")
    chosen, target = _overrides(o_rng, place.x, place.y, grid_of, part, place.located)
    override = np.zeros(len(grid_of), bool)
    override[chosen] = True
    grid_of[chosen] = target
    l3_codes = grids["code"].to_numpy()[grid_index["level"].to_numpy() == 3]
    site_codes = sites["code"].tolist()
    lon, lat = frame.lonlat(place.x, place.y)
    household_frame = _household_table(
        territory, place, traits, people, np.where(place.located, lon, np.nan),
        np.where(place.located, lat, np.nan), text(l3_codes, grid_of), override,
        PhoneBook.strings(phones.draw(n), traits.has_phone), site_codes)
    moved = np.flatnonzero(place.relocated)
    opened = np.array([f"{y}-11-01" for y in sites["built_year"]], dtype="datetime64[D]")
    moved_on = opened[place.site[moved]] + o_rng.integers(0, 400, len(moved))
    relocations = pd.DataFrame({
        "head_id_number": people.head_ids.array.take(moved),
        "site_code": text(site_codes, place.site[moved]),
        "from_village_code": text(territory.village_codes, place.origin[moved]),
        "moved_on": to_date_objects(np.minimum(moved_on, as_of64 - 30)),
    })
    done()

    needs = (traits.attribute == MONITORED) & ~traits.risk_eliminated
    staff = build_staff(rng_for(seed, "workers"), grid_index, territory.village_names,
                        territory.village_township, territory.township_names,
                        {"needs_helper": needs, "head_id": people.head_ids,
                         "village": place.village, "identified_on": traits.identified_on},
                        names, ids, phones, as_of64)
    done()
    located = place.located
    zones, points = build_hazards(rng_for(seed, "hazards"), territory, network, place.x[located],
                                  place.y[located], traits.members[located], frame,
                                  layout.area_km2)
    done()

    first_grid = np.searchsorted(part.village, np.arange(territory.n_villages))
    problems = {"housing_problem": traits.housing_problem,
                "education_problem": people.education_problem,
                "insurance_problem": people.insurance_problem,
                "water_problem": traits.water_problem}
    findings = investigate(rng_for(seed, "campaign"), traits, place.village, grid_of, first_grid,
                           people.head_ids, staff.grid_checker, staff.grid_second, problems,
                           campaign, as_of)
    done()
    work = build_casework(rng_for(seed, "cases"), traits, people.head_ids, findings, as_of)
    f_rng = rng_for(seed, "followup")
    measures = measures_frame(f_rng, traits, {"ill": people.severe_illness,
                                              "disabled": people.disability,
                                              "water": traits.water_problem},
                              work.plan_made_on, people.head_ids, as_of)
    visits = visits_frame(f_rng, staff.pair_households, staff.helper_pairs["worker_phone"],
                          staff.pair_start, traits, people.head_ids, as_of)
    done()
    who = np.where(grid_of >= 0, grid_of, first_grid[place.village])
    noncompliant = np.unique(place.village[findings.remote_noncompliant])
    noncompliant = noncompliant[:max(1, territory.n_villages // 10)]
    rectifications = rectifications_frame(
        f_rng, findings.checked_on, problems, place.village, territory.village_codes,
        people.head_ids, (pd.Series(staff.grid_checker.array.take(who)),
                          pd.Series(staff.grid_checker_phone.array.take(who))),
        (staff.village_leader_name, staff.village_leader_phone), findings.village_rate < 0.5,
        noncompliant, as_of)
    done()
    return SampleCounty(
        county={"code": COUNTY_CODE, "name": COUNTY_NAME}, townships=townships,
        villages=villages, grids=grids, households=household_frame, persons=people.frame,
        workers=staff.workers, assignments=staff.assignments, helper_pairs=staff.helper_pairs,
        sites=sites, relocations=relocations, hazard_zones=zones, hazard_points=points,
        rivers=rivers, roads=roads, campaign=campaign, as_of=as_of, records=findings.records,
        clues=work.clues, cases=work.cases, measures=measures, contact_visits=visits,
        rectifications=rectifications)
