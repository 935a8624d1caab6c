"""Vectorised conversion of raw spreadsheet columns to typed pandas columns, flagging bad cells."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
    return map_distinct(types, lambda t: t is not None and issubclass(t, classes)).to_numpy(
        dtype=bool)


def map_distinct(series: pd.Series, function) -> pd.Series:
    """``series.map(function)``, calling ``function`` once per distinct value.

    The empty cells get ``function(None)``.

    Hashing the values once and mapping the few distinct ones is many times faster than
    ``Series.map`` with a dict, whose keys pandas turns into an index of another dtype.
    """
    values = series if isinstance(series.dtype, pd.StringDtype) else series.to_numpy(dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [function(u) for u in list(uniques)]
    mapped[-1] = function(None)
    return pd.Series(mapped[codes], index=series.index, dtype=object)


def _cell_types(series: pd.Series) -> pd.Series:
    """The Python type of each cell (``NoneType`` where empty)."""
    return map_distinct(series, type)


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
    types = _cell_types(series)
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
    types = _cell_types(series)
    mask = _type_mask(types, int, float, np.integer, np.floating) & series.notna().to_numpy()
    return pd.Series(mask & ~_type_mask(types, bool, np.bool_), index=series.index)


def to_number(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse cells as numbers (text with spaces or thousands separators allowed).

    Returns
    -------
    tuple
        Float series (NaN where empty or invalid) and the mask of non-empty invalid cells.
    """
    if pd.api.types.is_float_dtype(raw.dtype) or pd.api.types.is_integer_dtype(raw.dtype):
        values = raw.astype(np.float64)  # a column of numbers: only infinities are bad
        finite = np.isfinite(values.to_numpy())
        return values.where(finite, np.nan), values.notna().to_numpy() & ~finite
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


def _distinct(raw: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes of each cell (-1 empty) and the distinct values: a conversion runs on those."""
    values = raw if isinstance(raw.dtype, pd.StringDtype) else raw.to_numpy(dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, pd.Series(list(uniques), dtype=object)


def _spread(codes: np.ndarray, converted: pd.Series, bad: pd.Series) -> tuple[np.ndarray, ...]:
    """The distinct values' results (object, None when none) and bad flags, cell by cell."""
    values = np.append(converted.to_numpy(dtype=object), None)[codes]
    flags = np.append(bad.to_numpy(dtype=bool), False)[codes]
    return values, flags


def to_bool(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse 是/否 (and the spellings of TRUE_WORDS/FALSE_WORDS); empty cells stay ``<NA>``.

    Each distinct value is parsed once (a column holds a handful), then spread to the cells.

    Returns
    -------
    tuple
        ``bool`` series (``boolean`` when some cells are empty) and the invalid mask.
    """
    codes, uniques = _distinct(raw)
    values = uniques.map(_BOOL_WORDS.get)
    text = to_text(uniques)
    values = values.where(values.notna(), text.str.upper().map(_BOOL_WORDS.get))
    cells, bad = _spread(codes, values, values.isna() & text.notna())
    missing = pd.isna(cells)
    out = pd.Series(pd.arrays.BooleanArray(np.where(missing, False, cells).astype(bool),
                                           missing), index=raw.index)
    if not missing.any():
        out = out.astype(bool)
    return out, bad


def to_date(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse dates from Excel dates, serial numbers or text (2023-06-01, 2023/6/1, 2023年6月1日).

    Returns
    -------
    tuple
        Object series of ``datetime.date`` or ``NaT``, and the mask of invalid cells.
    """
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):  # a column of Excel dates
        stamps = raw.dt.tz_localize(None) if raw.dt.tz is not None else raw
        result = stamps.where((stamps.dt.year >= 1900) & (stamps.dt.year <= 2100))
        bad = (raw.notna() & result.isna()).to_numpy()
        return result.dt.date.astype(object).where(result.notna(), pd.NaT), bad
    raw = raw.astype(object)
    result = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    types = _cell_types(raw)
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
    codes, uniques = _distinct(raw)
    values = uniques.map(lookup.get)
    text = to_text(uniques)
    clean = (text.str.replace(r"\s+", "", regex=True).str.replace("．", ".", regex=False)
             .str.replace("（", "(", regex=False).str.replace("）", ")", regex=False))
    values = values.where(values.notna(), clean.map(lookup.get))
    cells, bad = _spread(codes, values, values.isna() & text.notna())
    return pd.Series(pd.array(cells, dtype="Int64"), index=raw.index), bad


def to_id(raw: pd.Series, stripped: bool = False,
          numeric: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """ID numbers as upper-case text; second value flags cells stored as numbers.

    ``numeric`` gives the flags when the reader knows them (the cells were read as text).
    """
    numeric = was_number(raw) if numeric is None else numeric
    text = to_text(raw, stripped)
    # Full-width digits and Ｘ (typed in a Chinese input method's full-width mode) are the
    # same characters to the reader: stored half-width, as GB 11643 writes them.
    arrow = pa.array(text.to_numpy(dtype=object), type=pa.string())
    upper = pc.utf8_upper(pc.utf8_normalize(arrow, "NFKC")).to_numpy(zero_copy_only=False)
    return pd.Series(upper, index=text.index, dtype=object).where(text.notna(), None), numeric


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
