"""Each import is one unit of work: its rows and its audit note commit together, or nothing does.

Counts are checked against the generator's own county (the committed files are its output) and
against the files read back with pyogrio; the store is read with plain SQL.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyogrio
import pyproj
import pytest
from sqlalchemy import text

import gis_app.storage.uow as uow_module
from gis_app.core.codes import LocationSource
from gis_app.services.import_service import create_project, import_file
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project

SAMPLE = Path(__file__).resolve().parents[1] / "sample_gis"
USER = "导入员"


def rows(project, sql, **params) -> list:
    with project.engine.connect() as connection:
        return connection.execute(text(sql), params).all()


def scalar(project, sql, **params):
    with project.engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


@pytest.fixture(scope="module")
def county():
    from gis_app.synth import build_county

    return build_county()


@pytest.fixture(params=["sqlite", "postgis"])
def gridded(request, tmp_path):
    """A new project holding the sample's townships, villages, grids and sites, nothing else."""
    location = str(tmp_path / "p.gmp") if request.param == "sqlite" else \
        request.getfixturevalue("pg_url")
    project = create_project(location, user=USER)
    for layer, kind in (("townships", "boundaries"), ("villages", "boundaries"),
                        ("grids", "grids"), ("sites", "sites")):
        import_file(project, SAMPLE / "county.gpkg", kind, layer=layer, user=USER)
    yield project
    project.close()


@pytest.fixture
def sample_copy(sample_project_path, tmp_path):
    shutil.copy(sample_project_path, tmp_path / "p.gmp")
    project = open_project(tmp_path / "p.gmp")
    yield project
    project.close()


def test_a_ledger_import_is_one_edit_the_session_sees_and_undoes(gridded, county):
    project = gridded
    session = ProjectSession(project, user=USER)
    assert len(session.households) == 0
    heard = []
    session.events.households.connect(heard.append)

    report = import_file(session, SAMPLE / "households.xlsx", "households")

    stored = [r.id for r in rows(project, "SELECT id FROM household ORDER BY id")]
    assert report.written == len(stored) == len(county.households)
    assert report.changes["household"].inserted == set(stored)
    # One edit: the bulk insert (ids as runs) and the file's note, both naming the user.
    (edit,) = rows(project, "SELECT id, user_name, label FROM edit WHERE label LIKE '导入农户%'")
    assert (edit.user_name, edit.label) == (USER, "导入农户：households.xlsx")
    audit = rows(project, "SELECT action, table_name, user_name, details FROM audit_log "
                          "WHERE edit_id=:e ORDER BY id", e=edit.id)
    assert {a.user_name for a in audit} == {USER}
    by_action = {a.action: json.loads(a.details) for a in audit}
    assert set(by_action) == {"insert", "import_households"}
    assert by_action["import_households"] == {"file": "households.xlsx", "rows": len(stored)}
    ranges = by_action["insert"]["ids"]
    assert sorted(np.concatenate([np.arange(a, b + 1) for a, b in ranges])) == stored
    # The session read exactly those rows, and told its views once.
    assert sorted(session.households["id"]) == stored
    assert len(heard) == 1 and heard[0].inserted == set(stored)
    # Undone as one step.
    assert session.undo_label() == "导入农户：households.xlsx"
    session.undo()
    assert scalar(project, "SELECT count(*) FROM household") == 0
    assert len(session.households) == 0


def _failing_audit(monkeypatch, table):
    """Make the audit insert fail, after noting how many rows of ``table`` the edit had written."""
    seen = {}

    def fail(connection, audit_rows):
        seen["rows"] = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
        seen["audit"] = [(r["action"], r["table_name"]) for r in audit_rows]
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(uow_module, "write_audit_rows", fail)
    return seen


def test_an_import_whose_audit_note_fails_writes_nothing(gridded, county, monkeypatch):
    project = gridded
    session = ProjectSession(project, user=USER)
    edits = scalar(project, "SELECT count(*) FROM edit")
    audit = scalar(project, "SELECT count(*) FROM audit_log")
    seen = _failing_audit(monkeypatch, "household")

    with pytest.raises(RuntimeError, match="磁盘已满"):
        import_file(session, SAMPLE / "households.xlsx", "households")

    # The rows were in the transaction, with the note about to go with them …
    assert seen["rows"] == len(county.households)
    assert ("import_households", "household") in seen["audit"]
    # … and neither is in the store.
    assert scalar(project, "SELECT count(*) FROM household") == 0
    assert scalar(project, "SELECT count(*) FROM edit") == edits
    assert scalar(project, "SELECT count(*) FROM audit_log") == audit
    assert len(session.households) == 0 and not session.can_undo()


