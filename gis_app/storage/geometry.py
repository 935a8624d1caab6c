"""A geometry column that is a PostGIS ``geometry(…, 4490)`` on PostgreSQL and WKB on SQLite.

Values go in as WKB bytes (or hex) and come out as WKB bytes or hex EWKB text; repositories turn
them into shapely arrays with one vectorised ``shapely.from_wkb`` call.
"""

from __future__ import annotations

import shapely
from sqlalchemy.types import LargeBinary, TypeDecorator, UserDefinedType

from gis_app.core.crs import STORAGE_EPSG


class _PostGISGeometry(UserDefinedType):
    cache_ok = True

    def __init__(self, geometry_type: str, srid: int):
        self.geometry_type = geometry_type
        self.srid = srid

    def get_col_spec(self, **kw) -> str:
        return f"geometry({self.geometry_type},{self.srid})"


class Geometry(TypeDecorator):
    """Portable geometry column (see module docstring)."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, geometry_type: str = "GEOMETRY", srid: int = STORAGE_EPSG):
        super().__init__()
        self.geometry_type = geometry_type
        self.srid = srid

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_PostGISGeometry(self.geometry_type, self.srid))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        geom = value if isinstance(value, shapely.Geometry) else shapely.from_wkb(value)
        if dialect.name == "postgresql":
            # Hex EWKB text is cast to geometry by PostGIS; it carries the SRID the column demands.
            return shapely.to_wkb(shapely.set_srid(geom, self.srid), hex=True, include_srid=True)
        return shapely.to_wkb(geom)

    def process_result_value(self, value, dialect):
        return value
