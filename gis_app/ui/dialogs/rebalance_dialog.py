"""重新划分村网格: choose a village, a household limit and workers; see the proposal; apply it.

The dialog only collects choices and shows a proposal; the grid editing controller
(:mod:`gis_app.ui.controllers.grid_edit`) computes and applies it through the grid editing
service, and draws the :class:`ProposalOverlay` on the map.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import shapely
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPen
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QGraphicsPathItem,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from gis_app.ui.canvas.layers import polygon_path

#: Outline colours of the proposed grids, one per worker (cycled beyond ten workers).
PALETTE = ("#e03131", "#1971c2", "#2f9e44", "#f08c00", "#9c36b5",
           "#0c8599", "#c2255c", "#5c940d", "#e8590c", "#3b5bdb")


class ProposalOverlay:
    """Proposed grids drawn over the current ones: dashed outlines per worker, with labels."""

    Z = 800  # above every layer of layers/, below the labels and the sketch

    def __init__(self, plot: pg.PlotItem, geometries, workers, households, names: dict,
                 translate=None):
        """Draw ``geometries`` (map metres) of ``workers`` (ids) holding ``households``.

        ``translate`` is the window's translator for the labels (Chinese when None).
        """
        translate = translate or (lambda text: text)
        self.plot = plot
        self.items: list = []
        self.labels: list[pg.TextItem] = []
        geometries = np.asarray(geometries, dtype=object)
        workers = np.asarray(workers)
        order = list(dict.fromkeys(workers.tolist()))  # workers in the proposal's order
        self.colours = {w: PALETTE[i % len(PALETTE)] for i, w in enumerate(order)}
        for worker in order:  # one path per worker: a handful
            pen = QPen(QColor(self.colours[worker]), 2.5)
            pen.setCosmetic(True)
            pen.setStyle(Qt.PenStyle.DashLine)
            item = QGraphicsPathItem(polygon_path(geometries[workers == worker]))
            item.setPen(pen)
            item.setZValue(self.Z)
            self.items.append(item)
        spots = shapely.get_coordinates(shapely.point_on_surface(geometries))
        for (x, y), worker, count in zip(spots, workers, households, strict=True):
            label = pg.TextItem(translate("{name} {n}户").format(name=names.get(worker, worker),
                                                                n=int(count)),
                                color=QColor(self.colours[worker]), anchor=(0.5, 0.5),
                                fill=pg.mkBrush(255, 255, 255, 210))
            label.setPos(float(x), float(y))
            label.setZValue(6e5)  # over the map's own labels (5e5)
            self.labels.append(label)
        for item in (*self.items, *self.labels):
            plot.addItem(item, ignoreBounds=True)

    def texts(self) -> list[str]:
        """The labels shown on the map."""
        return [label.toPlainText() for label in self.labels]

    def remove(self) -> None:
        """Take the overlay off the map."""
        for item in (*self.items, *self.labels):
            self.plot.removeItem(item)
        self.items, self.labels = [], []


class RebalanceDialog(QDialog):
    """Choices of a rebalancing proposal and the proposal's grids, workers and warnings."""

    village_changed = pyqtSignal(int)  # the controller answers with set_workers
    generate_requested = pyqtSignal(int, int, list)  # village id, household limit, worker ids
    apply_requested = pyqtSignal()

    def __init__(self, translate, villages: list[tuple[int, str]], village_id: int | None,
                 limit: int, parent=None):
        """``villages``: (admin unit id, name) pairs; ``limit``: the default households."""
        super().__init__(parent)
        self.tr_ = translate
        self.setWindowTitle(translate("重新划分村网格"))
        self.proposal = None
        self.village = QComboBox()
        for unit_id, name in villages:
            self.village.addItem(name, int(unit_id))
        self.limit = QSpinBox()
        self.limit.setRange(1, 100_000)
        self.limit.setValue(int(limit))
        self.limit.setSuffix(f" {translate('户')}")
        self.workers = QListWidget()
        self.workers.setMaximumHeight(150)
        self.generate = QPushButton(translate("生成方案"))
        self.apply = QPushButton(translate("应用"))
        self.cancel = QPushButton(translate("取消"))
        self.apply.setEnabled(False)
        self.summary = QLabel()
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #c92a2a")
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([translate(t) for t in ("网格", "网格员", "户数")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        form = QFormLayout()
        form.addRow(translate("村"), self.village)
        form.addRow(translate("每名网格员户数上限"), self.limit)
        form.addRow(translate("网格员"), self.workers)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate)
        buttons.addStretch(1)
        buttons.addWidget(self.apply)
        buttons.addWidget(self.cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        layout.addWidget(self.warnings)
        layout.addLayout(buttons)
        self.resize(420, 560)
        self.generate.clicked.connect(
            lambda: self.generate_requested.emit(self.village_id(), self.limit.value(),
                                                 self.checked_workers()))
        self.apply.clicked.connect(self.apply_requested)
        self.cancel.clicked.connect(self.reject)
        self.village.currentIndexChanged.connect(self._village_picked)
        if village_id is not None and self.village.findData(int(village_id)) >= 0:
            self.village.setCurrentIndex(self.village.findData(int(village_id)))

    def village_id(self) -> int:
        """The admin unit id of the chosen village."""
        return int(self.village.currentData())

    def _village_picked(self, *_args) -> None:
        self.show_proposal(None)
        self.village_changed.emit(self.village_id())

    def set_workers(self, workers: list[tuple[int, str, bool]]) -> None:
        """List (id, label, checked) workers the user may choose from."""
        self.workers.clear()
        for worker_id, label, checked in workers:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, int(worker_id))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.workers.addItem(item)

    def checked_workers(self) -> list[int]:
        """Ids of the ticked workers, in list order."""
        items = (self.workers.item(i) for i in range(self.workers.count()))
        return [item.data(Qt.ItemDataRole.UserRole) for item in items
                if item.checkState() == Qt.CheckState.Checked]

    def show_proposal(self, proposal, names: dict | None = None) -> None:
        """Fill the table and warnings (``None`` clears them); 应用 needs a proposal."""
        self.proposal = proposal
        self.apply.setEnabled(proposal is not None)
        if proposal is None:
            self.table.setRowCount(0)
            self.summary.setText("")
            self.warnings.setText("")
            return
        names = names or {}
        grids = proposal.grids
        self.table.setRowCount(len(grids))
        rows = zip(grids["part"], grids["worker"], grids["households"], strict=True)
        for row, (part, worker, count) in enumerate(rows):  # a village's few grids
            title = self.tr_("第{n}网格").format(n=int(part) + 1)
            for column, value in enumerate((title, names.get(worker, worker), int(count))):
                item = QTableWidgetItem()
                item.setData(Qt.ItemDataRole.DisplayRole, value)
                self.table.setItem(row, column, item)
        loads = proposal.loads.values()
        self.summary.setText(self.tr_("{grids}个网格，共{households}户，每名网格员{low}–{high}户")
                             .format(grids=len(grids), households=int(grids["households"].sum()),
                                     low=min(loads, default=0), high=max(loads, default=0)))
        self.warnings.setText("\n".join(proposal.warnings))
