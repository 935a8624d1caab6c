"""Hazard exposure of a project: households and resettlement sites per unit, kind and level.

Reads what a session holds (households as projected x/y, hazard zones and points, sites, helper
pairs; all in the project's Gauss–Krüger metres, nothing projected again) and runs
:mod:`gis_app.analysis.exposure`; the hazards' index is kept in the user's cache folder between
sessions (:mod:`gis_app.storage.index_files`). Kinds and levels are named as the map's legends
name them (``styles/hazard_zones_by_kind.toml``: 洪涝 …,
``styles/hazard_zones_by_level.toml``: 极高风险, 高风险 …), in Chinese by default, in English
with ``language="en"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import shapely

from gis_app.analysis.exposure import (
    SUMMARY_COLUMNS,
    exposure_summary,
    hazard_index,
    join_to_frame,
)
from gis_app.analysis.point_in_polygon import join_points_to_polygons
from gis_app.core.assignments import current
from gis_app.core.codes import HazardKind, HazardLevel
from gis_app.storage.index_files import KeptIndexes

#: The command line's columns, in order.
CLI_COLUMNS = ["code", "name", "kind", "level", "households", "persons", "monitored", "sites"]


@lru_cache(maxsize=1)
def _legends():
    from gis_app.catalog import load_styles

    styles = load_styles()
    kinds = {str(c.value): c.label for c in styles["hazard_zones_by_kind"].classes}
    levels = {int(c.value): c.label for c in styles["hazard_zones_by_level"].classes}
    return kinds, levels


def kind_name(kind: str, language: str = "zh") -> str:
    """A kind as the hazard legend names it (洪涝 / Flood); an unknown kind as it is stored."""
    label = _legends()[0].get(str(kind))
    if label is None:
        return str(kind)
    return label.en if language == "en" else label.zh


def level_name(level: int, language: str = "zh") -> str:
    """A level as the risk legend names it (1 → 极高风险 / Extreme)."""
    label = _legends()[1].get(int(level))
    if label is None:
        return HazardLevel(int(level)).label
    return label.en if language == "en" else label.zh


def parse_kind(text: str, known=()) -> str:
    """The stored kind a user means: 洪涝, its English name (Flood, flood) or FLOOD.

    ``known``: further kinds the project holds (e.g. 山洪), accepted as they are stored.

    Raises
    ------
    ValueError
        For any other text, listing the kinds there are (Chinese).
    """
    wanted = str(text).strip()
    choices = list(dict.fromkeys([k.value for k in HazardKind] + [str(k) for k in known]))
    for kind in choices:
        names = {kind, kind_name(kind, "zh"), kind_name(kind, "en").lower()}
        member = HazardKind._value2member_map_.get(kind)
        if member is not None:
            names.add(member.name.lower())
        if wanted in names or wanted.lower() in names:
            return kind
    raise ValueError(f"未知的灾害类型：{wanted}（可选：{'、'.join(choices)}）")


@dataclass
class ExposureInputs:
    """What the analysis reads, in the map's metres (``epsg``)."""

    epsg: int
    #: Located households: ``id, x, y, members, attribute, monitoring_type, risk_eliminated``
    #: and the unit columns ``township_code, township, village_code, village, grid_code,
    #: grid_name``.
    households: pd.DataFrame
    zones: object
    hazard_points: object
    #: Sites: ``id, code, name, x, y``, unit columns and ``households`` (how many they hold).
    sites: pd.DataFrame
    #: Helper pairs in force today.
    helper_pairs: pd.DataFrame
    #: Households without a location (never exposed; counted apart).
    unlocated: int = 0


