"""Hazard exposure of households and resettlement sites: which hazards reach each point, how badly.

The rules
---------
* A point is exposed to a hazard **zone** when it lies in the zone or, with ``buffer_m > 0``,
  within ``buffer_m`` metres of it (GEOS ``dwithin``: distance to the zone ≤ ``buffer_m``).
  A point exactly on a zone's boundary is inside (``intersects``, not ``contains``); a point in
  a hole of a (multi)polygon is not, unless the buffer reaches it.
* A point is exposed to a hazard **point** (地质灾害隐患点) when it lies within the point's
  threat radius plus ``buffer_m`` (distance ≤ radius + buffer, the circle's rim included).
  Points without a surveyed radius take their kind's default
  (:data:`gis_app.core.hazards.DEFAULT_THREAT_RADIUS_M`).
* Per point and hazard kind only the most severe level counts (level 1 极高 … 4 低): a
  household in a 低 flood zone and, further in, a 极高 one is exposed to 洪涝 at 极高, once.
* Distances are in the layers' CRS units, which must be metres (the project's Gauss–Krüger
  zone) whenever a distance is used; points and zones must share that CRS.

How it is fast
--------------
An :class:`ExposureIndex` is built once per set of hazards and distance and then locates any
number of points. It lays a raster over the hazards and classifies, per hazard, every cell as
*surely inside its reach*, *surely outside*, or *uncertain*:

* each hazard gets one GEOS buffer, its *inner polygon*, wholly within its reach: its rings
  first simplified by 5 % of the reach (which changes any point's distance to the zone by at
  most that much; the simplified rings have an eighth of the vertices, and GEOS buffers them
  ten times faster), then buffered at 98.5 % of the reach less the simplification (GEOS's
  buffers stray outwards by at most 1 %, its own input simplification). A zone without
  buffer is its own inner polygon;
* beyond the inner polygon lies a *band* holding the rest of the reach: the inner polygon
  holds the simplified zone grown by its distance less what its arcs' chords fall short
  (1.23 %, arcs of 5 segments a quarter), and a point's distance to a grown set, outside it,
  is exactly its distance to the set less the growth. So a point within reach is inside the
  inner polygon or within ``r + slack − r_in·(1 − 1.23 %)`` of its rings: 12.7 % of the
  reach (25.3 m at 200 m). (The same does not hold inwards, near a notch where two arcs meet:
  hence a buffer inside rather than a band on each side of one buffer at the reach.)
* the inner polygon's rings are cut with the raster rows. Each edge of an inner buffer,
  lengthened by the band at both ends and swept that far along its outward normal, covers
  every point outside within the band whose nearest point of the rings lies on the edge or
  at a corner it shares (the two squares at a corner span its outer angle); the cells it
  touches (measured along each axis) are uncertain. (A zone that is its own inner polygon,
  or a point, has its band on every side.) The cells between two uncertain ones along a row
  are wholly inside the inner polygon or wholly outside it and beyond the band, which the
  parity of ring crossings of the row's centre line tells: inside → sure, outside → out.
  Each run of consecutive edges of a ring within one row is kept, with its cells: the
  *chains* the exact tests measure to;
* the sure cells are painted into one integer raster holding, per kind, the most severe sure
  level (4 bits a kind); each uncertain (cell, hazard) pair is kept only when the hazard is
  more severe than the cell's sure level of its kind.

With much to build (at least :data:`_PARALLEL_FROM` vertices) the raster is laid out from the
hazards' bounds first, then the hazards are split in two halves, dealt heaviest first, each
bracketed and cut into runs on its own thread (GEOS and numpy let go of the GIL) and painted
together; many points are looked up in the raster in two halves, and their exact tests split
by hazard, so that no prepared geometry is ever used on two threads at once.

Locating is then one raster look-up per point; points in cells with uncertain hazards are
tested exactly against them: inside the inner polygon (prepared ``intersects``) → exposed;
farther than the band from every edge of the chains of its row that hold its cell (numpy,
no geometry made) → not; only the few in the band with GEOS ``dwithin``: on the zone's
rings when the inner polygon holds the zone (the point, outside it, is outside the zone;
GEOS then builds no point-in-polygon index for the zone), on the hazard itself otherwise.
The answers therefore equal GEOS's ``intersects`` / ``dwithin`` for every point.

Building and locating make thousands of geometries and drop them again, and no reference
cycles: cyclic garbage collection is paused meanwhile (:func:`gis_app.runtime.collection_paused`).
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np
import pandas as pd
import pyproj
import shapely
import xxhash

from gis_app.core.codes import HazardKind, HouseholdAttribute, MonitoringType
from gis_app.core.hazards import threat_radii
from gis_app.runtime import without_collection

Progress = Callable[[int, int], None] | None

#: Columns of :func:`household_exposure`'s frame.
EXPOSURE_COLUMNS = ["row", "kind", "level"]
#: Buffers' arcs: segments per quarter circle; their chords stray at most 1.23 % of the
#: distance inwards (1 − cos(π/20), half a segment's angle), GEOS's input simplification at
#: most 1 % outwards. Five (not GEOS's 16) leave a third of the buffers' vertices:
#: rasterising them and locating points in them costs by the vertex, buffering hardly
#: depends on it (measured against six: −3.6 ms of CPU a cold exposure, the band 0.7 m
#: wider at 200 m).
_QUAD_SEGS = 5
#: The inner polygon's shortfall (at least GEOS's input simplification, which only grows a
#: buffer), relative to the reach …
_MARGIN_IN = 0.015
#: … plus this much, in CRS units, for rounding.
_MARGIN_ABS = 1e-3
#: Zones are simplified (each ring by Douglas–Peucker, as a line from its first vertex back
#: to it) by this share of their reach before they are buffered; the inner buffer's
#: distance is narrowed, and the band beyond it widened, by as much. Why that is enough:
#: every vertex left
#: out lies within the tolerance of the chord that replaces it, and (the chain crossing every
#: perpendicular of the chord) every point of the chord within it of the chain, so moving
#: each point of the chain to its nearest point on its chord (at most the tolerance, the ends
#: fixed) turns each ring into its simplification without passing any point farther from
#: both; such a point is inside the zone exactly when inside the simplification, the two
#: boundaries are within the tolerance of each other, and so is any point's distance to the
#: zone and to its simplification. (GEOS simplifying a ring *as a ring* may drop its first
#: vertex too, against a chord already simplified: up to twice the tolerance.)
_SIMPLIFY = 0.05
#: How far a buffer's arcs (chords) fall short of the distance, as a share of it.
_SAGITTA = 1.0 - np.cos(np.pi / (4 * _QUAD_SEGS))
#: Tolerance, in cells, within which a ring is taken to touch a cell.
_EPS = 1e-6
#: Fractions of a cell by which the raster origin is shifted (irrational: never "round").
_SHIFT_X = (np.sqrt(5.0) - 1.0) / 2.0
_SHIFT_Y = np.sqrt(2.0) - 1.0
#: "No level" in the per-point matrix of levels.
_NONE = 255
#: A zone's rings are prepared (GEOS indexes their segments) when at least this many points
#: are measured to them in one locate; for fewer, GEOS's plain scan of the segments is
#: cheaper than building the index (measured: 15 → 10.5 ms of ``dwithin`` a cold exposure).
_PREPARE_RINGS_FROM = 6
#: Decoding codes through a table when they have at most this many bits (6 kinds × 3).
_TABLE_BITS = 18


def _geometry_array(values) -> np.ndarray:
    """Geometries as a 1-D object array, whatever container they came in."""
    if hasattr(values, "columns") and hasattr(values, "geometry"):
        values = values.geometry
    values = getattr(values, "values", values)
    values = getattr(values, "_data", values)
    return np.asarray(values, dtype=object).reshape(-1)


def _one_ring(geoms: np.ndarray) -> np.ndarray:
    """Which geometries are polygons of one ring (no holes): their coordinates are their ring.

    Most zones and most buffers are: their rings are read without making a Python object per
    part and ring (which holds the GIL, one thread waiting on the other).
    """
    return (shapely.get_type_id(geoms) == 3) & (shapely.get_num_interior_rings(geoms) == 0)


def _ring_table(geoms: np.ndarray):
    """Every ring of polygons and multipolygons, as coordinates.

    Returns ``order`` (the geometries' positions in the order the table holds them: those of
    one ring first), the rings' coordinates, each coordinate's ring, each ring's part and each
    part's geometry (its place in ``order``).
    """
    single = _one_ring(geoms)
    one, many = np.flatnonzero(single), np.flatnonzero(~single)
    coords_one, ring_one = shapely.get_coordinates(geoms[one], return_index=True)
    parts, part_geom = shapely.get_parts(geoms[many], return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords_many, ring_many = shapely.get_coordinates(rings, return_index=True)
    n_one = len(one)
    first = np.arange(n_one)
    return (np.r_[one, many], np.concatenate([coords_one, coords_many]),
            np.r_[ring_one, ring_many + n_one], np.r_[first, ring_part + n_one],
            np.r_[first, part_geom + n_one])


def _simplified(geoms: np.ndarray, tolerance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polygons with every ring simplified by ``tolerance``, and the tolerance kept.

    Rings are simplified as lines, first vertex fixed (see :data:`_SIMPLIFY`; GEOS would
    "repair" a polygon whose simplification is invalid, which can drop a part); a ring that
    would collapse is kept as it was; a geometry whose simplification is invalid is kept as
    it was, with tolerance 0.
    Points are kept as they are.
    """
    geoms = np.asarray(geoms, dtype=object)
    tolerance = np.asarray(tolerance, dtype=float).copy()
    polygon = np.isin(shapely.get_type_id(geoms), (3, 6)) & (tolerance > 0)
    tolerance[~polygon] = 0.0
    idx = np.flatnonzero(polygon)
    if not len(idx):
        return geoms, tolerance
    order, ring_coords, ring_of_coord, ring_part, part_geom = _ring_table(geoms[idx])
    idx = idx[order]  # the table's order of geometries
    n_rings, n_parts = len(ring_part), len(part_geom)
    simple = np.full(n_rings, None, dtype=object)
    drawn = np.flatnonzero(np.bincount(ring_of_coord, minlength=n_rings) > 0)
    lines = shapely.linestrings(ring_coords, indices=ring_of_coord if len(drawn) == n_rings
                                else np.searchsorted(drawn, ring_of_coord))
    simple[drawn] = shapely.simplify(lines, tolerance[idx][part_geom[ring_part[drawn]]],
                                     preserve_topology=False)
    # A ring that collapsed (a hole or islet within the tolerance) is kept as it was: every
    # ring stays within the tolerance of its own, which is all the margins need. A geometry
    # with an empty ring (GEOS allows an empty hole) is kept as it was.
    collapsed = shapely.get_num_coordinates(simple[drawn]) < 4
    simple[drawn[collapsed]] = lines[collapsed]
    ok = np.ones(len(idx), dtype=bool)
    empty = np.ones(n_rings, dtype=bool)
    empty[drawn] = False
    ok[part_geom[ring_part[empty]]] = False
    coords, coord_ring = shapely.get_coordinates(simple, return_index=True)
    counts = np.bincount(coord_ring, minlength=n_rings)
    offsets = (np.r_[0, np.cumsum(counts)],
               np.r_[0, np.cumsum(np.bincount(ring_part, minlength=n_parts))],
               np.r_[0, np.cumsum(np.bincount(part_geom, minlength=len(idx)))])
    out = np.array(geoms[idx], dtype=object)
    if ok.any():
        built = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords, offsets)
        valid = np.zeros(len(idx), dtype=bool)
        valid[ok] = shapely.is_valid(built[ok])
        out[valid] = built[valid]
        ok = valid
    result = geoms.copy()
    result[idx] = out
    tolerance[idx[~ok]] = 0.0
    return result, tolerance


