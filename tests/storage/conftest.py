"""The storage tests' project: a new one on SQLite and on the PostGIS test server."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from gis_app.storage.project import open_project


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def project(request, tmp_path):
    if request.param == "sqlite":
        location = tmp_path / "p.gmp"
    else:
        location = request.getfixturevalue("pg_project_url")
    project = open_project(location, create=True)
    yield project
    project.close()


def rows(project, sql, **params):
    """The rows of ``sql`` as dicts."""
    with project.engine.connect() as connection:
        return [r._asdict() for r in connection.execute(text(sql), params)]
