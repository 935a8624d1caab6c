"""A worker's visit list (走访清单): the households still to check, in walking order, with a map.

The households are those of the grids the worker is responsible for (every level, down to the
level-3 grids) and, for a 结对帮扶责任人, the paired households, which have no compliant check in
the campaign yet: unchecked ones, and those whose only checks broke a rule (they need a proper
re-check). Located households come in route order; those without a location come last.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from gis_app.analysis.coverage import household_coverage
from gis_app.analysis.route import visit_route
from gis_app.core.assignments import current
from gis_app.core.codes import HouseholdAttribute, MonitoringType, WorkerRole
from gis_app.core.coverage import CoverageStatus
from gis_app.core.crs import STORAGE_EPSG, gauss_kruger_epsg
from gis_app.core.idcard import mask_id, mask_phone
from gis_app.services.coverage_service import load_campaign
from gis_app.services.export_service import PersonalDataDenied, may_see_personal_data
from gis_app.storage.audit import current_user
from gis_app.storage.project import Project
from gis_app.storage.reader import load_grids, load_table
from gis_app.storage.uow import edit

#: Columns of :attr:`VisitList.households` shown to users, with their Chinese headers.
COLUMNS: dict[str, str] = {
    "seq": "序号",
    "head_name": "户主姓名",
    "head_id_number": "证件号码",
    "phone": "联系电话",
    "members": "人口",
    "village": "村（社区）",
    "grid": "网格",
    "attribute": "户属性",
    "monitoring_type": "监测类型",
    "status": "排查状态",
    "leg_m": "距上一户（米）",
    "cumulative_m": "累计路程（米）",
    "note": "备注",
}

#: The statuses that still need a visit.
TO_CHECK = (CoverageStatus.UNCHECKED, CoverageStatus.NONCOMPLIANT)
UNKNOWN_LOCATION = "位置未知"
NEEDS_RECHECK = "已排查但不合规，需重新排查"


class WorkerNotFoundError(ValueError):
    """No worker (or more than one) matches the name or id given."""


@dataclass
class VisitList:
    """What a worker still has to visit in a campaign, ready for the table, map and exports."""

    #: ``id, name, phone, unit, title, roles`` (phone masked unless ``unmasked``).
    worker: dict
    #: ``id, year, round, name, start_date, end_date``.
    campaign: dict
    #: :data:`COLUMNS` plus ``household_id, status_code, located, x, y`` (Gauss–Krüger metres;
    #: NaN when the location is unknown); one row per household, in visiting order.
    households: pd.DataFrame
    #: The worker's grids (and those of paired households) in Gauss–Krüger metres:
    #: ``code, name, level, geometry``.
    grids: gpd.GeoDataFrame
    #: EPSG code of the Gauss–Krüger zone of ``x, y`` and ``grids``.
    epsg: int
    #: Straight-line metres from the first located household to the last.
    route_m: float
    #: Names of the grids the worker is responsible for (as assigned).
    grid_names: list[str] = field(default_factory=list)
    created_on: dt.date = field(default_factory=dt.date.today)
    unmasked: bool = False

    @property
    def count(self) -> int:
        """Households on the list."""
        return len(self.households)

    @property
    def located(self) -> pd.DataFrame:
        """The households with a location, in route order."""
        return self.households[self.households["located"].to_numpy(bool)]

    def outlines(self) -> list[tuple[int, np.ndarray]]:
        """The grids' boundary lines as ``(grid level, (k, 2) array of metres)``."""
        from gis_app.reports.visit_list import grid_rings

        return grid_rings(self.grids)

    def table(self) -> pd.DataFrame:
        """The list as users see it: Chinese headers, codes as labels, empty cells as ''."""
        frame = self.households[list(COLUMNS)].copy()
        for key in ("leg_m", "cumulative_m"):
            metres = frame[key].round(0)
            frame[key] = metres.map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
        return frame.fillna("").rename(columns=COLUMNS)


def find_worker(project: Project, name_or_id) -> int:
    """The id of the worker named ``name_or_id`` or with that id.

    Raises
    ------
    WorkerNotFoundError
        When nobody matches, or several workers share the name (their ids are listed).
    """
    workers = load_table(project.engine, "worker", ["id", "name", "unit", "active"])
    text = str(name_or_id).strip()
    if text.isdigit() and (workers["id"] == int(text)).any():
        return int(text)
    hits = workers[workers["name"] == text]
    if len(hits) == 0:
        raise WorkerNotFoundError(f"没有名为（或编号为）“{text}”的网格员")
    if len(hits) > 1:
        listed = "、".join(f"{r.name}（编号{r.id}，{r.unit or '单位未填'}）"
                          for r in hits.itertuples())
        raise WorkerNotFoundError(f"有{len(hits)}位网格员同名：{listed}，请改用编号")
    return int(hits["id"].iloc[0])


