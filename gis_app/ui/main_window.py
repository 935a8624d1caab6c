"""The main window: assembles the map, the controllers' docks and actions, and the session.

It holds no feature of its own: each feature is a controller (``gis_app.ui.controllers``),
registered in :data:`gis_app.ui.registry.CONTROLLERS`. The window builds their docks, menus and
toolbars from what they declare, relabels them on a language switch, polls the session for
other processes' commits and shows the session's errors.
"""

from __future__ import annotations

from PyQt6.QtCore import QByteArray, QRectF, QSettings, Qt, QTimer
from PyQt6.QtGui import QAction, QActionGroup, QKeySequence
from PyQt6.QtWidgets import QDockWidget, QMainWindow, QMenu, QMessageBox, QToolBar

from gis_app.catalog import load_layers, load_styles
from gis_app.services.layers import LayerSet
from gis_app.ui.canvas.map_canvas import MapCanvas
from gis_app.ui.i18n import Translator, current_language
from gis_app.ui.registry import CONTROLLERS, MENUS
from gis_app.ui.state import WindowState

#: How often the session looks for other processes' commits (ms).
REFRESH_MS = 1000
#: Toolbars' titles (the window's context menu lists them) by the name actions give.
TOOLBAR_TITLES = {"tools": "地图工具", "grids": "网格编辑"}
#: Toolbars that start a row of their own: the map tools fill a 1400-pixel row in English.
TOOLBAR_ROWS = ("grids",)


