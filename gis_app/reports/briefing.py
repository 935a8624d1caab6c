"""The briefing web map: one self-contained HTML file (folium, Leaflet inlined) for meetings.

Frames in, a file out. Each :class:`MapPart` is a layer in longitude/latitude with the style
that classes it (``styles/``, the same definitions as the screen): the grid levels are the
layer switcher's radio buttons, the others its check boxes, and every style shown gets its
legend. Leaflet's script and stylesheet come from the pinned XStatic-Leaflet package and are
written into the file (its images as data URIs); folium's other defaults (jQuery, Bootstrap,
awesome-markers: CDN links) are not used, so the file names no address at all unless the
user configured a basemap's tile source. Coordinates are rounded and each feature carries
only its class, optional radius and the tooltip's fields.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element, MacroElement
from folium.map import CustomPane, Layer
from folium.template import Template

from gis_app.core.classify import classify
from gis_app.core.mapdefs import Style, Symbol
from gis_app.reports.files import replace_whole

#: Decimal degrees kept: 1e-5° is about a metre, below a screen pixel at street zoom.
PRECISION = 5
#: Panes (z-index) the parts are drawn in, bottom to top; Leaflet's own overlays are at 400.
PANES = {"grids": 410, "hazards": 420, "households": 630, "sites": 640}
_DASHES = {"solid": None, "dash": "6 4", "dot": "2 3"}


@dataclass
class MapPart:
    """One layer of the briefing map.

    Parameters
    ----------
    title : str
        Its name in the layer switcher.
    frame : geopandas.GeoDataFrame
        Features in longitude/latitude (EPSG:4490/4326), already simplified.
    style : Style
        Classes the features (fill, size) and gives the legend.
    kind : {"polygon", "point"}
    fields : tuple of (label, column)
        What the tooltip lists (values as stored: numbers or text).
    pane : str
        One of :data:`PANES`.
    base : bool
        A radio button (one grid level at a time) rather than a check box.
    show : bool
        Shown when the file opens.
    outline : Symbol, optional
        The stroke of every class instead of the style's (a grid level's outline under the
        coverage fill).
    radius : str, optional
        A column of pixel radii (proportional symbols) instead of the style's size.
    legend : bool
        Whether the style gets a legend entry (a style shared by parts gets one).
    legend_title : str, optional
        The legend heading (default: the style's title).
    notes : tuple of str
        Lines under the part's legend entry (what a circle's size means).
    """

    title: str
    frame: gpd.GeoDataFrame
    style: Style
    kind: Literal["polygon", "point"]
    fields: tuple[tuple[str, str], ...] = ()
    pane: str = "grids"
    base: bool = False
    show: bool = True
    outline: Symbol | None = None
    radius: str | None = None
    legend: bool = True
    legend_title: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


# -- Leaflet, inlined -------------------------------------------------------------------------
def leaflet_assets() -> tuple[str, str, str]:
    """(version, leaflet.js, leaflet.css) from the installed XStatic-Leaflet package.

    The stylesheet's images (the layer switcher's icon, the marker) become data URIs, its
    comments and the script's source-map comment are dropped, so neither asks for a file.
    """
    import xstatic.pkg.leaflet as package

    folder = Path(package.BASE_DIR)
    script = (folder / "leaflet.js").read_text(encoding="utf-8")
    script = re.sub(r"//# sourceMappingURL=\S+\s*$", "", script)
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        data = base64.b64encode((folder / match.group(1)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)  # comments (one names a bug tracker)
    return str(package.VERSION), script.replace("</script", "<\\/script"), css


class _MetricScale(MacroElement):
    """A scale bar in metres and kilometres only."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)


class _OfflineMap(folium.Map):
    """A folium map that links no library: Leaflet is written into the page by the caller."""

    default_js: list = []
    default_css: list = []


# -- features ---------------------------------------------------------------------------------
def _colour(value: str | None) -> tuple[str, float]:
    """``#rrggbb[aa]`` → (``#rrggbb``, opacity 0–1); None → transparent."""
    if not value:
        return "#000000", 0.0
    alpha = int(value[7:9], 16) / 255 if len(value) == 9 else 1.0
    return value[:7], round(alpha, 3)


def leaflet_style(symbol: Symbol | None, outline: Symbol | None = None) -> dict:
    """Leaflet path options for a style symbol (``outline``: its stroke instead)."""
    symbol = symbol or Symbol()
    stroke = outline or symbol
    fill, fill_opacity = _colour(symbol.fill)
    colour, opacity = _colour(stroke.stroke)
    return {
        "fill": True, "fillColor": fill, "fillOpacity": round(fill_opacity * symbol.opacity, 3),
        "stroke": opacity > 0, "color": colour, "opacity": opacity,
        "weight": max(float(stroke.stroke_width), 0.5), "dashArray": _DASHES[stroke.stroke_style],
        "radius": float(symbol.size) / 2, "square": symbol.shape == "square",
    }


