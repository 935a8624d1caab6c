"""The main window: map in the middle, layer tree, identify, attribute table and the tools.

The window wires views to the :class:`MapModel` and to services; it holds no GIS logic itself.
"""

from __future__ import annotations

import numpy as np
import shapely
from PyQt6.QtCore import QByteArray, QRectF, QSettings, Qt
from PyQt6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PyQt6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolBar,
)

from gis_app.catalog import load_layers, load_styles
from gis_app.core.classify import classify
from gis_app.services import map_service
from gis_app.services.assignment_service import AssignmentService
from gis_app.services.grid_edit_service import GridEditService
from gis_app.services.undo import UndoStack
from gis_app.ui.canvas.basemap import BasemapLayer
from gis_app.ui.canvas.map_canvas import MapCanvas
from gis_app.ui.dialogs.visit_list_dialog import open_visit_list
from gis_app.ui.grid_edit import GridEditActions
from gis_app.ui.grid_work import GridWorkActions
from gis_app.ui.i18n import Translator, current_language
from gis_app.ui.investigation import InvestigationActions
from gis_app.ui.map_model import MapModel
from gis_app.ui.panels.attribute_table import AttributeTable
from gis_app.ui.panels.coverage_panel import CoveragePanel
from gis_app.ui.panels.grid_tree import GridTree
from gis_app.ui.panels.identify_panel import IdentifyPanel
from gis_app.ui.panels.layer_tree import LayerTree
from gis_app.ui.panels.progress_chart import ProgressChart
from gis_app.ui.panels.rules_panel import RulesPanel
from gis_app.ui.panels.unlocated_panel import UnlocatedPanel
from gis_app.ui.panels.worker_panel import WORKER_MIME, WorkerPanel

_TOOLS = (
    ("pan", "平移"),
    ("zoom", "拉框放大"),
    ("identify", "点选识别"),
    ("select", "框选"),
    ("lasso", "多边形选择"),
    ("measure_line", "测距离"),
    ("measure_area", "测面积"),
)
_PICK_PIXELS = 8


class MainWindow(InvestigationActions, GridEditActions, GridWorkActions, QMainWindow):
    """The application window on one open project."""

    def __init__(self, data: map_service.MapData, settings: QSettings | None = None):
        super().__init__()
        self.data = data
        self.settings = settings or QSettings()
        self.model = MapModel()
        self.model.language = current_language(self.settings.value("language"))
        self.tr_ = Translator(self.model.language)
        self.styles = load_styles()
        self.definitions = {d.id: d for d in load_layers(styles=self.styles)}
        self.active_layer = "households"
        self._placing: int | None = None
        self._texts: list[tuple[object, str]] = []  # (widget or action, Chinese text)
        self.canvas = MapCanvas()
        self.setCentralWidget(self.canvas)
        self._build_docks()
        self._build_actions()
        self._build_status()
        self._add_layers()
        self._connect()
        self._build_investigation()
        self._restore()
        self.retranslate()
        if self.settings.value("basemap/url"):
            self.set_basemap(self.settings.value("basemap/url"))

    # -- construction
    def _text(self, target, chinese: str):
        self._texts.append((target, chinese))
        return target

    def _build_docks(self) -> None:
        self.layer_tree = LayerTree(self.tr_)
        self.identify = IdentifyPanel(self.tr_)
        self.table = AttributeTable(self.tr_)
        self.unlocated = UnlocatedPanel(self.tr_)
        self.workers = WorkerPanel(self.tr_)
        self.rules = RulesPanel(self.tr_)
        self.coverage = CoveragePanel(self.tr_)
        self.progress = ProgressChart(self.tr_)
        self.grid_tree = GridTree(self.tr_)
        self.undo_stack = UndoStack()  # one stack: 撤销 reverts assignments and grid edits in order
        self.assignments = AssignmentService(self.data.project, undo_stack=self.undo_stack)
        self.grid_edits = GridEditService(self.data.project, undo_stack=self.undo_stack)
        self.docks = {}
        self._stale_docks: set[str] = set()  # docks to redraw from the store when shown
        for key, widget, area in (
            ("图层", self.layer_tree, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("网格树", self.grid_tree, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("识别", self.identify, Qt.DockWidgetArea.RightDockWidgetArea),
            ("位置未知农户", self.unlocated, Qt.DockWidgetArea.RightDockWidgetArea),
            ("属性表", self.table, Qt.DockWidgetArea.BottomDockWidgetArea),
            ("网格员", self.workers, Qt.DockWidgetArea.BottomDockWidgetArea),
            ("网格规则", self.rules, Qt.DockWidgetArea.BottomDockWidgetArea),
            ("排查覆盖", self.coverage, Qt.DockWidgetArea.BottomDockWidgetArea),
            ("排查进度", self.progress, Qt.DockWidgetArea.BottomDockWidgetArea),
        ):
            dock = QDockWidget(key, self)
            dock.setObjectName(f"dock-{widget.__class__.__name__}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[key] = self._text(dock, key)
            dock.visibilityChanged.connect(lambda visible, k=key: self._dock_visibility(k, visible))
        self._stale_docks.update(self.docks)  # each is filled when first shown
        self.tabifyDockWidget(self.docks["图层"], self.docks["网格树"])
        self.tabifyDockWidget(self.docks["识别"], self.docks["位置未知农户"])
        self.tabifyDockWidget(self.docks["属性表"], self.docks["网格员"])
        self.tabifyDockWidget(self.docks["网格员"], self.docks["网格规则"])
        self.tabifyDockWidget(self.docks["网格规则"], self.docks["排查覆盖"])
        self.tabifyDockWidget(self.docks["排查覆盖"], self.docks["排查进度"])
        self.docks["识别"].raise_()
        self.docks["属性表"].raise_()
        self.docks["图层"].raise_()

    def _action(self, chinese: str, slot, shortcut=None, checkable=False) -> QAction:
        action = QAction(chinese, self)
        action.setCheckable(checkable)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return self._text(action, chinese)

    def _build_actions(self) -> None:
        tools = QToolBar("tools", self)
        tools.setObjectName("toolbar-tools")
        self.addToolBar(tools)
        group = QActionGroup(self)
        self.tool_actions = {}
        for tool, chinese in _TOOLS:
            action = self._action(chinese, lambda _=False, t=tool: self.set_tool(t), checkable=True)
            group.addAction(action)
            tools.addAction(action)
            self.tool_actions[tool] = action
        self.tool_actions["pan"].setChecked(True)
        tools.addSeparator()
        for chinese, slot, key in (
            ("放大", lambda: self.canvas.zoom_by(0.7), "Ctrl++"),
            ("缩小", lambda: self.canvas.zoom_by(1.4), "Ctrl+-"),
            ("全图", self.canvas.zoom_full, "Ctrl+0"),
            ("清除选择", self.model.clear_selection, "Esc"),
            ("撤销", self.undo, "Ctrl+Z"),
        ):
            tools.addAction(self._action(chinese, slot, key))
        self.search_box = QLineEdit()
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setMinimumWidth(260)
        self.search_box.returnPressed.connect(self.run_search)
        tools.addSeparator()
        tools.addWidget(self.search_box)
        menu = self.menuBar()
        self.file_menu = self._text(menu.addMenu("文件"), "文件")
        self.file_menu.addAction(self._action("打开项目…", self.open_project_dialog, "Ctrl+O"))
        self.file_menu.addAction(self._action("打开服务器…", self.open_server_dialog))
        self.file_menu.addAction(self._action("打开示例县", lambda: self.switch_project(None)))
        self.recent_menu = self._text(self.file_menu.addMenu("最近的项目"), "最近的项目")
        for location in (self.settings.value("recent") or [])[:10]:
            action = self.recent_menu.addAction(str(location))
            action.triggered.connect(lambda _=False, loc=location: self.switch_project(loc))
        self.file_menu.addSeparator()
        self.file_menu.addAction(self._action("保存地图快照…", self.save_snapshot, "Ctrl+Shift+S"))
        self.file_menu.addAction(self._action("复制地图快照", self.copy_snapshot, "Ctrl+Shift+C"))
        self.file_menu.addSeparator()
        self.file_menu.addAction(self._action("退出", self.close, "Ctrl+Q"))
        view = self._text(menu.addMenu("视图"), "视图")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addAction(self._action("重新加载样式", self.reload_styles, "F5"))
        self._build_grid_edit_actions(menu)
        settings = self._text(menu.addMenu("设置"), "设置")
        language = self._text(QMenu("语言", settings), "语言")
        settings.addMenu(language)
        for code, chinese in (("zh", "中文"), ("en", "英文")):
            language.addAction(self._action(chinese, lambda _=False, c=code: self.set_language(c)))
        self.unmask_action = self._action("显示个人信息", self.toggle_unmask, checkable=True)
        settings.addAction(self.unmask_action)
        settings.addAction(self._action("底图…", self.ask_basemap))

    def _build_status(self) -> None:
        self.coords_label = QLabel()
        self.scale_label = QLabel()
        self.measure_label = QLabel()
        self.selection_label = QLabel()
        for label in (
            self.measure_label,
            self.selection_label,
            self.coords_label,
            self.scale_label,
        ):
            self.statusBar().addPermanentWidget(label)

    def _add_layers(self) -> None:
        entries = []
        for definition in sorted(self.definitions.values(), key=lambda d: -d.z):
            frame = self.data.layer_frame(definition.source, definition.filter)
            style = self.styles[definition.style]
            adapter = self.canvas.add_layer(definition, style, frame)
            if definition.source == "households":
                adapter.set_aggregates(self.data.household_counts())
            self.model.add_layer(
                definition.id, len(frame), definition.visible, definition.z, definition.style
            )
            entries.append(
                (
                    definition.id,
                    definition.title.in_language(self.model.language),
                    definition.geometry,
                    style,
                    self.legend_counts(definition.id),
                    definition.visible,
                    (definition.style, *definition.alternative_styles),
                )
            )
        self.layer_tree.set_layers(entries)
        self.unlocated.set_households(self.data.unlocated, self.model.unmask)
        self.show_table(self.active_layer)

    def _connect(self) -> None:
        self.model.selection_changed.connect(self._selection_changed)
        self.model.layer_changed.connect(self._layer_changed)
        self.layer_tree.visibility_toggled.connect(self.model.set_visible)
        self.layer_tree.order_changed.connect(self.model.set_order)
        self.layer_tree.opacity_requested.connect(self.model.set_opacity)
        self.layer_tree.style_requested.connect(self.model.set_style)
        self.layer_tree.zoom_requested.connect(self.zoom_to_layer)
        self.layer_tree.currentItemChanged.connect(self._tree_current)
        self.table.selection_made.connect(lambda layer, mask: self.model.select(layer, mask))
        self.table.zoom_requested.connect(self.zoom_to_selection)
        self.table.export_requested.connect(self.export_selection)
        self.unlocated.place_requested.connect(self.start_placing)
        self.workers.add_requested.connect(self.add_worker_dialog)
        self.workers.edit_requested.connect(self.edit_worker_dialog)
        self.workers.retire_requested.connect(
            lambda worker: self._change(self.assignments.retire_worker, worker))
        self.workers.assign_requested.connect(self.assign_to_selected_grids)
        self.workers.unassign_requested.connect(self.unassign_from_selected_grids)
        self.workers.visit_list_requested.connect(lambda worker: open_visit_list(self, worker))
        self.grid_tree.grids_selected.connect(self.select_grids)
        self.grid_tree.worker_dropped.connect(self.assign_worker_to_grid)
        self.rules.check_requested.connect(self.check_rules)
        self.coverage.level_changed.connect(self.show_coverage)
        self.coverage.zoom_requested.connect(self.zoom_to_unit)
        self.progress.level_changed.connect(self.show_progress)
        self.rules.zoom_requested.connect(self.zoom_to_lonlat)
        self.canvas.drop_types = (WORKER_MIME,)
        self.canvas.sigDropped.connect(self._dropped)
        box = self.canvas.view_box
        box.sigClicked.connect(self._clicked)
        box.sigRectDrawn.connect(self._rect_drawn)
        box.sigPolygonDrawn.connect(self._polygon_drawn)
        self.canvas.sigCursorMoved.connect(self._cursor_moved)
        self.canvas.sigViewChanged.connect(self._view_changed)
        self.basemap = BasemapLayer(box, self.data.to_lonlat, self.data.to_map)
        self.canvas.sigViewChanged.connect(
            lambda rect: self.basemap.update_view(rect, self.canvas.metres_per_pixel()))

    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        else:  # first start: the map gets most of the window
            self.resizeDocks([self.docks["属性表"]], [240], Qt.Orientation.Vertical)
            self.resizeDocks([self.docks["图层"], self.docks["识别"]], [260, 300],
                             Qt.Orientation.Horizontal)
        extent = self.settings.value(f"extent/{self.data.project.location}")
        if isinstance(extent, list) and len(extent) == 4:
            self.canvas.zoom_to(QRectF(*map(float, extent)), padding=0)
        else:
            self.canvas.zoom_full()

    def closeEvent(self, event):  # noqa: N802 - Qt override
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        rect = self.canvas.view_box.viewRect()
        self.settings.setValue(
            f"extent/{self.data.project.location}",
            [rect.x(), rect.y(), rect.width(), rect.height()],
        )
        super().closeEvent(event)

    # -- language and personal data
    def retranslate(self) -> None:
        """Set every label in the current language."""
        self.tr_.language = self.model.language
        county = self.data.project.settings().get("county_name", "")
        self.setWindowTitle(f"{self.tr_('网格防返贫监测 GIS')} — {county}")
        for target, chinese in self._texts:
            if isinstance(target, QDockWidget):
                target.setWindowTitle(self.tr_(chinese))
            elif isinstance(target, QMenu):
                target.setTitle(self.tr_(chinese))
            else:
                target.setText(self.tr_(chinese))
        self.search_box.setPlaceholderText(self.tr_("搜索农户、村、网格编码、网格员"))
        for index in range(self.layer_tree.topLevelItemCount()):
            item = self.layer_tree.topLevelItem(index)
            definition = self.definitions[item.data(0, Qt.ItemDataRole.UserRole)]
            item.setText(0, definition.title.in_language(self.model.language))
        self._view_changed(self.canvas.view_box.viewRect())

    def set_language(self, language: str) -> None:
        """Switch the interface language (remembered)."""
        self.model.set_language(language)
        self.settings.setValue("language", language)
        self.retranslate()
        self.retranslate_panels()
        self.show_table(self.active_layer)

    def toggle_unmask(self, checked: bool) -> None:
        """Show personal data, for users the project allows."""
        from gis_app.services.export_service import may_see_personal_data

        if checked and not may_see_personal_data(self.data.project):
            self.unmask_action.setChecked(False)
            QMessageBox.warning(self, self.tr_("显示个人信息"), self.tr_("无权查看个人信息"))
            return
        self.model.set_unmask(checked)
        self.show_table(self.active_layer)
        self.unlocated.set_households(self.data.unlocated, checked)

    # -- tools and map events
    def set_tool(self, tool: str) -> None:
        """Choose the map tool."""
        self.canvas.view_box.set_tool(tool)
        self.tool_actions[tool].setChecked(True)

    def _tolerance(self) -> float:
        return self.canvas.metres_per_pixel() * _PICK_PIXELS

    def _nearest_point(self, layer_id: str, x: float, y: float) -> int | None:
        adapter = self.canvas.adapters[layer_id]
        if not adapter.visible or not len(adapter.frame):
            return None
        distance = np.hypot(adapter.x - x, adapter.y - y)
        row = int(np.argmin(distance))
        return row if distance[row] <= self._tolerance() else None

    def _containing_polygon(self, layer_id: str, x: float, y: float) -> int | None:
        adapter = self.canvas.adapters[layer_id]
        if not adapter.visible:
            return None
        hits = np.flatnonzero(shapely.contains_xy(adapter.frame.geometry.to_numpy(), x, y))
        return int(hits[0]) if len(hits) else None

    def _clicked(self, x: float, y: float, modifiers) -> None:
        if self._placing is not None:
            self.finish_placing(x, y)
            return
        tool = self.canvas.view_box.tool
        if tool == "identify":
            self.identify_at(x, y)
        elif tool == "select":
            add = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
            adapter = self.canvas.adapters[self.active_layer]
            row = (
                self._nearest_point(self.active_layer, x, y)
                if adapter.definition.geometry == "point"
                else self._containing_polygon(self.active_layer, x, y)
            )
            mask = np.zeros(len(adapter.frame), dtype=bool)
            if row is not None:
                mask[row] = True
            self.model.select(self.active_layer, mask, add=add)

    def identify_at(self, x: float, y: float) -> tuple[str, int] | None:
        """Show the top-most feature at (x, y) in the identify panel."""
        for layer_id in self.layer_tree.layer_order():
            definition = self.definitions[layer_id]
            row = (
                self._nearest_point(layer_id, x, y)
                if definition.geometry == "point"
                else self._containing_polygon(layer_id, x, y)
            )
            if row is None:
                continue
            frame = self.canvas.adapters[layer_id].frame
            source_row = self._source_row(definition, frame, row)
            pairs = map_service.describe_feature(
                self.data, definition.source, source_row, self.model.unmask, self.model.language
            )
            title = definition.title.in_language(self.model.language)
            self.identify.show_feature(f"{title}：{pairs[0][1] if pairs else ''}", pairs)
            self.household_shown(
                int(frame["id"].iloc[row]) if definition.source == "households" else None)
            self.docks["识别"].raise_()
            return layer_id, row
        return None

    def _source_row(self, definition, frame, row: int) -> int:
        if not definition.filter:
            return row
        source = self.data.frames[definition.source]
        return int(np.flatnonzero(source["id"].to_numpy() == frame["id"].iloc[row])[0])

    def _rect_drawn(self, rect: QRectF, modifiers) -> None:
        geometry = shapely.box(rect.left(), rect.top(), rect.right(), rect.bottom())
        self.select_by_geometry(geometry, bool(modifiers & Qt.KeyboardModifier.ShiftModifier))

    def select_by_geometry(self, geometry, add: bool = False) -> int:
        """Select the active layer's features inside (points) or intersecting (polygons)."""
        adapter = self.canvas.adapters[self.active_layer]
        if adapter.definition.geometry == "point":
            minx, miny, maxx, maxy = geometry.bounds
            mask = (
                (adapter.x >= minx)
                & (adapter.x <= maxx)
                & (adapter.y >= miny)
                & (adapter.y <= maxy)
            )
            if geometry.area < (maxx - minx) * (maxy - miny) * 0.999999:  # not a rectangle
                candidates = np.flatnonzero(mask)
                mask[candidates] = shapely.contains_xy(
                    geometry, adapter.x[candidates], adapter.y[candidates]
                )
        else:
            mask = shapely.intersects(adapter.frame.geometry.to_numpy(), geometry)
        self.model.select(self.active_layer, mask, add=add)
        return int(mask.sum())

    def _polygon_drawn(self, vertices, tool: str, modifiers) -> None:
        if tool == "lasso":
            self.select_by_geometry(
                shapely.Polygon(vertices), bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
            )
        elif tool == "measure_line":
            metres = float(np.hypot(*np.diff(vertices, axis=0).T).sum())
            text = f"{metres / 1000:.3f} 公里" if metres >= 1000 else f"{metres:.1f} 米"
            self.measure_label.setText(f"{self.tr_('距离')}：{text}")
        elif tool in ("split_line", "draw_grid"):
            self.grid_tool_drawn(vertices, tool)
        elif tool == "measure_area":
            area = shapely.Polygon(vertices).area
            self.measure_label.setText(
                f"{self.tr_('面积')}：{area:,.0f} {self.tr_('平方米')} = {area / 666.6667:,.2f} "
                f"{self.tr_('亩')} = {area / 10000:,.3f} {self.tr_('公顷')}"
            )

    def _cursor_moved(self, x: float, y: float) -> None:
        lon, lat = self.data.to_lonlat(x, y)
        self.coords_label.setText(
            f"{self.tr_('经纬度')} {lon:.6f}, {lat:.6f} | "
            f"{self.tr_('高斯-克吕格')} X={y:,.1f} Y={x:,.1f}"
        )

    def _view_changed(self, _rect) -> None:
        scale = self.canvas.scale_denominator()
        self.scale_label.setText(f"{self.tr_('比例尺')} 1:{scale:,.0f}" if scale else "")

    # -- model events
    def _selection_changed(self, layer_id: str) -> None:
        mask = self.model.selection[layer_id]
        self.canvas.adapters[layer_id].set_selection(mask)
        if layer_id == self.table.layer_id:
            self.table.select_features(mask)
        if self.definitions[layer_id].source == "grids":
            self.grid_tree.show_selection(set(self.selected_grid_ids()))
        total = sum(int(m.sum()) for m in self.model.selection.values())
        self.selection_label.setText(f"{self.tr_('已选择')} {total} {self.tr_('个要素')}")

    def legend_counts(self, layer_id: str) -> list[int] | None:
        """Features per style class for the legend; None for a layer not counted yet."""
        adapter = self.canvas.adapters[layer_id]
        if self.data.coverage_pending and adapter.definition.source in map_service.COVERAGE_SOURCES:
            return None
        return adapter.class_counts()

    def _layer_changed(self, layer_id: str, what: str) -> None:
        adapter = self.canvas.adapters[layer_id]
        if what == "visible":
            if (self.model.visible[layer_id] and self.data.coverage_pending
                    and adapter.definition.source in map_service.COVERAGE_SOURCES):
                self._redraw_coverage_layer()  # first shown: count the campaign now
                adapter = self.canvas.adapters[layer_id]
            adapter.set_visible(self.model.visible[layer_id])
            self.layer_tree.set_checked(layer_id, self.model.visible[layer_id])
            self.canvas._relabel()
        elif what == "opacity":
            adapter.set_opacity(self.model.opacity[layer_id])
        elif what == "z":
            adapter.set_z(self.model.z[layer_id])
        elif what == "style":
            style = self.styles[self.model.style[layer_id]]
            adapter.restyle(style)
            self.layer_tree.update_legend(
                layer_id, style, adapter.definition.geometry, self.legend_counts(layer_id)
            )

    def _tree_current(self, current, _previous) -> None:
        if current is None:
            return
        item = current if current.parent() is None else current.parent()
        layer_id = item.data(0, Qt.ItemDataRole.UserRole)
        if layer_id and layer_id != self.active_layer:
            self.active_layer = layer_id
            self.show_table(layer_id)

    def show_table(self, layer_id: str) -> None:
        """Show a layer in the attribute table."""
        self.table.show_layer(
            layer_id, self.canvas.adapters[layer_id].frame, self.model.language, self.model.unmask
        )
        self.table.select_features(self.model.selection[layer_id])

    # -- actions
    def zoom_to_layer(self, layer_id: str) -> None:
        """Zoom to one layer's extent."""
        minx, miny, maxx, maxy = self.canvas.adapters[layer_id].bounds()
        self.canvas.zoom_to(QRectF(minx, miny, maxx - minx, maxy - miny))

    def zoom_to_selection(self) -> None:
        """Zoom to the selected features of the active layer."""
        adapter = self.canvas.adapters[self.active_layer]
        mask = self.model.selection[self.active_layer]
        if mask.any():
            minx, miny, maxx, maxy = adapter.frame.geometry[mask].total_bounds
            self.canvas.zoom_to(QRectF(minx, miny, maxx - minx, maxy - miny), padding=0.2)

    def export_selection(self, path: str | None = None) -> str | None:
        """Write the active layer's selected rows to Excel."""
        mask = self.model.selection[self.active_layer]
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, self.tr_("导出选择到Excel…"), "选择.xlsx", "Excel (*.xlsx)"
            )
        if not path:
            return None
        frame = self.canvas.adapters[self.active_layer].frame[mask]
        map_service.export_rows(frame, path, self.model.unmask, self.model.language)
        self.statusBar().showMessage(f"已导出 {int(mask.sum())} 条：{path}", 5000)
        return path

    def run_search(self) -> list:
        """Search the box's text; zoom to the first hit and offer the others."""
        hits = map_service.search(self.data, self.search_box.text())
        if not hits:
            self.statusBar().showMessage("未找到", 3000)
            return hits
        self.go_to_hit(hits[0])
        if len(hits) > 1:
            menu = QMenu(self)
            for hit in hits:
                action = menu.addAction(f"[{hit.kind}] {hit.label}")
                action.triggered.connect(lambda _=False, h=hit: self.go_to_hit(h))
            menu.popup(self.search_box.mapToGlobal(self.search_box.rect().bottomLeft()))
        return hits

    def go_to_hit(self, hit) -> None:
        """Zoom to a search hit and select it."""
        minx, miny, maxx, maxy = hit.bounds
        self.canvas.zoom_to(QRectF(minx, miny, maxx - minx, maxy - miny), padding=0.3)
        for layer_id, definition in self.definitions.items():
            if definition.source == hit.source and not definition.filter:
                mask = np.zeros(len(self.canvas.adapters[layer_id].frame), dtype=bool)
                mask[hit.rows] = True
                self.model.select(layer_id, mask)

    def start_placing(self, household_id: int) -> None:
        """The next map click sets this household's location."""
        self._placing = household_id
        self.set_tool("identify")
        self.statusBar().showMessage(self.tr_("请在地图上点击该户的位置"))

    def finish_placing(self, x: float, y: float) -> str | None:
        """Store the clicked point for the household being placed."""
        household_id, self._placing = self._placing, None
        grid = map_service.set_household_location(self.data, household_id, x, y)
        self.data.unlocated = self.data.unlocated[self.data.unlocated["id"] != household_id]
        self.unlocated.set_households(self.data.unlocated, self.model.unmask)
        self.statusBar().showMessage(f"已设置位置，所属网格：{grid or '无'}", 5000)
        return grid

    def save_snapshot(self, path: str | None = None) -> str | None:
        """Save the map view as PNG."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, self.tr_("保存地图快照…"), "地图.png", "PNG (*.png)"
            )
        if path:
            self.canvas.snapshot().save(path, "PNG")
        return path or None

    def copy_snapshot(self) -> None:
        """Copy the map view to the clipboard."""
        QGuiApplication.clipboard().setImage(self.canvas.snapshot())

    def ask_basemap(self) -> None:
        """Let the user set (or clear) an XYZ tile source, e.g. the county's tile server."""
        current = self.settings.value("basemap/url") or ""
        url, ok = QInputDialog.getText(
            self, self.tr_("底图…"), "XYZ 地址，如 http://县服务器/tiles/{z}/{x}/{y}.png（留空则不用底图）",
            text=current)
        if ok:
            self.set_basemap(url)

    def set_basemap(self, template: str) -> None:
        """Use an XYZ tile source (remembered); tiles are cached on disk for offline use."""
        self.settings.setValue("basemap/url", template.strip())
        self.basemap.set_source(template)
        self.basemap.update_view(self.canvas.view_box.viewRect(), self.canvas.metres_per_pixel())

    def reload_styles(self) -> None:
        """Re-read styles/*.toml and redraw every layer with them."""
        self.styles = load_styles()
        for layer_id in self.canvas.adapters:
            self.model.set_style(layer_id, self.model.style[layer_id])

    def open_project_dialog(self) -> None:
        """Choose a project file."""
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr_("打开项目…"), "", "项目 (*.gmp *.sqlite *.db);;所有文件 (*)"
        )
        if path:
            self.switch_project(path)

    def open_server_dialog(self) -> None:
        """Type a postgresql:// address."""
        url, ok = QInputDialog.getText(
            self,
            self.tr_("打开服务器…"),
            "postgresql://用户@主机:端口/数据库",
            text="postgresql://",
        )
        if ok and url.strip():
            self.switch_project(url.strip())

    def switch_project(self, location: str | None) -> None:
        """Open another project in a new window (the app module does the loading)."""
        from gis_app.ui.app import open_window

        window = open_window(location, self)
        if window is not None:
            self.close()

    def class_of(self, layer_id: str) -> np.ndarray:
        """Style class index of each feature of a layer (legend checks)."""
        adapter = self.canvas.adapters[layer_id]
        return classify(adapter.style, adapter.frame)
