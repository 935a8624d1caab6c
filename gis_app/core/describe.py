"""How a stored row is named to the user (Chinese), e.g. in "农户“汤福生”已被张三修改"."""

from __future__ import annotations

from collections.abc import Mapping

#: What a row of each table is called, and the column that names it.
_NOUNS: dict[str, tuple[str, str | None]] = {
    "household": ("农户", "head_name"),
    "person": ("家庭成员", "name"),
    "worker": ("网格员", "name"),
    "grid": ("网格", "name"),
    "admin_unit": ("行政区", "name"),
    "grid_assignment": ("网格分配", None),
    "helper_pair": ("结对帮扶", None),
    "campaign": ("排查任务", "name"),
    "campaign_milestone": ("排查里程碑", "name"),
    "campaign_township": ("排查乡镇", None),
    "investigation_record": ("走访记录", None),
    "resettlement_site": ("安置点", "name"),
    "hazard_zone": ("灾害隐患区", "name"),
    "hazard_point": ("灾害隐患点", "name"),
    "monitoring_case": ("监测帮扶事项", None),
    "risk_clue": ("风险线索", None),
}


def describe_row(table: str, row: Mapping | None, key=None) -> str:
    """A short Chinese name of a row: its kind and, where it has one, its name.

    Parameters
    ----------
    table : str
        The table the row belongs to.
    row : mapping or None
        The row's values (None when it no longer exists).
    key : optional
        The row's key, shown when the row has no name.
    """
    noun, column = _NOUNS.get(table, ("记录", None))
    if row is not None and column and row.get(column):
        name = f"{noun}“{row[column]}”"
        if table == "grid" and row.get("code"):
            name += f"（{row['code']}）"
        return name
    return f"{noun}（编号{key}）" if key is not None else noun
