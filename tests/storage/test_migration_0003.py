"""Migration 0003 (hazard events, clues per event, threat radius) on a project made before it.

A project at revision 0002 with a clue that a monitoring case refers to is opened: it is
upgraded in place on both back ends, its rows kept, and the new uniqueness holds. Going back
to 0002 and up again keeps the rows too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from gis_app.storage import project as project_module
from gis_app.storage.project import make_engine, open_project

HOUSEHOLD = (
    "INSERT INTO household (id, head_name, head_id_number, members, attribute, grid_override, "
    "location_source, no_labour_support, relocated, dibao, tekun, severe_illness, disability, "
    "housing_problem, education_problem, insurance_problem, water_problem, risk_eliminated, "
    "version) VALUES (1, '张三', '430599198001010011', 3, 2, false, '位置未知', false, false, "
    "false, false, false, false, false, false, false, false, false, 1)")


def _migrate(engine, revision: str, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location",
                           str(Path(project_module.__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_project(request, tmp_path):
    """A project left at revision 0002, with a clue a case refers to and a hazard point."""
    location = str(tmp_path / "old.gmp") if request.param == "sqlite" else \
        request.getfixturevalue("pg_url")
    engine = make_engine(location)
    _migrate(engine, "0002")
    with engine.begin() as connection:
        connection.execute(text(HOUSEHOLD))
        connection.execute(text(
            "INSERT INTO risk_clue (id, household_id, channel, found_on, version) "
            "VALUES (1, 1, '农户自主申报', '2025-01-02', 1)"))
        connection.execute(text(
            "INSERT INTO monitoring_case (id, household_id, clue_id, kind, started_on, status, "
            "version) VALUES (1, 1, 1, '识别认定', '2025-01-03', '办理中', 1)"))
        connection.execute(text(
            "INSERT INTO hazard_point (id, code, name, kind, level, version) "
            "VALUES (1, 'YH1', '隐患点1', '滑坡', 2, 1)"))
    engine.dispose()
    return location


def _rows(project, sql):
    with project.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(sql))]


def test_opening_an_old_project_upgrades_it_and_keeps_its_rows(old_project):
    project = open_project(old_project)
    try:
        assert _rows(project, "SELECT version_num FROM alembic_version") == \
            [(project_module.schema_head(),)]
        assert _rows(project, "SELECT id, event_id FROM risk_clue") == [(1, None)]
        assert _rows(project, "SELECT clue_id FROM monitoring_case") == [(1,)]
        assert _rows(project, "SELECT code, threat_radius FROM hazard_point") == [("YH1", None)]
        with project.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO hazard_event (id, code, name, kind, occurred_on, digest, version) "
                "VALUES (1, 'ZQ1', '洪涝', '洪涝', '2025-09-26', 'abc', 1)"))
            connection.execute(text(
                "INSERT INTO risk_clue (id, household_id, channel, found_on, event_id, version) "
                "VALUES (2, 1, '灾害', '2025-09-26', 1, 1)"))
            connection.execute(text("UPDATE hazard_point SET threat_radius = 250.0"))
        # One household, one clue per event; clues without an event stay free.
        with pytest.raises(IntegrityError), project.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO risk_clue (id, household_id, channel, found_on, event_id, version) "
                "VALUES (3, 1, '灾害', '2025-09-27', 1, 1)"))
        with project.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO risk_clue (id, household_id, channel, found_on, version) "
                "VALUES (4, 1, '关联监测', '2025-09-27', 1)"))
        # An event with clues cannot go away under them.
        with pytest.raises(IntegrityError), project.engine.begin() as connection:
            connection.execute(text("DELETE FROM hazard_event WHERE id = 1"))
    finally:
        project.close()


def test_down_to_0002_and_up_again_keeps_the_rows(old_project):
    open_project(old_project).close()
    engine = make_engine(old_project)
    try:
        _migrate(engine, "0002", down=True)
        with engine.connect() as connection:
            columns = connection.execute(text("SELECT * FROM risk_clue")).keys()
            assert "event_id" not in columns
            assert connection.execute(text("SELECT clue_id FROM monitoring_case")).all() == \
                [(1,)]
        _migrate(engine, "head")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id, event_id FROM risk_clue")).all() == \
                [(1, None)]
    finally:
        engine.dispose()
