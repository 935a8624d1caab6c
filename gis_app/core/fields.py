"""Display names (Chinese and English) of the attributes users see, and which are personal."""

from __future__ import annotations

import math

import numpy as np

from gis_app.core.codes import HouseholdAttribute, MonitoringType
from gis_app.core.idcard import mask_id, mask_phone
from gis_app.core.ledger import ANNEX2_COLUMNS

#: Column key → (Chinese, English) for every attribute shown in tables and the identify panel.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    **{c.key: (c.header, c.key.replace("_", " ")) for c in ANNEX2_COLUMNS},
    "id": ("编号", "id"),
    "code": ("编码", "code"),
    "name": ("名称", "name"),
    "level": ("层级", "level"),
    "kind": ("类型", "kind"),
    "source": ("数据来源", "source"),
    "year": ("年份", "year"),
    "capacity": ("安置容量", "capacity"),
    "built_year": ("建成年份", "built year"),
    "received": ("已安置户数", "households received"),
    "threatened_households": ("威胁户数", "threatened households"),
    "threatened_persons": ("威胁人数", "threatened persons"),
    "parent_code": ("上级编码", "parent code"),
    "admin_code": ("行政区划代码", "admin code"),
    "township_code": ("乡镇代码", "township code"),
    "location_source": ("位置来源", "location source"),
    "households": ("户数", "households"),
    "persons": ("人数", "persons"),
    "monitored": ("监测对象户数", "monitored households"),
    "workers": ("网格员", "workers"),
    "helper": ("结对帮扶责任人", "helper"),
    "current_case": ("当前监测帮扶事项", "current case"),
    "hazards": ("所处灾害隐患区", "hazard exposure"),
    "grid_name": ("所属网格", "grid"),
    # the coverage layers (services/map_service.py)
    "home": ("入户", "home visits"),
    "remote": ("电话微信", "by phone/WeChat"),
    "noncompliant": ("不合规", "non-compliant"),
    "unchecked": ("未排查", "unchecked"),
    "coverage": ("覆盖率", "coverage"),
}

#: Columns holding personal data: masked unless the user may and chooses to see them.
PERSONAL_ID_FIELDS = frozenset({"head_id_number", "id_number"})
PERSONAL_PHONE_FIELDS = frozenset({"phone", "responsible_phone", "worker_phone"})

#: Columns never shown to users (internal keys).
HIDDEN_FIELDS = frozenset({"version", "geometry", "label", "coverage_label", "village_id",
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
