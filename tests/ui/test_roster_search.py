"""The roster's search box: by name, the last digits of the phone (as shown, masked), a grid's
code or name; the workers shown checked against the store read with SQL."""

from __future__ import annotations

import pandas as pd
from PyQt6.QtCore import QPoint, Qt

from tests.ui.test_roster_helpers import roster, show, type_into


def _workers(window) -> pd.DataFrame:
    """Workers with their current grids' codes and names, read with SQL."""
    with window.session.project.engine.connect() as connection:
        from sqlalchemy import text

        workers = pd.read_sql(text("SELECT id, name, phone FROM worker"), connection)
        grids = pd.read_sql(text(
            "SELECT a.worker_id, g.code, g.name FROM grid_assignment a JOIN grid g "
            "ON g.id = a.grid_id WHERE a.end_date IS NULL OR a.end_date > date('now')"),
            connection)
    text_of = grids.assign(both=grids["code"] + " " + grids["name"]) \
        .groupby("worker_id")["both"].agg(" ".join)
    return workers.assign(grids=workers["id"].map(text_of).fillna("")).set_index("id")


def _shown(panel) -> set[int]:
    return set(panel.shown_workers())


def test_the_roster_search_box(window, qtbot):
    show(window, qtbot, "网格员")
    panel = roster(window)
    workers = _workers(window)
    assert panel.table.rowCount() == len(workers) > 100
    assert panel.search.placeholderText() == "搜索姓名、电话尾号或网格"
    # A family name: every worker whose name holds it.
    family = workers["name"].str[0].value_counts().index[0]
    type_into(qtbot, panel.search, family)
    expected = set(workers.index[workers["name"].str.contains(family)])
    assert _shown(panel) == expected and 1 < len(expected) < len(workers)
    assert panel.found.text() == f"{len(expected)} / {len(workers)} 名"
    # The last digits of a phone, as the masked number shows them.
    tail = workers["phone"].dropna().iloc[5][-4:]
    type_into(qtbot, panel.search, tail)
    assert _shown(panel) == set(workers.index[workers["phone"].str.endswith(tail)])
    # Hidden digits find nothing while the numbers are masked.
    middle = workers["phone"].dropna().iloc[5][3:7]
    type_into(qtbot, panel.search, middle)
    assert _shown(panel) == set(workers.index[workers["phone"].str.endswith(middle)])
    # A grid's code, then a village's name (its grids' names hold it).
    with_grids = workers[workers["grids"] != ""]
    code = with_grids["grids"].iloc[0].split()[0]
    type_into(qtbot, panel.search, code)
    assert _shown(panel) == set(workers.index[workers["grids"].str.contains(code, regex=False)])
    village = window.session.villages["name"].iloc[3]
    type_into(qtbot, panel.search, village)
    expected = set(workers.index[workers["grids"].str.contains(village)
                                 | workers["name"].str.contains(village)])
    assert _shown(panel) == expected and expected
    # Sorting by a header keeps the same workers shown.
    header = panel.table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(header.sectionViewportPosition(5) + 5, header.height() // 2))
    assert _shown(panel) == expected
    # Two words: both must match.
    worker = workers.loc[sorted(expected)[0]]
    type_into(qtbot, panel.search, f"{worker['name']} {village}")
    assert worker.name in _shown(panel)
    assert _shown(panel) <= expected
    # Emptied: everyone again.
    type_into(qtbot, panel.search, "")
    assert _shown(panel) == set(workers.index) and panel.found.text() == ""
