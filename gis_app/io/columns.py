"""Vectorised conversion of raw spreadsheet columns to typed pandas columns, flagging bad cells."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from gis_app.core import codes
from gis_app.core.idcard import check_digits, validation_error
from gis_app.core.ledger import CODE_ENUMS, FALSE_WORDS, TRUE_WORDS

_ID_RE = r"\d{17}[\dX]"
#: Arrow-backed strings: vectorised string kernels, much faster than Python ``str`` objects.
_ARROW_STRING = "string[pyarrow]"
_BOOL_WORDS = {**{w: False for w in FALSE_WORDS if w}, **{w: True for w in TRUE_WORDS}}
_BOOL_WORDS |= {w.lower(): v for w, v in _BOOL_WORDS.items()}


def _type_mask(types: pd.Series, *classes: type) -> np.ndarray:
    """Mask of cells whose Python type is a subclass of ``classes`` (one check per type)."""
    flags = {t: issubclass(t, classes) for t in types.unique()}
    return types.map(flags).to_numpy(dtype=bool)


def to_text(series: pd.Series, stripped: bool = False) -> pd.Series:
    """Cells as stripped text (object dtype), ``None`` where empty; numbers lose a trailing ``.0``.

    Parameters
    ----------
    series : pandas.Series
        Raw cell values (strings from CSV; str, int, float, datetime, bool or None from Excel).
    stripped : bool
        The strings are already stripped and blank cells are ``None`` (as from
        :func:`~gis_app.io.sheets.load_table`); skips the work.

    Returns
    -------
    pandas.Series
        Object series of ``str`` or ``None``.
    """
    series = series.astype(object)
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        if stripped:
            return series.where(series.notna(), None)
        stripped = series.str.strip()
        return stripped.where(stripped.notna() & (stripped != ""), None)
    out = pd.Series(None, index=series.index, dtype=object)
    present = series.notna().to_numpy()
    types = series.map(type)
    strings = _type_mask(types, str) & present
    if strings.any():
        out[strings] = series[strings].str.strip()
    booleans = _type_mask(types, bool, np.bool_) & present
    if booleans.any():
        out[booleans] = np.where(series[booleans].astype(bool), "TRUE", "FALSE")
    numbers = _type_mask(types, int, float, np.integer, np.floating) & present & ~booleans
    if numbers.any():
        out[numbers] = _number_text(series[numbers])
    stamps = _type_mask(types, dt.date, np.datetime64) & present
    if stamps.any():
        when = pd.to_datetime(series[stamps], errors="coerce")
        midnight = (when.dt.hour == 0) & (when.dt.minute == 0) & (when.dt.second == 0)
        out[stamps] = when.dt.strftime("%Y-%m-%d").where(midnight,
                                                        when.dt.strftime("%Y-%m-%d %H:%M:%S"))
    other = present & ~strings & ~booleans & ~numbers & ~stamps
    if other.any():
        out[other] = series[other].map(lambda v: str(v).strip())
    return out.where(out.notna() & (out != ""), None)


def _number_text(values: pd.Series) -> np.ndarray:
    """Numbers as a user would type them: ``3``, ``13800138000``, ``1.5``."""
    raw = values.to_numpy(dtype=object)
    ints = np.fromiter((isinstance(v, (int, np.integer)) for v in raw), dtype=bool,
                       count=len(raw))
    out = np.empty(len(raw), dtype=object)
    if ints.any():
        try:
            out[ints] = raw[ints].astype(np.int64).astype(str)
        except OverflowError:
            out[ints] = [str(int(v)) for v in raw[ints]]
    floats = raw[~ints].astype(np.float64)
    text = np.empty(len(floats), dtype=object)
    integral = np.isfinite(floats) & (np.abs(floats) < 2**63)
    integral[integral] = floats[integral] == np.round(floats[integral])
    text[integral] = floats[integral].astype(np.int64).astype(str)
    text[~integral] = [None if f != f else repr(float(f)) for f in floats[~integral]]
    out[~ints] = text
    return out


def was_number(series: pd.Series) -> pd.Series:
    """Flag cells holding a number rather than text (IDs stored so have lost digits)."""
    types = series.map(type)
    mask = _type_mask(types, int, float, np.integer, np.floating) & series.notna().to_numpy()
    return pd.Series(mask & ~_type_mask(types, bool, np.bool_), index=series.index)


def to_number(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse cells as numbers (text with spaces or thousands separators allowed).

    Returns
    -------
    tuple
        Float series (NaN where empty or invalid) and the mask of non-empty invalid cells.
    """
    raw = raw.astype(object)
    values = pd.to_numeric(raw, errors="coerce").astype(np.float64)
    retry = (values.isna() & raw.notna()).to_numpy(dtype=bool, copy=True)
    if retry.any():
        text = to_text(raw[retry]).str.replace(r"[,，\s]", "", regex=True)
        values[retry] = pd.to_numeric(text, errors="coerce").astype(np.float64)
    finite = np.isfinite(values.to_numpy())
    present = raw.notna().to_numpy(dtype=bool, copy=True)
    if retry.any():
        present[retry] &= to_text(raw[retry]).notna().to_numpy()
    return values.where(finite, np.nan), present & ~finite


