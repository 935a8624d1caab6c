"""Process-wide settings: large numpy temporaries reuse the heap; the collector is kept out of
the imports' objects and paused during numeric bursts."""

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


def test_collection_is_paused_in_nested_and_concurrent_blocks_and_restored_after_the_last():
    import gc
    import threading

    from gis_app.runtime import collection_paused

    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()

    def other():
        with collection_paused():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=other)
    with collection_paused():
        assert not gc.isenabled()
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still runs
        worker.start()
        inside.wait(5)
    assert not gc.isenabled()  # the other thread's block still runs
    release.set()
    worker.join(5)
    assert gc.isenabled()
    gc.disable()  # off before: stays off after
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_collection_waits_until_an_exposure_is_done_and_is_on_again_after():
    """An exposure makes and drops thousands of geometries: with collection on, the young
    generation is collected dozens of times and, with data loaded, a full collection (up to
    45 ms) lands in one exposure of a few. Paused, the young generation is collected once, as
    the exposure returns, its temporaries already freed."""
    import gc

    import numpy as np
    import shapely

    from gis_app.analysis.exposure import forget_indexes, household_exposure

    rng = np.random.default_rng(3)
    centres = rng.uniform(0, 20_000, (600, 2))
    zones = shapely.buffer(shapely.points(centres), rng.uniform(50, 400, 600), quad_segs=6)
    import geopandas as gpd

    frame = gpd.GeoDataFrame({"kind": rng.choice(["洪涝", "滑坡"], 600),
                              "level": rng.integers(1, 5, 600)}, geometry=zones, crs=4525)
    x, y = rng.uniform(0, 20_000, 30_000), rng.uniform(0, 20_000, 30_000)
    collections = []

    def count(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        forget_indexes()
        exposed = household_exposure((x, y), frame, buffer_m=200.0)
    finally:
        gc.callbacks.remove(count)
    assert len(exposed) > 1000
    assert collections in ([], [0], [1])
    assert gc.isenabled()
