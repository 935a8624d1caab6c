"""灾害 → 生成防范因灾返贫预案…: the dialog that writes a village's (or every village's) plan."""

from __future__ import annotations

from PyQt6.QtCore import Qt

from gis_app.ui.controllers.base import ActionSpec, Controller
from gis_app.ui.dialogs.plan_dialog import TITLE, PlanDialog

MENU = "灾害"


class PlanController(Controller):
    """Opens :class:`PlanDialog` on the window's session, masking as the window does."""

    name = "plan"

    def actions(self) -> list[ActionSpec]:
        """The menu item."""
        return [ActionSpec(MENU, f"{TITLE}…", self.open_dialog, separator_before=True)]

    def open_dialog(self) -> PlanDialog:
        """Open (not modal) the plan's dialog; it reads the session when it writes."""
        dialog = PlanDialog(self.session, unmask=self.state.unmask, translate=self.tr_,
                            parent=self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog
