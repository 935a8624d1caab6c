"""Households without a location (位置未知): listed, and placed where the user clicks.

A click outside the household's registered village asks first, naming both villages; the
service refuses such a placement unless it was confirmed.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtWidgets import QMessageBox

from gis_app.services.household_service import HouseholdService
from gis_app.ui.controllers.base import RIGHT, Controller, DockSpec
from gis_app.ui.panels.unlocated_panel import UnlocatedPanel


class PlacingController(Controller):
    """The 位置未知农户 dock and the ``place`` tool."""

    name = "placing"

    def __init__(self, window):
        super().__init__(window)
        self.service = HouseholdService(self.session)
        self.panel = UnlocatedPanel(self.tr_)
        self.panel.place_requested.connect(self.start_placing)
        self.placing: int | None = None
        self.listed: set[int] = set()
        self.session.events.households.connect(self._households_changed)
        self.session.events.reset.connect(self.refresh)
        self.state.events.unmask.connect(lambda _u: self.refresh())

    def docks(self):
        return [DockSpec("位置未知农户", self.panel, RIGHT, tab_with="识别",
                         refresh=self.refresh)]

    def tools(self):
        return {"place": self._clicked}

    def retranslate(self) -> None:
        self.panel.retranslate()
        self.refresh()

    def _households_changed(self, change) -> None:
        """Redraw the list when a household came, went, or gained or lost its location."""
        if not self.shown("位置未知农户"):
            return  # listed again when next shown
        if change.inserted or change.deleted or change.updated & self.listed:
            self.refresh()
            return
        households = self.session.households
        ids = households["id"].to_numpy()
        rows = np.searchsorted(ids, np.fromiter(change.updated, dtype=np.int64))
        if np.isnan(households["x"].to_numpy(float)[np.minimum(rows, len(ids) - 1)]).any():
            self.refresh()

    def refresh(self) -> None:
        """List the households the session has without a location (when the dock is shown)."""
        if not self.shown("位置未知农户"):
            return
        households = self.session.households
        ids = households.loc[np.isnan(households["x"].to_numpy(float)), "id"].to_numpy()
        self.listed = set(ids.tolist())
        frame = self.session.household_columns(["head_name", "head_id_number"], ids)
        units = self.session.frame("admin_units").set_index("id")["name"]
        villages = households.set_index("id").loc[ids, "village_id"].map(units)
        self.panel.set_households(frame.assign(id=ids, village=villages.to_numpy()),
                                  self.state.unmask)

    def start_placing(self, household_id: int) -> None:
        """The next map click sets this household's location."""
        self.placing = int(household_id)
        self.window.set_tool("place")
        self.status(self.tr_("请在地图上点击该户的位置"), 0)

    def _clicked(self, point, _modifiers) -> None:
        if self.placing is None:
            return
        x, y = point
        self.finish_placing(x, y)

    def finish_placing(self, x: float, y: float):
        """Store the clicked point for the household being placed (one undoable edit)."""
        household_id, self.placing = self.placing, None
        self.window.set_tool("identify")
        conflict = self.service.village_conflict(household_id, x, y)
        if conflict is not None and not self.confirm_other_village(conflict):
            self.status(self.tr_("已取消"))
            return None
        placed = self.run_edit("位置未知农户", self.service.place, household_id, x, y,
                               other_village=conflict is not None)
        if placed is not None:
            self.status(self.tr_("已设置位置，所属网格：{grid}").format(
                grid=placed.grid_code or self.tr_("无")))
        return placed

    def confirm_other_village(self, conflict) -> bool:
        """Ask before placing a household in another village (or outside every village)."""
        if conflict.found:
            text = self.tr_("户主{head}登记在{registered}，所点的位置却在{found}。放在这里，该户将"
                            "计入{found}的网格和户数均衡，网格规则也会标出它。仍要放在这里吗？")
        else:
            text = self.tr_("户主{head}登记在{registered}，所点的位置不在任何村内。"
                            "仍要放在这里吗？")
        answer = QMessageBox.question(
            self.window, self.tr_("放到别村？"),
            text.format(head=conflict.head_name, registered=conflict.registered,
                        found=conflict.found),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes
