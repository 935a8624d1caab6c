"""Vectorised conversion of raw spreadsheet columns to typed pandas columns, flagging bad cells."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from gis_app.core import codes
from gis_app.core.idcard import check_digits, validation_error
from gis_app.core.ledger import CODE_ENUMS, FALSE_WORDS, TRUE_WORDS

_NUMBER_TYPES = (int, float, np.integer, np.floating)
_TEMPORAL_TYPES = (dt.date, dt.datetime, pd.Timestamp, np.datetime64)
_ID_RE = r"\d{17}[\dX]"


def _cell_text(value: object) -> str | None:
    """Text of one cell as a user would read it; ``None`` when empty."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, _NUMBER_TYPES):
        number = float(value)
        if number != number:
            return None
        if number.is_integer() and abs(number) < 1e21:
            return str(int(value)) if isinstance(value, (int, np.integer)) else str(int(number))
        return repr(number)
    if isinstance(value, dt.datetime) or isinstance(value, pd.Timestamp):
        if value is pd.NaT:
            return None
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value).strip() or None


def to_text(series: pd.Series) -> pd.Series:
    """Cells as stripped text (object dtype), ``None`` where empty; numbers lose a trailing ``.0``.

    Parameters
    ----------
    series : pandas.Series
        Raw cell values (strings from CSV; str, int, float, datetime or None from Excel).

    Returns
    -------
    pandas.Series
        Object series of ``str`` or ``None``.
    """
    series = series.astype(object)
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        stripped = series.str.strip()
        return stripped.where(stripped.notna() & (stripped != ""), None)
    return series.map(_cell_text).astype(object)


def was_number(series: pd.Series) -> pd.Series:
    """True where the raw cell holds a number (not text): IDs stored this way lost digits."""
    return series.map(type).isin({int, float, np.int64, np.float64}) & series.notna()


def to_number(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse text cells as numbers (thousands separators allowed).

    Returns
    -------
    tuple of pandas.Series
        Float values (NaN where empty or invalid) and the mask of non-empty invalid cells.
    """
    values = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    values = values.astype(np.float64)
    finite = np.isfinite(values.to_numpy())
    return values.where(finite, np.nan), text.notna().to_numpy() & ~finite


def to_int(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse text cells as integers; returns an ``Int64`` series and the invalid mask."""
    values, bad = to_number(text)
    fractional = values.notna() & (values != np.round(values))
    bad = bad | fractional
    values = values.where(~fractional, np.nan)
    return values.round().astype("Int64"), bad


def to_bool(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse 是/否 (and the spellings of TRUE_WORDS/FALSE_WORDS); empty cells stay ``<NA>``."""
    upper = text.str.upper()
    true = upper.isin(TRUE_WORDS)
    false = upper.isin(FALSE_WORDS)
    bad = text.notna() & ~true & ~false
    out = pd.Series(pd.array([pd.NA] * len(text), dtype="boolean"), index=text.index)
    out[true.to_numpy()] = True
    out[false.to_numpy()] = False
    if not out.isna().any():
        out = out.astype(bool)
    return out, bad


def to_date(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse dates from Excel dates, serial numbers or text (2023-06-01, 2023/6/1, 2023年6月1日).

    Returns
    -------
    tuple of pandas.Series
        Object series of ``datetime.date`` or ``NaT``, and the mask of invalid cells.
    """
    raw = raw.astype(object)
    result = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    kinds = raw.map(type)
    unique = kinds.unique()
    temporal = kinds.map({t: issubclass(t, _TEMPORAL_TYPES) for t in unique}).astype(bool)
    numeric = kinds.map({t: issubclass(t, _NUMBER_TYPES) for t in unique}).astype(bool)
    numeric &= ~kinds.map({t: issubclass(t, (bool, np.bool_)) for t in unique}).astype(bool)
    temporal &= raw.notna()
    numeric &= raw.notna()
    if temporal.any():
        result[temporal] = pd.to_datetime(raw[temporal].map(_as_datetime), errors="coerce")
    text = to_text(raw.where(~temporal & ~numeric, None))
    if numeric.any():
        serial = pd.to_numeric(raw[numeric], errors="coerce").astype(np.float64)
        ymd = (serial >= 19000101) & (serial <= 21001231) & (serial == serial.round())
        is_serial = (serial >= 1) & (serial < 73051) & ~ymd  # 1900-01-01 .. 2099-12-31
        result[serial.index[is_serial]] = pd.to_datetime(
            serial[is_serial].round(), unit="D", origin="1899-12-30")
        result[serial.index[ymd]] = pd.to_datetime(
            serial[ymd].astype(np.int64).astype(str), format="%Y%m%d", errors="coerce")
    has_text = text.notna()
    if has_text.any():
        clean = (text[has_text].str.split(r"[ T]", n=1, regex=True).str[0]
                 .str.replace(r"[年月/.]", "-", regex=True).str.replace("日", "", regex=False))
        eight = clean.str.fullmatch(r"\d{8}")
        parsed = pd.to_datetime(clean.where(~eight), format="%Y-%m-%d", errors="coerce")
        parsed[eight] = pd.to_datetime(clean[eight], format="%Y%m%d", errors="coerce")
        result[has_text] = parsed
    present = temporal | numeric | has_text
    in_range = (result.dt.year >= 1900) & (result.dt.year <= 2100)
    result = result.where(in_range)
    bad = present & result.isna()
    return result.dt.date.astype(object), bad


def _as_datetime(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


def code_lookup(enum_name: str) -> dict[str, int]:
    """Every accepted spelling of the codes of ``enum_name`` (e.g. "1", "1.脱贫户", "脱贫户")."""
    enum = getattr(codes, enum_name)
    lookup: dict[str, int] = {}
    for member in enum:
        value, label = int(member.value), member.label
        for text in (str(value), label, f"{value}.{label}", f"{value}{label}",
                     f"{value}、{label}", f"{value}:{label}", f"({value}){label}"):
            lookup[re.sub(r"\s+", "", text)] = value
    return lookup


def code_choices(enum_name: str) -> str:
    """Human list of the codes, e.g. ``1.脱贫户、2.监测对象、3.档外农户``."""
    return "、".join(f"{int(m.value)}.{m.label}" for m in getattr(codes, enum_name))


def to_code(text: pd.Series, key: str) -> tuple[pd.Series, pd.Series]:
    """Parse a code column (CODE_ENUMS[key]) from a number, "1", "1.脱贫户" or "脱贫户"."""
    lookup = code_lookup(CODE_ENUMS[key])
    clean = text.str.replace(r"\s+", "", regex=True).str.replace("．", ".", regex=False)
    clean = clean.str.replace("（", "(", regex=False).str.replace("）", ")", regex=False)
    values = clean.map(lookup)
    bad = text.notna() & values.isna()
    return values.astype("Int64"), bad


def to_id(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """ID numbers as upper-case text; second value flags cells stored as numbers."""
    numeric = was_number(raw)
    text = to_text(raw)
    return text.str.upper().where(text.notna(), None), numeric


def id_problems(ids: pd.Series, today: dt.date | None = None) -> pd.Series:
    """Explain every invalid ID number (vectorised screen, then ``validation_error`` per bad one).

    Parameters
    ----------
    ids : pandas.Series
        Upper-case text or ``None``; empty cells are not checked here.
    today : datetime.date, optional
        Birth dates after this day are invalid (default: today).

    Returns
    -------
    pandas.Series
        Chinese reason for each invalid non-empty ID, indexed like ``ids`` (only bad rows).
    """
    today = today or dt.date.today()
    text = ids.fillna("").astype(str)
    present = text != ""
    ok = text.str.fullmatch(_ID_RE).fillna(False).astype(bool) & present
    birth = pd.to_datetime(text.str.slice(6, 14).where(ok), format="%Y%m%d", errors="coerce")
    ok &= birth.notna() & (birth.dt.year >= 1900) & (birth <= pd.Timestamp(today))
    if ok.any():
        good = text[ok]
        digits = np.frombuffer("".join(good).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        expected = check_digits((digits[:, :17] - 48).astype(np.int64))
        ok[ok] = expected == good.str.slice(17, 18).to_numpy()
    bad = present & ~ok
    reasons = text[bad].map(validation_error)
    return reasons[reasons.notna()]


def phone_text(raw: pd.Series) -> pd.Series:
    """Phone numbers as text: 13800138000.0 becomes "13800138000"; spaces and dashes kept."""
    return to_text(raw)
