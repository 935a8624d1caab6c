"""Two processes on one SQLite project file: the window beside gis-app commands, and two writers.

The bug these guard against: ADBC's SQLite driver links its own copy of SQLite; when that copy
closed its file descriptor, POSIX released the locks the app's sqlite3 held on the same file,
and a ``gis-app check`` in another process then took itself for the last connection and deleted
the window's -wal/-shm files ("disk I/O error" on the window's next edit).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from gis_app.storage.project import open_project
from gis_app.storage.reader import load_households

GIS_APP = Path(sys.executable).with_name("gis-app")
CLI = [str(GIS_APP)] if GIS_APP.exists() else [sys.executable, "-m", "gis_app.cli"]


@pytest.fixture
def project_file(sample_project_path, tmp_path) -> Path:
    """A private copy of the session's sample project (closed, so one file, no WAL yet)."""
    path = tmp_path / "P.gmp"
    shutil.copy(sample_project_path, path)
    return path


def _cli(*argv) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *argv], capture_output=True, text=True, timeout=300)


def _members(engine, household_id: int = 1) -> int:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT members FROM household WHERE id = :id"), {"id": household_id}
        ).scalar_one()


def test_cli_commands_beside_an_open_project_keep_its_wal(project_file):
    wal, shm = Path(f"{project_file}-wal"), Path(f"{project_file}-shm")
    # Process A, as the window: households read through the columnar path, engine kept open.
    project = open_project(project_file)
    try:
        households = load_households(project.engine)
        held = project.engine.connect()  # the window's pool holds connections like this one
        held.execute(text("SELECT count(*) FROM grid")).scalar()
        assert wal.exists() and shm.exists()

        # Process B: the user's commands, run to completion beside the open window.
        for command in ("check", "coverage"):
            done = _cli(command, str(project_file))
            assert done.returncode == 0, done.stderr
        info = _cli("info", str(project_file), "--json")
        assert info.returncode == 0, info.stderr
        persons_before = json.loads(info.stdout)["persons"]

        assert wal.exists() and shm.exists(), "another process removed the open project's WAL"
        # A can still write, and read again through the columnar path.
        before = _members(project.engine)
        with project.engine.begin() as connection:
            connection.execute(text("UPDATE household SET members = members + 1 WHERE id = 1"))
        assert _members(project.engine) == before + 1
        again = load_households(project.engine)
        assert len(again) == len(households)
        assert int(again.loc[again["id"] == 1, "members"].iloc[0]) == before + 1

        # B's later read sees A's committed write.
        info = _cli("info", str(project_file), "--json")
        assert info.returncode == 0, info.stderr
        assert json.loads(info.stdout)["persons"] == persons_before + 1
        held.close()
    finally:
        project.close()


def test_reads_and_new_projects_use_one_sqlite_library(tmp_path):
    # A second copy of SQLite in the process is the cause of the bug: none may be loaded
    # while the app builds, opens and reads a project file.
    script = textwrap.dedent(f"""
        import sys
        from gis_app.services.sample_service import create_sample_project
        from gis_app.storage.reader import load_households, load_table
        project = create_sample_project({str(tmp_path / "new.gmp")!r}, households=300)
        load_households(project.engine)
        load_table(project.engine, "person")
        project.close()
        print(sorted(m for m in sys.modules if m.startswith("adbc_driver_sqlite")))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from sqlalchemy import text
    from gis_app.storage.project import open_project
    from gis_app.storage.reader import load_households

    path, tag, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    project = open_project(path)
    Path(f"{go}.ready").touch()
    deadline = time.monotonic() + 60
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    for i in range(count):
        with project.engine.begin() as connection:
            connection.execute(text("UPDATE household SET members = members + 1 WHERE id = 1"))
            connection.execute(text("INSERT INTO project_setting (key, value) VALUES (:k, '1')"),
                               {"k": f"write-{tag}-{i}"})
        if i % 50 == 0:
            load_households(project.engine, with_codes=False)
    project.close()
    print("done", tag)
""")


def test_two_processes_writing_at_once_lose_nothing(project_file, tmp_path):
    count = 300
    go = tmp_path / "go"
    project = open_project(project_file)
    try:
        start = _members(project.engine)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        other = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(project_file), "B", str(count), str(go)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        ready = Path(f"{go}.ready")
        deadline = time.monotonic() + 120
        while not ready.exists() and other.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ready.exists(), other.communicate()[1]
        go.touch()  # both start writing now
        # Process A writes in this process meanwhile, the same small transactions.
        for i in range(count):
            with project.engine.begin() as connection:
                connection.execute(
                    text("UPDATE household SET members = members + 1 WHERE id = 1"))
                connection.execute(
                    text("INSERT INTO project_setting (key, value) VALUES (:k, '1')"),
                    {"k": f"write-A-{i}"})
            if i % 50 == 0:
                load_households(project.engine, with_codes=False)
        out, err = other.communicate(timeout=300)
        assert other.returncode == 0, err
        assert "database is locked" not in err
        assert out.strip() == "done B"

        assert _members(project.engine) == start + 2 * count
        with project.engine.connect() as connection:
            keys = set(connection.execute(
                text("SELECT key FROM project_setting WHERE key LIKE 'write-%'")).scalars())
            writers = [key.split("-")[1] for key in connection.execute(text(
                "SELECT key FROM project_setting WHERE key LIKE 'write-%' ORDER BY rowid"
            )).scalars()]
        assert keys == {f"write-{tag}-{i}" for tag in "AB" for i in range(count)}
        switches = sum(a != b for a, b in zip(writers, writers[1:], strict=False))
        assert switches >= 2, "the two writers did not overlap"
        assert Path(f"{project_file}-wal").exists() and Path(f"{project_file}-shm").exists()
    finally:
        project.close()
