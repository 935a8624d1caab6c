"""crossed_completely: a line crosses a polygon completely when it cuts it and ends outside."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.ops import split

from gis_app.analysis.line_crossing import crossed_completely

ROW = [shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10), shapely.box(20, 0, 30, 10)]


def _by_split(polygons, line) -> list[bool]:
    """The same question answered with shapely.ops.split, polygon by polygon.

    A piece of 0.01 m² or less (a corner grazed by the line) is no piece.
    """
    ends = [shapely.Point(line.coords[0]), shapely.Point(line.coords[-1])]
    return [not any(p.contains(e) for e in ends)
            and sum(g.area > 1e-2 for g in split(p, line).geoms) > len(shapely.get_parts(p))
            for p in polygons]


def test_lines_across_along_and_into_a_row_of_squares():
    cases = {
        ((5, 5), (15, -1)): [False, True, False],  # from inside A across B's corner
        ((-1, 5), (31, 5)): [True, True, True],  # right across all three
        ((10, -1), (10, 11)): [False, False, False],  # along the shared edge
        ((5, 5), (25, 5)): [False, True, False],  # starts in A, ends in C
        ((12, 5), (18, 5)): [False, False, False],  # inside B only
        ((-5, -5), (-1, -1)): [False, False, False],  # misses them all
    }
    for (start, end), expected in cases.items():
        line = shapely.LineString([start, end])
        assert crossed_completely(ROW, line).tolist() == expected, (start, end)
        assert _by_split(ROW, line) == expected


def test_a_bent_line_a_multipolygon_and_random_lines_agree_with_split():
    islands = shapely.MultiPolygon([shapely.box(0, 0, 4, 4), shapely.box(6, 0, 10, 4)])
    line = shapely.LineString([(2, -1), (2, 5)])  # cuts one island only
    assert crossed_completely([islands], line).tolist() == [True]
    bent = shapely.LineString([(5, 5), (15, 11), (15, -1)])  # enters B from above after A
    assert crossed_completely(ROW, bent).tolist() == [False, True, False]
    rng = np.random.default_rng(7)
    for _ in range(200):
        xy = rng.uniform(-5, 35, size=(2, 2))
        line = shapely.LineString(xy)
        assert crossed_completely(ROW, line).tolist() == _by_split(ROW, line), xy.tolist()
