"""The leaders' dashboard (工作看板) and its presentation mode (演示模式).

The dock shows a township's, a village's or the county's indicators and charts for the
session's current campaign (:class:`~gis_app.services.dashboard_service.DashboardService`,
which keeps its counts from the session's events). It is redrawn on every change set while
on screen (or while the presentation is shown), else when next shown.

Two parts run on a worker thread, one after the other, with progress and 取消 in the dock:
the first count (campaign state, units, pairs, clues, cases, workers: what the session holds
is gathered on the window's thread, :func:`~gis_app.services.dashboard_service.count_parts`
derives the rest there; records saved meanwhile are added when it is taken, other edits
count their part again; a campaign chosen meanwhile supersedes it), then the exposure (its
inputs warmed on the window's thread, :func:`~gis_app.services.exposure_service.warm_inputs`,
combined on the worker's), taken when the data have not changed meanwhile. A refresh after
an edit is counted on the window's thread (a few vectorised counts).

A tile or a bar clicked selects its households on the map (the households layer's selection,
as the exposure dock does), or, for the workers' load, their level-3 grids.
"""

from __future__ import annotations

import json

from PyQt6.QtCore import Qt

from gis_app.services.dashboard_service import DashboardService, count_parts
from gis_app.services.exposure_service import compute_exposure, load_inputs, warm_inputs
from gis_app.ui.controllers.base import (
    BOTTOM,
    ActionSpec,
    Controller,
    DockSpec,
    DockWorker,
    DockWorkReceiver,
    WorkerDock,
)
from gis_app.ui.dialogs.dashboard_targets_dialog import DashboardTargetsDialog
from gis_app.ui.panels.dashboard_panel import DashboardPanel
from gis_app.ui.presentation import PresentationWindow

DASHBOARD = "工作看板"
#: The dock it is tabbed with, the first present.
TAB_WITH = ("排查进度", "属性表")
#: Where the targets are kept (per PC).
TARGETS_KEY = "dashboard/targets"
#: The level-3 grids' layer, where the workers' grids are selected.
GRID_LAYER = "grids_level3"


def _count_worker(counting) -> DockWorker:
    """The first count of parts gathered from the session on the window's thread."""
    worker = DockWorker(lambda progress: count_parts(counting, progress))
    worker.kind, worker.note, worker.counting = "count", "正在统计看板…", counting
    return worker


def _exposure_worker(session, version: int) -> DockWorker:
    """The exposure at 0 m of the session's frames, warmed on the window's thread."""
    # warm_inputs read the session's frames on the window's thread: here only combined
    worker = DockWorker(lambda progress: compute_exposure(None, 0.0, progress,
                                                          inputs=load_inputs(session)))
    worker.kind, worker.note, worker.version = "exposure", "正在统计灾害暴露…", version
    return worker


