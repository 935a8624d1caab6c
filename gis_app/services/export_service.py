"""Exporting layers and tables: GeoPackage, GeoJSON, Shapefile (with .cpg) and Excel.

Personal data (ID numbers, phones) is masked unless the user is allowed to see it (project
setting ``personal_data_users``) and asks to: the columns that hold it by name, and any ID
number or mobile phone typed into a free-text column (notes, edit labels, audit details). The
project's settings, which hold the audit log's digest secret, are never exported.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gis_app.core.crs import STORAGE_EPSG
from gis_app.core.fields import PERSONAL_ID_FIELDS, PERSONAL_PHONE_FIELDS
from gis_app.core.idcard import mask_id, mask_many, mask_phone
from gis_app.services.export_layers import (
    LEDGER_LAYERS,
    ROSTER_LAYERS,
    household_points,
    importable,
    prepare,
    with_headers,
)
from gis_app.storage.audit import current_user
from gis_app.storage.project import Project
from gis_app.storage.reader import (
    load_admin_units,
    load_geo_table,
    load_grids,
    load_table,
    stored_columns,
    with_unit_codes,
)
from gis_app.storage.repositories.exports import free_text_columns
from gis_app.storage.snapshot import TableSnapshot
from gis_app.storage.uow import edit

SPATIAL_LAYERS = (
    "townships",
    "villages",
    "grids",
    "households",
    "sites",
    "hazard_zones",
    "hazard_points",
)
TABLES = (
    "workers",
    "assignments",
    "helper_pairs",
    "campaigns",
    "records",
    "clues",
    "cases",
    "measures",
    "visits",
    "rectifications",
    "audit_log",
    "edit",
)
_TABLE_NAMES = {
    "workers": "worker",
    "assignments": "grid_assignment",
    "helper_pairs": "helper_pair",
    "campaigns": "campaign",
    "records": "investigation_record",
    "clues": "risk_clue",
    "cases": "monitoring_case",
    "measures": "assistance_measure",
    "visits": "contact_visit",
    "rectifications": "rectification_item",
    "audit_log": "audit_log",
    "edit": "edit",
}
#: An 18-character ID number or an 11-digit mobile number standing on its own in free text (a
#: 12-character hex digest of the audit log or a longer digit run is neither).
_TYPED_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[0-9Xx]|1[3-9]\d{9})(?![0-9A-Za-z])")


class PersonalDataDenied(PermissionError):
    """The user asked for unmasked personal data without the right to see it."""


def may_see_personal_data(project: Project, user: str | None = None) -> bool:
    """True when ``user`` is listed in the project's ``personal_data_users``."""
    return (user or current_user()) in project.settings().get("personal_data_users", [])


def _mask_typed(match: re.Match) -> str:
    text = match.group(0)
    return mask_id(text) if len(text) == 18 else mask_phone(text)


def scrub_numbers(text):
    """``text`` with every ID number and mobile number in it masked (non-text kept as is)."""
    return _TYPED_NUMBER.sub(_mask_typed, text) if isinstance(text, str) else text


