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
    "已导入 {n} 条：{file}": "Imported {n} rows: {file}",
    "（按编码更新 {updated} 条，{unchanged} 条未改动）":
        " ({updated} updated by code, {unchanged} unchanged)",
    "项目中已有 {n} 个相同编码的{what}：{codes}":
        "The project already holds {n} {what} with these codes: {codes}",
    "是否按编码更新？将替换它们的几何图形和属性，原值记入审计日志，可撤销。选“否”则不导入任何数据。":
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
    "图层的全部{n}个要素都不在本县范围内（距本县约{km}公里），请检查文件是否属于本县、坐标系是否正确":
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
