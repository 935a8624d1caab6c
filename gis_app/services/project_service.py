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
    load_households,
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
    code = households["household_code"].fillna(households["head_id_number"].str[-4:])
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


def check_project(project: Project) -> pd.DataFrame:
    """Every data-quality problem of DOMAIN §2 and §3, one row each (see PROBLEM_COLUMNS)."""
    from gis_app.analysis import check_grid_tiling, check_households_in_grids

    engine = project.engine
    households = load_households(engine)
    grids = load_grids(engine)
    villages = load_admin_units(engine, 3)
    pairs = load_table(engine, "helper_pair", ["household_id", "start_date", "end_date"])
    assignments = load_table(
        engine, "grid_assignment", ["worker_id", "grid_id", "role", "start_date", "end_date"]
    )
    workers = load_table(engine, "worker", ["id", "name"])
    found = _household_rules(households, pairs)
    found += _grid_rules(
        grids, assignments, households, workers, project.thresholds().household_limit
    )
    level3 = grids[grids["level"] == 3]
    tiling = check_grid_tiling(level3[["code", "admin_code", "geometry"]], villages)
    if len(tiling):
        found.append(tiling.assign(severity="error")[PROBLEM_COLUMNS])
    located = households["lon"].notna()
    h = households[located]
    placement = check_households_in_grids(
        h["lon"].to_numpy(),
        h["lat"].to_numpy(),
        h["household_code"].fillna(h["head_id_number"].str[-4:]).to_numpy(),
        h["grid_code"].to_numpy(dtype=object),
        level3[["code", "geometry"]],
        override=h["grid_override"].to_numpy(),
    )
    if len(placement):
        found.append(placement.assign(severity="error")[PROBLEM_COLUMNS])
    found = [f for f in found if len(f)]
    if not found:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    return pd.concat(found, ignore_index=True)
