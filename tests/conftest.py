"""Shared fixtures: the sample county built once, and a PostgreSQL/PostGIS test server."""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Table snapshots (storage/snapshot.py) of the tests' projects go to a folder of this run.
os.environ.setdefault("GIS_APP_CACHE_DIR", tempfile.mkdtemp(prefix="gis-app-cache-"))


@pytest.fixture(scope="session")
def sample_project_path(tmp_path_factory) -> Path:
    """The bundled sample county, generated once per test session into a project file."""
    from gis_app.services.sample_service import create_sample_project

    path = tmp_path_factory.mktemp("sample") / "sample.gmp"
    create_sample_project(path).close()
    return path


@pytest.fixture
def sample_project(sample_project_path):
    """The session's sample project, opened."""
    from gis_app.storage.project import open_project

    project = open_project(sample_project_path)
    yield project
    project.close()


def _server_url() -> str:
    url = os.environ.get("GIS_APP_TEST_PG")
    if url:
        return url
    # Run outside scripts/test.sh: start the throw-away server ourselves.
    return subprocess.run([str(ROOT / "scripts" / "pg.sh"), "start"], check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="session")
def pg_server() -> str:
    """URL of the loopback PostgreSQL + PostGIS server's maintenance database."""
    return _server_url()


@pytest.fixture
def pg_url(pg_server):
    """A fresh, empty database on the test server; dropped afterwards."""
    import psycopg

    name = f"gis_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    yield pg_server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def pg_template(pg_server):
    """A database with the project schema (PostGIS, every migration), copied by pg_project_url."""
    import psycopg

    from gis_app.storage.project import open_project

    name = f"gis_tmpl_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    open_project(pg_server.rsplit("/", 1)[0] + "/" + name, create=True).close()
    yield name
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_project_url(pg_server, pg_template):
    """A fresh, empty project on the test server (a copy of the migrated template); dropped."""
    import psycopg

    name = f"gis_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name} TEMPLATE {pg_template}")
    yield pg_server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def pg_sample_template(pg_server):
    """The sample county on the test server, once per test session, copied by pg_sample_url."""
    import psycopg

    from gis_app.services.sample_service import create_sample_project

    name = f"gis_sample_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    create_sample_project(pg_server.rsplit("/", 1)[0] + "/" + name).close()
    yield name
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_sample_url(pg_server, pg_sample_template):
    """A private copy of the sample county on the test server; dropped afterwards."""
    import psycopg

    name = f"gis_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name} TEMPLATE {pg_sample_template}")
    yield pg_server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
