"""Level-3 grids: each village cut into parts of 30–80 households by recursive balanced bisection.

Every split cuts a node's households along their principal axis, in the widest gap that keeps
both halves able to reach 30–80 households per final grid, so the cut tends to fall between
hamlets. All nodes of one depth are split at once with array operations; the pieces are the
village polygon clipped by the half-planes, so they tile the village exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from gis_app.synth import libm
from gis_app.synth.common import multipolygons

LOW, HIGH, TARGET = 30, 80, 55


@dataclass
class Partition:
    """Level-3 grids in the plane, numbered from 1 within each village (north first)."""

    village: np.ndarray
    number: np.ndarray
    polys: np.ndarray
    of_household: np.ndarray


def grid_counts(n: np.ndarray) -> np.ndarray:
    """Return the number of level-3 grids for villages of ``n >= 30`` located households."""
    n = np.asarray(n, np.int64)
    k = np.clip(np.round(n / TARGET), -(-n // HIGH), n // LOW)
    return np.maximum(k, 1).astype(np.int64)


def _halfplanes(centre: np.ndarray, u: np.ndarray, reach: np.ndarray) -> tuple[np.ndarray, ...]:
    """Polygons of the two sides of each cut line (through ``centre``, normal ``u``)."""
    v = np.column_stack([-u[:, 1], u[:, 0]])
    a = centre + reach[:, None] * v
    b = centre - reach[:, None] * v
    far = reach[:, None] * u
    left = np.stack([a, b, b - far, a - far, a], axis=1)
    right = np.stack([a, b, b + far, a + far, a], axis=1)
    return shapely.polygons(left), shapely.polygons(right)


def _split_ranges(n: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the allowed sizes of each split's left part (soft limits, else hard ones)."""
    k1 = k // 2
    k2 = k - k1
    lo = np.maximum(LOW * k1, n - HIGH * k2)
    hi = np.minimum(HIGH * k1, n - LOW * k2)
    soft_lo = np.maximum(lo, np.maximum(38 * k1, n - 72 * k2))
    soft_hi = np.minimum(hi, np.minimum(72 * k1, n - 38 * k2))
    use_soft = soft_lo <= soft_hi
    lo = np.where(use_soft, soft_lo, lo)
    hi = np.where(use_soft, soft_hi, hi)
    balanced = n * k1 / k
    width = np.maximum(2, 0.15 * n)
    b_lo = np.maximum(lo, np.ceil(balanced - width))
    b_hi = np.minimum(hi, np.floor(balanced + width))
    fits = b_lo <= b_hi
    return np.where(fits, b_lo, lo).astype(np.int64), np.where(fits, b_hi, hi).astype(np.int64)


