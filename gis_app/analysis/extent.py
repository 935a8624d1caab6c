"""Features away from an area: which envelopes miss an extent, and by how far (geodesic)."""

from __future__ import annotations

import numpy as np
import shapely

from gis_app.analysis.measure import distance_m


def outside_extent(geoms, extent) -> tuple[np.ndarray, np.ndarray]:
    """Features whose envelope does not touch ``extent``, and their distance from it.

    Parameters
    ----------
    geoms : array_like of shapely.Geometry
        Features in longitude/latitude (EPSG:4490); missing or empty ones count as inside.
    extent : sequence of float
        ``(xmin, ymin, xmax, ymax)`` in the same degrees (a county's extent).

    Returns
    -------
    tuple of numpy.ndarray
        A boolean mask of the features outside, and for every feature the geodesic distance
        in metres from its envelope to the extent (0 inside).
    """
    geoms = np.asarray(geoms, dtype=object)
    area = shapely.box(*extent)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    envelopes = shapely.envelope(np.where(usable, geoms, None))
    outside = usable & ~shapely.intersects(envelopes, area)
    distances = np.zeros(len(geoms))
    if outside.any():
        lines = shapely.shortest_line(envelopes[outside], area)
        coords = shapely.get_coordinates(lines).reshape(-1, 2, 2)
        distances[outside] = distance_m(coords[:, 0, 0], coords[:, 0, 1],
                                        coords[:, 1, 0], coords[:, 1, 1])
    return outside, distances
