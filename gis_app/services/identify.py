"""Identify: the attributes of one feature, as the user sees them (labels, codes, masking).

Features are named by their source and id (not a row position), so what identify shows can be
asked again after any edit; a household is read whole from the store when asked (the session
keeps households lean).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import shapely

from gis_app.analysis.exposure import zones_at
from gis_app.core.assignments import current
from gis_app.core.codes import CaseStatus, HazardLevel
from gis_app.core.fields import HIDDEN_FIELDS, display_value, field_label
from gis_app.core.hazards import threat_radii
from gis_app.storage.reader import load_table

#: Turns the interface's Chinese words and templates into the user's language (the window
#: passes its translator; identity keeps the Chinese, as the command line shows it).
Translate = Callable[[str], str]


def _same(text: str) -> str:
    return text


def _pairs(record: dict, unmask: bool, language: str,
           translate: Translate = _same) -> list[tuple[str, str]]:
    return [(field_label(k, language), translate(display_value(k, v, unmask)))
            for k, v in record.items()
            if k not in HIDDEN_FIELDS and not k.startswith("_") and k not in ("x", "y")]


def describe_feature(session, source: str, feature_id: int, unmask: bool = False,
                     language: str = "zh", translate: Translate | None = None
                     ) -> list[tuple[str, str]]:
    """(label, value) pairs of one feature of a session source; personal data masked.

    ``translate`` puts the codes' labels and the composed values in the interface language
    (the field names follow ``language``).

    Raises
    ------
    KeyError
        When the source has no feature with that id (it was deleted meanwhile).
    """
    if source == "households":
        return describe_household(session, feature_id, unmask, language, translate)
    frame = session.frame("admin_units" if source in ("villages", "townships") else source)
    rows = frame[frame["id"] == int(feature_id)]
    if not len(rows):
        raise KeyError(f"{source} {feature_id}")
    record = rows.drop(columns="geometry").iloc[0].to_dict()
    pairs = _pairs(record, unmask, language, translate or _same)
    if source == "grids":
        pairs += grid_context(session, int(feature_id), unmask, language, translate)
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
                       language: str = "zh", translate: Translate | None = None
                       ) -> list[tuple[str, str]]:
    """A household's context (grid, workers, helper, case, hazards) then its attributes."""
    record = household_record(session, household_id)
    pairs = household_context(session, record, unmask, language, translate) + _pairs(
        record, unmask, language, translate or _same)
    return [(label, value) for label, value in pairs if value != ""]


def _worker_text(workers: pd.DataFrame, worker_id: int, unmask: bool, role=None,
                 translate: Translate = _same) -> str:
    if worker_id not in workers.index:
        return translate("（编号{id}）").format(id=worker_id)
    phone = display_value("phone", workers.loc[worker_id, "phone"], unmask)
    inner = translate("，").join(t for t in (translate(role) if role else None, phone) if t)
    name = workers.loc[worker_id, "name"]
    return translate("{name}（{details}）").format(name=name, details=inner) if inner else name


def grid_context(session, grid_id: int, unmask: bool, language: str,
                 translate: Translate | None = None) -> list[tuple[str, str]]:
    """Who is responsible for a grid today (the rule of :mod:`gis_app.core.assignments`)."""
    tr = translate or _same
    workers = session.workers.set_index("id")
    now = current(session.assignments)
    now = now[now["grid_id"] == grid_id]
    names = [_worker_text(workers, int(w), unmask, role, tr)
             for w, role in zip(now["worker_id"], now["role"], strict=True)]
    return [(field_label("workers", language), tr("；").join(names))]


def household_context(session, record: dict, unmask: bool, language: str = "zh",
                      translate: Translate | None = None):
    """Grid, workers, helper, current case and hazard exposure of a household."""
    tr = translate or _same
    grids = session.grids
    grid_id = record.get("grid_id")
    grid = grids[grids["id"] == (int(grid_id) if grid_id is not None and not pd.isna(grid_id)
                                 else -1)]
    unassigned = tr("未分配") if translate or language == "zh" else "not assigned"
    pairs = [(field_label("grid_name", language),
              tr("{name}（{code}）").format(name=grid["name"].iloc[0], code=grid["code"].iloc[0])
              if len(grid) else unassigned)]
    if len(grid):
        pairs += grid_context(session, int(grid["id"].iloc[0]), unmask, language, translate)
    workers = session.workers.set_index("id")
    helpers = current(session.frame("helper_pairs"))
    mine = helpers[helpers["household_id"] == record["id"]]
    pairs.append((field_label("helper", language),
                  tr("；").join(_worker_text(workers, int(w), unmask, translate=tr)
                                for w in mine["worker_id"])))
    cases = session.frame("cases")
    cases = cases[cases["household_id"] == record["id"]].sort_values("started_on")
    if len(cases):
        case = cases.iloc[-1]
        pairs.append((field_label("current_case", language),
                      tr("{kind}·{status}（{day}起）").format(
                          kind=tr(case["kind"]), status=tr(case["status"]), day=case["started_on"])
                      if case["status"] == CaseStatus.IN_PROGRESS
                      else tr("{kind}·{status}").format(kind=tr(case["kind"]),
                                                        status=tr(case["status"]))))
    lon, lat = record.get("lon"), record.get("lat")
    if lon is not None and not pd.isna(lon):
        x, y = session.to_map(float(lon), float(lat))
        pairs += hazard_context(session, float(x), float(y), language, translate)
    return pairs


def hazard_context(session, x: float, y: float, language: str = "zh",
                   translate: Translate | None = None) -> list[tuple[str, str]]:
    """Every hazard zone a point (map metres) lies in, and the hazard points reaching it.

    Zones: kind, level and name of each, the most severe first (a point on a boundary is in
    the zone, :func:`~gis_app.analysis.exposure.zones_at`). Points: those whose threat radius
    (the surveyed one, else the kind's default) reaches the point, the nearest first.
    """
    tr = translate or _same
    none = tr("无") if translate or language == "zh" else "none"
    zones = session.frame("hazard_zones")
    found = zones_at((np.array([x]), np.array([y])), zones)["zone"].to_numpy() \
        if len(zones) else np.empty(0, np.int64)
    inside = zones.iloc[found].sort_values(["level", "kind", "name"], kind="stable")
    zone = tr("{kind}（{level}风险）：{name}")
    lines = [zone.format(kind=tr(k), level=tr(HazardLevel(int(v)).label), name=n)
             for k, v, n in zip(inside["kind"], inside["level"], inside["name"], strict=True)]
    points = session.frame("hazard_points")
    reaching = []
    if len(points):
        geoms = np.asarray(points.geometry.to_numpy(), dtype=object)
        distance = shapely.distance(geoms, shapely.Point(x, y))
        radius = threat_radii(points["kind"].to_numpy(dtype=object),
                              points["threat_radius"].to_numpy(dtype=object)
                              if "threat_radius" in points else None)
        hits = np.flatnonzero(distance <= radius)
        hits = hits[np.argsort(distance[hits], kind="stable")]
        point = tr("{kind}隐患点（{level}风险）：{name}，相距{d}米，威胁半径{r}米")
        reaching = [point.format(kind=tr(points["kind"].iat[i]),
                                 level=tr(HazardLevel(int(points["level"].iat[i])).label),
                                 name=points["name"].iat[i], d=f"{distance[i]:.0f}",
                                 r=f"{radius[i]:g}") for i in hits]
    return [(field_label("hazards", language), "\n".join(lines) or none),
            (field_label("hazard_points", language), "\n".join(reaching) or none)]
