"""The annex-2 ledger (集中排查台账) column layout of seed 002, plus this system's extra columns.

One table describes every column: its key in code, its Chinese header on the form, its kind and
whether a file must have it. Importers and exporters both read this table, so the two stay
inverse; the sample generator produces frames with these keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["int", "float", "text", "id", "phone", "bool", "date", "code"]


@dataclass(frozen=True)
class LedgerColumn:
    """One column of a ledger: ``key`` in code, ``header`` as printed, ``group`` above it."""

    key: str
    header: str
    kind: ColumnKind
    group: str = ""
    required: bool = False
    #: Other headers seen in county files for the same column.
    aliases: tuple[str, ...] = ()


_BASIC, _GUARANTEE, _RESULT, _EXTRA = "基本情况", "三保障和饮水安全", "排查结果", "扩展信息"

#: The 17 columns of annex 2 in the order of the form, then this system's extra columns.
ANNEX2_COLUMNS: tuple[LedgerColumn, ...] = (
    LedgerColumn("seq", "序号", "int", _BASIC),
    LedgerColumn(
        "township", "乡镇场", "text", _BASIC, aliases=("乡镇", "乡（镇）", "乡镇（街道）")
    ),
    LedgerColumn("village", "村（社区）", "text", _BASIC, aliases=("村", "村(社区)", "行政村")),
    LedgerColumn("head_name", "户主姓名", "text", _BASIC, required=True, aliases=("姓名",)),
    LedgerColumn(
        "head_id_number",
        "户主证件号码",
        "id",
        _BASIC,
        required=True,
        aliases=("证件号码", "身份证号码", "身份证号", "户主身份证号"),
    ),
    LedgerColumn(
        "members", "家庭人口数", "int", _BASIC, required=True, aliases=("人口数", "家庭人数")
    ),
    LedgerColumn("attribute", "户属性", "code", _BASIC, required=True),
    LedgerColumn("method", "排查方式", "code", _RESULT),
    LedgerColumn("housing_problem", "是否有住房安全问题", "bool", _GUARANTEE),
    LedgerColumn("education_problem", "是否有义务教育阶段失学辍学问题", "bool", _GUARANTEE),
    LedgerColumn("insurance_problem", "是否有家庭成员未参加基本医疗保险", "bool", _GUARANTEE),
    LedgerColumn("water_problem", "是否有饮水安全问题", "bool", _GUARANTEE),
    LedgerColumn("other_problems", "其他问题", "text", _RESULT),
    LedgerColumn("has_risk", "是否存在致返贫风险", "bool", _RESULT),
    LedgerColumn("risk_type", "致返贫风险类型", "code", _RESULT),
    LedgerColumn("proposed_monitoring_type", "拟纳入监测类型", "code", _RESULT),
    LedgerColumn("checker", "核查人签字", "text", _RESULT, aliases=("核查人",)),
    # Columns the national ledger lacks but a county needs to move data without loss.
    LedgerColumn("checked_on", "排查日期", "date", _EXTRA),
    LedgerColumn("whole_household_away", "是否整户外出", "bool", _EXTRA),
    LedgerColumn("household_code", "户编号", "text", _EXTRA),
    LedgerColumn("phone", "联系电话", "phone", _EXTRA, aliases=("电话", "手机号码")),
    LedgerColumn("monitoring_type", "监测类型", "code", _EXTRA),
    LedgerColumn("village_code", "村代码", "text", _EXTRA, aliases=("行政区划代码",)),
    LedgerColumn("grid_code", "网格编码", "text", _EXTRA),
    LedgerColumn("grid_override", "网格手动指定", "bool", _EXTRA),
    LedgerColumn("lon", "经度", "float", _EXTRA),
    LedgerColumn("lat", "纬度", "float", _EXTRA),
    LedgerColumn("gk_x", "X坐标", "float", _EXTRA, aliases=("X",)),
    LedgerColumn("gk_y", "Y坐标", "float", _EXTRA, aliases=("Y",)),
    LedgerColumn(
        "income_per_person",
        "家庭年人均纯收入",
        "float",
        _EXTRA,
        aliases=("年人均纯收入", "人均纯收入"),
    ),
    LedgerColumn("no_labour_support", "整户无劳动能力兜底保障户", "bool", _EXTRA),
    LedgerColumn("relocated", "是否易地搬迁", "bool", _EXTRA),
    LedgerColumn("resettlement_site_code", "安置点编码", "text", _EXTRA),
    LedgerColumn("dibao", "是否低保", "bool", _EXTRA),
    LedgerColumn("tekun", "是否特困", "bool", _EXTRA),
    LedgerColumn("severe_illness", "是否有重病慢病成员", "bool", _EXTRA),
    LedgerColumn("disability", "是否有残疾成员", "bool", _EXTRA),
    LedgerColumn("risk_eliminated", "是否风险消除", "bool", _EXTRA),
    LedgerColumn("risk_eliminated_on", "风险消除日期", "date", _EXTRA),
)

#: Keys of the household itself (stored on the household row); the rest belong to a visit record.
HOUSEHOLD_KEYS: tuple[str, ...] = (
    "household_code",
    "head_name",
    "head_id_number",
    "members",
    "attribute",
    "monitoring_type",
    "phone",
    "township",
    "village",
    "village_code",
    "grid_code",
    "grid_override",
    "lon",
    "lat",
    "income_per_person",
    "no_labour_support",
    "relocated",
    "resettlement_site_code",
    "dibao",
    "tekun",
    "severe_illness",
    "disability",
    "risk_eliminated",
    "risk_eliminated_on",
    "housing_problem",
    "education_problem",
    "insurance_problem",
    "water_problem",
)

#: Keys of an investigation record (annex-2 result columns).
RECORD_KEYS: tuple[str, ...] = (
    "head_id_number",
    "method",
    "checked_on",
    "checker",
    "whole_household_away",
    "housing_problem",
    "education_problem",
    "insurance_problem",
    "water_problem",
    "other_problems",
    "has_risk",
    "risk_type",
    "proposed_monitoring_type",
)

#: Which enum decodes each ``code`` column (names resolved in gis_app.core.codes).
CODE_ENUMS: dict[str, str] = {
    "attribute": "HouseholdAttribute",
    "monitoring_type": "MonitoringType",
    "proposed_monitoring_type": "MonitoringType",
    "method": "InvestigationMethod",
    "risk_type": "RiskType",
}

#: Spellings of yes and no seen in county spreadsheets.
TRUE_WORDS = frozenset({"是", "有", "1", "Y", "YES", "TRUE", "√", "✓"})
FALSE_WORDS = frozenset({"否", "无", "0", "N", "NO", "FALSE", "×", ""})

#: Worker roster columns (the workers Excel the county hands over).
WORKER_COLUMNS: tuple[LedgerColumn, ...] = (
    LedgerColumn("seq", "序号", "int"),
    LedgerColumn("name", "姓名", "text", required=True),
    LedgerColumn("role", "网格职务", "text", required=True, aliases=("职务", "角色")),
    LedgerColumn("unit", "工作单位", "text", aliases=("单位",)),
    LedgerColumn("title", "职务职级", "text", aliases=("现任职务",)),
    LedgerColumn("phone", "联系电话", "phone", required=True, aliases=("电话", "手机号码")),
    LedgerColumn("id_number", "证件号码", "id", aliases=("身份证号码",)),
    LedgerColumn("grid_codes", "负责网格编码", "text", aliases=("网格编码",)),
    LedgerColumn("start_date", "任职开始日期", "date", aliases=("开始日期",)),
)


def column(key: str, columns: tuple[LedgerColumn, ...] = ANNEX2_COLUMNS) -> LedgerColumn:
    """Return the column with ``key``."""
    for col in columns:
        if col.key == key:
            return col
    raise KeyError(key)
