"""The only reader of layers/*.toml and styles/*.toml; returns core map definitions."""

from gis_app.catalog.loader import CatalogError, load_layers, load_style, load_styles

__all__ = ["CatalogError", "load_layers", "load_style", "load_styles"]
