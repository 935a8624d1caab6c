"""The store's errors, importable without SQLAlchemy (``gis-app`` catches them on every call)."""

from __future__ import annotations


class ProjectError(Exception):
    """A project cannot be opened or created; the message is for the user (Chinese)."""
