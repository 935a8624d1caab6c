"""防范因灾返贫预案（草案） for printing: Excel (a sheet per village), PDF (a section per village).

Both take a :class:`gis_app.services.plan_service.DisasterPlan` (read by attribute only, since
reports sit below services): ``villages`` (each with ``code, name, township, households,
hazards, unlocated, count, persons, monitored, lifted, unpaired, table()``), ``county``,
``buffer_m``, ``verify_days``, ``created_on``, ``lifted_levels``, ``notes()`` and
``summary()``. Personal data arrives already masked or not.

A plan reads as the township's drafts do: 一、基本情况 (who is at risk, a table per hazard kind
and level), 二、责任分工 and 三、防范措施 (the seeds' duties: 5 working days to verify at the
household, helpers visiting twice a month, housing safety, disaster and temporary relief), 四、
the households, then how the list was made and the lines to sign. The wording is a draft for
the village to complete; the Excel file keeps it editable.
"""

from __future__ import annotations

import math
import os
from numbers import Integral
from pathlib import Path

from gis_app.core.codes import HazardLevel
from gis_app.reports.files import replace_whole
from gis_app.reports.fonts import CJK_FAMILY, add_cjk_font, close_fonts, write_pdf
from gis_app.reports.pdf_layout import draw_paragraph, draw_table, paragraph_height

TITLE = "防范因灾返贫预案"
DRAFT = "（草案）"
LEVEL_HEADERS = [f"{level.label}风险" for level in HazardLevel]
#: The list's columns whose values are numbers in Excel, and those that must stay text.
_NUMBER_COLUMNS = ("序号", "人口", "直线距离（米）")
_TEXT_COLUMNS = ("联系电话", "帮扶人电话", "网格员电话")
#: Excel widths (characters) and PDF widths (mm, scaled to the page) of the list's columns.
_EXCEL_WIDTHS = (5, 9, 13, 5, 22, 16, 20, 10, 13, 12, 13, 24, 9, 26)
_PDF_WIDTHS = (8, 14, 19, 8, 38, 21, 23, 15, 19, 16, 19, 38, 14, 29)
SIGNATURES = ("编制单位（盖章）：________________", "村党组织书记（签字）：__________",
              "驻村第一书记（签字）：__________", "乡镇审核（签字）：__________",
              "日期：______年____月____日")


def plan_title(village) -> str:
    """``青山村防范因灾返贫预案（草案）``."""
    return f"{village.name}{TITLE}{DRAFT}"


def _date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def heading_line(plan, village) -> str:
    """Where and when: county, township, code, date drawn up, the buffer used."""
    buffer = f"{plan.buffer_m:g}米" if plan.buffer_m > 0 else "无（仅隐患区和隐患点威胁范围）"
    return "　　".join((f"{plan.county}{village.township}{village.name}",
                       f"村（社区）代码：{village.code}", f"编制日期：{_date(plan.created_on)}",
                       f"分析缓冲距离：{buffer}"))


def situation(plan, village) -> str:
    """一、基本情况: who the plan is for, in one paragraph."""
    reach = f"灾害隐患区（含周边{plan.buffer_m:g}米）" if plan.buffer_m > 0 else "灾害隐患区"
    lifted = "、".join(HazardLevel(level).label for level in plan.lifted_levels)
    who = "监测对象" + (f"和风险等级为{lifted}的脱贫户" if lifted else "")
    missing = (f"另有{village.unlocated}户监测对象位置未知，未能判断是否受灾害威胁，请尽快补录"
               "位置。") if village.unlocated else ""
    if not village.count:
        return (f"经分析，本村没有位于{reach}或地质灾害隐患点威胁范围内的{who}，本预案暂无重点"
                "防范农户。汛期仍应按网格开展日常走访，发现因灾返贫致贫风险线索及时报告。"
                + missing)
    levels = village.households["level"].value_counts()
    worst = "，".join(f"{HazardLevel(k).label}风险{int(levels.get(int(k), 0))}户"
                     for k in HazardLevel if levels.get(int(k), 0))
    text = (f"本村位于{reach}或地质灾害隐患点威胁范围内、列为重点防范对象的农户共{village.count}"
            f"户{village.persons}人，其中监测对象{village.monitored}户、脱贫户{village.lifted}户；"
            f"按所受最高风险等级计：{worst}。各户所受灾害类型和等级见第四部分名单。")
    if village.unpaired:
        text += f"名单中有{village.unpaired}户监测对象尚未落实结对帮扶责任人。"
    return text + missing


