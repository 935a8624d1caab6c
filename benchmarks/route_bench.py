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
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import timed  # noqa: E402
from gis_app.analysis.route import (  # noqa: E402
    _full_two_opt,
    nearest_neighbour_order,
    route_length,
    visit_route,
)

#: CGCS2000 / 3-degree Gauss–Krüger zone 37 origin of the layout (about 111.0°E, 27.0°N).
E0, N0 = 37_500_000.0, 2_988_000.0


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


def baseline_route(x, y, closed: bool = False) -> np.ndarray:
    """The former ``visit_route`` order, from the westernmost point."""
    order = baseline_nearest_neighbour(x, y)
    # The exhaustive 2-opt the module still applies to short lists (≤ 300 stops).
    return _full_two_opt(np.asarray(x, float), np.asarray(y, float), order, closed, 1000)



def bench_route(sizes=(500, 1500, 5000), repeat: int = 3, baseline_max: int = 1500
                ) -> list[dict]:
    """One row per size: seconds and metres of the new route, the baseline and nearest neighbour."""
    rows = []
    for n in sizes:
        x, y = township(n)
        seconds, route = timed(lambda x=x, y=y: visit_route(x, y), repeat)
        greedy = route_length(x, y, nearest_neighbour_order(x, y))
        row = {"n": n, "seconds": seconds, "length": route.length, "nearest_neighbour": greedy,
               "base_seconds": None, "base_length": None}
        if n <= baseline_max:
            base, order = timed(lambda x=x, y=y: baseline_route(x, y), repeat)
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
