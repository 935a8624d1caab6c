"""Random sequences of edits, undos and redos: the session always equals a fresh load of the
store, a redo gives back the rows its undo took away, and undoing everything gives back every
table (but the audit log) row for row.

Hypothesis drives the services as the window does (assign, unassign, edit and retire workers,
record visits, split, merge and draw grids, place households, undo, redo) on a small synthetic
county, on SQLite and on PostGIS. Versions only move forward, so they are the one column allowed to
differ after undoing everything (they must not go back: see gis_app/storage/uow.py).
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import text

from gis_app.core.assignments import ROLE_BY_LEVEL
from gis_app.services.assignment_service import AssignmentService
from gis_app.services.grid_edit_service import GridEditService
from gis_app.services.household_service import HouseholdService
from gis_app.services.record_service import RecordService
from gis_app.services.session import ProjectSession
from gis_app.storage.models import Base
from gis_app.storage.project import open_project

#: Tables the audit machinery owns: they grow with every edit and undo.
AUDIT_TABLES = {"audit_log", "edit"}
#: What the session keeps, compared with a fresh session after every step.
SOURCES = ("households", "grids", "admin_units", "workers", "assignments", "helper_pairs",
           "campaigns")


def snapshot(project) -> dict[str, pd.DataFrame]:
    """Every table but the audit log, rows by key, versions kept apart."""
    tables = {}
    with project.engine.connect() as connection:
        for name, table in Base.metadata.tables.items():
            if name in AUDIT_TABLES:
                continue
            keys = [c.name for c in table.primary_key.columns]
            frame = pd.DataFrame(connection.execute(
                text(f"SELECT * FROM {name} ORDER BY {', '.join(keys)}")).mappings().all())
            if "geom" in frame:
                # NULL comes as NaN where pandas made a text column of PostGIS's hex WKB
                frame["geom"] = [None if g is None or (isinstance(g, float) and g != g)
                                 else shapely.normalize(shapely.from_wkb(g))
                                 for g in frame["geom"]]
            tables[name] = frame
    return tables


def assert_same_rows(before: dict, after: dict) -> None:
    for name, old in before.items():
        new = after[name]
        assert list(new.columns) == list(old.columns), name
        assert len(new) == len(old), f"{name}: {len(old)} rows before, {len(new)} after"
        if "version" in old:
            assert (new["version"].to_numpy() >= old["version"].to_numpy()).all(), name
            old, new = old.drop(columns="version"), new.drop(columns="version")
        for column in old.columns:
            if column == "geom":
                same = [a is None and b is None or (a is not None and b is not None and
                                                    shapely.equals_exact(a, b, 1e-9))
                        for a, b in zip(old[column], new[column], strict=True)]
                assert all(same), f"{name}.geom differs"
            else:
                pd.testing.assert_series_equal(old[column], new[column], check_dtype=False,
                                               obj=f"{name}.{column}")


def assert_session_is_fresh(session: ProjectSession) -> None:
    fresh = ProjectSession(open_project(session.project.location), user="检查")
    try:
        for name in SOURCES:
            if not session.sources[name].loaded:
                continue
            mine = session.frame(name).reset_index(drop=True)
            theirs = fresh.frame(name).reset_index(drop=True)
            pd.testing.assert_frame_equal(mine, theirs[mine.columns], check_dtype=False,
                                          obj=name)
        tracker = session._tracker
        if tracker is not None and fresh.campaign_id == tracker[0]:
            fresh.set_campaign(tracker[0])
            for level in (1, 2, 3):
                pd.testing.assert_frame_equal(tracker[1].table(level), fresh.coverage().table(
                    level), check_dtype=False, obj=f"coverage level {level}")
    finally:
        fresh.close()


class SessionMachine(RuleBasedStateMachine):
    """Edits, undos and redos through the services, checked against the store after every step."""

    #: Edits that went through, by service call, over the whole run (the test checks variety).
    done: Counter = Counter()

    def __init__(self):
        super().__init__()
        self.session = ProjectSession(open_project(self.make_location()), user="测试员")
        self.before = snapshot(self.session.project)
        self.roster = AssignmentService(self.session)
        self.grids = GridEditService(self.session)
        self.places = HouseholdService(self.session)
        self.records = RecordService(self.session)
        self.session.coverage()  # counted from the start, kept by the session from here
        #: The store before each undo that can still be redone, the next to redo last.
        self.undone: list[dict[str, pd.DataFrame]] = []

    def make_location(self) -> str:  # replaced by the test
        raise NotImplementedError

    def try_edit(self, action, *args, **kwargs):
        """A refused edit (ValueError in Chinese) is fine: it must have written nothing."""
        steps = len(self.session.undo_stack)
        try:
            result = action(*args, **kwargs)
        except ValueError:
            return None
        self.done[action.__name__] += 1
        if len(self.session.undo_stack) > steps:  # it wrote rows: nothing left to redo
            assert not self.session.can_redo()
            self.undone.clear()
        return result

    # -- workers and assignments
    @rule(data=st.data())
    def assign(self, data):
        workers = self.session.workers
        active = workers.loc[workers["active"].astype(bool), "id"].tolist()
        if not active:
            return
        grid = data.draw(st.sampled_from(self.session.grids[["id", "level"]].to_dict("records")))
        worker = data.draw(st.sampled_from(active))
        self.try_edit(self.roster.assign, [worker], [int(grid["id"])],
                      ROLE_BY_LEVEL[int(grid["level"])])

    @rule(data=st.data())
    def unassign(self, data):
        now = self.session.current_assignments()
        if len(now):
            row = data.draw(st.sampled_from(now["id"].astype(int).tolist()))
            self.try_edit(self.roster.unassign, [row])

    @rule(data=st.data(), phone=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
    def edit_worker(self, data, phone):
        worker = data.draw(st.sampled_from(self.session.workers.to_dict("records")))
        self.try_edit(self.roster.edit_worker, int(worker["id"]), int(worker["version"]),
                      phone=phone)

    @rule(data=st.data())
    def retire_worker(self, data):
        workers = self.session.workers
        active = workers.loc[workers["active"].astype(bool), "id"].tolist()
        if active:
            self.try_edit(self.roster.retire_worker, int(data.draw(st.sampled_from(active))))

    # -- the investigation
    @rule(data=st.data(), method=st.sampled_from([1, 2]), away=st.booleans(),
          offset=st.integers(-3, 40))
    def record_visit(self, data, method, away, offset):
        ids = self.records.tracker.ids
        household = int(data.draw(st.sampled_from(list(ids))))
        day = self.records.campaign["start_date"] + dt.timedelta(days=offset)
        self.try_edit(self.records.add_record, household, method=method, checked_on=day,
                      checker="王检查", whole_household_away=away)

    # -- grids
    def _level3(self):
        grids = self.session.grids
        return grids[grids["level"] == 3]

    @rule(data=st.data(), angle=st.floats(0, np.pi))
    def split_by_line(self, data, angle):
        grid = data.draw(st.sampled_from(self._level3().to_dict("records")))
        centre = grid["geometry"].representative_point()
        dx, dy = np.cos(angle) * 5000, np.sin(angle) * 5000
        lon, lat = self.session.to_lonlat([centre.x - dx, centre.x + dx],
                                          [centre.y - dy, centre.y + dy])
        self.try_edit(self.grids.split_by_line, int(grid["id"]),
                      shapely.LineString(np.column_stack([lon, lat])))

    @rule(data=st.data())
    def merge(self, data):
        level3 = self._level3()
        grid = data.draw(st.sampled_from(level3.to_dict("records")))
        neighbours = level3[(level3["admin_unit_id"] == grid["admin_unit_id"])
                            & (level3["id"] != grid["id"])
                            & level3.geometry.touches(grid["geometry"])]
        if len(neighbours):
            other = int(data.draw(st.sampled_from(neighbours["id"].tolist())))
            self.try_edit(self.grids.merge, [int(grid["id"]), other])

    @rule(data=st.data(), radius=st.floats(60, 400))
    def draw_grid(self, data, radius):
        households = self.session.households.dropna(subset=["x"])
        spot = data.draw(st.sampled_from(households[["x", "y"]].to_numpy().tolist()))
        circle = shapely.Point(spot).buffer(radius, 8)
        lon, lat = self.session.to_lonlat(*shapely.get_coordinates(circle).T)
        self.try_edit(self.grids.add_grid, shapely.Polygon(np.column_stack([lon, lat])))

    @rule(data=st.data())
    def place_household(self, data):
        households = self.session.households
        unlocated = households.loc[households["x"].isna(), "id"].tolist()
        if not unlocated:
            return
        household = int(data.draw(st.sampled_from(unlocated)))
        village = households.loc[households["id"] == household, "village_id"].iloc[0]
        level3 = self._level3()
        # mostly in the household's own village; elsewhere only when the user confirms
        own = level3[level3["admin_unit_id"] == village]
        elsewhere = len(own) == 0 or data.draw(st.integers(0, 3)) == 0
        grid = data.draw(st.sampled_from((level3 if elsewhere else own).to_dict("records")))
        spot = grid["geometry"].representative_point()
        self.try_edit(self.places.place, household, spot.x, spot.y,
                      other_village=elsewhere and data.draw(st.booleans()))

    @rule()
    def undo(self):
        if self.session.can_undo():
            before = snapshot(self.session.project)
            self.session.undo()
            self.undone.append(before)
            self.done["undo"] += 1

    @rule()
    def redo(self):
        assert self.session.can_redo() == bool(self.undone)
        if self.session.can_redo():
            self.session.redo()
            assert_same_rows(self.undone.pop(), snapshot(self.session.project))
            self.done["redo"] += 1

    @rule(undos=st.integers(1, 3), redos=st.integers(1, 3))
    def undo_then_redo(self, undos, redos):
        """Back a few edits, then forward again (each redo gives back its undo's rows)."""
        for step in [self.undo] * undos + [self.redo] * redos:
            step()
            assert_session_is_fresh(self.session)

    @invariant()
    def session_equals_a_fresh_load(self):
        assert_session_is_fresh(self.session)

    def teardown(self):
        try:
            while self.session.can_undo():
                self.session.undo()
            assert_same_rows(self.before, snapshot(self.session.project))
            assert_session_is_fresh(self.session)
        finally:
            self.session.close()


@pytest.fixture(scope="module")
def small_county(tmp_path_factory):
    """A small synthetic county (800 households, a campaign, some without a location)."""
    from gis_app.services.sample_service import create_sample_project

    path = tmp_path_factory.mktemp("small") / "small.gmp"
    create_sample_project(path, households=800).close()
    return path


def run_machine(make_location, examples: int) -> Counter:
    """Run the machine; returns how many of each edit went through."""
    machine = type("Machine", (SessionMachine,), {"make_location": staticmethod(make_location),
                                                  "done": Counter()})
    machine.TestCase.settings = settings(
        # derandomized: the same runs every time, so the variety asserted below is not luck
        max_examples=examples, stateful_step_count=20, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                               HealthCheck.filter_too_much])
    machine.TestCase().runTest()
    return machine.done