def _styles(part: MapPart) -> list[dict]:
    """Index 0: features no class matches (outline only); then the style's classes."""
    default = leaflet_style(part.style.default, part.outline)
    if part.style.default is None:
        default.update(fillOpacity=0.0)
    return [default] + [leaflet_style(c.symbol, part.outline) for c in part.style.classes]


def feature_collection(frame: gpd.GeoDataFrame, classes: np.ndarray, columns: list[str],
                       radius: str | None = None, precision: int = PRECISION) -> str:
    """A compact GeoJSON FeatureCollection: rounded coordinates, ``_c`` class, listed columns.

    Built column-wise: geometries through ``shapely.to_geojson``, properties through one
    ``to_json(lines=True)``; rows without a geometry are left out.
    """
    geometries = np.asarray(frame.geometry.array, dtype=object)
    keep = ~(shapely.is_missing(geometries) | shapely.is_empty(geometries))
    if not keep.any():
        return '{"type":"FeatureCollection","features":[]}'
    rounded = shapely.transform(geometries[keep], lambda xy: np.round(xy, precision))
    props = frame.loc[keep, columns].reset_index(drop=True)
    props.insert(0, "_c", np.asarray(classes)[keep] + 1)
    if radius:
        props["_r"] = frame.loc[keep, radius].to_numpy(dtype=float).round(1)
    lines = props.to_json(orient="records", lines=True, force_ascii=False).splitlines()
    features = [f'{{"type":"Feature","geometry":{g},"properties":{p}}}'
                for g, p in zip(shapely.to_geojson(rounded), lines, strict=True)]
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def _script_json(value) -> str:
    """JSON safe inside a ``<script>`` element."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text.replace("</", "<\\/")


class _BriefingLayer(Layer):
    """A styled GeoJSON layer: a style per class, a tooltip listing the part's fields."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = briefingLayer({{ this.data }}, {{ this.styles }},
            {{ this.fields }}, {{ this.pane|tojson }});
        {% endmacro %}
    """)

    def __init__(self, part: MapPart):
        super().__init__(name=part.title, overlay=not part.base, control=True, show=part.show)
        self._name = "BriefingLayer"
        classes = classify(part.style, part.frame) if len(part.frame) else np.empty(0, int)
        columns = list(dict.fromkeys(column for _, column in part.fields))
        self.data = _script_json(feature_collection(part.frame, classes, columns, part.radius))
        self.styles = _script_json(_styles(part))
        self.fields = _script_json([list(f) for f in part.fields])
        self.pane = part.pane


#: The page's own functions: a layer from a collection and its styles, tooltips, squares.
_FUNCTIONS = """
function briefingEscape(v) {
  return String(v).replace(/[&<>"]/g, function (c) {
    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c];
  });
}
function briefingTip(p, fields) {
  return fields.map(function (f) {
    var v = p[f[1]];
    return (v === null || v === undefined || v === "") ? "" :
      "<b>" + briefingEscape(f[0]) + "</b> " + briefingEscape(v);
  }).filter(Boolean).join("<br>");
}
function briefingLayer(data, styles, fields, pane) {
  function briefingStyle(f) {
    var s = styles[f.properties._c];
    return f.properties._r === undefined ? s : Object.assign({}, s, {radius: f.properties._r});
  }
  return L.geoJson(data, {
    pane: pane,
    // L.geoJson restyles every layer after pointToLayer: the radius must be in the style
    style: briefingStyle,
    pointToLayer: function (f, latlng) {
      var s = Object.assign({pane: pane}, briefingStyle(f));
      if (!s.square) { return L.circleMarker(latlng, s); }
      var size = 2 * s.radius;
      var box = '<div style="width:' + size + 'px;height:' + size + 'px;background:' +
        s.fillColor + ';opacity:' + s.fillOpacity + ';border:' + s.weight + 'px solid ' +
        s.color + ';box-sizing:border-box"></div>';
      return L.marker(latlng, {pane: pane, icon: L.divIcon({className: "briefing-square",
        html: box, iconSize: [size, size]})});
    },
    onEachFeature: function (f, layer) {
      if (fields.length) {
        layer.bindTooltip(function () { return briefingTip(f.properties, fields); },
                          {sticky: true});
      }
    }
  });
}
"""

_PAGE_CSS = """
.briefing-box { position: absolute; z-index: 1000; background: rgba(255,255,255,0.92);
  border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,0.35); padding: 6px 10px;
  font: 13px/1.4 "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; }
