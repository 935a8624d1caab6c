"""The project session: frames kept equal to the store; other sessions' and processes' commits
arrive as change sets (SQLite: data_version; PostgreSQL: LISTEN/NOTIFY)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

from gis_app.services.assignment_service import AssignmentService
from gis_app.services.household_service import HouseholdService
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project
from gis_app.storage.uow import StaleEditError


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def location(request, sample_project_path, tmp_path):
    """A private copy of the sample county, as a file or on the PostGIS test server."""
    if request.param == "sqlite":
        copy = tmp_path / "p.gmp"
        shutil.copy(sample_project_path, copy)
        return str(copy)
    return request.getfixturevalue("pg_sample_url")


def session_on(location, user, watch=True):
    return ProjectSession(open_project(location), user=user, watch=watch)


def frames_equal(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True),
                                  check_dtype=False, check_like=True)


def wait_for(session, predicate, seconds=5.0):
    """Refresh as the window's timer does until ``predicate()`` holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        session.refresh()
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_placing_a_household_updates_the_lean_frame_like_a_fresh_load(location):
    session = session_on(location, "甲", watch=False)
    households = session.households
    unlocated = households.loc[households["x"].isna(), "id"].to_numpy()
    assert len(unlocated)
    grid = session.grids[session.grids["level"] == 3].iloc[0]
    spot = grid.geometry.representative_point()
    placement = HouseholdService(session).place(int(unlocated[0]), spot.x, spot.y)
    assert placement.grid_id == int(grid["id"])
    fresh = session_on(location, "检查", watch=False)
    frames_equal(session.households, fresh.households)
    row = session.households.set_index("id").loc[int(unlocated[0])]
    assert abs(row["x"] - spot.x) < 1e-3 and row["grid_id"] == grid["id"]
    session.undo()
    frames_equal(session.households.drop(columns="version"),
                 households.drop(columns="version"))


def test_another_sessions_commit_arrives_as_a_change_set(location):
    mine, theirs = session_on(location, "甲"), session_on(location, "乙")
    worker = mine.workers.iloc[0]
    assert mine.refresh() is None  # nothing yet
    received = []
    mine.events.workers.connect(received.append)
    AssignmentService(theirs).edit_worker(int(worker["id"]), int(worker["version"]),
                                          unit="县农业农村局")
    assert wait_for(mine, lambda: bool(received))
    assert received[0].updated == {int(worker["id"])}
    assert mine.workers.set_index("id").loc[int(worker["id"]), "unit"] == "县农业农村局"
    # Its own edits do not come back as someone else's.
    AssignmentService(mine).edit_worker(int(worker["id"]), int(worker["version"]) + 1,
                                        title="驻村第一书记")
    received.clear()
    time.sleep(0.2)
    assert mine.refresh() is None and not received


def test_a_second_save_on_a_stale_row_is_refused_and_nothing_is_lost(location):
    first, second = session_on(location, "甲"), session_on(location, "乙")
    households = first.households
    household = int(households.loc[households["x"].isna(), "id"].iloc[0])
    grids = first.grids[first.grids["level"] == 3]
    a, b = (g.representative_point() for g in grids.geometry.iloc[:2])
    assert len(second.households)  # 乙 opened the county before 甲 placed the household
    HouseholdService(first).place(household, a.x, a.y)
    with pytest.raises(StaleEditError, match="甲"):
        HouseholdService(second).place(household, b.x, b.y)
    fresh = session_on(location, "检查", watch=False).households.set_index("id")
    assert abs(fresh.loc[household, "x"] - a.x) < 1e-3  # 甲's placement kept
    assert wait_for(second, lambda: np.isfinite(
        second.households.set_index("id").loc[household, "x"]))
    HouseholdService(second).place(household, b.x, b.y)  # with the fresh version: accepted


def test_undo_after_another_session_changed_the_row_is_refused(location):
    first, second = session_on(location, "甲"), session_on(location, "乙")
    worker = first.workers.iloc[0]
    AssignmentService(first).edit_worker(int(worker["id"]), int(worker["version"]), unit="甲单位")
    assert wait_for(second, lambda: second.workers.iloc[0]["unit"] == "甲单位")
    AssignmentService(second).edit_worker(int(worker["id"]), int(worker["version"]) + 1,
                                          unit="乙单位")
    with pytest.raises(StaleEditError, match="乙"):
        first.undo()
    assert session_on(location, "检查", watch=False).workers.iloc[0]["unit"] == "乙单位"
    assert first.can_undo()


_OTHER_PROCESS = textwrap.dedent("""
    import sys
    from gis_app.services.assignment_service import AssignmentService
    from gis_app.services.session import ProjectSession
    from gis_app.storage.project import open_project

    session = ProjectSession(open_project(sys.argv[1]), user="另一进程")
    worker = session.workers.iloc[0]
    AssignmentService(session).edit_worker(int(worker["id"]), int(worker["version"]),
                                           unit="另一进程的单位")
    session.close()
""")


def test_a_commit_of_another_process_arrives_within_two_seconds(location):
    mine = session_on(location, "甲")
    worker_id = int(mine.workers.iloc[0]["id"])
    subprocess.run([sys.executable, "-c", _OTHER_PROCESS, location], check=True, timeout=120)
    start = time.monotonic()
    assert wait_for(mine, lambda: mine.workers.set_index("id").loc[worker_id, "unit"]
                    == "另一进程的单位", seconds=2.0)
    assert time.monotonic() - start < 2.0


def test_a_failed_refresh_reads_everything_again_and_says_so(location, monkeypatch):
    session = session_on(location, "甲", watch=False)
    assert len(session.workers) > 0
    errors, resets = [], []
    session.events.error.connect(errors.append)
    session.events.reset.connect(lambda: resets.append(True))
    source = session.sources["workers"]
    monkeypatch.setattr(source, "apply", lambda change: (_ for _ in ()).throw(OSError("磁盘")))
    worker = session.workers.iloc[0]
    AssignmentService(session).edit_worker(int(worker["id"]), int(worker["version"]), unit="新单位")
    assert errors and "磁盘" in errors[0] and resets
    monkeypatch.undo()
    assert session.workers.iloc[0]["unit"] == "新单位"  # read again from the store


def test_households_placed_move_in_the_coverage_counts_without_a_recount(location):
    """Placing households moves them between grids in the counts the coverage dock shows;
    the counts equal a tracker built afresh from the store (and no recount was needed)."""
    from gis_app.services.coverage_service import coverage_tracker

    session = session_on(location, "甲", watch=False)
    tracker = session.coverage()
    households = session.households
    grids = session.grids[session.grids["level"] == 3]
    service = HouseholdService(session)
    moved = 0
    for _, household in households[households["id"].isin(tracker.ids)].iterrows():
        if moved == 3:
            break
        # another level-3 grid of the household's own village
        others = grids[(grids["admin_unit_id"] == household["village_id"])
                       & (grids["id"] != household["grid_id"])]
        if not len(others):
            continue
        spot = others.geometry.iloc[0].representative_point()
        service.place(int(household["id"]), spot.x, spot.y)
        moved += 1
    assert moved == 3
    assert session.coverage() is tracker  # moved in place, not counted again
    fresh = coverage_tracker(session.project, campaign_id=session.campaign_id)
    for level in (1, 2, 3):
        frames_equal(tracker.table(level).sort_values("code", na_position="last"),
                     fresh.table(level).sort_values("code", na_position="last"))
