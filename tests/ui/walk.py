"""Every string a user can read in a widget tree, and the checks of the language tests.

:func:`texts` walks a window, dock, dialog or menu and gathers what is drawn as words: window
titles, labels, buttons, tool tips, group titles, placeholders, spin box affixes, combo items,
tab titles, item views (headers and cells), menus and their actions, the status bar, and the
words of pyqtgraph plots (axis labels, ticks, text items, legends, context menus). Each text
comes with where it was found, so a failure names the widget.

:func:`project_data` reads every text value stored in the project (names of places, people,
grids, campaigns…): those are data and are shown as stored in either language. The vocabulary
the store keeps as text (roles, hazard kinds, case states…) is the interface's and is not data.

No tests here: ``test_language_walk.py`` drives the window and imports these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyqtgraph as pg
from PyQt6.QtCore import QModelIndex, Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QDateTimeEdit,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QGraphicsView,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMenuBar,
    QSpinBox,
    QTabBar,
    QTextEdit,
    QToolBar,
    QWidget,
)

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: An English word: two letters or more (single letters are axes, X=, Y=, N).
WORD = re.compile(r"[A-Za-z]{2,}")
#: What a Chinese interface may show in Latin letters.
ALLOWED_LATIN = re.compile(
    r"https?://\S*|postgresql://\S*|\*\.\w+|(?<![A-Za-z])(?:GIS|PNG|PDF|SVG|Excel|XYZ|ID|"
    r"EPSG|CGCS\d*|CSV|GeoPackage|GPKG|QGIS|qgs|qgz|Shapefile|SQLite|PostgreSQL|PostGIS|WeChat|"
    r"km|m²|mu|ha|"
    r"Ctrl|Shift|Alt|Esc|Enter|Del|F\d+|KB|MB|GB|xlsx|xlsm|xls|csv|gmp|sqlite|db|png|pdf|gpkg|"
    r"shp|geojson|json|html|"
    # the filter expressions' own words (户属性 == "监测对象" and 家庭人口数 >= 4)
    r"and|or|not|in|is|null|startswith|endswith|contains|slice|len|isna|notna)(?![A-Za-z])")
#: Rows read from an item view at most (a long table repeats its columns' words).
MAX_ROWS = 60
_HTML_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Text:
    """A string the user sees, and where."""

    where: str
    text: str


def _name(widget) -> str:
    name = widget.objectName() or ""
    return f"{type(widget).__name__}{'#' + name if name else ''}"


def _plain(text: str) -> str:
    return _HTML_TAG.sub(" ", text).replace("&nbsp;", " ").replace("&amp;", "&")


def _add(out: list[Text], where: str, *strings) -> None:
    for string in strings:
        if string:
            out.append(Text(where, _plain(str(string)).replace("&&", "&")))


def _actions(out: list[Text], where: str, actions, seen: set) -> None:
    for action in actions:
        if action.isSeparator():
            continue
        if action.text() or action.toolTip():
            label = action.text().replace("&", "") if action.text() else ""
            _add(out, f"{where} › {label or 'action'}", action.text(),
                 action.toolTip() if action.toolTip().replace("&", "") != label else "",
                 action.statusTip())
        if action.menu() is not None:
            _menu(out, f"{where} › {action.text()}", action.menu(), seen)


def _menu(out: list[Text], where: str, menu: QMenu, seen: set) -> None:
    if id(menu) in seen:
        return
    seen.add(id(menu))
    _add(out, where, menu.title())
    _actions(out, where, menu.actions(), seen)


def _columns(model, parent: QModelIndex) -> int:
    try:
        return model.columnCount(parent)
    except TypeError:  # a list model: one column (PyQt keeps its columnCount private)
        return 1


def _model(out: list[Text], where: str, view: QAbstractItemView, cells: bool = True) -> None:
    model = view.model()
    if model is None:
        return
    for orientation in (Qt.Orientation.Horizontal,):
        for section in range(_columns(model, QModelIndex())):
            _add(out, f"{where} header", model.headerData(section, orientation,
                                                          Qt.ItemDataRole.DisplayRole),
                 model.headerData(section, orientation, Qt.ItemDataRole.ToolTipRole))

    def walk(parent: QModelIndex, depth: int) -> None:
        rows = min(model.rowCount(parent), MAX_ROWS)
        for row in range(rows):
            for column in range(_columns(model, parent)):
                index = model.index(row, column, parent)
                _add(out, f"{where} cell", index.data(Qt.ItemDataRole.DisplayRole),
                     index.data(Qt.ItemDataRole.ToolTipRole))
            first = model.index(row, 0, parent)
            if depth < 6 and model.rowCount(first) > 0:
                walk(first, depth + 1)

    if cells:
        walk(QModelIndex(), 0)


def _tick_texts(axis) -> list[str]:
    """The tick labels an axis draws at its present size and range."""
    from PyQt6.QtGui import QImage, QPainter

    image = QImage(max(int(axis.width()), 1), max(int(axis.height()), 1),
                   QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [] if specs is None else [text for _rect, _flags, text in specs[2]]


def _plot(out: list[Text], where: str, plot: pg.PlotWidget, seen: set) -> None:
    item = plot.getPlotItem()
    for name, axis in item.axes.items():
        axis = axis["item"]
        if not axis.isVisible():
            continue
        _add(out, f"{where} axis {name}", axis.labelText, axis.labelUnits)
        _add(out, f"{where} ticks {name}", *_tick_texts(axis))
    view_box = item.getViewBox()
    if view_box.menuEnabled():
        _menu(out, f"{where} menu", view_box.getMenu(None), seen)
        if item.ctrlMenu is not None:
            _menu(out, f"{where} plot menu", item.ctrlMenu, seen)
    _scene(out, where, plot.scene())


def _scene(out: list[Text], where: str, scene) -> None:
    for graphics in scene.items():
        if isinstance(graphics, pg.TextItem):
            _add(out, f"{where} text", graphics.textItem.toPlainText())
        elif isinstance(graphics, pg.LabelItem):
            _add(out, f"{where} label", graphics.text)
        elif hasattr(graphics, "toPlainText"):
            _add(out, f"{where} text", graphics.toPlainText())


def texts(root, seen: set | None = None) -> list[Text]:
    """Every string ``root`` (a widget, a menu or an action list) and its children show."""
    seen = set() if seen is None else seen
    out: list[Text] = []
    if isinstance(root, QMenu):
        _menu(out, _name(root), root, seen)
        return out
    widgets = [root, *root.findChildren(QWidget)]
    # A file dialog lists the disk's folders and files (and their paths): data, not words.
    files = isinstance(root, QFileDialog)
    for widget in widgets:
        where = f"{_name(root)} › {_name(widget)}"
        if widget.isWindow() or isinstance(widget, QDockWidget):
            _add(out, f"{where} title", widget.windowTitle())
        _add(out, f"{where} tooltip", widget.toolTip(), widget.statusTip(),
             widget.accessibleName() if isinstance(widget, QAbstractButton) else "")
        if isinstance(widget, QLabel):
            _add(out, where, widget.text())
        elif isinstance(widget, QAbstractButton):
            _add(out, where, widget.text())
        elif isinstance(widget, QGroupBox):
            _add(out, where, widget.title())
        elif isinstance(widget, QLineEdit):
            _add(out, f"{where} placeholder", widget.placeholderText())
        elif isinstance(widget, QTextEdit):
            _add(out, f"{where} placeholder", widget.placeholderText())
            if widget.isReadOnly():
                _add(out, where, widget.toPlainText())
        elif isinstance(widget, QComboBox) and not (files and widget.objectName() == "lookInCombo"):
            _add(out, f"{where} items", *(widget.itemText(i) for i in range(widget.count())))
        elif isinstance(widget, QTabBar):
            _add(out, f"{where} tabs", *(widget.tabText(i) for i in range(widget.count())),
                 *(widget.tabToolTip(i) for i in range(widget.count())))
        elif isinstance(widget, QMenuBar):
            _actions(out, where, widget.actions(), seen)
        elif isinstance(widget, QMenu):
            _menu(out, where, widget, seen)
        elif isinstance(widget, QToolBar):
            _add(out, f"{where} title", widget.windowTitle())
            _actions(out, where, widget.actions(), seen)
        if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            _add(out, f"{where} affix", widget.prefix(), widget.suffix())
        if isinstance(widget, QAbstractSpinBox):
            _add(out, f"{where} special", widget.specialValueText())
        if isinstance(widget, QDateTimeEdit):
            _add(out, f"{where} shown", widget.text())
        if isinstance(widget, QAbstractItemView) and not isinstance(widget, QHeaderView) \
                and not isinstance(widget.parent(), QComboBox):
            _model(out, where, widget, cells=not files)
        if isinstance(widget, pg.PlotWidget):
            _plot(out, where, widget, seen)
        elif isinstance(widget, QGraphicsView) and widget.scene() is not None:
            pass  # the map: its labels are names (data); its scale bar is checked by itself
        for action in widget.actions():
            if isinstance(action, QAction) and not isinstance(widget, (QMenu, QMenuBar,
                                                                       QToolBar)):
                _actions(out, f"{where} action", [action], seen)
    if isinstance(root, QMainWindow):
        _add(out, "status bar", root.statusBar().currentMessage())
    return out


# -- the project's data
def _vocabulary() -> set[str]:
    """Words the store keeps as text that belong to the interface (codes' labels)."""
    from enum import Enum

    from gis_app.core import codes, coverage

    words: set[str] = set()
    for module in (codes, coverage):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Enum) and value is not Enum:
                for member in value:
                    words.add(str(member.value))
                    if hasattr(member, "label"):
                        words.add(member.label)
    return words


