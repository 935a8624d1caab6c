"""The 排查覆盖 dock: opened sorted by coverage (the largest gap first), every grid listed, an
empty one (a sliver after a split) with 0 households and coverage —, after the others."""

from __future__ import annotations

import shapely
from PyQt6.QtCore import QPoint, Qt

from gis_app.services.grid_edit_service import GridEditService
from tests.ui.test_grid_edit_helpers import sql
from tests.ui.test_roster_helpers import show


def _split_off_a_sliver(window) -> set[str]:
    """Split a level-3 grid west of all its households (an edit of the window's session)."""
    grids = sql(window, "SELECT g.id, g.geom, min(h.lon) AS west FROM grid g JOIN household h "
                        "ON h.grid_id = g.id WHERE g.level = 3 GROUP BY g.id ORDER BY g.id")
    for row in grids.itertuples():
        shape = shapely.from_wkb(row.geom)
        xmin, ymin, _xmax, ymax = shape.bounds
        if row.west - xmin > 2e-4:
            x = (xmin + row.west) / 2
            before = set(sql(window, "SELECT code FROM grid WHERE level = 3")["code"])
            GridEditService(window.session).split_by_line(
                int(row.id), shapely.LineString([(x, ymin - 0.01), (x, ymax + 0.01)]))
            return set(sql(window, "SELECT code FROM grid WHERE level = 3")["code"]) - before
    raise AssertionError("no grid with room west of its households")


def test_every_grid_listed_sorted_by_coverage(window, qtbot):
    empty = _split_off_a_sliver(window)
    assert empty
    show(window, qtbot, "排查覆盖")
    panel = window.controller("investigation").coverage
    assert panel.level.currentText() == "三级网格"
    table = panel.table
    header = table.horizontalHeader()
    assert header.sortIndicatorSection() == 7  # 覆盖率, not 名称
    assert header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    grids = sql(window, "SELECT g.code FROM grid g JOIN admin_unit v ON v.id = g.admin_unit_id "
                        "WHERE g.level = 3 AND v.parent_id IN (SELECT township_id FROM "
                        "campaign_township WHERE campaign_id = 1)")["code"]
    codes = [table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(table.rowCount())]
    assert sorted(c for c in codes if c) == sorted(grids)  # every grid, plus the unplaced row
    assert len(codes) == len(grids) + 1
    shown = [table.item(r, 7).text() for r in range(table.rowCount())]
    households = [int(table.item(r, 1).text()) for r in range(table.rowCount())]
    for code in empty:
        row = codes.index(code)
        assert households[row] == 0 and shown[row] == "—"
    first_empty = shown.index("—")
    assert set(shown[first_empty:]) == {"—"} and set(households[first_empty:]) == {0}
    shares = [float(t.rstrip("%")) for t in shown[:first_empty]]
    assert shares == sorted(shares) and shares[0] < shares[-1]  # the largest gap first
    # A header click sorts by name.
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(header.sectionViewportPosition(0) + 5, header.height() // 2))
    names = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert header.sortIndicatorSection() == 0 and names == sorted(names)
