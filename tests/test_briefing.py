"""The briefing web map (gis-app briefing) on the sample county, checked as a user would.

The file is written once by the command line. Its layers are read back from the page (each
``briefingLayer(collection, styles, fields, pane)`` call) and compared with independent
counts from the store: households joined to the level-3 grid polygons with
``geopandas.sjoin`` and counted with ``groupby``, grids, zones and sites counted by SQL. The
page is searched for every name, ID number and phone of the project; it names no address;
and headless Chromium, with the network off, builds every layer (the rendered page's panes
hold one SVG path per feature shown) and draws it: the screenshot shows the map and the
choropleth's colours.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sqlite3
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image

from gis_app.catalog import load_styles
from gis_app.cli import main

LAYERS = ["三级网格", "二级网格（村）", "一级网格（乡镇）", "灾害隐患区", "易地搬迁安置点",
          "农户（按三级网格汇总）"]
SCREEN = (1400, 900)


def _read(path, sql: str) -> pd.DataFrame:
    with sqlite3.connect(path) as connection:
        return pd.read_sql_query(sql, connection)


def run_cli(*argv) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([str(a) for a in argv]) == 0
    return json.loads(out.getvalue())


def page_layers(text: str) -> list[dict]:
    """Every layer the page builds: its collection, styles, tooltip fields and pane."""
    decoder = json.JSONDecoder()
    layers = []
    for match in re.finditer(r"= briefingLayer\(", text):
        position, values = match.end(), []
        for _ in range(4):
            value, position = decoder.raw_decode(text, position)
            values.append(value)
            position = re.compile(r"[\s,]*").match(text, position).end()
        layers.append(dict(zip(("data", "styles", "fields", "pane"), values, strict=True)))
    return layers


def switcher(text: str) -> list[list[str]]:
    """The layer switcher's names: [radio buttons, check boxes]."""
    control = re.search(r"base_layers : \{(.*?)\},\s*overlays :\s*\{(.*?)\}", text, re.S)
    return [[json.loads(name) for name in re.findall(r'("[^"]+") :', group)]
            for group in control.groups()]


def properties(layer: dict) -> pd.DataFrame:
    return pd.DataFrame([f["properties"] for f in layer["data"]["features"]])


@pytest.fixture(scope="module")
def project(sample_project_path, tmp_path_factory):
    """A copy of the sample: the command notes its export in the audit log."""
    import shutil

    copy = tmp_path_factory.mktemp("project") / "sample.gmp"
    shutil.copy(sample_project_path, copy)
    return copy


@pytest.fixture(scope="module")
def briefing(project, tmp_path_factory):
    out = tmp_path_factory.mktemp("briefing") / "简报.html"
    payload = run_cli("briefing", project, "--out", out, "--json")
    text = out.read_text(encoding="utf-8")
    return {"payload": payload, "path": out, "text": text, "layers": page_layers(text)}


def test_the_command_writes_every_layer(briefing, project):
    payload, layers = briefing["payload"], briefing["layers"]
    path = Path(payload["path"])
    assert path == briefing["path"] and payload["bytes"] == path.stat().st_size
    assert payload["layers"] == LAYERS
    assert [layer["pane"] for layer in layers] == ["grids", "grids", "grids", "hazards", "sites",
                                                   "households"]
    grids = _read(project, "SELECT level, count(*) AS n FROM grid GROUP BY level")
    per_level = dict(zip(grids["level"], grids["n"], strict=True))
    for layer, level in zip(layers[:3], (3, 2, 1), strict=True):
        assert len(layer["data"]["features"]) == per_level[level]
        assert payload["grids"][str(level)] == per_level[level]
    zones = _read(project, "SELECT count(*) AS n FROM hazard_zone")["n"].iloc[0]
    sites = _read(project, "SELECT count(*) AS n FROM resettlement_site")
    assert len(layers[3]["data"]["features"]) == zones > 0
    assert len(layers[4]["data"]["features"]) == sites["n"].iloc[0] > 0
    # the switcher: grid levels are radio buttons, the rest check boxes
    assert switcher(briefing["text"]) == [LAYERS[:3], LAYERS[3:]]
    notes = _read(project, "SELECT details FROM audit_log WHERE action = 'export_briefing'")
    assert str(path) in {json.loads(note)["file"] for note in notes["details"]}
    assert payload["campaign"] == _read(
        project, "SELECT name FROM campaign ORDER BY year DESC, round DESC")[
        "name"].iloc[0]


