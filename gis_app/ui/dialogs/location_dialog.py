"""按位置选择… (select by location): households in, or within a distance of, other features.

The form QGIS users know: the features to compare with (a layer, its selected features only,
or one disaster's footprint), the distance (0: in them, a point on a boundary counts), and how
the result modifies the current selection (new, add, within, remove).
"""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
)


class LocationDialog(QDialog):
    """The options of a selection by location.

    Parameters
    ----------
    translate : callable
        The window's translator.
    references : list of (key, label, selected)
        What to compare with: a key (``layer:<layer id>`` or ``event:<event id>``), its label in the
        interface language, and how many of its features are selected (None: not a layer).
    modes : dict
        Mode key → Chinese name (:data:`gis_app.services.planner_service.SELECTION_MODES`).
    """

    #: 选择 pressed: the dialog stays open for another try, as QGIS' does.
    run_requested = pyqtSignal()

    def __init__(self, translate, references, modes: dict[str, str], parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.setWindowTitle(translate("按位置选择…"))
        self.target = QLabel(translate("农户"))
        self.reference = QComboBox()
        self._selected: dict[int, int | None] = {}
        for index, (key, label, selected) in enumerate(references):
            self.reference.addItem(label, key)
            self._selected[index] = selected
        self.selected_only = QCheckBox(translate("只用所选要素"))
        self.distance = QSpinBox()
        self.distance.setRange(0, 20000)
        self.distance.setSingleStep(50)
        self.distance.setSuffix(" " + translate("米"))
        self.distance.setSpecialValueText(translate("位于其中（0米）"))
        self.distance.setToolTip(translate("0：农户位于参照要素之内（含边界）；大于0：与参照要素的距离不超过该值"))
        self.mode = QComboBox()
        for key, name in modes.items():
            self.mode.addItem(translate(name), key)
        self.result = QLabel()
        self.result.setWordWrap(True)
        form = QFormLayout()
        form.addRow(translate("选择要素"), self.target)
        form.addRow(translate("参照要素"), self.reference)
        form.addRow("", self.selected_only)
        form.addRow(translate("距离"), self.distance)
        form.addRow(translate("选择方式"), self.mode)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Apply
                                        | QDialogButtonBox.StandardButton.Close)
        self.apply = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply.setText(translate("选择"))
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(translate("关闭"))
        self.apply.clicked.connect(lambda _checked=False: self.run_requested.emit())
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.result)
        layout.addWidget(self.buttons)
        self.reference.currentIndexChanged.connect(self._reference_changed)
        self._reference_changed(self.reference.currentIndex())
        self.resize(480, self.sizeHint().height())

    def _reference_changed(self, index: int) -> None:
        selected = self._selected.get(index)
        self.selected_only.setEnabled(selected is not None)
        self.selected_only.setChecked(bool(selected))
        self.selected_only.setText(
            self.tr_("只用所选要素（已选{n}个）").format(n=selected or 0) if selected is not None
            else self.tr_("只用所选要素"))

    def choose(self, key) -> None:
        """Pick what to compare with by its key (as choosing it in the list does)."""
        index = self.reference.findData(key)
        if index < 0:
            raise KeyError(key)
        self.reference.setCurrentIndex(index)

    def values(self) -> dict:
        """``reference`` (key), ``selected_only``, ``distance`` (metres), ``mode``."""
        return {"reference": self.reference.currentData(),
                "selected_only": self.selected_only.isEnabled() and self.selected_only.isChecked(),
                "distance": float(self.distance.value()), "mode": self.mode.currentData()}
