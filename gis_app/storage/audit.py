"""The audit log: who changed what, when."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os

from sqlalchemy import Connection, insert

from gis_app.storage.models import AuditLog


def current_user() -> str:
    """Who the audit log names: ``GIS_APP_USER`` when set (a shared office PC), else the OS user."""
    if os.environ.get("GIS_APP_USER"):
        return os.environ["GIS_APP_USER"]
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def log_change(connection: Connection, action: str, table_name: str, row_id: int | None = None,
               details: dict | None = None, user: str | None = None) -> None:
    """Append one audit row in the caller's transaction."""
    connection.execute(insert(AuditLog.__table__).values(
        at=dt.datetime.now().replace(microsecond=0), user_name=user or current_user(),
        action=action, table_name=table_name, row_id=row_id,
        details=json.dumps(details or {}, ensure_ascii=False, default=str)))