def _in_force(frame: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Rows in force on ``day``: the one rule of :mod:`gis_app.core.assignments`."""
    return current(frame, day)


def _grids_below(grids: pd.DataFrame, grid_ids: set[int]) -> set[int]:
    """``grid_ids`` and every grid under them (a handful of levels, one join per level)."""
    found, frontier = set(grid_ids), set(grid_ids)
    while frontier:
        children = set(grids.loc[grids["parent_id"].isin(frontier), "id"].astype(int)) - found
        found |= children
        frontier = children
    return found


def _worker_households(project: Project, worker_id: int, day: dt.date, households, grids):
    """Ids of the worker's households, and the ids of the grids assigned to them."""
    assignments = load_table(project.engine, "grid_assignment",
                             ["worker_id", "grid_id", "role", "start_date", "end_date"])
    assignments = _in_force(assignments[assignments["worker_id"] == worker_id], day)
    assigned = set(assignments["grid_id"].astype(int))
    covered = _grids_below(grids, assigned)
    # Households without a grid (no location) still belong to their village's grid and above.
    villages = set(grids.loc[grids["id"].isin(covered) & (grids["level"] == 2), "admin_unit_id"])
    in_grids = households["grid_id"].isin(covered) | (
        households["grid_id"].isna() & households["village_id"].isin(villages))
    pairs = load_table(project.engine, "helper_pair",
                       ["worker_id", "household_id", "start_date", "end_date"])
    pairs = _in_force(pairs[pairs["worker_id"] == worker_id], day)
    paired = households["id"].isin(set(pairs["household_id"].astype(int)))
    roles = sorted(set(assignments["role"]) | ({WorkerRole.HELPER.value} if len(pairs) else set()))
    return np.asarray(in_grids | paired, dtype=bool), assigned, roles


def _gk_epsg(project: Project, lon: np.ndarray) -> int:
    epsg = project.settings().get("gauss_kruger_epsg")
    if epsg:
        return int(epsg)
    finite = lon[np.isfinite(lon)]
    return gauss_kruger_epsg(float(np.mean(finite)) if len(finite) else 112.5)


def _labels(codes: pd.Series, enum) -> pd.Series:
    mapping = {int(member): member.label for member in enum}
    return codes.map(lambda v: "" if pd.isna(v) else mapping.get(int(v), str(v)))


def _worker(project: Project, worker_id: int, unmask: bool, user: str | None) -> dict:
    """The worker's row; refuses unknown workers and unmasking without the right."""
    user = user or current_user()
    if unmask and not may_see_personal_data(project, user):
        raise PersonalDataDenied(f"用户{user}无权查看未脱敏的个人信息（证件号码、电话）")
    workers = load_table(project.engine, "worker", ["id", "name", "phone", "unit", "title"])
    match = workers[workers["id"] == int(worker_id)]
    if match.empty:
        raise WorkerNotFoundError(f"没有编号为{worker_id}的网格员")
    return match.iloc[0].to_dict()


def _household_details(project: Project, households: pd.DataFrame) -> pd.DataFrame:
    """``households`` (with ``id``) joined with what a list shows of each (ID, phone, place)."""
    details = load_table(project.engine, "household",
                         ["id", "head_id_number", "phone", "members", "attribute",
                          "monitoring_type", "lon", "lat"]).set_index("id")
    return households.join(details, on="id")


def visit_list(
    project: Project,
    worker_id: int,
    campaign_year: int | None = None,
    unmask: bool = False,
    user: str | None = None,
    as_of: dt.date | None = None,
    start: tuple[float, float] | None = None,
) -> VisitList:
    """The households a worker still has to check, in a short walking order.

    Parameters
    ----------
    project : Project
        The open project.
    worker_id : int
        The worker (see :func:`find_worker`).
    campaign_year : int, optional
        The campaign's year; None: the newest campaign.
    unmask : bool
        Show ID numbers and phones in full; allowed only to users in ``personal_data_users``.
    user : str, optional
        Who asks; the current user (``GIS_APP_USER``) by default.
    as_of : datetime.date, optional
        The day whose assignments and helper pairs count; today by default.
    start : (float, float), optional
        Longitude and latitude to start from (e.g. the village committee); by default the
        household nearest the centre of the worker's grids comes first.

    Returns
    -------
    VisitList

    Raises
    ------
    WorkerNotFoundError
        Unknown worker.
    PersonalDataDenied
        ``unmask`` asked by a user without the right.
    CampaignNotFoundError
        The project has no such campaign.
    """
    worker = _worker(project, worker_id, unmask, user)
    data = load_campaign(project, campaign_year)
    campaign = data.campaign
    status, _ = household_coverage(data.households["id"], data.records, campaign["start_date"],
                                   campaign["end_date"])
    households = _household_details(project, data.households)
    households["status_code"] = status
    grids = load_grids(project.engine)
    mine, assigned, roles = _worker_households(project, int(worker_id), as_of or dt.date.today(),
                                               households, grids)
    todo = households[mine & np.isin(status, [int(s) for s in TO_CHECK])].reset_index(drop=True)
    todo["status"] = [CoverageStatus(int(s)).label for s in todo["status_code"]]
    noncompliant = todo["status_code"].to_numpy() == int(CoverageStatus.NONCOMPLIANT)
    todo["note"] = np.where(noncompliant, NEEDS_RECHECK, "")
    task = {k: campaign[k] for k in ("id", "year", "round", "name", "start_date", "end_date")}
    return _routed(project, worker, task, todo, grids, assigned, roles, unmask, start)


def households_visit_list(
    project: Project,
    worker_id: int,
    households: pd.DataFrame,
    task: dict,
    unmask: bool = False,
    user: str | None = None,
    as_of: dt.date | None = None,
    start: tuple[float, float] | None = None,
) -> VisitList:
    """A worker's visit list of given households (the clues of a disaster), in walking order.

    The same list, route and map as :func:`visit_list`, for households chosen by the caller
    instead of the campaign's unchecked ones.

    Parameters
    ----------
    project : Project
        The open project.
    worker_id : int
        The worker the list is for.
    households : pandas.DataFrame
        ``id`` of each household to visit, its ``status`` (the text the list shows, e.g.
        待核实) and optionally a ``note``.
    task : dict
        What the visits are for, as the list's heading names it: ``name``, ``start_date``,
        ``end_date`` (and ``task_label``, e.g. 核实任务; ``id``, ``year``, ``round`` may be
        None).
    unmask, user, as_of, start
        As for :func:`visit_list`.

    Returns
    -------
    VisitList
    """
    worker = _worker(project, worker_id, unmask, user)
    units = load_table(project.engine, "admin_unit", ["id", "name"]).set_index("id")["name"]
    grids = load_grids(project.engine)
    names = load_table(project.engine, "household", ["id", "head_name", "village_id",
                                                     "grid_id"])
    todo = households[["id", "status", *(["note"] if "note" in households else [])]].merge(
        names, on="id", how="inner")
    todo = _household_details(project, todo)
    todo["village"] = todo["village_id"].map(units)
    todo["grid_name"] = todo["grid_id"].map(grids.set_index("id")["name"])
    todo["status_code"] = -1  # not a coverage status
    todo["note"] = todo["note"].fillna("") if "note" in todo else ""
    everyone = load_table(project.engine, "household", ["id", "grid_id", "village_id"])
    _, assigned, roles = _worker_households(project, int(worker_id), as_of or dt.date.today(),
                                            everyone, grids)
    task = {"id": None, "year": None, "round": None, **task}
    return _routed(project, worker, task, todo.reset_index(drop=True), grids, assigned, roles,
                   unmask, start)


def _routed(project: Project, worker: dict, task: dict, todo: pd.DataFrame, grids,
            assigned: set[int], roles: list[str], unmask: bool,
            start: tuple[float, float] | None) -> VisitList:
    """The list of ``todo`` (households with ``status`` and ``note``) in walking order."""
    lon, lat = todo["lon"].to_numpy(float), todo["lat"].to_numpy(float)
    epsg = _gk_epsg(project, lon)
    to_gk = pyproj.Transformer.from_crs(STORAGE_EPSG, epsg, always_xy=True)
    x, y = to_gk.transform(lon, lat)
    located = np.isfinite(x) & np.isfinite(y)
    shown = grids["id"].isin(_grids_below(grids, assigned)) | grids["id"].isin(
        set(todo["grid_id"].dropna().astype(int)))
    map_grids = grids.loc[shown.to_numpy(), ["code", "name", "level", "geometry"]].to_crs(epsg)
    map_grids = map_grids.sort_values(["level", "code"], ascending=[False, True])

    if start is not None:
        start_xy = to_gk.transform(*start)
    elif len(map_grids):
        centre = map_grids[map_grids["level"] == map_grids["level"].max()].union_all().centroid
        start_xy = (centre.x, centre.y)
    else:
        start_xy = None
    positions = np.flatnonzero(located)
    route = visit_route(x[positions], y[positions], start_xy)
    order = np.r_[positions[route.order], np.flatnonzero(~located)]
    legs = np.full(len(todo), np.nan)
    legs[: len(positions)] = route.legs
    todo = todo.iloc[order].reset_index(drop=True)
    protect_id = (lambda v: v or "") if unmask else mask_id
    protect_phone = (lambda v: v or "") if unmask else mask_phone
    unknown = ~located[order]
    given = todo["note"].fillna("").to_numpy(dtype=object).astype(str)
    note = np.where(unknown & (given != ""), UNKNOWN_LOCATION + "；" + given,
                    np.where(unknown, UNKNOWN_LOCATION, given))
    frame = pd.DataFrame({
        "seq": np.arange(1, len(todo) + 1),
        "household_id": todo["id"].to_numpy(np.int64),
        "head_name": todo["head_name"].to_numpy(object),
        "head_id_number": todo["head_id_number"].map(protect_id).to_numpy(object),
        "phone": todo["phone"].map(protect_phone).to_numpy(object),
        "members": todo["members"].to_numpy(),
        "village": todo["village"].fillna("").to_numpy(object),
        "grid": todo["grid_name"].fillna("（未划入网格）").to_numpy(object),
        "attribute": _labels(todo["attribute"], HouseholdAttribute).to_numpy(object),
        "monitoring_type": _labels(todo["monitoring_type"], MonitoringType).to_numpy(object),
        "status": todo["status"].to_numpy(object),
        "status_code": todo["status_code"].to_numpy(np.int8),
        "leg_m": legs,
        "cumulative_m": np.where(np.isnan(legs), np.nan, np.cumsum(np.nan_to_num(legs))),
        "note": note,
        "located": ~unknown,
        "x": np.asarray(x)[order],
        "y": np.asarray(y)[order],
    })
    names = grids.set_index("id").loc[sorted(assigned), "name"].tolist() if assigned else []
    return VisitList(
        worker={"id": int(worker["id"]), "name": worker["name"],
                "phone": protect_phone(worker["phone"]), "unit": worker["unit"] or "",
                "title": worker["title"] or "", "roles": "、".join(roles)},
        campaign=task,
        households=frame,
        grids=map_grids.reset_index(drop=True),
        epsg=epsg,
        route_m=route.length,
        grid_names=names,
        unmasked=unmask,
    )


def export_visit_list(
    project: Project,
    worker_id: int,
    out: str | Path,
    campaign_year: int | None = None,
    unmask: bool = False,
    user: str | None = None,
) -> tuple[VisitList, Path]:
    """Write a worker's visit list to ``.xlsx`` or ``.pdf`` (by the extension); audit-logged.

    Returns
    -------
    (VisitList, pathlib.Path)
        The list and the file written.
    """
    out = Path(out)
    _check_suffix(out)
    user = user or current_user()
    visits = visit_list(project, worker_id, campaign_year, unmask, user)
    return visits, write_visit_list(project, visits, out, user)


def _check_suffix(out: Path) -> None:
    if out.suffix.lower() not in (".xlsx", ".pdf"):
        raise ValueError(f"不支持的走访清单格式：{out.suffix or '（无扩展名）'}（可用 .xlsx .pdf）")


def write_visit_list(project: Project, visits: VisitList, out: str | Path,
                     user: str | None = None) -> Path:
    """Write a list already made (a campaign's, or a disaster's clues') to ``.xlsx`` or ``.pdf``.

    The export is audit-logged like :func:`export_visit_list`'s.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from gis_app.reports.visit_list import write_visit_list_excel, write_visit_list_pdf

    out = Path(out)
    _check_suffix(out)
    writers = {".xlsx": write_visit_list_excel, ".pdf": write_visit_list_pdf}
    out.parent.mkdir(parents=True, exist_ok=True)
    writers[out.suffix.lower()](visits, out)
    with edit(project, user or current_user(), f"导出走访清单：{out.name}") as uow:
        uow.note("export_visit_list", "household",
                 {"file": str(out), "worker": int(visits.worker["id"]),
                  "households": visits.count, "unmasked": visits.unmasked})
    return out
