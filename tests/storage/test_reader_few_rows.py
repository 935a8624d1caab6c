"""A few rows read by id (what a session re-reads after an edit) equal the same rows of a
whole-table read: same values, same dtypes, on SQLite and PostgreSQL."""

import pandas as pd
import pytest

from gis_app.storage import models as m
from gis_app.storage.project import open_project
from gis_app.storage.reader import FEW_ROWS, load_table

TABLES = [t.name for t in m.Base.metadata.sorted_tables if "id" in t.c]


@pytest.fixture(params=["sqlite", "postgis"])
def project(request, sample_project_path):
    if request.param == "sqlite":
        opened = open_project(sample_project_path)
    else:
        opened = open_project(request.getfixturevalue("pg_sample_url"))
    yield opened
    opened.close()


def test_rows_by_id_equal_the_whole_table_read(project):
    compared = 0
    for table in TABLES:
        whole = load_table(project.engine, table)
        if not len(whole):
            continue
        picked = whole.iloc[[0, len(whole) // 2, len(whole) - 1]].drop_duplicates("id")
        few = load_table(project.engine, table, ids=picked["id"].tolist())
        assert len(picked) <= FEW_ROWS
        pd.testing.assert_frame_equal(few.reset_index(drop=True),
                                      picked.reset_index(drop=True), check_dtype=True)
        compared += 1
    assert compared >= 8  # households, grids, workers, records … of the sample county


def test_no_row_by_id_keeps_the_columns_and_their_types(project):
    whole = load_table(project.engine, "household")
    none = load_table(project.engine, "household", ids=[-1])
    assert list(none.columns) == list(whole.columns)
    assert len(none) == 0
    for column in ("id", "lon", "members"):
        assert none[column].dtype == whole[column].dtype
