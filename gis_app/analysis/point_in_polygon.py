"""Fast, exact assignment of points to the polygons of a (mostly) tiling layer: level-3 grids.

How it works
------------
A regular raster is laid over the polygons' bounds, its origin shifted by an irrational fraction
of a cell so that straight, axis-aligned or round-numbered boundaries do not run along its lines.

* **Labels at the raster corners.** Every polygon edge is cut with the horizontal lines through
  the corners. Each cut adds ±1 and ±(id + 1) to two difference arrays at the first corner right
  of it, the sign given by the edge's direction and the ring's orientation (shells count +1
  inside, holes −1). Cumulative sums along the rows then give, at every corner, how many
  polygons contain it (the winding number, exact for valid polygons) and the sum of their
  ids + 1, so a corner inside exactly one polygon knows which. No sorting is needed.
* **Cells touched by a boundary.** The same cuts, the cuts with the vertical lines and the
  first vertex of every ring mark every cell that a boundary touches, with a tolerance of
  1e-6 cell so that rounding cannot hide a boundary from a cell. A cell that no boundary
  touches lies wholly inside the same polygons as its corner: a point there takes the corner's
  label with one array look-up. Up to two polygons whose boundary touches a cell are kept as
  its candidates.
* **Points in touched cells** (a few per cent) are tested exactly with GEOS
  (:func:`shapely.intersects_xy` / :func:`shapely.contains_xy` on prepared polygons) against
  their cell's candidates and the corner's polygon, the pairs grouped by polygon so that each
  prepared polygon stays in cache. Cells touched by three or more polygons, or lying where
  polygons overlap (corner count not 0 or 1), fall back to an :class:`shapely.STRtree` query.

The result therefore equals GEOS's answer for every point off the boundaries. A point exactly on
a boundary is, by default, given to the lowest-numbered polygon whose boundary it lies on
(``boundary="assign"``), so a household on the line between two grids is in one grid and never
in none; ``boundary="exclude"`` gives strict ``contains`` semantics (-1 there) instead.
Predicates on invalid polygons (self-intersecting rings, overlapping parts) are undefined in
GEOS and undefined here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely

Progress = Callable[[int, int], None] | None

#: Relative tolerance, in cells, within which a boundary is taken to touch a cell.
_EPS = 1e-6
#: Fractions of a cell by which the raster origin is shifted (irrational, so never "round").
_SHIFT_X = (np.sqrt(5.0) - 1.0) / 2.0
_SHIFT_Y = np.sqrt(2.0) - 1.0
#: Cell-table codes below 0: no polygon; below _IMPURE: ``_IMPURE - slot`` of a touched cell.
_NONE, _IMPURE = -1, -2


@dataclass(frozen=True)
class LocateResult:
    """Where each point lies.

    Attributes
    ----------
    index : numpy.ndarray of int64
        Positional index of the polygon containing the point, -1 for none. Where polygons
        overlap, the lowest index of those containing it.
    covered_count : numpy.ndarray of int8
        0 (in no polygon), 1, or 2 (in two or more polygons: flag it, "in two grids").
    """

    index: np.ndarray
    covered_count: np.ndarray


def _polygon_array(polygons) -> np.ndarray:
    """Geometries as a 1-D object array, whatever container they came in."""
    if hasattr(polygons, "columns") and hasattr(polygons, "geometry"):  # GeoDataFrame
        polygons = polygons.geometry
    values = getattr(polygons, "values", polygons)
    values = getattr(values, "_data", values)  # GeometryArray
    return np.asarray(values, dtype=object).reshape(-1)


def _repeat_ranges(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ranges of ``counts[i]`` integers from ``starts[i]``, and the owner ``i``."""
    owner = np.repeat(np.arange(starts.size), counts)
    first = np.cumsum(counts) - counts
    values = np.arange(owner.size) - np.repeat(first - starts, counts)
    return values, owner


