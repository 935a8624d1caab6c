"""Townships and villages of the synthetic county: irregular polygons that tile the county exactly.

The county is cut into small Voronoi cells ("atoms"); every township and village is the union of
a connected set of atoms, so villages tile their township and townships tile the county without
gaps or overlaps. A coverage simplification then smooths the atoms' zigzag into plausible borders
while keeping the shared edges identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from gis_app.synth import libm
from gis_app.synth.common import allocate
from gis_app.synth.names import COUNTY_CODE, township_names, village_stems
from gis_app.synth.terrain import Layout, LineIndex

#: The bundled sample: three townships, the first with 11 villages like seed 000's 普安乡.
SAMPLE_VILLAGES = (11, 8, 7)


@dataclass
class Territory:
    """Administrative units in the local plane (metres)."""

    county: shapely.Polygon
    township_polys: np.ndarray
    township_names: list[str]
    township_codes: list[str]
    seats: np.ndarray
    village_polys: np.ndarray
    village_names: list[str]
    village_codes: list[str]
    village_township: np.ndarray
    village_centres: np.ndarray
    village_river_distance: np.ndarray
    atom_spacing: float

    @property
    def n_townships(self) -> int:
        return len(self.township_polys)

    @property
    def n_villages(self) -> int:
        return len(self.village_polys)


def unit_counts(households: int, sample: bool) -> tuple[int, int]:
    """Return the number of townships and villages for ``households`` households."""
    if sample:
        return len(SAMPLE_VILLAGES), sum(SAMPLE_VILLAGES)
    townships = max(1, round(np.sqrt(households) / 13))
    per_village = min(450.0, 250.0 + households / 1000)
    villages = int(np.clip(round(households / per_village), townships, households // 90))
    return townships, max(villages, 1)


def _lattice(rng: np.random.Generator, layout: Layout, spacing: float) -> np.ndarray:
    """Jittered hexagonal points covering the outline plus a margin of a few spacings."""
    reach = 1 + np.abs(layout.harmonics[:, 1]).sum()
    half_w = layout.width / 2 * reach + 4 * spacing
    half_h = layout.height / 2 * reach + 4 * spacing
    row = spacing * np.sqrt(3) / 2
    ys = np.arange(-half_h, half_h, row)
    xs = np.arange(-half_w, half_w, spacing)
    gx, gy = np.meshgrid(xs, ys)
    gx = gx + (np.arange(len(ys)) % 2)[:, None] * spacing / 2
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    xy += rng.uniform(-0.3, 0.3, xy.shape) * spacing
    margin = 5 * spacing / min(layout.width, layout.height) * 2
    return xy[layout.outline_factor(xy[:, 0], xy[:, 1]) < 1 + margin]


def _kmeans(rng: np.random.Generator, xy: np.ndarray, k: int, weights: np.ndarray,
            iterations: int = 8) -> np.ndarray:
    """Weighted Lloyd iterations; returns ``k`` centres spread over the points."""
    p = weights / weights.sum()
    centres = xy[rng.choice(len(xy), size=k, replace=False, p=p)].copy()
    for _ in range(iterations):
        label = _nearest(xy, centres)
        w = np.bincount(label, weights, minlength=k)
        cx = np.bincount(label, weights * xy[:, 0], minlength=k)
        cy = np.bincount(label, weights * xy[:, 1], minlength=k)
        filled = w > 0
        centres[filled] = np.column_stack([cx[filled], cy[filled]]) / w[filled, None]
    return centres


def _nearest(xy: np.ndarray, centres: np.ndarray, scale=None) -> np.ndarray:
    """Index of the nearest centre of each point.

    ``scale(points, cols)`` may distort the distances: it returns a factor for each point and each
    candidate centre ``cols`` (the six plainly nearest ones).
    """
    out = np.empty(len(xy), np.int64)
    for lo in range(0, len(xy), 20_000):
        chunk = xy[lo:lo + 20_000]
        d = libm.hypot(chunk[:, None, 0] - centres[None, :, 0],
                     chunk[:, None, 1] - centres[None, :, 1])
        if scale is None:
            out[lo:lo + 20_000] = d.argmin(axis=1)
            continue
        m = min(6, len(centres))
        # Sorted: argpartition leaves its part in an order that depends on the CPU's SIMD.
        cols = np.sort(np.argpartition(d, m - 1, axis=1)[:, :m], axis=1) if m < len(centres) else \
            np.broadcast_to(np.arange(m), d.shape)
        near = np.take_along_axis(d, cols, axis=1) * scale(chunk, cols)
        out[lo:lo + 20_000] = np.take_along_axis(cols, near.argmin(axis=1)[:, None], 1)[:, 0]
    return out


def _noise(rng: np.random.Generator, k: int, wavelength: float, amplitude: float,
           weight: np.ndarray | None = None):
    """Make a smooth random distortion per centre: ``f(points, cols) -> factors`` near 1.

    ``weight`` divides the factor per centre (a larger weight draws a larger region).
    """
    angles = rng.uniform(0, np.pi, (2, k))
    waves = 2 * np.pi / (wavelength * rng.uniform(0.7, 1.3, (2, k)))
    phases = rng.uniform(0, 2 * np.pi, (2, k))
    weight = np.ones(k) if weight is None else weight

    def field(points: np.ndarray, cols: np.ndarray) -> np.ndarray:
        total = 0.0
        for j in range(2):
            a, w, p = angles[j][cols], waves[j][cols], phases[j][cols]
            proj = points[:, :1] * np.cos(a) + points[:, 1:] * np.sin(a)
            total = total + np.sin(proj * w + p)
        return (1 + amplitude * total / 2) / weight[cols]

    return field


def _union_by_label(cells: np.ndarray, labels: np.ndarray, todo: np.ndarray,
                    out: np.ndarray) -> None:
    """Dissolve atom cells into one geometry per label listed in ``todo`` (written to ``out``)."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    lo = np.searchsorted(sorted_labels, todo, "left")
    hi = np.searchsorted(sorted_labels, todo, "right")
    for lab, a, b in zip(todo, lo, hi, strict=True):
        out[lab] = shapely.coverage_union_all(cells[order[a:b]])


