"""Importing the files a county hands over, each file one unit of work: all rows or none.

Reading and checking happen first (``gis_app.io`` raises :class:`InputFileError` listing every
problem with its file, row and field); only a file without errors reaches the store, in one
transaction with its audit note (file and row count), as one undo step of the session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gis_app.core.crs import STORAGE_EPSG
from gis_app.core.imports import IMPORT_KINDS
from gis_app.core.layer_fields import GRID_FIELDS, UNIT_FIELDS
from gis_app.io.errors import InputFileError, Issue
from gis_app.services.household_import import import_households
from gis_app.services.import_report import ImportReport
from gis_app.services.layer_import import away_from_county, import_hazards, import_sites, read_layer
from gis_app.storage import county_writer as cw
from gis_app.storage.audit import current_user
from gis_app.storage.project import Project, is_server_url, remove_project_file
from gis_app.storage.reader import load_admin_units, load_grids, load_table
from gis_app.storage.repositories.imports import write_settings
from gis_app.storage.uow import UnitOfWork, edit

#: What can be imported: the one list (the CLI's ``--kind`` choices).
KINDS = IMPORT_KINDS
#: Each kind's name in the undo label and the table its audit note names.
_KIND_NAMES = {"boundaries": ("行政区界", "admin_unit"), "households": ("农户", "household"),
               "grids": ("网格", "grid"), "workers": ("网格员", "worker"),
               "sites": ("安置点", "resettlement_site"), "hazards": ("灾害隐患", "hazard_zone"),
               "records": ("排查记录", "investigation_record")}

#: Each kind's name as the window lists it, in import order.
KIND_TITLES = {kind: _KIND_NAMES[kind][0] for kind in KINDS}
#: Kinds whose stored rows an import may replace by code (``update=True``).
UPDATABLE_KINDS = ("sites", "hazards")


def file_layers(path: str | Path) -> list[str]:
    """The layers of a GeoPackage a user may choose from (empty for other files)."""
    from gis_app.io.vector import layer_names

    return layer_names(path)


#: What a checked file becomes: a writer of its rows into the open unit of work.
Writer = Callable[[UnitOfWork], ImportReport]


def create_project(location: str | Path, user: str | None = None) -> Project:
    """A new, empty project with the default thresholds; its creator may see personal data."""
    from gis_app.core.thresholds import Thresholds
    from gis_app.storage.project import open_project

    project = open_project(location, create=True)
    if "thresholds" not in project.settings():
        project.set_settings(
            {"thresholds": Thresholds().as_dict(), "personal_data_users": [user or current_user()]}
        )
    return project


def import_into(location: str | Path, path: str | Path, kind: str, **options) -> ImportReport:
    """Import one file into the project at ``location``, creating it on first import.

    A project file that did not exist before is removed again (with its ``-wal``/``-shm``)
    when the import fails, so a refused file leaves nothing behind.

    Parameters
    ----------
    location : str or Path
        Project file or ``postgresql://`` URL.
    path : str or Path
        The file to import.
    kind : str
        One of :data:`KINDS`.
    **options
        Passed to :func:`import_file` (``crs``, ``gcj02``, ``layer``, ``campaign_year``,
        ``update`` …).

    Returns
    -------
    ImportReport
        What was written.
    """
    from gis_app.services.session import ProjectSession

    fresh = not is_server_url(location) and not Path(location).expanduser().exists()
    if kind not in KINDS:
        raise ValueError(f"未知的导入类型：{kind}（可选：{'、'.join(KINDS)}）")
    if not Path(path).exists():
        raise InputFileError([Issue(Path(path).name, None, None, "文件不存在", "error")])
    parent = Path(location).expanduser().parent
    made = [d for d in (parent, *parent.parents) if not d.exists()] if fresh else []
    session = ProjectSession(create_project(location))
    failed = True
    try:
        report = import_file(session, path, kind, **options)
        failed = False
        return report
    finally:
        session.close()
        if failed and fresh:
            remove_project_file(location)
            for folder in made:  # the folders made for it, innermost first, if left empty
                if folder.exists() and not any(folder.iterdir()):
                    folder.rmdir()


def import_file(
    session,
    path: str | Path,
    kind: str,
    crs: int | None = None,
    gcj02: bool = False,
    campaign_year: int | None = None,
    user: str | None = None,
    layer: str | None = None,
    campaign_id: int | None = None,
    update: bool = False,
    progress=None,
) -> ImportReport:
    """Import one file of ``kind`` as one unit of work: its rows and its audit note.

    Parameters
    ----------
    session : ProjectSession or Project
        The session whose views (and undo stack) follow the import; a bare project is edited
        as ``user`` (default: the current user), with nobody to tell.
    path : str or Path
        The file.
    kind : str
        One of :data:`KINDS`.
    crs, gcj02, layer
        How to read a vector file (its CRS when it declares none, GCJ-02 coordinates, the
        GeoPackage layer).
    campaign_year, campaign_id : int, optional
        Records go to ``campaign_id`` when given, else to the last round of ``campaign_year``
        (of the newest year when that is None too).
    user : str, optional
        Who the audit log names when ``session`` is a bare project.
    update : bool
        Sites and hazards whose code is stored replace the stored ones (geometry and
        attributes, old values in the audit log); without it they are refused.
    progress : callable, optional
        ``progress(done, total)`` between the steps of reading and checking; raising from it
        cancels (nothing is written).

    Returns
    -------
    ImportReport
        Rows written, warnings (including features outside the county) and the change set.

    Raises
    ------
    InputFileError
        When the file has any error; nothing is written then.
    ExistingCodesError
        Sites or hazards already in the project, without ``update`` (an ``InputFileError``).
    """
    project = session if isinstance(session, Project) else session.project
    checked = check_file(project, path, kind, crs=crs, gcj02=gcj02,
                         campaign_year=campaign_year, layer=layer, campaign_id=campaign_id,
                         update=update, progress=progress)
    return write_checked(session, checked, user)


@dataclass
class CheckedFile:
    """A file read and checked, ready to be written: what :func:`check_file` returns."""

    path: Path
    kind: str
    write: Writer


#: Steps of :func:`check_file` reported to ``progress`` (read, checked, located, ready).
CHECK_STEPS = 4


def check_file(project: Project, path: str | Path, kind: str, crs: int | None = None,
               gcj02: bool = False, campaign_year: int | None = None,
               layer: str | None = None, campaign_id: int | None = None,
               update: bool = False, progress=None) -> CheckedFile:
    """Read and check one file of ``kind`` against ``project``; nothing is written.

    This is the long part of an import (a county's ledger is read and validated here), and
    it touches no view: a window runs it on a worker thread, then :func:`write_checked`.
    The parameters are those of :func:`import_file`.

    Raises
    ------
    InputFileError
        When the file has any error.
    """
    path = Path(path)
    if kind not in KINDS:
        raise ValueError(f"未知的导入类型：{kind}（可选：{'、'.join(KINDS)}）")
    if not path.exists():
        raise InputFileError([Issue(path.name, None, None, "文件不存在", "error")])
    step = progress or (lambda done, total: None)
    step(0, CHECK_STEPS)
    handler = {
        "boundaries": _import_boundaries,
        "households": import_households,
        "grids": _import_grids,
        "workers": _import_workers,
        "sites": import_sites,
        "hazards": import_hazards,
        "records": _import_records,
    }[kind]
    if kind == "records":
        write = handler(project, path, campaign_year, campaign_id, layer)
    elif kind == "workers":
        write = handler(project, path, layer)
    elif kind in ("sites", "hazards"):
        write = handler(project, path, crs, gcj02, layer, update)
    elif kind == "households":
        write = handler(project, path, crs, gcj02, layer, progress=step)
    elif kind in ("boundaries", "grids"):
        write = handler(project, path, crs, gcj02, layer)
    else:
        write = handler(project, path)
    step(CHECK_STEPS, CHECK_STEPS)
    return CheckedFile(path, kind, write)


def write_checked(session, checked: CheckedFile, user: str | None = None) -> ImportReport:
    """Write a checked file in one unit of work with its audit note (one undo step).

    ``session`` is a ProjectSession (its views follow) or a bare Project (edited as ``user``).
    """
    if isinstance(session, Project):
        project, who = session, user or current_user()

        def editing(label: str):
            return edit(project, who, label)
    else:
        editing = session.edit
    what, table = _KIND_NAMES[checked.kind]
    with editing(f"导入{what}：{checked.path.name}") as uow:
        report = checked.write(uow)
        uow.note(f"import_{checked.kind}", table, {"file": checked.path.name,
                                                   "rows": report.written})
    report.changes = uow.changes
    return report


# --- grids and boundaries ---------------------------------------------------------------------

def _import_grids(
    project: Project, path: Path, crs: int | None, gcj02: bool, layer: str | None
) -> Writer:
    """Grids of any level (a 层级 column; level 3 when absent); level-3 grids must tile villages."""
    from gis_app.analysis import check_grid_tiling

    result, new = read_layer(
        path, GRID_FIELDS, ("code", "name", "admin_code"), crs, gcj02, layer
    )
    new["level"] = pd.to_numeric(new["level"], errors="coerce").fillna(3).astype(int)
    units = set(load_table(project.engine, "admin_unit", ["code"])["code"])
    old = load_grids(project.engine)
    issues = [
        Issue(path.name, int(i) + 1, "网格编码", f"网格编码重复：{new['code'].iloc[i]}", "error")
        for i in np.flatnonzero(
            (new["code"].isin(set(old["code"])) | new["code"].duplicated()).to_numpy()
        )[:50]
    ]
    issues += [
        Issue(
            path.name,
            int(i) + 1,
            "区划代码",
            f"项目中没有行政区划{new['admin_code'].iloc[i]}（请先导入乡镇和村界）",
            "error",
        )
        for i in np.flatnonzero((~new["admin_code"].isin(units)).to_numpy())[:50]
    ]
    if issues:
        raise InputFileError(issues)
    villages = load_admin_units(project.engine, 3)
    level3 = new[new["level"] == 3]
    combined = pd.concat(
        [
            old[(old["level"] == 3) & old["admin_code"].isin(set(level3["admin_code"]))][
                ["code", "admin_code", "geometry"]
            ],
            level3[["code", "admin_code", "geometry"]],
        ]
    )
    problems = check_grid_tiling(
        gpd.GeoDataFrame(combined, geometry="geometry", crs=STORAGE_EPSG), villages
    )
    if len(problems):
        rows = dict(zip(new["code"], new.index + 1, strict=True))
        raise InputFileError(
            [
                Issue(path.name, rows.get(p.code), "几何图形", p.message, "error")
                for p in problems.itertuples()
            ][:100]
        )
    # A level-3 grid without a parent hangs under its village's level-2 grid.
    level2 = pd.concat([old[old["level"] == 2], new[new["level"] == 2]]).set_index("admin_code")[
        "code"
    ]
    new["parent_code"] = new["parent_code"].where(
        new["parent_code"].notna() | (new["level"] != 3), new["admin_code"].map(level2)
    )

    warnings = list(result.issues) + away_from_county(project, new.geometry.to_numpy(), path.name)

    def write(uow: UnitOfWork) -> ImportReport:
        uow.bulk_inserted("grid", cw.insert_grids(uow.connection, new))
        return ImportReport("grids", path.name, len(new), warnings)

    return write


def _import_boundaries(
    project: Project, path: Path, crs: int | None, gcj02: bool, layer: str | None
) -> Writer:
    """Townships (代码, 名称) or villages (with 乡镇代码); the county is created when missing."""
    from gis_app.core.crs import gauss_kruger_epsg

    result, units = read_layer(path, UNIT_FIELDS, ("code", "name"), crs, gcj02, layer)
    existing = load_table(project.engine, "admin_unit", ["code", "level"])
    clash = units["code"].isin(set(existing["code"])) | units["code"].duplicated()
    if clash.any():
        raise InputFileError(
            [
                Issue(
                    path.name, int(i) + 1, UNIT_FIELDS["code"][0],
                    f"区划代码重复：{units['code'].iloc[i]}", "error",
                )
                for i in np.flatnonzero(clash.to_numpy())[:50]
            ]
        )
    is_village = units["township_code"].notna().any()
    empty = units.iloc[0:0]
    county = existing[existing["level"] == 1]
    if is_village:
        towns = set(existing.loc[existing["level"] == 2, "code"])
        unknown = ~units["township_code"].isin(towns)
        if unknown.any():
            raise InputFileError(
                [
                    Issue(
                        path.name,
                        int(i) + 1,
                        "乡镇代码",
                        f"项目中没有乡镇{units['township_code'].iloc[i]}（请先导入乡镇界）",
                        "error",
                    )
                    for i in np.flatnonzero(unknown.to_numpy())[:50]
                ]
            )
    else:
        _refuse_villages_as_townships(project, units, path.name)
    new_county = None if is_village or len(county) else _county_of(project, units)
    warnings = list(result.issues) + away_from_county(project, units.geometry.to_numpy(),
                                                      path.name)

    def write(uow: UnitOfWork) -> ImportReport:
        if is_village:
            ids = cw.insert_admin_units(uow.connection, None, empty, units)
        else:
            ids = cw.insert_admin_units(uow.connection, new_county, units, empty)
            # The map's zone comes with the townships, in the same transaction.
            centre = units.geometry.union_all().centroid
            settings = {"gauss_kruger_epsg": gauss_kruger_epsg(centre.x)}
            if new_county is not None:
                settings |= {"county_code": new_county["code"], "county_name": new_county["name"]}
            write_settings(uow.connection, settings)
        uow.bulk_inserted("admin_unit", ids)
        return ImportReport("boundaries", path.name, len(units), warnings)

    return write


def _county_of(project: Project, townships: pd.DataFrame) -> dict:
    """The county the townships belong to: the file's 县代码/县名称, else code and setting."""
    def first(column: str):
        values = townships[column].dropna()
        return str(values.iloc[0]).strip() if len(values) else None

    code = first("county_code") or str(townships["code"].iloc[0])[:6]
    name = first("county_name") or project.settings().get("county_name", code)
    return {"code": code, "name": name}


#: Share of a township's area inside the townships already stored that makes it a village.
_INSIDE_TOWNSHIPS = 0.5


def _refuse_villages_as_townships(project: Project, units: gpd.GeoDataFrame, file: str) -> None:
    """Units without 乡镇代码 lying inside the stored townships are villages missing the column."""
    towns = load_admin_units(project.engine, 2)
    if towns.empty:
        return
    import shapely

    geoms = units.geometry.to_numpy()
    covered = shapely.area(shapely.intersection(geoms, towns.geometry.union_all()))
    inside = covered > _INSIDE_TOWNSHIPS * shapely.area(geoms)
    if inside.any():
        raise InputFileError([
            Issue(file, int(i) + 1, UNIT_FIELDS["township_code"][0],
                  f"“{units['name'].iloc[i]}”位于项目中已有的乡镇内，像是村界；导入村界时须有"
                  f"【{UNIT_FIELDS['township_code'][0]}】列写明所属乡镇（没有该列的文件按乡镇界导入）")
            for i in np.flatnonzero(inside)[:50]])


# --- workers, sites, hazards, records ---------------------------------------------------------


def _import_workers(project: Project, path: Path, layer: str | None = None) -> Writer:
    from gis_app.io import read_workers

    result = read_workers(path, sheet=layer)
    frame = result.frame.reset_index(drop=True)
    rows = np.asarray(result.rows)
    known = set(load_table(project.engine, "worker", ["phone"])["phone"])
    grids = set(load_table(project.engine, "grid", ["code"])["code"])
    issues = []
    for i, (phone, codes) in enumerate(
        zip(frame["phone"], frame.get("grid_codes", pd.Series([None] * len(frame))), strict=True)
    ):
        if phone in known:
            issues.append(
                Issue(
                    path.name,
                    int(rows[i]),
                    "联系电话",
                    f"电话{phone[-4:]}（尾号）的网格员已在项目中",
                    "error",
                )
            )
        for code in str(codes or "").replace("；", ";").split(";"):
            if code.strip() and code.strip() not in grids:
                issues.append(
                    Issue(path.name, int(rows[i]), "负责网格编码", f"项目中没有网格{code}", "error")
                )
    if issues:
        raise InputFileError(issues)
    assignments = frame.assign(
        grid_code=frame.get("grid_codes", "").fillna("").str.replace("；", ";").str.split(";")
    ).explode("grid_code")
    assignments = assignments[assignments["grid_code"].str.strip().astype(bool)]
    assignments = pd.DataFrame(
        {
            "worker_phone": assignments["phone"],
            "grid_code": assignments["grid_code"].str.strip(),
            "role": assignments["role"],
            "start_date": assignments.get("start_date", pd.Series(dtype=object)).fillna(
                pd.Timestamp.today().date()
            ),
        }
    )

    def write(uow: UnitOfWork) -> ImportReport:
        uow.bulk_inserted("worker", list(cw.insert_workers(uow.connection, frame).values()))
        uow.bulk_inserted("grid_assignment",
                          cw.insert_assignments(uow.connection, assignments, uow.user))
        return ImportReport("workers", path.name, len(frame), list(result.issues))

    return write


def _import_records(
    project: Project, path: Path, campaign_year: int | None, campaign_id: int | None = None,
    layer: str | None = None,
) -> Writer:
    from gis_app.io import read_ledger

    result = read_ledger(path, sheet=layer)
    frame = result.frame.reset_index(drop=True)
    campaigns = load_table(project.engine, "campaign", ["id", "year", "round"])
    if campaign_year is not None:
        campaigns = campaigns[campaigns["year"] == campaign_year]
    if campaign_id is not None:
        campaigns = campaigns[campaigns["id"] == int(campaign_id)]
    if campaigns.empty:
        raise InputFileError(
            [Issue(path.name, None, None, "项目中没有对应年度的集中排查", "error")]
        )
    campaign_id = int(campaigns.sort_values(["year", "round"])["id"].iloc[-1])
    if "method" not in frame:
        raise InputFileError(
            [Issue(path.name, None, "排查方式", "缺少必填列【排查方式】", "error")]
        )
    checked = frame[frame["method"].notna()]
    known = set(load_table(project.engine, "household", ["head_id_number"])["head_id_number"])
    unknown = ~checked["head_id_number"].isin(known)
    if unknown.any():
        raise InputFileError(
            [
                Issue(
                    path.name,
                    int(np.asarray(result.rows)[i]),
                    "户主证件号码",
                    "项目中没有这个证件号码的农户",
                    "error",
                )
                for i in checked.index[unknown][:50]
            ]
        )
    from gis_app.core.ledger import RECORD_KEYS

    records = checked[[k for k in RECORD_KEYS if k in checked]]

    def write(uow: UnitOfWork) -> ImportReport:
        ids = cw.insert_records(uow.connection, records, campaign_id)
        uow.bulk_inserted("investigation_record", ids)
        return ImportReport("records", path.name, len(ids), list(result.issues),
                            inserted_ids=ids.tolist())

    return write
