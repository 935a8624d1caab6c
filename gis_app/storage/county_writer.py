"""Writing a county's frames (keyed by codes and ID numbers) into the tables (keyed by ids).

Files and generators speak in codes (village code, grid code, ID number, worker phone); the
database speaks in integer ids. Each function here maps one to the other with vectorised
``Series.map`` and hands the rows to :func:`gis_app.storage.bulk.bulk_insert`, all inside the
caller's transaction so an import is all or nothing. Ids are assigned up front and each function
returns those of the rows it inserted, for the unit of work to record
(:meth:`~gis_app.storage.uow.UnitOfWork.bulk_inserted`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from gis_app.core.codes import AdminLevel, LocationSource
from gis_app.storage import models as m
from gis_app.storage.bulk import bulk_insert, next_id
from gis_app.storage.frame_sink import FrameSink


def _insert(connection, table, frame: pd.DataFrame) -> int:
    """Rows into a live connection (COPY/executemany) or into a FrameSink for a fresh file."""
    if isinstance(connection, FrameSink):
        return connection.insert(table, frame)
    return bulk_insert(connection, table, frame)


def _next_id(connection, table) -> int:
    if isinstance(connection, FrameSink):
        return connection.next_id(table)
    return next_id(connection, table)


def code_map(connection: Connection | FrameSink, table, key: str = "code") -> pd.Series:
    """Ids of every row of ``table``, indexed by ``key`` (a code, an ID number, a phone)."""
    if isinstance(connection, FrameSink):
        return connection.code_map(table, key)
    rows = connection.execute(select(table.c[key], table.c.id)).all()
    return pd.Series([i for _, i in rows], index=[k for k, _ in rows], dtype="int64")


def _with_ids(connection: Connection, table, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    start = _next_id(connection, table)
    frame.insert(0, "id", np.arange(start, start + len(frame), dtype=np.int64))
    return frame


def _insert_new(connection, table, frame: pd.DataFrame) -> np.ndarray:
    """Rows with ids assigned here (the next free ones); returns the ids."""
    frame = _with_ids(connection, table, frame)
    _insert(connection, table, frame)
    return frame["id"].to_numpy(np.int64)


def _map_required(values: pd.Series, mapping: pd.Series, what: str) -> pd.Series:
    """Ids for ``values`` by one hash lookup per value; an unknown non-empty value is an error."""
    values = pd.Series(values).reset_index(drop=True)
    positions = pd.Index(mapping.index).get_indexer(values.astype(object))
    known = positions >= 0
    unknown = values[~known & values.notna().to_numpy()]
    if len(unknown):
        raise KeyError(f"未知的{what}：{', '.join(map(str, unknown.unique()[:5]))}")
    ids = np.where(known, mapping.to_numpy()[np.maximum(positions, 0)], 0)
    return pd.Series(ids, dtype="int64").where(known, None).astype("Int64")


def insert_admin_units(connection: Connection, county: dict | None, townships,
                       villages) -> np.ndarray:
    """Insert the county (unless None: it exists), townships and villages (EPSG:4490 frames).

    Returns the new rows' ids.
    """
    table = m.AdminUnit.__table__
    county_id = None
    if county is not None:
        county_id = _next_id(connection, table)
        _insert(connection,
            table,
            pd.DataFrame(
                {
                    "id": [county_id],
                    "code": [county["code"]],
                    "name": [county["name"]],
                    "level": [int(AdminLevel.COUNTY)],
                    "parent_id": [None],
                    "geom": [townships.geometry.union_all() if len(townships) else None],
                }
            ),
        )
    parent_id = county_id
    if county is None:
        parent_id = (
            connection.first_id(table, "level", int(AdminLevel.COUNTY))
            if isinstance(connection, FrameSink)
            else connection.execute(
                select(table.c.id).where(table.c.level == int(AdminLevel.COUNTY))
            ).scalar()
        )
    town = _with_ids(
        connection,
        table,
        pd.DataFrame(
            {
                "code": townships["code"].to_numpy(),
                "name": townships["name"].to_numpy(),
                "level": int(AdminLevel.TOWNSHIP),
                "parent_id": parent_id,
                "geom": townships.geometry.to_numpy(),
            }
        ),
    )
    _insert(connection, table, town)
    town_ids = code_map(connection, table)
    vill = _with_ids(
        connection,
        table,
        pd.DataFrame(
            {
                "code": villages["code"].to_numpy(),
                "name": villages["name"].to_numpy(),
                "level": int(AdminLevel.VILLAGE),
                "parent_id": _map_required(
                    villages["township_code"], town_ids, "乡镇代码"
                ).to_numpy(),
                "geom": villages.geometry.to_numpy(),
            }
        ),
    )
    _insert(connection, table, vill)
    new = [] if county_id is None else [county_id]
    return np.concatenate([np.asarray(new, dtype=np.int64), town["id"].to_numpy(np.int64),
                           vill["id"].to_numpy(np.int64)])


def insert_grids(connection: Connection, grids) -> np.ndarray:
    """Insert grids of all levels, parents before children; returns the new rows' ids."""
    admin = code_map(connection, m.AdminUnit.__table__)
    table = m.Grid.__table__
    frame = _with_ids(
        connection,
        table,
        pd.DataFrame(
            {
                "code": grids["code"].to_numpy(),
                "name": grids["name"].to_numpy(),
                "level": grids["level"].astype(int).to_numpy(),
                "admin_unit_id": _map_required(
                    grids["admin_code"], admin, "行政区划代码"
                ).to_numpy(),
                "geom": grids.geometry.to_numpy(),
            }
        ),
    )
    known = pd.concat([code_map(connection, table),
                       pd.Series(frame["id"].to_numpy(), index=frame["code"].to_numpy())])
    frame["parent_id"] = _map_required(
        grids["parent_code"].reset_index(drop=True), known, "上级网格"
    )
    frame = frame.sort_values("level", kind="stable")
    _insert(connection, table, frame)
    return frame["id"].to_numpy(np.int64)


