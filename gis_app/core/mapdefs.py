"""Map layer and style definitions as plain data (read from layers/ and styles/ by the catalog).

Colours are hex strings here; only ``gis_app.ui.canvas.symbology`` turns them into Qt pens, and
the folium export reads the same objects, so one style drives every output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

StyleKind = Literal["single", "categorized", "graduated", "rule-based"]
GeometryKind = Literal["point", "line", "polygon"]


@dataclass(frozen=True)
class Text:
    """A label in both interface languages."""

    zh: str
    en: str

    def in_language(self, language: str) -> str:
        """The text in ``language`` ("zh" or "en"), falling back to Chinese."""
        return self.en if language.startswith("en") and self.en else self.zh


@dataclass(frozen=True)
class Symbol:
    """How one class is drawn: fill and stroke colours (``#rrggbb`` or ``#rrggbbaa``)."""

    fill: str | None = None
    stroke: str | None = None
    stroke_width: float = 1.0
    stroke_style: Literal["solid", "dash", "dot"] = "solid"
    size: float = 6.0
    shape: Literal["circle", "square", "triangle", "diamond", "star", "cross"] = "circle"
    opacity: float = 1.0


@dataclass(frozen=True)
class StyleClass:
    """One legend entry: which features (value, range or rule) and their symbol."""

    label: Text
    symbol: Symbol
    value: object = None
    lower: float | None = None
    upper: float | None = None
    rule: str | None = None


@dataclass(frozen=True)
class Style:
    """A style: single symbol, categories of a field, graduated ranges or rules."""

    id: str
    kind: StyleKind
    classes: tuple[StyleClass, ...]
    field: str | None = None
    default: Symbol | None = None
    label_field: str | None = None
    label_min_scale: float | None = None
    #: The name a user picks the style by (the layer tree's 样式 menu); None: its id.
    title: Text | None = None


@dataclass(frozen=True)
class LayerDefinition:
    """A map layer: what it shows, from which source, with which style, in which order."""

    id: str
    title: Text
    source: str
    geometry: GeometryKind
    style: str
    z: int
    visible: bool = True
    filter: str | None = None
    group: Text | None = None
    #: Hidden when zoomed out beyond 1:max_scale (None: always drawn).
    max_scale: float | None = None
    #: Its fill is the map's paper (the villages' cream): drawn under every other layer's fill,
    #: so that finer grids and thematic layers above it in the list show through.
    base: bool = False
    alternative_styles: tuple[str, ...] = field(default_factory=tuple)
