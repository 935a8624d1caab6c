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