def to_int(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse cells as integers; returns an ``Int64`` series and the invalid mask."""
    values, bad = to_number(raw)
    fractional = (values.notna() & (values != np.round(values))).to_numpy(dtype=bool)
    values[fractional] = np.nan
    return values.round().astype("Int64"), bad | fractional


def to_bool(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse 是/否 (and the spellings of TRUE_WORDS/FALSE_WORDS); empty cells stay ``<NA>``.

    Returns
    -------
    tuple
        ``bool`` series (``boolean`` when some cells are empty) and the invalid mask.
    """
    raw = raw.astype(object)
    values = raw.map(_BOOL_WORDS)
    retry = (values.isna() & raw.notna()).to_numpy(dtype=bool, copy=True)
    if retry.any():
        text = to_text(raw[retry])
        values[retry] = text.str.upper().map(_BOOL_WORDS)
        blank = text.isna().to_numpy()
        retry[np.flatnonzero(retry)[blank]] = False
    bad = retry & values.isna().to_numpy()
    out = values.astype("boolean")
    if not out.isna().any():
        out = out.astype(bool)
    return out, bad


def to_date(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse dates from Excel dates, serial numbers or text (2023-06-01, 2023/6/1, 2023年6月1日).

    Returns
    -------
    tuple
        Object series of ``datetime.date`` or ``NaT``, and the mask of invalid cells.
    """
    raw = raw.astype(object)
    result = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    types = raw.map(type)
    present = raw.notna().to_numpy(dtype=bool, copy=True)
    temporal = _type_mask(types, dt.date, np.datetime64) & present
    booleans = _type_mask(types, bool, np.bool_)
    numeric = _type_mask(types, int, float, np.integer, np.floating) & present & ~booleans
    if temporal.any():
        try:
            result[temporal] = pd.to_datetime(raw[temporal], errors="coerce")
        except (TypeError, ValueError):  # e.g. mixed time zones
            result[temporal] = pd.to_datetime(
                raw[temporal].map(lambda v: v.replace(tzinfo=None)), errors="coerce")
    if numeric.any():
        serial = pd.to_numeric(raw[numeric], errors="coerce").astype(np.float64)
        ymd = ((serial >= 19000101) & (serial <= 21001231) & (serial == serial.round())).to_numpy()
        is_serial = ((serial >= 1) & (serial < 73051)).to_numpy() & ~ymd  # up to 2099-12-31
        index = serial.index
        result[index[is_serial]] = pd.to_datetime(serial[is_serial].round(), unit="D",
                                                  origin="1899-12-30")
        result[index[ymd]] = pd.to_datetime(serial[ymd].astype(np.int64).astype(str),
                                            format="%Y%m%d", errors="coerce")
    text_mask = present & ~temporal & ~numeric
    if text_mask.any():
        text = to_text(raw[text_mask])
        text = text[text.notna()].astype(_ARROW_STRING)
        clean = (text.str.replace(r"[ T].*$", "", regex=True)
                 .str.replace(r"[年月/.]", "-", regex=True).str.replace("日", "", regex=False))
        eight = clean.str.fullmatch(r"\d{8}").to_numpy(dtype=bool)
        parsed = pd.to_datetime(clean.where(~eight), format="%Y-%m-%d", errors="coerce")
        parsed[eight] = pd.to_datetime(clean[eight], format="%Y%m%d", errors="coerce")
        result[text.index] = parsed
        present[np.flatnonzero(text_mask)] = to_text(raw[text_mask]).notna().to_numpy()
    result = result.where((result.dt.year >= 1900) & (result.dt.year <= 2100))
    bad = present & result.isna().to_numpy()
    return result.dt.date.astype(object), bad


def code_lookup(enum_name: str) -> dict[str, int]:
    """Every accepted spelling of the codes of ``enum_name`` (e.g. "1", "1.脱贫户", "脱贫户")."""
    enum = getattr(codes, enum_name)
    lookup: dict[str, int] = {}
    for member in enum:
        value, label = int(member.value), member.label
        for text in (str(value), f"{value}.0", label, f"{value}.{label}", f"{value}{label}",
                     f"{value}、{label}", f"{value}:{label}", f"({value}){label}"):
            lookup[re.sub(r"\s+", "", text)] = value
    return lookup


def code_choices(enum_name: str) -> str:
    """Human list of the codes, e.g. ``1.脱贫户、2.监测对象、3.档外农户``."""
    return "、".join(f"{int(m.value)}.{m.label}" for m in getattr(codes, enum_name))


def to_code(raw: pd.Series, key: str) -> tuple[pd.Series, np.ndarray]:
    """Parse a code column (CODE_ENUMS[key]) from 1, "1", "1.脱贫户" or "脱贫户"."""
    lookup: dict[object, int] = code_lookup(CODE_ENUMS[key])
    lookup |= {value: value for value in set(lookup.values())}  # numbers: 1 and 1.0 hash alike
    raw = raw.astype(object)
    values = raw.map(lookup).astype("Int64")
    retry = (values.isna() & raw.notna()).to_numpy(dtype=bool, copy=True)
    if retry.any():
        text = to_text(raw[retry])
        clean = (text.str.replace(r"\s+", "", regex=True).str.replace("．", ".", regex=False)
                 .str.replace("（", "(", regex=False).str.replace("）", ")", regex=False))
        values[retry] = clean.map(lookup).astype("Int64")
        retry[np.flatnonzero(retry)[text.isna().to_numpy()]] = False
    return values, retry & values.isna().to_numpy()


def to_id(raw: pd.Series, stripped: bool = False) -> tuple[pd.Series, pd.Series]:
    """ID numbers as upper-case text; second value flags cells stored as numbers."""
    numeric = was_number(raw)
    text = to_text(raw, stripped)
    upper = text.astype(_ARROW_STRING).str.upper().astype(object)
    return upper.where(text.notna(), None), numeric


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
    text = ids.astype(_ARROW_STRING).fillna("")
    present = (text != "").to_numpy(dtype=bool)
    ok = text.str.fullmatch(_ID_RE).to_numpy(dtype=bool) & present
    birth = pd.to_datetime(text.str.slice(6, 14).where(ok), format="%Y%m%d", errors="coerce")
    ok &= (birth.notna() & (birth.dt.year >= 1900) & (birth <= pd.Timestamp(today))).to_numpy()
    if ok.any():
        good = text[ok].to_numpy(dtype=object)
        digits = np.frombuffer("".join(good).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        expected = check_digits((digits[:, :17] - 48).astype(np.int64))
        ok[ok] = expected == digits[:, 17].view("S1").astype(str)
    bad = present & ~ok
    reasons = ids[bad].map(validation_error)
    return reasons[reasons.notna()]