def duties(plan, village) -> list[str]:
    """二、责任分工 (seeds 000, 001, 002, 004)."""
    items = [
        "村“两委”和驻村工作队对本村防范因灾返贫工作负总责，村党组织书记、驻村第一书记为第一"
        "责任人，组织制定、落实本预案，汛期前完成名单农户的核对和更新。",
        "三级网格员对网格内名单农户实行盯户盯人，汛期和灾害预警期间逐户走访，掌握人员在家、住房"
        "安全和转移安置情况，发现风险线索及时报告。",
        "结对帮扶责任人每月至少走访联系所帮扶农户两次，灾害发生后第一时间联系农户，协助落实帮扶"
        "和救助措施。",
    ]
    if village.unpaired:
        items.append(f"名单中标注“未落实结对帮扶责任人”的{village.unpaired}户监测对象，由村“两委”"
                     "提出人选报乡镇，尽快指定结对帮扶责任人。")
    return items


def measures(plan, village) -> list[str]:
    """三、防范措施 (seed 000: verify within the working days, housing, relief, insurance)."""
    return [
        "灾前预防：汛期前对名单农户逐户宣传避险转移路线和最近安置点（避险场所），落实灾害预警信息"
        "到户到人；排查农户住房安全，发现危房及时纳入农村危房改造。",
        "灾中转移：接到灾害预警后，责任网格员、结对帮扶责任人按名单电话通知到户，协助老弱病残人员"
        "优先转移至安置点或安全区域，做到不漏一户、不落一人。",
        f"灾后核实：灾害发生后，对受灾农户在{plan.verify_days}个工作日内入户核实，分析研判返贫致贫"
        "风险，符合条件的按程序识别为监测对象并制定帮扶计划。",
        "精准帮扶：对因灾出现返贫致贫风险的农户，及时落实灾害救助、临时救助、低保等综合保障政策，"
        "通过灾后重建、农村危房改造解决住房安全问题，落实农业保险、就业帮扶等措施，保障其基本生活"
        "不受影响。",
    ]


def sections(plan, village) -> list[tuple[str, list[str]]]:
    """The plan's text: (heading, paragraphs) of parts 一 to 三."""
    return [
        ("一、基本情况", [situation(plan, village)]),
        ("二、责任分工", [f"{i}. {t}" for i, t in enumerate(duties(plan, village), start=1)]),
        ("三、防范措施", [f"{i}. {t}" for i, t in enumerate(measures(plan, village), start=1)]),
    ]


def hazard_rows(village) -> tuple[list[str], list[list]]:
    """The table of part 一: header, and per kind the households by level, total, persons."""
    header = ["灾害类型", *LEVEL_HEADERS, "合计（户）", "人数"]
    table = village.hazards
    columns = [table[int(level)].to_numpy() for level in HazardLevel]
    rows = [[kind, *(int(c[i]) for c in columns), int(total), int(persons)]
            for i, (kind, total, persons) in enumerate(zip(
                table["kind"], table["households"], table["persons"], strict=True))]
    return header, rows


def list_rows(village) -> tuple[list[str], list[list]]:
    """The list of part 四: header and rows, numbers as numbers (metres rounded)."""
    table = village.table()
    header = list(table.columns)
    rows = table.astype(object).to_numpy().tolist()
    households = village.households
    numbers = {"序号": households["seq"].to_numpy().tolist(),
               "人口": households["members"].to_numpy().tolist(),
               "直线距离（米）": households["distance_m"].to_numpy().tolist()}
    for name, values in numbers.items():
        at = header.index(name)
        for row, value in zip(rows, values, strict=True):
            row[at] = None if value is None or (isinstance(value, float) and math.isnan(value)) \
                else int(round(float(value)))
    return header, rows


# --- Excel --------------------------------------------------------------------------------------


