"""Households marked 位置未知: listed, and placed by clicking the map."""

from __future__ import annotations

import pandas as pd
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from gis_app.core.fields import display_value


class UnlocatedPanel(QWidget):
    """The list; "pick on map" asks the window for a click."""

    place_requested = pyqtSignal(int)  # household id

    def __init__(self, translate, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.summary = QLabel()
        self.list = QListWidget()
        self.button = QPushButton()
        self.button.clicked.connect(self._request)
        self.count = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.summary)
        layout.addWidget(self.list)
        layout.addWidget(self.button)
        self.retranslate()

    def retranslate(self) -> None:
        """Button and summary in the current language."""
        self.button.setText(self.tr_("在地图上点选位置"))
        self.summary.setText(self.tr_("位置未知：{n} 户").format(n=self.count))

    def set_households(self, frame: pd.DataFrame, unmask: bool) -> None:
        """List the households without a location."""
        self.list.clear()
        for record in frame.itertuples():  # dozens of households, not the county
            village = record.village if isinstance(record.village, str) else self.tr_("未知村")
            text = self.tr_("{head}（{village}，证件{id_number}）").format(
                head=record.head_name, village=village,
                id_number=display_value("head_id_number", record.head_id_number, unmask))
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, int(record.id))
            self.list.addItem(item)
        self.count = len(frame)
        self.summary.setText(self.tr_("位置未知：{n} 户").format(n=self.count))

    def _request(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.place_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))
