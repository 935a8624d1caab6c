"""The window's grid editing: split, merge and draw level-3 grids, and rebalance a village.

A mixin of :class:`~gis_app.ui.main_window.MainWindow`, like ``grid_work.py``. Shapes are drawn
in the map's Gauss–Krüger metres and handed to the grid editing service in longitude/latitude;
after an edit the grid and household layers are read again and redrawn in place (the view stays),
and 撤销 undoes grid edits and assignments from one shared stack, latest first.
"""

from __future__ import annotations

import numpy as np
import shapely
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QActionGroup
from PyQt6.QtWidgets import QInputDialog, QMessageBox, QProgressDialog, QToolBar

from gis_app.core.codes import WorkerRole
from gis_app.services import map_service
from gis_app.ui.dialogs.rebalance_dialog import ProposalOverlay, RebalanceDialog

#: (tool, Chinese label) of the drawing tools on the 网格 menu and toolbar.
GRID_TOOLS = (("split_line", "沿线拆分网格"), ("draw_grid", "绘制新网格"))


class _Cancelled(Exception):
    """The user cancelled a long computation from its progress dialog."""


class GridEditActions:
    """Split, merge, draw and rebalance level-3 grids, each one undoable step."""

    # -- construction (called by the window)
    def _build_grid_edit_actions(self, menu_bar) -> None:
        """The 网格 menu and toolbar; the drawing tools join the window's tool group."""
        self.rebalance_dialog: RebalanceDialog | None = None
        self.proposal_overlay: ProposalOverlay | None = None
        toolbar = QToolBar("grids", self)
        toolbar.setObjectName("toolbar-grids")
        self.addToolBar(toolbar)
        menu = self._text(menu_bar.addMenu("网格"), "网格")
        group: QActionGroup = self.tool_actions["pan"].actionGroup()
        for tool, chinese in GRID_TOOLS:
            action = self._action(chinese, lambda _=False, t=tool: self.set_tool(t),
                                  checkable=True)
            group.addAction(action)
            self.tool_actions[tool] = action
        self.grid_actions = {
            "split_line": self.tool_actions["split_line"],
            "split_balanced": self._action("均衡拆分网格…", self.split_selected_balanced),
            "merge": self._action("合并所选网格", self.merge_selected_grids),
            "draw_grid": self.tool_actions["draw_grid"],
            "rebalance": self._action("重新划分村网格…", self.open_rebalance_dialog),
        }
        for action in self.grid_actions.values():
            menu.addAction(action)
            toolbar.addAction(action)

    # -- helpers
    def _level3(self):
        grids = self.data.frames["grids"]
        return grids[grids["level"] == 3]

    def _selected_level3(self) -> list[int]:
        level3 = set(self._level3()["id"].astype(int))
        return [g for g in dict.fromkeys(self.selected_grid_ids()) if g in level3]

    def _lonlat(self, vertices: np.ndarray) -> np.ndarray:
        lon, lat = self.data.to_lonlat(vertices[:, 0], vertices[:, 1])
        return np.column_stack([lon, lat])

    def _edit(self, action, *args, **kwargs):
        """Run one grid edit; a refused one is explained and changes nothing."""
        try:
            edit = action(*args, **kwargs)
        except _Cancelled:
            self.statusBar().showMessage(self.tr_("已取消"), 5000)
            return None
        except ValueError as exc:  # GridEditError, and the analysis' refusals, speak Chinese
            QMessageBox.warning(self, self.tr_("网格"), str(exc))
            return None
        self.refresh_after_grid_edit()
        return edit

    def _report(self, edit, what: str) -> None:
        self.statusBar().showMessage(
            self.tr_("{what}，调整{n}户").format(what=what, n=edit.households_moved), 8000)

    # -- the edits
    def grid_tool_drawn(self, vertices: np.ndarray, tool: str):
        """A line or polygon finished with a grid tool (map metres)."""
        if tool == "split_line":
            return self.split_by_line(vertices)
        if tool == "draw_grid":
            return self.draw_grid(vertices)
        return None

    def split_by_line(self, vertices: np.ndarray):
        """Split the single selected level-3 grid, else the one under the line's midpoint."""
        line = shapely.LineString(vertices)
        selected = self._selected_level3()
        if len(selected) == 1:
            grid_id = selected[0]
        else:
            level3 = self._level3()
            middle = line.interpolate(0.5, normalized=True)
            under = np.flatnonzero(shapely.contains_xy(level3.geometry.to_numpy(),
                                                       middle.x, middle.y))
            if not len(under):
                self.statusBar().showMessage(
                    self.tr_("线的中点不在任何三级网格内，请重画或先选择网格"), 5000)
                return None
            grid_id = int(level3["id"].iloc[under[0]])
        edit = self._edit(self.grid_edits.split_by_line, grid_id,
                          shapely.LineString(self._lonlat(vertices)))
        if edit is not None:
            self._report(edit, self.tr_("已拆分为{n}个网格").format(
                n=len(edit.created) + len(edit.changed)))
        return edit

    def split_selected_balanced(self):
        """Ask for k and split the selected level-3 grid into k balanced, compact grids."""
        selected = self._selected_level3()
        if len(selected) != 1:
            QMessageBox.information(self, self.tr_("均衡拆分网格…"),
                                    self.tr_("请先在地图上选择一个三级网格"))
            return None
        parts, ok = QInputDialog.getInt(self, self.tr_("均衡拆分网格…"),
                                        self.tr_("拆分为几个网格（户数均衡）"), 2, 2, 50)
        if not ok:
            return None
        progress = QProgressDialog(self.tr_("正在计算网格划分…"), self.tr_("取消"), 0, 100, self)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(800)  # only a large grid makes the user wait

        def report(done: int, total: int) -> None:
            progress.setMaximum(max(int(total), 1))
            progress.setValue(int(done))
            if progress.wasCanceled():
                raise _Cancelled

        try:
            edit = self._edit(self.grid_edits.split_balanced, selected[0], parts, report)
        finally:
            progress.reset()  # also stops its timer, so it never pops up afterwards
            progress.deleteLater()
        if edit is not None:
            self._report(edit, self.tr_("已拆分为{n}个网格").format(
                n=len(edit.created) + len(edit.changed)))
        return edit

    def merge_selected_grids(self):
        """Merge the level-3 grids selected on the map (neighbours of one village)."""
        selected = self._selected_level3()
        if len(selected) < 2:
            QMessageBox.information(self, self.tr_("合并所选网格"),
                                    self.tr_("请在地图上选择至少两个相邻的三级网格（按住Shift多选）"))
            return None
        edit = self._edit(self.grid_edits.merge, selected)
        if edit is not None:
            self._report(edit, self.tr_("已将{n}个网格合并为1个").format(n=len(selected)))
        return edit

    def draw_grid(self, vertices: np.ndarray):
        """A new level-3 grid from a drawn polygon (clipped to its village)."""
        edit = self._edit(self.grid_edits.add_grid, shapely.Polygon(self._lonlat(vertices)))
        if edit is not None:
            self._report(edit, self.tr_("已新建网格"))
        return edit

    # -- after an edit and on undo
    def refresh_after_grid_edit(self) -> None:
        """Read grids and households again; redraw their layers and the docks that show them."""
        map_service.refresh_frames(self.data, ("grids",))
        map_service.refresh_household_grids(self.data)  # moved between grids, nothing else
        self.reload_layers({"grids", *map_service.COVERAGE_SOURCES})
        for layer_id, definition in self.definitions.items():
            if definition.source == "households":
                self.canvas.adapters[layer_id].set_aggregates(self.data.household_counts())
        shown = self.definitions.get(self.table.layer_id)
        if shown is not None and shown.source == "households":
            self.show_table(self.table.layer_id)  # the grid column changed
        self.refresh_roster()
        if self.docks["排查覆盖"].isVisible():
            self.show_coverage(self.coverage.level.currentData())
        if self.docks["网格规则"].isVisible() and len(self.rules.problems):
            self.check_rules()

    def reload_layers(self, sources: set[str]) -> None:
        """Rebuild the layers drawn from ``sources`` with their current frames, view unchanged."""
        canvas = self.canvas
        rebuilt = []
        for layer_id, definition in self.definitions.items():
            if definition.source not in sources:
                continue
            frame = self.data.layer_frame(definition.source, definition.filter)
            style = self.styles[self.model.style[layer_id]]
            canvas.remove_layer(layer_id)
            adapter = canvas.add_layer(definition, style, frame)
            if definition.source == "households":
                adapter.set_aggregates(self.data.household_counts())
            adapter.set_visible(self.model.visible[layer_id])
            adapter.set_z(self.model.z[layer_id])
            adapter.set_opacity(self.model.opacity[layer_id])
            adapter.set_scale(canvas.scale_denominator())
            if hasattr(adapter, "set_detail"):
                adapter.set_detail(canvas.metres_per_pixel())
            self.model.selection[layer_id] = np.zeros(len(frame), dtype=bool)
            self.layer_tree.update_legend(layer_id, style, definition.geometry,
                                          self.legend_counts(layer_id))
            rebuilt.append(layer_id)
        if self.table.layer_id in rebuilt:
            self.show_table(self.table.layer_id)
        for layer_id in rebuilt:
            self.model.selection_changed.emit(layer_id)
        if "households" in sources:
            self.unlocated.set_households(self.data.unlocated, self.model.unmask)
        canvas._relabel()

    # -- rebalancing a village
    def _village_workers(self, village_id: int) -> list[tuple[int, str, bool]]:
        """(id, label, checked) of the village's workers and of active workers without grids."""
        grids = self.data.frames["grids"]
        mine = grids[grids["admin_unit_id"] == village_id]
        current = self.assignments.current_assignments()
        here = current[current["grid_id"].isin(mine["id"])]
        default = set(here.loc[(here["role"] == WorkerRole.LEVEL3_WORKER.value)
                               & here["grid_id"].isin(mine.loc[mine["level"] == 3, "id"]),
                               "worker_id"].astype(int))
        workers = self.assignments.roster()
        workers = workers[workers["active"].astype(bool)]
        free = ~workers["id"].isin(current["worker_id"])
        listed = workers[workers["id"].isin(here["worker_id"]) | free]
        listed = listed.assign(checked=listed["id"].isin(default)).sort_values(
            ["checked", "id"], ascending=[False, True])
        unassigned = self.tr_("未分配")
        return [(int(w), f"{name}（{roles or unassigned}）", bool(c)) for w, name, roles, c in
                zip(listed["id"], listed["name"], listed["roles"], listed["checked"], strict=True)]

    def open_rebalance_dialog(self) -> RebalanceDialog:
        """Show the 重新划分村网格 dialog (non-modal: the map stays usable beside it)."""
        if self.rebalance_dialog is not None:
            self.rebalance_dialog.reject()
        villages = self.data.frames["villages"].sort_values("code")
        level3 = self._level3()
        selected = self._selected_level3()
        village = (int(level3.loc[level3["id"] == selected[0], "admin_unit_id"].iloc[0])
                   if selected else None)
        dialog = RebalanceDialog(
            self.tr_, list(zip(villages["id"].astype(int), villages["name"], strict=True)),
            village, self.data.project.thresholds().household_limit, self)
        dialog.village_changed.connect(self._village_picked)
        dialog.generate_requested.connect(self.generate_proposal)
        dialog.apply_requested.connect(self.apply_proposal)
        dialog.finished.connect(lambda _result: self._remove_overlay())
        dialog.set_workers(self._village_workers(dialog.village_id()))
        self.rebalance_dialog = dialog
        dialog.show()
        return dialog

    def _village_picked(self, village_id: int) -> None:
        self._remove_overlay()
        self.rebalance_dialog.set_workers(self._village_workers(village_id))

    def _remove_overlay(self) -> None:
        if self.proposal_overlay is not None:
            self.proposal_overlay.remove()
            self.proposal_overlay = None

    def generate_proposal(self, village_id: int, limit: int, worker_ids: list[int]):
        """Compute a proposal; show it in the dialog and on the map beside the current grids."""
        dialog = self.rebalance_dialog
        self._remove_overlay()
        dialog.show_proposal(None)
        if not worker_ids:
            QMessageBox.warning(dialog, self.tr_("重新划分村网格"),
                                self.tr_("请至少选择一名网格员"))
            return None
        try:
            proposal = self.grid_edits.propose_rebalance(village_id, limit, worker_ids)
        except ValueError as exc:  # GridEditError included
            QMessageBox.warning(dialog, self.tr_("重新划分村网格"), str(exc))
            return None
        roster = self.assignments.roster()
        names = dict(zip(roster["id"].astype(int), roster["name"], strict=True))
        grids = proposal.grids.to_crs(self.data.epsg)
        self.proposal_overlay = ProposalOverlay(
            self.canvas.plotItem, grids.geometry.to_numpy(), grids["worker"].to_numpy(),
            grids["households"].to_numpy(), names, self.tr_)
        dialog.show_proposal(proposal, names)
        self.zoom_to_unit(self.data.frames["villages"].set_index("id").loc[village_id, "code"])
        return proposal

    def apply_proposal(self):
        """Replace the village's level-3 grids by the dialog's proposal (one undoable step)."""
        dialog = self.rebalance_dialog
        if dialog is None or dialog.proposal is None:
            return None
        proposal = dialog.proposal
        edit = self._edit(self.grid_edits.apply_proposal, dialog.village_id(), proposal)
        if edit is not None:
            dialog.accept()
            self._report(edit, self.tr_("已重新划分为{n}个网格").format(n=len(proposal.grids)))
        return edit
