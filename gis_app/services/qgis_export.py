"""The map as a QGIS project: the exported GeoPackage and a ``.qgs``/``.qgz`` beside it.

``gis-app export PROJECT out.qgs`` writes ``out.gpkg`` (every layer and table, personal data
masked unless permitted, as any export) and ``out.qgs`` whose layers read it: the map layers of
layers/ whose features the GeoPackage holds, styled from styles/ by
:mod:`gis_app.io.qgis_project`. The choropleths the window computes are added to the
GeoPackage as they stand when exported: the coverage of the newest campaign per township,
village and level-3 grid, and the households exposed to any hazard (no buffer) per level-3
grid — counts only, no person. Disaster footprints are not exported, so not in the project.
"""

from __future__ import annotations

from pathlib import Path

from gis_app.core.layer_fields import GRID_FIELDS, HAZARD_FIELDS, SITE_FIELDS, written_names
from gis_app.core.ledger import ANNEX2_COLUMNS
from gis_app.core.mapdefs import LayerDefinition
from gis_app.io.qgis_style import quote_field

GRID_HEADERS = {"code": "网格编码", "name": "网格名称"}
#: A stored grid's name without its level's suffix: the map's grid labels (sources.GridSource).
_GRID_LABEL = "regexp_replace(\"网格名称\", '(总网格|一级网格|二级网格)$', '')"


#: The window's choropleths: map source → (GeoPackage layer, grid level).
THEMATIC_LAYERS = {"coverage_townships": ("coverage_townships", 1),
                   "coverage_villages": ("coverage_villages", 2),
                   "coverage": ("coverage_grids", 3), "exposure": ("exposure_grids", 3)}
#: Their figures under the headers of the 排查覆盖 and 灾害暴露 docks.
COVERAGE_HEADERS = {"households": "户数", "home": "入户", "remote": "电话微信",
                    "noncompliant": "不合规", "unchecked": "未排查", "coverage": "覆盖率",
                    "coverage_label": "覆盖率标注"}
EXPOSURE_HEADERS = {"exposed": "暴露户数", "exposed_persons": "暴露人数",
                    "exposed_monitored": "暴露监测户", "exposed_unpaired": "监测户无结对帮扶",
                    "exposure_label": "暴露户数标注"}


def _quoted(names: dict[str, str]) -> dict[str, str]:
    return {key: quote_field(name) for key, name in names.items()}


def gpkg_fields() -> dict[str, dict[str, str]]:
    """Map source → field key → its QGIS expression in the exported GeoPackage layer."""
    hazards = _quoted(written_names(HAZARD_FIELDS))
    return {
        "grids": _quoted(written_names(GRID_FIELDS)) | {"label": _GRID_LABEL},
        "households": _quoted({c.key: c.header for c in ANNEX2_COLUMNS if c.key != "seq"}),
        "sites": _quoted(written_names(SITE_FIELDS)),
        "hazard_zones": hazards,
        "hazard_points": hazards,
        **dict.fromkeys(("coverage_townships", "coverage_villages", "coverage"),
                        _quoted(GRID_HEADERS | COVERAGE_HEADERS)),
        "exposure": _quoted(GRID_HEADERS | EXPOSURE_HEADERS),
    }


def qgis_layers(definitions: list[LayerDefinition], gpkg: Path) -> list:
    """The map layers whose source is a layer of ``gpkg``, with its geometry type."""
    import pyogrio

    from gis_app.io.qgis_project import QgisLayer

    present = {name: kind for name, kind in pyogrio.list_layers(gpkg) if kind}
    fields = gpkg_fields()
    layers = []
    for definition in definitions:
        name = THEMATIC_LAYERS.get(definition.source, (definition.source,))[0]
        if definition.source in fields and name in present:
            layers.append(QgisLayer(definition, name, present[name], fields[definition.source]))
    return layers


def write_thematic_layers(project, gpkg: Path, progress=None) -> list[str]:
    """Add the coverage and exposure choropleths to the exported ``gpkg``; their layer names.

    Each is the exported grids of its level (EPSG:4490) with the figures the window colours
    them by; a unit without households (or without exposed households) is left out, as the
    map leaves it uncoloured. Without a campaign there is no coverage layer.
    """
    import geopandas as gpd
    import numpy as np
    import pyogrio

    from gis_app.io import write_vector
    from gis_app.services.coverage_service import CampaignNotFoundError, coverage_tracker
    from gis_app.services.exposure_service import compute_exposure
    from gis_app.services.exposure_view import exposure_layer
    from gis_app.services.map_service import coverage_layer

    exported = pyogrio.read_dataframe(gpkg, layer="grids")
    grids = exported.rename(columns={v: k for k, v in written_names(GRID_FIELDS).items()})
    grids = grids.assign(id=np.arange(len(grids)))
    layers = {}
    try:  # the newest campaign's counts, kept as the window keeps them, once for all levels
        tracker = coverage_tracker(project)
    except CampaignNotFoundError:
        tracker = None
    for source in ("coverage_townships", "coverage_villages", "coverage"):
        name, level = THEMATIC_LAYERS[source]
        if tracker is not None:
            frame = coverage_layer(grids, tracker.table(level, sort=False), level)
            layers[name] = (frame, COVERAGE_HEADERS)
    result = compute_exposure(project, 0.0, progress)
    layers["exposure_grids"] = (exposure_layer(grids, result), EXPOSURE_HEADERS)
    for name, (frame, headers) in layers.items():
        columns = GRID_HEADERS | headers
        table = frame[[c for c in columns if c in frame]].rename(columns=columns)
        write_vector(gpd.GeoDataFrame(table, geometry=frame.geometry.to_numpy(),
                                      crs=exported.crs), gpkg, layer=name)
    return list(layers)


def _extent(gpkg: Path, names: list[str]) -> tuple[float, float, float, float] | None:
    import pyogrio

    boxes = [pyogrio.read_info(gpkg, layer=name, force_total_bounds=True)["total_bounds"]
             for name in names]
    boxes = [box for box in boxes if box is not None and all(map(float.__eq__, box, box))]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def write_qgis_project(project, gpkg: Path, out: str | Path, language: str = "zh",
                       progress=None) -> Path:
    """Write the QGIS project ``out`` (``.qgs`` or ``.qgz``) over the exported ``gpkg``.

    Parameters
    ----------
    project : Project
        The open project (its county's name titles the QGIS project).
    gpkg : Path
        The GeoPackage :func:`~gis_app.services.export_service.export_project` wrote, in the
        same folder as ``out``.
    out : str or Path
        ``.qgs`` or ``.qgz``.
    language : str
        ``zh`` or ``en``: layer names and legends.
    progress : callable, optional
        ``progress(done, total)`` while the choropleths are computed; raising from it stops
        before the project file is written.

    Returns
    -------
    Path
        ``out``.
    """
    from gis_app.catalog import load_layers, load_styles
    from gis_app.io.qgis_project import project_element, write_project

    out, gpkg = Path(out), Path(gpkg)
    if gpkg.parent.resolve() != out.parent.resolve():
        raise ValueError(f"GeoPackage {gpkg.name} 应与项目文件 {out.name} 在同一文件夹")
    styles = load_styles()
    write_thematic_layers(project, gpkg, progress)
    layers = qgis_layers(load_layers(styles=styles), gpkg)
    county = project.settings().get("county_name", "")
    root = project_element(
        layers, styles, gpkg.name, title=f"{county}网格防返贫监测".strip(),
        extent=_extent(gpkg, sorted({layer.gpkg_layer for layer in layers})),
        language=language)
    return write_project(root, out)
