"""Editing households from the map: placing a 位置未知 household where the user clicks.

A click inside another village than the one the household is registered in is refused unless
the caller confirms it (``other_village=True``): the household would then count in that
village's grids and rebalancing. :meth:`HouseholdService.village_conflict` says so beforehand,
naming both villages, so a window can ask first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from gis_app.core.changes import ChangeSet
from gis_app.core.codes import LocationSource


@dataclass(frozen=True)
class Placement:
    """Where a household was placed: its level-3 grid (None outside every grid)."""

    household_id: int
    grid_id: int | None
    grid_code: str | None
    changes: ChangeSet


@dataclass(frozen=True)
class VillageConflict:
    """A point outside the household's registered village: who, where it belongs, where it is.

    ``found`` is None when the point is in no village at all.
    """

    head_name: str
    registered: str
    found: str | None

    def message(self) -> str:
        """The refusal, in Chinese, naming both villages."""
        if self.found:
            return (f"户主{self.head_name}登记在{self.registered}，所选位置在{self.found}；"
                    "放到别村须先确认")
        return f"户主{self.head_name}登记在{self.registered}，所选位置不在任何村内；须先确认"


class OtherVillageError(ValueError):
    """A placement outside the registered village that was not confirmed."""

    def __init__(self, conflict: VillageConflict):
        self.conflict = conflict
        super().__init__(conflict.message())


class HouseholdService:
    """Household edits on a :class:`~gis_app.services.session.ProjectSession`."""

    def __init__(self, session):
        self.session = session

    def _row(self, household_id: int) -> int:
        """The household's row in the session's frame (sorted by id)."""
        ids = self.session.households["id"].to_numpy()
        at = int(np.searchsorted(ids, int(household_id)))
        if at >= len(ids) or ids[at] != int(household_id):
            raise ValueError(f"项目中没有编号为{household_id}的农户")
        return at

    def village_conflict(self, household_id: int, x: float, y: float) -> VillageConflict | None:
        """Whether map point (x, y) lies outside the household's registered village.

        None when it lies inside (its boundary included) or when the registered village has
        no boundary to compare with.
        """
        households = self.session.households
        village_id = households["village_id"].to_numpy()[self._row(household_id)]
        units = self.session.frame("admin_units")  # arrays, not a filtered copy: per click
        geoms = np.asarray(units.geometry.to_numpy(), dtype=object)
        villages = units["level"].to_numpy() == 3
        own = np.flatnonzero(villages & (units["id"].to_numpy() == village_id)) if \
            not pd.isna(village_id) else np.empty(0, dtype=np.int64)
        if not len(own) or shapely.is_missing(geoms[own[0]]) or shapely.is_empty(geoms[own[0]]):
            return None
        if shapely.intersects_xy(geoms[own[0]], float(x), float(y)):
            return None
        usable = np.flatnonzero(villages & ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
        inside = usable[shapely.contains_xy(geoms[usable], float(x), float(y))]
        names = units["name"].to_numpy()
        head = self.session.household_columns(["head_name"], [int(household_id)])
        return VillageConflict(str(head["head_name"].iloc[0]), str(names[own[0]]),
                               str(names[inside[0]]) if len(inside) else None)

    def place(self, household_id: int, x: float, y: float,
              other_village: bool = False) -> Placement:
        """Set a household's location to map point (x, y) and its grid by location.

        The household must still be at the version the session shows (a placement made
        meanwhile in another window is not overwritten: StaleEditError).

        Parameters
        ----------
        household_id : int
            The household.
        x, y : float
            The point, in map metres.
        other_village : bool
            Confirms a point outside the household's registered village; without it such a
            placement raises :class:`OtherVillageError` (see :meth:`village_conflict`) and
            nothing is written.
        """
        households = self.session.households
        at = self._row(household_id)
        if not other_village:
            conflict = self.village_conflict(household_id, x, y)
            if conflict is not None:
                raise OtherVillageError(conflict)
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
