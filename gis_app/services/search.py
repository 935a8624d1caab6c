"""The search box: households by name, ID or phone tail, villages, grids and workers.

A search sees only what the user sees: with personal data masked, the last four characters of
an ID number or phone are shown, so only a tail of at most four matches (a longer tail would
reveal hidden digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gis_app.core.assignments import current

_TAIL = re.compile(r"^[0-9Xx]{4,6}$")
#: Characters of an ID number or phone a masked view shows at the end.
VISIBLE_TAIL = 4


@dataclass
class SearchHit:
    """One search result: what it is, how to show it, the features and their extent."""

    kind: str
    label: str
    source: str
    ids: np.ndarray
    bounds: tuple[float, float, float, float]


def _bounds_of_points(frame: pd.DataFrame) -> tuple[float, float, float, float] | None:
    x, y = frame["x"].to_numpy(float), frame["y"].to_numpy(float)
    ok = np.isfinite(x)
    if not ok.any():
        return None
    return (float(x[ok].min()), float(y[ok].min()), float(x[ok].max()), float(y[ok].max()))


def search(session, text: str, unmask: bool = False, limit: int = 30) -> list[SearchHit]:
    """Features matching ``text``: households, villages, grids, workers (their grids).

    Households without a location are found too; their hit has the extent of their village.
    """
    text = text.strip()
    if not text:
        return []
    hits: list[SearchHit] = []
    households = session.households
    villages = session.villages
    village_names = villages.set_index("id")["name"]

    def household_hit(row: int, what: str) -> None:
        record = households.iloc[row]
        bounds = _bounds_of_points(households.iloc[[row]])
        if bounds is None:  # no location: show its village
            village = villages[villages["id"] == record["village_id"]]
            if not len(village):
                return
            bounds = tuple(village.total_bounds)
        name = names.iloc[row]
        village = village_names.get(record["village_id"], "")
        hits.append(SearchHit("农户", f"{name} {what}（{village}）", "households",
                              np.array([int(record["id"])]), bounds))

    columns = ["head_name"]
    tail = text.upper() if _TAIL.match(text) else None
    if tail is not None and (unmask or len(tail) <= VISIBLE_TAIL):
        columns += ["head_id_number", "phone"]
    attributes = session.household_columns(columns, households["id"].to_numpy())
    names = attributes["head_name"].fillna("")
    if len(columns) > 1:
        for column, what in (("head_id_number", "证件尾号"), ("phone", "电话尾号")):
            values = attributes[column].fillna("").astype(str).str.upper()
            for row in np.flatnonzero(values.str.endswith(tail).to_numpy())[:limit]:
                household_hit(row, f"{what}{tail}")
    for row in np.flatnonzero(names.str.contains(text, regex=False).to_numpy())[:limit]:
        household_hit(row, "")
    for row in np.flatnonzero(villages["name"].str.contains(text, regex=False).to_numpy())[:limit]:
        hits.append(SearchHit("村", villages["name"].iloc[row], "villages",
                              np.array([int(villages["id"].iloc[row])]),
                              tuple(villages.iloc[[row]].total_bounds)))
    grids = session.grids
    matched = grids["code"].str.contains(text, regex=False) | grids["name"].str.contains(
        text, regex=False)
    for row in np.flatnonzero(matched.to_numpy())[:limit]:
        hits.append(SearchHit("网格", f"{grids['name'].iloc[row]}（{grids['code'].iloc[row]}）",
                              "grids", np.array([int(grids["id"].iloc[row])]),
                              tuple(grids.iloc[[row]].total_bounds)))
    workers = session.workers
    now = current(session.assignments)
    for worker in workers[workers["name"].str.contains(text, regex=False)].head(limit).itertuples():
        grid_ids = set(now.loc[now["worker_id"] == worker.id, "grid_id"].astype(int))
        theirs = grids[grids["id"].isin(grid_ids)]
        if len(theirs):
            hits.append(SearchHit("网格员", f"{worker.name}（{worker.unit or ''}，负责"
                                  f"{len(theirs)}个网格）", "grids",
                                  theirs["id"].to_numpy(np.int64), tuple(theirs.total_bounds)))
    return hits[:limit]