def test_households_per_grid_equal_a_spatial_join(briefing, project):
    epsg = int(_read(project, "SELECT value FROM project_setting WHERE key = "
                              "'gauss_kruger_epsg'")["value"].iloc[0])
    grids = _read(project, "SELECT code, geom FROM grid WHERE level = 3")
    grids = gpd.GeoDataFrame(grids.drop(columns="geom"),
                             geometry=shapely.from_wkb(grids["geom"].to_numpy()), crs=4490)
    households = _read(project, "SELECT h.id, lon, lat, attribute, monitoring_type, "
                                "grid_override, "
                                "g.code AS stored FROM household h "
                                "LEFT JOIN grid g ON g.id = h.grid_id")
    located = households[households["lon"].notna()]
    points = gpd.GeoDataFrame(located, geometry=gpd.points_from_xy(
        located["lon"], located["lat"]), crs=4490)
    joined = gpd.sjoin(points.to_crs(epsg), grids.to_crs(epsg), predicate="within", how="left")
    assert not joined["id"].duplicated().any()
    # DOMAIN §2: a household's grid is where its point lies, unless placed there by hand
    placed = joined["grid_override"].astype(bool)
    joined["code"] = joined["code"].where(~placed, joined["stored"])
    joined = joined[joined["code"].notna()]
    assert households.loc[households["lon"].isna(), "stored"].isna().all()
    expected = joined.groupby(["code", "attribute"]).size().unstack(fill_value=0)

    rings = properties(briefing["layers"][5])
    per_grid = rings.drop_duplicates("code").set_index("code").sort_index()
    style = load_styles()["households_by_attribute"]
    for index, cls in enumerate(style.classes):
        want = expected.get(cls.value, pd.Series(dtype=int)).reindex(per_grid.index,
                                                                      fill_value=0)
        assert per_grid[f"n{index}"].tolist() == want.tolist(), cls.label.zh
    by_type = joined.groupby(["code", "monitoring_type"]).size().unstack(fill_value=0)
    types = load_styles()["households_by_monitoring_type"]
    for index, cls in enumerate(types.classes):
        want = by_type.get(cls.value, pd.Series(dtype=int)).reindex(per_grid.index,
                                                                     fill_value=0)
        assert per_grid[f"m{index}"].tolist() == want.tolist(), cls.label.zh
    assert by_type.to_numpy().sum() > 100  # the sample's monitored households have types
    assert set(per_grid.index) == set(expected.index)
    assert per_grid["households"].tolist() == expected.sum(axis=1).reindex(
        per_grid.index).tolist()
    assert per_grid["households"].sum() == len(joined)
    # one circle per class present in the grid, the largest holding every household
    assert len(rings) == int((expected > 0).sum().sum())
    assert rings.groupby("code")["_r"].max().idxmax() == expected.sum(axis=1).idxmax()


def test_the_choropleth_classes_the_campaigns_coverage(briefing, project):
    from gis_app.services.coverage_service import campaign_coverage
    from gis_app.storage.project import open_project

    opened = open_project(project)
    try:
        table = campaign_coverage(opened, level=3).dropna(subset=["code"])
    finally:
        opened.close()
    grids = properties(briefing["layers"][0]).set_index("code")
    table = table.set_index("code")
    counted = table["households"] > 0
    assert grids.loc[table.index[counted], "households"].tolist() == \
        table.loc[counted, "households"].tolist()
    coverage = table.loc[counted, "coverage"]
    # coverage.toml: below 50%, 50–70%, 70–90%, 90% and above (1-based in the page; 0: none)
    expected = np.digitize(coverage.to_numpy(), [0.5, 0.7, 0.9]) + 1
    assert grids.loc[coverage.index, "_c"].tolist() == expected.tolist()
    assert len(set(expected)) >= 3  # the sample's grids fall in several classes
    start = briefing["text"].index('<div class="briefing-box briefing-legend">')
    legend = briefing["text"][start:briefing["text"].index("</body>", start)]
    styles = load_styles()
    for style in ("coverage", "hazard_zones_by_kind", "sites", "households_by_attribute"):
        for cls in styles[style].classes:
            assert cls.label.zh in legend, (style, cls.label.zh)


def test_no_name_id_number_or_phone_of_the_project_is_in_the_file(briefing, project):
    text = briefing["text"]
    households = _read(project, "SELECT head_name, head_id_number, phone FROM household")
    persons = _read(project, "SELECT name, id_number FROM person")
    workers = _read(project, "SELECT name, id_number, phone FROM worker")
    secrets = set()
    for frame in (households, persons, workers):
        for column in frame.columns:
            secrets |= {str(v) for v in frame[column].dropna() if str(v).strip()}
    assert len(secrets) > 5000
    assert sorted(s for s in secrets if s in text) == []


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [(tag, k, v) for k, v in attrs if k in ("src", "href") and v]


def test_the_file_names_no_address(briefing, project, tmp_path):
    import xstatic.pkg.leaflet as leaflet

    text = briefing["text"]
    parser = _Links()
    parser.feed(text)
    assert [link for link in parser.links if re.match(r"\s*(https?:)?//", link[2])] == []
    assert "link" not in parser.tags
    # Leaflet itself is in the page; with it taken out no address is left at all
    script = (Path(leaflet.BASE_DIR) / "leaflet.js").read_text(encoding="utf-8")
    body = script.split("//# sourceMappingURL")[0]
    assert body in text
    assert re.findall(r"https?://|url\((?!data:|#)", text.replace(body, "")) == []
    # a basemap is there only when the user configured one
    tiles = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"
    with_tiles = tmp_path / "tiles.html"
    run_cli("briefing", project, "--out", with_tiles, "--tiles", tiles, "--json")
    assert json.dumps(tiles)[1:-1] in with_tiles.read_text(encoding="utf-8")
    assert "L.tileLayer" not in text


