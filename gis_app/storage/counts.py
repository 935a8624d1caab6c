"""The figures of ``gis-app info``: one set of SQL counts, run through any connection.

``gis-app info`` on a project file reads them with Python's sqlite3 alone: importing
SQLAlchemy, pandas and the ORM models took most of the command's second. A file whose schema
is not the newest migration's is left to :func:`gis_app.storage.project.open_project` (which
upgrades it); so is a server database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

#: Each figure of ``info`` and the query giving it (plain SQL that SQLite and PostgreSQL run).
COUNTS = {
    "townships": "SELECT count(*) FROM admin_unit WHERE level = 2",
    "villages": "SELECT count(*) FROM admin_unit WHERE level = 3",
    "households": "SELECT count(*) FROM household",
    "persons": "SELECT coalesce(sum(members), 0) FROM household",
    "monitored": "SELECT count(*) FROM household WHERE attribute = 2",
    "workers": "SELECT count(*) FROM worker WHERE active",
    "sites": "SELECT count(*) FROM resettlement_site",
    "hazard_zones": "SELECT count(*) FROM hazard_zone",
}
GRID_LEVELS = "SELECT level, count(*) FROM grid GROUP BY level"
_SERVER_PREFIXES = ("postgresql://", "postgres://", "postgresql+psycopg://")
_FIGURE_ORDER = ("townships", "villages", "grids", "households", "persons", "monitored",
                 "workers", "sites", "hazard_zones")


def is_server_url(project: str | Path) -> bool:
    """True when ``project`` names a PostgreSQL server rather than a project file."""
    return str(project).startswith(_SERVER_PREFIXES)


def counts_with(rows: Callable[[str], list]) -> dict:
    """The figures, ``rows(sql)`` returning a query's rows (a list of tuples).

    Returns
    -------
    dict
        townships, villages, grids (per level 1–3, keys ``"1"``…), households, persons,
        monitored (户属性 2), active workers, sites and hazard zones.
    """
    figures = {key: int(rows(sql)[0][0]) for key, sql in COUNTS.items()}
    levels = {int(level): int(n) for level, n in rows(GRID_LEVELS)}
    figures["grids"] = {str(level): levels.get(level, 0) for level in (1, 2, 3)}
    return {key: figures[key] for key in _FIGURE_ORDER}


def schema_head() -> str:
    """The newest migration's revision, read from the migration files (without Alembic)."""
    revisions, parents = set(), set()
    for script in (Path(__file__).parent / "migrations" / "versions").glob("*.py"):
        for line in script.read_text(encoding="utf-8").splitlines():
            found = re.match(r"(down_revision|revision)\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", line)
            if found:
                (parents if found.group(1) == "down_revision" else revisions).add(found.group(2))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else ""


def file_counts(path: str | Path) -> dict | None:
    """:func:`counts_with` on a project file through sqlite3, or None to take the long way.

    None when the file's schema is not the newest (the long way upgrades it) or it is not a
    project; a missing file raises :class:`~gis_app.storage.errors.ProjectError`.
    """
    import sqlite3

    from gis_app.storage.errors import ProjectError

    path = Path(path).expanduser()
    if not path.exists():
        raise ProjectError(f"项目文件不存在：{path}")
    if path.is_dir():
        raise ProjectError(f"项目路径是一个文件夹，不是项目文件：{path}")
    try:
        # The same settings as every connection of the app (storage/project._sqlite_pragmas).
        connection = sqlite3.connect(path, timeout=10)
    except sqlite3.Error:
        return None
    try:
        connection.execute("PRAGMA foreign_keys=ON")
        stored = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        if stored is None or stored[0] != schema_head():
            return None
        return counts_with(lambda sql: connection.execute(sql).fetchall())
    except sqlite3.Error:
        return None
    finally:
        connection.close()
