"""The map's tools: pan, zoom, identify, select, measure, search, snapshots, and the status bar.

Clicks and drawn shapes come from the canvas with map coordinates; this controller decides what
they mean for its own tools and hands the others (placing a household, drawing a grid) to the
controller that declared them (:meth:`Controller.tools`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import shapely
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import QFileDialog, QInputDialog, QLabel, QLineEdit, QMenu, QMessageBox

from gis_app.analysis.measure import area_in_units, polygon_area, polyline_length
from gis_app.core.coverage import COVERED, CoverageStatus
from gis_app.core.fields import field_label
from gis_app.services import search as search_service
from gis_app.services.identify import describe_feature
from gis_app.services.layers import COVERAGE_SOURCES, EXPOSURE_SOURCE
from gis_app.ui.canvas import snapshot as map_sheet
from gis_app.ui.canvas.basemap import BasemapLayer
from gis_app.ui.controllers.base import RIGHT, ActionSpec, Controller, DockSpec
from gis_app.ui.panels.identify_panel import IdentifyPanel

_TOOLS = (("pan", "平移"), ("zoom", "拉框放大"), ("identify", "点选识别"), ("select", "框选"),
          ("lasso", "多边形选择"), ("measure_line", "测距离"), ("measure_area", "测面积"))
_PICK_PIXELS = 8
#: What a feature is called when no layer draws its source.
_SOURCE_TITLES = {"villages": "村", "townships": "乡镇", "households": "农户", "grids": "网格",
                  "hazard_zones": "灾害隐患区", "hazard_points": "灾害隐患点", "sites": "安置点",
                  "hazard_events": "灾情范围"}
#: What to do next with the map's own tools, said in the status bar (see Controller.hints).
HINTS = {
    "pan": ("拖动地图平移，滚轮缩放", None),
    "zoom": ("在地图上拖出矩形放大", None),
    "identify": ("单击地图上的要素查看其属性", None),
    "select": ("单击或拖框选择当前图层的要素，按住 Shift 追加，Esc 清除选择", None),
    "lasso": ("单击添加节点，画出选择范围（按住 Shift 追加）",
              "单击添加节点，双击或回车结束选择范围，Esc 取消"),
    "measure_line": ("单击起点开始测距离", "单击添加节点，双击或回车结束测量，Esc 取消"),
    "measure_area": ("单击第一个顶点开始测面积", "单击添加顶点，双击或回车结束测量，Esc 取消"),
    "place": ("单击地图上该户的位置", None),
}


class MapController(Controller):
    """Tools, identify, selection by click/box/lasso, measure, search, snapshots."""

    name = "map"

    def __init__(self, window):
        super().__init__(window)
        self.identify = IdentifyPanel(self.tr_)
        self.identify.record_requested.connect(self.state.events.record_requested.emit)
        self.search_box = QLineEdit()
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setMinimumWidth(260)
        self.search_box.returnPressed.connect(self.run_search)
        self.shown: tuple[str, int] | None = None  # (source, id) in the identify panel
        self.labels = {name: QLabel() for name in ("measure", "selection", "coords", "scale")}
        for label in self.labels.values():
            window.statusBar().addPermanentWidget(label)
        #: The current tool's hint: on the left, covered while a message is shown.
        self.hint = QLabel()
        window.statusBar().addWidget(self.hint, 1)
        self._hint_state: tuple[str, bool] = ("pan", False)  # (tool, drawing begun)
        box = self.canvas.view_box
        box.sigClicked.connect(self._clicked)
        box.sigRectDrawn.connect(self._rect_drawn)
        box.sigPolygonDrawn.connect(self._polygon_drawn)
        box.sigToolChanged.connect(lambda tool: self._show_hint(tool, False, again=True))
        box.sigSketchChanged.connect(lambda points, tool: self._show_hint(tool, len(points) > 1))
        box.sigPolygonDrawn.connect(lambda _v, tool, _m: self._show_hint(tool, False))
        self.canvas.sigCursorMoved.connect(self._cursor_moved)
        self.canvas.sigViewChanged.connect(self._view_changed)
        self.basemap = BasemapLayer(box, self.session.to_lonlat, self.session.to_map)
        self.canvas.sigViewChanged.connect(
            lambda rect: self.basemap.update_view(rect, self.canvas.metres_per_pixel()))
        if window.settings.value("basemap/url"):
            self.basemap.set_source(window.settings.value("basemap/url"))
        for layer in self.layers:
            layer.events.selection.connect(self._selection_changed)
        self.session.events.changed.connect(self._refresh_identify)
        self.session.events.reset.connect(lambda: self._refresh_identify(None))
        self.session.events.campaign.connect(lambda _id: self._refresh_identify(None))
        self.state.events.unmask.connect(lambda _u: self._refresh_identify(None))
        self.state.events.language.connect(lambda _l: self._refresh_identify(None))
        self.state.events.zoom_requested.connect(self.zoom_to_bounds)
        self.state.events.identify_requested.connect(self.show_feature)

    def docks(self):
        return [DockSpec("识别", self.identify, RIGHT, raised=True)]

    def actions(self):
        specs = [ActionSpec("视图", text, lambda t=tool: self.window.set_tool(t),
                            toolbar="tools", tool=tool) for tool, text in _TOOLS]
        specs[0].separator_before = True
        specs += [
            ActionSpec("视图", "放大", lambda: self.canvas.zoom_by(0.7), "Ctrl++", toolbar="tools",
                       separator_before=True),
            ActionSpec("视图", "缩小", lambda: self.canvas.zoom_by(1.4), "Ctrl+-",
                       toolbar="tools"),
            ActionSpec("视图", "全图", self.canvas.zoom_full, "Ctrl+0", toolbar="tools"),
            ActionSpec("视图", "清除选择", self.escape, "Esc", toolbar="tools"),
            ActionSpec("文件", "保存地图快照…", self.save_snapshot, "Ctrl+Shift+S",
                       separator_before=True),
            ActionSpec("文件", "复制地图快照", self.copy_snapshot, "Ctrl+Shift+C"),
            ActionSpec("设置", "底图…", self.ask_basemap),
        ]
        return specs

    def assembled(self) -> None:
        tools = self.window.toolbars["tools"]
        tools.addSeparator()
        tools.addWidget(self.search_box)
        self.window.tool_actions["pan"].setChecked(True)

    def retranslate(self) -> None:
        self.search_box.setPlaceholderText(self.tr_("搜索农户、村、网格编码、网格员"))
        self.canvas.overlay.units = (self.tr_("公里"), self.tr_("米"))
        self.canvas.overlay.update()
        self.identify.retranslate()
        self._view_changed(self.canvas.view_box.viewRect())
        self._selection_changed()
        self._show_hint(*self._hint_state, again=True)

    # -- what to do next
    def _show_hint(self, tool: str, drawing: bool, again: bool = False) -> None:
        """Say in the status bar what to do next with ``tool`` (drawing: a sketch is begun)."""
        if (tool, drawing) == self._hint_state and not again:
            return  # the cursor moved on a sketch: nothing new to say
        self._hint_state = (tool, drawing)
        hints = dict(HINTS)
        for controller in self.window.controllers.values():
            hints.update(controller.hints())
        chosen, proceeding = hints.get(tool, ("", None))
        text = self.tr_(proceeding if drawing and proceeding else chosen) if chosen else ""
        if self.hint.text() != text:
            self.hint.setText(text)

    def escape(self) -> None:
        """Esc: drop an unfinished sketch, else clear the selection."""
        if not self.canvas.view_box.cancel_sketch():
            self.layers.clear_selection()

    # -- clicks and shapes
    def _handlers(self) -> dict:
        handlers = {}
        for controller in self.window.controllers.values():
            handlers.update(controller.tools())
        return handlers

    def _clicked(self, x: float, y: float, modifiers) -> None:
        tool = self.canvas.view_box.tool
        handler = self._handlers().get(tool)
        if handler is not None:
            handler((x, y), modifiers)
        elif tool == "identify":
            self.identify_at(x, y)
        elif tool == "select":
            self.select_at(x, y, bool(modifiers & Qt.KeyboardModifier.ShiftModifier))

    def _rect_drawn(self, rect: QRectF, modifiers) -> None:
        box = shapely.box(rect.left(), rect.top(), rect.right(), rect.bottom())
        self.select_by_geometry(box, bool(modifiers & Qt.KeyboardModifier.ShiftModifier))

    def _polygon_drawn(self, vertices, tool: str, modifiers) -> None:
        handler = self._handlers().get(tool)
        if handler is not None:
            handler(vertices, modifiers)
        elif tool == "lasso":
            self.select_by_geometry(shapely.Polygon(vertices),
                                    bool(modifiers & Qt.KeyboardModifier.ShiftModifier))
        elif tool == "measure_line":
            metres = polyline_length(vertices)
            text = f"{metres / 1000:.3f} {self.tr_('公里')}" if metres >= 1000 else \
                f"{metres:.1f} {self.tr_('米')}"
            self.labels["measure"].setText(f"{self.tr_('距离')}：{text}")
        elif tool == "measure_area":
            area = area_in_units(polygon_area(vertices))
            self.labels["measure"].setText(
                f"{self.tr_('面积')}：{area['m2']:,.0f} {self.tr_('平方米')} = {area['mu']:,.2f} "
                f"{self.tr_('亩')} = {area['ha']:,.3f} {self.tr_('公顷')}")

    # -- hit tests (map metres)
    def _tolerance(self) -> float:
        return self.canvas.metres_per_pixel() * _PICK_PIXELS

    def feature_at(self, layer, x: float, y: float) -> int | None:
        """Row of the layer's feature under (x, y), None when none.

        Points: the nearest within a few pixels; polygons: the one containing the point (grids
        through the session's PolygonIndex).
        """
        frame = layer.frame
        if not layer.visible or not len(frame):
            return None
        if layer.definition.geometry == "point":
            adapter = self.canvas.adapters[layer.id]
            distance = np.hypot(adapter.x - x, adapter.y - y)
            if not np.isfinite(distance).any():
                return None
            row = int(np.nanargmin(distance))
            return row if distance[row] <= self._tolerance() else None
        if layer.source == "grids" and layer.definition.filter:
            level = int(frame["level"].iloc[0])
            grid = int(self.session.grids_at(x, y, level)[0])
            rows = np.flatnonzero(layer.ids == grid)
            return int(rows[0]) if len(rows) else None
        hits = np.flatnonzero(shapely.intersects_xy(
            np.asarray(frame.geometry.to_numpy(), dtype=object), x, y))
        return int(hits[0]) if len(hits) else None

    def identify_order(self) -> list[str]:
        """Layers in the order identify tries them.

        Points first, then other areas (hazard zones), then grids finest first: a click on
        an empty part of a level-3 grid shows that grid, not the village or township drawn
        around it. Within each kind the map's order (top first) decides.
        """
        def rank(layer_id: str) -> tuple[int, int]:
            layer = self.layers[layer_id]
            if layer.definition.geometry == "point":
                return 0, 0
            level = COVERAGE_SOURCES.get(layer.source,
                                         3 if layer.source == EXPOSURE_SOURCE else None)
            if layer.source == "grids" and len(layer.frame):
                level = int(layer.frame["level"].iloc[0])
            return (1, 0) if level is None else (2, -level)

        return sorted(self.layers.order, key=rank)

    def identify_at(self, x: float, y: float) -> tuple[str, int] | None:
        """Show the feature at (x, y) in the identify panel; (layer id, row).

        The layers are tried in :meth:`identify_order`.
        """
        for layer_id in self.identify_order():
            layer = self.layers[layer_id]
            row = self.feature_at(layer, x, y)
            if row is None:
                continue
            source = "households" if layer.source == "households" else layer.source
            self.show_feature(source, int(layer.ids[row]), layer.definition)
            self.window.docks["识别"].raise_()
            return layer_id, row
        return None

    def show_feature(self, source: str, feature_id: int, definition=None) -> None:
        """Describe a feature (source, id) in the identify panel; kept current after edits."""
        if source.startswith("coverage") or source == EXPOSURE_SOURCE:
            source = "grids"
        self.shown = (source, int(feature_id), definition)
        self._refresh_identify(None)

    def _refresh_identify(self, changes) -> None:
        if self.shown is None:
            return
        source, feature_id, definition = self.shown
        entity = {"households": "household", "grids": "grid"}.get(source)
        related = (entity, "worker", "grid_assignment", "helper_pair")
        if source == "households":  # its visit status moves with the investigation
            related += ("investigation_record", "campaign")
        if changes is not None and entity is not None and not any(e in changes for e in related):
            return
        try:
            pairs = describe_feature(self.session, source, feature_id, self.state.unmask,
                                     self.state.language, self.tr_)
        except KeyError:  # deleted meanwhile (merged away, undone)
            self.shown = None
            self.identify.show_feature(self.tr_("（要素已不存在）"), [])
            self.identify.set_household(None)
            return
        if definition is None:  # asked by another feature: named as the layer drawing it
            definition = next((layer.definition for layer in self.layers.by_source(source)
                               if np.isin(feature_id, layer.ids).any()), None)
        title = definition.title.in_language(self.state.language) if definition else \
            self.tr_(_SOURCE_TITLES.get(source, source))
        if source == "households":  # named by its head (a name is not masked personal data)
            head = field_label("head_name", self.state.language)
            name = next((value for label, value in pairs if label == head), "")
            self.identify.show_feature(f"{title}：{name}", pairs)
            self.identify.set_household(feature_id, self._visit_status(feature_id))
        else:  # named by its name where it has one (a grid, a site), else its first value
            name = field_label("name", self.state.language)
            named = next((value for label, value in pairs if label == name),
                         pairs[0][1] if pairs else "")
            self.identify.show_feature(f"{title}：{named}", pairs)
            self.identify.set_household(None)

    def _visit_status(self, household_id: int) -> str:
        """The household's status in the session's current campaign ("" without one)."""
        tracker = self.session.coverage()
        if tracker is None:
            return ""
        if int(household_id) not in tracker.ids:
            return self.tr_("不在本次排查的乡镇范围内")
        status = CoverageStatus(int(tracker.status[tracker.ids.get_loc(int(household_id))]))
        return self.tr_("本次排查：{status}").format(status=self.tr_(status.label)) + (
            self.tr_("（已覆盖）") if status in COVERED else "")

    def select_at(self, x: float, y: float, add: bool = False) -> None:
        """Select the active layer's feature under a click (shift adds)."""
        layer = self.layers[self.layers.active]
        row = self.feature_at(layer, x, y)
        mask = np.zeros(len(layer.frame), dtype=bool)
        if row is not None:
            mask[row] = True
        layer.select(mask, add=add)

    def select_by_geometry(self, geometry, add: bool = False) -> int:
        """Select the active layer's features inside (points) or intersecting (polygons)."""
        layer = self.layers[self.layers.active]
        adapter = self.canvas.adapters[layer.id]
        if layer.definition.geometry == "point":
            minx, miny, maxx, maxy = geometry.bounds
            with np.errstate(invalid="ignore"):
                mask = (adapter.x >= minx) & (adapter.x <= maxx) & (adapter.y >= miny) & (
                    adapter.y <= maxy)
            if geometry.area < (maxx - minx) * (maxy - miny) * 0.999999:  # not a rectangle
                candidates = np.flatnonzero(mask)
                mask[candidates] = shapely.contains_xy(geometry, adapter.x[candidates],
                                                       adapter.y[candidates])
        else:
            mask = shapely.intersects(np.asarray(layer.frame.geometry.to_numpy(), dtype=object),
                                      geometry)
        layer.select(mask, add=add)
        return int(mask.sum())

    def _selection_changed(self) -> None:
        total = sum(int(layer.selection.sum()) for layer in self.layers)
        self.labels["selection"].setText(f"{self.tr_('已选择')} {total} {self.tr_('个要素')}")

    # -- status bar
    def _cursor_moved(self, x: float, y: float) -> None:
        lon, lat = self.session.to_lonlat(x, y)
        self.labels["coords"].setText(f"{self.tr_('经纬度')} {lon:.6f}, {lat:.6f} | "
                                      f"{self.tr_('高斯-克吕格')} X={y:,.1f} Y={x:,.1f}")

    def _view_changed(self, _rect) -> None:
        scale = self.canvas.scale_denominator()
        self.labels["scale"].setText(f"{self.tr_('比例尺')} 1:{scale:,.0f}" if scale else "")

    # -- zoom and search
    def zoom_to_bounds(self, bounds, padding: float = 0.1) -> None:
        """Zoom to (minx, miny, maxx, maxy) map metres."""
        minx, miny, maxx, maxy = bounds
        self.canvas.zoom_to(QRectF(minx, miny, maxx - minx, maxy - miny), padding=padding)

    def run_search(self) -> list:
        """Search the box's text; zoom to the first hit and offer the others."""
        hits = search_service.search(self.session, self.search_box.text(), self.state.unmask)
        if not hits:
            self.status(self.tr_("未找到"), 3000)
            return hits
        self.go_to_hit(hits[0])
        if len(hits) > 1:
            menu = QMenu(self.window)
            for hit in hits:
                action = menu.addAction(f"[{self.tr_(hit.kind)}] {hit.label}")
                action.triggered.connect(lambda _=False, h=hit: self.go_to_hit(h))
            menu.popup(self.search_box.mapToGlobal(self.search_box.rect().bottomLeft()))
        return hits

    def go_to_hit(self, hit) -> None:
        """Zoom to a search hit and select it in the layers drawing its source."""
        self.zoom_to_bounds(hit.bounds, 0.3)
        for layer in self.layers.by_source(hit.source):
            if not layer.definition.filter or np.isin(hit.ids, layer.ids).any():
                layer.select_ids(hit.ids)

    # -- snapshots and basemap
    def save_snapshot(self, path: str | None = None) -> str | None:
        """Save the map view as a sheet (title, legend, scale bar, north arrow): PNG or PDF.

        Without a path (a menu's ``checked`` flag is no path) the user chooses one; a name
        ending in ``.pdf`` (or the PDF filter) writes a vector PDF, anything else a PNG.
        """
        pdf_filter, png_filter = "PDF (*.pdf)", "PNG (*.png)"
        chosen = png_filter
        if not isinstance(path, str) or not path:
            sheet = self.map_sheet()
            path, chosen = QFileDialog.getSaveFileName(
                self.window, self.tr_("保存地图快照…"), f"{sheet.title}.png",
                f"{png_filter};;{pdf_filter}")
            if not path:
                return None
        suffix = Path(path).suffix.lower().lstrip(".")
        if suffix not in ("png", "pdf"):
            suffix = "pdf" if chosen == pdf_filter else "png"
            path = f"{path}.{suffix}"
        self.canvas.relabel()
        write = map_sheet.save_pdf if suffix == "pdf" else map_sheet.save_png
        try:
            write(path, self.canvas, self.map_sheet())
        except OSError as exc:
            QMessageBox.warning(self.window, self.tr_("保存地图快照…"),
                                self.tr_.message(str(exc)))
            return None
        self.status(f"{self.tr_('已保存')}：{path}")
        return path

    def map_sheet(self) -> map_sheet.Sheet:
        """What a snapshot says around the map: title, scale, legend of the visible layers."""
        language = self.state.language
        county = self.session.settings.get("county_name", "")
        title = self.tr_("{county}防返贫监测网格图").format(county=county).strip()
        scale = self.canvas.scale_denominator()
        subtitle = "    ".join([
            f"{self.tr_('比例尺')} 1:{scale:,.0f}",
            f"CGCS2000 {self.tr_('高斯-克吕格')} EPSG:{self.session.epsg}",
            f"{self.tr_('制图日期')}：{dt.date.today().isoformat()}"])
        legend = []
        for layer in self.layers:  # top first, as drawn
            adapter = self.canvas.adapters[layer.id]
            if not (layer.visible and adapter.in_scale):
                continue
            style = self.window.styles[layer.style]
            counts = adapter.class_counts() if layer.loaded else [None] * len(style.classes)
            brackets = "（{}）" if language == "zh" else " ({})"
            rows = [(style_class.symbol, style_class.label.in_language(language)
                     + ("" if count is None else brackets.format(count)))
                    for style_class, count in zip(style.classes, counts, strict=False)]
            legend.append(map_sheet.LegendLayer(layer.definition.title.in_language(language),
                                                layer.definition.geometry, rows))

        def length_text(metres: float) -> str:
            return (f"{metres / 1000:g} {self.tr_('公里')}" if metres >= 1000
                    else f"{metres:g} {self.tr_('米')}")

        return map_sheet.Sheet(title, subtitle, self.tr_("图例"), legend, length_text)

    def copy_snapshot(self) -> None:
        """Copy the map view to the clipboard."""
        QGuiApplication.clipboard().setImage(self.canvas.snapshot())

    def ask_basemap(self) -> None:
        """Let the user set (or clear) an XYZ tile source, e.g. the county's tile server."""
        current = self.window.settings.value("basemap/url") or ""
        url, ok = QInputDialog.getText(
            self.window, self.tr_("底图…"),
            self.tr_("XYZ 地址，如 http://县服务器/tiles/{z}/{x}/{y}.png（留空则不用底图）"),
            text=current)
        if ok:
            self.set_basemap(url)

    def set_basemap(self, template: str) -> None:
        """Use an XYZ tile source (remembered); tiles are cached on disk for offline use."""
        self.window.settings.setValue("basemap/url", template.strip())
        self.basemap.set_source(template)
        self.basemap.update_view(self.canvas.view_box.viewRect(), self.canvas.metres_per_pixel())