class _Panes(HTMLParser):
    """What each Leaflet pane of a rendered page holds (SVG paths, square icons); switches."""

    def __init__(self):
        super().__init__()
        self.stack: list[str | None] = []  # the pane each open div is in
        self.paths: dict[str, int] = {}
        self.squares: dict[str, int] = {}
        self.switches: list[tuple[str, bool]] = []  # the layer switcher's inputs

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        pane = self.stack[-1] if self.stack else None
        if tag == "div":
            named = [c[len("leaflet-"):-len("-pane")] for c in classes
                     if c != "leaflet-pane" and c.startswith("leaflet-") and c.endswith("-pane")]
            if "leaflet-pane" in classes and named:
                pane = named[0]
            if "briefing-square" in classes and pane:
                self.squares[pane] = self.squares.get(pane, 0) + 1
            self.stack.append(pane)
        elif tag == "path" and pane:
            self.paths[pane] = self.paths.get(pane, 0) + 1
        elif tag == "input" and "leaflet-control-layers-selector" in classes:
            self.switches.append((dict(attrs)["type"], "checked" in dict(attrs)))

    def handle_endtag(self, tag):
        if tag == "div" and self.stack:
            self.stack.pop()


def _chromium(*arguments, profile: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    """Headless Chromium with the network off (every request to a dead proxy)."""
    return subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
         "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
         "--no-first-run", f"--user-data-dir={profile}",
         f"--window-size={SCREEN[0]},{SCREEN[1]}", "--virtual-time-budget=5000",
         *arguments], check=True, capture_output=True, timeout=timeout, text=True)


def test_chromium_builds_every_layer_offline(briefing, tmp_path):
    dom = _chromium("--dump-dom", briefing["path"].as_uri(), profile=tmp_path / "profile")
    panes = _Panes()
    panes.feed(dom.stdout)
    layers = briefing["layers"]
    # shown on opening: the level-3 grids (the first radio button), zones, circles, sites
    assert panes.paths == {"grids": len(layers[0]["data"]["features"]),
                           "hazards": len(layers[3]["data"]["features"]),
                           "households": len(layers[5]["data"]["features"])}
    assert panes.squares == {"sites": len(layers[4]["data"]["features"])}
    assert panes.switches == [("radio", True), ("radio", False), ("radio", False),
                              ("checkbox", True), ("checkbox", True), ("checkbox", True)]


def _blend(colour: str, background=(221, 221, 221)) -> np.ndarray:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    alpha = int(colour[7:9], 16) / 255 if len(colour) == 9 else 1.0
    return alpha * rgb + (1 - alpha) * np.array(background, dtype=float)


def test_chromium_draws_the_map_offline(briefing, tmp_path):
    shot = tmp_path / "briefing.png"
    _chromium(f"--screenshot={shot}", briefing["path"].as_uri(), profile=tmp_path / "profile")
    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert pixels.shape[:2] == (SCREEN[1], SCREEN[0])
    background = np.abs(pixels - 221).max(axis=2) <= 3  # Leaflet's container grey #ddd
    assert background.mean() < 0.75  # the county fills the view
    # every coverage class the level-3 grids fall in is on screen, drawn over the grey
    classes = set(properties(briefing["layers"][0])["_c"].dropna().astype(int)) - {0}
    coverage = load_styles()["coverage"]
    for index in classes:
        colour = _blend(coverage.classes[index - 1].symbol.fill)
        share = (np.abs(pixels - colour).max(axis=2) <= 12).mean()
        assert share > 0.005, (coverage.classes[index - 1].label.zh, share)
    # the title and the legend are drawn (white boxes)
    assert (pixels[20:60, 600:800] > 250).all(axis=2).mean() > 0.3


def test_a_project_without_a_campaign_outlines_the_grids(project, tmp_path):
    import shutil

    copy = tmp_path / "no-campaign.gmp"
    shutil.copy(project, copy)
    with sqlite3.connect(copy) as connection:
        for table in ("investigation_record", "campaign_milestone", "campaign_township",
                      "campaign"):
            connection.execute(f"DELETE FROM {table}")
    out = tmp_path / "b.html"
    payload = run_cli("briefing", copy, "--out", out, "--json")
    assert payload["campaign"] is None and payload["layers"] == LAYERS
    text = out.read_text(encoding="utf-8")
    grids = properties(page_layers(text)[0])
    assert (grids["_c"] == 0).all() and grids[["households", "coverage_label"]].isna().all().all()
    assert "无集中排查" in text
    with pytest.raises(SystemExit):
        main(["briefing", str(copy)])  # --out is required
    assert main(["briefing", str(copy), "--out", str(out), "--campaign", "2023"]) == 1
