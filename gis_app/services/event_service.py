"""After a disaster: its footprint becomes an event, and the households inside become clues.

A flood's or landslide's footprint (the area it actually reached) comes from a file
(GeoPackage, Shapefile, GeoJSON: read, CRS resolved and broken geometries repaired like every
import) or is drawn on the map. With its date and kind it is written in ONE unit of work: the
``hazard_event`` row and one risk clue of channel 灾害 for every located household inside the
footprint (a household on its boundary is inside, one in a hole is not), found on the event's
date and due within the project's working days (DOMAIN §5, §10). One undo takes back the
event and its clues.

The same footprint twice creates nothing twice: an event is identified by a digest of its
normalised footprint, date and kind, so importing the same file again finds the event and
adds a clue only for households inside that have none of it yet (none, unless households
were added since), and says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from gis_app.analysis.exposure import select_by_location
from gis_app.core.codes import ClueChannel, HazardKind
from gis_app.core.crs import CHINA_BOUNDS
from gis_app.core.layer_fields import HAZARD_FIELDS
from gis_app.services.clue_service import (
    Clues,
    clue_visit_lists,
    due_dates,
    load_clues,
    verify_days,
)
from gis_app.storage.bulk import as_multipolygons
from gis_app.storage.reader import load_geo_table, load_table
from gis_app.storage.repositories import events as repo

#: Kinds of event a footprint may have (the hazard kinds of DOMAIN §10).
EVENT_KINDS: tuple[str, ...] = tuple(k.value for k in HazardKind)
#: Coordinates are rounded to this many degrees before the digest (about 1 cm): the same
#: footprint read from another format is the same event.
_DIGEST_GRID = 1e-7


@dataclass
class Footprint:
    """An event's area in EPSG:4490, where it came from and what reading it warned about."""

    geometry: shapely.MultiPolygon
    source: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: The 灾害类型 every feature of the file gives (None: none, or several).
    kind: str | None = None


@dataclass
class EventResult:
    """What registering a disaster wrote.

    Attributes
    ----------
    event_id, code, name, kind, occurred_on
        The event (new, or the one already registered with this footprint).
    new_event : bool
        False when the same footprint, date and kind were registered before.
    clues : Clues
        The clues created now, with their deadlines and responsible workers.
    inside : int
        Located households inside the footprint.
    already : int
        Of those, households that had a clue of this event already (skipped).
    label : str
        The edit's name ("" when nothing was written).
    warnings : list of str
        From reading the footprint and from the calendar.
    """

    event_id: int
    code: str
    name: str
    kind: str
    occurred_on: dt.date
    new_event: bool
    clues: Clues
    inside: int
    already: int
    label: str = ""
    changes: object = None
    warnings: list[str] = field(default_factory=list)

    @property
    def created(self) -> int:
        """Clues written now."""
        return len(self.clues.frame)

    def message(self) -> str:
        """One Chinese sentence on the outcome."""
        if self.created == 0:
            return (f"该灾害范围已登记为事件{self.code}（{self.name}），范围内{self.inside}户"
                    "均已有该事件的风险线索，本次未新增任何数据")
        skipped = f"，{self.already}户已有该事件的线索，未重复生成" if self.already else ""
        return (f"已登记灾害事件{self.code}（{self.name}）：范围内{self.inside}户，"
                f"生成{self.created}条风险线索{skipped}")


# --- the footprint ----------------------------------------------------------------------------


def _polygonal(geoms: np.ndarray, file: str) -> shapely.MultiPolygon:
    from gis_app.io.errors import InputFileError, Issue

    types = shapely.get_type_id(geoms)
    wrong = np.flatnonzero(~np.isin(types, (3, 6)))
    if len(wrong):
        raise InputFileError([Issue(file, int(i) + 1, "几何图形",
                                    f"事件范围必须是面（多边形），该要素是{geoms[i].geom_type}")
                              for i in wrong[:20]])
    union = shapely.union_all(geoms)
    return as_multipolygons(np.array([union], dtype=object))[0]


def read_footprint(path: str | Path, crs: int | None = None, gcj02: bool = False,
                   layer: str | None = None) -> Footprint:
    """An event's footprint from a vector file: every polygon of the layer, joined.

    Parameters
    ----------
    path : str or Path
        GeoPackage, Shapefile or GeoJSON (``io.vector.read_vector``: encodings, CRS, repairs).
    crs : int, optional
        EPSG code when the file declares none (or a wrong one).
    gcj02 : bool
        Coordinates from a phone map app (GCJ-02).
    layer : str, optional
        The GeoPackage's layer (default: the first).

    Raises
    ------
    InputFileError
        Unreadable or empty file, unknown CRS, geometries that cannot be repaired, features
        outside China, or features that are not polygons.
    """
    from gis_app.io import read_vector

    path = Path(path)
    result = read_vector(path, layer=layer, crs=crs, gcj02=gcj02)
    geometry = _polygonal(result.frame.geometry.to_numpy(), path.name)
    column = next((c for c in HAZARD_FIELDS["kind"] if c in result.frame.columns), None)
    kinds = set() if column is None else \
        set(result.frame[column].dropna().astype(str).str.strip()) - {""}
    return Footprint(geometry, path.name, [str(issue) for issue in result.issues],
                     kinds.pop() if len(kinds) == 1 else None)


