"""Redrawing level-3 grids: cut by a drawn line, balanced splits, merges and households by place.

Geometry is computed in the CGCS2000 3-degree Gauss–Krüger zone of the area (metres), where the
map is drawn and the tiling is checked (:func:`~gis_app.analysis.grid_quality.check_grid_tiling`),
and returned in EPSG:4490. On the way back the area's own vertices (and those of a drawn line)
are restored bit for bit, so edges shared with the neighbouring grids stay identical; the other
vertices are projected back. The parts share their vertices, so they tile the area exactly in
both systems, except that a new vertex on a straight boundary edge lies on the edge's GK chord:
in longitude/latitude it is off the stored edge by the curvature between the two projections,
about 1 cm in the middle of a 1 km edge (growing with the square of the length), far below a
millimetre for the 10–100 m edges of digitised boundaries.

Balanced splits are capacity-constrained power diagrams: households are grouped by a recursive
bisection, then Lloyd steps move each centre to the mean of its households while an exact
transport step (shortest paths between the parts) keeps the counts on target. A power diagram
with weights separating the final groups gives convex cells; they are clipped to the area by one
noding of all the lines, so neighbouring parts share their edges exactly. In a concave area a
cell can reach across a bay: its detached piece joins a neighbour, and pairs of neighbouring
parts are then cut again until the counts are even (:func:`_repair`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyproj
import shapely

from gis_app.analysis.point_in_polygon import PolygonIndex, _polygon_array
from gis_app.core.crs import CHINA_BOUNDS, STORAGE_EPSG, gauss_kruger_epsg

Progress = Callable[[int, int], None] | None

#: Lloyd steps of the balanced split, and the centre shift (share of a part's size) that ends them.
_LLOYD_STEPS, _LLOYD_TOL = 12, 0.01
#: Clipping ignores a vertex outside a power cell's half-plane by less than this (metres).
_CLIP_TOL_M = 1e-7
#: Sweeps that centre the final weights between the households on either side of each cut.
_CENTRING_SWEEPS = 8
#: Cut lines are densified to this spacing (metres) before going back to longitude/latitude, so
#: that a household a millimetre from a cut stays on its side (a 1 km straight line in GK bows
#: by about 1 cm in longitude/latitude; a 25 m one by micrometres).
_DENSIFY_M = 25.0


# ---------------------------------------------------------------------------------- inputs


def _storage_crs(layer, what: str) -> None:
    """Raise unless a layer's CRS, if it has one, is EPSG:4490."""
    crs = getattr(layer, "crs", None)
    if crs is not None and pyproj.CRS.from_user_input(crs).to_epsg() != STORAGE_EPSG:
        raise ValueError(f"{what}的坐标系应为 EPSG:4490（CGCS2000 经纬度）")


def _polygons(geoms: np.ndarray, what: str) -> None:
    """Raise unless every geometry is a valid, non-empty polygon in longitude/latitude."""
    if not (np.isin(shapely.get_type_id(geoms), (3, 6)) & ~shapely.is_empty(geoms)).all():
        raise ValueError(f"{what}必须是面（Polygon 或 MultiPolygon）")
    if not shapely.is_valid(geoms).all():
        raise ValueError(f"{what}的图形无效（自相交等），请先修复")
    _check_lonlat(shapely.bounds(geoms).reshape(-1, 2), what)


def _area(geometry, what: str = "网格"):
    """A valid Polygon or MultiPolygon in EPSG:4490 from a geometry or a layer with a CRS."""
    _storage_crs(geometry, what)
    if not isinstance(geometry, shapely.Geometry):
        geometry = shapely.union_all(_polygon_array(geometry))
    _polygons(np.array([geometry], dtype=object), what)
    return geometry


def _check_lonlat(xy: np.ndarray, what: str) -> None:
    west, south, east, north = CHINA_BOUNDS
    ok = np.isnan(xy).any(axis=1) | (
        (xy[:, 0] >= west) & (xy[:, 0] <= east) & (xy[:, 1] >= south) & (xy[:, 1] <= north)
    )
    if not ok.all():
        raise ValueError(f"{what}的坐标不是中国范围内的经纬度，需要 EPSG:4490（CGCS2000）坐标")


