"""Building a synthetic county into a project, and writing the county's hand-over files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from gis_app.core.crs import gauss_kruger_epsg
from gis_app.core.thresholds import Thresholds
from gis_app.storage import county_writer as cw
from gis_app.storage.audit import current_user
from gis_app.storage.frame_sink import FrameSink
from gis_app.storage.project import Project, ProjectError, open_project
from gis_app.storage.reader import count_rows
from gis_app.storage.uow import edit


def _write_county(target, county, user: str) -> None:
    """Every part of a generated county, in dependency order, into a connection or a sink."""
    cw.insert_admin_units(target, county.county, county.townships, county.villages)
    cw.insert_grids(target, county.grids)
    cw.insert_sites(target, county.sites)
    cw.insert_hazards(target, county.hazard_zones, county.hazard_points)
    cw.insert_households(target, county.households)
    cw.insert_persons(target, county.persons)
    cw.insert_relocations(target, county.relocations)
    cw.insert_workers(target, county.workers)
    cw.insert_assignments(target, county.assignments, user)
    cw.insert_helper_pairs(target, county.helper_pairs)
    campaign_id = cw.insert_campaign(target, county.campaign, list(county.townships["code"]))
    cw.insert_records(target, county.records, campaign_id)
    cw.insert_case_work(target, county.clues, county.cases, county.measures, county.contact_visits)
    cw.insert_rectifications(target, county.rectifications, campaign_id)


def save_county(project: Project, county, user: str | None = None) -> None:
    """Write every part of a generated county into ``project``, all or nothing.

    A new SQLite project is filled through ADBC from Arrow columns (a million households in
    seconds); a server, or a file that already holds data, through COPY / executemany in one
    transaction.
    """
    user = user or current_user()
    if count_rows(project.engine, "admin_unit"):
        raise ProjectError(f"项目中已有数据，不能再写入示例县：{project.location}")
    note = ("create_sample", "project", {"households": len(county.households)})
    label = f"生成示例县{county.county['name']}"
    if project.dialect == "sqlite":
        sink = FrameSink()
        _write_county(sink, county, user)
        project.engine.dispose()  # no sqlite3 connection may be open while ADBC writes
        sink.write_sqlite(project.engine.url.database)
        with edit(project, user, label) as uow:  # ADBC wrote the rows: only the note is left
            uow.note(*note)
    else:
        with edit(project, user, label) as uow:  # the rows and their note in one transaction
            _write_county(uow.connection, county, user)
            uow.note(*note)
    centre = county.townships.geometry.union_all().centroid
    project.set_settings({
        "county_code": county.county["code"],
        "county_name": county.county["name"],
        "gauss_kruger_epsg": gauss_kruger_epsg(centre.x),
        "thresholds": Thresholds().as_dict(),
        "personal_data_users": [user],
        "as_of": county.as_of.isoformat(),
    })


def create_sample_project(
    location: str | Path, households: int | None = None, seed: int = 2023, progress=None,
    files: str | Path | None = None,
) -> Project:
    """Generate a county (see :func:`gis_app.synth.build_county`) into a new project.

    Parameters
    ----------
    location : str or Path
        Project file path or ``postgresql://`` URL; a file must not exist yet.
    households : int, optional
        Size of the county; ``None`` builds the bundled sample (about 4,500 households).
    seed : int
        Random seed; the same seed gives the same county.
    progress : callable, optional
        ``callback(done, total)``.
    files : str or Path, optional
        Also write this county's hand-over files into this folder (:func:`write_sample_files`).
    """
    from gis_app.synth import build_county

    if not str(location).startswith("postgres") and Path(location).exists():
        raise ProjectError(f"项目文件已存在：{location}（请换一个文件名或先删除它）")
    county = build_county(households=households, seed=seed, progress=progress)
    project = open_project(location, create=True)
    save_county(project, county)
    if files is not None:
        write_sample_files(files, county=county)
    return project


def write_sample_files(folder: str | Path, seed: int = 2023, households: int | None = None,
                       county=None) -> list[Path]:
    """Write a generated county's hand-over files into ``folder`` (deterministic bytes).

    The county office's formats: a GeoPackage of every layer, the same layers as GBK-encoded
    Shapefiles, the households as the annex-2 Excel ledger and the workers as Excel.

    Parameters
    ----------
    folder : str or Path
        Where the files go (made if missing).
    seed, households : int, optional
        The county to generate (default: the bundled sample) when ``county`` is not given.
    county : gis_app.synth.county.SampleCounty, optional
        A county already generated (the one just written into a project).
    """
    from gis_app.io import write_ledger_excel, write_vector, write_workers_excel

    if county is None:
        from gis_app.synth import build_county

        county = build_county(households=households, seed=seed)
    folder = Path(folder)
    (folder / "shapefile").mkdir(parents=True, exist_ok=True)
    layers = sample_layers(county)
    written = []
    gpkg = folder / "county.gpkg"
    gpkg.unlink(missing_ok=True)
    for name, frame in layers.items():
        write_vector(frame, gpkg, layer=name, deterministic=True)
        shp = folder / "shapefile" / f"{name}.shp"
        write_vector(frame, shp, encoding="GBK", deterministic=True)
        written.append(shp)
    written.append(gpkg)
    ledger = ledger_frame(county)
    path = folder / "households.xlsx"
    write_ledger_excel(
        ledger,
        path,
        title=f"{county.county['name']}防止返贫监测帮扶集中排查台账",
        unit=county.county["name"],
        date=county.as_of,
        deterministic=True,
    )
    written.append(path)
    path = folder / "workers.xlsx"
    write_workers_excel(county.workers, path, deterministic=True)
    written.append(path)
    return written


#: Field names of the hand-over layers, as a county GIS office writes them (at most 5 Chinese
#: characters, so they survive the 10-byte field names of a GBK Shapefile).
HANDOVER_FIELDS = {
    "code": "代码",
    "name": "名称",
    "township_code": "乡镇代码",
    "level": "层级",
    "parent_code": "上级编码",
    "admin_code": "区划代码",
    "kind": "类型",
    "capacity": "安置容量",
    "built_year": "建成年份",
    "source": "数据来源",
    "year": "年份",
    "threatened_households": "威胁户数",
    "threatened_persons": "威胁人数",
    "threat_radius": "威胁半径",
    "head_id_number": "证件号码",
    "head_name": "户主姓名",
}


def sample_layers(county) -> dict:
    """The map layers of a generated county as handed over, by layer name."""
    households = county.households[county.households["lon"].notna()]
    points = gpd.GeoDataFrame(
        households[["head_id_number", "head_name"]].reset_index(drop=True),
        geometry=gpd.points_from_xy(households["lon"], households["lat"]),
        crs=4490,
    )
    layers = {
        "townships": county.townships,
        "villages": county.villages,
        "grids": county.grids,
        "sites": county.sites,
        "hazard_zones": county.hazard_zones,
        "hazard_points": county.hazard_points,
        "household_points": points,
        "rivers": county.rivers,
        "roads": county.roads,
    }
    renamed = {name: frame.rename(columns=HANDOVER_FIELDS) for name, frame in layers.items()}
    for name in ("hazard_zones", "hazard_points"):
        renamed[name] = renamed[name].rename(columns={"类型": "灾害类型", "层级": "风险等级"})
    renamed["sites"] = renamed["sites"].rename(columns={"类型": "安置方式"})
    return renamed


def ledger_frame(county):
    """Households with their latest investigation record, in ledger keys (annex 2)."""
    records = county.records.drop_duplicates("head_id_number", keep="last")
    keep = [
        c for c in records.columns if c not in county.households.columns or c == "head_id_number"
    ]
    return county.households.merge(records[keep], on="head_id_number", how="left")
