"""Evented map layers: each holds its features and how it is shown; views subscribe.

A :class:`MapLayer` is a layer definition of ``layers/`` applied to a session source: its
features (the source filtered by the definition), its display state (visible, opacity, style,
order) and its selection. Setters store the value and emit (napari's pattern, with psygnal, so
the model stays Qt-free); the canvas adapter, the layer tree, the attribute table and the grid
tree each subscribe and never write each other's state. A :class:`LayerSet` builds the layers
and keeps their features equal to the session's as edits arrive.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from psygnal import Signal, SignalGroup

from gis_app.core.changes import EntityChange
from gis_app.core.mapdefs import LayerDefinition

#: The coverage choropleth sources and the unit level each colours (township, village, grid).
COVERAGE_SOURCES = {"coverage_townships": 1, "coverage_villages": 2, "coverage": 3}
#: Layer source → the session source whose edits change it.
SESSION_SOURCE = {"households": "households", "grids": "grids", "villages": "admin_units",
                  "townships": "admin_units", "sites": "sites", "hazard_zones": "hazard_zones",
                  "hazard_points": "hazard_points", "hazard_events": "hazard_events"}


#: Entities whose changes move the coverage counts.
COVERAGE_ENTITIES = ("investigation_record", "household", "grid", "campaign")
#: The exposure choropleth's source: level-3 grids coloured by their exposed households.
EXPOSURE_SOURCE = "exposure"
#: Entities whose changes move the exposure.
EXPOSURE_ENTITIES = ("household", "hazard_zone", "hazard_point", "grid", "admin_unit",
                     "helper_pair", "resettlement_site")


def _lazy(source: str) -> bool:
    """Layers counted when first shown (and forgotten while hidden): the choropleths."""
    return source in COVERAGE_SOURCES or source == EXPOSURE_SOURCE


def _positions(ids: np.ndarray, wanted) -> np.ndarray | None:
    """Row positions of ``wanted`` ids in sorted ``ids``; None when any is missing."""
    wanted = np.fromiter(wanted, dtype=np.int64)
    positions = np.searchsorted(ids, wanted)
    if (positions >= len(ids)).any() or (ids[np.minimum(positions, len(ids) - 1)] != wanted).any():
        return None
    return positions


class LayerEvents(SignalGroup):
    """What a layer announces."""

    #: The features changed: row positions that changed in place, or None (re-read all).
    data = Signal(object)
    visible = Signal(bool)
    opacity = Signal(float)
    style = Signal(str)
    z = Signal(int)
    #: The selection changed.
    selection = Signal()


class MapLayer:
    """One map layer: features from a session source, display state and selection."""

    def __init__(self, definition: LayerDefinition, frame: pd.DataFrame | None):
        self.definition = definition
        self.events = LayerEvents()
        self.visible = definition.visible
        self.opacity = 1.0
        self.z = definition.z
        self.style = definition.style
        self._frame = frame
        self.selection = np.zeros(0 if frame is None else len(frame), dtype=bool)

    @property
    def id(self) -> str:
        """The layer definition's id."""
        return self.definition.id

    @property
    def source(self) -> str:
        """The definition's source name."""
        return self.definition.source

    @property
    def frame(self) -> pd.DataFrame:
        """The features (rows in id order); empty until the layer's source has been read."""
        if self._frame is None:
            return gpd.GeoDataFrame({"id": np.empty(0, np.int64)}, geometry=[])
        return self._frame

    @property
    def loaded(self) -> bool:
        """False while the features wait to be counted (a coverage layer not yet shown)."""
        return self._frame is not None

    @property
    def ids(self) -> np.ndarray:
        """Feature ids, in row order."""
        return self.frame["id"].to_numpy()

    # -- display state
    def set_visible(self, visible: bool) -> None:
        """Show or hide."""
        if visible != self.visible:
            self.visible = bool(visible)
            self.events.visible.emit(self.visible)

    def set_opacity(self, opacity: float) -> None:
        """Opacity 0–1."""
        opacity = min(max(float(opacity), 0.0), 1.0)
        if opacity != self.opacity:
            self.opacity = opacity
            self.events.opacity.emit(opacity)

    def set_z(self, z: int) -> None:
        """Drawing order (higher on top)."""
        if z != self.z:
            self.z = int(z)
            self.events.z.emit(self.z)

    def set_style(self, style_id: str) -> None:
        """Draw with another of its styles (or redraw with a reloaded one)."""
        self.style = style_id
        self.events.style.emit(style_id)

    # -- selection
    def select(self, mask, add: bool = False) -> None:
        """Replace (or with ``add`` extend) the selection by a boolean mask over the rows."""
        mask = np.asarray(mask, dtype=bool)
        if len(mask) != len(self.frame):
            raise ValueError("选择的长度与图层要素数不一致")
        self.selection = (self.selection | mask) if add else mask.copy()
        self.events.selection.emit()

    def select_ids(self, ids, add: bool = False) -> None:
        """Select the features with these ids."""
        self.select(np.isin(self.ids, np.asarray(list(ids), dtype=np.int64)), add)

    def clear_selection(self) -> None:
        """Deselect everything (no event when nothing was selected)."""
        if self.selection.any():
            self.select(np.zeros(len(self.frame), dtype=bool))

    def selected_ids(self) -> np.ndarray:
        """Ids of the selected features."""
        return self.ids[self.selection] if len(self.selection) else np.empty(0, np.int64)

    # -- features
    def set_frame(self, frame: pd.DataFrame, rows: np.ndarray | None = None) -> None:
        """New features; ``rows``: only these positions changed (same rows, same order).

        A selection is kept by id across a change of rows.
        """
        if rows is not None and self._frame is not None and len(frame) == len(self._frame):
            self._frame = frame
            self.events.data.emit(np.asarray(rows, dtype=np.int64))
            return
        kept = self.selected_ids()
        self._frame = frame
        self.selection = np.isin(self.ids, kept) if len(kept) else np.zeros(len(frame), bool)
        self.events.data.emit(None)
        if len(kept):
            self.events.selection.emit()

    def unload(self) -> None:
        """Forget the features until they are counted again (a coverage layer)."""
        self._frame = None
        self.selection = np.zeros(0, dtype=bool)
        self.events.data.emit(None)


