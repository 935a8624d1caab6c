"""After a disaster: its footprint registered (imported or drawn), the 风险线索核实 dock.

文件 → 导入灾情范围… and 灾害 → 绘制灾情范围 give
:class:`~gis_app.services.event_service.EventService` a footprint, a date and a kind; it writes
the event and a 灾害 clue for every located household inside in one unit of work (one undo
step). The dock lists clues with their deadlines (the project's working days, China's
holidays and 调休), who answers for each, overdue ones on request; 核实 records a clue verified
(an edit: 撤销 takes it back) and 生成走访清单… opens the 走访清单 of a responsible worker's
open clues. The dock reads again after edits of clues, events, households or assignments (the
session's change sets), when shown.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QMessageBox

from gis_app.services import import_service, planner_service
from gis_app.services.clue_service import load_clues
from gis_app.services.event_service import EVENT_KINDS, EventService, drawn_footprint
from gis_app.ui.controllers.base import BOTTOM, ActionSpec, Controller, DockSpec
from gis_app.ui.dialogs.event_dialog import EventDialog
from gis_app.ui.dialogs.visit_list_dialog import VisitListDialog
from gis_app.ui.panels.clue_panel import CluePanel

CLUES = "风险线索核实"
IMPORT = "导入灾情范围…"
DRAW = "绘制灾情范围"
MENU = "灾害"
#: Stored tables whose changes change the clue list.
FOLLOWED = ("risk_clue", "hazard_event", "household", "grid_assignment", "worker", "grid")
#: What to do next with the drawing tool (see Controller.hints).
HINTS = {"draw_footprint": ("单击第一个顶点，逐点画出灾害实际影响的范围",
                            "单击添加顶点，双击或回车结束灾情范围，Esc 取消")}
#: Lines of warnings shown in the outcome's box (all are in its details).
SHOWN_LINES = 10


class EventController(Controller):
    """Disaster events and the 风险线索核实 dock."""

    name = "events"

    def __init__(self, window):
        super().__init__(window)
        self.service = EventService(self.session)
        self.panel = CluePanel(self.tr_)
        self.panel.options_changed.connect(self._options_changed)
        self.panel.verify_requested.connect(self.verify)
        self.panel.visit_list_requested.connect(self.open_visit_list)
        self.panel.household_requested.connect(self.show_household)
        self.dialog: EventDialog | None = None
        self.report_box: QMessageBox | None = None
        self.visit_dialog: VisitListDialog | None = None
        self.clues = None  # the Clues shown
        self._read = None  # ((day, event, unmasked), the Clues read): kept until an edit
        self._filling = False
        self.session.events.changed.connect(self._changed)
        self.session.events.reset.connect(self._reset)
        self.state.events.unmask.connect(lambda _u: self.refresh())

    def docks(self):
        return [DockSpec(CLUES, self.panel, BOTTOM, tab_with="网格规则", refresh=self.refresh)]

    def actions(self):
        return [ActionSpec("文件", IMPORT, self.open_import_dialog),
                ActionSpec(MENU, DRAW, lambda: self.window.set_tool("draw_footprint"),
                           tool="draw_footprint"),
                ActionSpec(MENU, CLUES, self.show_clues, separator_before=True)]

    def tools(self):
        return {"draw_footprint": lambda vertices, _modifiers: self.draw_footprint(vertices)}

    def hints(self):
        return HINTS

    def assembled(self) -> None:
        # 导入灾情范围… right under 导入文件…, where a user looks for importing.
        menu = self.window.menus["文件"]
        mine = next(a for a, text in self.window._texts if text == IMPORT)
        items = menu.actions()
        after = next((i for i, a in enumerate(items)
                      if any(t == "导入文件…" and a is x for x, t in self.window._texts)), None)
        if after is not None and after + 1 < len(items):
            menu.removeAction(mine)
            menu.insertAction(items[after + 1], mine)

    def retranslate(self) -> None:
        self._filling = True
        try:
            self.panel.retranslate()
        finally:
            self._filling = False

    def close(self) -> None:
        if self.visit_dialog is not None:
            self.visit_dialog.close()

    # -- the list
    def show_clues(self) -> None:
        """Bring the 风险线索核实 dock up (it fills itself when shown)."""
        dock = self.window.docks[CLUES]
        dock.show()
        dock.raise_()
        self.refresh()

    def _changed(self, changes) -> None:
        if any(entity in changes for entity in FOLLOWED):
            self._read = None
            self.refresh()

    def _reset(self) -> None:
        self._read = None
        self.refresh()

    def _options_changed(self) -> None:
        if not self._filling:
            self.refresh()

    def refresh(self) -> None:
        """Show the clues the panel asks for (only while the dock is on screen).

        The clues of a day and event are read once and kept until an edit or another day,
        event or masking: choosing a worker or 只看逾期 filters those.
        """
        if not self.shown(CLUES):
            return
        panel = self.panel
        self._filling = True
        try:
            events = self.session.frame("hazard_events").sort_values(
                ["occurred_on", "id"], ascending=False)
            panel.set_events([(int(i), f"{day} {name}") for i, day, name in zip(
                events["id"], events["occurred_on"], events["name"], strict=True)])
            key = (panel.day, panel.event_id, self.state.unmask)
            if self._read is None or self._read[0] != key:
                self._read = (key, load_clues(self.session.project, panel.day,
                                              event_id=panel.event_id, unmask=self.state.unmask,
                                              user=self.session.user))
            read = self._read[1]
            panel.set_workers(planner_service.clue_workers(read))
        finally:
            self._filling = False
        self.clues = planner_service.shown_clues(read, worker_id=panel.worker_id,
                                                 overdue_only=panel.overdue_only.isChecked())
        panel.set_clues(self.clues.frame, self.clues.working_days)

    def verify(self, clue_ids: list[int]) -> int:
        """Record the clues verified on the panel's 核实日期 (one edit each); how many were."""
        done = 0
        for clue_id in clue_ids:
            clue = self.clues.frame[self.clues.frame["clue_id"] == int(clue_id)]
            if not len(clue) or clue["verified_on"].notna().iloc[0]:
                continue
            label = self.run_edit("核实", self.service.verify, int(clue_id),
                                  self.panel.verified_on())
            if label is None:
                break
            done += 1
            self.status(self.tr_.message(label))
        return done

    def open_visit_list(self) -> VisitListDialog | None:
        """The 走访清单 of the chosen (or the selected clue's) worker's open clues."""
        worker_id = self.panel.worker_id
        if worker_id is None:
            chosen = self.clues.frame[self.clues.frame["clue_id"].isin(
                self.panel.selected_clues())] if self.clues is not None else None
            workers = [] if chosen is None else chosen["worker_id"].dropna().unique()
            if len(workers) != 1:
                self._inform(self.tr_("生成走访清单…"),
                             self.tr_("请先选择一位责任网格员，或选择一条有责任网格员的线索"))
                return None
            worker_id = int(workers[0])
        project, day, event_id = self.session.project, self.panel.day, self.panel.event_id

        def load(unmask: bool):
            return planner_service.worker_visit_list(project, worker_id, day, event_id,
                                                     unmask=unmask, user=self.session.user)

        if self.visit_dialog is not None:
            self.visit_dialog.close()
        dialog = VisitListDialog(self.session, worker_id, unmask=self.state.unmask,
                                 state=self.state, translate=self.tr_, parent=self.window,
                                 loader=load, follows=("clues", "households", "assignments",
                                                       "workers", "grids"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda _o=None: setattr(self, "visit_dialog", None))
        self.visit_dialog = dialog
        dialog.show()
        return dialog

    def show_household(self, household_id: int) -> None:
        """Select a clue's household on the map, zoom to it and identify it."""
        layers = self.layers.by_source("households")
        for layer in layers:
            layer.select_ids([household_id])
        frame = self.session.households
        row = frame[frame["id"] == int(household_id)]
        if len(row) and np.isfinite(row["x"].iloc[0]):
            x, y = float(row["x"].iloc[0]), float(row["y"].iloc[0])
            self.state.events.zoom_requested.emit((x - 300, y - 300, x + 300, y + 300), 0.0)
        self.state.events.identify_requested.emit("households", int(household_id))

    # -- registering an event
    def open_import_dialog(self) -> EventDialog:
        """The form of 导入灾情范围…; its 登记 reads the file and registers the event."""
        dialog = EventDialog(self.tr_, EVENT_KINDS, import_service.file_layers,
                             parent=self.window)
        dialog.accepted.connect(lambda: self.register_file(dialog.values()))
        self._show(dialog)
        return dialog

    def draw_footprint(self, vertices) -> EventDialog | None:
        """A footprint drawn on the map (metres): asks its date and kind, then registers it."""
        vertices = np.asarray(vertices, dtype=float)
        lon, lat = self.session.to_lonlat(vertices[:, 0], vertices[:, 1])
        try:
            footprint = drawn_footprint(np.column_stack([lon, lat]))
        except ValueError as exc:
            QMessageBox.warning(self.window, self.tr_(DRAW), self.tr_.message(str(exc)))
            return None
        dialog = EventDialog(self.tr_, EVENT_KINDS, None, parent=self.window)
        dialog.accepted.connect(lambda: self.register(footprint, dialog.values()))
        self._show(dialog)
        return dialog

    def _show(self, dialog: EventDialog) -> None:
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog = dialog
        dialog.open()

    def register_file(self, values: dict):
        """Read the footprint's file, then register it; a broken file's problems are listed."""
        from gis_app.io.errors import InputFileError
        from gis_app.services.event_service import read_footprint

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            footprint = read_footprint(values["path"], crs=values["crs"], gcj02=values["gcj02"],
                                       layer=values["layer"])
        except InputFileError as exc:
            QApplication.restoreOverrideCursor()
            self._report(QMessageBox.Icon.Critical, self.tr_("文件有误，未导入任何数据"),
                         [self._line(issue) for issue in exc.issues])
            return None
        QApplication.restoreOverrideCursor()
        return self.register(footprint, values)

    def register(self, footprint, values: dict):
        """Register an event and its clues (one edit); the outcome is shown, the dock raised."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            result = self.run_edit(IMPORT if values.get("path") else DRAW, self.service.register,
                                   footprint, values["date"], values["kind"], values["name"])
        finally:
            QApplication.restoreOverrideCursor()
        if result is None:
            return None
        icon = QMessageBox.Icon.Warning if result.warnings else QMessageBox.Icon.Information
        self._report(icon, self.tr_.message(result.message()),
                     [self.tr_.message(w) for w in result.warnings])
        self.status(self.tr_.message(result.message()), 8000)
        self.window.set_tool("pan")
        self.show_clues()
        self.panel.choose_worker(None)
        self.panel.choose_event(result.event_id)
        return result

    def _line(self, issue) -> str:
        """One problem as the user reads it: file, feature, field, then the message."""
        where = issue.file
        if issue.row is not None:
            where += self.tr_(" 第{row}行").format(row=issue.row)
        if issue.field:
            where += f"【{self.tr_(issue.field)}】"
        return f"{where}: {self.tr_.message(issue.message)}"

    def _report(self, icon, summary: str, lines: list[str]) -> None:
        box = QMessageBox(icon, self.tr_(MENU), summary, parent=self.window)
        more = [self.tr_("……共{n}条").format(n=len(lines))] if len(lines) > SHOWN_LINES else []
        box.setInformativeText("\n".join(lines[:SHOWN_LINES] + more))
        if lines:
            box.setDetailedText("\n".join(lines))
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.report_box = box
        box.open()

    def _inform(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=self.window)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.report_box = box
        box.open()
