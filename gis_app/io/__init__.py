"""Files in and out: vector layers, the annex-2 ledger, worker rosters and attribute tables."""

from gis_app.io.errors import InputFileError, Issue
from gis_app.io.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from gis_app.io.ledger import LedgerReadResult, read_ledger, write_ledger_excel
from gis_app.io.tables import read_csv_auto, write_table_excel
from gis_app.io.vector import VectorReadResult, read_vector, write_vector
from gis_app.io.workers import WorkersReadResult, read_workers, write_workers_excel

__all__ = [
    "InputFileError",
    "Issue",
    "LedgerReadResult",
    "VectorReadResult",
    "WorkersReadResult",
    "gcj02_to_wgs84",
    "read_csv_auto",
    "read_ledger",
    "read_vector",
    "read_workers",
    "wgs84_to_gcj02",
    "write_ledger_excel",
    "write_table_excel",
    "write_vector",
    "write_workers_excel",
]
