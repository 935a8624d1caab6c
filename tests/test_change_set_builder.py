"""The change-set builder follows EntityChange.then, one action at a time, in linear time."""

from __future__ import annotations

import time

import numpy as np
import pytest

from gis_app.core.changes import ChangeSetBuilder, EntityChange


def folded(actions) -> EntityChange:
    """The same actions folded with :meth:`EntityChange.then` (the rule the builder keeps)."""
    change = EntityChange()
    for action, ids in actions:
        parts = {"insert": (ids, set(), set()), "update": (set(), ids, set()),
                 "delete": (set(), set(), ids)}[action]
        change = change.then(EntityChange(*(frozenset(p) for p in parts)))
    return change


@pytest.mark.parametrize("seed", range(40))
def test_random_sequences_match_then(seed):
    rng = np.random.default_rng(seed)
    actions = []
    for _ in range(int(rng.integers(1, 12))):
        action = ("insert", "update", "delete")[int(rng.integers(3))]
        ids = {int(i) for i in rng.integers(0, 8, size=int(rng.integers(1, 4)))}
        actions.append((action, ids))
    builder = ChangeSetBuilder()
    for action, ids in actions:
        builder.add("household", action, ids)
    expected = folded(actions)
    assert builder.build()["household"] == expected
    assert ("household" in builder.build()) == bool(expected)


def test_many_single_row_changes_take_linear_time():
    builder = ChangeSetBuilder()
    start = time.perf_counter()
    for i in range(50_000):
        builder.add("household", "update", i)
    assert time.perf_counter() - start < 2.0  # quadratic would take minutes
    assert builder.build()["household"].updated == frozenset(range(50_000))
