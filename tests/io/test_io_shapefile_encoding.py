"""A shapefile's ``.cpg`` that names the wrong encoding: detected, used and said, or refused."""

from __future__ import annotations

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point

from gis_app.io import InputFileError, read_vector
from gis_app.io.shapefile import better_encoding, recode_frame

NAMES = ["青溪河洪涝风险区", "石门村滑坡隐患", "欧阳娜娜"]


def _zones(names=NAMES) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"编码": [f"FX{i:03d}" for i in range(len(names))], "名称": names,
         "灾害类型": ["洪涝"] * len(names)},
        geometry=[Point(111.2 + i / 100, 27.1).buffer(0.005) for i in range(len(names))],
        crs=4490)


def _shapefile(tmp_path, encoding: str, cpg: str | None, frame=None):
    path = tmp_path / "hazard_zones.shp"
    pyogrio.write_dataframe(_zones() if frame is None else frame, path, encoding=encoding)
    cpg_path = tmp_path / "hazard_zones.cpg"
    if cpg is None:
        cpg_path.unlink(missing_ok=True)
    else:
        cpg_path.write_text(cpg)
    return path


@pytest.mark.parametrize("cpg", ["UTF-8", "ISO-8859-1", "LATIN1", "1252", "65001"])
def test_gbk_file_with_a_wrong_cpg_is_read_as_gbk_and_said(tmp_path, cpg):
    path = _shapefile(tmp_path, "GBK", cpg)
    result = read_vector(path)
    assert list(result.frame["名称"]) == NAMES
    assert list(result.frame.columns[:3]) == ["编码", "名称", "灾害类型"]
    assert result.encoding == "gb18030"
    (warning,) = [str(i) for i in result.issues]
    assert warning.startswith("hazard_zones.shp: hazard_zones.cpg声明的属性编码为")
    assert f"为{cpg}，" in warning and "实为GBK/GB18030编码" in warning


def test_utf8_file_whose_cpg_says_gbk_is_read_as_utf8(tmp_path):
    frame = _zones().rename(columns={"灾害类型": "类型"})  # names within 10 UTF-8 bytes
    path = _shapefile(tmp_path, "UTF-8", "GBK", frame)
    result = read_vector(path)
    assert list(result.frame["名称"]) == NAMES
    assert result.encoding == "utf-8"
    assert "hazard_zones.cpg声明的属性编码为GBK，但属性文字实为UTF-8编码" in str(result.issues[0])


def test_a_right_cpg_is_trusted_without_a_word(tmp_path):
    assert read_vector(_shapefile(tmp_path, "GBK", "GBK")).issues == []
    latin = gpd.GeoDataFrame({"nom": ["Café Élysée", "Forêt"]},
                             geometry=[Point(111.2, 27.1), Point(111.3, 27.2)], crs=4490)
    path = tmp_path / "latin.shp"
    pyogrio.write_dataframe(latin, path, encoding="ISO-8859-1")
    (tmp_path / "latin.cpg").write_text("ISO-8859-1")
    result = read_vector(path)
    assert list(result.frame["nom"]) == ["Café Élysée", "Forêt"] and result.issues == []


def test_better_encoding_decides_from_the_bytes():
    gbk, utf8 = "石门村大田村".encode("gbk"), "石门村大田村".encode()
    assert better_encoding(gbk, "utf-8") == "gb18030"
    assert better_encoding(gbk, "latin-1") == "gb18030"
    assert better_encoding(gbk, "gb18030") is None
    assert better_encoding(utf8, "gb18030") == "utf-8"
    assert better_encoding(utf8, "utf-8") is None
    assert better_encoding(b"plain ascii", "latin-1") is None
    assert better_encoding("Café".encode("latin-1"), "latin-1") is None
    # One character of a long UTF-8 text cut at a field's end is not a wrong declaration.
    assert better_encoding(utf8 * 40 + utf8[:-1], "utf-8") is None


def test_undecodable_field_names_are_refused_clearly(tmp_path):
    # Neither UTF-8 nor GBK: bytes 0xFF never start a character in either.
    frame = gpd.GeoDataFrame({"\xff\xff\xff": ["a"], "\xff\xff\xfe": ["b"]},
                             geometry=[Point(111.2, 27.1)], crs=4490)
    path = _shapefile(tmp_path, "ISO-8859-1", "UTF-8", frame)
    with pytest.raises(InputFileError) as excinfo:
        read_vector(path)
    (message,) = [str(i) for i in excinfo.value.issues]
    assert message.startswith("hazard_zones.shp: 字段名无法按UTF-8编码解码")
    assert "更正.cpg文件" in message
    lone = gpd.GeoDataFrame({"\xff\xfeab": ["a"], "代码": ["b"]}, geometry=[Point(111.2, 27.1)],
                            crs=4490)
    (tmp_path / "one").mkdir()
    with pytest.raises(InputFileError, match="字段名无法按UTF-8编码解码"):
        read_vector(_shapefile(tmp_path / "one", "GB18030", "UTF-8", lone))


def test_names_that_decode_alike_stay_apart():
    frame = gpd.GeoDataFrame({"\xff\xff": ["a"], "\xfe\xfe": ["b"]},
                             geometry=[Point(111.2, 27.1)], crs=4490)
    fixed = recode_frame(frame, "utf-8")
    assert list(fixed.columns) == ["\ufffd\ufffd", "\ufffd\ufffd_2", "geometry"]
    assert list(fixed.iloc[0, :2]) == ["a", "b"]
