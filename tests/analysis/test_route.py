"""The walking order of a visit list: hand cases, 2-opt against nearest neighbour and random."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from gis_app.analysis.route import nearest_neighbour_order, route_length, two_opt, visit_route


def _length(points, order, closed=False) -> float:
    """Plain-Python length of a route, the reference for the vectorised code."""
    path = [points[i] for i in order] + ([points[order[0]]] if closed and order else [])
    return sum(math.dist(a, b) for a, b in itertools.pairwise(path))


def test_points_on_a_line_given_shuffled_come_back_in_line_order():
    x = np.array([7.0, 2, 9, 0, 4, 1, 8, 3, 6, 5]) * 100
    route = visit_route(x, np.zeros(10))
    assert x[route.order].tolist() == sorted(x)  # from the westernmost, eastwards
    assert route.length == pytest.approx(900)
    assert route.legs.tolist() == [0.0] + [100.0] * 9
    assert route.cumulative[-1] == pytest.approx(900)


def test_a_given_start_point_comes_first():
    x = np.array([3.0, 0, 2, 1])
    route = visit_route(x, np.zeros(4), start=(3.2, 0.1))
    assert x[route.order].tolist() == [3, 2, 1, 0]
    assert visit_route(x, np.zeros(4), start=2).order[0] == 2


def test_the_corners_of_a_square_give_its_perimeter():
    corners = [(0, 0), (100, 100), (100, 0), (0, 100)]  # given in a crossing order
    x, y = np.array(corners, float).T
    closed = visit_route(x, y, closed=True)
    assert closed.length == pytest.approx(400)
    walked = [corners[i] for i in closed.order]
    for a, b in zip(walked, walked[1:] + walked[:1], strict=True):
        assert math.dist(a, b) == pytest.approx(100)  # along the sides, never a diagonal
    assert visit_route(x, y).length == pytest.approx(300)  # open: three sides


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_inputs(n):
    x, y = np.arange(n, dtype=float) * 30, np.arange(n, dtype=float) * 40
    route = visit_route(x, y)
    assert sorted(route.order.tolist()) == list(range(n))
    assert route.length == pytest.approx(50.0 * max(n - 1, 0))
    assert len(route.legs) == n


def test_duplicate_points_are_all_visited_without_detours():
    x = np.array([0.0, 50, 0, 50, 0, 50])
    route = visit_route(x, np.zeros(6))
    assert sorted(route.order.tolist()) == list(range(6))
    assert route.length == pytest.approx(50)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("closed", [False, True])
def test_two_opt_is_never_longer_than_nearest_neighbour(seed, closed):
    rng = np.random.default_rng(seed)
    # Clustered, like hamlets of a village: the case where nearest neighbour leaves long jumps.
    centres = rng.uniform(0, 3000, (5, 2))
    points = centres[rng.integers(0, 5, 80)] + rng.normal(0, 120, (80, 2))
    x, y = points.T
    start = nearest_neighbour_order(x, y)
    improved = two_opt(x, y, start, closed=closed)
    assert sorted(improved.tolist()) == list(range(80))
    assert improved[0] == start[0]
    pts = [tuple(p) for p in points]
    assert _length(pts, improved.tolist(), closed) <= _length(pts, start.tolist(), closed) + 1e-6


def test_no_single_reversal_shortens_the_result():
    """Checked by brute force in plain Python: the result is a 2-opt local optimum."""
    rng = np.random.default_rng(11)
    points = [tuple(p) for p in rng.uniform(0, 1000, (40, 2))]
    x, y = np.array(points).T
    order = visit_route(x, y).order.tolist()
    best = _length(points, order)
    for i in range(1, len(order) - 1):
        for j in range(i + 1, len(order)):
            candidate = order[:i] + order[i : j + 1][::-1] + order[j + 1 :]
            assert _length(points, candidate) >= best - 1e-6


def test_much_shorter_than_a_random_order_on_200_points():
    rng = np.random.default_rng(2023)
    side = 5000.0
    x, y = rng.uniform(0, side, 200), rng.uniform(0, side, 200)
    route = visit_route(x, y)
    shuffled = _length(list(zip(x, y, strict=True)), rng.permutation(200).tolist())
    assert route.length < 0.2 * shuffled
    # Beardwood–Halton–Hammersley: an optimal tour of n uniform points is about 0.71·√(n·A);
    # a good route stays within reach of it.
    assert route.length < 0.95 * math.sqrt(200 * side * side)
    assert route.length == pytest.approx(_length(list(zip(x, y, strict=True)),
                                                 route.order.tolist()))


def test_the_same_input_gives_the_same_route():
    rng = np.random.default_rng(5)
    x, y = rng.uniform(0, 800, 120), rng.uniform(0, 800, 120)
    assert visit_route(x, y).order.tolist() == visit_route(x.copy(), y.copy()).order.tolist()


def test_route_length_matches_plain_python():
    rng = np.random.default_rng(3)
    points = rng.uniform(0, 100, (15, 2))
    order = rng.permutation(15)
    pts = [tuple(p) for p in points]
    assert route_length(*points.T, order) == pytest.approx(_length(pts, order.tolist()))
    assert route_length(*points.T, order, closed=True) == pytest.approx(
        _length(pts, order.tolist(), closed=True))


def test_bad_input_is_refused_in_chinese():
    with pytest.raises(ValueError, match="位置未知"):
        visit_route([0.0, np.nan], [0.0, 1.0])
    with pytest.raises(ValueError, match="个数不一致"):
        visit_route([0.0, 1.0], [0.0])
    with pytest.raises(ValueError, match="超出范围"):
        visit_route([0.0, 1.0], [0.0, 1.0], start=5)


def _hamlets(n: int, seed: int) -> np.ndarray:
    """A township's households: most in hamlets of ~60 m spread, the rest scattered farms."""
    rng = np.random.default_rng(seed)
    side, hamlets = 1000 * math.sqrt(n / 100), max(3, n // 60)
    centres = rng.uniform(0, side, (hamlets, 2))
    clustered = int(0.85 * n)
    return np.r_[centres[rng.integers(0, hamlets, clustered)] + rng.normal(0, 60, (clustered, 2)),
                 rng.uniform(0, side, (n - clustered, 2))]


def test_no_single_reversal_shortens_a_short_closed_route():
    rng = np.random.default_rng(12)
    points = [tuple(p) for p in rng.uniform(0, 1000, (30, 2))]
    x, y = np.array(points).T
    order = visit_route(x, y, closed=True).order.tolist()
    best = _length(points, order, closed=True)
    for i in range(1, len(order) - 1):
        for j in range(i + 1, len(order)):
            candidate = order[:i] + order[i : j + 1][::-1] + order[j + 1 :]
            assert _length(points, candidate, closed=True) >= best - 1e-6


@pytest.mark.parametrize("start", [None, 417])
def test_nearest_neighbour_matches_a_plain_search_on_many_points(start):
    # Hamlets, lone farms and a far-off group: the grid search, its wider rings and the fallback
    # to plain distances all come into play.
    points = np.r_[_hamlets(1500, 4), np.random.default_rng(4).normal(60_000, 30, (40, 2))]
    x, y = points.T
    current = int(np.lexsort((y, x))[0]) if start is None else start
    left, expected = np.ones(len(x), dtype=bool), []
    for _ in range(len(x)):  # the textbook loop: the nearest point not yet visited
        expected.append(current)
        left[current] = False
        distance = np.where(left, np.hypot(x - x[current], y - y[current]), np.inf)
        current = int(np.argmin(distance))
    assert nearest_neighbour_order(x, y, start).tolist() == expected


@pytest.mark.parametrize("closed", [False, True])
def test_a_township_list_is_a_local_optimum_for_near_moves(closed):
    """On 1,500 households no reversal or single move that joins a household to one of its ten
    nearest (found by brute force here) shortens the route."""
    points = _hamlets(1500, 8)
    x, y = points.T
    order = visit_route(x, y, closed=closed).order
    n = len(order)
    assert sorted(order.tolist()) == list(range(n))
    distance = np.hypot(x[:, None] - x, y[:, None] - y)
    np.fill_diagonal(distance, np.inf)
    near = np.argsort(distance, axis=1, kind="stable")[:, :10]
    pts = [tuple(p) for p in points]
    route = order.tolist()
    stop = route + [route[0]] if closed else route + [None]  # None: the open end, 0 m away
    position = {city: at for at, city in enumerate(route)}

    def d(a, b):
        return 0.0 if a is None or b is None else math.dist(pts[a], pts[b])

    for c in range(n):
        for t in near[c].tolist():
            i, j = sorted((position[c], position[t]))
            # Reverse i+1..j: edges (i, i+1) and (j, j+1) become (i, j) and (i+1, j+1).
            gain = d(stop[i], stop[i + 1]) + d(stop[j], stop[j + 1]) - d(stop[i], stop[j]) \
                - d(stop[i + 1], stop[j + 1])
            assert gain <= 1e-6
            p = position[c]
            if p == 0:
                continue  # the first point stays first
            # Take c out and put it after t: no shorter either.
            q = position[t]
            if q not in (p - 1, p):
                saved = d(stop[p - 1], stop[p]) + d(stop[p], stop[p + 1]) \
                    - d(stop[p - 1], stop[p + 1])
                added = d(stop[q], c) + d(c, stop[q + 1]) - d(stop[q], stop[q + 1])
                assert saved - added <= 1e-6


@pytest.mark.parametrize("closed", [False, True])
def test_a_township_list_is_much_shorter_than_nearest_neighbour(closed):
    points = _hamlets(3000, 21)
    x, y = points.T
    route = visit_route(x, y, start=(0.0, 0.0), closed=closed)
    pts = [tuple(p) for p in points]
    greedy = nearest_neighbour_order(x, y, (0.0, 0.0)).tolist()
    assert route.order[0] == greedy[0] == int(np.argmin(np.hypot(x, y)))
    assert route.length == pytest.approx(_length(pts, route.order.tolist(), closed))
    # Nearest neighbour strands long jumps back to missed hamlets; the moves remove most of them.
    assert route.length < 0.9 * _length(pts, greedy, closed)


def test_two_opt_untangles_a_random_order_of_many_points():
    points = _hamlets(1000, 2)
    x, y = points.T
    shuffled = np.random.default_rng(2).permutation(1000)
    improved = two_opt(x, y, shuffled)
    assert sorted(improved.tolist()) == list(range(1000))
    assert improved[0] == shuffled[0]
    pts = [tuple(p) for p in points]
    assert _length(pts, improved.tolist()) < 0.05 * _length(pts, shuffled.tolist())


def test_households_sharing_a_spot_are_visited_together_at_no_cost():
    points = _hamlets(600, 6)
    spots = np.random.default_rng(6).integers(0, 600, 400)  # 400 more at existing spots
    x, y = np.r_[points, points[spots]].T
    route = visit_route(x, y)
    assert sorted(route.order.tolist()) == list(range(1000))
    assert route.length == pytest.approx(visit_route(*points.T).length)
    # Every spot's households follow one another.
    place = {tuple(p): i for i, p in enumerate(points)}
    walked = [place[(x[i], y[i])] for i in route.order]
    runs = [a for a, b in itertools.pairwise(walked) if a != b] + [walked[-1]]
    assert len(runs) == len(set(runs)) == 600


def test_the_same_large_input_gives_the_same_route():
    x, y = _hamlets(2500, 9).T
    assert visit_route(x, y).order.tolist() == visit_route(x.copy(), y.copy()).order.tolist()