#: Threads an index is built with (and its exact tests made on).
_THREADS = max(1, min(2, os.cpu_count() or 1))
#: Below this many vertices (or exact tests) one thread: no gain worth a thread's start.
_PARALLEL_FROM = 20_000
#: From this many points the raster is read in two halves of them, on two threads.
_PARALLEL_POINTS = 50_000
#: Rasters of at most this many cells keep a cell → slot table for locating.
_SLOT_CELLS = 4_000_000


#: Parts per thread the build is cut into: one (more parts would let a thread done early
#: take the next, but each part's fixed cost outweighed that, measured at 2, 3 and 5) …
_PARTS_PER_THREAD = 1
#: … and the exact tests of many points: one too (two, a thread done early taking the
#: next, measured 1–3 ms slower at 120,000 and 1,000,000 points).
_EXACT_PARTS_PER_THREAD = 1


def _parts(hazards: np.ndarray, weight: np.ndarray) -> list[np.ndarray]:
    """``hazards`` in parts of about equal ``weight`` (one part when small or on one core).

    Dealt out heaviest first, one to each part in turn: every part gets a like mix of kinds
    and shapes.
    """
    if _THREADS < 2 or int(weight[hazards].sum()) < _PARALLEL_FROM:
        return [hazards]
    n_parts = _THREADS * _PARTS_PER_THREAD
    dealt = hazards[np.argsort(-weight[hazards], kind="stable")]
    return [np.sort(dealt[i::n_parts]) for i in range(n_parts) if i < len(dealt)]


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _in_parallel(function, parts: list) -> list:
    """``function(part)`` for every part, on the module's threads when there are several."""
    global _POOL
    if len(parts) == 1:
        return [function(parts[0])]
    with _POOL_LOCK:
        if _POOL is None:  # kept for the process: no threads started per call
            _POOL = ThreadPoolExecutor(_THREADS, thread_name_prefix="exposure")
    return list(_POOL.map(function, parts))


