"""Opening a project: a SQLite file (default) or a PostgreSQL + PostGIS server, same schema.

``init_db(engine)`` takes the engine from outside (tests pass a temporary file or the test
server) and brings the schema to the newest Alembic revision.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from gis_app.core.thresholds import Thresholds
from gis_app.storage.counts import is_server_url, schema_head
from gis_app.storage.errors import ProjectError
from gis_app.storage.models import ProjectSetting


def database_url(project: str | Path) -> str:
    """SQLAlchemy URL of a project path or ``postgresql://`` URL."""
    text = str(project)
    if is_server_url(text):
        url = make_url(text.replace("postgres://", "postgresql://", 1))
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return f"sqlite:///{Path(text).expanduser().resolve()}"


#: How long a statement waits for another connection's write lock (the window and
#: ``gis-app`` on the same file) before "database is locked", in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Several processes may use a project file at once (the window and gis-app commands on the
    # same PC; WAL needs a local disk): a writer waits for the other's transaction to end. The WAL
    # and its index (-wal, -shm) are SQLite's alone: the app never checkpoints with TRUNCATE
    # or deletes them; the last connection to close folds them into the file. Every SQLite
    # connection of the app comes through here, from Python's sqlite3: no second copy of the
    # SQLite library may open the file in this process (see storage/columnar.py).
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(project: str | Path) -> Engine:
    """Create the engine for a project file or server URL (no schema change)."""
    url = database_url(project)
    if url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _stored_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except DBAPIError:
        return None  # a new file or server database: no schema yet


def init_db(engine: Engine) -> None:
    """Create or upgrade the schema of ``engine`` to the newest migration.

    A schema already at the newest migration is left alone without loading Alembic (a
    second of every window's and command's start).
    """
    head = schema_head()
    if head and _stored_revision(engine) == head:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@dataclass
class Project:
    """An open project: where it lives and how to talk to it."""

    location: str
    engine: Engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def session(self) -> Session:
        """A new ORM session (use as a context manager)."""
        return sessionmaker(self.engine, expire_on_commit=False)()

    def settings(self) -> dict:
        """All project settings as a dict of decoded JSON values."""
        table = ProjectSetting.__table__  # Core: opening a window configures no ORM mapper
        with self.engine.connect() as connection:
            rows = connection.execute(select(table.c.key, table.c.value)).all()
        return {key: json.loads(value) for key, value in rows}

    def set_settings(self, values: dict, session: Session | None = None) -> None:
        """Insert or replace settings (JSON-encoded)."""
        own = session is None
        session = session or self.session()
        for key, value in values.items():
            session.merge(ProjectSetting(key=key, value=json.dumps(value, ensure_ascii=False)))
        if own:
            session.commit()
            session.close()

    def thresholds(self) -> Thresholds:
        """The project's rule thresholds (defaults for any not stored)."""
        return Thresholds.from_dict(self.settings().get("thresholds", {}))

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()


def open_project(project: str | Path, create: bool = False) -> Project:
    """Open (or with ``create`` make) a project file or server database.

    Parameters
    ----------
    project : str or Path
        A ``.gmp`` / ``.sqlite`` path or a ``postgresql://`` URL.
    create : bool
        Create the file (or the schema in the server database) when it does not exist.

    Raises
    ------
    ProjectError
        When the file does not exist (and ``create`` is false) or the server refuses.
    """
    if not is_server_url(project):
        path = Path(project).expanduser()
        if not path.exists() and not create:
            raise ProjectError(f"项目文件不存在：{path}")
        if path.exists() and path.is_dir():
            raise ProjectError(f"项目路径是一个文件夹，不是项目文件：{path}")
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(project)
    try:
        init_db(engine)
    except Exception as exc:  # the user needs a message, not a traceback
        engine.dispose()
        if "file is not a database" in str(exc) or "not a database" in str(exc):
            raise ProjectError(f"不是有效的项目文件：{project}") from exc
        if is_server_url(project):
            raise ProjectError(f"无法连接数据库服务器：{exc.__class__.__name__}: {exc}") from exc
        raise
    return Project(location=str(project), engine=engine)


#: Files SQLite keeps beside a project file while it is in use.
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


def remove_project_file(path: str | Path) -> None:
    """Delete a project file and the files SQLite keeps beside it (a project just created).

    The caller has closed every connection to it (``Project.close``).
    """
    path = Path(path).expanduser()
    for suffix in ("", *SQLITE_SIDECARS):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
