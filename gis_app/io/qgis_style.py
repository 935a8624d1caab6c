"""Styles of styles/ as QGIS 3 renderers and labels (``<renderer-v2>``, ``<labeling>``).

Pure: a :class:`~gis_app.core.mapdefs.Style` and the expressions of its fields in, XML
elements out. Each class becomes a QGIS symbol with the same fill and outline colours, widths
and marker shape; widths and sizes, screen pixels in the app, become millimetres at 96 dpi
(QGIS's own unit, which also prints). The first matching class wins in the app: categories and
ranges are exclusive in QGIS too, and each rule is written to exclude the rules before it.
"""

from __future__ import annotations

import math
import re
import sys
import uuid
import xml.etree.ElementTree as ET

from gis_app.core.mapdefs import Style, StyleClass, Symbol

#: Millimetres per screen pixel at 96 dpi: the app's widths and sizes in QGIS's unit.
MM_PER_PIXEL = 25.4 / 96
#: The app's marker shapes by QGIS's SimpleMarker names (the app's cross is filled).
MARKER_NAMES = {"circle": "circle", "square": "square", "triangle": "triangle",
                "diamond": "diamond", "star": "star", "cross": "cross_fill"}
_LINE_STYLES = {"solid": "solid", "dash": "dash", "dot": "dot"}
_RENDERER_TYPES = {"single": "singleSymbol", "categorized": "categorizedSymbol",
                   "graduated": "graduatedSymbol", "rule-based": "RuleRenderer"}
#: An open end of a range: the largest finite double (QGIS reads bounds as numbers).
_OPEN = sys.float_info.max
#: Size of a label in points (the map's labels: ui/canvas/labels.py).
LABEL_POINT_SIZE = 9
_TOKEN = re.compile(r"""\s*(?:(?P<number>\d+(?:\.\d*)?)|(?P<string>'[^']*'|"[^"]*")
                      |(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>==|!=|<=|>=|<|>|\(|\)|&|\||~))""",
                    re.VERBOSE)
_WORDS = {"and": "AND", "or": "OR", "not": "NOT", "True": "TRUE", "False": "FALSE",
          "None": "NULL"}
_OPERATORS = {"==": "=", "!=": "<>", "&": "AND", "|": "OR", "~": "NOT"}


class StyleConversionError(ValueError):
    """A style or filter uses something QGIS cannot be given (the message names it)."""


def quote_field(name: str) -> str:
    """A column as a QGIS expression (``"户属性"``)."""
    return '"' + name.replace('"', '""') + '"'


def expression(rule: str, fields: dict[str, str]) -> str:
    """A pandas query (a style's rule, a layer's filter) as a QGIS or OGR SQL expression.

    Parameters
    ----------
    rule : str
        ``attribute == 2 and not risk_eliminated``: comparisons, ``and``/``or``/``not``,
        parentheses, numbers and quoted text.
    fields : dict
        Field key → its expression in the layer (``{"attribute": '"户属性"'}``).

    Returns
    -------
    str
        ``"户属性" = 2 AND NOT "是否风险消除"``.
    """
    out, at = [], 0
    while at < len(rule.rstrip()):
        match = _TOKEN.match(rule, at)
        if not match:
            raise StyleConversionError(f"无法转换为QGIS表达式：{rule}（位置{at}）")
        at = match.end()
        kind, text = match.lastgroup, match.group(match.lastgroup)
        if kind == "name" and text in _WORDS:
            out.append(_WORDS[text])
        elif kind == "name":
            if text not in fields:
                raise StyleConversionError(f"导出的图层没有字段{text}（{rule}）")
            out.append(fields[text])
        elif kind == "string":
            out.append("'" + text[1:-1].replace("'", "''") + "'")
        else:
            out.append(_OPERATORS.get(text, text))
    return " ".join(out).replace("( ", "(").replace(" )", ")")


def rgba(hex_colour: str | None) -> str:
    """``#rrggbb[aa]`` → QGIS's ``r,g,b,a`` (transparent for None)."""
    if not hex_colour:
        return "0,0,0,0"
    text = hex_colour.lstrip("#")
    alpha = int(text[6:8], 16) if len(text) == 8 else 255
    return f"{int(text[0:2], 16)},{int(text[2:4], 16)},{int(text[4:6], 16)},{alpha}"


def _millimetres(pixels: float) -> str:
    return f"{pixels * MM_PER_PIXEL:.4g}"


def _options(parent: ET.Element, values: dict[str, str]) -> None:
    """A symbol layer's properties: ``<Option type="Map">`` (QGIS 3.26 on) and ``<prop>``.

    QGIS writes the options map since 3.26 and still reads the ``prop`` elements of earlier
    releases; both hold the same values, so 3.22 (Debian's) draws the same symbols.
    """
    mapping = ET.SubElement(parent, "Option", type="Map")
    for name, value in values.items():
        ET.SubElement(mapping, "Option", name=name, value=value, type="QString")
    for name, value in values.items():
        ET.SubElement(parent, "prop", k=name, v=value)


