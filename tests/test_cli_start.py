"""A command starts light: ``info`` and ``--help`` import none of the heavy libraries.

The time itself is measured in benchmarks/files_bench.py; what is checked here is the cause of
the second it used to take: pandas, GeoPandas, shapely, pyproj and SQLAlchemy imported on
every call. Each check runs in a fresh interpreter, as a command does.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

HEAVY = ("pandas", "geopandas", "shapely", "pyproj", "sqlalchemy", "numpy", "pyarrow", "PyQt6")

_PROBE = """
import json, sys
from gis_app.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "heavy": sorted(m for m in %r if m in sys.modules)}),
      file=sys.stderr)
"""


def _run(*argv) -> tuple[dict, str]:
    result = subprocess.run([sys.executable, "-c", _PROBE % (HEAVY,), *argv],
                            capture_output=True, text=True, timeout=120)
    return json.loads(result.stderr.strip().splitlines()[-1]), result.stdout


def test_info_reads_the_figures_without_heavy_imports(sample_project_path):
    probe, out = _run("info", str(sample_project_path), "--json")
    assert probe == {"code": 0, "heavy": []}
    info = json.loads(out)
    # The figures, counted independently from the file.
    with sqlite3.connect(sample_project_path) as connection:
        def one(sql):
            return connection.execute(sql).fetchone()[0]

        assert info["households"] == one("SELECT count(*) FROM household")
        assert info["persons"] == one("SELECT sum(members) FROM household")
        assert info["monitored"] == one("SELECT count(*) FROM household WHERE attribute = 2")
        assert info["villages"] == one("SELECT count(*) FROM admin_unit WHERE level = 3")
        assert info["grids"]["3"] == one("SELECT count(*) FROM grid WHERE level = 3")
        assert info["workers"] == one("SELECT count(*) FROM worker WHERE active = 1")


def test_help_imports_nothing_heavy():
    probe, out = _run("--help")
    assert probe == {"code": 0, "heavy": []}
    assert "info" in out and "import" in out


def test_a_file_behind_the_newest_migration_is_left_to_the_full_open(sample_project_path,
                                                                     tmp_path):
    from gis_app.storage.counts import file_counts

    assert file_counts(sample_project_path)["households"] > 0
    path = tmp_path / "old.gmp"
    shutil.copy(sample_project_path, path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0001_initial_schema'")
    assert file_counts(path) is None  # open_project upgrades it first, then counts


def test_info_of_a_missing_file_is_an_error(tmp_path):
    probe, _ = _run("info", str(tmp_path / "nowhere.gmp"))
    assert probe["code"] == 1 and probe["heavy"] == []
    missing = subprocess.run([sys.executable, "-m", "gis_app.cli", "info",
                              str(Path(tmp_path) / "nowhere.gmp")], capture_output=True,
                             text=True, timeout=120)
    assert "项目文件不存在" in missing.stderr
