"""An optional XYZ basemap the user configures (e.g. the county's own tile server).

Tiles are cached on disk, so a tile fetched once is there offline; without a source the map
needs nothing.
"""

from __future__ import annotations

import hashlib
import os
import urllib.request
from pathlib import Path


def cache_folder(template: str) -> Path:
    """Where tiles of ``template`` are kept."""
    base = Path(os.environ.get("GIS_APP_CACHE", Path.home() / ".cache" / "gis-app"))
    return base / "tiles" / hashlib.sha1(template.encode("utf-8")).hexdigest()[:12]


def tile_bytes(template: str, zoom: int, x: int, y: int, timeout: float = 3.0) -> bytes | None:
    """The tile image: from the disk cache, else fetched (and cached); None when unavailable."""
    path = cache_folder(template) / str(zoom) / str(x) / f"{y}.png"
    if path.exists():
        return path.read_bytes()
    url = template.format(z=zoom, x=x, y=y)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - user's URL
            data = response.read()
    except (OSError, ValueError):  # offline or a bad address: the map stays complete without it
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data
