"""The visit list's route map: every number readable, none over another or over a point.

The PDF is read back with poppler (``pdftotext -bbox``: where each number was written) and the
points are placed independently from the store with pyproj; the PNG is read at the points.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pyproj
import pytest
from PIL import Image

from gis_app.reports import visit_list as report
from gis_app.services import visit_list_service as service
from gis_app.storage.project import open_project


@pytest.fixture
def busy_worker(sample_project_path, tmp_path):
    """A copy of the sample and its village worker with the most households to visit."""
    path = tmp_path / "copy.gmp"
    shutil.copy(sample_project_path, path)
    with sqlite3.connect(path) as connection:
        worker = pd.read_sql_query(
            "SELECT a.worker_id, count(*) AS n FROM grid_assignment a JOIN grid g ON "
            "g.id = a.grid_id JOIN household h ON h.village_id = g.admin_unit_id WHERE "
            "g.level = 2 GROUP BY a.worker_id ORDER BY n DESC, a.worker_id", connection)
    project = open_project(path)
    yield project, int(worker["worker_id"].iloc[0])
    project.close()


def _boxes_overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_route_numbers_in_the_pdf_do_not_overlap(busy_worker, tmp_path):
    project, worker = busy_worker
    visits, path = service.export_visit_list(project, worker, tmp_path / "清单.pdf")
    assert visits.count > 100  # dense enough that naive numbers collided
    html = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    words = [(w.text, *(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
             for w in ET.fromstring(html.replace('xmlns="http://www.w3.org/1999/xhtml"', ""))
             .iter("word")]
    # The map's numbers: digits written between the summary and the table, smaller than text.
    located = visits.located
    expected = located["seq"].to_numpy()[report.numbered(len(located))].astype(str)
    numbers = [w for w in words if w[0].isdigit() and (w[4] - w[2]) < 8]
    found = [w[0] for w in numbers if w[0] in set(expected)]
    assert sorted(found, key=int) == sorted(expected.tolist(), key=int)
    boxes = [w[1:] for w in numbers if w[0] in set(expected)]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not _boxes_overlap(a, b), (a, b)


def test_route_numbers_clear_of_every_point_in_the_png(busy_worker, tmp_path):
    project, worker = busy_worker
    visits = service.visit_list(project, worker)
    with sqlite3.connect(project.location) as connection:
        households = pd.read_sql_query("SELECT id, lon, lat FROM household", connection)
    located = visits.located
    lonlat = households.set_index("id").loc[located["household_id"], ["lon", "lat"]].to_numpy()
    epsg = project.settings()["gauss_kruger_epsg"]
    x, y = pyproj.Transformer.from_crs(4490, epsg, always_xy=True).transform(lonlat[:, 0],
                                                                           lonlat[:, 1])
    frame = report.MapFrame.fit(report.map_bounds(visits), 0, 0, 1600, 1000)
    px, py = frame.page(x, y)
    image = np.asarray(Image.open(__import__("io").BytesIO(report.render_map_png(visits)))
                       .convert("RGB")).astype(int)
    # Every point is drawn and no number covers its centre: the point's colour is there.
    centre = image[np.round(py).astype(int), np.round(px).astype(int)]
    blue, green = np.array(report._POINT_COLOUR), np.array((47, 158, 68))
    drawn = np.minimum(np.abs(centre - blue).max(axis=1), np.abs(centre - green).max(axis=1))
    assert (drawn <= 30).mean() > 0.97  # a few points lie on one another
    # Where the numbers go: beside their points, all of them, clear of points and each other.
    from PIL import ImageFont

    font = ImageFont.truetype(str(report.find_cjk_font()), 18, index=0)
    labelled = report.numbered(len(located))
    sizes = np.array([[np.nan, np.nan] if not keep else
                      (lambda b: (b[2] - b[0], b[3] - b[1]))(
                          font.getbbox(str(seq), anchor="lt", stroke_width=2))
                      for seq, keep in zip(located["seq"], labelled, strict=True)])
    places = report.place_numbers(px, py, sizes[:, 0], sizes[:, 1], 6, (4, 4, 1596, 996),
                                  spacing=3)
    assert np.isfinite(places[labelled, 0]).all()
    boxes = np.column_stack([places[:, 0], places[:, 1], places[:, 0] + sizes[:, 0],
                             places[:, 1] + sizes[:, 1]])[labelled]
    discs = np.column_stack([px - 6, py - 6, px + 6, py + 6])
    for i, box in enumerate(boxes):
        assert not any(_boxes_overlap(box, other) for other in boxes[i + 1:])
        assert not any(_boxes_overlap(box, disc) for disc in discs)
    near = places[labelled, 2] == 0
    assert near.mean() > 0.4  # many touch their point; the rest have a leader line
