"""The interface's translation catalogue: Chinese by default, English on request.

The language comes from the settings (``QSettings`` key ``language``) or, when unset, from
``LANG`` (``en…`` → English). Strings are looked up by their Chinese text, so the code reads as
the interface does.
"""

from __future__ import annotations

import functools
import os
import re

_ENGLISH: dict[str, str] = {
    "网格防返贫监测 GIS": "Grid Monitor GIS",
    "文件": "File",
    "视图": "View",
    "编辑": "Edit",
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
    "导出到Excel…": "Export to Excel…",
    "{dock}（{level}）": "{dock} ({level})",
    "日期": "Date",
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
    '筛选，如 户属性 == "监测对象" and 家庭人口数 >= 4':
        'Filter, e.g. attribute == "Monitored" and members >= 4',
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
    # docks, the 网格 and 排查 menus, the grid tree and the roster
    "网格树": "Grid tree",
    "网格规则": "Grid rules",
    "排查覆盖": "Investigation coverage",
    "排查进度": "Investigation progress",
    "排查": "Investigation",
    "新建排查…": "New investigation…",
    "新建排查": "New investigation",
    "录入走访记录…": "Record a visit…",
    "录入走访记录": "Record a visit",
    "从台账导入走访记录…": "Import visits from a ledger…",
    "当前排查": "Current investigation",
    "级别": "Level",
    "户数": "Households",
    "负责人": "Responsible",
    "总网格": "Overall grid",
    "一级网格": "Level-1 grid",
    "二级网格": "Level-2 grid",
    "三级网格": "Level-3 grid",
    "姓名": "Name",
    "网格职务": "Grid roles",
    "工作单位": "Employer",
    "联系电话": "Phone",
    "负责网格": "Grids",
    "监测户": "Monitored households",
    "人数": "Persons",
    "状态": "State",
    "添加…": "Add…",
    "编辑…": "Edit…",
    "分配到所选网格": "Assign to selected grids",
    "取消分配所选网格": "Unassign from selected grids",
    "走访清单…": "Visit list…",
    "在岗": "Active",
    "已退出（{day}）": "Retired ({day})",
    "表达式有误：{error}": "Invalid expression: {error}",
    # messages of the grid editing, roster and investigation actions
    "已取消": "Cancelled",
    "{what}，调整{n}户": "{what}; {n} households moved",
    "线的中点不在任何三级网格内，请重画或先选择网格":
        "The line's midpoint is in no level-3 grid: draw again or select a grid first",
    "已拆分为{n}个网格": "Split into {n} grids",
    "请先在地图上选择一个三级网格": "Select one level-3 grid on the map first",
    "拆分为几个网格（户数均衡）": "Split into how many grids (balanced households)",
    "正在计算网格划分…": "Computing the grid division…",
    "请在地图上选择至少两个相邻的三级网格（按住Shift多选）":
        "Select at least two adjacent level-3 grids on the map (Shift for more)",
    "已将{n}个网格合并为1个": "Merged {n} grids into 1",
    "已新建网格": "New grid created",
    "已撤销：{label}": "Undone: {label}",
    # undo and redo (编辑 menu), the window title, the map tools' hints, split targeting
    "重做": "Redo",
    "撤销“{label}”": "Undo “{label}”",
    "重做“{label}”": "Redo “{label}”",
    "撤销：{label}": "Undo: {label}",
    "重做：{label}": "Redo: {label}",
    "没有可撤销的操作": "Nothing to undo",
    "没有可重做的操作": "Nothing to redo",
    "已重做：{label}": "Redone: {label}",
    # the edits' names (the services' labels), as 撤销/重做 and the status bar show them
    "添加网格员{name}": "Add worker {name}",
    "修改网格员{name}": "Edit worker {name}",
    "网格员{name}退出": "Worker {name} retires",
    "分配{n}项（{role}）": "Assign {n} ({role})",
    "取消分配{n}项": "Unassign {n}",
    "录入走访记录（户主{name}）": "Record a visit (head {name})",
    "新建排查{name}": "New investigation {name}",
    "合并网格{names}": "Merge grids {names}",
    "新增网格{name}": "New grid {name}",
    "拆分网格{name}为{n}个": "Split grid {name} into {n}",
    "重新划分{name}的网格": "Redraw the grids of {name}",
    "设置农户{name}的位置": "Place household {name}",
    "导入{what}：{file}": "Import {what}: {file}",
    "拖动地图平移，滚轮缩放": "Drag to pan the map, scroll to zoom",
    "在地图上拖出矩形放大": "Drag a rectangle on the map to zoom in",
    "单击地图上的要素查看其属性": "Click a feature on the map to see its attributes",
    "单击或拖框选择当前图层的要素，按住 Shift 追加，Esc 清除选择":
        "Click or drag a box to select features of the current layer; Shift adds, Esc clears",
    "单击添加节点，画出选择范围（按住 Shift 追加）":
        "Click to add vertices around the features to select (Shift adds)",
    "单击添加节点，双击或回车结束选择范围，Esc 取消":
        "Click to add vertices; double-click or Enter closes the area, Esc cancels",
    "单击起点开始测距离": "Click the starting point to measure a distance",
    "单击添加节点，双击或回车结束测量，Esc 取消":
        "Click to add vertices; double-click or Enter ends the measurement, Esc cancels",
    "单击第一个顶点开始测面积": "Click the first corner to measure an area",
    "单击添加顶点，双击或回车结束测量，Esc 取消":
        "Click to add corners; double-click or Enter ends the measurement, Esc cancels",
    "单击地图上该户的位置": "Click the household's location on the map",
    "单击起点，画一条完整穿过一个三级网格的线（起点和终点都在网格外）":
        "Click a starting point and draw a line right across one level-3 grid "
        "(start and end outside it)",
    "单击添加节点，双击结束分割线，Esc 取消":
        "Click to add vertices; double-click ends the split line, Esc cancels",
    "单击第一个顶点，逐点画出新网格的边界":
        "Click the first corner, then the new grid's boundary point by point",
    "单击添加顶点，双击或回车结束新网格，Esc 取消":
        "Click to add corners; double-click or Enter ends the new grid, Esc cancels",
    "单击选择要合并的相邻三级网格，按住 Shift 多选，再点“合并所选网格”":
        "Click the adjacent level-3 grids to merge (Shift for more), then Merge selected grids",
    "单击选择一个三级网格，再点“均衡拆分网格…”":
        "Click one level-3 grid, then Split grid evenly…",
    "分割线完整穿过了{n}个三级网格（{names}），一次只能拆分一个网格，请重画":
        "The split line crosses {n} level-3 grids right through ({names}); one grid is split "
        "at a time, draw it again",
    "分割线没有完整穿过任何三级网格：请从网格外画起，穿过网格，在网格外结束":
        "The split line crosses no level-3 grid right through: start outside the grid, cross "
        "it and end outside it",
    "未分配": "unassigned",
    "请至少选择一名网格员": "Choose at least one worker",
    "已重新划分为{n}个网格": "Redrawn as {n} grids",
    "请先在地图或网格图层中选择网格": "Select grids on the map or in a grid layer first",
    "已分配 {n} 项": "{n} assignments made",
    "已修改网格员{name}": "Worker {name} changed",
    "项目中还没有集中排查，请先新建排查任务":
        "The project has no investigation yet: create one first",
    "项目中还没有集中排查，请先通过“排查 → 新建排查…”创建":
        "The project has no investigation yet: create one with Investigation → New investigation…",
    "不在本次排查的乡镇范围内": "Not in this investigation's townships",
    "本次排查：{status}": "This investigation: {status}",
    "（已覆盖）": " (covered)",
    "请先在地图或属性表中选择一户": "Select a household on the map or in the table first",
    "户主{head}不在“{campaign}”的乡镇范围内":
        "Household head {head} is not in the townships of “{campaign}”",
    "已保存走访记录（{status}）": "Visit saved ({status})",
    "，不合规：{flags}": "; non-compliant: {flags}",
    "已新建排查：{name}": "New investigation: {name}",
    "台账 (*.xlsx *.xlsm *.xls *.csv);;所有文件 (*)":
        "Ledger (*.xlsx *.xlsm *.xls *.csv);;All files (*)",
    "正在读取、检查并写入台账…": "Reading, checking and writing the ledger…",
    "台账有误，未导入任何记录": "The ledger has errors; nothing was imported",
    "已导入 {n} 条走访记录到“{campaign}”": "Imported {n} visits into “{campaign}”",
    "……共{n}条": "… {n} in all",
    # the worker dialog
    "添加网格员": "Add worker",
    "编辑网格员": "Edit worker",
    "手机号码": "Mobile phone",
    "职务/身份": "Title",
    "身份证号码": "ID number",
    "11位手机号码": "11-digit mobile number",
    "18位身份证号码（可不填）": "18-character ID number (optional)",
    "负责网格：{grids}；{households}户，监测户{monitored}户，{persons}人":
        "Grids: {grids}; {households} households, {monitored} monitored, {persons} persons",
    "无": "none",
    "任职记录": "Assignment history",
    "网格编码": "Grid code",
    "网格名称": "Grid name",
    "职务": "Role",
    "起始日期": "From",
    "结束日期": "Until",
    "在任": "current",
    "姓名不能为空": "The name must not be empty",
    "手机号码应为11位数字：{phone}": "The mobile number must have 11 digits: {phone}",
    "身份证号码有误：{error}": "Invalid ID number: {error}",
    # the visit form
    "户主：{head}　证件号码：{id_number}<br>{place}　网格：{grid}<br>"
    "排查：{campaign}（{start:%Y-%m-%d} 至 {end:%Y-%m-%d}）":
        "Head: {head}　ID number: {id_number}<br>{place}　Grid: {grid}<br>"
        "Investigation: {campaign} ({start:%Y-%m-%d} to {end:%Y-%m-%d})",
    "未划入网格": "in no grid",
    "排查方式": "Method",
    "排查日期": "Date",
    "核查人": "Checked by",
    "核查人姓名": "Checker's name",
    "整户外出": "Whole household away",
    "三保障和饮水安全": "Three guarantees and drinking water",
    "住房安全有问题": "Housing is unsafe",
    "有义务教育阶段失学辍学": "A child dropped out of compulsory education",
    "有家庭成员未参加基本医疗保险": "A member has no basic medical insurance",
    "饮水安全有问题": "Drinking water is unsafe",
    "其他问题（可不填）": "Other problems (optional)",
    "排查结论": "Conclusion",
    "存在致返贫风险": "Risk of falling back into poverty",
    "致返贫风险类型": "Risk type",
    "拟纳入监测类型": "Proposed monitoring type",
    "（不纳入监测）": "(not monitored)",
    "拟风险消除回退": "Propose rolling back the risk elimination",
    "拟清退": "Propose removal",
    "仍然保存": "Save anyway",
    "注意：该记录将被标记为不合规（{flags}），不计入排查覆盖。":
        "Note: this record will be marked non-compliant ({flags}) and not count as covered.",
    # the new-investigation dialog
    "年度": "Year",
    "轮次": "Round",
    "名称": "Name",
    "监测收入基准线": "Monitoring income line",
    "预警收入线": "Early-warning income",
    "元/人·年": "yuan/person·year",
    "开始日期": "Start date",
    "覆盖的乡镇（其全部农村户）": "Townships covered (all their rural households)",
    "时间表": "Timetable",
    "里程碑": "Milestone",
    "完成日期": "Due date",
    "覆盖率目标（%）": "Coverage target (%)",
    "按排查日期重排时间表": "Fit the timetable to the dates",
    "添加里程碑": "Add milestone",
    "删除所选里程碑": "Delete selected milestone",
    "创建": "Create",
    "第{n}个里程碑的覆盖率目标不是数字：{text}":
        "The coverage target of milestone {n} is not a number: {text}",
    # the rebalancing dialog
    "每名网格员户数上限": "Households per worker at most",
    "第{n}网格": "Grid {n}",
    "{grids}个网格，共{households}户，每名网格员{low}–{high}户":
        "{grids} grids, {households} households, {low}–{high} per worker",
    "{name} {n}户": "{name} {n} households",
    # the visit list
    "走访清单": "Visit list",
    "序号": "No.",
    "户主姓名": "Head of household",
    "证件号码": "ID number",
    "人口": "Members",
    "村（社区）": "Village (community)",
    "户属性": "Household type",
    "监测类型": "Monitoring type",
    "排查状态": "Status",
    "距上一户（米）": "From previous (m)",
    "累计路程（米）": "Cumulative (m)",
    "备注": "Note",
    "导出Excel…": "Export Excel…",
    "导出PDF…": "Export PDF…",
    "刷新": "Refresh",
    "关闭": "Close",
    "无职务": "no role",
    "待走访 {n} 户": "{n} households to visit",
    "（位置未知 {n} 户）": " ({n} without location)",
    "路线约 {km:.2f} 公里（直线）": "route about {km:.2f} km (straight lines)",
    "双击一户可登记走访": "double-click a household to record a visit",
    "本版本尚不能在此登记走访": "This version cannot record visits here",
    "导出失败": "Export failed",
    "已导出": "Exported",
    # the investigation controller: the 排查覆盖 and 排查进度 docks
    "乡镇": "Township",
    "层级": "Level",
    "入户": "Home visit",
    "电话微信": "Phone/WeChat",
    "不合规": "Non-compliant",
    "未排查": "Unchecked",
    "未覆盖户数": "Not covered",
    "覆盖率": "Coverage",
    "合计 {households} 户，已覆盖 {covered} 户（{share:.1%}）":
        "{households} households in all, {covered} covered ({share:.1%})",
    "没有排查任务": "No investigation",
    "按": "By",
    "累计覆盖率": "Cumulative coverage",
    # -- attribute table (panels/attribute_table.py)
    "{shown:,} / {total:,} 行，已选择 {selected:,}":
        "{shown:,} / {total:,} rows, {selected:,} selected",
    "表达式中不能使用 @": "Expressions cannot use @",
    "表达式的结果不是每行一个是/否": "The expression does not give one yes/no per row",
    # filter expressions (analysis/filter_expression.py) and the expression builder
    "表达式…": "Expression…",
    "表达式构建器": "Expression builder",
    "值（双击插入）": "Values (double-click to insert)",
    "搜索值": "Search values",
    "确定": "OK",
    "表达式有效": "The expression is valid",
    "表达式为空": "The expression is empty",
    "表达式语法有误：请检查“{near}”附近的括号、引号和运算符":
        "Syntax error: check the brackets, quotes and operators near “{near}”",
    "表达式语法有误：请检查括号、引号和运算符":
        "Syntax error: check the brackets, quotes and operators",
    "引号没有配对：{near}": "Unmatched quote: {near}",
    "没有名为“{name}”的字段": "There is no field named “{name}”",
    "不支持的写法：{what}": "Not supported: {what}",
    "in 后的列表只能包含值：{what}": "The list after in may hold only values: {what}",
    '{test}(…) 需要一个文字，如 {test}("张")': '{test}(…) needs one text, e.g. {test}("Li")',
    "不支持的函数：{name}（可用 startswith、endswith、contains、slice、len、isna、notna）":
        "Unsupported function: {name} (use startswith, endswith, contains, slice, len, isna, "
        "notna)",
    "“{what}”不是条件（是/否），请用 ==、>、in 等比较":
        "“{what}” is not a condition (yes/no): compare it with ==, >, in …",
    "无法计算：{what}": "Cannot compute: {what}",
    "is 后只能是 null：{what}": "Only null may follow is: {what}",
    'in 后应是一组值，如 in ["甲", "乙"]': 'in needs a list of values, e.g. in ["A", "B"]',
    "无法比较：{what}": "Cannot compare: {what}",
    "字段“{field}”没有“{value}”这个值，可选：{choices}":
        "Field “{field}” has no value “{value}”; choose from: {choices}",
    "字段“{field}”是数字，“{value}”不是数字": "Field “{field}” holds numbers; “{value}” is not one",
    "“{value}”不是日期，请写成 2024-06-30": "“{value}” is not a date: write it as 2024-06-30",
    # values shown in the table: yes/no and the ledger's codes
    "是": "Yes",
    "否": "No",
    "脱贫户": "Lifted out of poverty",
    "档外农户": "Not on the register",
    "脱贫不稳定户": "Unstable after lifting",
    "边缘易致贫户": "Marginal, at risk",
    "突发严重困难户": "Sudden severe hardship",
    # placing a household in another village, and the rule that flags it
    "放到别村？": "Place in another village?",
    "户主{head}登记在{registered}，所点的位置却在{found}。放在这里，该户将计入{found}的网格和户数均衡，"
    "网格规则也会标出它。仍要放在这里吗？":
        "Household head {head} is registered in {registered}, but this point is in {found}. "
        "Placed here, the household counts in {found}'s grids and rebalancing, and the grid "
        "rules will flag it. Place it here anyway?",
    "户主{head}登记在{registered}，所点的位置不在任何村内。仍要放在这里吗？":
        "Household head {head} is registered in {registered}, but this point is in no "
        "village. Place it here anyway?",
    "户主{head}登记在{registered}，所选位置在{found}；放到别村须先确认":
        "Household head {head} is registered in {registered} and the point is in {found}: "
        "placing it in another village must be confirmed",
    "户主{head}登记在{registered}，所选位置不在任何村内；须先确认":
        "Household head {head} is registered in {registered} and the point is in no "
        "village: this must be confirmed",
    "户主{head}登记在{registered}，位置却在{found}":
        "Household head {head} is registered in {registered} but lies in {found}",
    "户主{head}登记在{registered}，位置却不在任何村内":
        "Household head {head} is registered in {registered} but lies in no village",
    "农户不在登记村内": "Household outside its registered village",
    # the rules check on its thread (网格规则)
    "正在检查网格规则…": "Checking the grid rules…",
    "已取消检查": "Check cancelled",
    "检查失败：{error}": "Check failed: {error}",
    "错误": "Error",
    "警告": "Warning",
    "{kind}：{rule}": "{kind}: {rule}",
    # the roster's search box
    "搜索姓名、电话尾号或网格": "Search name, phone's last digits or grid",
    "{shown} / {total} 名": "{shown} / {total} workers",
    # the roster controller: 网格员, 网格树, 网格规则 and the visit list
    "退出…": "Retire…",
    "{names}退出后，其在任的网格分配于今日结束（可撤销）。确定吗？":
        "When {names} retire, their current grid assignments end today (undoable). Continue?",
    "所选网格员在所选网格上没有在任的分配":
        "The selected workers hold no current assignment on the selected grids",
    "已取消分配 {n} 项": "{n} assignments ended",
    "该位置不在任何网格内": "This place is in no grid",
    "已添加网格员{name}": "Worker {name} added",
    "网格长": "Grid captain",
    "副网格长": "Deputy grid captain",
    "一级网格员": "Level-1 grid worker",
    "二级网格员": "Level-2 grid worker",
    "三级网格员": "Level-3 grid worker",
    "结对帮扶责任人": "Paired helper",
    "检查网格规则": "Check grid rules",
    "规则": "Rule",
    "说明": "Description",
    "编码": "Code",
    "未发现问题": "No problems found",
    "位置未知": "Location unknown",
    "证件号码无效": "Invalid ID number",
    "监测对象缺监测类型": "Monitored household without monitoring type",
    "非监测对象有监测类型": "Monitoring type on a household not monitored",
    "监测对象无结对帮扶人": "Monitored household without paired helper",
    "家庭人口数无效": "Invalid number of members",
    "网格无负责人": "Grid without responsible worker",
    "网格员超出户数上限": "Worker over the household limit",
    "网格重叠": "Grids overlap",
    "网格空隙": "Gap between grids",
    "网格跨村界": "Grid crosses a village boundary",
    "网格无所属村": "Grid in no village",
    "网格几何无效": "Invalid grid geometry",
    "农户不在任何网格内": "Household in no grid",
    "农户同时在两个网格内": "Household in two grids",
    "农户网格与位置不符": "Household's grid does not match its location",
    # the grid editing controller (网格 menu, grids toolbar)
    "在地图上画一条穿过网格的线，双击或回车结束":
        "Draw a line across a grid on the map; double-click or press Enter to finish",
    "在地图上逐点画出新网格的边界，双击或回车结束":
        "Click the new grid's boundary point by point; double-click or press Enter to finish",
    # -- the codes' labels (core/codes.py, core/coverage.py): shown wherever a code is
    "入户排查": "Home visit",
    "电话、微信等排查": "By phone or WeChat",
    "电话、微信排查": "By phone or WeChat",
    "排查不合规": "Non-compliant check",
    "因病": "Illness",
    "因学": "Schooling",
    "因残": "Disability",
    "因自然灾害": "Natural disaster",
    "因意外事故": "Accident",
    "因产业项目失败": "Failed business",
    "因务工就业不稳": "Unstable work",
    "缺劳动力": "Lack of labour",
    "其他": "Other",
    "县": "County",
    "村/社区": "Village/community",
    "洪涝": "Flood",
    "干旱": "Drought",
    "滑坡": "Landslide",
    "泥石流": "Debris flow",
    "崩塌": "Collapse",
    "山洪": "Mountain torrent",
    "极高": "Extreme",
    "高": "High",
    "中": "Medium",
    "低": "Low",
    "农户自主申报": "Self-reported",
    "基层干部排查": "Found by local cadres",
    "部门筛查预警": "Department screening",
    "关联监测": "Associated monitoring",
    "农户申请": "Household application",
    "入户核查": "Home verification",
    "村级民主评议": "Village review",
    "乡镇联合审核": "Township review",
    "县级比对审定": "County approval",
    "识别认定": "Identification",
    "风险消除": "Risk elimination",
    "办理中": "In progress",
    "已认定": "Approved",
    "已消除": "Eliminated",
    "风险回退": "Rolled back",
    "清退": "Removed",
    "不予认定": "Not approved",
    "产业": "Industry",
    "就业": "Employment",
    "金融": "Finance",
    "公益性岗位": "Public-welfare job",
    "住房安全": "Housing safety",
    "饮水安全": "Drinking water",
    "健康": "Health",
    "教育": "Education",
    "综合保障": "Social security",
    "社会帮扶": "Social help",
    "生产生活条件改善": "Better living conditions",
    "扶志扶智": "Motivation and skills",
    "残疾人帮扶": "Disability support",
    "高斯-克吕格坐标": "Gauss–Krüger coordinates",
    "点图层匹配": "Matched from a point layer",
    "地图点选": "Picked on the map",
    # the compliance rules (core/compliance.py)
    "电话、微信等方式排查，但该户并非整户外出（只有整户外出的农户才可电话、微信排查）":
        "Checked by phone or WeChat although the household is not away (only a household "
        "away as a whole may be checked so)",
    "未填写核查人": "No checker given",
    "排查日期为空或不在本次集中排查时段内": "No date, or a date outside the investigation",
    "同一户在本次排查中被多次排查，是否存在风险、风险类型或拟纳入监测类型前后不一致":
        "The household was checked several times with differing risk, risk type or "
        "proposed monitoring type",
    "排查方式无效（应为1入户排查或2电话、微信等排查）":
        "Invalid method (1 home visit or 2 by phone or WeChat)",
    # -- words the language walk found untranslated (tests/ui/test_language_walk.py)
    "地图工具": "Map tools",
    "网格编辑": "Grid editing",
    "、": ", ",
    "{name}（{roles}）": "{name} ({roles})",
    "{head}（{village}，证件{id_number}）": "{head} ({village}, ID {id_number})",
    "位置未知：{n} 户": "Without location: {n} households",
    "未知村": "unknown village",
    "地图.png": "map.png",
    "XYZ 地址，如 http://县服务器/tiles/{z}/{x}/{y}.png（留空则不用底图）":
        "XYZ address, e.g. http://county-server/tiles/{z}/{x}/{y}.png (empty: no basemap)",
    "未找到": "Not found",
    "（要素已不存在）": "(the feature no longer exists)",
    "已保存": "Saved",
    "已设置位置，所属网格：{grid}": "Location set; grid: {grid}",
    "项目 (*.gmp *.sqlite *.db);;所有文件 (*)": "Projects (*.gmp *.sqlite *.db);;All files (*)",
    "postgresql://用户@主机:端口/数据库": "postgresql://user@host:port/database",
    "选择.xlsx": "selection.xlsx",
    "已导出 {n} 条：{path}": "Exported {n} rows: {path}",
    "正在导出 {file}…": "Exporting {file}…",
    "已取消导出，未写入文件": "Export cancelled: no file was written",
    "走访清单_{name}": "visit_list_{name}",
    "（未划入网格）": "(in no grid)",
    "（未知乡镇）": "(unknown township)",
    "（未知村）": "(unknown village)",
    "无法写入 {path}": "Cannot write {path}",
    # the visit list's notes and the visit form's flags (services/visit_list_service.py,
    # services/record_service.py)
    "{first}；{then}": "{first}; {then}",
    "已排查但不合规，需重新排查": "Checked but non-compliant: check again",
    "电话核查但非全家外出": "By phone, household not away",
    "无核查人": "No checker",
    "日期不在排查期内": "Date outside the investigation",
    "重复核查结论冲突": "Repeated checks disagree",
    # identify's composed values (services/identify.py)
    "（编号{id}）": "(no. {id})",
    "，": ", ",
    "；": "; ",
    "{name}（{details}）": "{name} ({details})",
    "{name}（{code}）": "{name} ({code})",
    "{kind}·{status}（{day}起）": "{kind} · {status} (since {day})",
    "{kind}·{status}": "{kind} · {status}",
    "{kind}（{level}风险）": "{kind} ({level} risk)",
    # the importers' findings (io/, services/import_service.py, household_import.py)
    "坐标不在中国范围内（可能坐标系错误）":
        "Coordinates outside China (perhaps the wrong coordinate system)",
    "要素没有几何图形（几何为空）": "The feature has no geometry (empty)",
    "坐标值无效（不是数字）": "Invalid coordinates (not numbers)",
    "几何图形无效（{why}）且无法修复": "Invalid geometry ({why}) that cannot be repaired",
    "几何图形无效（{why}），已自动修复": "Invalid geometry ({why}), repaired",
    "家庭人口数应为不小于1的整数": "The number of members must be a whole number of at least 1",
    "填写了监测类型，但户属性不是“2.监测对象”":
        "A monitoring type is given but the household type is not “2. Monitored”",
    "户属性为“2.监测对象”，但未填写监测类型":
        "The household type is “2. Monitored” but no monitoring type is given",
    "经度和纬度须同时填写": "Longitude and latitude go together",
    "必填项为空": "Required value missing",
    "坐标不在中国范围内（应在{low}～{high}之间，可能经纬度填反或坐标系错误）":
        "Coordinates outside China (expected {low}–{high}; longitude and latitude swapped or "
        "the wrong coordinate system?)",
    "WKT几何图形无法解析": "The WKT geometry cannot be read",
    "共{count}行有问题，仅列出前{shown}行":
        "{count} rows have problems; the first {shown} are listed",
    "文件未声明坐标系，且无法根据坐标值判断坐标系，{need}":
        "The file declares no coordinate system and none can be told from the coordinates; "
        "{need}",
    "文件声明为经纬度坐标，但坐标值是平面坐标（米），已按坐标值判断坐标系":
        "The file declares lon/lat but its coordinates are planar (metres); the coordinate "
        "system was told from the coordinates",
    "文件未声明坐标系，坐标为经纬度，已按CGCS2000（EPSG:4490）读取":
        "The file declares no coordinate system; its lon/lat were read as CGCS2000 (EPSG:4490)",
    "文件未声明坐标系，按坐标值判断为CGCS2000高斯-克吕格{kind}第{zone}带（EPSG:{epsg}），如有误"
    "请用 --crs 指定":
        "The file declares no coordinate system; its coordinates look like CGCS2000 "
        "Gauss–Krüger {kind} zone {zone} (EPSG:{epsg}); if not, give --crs",
    "坐标的X、Y可能颠倒（X像北坐标、Y像带带号的东坐标），请交换后再导入":
        "X and Y may be swapped (X looks northing, Y an easting with its zone): swap them and "
        "import again",
    "文件未声明坐标系，坐标为不带带号的高斯-克吕格平面坐标（6位横坐标），无法确定投影带，{need}":
        "The file declares no coordinate system; its Gauss–Krüger coordinates carry no zone "
        "(6-digit eastings), so the zone is unknown; {need}",
    "文件未声明坐标系，坐标值像Web墨卡托（EPSG:3857，网络地图常用），如确实如此，请用 --crs 3857"
    " 导入":
        "The file declares no coordinate system; its coordinates look like Web Mercator "
        "(EPSG:3857, used by web maps): if so, import with --crs 3857",
    "文件中有{n}个图层（{names}），已读取“{name}”":
        "The file has {n} layers ({names}); “{name}” was read",
    "部分文字无法按{encoding}解码（如被截断的字段名），已用“�”代替":
        "Some text cannot be decoded as {encoding} (a cut field name, say); “�” stands in",
    "“{value}”不是有效的网格职务，应为：{roles}": "“{value}” is not a grid role; use: {roles}",
    "联系电话应为11位手机号码（当前值“{value}”）":
        "The phone must be an 11-digit mobile number (now “{value}”)",
    "户主{head}不在任何三级网格内，已导入但未分配网格":
        "Household head {head} is in no level-3 grid: imported without a grid",
    "项目中没有这个村：{township}{village}": "The project has no such village: {township}{village}",
    "户主{head}的位置({x}, {y})不在本县任何村内（可能坐标系错误）":
        "Household head {head} at ({x}, {y}) lies in no village of the county (perhaps the "
        "wrong coordinate system)",
    "证件号码{tail}（尾号）的农户已在项目中":
        "The household with ID number ending {tail} is already in the project",
    "点图层中缺少【户主证件号码】列，无法与农户匹配":
        "The point layer has no [head's ID number] column to match households with",
    "项目中没有这个证件号码的农户": "The project has no household with this ID number",
    "高斯-克吕格坐标没有带号，无法判断投影带（第{rows}条），请用 --crs 指定坐标系（如 EPSG:4525）":
        "Gauss–Krüger coordinates without a zone number (rows {rows}): give the coordinate "
        "system with --crs (e.g. EPSG:4525)",
    "EPSG:{code} 不是国家2000 3度带高斯-克吕格坐标系":
        "EPSG:{code} is not a CGCS2000 3-degree Gauss–Krüger system",
    "网格编码重复：{code}": "Grid code repeated: {code}",
    "项目中没有行政区划{code}（请先导入乡镇和村界）":
        "The project has no unit {code} (import townships and villages first)",
    "文件不存在": "The file does not exist",
    "区划代码重复：{code}": "Unit code repeated: {code}",
    "“{name}”位于项目中已有的乡镇内，像是村界；导入村界时须有【{column}】列写明所属乡镇（没有该"
    "列的文件按乡镇界导入）":
        "“{name}” lies inside a township of the project and looks like a village: villages "
        "need a [{column}] column naming their township (files without it are imported as "
        "townships)",
    "电话{tail}（尾号）的网格员已在项目中":
        "The worker with phone ending {tail} is already in the project",
    "项目中没有对应年度的集中排查": "The project has no investigation of that year",
    "缺少必填列【排查方式】": "Required column [排查方式] missing",
    "项目中没有乡镇{code}（请先导入乡镇界）":
        "The project has no township {code} (import townships first)",
    "项目中没有网格{code}": "The project has no grid {code}",
    "缺少必填列【{column}】": "Required column [{column}] missing",
    # -- the services' messages (refusals, findings), matched as templates by Translator.message
    "修改": "changed",
    "删除": "deleted",
    "{name}已被他人{verb}，本次操作未保存，请刷新后重试":
        "{name} was {verb} by someone else; nothing was saved: refresh and try again",
    "{name}已被{user}于{at:%Y-%m-%d %H:%M}{verb}，本次操作未保存，请刷新后重试":
        "{name} was {verb} by {user} at {at}; nothing was saved: refresh and try again",
    "{name}已被重新创建，不能恢复": "{name} was created again and cannot be restored",
    "保存失败，数据与已有记录冲突（{error}），未写入任何数据":
        "Not saved: the data conflict with a stored record ({error}); nothing was written",
    "刷新数据时出错，已重新读取项目：{error}":
        "Error while refreshing; the project was read again: {error}",
    "读取其他用户的修改时出错：{error}": "Error reading other users' edits: {error}",
    "农户“{name}”": "household “{name}”",
    "家庭成员“{name}”": "member “{name}”",
    "网格员“{name}”": "worker “{name}”",
    "网格“{name}”（{code}）": "grid “{name}” ({code})",
    "网格“{name}”": "grid “{name}”",
    "行政区“{name}”": "unit “{name}”",
    "排查任务“{name}”": "investigation “{name}”",
    "排查里程碑“{name}”": "milestone “{name}”",
    "安置点“{name}”": "resettlement site “{name}”",
    "灾害隐患区“{name}”": "hazard zone “{name}”",
    "灾害隐患点“{name}”": "hazard point “{name}”",
    "{noun}（编号{key}）": "{noun} (no. {key})",
    "家庭成员": "member",
    "网格分配": "assignment",
    "结对帮扶": "helper pairing",
    "排查任务": "investigation",
    "排查里程碑": "milestone",
    "排查乡镇": "investigation township",
    "走访记录": "visit record",
    "灾害隐患区": "hazard zone",
    "灾害隐患点": "hazard point",
    "监测帮扶事项": "monitoring case",
    "风险线索": "risk clue",
    "记录": "record",
    "行政区": "administrative unit",
    # the rules' findings (services/project_service.py, analysis/grid_quality.py)
    "户主{head}（{village}）位置未知，需在地图上补点":
        "Household head {head} ({village}) has no location: place it on the map",
    "户主{head}的证件号码校验不通过": "The ID number of household head {head} fails its check",
    "监测对象{head}未填写监测类型": "Monitored household {head} has no monitoring type",
    "{head}不是监测对象却填写了监测类型": "{head} is not monitored but has a monitoring type",
    "监测对象{head}（{village}）没有结对帮扶责任人":
        "Monitored household {head} ({village}) has no paired helper",
    "{head}的家庭人口数小于1": "{head} has fewer than one member",
    "{name}（{level}）没有负责的网格员": "{name} ({level}) has no responsible worker",
    "网格员{name}负责{n}户，超过上限{limit}户":
        "Worker {name} covers {n} households, over the limit of {limit}",
    "户主{head}": "head {head}",
    "三级网格 {code} 的图形无效（自相交等）":
        "Level-3 grid {code} has an invalid shape (self-intersecting or the like)",
    "三级网格 {code} 与 {other} 重叠 {area} 平方米":
        "Level-3 grids {code} and {other} overlap by {area} m²",
    "三级网格 {code} 的所属村 {village} 不在村图层中":
        "The village {village} of level-3 grid {code} is not in the village layer",
    "（空）": "(empty)",
    "三级网格 {code} 超出所属村 {village} 边界 {area} 平方米":
        "Level-3 grid {code} reaches {area} m² beyond its village {village}",
    "村 {code} 有 {area} 平方米不在本村任何三级网格内":
        "{area} m² of village {code} lie in none of its level-3 grids",
    "农户 {household} 不在任何三级网格内": "Household {household} is in no level-3 grid",
    "农户 {household} 同时位于三级网格 {grids} 内":
        "Household {household} lies in level-3 grids {grids} at once",
    "农户 {household} 登记在三级网格 {grid}，但位于三级网格 {found} 内":
        "Household {household} is registered in level-3 grid {grid} but lies in {found}",
    "农户 {household} 未登记所属三级网格，位于三级网格 {found} 内":
        "Household {household} has no registered level-3 grid and lies in {found}",
    "{name}登记在{village}，位置却在{found}":
        "{name} is registered in {village} but lies in {found}",
    "{name}登记在{village}，位置却不在任何村内":
        "{name} is registered in {village} but lies in no village",
    # refusals of the services, analyses and storage
    "统计层级应为1（乡镇）、2（村）或3（三级网格），而不是{level}":
        "The level must be 1 (township), 2 (village) or 3 (level-3 grid), not {level}",
    "农户{household}不在本次集中排查的范围内": "Household {household} is not in this investigation",
    "图层坐标系不一致：农户坐标为经纬度，三级网格图层为 {crs}":
        "The layers' coordinate systems differ: households in lon/lat, level-3 grids in {crs}",
    "{what}的坐标系应为 EPSG:4490（CGCS2000 经纬度）":
        "{what} must be in EPSG:4490 (CGCS2000 lon/lat)",
    "{what}必须是面（Polygon 或 MultiPolygon）": "{what} must be an area (Polygon or MultiPolygon)",
    "{what}的图形无效（自相交等），请先修复":
        "{what} has an invalid shape (self-intersecting or the like): repair it first",
    "{what}的坐标不是中国范围内的经纬度，需要 EPSG:4490（CGCS2000）坐标":
        "{what} has no lon/lat coordinates in China: EPSG:4490 (CGCS2000) is needed",
    "户坐标应为 n×2 的经纬度数组": "Household coordinates must be an n×2 array of lon/lat",
    "分割线必须是线（LineString）": "The split line must be a line (LineString)",
    "分割线没有完整穿过网格：线的端点在网格内部":
        "The line does not cross the grid completely: an end lies inside the grid",
    "分割线没有完整穿过网格": "The line does not cross the grid completely",
    "没有选择网格": "No grid selected",
    "所选网格不相邻，不能合并": "The selected grids are not neighbours and cannot be merged",
    "所画网格不在任何村的范围内": "The grid drawn lies in no village",
    "保留人工调整需要提供当前所属网格 current":
        "Keeping manual placements needs the current grids (current)",
    "override_mask、current 的长度必须与户数相同":
        "override_mask and current must have one value per household",
    "各网格的户数比例必须为正数": "Each grid's share of households must be positive",
    "网格数必须至少为 1": "There must be at least 1 grid",
    "户数比例的个数必须等于网格数": "There must be one share of households per grid",
    "只有 {unique} 个不同的户位置（{n} 户），不能分成 {k} 个网格":
        "Only {unique} distinct household locations ({n} households): cannot make {k} grids",
    "{what}没有坐标系，无法计算": "{what} has no coordinate system: cannot compute",
    "图层坐标系不一致：{left}为 {left_crs}，{right}为 {right_crs}，请先转换到同一坐标系":
        "The layers' coordinate systems differ: {left} is {left_crs}, {right} is {right_crs}; "
        "convert them to one first",
    "图层为空或坐标无效，无法选择高斯-克吕格投影带":
        "The layer is empty or its coordinates are invalid: no Gauss–Krüger zone can be chosen",
    "点图层中含有非点要素": "The point layer holds features that are not points",
    "当前网格图层缺少 worker（网格员）列": "The grid layer has no worker column",
    "当前网格图层没有坐标系，应为 EPSG:4490（CGCS2000 经纬度）":
        "The grid layer has no coordinate system; it must be EPSG:4490 (CGCS2000 lon/lat)",
    "没有网格员，无法划分网格": "No workers: the grids cannot be drawn",
    "网格员名单中有重复": "A worker is listed twice",
    "每名网格员的户数上限必须至少为 1": "The households per worker must be at least 1",
    "x、y坐标的个数不一致": "There are not as many x as y coordinates",
    "坐标中有空值或无效值，位置未知的点不能参与路线计算":
        "Some coordinates are empty or invalid: points without location cannot be routed",
    "起点序号{index}超出范围（共{n}个点）": "Start {index} is out of range ({n} points)",
    "{where}：标题应为字符串或 {zh=…, en=…}": "{where}: a title must be a text or {zh=…, en=…}",
    "{where}：颜色“{value}”应为 #rrggbb 或 #rrggbbaa":
        "{where}: colour “{value}” must be #rrggbb or #rrggbbaa",
    "{where}：未知的键 {keys}": "{where}: unknown keys {keys}",
    "{where}：kind 应为 single/categorized/graduated/rule-based":
        "{where}: kind must be single/categorized/graduated/rule-based",
    "{where}：至少需要一个 classes 条目": "{where}: at least one classes entry is needed",
    "{where}：{kind} 样式需要 field": "{where}: a {kind} style needs field",
    "{name}：无法解析（{error}）": "{name}: cannot be read ({error})",
    "{where}：缺少 {key}": "{where}: {key} is missing",
    "{where}：样式 {style} 不存在于 styles/": "{where}: style {style} is not in styles/",
    "{text} 不是有效的{what}": "{text} is not a valid {what}",
    "经度 {longitude} 不在中国范围（3度带 25–45）内":
        "Longitude {longitude} is not in China (3-degree zones 25–45)",
    "不支持的输出格式“{suffix}”（可用：.gpkg .shp .geojson .xlsx）":
        "Unsupported output format “{suffix}” (use .gpkg .shp .geojson .xlsx)",
    "图层没有坐标系，无法写出": "The layer has no coordinate system and cannot be written",
    "{error}；几何图形过于复杂，请导出为GeoPackage（.gpkg）":
        "{error}; the shapes are too complex: export to GeoPackage (.gpkg)",
    "列【{name}】有{n}个值不是{what}：{shown}":
        "Column [{name}] has {n} values that are not {what}: {shown}",
    "有{n}个单元格超过Excel单元格32767字符的上限":
        "{n} cells exceed Excel's limit of 32767 characters",
    "未找到中文字体，无法生成PDF。请安装文泉驿微米黑（fonts-wqy-microhei）或思源黑体，或用环境变量 "
    "GIS_APP_CJK_FONT 指定字体文件（.ttf/.ttc/.otf）":
        "No Chinese font found: cannot make the PDF. Install WenQuanYi Micro Hei "
        "(fonts-wqy-microhei) or Source Han Sans, or name a font file (.ttf/.ttc/.otf) in "
        "GIS_APP_CJK_FONT",
    "项目中没有编号为{worker}的网格员": "The project has no worker no. {worker}",
    "不能修改的字段：{fields}": "Fields that cannot be changed: {fields}",
    "未知的职务：{role}": "Unknown role: {role}",
    "网格不存在：{grids}": "No such grid: {grids}",
    "已退出的网格员不能再分配网格": "A retired worker cannot be assigned grids",
    "项目中没有{year}年的集中排查": "The project has no investigation in {year}",
    "项目中没有编号为{campaign}的集中排查": "The project has no investigation no. {campaign}",
    "项目中还没有集中排查，请先导入或创建排查任务":
        "The project has no investigation yet: import or create one first",
    "未知的图层或表：{name}（可选：{choices}）":
        "Unknown layer or table: {name} (choose from: {choices})",
    "用户{user}无权导出未脱敏的个人信息（证件号码、电话）":
        "User {user} may not export unmasked personal data (ID numbers, phones)",
    "导出{what}：{name}": "Export {what}: {name}",
    "不支持的导出格式：{suffix}（可用 .gpkg .geojson .shp .xlsx .qgs .qgz）":
        "Unsupported export format: {suffix} (use .gpkg .geojson .shp .xlsx .qgs .qgz)",
    "QGIS 项目包含全部图层，不能只导出一个图层":
        "A QGIS project holds every layer: it cannot be exported for one layer",
    "GeoPackage {gpkg} 应与项目文件 {name} 在同一文件夹":
        "GeoPackage {gpkg} must be in the project file {name}'s folder",
    "导出的图层没有字段{field}": "The exported layer has no field {field}",
    "导出的图层没有字段{field}（{rule}）": "The exported layer has no field {field} ({rule})",
    "无法转换为QGIS表达式：{rule}（位置{at}）":
        "Cannot be written as a QGIS expression: {rule} (at {at})",
    "未知的样式类型：{kind}": "Unknown style kind: {kind}",
    "表{name}没有几何图形，请导出为 .xlsx 或 .gpkg":
        "Table {name} has no geometry: export it as .xlsx or .gpkg",
    "{what}必须是面（Polygon）": "{what} must be an area (Polygon)",
    "{what}是空的": "{what} is empty",
    "{what}无效（边界自相交等），请重新绘制":
        "{what} is invalid (its boundary crosses itself or the like): draw it again",
    "{what}的坐标不是中国范围内的经纬度（EPSG:4490）":
        "{what} has no lon/lat coordinates in China (EPSG:4490)",
    "{what}必须是整数": "{what} must be a whole number",
    "拆分的网格数至少为 2": "Split into at least 2 grids",
    "{name}只有{located}户有位置，不能分成{parts}个网格":
        "{name} has only {located} located households: cannot split it into {parts} grids",
    "至少选择两个网格才能合并": "Select at least two grids to merge",
    "所选网格不在同一个村，不能合并":
        "The selected grids are not in one village and cannot be merged",
    "所画网格在村内没有面积": "The grid drawn has no area inside the village",
    "不是有效的网格划分方案": "Not a valid grid proposal",
    "该方案不是为这个村生成的": "The proposal was not made for this village",
    "方案中没有网格": "The proposal has no grids",
    "方案的坐标系应为 EPSG:4490（CGCS2000 经纬度）":
        "The proposal must be in EPSG:4490 (CGCS2000 lon/lat)",
    "村不存在：{village}": "No such village: {village}",
    "{name}没有村界，不能划分网格": "{name} has no boundary: its grids cannot be drawn",
    "网格员不存在：{workers}": "No such worker: {workers}",
    "已退出的网格员不能分配网格：{retired}": "Retired workers cannot be assigned grids: {retired}",
    "网格名称不能为空，且不超过64个字":
        "A grid's name must not be empty nor longer than 64 characters",
    "所画网格完全覆盖了{name}，请改用合并网格":
        "The grid drawn covers all of {name}: merge grids instead",
    "新增网格": "New grid",
    "方案中的网格员编号无效": "The proposal names an unknown worker",
    "村里的户或网格已有变化，请重新生成方案":
        "The village's households or grids have changed: generate the proposal again",
    "{name}的网格没有三级网格员，请选择网格员":
        "The grids of {name} have no level-3 grid workers: choose workers",
    "只能编辑三级网格（{name}是{level}级网格）":
        "Only level-3 grids can be edited ({name} is a level-{level} grid)",
    "{name}没有边界，不能编辑": "{name} has no boundary and cannot be edited",
    "项目中没有编号为{household}的农户": "The project has no household no. {household}",
    "未知的导入类型：{kind}（可选：{choices}）":
        "Unknown import kind: {kind} (choose from: {choices})",
    "选择的长度与图层要素数不一致": "The selection does not have one value per feature",
    "走访记录没有这些字段：{fields}": "A visit record has no such fields: {fields}",
    "存在致返贫风险时请选择风险类型": "With a risk, choose the risk type",
    "未勾选“存在致返贫风险”时不应填写风险类型":
        "Without “Risk of falling back into poverty” no risk type may be given",
    "未勾选“存在致返贫风险”时不应拟纳入监测":
        "Without “Risk of falling back into poverty” no monitoring may be proposed",
    "请选择{field}": "Choose {field}",
    "{field}无效：{value}": "Invalid {field}: {value}",
    "排查日期无效：{value}": "Invalid date: {value}",
    "项目中还没有这个集中排查，请先新建排查任务":
        "The project has no such investigation: create it first",
    "该户不在本次集中排查的乡镇范围内": "The household is not in this investigation's townships",
    "项目中已有数据，不能再写入示例县：{location}":
        "The project already holds data; the sample county cannot be written into it: {location}",
    "项目文件已存在：{location}（请换一个文件名或先删除它）":
        "The project file exists: {location} (choose another name or delete it first)",
    "没有名为（或编号为）“{text}”的网格员": "No worker named (or numbered) “{text}”",
    "有{n}位网格员同名：{listed}，请改用编号": "{n} workers share the name: {listed}; use a number",
    "用户{user}无权查看未脱敏的个人信息（证件号码、电话）":
        "User {user} may not see unmasked personal data (ID numbers, phones)",
    "没有编号为{worker}的网格员": "No worker no. {worker}",
    "不支持的走访清单格式：{suffix}（可用 .xlsx .pdf）":
        "Unsupported visit list format: {suffix} (use .xlsx .pdf)",
    "导出走访清单：{name}": "Export the visit list: {name}",
    "未知的{what}：{values}": "Unknown {what}: {values}",
    "项目文件不存在：{path}": "The project file does not exist: {path}",
    "项目路径是一个文件夹，不是项目文件：{path}":
        "The project path is a folder, not a project file: {path}",
    "不是有效的项目文件：{path}": "Not a valid project file: {path}",
    "无法连接数据库服务器：{server}: {error}":
        "Cannot connect to the database server: {server}: {error}",
    # The map: its state kept in the project, snapshots (issue 9)
    "图层状态未能保存": "The layers' display could not be saved",
    "{county}防返贫监测网格图": "{county}: grid map of the monitoring against return to poverty",
    "制图日期": "Map date",
    # Importing a county's files from the window (issue 9: files in and out)
    "导入文件…": "Import a file…",
    "GeoPackage、Shapefile、geojson、Excel 或 CSV 文件":
        "A GeoPackage, Shapefile, GeoJSON, Excel or CSV file",
    "浏览…": "Browse…",
    "类型": "Kind",
    "导入": "Import",
    "按文件": "As in the file",
    "文件未声明坐标系或声明有误时填写EPSG代码，如 3857、4546":
        "The EPSG code when the file declares no CRS or a wrong one, e.g. 3857, 4546",
    "坐标为火星坐标（手机地图采集），导入时转换":
        "Coordinates are GCJ-02 (phone map apps): convert them",
    "按编码更新项目中已有的要素（替换几何图形和属性，可撤销）":
        "Update features already in the project by code (geometry and attributes; undoable)",
    "坐标系 EPSG": "CRS (EPSG)",
    "（文件只有一个图层）": "(the file holds one layer)",
    "数据文件 (*.gpkg *.shp *.geojson *.json *.xlsx *.xlsm *.csv);;所有文件 (*)":
        "Data files (*.gpkg *.shp *.geojson *.json *.xlsx *.xlsm *.csv);;All files (*)",
    "文件有误，未导入任何数据": "The file has errors; nothing was imported",
    "正在读取并检查 {file}…": "Reading and checking {file}…",
    "正在写入项目…": "Writing into the project…",
    "已取消导入，未写入任何数据": "Import cancelled: nothing was written",
    "已导入 {n} 条：{file}": "Imported {n} rows: {file}",
    "（按编码更新 {updated} 条，{unchanged} 条未改动）":
        " ({updated} updated by code, {unchanged} unchanged)",
    "项目中已有 {n} 个相同编码的{what}：{codes}":
        "The project already holds {n} {what} with these codes: {codes}",
    "是否按编码更新？将替换它们的几何图形和属性，原值记入审计日志，可撤销。选“否”则不导入任何数"
    "据。":
        "Update them by code? Their geometry and attributes are replaced, the old values kept "
        "in the audit log, and the import can be undone. Otherwise nothing is imported.",
    "按编码更新": "Update by code",
    "不导入": "Do not import",
    " 第{row}行": " row {row}",
    "行政区界": "Boundaries",
    "安置点": "Resettlement sites",
    "灾害隐患": "Hazards",
    "排查记录": "Visit records",
    "{cpg}声明的属性编码为{declared}，但属性文字实为{actual}编码（按{declared}读取会成为乱码），"
    "已按{actual}读取；请更正或删除{cpg}":
        "{cpg} declares the attributes' encoding as {declared}, but the text is {actual} (read "
        "as {declared} it would be garbled); read as {actual}. Please correct or delete {cpg}",
    "图层的全部{n}个要素都不在本县范围内（距本县约{km}公里），请检查文件是否属于本县、坐标系是否"
    "正确":
        "None of the layer's {n} features touches the county's extent (about {km} km away): "
        "check that the file belongs to this county and that its CRS is right",
    "{n}个要素不在本县范围内（第{rows}个，最远约{km}公里），请检查":
        "{n} features lie outside the county's extent (features {rows}, up to {km} km away): "
        "please check them",
    "项目中已有{n}个相同编码的{what}：{codes}。如为新一期调查，可按编码更新（替换其几何图形和属性，"
    "原值记入审计日志，可撤销）：命令行加 --update，窗口中在导入时选择“按编码更新”":
        "The project already holds {n} {what} with these codes: {codes}. For a new survey, "
        "update them by code (geometry and attributes replaced, old values in the audit log, "
        "undoable): --update on the command line, “Update by code” in the window",
    "编码重复：{code}": "Code given twice: {code}",
    # Disasters: hazard surveys' levels and radii, events and their clues (issue 10)
    "灾害": "Disaster",
    "风险等级无效：{value}（应为1–4或极高、高、中、低）":
        "Invalid risk level: {value} (1–4, or extreme, high, medium, low written "
        "[极高], [高], [中], [低])",
    "威胁半径无效：{value}（应为不小于0的米数）":
        "Invalid threat radius: {value} (metres, not negative)",
    "工作日历只包含{first}–{last}年": "The working-day calendar covers only {first}–{last}",
    "工作日历至少需要一个年份": "The working-day calendar needs at least one year",
    "核实期限的工作日数无效：{n}（应为正整数）":
        "Invalid number of working days to verify: {n} (a positive whole number)",
    "项目设置中的线索核实期限无效：{n}（应为正整数个工作日）":
        "The project's deadline for verifying clues is invalid: {n} (a positive whole number "
        "of working days)",
    "节假日日历未收录{years}年的国务院放假安排（调休），这些年份按法定节假日和周末计算工作日，期限可能"
    "与实际安排不符":
        "The holiday calendar lacks the State Council's holiday arrangements (adjusted working "
        "days) for {years}: working days there are counted from the statutory holidays and "
        "weekends, and deadlines may differ from the actual arrangements",
    "事件范围必须是面（多边形），该要素是{type}":
        "An event's footprint must be polygons; this feature is a {type}",
    "所画事件范围不是有面积的多边形，请重新绘制":
        "The footprint drawn is not a polygon with an area: draw it again",
    "所画事件范围无效（边界自相交等），请重新绘制":
        "The footprint drawn is invalid (a self-intersecting boundary or the like): draw it "
        "again",
    "所画事件范围的坐标不是中国范围内的经纬度（EPSG:4490）":
        "The footprint drawn is not in longitudes and latitudes within China (EPSG:4490)",
    "日期无效：{value}（格式如 2025-09-26）": "Invalid date: {value} (e.g. 2025-09-26)",
    "未知的灾害类型：{kind}（可选：{kinds}）": "Unknown hazard kind: {kind} (one of {kinds})",
    # Hazard exposure (issue 10): the analysis' refusals
    "灾害类型过多（{n}种）": "Too many hazard kinds ({n})",
    "灾害要素应为面（隐患区）或点（隐患点）":
        "Hazards must be polygons (zones) or points (hazard points)",
    "有灾害要素缺少灾害类型": "Some hazards have no hazard kind",
    "请指定灾害类型（可选：{kinds}）": "Give the hazard kind (one of {kinds})",
    "项目中还没有行政区界，无法判断事件范围是否在本县":
        "The project has no boundaries yet: cannot tell whether the footprint is in the county",
    "事件范围不在本县范围内，请检查文件或坐标系，未写入任何数据":
        "The footprint is not in the county: check the file or its CRS; nothing was written",
    "事件范围约有{share}在本县范围外，只为本县范围内的农户生成线索":
        "About {share} of the footprint lies outside the county; clues are made for the "
        "county's households only",
    "灾害日期{date}晚于今天，请检查": "The disaster's date {date} is after today: please check",
    "事件名称不超过64个字": "An event's name has at most 64 characters",
    "登记灾害事件：{name}": "Register the disaster {name}",
    "登记灾害事件：{name}，生成{n}条风险线索": "Register the disaster {name}: {n} risk clues",
    "事件范围内没有已定位的农户，未写入任何数据":
        "No located household lies in the footprint; nothing was written",
    "已登记灾害事件{code}（{name}）：范围内{inside}户，生成{n}条风险线索":
        "Registered the disaster {code} ({name}): {inside} households inside, {n} risk clues",
    "已登记灾害事件{code}（{name}）：范围内{inside}户，生成{n}条风险线索，{already}户已有该事件的线"
    "索，未重复生成":
        "Registered the disaster {code} ({name}): {inside} households inside, {n} risk clues; "
        "{already} households had a clue of this event already and got none again",
    "该灾害范围已登记为事件{code}（{name}），范围内{inside}户均已有该事件的风险线索，本次未新增任何"
    "数据":
        "This footprint is registered already as the event {code} ({name}); all {inside} "
        "households inside have its risk clue, so nothing was added",
    "项目中没有编号为{id}的风险线索": "The project has no risk clue numbered {id}",
    "该风险线索已于{date}核实": "This risk clue was verified on {date} already",
    "核实日期{date}早于线索发现日期{found}":
        "The date verified, {date}, is before the clue was found ({found})",
    "核实日期{date}晚于今天": "The date verified, {date}, is after today",
    "核实风险线索：户主{name}": "Verify the risk clue: household head {name}",
    "项目中没有编号为{id}的灾害事件": "The project has no disaster event numbered {id}",
    "{name}风险线索核实": "{name}: verifying the risk clues",
    "责任网格员": "Responsible worker",
    "发现渠道": "Channel",
    "发现日期": "Found on",
    "核实期限": "Verify by",
    "核实日期": "Verified on",
    "超期天数": "Days overdue",
    "待核实": "To verify",
    "已超期": "Overdue",
    "已核实": "Verified",
    "超期核实": "Verified late",
    "核实任务": "Verification",
    # 防范因灾返贫预案 (issue 10): the dialog, the plan service's refusals, nearest sites
    "防范因灾返贫预案": "Plan against disaster-induced poverty",
    "生成防范因灾返贫预案": "Make the plan against disaster-induced poverty",
    "生成防范因灾返贫预案…": "Make the plan against disaster-induced poverty…",
    "全部村（社区），每村一份": "Every village, one plan each",
    "缓冲距离（米）": "Buffer (m)",
    "灾害隐患区周边多少米内也算受威胁；隐患点按威胁半径再加此距离":
        "How far around a hazard zone still counts as threatened; hazard points reach their "
        "threat radius plus this",
    "格式": "Format",
    "保存到": "Save to",
    "保存的文件": "File to write",
    "Excel（每村一页）": "Excel (a sheet per village)",
    "PDF（每村一节）": "PDF (a section per village)",
    "列入受灾害威胁的全部监测对象和极高、高风险的脱贫户，附结对帮扶责任人、责任网格员和最近安置点"
    "（直线距离）":
        "Lists every monitored household within reach of a hazard and the lifted-out households "
        "at extreme or high risk, with their helpers, responsible workers and nearest "
        "resettlement site (straight-line distance)",
    "电话不脱敏（已显示个人信息）": "Phones in full (personal data shown)",
    "电话已脱敏": "Phones masked",
    "生成": "Write",
    "生成失败：{error}": "Could not write the plan: {error}",
    "已生成：{path}": "Written: {path}",
    "请选择保存的文件": "Choose the file to write",
    "正在写入{file}…": "Writing {file}…",
    "%v / %m 村": "%v / %m villages",
    "正在取消…": "Cancelling…",
    "已取消，未写入{file}": "Cancelled: {file} not written",
    "重点防范{n}户，其中监测对象{m}户，{u}户未落实结对帮扶责任人":
        "{n} households to watch, {m} of them monitored, {u} without a helper",
    "没有代码为“{code}”的村（社区）": "No village has the code “{code}”",
    "有{n}个村（社区）名为“{name}”：{codes}，请改用代码":
        "{n} villages are named “{name}”: {codes}; give the code instead",
    "缓冲距离无效：{value}（应为不小于0的米数）": "Invalid buffer: {value} (metres, not negative)",
    "不支持的预案格式：{suffix}（可用 .xlsx .pdf）":
        "Unsupported format for the plan: {suffix} (.xlsx or .pdf)",
    "导出防范因灾返贫预案：{name}": "Export the plan against disaster-induced poverty: {name}",
    "农户图层中含有非点要素": "The households layer holds features that are not points",
    "农户和安置点的坐标系不一致，请先转换到同一坐标系":
        "Households and sites are in different CRS: convert them to one first",
    "{name}的坐标系不以米为单位，计算直线距离需要投影坐标系（高斯-克吕格）":
        "The CRS of {name} is not in metres: straight-line distances need a projected CRS "
        "(Gauss–Krüger)",
    # The disaster-prevention planner in the window (issue 10): exposure, events, clues
    "灾害暴露": "Hazard exposure",
    "统计灾害暴露": "Count hazard exposure",
    "缓冲距离": "Buffer",
    "隐患区外扩的距离；隐患点按威胁半径再加此距离":
        "How far beyond the hazard zones; hazard points reach their threat radius plus this",
    "统计层级": "Count by",
    "全部灾害类型": "All hazard kinds",
    "单元": "Unit",
    "风险等级": "Risk level",
    "监测对象无结对帮扶": "Monitored without a helper",
    "安置点安置户数": "Households at the sites",
    "正在统计灾害暴露…": "Counting hazard exposure…",
    "正在统计看板…": "Counting the dashboard…",
    "受威胁农户{n}户（每户每类灾害按最高风险等级计一次），缓冲{m}米":
        "{n} households threatened (each counted once per hazard kind, at its highest risk "
        "level), buffer {m} m",
    "；{n}户位置未知，未计入": "; {n} households without a location are not counted",
    "已取消统计": "Counting cancelled",
    "统计失败：{error}": "Counting failed: {error}",
    "已选择{n}户": "{n} households selected",
    "灾情范围": "Disaster footprints",
    "导入灾情范围…": "Import a disaster footprint…",
    "绘制灾情范围": "Draw a disaster footprint",
    "单击第一个顶点，逐点画出灾害实际影响的范围":
        "Click the first vertex, then vertex by vertex the area the disaster reached",
    "单击添加顶点，双击或回车结束灾情范围，Esc 取消":
        "Click to add vertices; double-click or Enter ends the footprint, Esc cancels",
    "灾情范围的 GeoPackage、Shapefile 或 geojson 文件":
        "The footprint's GeoPackage, Shapefile or GeoJSON file",
    "矢量文件 (*.gpkg *.shp *.geojson *.json);;所有文件 (*)":
        "Vector files (*.gpkg *.shp *.geojson *.json);;All files (*)",
    "灾害日期": "Date of the disaster",
    "灾害类型": "Hazard kind",
    "事件名称": "Event name",
    "留空则为“日期+类型+灾害”": "Empty: date, kind and “disaster”",
    "范围内已定位的农户将生成风险线索（渠道：灾害），发现日期为灾害日期，须在核实期限内入户核实":
        "Every located household inside becomes a risk clue (channel: disaster), found on the "
        "disaster's date, to be verified at home within the deadline",
    "登记": "Register",
    "几何图形": "Geometry",
    "事件": "Event",
    "截至": "As of",
    "只看逾期": "Overdue only",
    "只列超过核实期限仍未核实的线索": "List only clues still unverified after their deadline",
    "核实": "Verify",
    "记录所选线索已于核实日期入户核实（可撤销）":
        "Record the selected clues verified at home on the verification date (can be undone)",
    "入户核实的日期（不晚于今天，不早于线索发现日期）":
        "The day of the home visit (not after today, not before the clue was found)",
    "生成走访清单…": "Make a visit list…",
    "所选责任网格员待核实线索的走访清单（路线、地图，可导出）":
        "The visit list of the chosen worker's clues to verify (route, map, exports)",
    "全部线索": "All clues",
    "全部网格员": "All workers",
    "{name}（待核实{n}条，超期{late}条）": "{name} ({n} to verify, {late} overdue)",
    "共{n}条，待核实{open}条，超期未核实{late}条（核实期限{days}个工作日，发现当日为第0天）":
        "{n} clues, {open} to verify, {late} overdue (deadline: {days} working days, the day "
        "found is day 0)",
    "请先选择一位责任网格员，或选择一条有责任网格员的线索":
        "Choose a responsible worker first, or a clue that has one",
    "该网格员没有待核实的风险线索": "This worker has no risk clue to verify",
    "风险线索核实": "Verifying the risk clues",
    "选择": "Selection",
    "按位置选择…": "Select by location…",
    "选择要素": "Select features from",
    "参照要素": "Compared with",
    "只用所选要素": "Selected features only",
    "只用所选要素（已选{n}个）": "Selected features only ({n} selected)",
    "位于其中（0米）": "Inside them (0 m)",
    "0：农户位于参照要素之内（含边界）；大于0：与参照要素的距离不超过该值":
        "0: households inside the features (boundary included); more: households at most this "
        "far from them",
    "选择方式": "Modify the selection by",
    "新建选择": "Creating a new selection",
    "添加到当前选择": "Adding to the current selection",
    "在当前选择中选择": "Selecting within the current selection",
    "从当前选择中移除": "Removing from the current selection",
    "灾情范围：{name}": "Disaster footprint: {name}",
    "找到{found}户，当前选择{n}户": "{found} households found, {n} selected now",
    "“{layer}”中没有选择要素，请先在地图上选择，或取消“只用所选要素”":
        "Nothing is selected in “{layer}”: select features on the map first, or untick "
        "“Selected features only”",
    "未知的选择方式：{mode}": "Unknown way to modify the selection: {mode}",
    "{status}（期限{due}）": "{status} (due {due})",
    "{kind}（{level}风险）：{name}": "{kind} ({level} risk): {name}",
    "{kind}隐患点（{level}风险）：{name}，相距{d}米，威胁半径{r}米":
        "{kind} point ({level} risk): {name}, {d} m away, threat radius {r} m",
    # -- the official forms of the centralized investigation (services/report_service.py)
    "附件1 集中排查情况统计表": "Annex 1 Statistics of the investigation",
    "附件2 集中排查台账": "Annex 2 Ledger of households checked",
    "附件3 “画像”工作核实情况表": "Annex 3 Household portraits",
    "附件4 发现问题整改台账": "Annex 4 Rectification ledger",
    "统计表数据不满足表内平衡关系，未生成：":
        "The statistics break the form's identities; nothing was written:",
    "{unit}：{identity} 不成立（{left} = {left_value}，{right} = {right_value}）":
        "{unit}: {identity} does not hold ({left} = {left_value}, {right} = {right_value})",
    "项目中没有代码为{code}的乡镇": "The project has no township with the code {code}",
    "代码{code}是{name}，不是乡镇": "The code {code} is {name}, not a township",
    "{name}（{code}）不在{campaign}的排查范围内":
        "{name} ({code}) is not part of {campaign}",
    "未知的报表：{annex}（可选：{choices}）": "Unknown form: {annex} (choose from: {choices})",
    "报表只能保存为 .xlsx 文件：{path}": "Forms are saved as .xlsx files only: {path}",
    "已生成{what}（{campaign}，{townships}）：{path}":
        "Written: {what} ({campaign}, {townships}): {path}",
    # the briefing web map (文件 → 导出简报网页地图…)
    "导出简报网页地图…": "Export briefing web map…",
    "简报地图.html": "briefing-map.html",
    "网页文件": "Web page",
    "正在生成简报网页地图 {file}…": "Writing the briefing web map {file}…",
    "已生成简报网页地图（{size} MB）：{path}": "Briefing web map written ({size} MB): {path}",
    "导出简报网页地图：{name}": "Export the briefing web map: {name}",
    "导出统计表和台账…": "Export statistics and ledgers…",
    "导出统计表和台账": "Export statistics and ledgers",
    "报表": "Form",
    "排查年度": "Investigation year",
    "全部乡镇": "All townships",
    "保存为": "Save as",
    "请填写保存的文件名": "Name the file to write",
    "证件号码、电话已脱敏": "ID numbers and phones masked",
    "证件号码、电话不脱敏（已显示个人信息）": "ID numbers and phones in full (personal data shown)",
    "导出": "Export",
    "正在生成{what}…": "Writing {what}…",
    "Excel 文件 (*.xlsx)": "Excel files (*.xlsx)",
    # -- the leaders' dashboard and presentation mode (ui/controllers/dashboard.py)
    "工作看板": "Dashboard",
    "打开工作看板": "Open the dashboard",
    "演示模式": "Presentation mode",
    "范围": "Area",
    "全县": "Whole county",
    "目标设置…": "Targets…",
    "看板目标设置": "Dashboard targets",
    "指标": "Indicator",
    "目标": "Target",
    "有风险的范围": "At-risk margin",
    "默认": "Default",
    "恢复默认": "Restore defaults",
    "目标{target}": "Target {target}",
    "无目标": "No target",
    "正常": "On track",
    "有风险": "At risk",
    "滞后": "Late",
    "排查覆盖率": "Coverage",
    "入户排查占比": "Share checked at home",
    "监测对象结对率": "Monitored households with a helper",
    "逾期未核实线索": "Overdue clues",
    "超期办理案件": "Overdue cases",
    "受灾害威胁的未结对监测户": "Exposed monitored households without a helper",
    "网格员人均户数": "Households per worker",
    "排查覆盖进度": "Coverage against the timetable",
    "监测对象类型": "Monitored households by type",
    "监测对象分布": "Monitored households by place",
    "风险类型": "Risk types",
    "识别与消除案件": "Identification and elimination cases",
    "网格员工作量": "Workers' load",
    "时序目标": "Timetable target",
    "{m}月{d}日": "{m}/{d}",
    "其余{n}个": "{n} others",
    "未标注类型": "Type not recorded",
    "（超期{n}）": " ({n} overdue)",
    "≤{n}户": "≤{n} households",
    "{low}–{high}户": "{low}–{high} households",
    ">{n}户": ">{n} households",
    "已选择{n}个网格": "{n} grids selected",
    "← → 翻页，Esc 退出": "← → to turn pages, Esc to leave",
    "项目中没有代码为{code}的乡镇或村":
        "The project has no township or village with the code {code}",
    "看板中没有这一项：{key}": "The dashboard has no such item: {key}",
    # 打印地图 (issue 11's printed maps): the dialog, the print service's refusals
    "打印地图": "Print map",
    "打印地图…": "Print map…",
    "打印": "Print",
    "纸张": "Paper",
    "方向": "Orientation",
    "横向": "Landscape",
    "纵向": "Portrait",
    "图名": "Title",
    "内容": "Contents",
    "单张地图": "One map",
    "图集：每村一页": "Atlas: a page per village",
    "图集：每个三级网格一页": "Atlas: a page per level-3 grid",
    "默认按范围生成": "Named after the area by default",
    "保存的文件（.pdf 或 .png）": "File to save (.pdf or .png)",
    "地图按当前显示的图层和样式绘制；PDF为矢量并嵌入中文字体，PNG为每英寸300点；图集只能输出为PDF":
        "The map is drawn with the layers and styles shown; the PDF is vector with the Chinese "
        "font embedded, the PNG 300 dpi; an atlas is written as PDF only",
    "无法打印：{error}": "Could not print: {error}",
    "正在打印 {file}…": "Printing {file}…",
    "已取消打印，未写入文件": "Printing cancelled; no file written",
    "已生成地图（{pages}页）：{path}": "Map written ({pages} pages): {path}",
    "没有{year}年度的集中排查": "There is no investigation of {year}",
    "没有代码为{township}的乡镇": "No township has the code {township}",
    "输出文件应为 .pdf 或 .png": "The output file must be .pdf or .png",
    "纸张应为 {papers}": "The paper must be {papers}",
    "方向应为 portrait（纵向）或 landscape（横向）":
        "The orientation must be portrait or landscape",
    "图集应为 village（每村一页）或 grid（每个三级网格一页）":
        "The atlas must be village (a page per village) or grid (a page per level-3 grid)",
    "图集只能输出为 PDF（每个单元一页）": "An atlas is written as PDF only (a page per unit)",
    "所选范围内没有可打印的村或网格": "There is no village or grid to print in that area",
    "语言应为 zh（中文）或 en（英文）": "The language must be zh (Chinese) or en (English)",
    # 文件 → 导出QGIS项目… (ui/controllers/qgis_project.py)
    "导出QGIS项目…": "Export QGIS project…",
    "网格地图.qgs": "grid-map.qgs",
    "QGIS 项目": "QGIS project",
    "正在导出QGIS项目 {file}…": "Exporting the QGIS project {file}…",
    "已导出QGIS项目：{path}（数据：{gpkg}）": "QGIS project exported: {path} (data: {gpkg})",
}


