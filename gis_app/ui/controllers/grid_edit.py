"""Grid editing: split, merge and draw level-3 grids, and redraw a village's grids.

Shapes are drawn on the map in its Gauss–Krüger metres and handed to
:class:`~gis_app.services.grid_edit_service.GridEditService` in longitude/latitude. Every edit
is one unit of work of the session run through :meth:`Controller.run_edit`; nothing is redrawn
here afterwards: the session applies the edit's change set and the layers, the tree, the roster,
the table and identify follow it by themselves (as they follow an undo or another user's edit).
"""

from __future__ import annotations

import numpy as np
import shapely
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QInputDialog, QMessageBox, QProgressDialog

from gis_app.analysis.line_crossing import crossed_completely
from gis_app.core.codes import WorkerRole
from gis_app.services.grid_edit_service import GridEditService
from gis_app.ui.controllers.base import ActionSpec, Controller
from gis_app.ui.dialogs.rebalance_dialog import ProposalOverlay, RebalanceDialog

MENU = "网格"
#: What to do next with the drawing tools, said in the status bar (see Controller.hints).
TOOL_HINTS = {
    "split_line": ("单击起点，画一条完整穿过一个三级网格的线（起点和终点都在网格外）",
                   "单击添加节点，双击结束分割线，Esc 取消"),
    "draw_grid": ("单击第一个顶点，逐点画出新网格的边界",
                  "单击添加顶点，双击或回车结束新网格，Esc 取消"),
}
#: What to do first when an action needs grids selected on the map.
SELECT_HINTS = {"merge": "单击选择要合并的相邻三级网格，按住 Shift 多选，再点“合并所选网格”",
                "balanced": "单击选择一个三级网格，再点“均衡拆分网格…”"}
#: Status-bar time of an edit's report (ms).
REPORT_MS = 8000


class _Cancelled(Exception):
    """The user cancelled a computation from its progress dialog."""


