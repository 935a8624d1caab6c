"""A worker's visit list (走访清单): the ordered table, a small route map, Excel and PDF export."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from gis_app.services import visit_list_service as service
from gis_app.services.coverage_service import CampaignNotFoundError
from gis_app.services.export_service import PersonalDataDenied
from gis_app.ui.i18n import Translator

_REFUSALS = (CampaignNotFoundError, PersonalDataDenied, service.WorkerNotFoundError)
#: Above this many points only every k-th gets its number, so the small map stays readable.
_MAX_LABELS = 150


class VisitListDialog(QDialog):
    """The households a worker still has to check, in walking order, beside their route.

    The list follows the session while the dialog is open: a visit saved anywhere (the record
    form, another user), a household moved or an assignment changed reads it again, so a
    household just recorded drops off. Double-clicking a household asks for its visit form
    (``state.events.record_requested``).

    Parameters
    ----------
    session : ProjectSession
        The window's session (its user decides whether personal data may be shown).
    worker_id : int
        Whose list.
    unmask : bool
        Show ID numbers and phones in full (refused for users without the right).
    state : WindowState, optional
        The window's state: the list follows its ``unmask`` and emits its requests.
    translate : callable, optional
        The window's translator.
    loader : callable, optional
        ``loader(unmask)`` → the list to show, for households chosen elsewhere (a disaster's
        clues: :func:`~gis_app.services.planner_service.worker_visit_list`); by default the
        worker's list of the current campaign. Its exports write that list.
    follows : tuple of str, optional
        Session events after which the list is read again (default :attr:`FOLLOWS`).
    """

    #: Session events after which the list is read again.
    FOLLOWS = ("records", "households", "assignments", "helper_pairs", "grids", "workers",
               "campaigns")

    def __init__(self, session, worker_id: int, unmask: bool = False, state=None,
                 translate=None, parent=None, loader=None, follows: tuple[str, ...] | None = None):
        super().__init__(parent)
        self.session, self.worker_id, self.unmask = session, int(worker_id), unmask
        self._loader = loader
        self.follows = tuple(follows or self.FOLLOWS)
        self.state = state
        self.tr_ = translate or Translator()
        self.visits: service.VisitList | None = None
        self._dirty = False
        self.setWindowTitle(self.tr_("走访清单"))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.status = QLabel()
        self.table = QTableWidget(0, len(service.COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr_(text) for text in service.COLUMNS.values()])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.cellDoubleClicked.connect(lambda row, _col: self.record_visit(row))
        self.table.currentCellChanged.connect(lambda row, *_: self._highlight(row))
        self.map = pg.PlotWidget(background="w")
        self.map.setMenuEnabled(False)  # pyqtgraph's menu speaks English only
        self.map.setAspectLocked(True)
        self.map.hideAxis("left")
        self.map.hideAxis("bottom")
        self.map.setMinimumWidth(320)
        self.points = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w"))
        self.marker = pg.ScatterPlotItem(size=20, brush=None, pen=pg.mkPen("#f08c00", width=3))
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self.map)
        splitter.setSizes([700, 420])
        buttons = QHBoxLayout()
        self.buttons = {}
        for text, slot in (("导出Excel…", lambda: self.export("xlsx")),
                           ("导出PDF…", lambda: self.export("pdf")),
                           ("刷新", self.refresh),
                           ("关闭", self.close)):
            button = QPushButton(self.tr_(text))
            button.clicked.connect(lambda _checked=False, slot=slot: slot())
            buttons.addWidget(button)
            self.buttons[text] = button
        buttons.insertWidget(0, self.status, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self.resize(1150, 650)
        self._subscribe()
        self.finished.connect(lambda _result: self._unsubscribe())
        self.refresh()

    # -- following the session
    def _subscribe(self) -> None:
        events = self.session.events
        for name in self.follows:
            getattr(events, name).connect(self._touched)
        events.changed.connect(self._changed)
        events.reset.connect(self.refresh)
        if self.state is not None:
            self.state.events.unmask.connect(self._unmask_changed)

    def _unsubscribe(self) -> None:
        events = self.session.events
        for name in self.follows:
            getattr(events, name).disconnect(self._touched)
        events.changed.disconnect(self._changed)
        events.reset.disconnect(self.refresh)
        if self.state is not None:
            self.state.events.unmask.disconnect(self._unmask_changed)

    def _touched(self, _change) -> None:
        self._dirty = True

    def _changed(self, _changes) -> None:
        # One read per edit, however many of the followed entities it touched.
        if self._dirty:
            self._dirty = False
            self.refresh()

    def _unmask_changed(self, unmask: bool) -> None:
        self.unmask = unmask
        self.refresh()

    # -- content
    def refresh(self) -> service.VisitList | None:
        """Read the list again from the store and redraw the table and the map."""
        try:
            self.visits = self._loader(self.unmask) if self._loader is not None else \
                service.visit_list(self.session.project, self.worker_id, unmask=self.unmask,
                                   user=self.session.user)
        except (*_REFUSALS, ValueError) as exc:
            self.visits = None
            self.summary.setText(self.tr_.message(str(exc)))
            self.table.setRowCount(0)
            self.map.clear()
            for key in ("导出Excel…", "导出PDF…"):
                self.buttons[key].setEnabled(False)
            return None
        for key in ("导出Excel…", "导出PDF…"):
            self.buttons[key].setEnabled(True)
        visits = self.visits
        self.setWindowTitle(f"{self.tr_('走访清单')} — {visits.worker['name']}")
        unknown = int((~visits.households["located"].to_numpy(bool)).sum())
        tr_ = self.tr_
        self.summary.setText(
            tr_("{name}（{roles}）").format(name=visits.worker["name"],
                                           roles=tr_.terms(visits.worker["roles"]) or tr_("无职务"))
            + "  "
            + f"{tr_.message(visits.campaign['name'])}  "  # a disaster's task is composed
            + tr_("待走访 {n} 户").format(n=visits.count)
            + (tr_("（位置未知 {n} 户）").format(n=unknown) if unknown else "")
            + "  " + tr_("路线约 {km:.2f} 公里（直线）").format(km=visits.route_m / 1000)
            + "  " + tr_("双击一户可登记走访"))
        self._fill_table(visits)
        self._draw_map(visits)
        return visits

    def _fill_table(self, visits: service.VisitList) -> None:
        table = visits.table()
        ids = visits.households["household_id"].to_numpy()
        status = list(service.COLUMNS).index("status")  # a clue's: 已超期（期限…）
        self.table.setRowCount(len(table))
        for row, values in enumerate(table.astype(str).to_numpy().tolist()):  # a few hundred
            for column, value in enumerate(values):  # codes' labels and notes translated
                item = QTableWidgetItem(self.tr_.message(value) if "；" in value
                                        or column == status else self.tr_(value))
                item.setData(Qt.ItemDataRole.UserRole, int(ids[row]))
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()

    def _draw_map(self, visits: service.VisitList) -> None:
        self.map.clear()
        self.map.addItem(self.marker)
        self.marker.setData([], [])
        if len(visits.grids):
            outlines = visits.outlines()
            for fine in (True, False):  # level-3 grids thin, the grids above thick
                rings = [ring for level, ring in outlines if (level >= 3) == fine]
                if rings:
                    xy = np.vstack([np.vstack([r, [np.nan, np.nan]]) for r in rings])
                    pen = pg.mkPen("#5a6e8c", width=1 if fine else 2.5)
                    self.map.plot(xy[:, 0], xy[:, 1], pen=pen, connect="finite")
        located = visits.located
        x, y = located["x"].to_numpy(float), located["y"].to_numpy(float)
        if len(x) > 1:
            self.map.plot(x, y, pen=pg.mkPen("#d6336c", width=2))
        if len(x):
            brushes = [pg.mkBrush("#2f9e44")] + [pg.mkBrush("#1971c2")] * (len(x) - 1)
            self.points.setData(x, y, brush=brushes)
            self.map.addItem(self.points)
            every = max(1, -(-len(x) // _MAX_LABELS))
            for i, (px, py, seq) in enumerate(zip(x, y, located["seq"], strict=True)):
                if i % every == 0 or i == len(x) - 1:
                    label = pg.TextItem(str(seq), color="k", anchor=(-0.1, 1.0))
                    label.setPos(px, py)
                    self.map.addItem(label)
        self.marker.setZValue(10)
        self.map.autoRange()

    def _highlight(self, row: int) -> None:
        """Ring the selected household on the map."""
        if self.visits is None or not 0 <= row < self.visits.count:
            return
        household = self.visits.households.iloc[row]
        if household["located"]:
            self.marker.setData([household["x"]], [household["y"]])
        else:
            self.marker.setData([], [])

    # -- actions
    def household_at(self, row: int) -> int | None:
        """The household id shown on a table row."""
        item = self.table.item(row, 0)
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def record_visit(self, row: int) -> None:
        """Ask for the visit form of the row's household; the list follows when it is saved."""
        household = self.household_at(row)
        if household is None:
            return
        if self.state is None:
            self.status.setText(self.tr_("本版本尚不能在此登记走访"))
            return
        self.state.events.record_requested.emit(household)

    def export(self, kind: str, path: str | None = None) -> str | None:
        """Write the list to Excel (``xlsx``) or PDF (``pdf``); asks for the file when None."""
        if self.visits is None:
            return None
        if path is None:
            caption = self.tr_("导出Excel…" if kind == "xlsx" else "导出PDF…")
            name = self.tr_("走访清单_{name}").format(name=self.visits.worker["name"])
            default = f"{name}.{kind}"
            pattern = "Excel (*.xlsx)" if kind == "xlsx" else "PDF (*.pdf)"
            path, _ = QFileDialog.getSaveFileName(self, caption, default, pattern)
        if not path:
            return None
        if not path.lower().endswith(f".{kind}"):
            path += f".{kind}"
        try:
            if self._loader is not None:  # the list shown, as it was made
                service.write_visit_list(self.session.project, self.visits, path,
                                         user=self.session.user)
            else:
                service.export_visit_list(self.session.project, self.worker_id, path,
                                          unmask=self.unmask, user=self.session.user)
        except (*_REFUSALS, OSError, ValueError) as exc:
            self.status.setText(f"{self.tr_('导出失败')}：{self.tr_.message(str(exc))}")
            return None
        self.status.setText(f"{self.tr_('已导出')}：{path}")
        return path