def drawn_footprint(lonlat) -> Footprint:
    """A footprint drawn on the map: a ring of (lon, lat) vertices, or a shapely polygon.

    Raises
    ------
    ValueError
        When the shape is not a valid polygon in China's longitudes and latitudes.
    """
    polygon = lonlat if isinstance(lonlat, shapely.Geometry) else shapely.Polygon(lonlat)
    if shapely.get_type_id(polygon) not in (3, 6) or polygon.is_empty or polygon.area == 0:
        raise ValueError("所画事件范围不是有面积的多边形，请重新绘制")
    if not polygon.is_valid:
        raise ValueError("所画事件范围无效（边界自相交等），请重新绘制")
    west, south, east, north = CHINA_BOUNDS
    x0, y0, x1, y1 = polygon.bounds
    if not (west <= x0 and x1 <= east and south <= y0 and y1 <= north):
        raise ValueError("所画事件范围的坐标不是中国范围内的经纬度（EPSG:4490）")
    return Footprint(as_multipolygons(np.array([polygon], dtype=object))[0], "地图绘制")


def footprint_digest(geometry, occurred_on: dt.date, kind: str) -> str:
    """The event's identity: SHA-256 of kind, date and the normalised, rounded footprint."""
    shape = shapely.normalize(shapely.set_precision(geometry, _DIGEST_GRID))
    text = f"{kind}|{occurred_on.isoformat()}|".encode() + shapely.to_wkb(shape)
    return hashlib.sha256(text).hexdigest()


# --- registering an event ---------------------------------------------------------------------


