"""After a disaster, in the real window: a footprint imported or drawn → risk clues → visit lists.

The planner's path of issue 10, driven as a user drives it on a copy of the sample county:
文件 → 导入灾情范围… with the file, the date and the kind typed into the form; the clues listed in
the 风险线索核实 dock with deadlines checked against the State Council's 2025 holiday notice
(worked out by hand below) and against ``core/workdays``; 只看逾期 at a later day; a responsible
worker's 走访清单 exported through Qt's own file dialog and read back with openpyxl; 核实 and
撤销; a footprint drawn with clicks; refusals. Households inside are found independently with
``geopandas.sjoin`` on the store's coordinates read through sqlite3.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pyogrio
import pytest
import shapely
from PyQt6.QtCore import QDate, Qt
from PyQt6.QtWidgets import QApplication, QDialogButtonBox

from gis_app.core.workdays import add_working_days, china_calendar
from gis_app.ui.dialogs.visit_list_dialog import VisitListDialog
from tests.ui.conftest import view_to_widget
from tests.ui.planner_helpers import (
    click_cell,
    gk,
    households,
    menu_action,
    row_count,
    sql,
    table_texts,
)
from tests.ui.test_grid_edit_helpers import ModalAnswers, click, undo, zoom_to
from tests.ui.test_investigation import choose_file
from tests.ui.test_roster_helpers import show

GPKG = Path(__file__).resolve().parents[2] / "sample_gis" / "county.gpkg"
CLUES = "风险线索核实"
#: The flood's day: the Friday before the 2025 National Day holiday.
DAY = dt.date(2025, 9, 26)
#: Its deadline by the State Council's notice for 2025 (国办发明电〔2024〕12号): 1–8 October off,
#: Sunday 28 September and Saturday 11 October worked. Day 0 is the 26th; working days after it:
#: Sun 28 Sep (1), Mon 29 (2), Tue 30 (3), Thu 9 Oct (4), Fri 10 Oct (5).
DUE = dt.date(2025, 10, 10)
#: Columns of the clue table (clue_service.COLUMNS' order).
FOUND, DUE_COLUMN, STATUS, OVERDUE_DAYS, WORKER, NAME = 7, 8, 10, 11, 5, 0


@pytest.fixture
def answers(window, qtbot):
    """Message boxes answered with OK and recorded, as a user reads and closes them."""
    answering = ModalAnswers(window, qtbot)
    yield answering
    answering.stop()


def flood_footprint(tmp_path) -> tuple[Path, gpd.GeoDataFrame]:
    """The flood's footprint: the river's 极高 flood zones of the survey, as a GeoPackage."""
    surveyed = pyogrio.read_dataframe(GPKG, layer="hazard_zones")
    reached = surveyed[(surveyed["灾害类型"] == "洪涝") & (surveyed["风险等级"] == 1)]
    footprint = gpd.GeoDataFrame({"名称": ["9·26洪水"]},
                                 geometry=[shapely.union_all(reached.geometry.to_numpy())],
                                 crs=surveyed.crs)
    path = tmp_path / "flood_20250926.gpkg"
    pyogrio.write_dataframe(footprint, path, layer="footprint")
    return path, footprint


def inside(window, footprint: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Located households the footprint reaches (boundary in), by geopandas."""
    homes = households(window)
    area = footprint.to_crs(homes.crs)
    return homes[homes["id"].isin(gpd.sjoin(homes, area, predicate="intersects")["id"])]


def import_footprint(window, qtbot, path, day=DAY, kind="洪涝"):
    """文件 → 导入灾情范围…: the file typed in, the date and kind chosen, 登记 clicked."""
    menu_action(window, "导入灾情范围…").trigger()
    dialog = window.controller("events").dialog
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClicks(dialog.path, str(path))
    dialog.date.setDate(QDate(day.year, day.month, day.day))
    dialog.kind.setCurrentIndex(dialog.kind.findData(kind))
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    return dialog


def set_day(qtbot, panel, day: dt.date) -> None:
    panel.as_of.setDate(QDate(day.year, day.month, day.day))
    qtbot.wait(20)


