"""Chinese paragraphs and bordered tables on fpdf2 pages, wrapped by character.

fpdf2's own ``FPDF.table`` and ``multi_cell`` lay text out through a general line breaker
(words, markdown, shaping), a table's cells twice; a list of a thousand households then takes
half a minute. Chinese needs no word breaking: a line ends where the next character no longer
fits. Here lines come from sums of the characters' widths (the font's width table), each line
is one ``text`` call, a paragraph or table runs onto new pages as needed, and a table's header
row is drawn again at the top of every page it continues on.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Header fill (light blue, as the Excel sheets' headers).
HEADER_FILL = (221, 235, 247)


def _char_width(pdf, size: float):
    """Width in the document's unit of one character at ``size`` points, by code point."""
    font = pdf.current_font
    table = getattr(font, "cw", None)
    scale = size * 0.001 / pdf.k
    if table is None:  # a core font: ask fpdf2 per character
        return lambda ch: pdf.get_string_width(ch)

    def width(ch: str) -> float:
        code = ord(ch)
        try:
            return table[code] * scale
        except (IndexError, KeyError):
            return pdf.get_string_width(ch)

    return width


def wrap(text: str, width: float, char_width) -> list[str]:
    """``text`` cut into lines no wider than ``width`` (by character; newlines kept).

    Parameters
    ----------
    text : str
        The cell's text.
    width : float
        Room for text in the document's unit.
    char_width : callable
        A character's width.

    Returns
    -------
    list of str
        At least one line (an empty cell is one empty line); a character wider than the room
        stands on a line of its own.
    """
    lines = []
    for paragraph in str(text).split("\n"):
        line, used = [], 0.0
        for ch in paragraph:
            w = char_width(ch)
            if line and used + w > width:
                lines.append("".join(line))
                line, used = [], 0.0
                if ch == " ":
                    continue
            line.append(ch)
            used += w
        lines.append("".join(line))
    return lines


def draw_table(pdf, header: Sequence[str], rows: Sequence[Sequence], widths: Sequence[float],
               *, family: str, size: float = 8.0, align: Sequence[str] | None = None,
               padding: float = 0.8, line_spacing: float = 1.25) -> None:
    """Draw a table from the current position down, continuing on new pages as needed.

    Parameters
    ----------
    pdf : fpdf.FPDF
        The document, with the font ``family`` registered.
    header : sequence of str
        Column headings (drawn on a fill, repeated at the top of every page).
    rows : sequence of sequences
        Cell values; None is an empty cell, anything else is shown as ``str(value)``.
    widths : sequence of float
        Relative column widths, scaled to the page's width between the margins when wider.
    family : str
        The font family.
    size : float
        Font size in points.
    align : sequence of str, optional
        Per column ``"L"``, ``"C"`` or ``"R"`` for the cells (headings are centred);
        default centred.
    padding : float
        Room around a cell's text, in the document's unit.
    line_spacing : float
        Line height as a multiple of the font size.
    """
    n = len(header)
    widths = [float(w) for w in widths[:n]]
    if sum(widths) > pdf.epw:
        widths = [w * pdf.epw / sum(widths) for w in widths]
    align = list(align or ["C"] * n)
    left = pdf.l_margin + max(0.0, (pdf.epw - sum(widths)) / 2)
    pdf.set_font(family, size=size)
    char_width = _char_width(pdf, size)
    line_h = size * line_spacing / pdf.k
    ascent = size * 0.88 / pdf.k  # from a line's top to its baseline
    pdf.set_draw_color(110)
    pdf.set_line_width(0.2)
    pdf.set_text_color(0)

    def layout(values) -> tuple[list[list[str]], float]:
        cells = [wrap("" if v is None else str(v), w - 2 * padding, char_width)
                 for v, w in zip(values, widths, strict=True)]
        return cells, max(len(c) for c in cells) * line_h + 2 * padding

    def draw(cells, height: float, aligns, fill: bool) -> None:
        x, top = left, pdf.get_y()
        for lines, w, how in zip(cells, widths, aligns, strict=True):
            if fill:
                pdf.set_fill_color(*HEADER_FILL)
            pdf.rect(x, top, w, height, style="DF" if fill else "D")
            for i, line in enumerate(lines):
                if not line:
                    continue
                offset = 0.0
                if how != "L":
                    room = w - 2 * padding - sum(char_width(ch) for ch in line)
                    offset = room / (2 if how == "C" else 1)
                pdf.text(x + padding + max(offset, 0.0), top + padding + i * line_h + ascent,
                         line)
            x += w
        pdf.set_y(top + height)

    head_cells, head_height = layout(header)
    bottom = pdf.h - pdf.b_margin
    if pdf.get_y() + head_height + line_h + 2 * padding > bottom:
        pdf.add_page()
        pdf.set_font(family, size=size)
    draw(head_cells, head_height, ["C"] * n, True)
    for values in rows:
        cells, height = layout(values)
        if pdf.get_y() + height > bottom:
            pdf.add_page()
            pdf.set_font(family, size=size)
            pdf.set_draw_color(110)
            pdf.set_line_width(0.2)
            draw(head_cells, head_height, ["C"] * n, True)
        draw(cells, height, align, False)


def paragraph_height(pdf, text: str, *, family: str, size: float = 10.0, indent: float = 0.0,
                     line_spacing: float = 1.45) -> float:
    """The height :func:`draw_paragraph` takes for ``text`` (to keep blocks on one page)."""
    pdf.set_font(family, size=size)
    lines = wrap(text, pdf.epw - indent, _char_width(pdf, size))
    return len(lines) * size * line_spacing / pdf.k


def draw_paragraph(pdf, text: str, *, family: str, size: float = 10.0, indent: float = 0.0,
                   line_spacing: float = 1.45) -> None:
    """Draw ``text`` from the current position down, wrapped to the margins, left aligned.

    Parameters
    ----------
    pdf : fpdf.FPDF
        The document, with the font ``family`` registered.
    text : str
        The paragraph (newlines start new lines).
    family : str
        The font family.
    size : float
        Font size in points.
    indent : float
        Room before the text, in the document's unit.
    line_spacing : float
        Line height as a multiple of the font size.
    """
    pdf.set_font(family, size=size)
    pdf.set_text_color(0)
    char_width = _char_width(pdf, size)
    line_h = size * line_spacing / pdf.k
    ascent = size * 0.88 / pdf.k + (line_h - size / pdf.k) / 2
    bottom = pdf.h - pdf.b_margin
    for line in wrap(text, pdf.epw - indent, char_width):
        if pdf.get_y() + line_h > bottom:
            pdf.add_page()
            pdf.set_font(family, size=size)
        top = pdf.get_y()
        if line:
            pdf.text(pdf.l_margin + indent, top + ascent, line)
        pdf.set_y(top + line_h)
