"""The import form (导入文件…): the file, its kind and layer, its CRS, and updating by code."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

#: Files the form offers (every format an import reads).
FILE_FILTER = "数据文件 (*.gpkg *.shp *.geojson *.json *.xlsx *.xlsm *.csv);;所有文件 (*)"


class ImportDialog(QDialog):
    """The fields of :func:`gis_app.services.import_service.import_file`.

    Parameters
    ----------
    translate : callable
        The window's translator.
    kinds : dict
        Import kind → its Chinese name, in import order.
    updatable : sequence of str
        Kinds whose stored rows may be replaced by code (the check box applies to them).
    layers_of : callable
        ``layers_of(path)``: the layers of a GeoPackage (empty for other files).
    """

    def __init__(self, translate, kinds: dict[str, str], updatable,
                 layers_of: Callable[[str], list[str]], parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self._layers_of = layers_of
        self._updatable = tuple(updatable)
        self.setWindowTitle(translate("导入文件…"))
        self.path = QLineEdit()
        self.path.setPlaceholderText(translate("GeoPackage、Shapefile、geojson、Excel 或 CSV 文件"))
        self.browse = QPushButton(translate("浏览…"))
        self.browse.clicked.connect(self._choose)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.path, 1)
        line.addWidget(self.browse)
        self.kind = QComboBox()
        for kind, title in kinds.items():
            self.kind.addItem(translate(title), kind)
        self.layer = QComboBox()
        self.layer.setEditable(False)
        self.crs = QSpinBox()
        self.crs.setRange(0, 999999)
        self.crs.setSpecialValueText(translate("按文件"))
        self.crs.setToolTip(translate("文件未声明坐标系或声明有误时填写EPSG代码，如 3857、4546"))
        self.gcj02 = QCheckBox(translate("坐标为火星坐标（手机地图采集），导入时转换"))
        self.update_by_code = QCheckBox(
            translate("按编码更新项目中已有的要素（替换几何图形和属性，可撤销）"))
        form = QFormLayout()
        form.addRow(translate("文件"), row)
        form.addRow(translate("类型"), self.kind)
        form.addRow(translate("图层"), self.layer)
        form.addRow(translate("坐标系 EPSG"), self.crs)
        form.addRow("", self.gcj02)
        form.addRow("", self.update_by_code)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(translate("导入"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(translate("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.path.textChanged.connect(self._path_changed)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._path_changed("")
        self._kind_changed()
        self.resize(560, self.sizeHint().height())

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr_("导入文件…"), self.path.text(),
                                              self.tr_(FILE_FILTER))
        if path:
            self.path.setText(path)

    def _path_changed(self, text: str) -> None:
        self.layer.clear()
        names = self._layers_of(text.strip()) if text.strip() else []
        if not names:
            self.layer.addItem(self.tr_("（文件只有一个图层）"), None)
        for name in names:
            self.layer.addItem(name, name)
        self.layer.setEnabled(bool(names))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(text.strip()))

    def _kind_changed(self) -> None:
        updatable = self.kind.currentData() in self._updatable
        self.update_by_code.setEnabled(updatable)
        if not updatable:
            self.update_by_code.setChecked(False)

    def set_values(self, path: str, kind: str, layer: str | None = None) -> None:
        """Fill the form (as a user would): the file, its kind and layer."""
        self.path.setText(str(path))
        self.kind.setCurrentIndex(self.kind.findData(kind))
        if layer is not None:
            self.layer.setCurrentIndex(self.layer.findData(layer, Qt.ItemDataRole.UserRole))

    def values(self) -> dict:
        """The form as keyword arguments of ``import_file`` (path and kind included)."""
        return {"path": self.path.text().strip(), "kind": self.kind.currentData(),
                "layer": self.layer.currentData(), "crs": self.crs.value() or None,
                "gcj02": self.gcj02.isChecked(), "update": self.update_by_code.isChecked()}
