"""Printed maps and atlases from a session: the map's layers as shown, units, key figures.

:func:`prepare_print` gathers a :class:`~gis_app.reports.map_print.PrintSheet` from a
:class:`~gis_app.services.session.ProjectSession` (the layers the map shows, in its order,
with its styles and opacity; each page's unit, extent, figures and table);
:func:`write_print` draws it into a PDF or a 300 dpi PNG. ``gis-app print`` and the window's
文件 → 打印地图… call both, so they write the same files. Nothing personal is printed: the
figures are counts, the table names grids only.

Key figures of a unit: its households and monitored households (the session's households by
village or level-3 grid), the campaign's coverage (its :class:`CoverageTracker` table of the
unit's level, as the coverage dock and ``gis-app coverage`` count it), its level-3 grids and
the workers in force on its grids at every level (``session.current_assignments``).

A print is in Chinese or English (``PrintOptions.language``, the window's language): the layer
names and legend labels are the catalog's and styles' own English, the print's other words
come from :data:`_ENGLISH` (as the briefing map's do); names from the data stay as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from gis_app.core.codes import HouseholdAttribute
from gis_app.reports.map_print import PrintLayer, PrintPage, PrintSheet

PAPERS = ("A4", "A3")
ORIENTATIONS = ("portrait", "landscape")
#: Atlas kinds: one page per village (level 2) or per level-3 grid.
ATLAS_LEVELS = {"village": 2, "grid": 3}
FORMATS = (".pdf", ".png")
DPI = 300
LANGUAGES = ("zh", "en")

#: The print's own words in English (the unit's figures, table, default titles, footer).
_ENGLISH = {
    "农户": "Households", "监测对象": "Monitored households", "排查覆盖率": "Coverage",
    "已排查": "Checked", "三级网格": "Level-3 grids", "网格员（在岗）": "Grid workers in post",
    "排查任务": "Investigation", "（无）": "(none)", "全县": "Whole county",
    "{n} 户": "{n} households", "{n} 个": "{n}", "{n} 人": "{n}",
    "{name}（{code}）": "{name} ({code})",
    "{scope}网格化防返贫监测图": "{scope} Grid Monitoring Map",
    "{scope}各村（社区）网格图集": "{scope} Atlas of Villages",
    "{scope}三级网格图集": "{scope} Atlas of Level-3 Grids",
    "制图日期：{date}": "Drawn on {date}",
    "数据来源：{county}防止返贫监测网格化管理数据（{store}）":
        "Source: {county} grid monitoring data ({store})",
    "坐标系：CGCS2000 3度带高斯-克吕格（EPSG:{epsg}）":
        "CRS: CGCS2000 3-degree Gauss-Kruger zone (EPSG:{epsg})",
    "PostgreSQL 数据库": "PostgreSQL database",
}
#: An atlas table's header (level-3 grids) and its English.
TABLE_HEADER = ["三级网格", "农户", "监测对象", "已排查", "覆盖率", "网格员"]
TABLE_HEADER_EN = ["Level-3 grid", "Homes", "Monit.", "Checked", "Cov.", "Workers"]


def _word(text: str, language: str) -> str:
    """``text`` in ``language`` ("zh" or "en")."""
    return _ENGLISH.get(text, text) if language.startswith("en") else text


class PrintOptionsError(ValueError):
    """Options that cannot be printed (a PNG atlas, an unknown paper, township or campaign)."""


@dataclass(frozen=True)
class PrintOptions:
    """What to print: paper, orientation, title, atlas kind, township and campaign year."""

    paper: str = "A4"
    orientation: str = "landscape"
    title: str | None = None
    atlas: str | None = None
    township: str | None = None
    campaign_year: int | None = None
    #: "zh" or "en": the print's words, layer names and legend labels.
    language: str = "zh"


@dataclass(frozen=True)
class PrintResult:
    """A file written: where, how many pages, and the sheet drawn."""

    path: Path
    pages: int
    sheet: PrintSheet

    def message(self) -> str:
        """What was written, in Chinese."""
        return f"已生成地图（{self.pages}页）：{self.path}"


# --- the layers ---------------------------------------------------------------------------------


def map_layers(session):
    """A LayerSet of the catalog's layers as the project keeps the map (order, visibility)."""
    from gis_app.catalog import load_layers, load_styles
    from gis_app.services.layers import LayerSet
    from gis_app.services.map_state import saved_map_state

    styles = load_styles()
    layers = LayerSet(session, load_layers(styles=styles))
    layers.restore_display(saved_map_state(session))
    return layers, styles


