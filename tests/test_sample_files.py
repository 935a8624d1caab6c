"""The committed sample county files: reproducible byte for byte, and importable into a project."""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio

from gis_app.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "sample_gis"


def test_generator_reproduces_the_committed_files(tmp_path):
    from gis_app.services.sample_service import write_sample_files

    written = write_sample_files(tmp_path)
    assert written
    for path in written:
        committed = SAMPLE / path.relative_to(tmp_path)
        assert committed.exists(), committed
        assert path.read_bytes() == committed.read_bytes(), f"{committed.name} differs"


def test_gbk_shapefiles_carry_chinese_names():
    frame = pyogrio.read_dataframe(SAMPLE / "shapefile" / "villages.shp")
    assert (SAMPLE / "shapefile" / "villages.cpg").read_text().strip().upper() in ("GBK", "CP936")
    assert frame["名称"].str.endswith(("村", "社区")).all()
    assert len(frame) >= 11


def test_committed_files_rebuild_the_sample_county(tmp_path, capsys, sample_project_path):
    project = str(tmp_path / "from-files.gmp")
    steps = [
        (SAMPLE / "shapefile" / "townships.shp", "boundaries", None),
        (SAMPLE / "shapefile" / "villages.shp", "boundaries", None),
        (SAMPLE / "county.gpkg", "grids", "grids"),
        (SAMPLE / "county.gpkg", "sites", "sites"),
        (SAMPLE / "county.gpkg", "hazards", "hazard_zones"),
        (SAMPLE / "shapefile" / "hazard_points.shp", "hazards", None),
        (SAMPLE / "households.xlsx", "households", None),
        (SAMPLE / "workers.xlsx", "workers", None),
    ]
    for path, kind, layer in steps:
        argv = ["import", project, str(path), "--kind", kind, "--json"]
        if layer:
            argv += ["--layer", layer]
        assert main(argv) == 0, capsys.readouterr().err
        capsys.readouterr()
    assert main(["info", project, "--json"]) == 0
    rebuilt = json.loads(capsys.readouterr().out)
    assert main(["info", str(sample_project_path), "--json"]) == 0
    generated = json.loads(capsys.readouterr().out)
    assert rebuilt == generated


def _project_with_boundaries(tmp_path, capsys) -> str:
    project = str(tmp_path / "p.gmp")
    for name in ("townships", "villages"):
        assert (
            main(
                [
                    "import",
                    project,
                    str(SAMPLE / "county.gpkg"),
                    "--kind",
                    "boundaries",
                    "--layer",
                    name,
                    "--json",
                ]
            )
            == 0
        )
    capsys.readouterr()
    return project


def _grid_count(project) -> int:
    from sqlalchemy import text

    from gis_app.storage.project import open_project

    with open_project(project).engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM grid")).scalar()


def test_overlapping_level3_grids_are_refused(tmp_path, capsys):
    import geopandas as gpd

    project = _project_with_boundaries(tmp_path, capsys)
    grids = gpd.read_file(SAMPLE / "county.gpkg", layer="grids")
    level3 = grids.index[grids["层级"] == 3]
    grown = grids.geometry.iloc[level3[0]].buffer(0.001)  # about 100 m into the neighbours
    grids.loc[level3[0], "geometry"] = grown
    bad = tmp_path / "overlap.gpkg"
    grids.to_file(bad, layer="grids")
    assert main(["import", project, str(bad), "--kind", "grids"]) == 1
    err = capsys.readouterr().err
    assert "overlap.gpkg" in err and "重叠" in err and "未写入任何数据" in err
    assert _grid_count(project) == 0


def test_level3_grids_leaving_a_gap_are_refused(tmp_path, capsys):
    import geopandas as gpd

    project = _project_with_boundaries(tmp_path, capsys)
    grids = gpd.read_file(SAMPLE / "county.gpkg", layer="grids")
    level3 = grids.index[grids["层级"] == 3]
    bad = tmp_path / "gap.gpkg"
    grids.drop(index=level3[5]).to_file(bad, layer="grids")
    assert main(["import", project, str(bad), "--kind", "grids"]) == 1
    err = capsys.readouterr().err
    assert "gap.gpkg" in err and "不在本村任何三级网格内" in err
    assert _grid_count(project) == 0


def test_generator_does_not_depend_on_the_cpus_vector_instructions(tmp_path):
    """numpy picks SIMD kernels by CPU (AVX2, AVX-512), and some differ in their last bits:
    the sample must come out the same with them switched off (as on an older office PC)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"}
    code = ("import sys; from gis_app.services.sample_service import write_sample_files; "
            "write_sample_files(sys.argv[1])")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, env=env,
                   cwd=Path(__file__).resolve().parents[1])
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert len(written) >= 10
    for path in written:
        committed = SAMPLE / path.relative_to(tmp_path)
        assert path.read_bytes() == committed.read_bytes(), f"{committed.name} differs"