def _empty_properties(parent: ET.Element, tag: str) -> None:
    box = ET.SubElement(parent, tag)
    mapping = ET.SubElement(box, "Option", type="Map")
    ET.SubElement(mapping, "Option", name="name", value="", type="QString")
    ET.SubElement(mapping, "Option", name="properties")
    ET.SubElement(mapping, "Option", name="type", value="collection", type="QString")


def symbol_element(symbol: Symbol, geometry: str, name: str) -> ET.Element:
    """One ``<symbol>``: a SimpleMarker for points, a SimpleFill for polygons, else a line."""
    kind = {"point": "marker", "polygon": "fill"}.get(geometry, "line")
    element = ET.Element("symbol", type=kind, name=name, alpha=f"{symbol.opacity:g}",
                         clip_to_extent="1", force_rhr="0", frame_rate="10", is_animated="0")
    _empty_properties(element, "data_defined_properties")
    outline = {
        "outline_color": rgba(symbol.stroke),
        "outline_style": _LINE_STYLES.get(symbol.stroke_style, "solid") if symbol.stroke
        else "no",
        "outline_width": _millimetres(symbol.stroke_width), "outline_width_unit": "MM",
        "joinstyle": "round",
    }
    if kind == "marker":
        layer_class = "SimpleMarker"
        values = {"name": MARKER_NAMES.get(symbol.shape, "circle"), "color": rgba(symbol.fill),
                  "size": _millimetres(symbol.size), "size_unit": "MM",
                  "scale_method": "diameter", "angle": "0", **outline}
    elif kind == "fill":
        layer_class = "SimpleFill"
        values = {"color": rgba(symbol.fill), "style": "solid" if symbol.fill else "no",
                  **outline}
    else:
        layer_class = "SimpleLine"
        values = {"line_color": rgba(symbol.stroke or symbol.fill),
                  "line_style": _LINE_STYLES.get(symbol.stroke_style, "solid"),
                  "line_width": _millimetres(symbol.stroke_width), "line_width_unit": "MM"}
    layer = ET.SubElement(element, "layer", {"class": layer_class, "enabled": "1",
                                             "locked": "0", "pass": "0"})
    _options(layer, values)
    _empty_properties(layer, "data_defined_properties")
    return element


def _value_type(value) -> str:
    """A category value's type as QGIS names it (it matches features by the value's text)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "string"
    return "long" if isinstance(value, int) else "double"


def _text(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _label(cls: StyleClass, language: str) -> str:
    return cls.label.in_language(language)


def _graduated_upper(cls: StyleClass, last: bool) -> float:
    """QGIS ranges include their upper bound; the app's include it only in the last class."""
    if cls.upper is None:
        return _OPEN if last else math.nan
    return float(cls.upper) if last else math.nextafter(float(cls.upper), -math.inf)


def renderer_element(style: Style, geometry: str, fields: dict[str, str],
                     language: str = "zh") -> ET.Element:
    """The ``<renderer-v2>`` of ``style`` for a layer of ``geometry``.

    Parameters
    ----------
    style : Style
        Single, categorized, graduated or rule-based.
    geometry : str
        ``point``, ``line`` or ``polygon`` (the layer definition's).
    fields : dict
        Field key → expression in the layer (:func:`expression`).
    language : str
        The language of the legend's labels.

    Returns
    -------
    xml.etree.ElementTree.Element
    """
    renderer = ET.Element("renderer-v2", type=_RENDERER_TYPES[style.kind], symbollevels="0",
                          forceraster="0", enableorderby="0", referencescale="-1")
    symbols = [symbol_element(cls.symbol, geometry, str(i)) for i, cls in
               enumerate(style.classes)]
    default = style.default
    if style.kind == "categorized":
        renderer.set("attr", _field(style.field, fields))
        categories = ET.SubElement(renderer, "categories")
        for index, cls in enumerate(style.classes):
            ET.SubElement(categories, "category", value=_text(cls.value), symbol=str(index),
                          label=_label(cls, language), render="true",
                          type=_value_type(cls.value), uuid=_key(style.id, index))
        if default is not None:  # QGIS's category of every other value: an empty value
            ET.SubElement(categories, "category", value="", symbol=str(len(symbols)),
                          label="其他" if language == "zh" else "Other", render="true",
                          type="string", uuid=_key(style.id, "default"))
    elif style.kind == "graduated":
        renderer.set("attr", _field(style.field, fields))
        renderer.set("graduatedMethod", "GraduatedColor")
        ranges = ET.SubElement(renderer, "ranges")
        for index, cls in enumerate(style.classes):
            lower = -_OPEN if cls.lower is None else float(cls.lower)
            upper = _graduated_upper(cls, index == len(style.classes) - 1)
            if math.isnan(upper):
                upper = math.nextafter(float(style.classes[index + 1].lower), -math.inf)
            ET.SubElement(ranges, "range", lower=repr(lower), upper=repr(upper),
                          symbol=str(index), label=_label(cls, language), render="true",
                          uuid=_key(style.id, index))
    elif style.kind == "rule-based":
        rules = ET.SubElement(renderer, "rules", key=_key(style.id))
        before: list[str] = []
        for index, cls in enumerate(style.classes):
            condition = expression(cls.rule, fields)
            # First match wins in the app: a rule never draws what an earlier one drew.
            exclusive = (f"({condition}) AND NOT coalesce({' OR '.join(before)}, FALSE)"
                         if before else condition)
            before.append(f"({condition})")
            ET.SubElement(rules, "rule", key=_key(style.id, index), filter=exclusive,
                          symbol=str(index), label=_label(cls, language))
        if default is not None:
            ET.SubElement(rules, "rule", key=_key(style.id, "default"), filter="ELSE",
                          symbol=str(len(symbols)), label="其他" if language == "zh" else "Other")
    elif style.kind != "single":
        raise StyleConversionError(f"未知的样式类型：{style.kind}")
    if default is not None and style.kind != "single":
        symbols.append(symbol_element(default, geometry, str(len(symbols))))
    box = ET.SubElement(renderer, "symbols")
    box.extend(symbols[:1] if style.kind == "single" else symbols)
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return renderer