def _households(households_xy) -> np.ndarray:
    xy = np.asarray(households_xy, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError("户坐标应为 n×2 的经纬度数组")
    xy = np.where(np.isfinite(xy).all(axis=1, keepdims=True), xy, np.nan)
    _check_lonlat(xy, "户")
    return xy


# ---------------------------------------------------------------------------------- GK frame


def _complex(xy: np.ndarray) -> np.ndarray:
    keys = np.empty(len(xy), dtype=np.complex128)
    keys.real, keys.imag = xy[:, 0], xy[:, 1]
    return keys


class _GaussKruger:
    """The GK zone of an area; the way back restores the area's own vertices exactly."""

    def __init__(self, area, keep=None):
        west, _, east, _ = area.bounds
        self.epsg = gauss_kruger_epsg((west + east) / 2.0)
        self._fwd = pyproj.Transformer.from_crs(STORAGE_EPSG, self.epsg, always_xy=True)
        self._inv = pyproj.Transformer.from_crs(self.epsg, STORAGE_EPSG, always_xy=True)
        self.area = shapely.transform(area, self.xy)
        ll = shapely.get_coordinates(area)
        if keep is not None:
            ll = np.r_[ll, shapely.get_coordinates(keep)]
        keys = _complex(self.xy(ll))
        order = np.argsort(keys, kind="stable")
        self._keys, self._known = keys[order], ll[order]

    def xy(self, lonlat: np.ndarray) -> np.ndarray:
        """Longitude/latitude (n, 2) to GK metres (n, 2)."""
        x, y = self._fwd.transform(lonlat[:, 0], lonlat[:, 1])
        return np.column_stack([x, y])

    def _back(self, xy: np.ndarray) -> np.ndarray:
        lon, lat = self._inv.transform(xy[:, 0], xy[:, 1])
        out = np.column_stack([lon, lat])
        keys = _complex(xy)
        pos = np.minimum(np.searchsorted(self._keys, keys), self._keys.size - 1)
        known = self._keys[pos] == keys
        out[known] = self._known[pos[known]]
        return out

    def lonlat(self, geoms):
        """GK geometries back to EPSG:4490, the area's own vertices restored exactly."""
        return shapely.transform(geoms, self._back)


# ---------------------------------------------------------------------------------- line, merge


def split_by_line(grid, line) -> list:
    """Cut a grid with a line drawn by the user.

    Parameters
    ----------
    grid : shapely Polygon or MultiPolygon
        The grid, in EPSG:4490 (a one-row GeoSeries or GeoDataFrame with that CRS also works).
    line : shapely LineString or MultiLineString
        The cut, in EPSG:4490; it may run beyond the grid and cross it several times. Its
        segments are straight on the (Gauss–Krüger) map, as the user drew them.

    Returns
    -------
    list of shapely Polygon or MultiPolygon
        The parts in EPSG:4490, largest first. They tile the grid, whose own vertices they
        keep exactly (see the module notes for new vertices on its edges). Islands of a
        MultiPolygon grid that the line does not touch join the nearest part.

    Raises
    ------
    ValueError
        分割线没有完整穿过网格 when the line stops inside the grid or does not cut it in two.
    """
    area = _area(grid)
    if shapely.get_type_id(line) not in (1, 5) or line.is_empty:
        raise ValueError("分割线必须是线（LineString）")
    _check_lonlat(shapely.get_coordinates(line), "分割线")
    frame = _GaussKruger(area, keep=line)
    cut = shapely.segmentize(shapely.transform(line, frame.xy), _DENSIFY_M)  # straight on the map
    parts = shapely.get_parts(frame.area)
    ends = shapely.get_coordinates(shapely.boundary(cut))
    if shapely.contains_xy(frame.area, ends[:, 0], ends[:, 1]).any():
        raise ValueError("分割线没有完整穿过网格：线的端点在网格内部")
    crossed = shapely.intersects(parts, cut)
    lines = shapely.union_all(np.r_[shapely.boundary(parts[crossed]), [cut]])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    inside = shapely.contains(frame.area, shapely.point_on_surface(faces))
    faces = faces[inside]
    if faces.size < 2:
        raise ValueError("分割线没有完整穿过网格")
    islands = parts[~crossed]
    if islands.size:
        nearest = shapely.distance(islands[:, None], faces[None, :]).argmin(axis=1)
        groups = [np.r_[[faces[j]], islands[nearest == j]] for j in range(faces.size)]
        faces = np.array([shapely.union_all(g) for g in groups], dtype=object)
    faces = faces[np.argsort(-shapely.area(faces), kind="stable")]
    return list(frame.lonlat(faces))


def merge_grids(grids: Sequence):
    """Merge grids that form one connected area into one grid.

    The union is taken in EPSG:4490 itself: it only removes the shared edges, so no
    reprojection is needed and the outline keeps the stored vertices.

    Parameters
    ----------
    grids : sequence of shapely Polygon or MultiPolygon, or GeoSeries
        The grids to merge, in EPSG:4490.

    Returns
    -------
    shapely Polygon or MultiPolygon
        Their union.

    Raises
    ------
    ValueError
        所选网格不相邻，不能合并 when the grids do not all connect through shared edges (touching
        at a corner is not enough).
    """
    _storage_crs(grids, "网格")
    geoms = _polygon_array(grids)
    if geoms.size == 0:
        raise ValueError("没有选择网格")
    _polygons(geoms, "网格")
    n = geoms.size
    left, right = np.triu_indices(n, 1)
    shared = shapely.relate_pattern(geoms[left], geoms[right], "2********") | (
        shapely.relate_pattern(geoms[left], geoms[right], "****1****")
    )
    linked = np.eye(n, dtype=bool)
    linked[left[shared], right[shared]] = linked[right[shared], left[shared]] = True
    reach = linked
    for _ in range(int(np.ceil(np.log2(max(n, 2))))):
        reach = (reach.astype(np.int64) @ reach.astype(np.int64)) > 0
    if not reach[0].all():
        raise ValueError("所选网格不相邻，不能合并")
    return shapely.union_all(geoms)


def clip_to_village(polygon, villages: np.ndarray):
    """The village a drawn polygon mostly falls in, and the polygon clipped to it.

    Parameters
    ----------
    polygon : shapely Polygon or MultiPolygon
        The drawing, EPSG:4490.
    villages : numpy.ndarray of polygons
        The villages' boundaries, EPSG:4490.

    Returns
    -------
    (int, shapely geometry)
        The village's position in ``villages`` and the polygonal part of the clipped drawing.

    Raises
    ------
    ValueError
        所画网格不在任何村的范围内 when it overlaps no village.
    """
    villages = np.asarray(villages, dtype=object)
    overlap = shapely.area(shapely.intersection(villages, polygon)) if villages.size else \
        np.zeros(0)
    if not overlap.size or overlap.max() <= 0:
        raise ValueError("所画网格不在任何村的范围内")
    best = int(np.argmax(overlap))
    parts = shapely.get_parts(shapely.intersection(villages[best], polygon))
    return best, shapely.union_all(parts[np.isin(shapely.get_type_id(parts), (3, 6))])


def carve_out(polygon, grids: np.ndarray):
    """Cut ``polygon`` out of ``grids``: the new grid and what is left of each grid.

    All boundaries are noded once and the faces dissolved again, so the new grid and the
    grids it cuts share their new edges exactly (no slivers, no overlaps).

    Parameters
    ----------
    polygon : shapely Polygon or MultiPolygon
        The new grid as drawn (clipped to its village), EPSG:4490.
    grids : numpy.ndarray of polygons
        The village's grids, EPSG:4490 (may be empty).

    Returns
    -------
    (shapely geometry, numpy.ndarray)
        The new grid and, per grid, what is left of it (empty where the polygon covers it).
    """
    grids = np.asarray(grids, dtype=object)
    if not grids.size:
        return polygon, grids
    lines = shapely.union_all(np.r_[shapely.boundary(grids), [shapely.boundary(polygon)]])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    spot = shapely.get_coordinates(shapely.point_on_surface(faces))
    inside = shapely.contains_xy(polygon, spot[:, 0], spot[:, 1])
    owner = PolygonIndex(grids).locate(spot[:, 0], spot[:, 1]).index
    new = shapely.coverage_union_all(faces[inside])
    rest = [shapely.coverage_union_all(faces[(owner == i) & ~inside]) for i in range(grids.size)]
    return new, np.array(rest, dtype=object)


def largest_overlap(grids: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """For each grid, the position of the part covering most of it (grids going away)."""
    grids, parts = np.asarray(grids, dtype=object), np.asarray(parts, dtype=object)
    if not grids.size:
        return np.empty(0, dtype=np.int64)
    return shapely.area(shapely.intersection(grids[:, None], parts[None, :])).argmax(axis=1)


def assign_households(households_xy, grids_geoms, override_mask=None, current=None) -> np.ndarray:
    """The grid of every household by location, keeping recorded manual overrides.

    Parameters
    ----------
    households_xy : array_like, shape (n, 2)
        Household longitude/latitude (EPSG:4490); rows with NaN are in no grid.
    grids_geoms : sequence of polygons, GeoSeries or GeoDataFrame
        The level-3 grids in EPSG:4490. A household on a shared edge goes to the lowest
        position (:class:`~gis_app.analysis.point_in_polygon.PolygonIndex`).
    override_mask : array_like of bool, shape (n,), optional
        Households whose grid was set by hand (DOMAIN.md §2): they keep ``current``.
    current : array_like of int, shape (n,), optional
        The current grid positions; needed with ``override_mask``.

    Returns
    -------
    numpy.ndarray of int64
        Position of the grid of each household in ``grids_geoms``, -1 for none.
    """
    _storage_crs(grids_geoms, "网格")
    xy = _households(households_xy)
    index = PolygonIndex(_polygon_array(grids_geoms)).locate(xy[:, 0], xy[:, 1]).index
    if override_mask is None:
        return index
    mask = np.asarray(override_mask, dtype=bool)
    if current is None:
        raise ValueError("保留人工调整需要提供当前所属网格 current")
    current = np.asarray(current, dtype=np.int64)
    if mask.shape != index.shape or current.shape != index.shape:
        raise ValueError("override_mask、current 的长度必须与户数相同")
    return np.where(mask, current, index)


# ---------------------------------------------------------------------------------- balancing


def _targets(total: int, shares) -> np.ndarray:
    """Whole household targets proportional to ``shares`` (largest remainders), each ≥ 1."""
    shares = np.asarray(shares, dtype=np.float64)
    if shares.ndim != 1 or (shares <= 0).any() or not np.isfinite(shares).all():
        raise ValueError("各网格的户数比例必须为正数")
    exact = total * shares / shares.sum()
    targets = np.floor(exact).astype(np.int64)
    extra = np.argsort(-(exact - targets), kind="stable")[: total - targets.sum()]
    targets[extra] += 1
    short = targets < 1
    if short.any():  # tiny shares: take one household each from the largest parts
        for _ in range(int(short.sum())):
            targets[np.argmax(targets)] -= 1
        targets[short] = 1
    return targets


def _bisect(xy: np.ndarray, mult: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Start groups: recursive bisection across the longer side, cut at the households' share."""
    labels = np.empty(len(xy), dtype=np.int64)
    stack = [(np.arange(len(xy)), 0, targets.size)]
    while stack:
        idx, lo, hi = stack.pop()
        if hi - lo == 1:
            labels[idx] = lo
            continue
        mid = (lo + hi) // 2
        pts = xy[idx]
        axis = int(np.ptp(pts[:, 1]) > np.ptp(pts[:, 0]))
        order = np.argsort(pts[:, axis], kind="stable")
        cum = np.cumsum(mult[idx[order]])
        want = cum[-1] * targets[lo:mid].sum() / targets[lo:hi].sum()
        last = int(np.clip(np.argmin(np.abs(cum - want)), mid - lo - 1, idx.size - hi + mid - 1))
        stack += [(idx[order[last + 1 :]], mid, hi), (idx[order[: last + 1]], lo, mid)]
    return labels


def _transfer_costs(dist2: np.ndarray, groups: np.ndarray, k: int) -> np.ndarray:
    """Least extra cost of moving one household from group a to group b, as a (k, k) matrix."""
    rows = np.arange(groups.size)
    extra = dist2 - dist2[rows, groups][:, None]
    order = np.argsort(groups, kind="stable")
    starts = np.searchsorted(groups[order], np.arange(k))
    cost = np.full((k, k), np.inf)
    present = np.bincount(groups, minlength=k) > 0
    cost[present] = np.minimum.reduceat(extra[order], starts[present], axis=0)
    np.fill_diagonal(cost, np.inf)
    return cost


def _rebalance(dist2, mult, targets, groups) -> np.ndarray:
    """Move households along shortest transfer paths until every group meets its target.

    ``groups`` must be optimal for its own counts (a power-diagram assignment); every move
    keeps it so (successive shortest paths of a transport problem with k sinks).
    """
    k = targets.size
    best, best_off = groups.copy(), np.inf
    cost = _transfer_costs(dist2, groups, k)
    stall = 0
    while stall < 2 * k:
        excess = np.bincount(groups, weights=mult, minlength=k) - targets
        off = np.abs(excess).sum()
        if off < best_off - 0.5:
            best, best_off, stall = groups.copy(), off, 0
        else:
            stall += 1
        if off < 0.5:
            break
        dist = np.where(excess > 0.5, 0.0, np.inf)
        pred = np.full(k, -1)
        for _ in range(k):  # Bellman–Ford from all over-full groups
            reach = dist[:, None] + cost
            via = reach.argmin(axis=0)
            shorter = reach[via, np.arange(k)] < dist - 1e-9
            if not shorter.any():
                break
            dist = np.where(shorter, reach[via, np.arange(k)], dist)
            pred = np.where(shorter, via, pred)
        sinks = np.flatnonzero(excess < -0.5)
        if sinks.size == 0:
            break
        node = sinks[np.argmin(dist[sinks])]
        if not np.isfinite(dist[node]):
            break
        touched = [node]
        for _ in range(k):  # sink side first: a group gives before it receives
            source = pred[node]
            if source < 0:
                break
            members = np.flatnonzero(groups == source)
            groups[members[np.argmin(dist2[members, node] - dist2[members, source])]] = node
            node = source
            touched.append(node)
        for g in touched:  # only the groups that gave or received change their costs
            members = np.flatnonzero(groups == g)
            cost[g] = (dist2[members] - dist2[members, g][:, None]).min(axis=0, initial=np.inf)
            cost[g, g] = np.inf
    return best


def _separating_weights(dist2: np.ndarray, groups: np.ndarray, k: int, sweeps: int = 0):
    """Power weights whose diagram puts every household strictly in its group.

    The weights satisfy w_b − w_a ≤ cost(a→b) − ε: difference constraints, solved by
    Bellman–Ford with ε half the minimum mean cycle (Karp), the widest uniform margin. Each
    ``sweeps`` then moves every weight to the middle of its own feasible range, which keeps
    households off the cut lines wherever the data leave room.
    """
    cost = _transfer_costs(dist2, groups, k)
    cost = np.where(np.isfinite(cost), cost, 1e300)
    walk = np.zeros((k + 1, k))
    for m in range(1, k + 1):
        walk[m] = (walk[m - 1][:, None] + cost).min(axis=0)
    steps = (k - np.arange(k))[:, None]
    mean = np.min(np.max((walk[k][None, :] - walk[:k]) / steps, axis=0))
    margin = mean / 2.0 if mean > 0 else 0.0
    weights = np.zeros(k)
    for _ in range(k):
        lower = np.minimum(weights, (weights[:, None] + cost - margin).min(axis=0))
        if np.array_equal(lower, weights):
            break
        weights = lower
    for _ in range(sweeps):
        for j in range(k):  # Gauss–Seidel: each step stays feasible
            others = np.r_[0:j, j + 1 : k]
            low = (weights[others] - cost[j, others]).max()
            high = (weights[others] + cost[others, j]).min()
            weights[j] = (low + high) / 2.0
    return weights


def _means(xy, mult, groups, k) -> np.ndarray:
    total = np.bincount(groups, weights=mult, minlength=k)
    sums = [np.bincount(groups, weights=mult * xy[:, c], minlength=k) for c in (0, 1)]
    return np.column_stack(sums) / np.maximum(total, 1e-300)[:, None]


def _balanced_diagram(xy, mult, targets, size: float, progress: Progress, total: int):
    """Centres and weights of a capacity-constrained centroidal power diagram."""
    k = targets.size
    groups = _bisect(xy, mult, targets)
    centres, weights = _means(xy, mult, groups, k), np.zeros(k)
    for step in range(_LLOYD_STEPS):
        dist2 = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        groups = _rebalance(dist2, mult, targets, (dist2 - weights).argmin(axis=1))
        weights = _separating_weights(dist2, groups, k)  # warm start of the next step
        if progress:
            progress(step + 1, total)
        moved = _means(xy, mult, groups, k)
        if step == _LLOYD_STEPS - 1 or np.abs(moved - centres).max() < _LLOYD_TOL * size:
            break
        centres = moved
    return centres, _separating_weights(dist2, groups, k, sweeps=_CENTRING_SWEEPS)


# ---------------------------------------------------------------------------------- cells


def _lines(centres, weights, box):
    """Line table: bisector (a, b) at a·k + b, box sides at k² + 0..3; x on a's side ⇔ n·x ≤ d."""
    n = 2.0 * (centres[None, :, :] - centres[:, None, :])
    level = (centres**2).sum(axis=1) - weights
    d = level[None, :] - level[:, None]
    xmin, ymin, xmax, ymax = box
    side_n = np.array([[0.0, -1.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    side_d = np.array([-ymin, xmax, ymax, -xmin])
    return np.r_[n.reshape(-1, 2), side_n], np.r_[d.reshape(-1), side_d]


def _vertices(p, q, normals, offsets, k):
    """Vertices where lines p and q meet, computed once per triple of parts (shared exactly)."""
    kk = k * k
    both = (p < kk) & (q < kk)
    v = np.sort(np.column_stack([p // k, p % k, q // k, q % k]), axis=1)
    mid = np.where(v[:, 0] == v[:, 1], v[:, 2], v[:, 1])
    p, q = (
        np.where(both, v[:, 0] * k + mid, np.minimum(p, q)),
        np.where(both, v[:, 0] * k + v[:, 3], np.maximum(p, q)),
    )
    (a, b), (c, e) = normals[p].T, normals[q].T
    f, g = offsets[p], offsets[q]
    det = a * e - b * c
    return np.column_stack([(f * e - g * b) / det, (a * g - c * f) / det])


def _clip(vertices, lines, normal, offset, line):
    """Sutherland–Hodgman step of a convex cell; ``lines[t]`` is the line of edge t → t + 1."""
    s = vertices @ normal - offset
    out_v, out_l = [], []
    m = len(vertices)
    for t in range(m):
        u = (t + 1) % m
        if s[t] <= 0:
            out_v.append(vertices[t])
            out_l.append(lines[t])
        if (s[t] <= 0) != (s[u] <= 0):  # the edge crosses the line: s[t] != s[u]
            out_v.append(vertices[t] + s[t] / (s[t] - s[u]) * (vertices[u] - vertices[t]))
            out_l.append(line if s[t] <= 0 else lines[t])
    return np.array(out_v), np.array(out_l, dtype=np.int64)


def _power_edges(centres, weights, box) -> np.ndarray:
    """Edges of the convex power cells clipped to ``box``, each once, densified.

    The cells' vertices are computed once per triple of parts, so neighbours share them
    exactly; each shared edge is kept once and densified once, so both sides get the same
    intermediate vertices.
    """
    k = len(centres)
    normals, offsets = _lines(centres, weights, box)
    length = np.hypot(normals[:, 0], normals[:, 1])
    xmin, ymin, xmax, ymax = box
    corners = np.array([[xmin, ymin], [xmax, ymin], [xmax, ymax], [xmin, ymax]])
    rings = []
    for i in range(k):
        others = np.r_[0:i, i + 1 : k]
        ids = np.minimum(i, others) * k + np.maximum(i, others)
        sign = np.where(others > i, 1.0, -1.0)
        n, d = normals[ids] * sign[:, None], offsets[ids] * sign
        vertices, lines = corners, k * k + np.arange(4)
        while len(vertices):
            over = ((vertices @ n.T - d) / length[ids]).max(axis=0)
            j = int(np.argmax(over))
            if over[j] <= _CLIP_TOL_M:
                break
            vertices, lines = _clip(vertices, lines, n[j], d[j], ids[j])
        with np.errstate(divide="ignore", invalid="ignore"):
            exact = _vertices(np.roll(lines, 1), lines, normals, offsets, k)
        lost = ~np.isfinite(exact).all(axis=1)  # parallel lines: degenerate, keep the clip's
        exact[lost] = vertices[lost]
        keep = np.r_[True, (exact[1:] != exact[:-1]).any(axis=1)]
        exact = exact[keep]
        rings.append(np.stack([exact, np.roll(exact, -1, axis=0)], axis=1))
    edges = np.concatenate(rings)
    swap = (edges[:, 0, 0] > edges[:, 1, 0]) | (
        (edges[:, 0, 0] == edges[:, 1, 0]) & (edges[:, 0, 1] > edges[:, 1, 1])
    )
    edges[swap] = edges[swap][:, ::-1]
    edges = np.unique(edges.reshape(-1, 4), axis=0).reshape(-1, 2, 2)
    edges = edges[(edges[:, 0] != edges[:, 1]).any(axis=1)]
    return shapely.segmentize(shapely.linestrings(edges), _DENSIFY_M)


def _dissolve(faces: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Union of the faces of each label (faces of one noding: an exact coverage)."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(k + 1))
    groups = (faces[order[bounds[j] : bounds[j + 1]]] for j in range(k))
    return np.array([shapely.coverage_union_all(g) for g in groups], dtype=object)


def _faces(area, edges, centres, weights, origin):
    """The area cut by the cell edges in one noding of all lines; each face labelled by its cell."""
    lines = shapely.union_all(np.r_[edges, shapely.boundary(shapely.get_parts(area))])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    rep = shapely.get_coordinates(shapely.point_on_surface(faces))
    shapely.prepare(area)
    inside = shapely.contains_xy(area, rep[:, 0], rep[:, 1])
    rep = rep[inside] - origin
    power = ((rep[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2) - weights
    return faces[inside], power.argmin(axis=1)


def _neighbours(geoms: np.ndarray):
    """Ordered pairs of polygons that share a border, and the border's length."""
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    left, right = left[left != right], right[left != right]
    border = shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right]))
    shared = shapely.length(border)
    return left[shared > 0], right[shared > 0], shared[shared > 0]


def _join_fragments(parts: np.ndarray, xy: np.ndarray, mult: np.ndarray, area) -> np.ndarray:
    """Give each detached piece of a part to the neighbour it shares the longest border with.

    A convex cell can cross a bay of a concave area; in each connected piece of the area (the
    mainland, an island) the part keeps its piece with most households, and its other pieces
    there join a neighbour. A part may so hold an island beside its piece on the mainland.
    """
    pieces, owner = shapely.get_parts(parts, return_index=True)
    if pieces.size == parts.size:
        return parts
    where = PolygonIndex(pieces).locate(xy[:, 0], xy[:, 1]).index
    found = where >= 0
    homes = np.bincount(where[found], weights=mult[found], minlength=pieces.size)
    land = shapely.get_parts(area)
    spot = shapely.get_coordinates(shapely.point_on_surface(pieces))
    island = PolygonIndex(land).locate(spot[:, 0], spot[:, 1]).index
    order = np.lexsort((-shapely.area(pieces), -homes, island, owner))
    first = np.r_[
        True, (owner[order][1:] != owner[order][:-1]) | (island[order][1:] != island[order][:-1])
    ]
    settled = np.zeros(pieces.size, dtype=bool)
    settled[order[first]] = True
    left, right, shared = _neighbours(pieces)
    label = owner.copy()
    for _ in range(pieces.size):
        todo = np.flatnonzero(~settled[left] & settled[right])
        if todo.size == 0:
            break
        todo = todo[np.lexsort((right[todo], -shared[todo], left[todo]))]
        first = todo[np.r_[True, left[todo][1:] != left[todo][:-1]]]
        label[left[first]] = label[right[first]]
        settled[left[first]] = True
    return _dissolve(pieces, label, parts.size)


def _cut(area, xy, mult, targets, progress: Progress = None, repair: bool = True):
    """GK parts of the area: balanced diagram, cells cut to the area, detached pieces joined."""
    k = targets.size
    origin = np.round(xy.mean(axis=0))
    size = float(np.sqrt(area.area / k))
    centres, weights = _balanced_diagram(
        xy - origin, mult, targets, size, progress, _LLOYD_STEPS + 2
    )
    xmin, ymin, xmax, ymax = np.asarray(area.bounds) - np.r_[origin, origin]
    pad = 0.01 * max(xmax - xmin, ymax - ymin) + 1.0
    box = (xmin - pad, ymin - pad, xmax + pad, ymax + pad)
    edges = shapely.transform(_power_edges(centres, weights, box), lambda c: c + origin)
    faces, labels = _faces(area, edges, centres, weights, origin)
    parts = _join_fragments(_dissolve(faces, labels, k), xy, mult, area)
    return _repair(parts, xy, mult, targets) if repair and k > 2 else parts


def _repair(parts, xy, mult, targets) -> np.ndarray:
    """Even out counts that detached pieces moved, by re-cutting pairs of neighbouring parts.

    A convex cell can reach across a bay of a concave area; its detached piece then joins a
    neighbour with its households. Like the transfers of :func:`_rebalance`, households then
    move from an over-full part to the nearest under-full one, one shared border at a time:
    each pair is cut again in two with the counts it should hold. A pair that cannot be cut
    so into two whole pieces (itself concave) is not tried again.
    """
    k = targets.size
    blocked = np.zeros((k, k), dtype=bool)
    for _ in range(4 * k):
        where = PolygonIndex(parts).locate(xy[:, 0], xy[:, 1]).index
        counts = np.bincount(where[where >= 0], mult[where >= 0], k)
        excess = counts - targets
        if np.abs(excess).max() < 0.5:
            break
        left, right, _ = _neighbours(parts)
        left, right = left[~blocked[left, right]], right[~blocked[left, right]]
        pred = np.full(k, -1)
        seen = frontier = excess > 0.5
        while frontier.any() and not (seen & (excess < -0.5)).any():  # breadth first
            step = frontier[left] & ~seen[right]
            pred[right[step]] = left[step]
            frontier = np.zeros(k, dtype=bool)
            frontier[right[step]] = True
            seen = seen | frontier
        sinks = np.flatnonzero(seen & (excess < -0.5))
        if sinks.size == 0:
            break
        node, path = sinks[0], []
        while pred[node] >= 0:
            path.append((pred[node], node))
            node = pred[node]
        amount = min(excess[node], -excess[sinks[0]], min(counts[g] - 1 for g, _ in path))
        if amount < 0.5:
            break
        trial = parts.copy()
        for give, take in path:  # sink side first: a part gives before it receives
            inside = (where == give) | (where == take)
            want = np.array([counts[give] - amount, counts[take] + amount], dtype=np.int64)
            pair = _recut(trial[give], trial[take], xy[inside], mult[inside], want)
            if pair is None:
                blocked[give, take] = blocked[take, give] = True
                break
            (trial[give], trial[take]), got = pair
            counts[give], counts[take] = want
            where[inside] = np.where(got == 0, give, take)
        else:
            parts = trial
    return parts


def _recut(give, take, xy, mult, want):
    """Cut two neighbouring parts again with ``want`` households; None where that fails.

    Returns the two new parts, ``give``'s first, and the side (0 or 1) of each household.
    """
    union = shapely.union_all([give, take])
    before = shapely.get_num_geometries([give, take]).sum()
    if len(xy) < 2 or shapely.get_num_geometries(union) >= before:
        return None  # no longer neighbours after an earlier cut on the path
    # The cut numbers its sides by position: try both, keep the one where ``give`` stays
    # where it was, so that the next pair on the path still shares a border.
    one, two = (_cut(union, xy, mult, w, repair=False) for w in (want, want[::-1]))
    kept = shapely.area(shapely.intersection(np.array([one[0], two[1]]), give))
    pair = one if kept[0] >= kept[1] else two[::-1]
    got = PolygonIndex(pair).locate(xy[:, 0], xy[:, 1]).index
    count = np.bincount(got[got >= 0], mult[got >= 0], 2)[0]
    split = shapely.get_num_geometries(pair).sum() > shapely.get_num_geometries(union) + 1
    return None if split or count != want[0] else (pair, got)


def split_balanced(village_or_grid, households_xy, k: int, progress: Progress = None, shares=None):
    """Split a village or grid into k compact parts with balanced household counts.

    Parameters
    ----------
    village_or_grid : shapely Polygon or MultiPolygon
        The area, in EPSG:4490 (a one-row GeoSeries or GeoDataFrame with that CRS also works).
    households_xy : array_like, shape (n, 2)
        Household longitude/latitude (EPSG:4490). Households outside the area, or with NaN
        coordinates, take no part and are counted nowhere.
    k : int
        Number of parts.
    progress : callable, optional
        ``progress(done, total)``.
    shares : sequence of float, optional
        Relative household shares of the parts (default: equal).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``part`` (0..k-1, in recursive-bisection order: close numbers are usually
        close parts), ``households`` (households located in the part; one on a shared edge
        counts in the lowest part) and the geometry, EPSG:4490. The parts are convex cells of a
        power diagram cut to the area, so they follow its boundary exactly and tile it; a part
        is one piece except where it also holds an island of the area. Counts hit their
        targets exactly unless many households share one location, or a very concave area
        (narrow spurs) leaves no straight cut that evens them out.

    Raises
    ------
    ValueError
        When the area is not a valid polygon in longitude/latitude, or has fewer distinct
        household locations than ``k``.
    """
    import geopandas as gpd

    area = _area(village_or_grid, "村或网格")
    xy = _households(households_xy)
    k = int(k)
    if k < 1:
        raise ValueError("网格数必须至少为 1")
    if shares is not None and len(shares) != k:
        raise ValueError("户数比例的个数必须等于网格数")
    total = _LLOYD_STEPS + 2
    if progress:
        progress(0, total)
    parts = np.array([area], dtype=object)
    if k > 1:
        frame = _GaussKruger(area)
        inside = shapely.intersects_xy(area, xy[:, 0], xy[:, 1])
        unique, mult = np.unique(frame.xy(xy[inside]), axis=0, return_counts=True)
        if len(unique) < k:
            raise ValueError(
                f"只有 {len(unique)} 个不同的户位置（{int(inside.sum())} 户），不能分成 {k} 个网格"
            )
        targets = _targets(int(mult.sum()), np.ones(k) if shares is None else shares)
        parts = frame.lonlat(_cut(frame.area, unique, mult.astype(np.float64), targets, progress))
    if progress:
        progress(total - 1, total)
    where = PolygonIndex(parts).locate(xy[:, 0], xy[:, 1]).index
    counts = np.bincount(where[where >= 0], minlength=k)
    result = gpd.GeoDataFrame(
        {"part": np.arange(k), "households": counts}, geometry=list(parts), crs=STORAGE_EPSG
    )
    if progress:
        progress(total, total)
    return result
