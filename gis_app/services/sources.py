"""What a session keeps of each stored entity, loaded when first asked, re-read row by row.

A source holds one frame sorted by ``id``. After an edit it re-reads only the rows of the
change set (:meth:`Source.apply`), so a session stays equal to the store without reloading.
Households are kept lean: the columns the map draws and styles, with points as projected
x/y in map metres (NaN: location unknown); other attributes are read when asked
(:meth:`HouseholdSource.columns`).
"""

from __future__ import annotations

import functools

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from gis_app.core.changes import EntityChange
from gis_app.core.crs import STORAGE_EPSG
from gis_app.storage.reader import load_geo_table, load_table, stored_columns
from gis_app.storage.snapshot import TableSnapshot

#: The household columns the map needs (symbols, counts, identify's keys); the rest on demand.
LEAN_HOUSEHOLD_COLUMNS = ("id", "lon", "lat", "grid_id", "village_id", "attribute",
                          "monitoring_type", "risk_eliminated", "members", "version")


class Source:
    """One stored table as a frame sorted by id, read lazily and kept current.

    Parameters
    ----------
    session : ProjectSession
        The owner (engine, map projection).
    table : str
        The stored table (entity) it mirrors.
    """

    def __init__(self, session, table: str):
        self.session = session
        self.table = table
        self._frame = None

    @property
    def loaded(self) -> bool:
        """True once the frame has been read."""
        return self._frame is not None

    @property
    def frame(self) -> pd.DataFrame:
        """The rows, read on first use."""
        if self._frame is None:
            self._frame = self.finish(self.read())
        return self._frame

    def read(self, ids=None) -> pd.DataFrame:
        """Rows from the store (all, or ``ids``); a large table through its snapshot."""
        engine = self.session.project.engine
        if ids is not None:
            return load_table(engine, self.table, ids=ids)
        columns = [c.name for c in stored_columns(self.table)]
        return TableSnapshot(engine, self.table, columns).load(
            lambda: load_table(engine, self.table),
            lambda wanted: load_table(engine, self.table, ids=wanted))

    def finish(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Derived columns of a frame just read (override); rows stay sorted by id."""
        return frame.reset_index(drop=True)

    def unload(self) -> None:
        """Forget the frame; the next use reads it again."""
        self._frame = None

    def apply(self, change: EntityChange) -> bool:
        """Re-read the changed rows; True when the frame changed."""
        if self._frame is None or not change:
            return False
        fresh = self.read(sorted(change.present)) if change.present else None
        frame = self._frame
        ids = frame["id"].to_numpy()
        changed = np.sort(np.fromiter(change.ids, dtype=np.int64, count=len(change.ids)))
        if fresh is not None and not change.inserted and not change.deleted and len(ids):
            # Rows sorted by id: the changed rows found by bisection, not a pass over all.
            rows = np.minimum(np.searchsorted(ids, changed), len(ids) - 1)
            if len(fresh) == len(rows) and np.array_equal(ids[rows], changed) and \
                    np.array_equal(fresh["id"].to_numpy(np.int64), changed):
                self._frame = self.update_in_place(frame, rows, fresh)
                return True
        touched = np.isin(ids, changed)
        parts = [frame[~touched]] + ([fresh] if fresh is not None and len(fresh) else [])
        merged = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        merged = merged.sort_values("id", kind="stable").reset_index(drop=True)
        self._frame = self.finish(merged.drop(columns=self.derived(), errors="ignore"))
        return True

    def derived(self) -> list[str]:
        """Columns :meth:`finish` adds (dropped before they are derived again)."""
        return []

    def update_in_place(self, frame: pd.DataFrame, rows: np.ndarray,
                        fresh: pd.DataFrame) -> pd.DataFrame:
        """Rows ``rows`` (positions, in id order) replaced by ``fresh`` (same ids, same order).

        A new frame (views may hold the old one); only the columns whose values changed are
        copied, the others shared.
        """
        fresh = self.finish(fresh)
        out = frame.copy(deep=False)
        for column in frame.columns:
            if column not in fresh.columns:
                continue
            values, new = frame[column].array, fresh[column].array
            if _unchanged(values, rows, new):
                continue
            values = values.copy()
            values[rows] = new
            out[column] = values
        return out


#: Above this many rows a text column is taken as changed rather than compared value by value.
_COMPARED_TEXT_ROWS = 64


def _unchanged(values, rows: np.ndarray, new) -> bool:
    """True when ``values[rows]`` already hold ``new`` (NA equal to NA)."""
    if values.dtype.kind not in "iufb":
        if values.dtype.kind not in "OUS" and str(values.dtype) != "string" or \
                len(rows) > _COMPARED_TEXT_ROWS:
            return False  # dates, geometries, many rows: taken as changed
        # a few texts (one household placed): compared here, a write costs more
        return all(a is b or (pd.isna(a) and pd.isna(b)) or (not pd.isna(a) and not pd.isna(b)
                                                               and a == b)
                   for a, b in zip(values[rows], new, strict=True))
    old = values[rows].to_numpy(dtype="float64", na_value=np.nan)
    return bool(np.array_equal(old, new.to_numpy(dtype="float64", na_value=np.nan),
                               equal_nan=True))


class GeoSource(Source):
    """A table with a geometry column, projected to the map's metres."""

    def read(self, ids=None) -> gpd.GeoDataFrame:
        if ids is not None:
            return self._read(ids)
        # Many polygons come from their snapshot (in map metres), patched from the journal.
        columns = [c.name for c in stored_columns(self.table)] + ["geometry"]
        frame = TableSnapshot(self.session.project.engine, self.table, columns,
                              geometry="geometry", variant=f"EPSG:{self.session.epsg}"
                              ).load(self._read, self._read)
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=self.session.epsg)

    def _read(self, ids=None) -> gpd.GeoDataFrame:
        frame = load_geo_table(self.session.project.engine, self.table, ids=ids)
        return frame.to_crs(self.session.epsg) if len(frame) else frame.set_crs(
            self.session.epsg, allow_override=True)

    def finish(self, frame):
        if not isinstance(frame, gpd.GeoDataFrame):
            frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=self.session.epsg)
        return frame.reset_index(drop=True)

    def update_in_place(self, frame, rows, fresh):
        frame = Source.update_in_place(self, frame, rows, fresh)
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=self.session.epsg)


