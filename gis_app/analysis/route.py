"""A short walking order through points: nearest-neighbour construction, then 2-opt and Or-opt.

Coordinates are planar metres (Gauss–Krüger); distances are straight lines, which is what a
worker can judge on a printed map without a road network. Moves only join a point to one of its
nearest neighbours (found on a grid), so a township's 5,000 households take well under a second;
short lists (up to 300 points) finish with the exhaustive 2-opt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A move must shorten the route by more than this (metres) to count; without a tolerance,
#: rounding lets zero-gain moves between duplicate points loop forever.
_MIN_GAIN = 1e-6
#: Rows of a gain or distance matrix computed at once, which bounds the memory of long routes.
_CHUNK = 256


@dataclass(frozen=True)
class Route:
    """A visiting order and its straight-line legs.

    Attributes
    ----------
    order : numpy.ndarray
        Indices into the input points, first visited first.
    legs : numpy.ndarray
        Metres from the previous point of the route (0 for the first).
    length : float
        Total metres (with the way back to the first point when the route is closed).
    """

    order: np.ndarray
    legs: np.ndarray
    length: float

    @property
    def cumulative(self) -> np.ndarray:
        """Metres walked on arriving at each point."""
        return np.cumsum(self.legs)


def route_length(x, y, order, closed: bool = False) -> float:
    """Length in metres of visiting the points in ``order`` (back to the first if ``closed``)."""
    order = np.asarray(order, dtype=np.int64)
    if len(order) < 2:
        return 0.0
    px, py = np.asarray(x, float)[order], np.asarray(y, float)[order]
    if closed:
        px, py = np.r_[px, px[:1]], np.r_[py, py[:1]]
    return float(np.hypot(np.diff(px), np.diff(py)).sum())


def _start_index(x: np.ndarray, y: np.ndarray, start) -> int:
    if start is None:  # westernmost, then southernmost, then first given
        return int(np.lexsort((np.arange(len(x)), y, x))[0])
    if np.ndim(start) == 0:
        index = int(start)
        if not 0 <= index < len(x):
            raise ValueError(f"起点序号{index}超出范围（共{len(x)}个点）")
        return index
    sx, sy = (float(v) for v in start)
    return int(np.argmin(np.hypot(x - sx, y - sy)))


#: Neighbours per point searched by the moves; 8–10 is the usual sweet spot, more barely helps.
_NEIGHBOURS = 10
#: Up to this many points the exhaustive 2-opt runs last, so short lists are a true 2-opt optimum.
_FULL_2OPT_MAX = 300
#: Rings of grid cells searched for neighbours before falling back to plain distances.
_RINGS = (1, 2, 4, 8)
#: Points per cell, as seen from a typical point, that the neighbour grid aims for.
_CELL_LOAD = 6.0


def _neighbours(x: np.ndarray, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest other points of every point, nearest first, and their distances.

    A grid of square cells sized to the local crowding: a point's candidates are the points of
    the cells within ``r`` rings around its own; they are exact once the ``k``-th is no farther
    than ``r`` cells, as nothing outside the rings can be nearer. The few points still short
    after eight rings (lone farms far from any hamlet) are compared with every point.
    """
    n = len(x)
    k = min(k, n - 1)
    neighbours, distances = np.zeros((n, max(k, 0)), np.int64), np.zeros((n, max(k, 0)))
    if k <= 0:
        return neighbours, distances
    x0, y0 = x.min(), y.min()
    span = max(np.ptp(x), np.ptp(y), 1e-9)
    size = max(np.sqrt(np.ptp(x) * np.ptp(y) / n), span / n)
    for _ in range(4):  # shrink the cells to where most points are (hamlets), within reason
        rows = int(np.ptp(y) / size) + 2
        cells = np.floor((x - x0) / size).astype(np.int64) * rows + np.floor((y - y0) / size)
        load = (np.unique(cells, return_counts=True)[1] ** 2).sum() / n
        if load <= 2 * _CELL_LOAD:
            break
        size = max(size * np.sqrt(_CELL_LOAD / load), span * 1e-6)
    pad = _RINGS[-1]
    cx = np.floor((x - x0) / size).astype(np.int64) + pad
    cy = np.floor((y - y0) / size).astype(np.int64) + pad
    width = int(cy.max()) + pad + 1
    keys = cx * width + cy
    by_cell = np.argsort(keys, kind="stable")
    cell_keys, first, count = np.unique(keys[by_cell], return_index=True, return_counts=True)
    pending = np.arange(n)
    for rings in _RINGS:
        if len(pending) == 0:
            break
        step = np.arange(-rings, rings + 1)
        wanted = ((cx[pending, None] + step)[:, :, None] * width
                  + (cy[pending, None] + step)[:, None, :]).reshape(len(pending), -1)
        slot = np.minimum(np.searchsorted(cell_keys, wanted), len(cell_keys) - 1)
        found = np.where(cell_keys[slot] == wanted, count[slot], 0).ravel()
        owner = np.repeat(np.repeat(np.arange(len(pending)), wanted.shape[1]), found)
        offset = np.arange(found.sum()) - np.repeat(np.cumsum(found) - found, found)
        other = by_cell[np.repeat(first[slot].ravel(), found) + offset]
        keep = other != pending[owner]
        owner, other = owner[keep], other[keep]
        gap = np.hypot(x[pending[owner]] - x[other], y[pending[owner]] - y[other])
        ranked = np.lexsort((gap, owner))  # stable: ties keep the (deterministic) cell order
        owner, other, gap = owner[ranked], other[ranked], gap[ranked]
        size_of = np.bincount(owner, minlength=len(pending))
        start = np.cumsum(size_of) - size_of
        kth = gap[np.minimum(start + k - 1, len(gap) - 1)] if len(gap) else np.inf
        done = (size_of >= k) & (kth <= rings * size)
        rank = np.arange(len(owner)) - start[owner]
        take = done[owner] & (rank < k)
        neighbours[pending[owner[take]], rank[take]] = other[take]
        distances[pending[owner[take]], rank[take]] = gap[take]
        pending = pending[~done]
    for lo in range(0, len(pending), _CHUNK):
        rows = pending[lo : lo + _CHUNK]
        gap = np.hypot(x[rows, None] - x[None, :], y[rows, None] - y[None, :])
        gap[np.arange(len(rows)), rows] = np.inf
        near = np.argpartition(gap, k - 1, axis=1)[:, :k]
        near_gap = np.take_along_axis(gap, near, axis=1)
        ranked = np.lexsort((near, near_gap), axis=1)
        neighbours[rows] = np.take_along_axis(near, ranked, axis=1)
        distances[rows] = np.take_along_axis(near_gap, ranked, axis=1)
    return neighbours, distances