.briefing-title { top: 10px; left: 50%; transform: translateX(-50%); text-align: center; }
.briefing-title h1 { font-size: 18px; margin: 0; }
.briefing-title p { margin: 2px 0 0; color: #495057; }
.briefing-legend { bottom: 24px; right: 10px; max-height: 70%; overflow-y: auto; }
.briefing-legend h2 { font-size: 13px; margin: 6px 0 2px; }
.briefing-legend h2:first-child { margin-top: 0; }
.briefing-legend div { white-space: nowrap; }
.briefing-legend i { display: inline-block; width: 16px; height: 12px; margin-right: 6px;
  vertical-align: middle; box-sizing: border-box; }
.briefing-legend i.point { width: 12px; border-radius: 50%; }
.briefing-legend p { margin: 2px 0; color: #495057; font-size: 12px; }
.briefing-square { background: none; border: none; }
"""


def _swatch(symbol: Symbol, kind: str, outline: Symbol | None) -> str:
    style = leaflet_style(symbol, outline)
    fill = f"rgba({_rgb(style['fillColor'])},{style['fillOpacity']})"
    border = (f"{max(1, round(style['weight']))}px solid rgba({_rgb(style['color'])},"
              f"{style['opacity']})" if style["stroke"] else "none")
    shape = "point" if kind == "point" and not style["square"] else "area"
    return f'<i class="{shape}" style="background:{fill};border:{border}"></i>'


def _rgb(colour: str) -> str:
    return ",".join(str(int(colour[i:i + 2], 16)) for i in (1, 3, 5))


def legend_html(parts: list[MapPart], language: str = "zh") -> str:
    """The legend: one heading per style shown (the first part using it), its classes."""
    seen, blocks = set(), []
    for part in parts:
        if not part.legend or part.style.id in seen:
            continue
        seen.add(part.style.id)
        heading = part.legend_title or (part.style.title.in_language(language)
                                        if part.style.title else part.title)
        rows = [f"<div>{_swatch(c.symbol, part.kind, part.outline)}"
                f"{html.escape(c.label.in_language(language))}</div>"
                for c in part.style.classes]
        rows += [f"<p>{html.escape(note)}</p>" for note in part.notes]
        blocks.append(f"<h2>{html.escape(heading)}</h2>" + "".join(rows))
    return '<div class="briefing-box briefing-legend">' + "".join(blocks) + "</div>"


def write_briefing(
    path: str | os.PathLike,
    parts: list[MapPart],
    title: str,
    subtitle: str = "",
    bounds: tuple[float, float, float, float] | None = None,
    tiles: str | None = None,
    tiles_name: str = "底图",
    language: str = "zh",
    progress=None,
) -> Path:
    """Write the briefing map as one HTML file that needs no network.

    Parameters
    ----------
    path : path-like
        The ``.html`` file; replaced atomically (a failure or a cancel leaves none).
    parts : list of MapPart
        Bottom to top; grid levels with ``base=True`` are the switcher's radio buttons.
    title, subtitle : str
        The heading over the map.
    bounds : (west, south, east, north), optional
        The extent shown on opening (default: every part's features).
    tiles : str, optional
        An XYZ template the user configured (the only address the file may then name);
        None: no basemap.
    tiles_name : str
        The basemap's name in the switcher.
    language : str
        The legend's language ("zh" or "en").
    progress : callable, optional
        ``progress(done, total)`` after each part; raising from it cancels.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    version, script, css = leaflet_assets()
    if bounds is None:
        boxes = np.array([p.frame.total_bounds for p in parts if len(p.frame)])
        bounds = (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()) \
            if len(boxes) else (-180.0, -85.0, 180.0, 85.0)
    west, south, east, north = (float(v) for v in bounds)
    fmap = _OfflineMap(location=[(south + north) / 2, (west + east) / 2], tiles=None,
                       zoom_start=10, zoom_snap=0.25)
    fmap.options["attributionControl"] = False  # no link to leaflet's site in the corner
    figure = fmap.get_root()
    figure.title = title
    figure.header.add_child(Element(f"<style>{css}\n{_PAGE_CSS}</style>"), name="leaflet_css")
    figure.header.add_child(Element(f"<!-- Leaflet {version} (XStatic-Leaflet) -->\n"
                                    f"<script>{script}</script>\n<script>{_FUNCTIONS}</script>"),
                            name="leaflet_js")
    if tiles:
        folium.TileLayer(tiles=tiles, attr=tiles_name, name=tiles_name, overlay=True,
                         control=True, max_zoom=19).add_to(fmap)
    for pane, z_index in PANES.items():
        CustomPane(pane, z_index=z_index, pointer_events=True).add_to(fmap)
    total = len(parts) + 1
    for done, part in enumerate(parts, start=1):
        _BriefingLayer(part).add_to(fmap)
        if progress:
            progress(done, total)
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    _MetricScale().add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]])
    heading = f"<h1>{html.escape(title)}</h1>" + (f"<p>{html.escape(subtitle)}</p>"
                                                 if subtitle else "")
    figure.html.add_child(Element(
        f'<div class="briefing-box briefing-title">{heading}</div>{legend_html(parts, language)}'))
    text = figure.render()
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")
        if progress:
            progress(total, total)

    return replace_whole(path, write)


__all__ = ["PANES", "MapPart", "feature_collection", "leaflet_assets",
           "leaflet_style", "legend_html", "write_briefing"]