def print_layers(layers, styles: dict, tracker=None, language: str = "zh") -> list[PrintLayer]:
    """The visible layers bottom to top, as :class:`PrintLayer` (coverage of ``tracker``).

    Parameters
    ----------
    layers : LayerSet
        The window's layers, or :func:`map_layers`'s.
    styles : dict
        Style id → Style.
    tracker : CoverageTracker, optional
        Colour the coverage choropleths from this campaign instead of the session's.
    language : str
        Layer names in "zh" or "en" (the catalog's titles).
    """
    from gis_app.services.layers import COVERAGE_SOURCES
    from gis_app.services.map_service import coverage_layer

    printed = []
    for layer_id in reversed(layers.order):
        layer = layers[layer_id]
        if not layer.visible:
            continue
        frame = layer.frame
        if tracker is not None and layer.source in COVERAGE_SOURCES:
            level = COVERAGE_SOURCES[layer.source]
            frame = coverage_layer(layers.session.grids, tracker.table(level, sort=False), level)
        definition = layer.definition
        printed.append(PrintLayer(definition.title.in_language(language), definition.geometry,
                                  styles[layer.style], frame, layer.opacity, definition.base,
                                  definition.max_scale))
    return printed


# --- units and their figures --------------------------------------------------------------------


def _campaign_tracker(session, year: int | None):
    """(tracker, campaign name) of the year's last round, else the session's campaign."""
    campaigns = session.frame("campaigns").sort_values(["year", "round", "id"])
    if year is None:
        chosen = campaigns[campaigns["id"] == session.campaign_id]
        return session.coverage(), (str(chosen["name"].iloc[0]) if len(chosen) else None)
    chosen = campaigns[campaigns["year"] == int(year)]
    if not len(chosen):
        raise PrintOptionsError(f"没有{year}年度的集中排查")
    campaign_id = int(chosen["id"].iloc[-1])
    if campaign_id == session.campaign_id:
        return session.coverage(), str(chosen["name"].iloc[-1])
    from gis_app.services.coverage_service import coverage_tracker

    return coverage_tracker(session.project, campaign_id=campaign_id), str(
        chosen["name"].iloc[-1])


@dataclass
class _Counts:
    """What the figures of every unit are counted from, read once per sheet."""

    households: pd.DataFrame
    grids: pd.DataFrame
    workers: pd.DataFrame  # worker_id, grid_id of the assignments in force
    coverage: dict  # level → coverage table by code (None without a campaign)

    def figures(self, household_mask, grid_ids, level: int, codes) -> dict:
        """Households, monitored, covered/coverage, level-3 grids, workers of one unit."""
        households = self.households[household_mask]
        table = self.coverage.get(level)
        covered = total = 0
        if table is not None:
            rows = table[table["code"].isin(codes)]
            covered = int((rows["home"] + rows["remote"]).sum())
            total = int(rows["households"].sum())
        grids = self.grids[self.grids["id"].isin(grid_ids)]
        return {
            "households": len(households),
            "monitored": int((households["attribute"] == HouseholdAttribute.MONITORED).sum()),
            "covered": covered,
            "coverage": covered / total if total else None,
            "grids": int((grids["level"] == 3).sum()),
            "workers": int(self.workers.loc[self.workers["grid_id"].isin(grid_ids),
                                            "worker_id"].nunique()),
        }


def _counts(session, tracker) -> _Counts:
    now = session.current_assignments()
    coverage = {} if tracker is None else {level: tracker.table(level, sort=False)
                                           for level in (1, 2, 3)}
    return _Counts(session.households, session.grids, now[["worker_id", "grid_id"]], coverage)


def figure_lines(figures: dict, campaign: str | None,
                 language: str = "zh") -> list[tuple[str, str]]:
    """The key figures as (label, text) lines of the page, in ``language``."""
    coverage = figures["coverage"]
    households, count, persons = (_word(unit, language) for unit in ("{n} 户", "{n} 个",
                                                                      "{n} 人"))
    lines = [
        ("农户", households.format(n=f"{figures['households']:,}")),
        ("监测对象", households.format(n=f"{figures['monitored']:,}")),
        ("排查覆盖率", "—" if coverage is None else f"{coverage:.1%}"),
        ("已排查", households.format(n=f"{figures['covered']:,}")),
        ("三级网格", count.format(n=figures["grids"])),
        ("网格员（在岗）", persons.format(n=figures["workers"])),
        ("排查任务", campaign or _word("（无）", language)),
    ]
    return [(_word(label, language), text) for label, text in lines]


def _unit_name(place: str, name: str, code: str, language: str) -> str:
    """``镇 村（代码）``: an atlas page's unit."""
    return f"{place} " + _word("{name}（{code}）", language).format(name=name, code=code)


def _grid_rows(counts: _Counts, grids: pd.DataFrame) -> list[list[str]]:
    """The table rows of level-3 grids: households, monitored, covered, coverage, workers."""
    rows = []
    for grid in grids.sort_values("code").itertuples():  # a village's few grids
        f = counts.figures(counts.households["grid_id"].to_numpy() == grid.id, [grid.id], 3,
                           [grid.code])
        rows.append([grid.name, str(f["households"]), str(f["monitored"]), str(f["covered"]),
                     "—" if f["coverage"] is None else f"{f['coverage']:.0%}",
                     str(f["workers"])])
    return rows


def _scope(session, township: str | None):
    """(villages, township name or None) of the whole county or one township."""
    villages = session.villages
    if township is None:
        return villages, None
    townships = session.townships
    chosen = townships[townships["code"].astype(str) == str(township)]
    if not len(chosen):
        raise PrintOptionsError(f"没有代码为{township}的乡镇")
    return villages[villages["parent_id"] == chosen["id"].iloc[0]], str(chosen["name"].iloc[0])


def _pages(session, options: PrintOptions, counts: _Counts, campaign) -> list[PrintPage]:
    language = options.language
    header = TABLE_HEADER_EN if language.startswith("en") else TABLE_HEADER
    villages, township_name = _scope(session, options.township)
    grids = session.grids
    households = counts.households
    village_codes = villages["code"].astype(str)
    in_scope = grids["admin_code"].astype(str).isin(
        [*village_codes, *([str(options.township)] if options.township else [])])
    if options.township is None:
        in_scope = np.ones(len(grids), dtype=bool)
    if options.atlas is None:
        name = township_name or session.settings.get("county_name") or _word("全县", language)
        mask = households["village_id"].isin(villages["id"]).to_numpy()
        if options.township is None:
            mask = np.ones(len(households), dtype=bool)
        figures = counts.figures(mask, grids.loc[in_scope, "id"], 1,
                                 [str(options.township)] if options.township else
                                 session.townships["code"].astype(str))
        bounds = tuple(villages.total_bounds) if len(villages) else tuple(grids.total_bounds)
        focus = None
        if options.township is not None and len(villages):  # the rest of the county veiled
            focus = shapely.union_all(villages.geometry.to_numpy())
        return [PrintPage(name, bounds, figure_lines(figures, campaign, language), focus)]
    townships = session.townships.set_index("id")["name"]
    pages = []
    if options.atlas == "village":
        for village in villages.sort_values("code").itertuples():
            code = str(village.code)
            mine = grids[grids["admin_code"].astype(str) == code]
            figures = counts.figures(households["village_id"].to_numpy() == village.id,
                                     mine["id"], 2, [code])
            unit = _unit_name(townships.get(village.parent_id, ""), village.name, code,
                              language)
            pages.append(PrintPage(unit, tuple(shapely.bounds(village.geometry)),
                                   figure_lines(figures, campaign, language), village.geometry,
                                   (header, _grid_rows(counts, mine[mine["level"] == 3]))))
        return pages
    names = villages.set_index(villages["code"].astype(str))["name"]
    level3 = grids[(grids["level"] == 3) & in_scope].sort_values("code")
    for grid in level3.itertuples():
        figures = counts.figures(households["grid_id"].to_numpy() == grid.id, [grid.id], 3,
                                 [grid.code])
        unit = _unit_name(names.get(str(grid.admin_code), ""), grid.name, grid.code, language)
        pages.append(PrintPage(unit, tuple(shapely.bounds(grid.geometry)),
                               figure_lines(figures, campaign, language), grid.geometry,
                               (header, _grid_rows(counts, level3[level3["id"] == grid.id]))))
    return pages


