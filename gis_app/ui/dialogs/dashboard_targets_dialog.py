"""看板目标设置: each indicator's target and the margin within which it is only at risk.

The dialog edits a dict ``key → (target, margin)`` (shares as fractions, shown in per cent); a
target left at 默认 keeps the default (the timetable's coverage, the household limit). The
controller keeps the choice per PC (``QSettings``).
"""

from __future__ import annotations

from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from gis_app.core.dashboard import INDICATORS


def _spin(kind: str, optional: bool) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setDecimals(1)
    spin.setRange(-1.0 if optional else 0.0, 100.0 if kind == "share" else 100000.0)
    spin.setSingleStep(1.0)
    if kind == "share":
        spin.setSuffix(" %")
    return spin


class DashboardTargetsDialog(QDialog):
    """Targets and margins of the dashboard's indicators.

    Parameters
    ----------
    translate : callable
        The window's translator.
    targets : dict
        Key → (target or None, margin), as in use.
    """

    def __init__(self, translate, targets: dict, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.setWindowTitle(translate("看板目标设置"))
        grid = QGridLayout()
        for column, text in enumerate(("指标", "目标", "有风险的范围")):
            grid.addWidget(QLabel(translate(text)), 0, column)
        self.spins: dict[str, tuple[QDoubleSpinBox, QDoubleSpinBox]] = {}
        for row, spec in enumerate(INDICATORS, start=1):
            target = _spin(spec.kind, spec.target is None)
            if spec.target is None:
                target.setSpecialValueText(translate("默认"))
            margin = _spin(spec.kind, False)
            grid.addWidget(QLabel(translate(spec.name)), row, 0)
            grid.addWidget(target, row, 1)
            grid.addWidget(margin, row, 2)
            self.spins[spec.key] = (target, margin)
        self.defaults = QPushButton(translate("恢复默认"))
        self.defaults.clicked.connect(lambda _c=False: self.set_targets({}))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.defaults, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(buttons)
        self.set_targets(targets)

    def set_targets(self, targets: dict) -> None:
        """Show ``targets`` (missing keys: the defaults)."""
        for spec in INDICATORS:
            target, margin = targets.get(spec.key, (spec.target, spec.margin))
            scale = 100.0 if spec.kind == "share" else 1.0
            spin_target, spin_margin = self.spins[spec.key]
            spin_target.setValue(-1.0 if target is None else float(target) * scale)
            spin_margin.setValue(float(margin) * scale)

    def targets(self) -> dict:
        """Key → (target or None, margin) as entered (shares back to fractions)."""
        chosen = {}
        for spec in INDICATORS:
            scale = 100.0 if spec.kind == "share" else 1.0
            spin_target, spin_margin = self.spins[spec.key]
            target = None if spin_target.value() < 0 else spin_target.value() / scale
            chosen[spec.key] = (target, spin_margin.value() / scale)
        return chosen
