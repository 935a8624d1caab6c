"""Issue 9's files: a county's ledger imported, refused and exported, and a command's start.

Run: ``.venv/bin/python benchmarks/files_bench.py [--households 120000] [--repeat 3]``.
Prints a Markdown table (median wall seconds of ``--repeat`` runs, CPU seconds of this process
beside them) to paste into docs/performance.md. Every baseline is measured in the same run:

- *former*: the code before this work (``--former``, default fd7ce68: openpyxl reading and
  writing cell by cell, every module imported by ``gis-app``), unpacked from git into
  ``benchmarks/_work/files/former`` and run in a subprocess on the same files;
- GDAL's command line tools (``ogr2ogr``, ``ogrinfo``) when installed, as the issue compares;
- xlsxwriter (``constant_memory``), when importable, writing the same cells one by one.

The county and its hand-over files are generated first (``write_sample_files``); the import
goes into a project holding the county's boundaries, grids and sites, imported from those files.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = ROOT / "benchmarks" / "_work" / "files"
PYTHON = sys.executable


def timed(function, repeat: int):
    """Median wall time of ``function()`` over ``repeat`` runs, its CPU time, its last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def run(argv, env=None, cwd=None) -> float:
    """Wall time of a command (its exit status must be 0)."""
    start = time.perf_counter()
    subprocess.run(argv, check=True, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def run_median(argv, repeat: int, env=None, cwd=None) -> float:
    return statistics.median(run(argv, env, cwd) for _ in range(repeat))


def former_tree(revision: str) -> Path:
    """The code at ``revision``, unpacked (with today's migrations: the projects are today's)."""
    target = WORK / "former"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", revision, "gis_app", "layers", "styles"],
                             cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    versions = "gis_app/storage/migrations/versions"
    for script in (ROOT / versions).glob("*.py"):
        shutil.copy(script, target / versions / script.name)
    return target


def former_seconds(former: Path, code: str) -> float:
    """Seconds printed by ``code`` run on the former code in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": str(former)}
    out = subprocess.run([PYTHON, "-c", code], env=env, check=True, capture_output=True,
                         text=True, cwd=WORK).stdout
    return float(out.strip().splitlines()[-1])


_TIMED = """
import time, sys
start = time.perf_counter()
{body}
print(time.perf_counter() - start)
"""


def county_and_files(households: int):
    """The benchmark county, its hand-over files, and a project of it without households."""
    from gis_app.services.import_service import import_into
    from gis_app.services.sample_service import create_sample_project, ledger_frame
    from gis_app.synth import build_county

    county = build_county(households=households, seed=2023)
    folder = WORK / "county"
    shutil.rmtree(folder, ignore_errors=True)
    from gis_app.services.sample_service import write_sample_files

    write_sample_files(folder, county=county)
    base = WORK / "base.gmp"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{base}{suffix}").unlink(missing_ok=True)
    shp = folder / "shapefile"
    for path, kind, layer in ((shp / "townships.shp", "boundaries", None),
                              (shp / "villages.shp", "boundaries", None),
                              (folder / "county.gpkg", "grids", "grids"),
                              (folder / "county.gpkg", "sites", "sites")):
        import_into(base, path, kind, layer=layer)
    full = WORK / "full.gmp"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{full}{suffix}").unlink(missing_ok=True)
    create_sample_project(full, households=households).close()
    return county, ledger_frame(county), folder / "households.xlsx", base, full


def bench(households: int, repeat: int, former_revision: str | None):
    """Yield rows of (what, seconds, cpu seconds, baseline name, baseline seconds)."""
    from gis_app.io import InputFileError, read_ledger, write_ledger_excel
    from gis_app.services.export_service import export_project
    from gis_app.services.import_service import import_into
    from gis_app.storage.project import open_project

    WORK.mkdir(parents=True, exist_ok=True)
    county, frame, ledger, base, full = county_and_files(households)
    former = former_tree(former_revision) if former_revision else None
    gdal = shutil.which("ogr2ogr") is not None
    n = f"{households:,}"

    # 1. Import: read, validate, place in grids and write the households (one unit of work).
    target = WORK / "import.gmp"

    def import_once():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copy(base, target)
        return import_into(target, ledger, "households")

    seconds, cpu, report = timed(import_once, repeat)
    assert report.written == households
    what = f"import a {n}-household annex-2 ledger (.xlsx): read, validate, place, write"
    if former:
        yield ((what, seconds, cpu, "former (openpyxl)",
                     _former_import(former, base, target, ledger)))
    if gdal:
        out = WORK / "ogr.gpkg"
        out.unlink(missing_ok=True)
        yield ((what, seconds, cpu, "ogr2ogr to GeoPackage",
                     run(["ogr2ogr", "-f", "GPKG", str(out), str(ledger)])))
    if not former and not gdal:
        yield ((what, seconds, cpu, "", None))

    # 2. Read and validate only, then the same file with its last row's ID number broken.
    seconds, cpu, result = timed(lambda: read_ledger(ledger), repeat)
    assert len(result.frame) == households
    what = f"read and validate the {n}-row ledger (no project)"
    yield ((what, seconds, cpu, "former read_ledger (openpyxl)" if former else "",
                 former_seconds(former, _TIMED.format(
                     body=f"from gis_app.io import read_ledger; read_ledger({str(ledger)!r})"))
                 if former else None))
    bad = frame.copy()
    last = len(bad) - 1
    text = str(bad.loc[last, "head_id_number"])
    bad.loc[last, "head_id_number"] = text[:17] + ("0" if text[17] != "0" else "1")
    bad_path = write_ledger_excel(bad, WORK / "bad-last-row.xlsx")

    def refuse():
        try:
            read_ledger(bad_path)
        except InputFileError as error:
            return error
        raise AssertionError("the bad last row was accepted")

    refused, refused_cpu, error = timed(refuse, repeat)
    assert len(error.errors) == 1 and error.errors[0].row == last + 5
    yield ((f"the same ledger with a bad last row: refused, naming row {last + 5:,}",
                 refused, refused_cpu, "reading the good file (above)", seconds))

    # 3. Export of the ledger of a project of that size (gis-app export P out.xlsx).
    out = WORK / "export.xlsx"
    project = open_project(full)
    try:
        seconds, cpu, _ = timed(lambda: export_project(project, out), repeat)
    finally:
        project.close()
    what = f"export the ledger of a {n}-household project (.xlsx, print-ready, masked)"
    if former:
        yield ((what, seconds, cpu, "former (openpyxl)", former_seconds(
            former, _TIMED.format(body=(
                "from gis_app.storage.project import open_project\n"
                "from gis_app.services.export_service import export_project\n"
                f"p = open_project({str(full)!r}); start = time.perf_counter()\n"
                f"export_project(p, {str(WORK / 'former-export.xlsx')!r})")))))
    if gdal:
        target_xlsx = WORK / "ogr.xlsx"
        target_xlsx.unlink(missing_ok=True)
        yield ((what, seconds, cpu, "ogr2ogr of the household table to XLSX",
                     run(["ogr2ogr", "-f", "XLSX", str(target_xlsx), str(full), "household"])))
    try:
        import xlsxwriter  # noqa: F401 - optional baseline
    except ImportError:
        pass
    else:
        yield ((f"write the {n}-row ledger workbook",
                     *timed(lambda: write_ledger_excel(frame, WORK / "ours.xlsx"), 1)[:2],
                     "xlsxwriter constant_memory, cell by cell",
                     timed(lambda: _xlsxwriter(frame, WORK / "xw.xlsx"), 1)[0]))


def _former_import(former: Path, base: Path, target: Path, ledger: Path) -> float:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(base, target)
    return former_seconds(former, _TIMED.format(body=(
        "from gis_app.services.import_service import import_into\n"
        f"import_into({str(target)!r}, {str(ledger)!r}, 'households')")))


def _xlsxwriter(frame, path: Path) -> None:
    import numpy as np
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("台账")
    sheet.write_row(0, 0, list(frame.columns))
    columns = [np.where(frame[c].notna(), frame[c].astype(object), None).tolist()
               for c in frame.columns]
    for r, row in enumerate(zip(*columns, strict=True), start=1):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value if not hasattr(value, "isoformat") else str(value))
    book.close()


def bench_start(repeat: int, former_revision: str | None):
    """``gis-app info`` and ``--help`` on the 4,500-household sample, fresh processes."""
    from gis_app.services.sample_service import create_sample_project

    sample = WORK / "sample.gmp"
    if not sample.exists():
        create_sample_project(sample).close()
    gis_app = str(Path(PYTHON).with_name("gis-app"))
    info = run_median([gis_app, "info", str(sample)], max(repeat, 5))
    help_ = run_median([gis_app, "--help"], max(repeat, 5))
    bare = run_median([PYTHON, "-c", "pass"], max(repeat, 5))
    if former_revision:
        # Run from the former tree: ``-m`` puts the working directory first on the path.
        env, cwd = {**os.environ, "PYTHONPATH": str(WORK / "former")}, WORK / "former"
        former = [PYTHON, "-m", "gis_app.cli"]
        yield (("gis-app info on the 4,500-household sample", info, None, "former",
                     run_median([*former, "info", str(sample)], max(repeat, 5), env, cwd)))
        yield (("gis-app --help", help_, None, "former",
                     run_median([*former, "--help"], max(repeat, 5), env, cwd)))
    if shutil.which("ogrinfo"):
        yield (("gis-app info on the 4,500-household sample", info, None,
                     "ogrinfo -so of the household table",
                     run_median(["ogrinfo", "-ro", "-so", str(sample), "household"],
                                max(repeat, 5))))
    yield (("gis-app info on the 4,500-household sample", info, None,
                 "python -c pass (the interpreter's own start)", bare))


def _rows(args, former):
    yield from bench(args.households, args.repeat, former)
    yield from bench_start(args.repeat, former)


def main() -> None:
    """Run the benchmarks and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=120_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--former", default="fd7ce68",
                        help="git revision of the former code (the baseline)")
    parser.add_argument("--no-former", action="store_true", help="skip the former code's runs")
    args = parser.parse_args()
    former = None if args.no_former else args.former
    import datetime
    import platform

    print(f"{datetime.date.today()} · {platform.machine()}, {os.cpu_count()} cores (shared), "
          f"load average {os.getloadavg()[0]:.1f} · Python {platform.python_version()}")
    print("| what | seconds | CPU s | baseline | baseline seconds |")
    print("|---|---:|---:|---|---:|")
    for what, seconds, cpu, base_name, base in _rows(args, former):
        cpu_text = f"{cpu:.2f}" if cpu is not None else ""
        base_text = f"{base:.2f}" if base is not None else ""
        print(f"| {what} | {seconds:.2f} | {cpu_text} | {base_name} | {base_text} |", flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
