"""Benchmark: the briefing web map of a county, beside a plain folium map in the same run.

Run ``python benchmarks/briefing_bench.py [--households 120000] [--repeat 3]``. A synthetic
county of that size is built once into ``benchmarks/_work/briefing-<n>.gmp`` (copied from
run.py's ``county-<n>.gmp`` when that exists). Rows:

- the whole command (``gis-app briefing``): open the project, read what the map shows (the
  snapshot cache kept from a first run), count the campaign's coverage, gather, simplify,
  write the HTML;
- the same from a session already loaded (the window's menu action);
- the baseline in the same run: a plain folium map of the same frames unsimplified (the
  three grid levels with their coverage, coloured by a Python ``style_function`` per feature,
  tooltips; the hazard zones; the sites) saved as HTML: what folium gives without this work
  (``GeoDataFrame.explore()`` needs matplotlib and mapclassify, which the project does not
  install). It links Leaflet, jQuery and Bootstrap from CDNs, so it does not open offline,
  and carries every vertex at full precision;
- headless Chromium opening the briefing file with the network off and drawing it (wall time
  to the screenshot).

File sizes are printed beside the times.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.common import county_copy, timed  # noqa: E402

WORK = ROOT / "benchmarks" / "_work"



def county(households: int) -> Path:
    """This benchmark's county of ``households`` households."""
    return county_copy("briefing", households)



def baseline(session, out: Path) -> Path:
    """Plain folium: GeoJson of the raw frames, a Python style function per feature."""
    import folium

    from gis_app.services.briefing_service import grid_coverage

    colours = ["#e03131", "#f76707", "#fcc419", "#2f9e44"]

    def style(feature):
        value = feature["properties"]["coverage"]
        if value is None:
            return {"fillOpacity": 0, "color": "#868e96", "weight": 1}
        index = sum(value >= bound for bound in (0.5, 0.7, 0.9))
        return {"fillColor": colours[index], "fillOpacity": 0.7, "color": "#868e96",
                "weight": 1}

    tracker = session.coverage()
    fmap = folium.Map(tiles=None)
    for level in (3, 2, 1):
        grids = grid_coverage(session.grids, tracker.table(level, sort=False), level)
        grids = grids.drop(columns=["coverage_label"]).to_crs(4326)
        folium.GeoJson(grids, name=f"level {level}", style_function=style,
                       tooltip=folium.GeoJsonTooltip(["name", "code", "households",
                                                      "coverage"])).add_to(fmap)
    zones = session.frame("hazard_zones")[["code", "name", "kind", "level", "geometry"]]
    folium.GeoJson(zones.to_crs(4326), name="hazards",
                   tooltip=folium.GeoJsonTooltip(["name", "kind", "level"])).add_to(fmap)
    sites = session.frame("sites")[["code", "name", "kind", "capacity", "geometry"]]
    folium.GeoJson(sites.to_crs(4326), name="sites").add_to(fmap)
    folium.LayerControl().add_to(fmap)
    fmap.fit_bounds(fmap.get_bounds())
    fmap.save(str(out))
    return out


def chromium_open(path: Path, shot: Path) -> float:
    """Seconds for headless Chromium, network off, to open the file and take a screenshot."""
    with tempfile.TemporaryDirectory() as profile:
        start = time.perf_counter()
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                        "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                        f"--user-data-dir={profile}", f"--screenshot={shot}",
                        "--window-size=1400,900", path.as_uri()],
                       check=True, capture_output=True, timeout=300)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=120_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("GIS_APP_CACHE_DIR", tempfile.mkdtemp(prefix="briefing-bench-"))

    from gis_app.services.briefing_service import write_briefing_map
    from gis_app.services.session import ProjectSession
    from gis_app.storage.project import open_project

    path = county(args.households)
    out_dir = Path(tempfile.mkdtemp(prefix="briefing-bench-out-"))
    out, raw = out_dir / "briefing.html", out_dir / "explore.html"

    def command():
        session = ProjectSession(open_project(path))
        try:
            return write_briefing_map(session, out)
        finally:
            session.close()

    first, _ = timed(command, 1)  # writes the table snapshots into the cache
    whole, written = timed(command, args.repeat)
    session = ProjectSession(open_project(path))
    session.load()
    session.coverage()
    loaded, _ = timed(lambda: write_briefing_map(session, out), args.repeat)
    explore, _ = timed(lambda: baseline(session, raw), args.repeat)
    opened = chromium_open(out, out_dir / "briefing.png")
    grids = session.grids.groupby("level").size().to_dict()
    households = len(session.households)
    session.close()

    mb = 1e6
    print(f"\nBriefing web map: {households:,} households, grids per level {grids}, "
          f"{len(written.layers)} layers; median of {args.repeat}\n")
    print("| step | time | file |")
    print("| --- | ---: | ---: |")
    print(f"| `gis-app briefing` (open, read, count, write), first run (snapshots written) "
          f"| {first:.2f} s | {written.bytes / mb:.1f} MB |")
    print(f"| `gis-app briefing`, snapshots kept | {whole:.2f} s | {written.bytes / mb:.1f} MB |")
    print(f"| from a loaded session (the window's menu action) | {loaded:.2f} s | "
          f"{written.bytes / mb:.1f} MB |")
    print(f"| baseline: plain folium GeoJson of the raw frames (CDN links, not offline) | "
          f"{explore:.2f} s | {raw.stat().st_size / mb:.1f} MB |")
    print(f"| headless Chromium, network off: open the briefing file and draw it | "
          f"{opened:.2f} s | |")
    print(f"\nfiles: {out_dir}")


if __name__ == "__main__":
    main()
