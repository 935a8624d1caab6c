"""The real app on a real (virtual) X screen: launched as a user would, then photographed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PyQt6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]
#: Where a run leaves its picture to be looked at (docs/screenshots/ is written by
#: scripts/screenshots.py, not by every test run).
SHOTS = Path(os.environ.get("GIS_APP_SHOT_DIR", ROOT / "tmp" / "screenshots"))


def _window_up(display: str, title: str) -> bool:
    tree = subprocess.run(
        ["xwininfo", "-root", "-tree"],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return title in tree


def _colour_share(image: QImage, hex_colour: str, tolerance: int = 12) -> float:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), dtype=np.uint8)
    pixels = pixels.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width(), :3]
    target = np.array([int(hex_colour[i : i + 2], 16) for i in (5, 3, 1)])  # BGR in memory
    return float((np.abs(pixels.astype(int) - target).max(axis=2) <= tolerance).mean())


def test_real_app_under_xvfb_shows_the_sample_county(sample_project_path, tmp_path):
    display = ":97"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    project = tmp_path / "sample.gmp"
    shutil.copy(sample_project_path, project)
    shot = SHOTS / "main_window_xvfb.png"
    env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "LANG": "zh_CN.UTF-8",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    app = None
    try:
        time.sleep(1.0)
        gis_app = Path(sys.executable).with_name("gis-app")
        app = subprocess.Popen(
            [str(gis_app), "open", str(project)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.time() + 60
        while time.time() < deadline and not _window_up(display, "网格防返贫监测 GIS"):
            assert app.poll() is None, app.stderr.read().decode()
            time.sleep(0.5)
        assert _window_up(display, "网格防返贫监测 GIS"), "the window did not appear"
        time.sleep(3.0)  # first paint and the label placement
        SHOTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-display", display, "-window", "root", str(shot)], check=True)
    finally:
        if app is not None:
            app.terminate()
            app.wait(10)
        xvfb.terminate()
        xvfb.wait(10)
    image = QImage(str(shot))
    assert image.width() == 1600 and image.height() == 1000
    # The map is drawn: village fill, monitored households and flood zones are all on screen.
    assert _colour_share(image, "#fbf8ef") > 0.05
    assert _colour_share(image, "#e8590c", 30) > 0.0005
    assert _colour_share(image, "#1c7ed6", 30) > 0.0005