def parse_date(value) -> dt.date:
    """A date from ``2025-09-26``, ``2025-9-26``, ``2025/9/26`` or ``2025年9月26日``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for form in ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise ValueError(f"日期无效：{value}（格式如 2025-09-26）")


def check_kind(kind) -> str:
    """The kind as stored, or a Chinese refusal naming the kinds."""
    text = str(kind or "").strip()
    if text not in EVENT_KINDS:
        raise ValueError(f"未知的灾害类型：{text or '（空）'}（可选：{'、'.join(EVENT_KINDS)}）")
    return text


def _county_check(project, geometry) -> list[str]:
    """Refuse a footprint away from the county; warn when part of it lies outside."""
    units = load_geo_table(project.engine, "admin_unit")
    shapes = units.geometry.to_numpy()
    shapes = shapes[~(shapely.is_missing(shapes) | shapely.is_empty(shapes))]
    if not len(shapes):
        raise ValueError("项目中还没有行政区界，无法判断事件范围是否在本县")
    hits = shapely.STRtree(shapes).query(geometry, predicate="intersects")
    if not len(hits):
        raise ValueError("事件范围不在本县范围内，请检查文件或坐标系，未写入任何数据")
    outside = shapely.area(shapely.difference(geometry, shapely.union_all(shapes[hits])))
    share = outside / geometry.area if geometry.area else 0.0
    if share > 0.01:
        return [f"事件范围约有{share:.0%}在本县范围外，只为本县范围内的农户生成线索"]
    return []


class EventService:
    """Disaster events and their clues on a :class:`~gis_app.services.session.ProjectSession`."""

    def __init__(self, session):
        self.session = session

    @property
    def project(self):
        """The session's project."""
        return self.session.project

    def register(self, footprint: Footprint, occurred_on, kind=None, name: str | None = None,
                 source: str | None = None, as_of: dt.date | None = None) -> EventResult:
        """Write the event and a 灾害 clue for every household inside, in one unit of work.

        Parameters
        ----------
        footprint : Footprint
            From :func:`read_footprint` or :func:`drawn_footprint`.
        occurred_on : datetime.date or str
            The day of the disaster: the day the clues are found (day 0 of the deadline).
        kind : str, optional
            One of :data:`EVENT_KINDS` (洪涝, 滑坡 …); default: the one the file gives.
        name : str, optional
            The event's name (default: date and kind, 2025年9月26日洪涝灾害).
        source : str, optional
            Where the footprint came from (default: the file's name).
        as_of : datetime.date, optional
            The day the clues' standing (overdue or not) is given for (default today).

        Returns
        -------
        EventResult

        Raises
        ------
        ValueError
            Bad date or kind, a footprint away from the county, or no located household
            inside (nothing is written then).
        """
        if kind is None and footprint.kind is None:
            raise ValueError(f"请指定灾害类型（可选：{'、'.join(EVENT_KINDS)}）")
        occurred_on = parse_date(occurred_on)
        kind = check_kind(footprint.kind if kind is None else kind)
        if occurred_on > dt.date.today():
            raise ValueError(f"灾害日期{occurred_on}晚于今天，请检查")
        name = (str(name).strip() if name else "") or \
            f"{occurred_on.year}年{occurred_on.month}月{occurred_on.day}日{kind}灾害"
        if len(name) > 64:
            raise ValueError("事件名称不超过64个字")
        geometry = footprint.geometry
        warnings = list(footprint.warnings) + _county_check(self.project, geometry)
        digest = footprint_digest(geometry, occurred_on, kind)
        days = verify_days(self.project)
        _, calendar_warnings = due_dates([occurred_on], days)
        with self.session.edit(f"登记灾害事件：{name}") as uow:
            stored = repo.event_by_digest(uow.connection, digest)
            if stored is None:
                code = f"ZQ{occurred_on:%Y%m%d}-{digest[:6].upper()}"
                event_id = repo.insert_event(uow.connection, {
                    "code": code, "name": name, "kind": kind, "occurred_on": occurred_on,
                    "source": (source or footprint.source or "")[:128] or None,
                    "digest": digest, "created_by": self.session.user,
                    "created_at": dt.datetime.now().replace(microsecond=0),
                    "geom": geometry})
                uow.bulk_inserted("hazard_event", [event_id])
            else:
                event_id, code, name = int(stored["id"]), stored["code"], stored["name"]
            points = repo.households_within(uow.connection, geometry.bounds)
            # QGIS's 按位置选择 "intersects": on the boundary is inside, in a hole is not.
            rows = np.flatnonzero(select_by_location(
                (points["lon"].to_numpy(), points["lat"].to_numpy()), geometry))
            inside = points["id"].to_numpy(np.int64)[rows]
            if not len(inside):
                raise ValueError("事件范围内没有已定位的农户，未写入任何数据")
            already = repo.clued_households(uow.connection, event_id)
            fresh = np.setdiff1d(inside, already)
            ids = repo.insert_clues(uow.connection, pd.DataFrame({
                "household_id": fresh,
                "channel": ClueChannel.DISASTER.value,
                "description": f"{name}影响范围内",
                "found_on": occurred_on,
                "event_id": event_id,
            })) if len(fresh) else np.empty(0, np.int64)
            uow.bulk_inserted("risk_clue", ids)
            if len(ids):
                uow.label = f"登记灾害事件：{name}，生成{len(ids)}条风险线索"
                uow.note("register_event", "hazard_event",
                         {"event": code, "name": name, "kind": kind,
                          "occurred_on": occurred_on.isoformat(), "households": len(inside),
                          "clues": len(ids)})
        clues = load_clues(self.project, as_of, clue_ids=ids.tolist())
        return EventResult(event_id, code, name, kind, occurred_on, stored is None, clues,
                           len(inside), len(inside) - len(fresh),
                           uow.label if uow.changes else "", uow.changes,
                           warnings + calendar_warnings)

    def verify(self, clue_id: int, verified_on=None) -> str:
        """Record that a clue was verified at the household (one unit of work).

        Returns the edit's name. Refused when the clue is unknown or verified already, or the
        day is before it was found or after today.
        """
        day = parse_date(verified_on or dt.date.today())
        clues = load_clues(self.project, day, clue_ids=[int(clue_id)])
        if not len(clues.frame):
            raise ValueError(f"项目中没有编号为{clue_id}的风险线索")
        clue = clues.frame.iloc[0]
        if clue["verified_on"] is not None and not pd.isna(clue["verified_on"]):
            raise ValueError(f"该风险线索已于{clue['verified_on']}核实")
        if day < clue["found_on"]:
            raise ValueError(f"核实日期{day}早于线索发现日期{clue['found_on']}")
        if day > dt.date.today():
            raise ValueError(f"核实日期{day}晚于今天")
        with self.session.edit(f"核实风险线索：户主{clue['head_name']}") as uow:
            uow.update("risk_clue", int(clue_id), int(clue["version"]), verified_on=day)
        return uow.label


def event_visit_lists(project, event_id: int, as_of: dt.date | None = None,
                      unmask: bool = False, user: str | None = None):
    """The visit list (走访清单) of each responsible worker for an event's open clues.

    Returns
    -------
    (list of VisitList, pandas.DataFrame)
        One list per worker (households in walking order, with the map), and the open clues
        of households whose grid has no responsible worker on ``as_of``.
    """
    events = load_table(project.engine, "hazard_event", ["id", "code", "name"])
    match = events[events["id"] == int(event_id)]
    if match.empty:
        raise ValueError(f"项目中没有编号为{event_id}的灾害事件")
    clues = load_clues(project, as_of, event_id=int(event_id), open_only=True, unmask=unmask,
                       user=user)
    return clue_visit_lists(project, clues, f"{match['name'].iloc[0]}风险线索核实",
                            unmask=unmask, user=user)
