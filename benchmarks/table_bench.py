"""Attribute table on 1,000,000 households, offscreen: each operation beside the old approach.

Run: ``.venv/bin/python benchmarks/table_bench.py [--rows 1000000] [--project PATH | --no-project]``
and it prints Markdown tables.

Each case runs in a process of its own (so peak memory is its own):

- ``synthetic``: the session's lean household frame (id, x, y, grid, village, drawn codes) of
  ``--rows`` rows and a ``fetch`` over a synthetic store of the other attributes; baseline: the
  same table given one DataFrame of every attribute (the old approach).
- with a project (default ``benchmarks/_work/county-1000000.gmp`` when it exists, copied to a
  temporary file): the session's lean households and the window's own fetch
  (``TableController._household_values`` over ``session.household_columns``); the same lean
  frame with a fetch that reads only the asked rows from the store (``load_table(..., ids)``);
  baseline: every attribute read from the store into one DataFrame, then shown.

Memory: the table's caches after show (bytes held by the model: pages, whole fetched columns,
masked texts, sort order) and the process's resident memory from ``/proc/self/status``
(``VmRSS`` before and after show, ``VmHWM`` the peak of the whole case).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PROJECT = ROOT / "benchmarks" / "_work" / "county-1000000.gmp"
#: What the window's table shows of households (the controller's list).
STORED = ["household_code", "head_name", "head_id_number", "phone", "income_per_person",
          "location_source", "risk_eliminated_on"]
#: Read a whole column rather than list this many ids in SQL.
WHOLE_READ = 50_000


def status_mb(field: str) -> float:
    """A ``/proc/self/status`` memory line (``VmRSS``, ``VmHWM``) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- the data of each case
def synthetic(n: int):
    """(lean frame, store of the other attributes indexed by id) of ``n`` households."""
    rng = np.random.default_rng(0)
    ids = np.arange(1, n + 1)
    grid = np.sort(rng.integers(0, max(n // 40, 1), n))
    monitoring = pd.array(np.where(rng.random(n) < 0.05, rng.integers(1, 4, n), 0), "Int64")
    monitoring[monitoring == 0] = pd.NA
    lean = pd.DataFrame({
        "id": ids, "x": rng.uniform(0, 5e4, n), "y": rng.uniform(0, 5e4, n),
        "grid_id": pd.array(grid, "Int64"), "village_id": pd.array(grid // 8, "Int64"),
        "attribute": rng.integers(1, 4, n), "monitoring_type": monitoring,
        "risk_eliminated": rng.random(n) < 0.1, "members": rng.integers(1, 8, n),
        "version": np.ones(n, np.int64)})
    surnames = np.array(list("王李张刘陈杨黄赵吴周"), dtype=object)
    given = np.array(["建国", "秀英", "志强", "桂兰", "德富", "海良", "永林", "文明"], dtype=object)
    digits = rng.integers(0, 10_000, n)
    dates = pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), "D")
    eliminated = np.where(rng.random(n) < 0.05, dates.date.astype(object), None)
    store = pd.DataFrame({
        "household_code": [f"43059910120{i:07d}" for i in ids],
        "head_name": surnames[rng.integers(0, 10, n)] + given[rng.integers(0, 8, n)],
        "head_id_number": [f"430599{1950 + i % 60}0101{d:04d}"
                           for i, d in zip(ids, digits, strict=True)],
        "phone": [f"138{i % 10_000:04d}{d:04d}" for i, d in zip(ids, digits, strict=True)],
        "income_per_person": rng.uniform(3000, 40000, n).round(2),
        "location_source": np.where(rng.random(n) < 0.9, "经纬度", "地图点选").astype(object),
        "risk_eliminated_on": eliminated}, index=pd.Index(ids, name="id"))
    return lean, store


class CountingFetch:
    """A fetch over a frame indexed by id that counts the ids asked for."""

    def __init__(self, function):
        self.function = function
        self.ids = 0
        self.calls = 0

    def __call__(self, names, ids):
        self.calls += 1
        self.ids += len(ids)
        return self.function(names, ids)


def _columns() -> list[str]:
    from gis_app.ui.controllers.table import HOUSEHOLD_COLUMNS

    return list(HOUSEHOLD_COLUMNS)


def case_data(case: str, n: int, project: str | None):
    """(lean or full frame, columns, fetch, closer) of a case, read before the timing starts."""
    if case.startswith("synthetic"):
        lean, store = synthetic(n)
        columns = ["id", "household_code", "head_name", "head_id_number", "phone", "members",
                   "attribute", "monitoring_type", "income_per_person", "risk_eliminated",
                   "risk_eliminated_on", "location_source"]
        if case == "synthetic-full":
            full = lean.join(store, on="id")
            del store
            return full, columns, None, lambda: None
        return lean, columns, CountingFetch(lambda names, ids: store.loc[ids, names]), \
            lambda: None
    from gis_app.services.session import ProjectSession
    from gis_app.storage.project import open_project
    from gis_app.storage.reader import load_table

    session = ProjectSession(open_project(project), user="bench")
    lean = session.households
    if case == "project-full":
        # The old approach's read: every attribute of every household into one frame.
        start = time.perf_counter()
        frame = load_table(session.project.engine, "household")
        frame.attrs["read_seconds"] = time.perf_counter() - start
        return frame, [c for c in _columns() if c in frame.columns], None, session.close
    if case == "project-session":
        from gis_app.ui.controllers.table import TableController

        session.load(["admin_units", "grids"])  # the map has read them when the table shows

        class Window:  # what _household_values uses of the controller: its session
            pass

        owner = Window()
        owner.session = session
        return lean, _columns(), CountingFetch(
            lambda names, ids: TableController._household_values(owner, names, ids)), \
            session.close

    def rows_by_id(names, ids):  # project-pages: only the asked rows from the store
        ids = np.asarray(ids)
        read = load_table(session.project.engine, "household", ["id", *names],
                          ids=None if len(ids) > WHOLE_READ else ids)
        return read.set_index("id").reindex(ids)

    stored = [c for c in _columns() if c not in ("township", "village", "grid_code")]
    return lean, stored, CountingFetch(rows_by_id), session.close


# -- one case, in its own process
def run_case(case: str, n: int, project: str | None) -> dict:
    """Seconds of each operation, cache bytes and memory of one case."""
    from PyQt6.QtCore import Qt

    from gis_app.ui.app import application
    from gis_app.ui.i18n import Translator
    from gis_app.ui.panels.attribute_table import AttributeTable

    app = application()
    frame, columns, fetch, close = case_data(case, n, project)
    table = AttributeTable(Translator("zh"))
    table.household_layers = {"households"}
    table.resize(1400, 320)
    table.show()
    app.processEvents()
    result = {"case": case, "rows": len(frame), "seconds": {},
              "read_seconds": frame.attrs.pop("read_seconds", None)}
    result["rss_before_show"] = status_mb("VmRSS")

    def timed(what, action):
        start = time.perf_counter()
        action()
        table.grab()  # the view drawn: the cells in view asked for
        result["seconds"][what] = time.perf_counter() - start

    timed("show and first draw", lambda: table.show_layer(
        "households", frame, "zh", False, columns=columns, fetch=fetch))
    result["rss_after_show"] = status_mb("VmRSS")
    result["peak_after_show"] = status_mb("VmHWM")
    result["cache_after_show"] = table.model.cache_bytes()
    result["fetched_ids_show"] = fetch.ids if fetch else 0
    timed("scroll to the last row", table.view.scrollToBottom)
    header = table.view.horizontalHeader()
    name = table.model.columns.index("head_name")
    members = table.model.columns.index("members")
    timed("sort by 户主姓名 (fetched column)",
          lambda: header.setSortIndicator(name, Qt.SortOrder.AscendingOrder))
    timed("sort by 家庭人口数 (lean column)",
          lambda: header.setSortIndicator(members, Qt.SortOrder.DescendingOrder))

    def expression(text):
        table.expression.setText(text)
        table.apply_expression()

    timed("filter: attribute == 2 and members >= 4",
          lambda: expression("attribute == 2 and members >= 4"))
    result["shown_filter"] = table.model.rowCount()
    timed('filter: head_id_number.str.endswith("1234") (masked)',
          lambda: expression('head_id_number.str.endswith("1234")'))
    result["shown_masked"] = table.model.rowCount()
    table.clear_filter()
    mask = np.zeros(len(frame), dtype=bool)
    mask[::3] = True
    timed(f"show a map selection of {int(mask.sum()):,} rows",
          lambda: table.select_features(mask))
    result["cache_at_end"] = table.model.cache_bytes()
    result["fetched_ids_total"] = fetch.ids if fetch else 0
    result["fetch_calls"] = fetch.calls if fetch else 0
    result["frame_bytes"] = int(frame.memory_usage(deep=True).sum())
    result["peak_rss"] = status_mb("VmHWM")
    table.close()
    close()
    return result


def _in_process(case: str, n: int, project: str | None) -> dict:
    command = [sys.executable, __file__, "--case", case, "--rows", str(n)]
    if project:
        command += ["--project", project]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _print(title: str, new: list[dict], baseline: dict) -> None:
    names = [r["case"] for r in new] + [baseline["case"] + " (baseline)"]
    print(f"\n### {title}: {baseline['rows']:,} households\n")
    print("| operation | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for what in baseline["seconds"]:
        cells = [f"{r['seconds'][what]:.3f} s" for r in [*new, baseline]]
        print(f"| {what} | " + " | ".join(cells) + " |")
    rows = [("read every attribute from the store first (old approach)",
             lambda r: "—" if r["read_seconds"] is None else f"{r['read_seconds']:.3f} s"),
            ("ids fetched by show", lambda r: f"{r['fetched_ids_show']:,}"),
            ("ids fetched in all (calls)",
             lambda r: f"{r['fetched_ids_total']:,} ({r['fetch_calls']})"),
            ("table caches after show", lambda r: f"{r['cache_after_show'] / 1e6:.1f} MB"),
            ("table caches at the end", lambda r: f"{r['cache_at_end'] / 1e6:.1f} MB"),
            ("frame given to the table", lambda r: f"{r['frame_bytes'] / 1e6:.0f} MB"),
            ("RSS before show → after show",
             lambda r: f"{r['rss_before_show']:.0f} → {r['rss_after_show']:.0f} MB"),
            ("peak RSS after show (VmHWM)", lambda r: f"{r['peak_after_show']:.0f} MB"),
            ("peak RSS at the end (VmHWM)", lambda r: f"{r['peak_rss']:.0f} MB"),
            ("rows after the two filters",
             lambda r: f"{r['shown_filter']:,} / {r['shown_masked']:,}")]
    for what, cell in rows:
        print(f"| {what} | " + " | ".join(cell(r) for r in [*new, baseline]) + " |")


def main() -> None:
    """Run every case in its own process and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--project", default=str(PROJECT) if PROJECT.exists() else None)
    parser.add_argument("--no-project", action="store_true")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.rows, args.project)))
        return
    print("Attribute table benchmark (offscreen, 1400×320 table; seconds include the redraw)")
    _print("Synthetic lean frame + fetch", [_in_process("synthetic", args.rows, None)],
           _in_process("synthetic-full", args.rows, None))
    if args.project and not args.no_project:
        with tempfile.TemporaryDirectory() as folder:
            copy = str(Path(folder) / "county.gmp")
            shutil.copy(args.project, copy)  # the session may write its journal
            new = [_in_process(c, 0, copy) for c in ("project-session", "project-pages")]
            _print(f"Project {Path(args.project).name}", new,
                   _in_process("project-full", 0, copy))


if __name__ == "__main__":
    main()
