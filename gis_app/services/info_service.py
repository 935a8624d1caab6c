"""The figures of ``gis-app info``, read with as few imports as the store allows.

A command starts in a fresh process, and importing pandas, GeoPandas and SQLAlchemy took most
of ``info``'s second: a project file is counted through sqlite3 alone
(:func:`gis_app.storage.counts.file_counts`), anything else through the opened project.
"""

from __future__ import annotations

from pathlib import Path


def project_info_at(location: str | Path) -> dict:
    """The figures of the project at ``location`` (file or ``postgresql://`` URL).

    Raises
    ------
    ProjectError
        When the project does not exist or cannot be opened.
    """
    from gis_app.storage.counts import file_counts, is_server_url

    figures = None if is_server_url(location) else file_counts(location)
    if figures is None:  # a server, or a file to upgrade first: the long way
        from gis_app.storage.project import open_project
        from gis_app.storage.reader import project_counts

        project = open_project(location)
        try:
            figures = project_counts(project.engine)
        finally:
            project.close()
    return figures
