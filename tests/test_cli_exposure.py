"""``gis-app exposure``: the service's numbers as JSON, a Chinese table, clean refusals."""

from __future__ import annotations

import json

import pytest

from gis_app.cli import main
from gis_app.services import exposure_service as service


@pytest.mark.parametrize("args", [["--level", "1"], ["--buffer", "150", "--level", "2"],
                                  ["--kind", "洪涝"]])
def test_cli_json_equals_the_service(sample_project_path, sample_project, capsys, args):
    assert main(["exposure", str(sample_project_path), "--json", *args]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    buffer_m = float(args[args.index("--buffer") + 1]) if "--buffer" in args else 0.0
    level = int(args[args.index("--level") + 1]) if "--level" in args else 3
    kind = args[args.index("--kind") + 1] if "--kind" in args else None
    expected = service.cli_records(service.exposure_by_unit(sample_project, buffer_m, level,
                                                            kind))
    assert rows == expected
    assert rows and all(list(r) == service.CLI_COLUMNS for r in rows)
    assert {r["level"] for r in rows} <= {"极高风险", "高风险", "中风险", "低风险"}


def test_cli_text_and_errors(sample_project_path, capsys, tmp_path):
    assert main(["exposure", str(sample_project_path), "--level", "1", "--buffer", "50"]) == 0
    out = capsys.readouterr().out
    assert "灾害风险暴露（按乡镇，外扩50米" in out and "户数" in out and "受威胁农户合计" in out
    assert main(["exposure", str(sample_project_path), "--kind", "地震"]) == 1
    captured = capsys.readouterr()
    assert "未知的灾害类型：地震" in captured.err and captured.out == ""
    assert main(["exposure", str(sample_project_path), "--buffer", "-5"]) == 1
    assert "缓冲距离无效：-5" in capsys.readouterr().err
    assert main(["exposure", str(tmp_path / "missing.gmp")]) == 1
    assert "项目文件不存在" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["exposure", str(sample_project_path), "--level", "4"])
    assert stop.value.code == 2


def test_cli_on_a_project_without_hazards(tmp_path, capsys):
    from gis_app.storage.project import open_project

    path = tmp_path / "empty.gmp"
    open_project(path, create=True).close()
    assert main(["exposure", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["exposure", str(path)]) == 0
    assert "没有农户或安置点" in capsys.readouterr().out


def test_a_second_session_reads_the_kept_index_and_prints_the_same(sample_project_path,
                                                                     tmp_path):
    """Two runs of the real command, each its own process: the first builds the hazards'
    index and keeps it in the cache folder, the second reads it (its file is touched) and
    prints the same numbers; a damaged file is built again, with the same numbers."""
    import os
    import subprocess

    from tests.test_cli import GIS_APP

    cache = tmp_path / "cache"
    env = {**os.environ, "GIS_APP_CACHE_DIR": str(cache)}

    def run():
        result = subprocess.run([GIS_APP, "exposure", str(sample_project_path), "--buffer",
                                 "150", "--json"], capture_output=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr.decode()
        return json.loads(result.stdout)

    first = run()
    kept = list((cache / "exposure").glob("*.npz"))
    assert len(kept) == 1
    os.utime(kept[0], (1_000_000, 1_000_000))
    inode = kept[0].stat().st_ino
    assert run() == first
    # Read (touched), not built and written anew (a new file under the name).
    assert kept[0].stat().st_mtime > 1_000_000 and kept[0].stat().st_ino == inode
    kept[0].write_bytes(kept[0].read_bytes()[:500])
    assert run() == first
    assert len(list((cache / "exposure").glob("*.npz"))) == 1
