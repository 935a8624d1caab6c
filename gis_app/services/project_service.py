"""Project-level use cases: the ``info`` figures and the ``check`` data-quality rules."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis_app.core.assignments import current
from gis_app.core.codes import RESPONSIBLE_ROLES, GridLevel, HouseholdAttribute
from gis_app.core.idcard import valid_mask
from gis_app.storage.project import Project
from gis_app.storage.reader import (
    load_admin_units,
    load_grids,
    load_table,
    project_counts,
)

PROBLEM_COLUMNS = ["rule", "severity", "message", "code", "other_code", "x", "y"]


def project_info(project: Project) -> dict:
    """The figures of ``gis-app info``."""
    return project_counts(project.engine)


def _problems(rule: str, messages, codes, x=None, y=None, severity="error") -> pd.DataFrame:
    n = len(codes)
    return pd.DataFrame(
        {
            "rule": rule,
            "severity": severity,
            "message": list(messages),
            "code": list(codes),
            "other_code": None,
            "x": np.full(n, np.nan) if x is None else np.asarray(x, float),
            "y": np.full(n, np.nan) if y is None else np.asarray(y, float),
        },
        columns=PROBLEM_COLUMNS,
    )


def _household_rules(households: pd.DataFrame, pairs: pd.DataFrame) -> list[pd.DataFrame]:
    found = []
    code = households["code"]
    unknown = households["lon"].isna() | households["lat"].isna()
    h = households[unknown]
    found.append(
        _problems(
            "location_unknown",
            "户主"
            + h["head_name"]
            + "（"
            + h["village"].fillna("未知村")
            + "）位置未知，需在地图上补点",
            code[unknown],
            severity="warning",
        )
    )
    bad_id = ~valid_mask(households["head_id_number"].to_numpy())
    h = households[bad_id]
    found.append(
        _problems(
            "invalid_id_number",
            "户主" + h["head_name"] + "的证件号码校验不通过",
            code[bad_id],
            h["lon"],
            h["lat"],
        )
    )
    monitored = households["attribute"] == int(HouseholdAttribute.MONITORED)
    no_type = monitored & households["monitoring_type"].isna()
    h = households[no_type]
    found.append(
        _problems(
            "monitored_without_type",
            "监测对象" + h["head_name"] + "未填写监测类型",
            code[no_type],
            h["lon"],
            h["lat"],
        )
    )
    stray_type = ~monitored & households["monitoring_type"].notna()
    h = households[stray_type]
    found.append(
        _problems(
            "type_without_monitoring",
            h["head_name"] + "不是监测对象却填写了监测类型",
            code[stray_type],
            h["lon"],
            h["lat"],
            severity="warning",
        )
    )
    active = current(pairs)["household_id"]  # pairs in force today, by the one rule
    unpaired = monitored & ~households["risk_eliminated"] & ~households["id"].isin(set(active))
    h = households[unpaired]
    found.append(
        _problems(
            "monitored_without_helper",
            "监测对象" + h["head_name"] + "（" + h["village"].fillna("") + "）没有结对帮扶责任人",
            code[unpaired],
            h["lon"],
            h["lat"],
        )
    )
    few = households["members"] < 1
    h = households[few]
    found.append(
        _problems(
            "members_invalid", h["head_name"] + "的家庭人口数小于1", code[few], h["lon"], h["lat"]
        )
    )
    return found


def _grid_rules(
    grids: pd.DataFrame,
    assignments: pd.DataFrame,
    households: pd.DataFrame,
    workers: pd.DataFrame,
    limit: int,
) -> list[pd.DataFrame]:
    found = []
    in_force = current(assignments)  # the one rule of who is responsible today
    staffed = set()
    for level, roles in RESPONSIBLE_ROLES.items():
        ids = set(grids.loc[grids["level"] == level, "id"])
        staffed |= set(
            in_force.loc[
                in_force["role"].isin([r.value for r in roles]) & in_force["grid_id"].isin(ids),
                "grid_id",
            ]
        )
    lacking = ~grids["id"].isin(staffed)
    g = grids[lacking]
    centre = g.geometry.representative_point()
    found.append(
        _problems(
            "grid_without_worker",
            [
                f"{name}（{GridLevel(int(level)).label}）没有负责的网格员"
                for name, level in zip(g["name"], g["level"], strict=True)
            ],
            g["code"],
            centre.x,
            centre.y,
        )
    )
    level3 = grids[grids["level"] == 3]
    per_grid = households.groupby("grid_id").size()
    level3_roles = [r.value for r in RESPONSIBLE_ROLES[3]]
    load = in_force[in_force["grid_id"].isin(set(level3["id"]))
                    & in_force["role"].isin(level3_roles)]
    load = load.assign(households=load["grid_id"].map(per_grid).fillna(0))
    per_worker = load.groupby("worker_id")["households"].sum()
    over = per_worker[per_worker > limit]
    names = workers.set_index("id")["name"]
    found.append(
        _problems(
            "worker_over_limit",
            [f"网格员{names.get(w, w)}负责{int(n)}户，超过上限{limit}户" for w, n in over.items()],
            [str(names.get(w, w)) for w in over.index],
        )
    )
    return found


#: The rules in the order problems are listed, most important first (errors before warnings).
RULE_ORDER = (
    "grid_without_worker", "household_outside_village", "household_grid_mismatch",
    "household_outside_grids", "household_in_two_grids", "grid_overlap", "grid_gap",
    "grid_outside_village", "grid_without_village", "grid_invalid", "worker_over_limit",
    "monitored_without_helper", "monitored_without_type", "invalid_id_number",
    "members_invalid", "location_unknown", "type_without_monitoring",
)
#: Household columns the rules read (not the whole ledger row).
CHECKED_COLUMNS = ["id", "household_code", "head_name", "head_id_number", "members",
                   "attribute", "monitoring_type", "risk_eliminated", "lon", "lat", "grid_id",
                   "grid_override", "village_id"]
#: Steps of :func:`check_project` reported to ``progress``.
CHECK_STEPS = 8


class CheckCancelled(Exception):  # noqa: N818 - what a caller raises from ``progress``
    """Raised by a ``progress`` callback to stop :func:`check_project`."""


def sort_problems(problems: pd.DataFrame) -> pd.DataFrame:
    """Errors first, then warnings; within each, the rules by :data:`RULE_ORDER`."""
    rank = {rule: i for i, rule in enumerate(RULE_ORDER)}
    keys = pd.DataFrame({
        "severity": (problems["severity"] != "error").astype(int).to_numpy(),
        "rule": problems["rule"].map(rank).fillna(len(rank)).to_numpy(),
    })
    order = np.lexsort((np.arange(len(problems)), keys["rule"], keys["severity"]))
    return problems.iloc[order].reset_index(drop=True)


def _signature(*frames: pd.DataFrame) -> int:
    """A hash of rows' ids and versions: the same while none of them was edited."""
    total = 0
    for frame in frames:
        hashed = pd.util.hash_pandas_object(frame[["id", "version"]], index=False)
        total = hash((total, len(frame), int(hashed.sum())))
    return total