def nearest_neighbour_order(x, y, start=None) -> np.ndarray:
    """Visit the nearest unvisited point each time, from ``start`` (see :func:`visit_route`).

    Ties go to the point given first.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64)
    first = _start_index(x, y, start)
    where, ux, uy = _locations(x, y)
    order = _nearest_neighbour_order(ux, uy, where[first], _neighbours(ux, uy, _NEIGHBOURS))
    return _expand(order, where, first)


def _locations(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct locations, numbered in order of first appearance, and each point's location.

    Households sharing a spot (one house, a village centroid) are walked to once and visited
    together, which also keeps them from crowding each other's neighbour lists.
    """
    by_place = np.lexsort((y, x))
    new = np.r_[True, (np.diff(x[by_place]) != 0) | (np.diff(y[by_place]) != 0)]
    group = np.empty(len(x), dtype=np.int64)
    group[by_place] = np.cumsum(new) - 1
    earliest = np.minimum.reduceat(by_place, np.flatnonzero(new))
    ranked = np.argsort(earliest, kind="stable")
    renumber = np.empty(len(ranked), dtype=np.int64)
    renumber[ranked] = np.arange(len(ranked))
    return renumber[group], x[earliest[ranked]], y[earliest[ranked]]


def _expand(route: np.ndarray, where: np.ndarray, first: int) -> np.ndarray:
    """Points in the order of their locations along ``route``, ``first`` first, then by index."""
    rank = np.empty(len(route), dtype=np.int64)
    rank[route] = np.arange(len(route))
    index = np.arange(len(where))
    return np.lexsort((index, index != first, rank[where]))


