"""Field names of the map layers in files, written once for the importers and the exporters.

Each field maps a stored column to the headers a file may use for it; the first header is the
one exports write, so an exported layer imports again as it is. The written headers are at
most five Chinese characters, which fit the 10 bytes of a GBK Shapefile field name.
"""

from __future__ import annotations

#: Townships and villages (``--kind boundaries``); a village names its township.
UNIT_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("代码", "行政区划代码", "区划代码", "编码", "code", "CODE"),
    "name": ("名称", "乡镇名称", "村名称", "name", "NAME"),
    "township_code": ("乡镇代码", "所属乡镇代码", "township_code"),
    "county_code": ("县代码", "county_code"),
    "county_name": ("县名称", "county_name"),
}
#: Grids of every level (``--kind grids``).
GRID_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("网格编码", "编码", "代码", "code", "CODE"),
    "name": ("网格名称", "名称", "name", "NAME"),
    "level": ("层级", "网格层级", "级别", "level", "LEVEL"),
    "admin_code": ("区划代码", "村代码", "行政区划代码", "所属村代码", "admin_code", "ADMIN_CODE"),
    "parent_code": ("上级编码", "上级网格编码", "parent_code", "PARENT"),
}
#: Resettlement sites (``--kind sites``).
SITE_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("安置点编码", "编码", "代码", "code"),
    "name": ("安置点名称", "名称", "name"),
    "kind": ("安置方式", "类型", "kind"),
    "capacity": ("安置容量", "容量", "capacity"),
    "built_year": ("建成年份", "built_year"),
    "township_code": ("乡镇代码", "township_code"),
}
#: Hazard zones and hazard points (``--kind hazards``).
HAZARD_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("编码", "代码", "隐患编码", "code"),
    "name": ("名称", "name"),
    "kind": ("灾害类型", "类型", "kind"),
    "level": ("风险等级", "等级", "level"),
    "source": ("数据来源", "来源", "source"),
    "year": ("年份", "year"),
    "threatened_households": ("威胁户数", "threatened_households"),
    "threatened_persons": ("威胁人数", "threatened_persons"),
    "threat_radius": ("威胁半径", "影响半径", "威胁半径米", "threat_radius"),
}
#: The geometry of a layer written to a spreadsheet: longitude and latitude of points
#: (EPSG:4490), or the shape as WKT text.
LON_FIELDS = ("经度", "lon", "LON", "longitude")
LAT_FIELDS = ("纬度", "lat", "LAT", "latitude")
WKT_FIELDS = ("几何图形WKT", "geometry_wkt", "WKT", "wkt")

#: Ledger columns whose header passes the 10 bytes of a GBK Shapefile field name, and the
#: short header a Shapefile of households carries instead (read back as the column).
LEDGER_SHORT_HEADERS: dict[str, str] = {
    "head_id_number": "证件号码",
    "housing_problem": "住房安全",
    "education_problem": "失学辍学",
    "insurance_problem": "未参医保",
    "water_problem": "饮水安全",
    "has_risk": "返贫风险",
    "risk_type": "风险类型",
    "proposed_monitoring_type": "拟监测类型",
    "whole_household_away": "整户外出",
    "grid_override": "手动网格",
    "income_per_person": "人均纯收入",
    "no_labour_support": "兜底保障户",
    "relocated": "易地搬迁",
    "severe_illness": "重病慢病",
    "disability": "残疾成员",
    "risk_eliminated": "风险消除",
    "risk_eliminated_on": "消除日期",
}


def written_names(fields: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Stored column → the header an export writes (the first of each field's headers)."""
    return {key: names[0] for key, names in fields.items()}
