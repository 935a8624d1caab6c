"""The audit log: who changed what, when, with personal data kept only masked.

Rows are written by the unit of work (:mod:`gis_app.storage.uow`), one per changed row. ID
numbers and phones appear masked (``522***********1234``) beside a keyed digest: two digests
differ exactly when the values did, so the log shows *that* a number changed without holding
it. The key is a per-project secret in ``project_setting`` that exports leave out.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import hmac
import json
import os
import secrets

import numpy as np
from sqlalchemy import Connection, insert, select

from gis_app.core.fields import PERSONAL_ID_FIELDS, PERSONAL_PHONE_FIELDS
from gis_app.core.idcard import mask_id, mask_phone
from gis_app.storage.models import AuditLog, ProjectSetting

#: The ``project_setting`` key of the digest secret; never exported.
AUDIT_KEY_SETTING = "audit_digest_key"


def current_user() -> str:
    """Who the audit log names: ``GIS_APP_USER`` when set (a shared office PC), else the OS user."""
    if os.environ.get("GIS_APP_USER"):
        return os.environ["GIS_APP_USER"]
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def digest_key(connection: Connection) -> bytes:
    """The project's digest secret, created on first use in the caller's transaction."""
    table = ProjectSetting.__table__
    value = connection.execute(select(table.c.value).where(
        table.c.key == AUDIT_KEY_SETTING)).scalar()
    if value is None:
        value = json.dumps(secrets.token_hex(16))
        connection.execute(insert(table).values(key=AUDIT_KEY_SETTING, value=value))
    return json.loads(value).encode()


def _digest(key: bytes, value) -> str:
    data = value if isinstance(value, bytes) else str(value).encode()
    return hmac.new(key, data, hashlib.sha256).hexdigest()[:12]


def safe_values(values: dict, key: bytes) -> dict:
    """Values fit for the audit log: personal data masked with a digest, geometry digested."""
    out = {}
    for name, value in values.items():
        if value is None:
            out[name] = None
        elif name in PERSONAL_ID_FIELDS:
            out[name] = {"masked": mask_id(str(value)), "digest": _digest(key, value)}
        elif name in PERSONAL_PHONE_FIELDS:
            out[name] = {"masked": mask_phone(str(value)), "digest": _digest(key, value)}
        elif isinstance(value, bytes | bytearray | memoryview) or name == "geom":
            out[name] = {"digest": _digest(key, bytes(value) if not isinstance(value, str)
                                           else value.encode())}
        elif isinstance(value, np.generic):
            out[name] = value.item()
        elif isinstance(value, dt.date | dt.datetime):
            out[name] = value.isoformat()
        else:
            out[name] = value
    return out


def audit_row(edit_id: int, at: dt.datetime, user: str, action: str, table: str,
              row_id: int | None, details: dict) -> dict:
    """One ``audit_log`` row as values for an INSERT."""
    return {"edit_id": edit_id, "at": at, "user_name": user, "action": action,
            "table_name": table, "row_id": row_id,
            "details": json.dumps(details, ensure_ascii=False, default=str)}


def write_audit_rows(connection: Connection, rows: list[dict]) -> None:
    """Append audit rows in the caller's transaction (one statement for all)."""
    if rows:
        connection.execute(insert(AuditLog.__table__), rows)
