"""Annex 3 in the official layout: “画像”工作核实情况表, one sheet per household (一户一画像).

The form of seed 002 (附件3) in its order: 一、基本情况 with the 6类人群; 二、监测指标 (income,
education, medical insurance, housing, water, illness and disability, 低保特困, disaster or
accident, work); 三、初步评判 (the conclusion and its reason); the signature line. What the store
holds is filled in and its boxes ticked (☑); what it does not hold (a reason it never asks, last
year's figures, 退捕渔民) stays an empty box (□) or cell, to be filled in by hand like the paper
form. Each household arrives as a :class:`Portrait`, its values already masked or not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from gis_app.reports.forms import FormSheet, date_text, sheet_title, tick

NCOLS = 12
_OBLIGATORY = ("小学", "初中")
_WORKING = ("县内务工", "省内务工", "省外务工")
_FARMING = ("务农",)
#: Blank rows the form keeps in its person tables when the household has fewer.
_MIN_PERSON_ROWS = 3


@dataclass
class Portrait:
    """What the form shows of one household (texts already masked where they must be)."""

    township: str
    village: str
    grid: str
    head_name: str
    members: int
    phone: str
    checked_on: dt.date | None
    checker: str
    attribute: int
    income: float | None
    dibao: bool
    tekun: bool
    education_problem: bool
    insurance_problem: bool
    housing_problem: bool
    water_problem: bool
    has_risk: bool
    risk_type: int | None
    proposed_monitoring_type: int | None
    #: Each member: ``name, illness, disability_kind, disability_grade, schooling, insured,
    #: work_status, work_place`` (None where empty).
    persons: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Thresholds:
    """The campaign's income lines: 监测收入基准线 and the early-warning income (元/人·年)."""

    income_line: float
    early_warning_income: float
    year: int


def _yuan(value: float) -> str:
    return f"{value:,.0f}元"


def _label(enum_name: str, code) -> str:
    from gis_app.core import codes

    if code is None or pd.isna(code):
        return ""
    return getattr(codes, enum_name)(int(code)).label


def _people(persons: list[dict], column: str, values) -> list[dict]:
    return [person for person in persons if person.get(column) in values]


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _grade(person: dict) -> int | None:
    grade = person.get("disability_grade")
    return None if grade is None or pd.isna(grade) else int(grade)


def groups_text(p: Portrait, t: Thresholds) -> str:
    """The 6类人群 with the groups the store shows ticked."""
    low = p.income is not None and p.income < t.early_warning_income
    risk = None if p.risk_type is None else int(p.risk_type)
    return (f"收入较低或下降明显的，特别是去年收入低于1万元且不升反降的脱贫户 {tick(low)}\n"
            f"就业不稳的 {tick(risk == 7)}    产业失败的 {tick(risk == 6)}    "
            f"其他突发意外事故影响较大的 {tick(risk in (4, 5))}    退捕渔民 {tick(False)}\n"
            f"{t.year}年以来有新申请的农村低保对象、分散供养特困人员、低保边缘家庭 {tick(False)}")


def income_cells(p: Portrait, t: Thresholds) -> tuple[str, str, str]:
    """主要收入来源, 预计今年人均纯收入 and the stability line."""
    working = bool(_people(p.persons, "work_status", _WORKING))
    farming = bool(_people(p.persons, "work_status", _FARMING))
    transfer = p.dibao or p.tekun
    sources = (f"工资性收入{tick(working)}    财产性收入{tick(False)}    "
               f"生产经营性收入{tick(farming)}\n转移性收入{tick(transfer)}（低保特困金"
               f"{tick(transfer)}    其他政策性收入{tick(False)}    赡养费{tick(False)}）")
    income = p.income
    line, warning = t.income_line, t.early_warning_income
    known = income is not None
    brackets = (f"{line:.0f}元以下{tick(known and income < line)}    "
                f"{line:.0f}元-{warning / 10000:g}万元{tick(known and line <= income < warning)}\n"
                f"{warning / 10000:g}-2万元{tick(known and warning <= income < 20000)}    "
                f"2万元以上{tick(known and income >= 20000)}")
    if known:
        brackets += f"\n（{_yuan(income)}）"
    stable = known and income > line
    reason = "" if stable or not p.has_risk else _label("RiskType", p.risk_type)
    stability = (f"该户家庭人均纯收入是否稳定（超过{line:.0f}元以上），是{tick(stable)}否"
                 f"{tick(known and not stable)}，若否，主要原因是：{reason}")
    return sources, brackets, stability


