"""Process-wide settings the app and the command line make once, at start.

The allocator (:func:`tune_allocator`): glibc hands every block above 128 KB … 32 MB to
the kernel (``mmap``) and back (``munmap``) again, and gives the top of its heap back above
128 KB free; numpy's temporaries of a few MB (an exposure index's runs, a raster, a column)
are then mapped fresh each time and every page of them faulted in anew — 7,000 page faults,
a tenth of an exposure's time. Blocks up to 64 MB are kept on the heap and up to 128 MB of
free heap is kept for the next use instead: the process stays at its high-water mark, at
most that much above what it uses.

The collector (:func:`freeze_start_up`): the 100,000 objects the imports made (modules,
classes, functions) are walked by every full collection, 40 ms each, which lands in the middle
of whatever the user asked for; they live as long as the process and are moved out of its
sight once the imports are done.

The collector again (:func:`collection_paused`): objects made after start — a loaded project,
a benchmark's data — are still walked by every full collection, up to 45 ms each, and the
thousands of geometries an exposure makes and drops trigger one in every few exposures. Such
numeric work makes no reference cycles (numpy arrays and GEOS geometries are freed by their
reference counts), so collection is paused while it runs: its temporaries are freed before
any collection sees them, and none is promoted to be walked later.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import sys
import threading

#: glibc's ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Blocks up to this size come from the heap …
MMAP_THRESHOLD = 64 << 20
#: … and this much free heap is kept, not given back.
TRIM_THRESHOLD = 128 << 20

_tuned: bool | None = None


def tune_allocator() -> bool:
    """Keep numpy's large temporaries on the heap (glibc only; elsewhere nothing to do).

    Returns whether the allocator was tuned (once per process; later calls repeat the answer).
    """
    global _tuned
    if _tuned is not None:
        return _tuned
    _tuned = False
    if not sys.platform.startswith("linux"):
        return _tuned
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt
        return _tuned
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _tuned = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _tuned


def freeze_start_up() -> None:
    """Leave the objects made so far (the imports) out of every later collection.

    Called once the imports are done and before any data is loaded: a cycle among frozen
    objects is never freed, so nothing that is replaced later (a project, a frame) is frozen.
    """
    gc.collect()
    gc.freeze()


_pause_lock = threading.Lock()
_pauses = 0
_resume = False


@contextlib.contextmanager
def collection_paused():
    """Cyclic garbage collection off while the block runs (reference counting goes on).

    Re-entrant and shared by threads: collection comes back on when the last paused block
    ends, and only if it was on when the first began.
    """
    global _pauses, _resume
    with _pause_lock:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


def without_collection(function):
    """``function`` run with :func:`collection_paused` (for numeric kernels that make no cycles)."""
    @functools.wraps(function)
    def paused(*args, **kwargs):
        with collection_paused():
            return function(*args, **kwargs)
    return paused