def insert_sites(connection: Connection, sites) -> np.ndarray:
    """Insert resettlement sites (points); returns their ids."""
    admin = code_map(connection, m.AdminUnit.__table__)
    frame = pd.DataFrame(
        {
            "code": sites["code"].to_numpy(),
            "name": sites["name"].to_numpy(),
            "kind": sites["kind"].to_numpy(),
            "capacity": sites["capacity"].to_numpy(),
            "built_year": sites["built_year"].to_numpy(),
            "township_id": sites["township_code"].map(admin).to_numpy(),
            "geom": sites.geometry.to_numpy(),
        }
    )
    return _insert_new(connection, m.ResettlementSite.__table__, frame)


def insert_hazards(connection: Connection, zones, points) -> tuple[np.ndarray, np.ndarray]:
    """Insert hazard zones (polygons) and hazard points; returns (zone ids, point ids)."""
    zone_ids = point_ids = np.empty(0, dtype=np.int64)
    zone_cols = ["code", "name", "kind", "level", "source", "year"]
    if zones is not None and len(zones):
        frame = pd.DataFrame({c: zones[c].to_numpy() for c in zone_cols})
        frame["geom"] = zones.geometry.to_numpy()
        zone_ids = _insert_new(connection, m.HazardZone.__table__, frame)
    point_cols = ["code", "name", "kind", "level", "threatened_households", "threatened_persons",
                  "threat_radius"]
    if points is not None and len(points):
        frame = pd.DataFrame({c: points[c].to_numpy() for c in point_cols if c in points})
        frame["geom"] = points.geometry.to_numpy()
        point_ids = _insert_new(connection, m.HazardPoint.__table__, frame)
    return zone_ids, point_ids


#: Household columns taken from the input frame (ids and provenance are set here).
_HOUSEHOLD_COLUMNS = tuple(
    c.name for c in m.Household.__table__.c
    if c.name not in ("id", "village_id", "grid_id", "resettlement_site_id", "location_source",
                      "version"))

#: Yes/no columns: a blank cell in a ledger means 否.
_FALSE_DEFAULTS = tuple(
    c.name for c in m.Household.__table__.c
    if c.type.__class__.__name__ == "Boolean" and not c.nullable)


def insert_households(connection: Connection, households: pd.DataFrame) -> dict[str, int]:
    """Insert households given with ledger keys; returns ``{ID number: id}`` of the new rows.

    ``village_code``, ``grid_code`` and ``resettlement_site_code`` are resolved to ids. A
    household without ``lon``/``lat`` is stored as 位置未知 (never placed at a centroid).
    """
    frame = pd.DataFrame(
        {c: households[c].to_numpy() if c in households else None for c in _HOUSEHOLD_COLUMNS}
    )
    for name in _FALSE_DEFAULTS:
        frame[name] = frame[name].fillna(False).astype(bool)
    villages = code_map(connection, m.AdminUnit.__table__)
    grids = code_map(connection, m.Grid.__table__)
    sites = code_map(connection, m.ResettlementSite.__table__)
    if "village_code" in households:
        frame["village_id"] = _map_required(
            households["village_code"].reset_index(drop=True), villages, "村代码"
        )
    if "grid_code" in households:
        frame["grid_id"] = _map_required(
            households["grid_code"].reset_index(drop=True), grids, "网格编码"
        )
    if "resettlement_site_code" in households:
        frame["resettlement_site_id"] = _map_required(
            households["resettlement_site_code"].reset_index(drop=True), sites, "安置点编码"
        )
    located = frame["lon"].notna() & frame["lat"].notna()
    source = (
        households["location_source"].to_numpy()
        if "location_source" in households
        else np.where(located, LocationSource.LONLAT.value, LocationSource.UNKNOWN.value)
    )
    frame["location_source"] = np.where(located, source, LocationSource.UNKNOWN.value)
    frame = _with_ids(connection, m.Household.__table__, frame)
    _insert(connection, m.Household.__table__, frame)
    return dict(zip(frame["head_id_number"], frame["id"], strict=True))


def household_ids(connection: Connection) -> dict[str, int]:
    """``{ID number: id}`` of every household."""
    return code_map(connection, m.Household.__table__, key="head_id_number")


def insert_persons(connection: Connection, persons: pd.DataFrame) -> np.ndarray:
    """Insert household members (``head_id_number`` names their household); returns ids."""
    frame = persons.drop(columns=["head_id_number"]).copy()
    frame["household_id"] = _map_required(
        persons["head_id_number"], household_ids(connection), "户主证件号码"
    ).to_numpy()
    return _insert_new(connection, m.Person.__table__, frame)


def insert_workers(connection: Connection, workers: pd.DataFrame) -> dict[str, int]:
    """Insert workers; returns ``{phone: id}`` (the phone identifies a worker in files)."""
    cols = ["name", "id_number", "phone", "unit", "title"]
    frame = pd.DataFrame({c: workers[c].to_numpy() if c in workers else None for c in cols})
    frame["active"] = True
    frame = _with_ids(connection, m.Worker.__table__, frame)
    _insert(connection, m.Worker.__table__, frame)
    return dict(zip(frame["phone"], frame["id"], strict=True))


def worker_ids(connection: Connection) -> dict[str, int]:
    """``{phone: id}`` of every worker."""
    return code_map(connection, m.Worker.__table__, key="phone")


def insert_assignments(connection: Connection, assignments: pd.DataFrame,
                       user: str) -> np.ndarray:
    """Insert worker-to-grid assignments (worker_phone, grid_code, role, start_date); ids."""
    grids = code_map(connection, m.Grid.__table__)
    frame = pd.DataFrame(
        {
            "worker_id": _map_required(
                assignments["worker_phone"], worker_ids(connection), "网格员电话"
            ),
            "grid_id": _map_required(assignments["grid_code"], grids, "网格编码"),
            "role": assignments["role"].to_numpy(),
            "start_date": assignments["start_date"].to_numpy(),
            "assigned_by": user,
        }
    )
    return _insert_new(connection, m.GridAssignment.__table__, frame)


def insert_helper_pairs(connection: Connection, pairs: pd.DataFrame) -> np.ndarray:
    """Insert helper pairings (head_id_number, worker_phone, start_date); returns ids."""
    frame = pd.DataFrame(
        {
            "household_id": _map_required(
                pairs["head_id_number"], household_ids(connection), "户主证件号码"
            ),
            "worker_id": _map_required(pairs["worker_phone"], worker_ids(connection), "帮扶人电话"),
            "start_date": pairs["start_date"].to_numpy(),
        }
    )
    return _insert_new(connection, m.HelperPair.__table__, frame)


def insert_relocations(connection: Connection, relocations: pd.DataFrame) -> np.ndarray:
    """Insert relocations (head_id_number, site_code, from_village_code, moved_on); ids."""
    admin = code_map(connection, m.AdminUnit.__table__)
    frame = pd.DataFrame(
        {
            "household_id": _map_required(
                relocations["head_id_number"], household_ids(connection), "户主证件号码"
            ),
            "site_id": _map_required(
                relocations["site_code"],
                code_map(connection, m.ResettlementSite.__table__),
                "安置点编码",
            ),
            "from_village_id": relocations["from_village_code"].map(admin),
            "moved_on": relocations["moved_on"].to_numpy(),
        }
    )
    return _insert_new(connection, m.Relocation.__table__, frame)


def insert_campaign(connection: Connection, campaign: dict, township_codes: list[str]) -> int:
    """Insert a campaign with its milestones and townships; returns its id."""
    table = m.Campaign.__table__
    campaign_id = _next_id(connection, table)
    _insert(connection,
        table,
        pd.DataFrame(
            [
                {
                    "id": campaign_id,
                    **{
                        k: campaign[k]
                        for k in (
                            "year",
                            "round",
                            "name",
                            "income_line",
                            "early_warning_income",
                            "start_date",
                            "end_date",
                        )
                    },
                }
            ]
        ),
    )
    milestones = pd.DataFrame(campaign.get("milestones", []))
    if len(milestones):
        milestones["campaign_id"] = campaign_id
        _insert(connection,
            m.CampaignMilestone.__table__,
            milestones[["campaign_id", "key", "name", "due_date", "target_coverage"]],
        )
    admin = code_map(connection, m.AdminUnit.__table__)
    _insert(connection,
        m.CampaignTownship.__table__,
        pd.DataFrame(
            {
                "campaign_id": campaign_id,
                "township_id": _map_required(pd.Series(township_codes), admin, "乡镇代码"),
            }
        ),
    )
    return campaign_id


def insert_records(
    connection: Connection, records: pd.DataFrame, campaign_id: int
) -> np.ndarray:
    """Insert investigation records given with RECORD_KEYS; returns the new rows' ids."""
    frame = _with_ids(connection, m.InvestigationRecord.__table__,
                      records.drop(columns=["head_id_number"]))
    frame["household_id"] = _map_required(
        records["head_id_number"], household_ids(connection), "户主证件号码"
    ).to_numpy()
    frame["campaign_id"] = campaign_id
    for name in (
        "whole_household_away",
        "housing_problem",
        "education_problem",
        "insurance_problem",
        "water_problem",
        "has_risk",
    ):
        if name in frame:
            frame[name] = frame[name].fillna(False).astype(bool)
    _insert(connection, m.InvestigationRecord.__table__, frame)
    return frame["id"].to_numpy()


def insert_case_work(
    connection: Connection,
    clues: pd.DataFrame,
    cases: pd.DataFrame,
    measures: pd.DataFrame,
    visits: pd.DataFrame,
) -> dict[str, np.ndarray]:
    """Insert risk clues, five-step cases, assistance measures and contact visits.

    Returns the new ids by table.
    """
    households = household_ids(connection)
    clue_frame = _with_ids(connection, m.RiskClue.__table__, clues.drop(columns=["head_id_number"]))
    clue_frame["household_id"] = _map_required(
        clues["head_id_number"].reset_index(drop=True), households, "户主证件号码"
    )
    _insert(connection, m.RiskClue.__table__, clue_frame)
    case_frame = cases.drop(columns=["head_id_number", "clue_index"]).reset_index(drop=True)
    case_frame["household_id"] = _map_required(
        cases["head_id_number"].reset_index(drop=True), households, "户主证件号码"
    )
    clue_ids = clue_frame["id"].to_numpy()
    index = pd.to_numeric(cases["clue_index"], errors="coerce").to_numpy()
    case_frame["clue_id"] = [None if np.isnan(i) else int(clue_ids[int(i)]) for i in index]
    case_ids = _insert_new(connection, m.MonitoringCase.__table__, case_frame)
    measure_frame = measures.drop(columns=["head_id_number"]).copy()
    measure_frame["household_id"] = _map_required(
        measures["head_id_number"], households, "户主证件号码"
    ).to_numpy()
    measure_ids = _insert_new(connection, m.AssistanceMeasure.__table__, measure_frame)
    visit_frame = visits.drop(columns=["head_id_number", "worker_phone"]).copy()
    visit_frame["household_id"] = _map_required(
        visits["head_id_number"], households, "户主证件号码"
    ).to_numpy()
    visit_frame["worker_id"] = visits["worker_phone"].map(worker_ids(connection)).to_numpy()
    visit_ids = _insert_new(connection, m.ContactVisit.__table__, visit_frame)
    return {"risk_clue": clue_ids.astype(np.int64), "monitoring_case": case_ids,
            "assistance_measure": measure_ids, "contact_visit": visit_ids}


def insert_rectifications(
    connection: Connection, items: pd.DataFrame, campaign_id: int | None
) -> np.ndarray:
    """Insert annex-4 rectification items (village_code, head_id_number optional); ids."""
    admin = code_map(connection, m.AdminUnit.__table__)
    frame = items.drop(columns=["village_code", "head_id_number"]).copy()
    frame["village_id"] = items["village_code"].map(admin).to_numpy()
    frame["household_id"] = items["head_id_number"].map(household_ids(connection)).to_numpy()
    frame["campaign_id"] = campaign_id
    return _insert_new(connection, m.RectificationItem.__table__, frame)
