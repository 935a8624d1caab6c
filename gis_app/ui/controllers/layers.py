"""Layers: the canvas adapters and the layer tree follow the evented map layers.

Each :class:`~gis_app.services.layers.MapLayer` gets one canvas adapter (from the registry of
adapters by geometry) and one layer-tree item; both subscribe to the layer's events. The tree
writes only to the layers (visible, order, opacity, style), never to the canvas.
"""

from __future__ import annotations

from PyQt6.QtCore import QRectF

from gis_app.catalog import load_styles
from gis_app.services.layers import COVERAGE_SOURCES, EXPOSURE_SOURCE
from gis_app.services.map_service import household_counts, unit_anchors
from gis_app.services.map_state import save_map_state, saved_map_state
from gis_app.ui.controllers.base import LEFT, ActionSpec, Controller, DockSpec
from gis_app.ui.panels.layer_tree import LayerTree


class LayerController(Controller):
    """Canvas adapters and the layer tree, kept equal to the layer set."""

    name = "layers"

    def __init__(self, window):
        super().__init__(window)
        self.tree = LayerTree(self.tr_)
        self.tree.style_name = self.style_name
        self.layers.restore_display(saved_map_state(self.session))  # as the project was left
        for layer in self.layers:
            self._add_adapter(layer)
            self._connect(layer)
        self.tree.set_layers([self._entry(layer) for layer in self.layers], self.layers.active)
        self.tree.visibility_toggled.connect(lambda i, v: self.layers[i].set_visible(v))
        self.tree.order_changed.connect(self.layers.set_order)
        self.tree.opacity_requested.connect(lambda i, o: self.layers[i].set_opacity(o))
        self.tree.style_requested.connect(lambda i, s: self.layers[i].set_style(s))
        self.tree.zoom_requested.connect(self.zoom_to_layer)
        # A click on a layer makes it the active one; dragging it to reorder does not.
        self.tree.layer_activated.connect(self.layers.set_active)
        self.layers.events.active.connect(self.tree.set_current)
        self.layers.events.order.connect(self._order_changed)
        self._anchors = None  # where each grid's and village's count is drawn
        self.session.events.households.connect(lambda _change: self._update_counts())
        self.session.events.grids.connect(lambda _change: self._update_counts(moved=True))
        self.session.events.admin_units.connect(lambda _change: self._update_counts(moved=True))
        self.session.events.reset.connect(lambda: self._update_counts(moved=True))
        self._update_counts()

    def docks(self):
        return [DockSpec("图层", self.tree, LEFT, raised=True)]

    def actions(self):
        return [ActionSpec("视图", "重新加载样式", self.reload_styles, "F5")]

    # -- adapters
    def _add_adapter(self, layer) -> None:
        style = self.window.styles[layer.style]
        adapter = self.canvas.add_layer(layer.definition, style, layer.frame)
        adapter.set_z(layer.z)
        adapter.set_opacity(layer.opacity)
        adapter.set_visible(layer.visible)
        adapter.set_selection(layer.selection)

    def adapter(self, layer_id: str):
        """The canvas adapter drawing a layer."""
        return self.canvas.adapters[layer_id]

    def _connect(self, layer) -> None:
        events = layer.events
        events.visible.connect(lambda v, i=layer.id: self._visible(i, v))
        events.opacity.connect(lambda o, i=layer.id: self.adapter(i).set_opacity(o))
        events.z.connect(lambda z, i=layer.id: self.adapter(i).set_z(z))
        events.style.connect(lambda s, i=layer.id: self._restyle(i, s))
        events.data.connect(lambda rows, i=layer.id: self._data(i, rows))
        events.selection.connect(
            lambda i=layer.id: self.adapter(i).set_selection(self.layers[i].selection))

    def _visible(self, layer_id: str, visible: bool) -> None:
        self.adapter(layer_id).set_visible(visible)
        self.tree.set_checked(layer_id, visible)
        self.canvas.relabel()

    def _data(self, layer_id: str, rows) -> None:
        layer, adapter = self.layers[layer_id], self.adapter(layer_id)
        if rows is not None and hasattr(adapter, "update_rows"):
            adapter.update_rows(rows, layer.frame)
        else:
            adapter.set_frame(layer.frame)
            adapter.set_selection(layer.selection)
        self._legend(layer)
        self.canvas.relabel_soon()

    def _restyle(self, layer_id: str, style_id: str) -> None:
        self.adapter(layer_id).restyle(self.window.styles[style_id])
        self._legend(self.layers[layer_id])

    def _legend(self, layer) -> None:
        self.tree.update_legend(layer.id, self.window.styles[layer.style],
                                layer.definition.geometry, self.legend_counts(layer.id))

    def legend_counts(self, layer_id: str) -> list[int] | None:
        """Features per style class; None while a coverage layer waits to be counted."""
        layer = self.layers[layer_id]
        if (layer.source in COVERAGE_SOURCES or layer.source == EXPOSURE_SOURCE) and \
                not layer.loaded:
            return None
        return self.adapter(layer_id).class_counts()

    def _update_counts(self, moved: bool = False) -> None:
        """Households per grid and village, drawn instead of points when zoomed out."""
        households = self.layers.by_source("households")
        if not households:
            return
        if moved or self._anchors is None:
            self._anchors = unit_anchors(self.session)
        counts = household_counts(self.session, self._anchors)
        for layer in households:
            self.adapter(layer.id).set_aggregates(counts)

    # -- the tree
    def _entry(self, layer):
        definition = layer.definition
        return (layer.id, definition.title.in_language(self.state.language),
                definition.geometry, self.window.styles[layer.style],
                self.legend_counts(layer.id), layer.visible,
                (definition.style, *definition.alternative_styles))

    def _order_changed(self, order: list[str]) -> None:
        if self.tree.layer_order() != order:
            self.tree.set_layers([self._entry(self.layers[i]) for i in order], self.layers.active)
        else:  # the tree moved the item itself; the active layer stays the current one
            self.tree.set_current(self.layers.active)

    def close(self) -> None:
        """Keep the layers' order, visibility, style and opacity in the project."""
        try:
            save_map_state(self.session, self.layers.display_state())
        except Exception as exc:  # a read-only project still closes
            self.status(f"{self.tr_('图层状态未能保存')}：{exc}")

    def retranslate(self) -> None:
        self.tree.set_layers([self._entry(layer) for layer in self.layers], self.layers.active)

    # -- actions
    def zoom_to_layer(self, layer_id: str) -> None:
        """Zoom to one layer's extent."""
        minx, miny, maxx, maxy = self.adapter(layer_id).bounds()
        self.canvas.zoom_to(QRectF(minx, miny, maxx - minx, maxy - miny))

    def style_name(self, style_id: str) -> str:
        """A style's title in the interface language (its id when it has none)."""
        style = self.window.styles.get(style_id)
        title = getattr(style, "title", None)
        return title.in_language(self.state.language) if title else style_id

    def reload_styles(self) -> None:
        """Re-read styles/*.toml and redraw every layer with them."""
        self.window.styles = load_styles()
        for layer in self.layers:
            layer.set_style(layer.style)
