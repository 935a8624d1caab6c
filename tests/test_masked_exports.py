"""A masked export holds no full ID number or phone anywhere, nor the audit digest's secret.

The project is the sample county after edits that touch personal data (a worker's phone and ID
number, a household's phone, a household placed on the map, numbers typed into free text and an
edit label). ``gis-app export`` writes GeoPackages (every layer, ``--layer audit_log``,
``--layer edit``) and Excel files; they are read back with pyogrio and openpyxl, and their raw
bytes too, and every run of digits in them is searched for every number the project holds or
held. An unmasked export by a permitted user is the control: the same search finds them there.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pyogrio
import pytest
from sqlalchemy import text

from gis_app.cli import main
from gis_app.core.codes import LocationSource
from gis_app.services.session import ProjectSession
from gis_app.storage.audit import AUDIT_KEY_SETTING
from gis_app.storage.project import open_project

USER = "脱敏测试员"
NEW_WORKER_PHONE = "13987654321"
NEW_WORKER_ID = "430521199001011237"
NEW_HOUSEHOLD_PHONE = "15812345678"
#: Where personal numbers are stored (table, column).
PERSONAL_COLUMNS = [("household", "head_id_number"), ("household", "phone"),
                    ("worker", "id_number"), ("worker", "phone"), ("person", "id_number"),
                    ("rectification_item", "responsible_phone")]


def rows(project, sql, **params) -> list:
    with project.engine.connect() as connection:
        return connection.execute(text(sql), params).all()


def personal_numbers(project) -> set[str]:
    """Every ID number and phone stored in the project, upper-cased."""
    found = set()
    for table, column in PERSONAL_COLUMNS:
        found |= {str(v).upper() for v, in rows(
            project, f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")
            if str(v).strip()}
    return found


def runs_in(text_: str) -> set[str]:
    """Every 11- and 18-character window of every run of digits (and X) in ``text_``.

    A number written anywhere, even inside a longer run, is one of these windows.
    """
    found = set()
    for run in re.findall(r"[0-9X]{11,}", text_.upper()):
        for width in (11, 18):
            found |= {run[i:i + width] for i in range(len(run) - width + 1)}
    return found


def gpkg_text(path: Path) -> str:
    """Every cell of every layer (pyogrio), then the file's raw bytes."""
    parts = []
    for name, _ in pyogrio.list_layers(path):
        frame = pyogrio.read_dataframe(path, layer=name, read_geometry=False)
        parts += [" ".join(map(str, frame.columns))]
        parts += [" ".join("" if v is None else str(v) for v in row)
                  for row in frame.itertuples(index=False)]
    parts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)


