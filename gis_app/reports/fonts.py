"""The Chinese font every printed report embeds: where it is found, how a PDF gets it.

fpdf2 draws Chinese only with a TrueType/OpenType font that holds the glyphs; it embeds the
glyphs used (a subset), so the PDF prints the same on a PC without the font. The font is the
one named by ``GIS_APP_CJK_FONT``, else the first of :data:`CJK_FONT_CANDIDATES` installed.
"""

from __future__ import annotations

import os
from pathlib import Path

from gis_app.reports.files import replace_whole

#: Fonts with Chinese glyphs, most common first: Debian/Ubuntu, then Windows, then macOS.
CJK_FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/simsun.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
)
#: The family name reports use for the embedded font.
CJK_FAMILY = "cjk"


class CJKFontNotFound(FileNotFoundError):
    """No font with Chinese glyphs was found for the PDF."""


def find_cjk_font() -> Path | None:
    """A font file with Chinese glyphs: ``GIS_APP_CJK_FONT`` if set, else a known system font."""
    override = os.environ.get("GIS_APP_CJK_FONT")
    for candidate in ([override] if override else []) + list(CJK_FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def add_cjk_font(pdf, family: str = CJK_FAMILY) -> Path:
    """Register the Chinese font with an ``fpdf.FPDF`` document as ``family``.

    Parameters
    ----------
    pdf : fpdf.FPDF
        The document; its text is then set with ``pdf.set_font(family, size=…)``.
    family : str
        The name to register the font under.

    Returns
    -------
    pathlib.Path
        The font file embedded.

    Raises
    ------
    CJKFontNotFound
        When no font with Chinese glyphs is installed (Chinese message saying what to install).
    """
    font = find_cjk_font()
    if font is None:
        raise CJKFontNotFound(
            "未找到中文字体，无法生成PDF。请安装文泉驿微米黑（fonts-wqy-microhei）或思源黑体，"
            "或用环境变量 GIS_APP_CJK_FONT 指定字体文件（.ttf/.ttc/.otf）")
    # A collection (.ttc) holds several faces; the first is the regular one.
    extra = {"collection_font_number": 0} if font.suffix.lower() == ".ttc" else {}
    pdf.add_font(family, fname=str(font), **extra)
    return font


def write_pdf(pdf, path) -> None:
    """``pdf.output(path)``, then the embedded fonts' files closed.

    Written whole under a temporary name beside ``path``, then renamed: a file already
    there stays as it was if writing fails. fpdf2 opens a font file lazily (fontTools) and
    would keep it open until the document is garbage-collected.
    """
    try:
        replace_whole(path, lambda tmp: pdf.output(str(tmp)))
    finally:
        close_fonts(pdf)


def close_fonts(pdf) -> None:
    """Close the font files a document opened (also when it is abandoned half drawn)."""
    for font in pdf.fonts.values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.close()