def _repeat_ranges(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ranges of ``counts[i]`` integers from ``starts[i]``, and the owner ``i``."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(counts.size), counts)
    first = np.cumsum(counts) - counts
    values = np.arange(owner.size, dtype=np.int64) - np.repeat(first - starts, counts)
    return values, owner


@functools.lru_cache(maxsize=8)
def _decoding_table(n_kinds: int, bits: int) -> np.ndarray:
    """Levels per kind (``bits`` bits each, 0: none) of every code of ``n_kinds`` kinds.

    Made once per shape of code and shared by the indexes (read only).
    """
    values = np.arange(1 << (n_kinds * bits), dtype=np.int64)
    table = np.empty((len(values), max(n_kinds, 1)), dtype=np.uint8)
    for kind in range(n_kinds):
        table[:, kind] = (values >> (bits * kind)) & ((1 << bits) - 1)
    table[table == 0] = _NONE
    table.flags.writeable = False
    return table


def _narrow(values: np.ndarray) -> np.ndarray:
    """Integers as 32 bits when they fit (a smaller file to keep; read back as 64)."""
    return values.astype(np.int32) if not len(values) or int(values.max()) < (1 << 31) \
        else values


class ExposureIndex:
    """Where hazards reach, built once, located for many points.

    Parameters
    ----------
    geometries : array-like of shapely geometries
        Polygons, MultiPolygons (zones) and Points (hazard points), in metres when any reach
        is positive. Missing or empty geometries never match.
    kinds : array-like of int
        Kind code of each hazard, from 0 (at most 63 bits of codes: 21 kinds of levels 1–7).
    levels : array-like of int
        Severity of each hazard, 1 (most severe) … 254.
    reach : array-like of float
        How far each hazard reaches beyond its geometry (buffer, or threat radius + buffer);
        0 for a zone means the zone itself. Negative values are refused.
    target_cells : int, optional
        Raster cells; by default 10 per vertex of the hazards, 0.25–12 million.
        More cells leave fewer points to exact tests but take longer to build.
    """

    def __init__(self, geometries, kinds, levels, reach, target_cells: int | None = None):
        self._inputs(geometries, kinds, levels, reach)
        weight = shapely.get_num_coordinates(self.geometries)
        self._layout(target_cells, int(weight[self._usable].sum()))
        # Built in parts on two threads (GEOS and numpy let go of the GIL), each hazard
        # bracketed and cut into runs in one part only, without waiting for the others:
        # then painted together.
        self._paint(_in_parallel(self._build_part,
                                 _parts(np.flatnonzero(self._usable), weight)))

    def _build_part(self, hazards: np.ndarray):
        """The runs of ``hazards``, bracketed."""
        return self._runs(self._bracket(hazards))

    def _inputs(self, geometries, kinds, levels, reach) -> None:
        """The hazards checked and kept; the zones without reach are their own brackets."""
        self._exact_lock = threading.Lock()
        geoms = _geometry_array(geometries)
        kinds = np.asarray(kinds, dtype=np.int64).reshape(-1)
        levels = np.asarray(levels, dtype=np.int64).reshape(-1)
        reach = np.broadcast_to(np.asarray(reach, dtype=float), geoms.shape).copy()
        if not (len(kinds) == len(levels) == len(geoms)):
            raise ValueError("kinds, levels and geometries must have the same length")
        if len(levels) and (levels.min() < 1 or levels.max() >= _NONE):
            bad = levels[(levels < 1) | (levels >= _NONE)][0]
            raise ValueError(f"风险等级无效：{bad}（应为1–4或极高、高、中、低）")
        if len(kinds) and kinds.min() < 0:
            raise ValueError("kinds must be codes from 0")
        if np.any(~np.isfinite(reach) | (reach < 0)):
            bad = reach[~np.isfinite(reach) | (reach < 0)][0]
            raise ValueError(f"缓冲距离无效：{bad:g}（应为不小于0的米数）")
        self.geometries, self.kinds, self.levels, self.reach = geoms, kinds, levels, reach
        self.n_kinds = int(kinds.max()) + 1 if len(kinds) else 0
        # Codes: per kind the most severe sure level in ``bits`` bits, the top bit a flag.
        self._bits = int(levels.max()).bit_length() if len(levels) else 1
        used = self.n_kinds * self._bits + 1
        if used > 64:
            raise ValueError(f"灾害类型过多（{self.n_kinds}种）")
        self._dtype = np.dtype(next(f"uint{n}" for n in (8, 16, 32, 64) if used <= n))
        self._flag = self._dtype.type(1 << (8 * self._dtype.itemsize - 1))
        types = shapely.get_type_id(geoms)
        bounds = shapely.bounds(geoms)
        usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        usable &= np.isfinite(bounds).all(axis=1)
        bad = usable & ~np.isin(types, (0, 3, 6))
        if bad.any():
            raise ValueError("灾害要素应为面（隐患区）或点（隐患点）")
        self._usable = usable
        self._types = types
        # Zones without reach are their own inner polygon, tested exactly; anything else gets
        # an inner buffer wholly within its reach, and a band ``_near`` wide beyond it that
        # holds the rest of its reach (measured to the inner polygon's rings).
        self._plain = usable & (reach == 0) & (types != 0)
        self._inner = np.full(len(geoms), None, dtype=object)
        plain = np.flatnonzero(self._plain)
        self._inner[plain] = geoms[plain]
        self._near = np.zeros(len(geoms))
        #: Hazards whose inner polygon is a GEOS buffer (valid: its rings' sides are known).
        self._buffered = np.zeros(len(geoms), dtype=bool)

    # ------------------------------------------------------------------ kept on disk

    def to_arrays(self) -> dict[str, np.ndarray]:
        """What the index is built of beyond its inputs, as plain arrays (to keep it on disk).

        :meth:`from_arrays` with the same inputs makes the same index again, without buffers
        or raster to build.
        """
        own = np.flatnonzero(~self._plain & ~shapely.is_missing(self._inner))
        wkb = shapely.to_wkb(self._inner[own])
        return {"layout": np.array([self.cell_size, self.x0, self.y0, self.ncols, self.nrows],
                                   dtype=float),
                "codes": self._codes, "cand": self._cand, "cand_cells": self._cand_cells,
                "cand_start": self._cand_start, "chain_group": _narrow(self._chains[0]),
                "chain_lo": self._chains[1], "chain_hi": self._chains[2],
                "chain_first": _narrow(self._chains[3]), "chain_edges": _narrow(self._chains[4]),
                "chain_parts": self._chain_parts,
                "vertices": self._vertices, "near": self._near,
                "inner_at": own,
                "inner_wkb": np.frombuffer(b"".join(wkb), dtype=np.uint8),
                "inner_ends": np.cumsum([len(b) for b in wkb], dtype=np.int64)}

    @classmethod
    def from_arrays(cls, geometries, kinds, levels, reach,
                    arrays: dict[str, np.ndarray]) -> ExposureIndex:
        """The index of these hazards made again from :meth:`to_arrays`.

        Raises
        ------
        ValueError
            The arrays do not fit the hazards (another index's, or damaged).
        """
        index = cls.__new__(cls)
        index._inputs(geometries, kinds, levels, reach)
        n = len(index.geometries)
        try:
            at = np.asarray(arrays["inner_at"], dtype=np.int64)
            ends = np.asarray(arrays["inner_ends"], dtype=np.int64)
            data = np.asarray(arrays["inner_wkb"], dtype=np.uint8).tobytes()
            if len(at) != len(ends) or (len(at) and (at.min() < 0 or at.max() >= n)) \
                    or (len(ends) and ends[-1] != len(data)):
                raise ValueError("inner polygons do not fit")
            starts = np.r_[0, ends[:-1]]
            index._inner[at] = shapely.from_wkb([data[a:b] for a, b in
                                                 zip(starts.tolist(), ends.tolist(), strict=True)])
            layout = np.asarray(arrays["layout"], dtype=float)
            index.cell_size, index.x0, index.y0 = (float(v) for v in layout[:3])
            index.ncols, index.nrows = int(layout[3]), int(layout[4])
            index._codes = np.asarray(arrays["codes"])
            index._cand = np.asarray(arrays["cand"], dtype=np.int32)
            index._cand_cells = np.asarray(arrays["cand_cells"], dtype=np.int64)
            index._cand_start = np.asarray(arrays["cand_start"], dtype=np.int64)
            index._chains = (np.asarray(arrays["chain_group"], dtype=np.int64),
                             np.asarray(arrays["chain_lo"], dtype=np.int32),
                             np.asarray(arrays["chain_hi"], dtype=np.int32),
                             np.asarray(arrays["chain_first"], dtype=np.int64),
                             np.asarray(arrays["chain_edges"], dtype=np.int64))
            index._chain_parts = np.asarray(arrays["chain_parts"], dtype=np.int64)
            index._vertices = np.asarray(arrays["vertices"], dtype=float)
            index._near = np.asarray(arrays["near"], dtype=float)
        except (KeyError, IndexError, TypeError, shapely.errors.GEOSException) as error:
            raise ValueError(f"not this index's arrays: {error}") from error
        cells, starts = index._cand_cells, index._cand_start
        group, lo, hi, first, count = index._chains
        parts = index._chain_parts
        if (not np.isfinite(layout).all() or index.cell_size <= 0
                or index._codes.dtype != index._dtype
                or len(index._codes) != index.ncols * index.nrows
                or len(starts) != len(cells) + 1 or starts[0] != 0
                or starts[-1] != len(index._cand) or np.any(np.diff(starts) <= 0)
                or (len(cells) and (cells.min() < 0 or cells.max() >= len(index._codes)))
                or (len(index._cand) and (index._cand.min() < 0 or index._cand.max() >= n))
                or index._near.shape != (n,) or not np.isfinite(index._near).all()
                or index._vertices.ndim != 2 or index._vertices.shape[1] != 2
                or not (len(group) == len(lo) == len(hi) == len(first) == len(count))
                or (len(group) and (group.min() < 0 or group.max() >= n * index.nrows))
                or len(parts) < 2 or parts[0] != 0 or parts[-1] != len(group)
                or np.any(np.diff(parts) < 0)
                or any(np.any(np.diff(group[a:b]) < 0)
                       for a, b in zip(parts[:-1].tolist(), parts[1:].tolist(), strict=True))
                or (len(first) and (first.min() < 0 or count.min() < 1
                                    or (first + count).max() > len(index._vertices) - 1))):
            raise ValueError("the raster does not fit these hazards")
        present = index._inner[~shapely.is_missing(index._inner)]
        shapely.prepare(present[~shapely.is_empty(present)])
        index._lookups()
        return index

    def _bracket(self, hazards: np.ndarray):
        """Inner polygons of ``hazards`` (prepared), the bands beyond them, their rings.

        Why the band holds the rest of the reach: the inner polygon ``I`` (a GEOS buffer of
        the simplified zone ``S`` at ``r_in``, arcs by chords) holds ``S ⊕ D(r_in·(1 −
        sagitta))``, and a point's distance to ``S ⊕ D(ρ)`` outside it is exactly its
        distance to ``S`` less ρ. A point within the reach ``r`` of the zone is within
        ``r + slack`` of ``S``, so inside ``I`` or within ``r + slack − r_in·(1 − sagitta)``
        of its rings. (Inside ``I``, on the other hand, nearness to its rings says nothing
        sure: where two arcs meet in a notch the reach is thinner. Hence the inner polygon
        itself, within the reach by its narrowed distance.)
        """
        geoms, reach = self.geometries, self.reach
        buffered = hazards[~self._plain[hazards]]
        if len(buffered):
            shapes, slack = _simplified(geoms[buffered], _SIMPLIFY * reach[buffered])
            inner_reach = reach[buffered] * (1 - _MARGIN_IN) - slack - _MARGIN_ABS
            made = inner_reach > 0
            inner = np.full(len(buffered), None, dtype=object)
            inner[made] = shapely.buffer(shapes[made], inner_reach[made], quad_segs=_QUAD_SEGS)
            made[made] = ~shapely.is_empty(inner[made])  # (never, for a valid hazard)
            near = np.where(made, reach[buffered] + slack - inner_reach * (1 - _SAGITTA),
                            reach[buffered]) + 2 * _MARGIN_ABS
            # Too little reach for an inner buffer: a zone is its own inner polygon (the
            # band then being the whole reach), a hazard point has none.
            bare = ~made & (self._types[buffered] != 0)
            inner[bare] = geoms[buffered[bare]]
            self._inner[buffered] = inner
            self._near[buffered] = near
            self._buffered[buffered] = made
        inner = self._inner[hazards]
        present = inner[~shapely.is_missing(inner)]
        shapely.prepare(present[~shapely.is_empty(present)])
        return self._rings(hazards)

    # ------------------------------------------------------------------ building

    def _rings(self, hazards: np.ndarray):
        """Coordinates of the rings of ``hazards``' inner polygons, their hazards and holes.

        Returns the coordinates, each coordinate's ring, each ring's hazard and whether it is
        a hole. A hazard point without an inner polygon is a ring of one edge of no length.
        """
        inner = self._inner[hazards]
        has = ~shapely.is_missing(inner)
        polygons, owner = inner[has], hazards[has]
        order, coords, coord_ring, ring_part, part_geom = _ring_table(polygons)
        ring_hazard = owner[order[part_geom[ring_part]]].astype(np.int64)
        hole = np.ones(len(ring_part), dtype=bool)  # a part's first ring is its shell
        hole[np.flatnonzero(np.r_[True, ring_part[1:] != ring_part[:-1]])
             if len(ring_part) else slice(0, 0)] = False
        bare = hazards[~has]
        if len(bare):
            xy = shapely.get_coordinates(self.geometries[bare])
            coords = np.concatenate([coords, np.repeat(xy, 2, axis=0)])
            coord_ring = np.concatenate([coord_ring, len(ring_hazard)
                                         + np.repeat(np.arange(len(bare)), 2)])
            ring_hazard = np.concatenate([ring_hazard, bare.astype(np.int64)])
            hole = np.concatenate([hole, np.zeros(len(bare), dtype=bool)])
        return coords, coord_ring, ring_hazard, hole

    def _layout(self, target_cells: int | None, n_vertices: int) -> None:
        """The raster over every inner polygon and its band, known before any is made.

        An inner polygon lies within ``s + 1.01·r_in`` of its hazard (a buffer of its
        simplification, grown by at most GEOS's input simplification), its band within
        ``r + s − r_in·(1 − sagitta)`` of it (√2 times that at a lengthened edge's end):
        together less than 1.2 times the reach (and a zone or point without inner buffer is
        its own, its band the reach).
        """
        usable = self._usable
        if usable.any():
            bounds = shapely.bounds(self.geometries[usable])
            grow = np.where(self._plain[usable], 0.0, 1.25 * self.reach[usable]) \
                + 4 * _MARGIN_ABS
            grow += 1e-9 * np.abs(bounds).max(axis=1)  # rounding of far-off coordinates
            xmin, ymin = np.min(bounds[:, 0] - grow), np.min(bounds[:, 1] - grow)
            xmax, ymax = np.max(bounds[:, 2] + grow), np.max(bounds[:, 3] + grow)
        else:
            xmin = ymin = 0.0
            xmax = ymax = 1.0
        if target_cells is None:
            target_cells = int(np.clip(10 * n_vertices, 1 << 18, 12_000_000))
        width, height = max(xmax - xmin, 0.0), max(ymax - ymin, 0.0)
        extent = max(width, height, 1e-9 * max(abs(xmax), abs(ymax), 1.0))
        size = np.sqrt(max(width, extent * 1e-3) * max(height, extent * 1e-3) / target_cells)
        size = float(min(size, extent / 2.0))
        self.cell_size = size
        self.x0 = float(xmin - (1.0 + _SHIFT_X) * size)
        self.y0 = float(ymin - (1.0 + _SHIFT_Y) * size)
        self.ncols = int(np.ceil((xmax - self.x0) / size)) + 2
        self.nrows = int(np.ceil((ymax - self.y0) / size)) + 2

    def _runs(self, rings):
        """Runs of cells along rows, per hazard, from its rings; and the edges near each cell.

        A cell that a ring crosses, or that lies within the band beyond it (on the outer
        side of an inner buffer's rings, on every side of other rings; measured along each
        axis, a looser measure than the distance), is uncertain. The cells between two
        uncertain ones along a row are wholly inside the inner polygon (sure) or wholly
        outside it and beyond the band (out), which the parity of ring crossings of the
        row's centre line tells.

        Returns the sure runs ``(group, lo, hi)`` (``group`` being hazard × rows + row); the
        uncertain (cell, hazard) pairs as keys (the hazard in the low bits), sorted; the chains of
        the rings' edges along each row ``(group, lo, hi, first, count)`` sorted by group
        (``first`` the first edge's first vertex, ``count`` its edges); and the vertices.
        """
        coords, coord_ring, ring_hazard, ring_hole = rings
        ncols, nrows = self.ncols, self.nrows
        u = (coords[:, 0] - self.x0) / self.cell_size
        v = (coords[:, 1] - self.y0) / self.cell_size
        # Edges: consecutive coordinates of one ring; each with its band, in cells.
        edge_at = np.flatnonzero(coord_ring[:-1] == coord_ring[1:])
        ua, ub, va, vb = u[edge_at], u[edge_at + 1], v[edge_at], v[edge_at + 1]
        e_ring = coord_ring[edge_at]
        e_hazard = ring_hazard[e_ring]
        band = self._near[e_hazard] * (1.0 / self.cell_size)
        del u, v
        vlo, vhi = np.minimum(va, vb), np.maximum(va, vb)
        stride = ncols + 2
        # The band lies on the outer side of an inner buffer's rings (away from the polygon:
        # its interior is sure). Each edge, lengthened by the band at both ends, swept that
        # far along its outward normal covers every point outside within the band whose
        # nearest point of the rings is on the edge, or at a corner it shares (the two
        # squares at a corner span its outer angle). Elsewhere (a zone or point that is its
        # own inner polygon, an edge of no length) the band is taken on every side.
        du, dv = ub - ua, vb - va
        length = np.hypot(du, dv)
        twice_area = np.bincount(e_ring, weights=ua * vb - ub * va, minlength=len(ring_hole))
        one_sided = (self._buffered[e_hazard] & (length > 0)
                     & (np.abs(twice_area) > 1e-9)[e_ring])
        length = np.where(one_sided, length, 1.0)
        # The right-hand normal is outward on an anticlockwise shell or clockwise hole.
        side = np.where((twice_area > 0) != ring_hole, 1.0, -1.0)[e_ring] / length
        nx, ny = np.where(one_sided, dv * side, 0.0), np.where(one_sided, -du * side, 0.0)
        grow = np.where(one_sided, band / length, 0.0)
        pu, qu = ua - grow * du, ub + grow * du  # the lengthened edge
        pv, qv = va - grow * dv, vb + grow * dv
        # How far the swept edge reaches beyond the lengthened one: below, above, left,
        # right (every side by the band when not one-sided), and the rounding tolerance.
        below = np.where(one_sided, band * np.maximum(ny, 0.0), band) + _EPS
        above = np.where(one_sided, band * np.maximum(-ny, 0.0), band) + _EPS
        left = np.where(one_sided, band * np.maximum(-nx, 0.0), band) + _EPS
        right = np.where(one_sided, band * np.maximum(nx, 0.0), band) + _EPS
        del du, length, twice_area, one_sided, side, nx, ny, grow
        first = np.clip(np.floor(np.minimum(pv, qv) - above), 0, nrows - 1).astype(np.int64)
        last = np.clip(np.floor(np.maximum(pv, qv) + below), 0, nrows - 1).astype(np.int64)

        # Crossings of the rows' centre lines (half-open rule: parity = inside).
        c_first = np.ceil(vlo - 0.5).astype(np.int64)
        c_count = np.ceil(vhi - 0.5).astype(np.int64) - c_first
        crossing = np.flatnonzero(c_count > 0)
        c_rows, c_owner = _repeat_ranges(c_first[crossing], c_count[crossing])
        c_edge = crossing[c_owner]
        centre = c_rows + 0.5
        xa, qa = ua[c_edge], va[c_edge]
        xc = xa + (centre - qa) / (vb[c_edge] - qa) * (ub[c_edge] - xa)
        crossings = np.sort((e_hazard[c_edge] * nrows + c_rows) * stride
                            + np.clip(np.floor(xc), 0, ncols - 1).astype(np.int64), kind="stable")
        del c_first, c_count, crossing, c_rows, c_owner, c_edge, centre, xa, qa, xc

        # Pieces: each lengthened edge clipped to each row's band (the row grown by how far
        # the sweep reaches up and down), in the order the ring runs through them.
        rows, owner = _repeat_ranges(first, last - first + 1)
        down = pv[owner] > qv[owner]
        rows[down] = (first + last)[owner[down]] - rows[down]
        pa, pb, qa, qb = pu[owner], qu[owner], pv[owner], qv[owner]
        dv = qb - qa
        flat = dv == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            t0 = np.clip((rows - below[owner] - qa) / dv, 0.0, 1.0)
            t1 = np.clip((rows + 1.0 + above[owner] - qa) / dv, 0.0, 1.0)
        t0[flat], t1[flat] = 0.0, 1.0
        x0 = pa + t0 * (pb - pa)
        x1 = pa + t1 * (pb - pa)
        lo_x = np.minimum(x0, x1) - left[owner]
        hi_x = np.maximum(x0, x1) + right[owner]
        del pa, pb, qa, qb, dv, flat, t0, t1, x0, x1, down, ua, ub, va, vb, vlo, vhi
        del pu, qu, pv, qv, below, above, left, right

        # Consecutive pieces of a ring in one band make one run: a chain of consecutive
        # edges, whose cells run on (the merge below would join them anyway, after a sort
        # three times as long). The chains are kept for the exact tests: a point's near
        # edges are among those of the chains of its row whose cells hold the point's.
        p_ring = e_ring[owner]
        new_run = np.ones(len(rows), dtype=bool)
        new_run[1:] = (rows[1:] != rows[:-1]) | (p_ring[1:] != p_ring[:-1])
        run_at = np.flatnonzero(new_run)
        n_edges = (owner[np.r_[run_at[1:], len(owner)] - 1] - owner[run_at] + 1
                   if len(owner) else owner[:0])
        chain_first = edge_at[owner[run_at]]  # (the edges of a ring: consecutive vertices)
        rows, p_ring = rows[run_at], p_ring[run_at]
        if len(run_at):
            x_lo = np.minimum.reduceat(lo_x, run_at)
            x_hi = np.maximum.reduceat(hi_x, run_at)
        else:
            x_lo = x_hi = lo_x[:0]
        group = ring_hazard[p_ring] * nrows + rows
        c_lo = np.clip(np.floor(x_lo), 0, ncols - 1).astype(np.int64)
        c_hi = np.clip(np.floor(x_hi), 0, ncols - 1).astype(np.int64)
        del first, last, rows, owner, p_ring, new_run, run_at, x_lo, x_hi, lo_x, hi_x

        # Touched intervals merged per (hazard, row).
        # Sorted by (hazard, row, first cell): one key holding all four fields (the chain's
        # number last) sorts far faster than an argsort and four gathers (when it fits in
        # 63 bits).
        # (Fields by bits: shifts and masks unpack them faster than divisions.)
        c_bits, n_bits = int(stride).bit_length(), max(len(group) - 1, 1).bit_length()
        if len(group) and int(group.max()).bit_length() + 2 * c_bits + n_bits <= 62:
            key = np.sort((((group << c_bits | c_lo) << c_bits | c_hi) << n_bits)
                          | np.arange(len(group)), kind="stable")  # timsort: runs in order
            order = key & ((1 << n_bits) - 1)
            key >>= n_bits
            c_hi = key & ((1 << c_bits) - 1)
            key >>= c_bits
            c_lo = key & ((1 << c_bits) - 1)
            group = key >> c_bits
            del key
        else:
            order = np.lexsort((c_hi, c_lo, group))
            group, c_lo, c_hi = group[order], c_lo[order], c_hi[order]
        chains = (group, c_lo.astype(np.int32), c_hi.astype(np.int32), chain_first[order],
                  n_edges[order])
        del order, chain_first, n_edges
        reach_hi = np.maximum.accumulate(group * stride + c_hi) - group * stride
        start = np.ones(len(group), dtype=bool)
        start[1:] = (group[1:] != group[:-1]) | (c_lo[1:] > reach_hi[:-1] + 1)
        starts = np.flatnonzero(start)
        ends = np.r_[starts[1:] - 1, len(group) - 1] if len(group) else starts
        m_group, m_lo, m_hi = group[starts], c_lo[starts], reach_hi[ends]
        del group, c_lo, c_hi, reach_hi, start, starts, ends

        # Gaps between merged intervals of one (hazard, row): untouched, wholly in or out.
        same = np.flatnonzero(m_group[1:] == m_group[:-1])
        g_group, g_lo, g_hi = m_group[same], m_hi[same] + 1, m_lo[same + 1] - 1
        base = g_group * stride
        inside = (np.searchsorted(crossings, base + m_hi[same], "right")
                  - np.searchsorted(crossings, base, "left")) % 2 == 1
        # The uncertain (cell, hazard) pairs, as keys: the cell, then the hazard in the low
        # bits (:meth:`_hazard_bits`), sorted.
        cells, which = _repeat_ranges((m_group % nrows) * ncols + m_lo, m_hi - m_lo + 1)
        pairs = np.sort(cells << self._hazard_bits() | (m_group // nrows)[which],
                        kind="stable")
        return (g_group[inside], g_lo[inside], g_hi[inside]), pairs, chains, coords

    def _hazard_bits(self) -> int:
        """Bits a hazard's number takes in a (cell, hazard) key (cells ≤ 12 million: fits)."""
        return max(len(self.geometries) - 1, 1).bit_length()

    def _paint(self, parts) -> None:
        """The raster of sure levels, and the uncertain pairs where they matter.

        ``parts``: what :meth:`_runs` returned for each part of the hazards.
        """
        ncols, nrows = self.ncols, self.nrows
        n_cells = ncols * nrows
        # Sure cells painted, per kind, least severe first so that the most severe wins.
        kind_type = self._dtype.type
        self._codes = np.zeros(n_cells, dtype=self._dtype)
        sure_group, sure_lo, sure_hi = (np.concatenate(arrays) for arrays in
                                        zip(*(part[0] for part in parts), strict=True))
        sure_hazard = sure_group // nrows
        key = self.kinds[sure_hazard] * 256 + (255 - self.levels[sure_hazard])
        levels_mask = (1 << self._bits) - 1
        # The runs in order of (kind, level 4 … level 1), their cells made at once.
        order = np.argsort(key, kind="stable")
        key = key[order]
        counts = (sure_hi - sure_lo + 1)[order]
        cells, _ = _repeat_ranges(((sure_group % nrows) * ncols + sure_lo)[order], counts)
        first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else \
            np.zeros(0, dtype=np.int64)
        ends = np.cumsum(counts)
        bounds = np.r_[ends[first] - counts[first], len(cells)]
        for value, a, b in zip(key[first].tolist(), bounds[:-1].tolist(), bounds[1:].tolist(),
                               strict=True):
            kind, level = value // 256, 255 - value % 256
            shift = self._bits * kind
            keep = kind_type(~(levels_mask << shift) & ((1 << (8 * self._dtype.itemsize)) - 1))
            part = cells[a:b]
            self._codes[part] = (self._codes[part] & keep) | kind_type(level << shift)

        # Uncertain (cell, hazard) pairs, kept only where more severe than the cell's sure
        # level; by cell, then hazard (each part's sorted: merged by timsort).
        bits = self._hazard_bits()
        pairs = np.concatenate([part[1] for part in parts])
        cells, hazard = pairs >> bits, pairs & ((1 << bits) - 1)
        shift = (self.kinds[hazard] * self._bits).astype(self._dtype)
        sure = ((self._codes[cells] >> shift) & kind_type(levels_mask)).astype(np.int64)
        keep = (sure == 0) | (self.levels[hazard] < sure)
        if len(parts) > 1:
            pairs = np.sort(pairs[keep], kind="stable")
            cells, hazard = pairs >> bits, pairs & ((1 << bits) - 1)
        else:
            cells, hazard = cells[keep], hazard[keep]
        self._cand = hazard.astype(np.int32)
        #: Cells with uncertain hazards (sorted) and where their hazards start in ``_cand``.
        first = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]]) if len(cells) else \
            np.zeros(0, dtype=np.int64)
        self._cand_cells = cells[first]
        self._cand_start = np.r_[first, len(cells)].astype(np.int64)
        # The rings' chains of every part, by (hazard, row), and their vertices.
        vertex_at = np.cumsum([0] + [len(part[3]) for part in parts])
        n_chains = [len(part[2][0]) for part in parts]
        self._vertices = np.concatenate([part[3] for part in parts])
        group, lo, hi, first, count = (np.concatenate(arrays) for arrays in
                                       zip(*(part[2] for part in parts), strict=True))
        first += np.repeat(vertex_at[:-1], n_chains)
        #: The chains of consecutive edges of the inner polygons' rings along each row: its
        #: hazard × rows + row, its first and last cell in the row (grown by the band), its
        #: first edge's first vertex and its edges; sorted by group within each part (a
        #: hazard's chains all in one part).
        self._chains = (group, lo, hi, first, count)
        self._chain_parts = np.cumsum([0, *n_chains])
        self._codes[self._cand_cells] |= self._flag
        self._lookups()

    def _lookups(self) -> None:
        """What locating reads besides the raster: decoding table, slots, inner polygons."""
        self._table = self._decoding_table()
        #: Each cell's slot in ``_cand_cells`` (-1: none), when the raster is small enough
        #: for it (16 MB): a look-up instead of a binary search per point.
        self._slot = None
        if self.ncols * self.nrows <= _SLOT_CELLS:
            self._slot = np.full(self.ncols * self.nrows, -1, dtype=np.int32)
            self._slot[self._cand_cells] = np.arange(len(self._cand_cells), dtype=np.int32)
        #: Where each (hazard, row)'s chains start, and how many there are: by group when
        #: there are few enough groups (a look-up), else by the groups present (a search).
        group = self._chains[0]
        bounds = self._chain_parts.tolist()
        heads, ends = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            if b > a:  # each part's groups: where they start and end
                head = a + np.flatnonzero(np.r_[True, group[a + 1:b] != group[a:b - 1]])
                heads.append(head)
                ends.append(np.r_[head[1:], b])
        heads, ends = np.concatenate(heads), np.concatenate(ends)
        counts = ends - heads
        n_groups = len(self.geometries) * self.nrows
        if n_groups <= _SLOT_CELLS:
            # (Zeros from calloc: only the pages of groups present are ever written.)
            self._group_keys = None
            self._group_start = np.zeros(n_groups, dtype=np.int32)
            self._group_start[group[heads]] = heads
            self._group_count = np.zeros(n_groups, dtype=np.int32)
            self._group_count[group[heads]] = counts
        else:
            order = np.argsort(group[heads])
            self._group_keys = group[heads[order]]
            self._group_start = heads[order]
            self._group_count = counts[order]
        #: Hazards with an inner polygon of their own to test first.
        self._test_inner = ~self._plain & ~shapely.is_missing(self._inner)
        #: Zones whose inner polygon holds the zone itself: its inner reach, less what its
        #: arcs fall short, exceeds the simplification's slack (taken at its largest, as the
        #: index kept on disk does not say whether a zone was simplified). A point outside
        #: such an inner polygon is outside the zone, so its distance to the zone is the
        #: distance to the zone's rings: GEOS measures that without first locating the
        #: point in the polygon (a second index to build on first use).
        reach = self.reach
        self._outside_is_off = self._test_inner & np.isin(self._types, (3, 6)) & (
            (reach * (1 - _MARGIN_IN - _SIMPLIFY) - _MARGIN_ABS) * (1 - _SAGITTA)
            > _SIMPLIFY * reach)
        #: The rings of those zones, made (and prepared) when first measured to.
        self._rings_of = np.full(len(self.geometries), None, dtype=object)

    def _decoding_table(self) -> np.ndarray | None:
        """Levels per kind of every code without its flag (None when codes are too long)."""
        if self.n_kinds * self._bits > _TABLE_BITS:
            return None
        return _decoding_table(self.n_kinds, self._bits)

    def stats(self) -> dict:
        """Raster size and how many (cell, hazard) pairs are left to exact tests."""
        return {"cells": self.ncols * self.nrows, "cell_size": self.cell_size,
                "uncertain_pairs": int(len(self._cand)),
                "uncertain_cells": int(len(self._cand_cells))}

    # ------------------------------------------------------------------ locating

    @without_collection  # thousands of geometries made and dropped, no cycles
    def locate(self, x, y, progress: Progress = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The hazards reaching each point: (point, kind, level), most severe level per kind.

        Parameters
        ----------
        x, y : array_like of float
            The points, in the hazards' CRS; NaN (location unknown) is never exposed.
        progress : callable, optional
            ``progress(done, total)``.

        Returns
        -------
        point, kind, level : numpy.ndarray
            One entry per exposed (point, kind), sorted by point then kind: the point's
            position, the kind code and the most severe level reaching it.
        """
        x = np.asarray(x, dtype=float).reshape(-1)
        y = np.asarray(y, dtype=float).reshape(-1)
        if x.shape != y.shape:
            raise ValueError("x and y must have the same length")
        total = 3
        if progress:
            progress(0, total)
        # The raster read in two halves of the points on two threads when there are many.
        chunks = [slice(0, len(x))]
        if _THREADS > 1 and len(x) >= _PARALLEL_POINTS:
            chunks = [slice(0, len(x) // 2), slice(len(x) // 2, len(x))]
        looked = _in_parallel(lambda chunk: self._look_up(x[chunk], y[chunk], chunk.start),
                              chunks)
        hit, best, pos, sub = looked[0]
        if len(looked) > 1:  # the second half's rows follow the first's
            hit, best, pos = (np.concatenate([part[i] for part in looked]) for i in range(3))
            sub = np.concatenate([looked[0][3], looked[1][3] + len(looked[0][0])])
        k = best.shape[1]
        if progress:
            progress(1, total)
        if len(pos):
            hazard = self._cand[pos]
            # By hazard, each prepared geometry staying hot (a radix sort on 16 bits).
            order = np.argsort(hazard.astype(np.uint16) if len(self.geometries) <= 1 << 16
                               else hazard, kind="stable")
            hazard = hazard.astype(np.int64)
            hazard, sub = hazard[order], sub[order]
            px, py = x[hit[sub]], y[hit[sub]]
            # On two threads, in parts of whole hazards (GEOS fills a prepared geometry's
            # caches on first use: never one geometry on two threads).
            parts = [slice(None)]
            if _THREADS > 1 and len(hazard) >= _PARALLEL_FROM:
                n_parts = _THREADS * _EXACT_PARTS_PER_THREAD
                cuts = np.unique(np.searchsorted(
                    hazard, hazard[np.arange(1, n_parts) * len(hazard) // n_parts]))
                bounds = [0, *cuts[cuts > 0].tolist(), len(hazard)]
                parts = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
            # One locate at a time tests an index's geometries: the dock's and the dashboard's
            # workers may share an index, and GEOS's caches are not filled under a lock.
            with self._exact_lock:
                yes = np.concatenate(_in_parallel(
                    lambda part: self._exact(hazard[part], px[part], py[part]),
                    parts))
            # (On the flat view: numpy's fast path for one index array.)
            np.minimum.at(best.reshape(-1), sub[yes] * k + self.kinds[hazard[yes]],
                          self.levels[hazard[yes]].astype(np.uint8))
        if progress:
            progress(2, total)
        flat = np.flatnonzero(best.reshape(-1) != _NONE)
        levels = best.reshape(-1)[flat].astype(np.int64)
        rows, kinds = np.divmod(flat, k)
        if progress:
            progress(total, total)
        return hit[rows].astype(np.int64), kinds.astype(np.int64), levels

    def _look_up(self, x: np.ndarray, y: np.ndarray, first: int):
        """The raster read for the points from ``first`` on, of :meth:`locate`.

        Returns the points in sure or uncertain cells (their positions), their sure levels per
        kind, and their uncertain pairs (position in ``_cand``, and the point's row in the
        first two).
        """
        fu = (x - self.x0) * (1.0 / self.cell_size)
        fv = (y - self.y0) * (1.0 / self.cell_size)
        # NaN fails both comparisons: a point without location is outside.
        outside = ~((fu >= 0) & (fu < self.ncols) & (fv >= 0) & (fv < self.nrows))
        if outside.any():
            fu[outside] = 0.0
            fv[outside] = 0.0
        cell = fv.astype(np.int64)
        cell *= self.ncols
        cell += fu.astype(np.int64)
        code = self._codes[cell]
        if outside.any():
            code[outside] = 0
        hit = np.flatnonzero(code)
        code, cell = code[hit], cell[hit]
        flagged = np.flatnonzero(code & self._flag)
        k = max(self.n_kinds, 1)
        if self._table is not None:
            best = self._table[(code & ~self._flag).astype(np.int64)]
        else:
            best = np.empty((len(hit), k), dtype=np.uint8)
            mask = self._dtype.type((1 << self._bits) - 1)
            for kind in range(k):
                best[:, kind] = (code >> self._dtype.type(self._bits * kind)) & mask
            best[best == 0] = _NONE
        slot = (self._slot[cell[flagged]] if self._slot is not None
                else np.searchsorted(self._cand_cells, cell[flagged]))
        starts = self._cand_start[slot]
        pos, owner = _repeat_ranges(starts, self._cand_start[slot + 1] - starts)
        hit += first
        return hit, best, pos, flagged[owner]

    def _exact(self, hazard: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        """GEOS's answer for each (hazard, point) pair: is the point within the hazard's reach.

        Inside the inner polygon → yes; beyond its band → no; in the band, GEOS measures.
        """
        out = np.zeros(len(hazard), dtype=bool)
        plain = self._plain[hazard]
        if plain.any():
            out[plain] = shapely.intersects_xy(self.geometries[hazard[plain]], px[plain],
                                               py[plain])
        open_ = ~plain
        ask = np.flatnonzero(open_ & self._test_inner[hazard])
        if len(ask):
            inside = shapely.intersects_xy(self._inner[hazard[ask]], px[ask], py[ask])
            out[ask[inside]] = True
            open_[ask[inside]] = False
        ask = np.flatnonzero(open_)
        if len(ask):
            open_[ask[self._beyond(hazard[ask], px[ask], py[ask])]] = False
        rest = np.flatnonzero(open_)
        if len(rest):
            points = shapely.points(px[rest], py[rest])
            off = self._outside_is_off[hazard[rest]]
            on = ~off
            out[rest[on]] = shapely.dwithin(self.geometries[hazard[rest[on]]], points[on],
                                            self.reach[hazard[rest[on]]])
            rest, points = rest[off], points[off]
            out[rest] = shapely.dwithin(self._zone_rings(hazard[rest]), points,
                                        self.reach[hazard[rest]])
        return out

    def _beyond(self, hazard: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        """Which points, outside their hazard's inner polygon, lie beyond its band.

        A point is beyond when every edge of the inner polygon's rings that passes near its
        cell (those of the chains of its row whose cells hold the point's) lies farther
        than ``_near`` from it. (Edges farther along an axis are not listed: farther anyway.)
        """
        lo, hi, first, count = self._chains[1:]
        col = ((px - self.x0) * (1.0 / self.cell_size)).astype(np.int64)  # as :meth:`_look_up`
        row = ((py - self.y0) * (1.0 / self.cell_size)).astype(np.int64)
        key = hazard * self.nrows + row
        if self._group_keys is not None:
            found = np.minimum(np.searchsorted(self._group_keys, key), len(self._group_keys) - 1)
            chains = np.where(self._group_keys[found] == key, self._group_count[found], 0)
            at, owner = _repeat_ranges(self._group_start[found], chains)
        else:
            at, owner = _repeat_ranges(self._group_start[key], self._group_count[key])
        near = (lo[at] <= col[owner]) & (col[owner] <= hi[at])
        at, owner = at[near], owner[near]
        start, which = _repeat_ranges(first[at], count[at])
        owner = owner[which]
        ax, ay = self._vertices[start, 0], self._vertices[start, 1]
        dx, dy = self._vertices[start + 1, 0] - ax, self._vertices[start + 1, 1] - ay
        qx, qy = px[owner] - ax, py[owner] - ay
        length2 = dx * dx + dy * dy
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.clip((qx * dx + qy * dy) / length2, 0.0, 1.0)
        t[length2 == 0] = 0.0  # a hazard point's edge of no length
        qx -= t * dx
        qy -= t * dy
        # The nearest listed edge of each point (none listed: measured by GEOS, to be safe).
        nearest = np.zeros(len(hazard))
        if len(owner):
            runs = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            nearest[owner[runs]] = np.minimum.reduceat(qx * qx + qy * qy, runs)
        return nearest > self._near[hazard] ** 2

    def _zone_rings(self, hazard: np.ndarray) -> np.ndarray:
        """The rings (boundary) of each zone in ``hazard``, made once, prepared when busy.

        Called for whole hazards of one part: no two threads make the same zone's rings.
        """
        zones, counts = np.unique(hazard, return_counts=True)
        missing = shapely.is_missing(self._rings_of[zones])
        if missing.any():
            self._rings_of[zones[missing]] = shapely.boundary(self.geometries[zones[missing]])
        rings = self._rings_of[zones]
        busy = (counts >= _PREPARE_RINGS_FROM) & ~shapely.is_prepared(rings)
        if busy.any():
            shapely.prepare(rings[busy])
        return self._rings_of[hazard]


# ---------------------------------------------------------------------- frames in, frames out


def _points_xy(points) -> tuple[np.ndarray, np.ndarray]:
    """x, y of a point layer (GeoDataFrame, GeoSeries, geometries) or an (x, y) pair."""
    if isinstance(points, tuple):
        x, y = points
        return np.asarray(x, dtype=float).reshape(-1), np.asarray(y, dtype=float).reshape(-1)
    geoms = _geometry_array(points)
    kinds = shapely.get_type_id(geoms)
    if not np.isin(kinds, (-1, 0)).all():
        raise ValueError("点图层中含有非点要素")
    geoms = np.where(shapely.is_empty(geoms), None, geoms)
    return shapely.get_x(geoms), shapely.get_y(geoms)


def _crs(layer):
    return getattr(layer, "crs", None)


def _check_layers(points, layers: dict, distance: bool) -> None:
    """Same CRS for every layer (CRS-less (x, y) points take the hazards'); metres if needed."""
    named = {"点图层": points} if not isinstance(points, tuple) else {}
    named.update({name: layer for name, layer in layers.items() if layer is not None})
    crs = {name: _crs(layer) for name, layer in named.items() if hasattr(layer, "crs")}
    values = list(crs.items())
    for name, value in values[1:]:
        first_name, first = values[0]
        same = (first is None and value is None) or (
            first is not None and value is not None
            and pyproj.CRS.from_user_input(first).equals(value))
        if not same:
            raise ValueError(f"图层坐标系不一致：{first_name}为 {_crs_name(first)}，"
                             f"{name}为 {_crs_name(value)}，请先转换到同一坐标系")
    if distance:
        for name, value in crs.items():
            if value is not None and not _in_metres(value):
                raise ValueError(f"{name}的坐标系不以米为单位，"
                                 "计算直线距离需要投影坐标系（高斯-克吕格）")


def _in_metres(crs) -> bool:
    crs = pyproj.CRS.from_user_input(crs)
    if not crs.is_projected:
        return False
    units = {axis.unit_name for axis in crs.axis_info}
    return units <= {"metre", "meter"}


def _crs_name(crs) -> str:
    if crs is None:
        return "未定义坐标系"
    crs = pyproj.CRS.from_user_input(crs)
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def kind_order(kinds) -> list[str]:
    """The kinds present, in the order of :class:`HazardKind` (others after, sorted)."""
    values = np.asarray(kinds, dtype=object).reshape(-1)
    present = set(np.unique(values[~pd.isna(values)].astype(str)).tolist())
    known = [k.value for k in HazardKind if k.value in present]
    return known + sorted(present - set(known))


class IndexKeeper(Protocol):
    """Where built indexes are kept between sessions (the service's cache folder)."""

    def load(self, key: bytes) -> dict[str, np.ndarray] | None:
        """The arrays kept under ``key``, or None."""

    def save(self, key: bytes, arrays: dict[str, np.ndarray]) -> None:
        """Keep ``arrays`` under ``key`` (failing quietly: it is only a cache)."""


@without_collection  # thousands of geometries made and dropped, no cycles
def hazard_index(zones=None, hazard_points=None, buffer_m: float = 0.0,
                 target_cells: int | None = None, points: int | None = None,
                 keep: IndexKeeper | None = None) -> tuple[ExposureIndex, list[str]]:
    """An :class:`ExposureIndex` of hazard zones and points, and the kinds its codes stand for.

    The index of the same hazards and distance is built once: the last few are kept, keyed
    by a digest of the hazards' geometries, kinds, levels and reach, so that the exposure
    dock, the choropleth and a plan asking again reuse it (a changed zone changes the key).

    Parameters
    ----------
    zones : GeoDataFrame, optional
        Polygons with ``kind`` and ``level``.
    hazard_points : GeoDataFrame, optional
        Points with ``kind``, ``level`` and optionally ``threat_radius`` (metres; empty: the
        kind's default).
    buffer_m : float
        Added to every zone and every threat radius.
    target_cells : int, optional
        The raster's size (see :class:`ExposureIndex`).
    points : int, optional
        How many points will be located: without ``target_cells`` the raster gets about
        three cells a point (a raster takes longer to build than its points take to locate).
    keep : IndexKeeper, optional
        Where indexes of at least :data:`KEEP_FROM` vertices are kept between sessions: one
        kept there under the same digest is read instead of built.

    Returns
    -------
    index : ExposureIndex
    kinds : list of str
        Kind code → kind name.
    """
    buffer_m = float(buffer_m)
    if not np.isfinite(buffer_m) or buffer_m < 0:
        raise ValueError(f"缓冲距离无效：{buffer_m:g}（应为不小于0的米数）")
    layers = [layer for layer in (zones, hazard_points) if layer is not None]
    kinds = kind_order(np.concatenate([layer["kind"].to_numpy(dtype=object) for layer in layers])
                       if layers else [])
    geoms, codes, levels, reach = [], [], [], []
    for layer, is_points in ((zones, False), (hazard_points, True)):
        if layer is None or not len(layer):
            continue
        values = layer["kind"].to_numpy(dtype=object)
        missing = pd.isna(values)
        if missing.any():
            raise ValueError("有灾害要素缺少灾害类型")
        level = pd.to_numeric(layer["level"], errors="coerce").to_numpy(dtype=float,
                                                                          na_value=np.nan)
        wrong = ~np.isin(level, (1, 2, 3, 4))
        if wrong.any():
            value = layer["level"].to_numpy(dtype=object)[wrong][0]
            raise ValueError(f"风险等级无效：{value}（应为1–4或极高、高、中、低）")
        geoms.append(_geometry_array(layer))
        names, inverse = np.unique(values.astype(str), return_inverse=True)
        codes.append(np.array([kinds.index(name) for name in names.tolist()],
                              dtype=np.int64)[inverse.reshape(-1)])
        levels.append(level.astype(np.int64))
        if is_points:
            stored = layer["threat_radius"].to_numpy(dtype=object) \
                if "threat_radius" in layer else None
            reach.append(threat_radii(values, stored) + buffer_m)
        else:
            reach.append(np.full(len(layer), buffer_m))
    if not geoms:
        return ExposureIndex(np.empty(0, dtype=object), [], [], []), kinds
    geoms, codes = np.concatenate(geoms), np.concatenate(codes)
    levels, reach = np.concatenate(levels), np.concatenate(reach)
    # The raster's size changes the speed, never the answers: an index sized for about as
    # many points (one household more after an edit) is reused.
    key = _index_key(geoms, codes, levels, reach, target_cells)
    if target_cells is None and points is not None:
        target_cells = int(np.clip(_CELLS_PER_POINT * points, 1 << 18, 12_000_000))
    with _INDEX_LOCK:
        index = _INDEXES.get(key)
        if index is not None:
            _INDEXES.move_to_end(key)
            return index, kinds
    index = None
    if keep is not None:
        arrays = keep.load(key)
        if arrays is not None:
            try:
                index = ExposureIndex.from_arrays(geoms, codes, levels, reach, arrays)
            except ValueError:
                index = None  # damaged or another version's: built again (and kept anew)
    if index is None:
        index = ExposureIndex(geoms, codes, levels, reach, target_cells)
        if keep is not None and int(shapely.get_num_coordinates(geoms).sum()) >= KEEP_FROM:
            keep.save(key, index.to_arrays())
    with _INDEX_LOCK:
        _INDEXES[key] = index
        while len(_INDEXES) > _INDEXES_KEPT:
            _INDEXES.popitem(last=False)
    return index, kinds


#: Indexes of hazards with fewer vertices are not kept on disk (built in a few ms).
KEEP_FROM = 5_000
#: Part of every index's digest: changed when the way indexes are built changes, so that
#: those kept on disk by an older version are never read.
_INDEX_VERSION = f"6|{_QUAD_SEGS}|{_MARGIN_IN}|{_MARGIN_ABS}|{_SIMPLIFY}|{_EPS}"
#: Raster cells per point located, when the number of points is known.
_CELLS_PER_POINT = 3
#: Indexes kept (a planner compares a few buffers; each is a few MB).
_INDEXES_KEPT = 4
_INDEXES: OrderedDict[bytes, ExposureIndex] = OrderedDict()
_INDEX_LOCK = threading.Lock()


def forget_indexes() -> None:
    """Drop the indexes kept by :func:`hazard_index` (benchmarks time a cold build)."""
    with _INDEX_LOCK:
        _INDEXES.clear()


def _index_key(geoms, codes, levels, reach, target_cells) -> bytes:
    """A digest of everything an index is built from.

    Geometries by their coordinates and how they are cut into geometries, parts and rings
    (the same as hashing their WKB, at a third of the time: no WKB is written).
    """
    # 128 bits of XXH3: 0.06 ms for 3 MB of coordinates (SHA-256, the fastest of hashlib's
    # here, took 1.5); a cache key, not a signature.
    digest = xxhash.xxh3_128()
    digest.update(_INDEX_VERSION.encode())
    for array in (codes, levels, reach):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(str(target_cells).encode())
    usable = ~shapely.is_missing(geoms)
    present = geoms[usable]
    # A polygon of one ring by its vertices; the others part by part and ring by ring.
    one = _one_ring(present)
    many = present[~one]
    parts, part_owner = shapely.get_parts(many, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    structure = (usable, shapely.get_type_id(present), one,
                 shapely.get_num_coordinates(present[one]),
                 np.bincount(part_owner, minlength=len(many)), shapely.get_type_id(parts),
                 np.bincount(ring_part, minlength=len(parts)), shapely.get_num_coordinates(parts),
                 shapely.get_num_coordinates(rings))
    for array in structure:
        digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(b"|")
    digest.update(shapely.get_coordinates(present))  # read in place, not copied
    return digest.digest()


@without_collection
def household_exposure(points, zones, hazard_points=None, buffer_m: float = 0.0,
                       progress: Progress = None, keep: IndexKeeper | None = None
                       ) -> pd.DataFrame:
    """Each point's exposure: one row per exposed (point, kind) at its most severe level.

    The rules are the module's (boundary inside, holes outside, buffer and threat radius by
    GEOS ``dwithin``).

    Parameters
    ----------
    points : GeoDataFrame, GeoSeries or tuple of (x, y) arrays
        Households or resettlement sites; a tuple is taken to be in the hazards' CRS (the
        session's projected x/y). Missing points are never exposed.
    zones : GeoDataFrame or None
        Hazard zones with ``kind`` and ``level``.
    hazard_points : GeoDataFrame, optional
        Hazard points with ``kind``, ``level``, optionally ``threat_radius``.
    buffer_m : float
        Metres around every zone (and added to every threat radius).
    progress : callable, optional
        ``progress(done, total)``.
    keep : IndexKeeper, optional
        Where the hazards' index is kept between sessions (see :func:`hazard_index`).

    Returns
    -------
    pandas.DataFrame
        ``row`` (the point's position in ``points``), ``kind`` (categorical, in
        :class:`HazardKind` order), ``level`` (1 极高 … 4 低), sorted by row then kind.

    Raises
    ------
    ValueError
        Layers in different CRS, a distance in a CRS not in metres, a negative buffer, a
        zone without kind or with a level outside 1–4 (Chinese messages).
    """
    distance = float(buffer_m) > 0 or (hazard_points is not None and len(hazard_points) > 0)
    _check_layers(points, {"灾害隐患区": zones, "隐患点": hazard_points}, distance)
    if progress:
        progress(0, 4)
    x, y = _points_xy(points)
    index, kinds = hazard_index(zones, hazard_points, buffer_m, points=len(x), keep=keep)
    if progress:
        progress(1, 4)
    row, kind, level = index.locate(x, y, None if progress is None else
                                    (lambda done, total: progress(1 + 3 * done // total, 4)))
    return exposure_frame(row, kind, level, kinds)


@without_collection
def join_to_frame(index: ExposureIndex, kinds: list[str], x, y,
                  progress: Progress = None) -> pd.DataFrame:
    """:meth:`ExposureIndex.locate` of points (x, y) as :func:`household_exposure`'s frame."""
    row, kind, level = index.locate(x, y, progress)
    return exposure_frame(row, kind, level, kinds)


def exposure_frame(row, kind, level, kinds: list[str]) -> pd.DataFrame:
    """The frame of :data:`EXPOSURE_COLUMNS` from :meth:`ExposureIndex.locate`'s arrays."""
    return pd.DataFrame({
        "row": np.asarray(row, dtype=np.int64),
        "kind": pd.Categorical.from_codes(np.asarray(kind, dtype=np.int64), categories=kinds)
        if len(kinds) else pd.Categorical([]),
        "level": np.asarray(level, dtype=np.int64),
    })


def zones_at(points, zones) -> pd.DataFrame:
    """Every zone each point lies in (boundary included): pairs ``point, zone`` (positions).

    For a few points (identify): an STRtree query of the zones with ``intersects``.
    """
    _check_layers(points, {"面图层": zones}, False)
    x, y = _points_xy(points)
    known = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    geoms = _geometry_array(zones)
    if not len(known) or not len(geoms):
        return pd.DataFrame({"point": np.empty(0, np.int64), "zone": np.empty(0, np.int64)})
    tree = shapely.STRtree(geoms)
    pt, zone = tree.query(shapely.points(x[known], y[known]), predicate="intersects")
    order = np.lexsort((zone, pt))
    return pd.DataFrame({"point": known[pt[order]].astype(np.int64),
                         "zone": zone[order].astype(np.int64)})


def select_by_location(points, shapes, distance_m: float = 0.0,
                       progress: Progress = None) -> np.ndarray:
    """Which points intersect ``shapes`` or lie within ``distance_m`` of one (QGIS 按位置选择).

    Parameters
    ----------
    points : GeoDataFrame, GeoSeries or tuple of (x, y) arrays
        The points to select from.
    shapes : GeoDataFrame, GeoSeries, geometry or array of geometries
        Polygons (selected zones, an event's footprint) or points.
    distance_m : float
        0: intersects (on the boundary counts, in a hole does not); more: ``dwithin``.

    Returns
    -------
    numpy.ndarray of bool
        One flag per point.
    """
    distance_m = float(distance_m)
    if not np.isfinite(distance_m) or distance_m < 0:
        raise ValueError(f"缓冲距离无效：{distance_m:g}（应为不小于0的米数）")
    if isinstance(shapes, shapely.Geometry):
        shapes = np.array([shapes], dtype=object)
    _check_layers(points, {"选择的图形": shapes}, distance_m > 0)
    geoms = shapely.get_parts(_geometry_array(shapes))
    geoms = geoms[~shapely.is_empty(geoms)]
    x, y = _points_xy(points)
    selected = np.zeros(len(x), dtype=bool)
    if len(geoms):
        index = ExposureIndex(geoms, np.zeros(len(geoms)), np.ones(len(geoms)), distance_m)
        row, _, _ = index.locate(x, y, progress)
        selected[row] = True
    return selected


# ---------------------------------------------------------------------- the summary

#: Household columns holding each unit level's code and name (as the coverage tables).
UNIT_COLUMNS: dict[int, tuple[str, str]] = {
    1: ("township_code", "township"),
    2: ("village_code", "village"),
    3: ("grid_code", "grid_name"),
}
#: Name of the unit gathering points without a code at that level.
UNKNOWN_UNIT: dict[int, str] = {1: "（未知乡镇）", 2: "（未知村）", 3: "（未划入网格）"}
#: Count columns by 户属性 and by 监测类型.
ATTRIBUTE_COLUMNS: dict[str, int] = {m.name.lower(): int(m) for m in HouseholdAttribute}
TYPE_COLUMNS: dict[str, int] = {m.name.lower(): int(m) for m in MonitoringType}
#: Columns of :func:`exposure_summary`, in order.
#: ``monitored`` (监测对象) is one of the 户属性 columns.
SUMMARY_COLUMNS = ["code", "name", "kind", "level", "households", "persons",
                   *ATTRIBUTE_COLUMNS, *TYPE_COLUMNS, "unpaired", "sites", "site_households"]


def _units(frame: pd.DataFrame, level: int) -> tuple[np.ndarray, np.ndarray]:
    code_column, name_column = UNIT_COLUMNS[level]
    codes = frame[code_column].to_numpy(dtype=object) if code_column in frame else \
        np.full(len(frame), None, dtype=object)
    names = frame[name_column].to_numpy(dtype=object) if name_column in frame else codes
    return codes, names


def exposure_summary(households: pd.DataFrame, exposure: pd.DataFrame, level: int = 3,
                     sites: pd.DataFrame | None = None,
                     site_exposure: pd.DataFrame | None = None,
                     helper_pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Exposed households and sites per unit × kind × level.

    Each household counts once per kind, at its most severe level (as ``exposure`` holds it).

    Parameters
    ----------
    households : pandas.DataFrame
        One row per household in the positions ``exposure["row"]`` refers to: the unit
        columns of :data:`UNIT_COLUMNS` (``township_code, township``, ``village_code,
        village``, ``grid_code, grid_name``), ``members``, ``attribute`` (户属性 code),
        ``monitoring_type``; with ``helper_pairs`` also ``id`` and optionally
        ``risk_eliminated``.
    exposure : pandas.DataFrame
        :func:`household_exposure`'s frame of those households.
    level : int
        1 townships, 2 villages, 3 level-3 grids.
    sites : pandas.DataFrame, optional
        Resettlement sites: unit columns and ``households`` (how many households each holds).
    site_exposure : pandas.DataFrame, optional
        :func:`household_exposure`'s frame of the sites.
    helper_pairs : pandas.DataFrame, optional
        The pairs in force (``household_id``): monitored households without one (and whose
        risk is not eliminated, as ``check`` counts them) are ``unpaired``.

    Returns
    -------
    pandas.DataFrame
        :data:`SUMMARY_COLUMNS`: ``code`` (None for points in no unit of that level), ``name``,
        ``kind``, ``level`` (1–4), ``households``, ``persons``, ``monitored``, the counts by
        户属性 (``lifted, monitored, ordinary``: ``monitored`` is one of them) and by 监测类型
        (``unstable, marginal, sudden_hardship``), ``unpaired``, ``sites``,
        ``site_households``; sorted by code, kind (:class:`HazardKind` order), level.
    """
    if level not in UNIT_COLUMNS:
        raise ValueError(f"统计层级应为1（乡镇）、2（村）或3（三级网格），而不是{level}")
    rows = exposure["row"].to_numpy(np.int64)
    codes, names = _units(households, level)
    frame = pd.DataFrame({
        "code": codes[rows], "name": names[rows],
        "kind": exposure["kind"].astype(str).to_numpy(dtype=object),
        "level": exposure["level"].to_numpy(np.int64),
        "households": 1,
        "persons": pd.to_numeric(households["members"], errors="coerce").fillna(0)
        .to_numpy(np.int64)[rows],
    })
    attribute = pd.to_numeric(households["attribute"], errors="coerce").to_numpy(float)[rows]
    mtype = pd.to_numeric(households["monitoring_type"], errors="coerce").to_numpy(float)[rows]
    for column, value in ATTRIBUTE_COLUMNS.items():
        frame[column] = (attribute == value).astype(np.int64)
    for column, value in TYPE_COLUMNS.items():
        frame[column] = (mtype == value).astype(np.int64)
    monitored = attribute == int(HouseholdAttribute.MONITORED)
    if helper_pairs is not None:
        paired = households["id"].isin(set(helper_pairs["household_id"])).to_numpy()[rows]
        eliminated = households["risk_eliminated"].fillna(False).to_numpy(bool)[rows] \
            if "risk_eliminated" in households else np.zeros(len(rows), bool)
        frame["unpaired"] = (monitored & ~paired & ~eliminated).astype(np.int64)
    else:
        frame["unpaired"] = 0
    frame["sites"] = 0
    frame["site_households"] = 0
    parts = [frame]
    if sites is not None and site_exposure is not None and len(site_exposure):
        site_rows = site_exposure["row"].to_numpy(np.int64)
        site_codes, site_names = _units(sites, level)
        held = pd.to_numeric(sites["households"], errors="coerce").fillna(0) \
            .to_numpy(np.int64) if "households" in sites else np.zeros(len(sites), np.int64)
        site_frame = pd.DataFrame({
            "code": site_codes[site_rows], "name": site_names[site_rows],
            "kind": site_exposure["kind"].astype(str).to_numpy(dtype=object),
            "level": site_exposure["level"].to_numpy(np.int64),
            "sites": 1, "site_households": held[site_rows],
        })
        parts.append(site_frame)
    counts = [c for c in SUMMARY_COLUMNS[4:]]
    merged = pd.concat(parts, ignore_index=True)
    merged[counts] = merged[counts].fillna(0).astype(np.int64)
    merged["code"] = merged["code"].where(pd.notna(merged["code"]), None)
    key = merged["code"].astype(object).where(pd.notna(merged["code"]), "\uffff")
    grouped = merged.assign(_key=key).groupby(["_key", "kind", "level"], sort=False)
    table = grouped[counts].sum()
    first = grouped[["code", "name"]].first()
    table = first.join(table).reset_index()
    unknown = table["_key"] == "\uffff"
    table.loc[unknown, "code"] = None
    table["code"] = table["code"].astype(object).where(~unknown, None)
    table.loc[unknown, "name"] = UNKNOWN_UNIT[level]
    order = {name: i for i, name in enumerate(kind_order(table["kind"]))}
    table["_kind"] = table["kind"].map(order)
    table = table.sort_values(["_key", "_kind", "level"], kind="stable")
    return table[SUMMARY_COLUMNS].reset_index(drop=True)
