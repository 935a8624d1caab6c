"""Editing households from the map: placing a 位置未知 household where the user clicks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gis_app.core.changes import ChangeSet
from gis_app.core.codes import LocationSource


@dataclass(frozen=True)
class Placement:
    """Where a household was placed: its level-3 grid (None outside every grid)."""

    household_id: int
    grid_id: int | None
    grid_code: str | None
    changes: ChangeSet


class HouseholdService:
    """Household edits on a :class:`~gis_app.services.session.ProjectSession`."""

    def __init__(self, session):
        self.session = session

    def place(self, household_id: int, x: float, y: float) -> Placement:
        """Set a household's location to map point (x, y) and its grid by location.

        The household must still be at the version the session shows (a placement made
        meanwhile in another window is not overwritten: StaleEditError).
        """
        households = self.session.households
        ids = households["id"].to_numpy()
        at = int(np.searchsorted(ids, int(household_id)))  # rows sorted by id
        if at >= len(ids) or ids[at] != int(household_id):
            raise ValueError(f"项目中没有编号为{household_id}的农户")
        version = int(households["version"].to_numpy()[at])
        grid = int(self.session.grids_at(x, y, 3)[0])
        grid_id = grid if grid >= 0 else None
        lon, lat = self.session.to_lonlat(float(x), float(y))
        head = self.session.household_columns(["head_name"], [int(household_id)])
        name = head["head_name"].iloc[0]
        with self.session.edit(f"设置农户{name}的位置") as uow:
            uow.update("household", int(household_id), version,
                       lon=float(lon), lat=float(lat), grid_id=grid_id,
                       location_source=LocationSource.MANUAL.value)
        code = None
        if grid_id is not None:
            grids = self.session.grids
            code = grids.loc[grids["id"] == grid_id, "code"].iloc[0]
        return Placement(int(household_id), grid_id, code, uow.changes)

    def unlocated(self):
        """Households without a location (ids), in id order."""
        households = self.session.households
        return households.loc[np.isnan(households["x"].to_numpy(float)), "id"].to_numpy()