def xlsx_text(path: Path) -> str:
    """Every cell of every sheet (openpyxl), then every part of the zip as text."""
    book = openpyxl.load_workbook(path, read_only=True)
    parts = [" ".join("" if v is None else str(v) for v in row)
             for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    book.close()
    with zipfile.ZipFile(path) as archive:
        parts += [archive.read(n).decode("utf-8", errors="replace") for n in archive.namelist()]
    return "\n".join(parts)


def export(project_path: Path, out: Path, *extra) -> Path:
    assert main(["export", str(project_path), str(out), *extra]) == 0
    return out


@pytest.fixture(scope="module")
def edited(sample_project_path, tmp_path_factory):
    """The sample after personal-data edits; (path, numbers it holds or held, digest secret)."""
    path = tmp_path_factory.mktemp("masked") / "p.gmp"
    shutil.copy(sample_project_path, path)
    project = open_project(path)
    held = personal_numbers(project)
    session = ProjectSession(project, user=USER)
    worker = session.workers.sort_values("id").iloc[0]
    household = rows(project, "SELECT id, head_id_number, phone, version FROM household "
                              "WHERE phone IS NOT NULL ORDER BY id LIMIT 1")[0]
    with session.edit(f"更正网格员电话（原{worker['phone']}）") as uow:
        uow.update("worker", int(worker["id"]), int(worker["version"]),
                   phone=NEW_WORKER_PHONE, id_number=NEW_WORKER_ID)
        uow.update("household", household.id, household.version, phone=NEW_HOUSEHOLD_PHONE)
    # A household placed on the map, where its level-3 grid is.
    unlocated = rows(project, "SELECT id, version FROM household WHERE lon IS NULL "
                              "ORDER BY id LIMIT 1")[0]
    grid = session.grids[session.grids["level"] == 3].iloc[0]
    spot = grid.geometry.representative_point()
    lon, lat = session.to_lonlat(spot.x, spot.y)
    with session.edit("设置农户位置") as uow:
        uow.update("household", unlocated.id, unlocated.version, lon=float(lon), lat=float(lat),
                   grid_id=int(grid["id"]), location_source=LocationSource.MANUAL.value)
    # Numbers typed into a free-text field.
    record = rows(project, "SELECT id, version FROM investigation_record ORDER BY id LIMIT 1")[0]
    with session.edit("补充走访记录") as uow:
        uow.update("investigation_record", record.id, record.version,
                   other_problems=f"户主证件{household.head_id_number}，电话{household.phone}")
    held |= personal_numbers(project)
    secret = json.loads(rows(project, "SELECT value FROM project_setting WHERE key=:k",
                             k=AUDIT_KEY_SETTING)[0].value)
    project.close()
    assert {NEW_WORKER_PHONE, NEW_WORKER_ID, NEW_HOUSEHOLD_PHONE, str(worker["phone"]),
            household.phone} <= held
    return path, held, secret


@pytest.mark.parametrize("name, extra", [
    ("all.gpkg", ()),
    ("audit.gpkg", ("--layer", "audit_log")),
    ("edits.gpkg", ("--layer", "edit")),
    ("ledger.xlsx", ()),
    ("workers.xlsx", ("--layer", "workers")),
    ("audit.xlsx", ("--layer", "audit_log")),
    ("rectifications.xlsx", ("--layer", "rectifications")),
])
def test_masked_export_holds_no_full_number(edited, tmp_path, name, extra):
    path, held, secret = edited
    out = export(path, tmp_path / name, *extra)
    content = gpkg_text(out) if name.endswith(".gpkg") else xlsx_text(out)
    assert not runs_in(content) & held
    assert secret not in content


def test_masked_geopackage_keeps_the_edits_masked(edited, tmp_path):
    path, held, _ = edited
    out = export(path, tmp_path / "all.gpkg")
    layers = {name for name, _ in pyogrio.list_layers(out)}
    assert {"audit_log", "edit", "workers", "households"} <= layers
    assert not any("setting" in name for name in layers)
    # The worker's new phone and ID number are there, masked, in the table and in the audit log.
    workers = pyogrio.read_dataframe(out, layer="workers", read_geometry=False)
    assert "139****4321" in set(workers["联系电话"])
    assert "430***********1237" in set(workers["证件号码"])
    audit = pyogrio.read_dataframe(out, layer="audit_log", read_geometry=False)
    changed = [json.loads(d) for d, t, a in zip(audit["details"], audit["table_name"],
                                                 audit["action"], strict=True)
               if t == "worker" and a == "update"]
    (worker_change,) = changed
    assert worker_change["new"]["phone"]["masked"] == "139****4321"
    assert worker_change["new"]["id_number"]["masked"] == "430***********1237"
    assert worker_change["old"]["phone"]["digest"] != worker_change["new"]["phone"]["digest"]
    # The edit labels are there, the number typed into one masked.
    edits = pyogrio.read_dataframe(out, layer="edit", read_geometry=False)
    label = next(v for v in edits["label"] if v.startswith("更正网格员电话"))
    assert re.fullmatch(r"更正网格员电话（原1\d\d\*{4}\d{4}）", label)
    # The free text keeps its words, with the numbers masked.
    records = pyogrio.read_dataframe(out, layer="records", read_geometry=False)
    typed = next(v for v in records["其他问题"] if isinstance(v, str) and "户主证件" in v)
    assert re.fullmatch(r"户主证件\d{3}\*{11}[0-9X]{4}，电话1\d\d\*{4}\d{4}", typed)


def test_unmasked_export_is_the_control(edited, tmp_path, monkeypatch):
    """The search finds the numbers where a permitted user asked for them in full."""
    path, held, secret = edited
    project = open_project(path)
    permitted = project.settings()["personal_data_users"][0]
    project.close()
    monkeypatch.setenv("GIS_APP_USER", permitted)
    out = export(path, tmp_path / "full.gpkg", "--unmask")
    found = runs_in(gpkg_text(out)) & held
    assert {NEW_WORKER_PHONE, NEW_WORKER_ID, NEW_HOUSEHOLD_PHONE} <= found
    assert secret not in gpkg_text(out)
