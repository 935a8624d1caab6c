"""Shared helpers of the synthetic county: random streams, text columns, dates, geometry types."""

from __future__ import annotations

import datetime as dt
import zlib

import numpy as np
import pandas as pd
import shapely


def rng_for(seed: int, stage: str) -> np.random.Generator:
    """Return an independent, reproducible random stream for one stage of the build.

    Parameters
    ----------
    seed : int
        The build seed.
    stage : str
        Name of the stage; each stage gets its own stream, so changing one stage does not
        shift the random numbers of the others.

    Returns
    -------
    numpy.random.Generator
    """
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(stage.encode("utf-8"))])


def text(labels, codes: np.ndarray) -> pd.arrays.ArrowStringArray:
    """Build a pandas ``str`` array as ``labels[codes]``; a negative code gives a missing value.

    Parameters
    ----------
    labels : sequence of str
        The distinct texts.
    codes : numpy.ndarray
        Integer positions into ``labels``; ``-1`` for missing.

    Returns
    -------
    pandas.api.extensions.ExtensionArray
        A string array of pandas' default ``str`` dtype.
    """
    table = pd.array(list(labels), dtype="str")
    return table.take(np.asarray(codes, dtype=np.int64), allow_fill=True)


def joined(*parts) -> pd.Series:
    """Concatenate string arrays element-wise (vectorised); missing in any part gives missing."""
    out = pd.Series(parts[0])
    for part in parts[1:]:
        out = out + pd.Series(part)
    return out


def day(value: str | dt.date) -> np.datetime64:
    """Return a date as ``numpy.datetime64[D]``."""
    return np.datetime64(value, "D")


def to_date_objects(days: np.ndarray) -> np.ndarray:
    """Convert ``datetime64[D]`` values to an object array of ``datetime.date`` (``None`` for NaT).

    The conversion goes through the distinct days only, so millions of rows share a few thousand
    date objects and the call stays fast.
    """
    days = np.asarray(days, dtype="datetime64[D]")
    out = np.full(days.shape, None, dtype=object)
    valid = ~np.isnat(days)
    if valid.any():
        number = days[valid].astype(np.int64)
        low = number.min()
        present = np.flatnonzero(np.bincount(number - low))
        lookup = np.zeros(present[-1] + 1, np.int64)
        lookup[present] = np.arange(len(present))
        table = np.empty(len(present), dtype=object)
        table[:] = [d.item() for d in (present + low).astype("datetime64[D]")]
        out[valid] = table[lookup[number - low]]
    return out


def nullable_int(values: np.ndarray, mask: np.ndarray | None = None) -> pd.arrays.IntegerArray:
    """Make an ``Int64`` array of ``values``; positions where ``mask`` is False are missing."""
    values = np.asarray(values, dtype=np.int64)
    missing = np.zeros(values.shape, bool) if mask is None else ~np.asarray(mask, bool)
    return pd.arrays.IntegerArray(values, missing)


def multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Return every polygonal geometry of ``geoms`` as a MultiPolygon (vectorised)."""
    geoms = np.asarray(geoms, dtype=object)
    parts, index = shapely.get_parts(geoms, return_index=True)
    keep = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    return shapely.multipolygons(parts[keep], indices=index[keep], out=None)


def allocate(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights``, each at least ``minimum``.

    Uses the largest-remainder method, so the parts always sum to ``total``.
    """
    weights = np.asarray(weights, dtype=float)
    n = len(weights)
    if total < minimum * n:
        raise ValueError(f"cannot split {total} into {n} parts of at least {minimum}")
    spare = total - minimum * n
    share = spare * weights / weights.sum()
    base = np.floor(share).astype(np.int64)
    rest = spare - base.sum()
    order = np.argsort(-(share - base), kind="stable")
    base[order[:rest]] += 1
    return base + minimum


def pick(rng: np.random.Generator, mask: np.ndarray, count: int) -> np.ndarray:
    """Choose ``count`` random True positions of ``mask`` (fewer if not enough); sorted."""
    candidates = np.flatnonzero(mask)
    count = min(int(count), len(candidates))
    return np.sort(rng.choice(candidates, size=count, replace=False)) if count else candidates[:0]
