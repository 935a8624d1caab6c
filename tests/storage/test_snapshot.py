"""Table snapshots: a large county's households come back from a columnar file, patched from
the audit log, and always equal to what the store holds (checked against a plain read)."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from gis_app.services.household_service import HouseholdService
from gis_app.services.session import ProjectSession
from gis_app.services.sources import LEAN_HOUSEHOLD_COLUMNS
from gis_app.storage import snapshot
from gis_app.storage.project import open_project
from gis_app.storage.reader import load_table
from gis_app.storage.snapshot import TableSnapshot

COLUMNS = list(LEAN_HOUSEHOLD_COLUMNS)


@pytest.fixture
def project_file(sample_project_path, tmp_path, monkeypatch):
    """A private copy of the sample county, whose 4,500 households count as a large table."""
    monkeypatch.setattr(snapshot, "MIN_ROWS", 0)
    monkeypatch.setenv("GIS_APP_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "P.gmp"
    shutil.copy(sample_project_path, path)
    return path


class Reads:
    """The store reads a snapshot may ask for, counted."""

    def __init__(self, engine):
        self.engine, self.whole, self.rows = engine, 0, []

    def all(self):
        self.whole += 1
        return load_table(self.engine, "household", COLUMNS)

    def ids(self, ids):
        self.rows.append(list(ids))
        return load_table(self.engine, "household", COLUMNS, ids=ids)


def _load(project):
    reads = Reads(project.engine)
    frame = TableSnapshot(project.engine, "household", COLUMNS).load(reads.all, reads.ids)
    return frame, reads


def _store(project) -> pd.DataFrame:
    return load_table(project.engine, "household", COLUMNS)


def test_second_read_comes_from_the_snapshot_equal_to_the_store(project_file):
    project = open_project(project_file)
    first, reads = _load(project)
    assert reads.whole == 1 and TableSnapshot(project.engine, "household", COLUMNS).path.exists()
    second, reads = _load(project)
    assert reads.whole == 0 and reads.rows == []  # nothing changed: the file alone
    pd.testing.assert_frame_equal(second, _store(project))
    pd.testing.assert_frame_equal(first, second)
    project.close()


def test_edits_in_another_session_are_patched_in_from_the_audit_log(project_file):
    project = open_project(project_file)
    _load(project)  # the snapshot as of now
    other = ProjectSession(open_project(project_file), user="另一位")
    households = other.households[np.isnan(other.households["x"])].head(2)
    unlocated = households["id"].tolist()
    service = HouseholdService(other)
    for household, village in zip(unlocated, households["village_id"], strict=True):
        grids = other.grids[(other.grids["level"] == 3) & (other.grids["admin_unit_id"] == village)]
        spot = grids.geometry.iloc[0].representative_point()  # in its own village
        service.place(int(household), spot.x, spot.y)
    other.close()

    frame, reads = _load(project)
    assert reads.whole == 0 and sorted(reads.rows[0]) == sorted(unlocated)
    store = _store(project)
    pd.testing.assert_frame_equal(frame, store)
    placed = store.set_index("id").loc[unlocated]
    assert placed["lon"].notna().all() and (placed["version"] > 1).all()
    project.close()


def test_rows_removed_behind_the_log_make_a_whole_read(project_file):
    project = open_project(project_file)
    _load(project)
    with project.engine.begin() as connection:  # not through the unit of work: no audit row
        connection.execute(text("DELETE FROM household WHERE id IN "
                                "(SELECT id FROM household ORDER BY id LIMIT 3)"))
    frame, reads = _load(project)
    assert reads.whole == 1
    pd.testing.assert_frame_equal(frame, _store(project))
    project.close()


def test_a_broken_snapshot_file_is_ignored(project_file):
    project = open_project(project_file)
    _load(project)
    TableSnapshot(project.engine, "household", COLUMNS).path.write_bytes(b"not arrow at all")
    frame, reads = _load(project)
    assert reads.whole == 1
    pd.testing.assert_frame_equal(frame, _store(project))
    project.close()


def test_another_history_at_the_same_path_does_not_use_the_snapshot(project_file,
                                                                     sample_project_path,
                                                                     monkeypatch):
    def move(household_index: int) -> None:
        monkeypatch.setattr(snapshot, "MIN_ROWS", 10**9)  # the editing session reads the store
        session = ProjectSession(open_project(project_file), user="甲")
        households = session.households[~np.isnan(session.households["x"])]
        household = int(households["id"].iloc[household_index])
        row = households.set_index("id").loc[household]
        HouseholdService(session).place(household, float(row["x"]) + 5, float(row["y"]) + 5)
        session.close()
        monkeypatch.setattr(snapshot, "MIN_ROWS", 0)

    move(0)  # project one: household 0 moved, then snapshotted
    project = open_project(project_file)
    _load(project)
    project.close()
    for suffix in ("", "-wal", "-shm"):  # project two at the same path: its own history
        project_file.with_name(project_file.name + suffix).unlink(missing_ok=True)
    shutil.copy(sample_project_path, project_file)
    move(1)  # as many audit rows as project one had when snapshotted …
    move(2)  # … and one edit more, which alone would be patched in
    project = open_project(project_file)
    frame, reads = _load(project)
    assert reads.whole == 1
    pd.testing.assert_frame_equal(frame, _store(project))
    project.close()


def test_session_households_through_the_snapshot_equal_a_fresh_read(project_file):
    first = ProjectSession(open_project(project_file), user="甲")
    expected = first.households.copy()
    first.close()
    again = ProjectSession(open_project(project_file), user="甲")
    pd.testing.assert_frame_equal(again.households, expected)
    again.close()


def test_grids_and_households_after_a_split_in_another_session_equal_the_store(
        project_file, monkeypatch):
    """Polygons come from snapshots too (in map metres): a split inserts, deletes and moves."""
    from gis_app.services.grid_edit_service import GridEditService

    monkeypatch.setattr(snapshot, "MIN_GEOMETRY_ROWS", 0)
    first = ProjectSession(open_project(project_file), user="甲")
    for name in ("grids", "admin_units", "households"):
        first.frame(name)  # read, and snapshotted
    before = len(first.grids)
    first.close()
    other = ProjectSession(open_project(project_file), user="乙")
    level3 = other.grids[other.grids["level"] == 3]
    crowded = level3["id"].iloc[0]
    GridEditService(other).split_balanced(int(crowded), 2)
    other.close()

    again = ProjectSession(open_project(project_file), user="甲")
    monkeypatch.setattr(snapshot, "MIN_ROWS", 10**9)
    monkeypatch.setattr(snapshot, "MIN_GEOMETRY_ROWS", 10**9)
    fresh = ProjectSession(open_project(project_file), user="甲")  # straight from the store
    for name in ("grids", "admin_units", "households"):
        got, expected = again.frame(name), fresh.frame(name)
        if "geometry" in expected:
            assert got.geometry.geom_equals_exact(expected.geometry, 1e-6).all(), name
            got, expected = got.drop(columns="geometry"), expected.drop(columns="geometry")
        pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(expected), obj=name)
    assert len(again.grids) == before + 1  # the grid keeps its id as its largest part
    again.close()
    fresh.close()