def _read_households(engine, units: pd.DataFrame, grids: pd.DataFrame) -> pd.DataFrame:
    """The columns the rules read, with village name and code and grid code."""
    households = load_table(engine, "household", CHECKED_COLUMNS)
    units = units.set_index("id")
    village = households["village_id"]
    code = households["household_code"].copy()
    missing = code.isna().to_numpy()
    code[missing] = households.loc[missing, "head_id_number"].str[-4:]
    return households.assign(
        code=code, village=village.map(units["name"]), village_code=village.map(units["code"]),
        grid_code=households["grid_id"].map(grids.set_index("id")["code"]))


def check_project(project: Project, progress=None, cache: dict | None = None) -> pd.DataFrame:
    """Every data-quality problem of DOMAIN §2 and §3, one row each, most important first.

    Parameters
    ----------
    project : Project
        The open project (read; nothing is written).
    progress : callable, optional
        ``progress(done, total)`` after each of :data:`CHECK_STEPS` steps; it may raise (for
        example :class:`CheckCancelled`) to stop the check.
    cache : dict, optional
        Kept by the caller between checks: the grid checks and the point indexes are reused
        while no grid or village was edited.

    Returns
    -------
    pandas.DataFrame
        :data:`PROBLEM_COLUMNS`, sorted by :func:`sort_problems`.
    """
    from gis_app.analysis import (
        PolygonIndex,
        check_grid_tiling,
        check_households_in_grids,
        check_households_in_villages,
    )

    cache = {} if cache is None else cache
    total = CHECK_STEPS

    def step(done: int) -> None:
        if progress:
            progress(done, total)

    step(0)
    engine = project.engine
    grids = load_grids(engine)
    villages = load_admin_units(engine, 3)
    units = load_table(engine, "admin_unit", ["id", "code", "name"])
    step(1)
    households = _read_households(engine, units, grids)
    step(2)
    pairs = load_table(engine, "helper_pair", ["household_id", "start_date", "end_date"])
    assignments = load_table(
        engine, "grid_assignment", ["worker_id", "grid_id", "role", "start_date", "end_date"]
    )
    workers = load_table(engine, "worker", ["id", "name"])
    found = _household_rules(households, pairs)
    step(3)
    found += _grid_rules(
        grids, assignments, households, workers, project.thresholds().household_limit
    )
    step(4)
    level3 = grids[grids["level"] == 3]
    shapes = _signature(grids, villages)
    if cache.get("shapes") != shapes:  # grids or villages edited: their checks anew
        cache.clear()
        cache["shapes"] = shapes
        tiling = check_grid_tiling(level3[["code", "admin_code", "geometry"]], villages)
        cache["tiling"] = tiling.assign(severity="error")[PROBLEM_COLUMNS]
        cache["grid_index"] = PolygonIndex(level3.geometry)
        cache["village_index"] = PolygonIndex(villages.geometry)
    found.append(cache["tiling"])
    step(5)
    located = households["lon"].notna()
    h = households[located]
    codes = h["code"]
    placement = check_households_in_grids(
        h["lon"].to_numpy(),
        h["lat"].to_numpy(),
        codes.to_numpy(),
        h["grid_code"].to_numpy(dtype=object),
        level3[["code", "geometry"]],
        override=h["grid_override"].to_numpy(),
        polygon_index=cache["grid_index"],
    )
    found.append(placement.assign(severity="error")[PROBLEM_COLUMNS])
    step(6)
    outside = check_households_in_villages(
        h["lon"].to_numpy(), h["lat"].to_numpy(), codes.to_numpy(),
        ("户主" + h["head_name"].astype(str)).to_numpy(), h["village_code"].to_numpy(object),
        villages, polygon_index=cache["village_index"])
    found.append(outside.assign(severity="error")[PROBLEM_COLUMNS])
    step(7)
    found = [f for f in found if len(f)]
    problems = pd.concat(found, ignore_index=True) if found else \
        pd.DataFrame(columns=PROBLEM_COLUMNS)
    problems = sort_problems(problems)
    step(total)
    return problems