class MainWindow(QMainWindow):
    """The application window on one project session."""

    def __init__(self, session, settings: QSettings | None = None):
        super().__init__()
        self.session = session
        self.settings = settings or QSettings()
        self.state = WindowState(current_language(self.settings.value("language")))
        self.tr_ = Translator(self.state.language)
        self.styles = load_styles()
        self.definitions = {d.id: d for d in load_layers(styles=self.styles)}
        self.layers = LayerSet(session, self.definitions.values())
        self.canvas = MapCanvas()
        self.setCentralWidget(self.canvas)
        self.docks: dict[str, QDockWidget] = {}
        self.menus: dict[str, QMenu] = {}
        self.toolbars: dict[str, QToolBar] = {}
        self.tool_actions: dict[str, QAction] = {}
        self._texts: list[tuple[object, str]] = []  # (dock, menu or action, Chinese text)
        self._buttons: list[tuple[QAction, str]] = []  # toolbar actions: short label, tip
        self._stale: set[str] = set()
        self._on_screen: dict[str, bool] = {}  # by visibilityChanged: tabs stay isVisible()
        self._refreshers: dict[str, object] = {}
        self.controllers = {cls.name: cls(self) for cls in CONTROLLERS}
        self._assemble()
        self.state.events.message.connect(lambda text, ms: self.statusBar().showMessage(text, ms))
        self.state.events.language.connect(lambda _language: self.retranslate())
        session.events.error.connect(self._show_error)
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(session.refresh)
        self._timer.start()
        self._restore()
        self.retranslate()

    def controller(self, name: str):
        """A controller by name (tests and the composition root; controllers use the state)."""
        return self.controllers[name]

    # -- assembling what the controllers declare
    def _assemble(self) -> None:
        for title in MENUS:
            self.menus[title] = self._text(self.menuBar().addMenu(title), title)
        tools = QActionGroup(self)
        for controller in self.controllers.values():
            for spec in controller.docks():
                self._add_dock(spec)
            for spec in controller.actions():
                self._add_action(spec, tools)
        for controller in self.controllers.values():
            for spec in controller.docks():  # those whose partner was declared later
                if spec.tab_with and self.docks[spec.title] not in self.tabifiedDockWidgets(
                        self.docks[spec.tab_with]):
                    self.tabifyDockWidget(self.docks[spec.tab_with], self.docks[spec.title])
        for controller in self.controllers.values():
            controller.assembled()
        for controller in self.controllers.values():
            for spec in controller.docks():
                if spec.raised:
                    self.docks[spec.title].raise_()
        view = self.menus.get("视图")
        if view is not None:
            view.addSeparator()
            for dock in self.docks.values():
                view.addAction(dock.toggleViewAction())

    def _text(self, target, chinese: str):
        self._texts.append((target, chinese))
        return target

    def _add_dock(self, spec) -> None:
        dock = QDockWidget(spec.title, self)
        dock.setObjectName(f"dock-{spec.widget.__class__.__name__}")
        dock.setWidget(spec.widget)
        self.addDockWidget(spec.area, dock)
        if spec.tab_with in self.docks:
            # Tabbed at once: docks left side by side until assembled add up their minimum
            # widths, and a window resized meanwhile could not be narrower than their sum.
            self.tabifyDockWidget(self.docks[spec.tab_with], dock)
        self.docks[spec.title] = self._text(dock, spec.title)
        # A dock behind another tab keeps isVisible(); Qt says which tab is up by this signal
        # (connected first: a refresher below asks dock_shown and must see the new state).
        dock.visibilityChanged.connect(
            lambda visible, t=spec.title: self._on_screen.__setitem__(t, visible))
        if spec.refresh is not None:
            self._refreshers[spec.title] = spec.refresh
            self._stale.add(spec.title)  # filled when first shown
            dock.visibilityChanged.connect(lambda visible, t=spec.title: self._dock_shown(t,
                                                                                          visible))

    def _add_action(self, spec, tools: QActionGroup) -> None:
        action = QAction(spec.text, self)
        action.setCheckable(spec.checkable or spec.tool is not None)
        if spec.shortcut:
            action.setShortcut(QKeySequence(spec.shortcut))
        # triggered(bool) would arrive as the slot's first argument: call it without.
        action.triggered.connect(lambda _checked=False, slot=spec.slot: slot())
        spec.action = self._text(action, spec.text)
        if spec.tool is not None:
            tools.addAction(action)
            self.tool_actions[spec.tool] = action
        if spec.menu not in self.menus:
            self.menus[spec.menu] = self._text(self.menuBar().addMenu(spec.menu), spec.menu)
        menu = self.menus[spec.menu]
        if spec.separator_before:
            menu.addSeparator()
        menu.addAction(action)
        if spec.toolbar:
            if spec.toolbar not in self.toolbars:
                title = TOOLBAR_TITLES.get(spec.toolbar, spec.toolbar)
                toolbar = self._text(QToolBar(title, self), title)
                toolbar.setObjectName(f"toolbar-{spec.toolbar}")
                if spec.toolbar in TOOLBAR_ROWS:
                    self.addToolBarBreak()
                self.addToolBar(toolbar)
                self.toolbars[spec.toolbar] = toolbar
            if spec.separator_before:
                self.toolbars[spec.toolbar].addSeparator()
            self.toolbars[spec.toolbar].addAction(action)
            self._buttons.append((action, spec.text))

    # -- docks that read the session are filled when shown
    def dock_shown(self, title: str) -> bool:
        """True when ``title``'s dock is on screen (redraw it now), else it is marked stale."""
        if self.docks[title].isVisible() and self._on_screen.get(title, False):
            self._stale.discard(title)
            return True
        self._stale.add(title)
        return False

    def _dock_shown(self, title: str, visible: bool) -> None:
        if visible and title in self._stale:
            self._stale.discard(title)
            self._refreshers[title]()

    # -- language, errors, tools
    def retranslate(self) -> None:
        """Every label in the current language."""
        self.tr_.language = self.state.language
        for target, chinese in self._texts:
            if isinstance(target, (QDockWidget, QToolBar)):
                target.setWindowTitle(self.tr_(chinese))
            elif isinstance(target, QMenu):
                target.setTitle(self.tr_(chinese))
            else:
                target.setText(self.tr_(chinese))
        for action, chinese in self._buttons:  # a button says less; its tip says it all
            action.setIconText(self.tr_.button(chinese))
            action.setToolTip(self.tr_(chinese).replace("…", ""))
        for controller in self.controllers.values():
            controller.retranslate()

    def set_tool(self, tool: str) -> None:
        """Choose the map tool."""
        self.canvas.view_box.set_tool(tool)
        if tool in self.tool_actions:
            self.tool_actions[tool].setChecked(True)

    def _show_error(self, message: str) -> None:
        QMessageBox.warning(self, self.tr_("网格防返贫监测 GIS"), self.tr_.message(message))

    # -- window state
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
            bottom = [d for d in self.docks.values()
                      if self.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea]
            self.resizeDocks(bottom[:1], [240], Qt.Orientation.Vertical)
            sides = [d for d in self.docks.values() if self.dockWidgetArea(d) in (
                Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)]
            self.resizeDocks(sides, [280] * len(sides), Qt.Orientation.Horizontal)
        extent = self.settings.value(f"extent/{self.session.project.location}")
        if isinstance(extent, list) and len(extent) == 4:
            self.canvas.zoom_to(QRectF(*map(float, extent)), padding=0)
        else:
            self.canvas.zoom_full()

    def closeEvent(self, event):  # noqa: N802 - Qt override
        self._timer.stop()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        rect = self.canvas.view_box.viewRect()
        self.settings.setValue(f"extent/{self.session.project.location}",
                               [rect.x(), rect.y(), rect.width(), rect.height()])
        for controller in self.controllers.values():
            controller.close()
        super().closeEvent(event)
