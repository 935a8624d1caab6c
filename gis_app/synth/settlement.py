"""Where the households live: hamlets along roads and rivers, and resettlement sites near seats."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from gis_app.synth import libm
from gis_app.synth.common import allocate, pick
from gis_app.synth.network import Network
from gis_app.synth.terrain import LineIndex
from gis_app.synth.territory import Territory

#: Share of households whose location is unknown (no coordinates in the ledger).
UNLOCATED_SHARE = 0.005
#: Fewest households per village (so every level-3 grid can hold 30 or more).
MIN_VILLAGE = 45


@dataclass
class Sites:
    """Concentrated resettlement sites (易地扶贫搬迁集中安置点)."""

    xy: np.ndarray
    township: np.ndarray
    village: np.ndarray
    households: np.ndarray


@dataclass
class Settlement:
    """One entry per household, ordered by village; ``site`` and ``origin`` are -1 if not moved."""

    x: np.ndarray
    y: np.ndarray
    village: np.ndarray
    located: np.ndarray
    site: np.ndarray
    origin: np.ndarray
    sites: Sites

    @property
    def relocated(self) -> np.ndarray:
        return self.site >= 0

    def __len__(self) -> int:
        return len(self.x)


def _random_inside(rng: np.random.Generator, poly, count: int, margin: float) -> np.ndarray:
    """``count`` uniform random points inside ``poly`` at least ``margin`` from its border."""
    x0, y0, x1, y1 = shapely.bounds(poly)
    boundary = shapely.boundary(poly)
    out = np.empty((0, 2))
    for _ in range(50):
        if len(out) >= count:
            break
        cand = rng.uniform((x0, y0), (x1, y1), (max(4 * (count - len(out)), 16), 2))
        ok = shapely.contains_xy(poly, cand[:, 0], cand[:, 1])
        cand = cand[ok]
        cand = cand[~shapely.dwithin(boundary, shapely.points(cand), margin)]
        out = np.vstack([out, cand])
    if len(out) < count:
        fill = shapely.get_coordinates(shapely.point_on_surface(poly))
        out = np.vstack([out, np.repeat(fill, count - len(out), axis=0)])
    return out[:count]


def _cluster(rng: np.random.Generator, poly, centres: np.ndarray, sizes: np.ndarray,
             spread: np.ndarray) -> np.ndarray:
    """Scatter ``sizes[i]`` houses around ``centres[i]`` (``spread[i]`` metres), all in ``poly``."""
    owner = np.repeat(np.arange(len(sizes)), sizes)
    base = centres[owner]
    sigma = spread[owner]
    xy = base + rng.normal(0, 1, base.shape) * sigma[:, None]
    todo = np.flatnonzero(~shapely.contains_xy(poly, xy[:, 0], xy[:, 1]))
    for _ in range(8):
        if len(todo) == 0:
            break
        sigma[todo] *= 0.6
        xy[todo] = base[todo] + rng.normal(0, 1, (len(todo), 2)) * sigma[todo, None]
        todo = todo[~shapely.contains_xy(poly, xy[todo, 0], xy[todo, 1])]
    xy[todo] = base[todo]
    return xy


def _hamlet_sizes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Split ``n`` houses into hamlets of 5–40 (a village centre may be a little larger)."""
    draws = np.clip(np.round(rng.lognormal(libm.log(15), 0.55, n // 5 + 2)), 5, 40).astype(np.int64)
    total = np.cumsum(draws)
    count = int(np.searchsorted(total, n) + 1)
    sizes = draws[:count].copy()
    sizes[-1] = n - (total[count - 2] if count > 1 else 0)
    if sizes[-1] < 5 and count > 1:
        sizes[np.argmin(sizes[:-1])] += sizes[-1]
        sizes = sizes[:-1]
    return sizes


def _hamlet_centres(rng: np.random.Generator, poly, lines: np.ndarray, weights: np.ndarray,
                    first: np.ndarray, count: int, valley_share: float) -> np.ndarray:
    """Centres of ``count`` hamlets: the village centre, then mostly near roads and streams."""
    margin = 25.0
    boundary = shapely.boundary(poly)
    centres = [first[None, :]]
    n_line = int(round((count - 1) * valley_share)) if len(lines) else 0
    if n_line:
        lengths = shapely.length(lines) * weights
        pick = rng.choice(len(lines), n_line, p=lengths / lengths.sum())
        along = shapely.line_interpolate_point(lines[pick], rng.random(n_line), normalized=True)
        angle = rng.uniform(0, 2 * np.pi, n_line)
        dist = rng.uniform(25, 220, n_line)
        xy = shapely.get_coordinates(along) + dist[:, None] * np.column_stack(
            [np.cos(angle), np.sin(angle)])
        ok = shapely.contains_xy(poly, xy[:, 0], xy[:, 1])
        ok[ok] = ~shapely.dwithin(boundary, shapely.points(xy[ok]), margin)
        centres.append(xy[ok])
    have = sum(len(c) for c in centres)
    if have < count:
        centres.append(_random_inside(rng, poly, count - have, margin))
    return np.vstack(centres)[:count]


def _choose_sites(rng: np.random.Generator, territory: Territory, rivers: LineIndex) -> Sites:
    """One concentrated resettlement site per few townships, 0.4–1 km from a township seat."""
    n_town = territory.n_townships
    count = 1 if n_town <= 6 else int(round(n_town / 6))
    towns = np.unique(np.round(np.linspace(min(1, n_town - 1), n_town - 1, count))).astype(int)
    xy, village = [], []
    for t in towns:
        seat = territory.seats[t]
        angle = rng.uniform(0, 2 * np.pi) + np.linspace(0, 2 * np.pi, 24, endpoint=False)
        radius = np.array([450.0, 600.0, 750.0, 900.0])
        cand = seat + (radius[:, None, None] * np.stack([np.cos(angle), np.sin(angle)], -1)
                       ).reshape(-1, 2)
        ok = shapely.contains_xy(territory.township_polys[t], cand[:, 0], cand[:, 1])
        ok &= rivers.distance(cand[:, 0], cand[:, 1]) > 320
        chosen, where = None, -1
        members = np.flatnonzero(territory.village_township == t)
        for c in cand[ok]:
            inside = shapely.contains_xy(territory.village_polys[members], c[0], c[1])
            if not inside.any():
                continue
            v = members[np.argmax(inside)]
            if shapely.distance(shapely.boundary(territory.village_polys[v]),
                                shapely.Point(c)) > 200:
                chosen, where = c, v
                break
        if chosen is None:
            where = members[0]
            chosen = shapely.get_coordinates(
                shapely.point_on_surface(territory.village_polys[where]))[0]
        xy.append(chosen)
        village.append(where)
    return Sites(xy=np.array(xy), township=towns, village=np.array(village),
                 households=np.zeros(len(towns), np.int64))


def _chunks(lines: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut polylines into pieces of at most ``size`` segments; returns pieces and their line."""
    coords, line = shapely.get_coordinates(lines, return_index=True)
    first = np.r_[True, line[1:] != line[:-1]]
    rank = np.arange(len(line)) - np.maximum.accumulate(np.where(first, np.arange(len(line)), 0))
    # A vertex that ends one piece also starts the next one.
    last = np.r_[line[1:] != line[:-1], True]
    cut = (rank % size == 0) & ~first & ~last
    dup = np.repeat(np.arange(len(line)), np.where(cut, 2, 1))
    piece = np.cumsum(np.r_[True, (line[dup][1:] != line[dup][:-1])
                            | (np.diff(dup) == 0)]) - 1
    pieces = shapely.linestrings(coords[dup], indices=piece)
    return pieces, line[dup][np.searchsorted(piece, np.arange(piece[-1] + 1))]


def settle(rng: np.random.Generator, territory: Territory, network: Network, households: int,
           sample: bool) -> Settlement:
    """Place ``households`` households in the county.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random stream of this stage.
    territory : Territory
        Villages to fill.
    network : Network
        Roads and rivers that hamlets follow.
    households : int
        How many households in total (relocated ones included).
    sample : bool
        Size the resettlement site like the bundled sample's (90–140 households).

    Returns
    -------
    Settlement
    """
    rivers = LineIndex([shapely.get_coordinates(g) for g in network.river_geoms])
    sites = _choose_sites(rng, territory, rivers)
    if sample:
        sites.households[:] = rng.integers(90, 141, len(sites.township))
    else:
        per_site = 0.022 * households / len(sites.township)
        sites.households[:] = np.clip(np.round(per_site * rng.uniform(0.7, 1.3, len(
            sites.township))), 20, 2500).astype(np.int64)
    n_villages = territory.n_villages
    native_total = households - int(sites.households.sum())
    if native_total < MIN_VILLAGE * n_villages:
        raise ValueError(f"{households} households are too few for {n_villages} villages")

    polys = territory.village_polys
    area = shapely.area(polys)
    valley = territory.village_river_distance < 600
    seat_village = np.r_[True, territory.village_township[1:] != territory.village_township[:-1]]
    weight = (np.sqrt(area) * np.where(valley, 1.8, 1.0) * np.where(seat_village, 1.6, 1.0)
              * rng.lognormal(0, 0.3, n_villages))
    native = allocate(native_total, weight, minimum=MIN_VILLAGE)

    # Short pieces of the long rivers and roads, so clipping them to a village stays cheap.
    pieces, owner = _chunks(network.lines(), 24)
    lines = pieces
    line_w = network.weights()[owner]
    tree = shapely.STRtree(lines)
    out_xy, out_v, out_site = [], [], []
    for v in range(n_villages):
        poly = polys[v]
        shapely.prepare(poly)
        near = tree.query(poly, predicate="intersects")
        clipped = shapely.intersection(lines[near], poly)
        parts, idx = shapely.get_parts(clipped, return_index=True)
        keep = (shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING) & (
            shapely.length(parts) > 50)
        sizes = _hamlet_sizes(rng, int(native[v]))
        share = 0.8 if valley[v] else 0.6
        centres = _hamlet_centres(rng, poly, parts[keep], line_w[near][idx[keep]],
                                  territory.village_centres[v], len(sizes), share)
        spread = 20.0 + 2.5 * sizes * rng.uniform(0.7, 1.3, len(sizes))
        xy = _cluster(rng, poly, centres, sizes, spread)
        site = np.full(len(xy), -1)
        for s in np.flatnonzero(sites.village == v):
            n_site = int(sites.households[s])
            moved = _cluster(rng, poly, sites.xy[s][None, :], np.array([n_site]),
                             np.array([60.0 + 3.0 * np.sqrt(n_site)]))
            xy = np.vstack([xy, moved])
            site = np.r_[site, np.full(n_site, s)]
        out_xy.append(xy)
        out_v.append(np.full(len(xy), v))
        out_site.append(site)
    xy = np.vstack(out_xy)
    village = np.concatenate(out_v)
    site = np.concatenate(out_site)

    # Relocated households came from mountain villages of the site's township (or nearby).
    origin = np.full(len(xy), -1)
    mountain = territory.village_river_distance
    for s in range(len(sites.township)):
        members = np.flatnonzero(site == s)
        pool = np.flatnonzero((territory.village_township == sites.township[s])
                              & (np.arange(n_villages) != sites.village[s]))
        if len(pool) < 2:
            pool = np.flatnonzero(np.arange(n_villages) != sites.village[s])
        if len(pool) == 0:
            pool = np.array([sites.village[s]])
        w = 1.0 + mountain[pool] / 500.0
        origin[members] = rng.choice(pool, len(members), p=w / w.sum())

    located = np.ones(len(xy), bool)
    located[pick(rng, site < 0, int(round(UNLOCATED_SHARE * len(xy))))] = False
    per_village = np.bincount(village[located], minlength=n_villages)
    located |= per_village[village] < 30
    return Settlement(x=xy[:, 0], y=xy[:, 1], village=village, located=located, site=site,
                      origin=origin, sites=sites)
