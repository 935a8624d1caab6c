"""The layer tree: check to show, drag to reorder, opacity, style, zoom to layer, legend."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QAction, QIcon, QPainter, QPixmap
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QInputDialog,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
)

from gis_app.core.mapdefs import Style, Symbol
from gis_app.ui.canvas import symbology

_LAYER_ROLE = Qt.ItemDataRole.UserRole


def legend_icon(symbol: Symbol, geometry: str) -> QIcon:
    """A 16×16 legend swatch drawn from a style symbol."""
    pixmap = QPixmap(18, 18)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if geometry == "point":
        small = Symbol(
            fill=symbol.fill,
            stroke=symbol.stroke,
            stroke_width=symbol.stroke_width,
            size=min(symbol.size, 14),
            shape=symbol.shape,
        )
        painter.translate(9, 9)
        painter.setPen(symbology.pen(small))
        painter.setBrush(symbology.brush(small))
        painter.drawPath(symbology.symbol_path(small))
    else:
        pen = symbology.pen(symbol)
        pen.setWidthF(min(pen.widthF(), 2.5))
        painter.setPen(pen)
        painter.setBrush(symbology.brush(symbol))
        painter.drawRect(2, 3, 14, 12)
    painter.end()
    return QIcon(pixmap)


class LayerTree(QTreeWidget):
    """Top-level items are layers (top of the list = drawn on top); children are legend classes."""

    visibility_toggled = pyqtSignal(str, bool)
    order_changed = pyqtSignal(list)
    zoom_requested = pyqtSignal(str)
    opacity_requested = pyqtSignal(str, float)
    style_requested = pyqtSignal(str, str)
    #: The user chose a layer to work on: clicked it, or moved to it with the keys. Pressing
    #: a layer to drag it, reordering and rebuilding the list choose nothing.
    layer_activated = pyqtSignal(str)

    def __init__(self, translate, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.setHeaderHidden(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.itemChanged.connect(self._changed)
        self.itemClicked.connect(lambda item, _column: self._activated(item))
        self.currentItemChanged.connect(self._current_changed)
        self._styles: dict[str, tuple[str, ...]] = {}
        #: A style's name in the interface language, by its id (set by the layer controller).
        self.style_name = lambda style_id: style_id
        self._building = False
        self._pressed = False  # a mouse button is down on the list (a click or a drag)

    def set_layers(self, entries: list, current: str | None = None) -> None:
        """``entries``: (id, title, geometry, style, counts, visible, style choices), top first.

        ``current``: the layer to show as current (the active one); choosing it emits nothing.
        """
        self._building = True
        self.clear()
        for layer_id, title, geometry, style, counts, visible, choices in entries:
            item = QTreeWidgetItem([title])
            item.setData(0, _LAYER_ROLE, layer_id)
            item.setFlags(
                item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsDragEnabled
            )
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsDropEnabled)
            item.setCheckState(0, Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked)
            self._styles[layer_id] = choices
            self.addTopLevelItem(item)
            self._legend(item, style, geometry, counts)
            item.setExpanded(len(style.classes) > 1)
        if current is not None:
            self.set_current(current)
        self._building = False

    def set_current(self, layer_id: str) -> None:
        """Show ``layer_id`` as the current layer (the active one) without announcing it."""
        building, self._building = self._building, True
        for item in self._top_items():
            if item.data(0, _LAYER_ROLE) == layer_id and self.currentItem() is not item:
                self.setCurrentItem(item)
        self._building = building

    def _activated(self, item: QTreeWidgetItem) -> None:
        item = item if item.parent() is None else item.parent()
        layer_id = item.data(0, _LAYER_ROLE)
        if layer_id and not self._building:
            self.layer_activated.emit(layer_id)

    def _current_changed(self, current, _previous) -> None:
        # Keys move the current item; a press (maybe the start of a drag) and the moves of a
        # drop or a rebuild do too, but only a click (itemClicked) makes those a choice.
        if current is not None and not self._pressed and not self._building:
            self._activated(current)

    def mousePressEvent(self, event):  # noqa: N802 - Qt override
        self._pressed = True
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event):  # noqa: N802 - Qt override
        super().mouseReleaseEvent(event)
        self._pressed = False

    def startDrag(self, actions):  # noqa: N802 - Qt override
        super().startDrag(actions)  # returns when dropped, here or anywhere else
        self._pressed = QApplication.mouseButtons() != Qt.MouseButton.NoButton

    def _legend(self, item: QTreeWidgetItem, style: Style, geometry: str, counts) -> None:
        item.takeChildren()
        language = getattr(self.tr_, "language", "zh")
        counts = [None] * len(style.classes) if counts is None else counts  # not counted yet
        for style_class, count in zip(style.classes, counts, strict=False):
            label = style_class.label.in_language(language)
            child = QTreeWidgetItem([label if count is None else f"{label}（{count}）"])
            child.setIcon(0, legend_icon(style_class.symbol, geometry))
            child.setFlags(Qt.ItemFlag.ItemIsEnabled)
            item.addChild(child)

    def update_legend(self, layer_id: str, style: Style, geometry: str, counts) -> None:
        """Redraw one layer's legend after a style change."""
        for item in self._top_items():
            if item.data(0, _LAYER_ROLE) == layer_id:
                self._legend(item, style, geometry, counts)

    def layer_order(self) -> list[str]:
        """Layer ids, top of the list first."""
        return [item.data(0, _LAYER_ROLE) for item in self._top_items()]

    def set_checked(self, layer_id: str, checked: bool) -> None:
        """Tick or untick a layer (as a click would)."""
        for item in self._top_items():
            if item.data(0, _LAYER_ROLE) == layer_id:
                item.setCheckState(0, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def _top_items(self):
        return [self.topLevelItem(i) for i in range(self.topLevelItemCount())]

    def _changed(self, item: QTreeWidgetItem, _column: int) -> None:
        if self._building or item.parent() is not None:
            return
        self.visibility_toggled.emit(
            item.data(0, _LAYER_ROLE), item.checkState(0) == Qt.CheckState.Checked
        )

    def dropEvent(self, event):  # noqa: N802 - Qt override
        building, self._building = self._building, True  # moving items chooses no layer
        try:
            super().dropEvent(event)
        finally:
            self._building = building
        # A layer dropped onto another would become its child: lift it back to the top level.
        for item in self._top_items():
            for index in reversed(range(item.childCount())):
                child = item.child(index)
                if child.data(0, _LAYER_ROLE):
                    item.takeChild(index)
                    self.insertTopLevelItem(self.indexOfTopLevelItem(item) + 1, child)
        self.order_changed.emit(self.layer_order())

    def _menu(self, position) -> None:
        item = self.itemAt(position)
        if item is None or item.parent() is not None:
            return
        layer_id = item.data(0, _LAYER_ROLE)
        menu = QMenu(self)
        zoom = QAction(self.tr_("缩放到图层"), menu)
        zoom.triggered.connect(lambda: self.zoom_requested.emit(layer_id))
        menu.addAction(zoom)
        opacity = QAction(self.tr_("透明度") + "…", menu)
        opacity.triggered.connect(lambda: self._ask_opacity(layer_id))
        menu.addAction(opacity)
        choices = self._styles.get(layer_id, ())
        if len(choices) > 1:
            styles = menu.addMenu(self.tr_("样式"))
            for style_id in choices:
                action = QAction(self.style_name(style_id), styles)
                action.triggered.connect(
                    lambda _=False, s=style_id: self.style_requested.emit(layer_id, s)
                )
                styles.addAction(action)
        menu.exec(self.viewport().mapToGlobal(position))

    def _ask_opacity(self, layer_id: str) -> None:
        value, ok = QInputDialog.getInt(self, self.tr_("透明度"), "0–100 %", 100, 0, 100)
        if ok:
            self.opacity_requested.emit(layer_id, value / 100)