class LayerSetEvents(SignalGroup):
    """What a layer set announces."""

    #: Layer ids, top first.
    order = Signal(object)
    #: The layer the tools and the attribute table work on.
    active = Signal(str)


class LayerSet:
    """The map's layers over one session, top first, with the active layer.

    Parameters
    ----------
    session : ProjectSession
        Where the features come from.
    definitions : list of LayerDefinition
        The catalog's layers.
    """

    def __init__(self, session, definitions):
        self.session = session
        self.events = LayerSetEvents()
        ordered = sorted(definitions, key=lambda d: -d.z)
        #: The exposure the choropleth shows: its buffer (metres) and kind (None: any).
        self.exposure_options: dict = {"buffer_m": 0.0, "kind": None}
        self._exposure = None  # an ExposureResult, None until counted or after an edit
        #: True when the window counts the exposure on a worker thread and brings it with
        #: :meth:`set_exposure`: the choropleth, first shown or after an edit, then waits for
        #: it (uncoloured, or keeping its colours) rather than counting on the window's
        #: thread (0.15–0.3 s at 120,000).
        self.exposure_counted_elsewhere = False
        self.layers: dict[str, MapLayer] = {}
        for definition in ordered:
            self.layers[definition.id] = MapLayer(
                definition, None if _lazy(definition.source) else self._features(definition))
        self.order = [d.id for d in ordered]
        self.active = next((i for i in self.order if self.layers[i].source == "households"),
                           self.order[0] if self.order else "")
        events = session.events
        for name in ("households", "grids", "admin_units", "sites", "hazard_zones",
                     "hazard_points", "hazard_events"):
            getattr(events, name).connect(
                lambda change, source=name: self._source_changed(source, change))
        events.changed.connect(self._coverage_changed)
        events.campaign.connect(lambda _id: self._recount())
        events.reset.connect(self._reset)
        for layer in self.layers.values():
            if _lazy(layer.source):
                layer.events.visible.connect(lambda _v, lyr=layer: self._count_if_shown(lyr))

    def __getitem__(self, layer_id: str) -> MapLayer:
        return self.layers[layer_id]

    def __iter__(self):
        return (self.layers[i] for i in self.order)

    def by_source(self, source: str) -> list[MapLayer]:
        """The layers drawing a source."""
        return [layer for layer in self if layer.source == source]

    # -- features from the session
    def _source_frame(self, source: str) -> pd.DataFrame:
        session = self.session
        if source == "households":
            return session.households
        if source == "villages":
            return session.villages
        if source == "townships":
            return session.townships
        return session.frame(source)

    def _features(self, definition: LayerDefinition) -> pd.DataFrame:
        if definition.source in COVERAGE_SOURCES:
            return self._coverage_frame(COVERAGE_SOURCES[definition.source])
        if definition.source == EXPOSURE_SOURCE:
            return self._exposure_frame()
        frame = self._source_frame(definition.source)
        if definition.filter:
            frame = frame.query(definition.filter).reset_index(drop=True)
        return frame

    def _source_changed(self, session_source: str, change: EntityChange) -> None:
        for layer in list(self):
            if SESSION_SOURCE.get(layer.source) != session_source:
                continue
            frame = self._features(layer.definition)
            rows = None
            if change.updated and not change.inserted and not change.deleted and \
                    not layer.definition.filter and layer.loaded:
                rows = _positions(layer.ids, change.updated)
            layer.set_frame(frame, rows)

    # -- the coverage choropleths: counted when one is shown
    def _coverage_frame(self, level: int) -> pd.DataFrame:
        from gis_app.services.map_service import coverage_layer

        tracker = self.session.coverage()
        return coverage_layer(self.session.grids, None if tracker is None else
                              tracker.table(level, sort=False), level)

    def _count_if_shown(self, layer: MapLayer) -> None:
        if layer.visible and not layer.loaded:
            layer.set_frame(self._features(layer.definition))

    def _coverage_changed(self, changes) -> None:
        # Records move the counts; households and grids move households between units.
        if any(entity in changes for entity in COVERAGE_ENTITIES):
            self._recount()
        if any(entity in changes for entity in EXPOSURE_ENTITIES):
            self._exposure = None
            if not (self.exposure_counted_elsewhere and self.exposure_shown()):
                self._recount(EXPOSURE_SOURCE)

    # -- the exposure choropleth: counted when shown, at the options the window chose
    def _exposure_frame(self) -> pd.DataFrame:
        from gis_app.services.exposure_view import exposure_layer

        if self._exposure is None or self._exposure.buffer_m != self.exposure_options["buffer_m"]:
            if self.exposure_counted_elsewhere:  # uncoloured until set_exposure brings it
                return exposure_layer(self.session.grids, None)
            from gis_app.services.exposure_service import compute_exposure

            self._exposure = compute_exposure(self.session, self.exposure_options["buffer_m"])
        return exposure_layer(self.session.grids, self._exposure, self.exposure_options["kind"])

    def set_exposure(self, result, kind: str | None = None) -> None:
        """Show an exposure computed elsewhere (the window's worker thread): its buffer, a kind.

        ``result`` is an :class:`~gis_app.services.exposure_service.ExposureResult` of the
        session's current data; ``kind``: only that stored kind (None: any hazard).
        """
        self._exposure = result
        self.exposure_options = {"buffer_m": float(result.buffer_m), "kind": kind}
        self._recount(EXPOSURE_SOURCE)

    def exposure_shown(self) -> bool:
        """True while an exposure choropleth is on the map."""
        return any(layer.visible for layer in self if layer.source == EXPOSURE_SOURCE)

    def _recount(self, source: str | None = None) -> None:
        for layer in self:
            if (layer.source == source) if source else layer.source in COVERAGE_SOURCES:
                if layer.visible:
                    layer.set_frame(self._features(layer.definition))
                elif layer.loaded:
                    layer.unload()

    def _reset(self) -> None:
        self._exposure = None
        for layer in self:
            if _lazy(layer.source) and not layer.visible:
                layer.unload()
            else:
                layer.set_frame(self._features(layer.definition))

    # -- order and the active layer
    def set_order(self, top_to_bottom: list[str]) -> None:
        """Restack: the first id is drawn on top (z spaced by 10)."""
        order = [i for i in top_to_bottom if i in self.layers]
        order += [i for i in self.order if i not in order]
        for rank, layer_id in enumerate(reversed(order)):
            self.layers[layer_id].set_z(rank * 10)
        if order != self.order:
            self.order = order
            self.events.order.emit(list(order))

    def set_active(self, layer_id: str) -> None:
        """The layer tools and the attribute table work on."""
        if layer_id in self.layers and layer_id != self.active:
            self.active = layer_id
            self.events.active.emit(layer_id)

    def clear_selection(self) -> None:
        """Deselect in every layer."""
        for layer in self:
            layer.clear_selection()

    # -- what a project keeps of the map (see map_state)
    def display_state(self) -> dict:
        """The layers' order (top first) and each one's visibility, opacity and style."""
        return {"order": list(self.order),
                "layers": {layer.id: {"visible": layer.visible, "opacity": layer.opacity,
                                      "style": layer.style} for layer in self}}

    def restore_display(self, state: dict | None) -> None:
        """Show the layers as :meth:`display_state` left them.

        Layers the state does not know (added to ``layers/`` since) keep their definition and
        take their place in the order by ``z``; a saved style the layer no longer offers, and
        layers that no longer exist, are left out.
        """
        if not isinstance(state, dict):
            return
        saved = state.get("layers") or {}
        for layer in self:
            values = saved.get(layer.id)
            if not isinstance(values, dict):
                continue
            if "visible" in values:
                layer.set_visible(bool(values["visible"]))
            if isinstance(values.get("opacity"), int | float):
                layer.set_opacity(float(values["opacity"]))
            choices = (layer.definition.style, *layer.definition.alternative_styles)
            if values.get("style") in choices and values["style"] != layer.style:
                layer.set_style(values["style"])
        order = [i for i in state.get("order") or [] if i in self.layers]
        if not order:
            return
        for layer_id in self.order:  # top first; a new layer goes above the first one lower
            if layer_id not in order:
                z = self.layers[layer_id].definition.z
                below = next((k for k, i in enumerate(order)
                              if self.layers[i].definition.z < z), len(order))
                order.insert(below, layer_id)
        self.set_order(order)
