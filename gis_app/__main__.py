"""Composition root: QApplication, open the project, show the window."""

from __future__ import annotations

import sys


def run_app(project_location: str | None = None) -> int:
    """Start the desktop app on ``project_location`` (the bundled sample county when None)."""
    from gis_app.runtime import tune_allocator
    from gis_app.ui.app import run

    tune_allocator()
    return run(project_location)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_app(sys.argv[1] if len(sys.argv) > 1 else None))
