"""Identify: the attributes of one feature, as the user sees them (labels, codes, masking).

Features are named by their source and id (not a row position), so what identify shows can be
asked again after any edit; a household is read whole from the store when asked (the session
keeps households lean).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from gis_app.core.assignments import current
from gis_app.core.codes import CaseStatus, HazardLevel
from gis_app.core.fields import HIDDEN_FIELDS, display_value, field_label
from gis_app.storage.reader import load_table


def _pairs(record: dict, unmask: bool, language: str) -> list[tuple[str, str]]:
    return [(field_label(k, language), display_value(k, v, unmask))
            for k, v in record.items()
            if k not in HIDDEN_FIELDS and not k.startswith("_") and k not in ("x", "y")]


def describe_feature(session, source: str, feature_id: int, unmask: bool = False,
                     language: str = "zh") -> list[tuple[str, str]]:
    """(label, value) pairs of one feature of a session source; personal data masked.

    Raises
    ------
    KeyError
        When the source has no feature with that id (it was deleted meanwhile).
    """
    if source == "households":
        return describe_household(session, feature_id, unmask, language)
    frame = session.frame("admin_units" if source in ("villages", "townships") else source)
    rows = frame[frame["id"] == int(feature_id)]
    if not len(rows):
        raise KeyError(f"{source} {feature_id}")
    record = rows.drop(columns="geometry").iloc[0].to_dict()
    pairs = _pairs(record, unmask, language)
    if source == "grids":
        pairs += grid_context(session, int(feature_id), unmask, language)
    return [(label, value) for label, value in pairs if value != ""]


def household_record(session, household_id: int) -> dict:
    """Every stored attribute of a household, with its township, village and grid named."""
    frame = load_table(session.project.engine, "household", ids=[int(household_id)])
    if not len(frame):
        raise KeyError(f"household {household_id}")
    record = frame.iloc[0].to_dict()
    units = session.frame("admin_units").set_index("id")
    grids = session.grids.set_index("id")
    village = record.get("village_id")
    if village is not None and not pd.isna(village) and int(village) in units.index:
        record["village"] = units.loc[int(village), "name"]
        township = units.loc[int(village), "parent_id"]
        if township is not None and not pd.isna(township):
            record["township"] = units.loc[int(township), "name"]
    grid = record.get("grid_id")
    if grid is not None and not pd.isna(grid) and int(grid) in grids.index:
        record["grid_code"] = grids.loc[int(grid), "code"]
    return record


def describe_household(session, household_id: int, unmask: bool = False,
                       language: str = "zh") -> list[tuple[str, str]]:
    """A household's context (grid, workers, helper, case, hazards) then its attributes."""
    record = household_record(session, household_id)
    pairs = household_context(session, record, unmask, language) + _pairs(record, unmask,
                                                                          language)
    return [(label, value) for label, value in pairs if value != ""]


def _worker_text(workers: pd.DataFrame, worker_id: int, unmask: bool, role=None) -> str:
    if worker_id not in workers.index:
        return f"（编号{worker_id}）"
    phone = display_value("phone", workers.loc[worker_id, "phone"], unmask)
    inner = "，".join(t for t in (role, phone) if t)
    return f"{workers.loc[worker_id, 'name']}（{inner}）" if inner else workers.loc[worker_id,
                                                                                   "name"]


def grid_context(session, grid_id: int, unmask: bool, language: str) -> list[tuple[str, str]]:
    """Who is responsible for a grid today (the rule of :mod:`gis_app.core.assignments`)."""
    workers = session.workers.set_index("id")
    now = current(session.assignments)
    now = now[now["grid_id"] == grid_id]
    names = [_worker_text(workers, int(w), unmask, role)
             for w, role in zip(now["worker_id"], now["role"], strict=True)]
    return [(field_label("workers", language), "；".join(names))]


def household_context(session, record: dict, unmask: bool, language: str = "zh"):
    """Grid, workers, helper, current case and hazard exposure of a household."""
    grids = session.grids
    grid_id = record.get("grid_id")
    grid = grids[grids["id"] == (int(grid_id) if grid_id is not None and not pd.isna(grid_id)
                                 else -1)]
    unassigned = "未分配" if language == "zh" else "not assigned"
    pairs = [(field_label("grid_name", language),
              f"{grid['name'].iloc[0]}（{grid['code'].iloc[0]}）" if len(grid) else unassigned)]
    if len(grid):
        pairs += grid_context(session, int(grid["id"].iloc[0]), unmask, language)
    workers = session.workers.set_index("id")
    helpers = current(session.frame("helper_pairs"))
    mine = helpers[helpers["household_id"] == record["id"]]
    pairs.append((field_label("helper", language),
                  "；".join(_worker_text(workers, int(w), unmask) for w in mine["worker_id"])))
    cases = session.frame("cases")
    cases = cases[cases["household_id"] == record["id"]].sort_values("started_on")
    if len(cases):
        case = cases.iloc[-1]
        pairs.append((field_label("current_case", language),
                      f"{case['kind']}·{case['status']}（{case['started_on']}起）"
                      if case["status"] == CaseStatus.IN_PROGRESS
                      else f"{case['kind']}·{case['status']}"))
    lon, lat = record.get("lon"), record.get("lat")
    if lon is not None and not pd.isna(lon):
        x, y = session.to_map(float(lon), float(lat))
        zones = session.frame("hazard_zones")
        inside = zones[shapely.intersects_xy(np.asarray(zones.geometry.to_numpy(), dtype=object),
                                             x, y)] if len(zones) else zones
        none = "无" if language == "zh" else "none"
        pairs.append((field_label("hazards", language),
                      "、".join(f"{k}（{HazardLevel(int(v)).label}风险）"
                               for k, v in zip(inside["kind"], inside["level"], strict=True))
                      or none))
    return pairs
