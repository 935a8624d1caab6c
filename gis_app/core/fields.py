"""Display names (Chinese and English) of the attributes users see, and which are personal."""

from __future__ import annotations

import math

import numpy as np

from gis_app.core.codes import HouseholdAttribute, MonitoringType
from gis_app.core.idcard import mask_id, mask_phone
from gis_app.core.ledger import ANNEX2_COLUMNS

#: Column key → (Chinese, English) for every attribute shown in tables and the identify panel.
#: English headers of the annex-2 ledger's columns (the Chinese ones are the form's own).
_LEDGER_ENGLISH = {
    "seq": "No.", "township": "Township", "village": "Village", "head_name": "Head of household",
    "head_id_number": "ID number", "members": "Members", "attribute": "Attribute",
    "method": "Check method", "housing_problem": "Housing problem",
    "education_problem": "Schooling dropout", "insurance_problem": "No medical insurance",
    "water_problem": "Drinking water problem", "other_problems": "Other problems",
    "has_risk": "Risk found", "risk_type": "Risk type",
    "proposed_monitoring_type": "Proposed monitoring type", "checker": "Checked by",
    "checked_on": "Checked on", "whole_household_away": "Whole household away",
    "household_code": "Household code", "phone": "Phone", "monitoring_type": "Monitoring type",
    "village_code": "Village code", "grid_code": "Grid code", "grid_override": "Grid set by hand",
    "lon": "Longitude", "lat": "Latitude", "gk_x": "X", "gk_y": "Y",
    "income_per_person": "Income per person", "no_labour_support": "No labour, state support",
    "relocated": "Relocated", "resettlement_site_code": "Resettlement site code",
    "dibao": "Dibao", "tekun": "Tekun", "severe_illness": "Serious illness",
    "disability": "Disability", "risk_eliminated": "Risk eliminated",
    "risk_eliminated_on": "Risk eliminated on",
}

#: Column key → (Chinese, English) for every attribute shown in tables and the identify panel.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    **{c.key: (c.header, _LEDGER_ENGLISH.get(c.key, c.key.replace("_", " ").capitalize()))
       for c in ANNEX2_COLUMNS},
    "id": ("编号", "ID"),
    "code": ("编码", "Code"),
    "name": ("名称", "Name"),
    "level": ("层级", "Level"),
    "kind": ("类型", "Kind"),
    "source": ("数据来源", "Source"),
    "year": ("年份", "Year"),
    "capacity": ("安置容量", "Capacity"),
    "built_year": ("建成年份", "Built in"),
    "received": ("已安置户数", "Households received"),
    "threatened_households": ("威胁户数", "Threatened households"),
    "threatened_persons": ("威胁人数", "Threatened persons"),
    "threat_radius": ("威胁半径（米）", "Threat radius (m)"),
    "parent_code": ("上级编码", "Parent code"),
    "admin_code": ("行政区划代码", "Admin code"),
    "township_code": ("乡镇代码", "Township code"),
    "location_source": ("位置来源", "Location source"),
    "households": ("户数", "Households"),
    "persons": ("人数", "Persons"),
    "monitored": ("监测对象户数", "Monitored households"),
    "workers": ("网格员", "Workers"),
    "helper": ("结对帮扶责任人", "Helper"),
    "current_case": ("当前监测帮扶事项", "Current case"),
    "hazards": ("所处灾害隐患区", "Hazard exposure"),
    "hazard_points": ("威胁本户的隐患点", "Hazard points threatening it"),
    "grid_name": ("所属网格", "Grid"),
    # disaster events (hazard_event) and the exposure choropleth (services/exposure_layer.py)
    "occurred_on": ("灾害日期", "Date of the disaster"),
    "created_by": ("登记人", "Registered by"),
    "created_at": ("登记时间", "Registered at"),
    "exposed": ("暴露户数", "Exposed households"),
    "exposed_persons": ("暴露人数", "Exposed persons"),
    "exposed_monitored": ("暴露监测对象户数", "Exposed monitored households"),
    "exposed_unpaired": ("暴露且无结对帮扶的监测对象户数", "Exposed monitored without a helper"),
    # the coverage layers (services/map_service.py)
    "home": ("入户", "Home visits"),
    "remote": ("电话微信", "By phone/WeChat"),
    "noncompliant": ("不合规", "Non-compliant"),
    "unchecked": ("未排查", "Unchecked"),
    "coverage": ("覆盖率", "Coverage"),
}

#: Columns holding personal data: masked unless the user may and chooses to see them.
PERSONAL_ID_FIELDS = frozenset({"head_id_number", "id_number"})
PERSONAL_PHONE_FIELDS = frozenset({"phone", "responsible_phone", "worker_phone"})

#: Columns never shown to users (internal keys).
HIDDEN_FIELDS = frozenset({"version", "geometry", "label", "coverage_label", "village_id",
                           "digest", "exposure_label",
                           "grid_id", "parent_id",
                           "admin_unit_id", "resettlement_site_id", "township_id"})


def field_label(key: str, language: str = "zh") -> str:
    """The display name of an attribute (the key itself when unknown)."""
    zh, en = FIELD_LABELS.get(key, (key, key))
    return en if language.startswith("en") else zh


_CODE_LABELS = {"attribute": HouseholdAttribute, "monitoring_type": MonitoringType,
                "proposed_monitoring_type": MonitoringType}
#: Coded columns and the enum whose labels are shown instead of their numbers.
CODE_FIELDS = _CODE_LABELS


def display_value(key: str, value, unmask: bool = False) -> str:
    """How an attribute value is shown: codes as labels, yes/no, personal data masked."""
    if value is None or value is _NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if key in PERSONAL_ID_FIELDS and not unmask:
        return mask_id(str(value))
    if key in PERSONAL_PHONE_FIELDS and not unmask:
        return mask_phone(str(value))
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if key in _CODE_LABELS:
        try:
            return _CODE_LABELS[key](int(value)).label
        except (ValueError, TypeError):
            return str(value)
    if isinstance(value, float):
        return f"{value:,.2f}" if key.startswith("income") else f"{value:g}"
    return str(value)


try:  # pandas' missing-value marker, without making pandas a hard dependency of core
    from pandas import NA as _NA
except ImportError:  # pragma: no cover
    _NA = object()
