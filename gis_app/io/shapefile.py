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

    frame = frame.rename(columns={c: fix(c) for c in frame.columns if isinstance(c, str)})
    geometry = getattr(frame, "_geometry_column_name", None)
    for col in frame.columns:
        if col != geometry and pd.api.types.is_string_dtype(frame[col].dtype):
            frame[col] = frame[col].map(fix)
    return frame


def detect_dbf_encoding(dbf: Path) -> str:
    """Return ``"utf-8"`` if the DBF text is strict UTF-8, else ``"gb18030"`` (GBK superset)."""
    data = dbf_text_bytes(dbf)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def shapefile_encoding(shp: Path) -> tuple[str, str | None]:
    """Return the encoding of a shapefile's attributes and a note on how it was chosen.

    Parameters
    ----------
    shp : pathlib.Path
        The ``.shp`` file.

    Returns
    -------
    tuple
        ``(codec, note)``; ``note`` is ``None`` when the ``.cpg`` declared the encoding, else a
        Chinese sentence for a warning.
    """
    cpg = sidecar(shp, ".cpg")
    declared = None
    if cpg is not None:
        text = cpg.read_bytes().decode("ascii", errors="replace").strip()
        declared = cpg_codec(text)
        if declared is not None:
            return declared, None
    dbf = sidecar(shp, ".dbf")
    detected = detect_dbf_encoding(dbf) if dbf is not None else "utf-8"
    shown = "UTF-8" if detected == "utf-8" else "GBK/GB18030"
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
