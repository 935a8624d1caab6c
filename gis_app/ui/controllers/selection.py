"""选择 → 按位置选择…: households in, or within a distance of, hazards or a footprint.

The dialog (:class:`~gis_app.ui.dialogs.location_dialog.LocationDialog`) names what to compare
with; the households are found by
:func:`~gis_app.services.planner_service.households_near` (a household on a boundary is in,
one in a hole is not) and combined with the households layer's selection as QGIS does
(:func:`~gis_app.services.planner_service.combine_selection`). The selection is the layers'
own: the map, the attribute table and the status bar follow it.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import Qt

from gis_app.services.planner_service import SELECTION_MODES, combine_selection, households_near
from gis_app.ui.controllers.base import ActionSpec, Controller
from gis_app.ui.dialogs.location_dialog import LocationDialog

TITLE = "按位置选择…"
#: Layers a selection by location compares with (their sources).
REFERENCE_SOURCES = ("hazard_zones", "hazard_points", "hazard_events")


class SelectionController(Controller):
    """The 选择 menu."""

    name = "selection"

    def __init__(self, window):
        super().__init__(window)
        self.dialog: LocationDialog | None = None

    def actions(self):
        return [ActionSpec("选择", TITLE, self.open_dialog)]

    def references(self) -> list[tuple[str, str, int | None]]:
        """What a selection may compare with: the hazard layers, then each event's footprint."""
        language = self.state.language
        found = []
        for layer in self.layers:
            if layer.source in REFERENCE_SOURCES:
                found.append((f"layer:{layer.id}", layer.definition.title.in_language(language),
                              int(layer.selection.sum())))
        events = self.session.frame("hazard_events").sort_values(["occurred_on", "id"],
                                                                 ascending=False)
        for event_id, day, name in zip(events["id"], events["occurred_on"], events["name"],
                                       strict=True):
            found.append((f"event:{int(event_id)}",
                          self.tr_("灾情范围：{name}").format(name=f"{day} {name}"), None))
        return found

    def open_dialog(self) -> LocationDialog:
        """Show the form (window-modal; it stays open after 选择, as QGIS' does)."""
        dialog = LocationDialog(self.tr_, self.references(), SELECTION_MODES, self.window)
        dialog.run_requested.connect(lambda: self.run(dialog.values(), dialog))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog = dialog
        dialog.open()
        return dialog

    def shapes(self, reference: str, selected_only: bool):
        """The geometries (map metres) of a reference key, or a Chinese refusal."""
        kind, _, key = reference.partition(":")
        if kind == "event":
            events = self.session.frame("hazard_events")
            shapes = events.geometry.to_numpy()[events["id"].to_numpy() == int(key)]
        else:
            layer = self.layers[key]
            frame = layer.frame
            mask = layer.selection if selected_only else np.ones(len(frame), dtype=bool)
            shapes = frame.geometry.to_numpy()[mask]
            if selected_only and not len(shapes):
                raise ValueError(self.tr_("“{layer}”中没有选择要素，请先在地图上选择，"
                                          "或取消“只用所选要素”").format(
                    layer=layer.definition.title.in_language(self.state.language)))
        return np.asarray(shapes, dtype=object)

    def run(self, values: dict, dialog: LocationDialog | None = None) -> int | None:
        """Select households as the form says; how many are selected afterwards."""
        try:
            shapes = self.shapes(values["reference"], values["selected_only"])
            ids = households_near(self.session, shapes, values["distance"])
        except ValueError as exc:
            text = self.tr_.message(str(exc))
            if dialog is not None:
                dialog.result.setText(text)
            self.status(text)
            return None
        total = 0
        for layer in self.layers.by_source("households"):
            found = np.isin(layer.ids, ids)
            layer.select(combine_selection(layer.selection, found, values["mode"]))
            total = int(layer.selection.sum())
        households = self.layers.by_source("households")
        if households:
            self.layers.set_active(households[0].id)
        text = self.tr_("找到{found}户，当前选择{n}户").format(found=len(ids), n=total)
        if dialog is not None:
            dialog.result.setText(text)
        self.status(text)
        return total
