"""The window's actions on workers and grids: roster, grid tree, assignments, rules, zooming.

A mixin of :class:`~gis_app.ui.main_window.MainWindow`, kept apart so each file stays small; it
uses the window's docks, canvas, data and settings and calls services only.
"""

from __future__ import annotations

import numpy as np
import shapely
from PyQt6.QtCore import QRectF
from PyQt6.QtWidgets import QDialog, QMessageBox

from gis_app.core.mapdefs import Symbol
from gis_app.services.assignment_service import StaleEdit
from gis_app.ui.dialogs.worker_dialog import WorkerDialog
from gis_app.ui.panels.worker_panel import WORKER_MIME

#: The role a worker dropped on a grid takes there, by grid level (DOMAIN §2).
_LEVEL_ROLE = {0: "网格长", 1: "一级网格员", 2: "二级网格员", 3: "三级网格员"}


class GridWorkActions:
    """Roster changes, assignments (with undo), grid rules, coverage and progress."""

    def retranslate_panels(self) -> None:
        """Relabel the panels' own buttons and headers, and redraw the roster and grid tree."""
        for panel in (self.workers, self.grid_tree, self.identify, self.table):
            panel.retranslate()
        self.refresh_roster()

    # -- docks that read the store are filled when shown, not at every change
    def _dock_refreshers(self) -> dict:
        return {"网格员": self.refresh_roster, "网格树": self.refresh_grid_tree,
                "排查覆盖": lambda: self.show_coverage(self.coverage.level.currentData()),
                "排查进度": lambda: self.show_progress(self.progress_level())}

    def _on_screen(self, dock: str) -> bool:
        """True when ``dock`` is shown (redraw it now); otherwise it is redrawn when shown."""
        if self.docks[dock].isVisible():
            self._stale_docks.discard(dock)
            return True
        self._stale_docks.add(dock)
        return False

    def _dock_visibility(self, dock: str, visible: bool) -> None:
        refresh = self._dock_refreshers().get(dock)
        if visible and refresh is not None and dock in self._stale_docks:
            refresh()

    def refresh_roster(self) -> None:
        """Redraw the roster and the grid tree from the store (each when it is shown)."""
        if self._on_screen("网格员"):
            self.workers.set_roster(self.assignments.roster(), self.model.unmask)
        self.refresh_grid_tree()

    def refresh_grid_tree(self) -> None:
        """Rebuild the grid tree: households per grid and who is responsible for it."""
        from gis_app.ui.panels.grid_tree import household_totals

        if not self._on_screen("网格树"):
            return
        grids = self.data.frames["grids"]
        current = self.assignments.current_assignments().sort_values(["grid_id", "role"])
        names = current["worker_name"] + "（" + current["role"] + "）"
        responsible = names.groupby(current["grid_id"]).agg("、".join).to_dict()
        totals = household_totals(grids, self.data.frames["households"])
        self.grid_tree.set_grids(grids, totals, responsible)

    def select_grids(self, grid_ids: list[int]) -> None:
        """Select grids (of any level) on the map, e.g. picked in the grid tree."""
        wanted = set(grid_ids)
        for layer_id, definition in self.definitions.items():
            if definition.source == "grids":
                frame = self.canvas.adapters[layer_id].frame
                mask = frame["id"].isin(wanted).to_numpy()
                if mask.any() or self.model.selection[layer_id].any():
                    self.model.select(layer_id, mask)

    def assign_worker_to_grid(self, worker_id: int, grid_id: int) -> list[int] | None:
        """A worker dropped on a grid of the tree: responsible for it in the role of its level."""
        level = int(self.data.frames["grids"].set_index("id").loc[grid_id, "level"])
        return self._change(self.assignments.assign, [worker_id], [grid_id], _LEVEL_ROLE[level])

    def _change(self, action, *args, **kwargs):
        """Run a roster change; a refused one is explained, not raised."""
        try:
            result = action(*args, **kwargs)
        except (ValueError, StaleEdit) as exc:
            QMessageBox.warning(self, self.tr_("网格员"), str(exc))
            return None
        self.refresh_roster()
        return result

    def selected_grid_ids(self) -> list[int]:
        """Grids selected on the map, in whichever grid layer holds the selection."""
        ids = []
        for layer_id, definition in self.definitions.items():
            if definition.source == "grids" and self.model.selection[layer_id].any():
                frame = self.canvas.adapters[layer_id].frame
                ids += frame.loc[self.model.selection[layer_id], "id"].astype(int).tolist()
        return ids

    def assign_to_selected_grids(self, workers: list[int], role: str) -> list[int] | None:
        """Make the chosen workers responsible for the grids selected on the map."""
        grids = self.selected_grid_ids()
        if not grids:
            self.statusBar().showMessage(self.tr_("请先在地图或网格图层中选择网格"), 5000)
            return None
        created = self._change(self.assignments.assign, workers, grids, role)
        if created is not None:
            self.statusBar().showMessage(self.tr_("已分配 {n} 项").format(n=len(created)), 5000)
        return created

    def unassign_from_selected_grids(self, workers: list[int]) -> None:
        """End the chosen workers' assignments on the selected grids."""
        grids = set(self.selected_grid_ids())
        current = self.assignments.current_assignments()
        rows = current[current["worker_id"].isin(workers) & current["grid_id"].isin(grids)]
        if len(rows):
            self._change(self.assignments.unassign, rows["id"].astype(int).tolist())

    def _dropped(self, kind: str, payload: bytes, x: float, y: float) -> None:
        if kind == WORKER_MIME:
            self.assign_worker_at(int(payload.decode()), x, y)

    def assign_worker_at(self, worker_id: int, x: float, y: float) -> list[int] | None:
        """A worker dropped on the map: responsible for the level-3 grid under the point."""
        grids = self.data.frames["grids"]
        for level, role in ((3, "三级网格员"), (2, "二级网格员")):
            candidates = grids[grids["level"] == level]
            inside = candidates[shapely.contains_xy(candidates.geometry.to_numpy(), x, y)]
            if len(inside):
                return self._change(self.assignments.assign, [worker_id],
                                    [int(inside["id"].iloc[0])], role)
        return None

    def add_worker_dialog(self) -> WorkerDialog | None:
        """Ask for a new worker's fields and add them to the roster."""
        dialog = WorkerDialog(self.tr_, unmask=self.model.unmask, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            values = dialog.values()
            self._change(self.assignments.add_worker, values.pop("name"), values.pop("phone"),
                         **values)
        return dialog

    def edit_worker_dialog(self, worker_id: int) -> WorkerDialog | None:
        """Edit a worker's fields, beside their grids, load and assignment history."""
        roster = self.assignments.roster()
        rows = roster[roster["id"] == worker_id]
        if not len(rows):
            return None
        worker = rows.iloc[0].to_dict()
        dialog = WorkerDialog(self.tr_, worker, self.assignments.worker_history(worker_id),
                              unmask=self.model.unmask, parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.values():
            return dialog
        try:
            self.assignments.edit_worker(worker_id, int(worker["version"]), **dialog.values())
        except (ValueError, StaleEdit) as exc:
            QMessageBox.warning(self, self.tr_("网格员"), str(exc))
            return dialog
        self.refresh_roster()
        self.statusBar().showMessage(
            self.tr_("已修改网格员{name}").format(name=worker["name"]), 5000)
        return dialog

    def check_rules(self):
        """Run the grid and ledger rules; list them and mark them on the map."""
        from gis_app.services.project_service import check_project
        from gis_app.ui.canvas.point_item import PointCloudItem

        problems = check_project(self.data.project)
        self.rules.set_problems(problems)
        located = problems.dropna(subset=["x", "y"])
        x, y = self.data.to_map(located["x"].to_numpy(), located["y"].to_numpy())
        marker = Symbol(fill="#e03131", stroke="#ffffff", stroke_width=1.5, size=14, shape="cross")
        if getattr(self, "_problem_marks", None) is not None:
            self.canvas.plotItem.removeItem(self._problem_marks)
        self._problem_marks = PointCloudItem(x, y, np.zeros(len(located), dtype=np.int32), [marker])
        self._problem_marks.setZValue(900)
        self.canvas.plotItem.addItem(self._problem_marks)
        self.docks["网格规则"].raise_()
        return problems

    def zoom_to_unit(self, code: str) -> None:
        """Zoom to a township, village or grid by its code."""
        for source, key in (("grids", "code"), ("villages", "code")):
            frame = self.data.frames[source]
            hits = frame[frame[key] == code]
            if not len(hits) and source == "grids":
                hits = frame[frame["admin_code"] == code]  # a township's or village's grids
            if len(hits):
                minx, miny, maxx, maxy = hits.total_bounds
                self.canvas.zoom_to(QRectF(minx, miny, maxx - minx, maxy - miny), padding=0.1)
                return

    def zoom_to_lonlat(self, lon: float, lat: float) -> None:
        """Centre the map on a point given in longitude/latitude, 600 m across."""
        x, y = self.data.to_map(lon, lat)
        self.canvas.zoom_to(QRectF(x - 300, y - 300, 600, 600), padding=0)

    def undo(self) -> str | None:
        """Undo the latest change of any kind (one shared stack) and redraw what it touched."""
        touched = self.undo_stack.tables()
        label = self.undo_stack.undo(self.data.project, self.assignments.user)
        if not label:
            return None
        if touched & {"grid", "household"}:  # a grid edit: layers, docks and roster
            self.refresh_after_grid_edit()
        elif touched & {"worker", "grid_assignment"}:
            self.refresh_roster()
        if touched & {"campaign", "investigation_record"}:
            self.sync_investigation()
        self.statusBar().showMessage(self.tr_("已撤销：{label}").format(label=label), 5000)
        return label

