"""Fixtures of the analysis tests: random Voronoi layers and a slow, obviously correct oracle."""

from __future__ import annotations

import numpy as np
import pytest
import shapely


def voronoi_layer(
    seed: int, n: int = 300, bbox=(111.0, 27.0, 111.2, 27.15), vertices: int = 40
) -> np.ndarray:
    """A Voronoi tiling of ``n`` random seeds clipped to ``bbox``, edges densified."""
    rng = np.random.default_rng(seed)
    west, south, east, north = bbox
    box = shapely.box(*bbox)
    seeds = shapely.multipoints(np.c_[rng.uniform(west, east, n), rng.uniform(south, north, n)])
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box))
    cells = shapely.intersection(cells, box)
    return shapely.segmentize(cells, shapely.length(cells).mean() / vertices)


def locate_oracle(polygons, x, y, boundary: str = "assign") -> tuple[np.ndarray, np.ndarray]:
    """(index, covered_count) by testing every point against every polygon with shapely.

    index is the lowest polygon containing the point; with ``boundary="assign"`` a point in no
    interior but on some boundary goes to the lowest polygon it touches.
    """
    polygons = np.asarray(polygons, dtype=object)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    index = np.full(x.size, -1, dtype=np.int64)
    count = np.zeros(x.size, dtype=np.int8)
    ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    points = shapely.points(x[ok], y[ok])
    inside = np.zeros((ok.size, polygons.size), dtype=bool)
    touches = np.zeros_like(inside)
    for k, polygon in enumerate(polygons):
        if polygon is None or polygon.is_empty:
            continue
        inside[:, k] = shapely.contains(polygon, points)
        touches[:, k] = shapely.intersects(polygon, points)
    hits = inside.sum(axis=1)
    index[ok[hits > 0]] = inside[hits > 0].argmax(axis=1)
    count[ok] = np.minimum(hits, 2)
    if boundary == "assign":
        edge = (hits == 0) & touches.any(axis=1)
        index[ok[edge]] = touches[edge].argmax(axis=1)
        count[ok[edge]] = 1
    return index, count


@pytest.fixture(scope="session")
def oracle():
    return locate_oracle


@pytest.fixture(scope="session")
def make_voronoi():
    return voronoi_layer