@dataclass
class ExposureResult:
    """Exposure of a project's households and sites at one buffer."""

    buffer_m: float
    inputs: ExposureInputs
    #: ``row`` (position in ``inputs.households``), ``kind``, ``level``.
    household_rows: pd.DataFrame
    #: The same for ``inputs.sites``.
    site_rows: pd.DataFrame
    _tables: dict = field(default_factory=dict)

    @property
    def households(self) -> pd.DataFrame:
        """Per exposed household and kind: ``household_id, kind, level`` (most severe)."""
        ids = self.inputs.households["id"].to_numpy(np.int64)
        rows = self.household_rows
        return pd.DataFrame({"household_id": ids[rows["row"].to_numpy(np.int64)],
                             "kind": rows["kind"].astype(str).to_numpy(dtype=object),
                             "level": rows["level"].to_numpy(np.int64)})

    @property
    def sites(self) -> pd.DataFrame:
        """Per exposed site and kind: ``site_id, kind, level``."""
        ids = self.inputs.sites["id"].to_numpy(np.int64)
        rows = self.site_rows
        return pd.DataFrame({"site_id": ids[rows["row"].to_numpy(np.int64)],
                             "kind": rows["kind"].astype(str).to_numpy(dtype=object),
                             "level": rows["level"].to_numpy(np.int64)})

    def summary(self, unit_level: int = 3, kind: str | None = None,
                language: str = "zh") -> pd.DataFrame:
        """Per unit × kind × level (:data:`~gis_app.analysis.exposure.SUMMARY_COLUMNS`).

        ``kind`` and ``level`` become the legend's names; ``kind_code`` and ``level_code``
        keep the stored values. ``kind``: only that stored kind.
        """
        if unit_level not in self._tables:
            self._tables[unit_level] = exposure_summary(
                self.inputs.households, self.household_rows, unit_level,
                sites=self.inputs.sites, site_exposure=self.site_rows,
                helper_pairs=self.inputs.helper_pairs)
        table = self._tables[unit_level]
        if kind is not None:
            table = table[table["kind"] == kind]
        table = table.rename(columns={"kind": "kind_code", "level": "level_code"})
        table.insert(2, "kind", [kind_name(k, language) for k in table["kind_code"]])
        table.insert(3, "level", [level_name(v, language) for v in table["level_code"]])
        return table.reset_index(drop=True)


def _session(source):
    """A session of ``source`` (a ProjectSession, or a Project read through a new one)."""
    from gis_app.services.session import ProjectSession

    return source if isinstance(source, ProjectSession) else ProjectSession(source)