class DashboardController(WorkerDock, Controller):
    """The 工作看板 dock, its targets and the presentation mode."""

    name = "dashboard"

    def __init__(self, window):
        super().__init__(window)
        self.service = DashboardService(self.session)
        self.panel = DashboardPanel(self.tr_)
        self.panel.unit_changed.connect(self.refresh)
        self.panel.campaign_chosen.connect(self.session.set_campaign)
        self.panel.chosen.connect(self.select)
        self.panel.targets_requested.connect(self.open_targets)
        self.panel.present_requested.connect(self.present)
        self.panel.cancel_requested.connect(self.cancel)
        self.presentation: PresentationWindow | None = None
        self.targets_dialog: DashboardTargetsDialog | None = None
        self.dashboard = None
        self.thread: DockWorker | None = None
        self._again = False  # refresh once the thread running is done
        self._receiver = DockWorkReceiver(self)
        self._units_known = False
        events = self.session.events
        events.changed.connect(self._changed)
        events.reset.connect(self._reset)
        events.campaign.connect(lambda _id: self.refresh())

    def docks(self):
        return [DockSpec(DASHBOARD, self.panel, BOTTOM, refresh=self.refresh)]

    def actions(self):
        return [ActionSpec("视图", "打开工作看板", self.show_dashboard, separator_before=True),
                ActionSpec("视图", "演示模式", self.present, "F11")]

    def assembled(self) -> None:
        # Behind the investigation's docks (tabbed by then), not beside them.
        window = self.window
        anchor = next((title for title in TAB_WITH if title in window.docks), None)
        if anchor is not None:
            window.tabifyDockWidget(window.docks[anchor], window.docks[DASHBOARD])

    def retranslate(self) -> None:
        self.panel.retranslate()
        if self.presentation is not None:
            self.presentation.retranslate()

    def close(self) -> None:
        """The window closes: stop the computation, leave the presentation."""
        self._stop_worker()
        if self.presentation is not None:
            self.presentation.close()

    # -- when to count
    def _changed(self, changes) -> None:
        if "admin_unit" in changes:
            self._units_known = False
        if "campaign" in changes:
            self._units_known = False  # the campaigns' list too
        self.refresh()

    def _reset(self) -> None:
        self._units_known = False
        self.refresh()

    @property
    def presenting(self) -> bool:
        """True while the presentation is on screen."""
        return self.presentation is not None and self.presentation.isVisible()

    def show_dashboard(self) -> None:
        """Bring the dock up; it counts when shown."""
        dock = self.window.docks[DASHBOARD]
        dock.show()
        dock.raise_()
        self.refresh()

    def refresh(self) -> None:
        """Count the chosen unit again while the dock or the presentation is on screen."""
        if not (self.shown(DASHBOARD) or self.presenting):
            return
        if not self._units_known:
            self.panel.set_units(self.service.units())
            campaigns = self.session.frame("campaigns").sort_values(["year", "round", "id"])
            self.panel.set_campaigns(zip(campaigns["id"], campaigns["name"], strict=True),
                                     self.session.campaign_id)
            self._units_known = True
        else:
            self.panel.campaign.setCurrentIndex(
                max(self.panel.campaign.findData(self.session.campaign_id), 0))
        if self.service.needs_count():  # the first count, on a worker thread
            self._count()
            return
        level, code = self.panel.unit_choice()
        self.dashboard = self.service.compute(level, code, self.targets())
        self.panel.set_dashboard(self.dashboard)
        if self.presentation is not None:
            self.presentation.set_dashboard(self.dashboard)
        if self.service.exposure_stale():
            self._start()

    # -- the first count and the exposure, on a worker thread
    @property
    def running(self) -> str | None:
        """``"count"`` or ``"exposure"`` while a worker thread computes it, else None."""
        return None if self.thread is None else self.thread.kind

    def _count(self) -> None:
        thread = self.thread
        if thread is not None:  # refreshed when done; a count of another campaign stops
            self._again = True
            if thread.kind == "count" and not self.service.current(thread.counting):
                thread.cancel()
            return
        self._run(_count_worker(self.service.gather()))

    def _start(self) -> None:
        if self.thread is not None:
            self._again = True
            return
        warm_inputs(self.session)
        self._run(_exposure_worker(self.session, self.service.exposure_version))

    def _run(self, thread: DockWorker) -> None:
        self._again = False
        self.thread = thread.report_to(self._receiver)
        self.panel.set_busy(0, 1, thread.note)
        thread.start()

    def _finished(self, outcome, error: str | None = None) -> None:
        thread = self._ended_worker()
        if error is not None:
            self.panel.set_idle(self.tr_("统计失败：{error}").format(error=self.tr_.message(error)))
        elif outcome is None:
            self.panel.set_idle(self.tr_("已取消统计"))
            if self._again:  # superseded: another campaign chosen meanwhile
                self.refresh()
        else:
            self.panel.set_idle()
            if thread.kind == "count":
                self.service.adopt(outcome)
            else:
                self.service.set_exposure(outcome, thread.version)
            self.refresh()  # counts again, or computes again when the data changed meanwhile

    # -- targets
    def targets(self) -> dict:
        """The targets chosen on this PC (key → (target, margin)); none: the defaults."""
        text = self.window.settings.value(TARGETS_KEY)
        try:
            stored = json.loads(text) if text else {}
        except (TypeError, ValueError):
            return {}
        return {key: (value[0], value[1]) for key, value in stored.items()
                if isinstance(value, list) and len(value) == 2}

    def open_targets(self) -> DashboardTargetsDialog:
        """The targets' dialog; OK keeps them and counts again."""
        dialog = DashboardTargetsDialog(self.tr_, self.targets(), parent=self.window)
        dialog.accepted.connect(lambda: self._set_targets(dialog.targets()))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.targets_dialog = dialog
        dialog.open()
        return dialog

    def _set_targets(self, targets: dict) -> None:
        self.window.settings.setValue(TARGETS_KEY, json.dumps(
            {key: list(value) for key, value in targets.items()}))
        self.refresh()

    # -- the presentation
    def present(self) -> PresentationWindow:
        """The dashboard full screen, one chart a page (Esc leaves)."""
        if self.presentation is None:
            self.presentation = PresentationWindow(self.tr_, parent=self.window)
            self.presentation.chosen.connect(self.select)
        self.presentation.go(0)
        self.presentation.showFullScreen()
        self.presentation.activateWindow()
        self.presentation.setFocus()
        self.refresh()
        return self.presentation

    # -- selections
    def select(self, key) -> int:
        """Select on the map what a tile or a bar counts; how many."""
        level, code = self.panel.unit_choice()
        what, ids = self.service.select(level, code, key)
        if what == "grids":
            layers = [layer for layer in self.layers.by_source("grids") if layer.id == GRID_LAYER]
            for layer in layers:
                layer.set_visible(True)
                layer.select_ids(ids)
                self.layers.set_active(layer.id)
            self.status(self.tr_("已选择{n}个网格").format(n=len(ids)))
            return len(ids)
        households = self.layers.by_source("households")
        for layer in households:
            layer.select_ids(ids)
        if households:
            self.layers.set_active(households[0].id)
        self.status(self.tr_("已选择{n}户").format(n=len(ids)))
        return len(ids)