def _connected(cells: np.ndarray, xy: np.ndarray, labels: np.ndarray, anchors: np.ndarray,
               allowed: np.ndarray) -> np.ndarray:
    """Dissolve atoms by label, moving detached pieces to a neighbouring label until all connect.

    Parameters
    ----------
    cells, xy : numpy.ndarray
        Atom cells and centres.
    labels : numpy.ndarray
        Label of each atom (``-1`` for atoms that take no part); modified in place.
    anchors : numpy.ndarray
        One atom per label that must stay with it (its seed).
    allowed : numpy.ndarray
        Group of each atom; a detached piece only moves to a label of the same group.

    Returns
    -------
    numpy.ndarray
        One polygon per label.
    """
    n = len(anchors)
    polys = np.empty(n, dtype=object)
    todo = np.arange(n)
    for _ in range(10):
        _union_by_label(cells, labels, todo, polys)
        broken = todo[shapely.get_num_geometries(polys[todo]) > 1]
        if len(broken) == 0:
            return polys
        changed = set()
        for lab in broken:
            parts = shapely.get_parts(polys[lab])
            ax, ay = xy[anchors[lab]]
            holds = shapely.contains_xy(parts, ax, ay)
            keep = parts[holds][0] if holds.any() else parts[np.argmax(shapely.area(parts))]
            members = np.flatnonzero(labels == lab)
            orphans = members[~shapely.contains_xy(keep, xy[members, 0], xy[members, 1])]
            others = np.flatnonzero((labels >= 0) & (labels != lab)
                                    & (allowed == allowed[anchors[lab]]))
            if len(others) == 0:
                continue
            d = libm.hypot(xy[orphans, None, 0] - xy[None, others, 0],
                         xy[orphans, None, 1] - xy[None, others, 1])
            labels[orphans] = labels[others[d.argmin(axis=1)]]
            changed.add(int(lab))
            changed.update(int(v) for v in np.unique(labels[orphans]))
        todo = np.array(sorted(changed), dtype=np.int64)
    raise RuntimeError("could not make the synthetic units connected")


