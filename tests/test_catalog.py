"""Every layer and style file loads; malformed ones are refused with the file named."""

from __future__ import annotations

import pytest

from gis_app.catalog import CatalogError, load_layers, load_style, load_styles


def test_every_shipped_layer_and_style_loads():
    styles = load_styles()
    layers = load_layers(styles=styles)
    ids = {layer.id for layer in layers}
    assert {"grids_level1", "grids_level2", "grids_level3", "grids_overall", "households",
            "sites", "hazard_zones", "hazard_points"} <= ids
    for layer in layers:
        assert layer.style in styles
        assert layer.title.zh and layer.title.en
    assert [layer.z for layer in layers] == sorted(layer.z for layer in layers)
    households = styles["households_by_attribute"]
    assert {c.value for c in households.classes} == {1, 2, 3}
    assert {c.label.zh for c in households.classes} == {"脱贫户", "监测对象", "档外农户"}


def test_bad_colour_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('id = "b"\nkind = "single"\n[[classes]]\nlabel = "x"\nfill = "red"\n',
                    encoding="utf-8")
    with pytest.raises(CatalogError, match="broken.toml.*#rrggbb"):
        load_style(path)


def test_layer_with_unknown_style_is_refused(tmp_path):
    (tmp_path / "a.toml").write_text(
        'id = "a"\ntitle = "甲"\nsource = "grids"\ngeometry = "polygon"\nstyle = "nope"\nz = 1\n',
        encoding="utf-8")
    with pytest.raises(CatalogError, match="nope"):
        load_layers(tmp_path, styles={})


def test_unparsable_file_is_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("kind = = 'x'", encoding="utf-8")
    with pytest.raises(CatalogError, match="bad.toml"):
        load_style(path)
