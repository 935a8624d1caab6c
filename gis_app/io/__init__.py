"""Files in and out: vector layers, the annex-2 ledger, worker rosters and attribute tables.

The names below are loaded when first used (PEP 562): the window starts without openpyxl or
GDAL, which only a file read or written needs.
"""

from importlib import import_module

_WHERE = {
    "InputFileError": "errors",
    "Issue": "errors",
    "gcj02_to_wgs84": "gcj02",
    "wgs84_to_gcj02": "gcj02",
    "LedgerReadResult": "ledger",
    "read_ledger": "ledger",
    "write_ledger_excel": "ledger",
    "read_csv_auto": "tables",
    "write_table_excel": "tables",
    "VectorReadResult": "vector",
    "read_vector": "vector",
    "write_vector": "vector",
    "WorkersReadResult": "workers",
    "read_workers": "workers",
    "write_workers_excel": "workers",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'gis_app.io' has no attribute {name!r}")
    value = getattr(import_module(f"gis_app.io.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
