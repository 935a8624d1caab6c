"""The command line contract: sample, info, check, import, export on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from sqlalchemy import text

from gis_app.cli import main
from gis_app.synth import build_county

GIS_APP = str(Path(sys.executable).with_name("gis-app"))


@pytest.fixture(scope="module")
def county():
    """The generator's own frames: the independent reference for the store's figures."""
    return build_county()


def run_json(capsys, *argv) -> dict:
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = captured.out
    return json.loads(out)


def expected_info(county) -> dict:
    grids = county.grids
    return {
        "townships": len(county.townships),
        "villages": len(county.villages),
        "grids": {str(level): int((grids["level"] == level).sum()) for level in (1, 2, 3)},
        "households": len(county.households),
        "persons": int(county.households["members"].sum()),
        "monitored": int((county.households["attribute"] == 2).sum()),
        "workers": len(county.workers),
        "sites": len(county.sites),
        "hazard_zones": len(county.hazard_zones),
    }


def test_info_of_the_sample_matches_the_generator(sample_project_path, capsys, county):
    info = run_json(capsys, "info", str(sample_project_path))
    assert info == expected_info(county)
    assert info["townships"] >= 2 and 3000 <= info["households"] <= 6000


def test_the_installed_command_prints_info(sample_project_path):
    result = subprocess.run(
        [GIS_APP, "info", str(sample_project_path), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["households"] > 3000


def test_a_reader_that_stops_reading_gets_no_error_message(sample_project_path):
    # `gis-app coverage P --json | head -1`: the pipe is closed before the command writes.
    child = subprocess.Popen([GIS_APP, "coverage", str(sample_project_path), "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()
    _, errors = child.communicate(timeout=120)
    assert errors.decode() == ""
    assert child.returncode == 1


def test_sample_and_info_on_postgresql(pg_url, capsys, county):
    run_json(capsys, "sample", pg_url)
    assert run_json(capsys, "info", pg_url) == expected_info(county)


def test_check_finds_what_the_sample_hides(sample_project_path, capsys, county):
    report = run_json(capsys, "check", str(sample_project_path))
    problems = pd.DataFrame(report["problems"])
    households = county.households
    unknown = int(households["lon"].isna().sum())
    assert (problems["rule"] == "location_unknown").sum() == unknown > 0
    paired = set(county.helper_pairs["head_id_number"])
    monitored = households[(households["attribute"] == 2) & ~households["risk_eliminated"]]
    unpaired = int((~monitored["head_id_number"].isin(paired)).sum())
    assert (problems["rule"] == "monitored_without_helper").sum() == unpaired > 0
    # The generator tiles every village with its grids: no overlaps or gaps to report.
    assert not problems["rule"].isin(["grid_overlap", "grid_gap", "grid_outside_village"]).any()
    assert not (problems["rule"] == "grid_without_worker").any()


def test_check_reports_a_household_placed_outside_its_grid(sample_project_path, tmp_path, capsys):
    copy = tmp_path / "moved.gmp"
    shutil.copy(sample_project_path, copy)
    from gis_app.storage.project import open_project

    project = open_project(copy)
    with project.engine.begin() as connection:
        hid, code = connection.execute(
            text(
                "SELECT h.id, g.code FROM household h JOIN grid g ON g.id = h.grid_id "
                "WHERE h.lon IS NOT NULL ORDER BY h.id LIMIT 1"
            )
        ).one()
        # Move the household far into another grid of the county, without updating its grid.
        other = connection.execute(
            text(
                "SELECT lon, lat FROM household WHERE grid_id != (SELECT grid_id FROM household "
                "WHERE id = :h) AND lon IS NOT NULL ORDER BY id DESC LIMIT 1"
            ),
            {"h": hid},
        ).one()
        connection.execute(
            text("UPDATE household SET lon=:x, lat=:y WHERE id=:h"),
            {"x": other[0], "y": other[1], "h": hid},
        )
    project.close()
    report = run_json(capsys, "check", str(copy))
    mismatched = [p for p in report["problems"] if p["rule"] == "household_grid_mismatch"]
    assert len(mismatched) == 1


def test_export_geopackage_is_read_by_gdal(sample_project_path, tmp_path, capsys, county):
    out = tmp_path / "county.gpkg"
    run_json(capsys, "export", str(sample_project_path), str(out))
    info = subprocess.run(
        ["ogrinfo", "-ro", "-so", str(out), "grids"], capture_output=True, text=True, check=True
    ).stdout
    assert "4490" in info or "CGCS2000" in info or "China Geodetic" in info
    layers = {name for name, _ in pyogrio.list_layers(out)}
    assert {
        "townships",
        "villages",
        "grids",
        "households",
        "sites",
        "hazard_zones",
        "hazard_points",
        "workers",
        "records",
    } <= layers
    households = pyogrio.read_dataframe(out, layer="households")
    assert len(households) == len(county.households)
    # Masked by default: no full ID number leaves the project.
    assert households["户主证件号码"].str.contains(r"\*").all()
    grids = pyogrio.read_dataframe(out, layer="grids")
    assert (grids["层级"] == 3).sum() == (county.grids["level"] == 3).sum()


def test_ledger_export_then_import_gives_the_same_households(sample_project_path, tmp_path, capsys):
    from gis_app.storage.project import open_project
    from gis_app.storage.reader import load_households

    ledger = tmp_path / "ledger.xlsx"
    run_json(capsys, "export", str(sample_project_path), str(ledger), "--unmask")
    target = tmp_path / "without.gmp"
    shutil.copy(sample_project_path, target)
    project = open_project(target)
    with project.engine.begin() as connection:
        for table in (
            "investigation_record",
            "relocation",
            "helper_pair",
            "contact_visit",
            "assistance_measure",
            "monitoring_case",
            "risk_clue",
            "person",
            "rectification_item",
            "household",
        ):
            connection.execute(text(f"DELETE FROM {table}"))
    project.close()
    result = run_json(capsys, "import", str(target), str(ledger), "--kind", "households")
    before = load_households(open_project(sample_project_path).engine)
    after = load_households(open_project(target).engine)
    assert result["written"] == len(before)
    columns = [
        "head_name",
        "head_id_number",
        "phone",
        "members",
        "attribute",
        "monitoring_type",
        "village_code",
        "grid_code",
        "grid_override",
        "lon",
        "lat",
        "income_per_person",
        "no_labour_support",
        "relocated",
        "resettlement_site_code",
        "dibao",
        "tekun",
        "severe_illness",
        "disability",
        "risk_eliminated",
        "risk_eliminated_on",
        "housing_problem",
        "education_problem",
        "insurance_problem",
        "water_problem",
        "household_code",
        "location_source",
    ]
    left = before[columns].sort_values("head_id_number").reset_index(drop=True)
    right = after[columns].sort_values("head_id_number").reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False)


def test_unmasked_export_needs_permission(sample_project_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GIS_APP_USER", "visitor")
    code = main(["export", str(sample_project_path), str(tmp_path / "x.xlsx"), "--unmask"])
    assert code == 1
    assert "无权" in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()


def _household_count(path) -> int:
    from gis_app.storage.project import open_project

    project = open_project(path)
    with project.engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM household")).scalar()
    project.close()
    return count


@pytest.mark.parametrize("case", ["bad_check_digit", "duplicate_id", "missing_column", "empty"])
def test_bad_ledger_writes_nothing(sample_project_path, tmp_path, capsys, case):
    from gis_app.io import read_ledger, write_ledger_excel

    target = tmp_path / "p.gmp"
    shutil.copy(sample_project_path, target)
    before = _household_count(target)
    from gis_app.storage.project import open_project
    from gis_app.storage.reader import load_households

    frame = load_households(open_project(target).engine).head(5).copy()
    frame["head_id_number"] = [f"43059919900101{n:03d}" for n in range(5)]
    from gis_app.core.idcard import check_digit

    frame["head_id_number"] = [i + check_digit(i) for i in frame["head_id_number"]]
    if case == "bad_check_digit":
        last = frame.loc[2, "head_id_number"]
        frame.loc[2, "head_id_number"] = last[:-1] + ("0" if last[-1] != "0" else "1")
    elif case == "duplicate_id":
        frame.loc[3, "head_id_number"] = frame.loc[1, "head_id_number"]
    elif case == "missing_column":
        frame = frame.drop(columns=["members"])
    elif case == "empty":
        frame = frame.iloc[0:0]
    path = tmp_path / f"{case}.xlsx"
    write_ledger_excel(frame, path)
    if case == "missing_column":  # the writer writes every column; blank the header out
        import openpyxl

        book = openpyxl.load_workbook(path)
        sheet = book.active
        for cell in sheet[4]:
            if cell.value == "家庭人口数":
                cell.value = None
        book.save(path)
    code = main(["import", str(target), str(path), "--kind", "households"])
    err = capsys.readouterr().err
    assert code == 1
    assert path.name in err and "未写入任何数据" in err
    expected = {
        "bad_check_digit": "校验位",
        "duplicate_id": "重复",
        "missing_column": "家庭人口数",
        "empty": "没有数据",
    }[case]
    assert expected in err
    if case == "bad_check_digit":
        assert "第7行" in err  # rows start at 5 under the 4 header rows; the third data row
    assert _household_count(target) == before
    assert read_ledger is not None


def test_households_outside_the_county_are_refused(sample_project_path, tmp_path, capsys):
    from gis_app.core.idcard import check_digit
    from gis_app.io import write_ledger_excel

    target = tmp_path / "p.gmp"
    shutil.copy(sample_project_path, target)
    before = _household_count(target)
    first = "43059919900101777"
    frame = pd.DataFrame(
        {
            "head_name": ["远方"],
            "head_id_number": [first + check_digit(first)],
            "members": [2],
            "attribute": [3],
            "township": ["青山乡"],
            "village": [None],
            "lon": [116.4],
            "lat": [39.9],
        }
    )
    from gis_app.storage.project import open_project
    from gis_app.storage.reader import load_admin_units

    village = load_admin_units(open_project(target).engine, 3).iloc[0]
    frame["village_code"] = village["code"]
    path = tmp_path / "far.xlsx"
    write_ledger_excel(frame, path)
    assert main(["import", str(target), str(path), "--kind", "households"]) == 1
    err = capsys.readouterr().err
    assert "不在本县任何村内" in err and "第5行" in err
    assert _household_count(target) == before


def test_unknown_project_is_a_clear_error(tmp_path, capsys):
    assert main(["info", str(tmp_path / "none.gmp"), "--json"]) == 1
    assert "项目文件不存在" in capsys.readouterr().err


def test_scaled_sample_builds_the_requested_size(tmp_path, capsys):
    info = run_json(capsys, "sample", str(tmp_path / "big.gmp"), "--households", "20000")
    assert abs(info["households"] - 20000) <= 200
    assert np.isclose(info["persons"] / info["households"], 3.2, atol=0.4)


def test_check_export_and_import_on_postgresql(pg_url, tmp_path, capsys, county):
    run_json(capsys, "sample", pg_url)
    report = run_json(capsys, "check", pg_url)
    assert report["summary"]["location_unknown"] == int(county.households["lon"].isna().sum())
    gpkg = tmp_path / "pg.gpkg"
    run_json(capsys, "export", pg_url, str(gpkg))
    assert len(pyogrio.read_dataframe(gpkg, layer="grids")) == len(county.grids)
    ledger = tmp_path / "pg.xlsx"
    run_json(capsys, "export", pg_url, str(ledger), "--unmask")
    from gis_app.storage.project import open_project

    project = open_project(pg_url)
    with project.engine.begin() as connection:
        connection.execute(text("TRUNCATE household CASCADE"))
    project.close()
    assert run_json(capsys, "info", pg_url)["households"] == 0
    written = run_json(capsys, "import", pg_url, str(ledger), "--kind", "households")["written"]
    assert written == len(county.households)
    assert run_json(capsys, "info", pg_url) == expected_info(county)


def test_records_from_a_filled_ledger_are_imported(sample_project_path, tmp_path, capsys):
    from gis_app.storage.project import open_project

    ledger = tmp_path / "filled.xlsx"
    run_json(capsys, "export", str(sample_project_path), str(ledger), "--unmask")
    target = tmp_path / "no-records.gmp"
    shutil.copy(sample_project_path, target)
    project = open_project(target)
    with project.engine.begin() as connection:
        checked = connection.execute(text(
            "SELECT count(DISTINCT household_id) FROM investigation_record")).scalar()
        connection.execute(text("DELETE FROM investigation_record"))
    project.close()
    result = run_json(capsys, "import", str(target), str(ledger), "--kind", "records")
    # The ledger holds each household's latest check: one record per checked household.
    assert result["written"] == checked > 0
    with open_project(target).engine.connect() as connection:
        methods = dict(connection.execute(text(
            "SELECT method, count(*) FROM investigation_record GROUP BY method")).all())
    assert set(methods) == {1, 2} and sum(methods.values()) == checked
