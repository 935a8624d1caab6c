"""A large bulk insert on SQLite drops the table's secondary indexes and builds them again."""

from __future__ import annotations

import pandas as pd
import pytest

from gis_app.storage import bulk
from gis_app.storage import models as m
from gis_app.storage.project import open_project
from gis_app.storage.uow import edit
from tests.storage.conftest import rows

UNITS = m.Base.metadata.tables["admin_unit"]


def _units(n: int) -> pd.DataFrame:
    """A county and ``n`` townships under it."""
    return pd.DataFrame({
        "id": range(1, n + 2),
        "code": ["430599"] + [f"430599{i:03d}" for i in range(1, n + 1)],
        "name": ["示例县"] + [f"乡镇{i}" for i in range(1, n + 1)],
        "level": [1] + [2] * n,
        "parent_id": [None] + [1] * n,
    })


def _indexes(project) -> set[str]:
    return {r["name"] for r in rows(project, "SELECT name FROM sqlite_master WHERE type = 'index'"
                                             " AND tbl_name = 'admin_unit'")}


@pytest.fixture
def sqlite_project(tmp_path):
    """A new SQLite project (PostgreSQL loads with COPY and keeps its indexes)."""
    project = open_project(tmp_path / "p.gmp", create=True)
    yield project
    project.close()


def test_indexes_are_back_and_used_after_a_large_insert(sqlite_project, monkeypatch):
    project = sqlite_project
    before = _indexes(project)
    assert "ix_admin_unit_parent_id" in before
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_FROM", 10)
    dropped = []
    real = bulk._indexes_to_rebuild
    monkeypatch.setattr(bulk, "_indexes_to_rebuild",
                        lambda *a: dropped.extend(real(*a)) or dropped)
    with edit(project, "tester", "导入") as uow:
        bulk.bulk_insert(uow.connection, UNITS, _units(30))
        uow.bulk_inserted("admin_unit", list(range(1, 32)))
    assert [index.name for index in dropped] == ["ix_admin_unit_parent_id"]  # it did rebuild
    assert _indexes(project) == before
    plan = " ".join(str(r) for r in rows(
        project, "EXPLAIN QUERY PLAN SELECT id FROM admin_unit WHERE parent_id = 1"))
    assert "ix_admin_unit_parent_id" in plan
    assert rows(project, "SELECT count(*) AS n FROM admin_unit WHERE parent_id = 1")[0]["n"] == 30
    assert rows(project, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"


def test_a_failed_large_insert_leaves_no_rows_and_every_index(sqlite_project, monkeypatch):
    project = sqlite_project
    before = _indexes(project)
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_FROM", 10)
    units = _units(30)
    units.loc[30, "code"] = units.loc[29, "code"]  # a duplicate code: the insert fails
    with pytest.raises(Exception, match="UNIQUE"):
        with edit(project, "tester", "导入") as uow:
            bulk.bulk_insert(uow.connection, UNITS, units)
    assert _indexes(project) == before
    assert rows(project, "SELECT count(*) AS n FROM admin_unit")[0]["n"] == 0


def test_a_small_insert_into_a_large_table_keeps_its_indexes(sqlite_project, monkeypatch):
    project = sqlite_project
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_FROM", 10)
    with edit(project, "tester", "导入") as uow:
        bulk.bulk_insert(uow.connection, UNITS, _units(30))
        uow.bulk_inserted("admin_unit", list(range(1, 32)))
    more = _units(40).iloc[31:]  # 10 rows into a table of 31
    with edit(project, "tester", "导入") as uow:
        assert bulk._indexes_to_rebuild(uow.connection, UNITS, len(more)) == []
        bulk.bulk_insert(uow.connection, UNITS, more)
        uow.bulk_inserted("admin_unit", more["id"].tolist())
    assert rows(project, "SELECT count(*) AS n FROM admin_unit")[0]["n"] == 41