def partition(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, village: np.ndarray,
              located: np.ndarray, village_polys: np.ndarray) -> Partition:
    """Cut every village into level-3 grids of 30–80 located households.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random stream (tilts the cut directions a little).
    x, y : numpy.ndarray
        Household positions in the plane.
    village : numpy.ndarray
        Village index of each household.
    located : numpy.ndarray
        Households with a known position; only they are counted and placed in grids.
    village_polys : numpy.ndarray
        Village polygons in the plane.

    Returns
    -------
    Partition
        ``of_household`` holds the grid index of each household (-1 when not located).
    """
    n_vill = len(village_polys)
    pts = np.flatnonzero(located)
    px, py = x[pts], y[pts]
    counts = np.bincount(village[pts], minlength=n_vill)
    if (counts < LOW).any():
        raise ValueError("every village needs at least 30 located households")
    node_k = grid_counts(counts)
    node_village = np.arange(n_vill)
    bounds = shapely.bounds(village_polys)
    node_region = shapely.box(bounds[:, 0] - 1, bounds[:, 1] - 1, bounds[:, 2] + 1,
                              bounds[:, 3] + 1)
    node_of = village[pts].copy()
    while True:
        splitting = node_k > 1
        if not splitting.any():
            break
        sel = np.flatnonzero(splitting[node_of])
        nodes = node_of[sel]
        n_nodes = len(node_k)
        cnt = np.bincount(nodes, minlength=n_nodes).astype(float)
        safe = np.maximum(cnt, 1)
        mx = np.bincount(nodes, px[sel], n_nodes) / safe
        my = np.bincount(nodes, py[sel], n_nodes) / safe
        dx, dy = px[sel] - mx[nodes], py[sel] - my[nodes]
        sxx = np.bincount(nodes, dx * dx, n_nodes)
        syy = np.bincount(nodes, dy * dy, n_nodes)
        sxy = np.bincount(nodes, dx * dy, n_nodes)
        theta = 0.5 * libm.arctan2(2 * sxy, sxx - syy) + rng.normal(0, 0.3, n_nodes)
        u = np.column_stack([np.cos(theta), np.sin(theta)])
        t = dx * u[nodes, 0] + dy * u[nodes, 1]

        # Sort by node, then by position along the axis: one float key is much faster than
        # a lexsort (the normalised position stays within [0, 0.5) of the node number).
        t_min = np.full(n_nodes, np.inf)
        t_max = np.full(n_nodes, -np.inf)
        np.minimum.at(t_min, nodes, t)
        np.maximum.at(t_max, nodes, t)
        key = nodes + 0.5 * (t - t_min[nodes]) / (t_max[nodes] - t_min[nodes] + 1e-9)
        order = np.argsort(key, kind="stable")
        s_nodes, s_t, s_sel = nodes[order], t[order], sel[order]
        start = np.searchsorted(s_nodes, np.arange(n_nodes))
        rank = np.arange(len(s_nodes)) - start[s_nodes]
        lo, hi = _split_ranges(cnt.astype(np.int64), np.maximum(node_k, 2))
        gap = np.r_[0.0, np.diff(s_t)]
        allowed = (rank >= np.maximum(lo[s_nodes], 1)) & (rank <= hi[s_nodes])
        balanced = cnt[s_nodes] * (node_k[s_nodes] // 2) / node_k[s_nodes]
        score = gap * (1.0 - 0.5 * np.abs(rank - balanced) / (0.15 * cnt[s_nodes] + 2))
        cand = np.flatnonzero(allowed)
        c_nodes, c_score = s_nodes[cand], score[cand]
        seg = np.r_[0, np.flatnonzero(np.diff(c_nodes)) + 1]
        top = np.maximum.reduceat(c_score, seg)
        is_top = c_score == np.repeat(top, np.diff(np.r_[seg, len(cand)]))
        _, first = np.unique(c_nodes[is_top], return_index=True)
        best = cand[np.flatnonzero(is_top)[first]]
        split_nodes = s_nodes[best]
        cut = np.zeros(n_nodes)
        size = np.zeros(n_nodes, np.int64)
        cut[split_nodes] = 0.5 * (s_t[best] + s_t[best - 1])
        size[split_nodes] = rank[best]

        # Two children per split node, appended after the existing nodes.
        child = np.full(n_nodes, -1)
        child[split_nodes] = n_nodes + 2 * np.arange(len(split_nodes))
        go_right = rank >= size[s_nodes]
        node_of[s_sel] = child[s_nodes] + go_right
        centre = np.column_stack([mx, my])[split_nodes] + cut[split_nodes, None] * u[split_nodes]
        b = shapely.bounds(node_region[split_nodes])
        reach = 2.0 * libm.hypot(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) + 10.0
        left, right = _halfplanes(centre, u[split_nodes], reach)
        regions = np.empty(2 * len(split_nodes), dtype=object)
        regions[0::2] = shapely.intersection(node_region[split_nodes], left)
        regions[1::2] = shapely.intersection(node_region[split_nodes], right)
        k_parent = node_k[split_nodes]
        kids_k = np.empty(2 * len(split_nodes), np.int64)
        kids_k[0::2] = k_parent // 2
        kids_k[1::2] = k_parent - k_parent // 2
        node_k[split_nodes] = 0
        node_k = np.r_[node_k, kids_k]
        node_village = np.r_[node_village, np.repeat(node_village[split_nodes], 2)]
        node_region = np.r_[node_region, regions]

    leaves = np.flatnonzero(node_k == 1)
    leaf_index = np.full(len(node_k), -1)
    # Number grids within a village from north to south.
    n_leaf = len(leaves)
    leaf_of_pt = np.searchsorted(leaves, node_of)
    mean_y = np.bincount(leaf_of_pt, py, n_leaf) / np.bincount(leaf_of_pt, minlength=n_leaf)
    order = np.lexsort((-mean_y, node_village[leaves]))
    leaves = leaves[order]
    leaf_index[leaves] = np.arange(n_leaf)
    vill = node_village[leaves]
    number = np.arange(n_leaf) - np.searchsorted(vill, vill) + 1
    polys = multipolygons(shapely.intersection(node_region[leaves], village_polys[vill]))
    of_household = np.full(len(x), -1)
    of_household[pts] = leaf_index[node_of]
    return Partition(village=vill, number=number, polys=polys, of_household=of_household)


def node_coverage(polys: np.ndarray, village: np.ndarray, village_township: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rebuild grids, villages and townships from one noded arrangement of the grid borders.

    A grid cut that ends on a village border adds a vertex there that the neighbouring
    polygons lack (a T-junction). In lon/lat that is harmless, but after projecting to
    Gauss–Krüger the straight edges bend slightly and such junctions open slivers of a few
    square metres. Noding all borders together and dissolving the faces gives every shared
    border the same vertices in every polygon that uses it, so the tiling survives any
    projection.

    Parameters
    ----------
    polys : numpy.ndarray
        Level-3 grid polygons (plane), tiling the villages.
    village : numpy.ndarray
        Village index of each grid.
    village_township : numpy.ndarray
        Township index of each village.

    Returns
    -------
    grids, villages, townships : numpy.ndarray
        MultiPolygons in the plane.
    """
    # Snap-rounding to a millimetre grid makes the noding robust: no slivers between nearly
    # coincident borders.
    borders = shapely.union_all(shapely.get_parts(shapely.boundary(polys)), grid_size=1e-3)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(borders)))
    tree = shapely.STRtree(polys)
    # A speck left by the noding (should there be one) may sit numerically inside no grid or
    # two: give it to the grid it shares most border with. Other faces lie in exactly one grid.
    speck = shapely.area(faces) < 0.01
    body = np.flatnonzero(~speck)
    face_i, grid_i = tree.query(shapely.point_on_surface(faces[body]), predicate="within")
    face_i = body[face_i]
    face_i, first = np.unique(face_i, return_index=True)
    grid_i = grid_i[first]
    extra_f, extra_g = [], []
    for f in np.flatnonzero(speck):
        near = tree.query(faces[f], predicate="intersects")
        if len(near):
            shared = shapely.length(shapely.intersection(shapely.boundary(polys[near]),
                                                         shapely.boundary(faces[f])))
            extra_f.append(f)
            extra_g.append(near[np.argmax(shared)])
    face_i = np.r_[face_i, np.array(extra_f, np.int64)]
    grid_i = np.r_[grid_i, np.array(extra_g, np.int64)]
    order = np.lexsort((face_i, grid_i))
    face_i, grid_i = face_i[order], grid_i[order]
    bounds = np.searchsorted(grid_i, np.arange(len(polys) + 1))
    grids = np.empty(len(polys), dtype=object)
    single = np.diff(bounds) == 1
    grids[single] = faces[face_i[bounds[:-1][single]]]
    for g in np.flatnonzero(~single):
        grids[g] = shapely.coverage_union_all(faces[face_i[bounds[g]:bounds[g + 1]]])
    n_vill = len(village_township)
    by_village = np.argsort(village, kind="stable")
    v_bounds = np.searchsorted(village[by_village], np.arange(n_vill + 1))
    villages = np.array([shapely.coverage_union_all(grids[by_village[a:b]])
                         for a, b in zip(v_bounds[:-1], v_bounds[1:], strict=True)], dtype=object)
    townships = np.array([shapely.coverage_union_all(villages[village_township == t])
                          for t in range(int(village_township.max()) + 1)], dtype=object)
    return multipolygons(grids), multipolygons(villages), multipolygons(townships)


def keep_inside(x: np.ndarray, y: np.ndarray, grid: np.ndarray, polys: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Move the rare household that the noding left on the wrong side of a border back inside.

    Borders moved by up to a millimetre; a house that close to one is pulled a few centimetres
    towards the inside of its own grid.

    Parameters
    ----------
    x, y : numpy.ndarray
        House positions (plane).
    grid : numpy.ndarray
        Grid index of each house (-1 when not located; those are left alone).
    polys : numpy.ndarray
        Grid polygons (plane).

    Returns
    -------
    x, y : numpy.ndarray
    """
    x, y = x.copy(), y.copy()
    shapely.prepare(polys)
    placed = np.flatnonzero(grid >= 0)
    bad = placed[~shapely.contains_xy(polys[grid[placed]], x[placed], y[placed])]
    if len(bad) == 0:
        return x, y
    target = shapely.get_coordinates(shapely.point_on_surface(polys[grid[bad]]))
    for step in (0.05, 0.5, 5.0, None):
        d = target - np.column_stack([x[bad], y[bad]])
        length = np.maximum(libm.hypot(d[:, 0], d[:, 1]), 1e-12)
        move = 1.0 if step is None else np.minimum(step / length, 1.0)
        nx, ny = x[bad] + d[:, 0] * move, y[bad] + d[:, 1] * move
        ok = shapely.contains_xy(polys[grid[bad]], nx, ny)
        x[bad[ok]], y[bad[ok]] = nx[ok], ny[ok]
        bad = bad[~ok]
        target = target[~ok]
        if len(bad) == 0:
            break
    return x, y