def test_a_failed_workers_import_leaves_no_worker_and_no_assignment(sample_copy, monkeypatch):
    project = sample_copy
    # The sample's workers are in the project already: import them under new phones.
    from gis_app.io import read_workers, write_workers_excel

    workers = read_workers(SAMPLE / "workers.xlsx").frame
    workers["phone"] = [f"1990000{i:04d}" for i in range(len(workers))]
    path = project.location.replace("p.gmp", "workers.xlsx")
    write_workers_excel(workers, path)
    before = {t: scalar(project, f"SELECT count(*) FROM {t}")
              for t in ("worker", "grid_assignment", "edit", "audit_log")}
    seen = _failing_audit(monkeypatch, "grid_assignment")

    with pytest.raises(RuntimeError):
        import_file(ProjectSession(project, user=USER), path, "workers")

    assert seen["rows"] > before["grid_assignment"]
    assert {t: scalar(project, f"SELECT count(*) FROM {t}") for t in before} == before
    monkeypatch.undo()
    report = import_file(ProjectSession(project, user=USER), path, "workers")
    assert report.written == len(workers)
    assert scalar(project, "SELECT count(*) FROM worker") == before["worker"] + len(workers)


def _shifted_points(tmp_path) -> tuple[Path, object]:
    """The sample's household points, 1e-5° east (about a metre), as a new GeoPackage."""
    points = pyogrio.read_dataframe(SAMPLE / "county.gpkg", layer="household_points")
    points["geometry"] = points.geometry.translate(1e-5, 0)
    path = tmp_path / "points.gpkg"
    pyogrio.write_dataframe(points, path, layer="points")
    return path, points


def test_point_layer_sets_locations_at_their_versions(sample_copy, tmp_path):
    project = sample_copy
    path, points = _shifted_points(tmp_path)
    session = ProjectSession(project, user=USER)
    assert len(session.households)  # read before the import, as a window would have
    ids = dict(rows(project, "SELECT head_id_number, id FROM household"))
    versions = dict(rows(project, "SELECT id, version FROM household"))
    targets = np.array([ids[n] for n in points["证件号码"]])

    report = import_file(session, path, "households")

    assert report.written == len(points)
    stored = {r.id: r for r in rows(project, "SELECT id, lon, lat, location_source, version "
                                             "FROM household")}
    assert np.allclose([stored[h].lon for h in targets], points.geometry.x, rtol=0, atol=1e-12)
    assert np.allclose([stored[h].lat for h in targets], points.geometry.y, rtol=0, atol=1e-12)
    assert {stored[h].location_source for h in targets} == {LocationSource.POINT_LAYER.value}
    assert all(stored[h].version == versions[h] + 1 for h in targets)
    untouched = set(stored) - set(targets.tolist())
    assert all(stored[h].version == versions[h] for h in untouched)
    # One audit row per household moved, beside the note; the session's map points followed.
    (edit,) = rows(project, "SELECT id FROM edit WHERE label=:l", l="导入农户：points.gpkg")
    counts = dict(rows(project, "SELECT action, count(*) FROM audit_log WHERE edit_id=:e "
                                "GROUP BY action", e=edit.id))
    assert counts == {"update": len(targets), "import_households": 1}
    epsg = session.epsg
    x, y = pyproj.Transformer.from_crs(4490, epsg, always_xy=True).transform(
        points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    shown = session.households.set_index("id").loc[targets]
    assert np.allclose(shown["x"], x, atol=1e-6) and np.allclose(shown["y"], y, atol=1e-6)


def test_a_failed_point_layer_import_moves_nobody(sample_copy, tmp_path, monkeypatch):
    project = sample_copy
    path, _ = _shifted_points(tmp_path)
    before = rows(project, "SELECT id, lon, lat, location_source, version FROM household "
                           "ORDER BY id")
    _failing_audit(monkeypatch, "household")
    with pytest.raises(RuntimeError):
        import_file(ProjectSession(project, user=USER), path, "households")
    assert rows(project, "SELECT id, lon, lat, location_source, version FROM household "
                         "ORDER BY id") == before
