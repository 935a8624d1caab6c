"""The window's state: per-layer selection and display settings; views subscribe to its events.

Widgets never reach into each other: a control writes here, the model emits, every view that
cares redraws (napari's pattern, with psygnal so the model stays free of Qt).
"""

from __future__ import annotations

import numpy as np
from psygnal import Signal


class MapModel:
    """Selection, visibility, opacity, order and style of each map layer."""

    selection_changed = Signal(str)  # layer id
    layer_changed = Signal(str, str)  # layer id, what changed (visible/opacity/z/style)
    language_changed = Signal(str)
    unmask_changed = Signal(bool)

    def __init__(self):
        self.selection: dict[str, np.ndarray] = {}
        self.visible: dict[str, bool] = {}
        self.opacity: dict[str, float] = {}
        self.z: dict[str, int] = {}
        self.style: dict[str, str] = {}
        self.language = "zh"
        self.unmask = False

    def add_layer(self, layer_id: str, size: int, visible: bool, z: int, style: str) -> None:
        """Register a layer of ``size`` features."""
        self.selection[layer_id] = np.zeros(size, dtype=bool)
        self.visible[layer_id], self.z[layer_id], self.style[layer_id] = visible, z, style
        self.opacity[layer_id] = 1.0

    def select(self, layer_id: str, mask: np.ndarray, add: bool = False) -> None:
        """Replace (or with ``add`` extend) the layer's selection."""
        mask = np.asarray(mask, dtype=bool)
        self.selection[layer_id] = (self.selection[layer_id] | mask) if add else mask
        self.selection_changed.emit(layer_id)

    def clear_selection(self) -> None:
        """Deselect everything."""
        for layer_id, mask in self.selection.items():
            if mask.any():
                self.selection[layer_id] = np.zeros_like(mask)
                self.selection_changed.emit(layer_id)

    def set_visible(self, layer_id: str, visible: bool) -> None:
        """Show or hide a layer."""
        if self.visible.get(layer_id) != visible:
            self.visible[layer_id] = visible
            self.layer_changed.emit(layer_id, "visible")

    def set_opacity(self, layer_id: str, opacity: float) -> None:
        """Layer opacity 0–1."""
        self.opacity[layer_id] = float(opacity)
        self.layer_changed.emit(layer_id, "opacity")

    def set_order(self, top_to_bottom: list[str]) -> None:
        """Restack layers: the first id is drawn on top."""
        for rank, layer_id in enumerate(reversed(top_to_bottom)):
            if self.z.get(layer_id) != rank * 10:
                self.z[layer_id] = rank * 10
                self.layer_changed.emit(layer_id, "z")

    def set_style(self, layer_id: str, style_id: str) -> None:
        """Draw a layer with another of its styles."""
        self.style[layer_id] = style_id
        self.layer_changed.emit(layer_id, "style")

    def set_language(self, language: str) -> None:
        """Switch the interface language."""
        self.language = language
        self.language_changed.emit(language)

    def set_unmask(self, unmask: bool) -> None:
        """Show or hide personal data in views."""
        self.unmask = unmask
        self.unmask_changed.emit(unmask)
