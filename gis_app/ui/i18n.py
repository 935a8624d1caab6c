"""The interface's translation catalogue: Chinese by default, English on request.

The language comes from the settings (``QSettings`` key ``language``) or, when unset, from
``LANG`` (``en…`` → English). Strings are looked up by their Chinese text, so the code reads as
the interface does.
"""

from __future__ import annotations

import os

_ENGLISH: dict[str, str] = {
    "网格防返贫监测 GIS": "Grid Monitor GIS",
    "文件": "File",
    "视图": "View",
    "工具": "Tools",
    "设置": "Settings",
    "帮助": "Help",
    "打开项目…": "Open project…",
    "打开服务器…": "Open server…",
    "最近的项目": "Recent projects",
    "打开示例县": "Open the sample county",
    "退出": "Quit",
    "保存地图快照…": "Save map snapshot…",
    "复制地图快照": "Copy map snapshot",
    "图层": "Layers",
    "属性": "Attributes",
    "属性表": "Attribute table",
    "识别": "Identify",
    "位置未知农户": "Households without location",
    "图例": "Legend",
    "平移": "Pan",
    "拉框放大": "Zoom box",
    "放大": "Zoom in",
    "缩小": "Zoom out",
    "全图": "Full extent",
    "点选识别": "Identify",
    "框选": "Select",
    "多边形选择": "Lasso select",
    "测距离": "Measure distance",
    "测面积": "Measure area",
    "清除选择": "Clear selection",
    "缩放到选择": "Zoom to selection",
    "导出选择到Excel…": "Export selection to Excel…",
    "搜索农户、村、网格编码、网格员": "Search households, villages, grid codes, workers",
    "显示个人信息": "Show personal data",
    "语言": "Language",
    "中文": "Chinese",
    "英文": "English",
    "底图…": "Basemap…",
    "缩放到图层": "Zoom to layer",
    "透明度": "Opacity",
    "样式": "Style",
    "经纬度": "Lon/Lat",
    "高斯-克吕格": "Gauss–Krüger",
    "比例尺": "Scale",
    "正在打开项目…": "Opening project…",
    "取消": "Cancel",
    "无法打开项目": "Cannot open project",
    "已选择": "Selected",
    "个要素": "features",
    "筛选表达式，如 attribute == 2 and members >= 4": "Filter: attribute == 2 and members >= 4",
    "按列筛选": "Filter by column",
    "全部": "All",
    "应用": "Apply",
    "清除": "Clear",
    "在地图上点选位置": "Pick location on map",
    "请在地图上点击该户的位置": "Click the household's location on the map",
    "距离": "Distance",
    "面积": "Area",
    "亩": "mu",
    "公顷": "ha",
    "米": "m",
    "公里": "km",
    "平方米": "m²",
    "户": "households",
    "农户": "Households",
    "网格": "Grids",
    "村": "Villages",
    "网格员": "Workers",
    "字段": "Field",
    "值": "Value",
    "监测对象": "Monitored",
    "无权查看个人信息": "You may not see personal data",
    "重新加载样式": "Reload styles", "撤销": "Undo",
    "保存": "Save",
    "沿线拆分网格": "Split grid along a line",
    "均衡拆分网格…": "Split grid evenly…",
    "合并所选网格": "Merge selected grids",
    "绘制新网格": "Draw a new grid",
    "重新划分村网格…": "Redraw village grids…",
    "重新划分村网格": "Redraw village grids",
    "生成方案": "Generate proposal",
}


def current_language(settings_value: str | None = None) -> str:
    """``zh`` or ``en``: the saved choice, else from ``LANG``."""
    if settings_value in ("zh", "en"):
        return settings_value
    return "en" if os.environ.get("LANG", "").lower().startswith("en") else "zh"


class Translator:
    """Looks interface strings up in the chosen language."""

    def __init__(self, language: str = "zh"):
        self.language = language

    def __call__(self, text: str) -> str:
        if self.language == "en":
            return _ENGLISH.get(text, text)
        return text