def _nearest_neighbour_order(x, y, current: int, near) -> np.ndarray:
    n = len(x)
    order = np.empty(n, dtype=np.int64)
    if n == 0:
        return order
    neighbours, distances = (a.tolist() for a in near)
    # A listed point nearer than the farthest listed one is the nearest of all; otherwise (its
    # whole neighbourhood already walked) search the points left, kept in given order for ties.
    bound = near[1][:, -1].tolist() if near[1].shape[1] else [0.0] * n
    visited = [False] * n
    left = np.arange(n)
    left_visited = np.zeros(n, dtype=bool)
    for step in range(n):  # inherently sequential; scalar steps, a numpy search when stuck
        order[step] = current
        visited[current] = True
        left_visited[current] = True
        if step == n - 1:
            break
        following = -1
        for other, gap in zip(neighbours[current], distances[current], strict=True):
            if not visited[other]:
                if gap < bound[current]:
                    following = other
                break
        if following < 0:
            if 2 * (n - step) < len(left):  # drop the walked points now and then
                left = left[~left_visited[left]]
            gap = np.hypot(x[left] - x[current], y[left] - y[current])
            gap[left_visited[left]] = np.inf
            following = int(left[np.argmin(gap)])
        current = following
    return order


def _variants(or_opt: bool) -> list[tuple]:
    """The moves tried for a point ``c`` and a neighbour ``t``; each makes them adjacent.

    ``("2opt", True)``: reverse so that ``t`` follows ``c``; ``("2opt", False)``: so that ``c``
    follows ``t``. ``("or", length, first, after)``: move the ``length`` points that begin
    (``first``) or end at ``c`` next to ``t``, after it or before it.
    """
    moves = [("2opt", True), ("2opt", False)]
    if or_opt:
        moves += [("or", length, first, after) for length in (1, 2, 3)
                  for first in ((True,) if length == 1 else (True, False))
                  for after in (True, False)]
    return moves


def _plans(move, p, q, n: int, closed: bool) -> tuple[np.ndarray, ...]:
    """Vectorised plans of ``move``: first and last edge rewritten, and ``(s, e, g, forward)``.

    Edge e joins positions e-1 and e. The plan puts positions s..e after position g (reversed
    unless ``forward``), or, when g < 0, reverses positions s..e-1.
    """
    if move[0] == "2opt":
        lo, hi = np.minimum(p, q), np.maximum(p, q)
        if move[1]:
            a, b = lo + 1, hi + 1
        else:
            wrap = closed & (lo == 0)  # joining c and t across the way back to the start
            a, b = np.where(wrap, hi, lo), np.where(wrap, n, hi)
        return a, b, a, b, np.full_like(a, -1), np.zeros_like(a)
    _, length, first, after = move
    s, e = (p, p + length - 1) if first else (p - length + 1, p)
    g = q if after else (q - 1) % n
    forward = np.full_like(s, first if after else not first)
    return np.where(g > e, s, g + 1), np.where(g > e, g + 1, e + 1), s, e, g, forward


def _apply(order: np.ndarray, s: int, e: int, g: int, forward: int) -> None:
    """Carry out a planned move in place."""
    if g < 0:
        order[s:e] = order[s:e][::-1]
        return
    segment = order[s : e + 1] if forward else order[s : e + 1][::-1]
    if g > e:
        order[s : g + 1] = np.r_[order[e + 1 : g + 1], segment]
    else:
        order[g + 1 : e + 1] = np.r_[segment, order[g + 1 : s]]


def _disjoint(first: np.ndarray, last: np.ndarray, n: int) -> np.ndarray:
    """Greedily, in the given order, the moves whose edge ranges overlap no move taken before.

    Long reversals block many others; rather than testing each of those in Python, the ones
    left are screened at once against everything taken so far, whenever a run of them clashes.
    """
    taken = np.zeros(n + 2, dtype=bool)
    accepted = np.zeros(len(first), dtype=bool)
    left = np.arange(len(first))
    while len(left):
        covered = np.r_[0, np.cumsum(taken)]
        left = left[covered[last[left] + 1] == covered[first[left]]]
        clashes, stop = 0, len(left)
        for at, (lo, hi) in enumerate(zip(first[left].tolist(), last[left].tolist(),
                                          strict=True)):
            if taken[lo : hi + 1].any():
                clashes += 1
                if clashes > 32:
                    stop = at
                    break
                continue
            taken[lo : hi + 1] = True
            accepted[left[at]] = True
        left = left[stop:]
    return accepted


def _gains(move, p, q, joined, n: int, closed: bool, edge, gap) -> np.ndarray:
    """Vectorised metres saved by ``move`` for points at positions ``p``, neighbours at ``q``.

    ``joined`` holds their distances: the new edge every move makes.
    """
    if move[0] == "2opt":
        lo, hi = np.minimum(p, q), np.maximum(p, q)
        if move[1]:
            a, b = lo + 1, hi + 1
            gain = edge[a] + edge[b] - joined - gap(a, b)
        else:
            wrap = closed & (lo == 0)
            a, b = np.where(wrap, hi, lo), np.where(wrap, n, hi)
            gain = edge[a] + edge[b] - gap(a - 1, b - 1) - joined
        return np.where(a >= 1, gain, -np.inf)
    _, length, first, after = move
    s, e = (p, p + length - 1) if first else (p - length + 1, p)
    g = q if after else q - 1
    if closed:
        g = np.where(g < 0, n - 1, g)
    valid = (s >= 1) & (e <= n - 1) & (g >= 0) & ((g < s - 1) | (g > e))
    s, e, g = np.clip(s, 1, n - 1), np.clip(e, 0, n - 1), np.clip(g, 0, n - 1)
    far = e if first else s  # the end of the segment away from c
    # After t: (t, c) and (far, next of t) are new; before t: (previous of t, far) and (c, t).
    new = gap(far, g + 1) if after else gap(g, far)
    gain = edge[s] + edge[e + 1] + edge[g + 1] - gap(s - 1, e + 1) - joined - new
    return np.where(valid, gain, -np.inf)


