"""Which style class each feature falls in: one vectorised pass, shared by the map and exports."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis_app.core.mapdefs import Style

#: Class index of features matched by no class (drawn with the style's default, if any).
DEFAULT_CLASS = -1


def classify(style: Style, frame: pd.DataFrame) -> np.ndarray:
    """Return the index into ``style.classes`` for every row of ``frame``.

    Parameters
    ----------
    style : Style
        A single, categorized, graduated or rule-based style.
    frame : DataFrame
        The features' attributes.

    Returns
    -------
    ndarray of int
        Class index per row; :data:`DEFAULT_CLASS` where no class matches. The first matching
        class wins (the order of the style file).
    """
    n = len(frame)
    result = np.full(n, DEFAULT_CLASS, dtype=np.int32)
    if style.kind == "single":
        result[:] = 0
        return result
    if style.kind == "categorized":
        column = frame[style.field]
        numbers = None  # the values read as numbers ("2" matches 2), once for all classes
        for index in range(len(style.classes) - 1, -1, -1):  # classes, not features
            target = style.classes[index].value
            hit = column.eq(target).to_numpy(dtype=bool, na_value=False)
            if isinstance(target, (int, float)) and not isinstance(target, bool):
                if numbers is None:
                    numbers = pd.to_numeric(column, errors="coerce").to_numpy(
                        dtype=float, na_value=np.nan)
                hit = hit | (numbers == target)
            result[np.asarray(hit, dtype=bool)] = index
        return result
    if style.kind == "graduated":
        values = pd.to_numeric(frame[style.field], errors="coerce").to_numpy(dtype=float)
        for index in range(len(style.classes) - 1, -1, -1):
            cls = style.classes[index]
            lower = -np.inf if cls.lower is None else cls.lower
            upper = np.inf if cls.upper is None else cls.upper
            result[(values >= lower) & (values < upper)] = index
        last = style.classes[-1]
        if last.upper is not None:  # the top class includes its upper bound
            result[values == last.upper] = len(style.classes) - 1
        return result
    for index in range(len(style.classes) - 1, -1, -1):
        hit = frame.eval(style.classes[index].rule)
        result[np.asarray(hit, dtype=bool)] = index
    return result
