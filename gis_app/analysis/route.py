"""A short walking order through points: nearest-neighbour construction, then 2-opt.

Coordinates are planar metres (Gauss–Krüger); distances are straight lines, which is what a
worker can judge on a printed map without a road network.
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


def nearest_neighbour_order(x, y, start=None) -> np.ndarray:
    """Visit the nearest unvisited point each time, from ``start`` (see :func:`visit_route`)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(x)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    visited = np.zeros(n, dtype=bool)
    current = _start_index(x, y, start)
    for step in range(n):  # inherently sequential; each step is one vectorised distance row
        order[step] = current
        visited[current] = True
        if step == n - 1:
            break
        distance = np.hypot(x - x[current], y - y[current])
        distance[visited] = np.inf
        current = int(np.argmin(distance))
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


def two_opt(x, y, order, closed: bool = False, max_passes: int = 1000) -> np.ndarray:
    """Shorten a route by reversing segments until no reversal helps (the first point stays).

    Each pass computes the gain of every reversal at once and applies the best ones that do not
    share an edge, largest gain first, so long routes converge in a few dozen passes.

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
    order = np.asarray(order, dtype=np.int64).copy()
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


def visit_route(x, y, start=None, closed: bool = False) -> Route:
    """A short order to walk through the points: nearest neighbour, then 2-opt.

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
    order = two_opt(x, y, nearest_neighbour_order(x, y, start), closed)
    px, py = x[order], y[order]
    legs = np.hypot(np.diff(px, prepend=px[:1]), np.diff(py, prepend=py[:1]))
    return Route(order, legs, route_length(x, y, order, closed))
