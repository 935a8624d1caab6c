"""The command line (``gis-app …``): a thin shell over the services, no logic of its own.

Exit codes: 0 success; 1 the command failed (message on stderr, in Chinese); 2 wrong usage.
With ``--json`` the result goes to stdout as one JSON document and nothing else does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from gis_app.core.imports import IMPORT_KINDS


def _epsg(text: str) -> int:
    try:
        return int(str(text).upper().removeprefix("EPSG:"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"无效的坐标系：{text}（例如 EPSG:4525）") from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="gis-app", description="网格防返贫监测 GIS (Grid Monitor)：桌面程序与命令行工具"
    )
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("open", help="打开桌面程序（不带参数时打开内置示例县）")
    p.add_argument("project", nargs="?", help="项目文件路径或 postgresql:// 地址")

    p = sub.add_parser("sample", help="生成示例县（或指定户数的合成县）项目")
    p.add_argument("project")
    p.add_argument("--households", type=int, default=None, help="户数（默认约4500户的内置示例县）")
    p.add_argument("--seed", type=int, default=2023)
    p.add_argument(
        "--files", metavar="DIR", help="同时把县级移交文件（GPKG、Shapefile、Excel）写入此目录"
    )
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("import", help="导入文件（台账、网格、网格员、安置点、灾害、排查记录）")
    p.add_argument("project")
    p.add_argument("file")
    p.add_argument("--kind", required=True, choices=IMPORT_KINDS)
    p.add_argument("--crs", type=_epsg, help="文件的坐标系（文件未声明时），如 EPSG:4525")
    p.add_argument("--gcj02", action="store_true", help="坐标为GCJ-02（手机地图采集），导入时转换")
    p.add_argument("--campaign", type=int, help="排查记录所属的排查年度（默认最新一次）")
    p.add_argument("--layer", help="GeoPackage 中的图层名（默认第一个图层）")
    p.add_argument("--update", action="store_true",
                   help="安置点、灾害隐患按编码更新项目中已有的要素（替换几何图形和属性，可撤销）")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("export", help="导出图层和表（格式由扩展名决定：.gpkg .geojson .shp .xlsx；"
                       ".qgs .qgz 为 QGIS 项目，GeoPackage 写在旁边）")
    p.add_argument("project")
    p.add_argument("out")
    p.add_argument("--layer", help="只导出一个图层或表；all 表示全部")
    p.add_argument("--unmask", action="store_true", help="不脱敏导出证件号码和电话（需有权限）")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("info", help="项目概况")
    p.add_argument("project")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("check", help="数据质量检查")
    p.add_argument("project")
    p.add_argument("--json", action="store_true")
    p.add_argument("--strict", action="store_true", help="发现错误时以非零状态退出")

    p = sub.add_parser("coverage", help="集中排查覆盖情况（按乡镇、村或三级网格，缺口大的在前）")
    p.add_argument("project")
    p.add_argument("--campaign", type=int, help="排查年度（默认最新一次）")
    p.add_argument(
        "--level", type=int, choices=(1, 2, 3), default=3, help="1 乡镇、2 村、3 三级网格（默认）"
    )
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("visit-list", help="网格员走访清单（待排查农户按路线排序，含小地图）")
    p.add_argument("project")
    p.add_argument("--worker", required=True, help="网格员姓名或编号")
    p.add_argument("out", help="输出文件：.xlsx 或 .pdf")
    p.add_argument("--campaign", type=int, help="排查年度（默认最新一次）")
    p.add_argument("--unmask", action="store_true", help="不脱敏显示证件号码和电话（需有权限）")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("report",
                       help="集中排查报表：附件1统计表、附件2台账、附件3画像、附件4整改台账")
    p.add_argument("project")
    p.add_argument("annex", choices=("annex1", "annex2", "annex3", "annex4"),
                   help="annex1 统计表，annex2 台账，annex3 “画像”核实情况表，annex4 整改台账")
    p.add_argument("--campaign", type=int, help="排查年度（默认最新一次）")
    p.add_argument("--township", metavar="CODE", help="乡镇代码（默认排查范围内的全部乡镇）")
    p.add_argument("--out", required=True, help="输出文件（.xlsx）")
    p.add_argument("--unmask", action="store_true", help="不脱敏导出证件号码和电话（需有权限）")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("event", help="登记灾害事件：影响范围内的农户生成风险线索（限期核实）")
    p.add_argument("project")
    p.add_argument("footprint", help="影响范围文件（GeoPackage、Shapefile、GeoJSON 的面图层）")
    p.add_argument("--date", required=True, help="灾害发生日期，如 2025-09-26")
    p.add_argument("--kind", help="灾害类型：洪涝、干旱、滑坡、泥石流、崩塌（默认取文件所写的）")
    p.add_argument("--name", help="事件名称（默认：日期+灾害类型）")
    p.add_argument("--crs", type=_epsg, help="文件的坐标系（文件未声明时），如 EPSG:4525")
    p.add_argument("--gcj02", action="store_true", help="坐标为GCJ-02（手机地图采集），导入时转换")
    p.add_argument("--layer", help="GeoPackage 中的图层名（默认第一个图层）")
    p.add_argument("--as-of", help="按哪一天判断是否超期（默认今天）")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("plan", help="防范因灾返贫预案（草案）：各村受灾害威胁的监测对象、"
                                    "帮扶责任人和最近安置点（.xlsx 或 .pdf）")
    p.add_argument("project")
    p.add_argument("--village", metavar="CODE",
                   help="只生成一个村（社区）的预案（代码；默认每村一份）")
    p.add_argument("--buffer", type=float, default=0.0, metavar="METRES",
                   help="隐患区外扩距离（米，默认0：区内）；隐患点按威胁半径再加此距离")
    p.add_argument("--out", required=True, help="输出文件：.xlsx（每村一页）或 .pdf（每村一节）")
    p.add_argument("--as-of", help="按哪一天的结对帮扶和网格员（默认今天）")
    p.add_argument("--unmask", action="store_true", help="不脱敏显示电话（需有权限）")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("clues", help="风险线索及核实期限（--overdue 只列超期未核实的）")
    p.add_argument("project")
    p.add_argument("--overdue", action="store_true", help="只列超期未核实的线索")
    p.add_argument("--as-of", help="按哪一天判断是否超期（默认今天）")
    p.add_argument("--unmask", action="store_true", help="不脱敏显示证件号码和电话（需有权限）")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("print", help="打印地图：图名、地图、图例、比例尺、指北针和主要数据"
                                     "（PDF 矢量或 300dpi PNG；--atlas 每村或每个三级网格一页）")
    p.add_argument("project")
    p.add_argument("--out", required=True, help="输出文件：.pdf 或 .png")
    p.add_argument("--atlas", choices=("village", "grid"),
                   help="图集：village 每村一页，grid 每个三级网格一页（仅 PDF）")
    p.add_argument("--paper", choices=("A4", "A3"), default="A4", help="纸张（默认 A4）")
    p.add_argument("--orientation", choices=("portrait", "landscape"), default="landscape",
                   help="方向：portrait 纵向，landscape 横向（默认）")
    p.add_argument("--title", help="图名（默认按范围生成）")
    p.add_argument("--township", metavar="CODE", help="只打印一个乡镇（代码）")
    p.add_argument("--campaign", type=int, help="覆盖率按哪一年度的排查（默认最新一次）")
    p.add_argument("--language", choices=("zh", "en"), default="zh",
                   help="图上文字：zh 中文（默认），en 英文（图层名和图例取自样式的英文）")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("exposure", help="灾害风险暴露：各乡镇、村或三级网格受威胁的农户和安置点")
    p.add_argument("project")
    p.add_argument("--buffer", type=float, default=0.0, metavar="METRES",
                   help="隐患区外扩距离（米，默认0：区内）；隐患点按威胁半径再加此距离")
    p.add_argument(
        "--level", type=int, choices=(1, 2, 3), default=3, help="1 乡镇、2 村、3 三级网格（默认）"
    )
    p.add_argument("--kind", help="只统计一种灾害：洪涝、山洪、干旱、滑坡、泥石流、崩塌")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("briefing", help="简报网页地图：一个离线可打开的 HTML 文件（网格覆盖率、"
                                        "灾害隐患区、安置点、各网格户数；不含个人信息）")
    p.add_argument("project")
    p.add_argument("--out", required=True, help="输出文件（.html）")
    p.add_argument("--campaign", type=int, help="排查年度（默认最新一次）")
    p.add_argument("--tiles", metavar="URL",
                   help="底图的 XYZ 瓦片地址，如 http://县服务器/tiles/{z}/{x}/{y}.png（默认不用底图）")
    p.add_argument("--json", action="store_true")
    return parser


def _progress_printer(enabled: bool):
    def report(done: int, total: int) -> None:
        if enabled and total:
            print(f"\r进度 {done}/{total}", end="" if done < total else "\n", file=sys.stderr)

    return report


def _open(location: str):
    from gis_app.storage.project import open_project

    return open_project(location)


def _run(args) -> int:
    if args.command == "sample":
        from gis_app.services.sample_service import create_sample_project

        project = create_sample_project(
            args.project,
            households=args.households,
            seed=args.seed,
            progress=_progress_printer(not args.json),
            files=args.files,
        )
        from gis_app.services.project_service import project_info

        info = project_info(project)
        _emit(
            args,
            {"project": args.project, **info},
            f"已生成示例县：{args.project}（{info['households']}户）",
        )
        return 0
    if args.command == "import":
        from gis_app.services.import_service import import_into

        report = import_into(
            args.project,
            args.file,
            args.kind,
            crs=args.crs,
            gcj02=args.gcj02,
            campaign_year=args.campaign,
            layer=args.layer,
            update=args.update,
        )
        updated = f"，其中按编码更新{report.updated}条" if report.updated else ""
        if report.unchanged:
            updated += f"；{report.unchanged}条与项目中已有的相同，未改动"
        lines = [f"已导入{report.written}条（{args.kind}）：{report.file}{updated}"]
        lines += [f"提示：{w}" for w in report.warnings[:20]]
        if len(report.warnings) > 20:
            lines.append(f"……共{len(report.warnings)}条提示")
        _emit(args, report.as_dict(), "\n".join(lines))
        return 0
    if args.command == "export":
        from gis_app.services.export_service import export_project

        files = export_project(_open(args.project), args.out, layer=args.layer, unmask=args.unmask)
        _emit(
            args, {"files": [str(f) for f in files]}, "已导出：" + "、".join(str(f) for f in files)
        )
        return 0
    if args.command == "info":
        from gis_app.services.info_service import project_info_at

        info = project_info_at(args.project)
        text = (
            f"乡镇 {info['townships']}  村 {info['villages']}  网格 一级{info['grids']['1']} "
            f"二级{info['grids']['2']} 三级{info['grids']['3']}\n农户 {info['households']}户 "
            f"{info['persons']}人  监测对象 {info['monitored']}户  网格员 {info['workers']}  "
            f"安置点 {info['sites']}  灾害隐患区 {info['hazard_zones']}"
        )
        _emit(args, info, text)
        return 0
    if args.command == "check":
        from gis_app.services.project_service import check_project

        problems = check_project(_open(args.project))
        summary = problems.groupby("rule").size().to_dict() if len(problems) else {}
        records = json.loads(problems.to_json(orient="records", force_ascii=False))
        text = "\n".join(f"[{r['rule']}] {r['message']}" for r in records[:200])
        text += f"\n共发现{len(problems)}个问题" if len(problems) else "未发现问题"
        _emit(args, {"problems": records, "summary": summary, "count": len(problems)}, text)
        errors = (problems["severity"] == "error").any() if len(problems) else False
        return 1 if (args.strict and errors) else 0
    if args.command == "coverage":
        from gis_app.services.coverage_service import campaign_coverage, coverage_summary

        table = campaign_coverage(_open(args.project), args.campaign, args.level)
        keys = ["code", "name", "households", "home", "remote", "unchecked", "noncompliant",
                "coverage"]
        records = json.loads(
            table[keys].to_json(orient="records", force_ascii=False, double_precision=15)
        )
        if args.json:
            print(json.dumps(records, ensure_ascii=False, indent=1))
        else:
            print(_coverage_text(table, coverage_summary(table), args.level))
        return 0
    if args.command == "visit-list":
        from gis_app.services.visit_list_service import export_visit_list, find_worker

        project = _open(args.project)
        visits, out = export_visit_list(project, find_worker(project, args.worker), args.out,
                                        args.campaign, unmask=args.unmask)
        payload = {"worker": visits.worker["name"], "households": visits.count,
                   "route_m": round(visits.route_m, 1), "file": str(out)}
        _emit(args, payload, f"已生成{visits.worker['name']}的走访清单：{visits.count}户，"
                             f"路线{visits.route_m / 1000:.2f}公里（直线）：{out}")
        return 0
    if args.command == "report":
        return _report(args)
    if args.command == "event":
        return _event(args)
    if args.command == "plan":
        return _plan(args)
    if args.command == "clues":
        from gis_app.services.clue_service import load_clues, overdue_clues
        from gis_app.services.event_service import parse_date

        as_of = parse_date(args.as_of) if args.as_of else None
        project = _open(args.project)
        clues = (overdue_clues if args.overdue else load_clues)(project, as_of,
                                                                unmask=args.unmask)
        keys = ["clue_id", "household_id", "head_name", "village", "grid", "worker",
                "channel", "found_on", "due_on", "verified_on", "status", "days_overdue"]
        if args.json:
            print(json.dumps(_records(clues.frame, keys), ensure_ascii=False, indent=1))
        else:
            what = "超期未核实的风险线索" if args.overdue else "风险线索"
            print(f"{what}（截至{clues.as_of}，核实期限{clues.working_days}个工作日）："
                  f"{len(clues.frame)}条")
            print(_table(clues.table()))
        for warning in clues.warnings:
            print(f"提示：{warning}", file=sys.stderr)
        return 0
    if args.command == "print":
        return _print(args)
    if args.command == "exposure":
        return _exposure(args)
    if args.command == "briefing":
        return _briefing(args)
    raise AssertionError(args.command)


def _briefing(args) -> int:
    from gis_app.services.briefing_service import record_export, write_briefing_map
    from gis_app.services.session import ProjectSession

    session = ProjectSession(_open(args.project))
    written = write_briefing_map(session, args.out, args.campaign, tiles=args.tiles,
                                 progress=_progress_printer(not args.json))
    record_export(session, written)
    payload = {"path": str(written.path), "bytes": written.bytes, "layers": written.layers,
               "grids": written.grids, "households": written.households,
               "campaign": written.campaign}
    _emit(args, payload, written.message())
    return 0


def _exposure(args) -> int:
    from gis_app.services.exposure_service import cli_records, exposure_by_unit, load_inputs

    project = _open(args.project)
    inputs = load_inputs(project)
    table = exposure_by_unit(project, args.buffer, args.level, args.kind, inputs=inputs)
    if args.json:
        print(json.dumps(cli_records(table), ensure_ascii=False, indent=1))
        return 0
    unit = {1: "乡镇", 2: "村（社区）", 3: "三级网格"}[args.level]
    reach = f"，外扩{args.buffer:g}米" if args.buffer else ""
    print(f"灾害风险暴露（按{unit}{reach}；每户每类灾害按最高风险等级计一次）")
    if not len(table):
        print("没有农户或安置点处在灾害隐患区或隐患点威胁范围内")
    else:
        shown = table.assign(code=table["code"].fillna("—"))[
            ["code", "name", "kind", "level", "households", "persons", "monitored", "sites"]]
        shown.columns = ["代码", unit, "灾害类型", "风险等级", "户数", "人数", "监测对象", "安置点"]
        print(_table(shown))
        per_kind = table.groupby("kind", sort=False)["households"].sum()
        print("受威胁农户合计：" + "、".join(f"{k}{n}户" for k, n in per_kind.items()))
    if inputs.unlocated:
        print(f"提示：{inputs.unlocated}户位置未知，未计入")
    return 0


def _print(args) -> int:
    from gis_app.services.print_service import PrintOptions, export_print
    from gis_app.services.session import ProjectSession

    options = PrintOptions(args.paper, args.orientation, args.title, args.atlas, args.township,
                           args.campaign, args.language)
    session = ProjectSession(_open(args.project))
    try:
        result = export_print(session, args.out, options, _progress_printer(not args.json))
    finally:
        session.close()
    payload = {"file": str(result.path), "pages": result.pages, "title": result.sheet.title,
               "paper": args.paper, "orientation": args.orientation,
               "units": [page.unit for page in result.sheet.pages]}
    _emit(args, payload, result.message())
    return 0


def _plan(args) -> int:
    from gis_app.services.event_service import parse_date
    from gis_app.services.plan_service import export_plan

    as_of = parse_date(args.as_of) if args.as_of else None
    plan, out = export_plan(_open(args.project), args.out, village=args.village,
                            buffer_m=args.buffer, as_of=as_of, unmask=args.unmask,
                            progress=_progress_printer(not args.json))
    summary = plan.summary()
    listed = int(summary["households"].sum())
    monitored = int(summary["monitored"].sum())
    unpaired = int(summary["unpaired"].sum())
    payload = {"file": str(out), "buffer_m": plan.buffer_m, "villages": len(plan.villages),
               "households": listed, "monitored": monitored, "unpaired": unpaired,
               "per_village": json.loads(summary.to_json(orient="records", force_ascii=False))}
    where = plan.villages[0].name if len(plan.villages) == 1 else \
        f"{len(plan.villages)}个村（社区）"
    _emit(args, payload, f"已生成{where}的防范因灾返贫预案（草案）：重点防范{listed}户，"
                         f"其中监测对象{monitored}户（{unpaired}户未落实结对帮扶责任人）：{out}")
    return 0


#: Keys of each clue ``gis-app event --json`` prints.
EVENT_KEYS = ("household_id", "head_name", "village", "grid", "worker", "found_on", "due_on")


def _event(args) -> int:
    from gis_app.services.event_service import EventService, parse_date, read_footprint
    from gis_app.services.session import ProjectSession

    as_of = parse_date(args.as_of) if args.as_of else None
    project = _open(args.project)
    footprint = read_footprint(args.footprint, crs=args.crs, gcj02=args.gcj02, layer=args.layer)
    result = EventService(ProjectSession(project)).register(
        footprint, args.date, args.kind, name=args.name, as_of=as_of)
    records = _records(result.clues.frame, list(EVENT_KEYS))
    notes = [result.message(), *(f"提示：{w}" for w in result.warnings)]
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=1))
        print("\n".join(notes), file=sys.stderr)  # stdout holds the JSON document only
        return 0
    print("\n".join(notes))
    if len(result.clues.frame):
        print(f"核实期限：{result.clues.working_days}个工作日（发现当日为第0天，"
              "按国务院节假日及调休安排计算）")
        print(_table(result.clues.table()))
    return 0


def _records(frame, keys: list[str]) -> list[dict]:
    """Rows as JSON-ready dicts: dates as ``2025-10-10``, missing values as null."""
    import datetime as dt

    frame = frame[keys].copy()
    for key in keys:
        if frame[key].dtype == object:
            frame[key] = frame[key].map(lambda v: v.isoformat() if isinstance(v, dt.date) else v)
    return json.loads(frame.to_json(orient="records", force_ascii=False))


def _table(frame) -> str:
    """A frame as aligned text columns (Chinese characters counted twice as wide)."""
    cells = [[str(c) for c in frame.columns]] + [[str(v) for v in row]
                                                 for row in frame.itertuples(index=False)]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(frame.columns))]
    return "\n".join("  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths,
                                                                        strict=True)).rstrip()
                     for row in cells)


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _report(args) -> int:
    from gis_app.services.report_service import write_report

    report = write_report(_open(args.project), args.annex, args.out, args.campaign,
                          args.township, unmask=args.unmask,
                          progress=_progress_printer(not args.json))
    payload = {"annex": report.annex, "file": str(report.path),
               "campaign": report.campaign["name"], "townships": report.townships["code"].tolist(),
               "rows": report.rows, "sheets": report.sheets}
    _emit(args, payload, report.message())
    return 0


def _coverage_text(table, totals: dict, level: int) -> str:
    unit = {1: "乡镇", 2: "村（社区）", 3: "三级网格"}[level]
    header = ["代码", unit, "户数", "入户", "电话微信", "未排查", "不合规", "覆盖率"]
    workers = "workers" in table
    rows = [
        [r.code if isinstance(r.code, str) else "—", r.name, r.households, r.home, r.remote,
         r.unchecked, r.noncompliant, "—" if r.coverage != r.coverage else f"{r.coverage:.1%}"]
        + ([r.workers] if workers else [])
        for r in table.itertuples()
    ]
    rows.append(["", "合计", totals["households"], totals["home"], totals["remote"],
                 totals["unchecked"], totals["noncompliant"], f"{totals['coverage']:.1%}"]
                + ([""] if workers else []))
    header += ["网格员"] if workers else []
    cells = [[str(c) for c in row] for row in [header, *rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(c + " " * (w - _width(c)) if i < 2 or i > 7 else " " * (w - _width(c)) + c
                  for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
        for row in cells
    ]
    return f"集中排查覆盖情况（按{unit}，覆盖率由低到高）\n" + "\n".join(lines)


def _emit(args, payload: dict, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(payload, ensure_ascii=False, indent=1, default=str))
    else:
        print(text)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``gis-app``; returns the exit code."""
    from gis_app.runtime import tune_allocator

    tune_allocator()
    args = build_parser().parse_args(argv)
    if args.command in (None, "open"):
        from gis_app.__main__ import run_app

        return run_app(getattr(args, "project", None))
    from gis_app.io.errors import InputFileError
    from gis_app.storage.errors import ProjectError

    try:
        return _run(args)
    except InputFileError as exc:
        print(f"导入失败，未写入任何数据：\n{exc}", file=sys.stderr)
    except (ProjectError, PermissionError, FileNotFoundError, ValueError, KeyError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
    except BrokenPipeError:
        # The reader stopped reading (`gis-app … --json | head`): quiet, as other tools are;
        # stdout pointed at nothing so that closing it at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except Exception as exc:  # a message, not a traceback, unless asked for
        if os.environ.get("GIS_APP_DEBUG"):
            raise
        print(
            f"程序内部错误（{exc.__class__.__name__}）：{exc}\n设置环境变量 GIS_APP_DEBUG=1 "
            "可查看详细信息",
            file=sys.stderr,
        )
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