def _floor_tolerant(z: np.ndarray, limit: int, always: bool = False):
    """Cells of coordinates ``z``; twice where ``z`` is within tolerance of a line.

    Yields ``(cells, keep)`` (int32): first ``floor(z - eps)`` for all values, then
    ``floor(z + eps)`` for those (``keep``) where it differs, or for all values with ``always``.
    """
    lo = np.clip(np.floor(z - _EPS), 0, limit - 1).astype(np.int32)
    hi = np.clip(np.floor(z + _EPS), 0, limit - 1).astype(np.int32)
    yield lo, slice(None)
    keep = slice(None) if always else np.flatnonzero(hi != lo)
    yield hi[keep], keep


def _cuts(a0, a1, b0, b1, edge):
    """Where the segments (a0, b0)–(a1, b1) meet the lines a = integer, with tolerance.

    Every line within ``_EPS`` of a segment's range counts, the cut clamped to the segment;
    segments parallel to the lines and the non-edges (``~edge``) cut nothing.

    Returns
    -------
    lines : int64 array
        The integer ``a`` of each cut.
    at : float array
        ``b`` at the cut.
    owner : int64 array
        The segment (position in the inputs) of each cut.
    """
    lo = np.minimum(a0, a1)
    hi = np.maximum(a0, a1)
    first = np.ceil(lo - _EPS)
    n = np.floor(hi + _EPS) - first + 1.0
    n[~edge | (hi == lo)] = 0.0
    del lo, hi
    owner = np.flatnonzero(n > 0.0)
    lines, which = _repeat_ranges(first[owner].astype(np.int64), n[owner].astype(np.int64))
    owner = owner[which]
    t = np.clip((lines - a0[owner]) / (a1[owner] - a0[owner]), 0.0, 1.0)
    return lines, b0[owner] + t * (b1[owner] - b0[owner]), owner


