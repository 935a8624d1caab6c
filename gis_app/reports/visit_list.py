"""A worker's visit list (走访清单) for printing: Excel with a map picture, PDF with a vector map.

Both take a :class:`gis_app.services.visit_list_service.VisitList` (read by attribute only, since
reports sit below services): ``worker``, ``campaign``, ``households``, ``grids``, ``route_m``,
``grid_names``, ``created_on`` and ``table()``. Personal data arrives already masked or not.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import numpy as np
import shapely

# CJKFontNotFound: what write_visit_list_pdf raises, importable from here as before.
from gis_app.reports.files import replace_whole
from gis_app.reports.fonts import (  # noqa: F401
    CJKFontNotFound,
    add_cjk_font,
    find_cjk_font,
    write_pdf,
)

# MapFrame, nice_length, length_text: importable from here as before.
from gis_app.reports.map_frame import (  # noqa: F401
    MapFrame,
    length_text,
    nice_length,
    north_arrow,
    scale_bar,
)
from gis_app.reports.page_canvas import PdfCanvas, PngCanvas

TITLE = "走访清单"
_ROUTE_COLOUR = (214, 51, 108)
_GRID_COLOUR = (90, 110, 140)
_POINT_COLOUR = (25, 113, 194)
_UNKNOWN_NOTE = "位置未知"
#: Numbering every point of a long list would hide the map; above this, every k-th is numbered.
_MAX_LABELS = 150


def _summary_lines(visits) -> list[str]:
    worker, campaign = visits.worker, visits.campaign
    unknown = int((~visits.households["located"].to_numpy(bool)).sum())
    who = "，".join(v for v in (worker.get("unit"), worker.get("title")) if v)
    return [
        f"网格员：{worker['name']}" + (f"（{who}）" if who else "")
        + f"    联系电话：{worker.get('phone') or '未填'}    职务：{worker.get('roles') or '—'}",
        f"负责网格：{'、'.join(visits.grid_names) or '（无，结对帮扶户）'}",
        f"{campaign.get('task_label') or '排查任务'}：{campaign['name']}"
        f"（{campaign['start_date']} 至 {campaign['end_date']}）",
        f"生成日期：{visits.created_on}    待走访：{visits.count}户"
        + (f"（其中位置未知{unknown}户，列在最后）" if unknown else "")
        + f"    路线长度：{visits.route_m / 1000:.2f}公里（直线距离）",
    ]


# --- the map, shared by the PNG and the PDF ----------------------------------------------------


def map_bounds(visits) -> tuple[float, float, float, float] | None:
    """Extent of the grids and located households in metres; None when there is nothing."""
    located = visits.located
    parts = []
    if len(visits.grids):
        parts.append(np.asarray(visits.grids.total_bounds, float))
    if len(located):
        x, y = located["x"].to_numpy(float), located["y"].to_numpy(float)
        parts.append(np.array([x.min(), y.min(), x.max(), y.max()]))
    if not parts:
        return None
    stacked = np.vstack(parts)
    return (*stacked[:, :2].min(axis=0), *stacked[:, 2:].max(axis=0))


def grid_rings(grids) -> list[tuple[int, np.ndarray]]:
    """Each grid's boundary lines as ``(grid level, (k, 2) coordinate array)``."""
    if not len(grids):
        return []
    lines, owner = shapely.get_parts(shapely.boundary(grids.geometry.to_numpy()),
                                     return_index=True)
    coords, line = shapely.get_coordinates(lines, return_index=True)
    if not len(coords):
        return []
    cuts = np.flatnonzero(np.diff(line)) + 1
    levels = grids["level"].to_numpy()[owner[line[np.r_[0, cuts]]]]
    return list(zip(levels.tolist(), np.split(coords, cuts), strict=True))


def _label_every(n: int) -> int:
    return max(1, math.ceil(n / _MAX_LABELS))


#: Directions a number may sit in from its point, in order of preference (y down).
_PLACES = ((1, -1), (1, 0), (1, 1), (-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1))
#: Distances tried, in point radii beyond the point's edge (the first ring touches it).
_RINGS = (0.4, 1.6, 3.0, 4.5, 6.5, 9.0, 12.0, 16.0, 21.0, 27.0)


def numbered(n: int) -> np.ndarray:
    """Which of ``n`` points in route order get their number: every k-th and the last."""
    index = np.arange(n)
    return (index % _label_every(n) == 0) | (index == n - 1)


def place_numbers(px, py, widths, heights, radius: float, box, spacing: float = 0.0
                  ) -> np.ndarray:
    """Where each route number goes: beside its point, clear of every point and number.

    Each number tries the eight places around its point, nearest ring first; a place must lie
    inside ``box`` and meet no point's disc and no number placed before it. Greedy in route
    order, so the first numbers sit closest.

    Parameters
    ----------
    px, py : array of float
        The points (page units, y down).
    widths, heights : array of float
        Each number's box size (NaN: the point is not numbered).
    radius : float
        Radius of the drawn points.
    box : tuple of float
        (left, top, right, bottom) the numbers must stay within.
    spacing : float
        Room kept between two numbers (so that "5" beside "6" is never read as 56).

    Returns
    -------
    ndarray, shape (n, 3)
        Left, top of each number's box and the ring used (0 touches the point; farther ones
        are drawn with a leader line); NaN where a number found no free place or has none.
    """
    px, py = np.asarray(px, float), np.asarray(py, float)
    pad = radius + 1
    taken = np.column_stack([px - pad, py - pad, px + pad, py + pad])  # points, then numbers
    placed = np.full((len(px), 3), np.nan)
    left_edge, top_edge, right_edge, bottom_edge = box
    for i in np.flatnonzero(np.isfinite(np.asarray(widths, float))):  # numbered points only
        w, h = float(widths[i]), float(heights[i])
        for ring, distance in enumerate(_RINGS):  # a few places each, first free wins
            d = radius + distance * radius
            lefts = np.array([px[i] + dx * d - (dx < 0) * w - (dx == 0) * w / 2
                              for dx, _dy in _PLACES])
            tops = np.array([py[i] + dy * d - (dy < 0) * h - (dy == 0) * h / 2
                             for _dx, dy in _PLACES])
            inside = ((lefts >= left_edge) & (tops >= top_edge) & (lefts + w <= right_edge)
                      & (tops + h <= bottom_edge))
            room = np.where(np.arange(len(taken)) < len(px), 0.0, spacing)  # numbers apart
            free = inside & ~((lefts[:, None] - room < taken[None, :, 2])
                              & (lefts[:, None] + w + room > taken[None, :, 0])
                              & (tops[:, None] - room < taken[None, :, 3])
                              & (tops[:, None] + h + room > taken[None, :, 1])).any(axis=1)
            if free.any():
                k = int(np.argmax(free))
                placed[i] = (lefts[k], tops[k], ring)
                taken = np.vstack([taken, [lefts[k], tops[k], lefts[k] + w, tops[k] + h]])
                break
    return placed


def _leader(x: float, y: float, left: float, top: float, w: float, h: float):
    """The line from a point to the nearest edge of its number's box."""
    return x, y, min(max(x, left), left + w), min(max(y, top), top + h)


def render_map_png(visits, width: int = 1600, height: int = 1000) -> bytes:
    """The route map as PNG bytes, drawn with Pillow (no Qt): grids, route, numbers, N, scale."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font_path = find_cjk_font()

    def font(size: int):
        if font_path is not None:
            return ImageFont.truetype(str(font_path), size, index=0)
        return ImageFont.load_default(size)

    bounds = map_bounds(visits)
    if bounds is None:
        draw.text((width / 2, height / 2), "无可显示的位置", fill="black", font=font(36),
                  anchor="mm")
        return _png(image)
    frame = MapFrame.fit(bounds, 0, 0, width, height)
    for level, ring in grid_rings(visits.grids):
        px, py = frame.page(ring[:, 0], ring[:, 1])
        draw.line(list(zip(px.tolist(), py.tolist(), strict=True)), fill=_GRID_COLOUR,
                  width=1 if level >= 3 else 3)
    located = visits.located
    px, py = frame.page(located["x"], located["y"])
    if len(located) > 1:
        draw.line(list(zip(px.tolist(), py.tolist(), strict=True)), fill=_ROUTE_COLOUR, width=3)
    small, radius = font(18), 6
    texts = [str(seq) for seq in located["seq"]]
    sizes = np.full((len(texts), 2), np.nan)
    for i in np.flatnonzero(numbered(len(texts))):  # every k-th of a long list
        left, top, right, bottom = small.getbbox(texts[i], anchor="lt", stroke_width=2)
        sizes[i] = (right - left, bottom - top)
    places = place_numbers(px, py, sizes[:, 0], sizes[:, 1], radius,
                           (4, 4, width - 4, height - 4), spacing=3)
    for x, y, (left, top, ring), (w, h) in zip(px, py, places, sizes, strict=True):
        if np.isfinite(ring) and ring > 0:
            draw.line(_leader(x, y, left, top, w, h), fill=(120, 120, 120), width=1)
    for i, (x, y) in enumerate(zip(px, py, strict=True)):
        colour = (47, 158, 68) if i == 0 else _POINT_COLOUR
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour,
                     outline="white")
    for text, (left, top, _ring) in zip(texts, places, strict=True):
        if np.isfinite(left):
            draw.text((left, top), text, fill="black", font=small, anchor="lt",
                      stroke_width=2, stroke_fill="white")
    canvas = PngCanvas(image, 1.0, font_path)
    north_arrow(canvas, width - 70, 30, 44)
    scale_bar(canvas, frame, 30, height - 40, width / 4, 8, 22)
    return _png(image)


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# --- Excel --------------------------------------------------------------------------------------


def write_visit_list_excel(visits, path: str | os.PathLike) -> Path:
    """Write the visit list as ``.xlsx``: title block, table, print set-up, and a map sheet.

    The table sheet prints on A4 landscape, one page wide, with the header row repeated; the
    second sheet 路线图 holds the map as a picture.

    Parameters
    ----------
    visits : VisitList
        From :func:`gis_app.services.visit_list_service.visit_list`.
    path : path-like
        Target ``.xlsx``.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image as SheetImage
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    path = Path(path)
    table = visits.table()
    headers = list(table.columns)
    wb = Workbook()
    ws = wb.active
    ws.title = TITLE
    ncols = len(headers)
    last = get_column_letter(ncols)
    ws.append([f"{TITLE}（{visits.worker['name']}）"])
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 28
    for line in _summary_lines(visits):
        ws.append([line])
        ws.merge_cells(f"A{ws.max_row}:{last}{ws.max_row}")
    header_row = ws.max_row + 2
    ws.append([])
    ws.append(headers)
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    households = visits.households
    text_columns = {headers.index(h) for h in ("证件号码", "联系电话")}
    for values in _excel_rows(table, households):
        ws.append(values)
        for index, cell in enumerate(ws[ws.max_row]):
            cell.border = border
            if index in text_columns:
                cell.number_format = "@"  # an ID number must never become a number
    widths = [6, 10, 21, 14, 6, 12, 16, 10, 14, 12, 12, 12, 24]
    for index, width in enumerate(widths[:ncols], start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    _print_setup(ws)

    sheet = wb.create_sheet("路线图")
    picture = SheetImage(io.BytesIO(render_map_png(visits)))
    picture.width, picture.height = 1000, 625
    sheet.add_image(picture, "A2")
    sheet["A1"] = f"{TITLE}路线图（{visits.worker['name']}）：序号与清单一致，线为建议走访顺序"
    _print_setup(sheet)
    return replace_whole(path, wb.save)


def _excel_rows(table, households) -> list[list]:
    """Cell values: numbers as numbers (metres rounded), the rest as text."""
    rows = table.astype(object).to_numpy().tolist()
    seq = households["seq"].to_numpy().tolist()
    members = households["members"].to_numpy().tolist()
    leg = households["leg_m"].round(0).to_numpy()
    walked = households["cumulative_m"].round(0).to_numpy()
    headers = list(table.columns)
    at = {name: headers.index(name) for name in ("序号", "人口", "距上一户（米）",
                                                  "累计路程（米）")}
    for row, s, m, a, b in zip(rows, seq, members, leg, walked, strict=True):
        row[at["序号"]] = int(s)
        row[at["人口"]] = int(m) if m is not None and not _nan(m) else None
        row[at["距上一户（米）"]] = None if _nan(a) else int(a)
        row[at["累计路程（米）"]] = None if _nan(b) else int(b)
    return rows


def _nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _print_setup(ws) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages as the rows need
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4


# --- PDF ----------------------------------------------------------------------------------------


def write_visit_list_pdf(visits, path: str | os.PathLike) -> Path:
    """Write the visit list as an A4 landscape PDF: title, vector map, then the table.

    The table runs over as many pages as needed with its header repeated; every page is
    numbered. Chinese needs a CJK font on the system (see :func:`find_cjk_font`).

    Parameters
    ----------
    visits : VisitList
        From :func:`gis_app.services.visit_list_service.visit_list`.
    path : path-like
        Target ``.pdf``.

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
    from fpdf.fonts import FontFace

    class _Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-10)
            self.set_font("cjk", size=8)
            self.cell(0, 6, f"{TITLE}（{visits.worker['name']}）  第 {self.page_no()} 页 / "
                            f"共 {{nb}} 页", align="C")

    pdf = _Pdf(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"{TITLE}（{visits.worker['name']}）")
    pdf.set_creator("网格防返贫监测 GIS")
    add_cjk_font(pdf)
    pdf.set_auto_page_break(True, margin=14)
    pdf.set_margins(10, 10, 10)
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 9, f"{TITLE}（{visits.worker['name']}）", align="C", new_x="LMARGIN",
             new_y="NEXT")
    pdf.set_font("cjk", size=9)
    for line in _summary_lines(visits):
        pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    top = pdf.get_y() + 2
    height = 105.0
    _pdf_map(pdf, visits, pdf.l_margin, top, pdf.epw, height)
    pdf.set_y(top + height + 4)
    _pdf_table(pdf, visits.table(), FontFace)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_pdf(pdf, path)
    return path


def _pdf_map(pdf, visits, left: float, top: float, width: float, height: float) -> None:
    pdf.set_draw_color(160)
    pdf.set_line_width(0.2)
    pdf.rect(left, top, width, height)
    bounds = map_bounds(visits)
    if bounds is None:
        pdf.set_xy(left, top + height / 2 - 3)
        pdf.cell(width, 6, "无可显示的位置", align="C")
        return
    frame = MapFrame.fit(bounds, left, top, width, height)
    with pdf.rect_clip(left, top, width, height):
        pdf.set_draw_color(*_GRID_COLOUR)
        for level, ring in grid_rings(visits.grids):
            pdf.set_line_width(0.15 if level >= 3 else 0.5)
            px, py = frame.page(ring[:, 0], ring[:, 1])
            pdf.polyline(list(zip(px.tolist(), py.tolist(), strict=True)))
        located = visits.located
        px, py = frame.page(located["x"], located["y"])
        if len(located) > 1:
            pdf.set_draw_color(*_ROUTE_COLOUR)
            pdf.set_line_width(0.45)
            pdf.polyline(list(zip(px.tolist(), py.tolist(), strict=True)))
        pdf.set_font("cjk", size=6)
        texts = [str(seq) for seq in located["seq"]]
        height_mm = 6 * 1.25 * 25.4 / 72  # the 6 pt numbers' ascent and descent
        widths = np.full(len(texts), np.nan)
        chosen = np.flatnonzero(numbered(len(texts)))
        widths[chosen] = [pdf.get_string_width(texts[i]) for i in chosen]
        places = place_numbers(px, py, widths, np.full(len(texts), height_mm), 0.9,
                               (left, top, left + width, top + height), spacing=1.0)
        pdf.set_line_width(0.1)
        pdf.set_draw_color(120)
        for x, y, (bx, by, ring), w in zip(px, py, places, widths, strict=True):
            if np.isfinite(ring) and ring > 0:
                pdf.line(*_leader(x, y, bx, by, w, height_mm))
        pdf.set_draw_color(255)
        circle = np.linspace(0, 2 * np.pi, 13)[:-1]
        for i, (x, y) in enumerate(zip(px, py, strict=True)):
            pdf.set_fill_color(*((47, 158, 68) if i == 0 else _POINT_COLOUR))
            pdf.polygon(list(zip((x + 0.9 * np.cos(circle)).tolist(),
                                 (y + 0.9 * np.sin(circle)).tolist(), strict=True)),
                        style="DF")
        for text, (bx, by, _ring) in zip(texts, places, strict=True):
            if np.isfinite(bx):
                pdf.text(bx, by + height_mm * 0.8, text)
    canvas = PdfCanvas(pdf)
    north_arrow(canvas, left + width - 12, top + 5, 8)
    scale_bar(canvas, frame, left + 6, top + height - 7, width / 4, 1.5, 2.8)


def _pdf_table(pdf, table, font_face) -> None:
    widths = (10, 16, 30, 21, 9, 20, 26, 15, 21, 17, 24, 24, 44)
    pdf.set_font("cjk", size=8)
    headings = font_face(emphasis="", fill_color=(221, 235, 247))
    with pdf.table(col_widths=widths[: len(table.columns)], headings_style=headings,
                   line_height=5, text_align="CENTER", repeat_headings=1,
                   width=pdf.epw) as grid:
        grid.row([str(c) for c in table.columns])
        for values in table.astype(str).to_numpy().tolist():
            grid.row(values)