def _positions(ids, wanted) -> np.ndarray:
    """Row of each of ``wanted`` in the unique ``ids`` (-1: missing or unknown)."""
    ids = np.asarray(ids, dtype=np.int64)
    wanted = pd.array(wanted, dtype="Int64").to_numpy(dtype=np.int64, na_value=-1)
    if not len(ids):
        return np.full(len(wanted), -1, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    slot = np.minimum(np.searchsorted(ids[order], wanted), len(ids) - 1)
    found = ids[order][slot] == wanted
    return np.where(found & (wanted >= 0), order[slot], -1)


def _unit_columns(session, village_ids, grid_ids, as_str: bool = False) -> dict:
    """Township, village and level-3 grid code and name of each village id and grid id.

    Object arrays with None for a missing unit, or with ``as_str`` pandas string arrays
    (what a frame makes of them anyway, taken without a Python string each: 120,000
    households in a few milliseconds).
    """
    units = session.frame("admin_units")
    grids = session.grids
    village = _positions(units["id"], village_ids)
    parent = pd.array(units["parent_id"], dtype="Int64").to_numpy(dtype=np.int64, na_value=-1)
    township = _positions(units["id"], np.where(village >= 0, parent[village], -1))
    grid = _positions(grids["id"], grid_ids)

    def values(column, at):
        if as_str:
            return pd.array(column.to_numpy(dtype=object), dtype="str").take(at,
                                                                            allow_fill=True)
        known = column.to_numpy(dtype=object)
        return np.where(at >= 0, known[np.maximum(at, 0)] if len(known) else None, None)

    return {"township_code": values(units["code"], township),
            "township": values(units["name"], township),
            "village_code": values(units["code"], village),
            "village": values(units["name"], village),
            "grid_code": values(grids["code"], grid),
            "grid_name": values(grids["name"], grid)}


def _sites(session) -> pd.DataFrame:
    """Sites with x/y, units (village and grid by location) and the households they hold."""
    sites = session.frame("sites")
    geoms = np.asarray(sites.geometry.to_numpy(), dtype=object)
    geoms = np.where(shapely.is_empty(geoms), None, geoms) if len(geoms) else geoms
    x = shapely.get_x(geoms).astype(float) if len(geoms) else np.empty(0)
    y = shapely.get_y(geoms).astype(float) if len(geoms) else np.empty(0)
    villages = session.villages
    village = np.full(len(sites), -1, dtype=np.int64)
    if len(sites) and len(villages):
        at = join_points_to_polygons((x, y), villages)
        village = np.where(at >= 0, villages["id"].to_numpy(np.int64)[np.maximum(at, 0)], -1)
    grid = session.grids_at(x, y, 3) if len(sites) else np.empty(0, dtype=np.int64)
    units = _unit_columns(session, pd.array(np.where(village >= 0, village, None), "Int64"),
                          pd.array(np.where(grid >= 0, grid, None), "Int64"))
    # A site outside every village still belongs to its township.
    stored = pd.Series(sites["township_id"].to_numpy(), dtype="Int64") \
        if "township_id" in sites else pd.Series([pd.NA] * len(sites), dtype="Int64")
    by_id = session.frame("admin_units").set_index("id")
    missing = pd.isna(units["township_code"])
    units["township_code"] = np.where(missing, stored.map(by_id["code"]).astype(object),
                                      units["township_code"])
    units["township"] = np.where(missing, stored.map(by_id["name"]).astype(object),
                                 units["township"])
    held = session.household_columns(["resettlement_site_id"])["resettlement_site_id"]
    held = pd.to_numeric(held, errors="coerce").dropna().astype(np.int64).value_counts()
    frame = pd.DataFrame({"id": sites["id"].to_numpy(np.int64), "code": sites["code"].to_numpy(),
                          "name": sites["name"].to_numpy(), "x": x, "y": y, **units})
    frame["households"] = frame["id"].map(held).fillna(0).astype(np.int64).to_numpy()
    for column in ("township_code", "township", "village_code", "village", "grid_code",
                   "grid_name"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def warm_inputs(session) -> None:
    """Read now what :func:`load_inputs` reads from the store, on the caller's thread.

    A window calls this on its own thread (the session's reads and its kept columns are made
    there), then :func:`load_inputs` on a worker thread: what is left is arithmetic on frames
    already in memory (a second at 120,000 households, which froze the window).
    """
    session.load(["admin_units", "grids", "households", "sites", "hazard_zones",
                  "hazard_points", "helper_pairs"])
    session.villages  # noqa: B018 - read and kept by the session
    session.grid_index(3)
    session.household_columns(["resettlement_site_id"])


def load_inputs(source) -> ExposureInputs:
    """Households (located), zones, hazard points, sites and current helper pairs.

    Parameters
    ----------
    source : ProjectSession or Project
        A window's session (its frames are reused) or a project (read through a session).
    """
    session = _session(source)
    everyone = session.households
    located = np.isfinite(everyone["x"].to_numpy(float)) & np.isfinite(
        everyone["y"].to_numpy(float))
    households = everyone[located].reset_index(drop=True)
    units = _unit_columns(session, households["village_id"].to_numpy(dtype=object),
                          households["grid_id"].to_numpy(dtype=object), as_str=True)
    households = households.assign(**units)
    zones = session.frame("hazard_zones")
    points = session.frame("hazard_points")
    pairs = current(session.frame("helper_pairs"))
    return ExposureInputs(session.epsg, households, zones, points, _sites(session),
                          pairs, int((~located).sum()))


def compute_exposure(source, buffer_m: float = 0.0, progress=None,
                     inputs: ExposureInputs | None = None) -> ExposureResult:
    """Exposure of every located household and every site.

    Parameters
    ----------
    source : ProjectSession or Project
        Where the data comes from (ignored when ``inputs`` are given).
    buffer_m : float
        Metres around every zone, added to every hazard point's threat radius.
    progress : callable, optional
        ``progress(done, total)``.
    inputs : ExposureInputs, optional
        Inputs already loaded (:func:`load_inputs`), e.g. for several buffers.

    Raises
    ------
    ValueError
        A negative buffer (Chinese message).
    """
    buffer_m = float(buffer_m)
    if not np.isfinite(buffer_m) or buffer_m < 0:
        raise ValueError(f"缓冲距离无效：{buffer_m:g}（应为不小于0的米数）")
    inputs = inputs or load_inputs(source)
    if progress:
        progress(0, 3)
    zones = inputs.zones if len(inputs.zones) else None
    points = inputs.hazard_points if len(inputs.hazard_points) else None
    # Kept on disk by digest: the next session and the command line read it, not build it.
    index, kinds = hazard_index(zones, points, buffer_m, points=len(inputs.households),
                                keep=KeptIndexes())
    if progress:
        progress(1, 3)
    households = join_to_frame(index, kinds, inputs.households["x"].to_numpy(float),
                               inputs.households["y"].to_numpy(float))
    if progress:
        progress(2, 3)
    sites = join_to_frame(index, kinds, inputs.sites["x"].to_numpy(float),
                          inputs.sites["y"].to_numpy(float))
    if progress:
        progress(3, 3)
    return ExposureResult(buffer_m, inputs, households, sites)


def exposure_by_unit(source, buffer_m: float = 0.0, unit_level: int = 3,
                     kind: str | None = None, language: str = "zh",
                     progress=None, inputs: ExposureInputs | None = None) -> pd.DataFrame:
    """Households and sites exposed per unit × kind × level (the command line's table).

    Parameters
    ----------
    source : ProjectSession or Project
        The project.
    buffer_m : float
        Metres around zones (and added to threat radii).
    unit_level : int
        1 townships, 2 villages, 3 level-3 grids.
    kind : str, optional
        Only this kind (as stored or as :func:`parse_kind` reads it).
    language : {"zh", "en"}
        The names of kinds and levels.
    inputs : ExposureInputs, optional
        Inputs already loaded (:func:`load_inputs`).

    Returns
    -------
    pandas.DataFrame
        :data:`~gis_app.analysis.exposure.SUMMARY_COLUMNS` with ``kind``/``level`` named as
        the legends name them, plus ``kind_code``/``level_code``; sorted by unit code, kind,
        level. The row with code None holds points in no unit of that level.
    """
    if unit_level not in (1, 2, 3):
        raise ValueError(f"统计层级应为1（乡镇）、2（村）或3（三级网格），而不是{unit_level}")
    inputs = inputs or load_inputs(source)
    if kind is not None:
        present = set(inputs.zones["kind"]) | set(inputs.hazard_points["kind"])
        kind = parse_kind(kind, sorted(present))
    result = compute_exposure(source, buffer_m, progress, inputs=inputs)
    return result.summary(unit_level, kind, language)


def cli_records(table: pd.DataFrame) -> list[dict]:
    """The command line's JSON rows of an :func:`exposure_by_unit` table."""
    records = []
    for row in table[CLI_COLUMNS].itertuples(index=False):
        records.append({"code": row.code, "name": row.name, "kind": row.kind,
                        "level": row.level, "households": int(row.households),
                        "persons": int(row.persons), "monitored": int(row.monitored),
                        "sites": int(row.sites)})
    return records


__all__ = ["CLI_COLUMNS", "SUMMARY_COLUMNS", "ExposureInputs", "ExposureResult",
           "cli_records", "compute_exposure", "exposure_by_unit", "kind_name", "level_name",
           "load_inputs", "parse_kind"]
