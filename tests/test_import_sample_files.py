"""``gis-app sample P --households N --files DIR`` writes the files of the county it generated.

Checked with a small county (300 households): every hand-over file is read back (pyogrio,
openpyxl) and its counts compared with the project's rows, and the files import into a new
project that holds the same counts.
"""

from __future__ import annotations

import json

import openpyxl
import pyogrio
from sqlalchemy import text

from gis_app.cli import main
from gis_app.storage.project import open_project

HOUSEHOLDS = 300


def counts(location) -> dict:
    project = open_project(location)
    try:
        with project.engine.connect() as connection:
            def one(sql):
                return connection.execute(text(sql)).scalar()

            return {
                "townships": one("SELECT count(*) FROM admin_unit WHERE level = 2"),
                "villages": one("SELECT count(*) FROM admin_unit WHERE level = 3"),
                "grids": one("SELECT count(*) FROM grid"),
                "sites": one("SELECT count(*) FROM resettlement_site"),
                "hazard_zones": one("SELECT count(*) FROM hazard_zone"),
                "hazard_points": one("SELECT count(*) FROM hazard_point"),
                "household_points": one("SELECT count(*) FROM household WHERE lon IS NOT NULL"),
                "households": one("SELECT count(*) FROM household"),
                "workers": one("SELECT count(*) FROM worker"),
            }
    finally:
        project.close()


def ledger_rows(path) -> int:
    """Households in an annex-2 ledger: numbered rows under the header (序号 is an integer)."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return sum(1 for row in book.active.iter_rows(min_row=5, values_only=True)
                   if isinstance(row[0], int))
    finally:
        book.close()  # a read-only workbook keeps its file open until closed


def test_sample_files_of_a_small_county_match_its_project(tmp_path, capsys):
    project, folder = tmp_path / "small.gmp", tmp_path / "files"
    assert main(["sample", str(project), "--households", str(HOUSEHOLDS), "--files",
                 str(folder), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    stored = counts(project)
    assert stored["households"] == info["households"]
    assert abs(stored["households"] - HOUSEHOLDS) <= HOUSEHOLDS // 10
    for layer in ("townships", "villages", "grids", "sites", "hazard_zones", "hazard_points",
                  "household_points"):
        assert pyogrio.read_info(folder / "county.gpkg", layer=layer)["features"] == \
            stored[layer], layer
        assert pyogrio.read_info(folder / "shapefile" / f"{layer}.shp")["features"] == \
            stored[layer], layer
    assert ledger_rows(folder / "households.xlsx") == stored["households"] < 4000
    book = openpyxl.load_workbook(folder / "workers.xlsx", read_only=True)
    workers = sum(1 for row in book.active.iter_rows(min_row=3, values_only=True) if row[1])
    book.close()
    assert workers == stored["workers"]
    # The files rebuild the same county.
    rebuilt = tmp_path / "rebuilt.gmp"
    for path, kind, layer in (
            (folder / "shapefile" / "townships.shp", "boundaries", None),
            (folder / "shapefile" / "villages.shp", "boundaries", None),
            (folder / "county.gpkg", "grids", "grids"),
            (folder / "county.gpkg", "sites", "sites"),
            (folder / "county.gpkg", "hazards", "hazard_zones"),
            (folder / "county.gpkg", "hazards", "hazard_points"),
            (folder / "households.xlsx", "households", None),
            (folder / "workers.xlsx", "workers", None)):
        argv = ["import", str(rebuilt), str(path), "--kind", kind]
        assert main(argv + (["--layer", layer] if layer else [])) == 0, capsys.readouterr().err
    assert counts(rebuilt) == stored