class GridEditController(Controller):
    """The 网格 menu's editing actions and the ``grids`` toolbar.

    Attributes
    ----------
    dialog : RebalanceDialog or None
        The 重新划分村网格 dialog while it is open.
    overlay : ProposalOverlay or None
        The proposal drawn on the map (dashed outlines) while the dialog shows one.
    progress : QProgressDialog or None
        The progress dialog of a balanced split while it computes.
    """

    name = "grid_edit"

    def __init__(self, window):
        super().__init__(window)
        self.service = GridEditService(self.session)
        self.dialog: RebalanceDialog | None = None
        self.overlay: ProposalOverlay | None = None
        self.progress: QProgressDialog | None = None

    def actions(self):
        return [
            ActionSpec(MENU, "沿线拆分网格", lambda: self.choose_tool("split_line"),
                       toolbar="grids", tool="split_line", separator_before=True),
            ActionSpec(MENU, "均衡拆分网格…", self.split_selected_balanced, toolbar="grids"),
            ActionSpec(MENU, "合并所选网格", self.merge_selected, toolbar="grids"),
            ActionSpec(MENU, "绘制新网格", lambda: self.choose_tool("draw_grid"),
                       toolbar="grids", tool="draw_grid"),
            ActionSpec(MENU, "重新划分村网格…", self.open_rebalance_dialog, toolbar="grids"),
        ]

    def tools(self):
        return {"split_line": lambda vertices, _modifiers: self.split_by_line(vertices),
                "draw_grid": lambda vertices, _modifiers: self.draw_grid(vertices)}

    def hints(self):
        return TOOL_HINTS

    def close(self) -> None:
        if self.dialog is not None:
            self.dialog.reject()

    # -- what the user acts on
    def choose_tool(self, tool: str) -> None:
        """Pick a drawing tool (the status bar says what to do next: :data:`TOOL_HINTS`)."""
        self.window.set_tool(tool)

    def _select_first(self, hint: str) -> None:
        """Ready the map for choosing level-3 grids (框选 on them) and say what to do."""
        self.layers.set_active("grids_level3")
        self.window.set_tool("select")
        self.status(self.tr_(SELECT_HINTS[hint]), 0)

    def selected_level3(self) -> list[int]:
        """Level-3 grids selected in the map's grid layers, in order of selection rows."""
        grids = self.session.grids
        level3 = set(grids.loc[grids["level"] == 3, "id"].astype(int))
        ids = [int(i) for layer in self.layers.by_source("grids") for i in layer.selected_ids()]
        return [i for i in dict.fromkeys(ids) if i in level3]

    def grids_crossed(self, line) -> list[int]:
        """Level-3 grids a drawn line (map metres) crosses completely: the one it splits.

        The line alone decides; what is selected (perhaps hidden, made long ago) does not.
        """
        grids = self.session.grids
        level3 = grids[grids["level"] == 3]
        crossed = crossed_completely(level3.geometry.to_numpy(), line)
        return level3["id"].to_numpy()[crossed].astype(int).tolist()

    def _lonlat(self, vertices) -> np.ndarray:
        vertices = np.asarray(vertices, dtype=float)
        lon, lat = self.session.to_lonlat(vertices[:, 0], vertices[:, 1])
        return np.column_stack([lon, lat])

    def _report(self, edit, what: str) -> None:
        self.status(self.tr_("{what}，调整{n}户").format(what=what, n=edit.households_moved),
                    REPORT_MS)

    def _split_report(self, edit) -> None:
        self._report(edit, self.tr_("已拆分为{n}个网格").format(
            n=len(edit.created) + len(edit.changed)))

    # -- the edits
    def split_by_line(self, vertices):
        """Split the level-3 grid a line drawn on the map (metres) crosses.

        Returns the service's GridEdit, or None when nothing was written.
        """
        vertices = np.asarray(vertices, dtype=float)
        crossed = self.grids_crossed(shapely.LineString(vertices))
        if len(crossed) != 1:
            if crossed:
                names = self.session.grids.set_index("id").loc[crossed, "name"]
                message = self.tr_("分割线完整穿过了{n}个三级网格（{names}），"
                                   "一次只能拆分一个网格，请重画").format(
                    n=len(crossed), names="、".join(names))
            else:
                message = self.tr_("分割线没有完整穿过任何三级网格：请从网格外画起，穿过网格，"
                                   "在网格外结束")
            QMessageBox.warning(self.window, self.tr_(MENU), message)
            return None
        grid_id = crossed[0]
        edit = self.run_edit(MENU, self.service.split_by_line, grid_id,
                             shapely.LineString(self._lonlat(vertices)))
        if edit is not None:
            self._split_report(edit)
        return edit

    def draw_grid(self, vertices):
        """A new level-3 grid from a polygon drawn on the map (clipped to its village)."""
        edit = self.run_edit(MENU, self.service.add_grid,
                             shapely.Polygon(self._lonlat(vertices)))
        if edit is not None:
            self._report(edit, self.tr_("已新建网格"))
        return edit

    def split_selected_balanced(self):
        """Ask for k, then split the selected level-3 grid into k balanced, compact grids.

        The computation shows a progress dialog at once; its 取消 stops it before anything is
        written.
        """
        selected = self.selected_level3()
        if len(selected) != 1:
            QMessageBox.information(self.window, self.tr_("均衡拆分网格…"),
                                    self.tr_("请先在地图上选择一个三级网格"))
            self._select_first("balanced")
            return None
        parts, ok = QInputDialog.getInt(self.window, self.tr_("均衡拆分网格…"),
                                        self.tr_("拆分为几个网格（户数均衡）"), 2, 2, 50)
        if not ok:
            return None
        progress = QProgressDialog(self.tr_("正在计算网格划分…"), self.tr_("取消"), 0, 100,
                                   self.window)
        progress.setWindowTitle(self.tr_("均衡拆分网格…"))
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)  # the cancel button is there from the first step
        self.progress = progress

        def report(done: int, total: int) -> None:
            # setValue of a modal progress dialog processes events: 取消 is heard here.
            if progress.wasCanceled():
                raise _Cancelled
            progress.setMaximum(max(int(total), 1))
            progress.setValue(int(done))
            if progress.wasCanceled():
                raise _Cancelled

        def compute(*args):
            try:
                return self.service.split_balanced(*args)
            finally:  # gone before a refusal is explained
                progress.reset()  # also stops its timer, so it never pops up afterwards

        try:
            edit = self.run_edit(MENU, compute, selected[0], parts, report)
        except _Cancelled:
            self.status(self.tr_("已取消"))
            return None
        finally:
            self.progress = None
            progress.deleteLater()
        if edit is not None:
            self._split_report(edit)
        return edit

    def merge_selected(self):
        """Merge the level-3 grids selected on the map (neighbours in one village)."""
        selected = self.selected_level3()
        if len(selected) < 2:
            QMessageBox.information(self.window, self.tr_("合并所选网格"),
                                    self.tr_("请在地图上选择至少两个相邻的三级网格（按住Shift多选）"))
            self._select_first("merge")
            return None
        edit = self.run_edit(MENU, self.service.merge, selected)
        if edit is not None:
            self._report(edit, self.tr_("已将{n}个网格合并为1个").format(n=len(selected)))
        return edit

    # -- redrawing a village: the non-modal dialog and its proposal on the map
    def village_workers(self, village_id: int) -> list[tuple[int, str, bool]]:
        """(id, label, checked) of the village's workers and of active workers without grids.

        Checked: the 三级网格员 in force on the village's level-3 grids.
        """
        grids = self.session.grids
        mine = grids[grids["admin_unit_id"] == village_id]
        current = self.session.current_assignments()
        here = current[current["grid_id"].isin(mine["id"])]
        default = set(here.loc[(here["role"] == WorkerRole.LEVEL3_WORKER.value)
                               & here["grid_id"].isin(mine.loc[mine["level"] == 3, "id"]),
                               "worker_id"].astype(int))
        roles = current.groupby("worker_id")["role"].agg(lambda r: "、".join(sorted(set(r))))
        workers = self.session.workers
        workers = workers[workers["active"].astype(bool)]
        free = ~workers["id"].isin(current["worker_id"])
        listed = workers[workers["id"].isin(here["worker_id"]) | free]
        listed = listed.assign(checked=listed["id"].isin(default),
                               roles=listed["id"].map(roles).fillna(""))
        listed = listed.sort_values(["checked", "id"], ascending=[False, True])
        unassigned = self.tr_("未分配")
        label = self.tr_("{name}（{roles}）")
        return [(int(w), label.format(name=name, roles=self.tr_.terms(role) or unassigned),
                 bool(c)) for w, name, role, c in
                zip(listed["id"], listed["name"], listed["roles"], listed["checked"], strict=True)]

    def open_rebalance_dialog(self) -> RebalanceDialog:
        """Show 重新划分村网格 (non-modal: the map stays usable beside it)."""
        if self.dialog is not None:
            self.dialog.reject()
        villages = self.session.villages.sort_values("code")
        grids = self.session.grids.set_index("id")
        selected = self.selected_level3()
        village = int(grids.loc[selected[0], "admin_unit_id"]) if selected else None
        dialog = RebalanceDialog(
            self.tr_, list(zip(villages["id"].astype(int), villages["name"], strict=True)),
            village, self.session.project.thresholds().household_limit, self.window)
        dialog.village_changed.connect(self._village_picked)
        dialog.generate_requested.connect(self.generate_proposal)
        dialog.apply_requested.connect(self.apply_proposal)
        dialog.finished.connect(lambda _result, d=dialog: self._dialog_closed(d))
        dialog.set_workers(self.village_workers(dialog.village_id()))
        self.dialog = dialog
        dialog.show()
        return dialog

    def _dialog_closed(self, dialog) -> None:
        self._remove_overlay()
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def _village_picked(self, village_id: int) -> None:
        self._remove_overlay()
        self.dialog.set_workers(self.village_workers(village_id))

    def _remove_overlay(self) -> None:
        if self.overlay is not None:
            self.overlay.remove()
            self.overlay = None

    def generate_proposal(self, village_id: int, limit: int, worker_ids: list[int]):
        """Compute a proposal; show it in the dialog and, dashed, on the map."""
        dialog = self.dialog
        self._remove_overlay()
        dialog.show_proposal(None)
        title = self.tr_("重新划分村网格")
        if not worker_ids:
            QMessageBox.warning(dialog, title, self.tr_("请至少选择一名网格员"))
            return None
        try:
            proposal = self.service.propose_rebalance(village_id, limit, worker_ids)
        except ValueError as exc:  # GridEditError included; nothing is written by a proposal
            QMessageBox.warning(dialog, title, self.tr_.message(str(exc)))
            return None
        workers = self.session.workers
        names = dict(zip(workers["id"].astype(int), workers["name"], strict=True))
        grids = proposal.grids.to_crs(self.session.epsg)
        self.overlay = ProposalOverlay(
            self.canvas.plotItem, grids.geometry.to_numpy(), grids["worker"].to_numpy(),
            grids["households"].to_numpy(), names, self.tr_)
        dialog.show_proposal(proposal, names)
        villages = self.session.villages
        bounds = villages.loc[villages["id"] == village_id].total_bounds
        self.state.events.zoom_requested.emit(tuple(float(b) for b in bounds), 0.1)
        return proposal

    def apply_proposal(self):
        """Replace the village's level-3 grids by the dialog's proposal (one undoable edit)."""
        dialog = self.dialog
        if dialog is None or dialog.proposal is None:
            return None
        proposal = dialog.proposal
        edit = self.run_edit("重新划分村网格", self.service.apply_proposal,
                             dialog.village_id(), proposal)
        if edit is not None:
            dialog.accept()
            self._report(edit, self.tr_("已重新划分为{n}个网格").format(n=len(proposal.grids)))
        return edit