def _improve(x, y, order, closed: bool, or_opt: bool, max_passes: int, near) -> np.ndarray:
    """2-opt (and Or-opt) limited to moves that join a point to one of its near neighbours.

    Each pass prices every move of the points still worth a look at once, then applies the best
    move of each point, largest first, skipping those that touch a stretch already rewritten in
    the pass. Only the ends of rewritten edges and the skipped points are looked at again, and
    every point once more before stopping.
    """
    n = len(order)
    order = order.copy()
    neighbours, distances = near
    if n < (4 if closed else 3) or neighbours.shape[1] == 0:
        return order
    moves = _variants(or_opt)
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    active, full_check = np.ones(n, dtype=bool), False
    for _ in range(max_passes):
        cities = np.flatnonzero(active)
        if len(cities) == 0:  # neighbour lists are one-sided: check everything once more
            if full_check:
                break
            active[:], full_check = True, True
            continue
        full_check = len(cities) == n
        # Coordinates by position; position n is the start again (closed) or nowhere (open).
        at = np.r_[x[order] + 1j * y[order], x[order[0]] + 1j * y[order[0]] if closed else np.nan]

        def gap(i, j, at=at):
            return np.fmax(np.abs(at[i] - at[j]), 0.0)  # to nowhere: 0 m

        edge = np.r_[0.0, gap(np.arange(n), np.arange(1, n + 1))]
        p = position[cities][:, None]
        q = position[neighbours[cities]]
        joined = distances[cities]
        best, best_move = np.full(len(cities), -np.inf), np.zeros(len(cities), np.int64)
        best_column = np.zeros(len(cities), np.int64)
        rows = np.arange(len(cities))
        for index, move in enumerate(moves):
            gain = _gains(move, p, q, joined, n, closed, edge, gap)
            column = np.argmax(gain, axis=1)
            gain = gain[rows, column]
            better = gain > best
            best[better], best_move[better], best_column[better] = gain[better], index, \
                column[better]
        chosen = np.flatnonzero(best > _MIN_GAIN)
        if len(chosen) == 0 and full_check:
            break
        chosen = chosen[np.argsort(-best[chosen], kind="stable")]
        plans = [np.zeros(len(chosen), np.int64) for _ in range(6)]
        for index, move in enumerate(moves):
            mine = best_move[chosen] == index
            picked = chosen[mine]
            for plan, part in zip(plans, _plans(move, p[picked, 0], q[picked, best_column[picked]],
                                                n, closed), strict=True):
                plan[mine] = part
        accepted = _disjoint(plans[0], plans[1], n)
        first, last, s, e, g, forward = (plan[accepted] for plan in plans)
        # The ends of every rewritten edge get a fresh look, and so do the moves left out.
        ends = np.r_[first - 1, first, last - 1, last, s, e, g, g + 1]
        touched = order[ends[ends >= 0] % n]
        for move in zip(s.tolist(), e.tolist(), g.tolist(), forward.tolist(), strict=True):
            _apply(order, *move)  # disjoint stretches; their plans were priced at once
        position[order] = np.arange(n)
        active[:] = False
        active[touched] = True
        active[cities[chosen[~accepted]]] = True
    return order


def _best_moves(px: np.ndarray, py: np.ndarray, closed: bool) -> tuple[np.ndarray, ...]:
    """For every segment start ``i``, the end ``j`` whose reversal gains most, and the gain.

    Reversing ``route[i..j]`` replaces edges (i-1, i) and (j, j+1) by (i-1, j) and (i, j+1). On
    an open route the last point has no next edge, so reversing a tail only changes (i-1, i).
    The first point stays first.
    """
    n = len(px)
    if closed:
        nx, ny = np.r_[px[1:], px[:1]], np.r_[py[1:], py[:1]]
        after = np.hypot(px - nx, py - ny)  # edge (j, j+1), wrapping to the start
    else:
        nx, ny = np.r_[px[1:], np.nan], np.r_[py[1:], np.nan]
        after = np.r_[np.hypot(np.diff(px), np.diff(py)), 0.0]
    open_end = np.zeros(n, dtype=bool)
    if not closed:
        open_end[-1] = True
    best_j = np.zeros(n, dtype=np.int64)
    best_gain = np.zeros(n)
    columns = np.arange(n)
    for lo in range(1, n, _CHUNK):
        rows = np.arange(lo, min(lo + _CHUNK, n))
        ax, ay = px[rows - 1][:, None], py[rows - 1][:, None]  # point before the segment
        bx, by = px[rows][:, None], py[rows][:, None]  # first point of the segment
        old = np.hypot(ax - bx, ay - by) + after[None, :]
        new = np.hypot(ax - px[None, :], ay - py[None, :])
        tail = np.hypot(bx - nx[None, :], by - ny[None, :])
        new = new + np.where(open_end[None, :], 0.0, tail)
        gain = old - new
        gain[columns[None, :] <= rows[:, None]] = -np.inf  # segments of two points or more
        j = np.argmax(gain, axis=1)
        best_j[rows] = j
        best_gain[rows] = gain[np.arange(len(rows)), j]
    return best_j, best_gain


