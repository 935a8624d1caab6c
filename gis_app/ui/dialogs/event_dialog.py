"""The disaster form: a footprint's file (or one drawn on the map), its date, kind and name.

导入灾情范围… shows the file's fields (path, layer, CRS, GCJ-02); after 绘制灾情范围 only the date,
kind and name are asked. 登记 hands the values to the controller, which registers the event
(:class:`~gis_app.services.event_service.EventService`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PyQt6.QtCore import QDate
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

#: Files a footprint may come in.
FILE_FILTER = "矢量文件 (*.gpkg *.shp *.geojson *.json);;所有文件 (*)"


class EventDialog(QDialog):
    """The fields of registering a disaster event.

    Parameters
    ----------
    translate : callable
        The window's translator.
    kinds : sequence of str
        The hazard kinds an event may have (stored Chinese words).
    layers_of : callable, optional
        ``layers_of(path)``: a GeoPackage's layers. None: the footprint was drawn (no file).
    today : datetime.date, optional
        The latest date offered (default today).
    """

    def __init__(self, translate, kinds, layers_of: Callable[[str], list[str]] | None = None,
                 today: dt.date | None = None, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.drawn = layers_of is None
        self._layers_of = layers_of or (lambda _path: [])
        self.setWindowTitle(translate("绘制灾情范围" if self.drawn else "导入灾情范围…"))
        self.path = QLineEdit()
        self.path.setPlaceholderText(translate("灾情范围的 GeoPackage、Shapefile 或 geojson 文件"))
        self.browse = QPushButton(translate("浏览…"))
        self.browse.clicked.connect(self._choose)
        self.file_row = file_row = QWidget(self)
        line = QHBoxLayout(file_row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.path, 1)
        line.addWidget(self.browse)
        self.layer = QComboBox()
        self.crs = QSpinBox()
        self.crs.setRange(0, 999999)
        self.crs.setSpecialValueText(translate("按文件"))
        self.crs.setToolTip(translate("文件未声明坐标系或声明有误时填写EPSG代码，如 3857、4546"))
        self.gcj02 = QCheckBox(translate("坐标为火星坐标（手机地图采集），导入时转换"))
        today = today or dt.date.today()
        self.date = QDateEdit(QDate(today.year, today.month, today.day))
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setMaximumDate(QDate(today.year, today.month, today.day))
        self.kind = QComboBox()
        for kind in kinds:
            self.kind.addItem(translate(kind), kind)
        self.name = QLineEdit()
        self.name.setPlaceholderText(translate("留空则为“日期+类型+灾害”"))
        note = QLabel(translate("范围内已定位的农户将生成风险线索（渠道：灾害），"
                                "发现日期为灾害日期，须在核实期限内入户核实"))
        note.setWordWrap(True)
        form = QFormLayout()
        if self.drawn:  # nothing to ask of a file
            for widget in (file_row, self.layer, self.crs, self.gcj02):
                widget.setParent(self)
                widget.hide()
        else:
            form.addRow(translate("文件"), file_row)
            form.addRow(translate("图层"), self.layer)
            form.addRow(translate("坐标系 EPSG"), self.crs)
            form.addRow("", self.gcj02)
        form.addRow(translate("灾害日期"), self.date)
        form.addRow(translate("灾害类型"), self.kind)
        form.addRow(translate("事件名称"), self.name)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(translate("登记"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(translate("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.path.textChanged.connect(self._path_changed)
        self._path_changed("")
        self.resize(560, self.sizeHint().height())

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr_("导入灾情范围…"), self.path.text(),
                                              self.tr_(FILE_FILTER))
        if path:
            self.path.setText(path)

    def _path_changed(self, text: str) -> None:
        if self.drawn:
            return
        self.layer.clear()
        try:
            names = self._layers_of(text.strip()) if text.strip() else []
        except (OSError, ValueError):  # not a vector file (yet): the import says why
            names = []
        if len(names) < 2:
            self.layer.addItem(self.tr_("（文件只有一个图层）"), None)
        else:
            for name in names:
                self.layer.addItem(name, name)
        self.layer.setEnabled(len(names) > 1)
        self.ok.setEnabled(bool(text.strip()))

    def set_values(self, path: str | None = None, day: dt.date | None = None,
                   kind: str | None = None, name: str | None = None) -> None:
        """Fill the form as a user would."""
        if path is not None:
            self.path.setText(str(path))
        if day is not None:
            self.date.setDate(QDate(day.year, day.month, day.day))
        if kind is not None:
            self.kind.setCurrentIndex(self.kind.findData(kind))
        if name is not None:
            self.name.setText(name)

    def values(self) -> dict:
        """What was entered: ``path, layer, crs, gcj02`` (a file) and ``date, kind, name``."""
        return {"path": self.path.text().strip() or None, "layer": self.layer.currentData(),
                "crs": self.crs.value() or None, "gcj02": self.gcj02.isChecked(),
                "date": self.date.date().toPyDate(), "kind": self.kind.currentData(),
                "name": self.name.text().strip() or None}