def _field(key: str, fields: dict[str, str]) -> str:
    """The attribute a categorized or graduated renderer reads (a column, else an expression)."""
    if key not in fields:
        raise StyleConversionError(f"导出的图层没有字段{key}")
    text = fields[key]
    plain = re.fullmatch(r'"((?:[^"]|"")*)"', text)
    return plain.group(1).replace('""', '"') if plain else text


def _key(*parts) -> str:
    """A stable QGIS key: the same style gives the same file."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts)))) + "}"


def labeling_element(style: Style, geometry: str, fields: dict[str, str], font_family: str
                     ) -> ET.Element | None:
    """``<labeling type="simple">`` with the style's label field, or None without one.

    Labels show from ``label_min_scale`` inwards (QGIS's ``scaleMax``, the most zoomed-out
    scale they are drawn at), in ``font_family`` at :data:`LABEL_POINT_SIZE` points with a white
    halo, as on the app's map.
    """
    if not style.label_field or style.label_field not in fields:
        return None
    text = fields[style.label_field]
    plain = re.fullmatch(r'"((?:[^"]|"")*)"', text)
    labeling = ET.Element("labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    style_element = ET.SubElement(settings, "text-style", {
        "fieldName": plain.group(1).replace('""', '"') if plain else text,
        "isExpression": "0" if plain else "1", "fontFamily": font_family,
        "fontSize": str(LABEL_POINT_SIZE), "fontSizeUnit": "Point", "fontWeight": "50",
        "fontItalic": "0", "textColor": "33,37,41,255", "textOpacity": "1",
        "namedStyle": "Regular", "multilineHeight": "1", "blendMode": "0",
        "previewBkgrdColor": "255,255,255,255", "allowHtml": "0"})
    ET.SubElement(style_element, "text-buffer", bufferDraw="1", bufferSize="0.8",
                  bufferSizeUnits="MM", bufferColor="255,255,255,255", bufferOpacity="0.9",
                  bufferJoinStyle="128", bufferNoFill="1", bufferBlendMode="0")
    ET.SubElement(settings, "text-format", wrapChar="", multilineAlign="3", formatNumbers="0",
                  decimals="3", plussign="0")
    ET.SubElement(settings, "placement", placement="0" if geometry == "point" else "1",
                  dist="1", distUnits="MM", priority="5", offsetType="0", quadOffset="4",
                  centroidInside="1", centroidWhole="0", fitInPolygonOnly="0",
                  placementFlags="10", xOffset="0", yOffset="0", offsetUnits="MM")
    scaled = style.label_min_scale is not None
    ET.SubElement(settings, "rendering", drawLabels="1", scaleVisibility="1" if scaled else "0",
                  scaleMin="0", scaleMax=f"{style.label_min_scale:g}" if scaled else "0",
                  obstacle="1", obstacleFactor="1", obstacleType="1", displayAll="0",
                  upsidedownLabels="0", labelPerPart="0", mergeLines="0", minFeatureSize="0",
                  limitNumLabels="0", maxNumLabels="2000", fontLimitPixelSize="0",
                  fontMinPixelSize="3", fontMaxPixelSize="10000", zIndex="0",
                  unplacedVisibility="0")
    _empty_properties(settings, "dd_properties")
    return labeling