def conclusion(p: Portrait) -> tuple[bool, str]:
    """Whether monitoring is proposed, and the reason written beside the conclusion."""
    proposed = p.proposed_monitoring_type is not None and not pd.isna(p.proposed_monitoring_type)
    risk = _label("RiskType", p.risk_type)
    if proposed:
        kind = _label("MonitoringType", p.proposed_monitoring_type)
        return True, f"存在致返贫风险（{risk}），拟纳入{kind}"
    if p.has_risk:
        already = p.attribute == 2
        return False, (f"存在致返贫风险（{risk}），已是监测对象" if already
                       else f"存在致返贫风险（{risk}），未拟纳入监测")
    return False, "未发现致返贫风险"


def _row_cells(form: FormSheet, row: int, spans: list[tuple[object, int]], style: str,
               col: int = 1) -> None:
    """Cells side by side from ``col``: (value, width) each."""
    for value, width in spans:
        form.put(row, col, value, style, cols=width)
        col += width


def _two_row_header(form: FormSheet, r: int,
                    cells: list[tuple[str, int, list[tuple[str, int]] | None]]) -> None:
    """A header over two rows: a cell spans both, or its ``parts`` (text, width) fill the second."""
    col = 1
    for text, width, parts in cells:
        if parts is None:
            form.put(r, col, text, "header", rows=2, cols=width)
        else:
            form.put(r, col, text, "header", cols=width)
            _row_cells(form, r + 1, parts, "header", col)
        col += width

def portrait_form(p: Portrait, title: str, t: Thresholds) -> FormSheet:
    """One household's form laid out cell by cell."""
    form = FormSheet(NCOLS)
    form.widths = [9.5] * NCOLS
    r = 1
    form.line(r, title, "title", height=30)
    r += 1
    form.line(r, f"{p.township}    {p.village}    {p.grid}    {date_text(p.checked_on)}",
              "subtitle")
    r += 1
    form.line(r, "一、基本情况", "section")
    r += 1
    _row_cells(form, r, [("户主姓名", 2)], "label")
    form.put(r, 3, p.head_name, "cell", cols=2)
    form.put(r, 5, "家庭人数", "label", cols=2)
    form.put(r, 7, int(p.members), "number", cols=2)
    form.put(r, 9, "联系方式", "label", cols=2)
    form.put(r, 11, p.phone or None, "id", cols=2)
    r += 1
    form.put(r, 1, "6类人群", "label", cols=2)
    form.put(r, 3, groups_text(p, t), "text", cols=10)
    form.heights[r] = 48
    r += 1
    form.line(r, "二、监测指标", "section")
    r += 1
    form.line(r, "（一）家庭收入情况", "section")
    r += 1
    sources, brackets, stability = income_cells(p, t)
    _row_cells(form, r, [("主要收入来源", 7), ("预计今年人均纯收入", 5)], "header")
    _row_cells(form, r + 1, [(sources, 7), (brackets, 5)], "text")
    form.heights[r + 1] = 48
    form.put(r + 2, 1, stability, "text", cols=NCOLS)
    r += 3
    r = _education(form, r, p)
    r = _insurance(form, r, p)
    r = _yes_no_table(form, r, "（四）住房安全情况", "住房有保障", "住房无保障及原因",
                      ("疑似住危房且无能力建/购房", "疑似住危房但有能力建/购房", "漏风漏雨",
                       "其他"), p.housing_problem)
    r = _yes_no_table(form, r, "（五）饮水安全情况", "饮水有保障", "饮水安全无保障及原因",
                      ("水质不达标", "水量不充足", "取水不方便", "季节性缺水", "其他"),
                      p.water_problem)
    r = _illness(form, r, p)
    r = _assistance(form, r, p)
    r = _disaster(form, r, p)
    r = _work(form, r, p)
    r = _judgement(form, r, p)
    form.line(r + 1, f"家庭成员签字：                调查人员签字：{p.checker}"
                     "                村支书（工作队长）签字：", "note", height=28)
    return form