def _snap_seats(centres: np.ndarray, layout: Layout, main: LineIndex, rivers: LineIndex,
                spacing: float) -> np.ndarray:
    """Move township seats onto the river valley: the main river when it is near, else a stream."""
    on_main = main.nearest(centres[:, 0], centres[:, 1])
    on_any = rivers.nearest(centres[:, 0], centres[:, 1])
    d_main = libm.hypot(*(on_main - centres).T)
    d_any = libm.hypot(*(on_any - centres).T)
    seats = np.where((d_main < np.maximum(3000.0, 2 * d_any))[:, None], on_main, on_any)
    inside = layout.outline_factor(seats[:, 0], seats[:, 1]) < 0.93
    seats[~inside] = centres[~inside]
    for i in range(1, len(seats)):
        if libm.hypot(*(seats[:i] - seats[i]).T).min() < 3 * spacing:
            seats[i] = centres[i]
    return seats


def _villages_of(rng: np.random.Generator, xy: np.ndarray, members: np.ndarray, seat: int,
                 count: int, river_d: np.ndarray, spacing: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Seed atoms and atom labels of one township's villages; the seat's village comes first.

    Seeds are denser along the rivers (weighted k-means), and mountain seeds draw larger
    regions, so valley villages are small and mountain villages large.
    """
    k = min(count, len(members))
    w = np.where(river_d[members] < 500, 3.0, np.where(river_d[members] < 1200, 1.6, 1.0))
    centres = _kmeans(rng, xy[members], k, w)
    seed = members[_nearest(centres, xy[members])]
    seed = np.array(list(dict.fromkeys(seed.tolist())))
    if len(seed) < k:
        rest = np.setdiff1d(members, seed)
        seed = np.r_[seed, rng.choice(rest, k - len(seed), replace=False)]
    j = libm.hypot(*(xy[seed] - xy[seat]).T).argmin()
    seed[j] = seat
    others = np.delete(seed, j)
    others = others[np.argsort(libm.hypot(*(xy[others] - xy[seat]).T), kind="stable")]
    seed = np.r_[seat, others]
    mountain = 1 + 0.4 * np.clip((river_d[seed] - 400) / 2000, 0, 1)
    distort = _noise(rng, k, np.sqrt(len(members) / k) * spacing, 0.25, mountain)
    local = _nearest(xy[members], xy[seed], distort)
    local[np.searchsorted(members, seed)] = np.arange(k)
    return seed, local


def _village_names(rng: np.random.Generator, town_names: list[str], vill_town: np.ndarray
                   ) -> tuple[list[str], list[str]]:
    """Names and codes of the villages; a town's seat village is its 社区 (code 001)."""
    stems = [name[:-1] for name in town_names]
    pool = iter(village_stems(len(vill_town), rng, set(stems)))
    names, codes = [], []
    for t, town in enumerate(town_names):
        prefix = f"{COUNTY_CODE}{101 + t:03d}"
        number = 201
        for i in range(int((vill_town == t).sum())):
            if i == 0 and town.endswith("镇"):
                names.append(stems[t] + "社区")
                codes.append(prefix + "001")
                continue
            names.append((stems[t] if i == 0 else next(pool)) + "村")
            codes.append(f"{prefix}{number:03d}")
            number += 1
    return names, codes


def build_territory(rng: np.random.Generator, layout: Layout, households: int,
                    sample: bool) -> Territory:
    """Draw townships and villages for a county of ``households`` households.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random stream of this stage.
    layout : Layout
        Outline and rivers.
    households : int
        Household count, which sets the number of units.
    sample : bool
        Build the bundled sample's three townships (11, 8 and 7 villages).

    Returns
    -------
    Territory
    """
    n_town, n_vill = unit_counts(households, sample)
    atoms_per_village = 60 if households <= 10_000 else 40 if households <= 100_000 else 26
    atom_area = layout.area_km2 * 1e6 / n_vill / atoms_per_village
    spacing = float(np.sqrt(atom_area / (np.sqrt(3) / 2)))
    xy = _lattice(rng, layout, spacing)
    river_index = LineIndex([r.coords for r in layout.rivers])
    main_index = LineIndex([layout.rivers[0].coords])
    factor = layout.outline_factor(xy[:, 0], xy[:, 1])

    # Township seats: spread over the county by k-means, then moved onto the valley floor.
    # Few townships line up along the valley: squeeze the north-south axis before clustering.
    inside = factor < 1
    squeeze = np.array([1.0, 0.45 if n_town <= 5 else 0.8])
    probe = xy[inside][rng.permutation(int(inside.sum()))[:10_000]]
    centres = _kmeans(rng, probe * squeeze, n_town, np.ones(len(probe))) / squeeze
    centres = centres[np.lexsort((centres[:, 1], centres[:, 0]))]
    seats = _snap_seats(centres, layout, main_index, river_index, spacing)
    seat_atoms = np.empty(n_town, np.int64)
    free = np.ones(len(xy), bool)
    for i, seat in enumerate(seats):
        cand = np.flatnonzero(free)
        j = cand[libm.hypot(*(xy[cand] - seat).T).argmin()]
        xy[j] = seat
        free[j] = False
        seat_atoms[i] = j

    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(xy), extend_to=shapely.box(*xy.min(0) - spacing * 5,
                                                       *xy.max(0) + spacing * 5),
        ordered=True))

    # The county: the connected body of atoms inside the outline, holes filled.
    body = shapely.get_parts(shapely.coverage_union_all(cells[inside | ~free]))
    shell = shapely.Polygon(body[np.argmax(shapely.area(body))].exterior)
    inside = shapely.contains_xy(shell, xy[:, 0], xy[:, 1])

    # Townships: nearest seat under a smooth random distortion, then made connected.
    town_spacing = np.sqrt(layout.area_km2 * 1e6 / n_town)
    distort = _noise(rng, n_town, town_spacing * 0.8, 0.16)
    town = np.full(len(xy), -1)
    town[inside] = _nearest(xy[inside], seats, distort)
    town[seat_atoms] = np.arange(n_town)
    groups = np.zeros(len(xy), np.int64)
    _connected(cells, xy, town, seat_atoms, groups)

    # Villages: per township, seeds denser in the valleys; mountain villages get larger.
    river_d = river_index.distance(xy[:, 0], xy[:, 1], limit=3000.0)
    if sample:
        per_town = np.array(SAMPLE_VILLAGES)
    else:
        areas = np.bincount(town[town >= 0], minlength=n_town).astype(float)
        per_town = allocate(n_vill, areas, minimum=1)
    village = np.full(len(xy), -1)
    seeds, vill_town = [], []
    for t in range(n_town):
        members = np.flatnonzero(town == t)
        seed, local = _villages_of(rng, xy, members, seat_atoms[t], int(per_town[t]), river_d,
                                   spacing)
        village[members] = len(seeds) + local
        seeds.extend(seed.tolist())
        vill_town.extend([t] * len(seed))
    seeds = np.array(seeds)
    vill_town = np.array(vill_town)
    raw = _connected(cells, xy, village, seeds, town)

    smooth = shapely.coverage_simplify(raw, spacing * 0.7)
    if not (shapely.is_valid(smooth).all() and shapely.coverage_is_valid(smooth)
            and (shapely.area(smooth) > 0).all()):
        smooth = raw
    town_polys = np.array([shapely.coverage_union_all(smooth[vill_town == t])
                           for t in range(n_town)], dtype=object)
    county = shapely.coverage_union_all(town_polys)

    names = township_names(n_town, rng)
    v_names, v_codes = _village_names(rng, names, vill_town)
    centres = xy[seeds]
    outside = ~shapely.contains_xy(smooth, centres[:, 0], centres[:, 1])
    if outside.any():
        centres[outside] = shapely.get_coordinates(shapely.point_on_surface(smooth[outside]))
    return Territory(
        county=county, township_polys=town_polys, township_names=names,
        township_codes=[f"{COUNTY_CODE}{101 + t:03d}" for t in range(n_town)],
        seats=seats, village_polys=smooth, village_names=v_names, village_codes=v_codes,
        village_township=vill_town, village_centres=centres,
        village_river_distance=river_index.distance(centres[:, 0], centres[:, 1]),
        atom_spacing=spacing)