def project_data(window) -> set[str]:
    """Every text value stored in the project, less the codes' labels: names are data."""
    from sqlalchemy import inspect, text

    engine = window.session.project.engine
    vocabulary = _vocabulary()
    values: set[str] = set()
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            if table in ("audit_log", "edit", "alembic_version", "project_setting"):
                continue
            for column in inspect(engine).get_columns(table):
                if "CHAR" not in str(column["type"]).upper() and \
                        "TEXT" not in str(column["type"]).upper():
                    continue
                for (value,) in connection.execute(text(
                        f'SELECT DISTINCT "{column["name"]}" FROM "{table}"')):
                    if isinstance(value, str) and value and value not in vocabulary:
                        values.add(value)
    values.add(str(window.session.settings.get("county_name", "")))
    location = str(window.session.project.location)
    values |= {location, location.replace("\\", "/").rsplit("/", 1)[-1]}  # the title: its name
    return {v for v in values if len(v) >= 2 or not CJK.search(v)}


def _without(text: str, data: list[str]) -> str:
    for value in data:
        if value in text:
            text = text.replace(value, " ")
    return text


def untranslated(found: list[Text], data, language: str) -> list[Text]:
    """The texts showing the other language once data values are taken out.

    English: any Chinese character left. Chinese: any English word left, apart from the
    allowed tokens (:data:`ALLOWED_LATIN`).
    """
    def foreign(text: str) -> bool:
        if language == "en":
            return bool(CJK.search(text))
        return bool(WORD.search(ALLOWED_LATIN.sub(" ", text)))

    suspects = [item for item in dict.fromkeys(found) if foreign(item.text)]
    ordered = sorted({str(d) for d in data if d}, key=len, reverse=True)  # longest first
    verdict: dict[str, bool] = {}
    for item in suspects:
        if item.text not in verdict:
            verdict[item.text] = foreign(_without(item.text, ordered))
    return [item for item in suspects if verdict[item.text]]


