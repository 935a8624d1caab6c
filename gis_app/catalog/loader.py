"""Loading layer and style definitions from the TOML files shipped in gis_app.layers/.styles."""

from __future__ import annotations

import os
import re
import tomllib
from importlib import resources
from pathlib import Path

from gis_app.core.mapdefs import LayerDefinition, Style, StyleClass, Symbol, Text

_HEX = re.compile(r"^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$")


class CatalogError(ValueError):
    """A layer or style file is malformed; the message names the file and the key."""


#: Environment variables that point the catalog at a county's own layer or style folder.
_OVERRIDES = {"gis_app.layers": "GIS_APP_LAYER_DIR", "gis_app.styles": "GIS_APP_STYLE_DIR"}


def _folder(package: str, folder: Path | None) -> Path:
    if folder:
        return Path(folder)
    override = os.environ.get(_OVERRIDES[package])
    return Path(override) if override else Path(str(resources.files(package)))


def _text(value, where: str) -> Text:
    if isinstance(value, str):
        return Text(value, value)
    if isinstance(value, dict) and "zh" in value:
        return Text(value["zh"], value.get("en", value["zh"]))
    raise CatalogError(f"{where}：标题应为字符串或 {{zh=…, en=…}}")


def _colour(value, where: str) -> str | None:
    if value is None or value == "none":
        return None
    if not isinstance(value, str) or not _HEX.match(value):
        raise CatalogError(f"{where}：颜色“{value}”应为 #rrggbb 或 #rrggbbaa")
    return value.lower()


def _symbol(data: dict, where: str) -> Symbol:
    known = {"fill", "stroke", "stroke_width", "stroke_style", "size", "shape", "opacity"}
    unknown = set(data) - known - {"label", "value", "lower", "upper", "rule"}
    if unknown:
        raise CatalogError(f"{where}：未知的键 {sorted(unknown)}")
    return Symbol(fill=_colour(data.get("fill"), where), stroke=_colour(data.get("stroke"), where),
                  stroke_width=float(data.get("stroke_width", 1.0)),
                  stroke_style=data.get("stroke_style", "solid"), size=float(data.get("size", 6)),
                  shape=data.get("shape", "circle"), opacity=float(data.get("opacity", 1.0)))


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path.name}：无法解析（{exc}）") from exc


def load_style(path: Path) -> Style:
    """Read one style file."""
    data = _read(path)
    where = path.name
    kind = data.get("kind")
    if kind not in ("single", "categorized", "graduated", "rule-based"):
        raise CatalogError(f"{where}：kind 应为 single/categorized/graduated/rule-based")
    classes = []
    for index, entry in enumerate(data.get("classes", [])):
        at = f"{where} classes[{index}]"
        classes.append(StyleClass(label=_text(entry.get("label", ""), at),
                                  symbol=_symbol(entry, at), value=entry.get("value"),
                                  lower=entry.get("lower"), upper=entry.get("upper"),
                                  rule=entry.get("rule")))
    if not classes:
        raise CatalogError(f"{where}：至少需要一个 classes 条目")
    if kind in ("categorized", "graduated") and not data.get("field"):
        raise CatalogError(f"{where}：{kind} 样式需要 field")
    default = _symbol(data["default"], f"{where} default") if "default" in data else None
    return Style(id=data.get("id", path.stem), kind=kind, classes=tuple(classes),
                 field=data.get("field"), default=default, label_field=data.get("label_field"),
                 label_min_scale=data.get("label_min_scale"),
                 title=_text(data["title"], where) if "title" in data else None)


def load_styles(folder: Path | None = None) -> dict[str, Style]:
    """Every style in ``folder`` (default: the installed styles/), by id."""
    base = _folder("gis_app.styles", folder)
    return {style.id: style for style in map(load_style, sorted(base.glob("*.toml")))}


def load_layers(folder: Path | None = None, styles: dict[str, Style] | None = None
                ) -> list[LayerDefinition]:
    """Every layer in ``folder`` (default: the installed layers/), bottom to top by ``z``."""
    base = _folder("gis_app.layers", folder)
    styles = styles if styles is not None else load_styles()
    layers = []
    for path in sorted(base.glob("*.toml")):
        data = _read(path)
        where = path.name
        for key in ("id", "title", "source", "geometry", "style", "z"):
            if key not in data:
                raise CatalogError(f"{where}：缺少 {key}")
        for style_id in (data["style"], *data.get("alternative_styles", [])):
            if style_id not in styles:
                raise CatalogError(f"{where}：样式 {style_id} 不存在于 styles/")
        layers.append(LayerDefinition(
            id=data["id"], title=_text(data["title"], where), source=data["source"],
            geometry=data["geometry"], style=data["style"], z=int(data["z"]),
            visible=bool(data.get("visible", True)), filter=data.get("filter"),
            group=_text(data["group"], where) if "group" in data else None,
            alternative_styles=tuple(data.get("alternative_styles", ())),
            max_scale=float(data["max_scale"]) if "max_scale" in data else None,
            base=bool(data.get("base", False))))
    return sorted(layers, key=lambda layer: layer.z)
