"""Resident ID numbers (GB 11643-1999): validation, check digit and masking."""

from __future__ import annotations

import datetime as dt
import unicodedata

import numpy as np

_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK_CHARS = "10X98765432"
_CHECK_CODES = np.array([ord(c) for c in _CHECK_CHARS], dtype=np.uint32)
_ASCII_DIGITS = frozenset("0123456789")


def check_digit(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits.

    Parameters
    ----------
    first17 : str
        Seventeen decimal digits.

    Returns
    -------
    str
        One of ``0-9`` or ``X``.
    """
    digits = np.frombuffer(first17.encode("ascii"), dtype=np.uint8) - 48
    return _CHECK_CHARS[int((digits.astype(np.int64) * _WEIGHTS).sum() % 11)]


def check_digits(first17: np.ndarray) -> np.ndarray:
    """Vectorised :func:`check_digit` over an ``(n, 17)`` integer digit array; returns ``<U1``."""
    index = (np.asarray(first17, dtype=np.int64) @ _WEIGHTS) % 11
    return np.array(list(_CHECK_CHARS))[index]


def validation_error(id_number: str | None) -> str | None:
    """Explain, in Chinese, why ``id_number`` is not a valid resident ID; ``None`` when it is."""
    if id_number is None or str(id_number).strip() == "":
        return "证件号码为空"
    text = str(id_number).strip().upper()
    if len(text) != 18:
        return f"证件号码应为18位，实际为{len(text)}位"
    if not text.isascii() and unicodedata.normalize("NFKC", text).isascii():
        return "证件号码含有全角字符，应为半角数字和X"
    # str.isdigit() is true of full-width and other scripts' digits: only 0-9 are digits here.
    if not _ASCII_DIGITS.issuperset(text[:17]) or not (text[17] in _ASCII_DIGITS
                                                        or text[17] == "X"):
        return "证件号码含有非法字符"
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return f"证件号码中的出生日期{text[6:14]}无效"
    if birth.year < 1900 or birth > dt.date.today():
        return f"证件号码中的出生日期{text[6:14]}不合理"
    if check_digit(text[:17]) != text[17]:
        return f"证件号码校验位错误（应为{check_digit(text[:17])}）"
    return None


def is_valid(id_number: str | None) -> bool:
    """True when ``id_number`` passes every GB 11643 check."""
    return validation_error(id_number) is None


def mask_id(id_number: str | None) -> str:
    """Mask an ID number for display: keep the region code's first 3 and the last 4 characters."""
    if not id_number:
        return ""
    text = str(id_number)
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_phone(phone: str | None) -> str:
    """Mask a phone number for display: ``138****5678``."""
    if not phone:
        return ""
    text = str(phone)
    if len(text) < 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_many(values, phones: bool = False) -> np.ndarray:
    """Vectorised :func:`mask_id` (or :func:`mask_phone`): the same text for every value.

    The texts become one fixed-width array of code points; the characters between the first 3
    and the last 4 become ``*`` column-wise, with no loop (an export masks a county's 100,000
    ID numbers and phones at once). Empty values give ``""``.
    """
    values = np.asarray(values, dtype=object).ravel()
    out = np.full(len(values), "", dtype=object)
    filled = np.array([isinstance(v, str) and v != "" for v in values], dtype=bool) \
        if len(values) else np.zeros(0, dtype=bool)
    if not filled.any():
        return out
    text = values[filled].astype(str)
    width = text.dtype.itemsize // 4
    codes = text.view(np.uint32).reshape(len(text), width).copy()
    length = (codes != 0).sum(axis=1, keepdims=True)
    column = np.arange(width)[None, :]
    # mask_id hides a text of up to 7 characters whole; mask_phone one of fewer than 7.
    whole = length <= 7 if not phones else length < 7
    hidden = (column < length) & (whole | ((column >= 3) & (column < length - 4)))
    codes[hidden] = ord("*")
    out[filled] = codes.view(f"<U{width}").ravel().astype(object)
    return out


def valid_mask(id_numbers) -> np.ndarray:
    """Vectorised :func:`is_valid` (length, characters, check digit; not the birth date).

    The texts become one fixed-width array of code points (19 wide, so a longer text shows as
    one): digits, length and the check character are compared column-wise, with no loop.
    """
    values = np.asarray(id_numbers, dtype=object).ravel()
    codes = values.astype("U19").view(np.uint32).reshape(len(values), 19)
    digits = codes[:, :17].astype(np.int64) - 48
    last = codes[:, 17]
    ok = (codes[:, 18] == 0) & (last != 0) & ((digits >= 0) & (digits <= 9)).all(axis=1)
    expected = _CHECK_CODES[(np.clip(digits, 0, 9) @ _WEIGHTS) % 11]
    return ok & (np.where(last == ord("x"), ord("X"), last) == expected)
