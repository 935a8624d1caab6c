"""Hazard exposure (灾害暴露): the dock's table and chart, the choropleth's options, selections.

The exposure (:func:`~gis_app.services.exposure_service.compute_exposure`) runs on a worker
thread like 网格规则's check: the dock shows its progress and 取消 stops it. What it reads is
taken from the session on the window's thread first (households, zones, points, sites, pairs:
frames already in map metres), so the thread never touches the session. The result is kept
until an edit changes households, hazards, grids, units, sites or helper pairs (the session's
change sets) or the buffer changes; the level and the kind only summarise it again. It is
computed while the dock is on screen, else when the dock is next shown. Each result is also
handed to the map's exposure choropleth, which thus colours the dock's buffer and kind. With
the dock closed, the choropleth ticked on, or an edit under it, has it counted here too, on
the worker thread at the choropleth's buffer and kind (the map uncoloured, or keeping its
colours, meanwhile), never on the window's thread.

A row clicked selects its households on the map (the households layer's selection, as a
click on the map does); a bar of the chart selects every household of that kind and level.
"""

from __future__ import annotations

import numpy as np

from gis_app.analysis.exposure import kind_order
from gis_app.services import exposure_view
from gis_app.services.exposure_service import (
    compute_exposure,
    kind_name,
    load_inputs,
    warm_inputs,
)
from gis_app.services.layers import EXPOSURE_ENTITIES, EXPOSURE_SOURCE
from gis_app.ui.controllers.base import (
    BOTTOM,
    ActionSpec,
    Controller,
    DockSpec,
    DockWorker,
    DockWorkReceiver,
    WorkerDock,
)
from gis_app.ui.panels.exposure_panel import ExposurePanel

EXPOSURE = "灾害暴露"


def _exposure_work(session, kept, buffer_m: float, level: int, kind, language: str):
    """One computation: the exposure (unless kept), its summary and the chart's counts."""
    def work(progress):
        # The session's frames were read on the window's thread (warm_inputs); here they
        # are only combined.
        result = kept or compute_exposure(None, buffer_m, progress,
                                          inputs=load_inputs(session))
        return (result, result.summary(level, kind, language),
                exposure_view.chart_counts(result, kind, language))
    return work


