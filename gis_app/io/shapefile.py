"""Shapefile text encoding: honour the ``.cpg``, otherwise detect UTF-8 or GB18030 from the DBF."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import numpy as np
import pandas as pd

#: Bytes of DBF records inspected when guessing the encoding.
SAMPLE_BYTES = 64 * 1024 * 1024
_DBF_FIELD_NAME_BYTES = 10
_CPG_ALIASES = {
    "UTF8": "utf-8", "UTF-8": "utf-8", "65001": "utf-8",
    "GBK": "gb18030", "CP936": "gb18030", "936": "gb18030", "ANSI936": "gb18030",
    "GB2312": "gb18030", "GB18030": "gb18030", "CP54936": "gb18030", "54936": "gb18030",
    "BIG5": "big5", "950": "big5", "CP950": "big5",
    "8859-1": "latin-1", "ISO-8859-1": "latin-1", "ISO88591": "latin-1", "LATIN1": "latin-1",
}


def sidecar(path: Path, suffix: str) -> Path | None:
    """Return the file next to ``path`` with ``suffix`` (any letter case), or ``None``."""
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    return None


def cpg_codec(text: str) -> str | None:
    """Python codec for the content of a ``.cpg`` file, or ``None`` if unknown."""
    key = re.sub(r"\s+", "", text).upper()
    if key in _CPG_ALIASES:
        return _CPG_ALIASES[key]
    digits = re.fullmatch(r"(?:ANSI|OEM|CP)?(\d{3,5})", key)
    candidate = f"cp{digits.group(1)}" if digits else key
    try:
        return codecs.lookup(candidate).name
    except LookupError:
        return None


def dbf_text_bytes(dbf: Path, limit: int = SAMPLE_BYTES) -> bytes:
    """Concatenated bytes of the DBF's field names and character fields (first ``limit`` bytes).

    Parameters
    ----------
    dbf : pathlib.Path
        The ``.dbf`` file.
    limit : int
        Maximum record bytes read.

    Returns
    -------
    bytes
        Text bytes only (numbers and dates left out), enough to judge the encoding.
    """
    with open(dbf, "rb") as fh:
        head = fh.read(32)
        if len(head) < 32:
            return b""
        n_records = int.from_bytes(head[4:8], "little")
        header_len = int.from_bytes(head[8:10], "little")
        record_len = int.from_bytes(head[10:12], "little")
        descriptors = fh.read(max(header_len - 32, 0))
        names, fields, offset = [], [], 1  # byte 0 of a record is the deletion flag
        for start in range(0, len(descriptors) - 31, 32):
            desc = descriptors[start:start + 32]
            if desc[0] == 0x0D:
                break
            names.append(_drop_cut_utf8(desc[:_DBF_FIELD_NAME_BYTES + 1].split(b"\x00", 1)[0]))
            length = desc[16]
            if desc[11:12] in (b"C", b"M"):
                fields.append((offset, length))
            offset += length
        if record_len <= 0 or n_records <= 0:
            return b"".join(names)
        fh.seek(header_len)
        count = min(n_records, max(limit // record_len, 1))
        data = fh.read(count * record_len)
    count = len(data) // record_len
    records = np.frombuffer(data[:count * record_len], dtype=np.uint8).reshape(count, record_len)
    chunks = [records[:, off:off + length].tobytes() for off, length in fields
              if off + length <= record_len]
    return b"".join(names) + b" ".join(chunks)


def _drop_cut_utf8(name: bytes) -> bytes:
    """Drop a UTF-8 character cut in half at the end of a field name (10-byte DBF limit)."""
    try:
        name.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.end == len(name):
            return name[:exc.start]
    return name


def recode_frame(frame, encoding: str):
    """Re-decode text read as Latin-1 (byte-for-byte) in ``encoding``; bad bytes become "�".

    Parameters
    ----------
    frame : pandas.DataFrame
        Frame whose column names and text columns were read as ISO-8859-1.
    encoding : str
        The real encoding of the attributes.

    Returns
    -------
    pandas.DataFrame
        The frame with readable column names and text.
    """
    def fix(text):
        if not isinstance(text, str):
            return text
        return text.encode("latin-1", errors="replace").decode(encoding, errors="replace")

    frame = frame.rename(columns=_unique_names(
        frame.columns, [fix(c) for c in frame.columns]))
    geometry = getattr(frame, "_geometry_column_name", None)
    for col in frame.columns:
        if col != geometry and pd.api.types.is_string_dtype(frame[col].dtype):
            frame[col] = frame[col].map(fix)
    return frame


def _unique_names(old, names: list) -> dict:
    """Old name → decoded name, numbered (``名称_2``) where two decode alike (``"��"``)."""
    seen: dict[str, int] = {}
    renamed = {}
    for before, after in zip(old, names, strict=True):
        count = seen.get(after, 0)
        seen[after] = count + 1
        renamed[before] = after if count == 0 else f"{after}_{count + 1}"
    return renamed


def detect_dbf_encoding(dbf: Path) -> str:
    """Return ``"utf-8"`` if the DBF text is strict UTF-8, else ``"gb18030"`` (GBK superset)."""
    data = dbf_text_bytes(dbf)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


#: Share of decoded non-ASCII characters that may be replacement characters in a declared
#: UTF-8 file (a value cut in the middle of a character) before the declaration is doubted.
UTF8_ERROR_SHARE = 0.02
#: Share of non-ASCII characters that must be common Chinese (GB2312) for bytes to be taken
#: as GBK text: Latin-1 or UTF-8 bytes read as GBK give rare characters, or errors.
GBK_COMMON_SHARE = 0.8
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_CHECK_BYTES = 4 * 1024 * 1024


def shown_encoding(codec: str) -> str:
    """How an encoding is named to the user (``GBK/GB18030``, ``UTF-8``, ``ISO-8859-1`` …)."""
    return {"utf-8": "UTF-8", "gb18030": "GBK/GB18030", "latin-1": "ISO-8859-1",
            "big5": "Big5"}.get(codec, codec.upper())


def _holds_chinese(codec: str) -> bool:
    try:
        "中文".encode(codec)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _replacements(data: bytes, codec: str) -> tuple[str, int]:
    text = data.decode(codec, errors="replace")
    return text, text.count("\ufffd")


def _common_chinese(text: str) -> bool:
    """True when ``text`` has Chinese and its non-ASCII characters are mostly GB2312 ones."""
    wide = "".join(_NON_ASCII.findall(text))
    if not wide or not _CJK.search(wide):
        return False
    unknown = wide.encode("gb2312", errors="replace").count(b"?")
    return len(wide) - unknown >= GBK_COMMON_SHARE * len(wide)


def better_encoding(data: bytes, declared: str) -> str | None:
    """The encoding the text bytes are really in, when ``declared`` (a ``.cpg``) is wrong.

    The declared encoding stands unless the bytes say otherwise:

    - declared UTF-8, but more than :data:`UTF8_ERROR_SHARE` of the characters do not decode,
      while GB18030 decodes every byte into common Chinese;
    - declared another encoding, but the bytes are valid UTF-8 holding Chinese;
    - declared an encoding that cannot hold Chinese (ISO-8859-1, CP1252 …) or that fails to
      decode the bytes, while GB18030 decodes every byte into common Chinese (GB2312).

    Parameters
    ----------
    data : bytes
        Field names and text values of the DBF (:func:`dbf_text_bytes`).
    declared : str
        Python codec named by the ``.cpg``.

    Returns
    -------
    str or None
        ``"utf-8"`` or ``"gb18030"``, or ``None`` when the declaration fits the bytes.
    """
    data = data[:_CHECK_BYTES]
    if not _NON_ASCII.search(data.decode("latin-1")):
        return None  # plain ASCII reads the same in every encoding
    declared = codecs.lookup(declared).name
    utf8, utf8_errors = _replacements(data, "utf-8")
    if declared == "utf-8":
        if utf8_errors <= UTF8_ERROR_SHARE * max(len(_NON_ASCII.findall(utf8)), 1):
            return None
    elif utf8_errors == 0 and _CJK.search(utf8):
        return "utf-8"
    elif declared == "gb18030" or (_holds_chinese(declared)
                                   and _replacements(data, declared)[1] == 0):
        return None
    gbk, gbk_errors = _replacements(data, "gb18030")
    if gbk_errors == 0 and _common_chinese(gbk):
        return "gb18030"
    return None


def shapefile_encoding(shp: Path) -> tuple[str, str | None]:
    """Return the encoding of a shapefile's attributes and a note on how it was chosen.

    A ``.cpg`` is honoured unless the DBF's bytes contradict it (:func:`better_encoding`): a
    ``.cpg`` saying UTF-8 or ISO-8859-1 beside a GBK file is a common slip of export tools.

    Parameters
    ----------
    shp : pathlib.Path
        The ``.shp`` file.

    Returns
    -------
    tuple
        ``(codec, note)``; ``note`` is ``None`` when the ``.cpg`` declared the encoding and the
        bytes agree, else a Chinese sentence for a warning.
    """
    cpg = sidecar(shp, ".cpg")
    dbf = sidecar(shp, ".dbf")
    if cpg is not None:
        text = cpg.read_bytes().decode("ascii", errors="replace").strip()
        declared = cpg_codec(text)
        if declared is not None:
            actual = better_encoding(dbf_text_bytes(dbf), declared) if dbf is not None else None
            if actual is None:
                return declared, None
            shown = shown_encoding(actual)
            return actual, (f"{cpg.name}声明的属性编码为{text}，但属性文字实为{shown}编码"
                            f"（按{text}读取会成为乱码），已按{shown}读取；请更正或删除{cpg.name}")
    detected = detect_dbf_encoding(dbf) if dbf is not None else "utf-8"
    shown = shown_encoding(detected)
    if cpg is not None:
        return detected, f"无法识别.cpg文件中的编码，已自动判断为{shown}"
    return detected, f"缺少.cpg编码文件，已自动判断属性编码为{shown}"


def truncate_field_names(names: list[str], encoding: str) -> dict[str, str]:
    """Shapefile-safe field names: at most 10 bytes in ``encoding`` and unique.

    Parameters
    ----------
    names : list of str
        Column names.
    encoding : str
        Encoding of the DBF.

    Returns
    -------
    dict
        Old name to new name, for names that change.
    """
    used: set[str] = set()
    renamed: dict[str, str] = {}
    for name in names:
        new = _cut(name, encoding, _DBF_FIELD_NAME_BYTES)
        suffix = 1
        while new.upper() in used:
            tail = f"_{suffix}"
            new = _cut(name, encoding, _DBF_FIELD_NAME_BYTES - len(tail)) + tail
            suffix += 1
        used.add(new.upper())
        if new != name:
            renamed[name] = new
    return renamed


def _cut(text: str, encoding: str, limit: int) -> str:
    out = ""
    for ch in text:
        if len((out + ch).encode(encoding, errors="replace")) > limit:
            break
        out += ch
    return out
