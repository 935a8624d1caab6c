"""Attribute table with 1,000,000 rows, offscreen: show, sort, filter, selection sync, scroll.

Run: ``.venv/bin/python benchmarks/table_bench.py``; prints Markdown rows.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def bench_table(n: int = 1_000_000) -> list[tuple[str, float]]:
    """Seconds for each table operation a user does on ``n`` rows."""
    from gis_app.ui.app import application
    from gis_app.ui.i18n import Translator
    from gis_app.ui.panels.attribute_table import AttributeTable

    app = application()
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "id": np.arange(n), "head_name": rng.choice(["张三", "李四", "王五", "赵六"], n),
        "head_id_number": [f"43059919800101{i % 10000:04d}" for i in range(n)],
        "members": rng.integers(1, 8, n), "attribute": rng.integers(1, 4, n),
        "income_per_person": rng.uniform(3000, 30000, n)})
    table = AttributeTable(Translator("zh"))
    table.resize(1200, 600)
    table.show()
    rows = []

    def timed(what, action):
        start = time.perf_counter()
        action()
        app.processEvents()
        rows.append((what, time.perf_counter() - start))

    timed(f"show {n:,} rows", lambda: table.show_layer("households", frame, "zh", False))
    timed("sort by 家庭人口数", lambda: table.model.sort(3))
    table.expression.setText("attribute == 2 and members >= 4")
    timed("filter by expression", table.apply_expression)
    mask = np.zeros(n, dtype=bool)
    mask[::3] = True
    timed(f"show a map selection of {mask.sum():,} rows", lambda: table.select_features(mask))
    timed("scroll to the last row", table.view.scrollToBottom)
    table.close()
    return rows


if __name__ == "__main__":
    print("| attribute table operation | seconds |")
    print("|---|---:|")
    for what, seconds in bench_table():
        print(f"| {what} | {seconds:.3f} |")