class ExposureController(WorkerDock, Controller):
    """The 灾害暴露 dock and the households its rows and bars select."""

    name = "exposure"

    def __init__(self, window):
        super().__init__(window)
        levels = window.styles["hazard_zones_by_level"].classes
        colours = {int(c.value): (c.symbol.stroke or c.symbol.fill)[:7] for c in levels}
        self.panel = ExposurePanel(self.tr_, colours)
        self.panel.options_changed.connect(self._options_changed)
        self.panel.cancel_requested.connect(self.cancel)
        self.panel.row_chosen.connect(self.select_row)
        self.panel.row_zoom.connect(self.zoom_to_row)
        self.panel.bar_chosen.connect(self.select_bar)
        self.result = None  # the exposure shown (None: to compute)
        self.table = None
        self.thread: DockWorker | None = None
        self._again = False
        self._version = 0  # counts edits that change the exposure: a result of before is stale
        self._receiver = DockWorkReceiver(self)
        self.session.events.changed.connect(self._changed)
        # The choropleth shown or edited under it: refresh() counts it on the worker thread.
        self.layers.exposure_counted_elsewhere = True
        for layer in self.layers.by_source(EXPOSURE_SOURCE):
            layer.events.visible.connect(lambda visible: visible and self.refresh())
        self.session.events.reset.connect(self._stale)
        self.state.events.language.connect(lambda _l: self._options_changed())

    def docks(self):
        return [DockSpec(EXPOSURE, self.panel, BOTTOM, tab_with="网格规则", refresh=self.refresh)]

    def actions(self):
        return [ActionSpec("灾害", "统计灾害暴露", self.show_exposure, separator_before=True)]

    def retranslate(self) -> None:
        self.panel.retranslate()
        self._fill_kinds()

    def close(self) -> None:
        """The window closes: stop a computation still running and wait for it."""
        self._stop_worker()

    # -- when to compute
    @property
    def running(self) -> bool:
        """True while a computation runs."""
        return self.thread is not None

    def show_exposure(self) -> None:
        """Bring the dock up; it computes when shown."""
        dock = self.window.docks[EXPOSURE]
        dock.show()
        dock.raise_()
        self.refresh()

    def _changed(self, changes) -> None:
        if any(entity in changes for entity in EXPOSURE_ENTITIES):
            self._stale()

    def _stale(self) -> None:
        self._version += 1
        self.result = None
        self.refresh()

    def _options_changed(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Compute (or summarise again) while the dock is on screen.

        With the dock closed and the choropleth on the map (just ticked on, or after an
        edit), the exposure is counted at the choropleth's buffer and kind.
        """
        if self.shown(EXPOSURE):
            self._fill_kinds()
            self._start()
        elif self.result is None and self.layers.exposure_shown():
            options = self.layers.exposure_options
            self._start(options["buffer_m"], options["kind"])

    def _fill_kinds(self) -> None:
        kinds = kind_order(np.concatenate([
            self.session.frame("hazard_zones")["kind"].to_numpy(dtype=object),
            self.session.frame("hazard_points")["kind"].to_numpy(dtype=object)]))
        self.panel.set_kinds([(k, kind_name(k, self.state.language)) for k in kinds])

    def _start(self, buffer_m: float | None = None, kind: str | None = None) -> None:
        """Compute at the dock's buffer and kind, or at ``buffer_m`` and ``kind`` (the map's)."""
        if self.thread is not None:
            self._again = True
            return
        self._again = False
        panel = self.panel
        if buffer_m is None:
            buffer_m, kind = panel.buffer_m, panel.hazard_kind
        if self.result is not None and self.result.buffer_m != buffer_m:
            self.result = None  # another buffer: computed again; a level or kind: summarised
        if self.result is None:
            warm_inputs(self.session)
        thread = DockWorker(_exposure_work(self.session, self.result, buffer_m,
                                           panel.unit_level, kind,
                                           self.state.language)).report_to(self._receiver)
        thread.version, thread.kind = self._version, kind
        self.thread = thread
        panel.set_busy(0, 1)
        thread.start()

    def _finished(self, outcome, error: str | None = None) -> None:
        thread = self._ended_worker()
        if error is not None:
            self.panel.set_idle(self.tr_("统计失败：{error}").format(error=self.tr_.message(error)))
        elif outcome is None:
            self.panel.set_idle(self.tr_("已取消统计"))
        else:
            result, table, bars = outcome
            current = thread.version == self._version  # else an edit came meanwhile
            self.result = result if current else None
            self.table = table
            self.panel.set_idle()
            exposed = int(result.households["household_id"].nunique()) if not thread.kind \
                else len(exposure_view.kind_households(result, thread.kind))
            self.panel.set_table(table, exposed, self._summary(result, exposed))
            self.panel.set_chart(bars)
            if current:  # the choropleth colours the dock's buffer and kind
                self.layers.set_exposure(result, thread.kind)
        if self._again:
            self.refresh()

    def _summary(self, result, exposed: int) -> str:
        unlocated = result.inputs.unlocated
        text = self.tr_("受威胁农户{n}户（每户每类灾害按最高风险等级计一次），缓冲{m}米").format(
            n=exposed, m=f"{result.buffer_m:g}")
        if unlocated:
            text += self.tr_("；{n}户位置未知，未计入").format(n=unlocated)
        return text

    # -- selections
    def _select(self, ids: np.ndarray) -> int:
        for layer in self.layers.by_source("households"):
            layer.select_ids(ids)
        households = self.layers.by_source("households")
        if households:
            self.layers.set_active(households[0].id)
        self.status(self.tr_("已选择{n}户").format(n=len(ids)))
        return len(ids)

    def row_households(self, row: int) -> np.ndarray:
        """Ids of the households a table row counts."""
        record = self.table.iloc[row]
        code = None if record["code"] is None or record["code"] != record["code"] \
            else record["code"]
        return exposure_view.unit_households(self.result, self.panel.unit_level, code,
                                              record["kind_code"], int(record["level_code"]))

    def select_row(self, row: int) -> int:
        """Select on the map the households a table row counts; how many."""
        if self.result is None or self.table is None:
            return 0
        return self._select(self.row_households(row))

    def zoom_to_row(self, row: int) -> None:
        """Select a row's households and show them on the map."""
        if self.select_row(row):
            households = self.session.households
            chosen = households[households["id"].isin(self.row_households(row))]
            x, y = chosen["x"].to_numpy(float), chosen["y"].to_numpy(float)
            self.state.events.zoom_requested.emit(
                (np.nanmin(x) - 200, np.nanmin(y) - 200, np.nanmax(x) + 200, np.nanmax(y) + 200),
                0.1)

    def select_bar(self, kind: str, level: int) -> int:
        """Select every household exposed to ``kind`` at ``level``; how many."""
        if self.result is None:
            return 0
        return self._select(exposure_view.kind_households(self.result, kind, level))
