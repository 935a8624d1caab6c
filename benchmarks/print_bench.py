"""Printed maps: the sample's village atlas (26 pages), one A3 map as PDF and as 300 dpi PNG.

Run: ``.venv/bin/python benchmarks/print_bench.py [--repeat 3]``. The sample county is
generated into ``benchmarks/_work``.

Each figure stands beside a baseline measured in the same run, alternating with it. matplotlib
is not installed, so the baseline is the plain dump: the same pages and extents, every polygon
of the same layers drawn one by one with fpdf2's own ``polygon`` (Pillow's for the PNG), every
household one ``circle``, in one colour, with no classes, legend, labels or figures. Ours:
``print_service.prepare_print`` (layers, units, key figures) and ``write_print`` (the layout,
symbology, legend, labels, veil).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work"
BASELINE = "plain dump: fpdf2/Pillow polygon per ring, circle per household, no symbology"


def _dump_features(sheet):
    """(rings, household x, y) of the sheet's layers, as the plain dump draws them."""
    rings, points = [], []
    for layer in sheet.layers:
        if layer.geometry == "point":
            frame = layer.frame
            if "x" in frame:
                points.append(np.column_stack([frame["x"], frame["y"]]))
            continue
        parts = shapely.get_rings(shapely.get_parts(layer.frame.geometry.to_numpy()))
        rings.extend(shapely.get_coordinates(ring) for ring in parts)
    xy = np.vstack(points) if points else np.empty((0, 2))
    return rings, xy


def _dump_pdf(sheet, out: Path) -> None:
    from fpdf import FPDF

    from gis_app.reports.map_frame import MapFrame

    width, height = sheet.size_mm
    pdf = FPDF(orientation="L" if sheet.orientation == "landscape" else "P", unit="mm",
               format=sheet.paper)
    rings, xy = _dump_features(sheet)
    for page in sheet.pages:
        pdf.add_page()
        frame = MapFrame.fit(page.bounds, 10, 10, width - 20, height - 20)
        minx, miny, maxx, maxy = frame.bounds
        with pdf.rect_clip(10, 10, width - 20, height - 20):
            for ring in rings:  # every ring one call
                if ring[:, 0].max() < minx or ring[:, 0].min() > maxx or \
                        ring[:, 1].max() < miny or ring[:, 1].min() > maxy:
                    continue
                px, py = frame.page(ring[:, 0], ring[:, 1])
                pdf.polygon(list(zip(px.tolist(), py.tolist(), strict=True)))
            inside = (xy[:, 0] >= minx) & (xy[:, 0] <= maxx) & (xy[:, 1] >= miny) & \
                (xy[:, 1] <= maxy)
            px, py = frame.page(xy[inside, 0], xy[inside, 1])
            for x, y in zip(px.tolist(), py.tolist(), strict=True):
                pdf.circle(x, y, 0.5, style="F")
    pdf.output(str(out))


def _dump_png(sheet, out: Path) -> None:
    from PIL import Image, ImageDraw

    from gis_app.reports.map_frame import MapFrame
    from gis_app.reports.map_print import png_size

    size = png_size(sheet)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    rings, xy = _dump_features(sheet)
    frame = MapFrame.fit(sheet.pages[0].bounds, 0, 0, size[0], size[1])
    for ring in rings:
        px, py = frame.page(ring[:, 0], ring[:, 1])
        draw.polygon(list(zip(px.tolist(), py.tolist(), strict=True)), outline=(0, 0, 0))
    px, py = frame.page(xy[:, 0], xy[:, 1])
    for x, y in zip(px.tolist(), py.tolist(), strict=True):
        draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=(0, 0, 0))
    image.save(out, dpi=(300, 300))


def bench_print(repeat: int = 3) -> list[tuple[str, float, str, float]]:
    """(what, ours seconds, baseline name, baseline seconds), medians of ``repeat`` runs."""
    from gis_app.services.print_service import PrintOptions, prepare_print, write_print
    from gis_app.services.sample_service import create_sample_project
    from gis_app.services.session import ProjectSession
    from gis_app.storage.project import open_project

    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / "print-sample.gmp"
    if not path.exists():
        create_sample_project(path).close()
    session = ProjectSession(open_project(path), user="bench")
    session.load()
    session.coverage()  # the campaign counted once, as an open window has it
    cases = [("village atlas, 26 pages A4 (PDF)", PrintOptions(atlas="village"), ".pdf"),
             ("one map A3 landscape (PDF)", PrintOptions(paper="A3"), ".pdf"),
             ("one map A3 landscape (PNG 300 dpi)", PrintOptions(paper="A3"), ".png")]
    rows = []
    for what, options, suffix in cases:
        ours, dump = [], []
        for k in range(repeat):
            started = time.perf_counter()
            sheet = prepare_print(session, options)
            write_print(sheet, WORK / f"print-ours{suffix}")
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            sheet = prepare_print(session, options)
            (_dump_png if suffix == ".png" else _dump_pdf)(sheet, WORK / f"print-dump{suffix}")
            dump.append(time.perf_counter() - started)
            print(f"{what} run {k + 1}: {ours[-1]:.2f} s, dump {dump[-1]:.2f} s",
                  file=sys.stderr)
        rows.append((what, statistics.median(ours), BASELINE, statistics.median(dump)))
    session.close()
    return rows


def main() -> None:
    """Run and print the Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = bench_print(args.repeat)
    print("| print | ours | baseline (same run) | baseline |")
    print("|---|---:|---|---:|")
    for what, seconds, base_name, base in rows:
        print(f"| {what} | {seconds:.2f} s | {base_name} | {base:.2f} s |")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
