"""Benchmark: annex 1 (集中排查情况统计表) of a county, beside a plain pandas + openpyxl baseline.

Run ``python benchmarks/annex_bench.py [--households 120000] [--repeat 3]``. A synthetic county
of that size is built once into ``benchmarks/_work/annex-<n>.gmp`` (copied from run.py's
``county-<n>.gmp`` when that exists). Rows:

- the whole command, ``report_service.annex1`` on the project: read the households and the
  campaign's records, each household's deciding record (compliance rules), the 20 indicators per
  village, the identities, the workbook (a summary sheet and one sheet per township) and the
  audit note — first with an empty snapshot cache (the first report on a PC: the rows' Arrow
  snapshot is written then, in the user's cache, and patched from the journal afterwards),
  then with the snapshot kept;
- the same from frames already in memory (what the service does after reading);
- the baseline in the same run: the same numbers by a straightforward pandas pipeline (boolean
  rules, ``groupby().nunique()`` for conflicting answers, a sort for the deciding record,
  ``groupby().sum()`` per indicator) written cell by cell into an ordinary openpyxl workbook,
  after reading both tables straight from the store for the end-to-end rows. The baseline's
  numbers are asserted equal to the service's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.common import county_copy, timed  # noqa: E402

WORK = ROOT / "benchmarks" / "_work"

from gis_app.core import annex as rules  # noqa: E402


def county(households: int) -> Path:
    """This benchmark's county of ``households`` households."""
    return county_copy("annex", households)


def baseline(households: pd.DataFrame, records: pd.DataFrame, campaign: dict,
             villages: pd.DataFrame, out: Path) -> pd.DataFrame:
    """The table by plain pandas, written cell by cell with openpyxl."""
    import openpyxl

    day = pd.to_datetime(records["checked_on"])
    checker = records["checker"]
    ok = ~(((records["method"] == 2) & ~records["whole_household_away"])
           | checker.isna() | (checker.fillna("").str.strip() == "")
           | day.isna() | (day < pd.Timestamp(campaign["start_date"]))
           | (day > pd.Timestamp(campaign["end_date"])) | ~records["method"].isin([1, 2]))
    answers = (records["has_risk"].astype(int) * 10_000
               + records["risk_type"].fillna(0).astype(int) * 100
               + records["proposed_monitoring_type"].fillna(0).astype(int))
    conflict = answers.groupby(records["household_id"]).nunique() > 1
    ok &= ~records["household_id"].map(conflict).to_numpy()
    # the deciding record: home (1) before phone (2), then the latest date, then the largest id
    chosen = records[ok.to_numpy()].assign(day=day[ok.to_numpy()]).sort_values(
        ["household_id", "method", "day", "id"], ascending=[True, True, False, False]
    ).drop_duplicates("household_id", keep="first")
    p = chosen.merge(households, left_on="household_id", right_on="id", suffixes=("", "_h"))
    flags = {
        "A1": p["method"] > 0, "A3": p["attribute"] == 2, "A7": p["method"] == 1,
        "A9": p["method"] == 2,
        "B1": p["has_risk"] & p["proposed_monitoring_type"].notna(),
        "B3": p["proposed_monitoring_type"] == 1, "B5": p["proposed_monitoring_type"] == 2,
        "B7": p["proposed_monitoring_type"] == 3, "C1": p["proposed_rollback"],
        "D1": p["proposed_removal"],
    }
    columns = {}
    for code, hit in flags.items():
        hit = hit.fillna(False).astype(bool)
        columns[code] = hit.groupby(p["village_code"]).sum()
        columns[f"{code[0]}{int(code[1:]) + 1}"] = (p["members"] * hit).groupby(
            p["village_code"]).sum()
    table = pd.DataFrame(columns).reindex(villages["code"]).fillna(0).astype(int)
    table = table[list(rules.CODES)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["村"] + list(rules.CODES))
    for code, values in zip(table.index, table.to_numpy().tolist(), strict=True):
        ws.append([code, *values])
    wb.save(out)
    return table


def bench(households: int, repeat: int) -> list[tuple[str, float, str, float | None]]:
    """Rows of (what, seconds, baseline name, baseline seconds)."""
    from gis_app.reports.annex1 import statistics_forms
    from gis_app.services import report_service
    from gis_app.storage.project import open_project
    from gis_app.storage.reader import load_table

    path = county(households)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        os.environ["GIS_APP_CACHE_DIR"] = str(folder / "cache")  # cold: no snapshot yet
        import gis_app.io.xlsx_writer  # noqa: F401  (modules loaded: the data is what is cold)
        import gis_app.reports.annex1  # noqa: F401

        project = open_project(path)
        out = folder / "附件1.xlsx"
        cold, report = timed(lambda: report_service.annex1(project, out, user="bench"), 1)
        warm, report = timed(lambda: report_service.annex1(project, out, user="bench"), repeat)
        label = (f"{households:,} households, {len(report.townships)} townships, "
                 f"{report.rows} villages")

        scope = report_service.campaign_scope(project)
        households_frame, records, _, _ = report_service.checked_households(project, scope)
        villages = scope.villages.rename(columns={"name": "village"})
        campaign = scope.campaign

        def from_frames():
            table = rules.indicator_table(households_frame, records, campaign["start_date"],
                                          campaign["end_date"], villages)
            rules.require_identities(table, table["village"])
            sheets = report_service.statistics_sheets(scope, table, "县")
            report_service.write_forms(statistics_forms(sheets, "县" + rules.TITLE),
                                       folder / "frames.xlsx")
            return table

        frames_s, table = timed(from_frames, repeat)
        base_s, expected = timed(lambda: baseline(households_frame, records, campaign, villages,
                                                   folder / "baseline.xlsx"), repeat)
        ours = table.set_index("code")[list(rules.CODES)]
        assert np.array_equal(ours.to_numpy(), expected.to_numpy()), "numbers differ"

        def read_and_baseline():
            # a straightforward reader: the two tables straight from the store, no snapshot
            engine = project.engine
            homes = load_table(engine, "household", ["id", "village_id", "members",
                                                     "attribute"])
            codes = scope.villages.set_index("id")["code"]
            homes = homes[homes["village_id"].isin(codes.index)]
            homes = homes.assign(village_code=homes["village_id"].map(codes))
            checks = load_table(engine, "investigation_record",
                                ["campaign_id", *rules.RECORD_COLUMNS])
            checks = checks[checks["campaign_id"] == int(campaign["id"])]
            return baseline(homes, checks, campaign, villages, folder / "baseline.xlsx")

        base_all, _ = timed(read_and_baseline, repeat)
        project.close()
    base_name = "read both tables from the store + pandas groupby + openpyxl cell by cell"
    rows.append((f"annex 1 end to end, no snapshot of its rows yet (the first report on this "
                 f"PC; {label})", cold, base_name, base_all))
    rows.append((f"annex 1 end to end, snapshot kept (any later report, median of {repeat}; "
                 f"{label})", warm, base_name, base_all))
    rows.append((f"annex 1 from frames in memory: deciding records, 20 indicators, identities, "
                 f"workbook ({label})", frames_s, "pandas groupby + openpyxl cell by cell",
                 base_s))
    return rows


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds:.4f}" if seconds < 0.01 else f"{seconds:.3f}"


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=120_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| what | seconds | baseline | baseline seconds |")
    print("|---|---:|---|---:|")
    for what, seconds, base_name, base in bench(args.households, args.repeat):
        print(f"| {what} | {_fmt(seconds)} | {base_name} | {_fmt(base)} |", flush=True)


if __name__ == "__main__":
    main()