def _full_two_opt(x: np.ndarray, y: np.ndarray, order: np.ndarray, closed: bool,
                  max_passes: int) -> np.ndarray:
    """Exhaustive 2-opt: every reversal priced at once per pass, disjoint best ones applied."""
    order = order.copy()
    if len(order) < (4 if closed else 3):
        return order
    for _ in range(max_passes):
        best_j, gain = _best_moves(x[order], y[order], closed)
        candidates = np.flatnonzero(gain > _MIN_GAIN)
        if len(candidates) == 0:
            break
        candidates = candidates[np.argsort(-gain[candidates], kind="stable")]
        taken = np.zeros(len(order) + 1, dtype=bool)  # edges k = (k-1, k), k in 1..n
        for i in candidates:  # selecting disjoint moves; the gains above are vectorised
            j = int(best_j[i])
            if taken[i : j + 2].any():
                continue
            taken[i : j + 2] = True
            order[i : j + 1] = order[i : j + 1][::-1]
    return order


def two_opt(x, y, order, closed: bool = False, max_passes: int = 1000) -> np.ndarray:
    """Shorten a route by reversing segments until no reversal helps (the first point stays).

    Reversals that join a point to one of its nearest neighbours are priced for all points at
    once per pass and the best disjoint ones applied; up to 300 points, every reversal is then
    tried as well, so the result is a 2-opt local optimum there.

    Parameters
    ----------
    x, y : array-like
        Coordinates in metres.
    order : array-like of int
        The starting route (a permutation of the point indices).
    closed : bool
        The route returns to its first point.
    max_passes : int
        Safety bound on the passes.

    Returns
    -------
    numpy.ndarray
        The improved order; never longer than ``order``.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    order = np.asarray(order, dtype=np.int64)
    return _shorten(x, y, order, closed, False, max_passes, _neighbours(x, y, _NEIGHBOURS))


def _shorten(x, y, order, closed: bool, or_opt: bool, max_passes: int, near) -> np.ndarray:
    order = _improve(x, y, order, closed, or_opt, max_passes, near)
    if len(order) <= _FULL_2OPT_MAX:
        order = _full_two_opt(x, y, order, closed, max_passes)
    return order


def visit_route(x, y, start=None, closed: bool = False) -> Route:
    """A short order to walk through the points: nearest neighbour, then 2-opt and Or-opt.

    Parameters
    ----------
    x, y : array-like
        Planar coordinates in metres (e.g. Gauss–Krüger); duplicates are allowed.
    start : int or (float, float), optional
        The index of the first point, or a location whose nearest point comes first;
        None: the westernmost point.
    closed : bool
        Come back to the first point (its leg is counted in ``length``, not in ``legs``).

    Returns
    -------
    Route
        Deterministic for the same input.

    Raises
    ------
    ValueError
        Coordinates of different lengths, or not finite.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("x、y坐标的个数不一致")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("坐标中有空值或无效值，位置未知的点不能参与路线计算")
    if len(x) == 0:
        return Route(np.zeros(0, dtype=np.int64), np.zeros(0), 0.0)
    first = _start_index(x, y, start)
    where, ux, uy = _locations(x, y)
    near = _neighbours(ux, uy, _NEIGHBOURS)
    order = _nearest_neighbour_order(ux, uy, where[first], near)
    order = _expand(_shorten(ux, uy, order, closed, True, 1000, near), where, first)
    px, py = x[order], y[order]
    legs = np.hypot(np.diff(px, prepend=px[:1]), np.diff(py, prepend=py[:1]))
    return Route(order, legs, route_length(x, y, order, closed))