def _education(form: FormSheet, r: int, p: Portrait) -> int:
    form.line(r, "（二）教育保障情况", "section")
    obligatory = _people(p.persons, "schooling", _OBLIGATORY)
    other = [person for person in p.persons
             if person.get("schooling") and person["schooling"] not in _OBLIGATORY]
    _row_cells(form, r + 1, [("义务教育阶段有保障", 8), ("其他教育阶段有保障", 4)], "header")
    _row_cells(form, r + 2, [("是否有义务教育阶段学生", 2), ("有保障", 2), ("无保障", 2),
                             ("无保障主要原因", 2), ("是否有其他教育阶段学生", 2),
                             ("是否因贫辍学", 2)], "header")
    has_pupils = bool(obligatory)
    _row_cells(form, r + 3, [("是" if has_pupils else "否", 2),
                             (tick(has_pupils and not p.education_problem), 2),
                             (tick(p.education_problem), 2), (None, 2),
                             ("是" if other else "否", 2), (None, 2)], "cell")
    return r + 4


def _insurance(form: FormSheet, r: int, p: Portrait) -> int:
    form.line(r, "（三）医保参保情况", "section")
    insured = sum(bool(person.get("insured")) for person in p.persons) if p.persons else None
    _two_row_header(form, r + 1, [
        ("家庭总人数", 2, None), ("已参保人数", 2, None),
        ("未参保人数及原因", 8, [("服刑外逃", 2), ("死亡失踪", 2), ("无能力参保", 2),
                                ("有能力但不愿参保", 1), ("其他", 1)])])
    not_insured = None if insured is None else int(p.members) - insured
    _row_cells(form, r + 3, [(int(p.members), 2), (insured, 2), (None, 2), (None, 2),
                             (None, 2), (None, 1), (not_insured or None, 1)], "number")
    return r + 4


def _yes_no_table(form: FormSheet, r: int, section: str, good: str, bad: str,
                  reasons: tuple[str, ...], problem: bool) -> int:
    form.line(r, section, "section")
    width = 10 // len(reasons)
    spans = [(reason, width) for reason in reasons]
    spans[-1] = (reasons[-1], 10 - width * (len(reasons) - 1))
    form.put(r + 1, 1, good, "header", rows=2, cols=2)
    form.put(r + 1, 3, bad, "header", cols=10)
    col = 3
    for reason, span in spans:
        form.put(r + 2, col, reason, "header", cols=span)
        form.put(r + 3, col, tick(problem) if reason == "其他" else tick(False), "cell",
                 cols=span)
        col += span
    form.put(r + 3, 1, tick(not problem), "cell", cols=2)
    return r + 4


def _person_rows(form: FormSheet, r: int, rows: list[list[tuple[object, int]]]) -> int:
    for values in rows + [[(None, w) for _, w in rows[0]]] * max(0, _MIN_PERSON_ROWS - len(rows)):
        _row_cells(form, r, values, "cell")
        r += 1
    return r


def _illness(form: FormSheet, r: int, p: Portrait) -> int:
    form.line(r, "（六）重病慢病和残疾情况", "section")
    _two_row_header(form, r + 1, [
        ("姓名", 2, None), ("所患病种", 2, None), ("残疾类型", 2, None), ("残疾等级", 1, None),
        ("今年住院情况", 5, [("是否住院", 1), ("自付费用", 2), ("预计年自付药费", 2)])])
    sick = [person for person in p.persons
            if person.get("illness") or person.get("disability_kind")]
    rows = [[(person["name"], 2), (_text(person.get("illness")), 2),
             (_text(person.get("disability_kind")), 2), (_grade(person), 1),
             (None, 1), (None, 2), (None, 2)] for person in sick]
    empty = [[(None, 2), (None, 2), (None, 2), (None, 1), (None, 1), (None, 2), (None, 2)]]
    return _person_rows(form, r + 3, rows or empty)


