"""Benchmark: the walking order of a visit list (nearest neighbour, then 2-opt and Or-opt).

Run ``python benchmarks/route_bench.py [--repeat 3]``. The points are a township in Gauss–Krüger
metres: 85 % of the households in hamlets of about 60 m spread (one per 60 households), the rest
scattered farms, on a square of 1 km² per 100 households. ``visit_route`` is timed beside the
implementation it replaced (copied below: nearest neighbour with a full distance row per step,
then exhaustive 2-opt), which is run only up to 1,500 points because it grows as n³ (about 21 s
at 4,500). Every figure is the median of ``--repeat`` runs; lengths are of the open route.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gis_app.analysis.route import nearest_neighbour_order, route_length, visit_route  # noqa: E402

#: CGCS2000 / 3-degree Gauss–Krüger zone 37 origin of the layout (about 111.0°E, 27.0°N).
E0, N0 = 37_500_000.0, 2_988_000.0
#: The baseline's smallest gain that counts (metres) and rows of its gain matrix at once.
_MIN_GAIN, _CHUNK = 1e-6, 256


def township(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` households (x, y in GK metres): hamlets and scattered farms, deterministic."""
    rng = np.random.default_rng(seed)
    side, hamlets = 1000 * np.sqrt(n / 100), max(3, n // 60)
    centres = rng.uniform(0, side, (hamlets, 2))
    clustered = int(0.85 * n)
    xy = np.r_[centres[rng.integers(0, hamlets, clustered)] + rng.normal(0, 60, (clustered, 2)),
               rng.uniform(0, side, (n - clustered, 2))]
    return xy[:, 0] + E0, xy[:, 1] + N0


def baseline_nearest_neighbour(x, y) -> np.ndarray:
    """The former nearest neighbour: one full distance row per step."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(x)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    visited = np.zeros(n, dtype=bool)
    current = int(np.lexsort((np.arange(n), y, x))[0])  # westernmost, as visit_route
    for step in range(n):  # inherently sequential; each step is one vectorised distance row
        order[step] = current
        visited[current] = True
        if step == n - 1:
            break
        distance = np.hypot(x - x[current], y - y[current])
        distance[visited] = np.inf
        current = int(np.argmin(distance))
    return order


def _baseline_best_moves(px: np.ndarray, py: np.ndarray, closed: bool) -> tuple[np.ndarray, ...]:
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


def baseline_two_opt(x, y, order, closed: bool = False, max_passes: int = 1000) -> np.ndarray:
    """The former exhaustive 2-opt: every reversal priced per pass, disjoint best ones applied."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    order = np.asarray(order, dtype=np.int64).copy()
    if len(order) < (4 if closed else 3):
        return order
    for _ in range(max_passes):
        best_j, gain = _baseline_best_moves(x[order], y[order], closed)
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



def baseline_route(x, y, closed: bool = False) -> np.ndarray:
    """The former ``visit_route`` order, from the westernmost point."""
    return baseline_two_opt(x, y, baseline_nearest_neighbour(x, y), closed)


def _timed(function, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_route(sizes=(500, 1500, 5000), repeat: int = 3, baseline_max: int = 1500
                ) -> list[dict]:
    """One row per size: seconds and metres of the new route, the baseline and nearest neighbour."""
    rows = []
    for n in sizes:
        x, y = township(n)
        seconds, route = _timed(lambda x=x, y=y: visit_route(x, y), repeat)
        greedy = route_length(x, y, nearest_neighbour_order(x, y))
        row = {"n": n, "seconds": seconds, "length": route.length, "nearest_neighbour": greedy,
               "base_seconds": None, "base_length": None}
        if n <= baseline_max:
            base, order = _timed(lambda x=x, y=y: baseline_route(x, y), repeat)
            row["base_seconds"], row["base_length"] = base, route_length(x, y, order)
        rows.append(row)
    return rows


def run_rows(repeat: int = 3) -> list[tuple[str, float, str, float | None]]:
    """The rows for ``benchmarks/run.py``: (what, seconds, baseline name, baseline seconds)."""
    out = []
    for row in bench_route(repeat=repeat):
        base = (f"former nearest neighbour + full 2-opt ({row['base_length'] / 1000:.1f} km)"
                if row["base_seconds"] is not None else "former full 2-opt: not run (n³)")
        out.append((f"visit_route: {row['n']:,} clustered households, open route "
                    f"({row['length'] / 1000:.1f} km; nearest neighbour alone "
                    f"{row['nearest_neighbour'] / 1000:.1f} km)", row["seconds"], base,
                    row["base_seconds"]))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1500, 5000])
    args = parser.parse_args(argv)
    print("| points | seconds | former full 2-opt seconds | route km | former route km "
          "| nearest neighbour km | vs former |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for row in bench_route(tuple(args.sizes), args.repeat):
        has_base = row["base_seconds"] is not None
        base = f"{row['base_seconds']:.3f}" if has_base else "not run"
        base_km = f"{row['base_length'] / 1000:.2f}" if has_base else ""
        ratio = f"{row['length'] / row['base_length'] - 1:+.1%}" if has_base else ""
        print(f"| {row['n']:,} | {row['seconds']:.3f} | {base} | {row['length'] / 1000:.2f} | "
              f"{base_km} | {row['nearest_neighbour'] / 1000:.2f} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