def assert_varied(done: Counter) -> None:
    """The run exercised every kind of edit, not only refusals."""
    wanted = {"assign", "unassign", "edit_worker", "retire_worker", "add_record",
              "split_by_line", "merge", "add_grid", "place", "undo", "redo"}
    assert wanted <= {name for name, count in done.items() if count}, done

def test_random_edits_and_undos_on_sqlite(small_county, tmp_path):
    def fresh_copy():
        copy = tmp_path / f"{uuid.uuid4().hex[:8]}.gmp"
        shutil.copy(small_county, copy)
        return str(copy)

    assert_varied(run_machine(fresh_copy, examples=10))


@pytest.mark.postgres
def test_random_edits_and_undos_on_postgis(small_county, pg_server):
    import psycopg

    from gis_app.services.sample_service import create_sample_project

    base = pg_server.rsplit("/", 1)[0]
    template = f"gis_small_{uuid.uuid4().hex[:8]}"
    made = []
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {template}")
    create_sample_project(f"{base}/{template}", households=800).close()

    def fresh_copy():
        name = f"gis_sm_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(pg_server, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        made.append(name)
        return f"{base}/{name}"

    try:
        done = run_machine(fresh_copy, examples=6)
    finally:
        with psycopg.connect(pg_server, autocommit=True) as connection:
            for name in [*made, template]:
                connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    assert done["undo"] and sum(done.values()) > 10, done