def test_imported_flood_lists_clues_with_deadlines_overdue_and_a_workers_visit_list(
        window, qtbot, tmp_path, answers):
    path, footprint = flood_footprint(tmp_path)
    expected = inside(window, footprint)
    assert len(expected) > 20  # the river's flood reaches many homes
    before = len(sql(window, "SELECT id FROM risk_clue"))
    import_footprint(window, qtbot, path)
    qtbot.waitUntil(lambda: bool(answers.messages), timeout=10000)
    assert f"生成{len(expected)}条风险线索" in answers.messages[-1][1]
    # one event, one 灾害 clue per household inside, found on the flood's day
    events = sql(window, "SELECT id, kind, occurred_on FROM hazard_event")
    assert events[["kind", "occurred_on"]].values.tolist() == [["洪涝", "2025-09-26"]]
    stored = sql(window, "SELECT household_id, channel, found_on FROM risk_clue "
                         f"WHERE event_id = {int(events['id'].iloc[0])}")
    assert sorted(stored["household_id"]) == sorted(expected["id"])
    assert set(stored["channel"]) == {"灾害"} and set(stored["found_on"]) == {"2025-09-26"}
    assert len(sql(window, "SELECT id FROM risk_clue")) == before + len(expected)

    # the dock is up on the event: every clue due on the deadline of the notice
    controller = window.controller("events")
    panel = controller.panel
    assert window.dock_shown(CLUES) and panel.event_id == int(events["id"].iloc[0])
    assert row_count(panel.table) == len(expected)
    assert set(table_texts(panel.table, FOUND)) == {"2025-09-26"}
    assert set(table_texts(panel.table, DUE_COLUMN)) == {DUE.isoformat()}
    calendar = china_calendar([2025, 2026])
    assert add_working_days(np.array([DAY], dtype="datetime64[D]"), 5, calendar)[0] == \
        np.datetime64(DUE)
    assert sorted(table_texts(panel.table, NAME)) == sorted(expected["head_name"])

    # on the deadline nothing is overdue; on the Monday after, every clue is, by 3 days
    set_day(qtbot, panel, DUE)
    assert set(table_texts(panel.table, STATUS)) == {"待核实"}
    assert set(table_texts(panel.table, OVERDUE_DAYS)) == {"0"}
    set_day(qtbot, panel, DUE + dt.timedelta(days=3))
    assert set(table_texts(panel.table, STATUS)) == {"已超期"}
    assert set(table_texts(panel.table, OVERDUE_DAYS)) == {"3"}

    # 只看逾期 over every clue: the flood's and the older ones still open, nothing else
    panel.event.setCurrentIndex(panel.event.findData(None))
    qtbot.mouseClick(panel.overdue_only, Qt.MouseButton.LeftButton)
    assert panel.overdue_only.isChecked()
    older_open = sql(window, "SELECT id FROM risk_clue WHERE verified_on IS NULL "
                             "AND event_id IS NULL")
    assert row_count(panel.table) == len(expected) + len(older_open)
    assert set(table_texts(panel.table, STATUS)) == {"已超期"}
    qtbot.mouseClick(panel.overdue_only, Qt.MouseButton.LeftButton)
    panel.event.setCurrentIndex(panel.event.findData(int(events["id"].iloc[0])))

    # the worker answering for most of the flood's clues, and their visit list
    counts = [int(panel.worker.itemText(i).split("待核实")[1].split("条")[0])
              for i in range(1, panel.worker.count())]
    panel.worker.setCurrentIndex(1 + int(np.argmax(counts)))
    worker_id = panel.worker_id
    mine = sorted(table_texts(panel.table, NAME))
    assert len(mine) == max(counts) and len(mine) < len(expected)
    assigned = sql(window, "SELECT grid_id FROM grid_assignment WHERE end_date IS NULL "
                           f"AND worker_id = {worker_id}")
    shown = panel.frame["household_id"].astype(int)
    assert set(shown) <= set(expected["id"])
    grids = set(expected.set_index("id").loc[shown, "grid_id"].astype(int))
    assert grids <= set(assigned["grid_id"])  # every household in a grid they answer for
    qtbot.mouseClick(panel.visit_list, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.visit_dialog is not None
                    and controller.visit_dialog.isVisible())
    visits = controller.visit_dialog
    assert isinstance(visits, VisitListDialog) and visits.table.rowCount() == len(mine)
    out = tmp_path / "visit_list.xlsx"
    choose_file(qtbot, out)
    qtbot.mouseClick(visits.buttons["导出Excel…"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(out.exists, timeout=10000)
    sheet = openpyxl.load_workbook(out).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(rows) if row and "户主姓名" in row)
    column = rows[header].index("户主姓名")
    status = rows[header].index("排查状态")
    written = [row for row in rows[header + 1:] if row[column]]
    assert sorted(row[column] for row in written) == mine
    assert {row[status] for row in written} == {f"已超期（期限{DUE}）"}
    assert "风险线索核实" in str(rows[1][0]) + str(rows[2][0]) + str(rows[3][0])
    visits.close()

    # the same file again creates nothing twice
    import_footprint(window, qtbot, path)
    qtbot.waitUntil(lambda: len(answers.messages) == 2, timeout=10000)
    assert "本次未新增任何数据" in answers.messages[-1][1]
    assert len(sql(window, "SELECT id FROM risk_clue")) == before + len(expected)
    assert len(sql(window, "SELECT id FROM hazard_event")) == 1


def test_verify_a_clue_then_undo(window, qtbot, tmp_path, answers):
    path, footprint = flood_footprint(tmp_path)
    import_footprint(window, qtbot, path)
    qtbot.waitUntil(lambda: bool(answers.messages), timeout=10000)
    panel = window.controller("events").panel
    assert not panel.verify.isEnabled()  # nothing chosen yet
    click_cell(qtbot, panel.table, 2)
    clue = panel.selected_clues()
    assert len(clue) == 1 and panel.verify.isEnabled()
    qtbot.mouseClick(panel.verify, Qt.MouseButton.LeftButton)
    today = dt.date.today().isoformat()
    assert sql(window, f"SELECT verified_on FROM risk_clue WHERE id = {clue[0]}")[
        "verified_on"].tolist() == [today]
    row = panel.row_of(clue[0])
    assert panel.text(row, "verified_on") == today
    assert panel.status_of(row) == "超期核实"  # verified today, a year after the deadline
    undo(window, qtbot)
    qtbot.waitUntil(lambda: panel.text(panel.row_of(clue[0]), "verified_on") == "")
    assert sql(window, f"SELECT verified_on FROM risk_clue WHERE id = {clue[0]}")[
        "verified_on"].isna().all()
    assert panel.status_of(panel.row_of(clue[0])) == "已超期"


def test_verify_on_an_earlier_day_within_the_deadline(window, qtbot, tmp_path, answers):
    path, _ = flood_footprint(tmp_path)
    import_footprint(window, qtbot, path)
    qtbot.waitUntil(lambda: bool(answers.messages), timeout=10000)
    panel = window.controller("events").panel
    assert panel.verify_date.date().toPyDate() == dt.date.today()
    assert panel.verify_date.maximumDate().toPyDate() == dt.date.today()  # no future visits
    click_cell(qtbot, panel.table, 1)
    clue = panel.selected_clues()
    found = sql(window, f"SELECT found_on FROM risk_clue WHERE id = {clue[0]}")["found_on"][0]
    assert found == "2025-09-26"
    # a day before the clue was found is refused, nothing written
    panel.verify_date.setDate(QDate(2025, 9, 25))
    qtbot.mouseClick(panel.verify, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(answers.messages) == 2, timeout=5000)
    assert "早于线索发现日期" in answers.messages[-1][1]
    assert sql(window, f"SELECT verified_on FROM risk_clue WHERE id = {clue[0]}")[
        "verified_on"].isna().all()
    # the 4th working day after the flood (National Day holiday between): in time
    panel.verify_date.setDate(QDate(2025, 10, 9))
    qtbot.mouseClick(panel.verify, Qt.MouseButton.LeftButton)
    assert sql(window, f"SELECT verified_on FROM risk_clue WHERE id = {clue[0]}")[
        "verified_on"].tolist() == ["2025-10-09"]
    row = panel.row_of(clue[0])
    assert panel.text(row, "verified_on") == "2025-10-09"
    assert panel.status_of(row) == "已核实"


def test_drawn_footprint_makes_clues_of_the_households_inside(window, qtbot, answers):
    homes = households(window)
    village = homes[homes["village_id"] == homes["village_id"].mode().iloc[0]]
    x0, y0, x1, y1 = village.total_bounds
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, min(x1 - x0, y1 - y0) / 3
    ring = [(cx - r, cy - r), (cx + r, cy - r * 0.8), (cx + r * 0.9, cy + r), (cx - r, cy + r)]
    menu_action(window, "绘制灾情范围").trigger()
    assert window.canvas.view_box.tool == "draw_footprint"
    assert "灾害实际影响的范围" in window.controller("map").hint.text()
    zoom_to(window, qtbot, (cx - 2 * r, cy - 2 * r, cx + 2 * r, cy + 2 * r))
    canvas = window.canvas
    landed = [canvas.view_box.mapSceneToView(canvas.mapToScene(view_to_widget(window, x, y)))
              for x, y in ring]
    for x, y in ring[:-1]:
        click(window, qtbot, x, y)
    last = view_to_widget(window, *ring[-1])
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=last)
    qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=last)
    qtbot.mouseRelease(canvas.viewport(), Qt.MouseButton.LeftButton, pos=last)
    dialog = window.controller("events").dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
    assert dialog.drawn and not dialog.path.isVisible()  # no file to ask for
    dialog.date.setDate(QDate(2025, 7, 2))
    dialog.kind.setCurrentIndex(dialog.kind.findData("滑坡"))
    dialog.name.insert("7·2山体滑坡")  # what an input method commits (QTest types ASCII only)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(answers.messages), timeout=10000)
    # households inside the drawn ring, its vertices taken to lon/lat as drawn
    lonlat = gpd.GeoSeries(gpd.points_from_xy([p.x() for p in landed], [p.y() for p in landed]),
                           crs=window.session.epsg).to_crs(4490)
    polygon = shapely.Polygon(shapely.get_coordinates(lonlat.to_numpy()))
    stored = households(window).to_crs(4490)
    expected = stored[stored.intersects(polygon)]
    assert 0 < len(expected) < len(village) * 2
    event = sql(window, "SELECT id, name, kind, occurred_on, source FROM hazard_event")
    assert event[["name", "kind", "occurred_on", "source"]].values.tolist() == \
        [["7·2山体滑坡", "滑坡", "2025-07-02", "地图绘制"]]
    clues = sql(window, f"SELECT household_id FROM risk_clue WHERE event_id = "
                        f"{int(event['id'].iloc[0])}")
    assert sorted(clues["household_id"]) == sorted(expected["id"])
    panel = window.controller("events").panel
    assert row_count(panel.table) == len(expected)
    # the footprint is on the map, and one undo takes the event and its clues back
    footprints = window.layers["hazard_events"]
    assert footprints.ids.tolist() == event["id"].tolist() and footprints.visible
    assert footprints.frame.geometry.iloc[0].intersects(gk(window, polygon.centroid))
    # 选择 → 按位置选择… in the footprint: its clues' households, selected on the map
    menu_action(window, "按位置选择…").trigger()
    selecting = window.controller("selection").dialog
    qtbot.waitUntil(selecting.isVisible)
    selecting.choose(f"event:{int(event['id'].iloc[0])}")
    assert not selecting.selected_only.isEnabled()  # a footprint, not a layer
    qtbot.mouseClick(selecting.apply, Qt.MouseButton.LeftButton)
    assert sorted(window.layers["households"].selected_ids()) == sorted(expected["id"])
    selecting.reject()
    undo(window, qtbot)
    qtbot.waitUntil(lambda: len(window.layers["hazard_events"].frame) == 0)
    assert sql(window, "SELECT count(*) AS n FROM risk_clue WHERE event_id IS NOT NULL")[
        "n"].iloc[0] == 0