def check_options(options: PrintOptions, out) -> str:
    """The output's format (``.pdf``/``.png``); refuses what cannot be printed."""
    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        raise PrintOptionsError("输出文件应为 .pdf 或 .png")
    if options.paper not in PAPERS:
        raise PrintOptionsError(f"纸张应为 {'、'.join(PAPERS)}")
    if options.orientation not in ORIENTATIONS:
        raise PrintOptionsError("方向应为 portrait（纵向）或 landscape（横向）")
    if options.atlas is not None and options.atlas not in ATLAS_LEVELS:
        raise PrintOptionsError("图集应为 village（每村一页）或 grid（每个三级网格一页）")
    if options.language not in LANGUAGES:
        raise PrintOptionsError("语言应为 zh（中文）或 en（英文）")
    if options.atlas is not None and suffix != ".pdf":
        raise PrintOptionsError("图集只能输出为 PDF（每个单元一页）")
    return suffix


def prepare_print(session, options: PrintOptions, layers=None, styles=None) -> PrintSheet:
    """Gather what the print shows (read from the session; nothing is drawn yet).

    Parameters
    ----------
    session : ProjectSession
        The project.
    options : PrintOptions
        Paper, orientation, title, atlas, township, campaign year, language.
    layers : LayerSet, optional
        The window's layers (as shown); default: the catalog's, as the project keeps them.
    styles : dict, optional
        Style id → Style (with ``layers``).

    Returns
    -------
    PrintSheet
    """
    if layers is None:
        layers, styles = map_layers(session)
    tracker, campaign = _campaign_tracker(session, options.campaign_year)
    counts = _counts(session, tracker)
    pages = _pages(session, options, counts, campaign)
    if not pages:
        raise PrintOptionsError("所选范围内没有可打印的村或网格")
    language = options.language
    county = session.settings.get("county_name") or ""
    scope = _scope(session, options.township)[1] or county
    default = _word({None: "{scope}网格化防返贫监测图", "village": "{scope}各村（社区）网格图集",
                     "grid": "{scope}三级网格图集"}[options.atlas], language)
    today = dt.date.today()
    footer = [_word("制图日期：{date}", language).format(
                  date=today.isoformat() if language.startswith("en") else f"{today:%Y年%m月%d日}"),
              _word("数据来源：{county}防止返贫监测网格化管理数据（{store}）", language).format(
                  county=county, store=_store_name(session, language)),
              _word("坐标系：CGCS2000 3度带高斯-克吕格（EPSG:{epsg}）", language).format(
                  epsg=session.epsg)]
    shown = tracker if options.campaign_year is not None else None
    return PrintSheet(options.title or default.format(scope=scope).strip(),
                      print_layers(layers, styles, shown, language), pages, options.paper,
                      options.orientation, footer, language)


def _store_name(session, language: str = "zh") -> str:
    """The project file's name; a database server is named without its address."""
    location = str(session.project.location)
    return _word("PostgreSQL 数据库", language) if "://" in location else Path(location).name


def write_print(sheet: PrintSheet, out, progress=None) -> PrintResult:
    """Draw ``sheet`` into ``out`` (``.pdf``: every page; ``.png``: 300 dpi, one page)."""
    from gis_app.reports.map_print import write_map_pdf, write_map_png

    out = Path(out)
    if out.suffix.lower() == ".png":
        path = write_map_png(sheet, out, DPI, progress)
        return PrintResult(path, 1, sheet)
    return PrintResult(write_map_pdf(sheet, out, progress), len(sheet.pages), sheet)


def export_print(session, out, options: PrintOptions, progress=None) -> PrintResult:
    """Check the options, gather and write: what ``gis-app print`` does."""
    check_options(options, out)
    return write_print(prepare_print(session, options), out, progress)
