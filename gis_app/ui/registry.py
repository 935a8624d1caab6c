"""The one table of the window's features: each is a controller; a new feature is one line."""

from __future__ import annotations

from gis_app.ui.controllers.briefing import BriefingController
from gis_app.ui.controllers.dashboard import DashboardController
from gis_app.ui.controllers.events import EventController
from gis_app.ui.controllers.exposure import ExposureController
from gis_app.ui.controllers.grid_edit import GridEditController
from gis_app.ui.controllers.imports import ImportController
from gis_app.ui.controllers.investigation import InvestigationController
from gis_app.ui.controllers.layers import LayerController
from gis_app.ui.controllers.map_tools import MapController
from gis_app.ui.controllers.placing import PlacingController
from gis_app.ui.controllers.plan import PlanController
from gis_app.ui.controllers.printing import PrintController
from gis_app.ui.controllers.project import ProjectController
from gis_app.ui.controllers.qgis_project import QgisProjectController
from gis_app.ui.controllers.reports import ReportController
from gis_app.ui.controllers.roster import RosterController
from gis_app.ui.controllers.rules import RulesController
from gis_app.ui.controllers.selection import SelectionController
from gis_app.ui.controllers.table import TableController

#: Menus in the order of the menu bar (Chinese titles; translated like every label).
MENUS = ("文件", "编辑", "视图", "选择", "网格", "排查", "灾害", "设置")

#: The window's features, in the order their docks and actions are added.
CONTROLLERS = (
    ProjectController,
    ImportController,
    LayerController,
    MapController,
    TableController,
    PlacingController,
    RosterController,
    RulesController,
    GridEditController,
    InvestigationController,
    ReportController,
    SelectionController,
    EventController,
    ExposureController,
    PlanController,
    BriefingController,
    DashboardController,
    PrintController,
    QgisProjectController,
)
