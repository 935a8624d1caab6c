"""A QGIS 3 project (``.qgs``, or ``.qgz``: the same in a zip) over an exported GeoPackage.

Pure: the layer definitions of layers/, the styles of styles/ and where each layer lies in the
GeoPackage go in; the project's XML comes out (``xml.etree``), written beside the GeoPackage
with relative data sources (``./out.gpkg|layername=grids|subset="层级" = 2``), so the folder can
be moved or mailed whole. The layer list is the app's: top drawn on top, each layer's
visibility, style (alternative styles as QGIS's named styles), labels and the scale beyond
which it hides. A layer whose fill is the map's paper (``base``) is drawn under every other
layer, as the app draws its fill.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gis_app.core.crs import STORAGE_EPSG
from gis_app.core.mapdefs import LayerDefinition, Style
from gis_app.io.qgis_style import expression, labeling_element, renderer_element

#: The QGIS release whose project format is written (read by QGIS 3.22 and later).
QGIS_VERSION = "3.28.0-Firenze"
_DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
_GEOMETRY = {"point": "Point", "line": "Line", "polygon": "Polygon"}


@dataclass(frozen=True)
class QgisLayer:
    """A map layer and where its features lie in the exported GeoPackage.

    ``fields`` maps each field key the layer's styles and filter use to its QGIS expression
    in the GeoPackage layer (a quoted column, ``"户属性"``, or a computed label).
    """

    definition: LayerDefinition
    gpkg_layer: str
    wkb_type: str
    fields: dict[str, str] = field(default_factory=dict)


def _crs_element(parent: ET.Element) -> None:
    """The project's CRS, CGCS2000 (EPSG:4490), as QGIS writes a ``<spatialrefsys>``."""
    from pyproj import CRS

    crs = CRS.from_epsg(STORAGE_EPSG)
    srs = ET.SubElement(parent, "spatialrefsys", nativeFormat="Wkt")
    for tag, text in (("wkt", crs.to_wkt("WKT2_2019")),
                      ("proj4", "+proj=longlat +ellps=GRS80 +no_defs"),
                      ("srid", str(STORAGE_EPSG)), ("authid", f"EPSG:{STORAGE_EPSG}"),
                      ("description", crs.name), ("projectionacronym", "longlat"),
                      ("ellipsoidacronym", "EPSG:7044"), ("geographicflag", "true")):
        ET.SubElement(srs, tag).text = text


def _extent(parent: ET.Element, bounds: Sequence[float]) -> None:
    box = ET.SubElement(parent, "extent")
    for tag, value in zip(("xmin", "ymin", "xmax", "ymax"), bounds, strict=True):
        ET.SubElement(box, tag).text = repr(float(value))


def datasource(layer: QgisLayer, gpkg_name: str) -> str:
    """``./out.gpkg|layername=grids`` (with ``|subset=…`` for a filtered layer)."""
    source = f"./{gpkg_name}|layername={layer.gpkg_layer}"
    if layer.definition.filter:
        source += "|subset=" + expression(layer.definition.filter, layer.fields)
    return source


def drawing_order(layers: Sequence[QgisLayer]) -> list[QgisLayer]:
    """Top layer first, as QGIS lists them; the paper layers (``base``) last."""
    return sorted(layers, key=lambda layer: (not layer.definition.base, layer.definition.z),
                  reverse=True)


def _style_document(style: Style, layer: QgisLayer, language: str, font: str) -> ET.Element:
    """A named style of the layer's style manager: a ``<qgis>`` with renderer and labels."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology|Labeling")
    _styled(root, style, layer, language, font)
    return root


def _styled(element: ET.Element, style: Style, layer: QgisLayer, language: str,
            font: str) -> None:
    geometry = layer.definition.geometry
    element.append(renderer_element(style, geometry, layer.fields, language))
    labeling = labeling_element(style, geometry, layer.fields, font)
    element.set("labelsEnabled", "1" if labeling is not None else "0")
    if labeling is not None:
        element.append(labeling)


def _style_name(style: Style, language: str) -> str:
    return style.title.in_language(language) if style.title else style.id


def _map_layer(layer: QgisLayer, styles: dict[str, Style], gpkg_name: str, language: str,
               font: str) -> ET.Element:
    definition = layer.definition
    scaled = definition.max_scale is not None
    element = ET.Element("maplayer", {
        "type": "vector", "geometry": _GEOMETRY[definition.geometry],
        "wkbType": layer.wkb_type, "hasScaleBasedVisibilityFlag": "1" if scaled else "0",
        "minScale": f"{definition.max_scale:g}" if scaled else "100000000", "maxScale": "0",
        "readOnly": "0", "autoRefreshEnabled": "0", "autoRefreshTime": "0",
        "refreshOnNotifyEnabled": "0", "simplifyDrawingHints": "1", "simplifyAlgorithm": "0",
        "simplifyDrawingTol": "1", "simplifyLocal": "1", "simplifyMaxScale": "1",
        "styleCategories": "AllStyleCategories", "legendPlaceholderImage": ""})
    ET.SubElement(element, "id").text = definition.id
    ET.SubElement(element, "datasource").text = datasource(layer, gpkg_name)
    ET.SubElement(element, "layername").text = definition.title.in_language(language)
    _crs_element(ET.SubElement(element, "srs"))
    ET.SubElement(element, "provider", encoding="UTF-8").text = "ogr"
    style = styles[definition.style]
    manager = ET.SubElement(element, "map-layer-style-manager",
                            current=_style_name(style, language))
    ET.SubElement(manager, "map-layer-style", name=_style_name(style, language))
    for other in definition.alternative_styles:
        named = ET.SubElement(manager, "map-layer-style",
                              name=_style_name(styles[other], language))
        named.append(_style_document(styles[other], layer, language, font))
    flags = ET.SubElement(element, "flags")
    for flag, value in (("Identifiable", "1"), ("Removable", "1"), ("Searchable", "1"),
                        ("Private", "0")):
        ET.SubElement(flags, flag).text = value
    _styled(element, style, layer, language, font)
    ET.SubElement(element, "blendMode").text = "0"
    ET.SubElement(element, "featureBlendMode").text = "0"
    ET.SubElement(element, "layerOpacity").text = "1"
    ET.SubElement(element, "layerGeometryType").text = {"point": "0", "line": "1"}.get(
        definition.geometry, "2")
    return element


def project_element(layers: Sequence[QgisLayer], styles: dict[str, Style], gpkg_name: str,
                    *, title: str, extent: Sequence[float] | None = None,
                    language: str = "zh", font_family: str = "Microsoft YaHei") -> ET.Element:
    """The ``<qgis>`` root of a project over the GeoPackage ``gpkg_name``.

    Parameters
    ----------
    layers : sequence of QgisLayer
        The map layers the GeoPackage holds (any order: drawn as :func:`drawing_order`).
    styles : dict
        Every style by id (each layer's style and alternative styles).
    gpkg_name : str
        The GeoPackage's file name, beside the project file.
    title : str
        The project's title.
    extent : sequence of float, optional
        ``(xmin, ymin, xmax, ymax)`` in degrees (EPSG:4490): the map's first view.
    language : str
        ``zh`` or ``en``: layer names, style names and legend labels.
    font_family : str
        The labels' font (one with Chinese glyphs).

    Returns
    -------
    xml.etree.ElementTree.Element
    """
    ordered = drawing_order(layers)
    root = ET.Element("qgis", projectname=title, version=QGIS_VERSION, saveUser="",
                      saveUserFull="")
    ET.SubElement(root, "homePath", path="")
    ET.SubElement(root, "title").text = title
    ET.SubElement(root, "transaction", mode="Disabled")
    ET.SubElement(root, "projectFlags", set="")
    _crs_element(ET.SubElement(root, "projectCrs"))
    tree = ET.SubElement(root, "layer-tree-group")
    ET.SubElement(ET.SubElement(tree, "customproperties"), "Option")
    for layer in ordered:
        node = ET.SubElement(tree, "layer-tree-layer", {
            "id": layer.definition.id, "name": layer.definition.title.in_language(language),
            "source": datasource(layer, gpkg_name), "providerKey": "ogr",
            "checked": "Qt::Checked" if layer.definition.visible else "Qt::Unchecked",
            "expanded": "1", "legend_exp": "", "legend_split_behavior": "0",
            "patch_size": "-1,-1"})
        ET.SubElement(ET.SubElement(node, "customproperties"), "Option")
    custom = ET.SubElement(tree, "custom-order", enabled="0")
    for layer in ordered:
        ET.SubElement(custom, "item").text = layer.definition.id
    canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
    ET.SubElement(canvas, "units").text = "degrees"
    if extent is not None:
        _extent(canvas, extent)
    ET.SubElement(canvas, "rotation").text = "0"
    _crs_element(ET.SubElement(canvas, "destinationsrs"))
    ET.SubElement(canvas, "rendermaptile").text = "0"
    ET.SubElement(root, "legend", updateDrawingOrder="true")
    project_layers = ET.SubElement(root, "projectlayers")
    for layer in ordered:
        project_layers.append(_map_layer(layer, styles, gpkg_name, language, font_family))
    order = ET.SubElement(root, "layerorder")
    for layer in ordered:
        ET.SubElement(order, "layer", id=layer.definition.id)
    properties = ET.SubElement(root, "properties")
    ET.SubElement(ET.SubElement(properties, "Paths"), "Absolute", type="bool").text = "false"
    ET.SubElement(ET.SubElement(properties, "SpatialRefSys"), "ProjectionsEnabled",
                  type="int").text = "1"
    ET.SubElement(root, "visibility-presets")
    ET.SubElement(root, "transformContext")
    ET.SubElement(root, "Annotations")
    ET.SubElement(root, "Layouts")
    return root


def project_bytes(root: ET.Element) -> bytes:
    """The project file's bytes: QGIS's doctype, then the indented XML in UTF-8."""
    ET.indent(root)
    return (_DOCTYPE + ET.tostring(root, encoding="unicode")).encode("utf-8")


def write_project(root: ET.Element, out: str | os.PathLike) -> Path:
    """Write ``.qgs``, or ``.qgz`` (a zip holding ``<stem>.qgs``), whole or not at all."""
    out = Path(out)
    data = project_bytes(root)
    temporary = out.with_name(f".{out.name}.part")
    try:
        with open(temporary, "wb") as stream:
            if out.suffix.lower() == ".qgz":
                with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
                    archive.writestr(f"{out.stem}.qgs", data)
            else:
                stream.write(data)
        os.replace(temporary, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return out
