"""The window's 排查 actions: new campaign, the visit form, ledger import, live coverage.

A mixin of :class:`~gis_app.ui.main_window.MainWindow`. The window works on one current campaign
(the newest until the user creates or picks another); a :class:`RecordService` keeps its coverage
counts, so after a visit the coverage dock and the choropleth redraw from them, not from scratch.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QActionGroup
from PyQt6.QtWidgets import QApplication, QFileDialog, QMessageBox, QProgressDialog

from gis_app.core.coverage import COVERED
from gis_app.services import campaign_service, coverage_service, map_service
from gis_app.services.record_service import RecordService
from gis_app.ui.dialogs.campaign_dialog import CampaignDialog
from gis_app.ui.dialogs.record_dialog import RecordDialog

_EMPTY_COVERAGE = ["code", "name", "households", "home", "remote", "noncompliant", "unchecked",
                   "coverage"]


class InvestigationActions:
    """The 排查 menu, the visit form and the coverage views of the current campaign."""

    _records: RecordService | None = None
    #: The campaign the views follow; None until chosen: the newest.
    campaign_id: int | None = None

    def _build_investigation(self) -> None:
        """The 排查 menu and the panels' requests for the visit form."""
        menu = self._text(self.menuBar().addMenu("排查"), "排查")
        menu.addAction(self._action("新建排查…", self.open_campaign_dialog))
        menu.addAction(self._action("录入走访记录…", self.record_selected_household))
        menu.addAction(self._action("从台账导入走访记录…",
                                    lambda: self.import_records_dialog()))  # not `checked`
        self.campaign_menu = self._text(menu.addMenu("当前排查"), "当前排查")
        self._fill_campaign_menu()
        self.identify.record_requested.connect(self.open_record_form)
        self.table.household_layers = {
            layer_id for layer_id, d in self.definitions.items() if d.source == "households"}
        self.table.record_requested.connect(self.open_record_form)
        self.record_dialog: RecordDialog | None = None
        self.campaign_dialog: CampaignDialog | None = None
        self.import_report_box: QMessageBox | None = None

    # -- the current campaign
    def record_service(self) -> RecordService | None:
        """The visits of the current campaign (None when the project has no campaign)."""
        if self._records is None:
            if self.current_campaign_id() is None:
                return None
            self._records = RecordService(self.data.project, self.campaign_id,
                                          undo_stack=self.undo_stack)
        return self._records

    def current_campaign_id(self) -> int | None:
        """The campaign the views follow: the one chosen, else the newest (None: none yet)."""
        campaigns = campaign_service.list_campaigns(self.data.project)
        if self.campaign_id not in set(campaigns["id"]):
            self.campaign_id = int(campaigns["id"].iloc[-1]) if len(campaigns) else None
        return self.campaign_id

    def set_campaign(self, campaign_id: int | None) -> None:
        """Follow another campaign in the coverage dock, the progress chart and the map."""
        self.campaign_id = campaign_id
        self._records = None
        self.refresh_investigation()
        self._fill_campaign_menu()

    def _fill_campaign_menu(self) -> None:
        self.campaign_menu.clear()
        group = QActionGroup(self.campaign_menu)
        current = self.current_campaign_id()  # its visits are read only when a view needs them
        for campaign in campaign_service.list_campaigns(self.data.project).itertuples():
            action = self.campaign_menu.addAction(campaign.name)
            action.setCheckable(True)
            action.setChecked(current == campaign.id)
            action.triggered.connect(lambda _=False, c=int(campaign.id): self.set_campaign(c))
            group.addAction(action)

    # -- coverage views (these replace GridWorkActions' recomputing versions)
    def show_coverage(self, level=3) -> None:
        """Fill the coverage table of townships (1), villages (2), grids (3) or workers."""
        records = self.record_service()
        if records is None:
            self.statusBar().showMessage(self.tr_("项目中还没有集中排查，请先新建排查任务"), 5000)
            table = pd.DataFrame(columns=_EMPTY_COVERAGE)
        elif level == "worker":
            table = coverage_service.worker_coverage(self.data.project,
                                                     campaign_id=records.campaign_id)
        else:
            workers = coverage_service.grid_workers(self.data.project) if level == 3 else None
            table = records.table(int(level), workers)
        self.coverage.show_level(level)
        self.coverage.set_table(table)

    def show_progress(self, level: int = 1):
        """Chart cumulative coverage per township (1) or village (2) against the milestones."""
        records = self.record_service()
        if records is None:
            return None
        as_of = self.data.project.settings().get("as_of")
        timeline = coverage_service.cumulative_coverage(
            self.data.project, unit_level=level,
            as_of=dt.date.fromisoformat(as_of) if as_of else None,
            campaign_id=records.campaign_id)
        self.progress.set_timeline(timeline.daily, timeline.milestones)
        return timeline

    def refresh_investigation(self) -> None:
        """Redraw the coverage dock, the choropleth and the progress chart."""
        self.show_coverage(self.coverage.level.currentData())
        self._redraw_coverage_layer()
        self.show_progress(self.progress_level())

    def progress_level(self) -> int:
        """The unit level the progress chart shows."""
        chooser = getattr(self.progress, "level", None)
        return int(chooser.currentData()) if chooser is not None else 1

    def _redraw_coverage_layer(self) -> None:
        """Recolour the coverage layers from the current campaign.

        While all are hidden they are only emptied and marked to be recoloured when one is
        shown: reading a campaign takes seconds on a large county.
        """
        sources = set(map_service.COVERAGE_SOURCES)
        if not any(self.model.visible[layer_id] for layer_id, definition in
                   self.definitions.items() if definition.source in sources):
            self.data.frames.update(map_service.coverage_layers(self.data.frames["grids"]))
            self.data.coverage_pending = self.current_campaign_id() is not None
            self.reload_layers(sources)  # empty until shown; the legends lose their counts
            return
        records = self.record_service()
        tables = None if records is None else (lambda level: records.table(level, sort=False))
        self.data.frames.update(map_service.coverage_layers(self.data.frames["grids"], tables))
        self.data.coverage_pending = False
        self.reload_layers(sources)

    def refresh_after_grid_edit(self) -> None:
        """Households changed grids: count them in their new ones, then redraw."""
        if self._records is not None:
            self._records.reload()
        super().refresh_after_grid_edit()
        self._redraw_coverage_layer()  # the edit redrew the newest campaign's, not the current

    # -- a household shown or chosen
    def household_shown(self, household_id: int | None) -> None:
        """The identify panel shows a household (None: something else): offer the form."""
        records = self.record_service()
        status = ""
        if household_id is not None and records is not None and not records.covers(household_id):
            status = self.tr_("不在本次排查的乡镇范围内")
        elif household_id is not None and records is not None:
            current = records.status_of(household_id)
            status = (self.tr_("本次排查：{status}").format(status=current.label)
                      + (self.tr_("（已覆盖）") if current in COVERED else ""))
        self.identify.set_household(household_id, status)

    def selected_household(self) -> int | None:
        """The first household selected on the map or in the table."""
        for layer_id, definition in self.definitions.items():
            mask = self.model.selection.get(layer_id)
            if definition.source == "households" and mask is not None and mask.any():
                frame = self.canvas.adapters[layer_id].frame
                return int(frame["id"].iloc[int(np.flatnonzero(mask)[0])])
        return None

    def record_selected_household(self) -> RecordDialog | None:
        """The visit form for the selected household."""
        household = self.selected_household()
        if household is None:
            self.statusBar().showMessage(self.tr_("请先在地图或属性表中选择一户"), 5000)
            return None
        return self.open_record_form(household)

    # -- the visit form
    def open_record_form(self, household_id: int) -> RecordDialog | None:
        """Open the visit form of a household for the current campaign (window-modal)."""
        records = self.record_service()
        if records is None:
            QMessageBox.information(
                self, self.tr_("录入走访记录"),
                self.tr_("项目中还没有集中排查，请先通过“排查 → 新建排查…”创建"))
            return None
        household_id = int(household_id)
        try:
            household = records.household(household_id)
        except ValueError as exc:
            self.statusBar().showMessage(str(exc), 5000)
            return None
        if not household["in_campaign"]:
            self.statusBar().showMessage(
                self.tr_("户主{head}不在“{campaign}”的乡镇范围内").format(
                    head=household["head_name"], campaign=records.campaign["name"]), 5000)
            return None
        dialog = RecordDialog(
            self.tr_, household, records.campaign,
            submit=lambda **fields: records.add_record(household_id, **fields),
            check=lambda **fields: records.check(household_id, **fields),
            unmask=self.model.unmask, parent=self)
        dialog.saved.connect(lambda result: self._record_saved(household_id, result))
        self.record_dialog = dialog
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()
        return dialog

    def _record_saved(self, household_id: int, result) -> None:
        self.refresh_investigation()
        if self.identify.household_id == household_id:
            self.household_shown(household_id)
        flags = "；".join(result.flags.values())
        self.statusBar().showMessage(
            self.tr_("已保存走访记录（{status}）").format(status=result.status.label)
            + (self.tr_("，不合规：{flags}").format(flags=flags) if flags else ""),
            8000)

    # -- campaigns
    def open_campaign_dialog(self) -> CampaignDialog:
        """The new-campaign form; the campaign it creates becomes the current one."""
        project = self.data.project
        dialog = CampaignDialog(
            self.tr_, lambda year: campaign_service.campaign_defaults(project, year),
            campaign_service.list_townships(project),
            submit=lambda **values: campaign_service.create_campaign(
                project, **values, undo_stack=self.undo_stack),
            parent=self)
        dialog.created.connect(self._campaign_created)
        self.campaign_dialog = dialog
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()
        return dialog

    def _campaign_created(self, campaign_id: int) -> None:
        self.set_campaign(campaign_id)
        self.statusBar().showMessage(
            self.tr_("已新建排查：{name}").format(name=self._records.campaign["name"]), 8000)

    # -- the annex-2 ledger
    def import_records_dialog(self, path: str | None = None):
        """Import a filled annex-2 ledger into the current campaign; report what happened."""
        from gis_app.io.errors import InputFileError
        records = self.record_service()
        if records is None:
            QMessageBox.information(self, self.tr_("从台账导入走访记录…"),
                                    self.tr_("项目中还没有集中排查，请先新建排查任务"))
            return None
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, self.tr_("从台账导入走访记录…"), "",
                self.tr_("台账 (*.xlsx *.xlsm *.xls *.csv);;所有文件 (*)"))
        if not path:
            return None
        progress = QProgressDialog(self.tr_("正在读取、检查并写入台账…"), None, 0, 0, self)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        progress.show()
        QApplication.processEvents()
        try:
            report = records.import_ledger(path)  # one undo step: 撤销 takes it back
        except InputFileError as exc:
            self._show_import_report(self.tr_("台账有误，未导入任何记录"),
                                     [str(i) for i in exc.issues], QMessageBox.Icon.Critical)
            return None
        finally:
            progress.close()
        self.refresh_investigation()
        self._show_import_report(
            self.tr_("已导入 {n} 条走访记录到“{campaign}”").format(
                n=report.written, campaign=records.campaign["name"]),
            [str(w) for w in report.warnings], QMessageBox.Icon.Information)
        return report

    def _show_import_report(self, summary: str, lines: list[str], icon) -> None:
        """Show an import's outcome without blocking; every line in the details."""
        box = QMessageBox(icon, self.tr_("从台账导入走访记录…"), summary, parent=self)
        more = [self.tr_("……共{n}条").format(n=len(lines))] if len(lines) > 10 else []
        shown = lines[:10] + more
        box.setInformativeText("\n".join(shown))
        if lines:
            box.setDetailedText("\n".join(lines))
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.import_report_box = box
        box.open()

    # -- undo
    def sync_investigation(self) -> None:
        """After an undo took back visits or a campaign: recount, or drop a campaign gone."""
        if self._records is None:
            return
        campaigns = set(campaign_service.list_campaigns(self.data.project)["id"])
        if self._records.campaign_id not in campaigns:
            self.set_campaign(None)
        elif self._records.sync_after_undo():
            self.refresh_investigation()
