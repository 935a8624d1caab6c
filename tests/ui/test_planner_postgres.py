"""The planner's path on the county's PostGIS server, in the real window: a flood's footprint
imported → one 灾害 clue per household inside (against a geopandas join of the server's rows) →
one verified on a chosen day → undone."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import psycopg
import pytest
from PyQt6.QtCore import QDate, Qt

from tests.ui.conftest import open_window
from tests.ui.planner_helpers import click_cell
from tests.ui.test_grid_edit_helpers import ModalAnswers, undo
from tests.ui.test_planner_events import flood_footprint, import_footprint


def server_rows(url: str, query: str) -> pd.DataFrame:
    """A query on the server, through psycopg (not the app's engine)."""
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(query)
        return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])


@pytest.mark.postgres
def test_a_flood_on_the_server_makes_clues_one_verified_then_undone(qtbot, pg_url, tmp_path):
    from gis_app.services.sample_service import create_sample_project

    create_sample_project(pg_url).close()
    window = open_window(qtbot, pg_url, tmp_path / "pg.ini")
    answers = ModalAnswers(window, qtbot)
    try:
        path, footprint = flood_footprint(tmp_path)
        homes = server_rows(pg_url, "SELECT id, lon, lat FROM household WHERE lon IS NOT NULL")
        points = gpd.GeoDataFrame(homes, geometry=gpd.points_from_xy(homes["lon"], homes["lat"]),
                                  crs=4490)
        expected = sorted(gpd.sjoin(points, footprint.to_crs(4490),
                                    predicate="intersects")["id"].astype(int))
        assert len(expected) > 20

        import_footprint(window, qtbot, path)
        qtbot.waitUntil(lambda: bool(answers.messages), timeout=30000)
        assert f"生成{len(expected)}条风险线索" in answers.messages[-1][1]
        clues = server_rows(pg_url, "SELECT id, household_id, channel, found_on FROM risk_clue "
                                    "WHERE event_id IS NOT NULL ORDER BY household_id")
        assert clues["household_id"].astype(int).tolist() == expected
        assert set(clues["channel"]) == {"灾害"}
        assert set(clues["found_on"]) == {dt.date(2025, 9, 26)}

        panel = window.controller("events").panel
        qtbot.waitUntil(lambda: panel.model.rowCount() == len(expected), timeout=10000)
        click_cell(qtbot, panel.table, 0)
        chosen = panel.selected_clues()
        assert len(chosen) == 1
        panel.verify_date.setDate(QDate(2025, 10, 9))
        qtbot.mouseClick(panel.verify, Qt.MouseButton.LeftButton)
        verified = server_rows(pg_url, f"SELECT verified_on FROM risk_clue WHERE id = {chosen[0]}")
        assert verified["verified_on"].tolist() == [dt.date(2025, 10, 9)]
        assert panel.status_of(panel.row_of(chosen[0])) == "已核实"

        undo(window, qtbot)
        qtbot.waitUntil(lambda: panel.text(panel.row_of(chosen[0]), "verified_on") == "")
        verified = server_rows(pg_url, f"SELECT verified_on FROM risk_clue WHERE id = {chosen[0]}")
        assert verified["verified_on"].isna().all()
    finally:
        answers.stop()
        window.close()
        window.session.close()
