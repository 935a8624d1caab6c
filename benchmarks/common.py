"""What the benchmarks share: the clock, and the counties kept in ``benchmarks/_work``."""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work"


def timed(function, repeat: int = 1, setup=None):
    """Median wall time of ``function()`` over ``repeat`` runs, and its last result.

    The previous run's result is dropped, and ``setup()`` (when given) called, before the
    clock starts: freeing what an earlier run made is not part of the run timed.
    """
    times, result = [], None
    for _ in range(repeat):
        result = None
        if setup is not None:
            setup()
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def county_copy(name: str, households: int) -> Path:
    """A project of ``households`` households for one benchmark (``NAME-N.gmp``), built once.

    Copied from the shared ``county-N.gmp`` when that exists (a benchmark that edits its
    county leaves the others' alone), else generated.
    """
    path = WORK / f"{name}-{households}.gmp"
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    built = WORK / f"county-{households}.gmp"
    if built.exists():
        shutil.copy(built, path)
    else:
        from gis_app.services.sample_service import create_sample_project

        create_sample_project(path, households=households).close()
    return path