# -- dialogs, message boxes and menus that open while the test acts
class Catcher:
    """Reads and closes every dialog, message box and menu that opens while it is active.

    Blocking ones (``exec()``: message boxes, file and input dialogs, context menus) are read
    from a timer inside their own event loop; window-modal (``open()``) and modeless ones when
    the action has returned. Each is read once it has been on screen for a few ticks (some
    fill themselves after showing), then dismissed (rejected, or closed).

    Use as ``with Catcher(qtbot, window) as caught: action.trigger()``; ``caught.found`` holds
    the texts, ``caught.titles`` the windows read. ``answer(widget)`` may act on each first
    and return True when it has closed the widget itself.
    """

    TICK_MS = 25
    SETTLE_TICKS = 3

    def __init__(self, qtbot, window, answer=None):
        from PyQt6.QtCore import QTimer

        self.qtbot = qtbot
        self.window = window
        self.answer = answer
        self.found: list[Text] = []
        self.titles: list[str] = []
        self._ticks: dict[int, int] = {}
        self._timer = QTimer()
        self._timer.setInterval(self.TICK_MS)
        self._timer.timeout.connect(self._tick)

    def __enter__(self):
        from PyQt6.QtWidgets import QApplication

        self._before = {id(w) for w in QApplication.topLevelWidgets() if w.isVisible()}
        self._timer.start()
        return self

    @staticmethod
    def _open_now():
        from PyQt6.QtWidgets import QApplication

        popup = QApplication.activePopupWidget()
        if popup is not None and popup.isVisible():
            return popup
        modal = QApplication.activeModalWidget()
        if modal is not None and modal.isVisible():
            return modal
        return None

    def _tick(self) -> None:
        widget = self._open_now()
        if widget is None:
            return
        key = id(widget)
        self._ticks[key] = self._ticks.get(key, 0) + 1
        if self._ticks[key] == self.SETTLE_TICKS:
            self.read_and_close(widget)

    def read_and_close(self, widget) -> None:
        """Gather a dialog's or menu's texts, then dismiss it."""
        from PyQt6.QtWidgets import QDialog

        self.titles.append(widget.windowTitle() or type(widget).__name__)
        self.found += texts(widget)
        if self.answer is not None and self.answer(widget):
            return
        if isinstance(widget, QDialog):
            widget.reject()
        else:
            widget.close()

    def __exit__(self, *exc) -> None:
        from PyQt6.QtWidgets import QApplication

        for _ in range(200):  # window-modal dialogs opened with open(), and any they open
            self.qtbot.wait(self.TICK_MS)
            if self._open_now() is None and all(
                    count >= self.SETTLE_TICKS for count in self._ticks.values()):
                break
        self._timer.stop()
        for widget in QApplication.topLevelWidgets():  # modeless windows (the visit list)
            if widget.isVisible() and id(widget) not in self._before and \
                    widget is not self.window and id(widget) not in self._ticks:
                self.qtbot.wait(self.TICK_MS * self.SETTLE_TICKS)
                self.read_and_close(widget)
        self.qtbot.wait(self.TICK_MS)
