"""The centralized investigation (排查): campaigns, the visit form, ledger imports, coverage docks.

The window follows one current campaign, the session's (:attr:`ProjectSession.campaign_id`). A
visit is saved through :class:`~gis_app.services.record_service.RecordService` as one unit of
work; the session keeps the campaign's coverage counts and announces the change, and the 排查覆盖
and 排查进度 docks redraw from those events (only when shown; otherwise when next shown). The
coverage choropleths are the layer set's: they follow the same events by themselves.
"""

from __future__ import annotations

import datetime as dt

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QActionGroup
from PyQt6.QtWidgets import QApplication, QFileDialog, QMessageBox, QProgressDialog

from gis_app.services import campaign_service, coverage_service
from gis_app.services.record_service import RecordService
from gis_app.ui.controllers.base import BOTTOM, ActionSpec, Controller, DockSpec
from gis_app.ui.dialogs.campaign_dialog import CampaignDialog
from gis_app.ui.dialogs.record_dialog import RecordDialog
from gis_app.ui.panels.coverage_panel import CoveragePanel
from gis_app.ui.panels.progress_chart import ProgressChart

COVERAGE, PROGRESS = "排查覆盖", "排查进度"
#: Docks the two are tabbed with, the first present (the roster's, else the attribute table).
TAB_WITH = ("网格规则", "网格员", "属性表")
#: Stored entities whose changes move the coverage counts or the progress timeline (a campaign's
#: milestones and townships arrive as changes of the campaign).
COUNTED = frozenset({"investigation_record", "household", "grid", "campaign", "admin_unit"})
#: What else moves the per-worker table.
STAFFED = frozenset({"worker", "grid_assignment"})
#: How many import problems the report lists before "…共n条" (all are in the details).
SHOWN_LINES = 10