def _assistance(form: FormSheet, r: int, p: Portrait) -> int:
    form.line(r, "（七）低保特困情况", "section")
    _two_row_header(form, r + 1, [
        ("家庭总人数", 2, None), ("去年享受低保特困情况", 4, [("人数", 2), ("年发放金额", 2)]),
        ("今年享受低保特困情况", 4, [("人数", 2), ("预计今年发放金额", 2)]), ("备注", 2, None)])
    note = "、".join(word for flag, word in ((p.dibao, "低保"), (p.tekun, "特困")) if flag)
    _row_cells(form, r + 3, [(int(p.members), 2), (None, 2), (None, 2), (None, 2), (None, 2),
                             (f"今年享受{note}" if note else "未享受", 2)], "cell")
    return r + 4


def _disaster(form: FormSheet, r: int, p: Portrait) -> int:
    form.line(r, "（八）因灾因意外情况", "section")
    _row_cells(form, r + 1, [("因灾因意外类型", 3), ("财产损失金额", 2), ("产业损失金额", 2),
                             ("人员伤亡情况", 3), ("备注", 2)], "header")
    kind = _label("RiskType", p.risk_type) if p.risk_type in (4, 5) else None
    _row_cells(form, r + 2, [(kind, 3), (None, 2), (None, 2), (None, 3), (None, 2)], "cell")
    return r + 3


def _work(form: FormSheet, r: int, p: Portrait) -> int:
    form.line(r, "（九）就业务工情况", "section")
    _row_cells(form, r + 1, [("去年务工情况", 6), ("今年务工情况", 6)], "header")
    _row_cells(form, r + 2, [("姓名", 2), ("务工地点", 2), ("年务工收入", 2), ("姓名", 2),
                             ("务工地点", 2), ("预计年务工收入", 2)], "header")
    workers = _people(p.persons, "work_status", _WORKING)
    rows = [[(None, 2), (None, 2), (None, 2), (person["name"], 2),
             (_text(person.get("work_place")) or person["work_status"], 2), (None, 2)]
            for person in workers]
    empty = [[(None, 2)] * 6]
    return _person_rows(form, r + 3, rows or empty)


def _judgement(form: FormSheet, r: int, p: Portrait) -> int:
    form.line(r, "三、初步评判", "section")
    proposed, reason = conclusion(p)
    _row_cells(form, r + 1, [("画像结论", 4), ("判定理由", 5), ("备注", 3)], "header")
    _row_cells(form, r + 2, [(f"无需纳入监测对象{tick(not proposed)}", 4),
                             (None if proposed else reason, 5), (None, 3)], "text")
    help_text = ("初步建议帮扶：\n1.政策支持类□\n2.产业发展类□\n3.稳岗就业类□\n4.兜底保障类□\n"
                 "5.社会救助类□\n6.增强内生动力类□")
    _row_cells(form, r + 3, [(f"建议纳入监测对象（含已消除监测对象重新标识风险）{tick(proposed)}",
                              4), (reason if proposed else None, 5), (help_text, 3)], "text")
    form.heights[r + 3] = 110
    return r + 4


def portrait_forms(portraits: list[Portrait], title: str, thresholds: Thresholds,
                   progress: Callable[[int, int], None] | None = None) -> list[FormSheet]:
    """Annex 3's worksheets: one per household, named by its head, upright on A4.

    Parameters
    ----------
    portraits : list of Portrait
        The households, in order.
    title : str
        The form's title, e.g. ``"青溪县“画像”工作核实情况表"``.
    thresholds : Thresholds
        The campaign's income lines and year.
    progress : callable, optional
        ``progress(done, total)`` after each household.

    Returns
    -------
    list of FormSheet
        One sheet saying that nobody is portrayed when ``portraits`` is empty.
    """
    taken: set[str] = set()
    forms = []
    for i, portrait in enumerate(portraits, start=1):
        form = portrait_form(portrait, title, thresholds)
        form.name = sheet_title(f"{i}-{portrait.head_name}", taken)
        form.landscape = False
        forms.append(form)
        if progress is not None:
            progress(i, len(portraits))
    if not forms:
        form = FormSheet(NCOLS, name="画像", widths=[9.5] * NCOLS, landscape=False)
        form.line(1, title, "title", height=30)
        form.line(2, "本范围内没有需要画像的农户")
        forms.append(form)
    return forms