def _sheet_names(villages) -> list[str]:
    """Sheet names: the village's name, its code added when two share one (31 characters)."""
    names = [v.name for v in villages]
    out, used = [], {"汇总"}
    for village, name in zip(villages, names, strict=True):
        title = "".join(c for c in name if c not in '[]:*?/\\')[:31] or village.code
        if names.count(name) > 1 or title in used:
            title = f"{title[:18]}{village.code}"[:31]
        used.add(title)
        out.append(title)
    return out


def write_plan_excel(plan, path: str | os.PathLike, progress=None) -> Path:
    """Write the plan as ``.xlsx``: a summary sheet (several villages), then a sheet per village.

    Each village's sheet prints on A4 landscape, one page wide, with the list's header row
    repeated on every page; counts, members and distances are numbers, phones text.

    Parameters
    ----------
    plan : DisasterPlan
        From :func:`gis_app.services.plan_service.disaster_plan`.
    path : path-like
        Target ``.xlsx`` (written whole under a temporary name, then renamed).
    progress : callable, optional
        ``progress(done, total)``: a village's sheet done, then the file saved; whatever it
        raises stops the writing, the target left as it was.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from openpyxl import Workbook

    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    _add_styles(wb)
    if len(plan.villages) > 1:
        _summary_sheet(wb.create_sheet("汇总"), plan)
    total = len(plan.villages) + 1  # the sheets, then the save (about as long as them all)
    for done, (village, name) in enumerate(zip(plan.villages, _sheet_names(plan.villages),
                                               strict=True)):
        if progress:
            progress(done, total)
        _village_sheet(wb.create_sheet(name), plan, village)
    if progress:
        progress(total - 1, total)
    replace_whole(path, wb.save)
    if progress:
        progress(total, total)
    return path


def _add_styles(wb) -> None:
    """Add the named styles the sheets' cells take by name.

    Setting a font, a border and an alignment on each of thousands of cells costs seconds in
    openpyxl; a named style is one look-up per cell.
    """
    from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side

    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    styles = {
        "plan_title": dict(font=Font(bold=True, size=16), alignment=center),
        "plan_line": dict(font=Font(size=10), alignment=center),
        "plan_heading": dict(font=Font(bold=True, size=12), alignment=left),
        "plan_label": dict(font=Font(bold=True, size=10), alignment=left),
        "plan_para": dict(font=Font(size=10), alignment=Alignment(
            horizontal="left", vertical="top", wrap_text=True)),
        "plan_header": dict(font=Font(bold=True, size=10), alignment=center, border=border,
                            fill=PatternFill("solid", fgColor="DDEBF7")),
        "plan_number": dict(font=Font(size=10), alignment=center, border=border),
        "plan_text": dict(font=Font(size=10), alignment=left, border=border),
        # a phone number must never become a number
        "plan_phone": dict(font=Font(size=10), alignment=left, border=border,
                           number_format="@"),
    }
    for name, values in styles.items():
        wb.add_named_style(NamedStyle(name=name, **values))


def _text_row(ws, text: str, ncols: int, style: str, width_chars: int) -> None:
    """One merged row across the sheet, tall enough for its wrapped text."""
    from openpyxl.utils import get_column_letter

    ws.append([text])
    row = ws.max_row
    ws.merge_cells(f"A{row}:{get_column_letter(ncols)}{row}")
    ws.cell(row, 1).style = style
    # A Chinese character is about two of Excel's width units; merged cells never auto-fit.
    lines = max(1, math.ceil(2 * len(text) / max(width_chars, 1)))
    ws.row_dimensions[row].height = 15 * lines + 3


def _grid_rows(ws, header: list[str], rows: list[list], text_columns=()) -> int:
    """A bordered table at the bottom of the sheet; returns its header row."""
    ws.append(header)
    first = ws.max_row
    for column in range(1, len(header) + 1):
        ws.cell(first, column).style = "plan_header"
    phones = {header.index(h) for h in text_columns if h in header}
    for values in rows:
        ws.append(values)
        row = ws.max_row
        for index, value in enumerate(values):
            ws.cell(row, index + 1).style = "plan_phone" if index in phones else \
                "plan_number" if value is None or isinstance(value, Integral) else "plan_text"
    return first


def _print_setup(ws, header_row: int | None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages as the rows need
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"


def _village_sheet(ws, plan, village) -> None:
    from openpyxl.utils import get_column_letter

    header, rows = list_rows(village)
    ncols = len(header)
    width = sum(_EXCEL_WIDTHS[:ncols])
    for index, chars in enumerate(_EXCEL_WIDTHS[:ncols], start=1):
        ws.column_dimensions[get_column_letter(index)].width = chars
    _text_row(ws, plan_title(village), ncols, "plan_title", width)
    ws.row_dimensions[1].height = 30
    _text_row(ws, heading_line(plan, village), ncols, "plan_line", width)
    for heading, paragraphs in sections(plan, village):
        _text_row(ws, heading, ncols, "plan_heading", width)
        for text in paragraphs:
            _text_row(ws, text, ncols, "plan_para", width)
        if heading.startswith("一") and len(village.hazards):
            _grid_rows(ws, *hazard_rows(village))
    _text_row(ws, "四、重点防范农户名单", ncols, "plan_heading", width)
    header_row = None
    if rows:
        header_row = _grid_rows(ws, header, rows, _TEXT_COLUMNS)
    else:
        _text_row(ws, "（无）", ncols, "plan_para", width)
    ws.append([])
    _text_row(ws, "说明：", ncols, "plan_label", width)
    for i, note in enumerate(plan.notes(), start=1):
        _text_row(ws, f"{i}. {note}", ncols, "plan_para", width)
    ws.append([])
    gap = " " * 8
    _text_row(ws, gap.join(SIGNATURES[:3]), ncols, "plan_label", width)
    _text_row(ws, gap.join(SIGNATURES[3:]), ncols, "plan_label", width)
    _print_setup(ws, header_row)


def _summary_sheet(ws, plan) -> None:
    from openpyxl.utils import get_column_letter

    header = ["序号", "乡镇", "村（社区）", "村（社区）代码", "重点防范户数", "人数", "监测对象",
              "脱贫户", "未落实帮扶责任人", *LEVEL_HEADERS, "位置未知的监测对象"]
    widths = (5, 10, 12, 15, 9, 7, 8, 7, 9, 7, 7, 7, 7, 10)
    summary = plan.summary()
    rows = [[i, r.township, r.name, r.code, r.households, r.persons, r.monitored, r.lifted,
             r.unpaired, r.level_1, r.level_2, r.level_3, r.level_4, r.unlocated]
            for i, r in enumerate(summary.itertuples(), start=1)]
    totals = summary[["households", "persons", "monitored", "lifted", "unpaired", "level_1",
                      "level_2", "level_3", "level_4", "unlocated"]].sum()
    rows.append([None, "合计", None, None, *(int(v) for v in totals)])
    for index, chars in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = chars
    ncols = len(header)
    _text_row(ws, f"{plan.county}{TITLE}{DRAFT}汇总", ncols, "plan_title", sum(widths))
    ws.row_dimensions[1].height = 30
    buffer = f"{plan.buffer_m:g}米" if plan.buffer_m > 0 else "无"
    _text_row(ws, f"编制日期：{_date(plan.created_on)}  分析缓冲距离：{buffer}", ncols,
              "plan_line", sum(widths))
    header_row = _grid_rows(ws, header, rows, ("村（社区）代码",))
    ws.append([])
    for i, note in enumerate(plan.notes(), start=1):
        _text_row(ws, f"{i}. {note}", ncols, "plan_para", sum(widths))
    _print_setup(ws, header_row)


# --- PDF ----------------------------------------------------------------------------------------


def write_plan_pdf(plan, path: str | os.PathLike, progress=None) -> Path:
    """Write the plan as an A4 landscape PDF: each village from a new page.

    The household list runs over as many pages as it needs with its header repeated; each
    village's pages are numbered from 1 (with the total when the file holds one village).
    Chinese needs a CJK font on the system (:func:`gis_app.reports.fonts.find_cjk_font`); its
    glyphs are embedded.

    Parameters
    ----------
    plan : DisasterPlan
        From :func:`gis_app.services.plan_service.disaster_plan`.
    path : path-like
        Target ``.pdf``.
    progress : callable, optional
        ``progress(done, total)``: a village's pages done, then the file written; whatever it
        raises stops the writing before the file is touched.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    CJKFontNotFound
        When no font with Chinese glyphs is installed.
    """
    from fpdf import FPDF

    single = len(plan.villages) == 1

    class _Pdf(FPDF):
        running, first = "", 1

        def footer(self) -> None:
            # Each village's plan is printed and signed on its own: its pages are counted
            # from 1; one village alone also says how many there are.
            self.set_y(-10)
            self.set_font(CJK_FAMILY, size=8)
            total = " / 共 {total} 页" if single else ""
            self.cell(0, 6, f"{self.running}  第 {self.page_no() - self.first + 1} 页{total}",
                      align="C")

    pdf = _Pdf(orientation="L", unit="mm", format="A4")
    pdf.alias_nb_pages("{total}")
    name = plan.villages[0].name if single else plan.county
    pdf.set_title(f"{name}{TITLE}{DRAFT}")
    pdf.set_creator("网格防返贫监测 GIS")
    add_cjk_font(pdf)
    pdf.set_auto_page_break(True, margin=14)
    pdf.set_margins(12, 12, 12)
    total = len(plan.villages) + 1
    try:
        for done, village in enumerate(plan.villages):
            if progress:
                progress(done, total)
            pdf.add_page()  # the previous page's footer is drawn here, with its own village's
            pdf.running, pdf.first = plan_title(village), pdf.page_no()
            _pdf_village(pdf, plan, village)
        if progress:
            progress(total - 1, total)
    except BaseException:
        close_fonts(pdf)  # stopped half drawn: the embedded font's file is let go
        raise
    path = Path(path)
    write_pdf(pdf, path)
    if progress:
        progress(total, total)
    return path


def _paragraph(pdf, text: str, size: float = 10, indent: float = 0.0) -> None:
    draw_paragraph(pdf, text, family=CJK_FAMILY, size=size, indent=indent)


def _pdf_village(pdf, plan, village) -> None:
    pdf.set_font(CJK_FAMILY, size=18)
    pdf.cell(0, 11, plan_title(village), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(CJK_FAMILY, size=9)
    pdf.cell(0, 6, heading_line(plan, village), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for heading, paragraphs in sections(plan, village):
        _paragraph(pdf, heading, size=12)
        pdf.ln(0.5)
        for text in paragraphs:
            _paragraph(pdf, text, indent=4)
        if heading.startswith("一") and len(village.hazards):
            pdf.ln(1)
            header, rows = hazard_rows(village)
            draw_table(pdf, header, rows, (26, 20, 20, 20, 20, 22, 18), family=CJK_FAMILY,
                       size=9)
        pdf.ln(2)
    _paragraph(pdf, "四、重点防范农户名单", size=12)
    pdf.ln(1)
    header, rows = list_rows(village)
    if rows:
        metres = header.index("直线距离（米）")
        rows = [[f"{v:,}" if i == metres and v is not None else v for i, v in enumerate(row)]
                for row in rows]
        align = ["C" if name in _NUMBER_COLUMNS else "L" for name in header]
        draw_table(pdf, header, rows, _PDF_WIDTHS, family=CJK_FAMILY, size=7.5, align=align)
    else:
        _paragraph(pdf, "（无）", indent=4)
    notes = [f"{i}. {note}" for i, note in enumerate(plan.notes(), start=1)]
    # the notes and the signatures stay together: never a page of signatures alone
    needed = 3 + 5 + sum(paragraph_height(pdf, note, family=CJK_FAMILY, size=8.5, indent=4)
                         for note in notes) + 4 + 16
    if pdf.get_y() + needed > pdf.h - pdf.b_margin:
        pdf.add_page()
    else:
        pdf.ln(3)
    _paragraph(pdf, "说明：", size=9)
    for note in notes:
        _paragraph(pdf, note, size=8.5, indent=4)
    pdf.ln(4)
    pdf.set_font(CJK_FAMILY, size=10)
    third = pdf.epw / 3
    for line in (SIGNATURES[:3], SIGNATURES[3:]):
        for text in line:
            pdf.cell(third, 8, text)
        pdf.ln(8)
