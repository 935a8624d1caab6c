"""The allocator setting made at start: large numpy temporaries reuse the heap."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, resource, sys
import numpy as np
from gis_app.runtime import tune_allocator
tuned = tune_allocator() if sys.argv[1] == "tuned" else False
def work():  # 8 MB and 40 MB arrays made and dropped, as an exposure's temporaries are
    for _ in range(10):
        small, large = np.ones(1 << 20), np.ones(5 << 20)
        del small, large
work()  # the heap grows once
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
work()
after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
print(json.dumps({"tuned": tuned, "faults": after - before}))
"""


def probe(mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_large_temporaries_are_not_mapped_and_faulted_in_again_once_tuned():
    plain, tuned = probe("plain"), probe("tuned")
    assert tuned["tuned"] is True
    assert plain["faults"] > 1000  # the 40 MB arrays mapped and faulted in anew every time
    assert tuned["faults"] < plain["faults"] // 20  # the same heap reused


def test_tuning_twice_gives_the_same_answer():
    from gis_app.runtime import tune_allocator

    assert tune_allocator() == tune_allocator()


def test_the_objects_of_the_imports_are_left_out_of_later_full_collections():
    probe = """
import gc, json
import geopandas, shapely  # the data stack, as the app imports it before freezing
from gis_app.runtime import freeze_start_up
before = len(gc.get_objects())
freeze_start_up()
after = len(gc.get_objects())
print(json.dumps({"before": before, "after": after, "frozen": gc.get_freeze_count()}))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    counts = json.loads(done.stdout)
    assert counts["before"] > 20_000
    assert counts["frozen"] > counts["before"] // 2
    assert counts["after"] < counts["before"] // 10  # what a full collection walks now
