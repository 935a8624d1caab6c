"""Rules of hazard data every analysis shares: how far a hazard point reaches, severity order.

A geological hazard point (隐患点) threatens the households within its 威胁半径 (threat
radius). Surveys record it per point (``hazard_point.threat_radius``); where a survey left it
empty, or a project predates the column, the default of the point's kind below is used. This
is the one place those defaults live.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis_app.core.codes import HazardKind, HazardLevel

#: 威胁半径 in metres of a hazard point whose survey gives none, by kind: a debris flow runs
#: out farther than a landslide, a rock collapse less far (the values the synthetic county's
#: survey uses too).
DEFAULT_THREAT_RADIUS_M: dict[str, float] = {
    HazardKind.LANDSLIDE.value: 250.0,
    HazardKind.DEBRIS_FLOW.value: 400.0,
    HazardKind.COLLAPSE.value: 150.0,
}
#: 威胁半径 of a point of any other kind without one.
FALLBACK_THREAT_RADIUS_M = 200.0

#: The most severe level (极高) … the least (低): a smaller number is more severe.
MOST_SEVERE = int(HazardLevel.EXTREME)
LEAST_SEVERE = int(HazardLevel.LOW)


def threat_radii(kinds, stored=None) -> np.ndarray:
    """Each hazard point's threat radius in metres: the stored one, else its kind's default.

    Parameters
    ----------
    kinds : array-like of str
        灾害类型 of each point.
    stored : array-like of float, optional
        The surveyed radius (None, NaN or a negative value: not surveyed).

    Returns
    -------
    numpy.ndarray of float64
    """
    kinds = np.asarray(kinds, dtype=object)
    default = np.array([DEFAULT_THREAT_RADIUS_M.get(str(k), FALLBACK_THREAT_RADIUS_M)
                        for k in kinds], dtype=float)
    if stored is None:
        return default
    values = pd.to_numeric(pd.Series(np.asarray(stored, dtype=object)), errors="coerce")
    values = values.to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(values) & (values >= 0), values, default)