def test_bad_footprints_are_refused_and_nothing_is_written(window, qtbot, tmp_path, answers):
    before = len(sql(window, "SELECT id FROM risk_clue"))
    # a file of points: its problem listed
    points = pyogrio.read_dataframe(GPKG, layer="hazard_points").iloc[:3]
    path = tmp_path / "points.gpkg"
    pyogrio.write_dataframe(points, path)
    import_footprint(window, qtbot, path)
    qtbot.waitUntil(lambda: bool(answers.messages), timeout=10000)
    icon, text = answers.messages[-1]
    assert icon == "Critical" and text == "文件有误，未导入任何数据"
    # a footprint far from the county: the service's refusal, in a message box
    far = gpd.GeoDataFrame(geometry=[shapely.box(100.0, 30.0, 100.1, 30.1)], crs=4490)
    path = tmp_path / "far.gpkg"
    pyogrio.write_dataframe(far, path)
    import_footprint(window, qtbot, path)
    qtbot.waitUntil(lambda: len(answers.messages) == 2, timeout=10000)
    assert answers.messages[-1][1] == "事件范围不在本县范围内，请检查文件或坐标系，未写入任何数据"
    # a drawn shape that crosses itself
    window.controller("events").draw_footprint(
        np.array([(0, 0), (1000, 1000), (1000, 0), (0, 1000)], dtype=float)
        + np.array(window.session.households[["x", "y"]].median()))
    qtbot.waitUntil(lambda: len(answers.messages) == 3, timeout=10000)
    assert "无效" in answers.messages[-1][1]
    assert len(sql(window, "SELECT id FROM risk_clue")) == before
    assert sql(window, "SELECT count(*) AS n FROM hazard_event")["n"].iloc[0] == 0
    assert not any(isinstance(w, VisitListDialog) for w in QApplication.topLevelWidgets()
                   if w.isVisible())
    show(window, qtbot, CLUES)  # the dock says nothing of an event
    assert window.controller("events").panel.event.count() == 1
