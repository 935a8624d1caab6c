"""Reading a county's households into Arrow: ADBC's SQLite driver (before) against sqlite3 (now).

Run: ``.venv/bin/python benchmarks/read_bench.py [--sizes 120000 1000000] [--repeat 3]``.
Builds ``benchmarks/_work/read-N.gmp`` with ``create_sample_project`` when missing (the build
time is printed) and prints a Markdown table of median wall times.

``storage/columnar.py`` used to read SQLite files through ADBC, whose driver links its own copy
of SQLite; two copies in one process on one file release each other's POSIX locks (see that
module), so it now reads through Python's sqlite3. The columns:

- ADBC: the old read (the file opened ``immutable=1``, one Arrow batch). Run here only while no
  sqlite3 connection to the file is open in this process, which is what the app cannot promise.
- sqlite3 naive: ``fetchall``, ``zip(*rows)``, ``pyarrow.array`` per column.
- sqlite3 now: ``columnar.read_arrow`` (``fetchmany`` chunks, garbage collector paused).
- read_frame now: the same into pandas with the household table's dtypes (what
  ``load_households`` gets before its code columns).

Per-column queries (one ``SELECT col`` each) and ``DataFrame.from_records`` were slower than the
naive read, and packing rows into text in SQL (``group_concat``/``quote``) slower still, so they
are not repeated here.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.common import timed  # noqa: E402

WORK = ROOT / "benchmarks" / "_work"

LEAN = ["id", "lon", "lat", "grid_id", "village_id", "attribute", "monitoring_type", "version"]



def county(households: int) -> Path:
    """The benchmark county of ``households`` households, built when missing."""
    from gis_app.services.sample_service import create_sample_project

    path = WORK / f"read-{households}.gmp"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        start = time.perf_counter()
        create_sample_project(path, households=households).close()
        print(f"built {path.name} in {time.perf_counter() - start:.1f} s", flush=True)
    return path


def adbc_read(path: Path, sql: str):
    """The old read: ADBC's own SQLite, the file opened immutable, one batch."""
    from urllib.parse import quote

    import adbc_driver_sqlite.dbapi as adbc_sqlite

    connection = adbc_sqlite.connect(f"file:{quote(str(path.resolve()))}?immutable=1")
    try:
        cursor = connection.cursor()
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "100000000"})
        cursor.execute(sql)
        table = cursor.fetch_arrow_table()
        cursor.close()
        return table
    finally:
        connection.close()


def naive_read(path: Path, sql: str):
    """sqlite3 ``fetchall``, ``zip`` into columns, ``pyarrow.array`` each."""
    import sqlite3

    import pyarrow as pa

    connection = sqlite3.connect(path)
    try:
        cursor = connection.execute(sql)
        names = [d[0] for d in cursor.description]
        columns = zip(*cursor.fetchall(), strict=True)
        return pa.table({n: pa.array(c) for n, c in zip(names, columns, strict=True)})
    finally:
        connection.close()


def bench_size(households: int, repeat: int) -> list[tuple]:
    """Rows of (households, columns, adbc, naive, now, frame) seconds for one county."""
    from gis_app.storage.columnar import read_arrow, read_frame
    from gis_app.storage.project import make_engine
    from gis_app.storage.reader import _typed_select

    path = county(households)
    every, dtypes = _typed_select("household")
    lean, lean_dtypes = _typed_select("household", LEAN)
    rows = []
    for label, sql, types in (("all 29", every, dtypes), ("lean 8", lean, lean_dtypes)):
        adbc, old = timed(lambda sql=sql: adbc_read(path, sql), repeat)  # no engine open yet
        naive, _ = timed(lambda sql=sql: naive_read(path, sql), repeat)
        engine = make_engine(path)
        try:
            now, new = timed(lambda sql=sql, engine=engine: read_arrow(engine, sql), repeat)
            frame, _ = timed(lambda sql=sql, t=types, e=engine: read_frame(e, sql, t), repeat)
        finally:
            engine.dispose()
        same = new.combine_chunks().equals(old.combine_chunks())
        rows.append((households, label, adbc, naive, now, frame, same))
    return rows


def main() -> None:
    """Build the counties as needed, run the reads and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[120_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = [row for size in args.sizes for row in bench_size(size, args.repeat)]
    print("| households | columns | ADBC (before) | sqlite3 naive | sqlite3 now | now / before "
          "| read_frame now | same values |")
    print("|---:|---|---:|---:|---:|---:|---:|---|")
    for households, label, adbc, naive, now, frame, same in rows:
        print(f"| {households:,} | {label} | {adbc:.2f} s | {naive:.2f} s | {now:.2f} s "
              f"| {now / adbc:.1f}× | {frame:.2f} s | {'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()
