"""What the disaster-prevention planner's views need: clues as listed, visit lists, selections.

The window's 风险线索核实 dock lists the clues of :mod:`gis_app.services.clue_service` on a
day, for one disaster event or all, one responsible worker or all, overdue ones only on request;
生成走访清单 makes one worker's list of open clues (the 走访清单 of
:mod:`gis_app.services.visit_list_service`). 按位置选择 finds the households in, or within a
distance of, shapes on the map (selected hazard zones, an event's footprint) and combines them
with the current selection the way QGIS does.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from gis_app.analysis.exposure import select_by_location
from gis_app.services.clue_service import Clues, clue_visit_lists, load_clues

#: How a selection by location combines with the current one (QGIS' four choices).
SELECTION_MODES: dict[str, str] = {
    "new": "新建选择",
    "add": "添加到当前选择",
    "within": "在当前选择中选择",
    "remove": "从当前选择中移除",
}
#: The title of a visit list of clues not limited to one event.
ALL_CLUES_TITLE = "风险线索核实"


def shown_clues(clues: Clues, *, worker_id: int | None = None,
                overdue_only: bool = False) -> Clues:
    """The clues a list shows of those read: one responsible worker's (or all), overdue only.

    Parameters
    ----------
    clues : Clues
        :func:`~gis_app.services.clue_service.load_clues`' clues (of an event, or all), read
        once for several views of them.
    worker_id : int, optional
        Only clues this worker answers for (``worker_id``: the first responsible worker of
        the household's level-3 grid).
    overdue_only : bool
        Only open clues past their deadline, the longest overdue first.

    Returns
    -------
    Clues
        A copy; newest found first (an event's clues at the top) unless ``overdue_only``.
    """
    frame = clues.frame
    if worker_id is not None:
        frame = frame[(frame["worker_id"] == int(worker_id)).fillna(False).to_numpy(bool)]
    if overdue_only:
        frame = frame[frame["overdue"].to_numpy(bool)].sort_values(
            ["days_overdue", "found_on", "clue_id"], ascending=[False, True, True])
    else:
        frame = frame.sort_values(["found_on", "clue_id"], ascending=[False, True])
    return Clues(frame.reset_index(drop=True), clues.as_of, clues.working_days,
                 list(clues.warnings), clues.unmasked)


def clue_workers(clues: Clues) -> pd.DataFrame:
    """Workers answering for open clues: ``worker_id, worker, open, overdue``, by name."""
    frame = clues.frame
    frame = frame[frame["worker_id"].notna().to_numpy() & frame["verified_on"].isna().to_numpy()]
    if not len(frame):
        return pd.DataFrame({"worker_id": np.empty(0, np.int64), "worker": [], "open": [],
                             "overdue": []})
    # The first responsible worker's own name (``worker`` names all of them).
    first = frame["worker"].astype(str).str.split("、").str[0]
    grouped = frame.assign(first=first, late=frame["overdue"].astype(int)).groupby(
        "worker_id", sort=False)
    table = pd.DataFrame({"worker": grouped["first"].first(), "open": grouped.size(),
                          "overdue": grouped["late"].sum()}).reset_index()
    table["worker_id"] = table["worker_id"].astype(np.int64)
    return table.sort_values(["worker", "worker_id"]).reset_index(drop=True)


def worker_visit_list(project, worker_id: int, as_of: dt.date | None = None,
                      event_id: int | None = None, title: str | None = None,
                      unmask: bool = False, user: str | None = None):
    """One responsible worker's visit list (走访清单) of the open clues they answer for.

    Parameters
    ----------
    worker_id : int
        The worker (as :func:`clue_workers` lists them).
    event_id : int, optional
        Only this disaster's clues.
    title : str, optional
        The list's task (default: the event's name + 风险线索核实, or 风险线索核实).

    Returns
    -------
    VisitList

    Raises
    ------
    ValueError
        When the worker answers for no open clue (Chinese).
    """
    clues = load_clues(project, as_of, event_id=event_id, open_only=True, unmask=unmask,
                       user=user)
    mine = clues.frame["worker_id"] == int(worker_id)
    clues.frame = clues.frame[mine.fillna(False).to_numpy(bool)].reset_index(drop=True)
    if not len(clues.frame):
        raise ValueError("该网格员没有待核实的风险线索")
    if title is None:
        title = ALL_CLUES_TITLE
        if event_id is not None:
            from gis_app.storage.reader import load_table

            events = load_table(project.engine, "hazard_event", ["id", "name"])
            names = events.loc[events["id"] == int(event_id), "name"]
            if len(names):
                title = f"{names.iloc[0]}风险线索核实"
    lists, _ = clue_visit_lists(project, clues, title, unmask=unmask, user=user)
    return lists[0]


def households_near(session, shapes, distance_m: float = 0.0) -> np.ndarray:
    """Ids of the located households in ``shapes`` (map metres) or within ``distance_m`` of one.

    A household on a shape's boundary is in it, one in a hole is not
    (:func:`~gis_app.analysis.exposure.select_by_location`).
    """
    households = session.households
    x = households["x"].to_numpy(float)
    y = households["y"].to_numpy(float)
    found = select_by_location((x, y), shapes, distance_m)
    return households["id"].to_numpy(np.int64)[found]


def combine_selection(current: np.ndarray, found: np.ndarray, mode: str) -> np.ndarray:
    """A layer's new selection mask from its current one and the features found.

    ``mode`` is a key of :data:`SELECTION_MODES`: ``new`` (the features found), ``add`` (both),
    ``within`` (found among those selected), ``remove`` (selected, less those found).
    """
    current = np.asarray(current, dtype=bool)
    found = np.asarray(found, dtype=bool)
    if mode == "new":
        return found.copy()
    if mode == "add":
        return current | found
    if mode == "within":
        return current & found
    if mode == "remove":
        return current & ~found
    raise ValueError(f"未知的选择方式：{mode}")
