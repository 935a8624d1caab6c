"""The attribute table: the active layer's features, its selection both ways, export.

Households are kept lean in the session; the table shows their stored attributes, read from
the store a page at a time as rows come into view (whole columns only to sort or filter).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PyQt6.QtWidgets import QFileDialog

from gis_app.services.map_service import export_rows
from gis_app.ui.controllers.base import BOTTOM, Controller, DockSpec
from gis_app.ui.panels.attribute_table import AttributeTable
from gis_app.ui.progress import Cancelled, WorkDialog

#: The household attributes the table shows, in order (stored columns, then derived names).
HOUSEHOLD_COLUMNS = ("id", "township", "village", "grid_code", "household_code", "head_name",
                     "head_id_number", "phone", "members", "attribute", "monitoring_type",
                     "income_per_person", "no_labour_support", "relocated", "dibao", "tekun",
                     "severe_illness", "disability", "housing_problem", "education_problem",
                     "insurance_problem", "water_problem", "risk_eliminated",
                     "risk_eliminated_on", "location_source")


class TableController(Controller):
    """The 属性表 dock over the active layer."""

    name = "table"

    def __init__(self, window):
        super().__init__(window)
        self.work_dialog: WorkDialog | None = None
        self.table = AttributeTable(self.tr_)
        self.table.household_layers = {layer.id for layer in self.layers.by_source("households")}
        self.table.selection_made.connect(lambda layer_id, mask: self.layers[layer_id].select(mask))
        self.table.zoom_requested.connect(self.zoom_to_selection)
        self.table.export_requested.connect(lambda: self.export_selection())
        self.table.record_requested.connect(self.state.events.record_requested.emit)
        self.layers.events.active.connect(lambda _layer_id: self.show_active())
        for layer in self.layers:
            layer.events.data.connect(lambda rows, i=layer.id: self._data(i, rows))
            layer.events.selection.connect(lambda i=layer.id: self._selection(i))
        self.state.events.unmask.connect(lambda _u: self.show_active())
        self.state.events.language.connect(lambda _l: self.show_active())
        self.show_active()

    def docks(self):
        return [DockSpec("属性表", self.table, BOTTOM, raised=True)]

    def retranslate(self) -> None:
        self.table.retranslate()

    # -- following the active layer
    def show_active(self) -> None:
        """Show the active layer (households with their stored attributes, read as needed)."""
        layer = self.layers[self.layers.active]
        if layer.source == "households":
            self.table.show_layer(layer.id, layer.frame, self.state.language, self.state.unmask,
                                  columns=list(HOUSEHOLD_COLUMNS), fetch=self._household_values)
        else:
            self.table.show_layer(layer.id, layer.frame, self.state.language, self.state.unmask)
        self.table.select_features(layer.selection)

    def _household_values(self, names: list[str], ids: np.ndarray):
        """Household attributes by id (derived township, village and grid code included)."""
        derived = {"township", "village", "grid_code"}
        stored = [n for n in names if n not in derived]
        frame = self.session.household_columns(stored, ids) if stored else None
        if derived & set(names):
            lean = self.session.households.set_index("id").reindex(ids)
            units = self.session.frame("admin_units").set_index("id")
            grids = self.session.grids.set_index("id")
            extra = {"village": lean["village_id"].map(units["name"]),
                     "township": lean["village_id"].map(units["parent_id"]).map(units["name"]),
                     "grid_code": lean["grid_id"].map(grids["code"])}
            import pandas as pd

            frame = pd.concat([frame, pd.DataFrame({k: extra[k] for k in names if k in derived})],
                              axis=1) if frame is not None else \
                pd.DataFrame({k: extra[k] for k in names if k in derived})
        return frame[list(names)]

    def _data(self, layer_id: str, rows) -> None:
        if layer_id != self.table.layer_id:
            return
        if rows is not None:
            self.table.update_rows(rows)
        else:
            self.show_active()

    def _selection(self, layer_id: str) -> None:
        if layer_id == self.table.layer_id:
            self.table.select_features(self.layers[layer_id].selection)

    # -- actions
    def zoom_to_selection(self) -> None:
        """Zoom to the selected features of the active layer."""
        layer = self.layers[self.layers.active]
        adapter = self.canvas.adapters[layer.id]
        mask = layer.selection
        if not mask.any():
            return
        if layer.definition.geometry == "point":
            x, y = adapter.x[mask], adapter.y[mask]
            ok = np.isfinite(x)
            if not ok.any():
                return
            bounds = (x[ok].min(), y[ok].min(), x[ok].max(), y[ok].max())
        else:
            bounds = tuple(layer.frame.geometry[mask].total_bounds)
        self.state.events.zoom_requested.emit(bounds, 0.2)

    def export_selection(self, path: str | None = None) -> str | None:
        """Write the active layer's selected rows (the columns shown) to Excel, masked."""
        layer = self.layers[self.layers.active]
        mask = layer.selection
        if not path:
            path, _ = QFileDialog.getSaveFileName(self.window, self.tr_("导出选择到Excel…"),
                                                  self.tr_("选择.xlsx"), "Excel (*.xlsx)")
        if not path:
            return None
        ids = layer.ids[mask]
        if layer.source == "households":
            frame = self._household_values(list(HOUSEHOLD_COLUMNS), ids).reset_index(drop=True)
        else:
            frame = layer.frame[mask]
        unmask, language = self.state.unmask, self.state.language
        work = WorkDialog(self.window, self.tr_("正在导出 {file}…").format(file=Path(path).name),
                          self.tr_("取消"))
        self.work_dialog = work
        try:
            work.run(lambda progress: export_rows(frame, path, unmask, language, progress))
        except Cancelled:
            self.status(self.tr_("已取消导出，未写入文件"))
            return None
        finally:
            work.close()
        self.status(self.tr_("已导出 {n} 条：{path}").format(n=int(mask.sum()), path=path))
        return path