def mask_personal_data(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with ID numbers and phones masked (``430***********1234``, ``138****5678``).

    Columns of personal data (:data:`~gis_app.core.fields.PERSONAL_ID_FIELDS`,
    :data:`~gis_app.core.fields.PERSONAL_PHONE_FIELDS`) are masked whole; numbers typed into
    free-text columns are masked where they stand.
    """
    frame = frame.copy()
    free_text = free_text_columns()
    for name in frame.columns:
        if name in PERSONAL_ID_FIELDS or name in PERSONAL_PHONE_FIELDS:
            # A county's column at once (mask_id / mask_phone, vectorised); empty stays empty.
            masked = mask_many(frame[name].to_numpy(dtype=object),
                               phones=name in PERSONAL_PHONE_FIELDS)
            frame[name] = pd.Series(masked, index=frame.index, dtype=object).where(
                frame[name].notna().to_numpy(), None)
        elif name in free_text:
            frame[name] = frame[name].map(scrub_numbers)
    return frame


def _households(project: Project) -> pd.DataFrame:
    """Every stored column of every household, with unit codes.

    Read through the snapshot the exports keep: reading the whole table was half of a
    120,000-row export.
    """
    engine = project.engine
    columns = [c.name for c in stored_columns("household")]
    frame = TableSnapshot(engine, "household", columns, variant="export").load(
        lambda: load_table(engine, "household", columns),
        lambda ids: load_table(engine, "household", columns, ids=ids))
    return with_unit_codes(engine, frame)


def household_ledger(project: Project) -> pd.DataFrame:
    """Households with the latest record of the newest campaign, in ledger keys (annex 2)."""
    households = _households(project)
    campaigns = load_table(project.engine, "campaign", ["id", "year", "round"])
    if len(campaigns):
        newest = int(campaigns.sort_values(["year", "round"])["id"].iloc[-1])
        keep = [
            "household_id",
            "method",
            "checked_on",
            "checker",
            "whole_household_away",
            "other_problems",
            "has_risk",
            "risk_type",
            "proposed_monitoring_type",
        ]
        # Only the ledger's columns of the records (a county's table is read whole).
        records = load_table(project.engine, "investigation_record",
                             ["id", "campaign_id", *keep])
        records = records[records["campaign_id"] == newest].sort_values(["checked_on", "id"])
        records = records.drop_duplicates("household_id", keep="last")
        households = households.merge(
            records[keep], left_on="id", right_on="household_id", how="left"
        ).drop(columns="household_id")
    return households


def load_layer(project: Project, name: str) -> pd.DataFrame:
    """A layer (GeoDataFrame) or table (DataFrame) by its export name."""
    engine = project.engine
    if name == "townships":
        return load_admin_units(engine, 2)
    if name == "villages":
        return load_admin_units(engine, 3)
    if name == "grids":
        return load_grids(engine)
    if name == "households":
        return household_points(household_ledger(project))
    if name == "records":  # the ledger's rows: what a records import reads
        return household_ledger(project)
    if name == "sites":
        return load_geo_table(engine, "resettlement_site")
    if name in ("hazard_zones", "hazard_points"):
        return load_geo_table(engine, name[:-1])
    if name in _TABLE_NAMES:
        return load_table(engine, _TABLE_NAMES[name])
    raise ValueError(f"未知的图层或表：{name}（可选：{'、'.join(SPATIAL_LAYERS + TABLES)}）")


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop internal columns that mean nothing outside the database."""
    return frame.drop(columns=[c for c in ("version",) if c in frame.columns])


_LEDGER_TITLES = {"households": "防止返贫监测帮扶集中排查台账", "records": "集中排查记录台账"}


def _keyed(project: Project, name: str, protect) -> pd.DataFrame:
    """A layer or table as exported, still by stored column (personal data as asked)."""
    frame = _plain(protect(load_layer(project, name)))
    return prepare(project, name, frame) if importable(name) else frame


def _headed(name: str, frame: pd.DataFrame, shapefile: bool = False) -> pd.DataFrame:
    """The importable layers under their import headers; other tables as stored."""
    return with_headers(name, frame, shapefile) if importable(name) else frame


def shapefile_encoding_for(frame: pd.DataFrame) -> str:
    """GBK (what county GIS software expects) when every name and text fits, else GB18030."""
    texts = [" ".join(map(str, frame.columns))]
    for column in frame.columns:
        dtype = frame[column].dtype
        if column != frame.geometry.name and (pd.api.types.is_object_dtype(dtype)
                                              or pd.api.types.is_string_dtype(dtype)):
            texts.append(frame[column].dropna().astype(str).str.cat(sep=" "))
    try:
        "".join(texts).encode("gbk")
    except UnicodeEncodeError:
        return "GB18030"
    return "GBK"


def export_project(
    project: Project,
    out: str | Path,
    layer: str | None = None,
    unmask: bool = False,
    user: str | None = None,
    progress=None,
    language: str = "zh",
) -> list[Path]:
    """Export layers and tables; the format comes from the extension of ``out``.

    Parameters
    ----------
    project : Project
        The open project.
    out : str or Path
        ``.gpkg`` (every layer and table, or ``layer``), ``.xlsx`` (the households ledger of
        annex 2, or ``layer``), ``.geojson`` / ``.shp`` (``layer``, default households; ``all``
        writes one file per layer), ``.qgs`` / ``.qgz`` (a QGIS project over the GeoPackage
        written beside it under the same name).
    layer : str, optional
        One layer or table name (see :data:`SPATIAL_LAYERS`, :data:`TABLES`) or ``all``.
    unmask : bool
        Write ID numbers and phones in full; allowed only to users in ``personal_data_users``.
    progress : callable, optional
        ``progress(done, total)`` between the GeoPackage's layers and the QGIS project's
        steps; raising from it stops the export, and a QGIS project's files are removed.
    language : str
        A QGIS project's layer names and legends: "zh" or "en".

    Returns
    -------
    list of Path
        The files written.
    """
    from gis_app.io import (
        write_ledger_excel,
        write_table_excel,
        write_vector,
        write_workers_excel,
    )

    user = user or current_user()
    if unmask and not may_see_personal_data(project, user):
        raise PersonalDataDenied(f"用户{user}无权导出未脱敏的个人信息（证件号码、电话）")
    out = Path(out)
    suffix = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".qgs", ".qgz"):  # a QGIS project over the GeoPackage written beside it
        from gis_app.services.qgis_export import write_qgis_project

        if layer not in (None, "all"):
            raise ValueError("QGIS 项目包含全部图层，不能只导出一个图层")
        gpkg = out.with_suffix(".gpkg")
        try:
            export_project(project, gpkg, unmask=unmask, user=user, progress=progress)
            return [gpkg, write_qgis_project(project, gpkg, out, language, progress)]
        except BaseException:  # stopped (取消) or failed: neither file is left
            gpkg.unlink(missing_ok=True)
            out.unlink(missing_ok=True)
            raise
    protect = (lambda f: f) if unmask else mask_personal_data
    written: list[Path] = []
    if suffix == ".xlsx" and layer is None:
        settings = project.settings()
        write_ledger_excel(
            protect(household_ledger(project)),
            out,
            title=f"{settings.get('county_name', '')}防止返贫监测帮扶集中排查台账",
            unit=settings.get("county_name", ""),
        )
        written.append(out)
    elif suffix == ".gpkg":
        out.unlink(missing_ok=True)
        names = SPATIAL_LAYERS + TABLES if layer in (None, "all") else (layer,)
        for done, name in enumerate(names):
            if progress is not None:
                progress(done, len(names))
            frame = _headed(name, _keyed(project, name, protect))
            if not isinstance(frame, gpd.GeoDataFrame):
                frame = gpd.GeoDataFrame(frame, geometry=[None] * len(frame), crs=STORAGE_EPSG)
            write_vector(frame, out, layer=name)
        written.append(out)
    elif suffix in (".geojson", ".json", ".shp", ".xlsx"):
        names = SPATIAL_LAYERS if layer == "all" else (layer or "households",)
        for name in names:
            target = out if len(names) == 1 else out.with_name(f"{out.stem}_{name}{out.suffix}")
            keyed = _keyed(project, name, protect)
            if suffix == ".xlsx" and name in LEDGER_LAYERS:
                write_ledger_excel(keyed, target, title=_LEDGER_TITLES[name],
                                   unit=project.settings().get("county_name", ""))
            elif suffix == ".xlsx" and name in ROSTER_LAYERS:
                write_workers_excel(keyed, target)
            else:
                frame = _headed(name, keyed, shapefile=suffix == ".shp")
                if isinstance(frame, gpd.GeoDataFrame):
                    write_vector(frame, target, encoding=shapefile_encoding_for(frame))
                elif suffix == ".xlsx":
                    write_table_excel(frame, target, title=name)
                else:
                    raise ValueError(f"表{name}没有几何图形，请导出为 .xlsx 或 .gpkg")
            written.append(target)
    else:
        raise ValueError(
            f"不支持的导出格式：{out.suffix}（可用 .gpkg .geojson .shp .xlsx .qgs .qgz）")
    with edit(project, user, f"导出{layer or '全部图层'}：{out.name}") as uow:
        uow.note("export", layer or "all", {"file": str(out), "unmasked": unmask})
    return written
