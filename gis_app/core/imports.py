"""What the importers take: the kinds of county file, named once for the CLI and the services."""

from __future__ import annotations

#: Import kinds (``gis-app import --kind``), in the order a county would import them.
IMPORT_KINDS: tuple[str, ...] = ("boundaries", "households", "grids", "workers", "sites",
                                 "hazards", "records")
