"""The fields a filter expression may name in the attribute table, as the user sees them.

Each column is named by its header in either language (the current one first) or by its key;
coded columns (户属性, 监测类型) and yes/no columns take the labels shown in either language,
or the code itself.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from gis_app.analysis.filter_expression import FilterField, quote_value
from gis_app.core.fields import CODE_FIELDS, field_label
from gis_app.core.ledger import ANNEX2_COLUMNS
from gis_app.ui.i18n import Translator

#: Ledger columns holding yes/no values (是/否 in the table).
BOOL_KEYS = frozenset(c.key for c in ANNEX2_COLUMNS if c.kind == "bool")
#: How yes and no are shown (Chinese) in the table.
YES, NO = "是", "否"


def _both(text: str, language: str) -> list[str]:
    """A Chinese text and its English, the current language first."""
    english = Translator("en")(text)
    return [english, text] if language == "en" else [text, english]


def filter_fields(keys: Iterable[str], frame: pd.DataFrame, language: str) -> list[FilterField]:
    """The :class:`FilterField` of each column key.

    Parameters
    ----------
    keys : iterable of str
        The columns an expression may name (the table's, then the frame's other columns).
    frame : DataFrame
        The layer's rows (a bool column there is a yes/no field even outside the ledger).
    language : str
        ``zh`` or ``en``: whose headers and labels come first (named first in messages).
    """
    fields = []
    for key in dict.fromkeys(keys):
        names = [field_label(key, language), field_label(key, "zh" if language == "en" else "en")]
        values: dict[str, object] = {}
        if key in CODE_FIELDS:
            members = list(CODE_FIELDS[key])
            for rank in range(2):  # every current-language label, then the other language's
                for member in members:
                    values.setdefault(_both(member.label, language)[rank], int(member))
            for member in members:
                values.setdefault(str(int(member)), int(member))
                values.setdefault(f"{int(member)}.{member.label}", int(member))
        elif key in BOOL_KEYS or (key in frame and pd.api.types.is_bool_dtype(frame[key].dtype)):
            for text, value in ((YES, True), (NO, False)):
                for shown in _both(text, language):
                    values.setdefault(shown, value)
        fields.append(FilterField(key, tuple(dict.fromkeys(names)), values))
    return fields


def insertable_value(field: FilterField, value, shown: str) -> str:
    """The literal a double-click on a value inserts: a label or text quoted, a number bare."""
    if field.values or isinstance(value, str):
        return quote_value(shown)
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)):
        return quote_value(value)
    return quote_value(shown)
