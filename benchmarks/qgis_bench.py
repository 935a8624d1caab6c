"""Benchmark: the QGIS project export and a dock's table to Excel, beside baselines in one run.

Run ``python benchmarks/qgis_bench.py [--households 120000] [--repeat 2]``. The county is
``benchmarks/_work/qgis-<n>.gmp`` (copied from run.py's ``county-<n>.gmp`` when it exists,
else built). Rows:

- baseline: ``export_project(P, out.gpkg)``, the GeoPackage export the project stands on;
- ``export_project(P, out.qgs)``: that GeoPackage, the coverage and exposure choropleths
  added to it, and the project file (what ``gis-app export P out.qgs`` runs);
- the project XML alone (``project_element`` + ``project_bytes``) for the layers written;
- the 排查覆盖 dock's level-3 table as its cells show (texts, percentages) through
  ``services/table_export`` (typed, title row, print setup), beside pandas ``to_excel``
  (openpyxl) of the same texts, untyped, as the baseline.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.common import county_copy, timed  # noqa: E402

WORK = ROOT / "benchmarks" / "_work"



def county(households: int) -> Path:
    """This benchmark's county of ``households`` households."""
    return county_copy("qgis", households)



def _shown_coverage(project):
    """The coverage dock's level-3 rows as it shows them: names, counts, percentages."""
    from gis_app.services.coverage_service import campaign_coverage

    table = campaign_coverage(project, level=3)
    headers = ["名称", "户数", "入户", "电话微信", "不合规", "未排查", "未覆盖户数", "覆盖率"]
    gap = table["households"] - table["home"] - table["remote"]
    rows = [[str(r.name), int(r.households), int(r.home), int(r.remote),
             int(r.noncompliant), int(r.unchecked), int(g),
             "—" if r.households == 0 else f"{r.coverage:.1%}"]
            for r, g in zip(table.itertuples(), gap, strict=True)]
    return headers, rows


def main() -> None:
    """Print the rows of this benchmark."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=120_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    import pandas as pd

    from gis_app.catalog import load_layers, load_styles
    from gis_app.io.qgis_project import project_bytes, project_element
    from gis_app.services.export_service import export_project
    from gis_app.services.qgis_export import qgis_layers
    from gis_app.services.table_export import shown_table, write_shown_table
    from gis_app.storage.project import open_project

    project = open_project(county(args.households))
    out = Path(tempfile.mkdtemp(prefix="qgis-bench-"))
    gpkg, written = timed(lambda: export_project(project, out / "base.gpkg"), args.repeat)
    qgs, written = timed(lambda: export_project(project, out / "county.qgs"), args.repeat)
    styles = load_styles()
    layers = qgis_layers(load_layers(styles=styles), written[0])
    xml, data = timed(lambda: project_bytes(project_element(layers, styles, "county.gpkg",
                                                             title="county")), 20)
    headers, rows = _shown_coverage(project)
    def shown():
        frame, formats = shown_table(headers, rows, set(range(1, len(headers))))
        return write_shown_table(frame, out / "coverage.xlsx", "排查覆盖（三级网格）", formats)

    typed, _ = timed(shown, args.repeat)
    plain, _ = timed(lambda: pd.DataFrame(rows, columns=headers).to_excel(
        out / "plain.xlsx", index=False, engine="openpyxl"), args.repeat)
    size = sum(p.stat().st_size for p in written)
    print(f"households {args.households:,}, median of {args.repeat}")
    print(f"baseline: GeoPackage export            {gpkg:8.2f} s  "
          f"{(out / 'base.gpkg').stat().st_size / 1e6:.1f} MB")
    print(f"QGIS project (GeoPackage + .qgs)        {qgs:8.2f} s  {size / 1e6:.1f} MB, "
          f"{len(layers)} layers")
    print(f"  the project XML alone                 {xml * 1000:8.1f} ms  "
          f"{len(data) / 1e3:.0f} kB")
    print(f"coverage table to Excel ({len(rows):,} rows)   {typed:8.2f} s")
    print(f"baseline: pandas to_excel, texts        {plain:8.2f} s")
    project.close()
    shutil.rmtree(out)


if __name__ == "__main__":
    main()
