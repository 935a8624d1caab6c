"""The map as a QGIS project: the exported GeoPackage and a ``.qgs``/``.qgz`` beside it.

``gis-app export PROJECT out.qgs`` writes ``out.gpkg`` (every layer and table, personal data
masked unless permitted, as any export) and ``out.qgs`` whose layers read it: the map layers of
layers/ whose features the GeoPackage holds, styled from styles/ by
:mod:`gis_app.io.qgis_project`. Layers computed in the window (coverage, exposure) and disaster
footprints are not in the GeoPackage and so not in the project.
"""

from __future__ import annotations

from pathlib import Path

from gis_app.core.layer_fields import GRID_FIELDS, HAZARD_FIELDS, SITE_FIELDS, written_names
from gis_app.core.ledger import ANNEX2_COLUMNS
from gis_app.core.mapdefs import LayerDefinition
from gis_app.io.qgis_style import quote_field

#: A stored grid's name without its level's suffix: the map's grid labels (sources.GridSource).
_GRID_LABEL = "regexp_replace(\"网格名称\", '(总网格|一级网格|二级网格)$', '')"


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
    }


def qgis_layers(definitions: list[LayerDefinition], gpkg: Path) -> list:
    """The map layers whose source is a layer of ``gpkg``, with its geometry type."""
    import pyogrio

    from gis_app.io.qgis_project import QgisLayer

    present = {name: kind for name, kind in pyogrio.list_layers(gpkg) if kind}
    fields = gpkg_fields()
    return [QgisLayer(definition, definition.source, present[definition.source],
                      fields[definition.source])
            for definition in definitions
            if definition.source in fields and definition.source in present]


def _extent(gpkg: Path, names: list[str]) -> tuple[float, float, float, float] | None:
    import pyogrio

    boxes = [pyogrio.read_info(gpkg, layer=name, force_total_bounds=True)["total_bounds"]
             for name in names]
    boxes = [box for box in boxes if box is not None and all(map(float.__eq__, box, box))]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def write_qgis_project(project, gpkg: Path, out: str | Path, language: str = "zh") -> Path:
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
    layers = qgis_layers(load_layers(styles=styles), gpkg)
    county = project.settings().get("county_name", "")
    root = project_element(
        layers, styles, gpkg.name, title=f"{county}网格防返贫监测".strip(),
        extent=_extent(gpkg, sorted({layer.gpkg_layer for layer in layers})),
        language=language)
    return write_project(root, out)
