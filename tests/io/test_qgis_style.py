"""styles/ as QGIS renderers: every class with its colours, values, ranges and rules."""

from __future__ import annotations

import math
import sys
import xml.etree.ElementTree as ET

import pytest

from gis_app.catalog import load_styles
from gis_app.core.mapdefs import Style, StyleClass, Symbol, Text
from gis_app.io.qgis_style import (
    MM_PER_PIXEL,
    StyleConversionError,
    expression,
    labeling_element,
    renderer_element,
    rgba,
)

STYLES = load_styles()


def _fields(style: Style) -> dict[str, str]:
    """Every key a style reads, as a column named after it in upper case."""
    keys = {style.field, style.label_field, "attribute", "risk_eliminated"} - {None}
    return {key: f'"{key.upper()}"' for key in keys}


def _options(symbol: ET.Element) -> dict[str, str]:
    """The symbol layer's options map, which its legacy ``prop`` elements repeat."""
    layer = symbol.find("layer")
    options = {o.get("name"): o.get("value") for o in layer.find("Option").findall("Option")}
    assert {p.get("k"): p.get("v") for p in layer.findall("prop")} == options
    return options


def _hex_to_rgba(hex_colour):
    text = hex_colour.lstrip("#")
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16),
            int(text[6:8], 16) if len(text) == 8 else 255)


def _check_symbol(element: ET.Element, symbol: Symbol, geometry: str) -> None:
    options = _options(element)
    colour = tuple(map(int, options["color"].split(",")))
    assert colour == (_hex_to_rgba(symbol.fill) if symbol.fill else (0, 0, 0, 0))
    if symbol.stroke:
        outline = tuple(map(int, options["outline_color"].split(",")))
        assert outline == _hex_to_rgba(symbol.stroke)
        assert options["outline_style"] == symbol.stroke_style
        assert float(options["outline_width"]) == pytest.approx(
            symbol.stroke_width * MM_PER_PIXEL, rel=1e-3)
    else:
        assert options["outline_style"] == "no"
    assert float(element.get("alpha")) == symbol.opacity
    if geometry == "point":
        assert element.find("layer").get("class") == "SimpleMarker"
        assert float(options["size"]) == pytest.approx(symbol.size * MM_PER_PIXEL, rel=1e-3)
        assert options["name"] == {"cross": "cross_fill"}.get(symbol.shape, symbol.shape)
    else:
        assert element.find("layer").get("class") == "SimpleFill"
        assert options["style"] == ("solid" if symbol.fill else "no")


@pytest.mark.parametrize("style_id", sorted(STYLES))
@pytest.mark.parametrize("geometry", ["point", "polygon"])
def test_every_class_is_in_the_renderer(style_id, geometry):
    style = STYLES[style_id]
    renderer = renderer_element(style, geometry, _fields(style))
    assert renderer.get("type") == {"single": "singleSymbol", "categorized": "categorizedSymbol",
                                    "graduated": "graduatedSymbol",
                                    "rule-based": "RuleRenderer"}[style.kind]
    symbols = {s.get("name"): s for s in renderer.find("symbols")}
    if style.kind == "categorized":
        assert renderer.get("attr") == style.field.upper()
        entries = renderer.find("categories").findall("category")
        assert [e.get("value") for e in entries[:len(style.classes)]] == [
            str(c.value) for c in style.classes]
        # QGIS's value types (it matches a feature by the value's text either way).
        assert [e.get("type") for e in entries[:len(style.classes)]] == [
            "long" if isinstance(c.value, int) else "string" for c in style.classes]
    elif style.kind == "graduated":
        assert renderer.get("attr") == style.field.upper()
        entries = renderer.find("ranges").findall("range")
        for entry, cls, following in zip(entries, style.classes,
                                         [*style.classes[1:], None], strict=True):
            assert float(entry.get("lower")) == cls.lower
            upper = float(entry.get("upper"))
            if following is None:  # the last class: its bound included, or none
                assert upper == (sys.float_info.max if cls.upper is None else cls.upper)
            else:  # QGIS includes an upper bound the app leaves to the next class
                assert upper < cls.upper and math.nextafter(upper, math.inf) == cls.upper
    elif style.kind == "rule-based":
        entries = renderer.find("rules").findall("rule")
    else:
        entries = [None]
    assert len(entries) == len(style.classes) + (style.default is not None
                                                 and style.kind != "single")
    for index, cls in enumerate(style.classes):
        if entries[index] is not None:
            assert entries[index].get("label") == cls.label.zh
            assert entries[index].get("symbol") == str(index)
        _check_symbol(symbols[str(index)], cls.symbol, geometry)
    if style.default is not None and style.kind != "single":
        other = entries[-1]
        assert other.get("value", other.get("filter")) in ("", "ELSE")
        _check_symbol(symbols[other.get("symbol")], style.default, geometry)


def test_rules_exclude_the_rules_before_them():
    style = STYLES["households_by_elimination"]
    fields = {"attribute": '"户属性"', "risk_eliminated": '"是否风险消除"'}
    rules = renderer_element(style, "point", fields).find("rules").findall("rule")
    first = '"户属性" = 2 AND NOT "是否风险消除"'
    assert rules[0].get("filter") == first
    assert rules[1].get("filter") == (
        f'("户属性" = 2 AND "是否风险消除") AND NOT coalesce(({first}), FALSE)')
    assert rules[2].get("filter").startswith('("户属性" <> 2) AND NOT coalesce(')


def test_expressions_and_refusals():
    fields = {"level": '"层级"', "kind": '"灾害类型"'}
    assert expression("level == 1", fields) == '"层级" = 1'
    assert expression("kind != '滑坡' or (level >= 2)", fields) == (
        "\"灾害类型\" <> '滑坡' OR (\"层级\" >= 2)")
    with pytest.raises(StyleConversionError, match="没有字段name"):
        expression("name == 'x'", fields)
    with pytest.raises(StyleConversionError):
        expression("level in [1, 2]", fields)


def test_labels_carry_field_font_and_scale():
    style = STYLES["grid_level2"]
    labeling = labeling_element(style, "polygon", {"label": '"网格名称"'}, "Noto Sans CJK SC")
    text = labeling.find("settings/text-style")
    assert text.get("fieldName") == "网格名称" and text.get("isExpression") == "0"
    assert text.get("fontFamily") == "Noto Sans CJK SC" and text.get("fontSize") == "9"
    rendering = labeling.find("settings/rendering")
    assert rendering.get("scaleVisibility") == "1"
    assert float(rendering.get("scaleMax")) == style.label_min_scale
    computed = labeling_element(style, "polygon", {"label": "upper(\"名称\")"}, "x")
    assert computed.find("settings/text-style").get("isExpression") == "1"
    assert labeling_element(STYLES["grid_overall"], "polygon", {}, "x") is None


def test_colours_keep_their_alpha():
    assert rgba("#e03131b0") == "224,49,49,176"
    assert rgba("#2f9e44") == "47,158,68,255"
    assert rgba(None) == "0,0,0,0"
    single = Style("s", "single", (StyleClass(Text("a", "a"), Symbol(fill="#000000",
                                                                     opacity=0.5)),))
    symbol = renderer_element(single, "polygon", {}).find("symbols/symbol")
    assert symbol.get("alpha") == "0.5"