class InvestigationController(Controller):
    """The 排查 menu, the visit form and the 排查覆盖 / 排查进度 docks."""

    name = "investigation"

    def __init__(self, window):
        super().__init__(window)
        self.coverage = CoveragePanel(self.tr_)
        self.progress = ProgressChart(self.tr_)
        self.coverage.level_changed.connect(lambda _level: self.show_coverage())
        self.coverage.zoom_requested.connect(self.zoom_to_unit)
        self.progress.level_changed.connect(lambda _level: self.show_progress())
        self.campaign_menu = None
        self.record_dialog: RecordDialog | None = None
        self.campaign_dialog: CampaignDialog | None = None
        self.import_report_box: QMessageBox | None = None
        self.message_box: QMessageBox | None = None
        events = self.session.events
        events.changed.connect(self._changed)
        events.campaign.connect(lambda _id: self._campaign_changed())
        events.campaigns.connect(lambda _change: self._fill_campaign_menu())
        events.reset.connect(self._reset)
        self.state.events.record_requested.connect(self.open_record_form)

    def docks(self):
        return [DockSpec(COVERAGE, self.coverage, BOTTOM, refresh=self.show_coverage),
                DockSpec(PROGRESS, self.progress, BOTTOM, refresh=self.show_progress)]

    def actions(self):
        return [
            ActionSpec("排查", "新建排查…", self.open_campaign_dialog),
            ActionSpec("排查", "录入走访记录…", self.record_selected_household),
            ActionSpec("排查", "从台账导入走访记录…", self.import_records_dialog),
        ]

    def assembled(self) -> None:
        window = self.window
        anchor = next(title for title in TAB_WITH if title in window.docks)
        window.tabifyDockWidget(window.docks[anchor], window.docks[COVERAGE])
        window.tabifyDockWidget(window.docks[COVERAGE], window.docks[PROGRESS])
        self.campaign_menu = window.menus["排查"].addMenu(self.tr_("当前排查"))
        self._fill_campaign_menu()

    def retranslate(self) -> None:
        self.coverage.retranslate()
        self.progress.retranslate()
        if self.campaign_menu is not None:
            self.campaign_menu.setTitle(self.tr_("当前排查"))

    # -- following the session
    def _changed(self, changes) -> None:
        touched = set(changes.entities)
        if touched & COUNTED:
            self.show_coverage()
            self.show_progress()
        elif touched & STAFFED and self.coverage.level.currentData() == "worker":
            self.show_coverage()

    def _campaign_changed(self) -> None:
        self.show_coverage()
        self.show_progress()
        self._check_campaign()

    def _reset(self) -> None:
        self._fill_campaign_menu()
        self.show_coverage()
        self.show_progress()

    def _fill_campaign_menu(self) -> None:
        """One checkable entry per campaign (the session's list), the current one checked."""
        menu = self.campaign_menu
        if menu is None:
            return
        menu.clear()
        group = QActionGroup(menu)
        campaigns = self.session.frame("campaigns").sort_values(["year", "round", "id"])
        for campaign_id, name in zip(campaigns["id"], campaigns["name"], strict=True):
            action = menu.addAction(str(name))
            action.setCheckable(True)
            action.setData(int(campaign_id))
            action.triggered.connect(
                lambda _=False, c=int(campaign_id): self.session.set_campaign(c))
            group.addAction(action)
        self._check_campaign()

    def _check_campaign(self) -> None:
        if self.campaign_menu is None:
            return
        current = self.session.campaign_id  # its records are counted only when a view needs them
        for action in self.campaign_menu.actions():
            action.setChecked(action.data() == current)

    # -- the docks (each redrawn only when shown)
    def show_coverage(self) -> None:
        """Fill the coverage table of the chosen level from the session's kept counts."""
        if not self.shown(COVERAGE):
            return
        tracker = self.session.coverage()
        level = self.coverage.level.currentData()
        if tracker is None:
            table = None
        elif level == "worker":
            table = coverage_service.tracked_worker_coverage(self.session)
        else:
            table = tracker.table(int(level))
        self.coverage.set_table(table)

    def show_progress(self):
        """Chart cumulative coverage per township or village against the milestones."""
        if not self.shown(PROGRESS):
            return None
        campaign_id = self.session.campaign_id
        if campaign_id is None:
            self.progress.clear_timeline()
            return None
        as_of = self.session.settings.get("as_of")
        timeline = coverage_service.cumulative_coverage(
            self.session.project, unit_level=int(self.progress.level.currentData()),
            as_of=dt.date.fromisoformat(as_of) if as_of else None, campaign_id=campaign_id)
        self.progress.set_timeline(timeline.daily, timeline.milestones)
        return timeline

    def zoom_to_unit(self, code: str) -> None:
        """Zoom to a township, village or grid of the coverage table by its code."""
        units = self.session.frame("admin_units")
        hits = units[units["code"] == code]
        if not len(hits):
            grids = self.session.grids
            hits = grids[grids["code"] == code]
        if len(hits):
            self.state.events.zoom_requested.emit(tuple(hits.total_bounds), 0.1)

    # -- the visit form
    def selected_household(self) -> int | None:
        """The first household selected on the map or in the table."""
        for layer in self.layers.by_source("households"):
            ids = layer.selected_ids()
            if len(ids):
                return int(ids[0])
        return None

    def record_selected_household(self) -> RecordDialog | None:
        """The visit form for the selected household."""
        household = self.selected_household()
        if household is None:
            self.status(self.tr_("请先在地图或属性表中选择一户"))
            return None
        return self.open_record_form(household)

    def open_record_form(self, household_id: int) -> RecordDialog | None:
        """Open the visit form of a household for the current campaign (window-modal)."""
        if self.session.campaign_id is None:
            self._inform(self.tr_("录入走访记录"),
                         self.tr_("项目中还没有集中排查，请先通过“排查 → 新建排查…”创建"))
            return None
        records = RecordService(self.session)
        household_id = int(household_id)
        try:
            household = records.household(household_id)
        except ValueError as exc:
            self.status(self.tr_.message(str(exc)))
            return None
        if not household["in_campaign"]:
            self.status(self.tr_("户主{head}不在“{campaign}”的乡镇范围内").format(
                head=household["head_name"], campaign=records.campaign["name"]))
            return None
        dialog = RecordDialog(
            self.tr_, household, records.campaign,
            submit=lambda **fields: records.add_record(household_id, **fields),
            check=lambda **fields: records.check(household_id, **fields),
            unmask=self.state.unmask, parent=self.window)
        dialog.saved.connect(self._record_saved)
        self.record_dialog = dialog
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()
        return dialog

    def _record_saved(self, result) -> None:
        # The views follow the session's events; only the outcome is told here.
        flags = self.tr_("；").join(map(self.tr_, result.flags.values()))
        self.status(self.tr_("已保存走访记录（{status}）").format(status=self.tr_(result.status.label))
                    + (self.tr_("，不合规：{flags}").format(flags=flags) if flags else ""), 8000)

    # -- campaigns
    def open_campaign_dialog(self) -> CampaignDialog:
        """The new-campaign form; the campaign it creates becomes the current one."""
        project = self.session.project
        dialog = CampaignDialog(
            self.tr_, lambda year: campaign_service.campaign_defaults(project, year),
            campaign_service.list_townships(project),
            submit=lambda **values: campaign_service.create_campaign(self.session, **values),
            parent=self.window)
        dialog.created.connect(self._campaign_created)
        self.campaign_dialog = dialog
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()
        return dialog

    def _campaign_created(self, campaign_id: int) -> None:
        self.session.set_campaign(campaign_id)
        campaigns = self.session.frame("campaigns")
        name = campaigns.loc[campaigns["id"] == campaign_id, "name"]
        self.status(self.tr_("已新建排查：{name}").format(
            name=name.iloc[0] if len(name) else campaign_id), 8000)

    # -- the annex-2 ledger
    def import_records_dialog(self, path: str | None = None):
        """Import a filled annex-2 ledger into the current campaign (one undo step).

        A ledger with any error writes nothing; every problem is listed.
        """
        from gis_app.io.errors import InputFileError

        title = self.tr_("从台账导入走访记录…")
        if self.session.campaign_id is None:
            self._inform(title, self.tr_("项目中还没有集中排查，请先新建排查任务"))
            return None
        records = RecordService(self.session)
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self.window, title, "", self.tr_("台账 (*.xlsx *.xlsm *.xls *.csv);;所有文件 (*)"))
        if not path:
            return None
        progress = QProgressDialog(self.tr_("正在读取、检查并写入台账…"), None, 0, 0, self.window)
        progress.setWindowTitle(title)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        progress.show()
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        QApplication.processEvents()
        try:
            report = self.run_edit("从台账导入走访记录…", records.import_ledger, path)
        except InputFileError as exc:
            self._report(self.tr_("台账有误，未导入任何记录"), [str(i) for i in exc.issues],
                         QMessageBox.Icon.Critical)
            return None
        finally:
            QApplication.restoreOverrideCursor()
            progress.close()
        if report is None:  # refused (explained by run_edit), nothing written
            return None
        self._report(self.tr_("已导入 {n} 条走访记录到“{campaign}”").format(
            n=report.written, campaign=records.campaign["name"]),
            [str(w) for w in report.warnings], QMessageBox.Icon.Information)
        return report

    def _report(self, summary: str, lines: list[str], icon) -> None:
        """Show an import's outcome without blocking; every line in the details."""
        box = QMessageBox(icon, self.tr_("从台账导入走访记录…"), summary, parent=self.window)
        more = [self.tr_("……共{n}条").format(n=len(lines))] if len(lines) > SHOWN_LINES else []
        box.setInformativeText("\n".join(lines[:SHOWN_LINES] + more))
        if lines:
            box.setDetailedText("\n".join(lines))
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.import_report_box = box
        box.open()

    def _inform(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=self.window)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.message_box = box
        box.open()

