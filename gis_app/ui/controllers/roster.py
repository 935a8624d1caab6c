"""Grid workers: the roster (网格员), the grid tree (网格树) and assignments.

Every change is an edit of :class:`~gis_app.services.assignment_service.AssignmentService` run
through :meth:`Controller.run_edit`; the roster and the tree never redraw after their own
actions but from the session's events (so an undo, another user's commit or a grid edit reach
them the same way), and only when on screen (else when next shown). Grids are selected on the
map's grid layers; the tree mirrors them and writes its own selection back to them.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QMessageBox

from gis_app.analysis.grid_membership import households_per_grid
from gis_app.core.assignments import ROLE_BY_LEVEL
from gis_app.services.assignment_service import AssignmentService
from gis_app.ui.controllers.base import BOTTOM, LEFT, Controller, DockSpec
from gis_app.ui.dialogs.visit_list_dialog import VisitListDialog
from gis_app.ui.dialogs.worker_dialog import WorkerDialog
from gis_app.ui.panels.grid_tree import GridTree
from gis_app.ui.panels.worker_panel import WORKER_MIME, WorkerPanel

ROSTER = "网格员"
TREE = "网格树"
#: Session events after which the roster and the tree are drawn again.
FOLLOWS = ("workers", "assignments", "households", "grids")


class RosterController(Controller):
    """The 网格员 and 网格树 docks, assignments by button or by drag and drop."""

    name = "roster"

    def __init__(self, window):
        super().__init__(window)
        self.service = AssignmentService(self.session)
        self.panel = WorkerPanel(self.tr_)
        self.tree = GridTree(self.tr_)
        self._dirty = False
        self._selecting = False
        self.dialog: WorkerDialog | None = None  # the worker dialog open (or last opened)
        panel = self.panel
        panel.add_requested.connect(lambda: self.add_worker())
        panel.edit_requested.connect(lambda worker: self.edit_worker(worker))
        panel.retire_requested.connect(lambda workers: self.retire_workers(workers))
        panel.assign_requested.connect(lambda workers, role: self.assign_to_selected(workers,
                                                                                     role))
        panel.unassign_requested.connect(lambda workers: self.unassign_from_selected(workers))
        panel.visit_list_requested.connect(lambda worker: self.open_visit_list(worker))
        self.tree.grids_selected.connect(self.select_grids)
        self.tree.worker_dropped.connect(lambda worker, grid: self.assign_to_grid(worker, grid))
        self.canvas.drop_types = (*self.canvas.drop_types, WORKER_MIME)
        self.canvas.sigDropped.connect(self._dropped)
        for layer in self.grid_layers():
            layer.events.selection.connect(self._map_selection)
        events = self.session.events
        for name in FOLLOWS:
            getattr(events, name).connect(self._touched)
        events.changed.connect(self._changed)
        events.reset.connect(self.redraw)
        self.state.events.unmask.connect(lambda _unmask: self.redraw_roster())

    def docks(self):
        return [DockSpec(ROSTER, self.panel, BOTTOM, tab_with="属性表",
                         refresh=self.refresh_roster),
                DockSpec(TREE, self.tree, LEFT, tab_with="图层", refresh=self.refresh_tree)]

    def retranslate(self) -> None:
        # Called on the state's language event: labels, then the rows' own texts.
        self.panel.retranslate()
        self.tree.retranslate()
        self.redraw()  # the tree's responsible workers name their roles

    # -- drawing from the session
    def _touched(self, _change) -> None:
        self._dirty = True

    def _changed(self, _changes) -> None:
        # One redraw per edit, however many of the followed entities it touched.
        if self._dirty:
            self._dirty = False
            self.redraw()

    def redraw(self) -> None:
        """Draw the roster and the tree again, each if on screen (else when next shown)."""
        self.redraw_roster()
        if self.shown(TREE):
            self.refresh_tree()

    def redraw_roster(self) -> None:
        """Draw the roster again if on screen (else when next shown)."""
        if self.shown(ROSTER):
            self.refresh_roster()

    def refresh_roster(self) -> None:
        """Workers with roles, unit, phone (masked unless allowed), grids and load."""
        roster = self.service.roster()
        now = self.session.current_assignments()  # grid names too, for the search box
        names = now.groupby("worker_id")["grid_name"].agg(lambda n: " ".join(n.dropna()))
        self.panel.set_roster(roster.assign(grid_names=roster["id"].map(names).fillna("")),
                              self.state.unmask)

    def refresh_tree(self) -> None:
        """Grids with households at every level and who is responsible, by the core rule."""
        grids = self.session.grids
        totals = households_per_grid(self.session.households["grid_id"], grids)
        now = self.session.current_assignments().sort_values(["grid_id", "role", "worker_id"])
        left, right = ("（", "）") if self.state.language == "zh" else (" (", ")")
        names = now["worker_name"] + left + now["role"].map(self.tr_) + right
        responsible = names.groupby(now["grid_id"]).agg(self.tr_("、").join).to_dict()
        self.tree.set_grids(grids, totals, responsible)
        self.tree.show_selection(set(self.selected_grid_ids()))

    # -- grids selected on the map (any level), mirrored in the tree
    def grid_layers(self) -> list:
        """The map layers drawing grids (one per level)."""
        return self.layers.by_source("grids")

    def selected_grid_ids(self) -> list[int]:
        """Grids selected on the map, in whichever grid layers hold the selection."""
        ids = []
        for layer in self.grid_layers():
            ids += layer.selected_ids().astype(int).tolist()
        return ids

    def select_grids(self, grid_ids: list[int]) -> None:
        """Select grids (of any level) on the map, e.g. picked in the grid tree."""
        wanted = np.asarray(grid_ids, dtype=np.int64)
        self._selecting = True  # the tree is mirrored once, when every layer has its part
        try:
            for layer in self.grid_layers():
                mask = np.isin(layer.ids, wanted)
                if not np.array_equal(mask, layer.selection):
                    layer.select(mask)
        finally:
            self._selecting = False
        self._map_selection()

    def _map_selection(self) -> None:
        if self.tree.items and not self._selecting:
            self.tree.show_selection(set(self.selected_grid_ids()))

    # -- assignments
    def assign_to_selected(self, workers: list[int], role: str) -> list[int] | None:
        """Make the chosen workers responsible for the grids selected on the map."""
        grids = self.selected_grid_ids()
        if not grids:
            self.status(self.tr_("请先在地图或网格图层中选择网格"))
            return None
        created = self.run_edit(ROSTER, self.service.assign, workers, grids, role)
        if created is not None:
            self.status(self.tr_("已分配 {n} 项").format(n=len(created)))
        return created

    def unassign_from_selected(self, workers: list[int]):
        """End today the chosen workers' assignments on the selected grids."""
        grids = self.selected_grid_ids()
        if not grids:
            self.status(self.tr_("请先在地图或网格图层中选择网格"))
            return None
        now = self.session.current_assignments()
        rows = now[now["worker_id"].isin(workers) & now["grid_id"].isin(grids)]
        if not len(rows):
            self.status(self.tr_("所选网格员在所选网格上没有在任的分配"))
            return None
        changes = self.run_edit(ROSTER, self.service.unassign, rows["id"].astype(int).tolist())
        if changes is not None:
            self.status(self.tr_("已取消分配 {n} 项").format(n=len(rows)))
        return changes

    def assign_to_grid(self, worker_id: int, grid_id: int) -> list[int] | None:
        """A worker dropped on a grid: responsible for it in the role of its level."""
        grids = self.session.grids
        level = int(grids.loc[grids["id"] == grid_id, "level"].iloc[0])
        created = self.run_edit(ROSTER, self.service.assign, [worker_id], [grid_id],
                                ROLE_BY_LEVEL[level])
        if created is not None:
            self.status(self.tr_("已分配 {n} 项").format(n=len(created)))
        return created

    def assign_at(self, worker_id: int, x: float, y: float) -> list[int] | None:
        """A worker dropped on the map: the level-3 grid under the point, else the level-2 one."""
        for level in (3, 2):
            grid = int(self.session.grids_at(x, y, level)[0])
            if grid >= 0:
                return self.assign_to_grid(worker_id, grid)
        self.status(self.tr_("该位置不在任何网格内"))
        return None

    def _dropped(self, kind: str, payload: bytes, x: float, y: float) -> None:
        if kind == WORKER_MIME:
            self.assign_at(int(payload.decode()), x, y)

    # -- the roster's own changes (dialogs are modal to the window only: other windows of the
    # same project stay usable, and this roster keeps following the session meanwhile)
    def _open(self, dialog: WorkerDialog, on_accept) -> WorkerDialog:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dialog
        dialog.accepted.connect(lambda: on_accept(dialog))
        dialog.open()
        return dialog

    def add_worker(self) -> WorkerDialog:
        """Ask for a new worker's fields; on OK they join the roster."""
        dialog = WorkerDialog(self.tr_, unmask=self.state.unmask, parent=self.window)
        return self._open(dialog, self._add)

    def _add(self, dialog: WorkerDialog) -> None:
        values = dialog.values()
        name, phone = values.pop("name"), values.pop("phone")
        if self.run_edit(ROSTER, lambda: self.service.add_worker(name, phone, **values)) \
                is not None:
            self.status(self.tr_("已添加网格员{name}").format(name=name))

    def edit_worker(self, worker_id: int) -> WorkerDialog | None:
        """Edit a worker's fields beside their grids, load and history.

        The version shown when the dialog opened goes with the edit: if someone changed the
        worker meanwhile, the edit is refused and the message says who and when.
        """
        roster = self.service.roster()
        rows = roster[roster["id"] == worker_id]
        if not len(rows):
            return None
        worker = rows.iloc[0].to_dict()
        dialog = WorkerDialog(self.tr_, worker, self.service.worker_history(worker_id),
                              unmask=self.state.unmask, parent=self.window)
        return self._open(dialog, self._edit)

    def _edit(self, dialog: WorkerDialog) -> None:
        values, worker = dialog.values(), dialog.worker
        if values and self.run_edit(ROSTER, lambda: self.service.edit_worker(
                int(worker["id"]), int(worker["version"]), **values)) is not None:
            self.status(self.tr_("已修改网格员{name}").format(name=worker["name"]))

    def retire_workers(self, workers: list[int]) -> int:
        """Retire the chosen workers (asked first); their assignments end today."""
        names = self.session.workers.set_index("id").reindex(workers)["name"]
        answer = QMessageBox.question(
            self.window, self.tr_("退出…"),
            self.tr_("{names}退出后，其在任的网格分配于今日结束（可撤销）。确定吗？").format(
                names="、".join(names.dropna())))
        if answer != QMessageBox.StandardButton.Yes:
            return 0
        retired = 0
        for worker in workers:
            if self.run_edit(ROSTER, self.service.retire_worker, worker) is not None:
                retired += 1
        return retired

    def open_visit_list(self, worker_id: int) -> VisitListDialog:
        """Open (not modal) a worker's visit list; it follows the session while open."""
        dialog = VisitListDialog(self.session, worker_id, unmask=self.state.unmask,
                                 state=self.state, translate=self.tr_, parent=self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog
