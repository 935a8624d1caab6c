"""What exports need to know of the stored tables without reading the models themselves."""

from __future__ import annotations

from sqlalchemy import Text

from gis_app.storage.models import Base

#: Tables an export never writes: the project's settings hold the audit digest's secret.
NEVER_EXPORTED = frozenset({"project_setting"})


def free_text_columns() -> frozenset[str]:
    """Names of the columns holding free text (notes, descriptions, edit labels, audit details).

    Anything may have been typed into them, an ID number or a phone too; a masked export
    scrubs them.
    """
    return frozenset(column.name for table in Base.metadata.tables.values()
                     if table.name not in NEVER_EXPORTED
                     for column in table.c if isinstance(column.type, Text))
