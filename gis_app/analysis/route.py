"""A short walking order through points: nearest-neighbour construction, then 2-opt and Or-opt.

Coordinates are planar metres (Gauss–Krüger); distances are straight lines, which is what a
worker can judge on a printed map without a road network. Moves only join a point to one of its
nearest neighbours (found on a grid), so a township's 5,000 households take well under a second;
short lists (up to 300 points) finish with the exhaustive 2-opt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A reversal must shorten the route by more than this (metres) to count; without a tolerance,
#: rounding lets zero-gain moves between duplicate points loop forever.
_MIN_GAIN = 1e-6
#: Rows of the gain matrix computed at once, which bounds the memory of long routes.
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
_CELL_LOAD = 2.5


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
    for _ in range(2):  # shrink the cells where points crowd (hamlets), within reason
        rows = int(np.ptp(y) / size) + 2
        cells = np.floor((x - x0) / size).astype(np.int64) * rows + np.floor((y - y0) / size)
        load = (np.unique(cells, return_counts=True)[1] ** 2).sum() / n
        size = max(size * np.sqrt(_CELL_LOAD / load), span / (4 * n))
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
        ranked = np.lexsort((other, gap, owner))
        owner, other, gap = owner[ranked], other[ranked], gap[ranked]
        size_of = np.bincount(owner, minlength=len(pending))
        start = np.cumsum(size_of) - size_of
        kth = gap[np.minimum(start + k - 1, len(gap) - 1)] if len(gap) else np.zeros(0)
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
    return _nearest_neighbour_order(x, y, _start_index(x, y, start) if len(x) else 0,
                                    _neighbours(x, y, _NEIGHBOURS))


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


def _decode(move, p: int, q: int, n: int, closed: bool) -> tuple[int, int, tuple]:
    """The first and last edge a move rewrites (edge e joins positions e-1 and e), and its plan."""
    if move[0] == "2opt":
        lo, hi = min(p, q), max(p, q)
        if move[1]:
            return lo + 1, hi + 1, (lo + 1, hi + 1)
        if closed and lo == 0:  # joining c and t across the way back to the start
            return hi, n, (hi, n)
        return lo, hi, (lo, hi)
    _, length, first, after = move
    s, e = (p, p + length - 1) if first else (p - length + 1, p)
    g = q if after else (q - 1) % n
    forward = first if after else not first
    if g > e:
        return s, g + 1, (s, e, g, forward)
    return g + 1, e + 1, (s, e, g, forward)


def _apply(order: np.ndarray, plan: tuple) -> None:
    """Carry out a decoded move in place."""
    if len(plan) == 2:  # reverse positions a..b-1
        a, b = plan
        order[a:b] = order[a:b][::-1]
        return
    s, e, g, forward = plan
    segment = order[s : e + 1] if forward else order[s : e + 1][::-1]
    if g > e:
        order[s : g + 1] = np.r_[order[e + 1 : g + 1], segment]
    else:
        order[g + 1 : e + 1] = np.r_[segment, order[g + 1 : s]]


def _gains(move, p, q, n: int, closed: bool, edge, gap) -> np.ndarray:
    """Vectorised length saved by ``move`` for points at positions ``p`` and neighbours at ``q``."""
    if move[0] == "2opt":
        lo, hi = np.minimum(p, q), np.maximum(p, q)
        if move[1]:
            a, b = lo + 1, hi + 1
        else:
            wrap = closed & (lo == 0)
            a, b = np.where(wrap, hi, lo), np.where(wrap, n, hi)
        gain = edge[a] + edge[b] - gap(a - 1, b - 1) - gap(a, b)
        return np.where(a >= 1, gain, -np.inf)
    _, length, first, after = move
    s, e = (p, p + length - 1) if first else (p - length + 1, p)
    g = q if after else q - 1
    if closed:
        g = np.where(g < 0, n - 1, g)
    valid = (s >= 1) & (e <= n - 1) & (g >= 0) & ((g < s - 1) | (g > e))
    s, e, g = np.clip(s, 1, n - 1), np.clip(e, 0, n - 1), np.clip(g, 0, n - 1)
    near, far = (s, e) if first else (e, s)  # c's end of the segment, and the other
    left, right = (near, far) if after else (far, near)  # next to order[g], next to order[g+1]
    gain = (edge[s] + edge[e + 1] + edge[g + 1]
            - gap(s - 1, e + 1) - gap(g, left) - gap(right, g + 1))
    return np.where(valid, gain, -np.inf)


def _improve(x, y, order, closed: bool, or_opt: bool, max_passes: int, neighbours) -> np.ndarray:
    """2-opt (and Or-opt) limited to moves that join a point to one of its near neighbours.

    Each pass prices every move of the points still worth a look at once, then applies the best
    move of each point, largest first, skipping those that touch a stretch already rewritten in
    the pass. Only the ends of rewritten edges and the skipped points are looked at again.
    """
    n = len(order)
    order = order.copy()
    if n < (4 if closed else 3) or neighbours.shape[1] == 0:
        return order
    moves = _variants(or_opt)
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    active = np.ones(n, dtype=bool)
    for _ in range(max_passes):
        cities = np.flatnonzero(active)
        if len(cities) == 0:
            break
        # Coordinates by position; position n is the start again (closed) or nowhere (open).
        px = np.r_[x[order], x[order[0]] if closed else np.nan]
        py = np.r_[y[order], y[order[0]] if closed else np.nan]

        def gap(i, j, px=px, py=py):
            return np.fmax(np.hypot(px[i] - px[j], py[i] - py[j]), 0.0)  # nowhere: 0 m

        edge = np.r_[0.0, gap(np.arange(n), np.arange(1, n + 1))]
        p = position[cities][:, None]
        q = position[neighbours[cities]]
        best, best_move = np.full(len(cities), -np.inf), np.zeros(len(cities), np.int64)
        best_column = np.zeros(len(cities), np.int64)
        rows = np.arange(len(cities))
        for index, move in enumerate(moves):
            gain = _gains(move, p, q, n, closed, edge, gap)
            column = np.argmax(gain, axis=1)
            gain = gain[rows, column]
            better = gain > best
            best[better], best_move[better], best_column[better] = gain[better], index, \
                column[better]
        chosen = np.flatnonzero(best > _MIN_GAIN)
        if len(chosen) == 0:
            break
        chosen = chosen[np.argsort(-best[chosen], kind="stable")]
        plans = zip(best_move[chosen].tolist(), p[chosen, 0].tolist(),
                    q[chosen, best_column[chosen]].tolist(), cities[chosen].tolist(), strict=True)
        taken = np.zeros(n + 2, dtype=bool)
        touched, skipped = [], []
        for index, at, other, city in plans:  # choosing disjoint moves; the pricing is vectorised
            first, last, plan = _decode(moves[index], at, other, n, closed)
            if taken[first : last + 1].any():
                skipped.append(city)
                continue
            taken[first : last + 1] = True
            ends = (first - 1, first, last - 1, last)
            if len(plan) == 4:
                ends += (plan[0], plan[1], plan[2], plan[2] + 1)
            touched.extend(order[np.array(ends) % n].tolist())
            _apply(order, plan)
        position[order] = np.arange(n)
        active[:] = False
        active[touched] = True
        active[skipped] = True
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
    return _shorten(x, y, order, closed, False, max_passes, _neighbours(x, y, _NEIGHBOURS)[0])


def _shorten(x, y, order, closed: bool, or_opt: bool, max_passes: int, neighbours) -> np.ndarray:
    order = _improve(x, y, order, closed, or_opt, max_passes, neighbours)
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
    near = _neighbours(x, y, _NEIGHBOURS)
    first = _start_index(x, y, start) if len(x) else 0
    order = _nearest_neighbour_order(x, y, first, near)
    order = _shorten(x, y, order, closed, True, 1000, near[0])
    px, py = x[order], y[order]
    legs = np.hypot(np.diff(px, prepend=px[:1]), np.diff(py, prepend=py[:1]))
    return Route(order, legs, route_length(x, y, order, closed))