#: Toolbar buttons' English where the menu's words are too long for a button (the grid
#: editing buttons would hide behind the toolbar's » at 1400 pixels).
_BUTTONS: dict[str, str] = {
    "测距离": "Distance",
    "测面积": "Area",
    "多边形选择": "Lasso",
    "清除选择": "Clear",
    "拉框放大": "Zoom box",
    "全图": "Full",
    "沿线拆分网格": "Split by line",
    "均衡拆分网格…": "Split evenly",
    "合并所选网格": "Merge",
    "绘制新网格": "New grid",
    "重新划分村网格…": "Redraw village",
}


def current_language(settings_value: str | None = None) -> str:
    """``zh`` or ``en``: the saved choice, else from ``LANG``."""
    if settings_value in ("zh", "en"):
        return settings_value
    return "en" if os.environ.get("LANG", "").lower().startswith("en") else "zh"


_FIELD = re.compile(r"\{(\w*)(?:![rsa])?(?::[^{}]*)?\}")


def _pattern(template: str) -> re.Pattern:
    """A catalogue template as a regular expression, one named group per placeholder."""
    parts, names, at = [], [], 0
    for match in _FIELD.finditer(template):
        parts.append(re.escape(template[at:match.start()]))
        name = match.group(1) or f"_{len(names)}"
        if name in names:  # the same placeholder twice: the same text twice
            parts.append(f"(?P={name})")
        else:
            names.append(name)
            # a date's format (“于{at:%Y-%m-%d %H:%M}修改”) takes digits only: the next
            # placeholder may follow it directly
            date = re.search(r"%[A-Za-z]", match.group(0).partition(":")[2])
            value = r"[0-9:\- ]+" if date else ".+?"
            parts.append(f"(?P<{name}>{value})")
        at = match.end()
    parts.append(re.escape(template[at:]))
    return re.compile("".join(parts), re.DOTALL)