class PolygonIndex:
    """A point-location index over a polygon layer, built once and reused for many point sets.

    Parameters
    ----------
    polygons : array of shapely geometries, GeoSeries or GeoDataFrame
        Polygons and MultiPolygons, with holes or not. ``None``, empty geometries and geometries
        with non-finite coordinates are kept in place but never match. Results are positions
        in this sequence. The geometries are prepared in place (GEOS caches, as geopandas'
        predicates do).
    target_cells : int, optional
        Number of raster cells. By default chosen from the number of vertices (1–4 million for
        layers of thousands of polygons); more cells make locating faster and building slower.
    boundary : {"assign", "exclude"}
        What happens to a point exactly on a polygon boundary: given to the lowest-numbered
        polygon whose boundary it lies on (default), or, with ``"exclude"``, in no polygon unless
        another one contains it (GEOS ``contains``).

    Raises
    ------
    ValueError
        When a geometry is neither a Polygon nor a MultiPolygon.
    """

    def __init__(
        self,
        polygons,
        target_cells: int | None = None,
        boundary: Literal["assign", "exclude"] = "assign",
    ):
        if boundary not in ("assign", "exclude"):
            raise ValueError(f"boundary must be 'assign' or 'exclude', not {boundary!r}")
        self.boundary = boundary
        self.geometries = _polygon_array(polygons)
        self.n_polygons = self.geometries.size
        self._tree: shapely.STRtree | None = None
        geoms = self.geometries
        usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        kinds = shapely.get_type_id(geoms[usable])
        if not np.isin(kinds, (3, 6)).all():
            raise ValueError("PolygonIndex needs Polygon or MultiPolygon geometries")
        bounds = shapely.bounds(geoms)
        usable &= np.isfinite(bounds).all(axis=1)
        self._usable = usable
        self._ids = np.flatnonzero(usable)
        self._lock = threading.Lock()
        shapely.prepare(geoms[usable])
        if self._ids.size == 0:
            self._empty_grid()
            return
        _, coords, offsets = shapely.to_ragged_array(geoms[usable], include_z=False)
        if len(offsets) == 2:  # all Polygons: every geometry is a single part
            offsets = (*offsets, np.arange(self._ids.size + 1))
        ring_off, part_off, geom_off = offsets
        self._build(coords, ring_off, part_off, geom_off, bounds[usable], target_cells)

    # ------------------------------------------------------------------ building

    def _empty_grid(self) -> None:
        self.x0 = self.y0 = 0.0
        self.dx = self.dy = 1.0
        self.ncols = self.nrows = 1
        self._table = np.full(1, _NONE, dtype=np.int32)
        self._cand = np.array([[_IMPURE, _NONE, _NONE]], dtype=np.int32)

    def _layout(self, bounds: np.ndarray, n_vertices: int, target_cells: int | None) -> None:
        xmin, ymin = bounds[:, 0].min(), bounds[:, 1].min()
        xmax, ymax = bounds[:, 2].max(), bounds[:, 3].max()
        if target_cells is None:
            target_cells = int(np.clip(8 * n_vertices, 1 << 16, 4_000_000))
        # Cell numbers are int32; past ~2e8 cells the tables would not fit in memory anyway.
        target_cells = int(np.clip(target_cells, 1, 1 << 27))
        width, height = max(xmax - xmin, 0.0), max(ymax - ymin, 0.0)
        extent = max(width, height, 1e-9 * max(abs(xmax), abs(ymax), 1.0))
        size = np.sqrt(max(width, extent * 1e-3) * max(height, extent * 1e-3) / target_cells)
        size = min(size, extent / 2.0)
        self.dx = self.dy = float(size)
        # One whole cell plus an irrational fraction of padding on every side: a point outside
        # the raster is strictly outside every polygon's bounds.
        self.x0 = float(xmin - (1.0 + _SHIFT_X) * size)
        self.y0 = float(ymin - (1.0 + _SHIFT_Y) * size)
        self.ncols = int(np.ceil((xmax - self.x0) / size)) + 2
        self.nrows = int(np.ceil((ymax - self.y0) / size)) + 2

    def _build(self, coords, ring_off, part_off, geom_off, bounds, target_cells) -> None:
        n_coords = coords.shape[0]
        self._layout(bounds, n_coords, target_cells)
        ncols, nrows = self.ncols, self.nrows
        u = (coords[:, 0] - self.x0) / self.dx
        v = (coords[:, 1] - self.y0) / self.dy

        # Owner polygon and orientation sign of every ring (shells +1 inside, holes -1 inside).
        n_rings = ring_off.size - 1
        ring_part = np.repeat(np.arange(part_off.size - 1), np.diff(part_off))
        part_geom = np.repeat(np.arange(geom_off.size - 1), np.diff(geom_off))
        ring_poly = self._ids[part_geom[ring_part]].astype(np.int32)
        is_shell = np.zeros(n_rings, dtype=bool)
        is_shell[part_off[:-1][np.diff(part_off) > 0]] = True
        ring_len = np.diff(ring_off)
        # Edges are the pairs (i, i + 1) of consecutive coordinates (views, no copies), less
        # the pairs that join the end of one ring to the start of the next.
        ring_of = np.repeat(np.arange(n_rings, dtype=np.int32), ring_len)[:-1]
        edge = np.ones(max(n_coords - 1, 0), dtype=bool)
        joins = ring_off[1:-1] - 1
        edge[joins[joins >= 0]] = False
        ua, ub, va, vb = u[:-1], u[1:], v[:-1], v[1:]
        cross = ua * vb
        cross -= ub * va
        cross[~edge] = 0.0
        ring_area = np.bincount(ring_of, weights=cross, minlength=n_rings)
        del cross
        orient = (np.sign(ring_area) * np.where(is_shell, 1, -1)).astype(np.int32)

        # --- cuts with the horizontal corner lines v = j (closed range with tolerance)
        rows, xc, e = _cuts(va, vb, ua, ub, edge)
        poly_h = ring_poly[ring_of[e]]
        # Winding contributions: half-open rule vlo <= j < vhi, exactly. int32 sums may wrap
        # where many polygons overlap, but a corner inside one polygon always ends exact.
        up = vb[e] > va[e]
        wind = np.flatnonzero(
            np.where(up, (rows >= va[e]) & (rows < vb[e]), (rows >= vb[e]) & (rows < va[e]))
        )
        step = np.where(up[wind], -1, 1).astype(np.int32) * orient[ring_of[e[wind]]]
        kcol = np.minimum(np.floor(xc[wind]).astype(np.int64) + 1, ncols + 1)
        stride = ncols + 2  # corner columns 0..ncols, plus one spill column
        flat = rows[wind] * stride + kcol
        count = np.zeros((nrows + 1, stride), dtype=np.int32)
        np.add.at(count.reshape(-1), flat, step)
        np.cumsum(count, axis=1, out=count)
        idsum = np.zeros((nrows + 1, stride), dtype=np.int32)
        np.add.at(idsum.reshape(-1), flat, step * (poly_h[wind] + 1))
        np.cumsum(idsum, axis=1, out=idsum)
        del flat, kcol, step, wind, up
        # Corner (r, c) stands for cell (r, c): its label, or -1 when in no polygon.
        table = idsum[:nrows, :ncols] - np.int32(1)
        del idsum
        count = count[:nrows, :ncols]
        table[count != 1] = _NONE
        table = table.reshape(-1)
        overlap = np.flatnonzero(count.reshape(-1).view(np.uint32) > 1)  # count < 0 or > 1
        del count

        # --- cells touched by boundaries: (cell, polygon) marks. A boundary touching a cell
        # either cuts one of the lines around it (marked on both sides of the cut) or is a ring
        # lying wholly inside it (marked by its first vertex).
        marks: list[tuple[np.ndarray, np.ndarray]] = []
        rows = np.clip(rows, 1, nrows - 1).astype(np.int32) * np.int32(ncols)
        for col, keep in _floor_tolerant(xc, ncols):
            base = rows[keep] + col
            marks += [(base - np.int32(ncols), poly_h[keep]), (base, poly_h[keep])]
        del rows, xc, e
        cols, yc, e = _cuts(ua, ub, va, vb, edge)
        poly_v = ring_poly[ring_of[e]]
        cols = np.clip(cols, 1, ncols - 1).astype(np.int32)
        del e
        for row, keep in _floor_tolerant(yc, nrows):
            base = row * np.int32(ncols) + cols[keep]
            marks += [(base - np.int32(1), poly_v[keep]), (base, poly_v[keep])]
        first_vertex = ring_off[:-1][ring_len > 0]
        first_poly = ring_poly[ring_len > 0]
        for col, _ in _floor_tolerant(u[first_vertex], ncols, always=True):
            for row, _ in _floor_tolerant(v[first_vertex], nrows, always=True):
                marks.append((row * np.int32(ncols) + col, first_poly))
        cells = np.concatenate([m[0] for m in marks])
        polys = np.concatenate([m[1] for m in marks])
        del marks

        # Up to two distinct polygons per touched cell; a third one sends the cell to the tree.
        first = np.full(nrows * ncols, _NONE, dtype=np.int32)
        first[cells] = polys
        other = np.flatnonzero(polys != first[cells])
        cells2, polys2 = cells[other], polys[other]
        second = np.full(nrows * ncols, _NONE, dtype=np.int32)
        second[cells2] = polys2
        third = cells2[polys2 != second[cells2]]
        del cells, polys, cells2, polys2

        touched = np.flatnonzero(first >= 0)
        cand = np.empty((touched.size + 1, 3), dtype=np.int32)
        cand[:-1, 0] = first[touched]
        cand[:-1, 1] = second[touched]
        cand[:-1, 2] = table[touched]
        del first, second
        cand[:-1, 2][cand[:-1, 2] == cand[:-1, 0]] = _NONE
        cand[:-1, 2][cand[:-1, 2] == cand[:-1, 1]] = _NONE
        # The last slot stands for untouched cells where polygons overlap: always the tree.
        cand[-1] = (_IMPURE, _NONE, _NONE)
        table[overlap] = _IMPURE - touched.size
        table[touched] = _IMPURE - np.arange(touched.size, dtype=np.int32)
        # Crowded cells and touched cells in overlaps go to the tree too.
        cand[_IMPURE - table[third], 0] = _IMPURE
        cand[_IMPURE - table[overlap], 0] = _IMPURE
        self._cand = cand
        self._table = table

    # ------------------------------------------------------------------ locating

    @property
    def tree(self) -> shapely.STRtree:
        """STRtree over the polygons (built on first use; the fallback for crowded cells)."""
        if self._tree is None:
            geoms = np.where(self._usable, self.geometries, None)
            self._tree = shapely.STRtree(geoms)
        return self._tree

    def cell_stats(self) -> dict:
        """Raster size and share of boundary-touched cells (for tuning and benchmarks)."""
        return {
            "cells": self.ncols * self.nrows,
            "touched": int(self._cand.shape[0] - 1),
            "cell_size": self.dx,
        }

    def locate(self, x, y, progress: Progress = None) -> LocateResult:
        """Find the polygon containing each point.

        Parameters
        ----------
        x, y : array_like of float
            Point coordinates, in the polygons' CRS. NaN or infinite coordinates locate nowhere.
        progress : callable, optional
            ``progress(done, total)`` called as the points are processed.

        Returns
        -------
        LocateResult
            ``index`` (int64, -1 = none) and ``covered_count`` (int8, 0/1/2 = two or more).
        """
        x = np.asarray(x, dtype=np.float64).ravel()
        y = np.asarray(y, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError("x and y must have the same length")
        n = x.size
        total = 3
        if progress:
            progress(0, total)
        fu = (x - self.x0) * (1.0 / self.dx)
        fv = (y - self.y0) * (1.0 / self.dy)
        # NaN fails both comparisons, so it drops out here too.
        inside = (fu >= 0.0) & (fu < self.ncols) & (fv >= 0.0) & (fv < self.nrows)
        code = np.full(n, _NONE, dtype=np.int32)
        if inside.all():
            code = self._table[fv.astype(np.int64) * self.ncols + fu.astype(np.int64)]
        else:
            sel = np.flatnonzero(inside)
            code[sel] = self._table[
                fv[sel].astype(np.int64) * self.ncols + fu[sel].astype(np.int64)
            ]
        index = code.astype(np.int64)
        covered = (code >= 0).astype(np.int8)
        if progress:
            progress(1, total)
        hard = np.flatnonzero(code <= _IMPURE)
        if hard.size:
            index[hard] = _NONE
            # One locate at a time tests the polygons: a session's grid index is asked from the
            # window's thread and from workers, and GEOS fills prepared caches without a lock.
            with self._lock:
                self._resolve(hard, _IMPURE - code[hard], x, y, index, covered)
        if progress:
            progress(total, total)
        return LocateResult(index=index, covered_count=covered)

    def _resolve(self, pts, slots, x, y, index, covered) -> None:
        """Exact answers for points in boundary cells: GEOS on candidates, the tree for the rest."""
        cand = self._cand[slots]
        to_tree = cand[:, 0] == _IMPURE
        pair_pt, pair_poly = [], []
        easy = np.flatnonzero(~to_tree)
        for k in range(3):
            col = cand[easy, k]
            ok = col >= 0
            pair_pt.append(pts[easy[ok]])
            pair_poly.append(col[ok])
        hard = pts[to_tree]
        if hard.size:
            found = self.tree.query(shapely.points(x[hard], y[hard]), predicate="intersects")
            pair_pt.append(hard[found[0]])
            pair_poly.append(found[1])
        pair_pt = np.concatenate(pair_pt)
        pair_poly = np.concatenate(pair_poly).astype(np.int64)
        # Grouped by polygon, GEOS keeps each prepared polygon hot in cache: ~3x faster.
        order = np.argsort(pair_poly, kind="stable")
        pair_pt, pair_poly = pair_pt[order], pair_poly[order]
        geoms = self.geometries[pair_poly]
        px, py = x[pair_pt], y[pair_pt]
        if self.boundary == "exclude":
            inside = shapely.contains_xy(geoms, px, py)
            self._settle(pair_pt[inside], pair_poly[inside], index, covered)
            return
        hit = shapely.intersects_xy(geoms, px, py)
        pair_pt, pair_poly, geoms = pair_pt[hit], pair_poly[hit], geoms[hit]
        # Points touching one polygon belong to it; where several, interiors decide.
        hits = np.bincount(pair_pt, minlength=x.size)[pair_pt]
        single = hits == 1
        index[pair_pt[single]] = pair_poly[single]
        covered[pair_pt[single]] = 1
        multi = np.flatnonzero(~single)
        if multi.size:
            mpt, mpoly = pair_pt[multi], pair_poly[multi]
            inside = shapely.contains_xy(geoms[multi], x[mpt], y[mpt])
            self._settle(mpt[inside], mpoly[inside], index, covered)
            lone = index[mpt] < 0  # on boundaries only: the lowest-numbered polygon
            if lone.any():
                lpt, lpoly = mpt[lone], mpoly[lone]
                best = np.full(x.size, np.iinfo(np.int64).max)
                np.minimum.at(best, lpt, lpoly)
                index[lpt] = best[lpt]
                covered[lpt] = 1

    @staticmethod
    def _settle(pt, poly, index, covered) -> None:
        """Record containing pairs: the lowest polygon index, and the count capped at 2."""
        if pt.size == 0:
            return
        order = np.lexsort((poly, pt))
        pt, poly = pt[order], poly[order]
        start = np.r_[True, pt[1:] != pt[:-1]]
        index[pt[start]] = poly[start]
        counts = np.diff(np.r_[np.flatnonzero(start), pt.size])
        covered[pt[start]] = np.minimum(counts, 2)


def join_points_to_polygons(
    points, polygons, progress: Progress = None, boundary: Literal["assign", "exclude"] = "assign"
) -> np.ndarray:
    """Positional index of the polygon containing each point, or -1.

    A much faster equivalent of ``geopandas.sjoin(points, polygons, predicate="within")`` for
    layers whose polygons (mostly) tile the plane; see :class:`PolygonIndex`. Where polygons
    overlap the lowest index wins: use :class:`PolygonIndex` directly to see the overlaps.

    Parameters
    ----------
    points : GeoDataFrame, GeoSeries or tuple of (x, y) arrays
        Points; missing, empty or NaN points give -1. A tuple of arrays is taken to be in the
        polygons' CRS.
    polygons : GeoDataFrame or GeoSeries
        Polygons and MultiPolygons.
    progress : callable, optional
        ``progress(done, total)``.
    boundary : {"assign", "exclude"}
        Points exactly on a boundary: see :class:`PolygonIndex`.

    Returns
    -------
    numpy.ndarray of int64
        One positional polygon index per point (not the frame's index labels).

    Raises
    ------
    ValueError
        图层坐标系不一致 when the two layers' CRS differ; also when ``points`` are not points.
    """
    if isinstance(points, tuple):
        x, y = points
    else:
        from gis_app.analysis.measure import check_same_crs

        check_same_crs(points, polygons)
        geoms = _polygon_array(points.geometry if hasattr(points, "geometry") else points)
        kinds = shapely.get_type_id(geoms)
        if not np.isin(kinds, (-1, 0)).all():
            raise ValueError("点图层中含有非点要素")
        coords = shapely.get_coordinates(geoms)
        if coords.shape[0] == geoms.size and (kinds == 0).all():  # no missing or empty point
            x, y = coords[:, 0], coords[:, 1]
        else:
            geoms = np.where(shapely.is_empty(geoms), None, geoms)
            x, y = shapely.get_x(geoms), shapely.get_y(geoms)
    if progress:
        progress(0, 2)
    index = PolygonIndex(getattr(polygons, "geometry", polygons), boundary=boundary)
    if progress:
        progress(1, 2)
    result = index.locate(x, y).index
    if progress:
        progress(2, 2)
    return result
