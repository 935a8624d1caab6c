"""Grid rules (网格规则): check the grid and ledger rules, list the problems, mark them on the map.

The check reads the store (:func:`~gis_app.services.project_service.check_project`) on a worker
thread: the window stays usable, the dock shows its progress and 取消 stops it (nothing is
listed then). Once it has been run, an edit that can change its answer runs it again if the
dock is on screen, or when the dock is next shown; an edit during a check runs it once more
afterwards. The grid tiling and the point indexes are kept between checks while no grid or
village changes. Double-clicking a problem asks the map to zoom to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis_app.core.mapdefs import Symbol
from gis_app.services.project_service import CheckCancelled, check_project
from gis_app.ui.controllers.base import (
    BOTTOM,
    Controller,
    DockSpec,
    DockWorker,
    DockWorkReceiver,
    WorkerDock,
)
from gis_app.ui.panels.rules_panel import RulesPanel

RULES = "网格规则"
#: Stored tables whose changes can change what the check finds.
CHECKED_ENTITIES = ("household", "grid", "admin_unit", "worker", "grid_assignment",
                    "helper_pair")
#: How a problem is marked on the map.
MARK = Symbol(fill="#e03131", stroke="#ffffff", stroke_width=1.5, size=14, shape="cross")
#: Half the width (metres) of the view a double-clicked problem is shown in.
ZOOM_HALF_WIDTH = 300.0


class RulesController(WorkerDock, Controller):
    """The 网格规则 dock and the problem marks on the map."""

    name = "rules"

    def __init__(self, window):
        super().__init__(window)
        self.panel = RulesPanel(self.tr_)
        self.panel.check_requested.connect(lambda: self.check_rules())
        self.panel.cancel_requested.connect(self.cancel)
        self.panel.zoom_requested.connect(self.zoom_to_lonlat)
        self.marks = None
        self.thread: DockWorker | None = None  # the check running, if any
        self._again = False  # an edit came during the check: run it once more
        self._cache: dict = {}  # grid checks and indexes kept while grids are unchanged
        self._receiver = DockWorkReceiver(self)
        self.session.events.changed.connect(self._changed)
        self.session.events.reset.connect(self._recheck)

    def docks(self):
        return [DockSpec(RULES, self.panel, BOTTOM, tab_with="网格员", refresh=self._recheck)]

    def retranslate(self) -> None:
        self.panel.retranslate()

    @property
    def problems(self) -> pd.DataFrame | None:
        """The problems listed (None before the first check)."""
        return self.panel.problems

    @property
    def running(self) -> bool:
        """True while a check runs."""
        return self.thread is not None

    def check_rules(self) -> None:
        """Run the grid and ledger rules (off the window's thread); list and mark what they find.

        The dock is brought up and shows the progress; the list follows when the check ends.
        """
        self.window.docks[RULES].raise_()
        self._start()

    def _start(self) -> None:
        if self.thread is not None:
            self._again = True
            return
        self._again = False
        project, cache = self.session.project, self._cache
        thread = DockWorker(lambda progress: check_project(project, progress, cache),
                            cancelled=CheckCancelled,
                            on_stop=cache.clear,  # a step may have been left half done
                            ).report_to(self._receiver)
        self.thread = thread
        self.panel.set_busy(0, 1)
        thread.start()

    def _finished(self, problems: pd.DataFrame | None, error: str | None = None) -> None:
        self._ended_worker()
        if error is not None:
            self.panel.set_idle(self.tr_("检查失败：{error}").format(error=error))
        elif problems is None:
            self.panel.set_idle(self.tr_("已取消检查"))
        else:
            self.panel.set_idle()
            self.panel.set_problems(problems)
            self._mark(problems)
        if self._again:
            self._recheck()

    def close(self) -> None:
        """The window closes: stop a check still running and wait for its thread."""
        self._stop_worker()

    def _mark(self, problems: pd.DataFrame) -> None:
        from gis_app.ui.canvas.point_item import PointCloudItem

        located = problems.dropna(subset=["x", "y"])
        x, y = self.session.to_map(located["x"].to_numpy(float), located["y"].to_numpy(float))
        if self.marks is not None:
            self.canvas.plotItem.removeItem(self.marks)
        self.marks = PointCloudItem(np.asarray(x), np.asarray(y),
                                    np.zeros(len(located), dtype=np.int32), [MARK])
        self.marks.setZValue(900)
        self.canvas.plotItem.addItem(self.marks)

    # -- after edits: only a check the user has seen is run again
    def _changed(self, changes) -> None:
        if any(entity in changes for entity in CHECKED_ENTITIES):
            self._recheck()

    def _recheck(self) -> None:
        if (self.problems is not None or self.thread is not None) and self.shown(RULES):
            self._start()

    def zoom_to_lonlat(self, lon: float, lat: float) -> None:
        """Ask the map to show a point given in longitude/latitude, 600 m across."""
        x, y = self.session.to_map(lon, lat)
        half = ZOOM_HALF_WIDTH
        self.state.events.zoom_requested.emit((x - half, y - half, x + half, y + half), 0.0)
