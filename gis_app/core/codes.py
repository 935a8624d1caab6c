"""The codes of the national ledger (annex 2) and the grid roles, with their Chinese labels.

The integer values are the ones printed on the official forms; never renumber them.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class LabeledIntEnum(IntEnum):
    """An integer code with a Chinese label (the ledger's wording)."""

    label: str

    def __new__(cls, value: int, label: str):
        obj = int.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj

    @classmethod
    def from_label(cls, text: str):
        """The member whose label or code matches ``text`` ("脱贫户", "1", "1.脱贫户")."""
        text = str(text).strip()
        for member in cls:
            if text in (
                member.label,
                str(member.value),
                f"{member.value}.{member.label}",
                f"{member.value}{member.label}",
                f"{member.value}、{member.label}",
            ):
                return member
        raise ValueError(f"{text!r} 不是有效的{cls.__doc__.split('(')[0].strip()}")


class HouseholdAttribute(LabeledIntEnum):
    """户属性 (household attribute)."""

    LIFTED = 1, "脱贫户"
    MONITORED = 2, "监测对象"
    ORDINARY = 3, "档外农户"


class MonitoringType(LabeledIntEnum):
    """监测类型 (monitoring type)."""

    UNSTABLE = 1, "脱贫不稳定户"
    MARGINAL = 2, "边缘易致贫户"
    SUDDEN_HARDSHIP = 3, "突发严重困难户"


class InvestigationMethod(LabeledIntEnum):
    """排查方式 (investigation method)."""

    HOME_VISIT = 1, "入户排查"
    REMOTE = 2, "电话、微信等排查"


class RiskType(LabeledIntEnum):
    """致返贫风险类型 (risk type)."""

    ILLNESS = 1, "因病"
    SCHOOLING = 2, "因学"
    DISABILITY = 3, "因残"
    NATURAL_DISASTER = 4, "因自然灾害"
    ACCIDENT = 5, "因意外事故"
    FAILED_BUSINESS = 6, "因产业项目失败"
    UNSTABLE_WORK = 7, "因务工就业不稳"
    LACK_OF_LABOUR = 8, "缺劳动力"
    OTHER = 9, "其他"


class GridLevel(LabeledIntEnum):
    """网格层级 (grid level); 0 is the county-led overall grid of a township."""

    OVERALL = 0, "总网格"
    TOWNSHIP = 1, "一级网格"
    VILLAGE = 2, "二级网格"
    HOUSEHOLD = 3, "三级网格"


class WorkerRole(StrEnum):
    """Roles of DOMAIN §2 (seed 004): who is responsible for which grid level."""

    GRID_CAPTAIN = "网格长"
    DEPUTY_CAPTAIN = "副网格长"
    LEVEL1_WORKER = "一级网格员"
    LEVEL2_WORKER = "二级网格员"
    LEVEL3_WORKER = "三级网格员"
    GRID_WORKER = "网格员"
    HELPER = "结对帮扶责任人"


#: The role that makes a worker responsible for a grid of each level.
RESPONSIBLE_ROLES: dict[int, tuple[WorkerRole, ...]] = {
    0: (WorkerRole.GRID_CAPTAIN, WorkerRole.DEPUTY_CAPTAIN),
    1: (WorkerRole.LEVEL1_WORKER, WorkerRole.GRID_CAPTAIN, WorkerRole.GRID_WORKER),
    2: (WorkerRole.LEVEL2_WORKER, WorkerRole.GRID_CAPTAIN, WorkerRole.GRID_WORKER),
    3: (
        WorkerRole.LEVEL3_WORKER,
        WorkerRole.GRID_CAPTAIN,
        WorkerRole.GRID_WORKER,
        WorkerRole.DEPUTY_CAPTAIN,
    ),
}


class AdminLevel(LabeledIntEnum):
    """行政层级 (administrative level)."""

    COUNTY = 1, "县"
    TOWNSHIP = 2, "乡镇"
    VILLAGE = 3, "村/社区"


class HazardKind(StrEnum):
    """灾害类型 of hazard zones and points (DOMAIN §1, §10)."""

    FLOOD = "洪涝"
    MOUNTAIN_TORRENT = "山洪"
    DROUGHT = "干旱"
    LANDSLIDE = "滑坡"
    DEBRIS_FLOW = "泥石流"
    COLLAPSE = "崩塌"


class HazardLevel(LabeledIntEnum):
    """风险等级 of a hazard zone or point (1 is the most severe)."""

    EXTREME = 1, "极高"
    HIGH = 2, "高"
    MEDIUM = 3, "中"
    LOW = 4, "低"


def parse_hazard_level(value) -> HazardLevel:
    """A survey's 风险等级 cell as a level: 1–4 (``2``, ``2.0``, ``2级``) or a label.

    Labels may carry the usual suffixes: 极高, 极高风险, 高风险区, 中风险等级.

    Raises
    ------
    ValueError
        When the cell is none of these (Chinese message naming it).
    """
    text = str(value).strip()
    for suffix in ("风险区", "风险等级", "风险", "区", "级"):
        text = text.removesuffix(suffix)
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None and number.is_integer() and 1 <= number <= 4:
        return HazardLevel(int(number))
    for member in HazardLevel:
        if text == member.label:
            return member
    raise ValueError(f"风险等级无效：{value}（应为1–4或极高、高、中、低）")


class ClueChannel(StrEnum):
    """风险发现渠道 (DOMAIN §5); 灾害 is a clue raised by a disaster's footprint (DOMAIN §10)."""

    SELF_REPORT = "农户自主申报"
    CADRE = "基层干部排查"
    DEPARTMENT = "部门筛查预警"
    ASSOCIATED = "关联监测"
    DISASTER = "灾害"


class CaseStep(LabeledIntEnum):
    """五步工作法 steps of identification or elimination (DOMAIN §6, §8)."""

    APPLICATION = 1, "农户申请"
    HOME_VERIFICATION = 2, "入户核查"
    VILLAGE_REVIEW = 3, "村级民主评议"
    TOWNSHIP_REVIEW = 4, "乡镇联合审核"
    COUNTY_APPROVAL = 5, "县级比对审定"


class CaseKind(StrEnum):
    """Whether a five-step case brings a household in or takes it out."""

    IDENTIFICATION = "识别认定"
    ELIMINATION = "风险消除"


class CaseStatus(StrEnum):
    """Where a monitoring case stands."""

    IN_PROGRESS = "办理中"
    APPROVED = "已认定"
    ELIMINATED = "已消除"
    ROLLED_BACK = "风险回退"
    REMOVED = "清退"
    REJECTED = "不予认定"


class AssistanceKind(StrEnum):
    """帮扶措施 types (DOMAIN §7)."""

    INDUSTRY = "产业"
    EMPLOYMENT = "就业"
    FINANCE = "金融"
    PUBLIC_WELFARE_JOB = "公益性岗位"
    HOUSING = "住房安全"
    WATER = "饮水安全"
    HEALTH = "健康"
    EDUCATION = "教育"
    SOCIAL_ASSISTANCE = "综合保障"
    SOCIAL_HELP = "社会帮扶"
    LIVING_CONDITIONS = "生产生活条件改善"
    MOTIVATION = "扶志扶智"
    DISABILITY = "残疾人帮扶"


class LocationSource(StrEnum):
    """Where a household's point came from; UNKNOWN households are never placed at a centroid."""

    LONLAT = "经纬度"
    GAUSS_KRUGER = "高斯-克吕格坐标"
    POINT_LAYER = "点图层匹配"
    MANUAL = "地图点选"
    UNKNOWN = "位置未知"
