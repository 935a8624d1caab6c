"""Finding the header row of a county spreadsheet and matching its headers to column keys."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from gis_app.core.ledger import LedgerColumn

#: How many rows at the top of a sheet are searched for the header row.
HEADER_SCAN_ROWS = 15

#: Without an anchor column, a row with this many known headers is taken as the header row.
MIN_KNOWN = 3
_SPACE_RE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")


def normalise_header(text: object) -> str:
    """Normalise a header for matching.

    Full-width characters become half-width (NFKC), whitespace and line breaks are removed,
    required-field stars are dropped and Latin letters are upper-cased.

    Parameters
    ----------
    text : object
        A header cell value (anything; ``None`` gives ``""``).

    Returns
    -------
    str
        The comparable form, e.g. ``"村（社区）"`` and ``"村 (社区)"`` both give ``"村(社区)"``.
    """
    if text is None or (isinstance(text, float) and text != text):
        return ""
    out = unicodedata.normalize("NFKC", str(text))
    out = _SPACE_RE.sub("", out).strip("*").upper()
    return out


def header_lookup(columns: Sequence[LedgerColumn]) -> dict[str, str]:
    """Map every normalised header and alias to its column key (first definition wins)."""
    lookup: dict[str, str] = {}
    for col in columns:
        for text in (col.header, *col.aliases):
            lookup.setdefault(normalise_header(text), col.key)
    return lookup


@dataclass
class HeaderMatch:
    """Where the header is and which sheet column holds which key.

    Attributes
    ----------
    header_index : int
        0-based position of the (lowest) header row; the sheet row is ``header_index + 1``.
    data_start : int
        0-based position of the first data row.
    positions : dict
        Column key to 0-based column position.
    texts : dict
        Column key to the header text as written in the file (shown in messages).
    unknown : list of str
        Headers that match no known column.
    duplicates : list of tuple
        ``(key, text)`` of columns that repeat an already matched key (ignored).
    """

    header_index: int
    data_start: int
    positions: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)

    @property
    def header_row(self) -> int:
        """Sheet row number (1-based) of the header row."""
        return self.header_index + 1


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def find_header(top: pd.DataFrame, columns: Sequence[LedgerColumn],
                anchor_keys: Sequence[str]) -> HeaderMatch | None:
    """Find the header row among the first rows of a sheet.

    The header row is the first row holding the header (or an alias) of one of
    ``anchor_keys`` (failing that, the first row with ``MIN_KNOWN`` known headers, so that a
    missing anchor column is reported as such). A header cell left empty because it is
    merged with the cell above takes that cell's text. When the next row adds known headers
    and leaves the columns named above empty (a two-row header whose upper row groups
    columns), both rows form the header and the lower one wins.

    Parameters
    ----------
    top : pandas.DataFrame
        The first rows of the sheet, positional columns (values as read).
    columns : sequence of LedgerColumn
        Known columns.
    anchor_keys : sequence of str
        Keys whose presence marks the header row.

    Returns
    -------
    HeaderMatch or None
        ``None`` when no header row is found within the rows given.
    """
    lookup = header_lookup(columns)
    groups = {normalise_header(col.group) for col in columns if col.group}
    anchors = {text for text, key in lookup.items() if key in anchor_keys}
    rows = [[normalise_header(v) for v in row] for row in top.itertuples(index=False)]
    raw = [[_cell_text(v) for v in row] for row in top.itertuples(index=False)]
    header_index = next((i for i, row in enumerate(rows) if anchors.intersection(row)), None)
    if header_index is None:
        # No anchor column: the first row with several known headers (the anchor is missing).
        header_index = next((i for i, row in enumerate(rows)
                             if len({lookup[t] for t in row if t in lookup}) >= MIN_KNOWN), None)
    if header_index is None:
        return None
    block = [header_index]
    if header_index > 0:
        block.insert(0, header_index - 1)  # vertically merged cells keep their text above
    below = header_index + 1
    if below < len(rows) and _continues_header(rows[header_index], rows[below], lookup):
        block.append(below)
    data_start = block[-1] + 1
    match = HeaderMatch(header_index=block[-1], data_start=data_start)
    ncols = max(len(rows[i]) for i in block)
    for c in range(ncols):
        # Lowest row first: a leaf header beats the group or merged text above it.
        found = None
        for i in reversed(block):
            text = rows[i][c] if c < len(rows[i]) else ""
            if text in lookup:
                found = (lookup[text], raw[i][c])
                break
        if found is not None:
            key, text = found
            if key in match.positions:
                match.duplicates.append((key, text))
            else:
                match.positions[key] = c
                match.texts[key] = text
            continue
        for i in block[block.index(header_index):]:
            text = rows[i][c] if c < len(rows[i]) else ""
            if text and text not in groups and raw[i][c] not in match.unknown:
                match.unknown.append(raw[i][c])
                break
    return match


def _continues_header(header: list[str], below: list[str], lookup: dict[str, str]) -> bool:
    """Tell whether ``below`` is the lower row of a two-row header, not the first data row.

    It must add known headers in new columns and leave the columns already named above empty
    (they are merged vertically), which a data row never does.
    """
    named = {c for c, text in enumerate(header) if text in lookup}
    adds = any(text in lookup and c not in named for c, text in enumerate(below))
    blank_under_named = all(c >= len(below) or below[c] in ("", header[c]) for c in named)
    return adds and blank_under_named