@functools.cache
def _templates() -> tuple[tuple[re.Pattern, str], ...]:
    """Every catalogue entry with placeholders, the most literal text first."""
    entries = [(chinese, english) for chinese, english in _ENGLISH.items()
               if _FIELD.search(chinese) and _FIELD.sub("", chinese).strip()]
    entries.sort(key=lambda entry: len(_FIELD.sub("", entry[0])), reverse=True)
    return tuple((_pattern(chinese), english) for chinese, english in entries)


def translate_message(text: str) -> str:
    """A message built from catalogue templates, in English (unchanged when none fits).

    A refusal, an edit's name or a check's finding is formatted by the services from a
    Chinese template of the catalogue (``"已退出的网格员不能分配网格：{names}"``); the template
    is recognised and its English formatted with the same values, each translated in turn
    when it is itself catalogue text (a role, a code's label). Lines are translated one by
    one.
    """
    if "\n" in text:
        return "\n".join(translate_message(line) for line in text.split("\n"))
    if text in _ENGLISH:
        return _ENGLISH[text]
    for pattern, english in _templates():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        return _fill(english, {name: translate_message(value).replace("、", ", ")
                               for name, value in match.groupdict().items()})
    return text


def _fill(template: str, values: dict[str, str]) -> str:
    """``template`` with its placeholders replaced by ``values`` (texts, already formatted)."""
    unnamed = iter(range(len(values)))
    return _FIELD.sub(lambda field: values.get(field.group(1) or f"_{next(unnamed)}",
                                               field.group(0)), template)


class Translator:
    """Looks interface strings up in the chosen language."""

    def __init__(self, language: str = "zh"):
        self.language = language

    def __call__(self, text: str) -> str:
        if self.language == "en":
            return _ENGLISH.get(text, text)
        return text

    def terms(self, text, separator: str = "、") -> str:
        """Catalogue terms joined by ``separator`` (a worker's roles), each one translated."""
        if self.language != "en" or not isinstance(text, str) or not text:
            return text
        return ", ".join(self(term) for term in text.split(separator))

    def button(self, text: str) -> str:
        """A toolbar button's label: the short English one where the menu's is long."""
        if self.language == "en":
            return _BUTTONS.get(text) or _ENGLISH.get(text, text).replace("…", "")
        return text.replace("…", "")

    def message(self, text: str) -> str:
        """A message of the services (refusal, edit name, finding) in the chosen language."""
        return translate_message(str(text)) if self.language == "en" else str(text)