class GridSource(GeoSource):
    """Grids of every level with ``label``, ``admin_code`` and ``parent_code``."""

    def derived(self) -> list[str]:
        return ["label", "admin_code", "parent_code"]

    def finish(self, frame):
        frame = super().finish(frame)
        units = self.session.admin_codes()
        codes = pd.Series(frame["code"].to_numpy(), index=frame["id"].to_numpy())
        frame["admin_code"] = frame["admin_unit_id"].map(units)
        frame["parent_code"] = frame["parent_id"].map(codes)
        frame["label"] = frame["name"].str.replace(r"(总网格|一级网格|二级网格)$", "", regex=True)
        return frame

    def update_in_place(self, frame, rows, fresh):
        # A renamed code would change other grids' parent_code: derive the whole frame again.
        merged = Source.update_in_place(self, frame.drop(columns=self.derived()), rows,
                                        fresh.drop(columns=self.derived(), errors="ignore"))
        return self.finish(gpd.GeoDataFrame(merged, geometry="geometry", crs=self.session.epsg))


class HouseholdSource(Source):
    """Households, lean: ``x``/``y`` in map metres (NaN unknown) and the drawn attributes."""

    #: Asking for more households than this reads (and keeps) whole columns.
    WHOLE_COLUMN_ROWS = 5000

    def __init__(self, session):
        super().__init__(session, "household")
        # Whole columns read when asked (a sort, a filter, a search): ids (sorted) and values.
        self._ids = np.empty(0, dtype=np.int64)
        self._columns: dict[str, np.ndarray] = {}

    def read(self, ids=None) -> pd.DataFrame:
        if ids is not None:
            return self._read(ids)
        # A large county comes from its snapshot (in map metres), patched from the journal.
        columns = ["id", "x", "y", *(c for c in LEAN_HOUSEHOLD_COLUMNS
                                     if c not in ("id", "lon", "lat"))]
        return TableSnapshot(self.session.project.engine, "household", columns,
                             variant=f"EPSG:{self.session.epsg}").load(self._read, self._read)

    def _read(self, ids=None) -> pd.DataFrame:
        frame = load_table(self.session.project.engine, "household",
                           list(LEAN_HOUSEHOLD_COLUMNS), ids=ids)
        x, y = self.session.project_points(frame["lon"].to_numpy(float),
                                           frame["lat"].to_numpy(float))
        columns = {"id": frame["id"], "x": x, "y": y}
        columns.update((n, frame[n]) for n in frame.columns if n not in ("id", "lon", "lat"))
        return pd.DataFrame(columns, index=frame.index)

    def columns(self, names, ids=None) -> pd.DataFrame:
        """Other stored attributes of households (all, or ``ids``), indexed by id.

        A few rows (a page of the table, one identify) are read as asked; whole columns are
        read for many rows and kept, following later edits. ``id`` may be among ``names``.
        """
        names = list(dict.fromkeys(names))
        stored = [n for n in names if n != "id"]
        engine = self.session.project.engine
        wanted = None if ids is None else np.asarray(ids, dtype=np.int64)
        missing = [n for n in stored if n not in self._columns]
        if missing and wanted is not None and len(wanted) <= self.WHOLE_COLUMN_ROWS:
            read = load_table(engine, "household", ["id", *missing], ids=wanted.tolist())
            if not np.array_equal(read["id"].to_numpy(np.int64), wanted):  # unsorted or gone
                read = read.set_index("id").reindex(wanted)
            values = {n: read[n].to_numpy(dtype=object) if n in missing else
                      self._values(n, wanted) for n in stored}
            return self._columns_frame(names, values, wanted)
        if missing:
            read = load_table(engine, "household", ["id", *missing])
            ids_read = read["id"].to_numpy(np.int64)
            if self._columns and not np.array_equal(ids_read, self._ids):
                self._columns.clear()  # rows came or went meanwhile: keep one id order
                return self.columns(names, ids)
            self._ids = ids_read
            for name in missing:
                self._columns[name] = read[name].to_numpy(dtype=object)
        index = self._ids if wanted is None else wanted
        return self._columns_frame(names, {n: self._values(n, index) for n in stored}, index)

    @staticmethod
    def _columns_frame(names, values: dict, index: np.ndarray) -> pd.DataFrame:
        columns = {n: (index.copy() if n == "id" else values[n]) for n in names}
        return pd.DataFrame(columns, index=pd.Index(index, name=None))

    def _values(self, name: str, ids: np.ndarray) -> np.ndarray:
        """A kept column's values for ``ids`` (None for ids it does not hold)."""
        column = self._columns[name]
        if ids is self._ids:
            return column
        out = np.full(len(ids), None, dtype=object)
        if len(self._ids) and len(ids):
            positions = np.minimum(np.searchsorted(self._ids, ids), len(self._ids) - 1)
            found = self._ids[positions] == ids
            out[found] = column[positions[found]]
        return out

    def update_in_place(self, frame, rows, fresh):
        """The changed values written into the frame itself (only the changed columns).

        A county's frame is not copied for one household; pandas' copy-on-write keeps what a
        view took from it before (a column it holds is copied then, not changed under it).
        """
        fresh = self.finish(fresh)
        for column in fresh.columns:
            if column not in frame.columns:
                continue
            values, new = frame[column].array, fresh[column].array
            if _unchanged(values, rows, new):
                continue
            where = frame.columns.get_loc(column)
            if len(rows) == 1:  # one household: a tenth of a row-block write's cost
                frame.iat[int(rows[0]), where] = new[0]
            else:
                frame.iloc[rows, where] = new
        return frame

    def apply(self, change: EntityChange) -> bool:
        if self._columns and change:
            if change.inserted or change.deleted:
                self._columns.clear()
            elif change.updated:
                ids = np.array(sorted(change.updated), dtype=np.int64)
                fresh = load_table(self.session.project.engine, "household",
                                   ["id", *self._columns], ids=ids.tolist())
                positions = np.searchsorted(self._ids, fresh["id"].to_numpy(np.int64))
                for name, column in self._columns.items():
                    column[positions] = fresh[name].to_numpy(dtype=object)
        return super().apply(change)

    def unload(self) -> None:
        super().unload()
        self._columns.clear()


@functools.lru_cache(maxsize=16)
def transformer(source_epsg: int, target_epsg: int) -> pyproj.Transformer:
    """An always-xy transformer between two CRS (made once: making one takes milliseconds)."""
    return pyproj.Transformer.from_crs(source_epsg, target_epsg, always_xy=True)


def project_lonlat(points: tuple[np.ndarray, np.ndarray], epsg: int):
    """CGCS2000 lon/lat arrays (NaN kept) → map metres of ``epsg``."""
    lon, lat = points
    x, y = transformer(STORAGE_EPSG, epsg).transform(lon, lat)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
