"""The leaders' dashboard (工作看板): every indicator and chart of a township, village or county.

One :meth:`DashboardService.compute` gives a unit's tiles (value, target, state) and charts
(coverage against the timetable, households checked at home or by phone, monitored households
by type and by place, risk types found, clues and cases past their deadlines, hazard exposure
by kind, households per worker). It reads what the session holds and keeps per-household
arrays between calls:

- the campaign's coverage status is the session's :class:`CoverageTracker` (kept one record
  at a time); the day each household was first covered and the risk its records name are
  kept here, and a new visit record moves only its household (read back by id);
- households' units, helper pairs, clue deadlines, cases, workers' grids and the exposure are
  each derived once and derived again only when the session reports a change of what they
  rest on (the session's change sets, an undo's, another process's);

so a refresh after a visit record is a few vectorised counts over the county's households.

The first count (a second at 120,000 households, most of it the campaign's records read from
the store) is split for a window: :meth:`DashboardService.gather` takes on the window's thread
what the session holds (its frames, its tracker when kept), :func:`count_parts` derives the
parts on a worker thread (the campaign's records and, unless the session keeps one, its
tracker are read there through the project, never through the session), and
:meth:`DashboardService.adopt` takes them back on the window's thread: a part whose data were
edited meanwhile is counted again, visit records saved meanwhile are added to the campaign's.
:meth:`DashboardService.select` gives the households (or level-3 grids) a tile or a bar counts,
the same arrays the counts came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gis_app.analysis.coverage import CoverageTracker
from gis_app.core.assignments import current
from gis_app.core.codes import (
    RESPONSIBLE_ROLES,
    CaseStatus,
    CaseStep,
    HouseholdAttribute,
    MonitoringType,
    RiskType,
)
from gis_app.core.compliance import RECORD_COLUMNS, check_records, local_flags, to_days
from gis_app.core.coverage import (
    COVERED,
    NEVER,
    CoverageStatus,
    first_covered_day,
    household_positions,
    record_status,
)
from gis_app.core.dashboard import (
    CASE_STEP_DATES,
    INDICATORS,
    NO_TARGET,
    judge,
    load_bins,
    pending_step,
    timetable_target,
)
from gis_app.core.thresholds import Thresholds

#: Unit levels of the dashboard: the county, a township, a village.
COUNTY, TOWNSHIP, VILLAGE = 0, 1, 2
#: Stored entities each derived part rests on (an edit of any recomputes that part).
_RESTS_ON: dict[str, frozenset[str]] = {
    "units": frozenset({"household", "admin_unit", "grid"}),
    "pairs": frozenset({"household", "helper_pair"}),
    "clues": frozenset({"household", "risk_clue"}),
    "cases": frozenset({"household", "monitoring_case"}),
    "workers": frozenset({"household", "grid", "grid_assignment", "worker", "admin_unit"}),
    "exposure": frozenset({"household", "hazard_zone", "hazard_point", "grid", "admin_unit",
                           "helper_pair", "resettlement_site"}),
}
#: The charts, in the order shown: key → Chinese title.
CHARTS: dict[str, str] = {
    "timeline": "排查覆盖进度",
    "method": "排查方式",
    "types": "监测对象类型",
    "places": "监测对象分布",
    "risks": "风险类型",
    "clues": "风险线索核实",
    "cases": "识别与消除案件",
    "exposure": "灾害暴露",
    "load": "网格员工作量",
}
#: The tile whose households a chart's headline shows (None: a chart without a tile).
CHART_TILES: dict[str, str | None] = {
    "timeline": "coverage", "method": "home_share", "types": "paired", "places": None,
    "risks": None, "clues": "overdue_clues", "cases": "overdue_cases",
    "exposure": "exposed_unpaired", "load": "worker_load",
}
_OPEN, _OVERDUE, _VERIFIED, _LATE = "待核实", "已超期", "已核实", "超期核实"
#: Bars of the places' chart: the largest units, the others together in the last bar.
PLACES_SHOWN = 15
_ALL_TARGETS = {spec.key: (spec.target, spec.margin) for spec in INDICATORS}


@dataclass(frozen=True)
class Indicator:
    """One tile: its value, its target and its state (see :mod:`gis_app.core.dashboard`)."""

    key: str
    name: str
    kind: str
    value: float | None
    target: float | None
    state: str
    higher_is_better: bool
    #: What the value counts: (numerator, denominator) of a share, else (value, None).
    counts: tuple = (None, None)


@dataclass
class Chart:
    """A chart's bars.

    ``bars``: ``key`` (what a click selects), ``label`` (Chinese, or a place's name),
    ``value`` and, for the cases, ``overdue`` (the part past its deadline).
    """

    key: str
    title: str
    bars: pd.DataFrame


@dataclass
class Dashboard:
    """Everything the dashboard shows of one unit and campaign."""

    level: int
    code: str | None
    name: str
    campaign: dict | None
    as_of: dt.date
    indicators: dict[str, Indicator]
    charts: dict[str, Chart]
    #: ``date, covered, households, coverage, target`` from the campaign's first day to its
    #: last (``coverage`` NaN after ``as_of``).
    timeline: pd.DataFrame
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class CountInputs:
    """What the first count reads from the session, taken on the window's thread.

    ``parts``: the derived parts to count; ``epochs``: each part's edit counter when taken (a
    part edited before :meth:`DashboardService.adopt` is not taken).
    """

    parts: frozenset
    epochs: dict
    as_of: dt.date
    thresholds: Thresholds
    frames: dict
    #: The store (the campaign's records are read from it on the worker thread).
    project: object = None
    campaign: dict | None = None
    #: The session's tracker of the campaign when kept (None: built on the worker thread).
    tracker: object = None


@dataclass
class CountedParts:
    """The parts :func:`count_parts` derived (``campaign``: None when not counted)."""

    inputs: CountInputs
    parts: dict
    campaign: dict | None = None
    #: The tracker was built here (from the records up to ``last_record``).
    built_tracker: bool = False
    last_record: int = 0


def _bars(keys, labels, values, overdue=None) -> pd.DataFrame:
    keys = list(keys)
    column = np.empty(len(keys), dtype=object)
    for i, key in enumerate(keys):  # a chart's few bars (tuples kept whole)
        column[i] = key
    frame = pd.DataFrame({"key": column, "label": np.array(list(labels), dtype=object),
                          "value": np.asarray(values, dtype=np.int64)})
    if overdue is not None:
        frame["overdue"] = np.asarray(overdue, dtype=np.int64)
    return frame


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _derive_units(households, units, grids) -> dict:
    """Each household's township and village (rows of the units), grid, type (see _units)."""
    ids = units["id"].to_numpy(np.int64)
    order = np.argsort(ids)
    village_id = households["village_id"].astype("Int64").fillna(-1).to_numpy(np.int64)
    at = np.searchsorted(ids[order], village_id)
    at = np.minimum(at, max(len(ids) - 1, 0))
    found = (village_id >= 0) & (len(ids) > 0)
    found &= ids[order][at] == village_id if len(ids) else found
    row = np.where(found, order[at] if len(ids) else -1, -1)
    codes = units["code"].to_numpy(dtype=object)
    names = units["name"].to_numpy(dtype=object)
    parent = units["parent_id"].astype("Int64").fillna(-1).to_numpy(np.int64)
    parent_row = np.full(len(units), -1, dtype=np.int64)
    has_parent = parent >= 0
    if has_parent.any():
        at_parent = np.minimum(np.searchsorted(ids[order], parent[has_parent]), len(ids) - 1)
        ok = ids[order][at_parent] == parent[has_parent]
        parent_row[np.flatnonzero(has_parent)[ok]] = order[at_parent][ok]
    township_row = np.where(row >= 0, parent_row[np.maximum(row, 0)], -1)
    grid_id = households["grid_id"].astype("Int64").fillna(-1).to_numpy(np.int64)
    level3 = grids[grids["level"] == 3]
    attribute = households["attribute"].to_numpy(np.int64)
    return {
        "ids": households["id"].to_numpy(np.int64),
        "village": row, "township": township_row, "codes": codes, "names": names,
        "parent": parent_row, "grid": grid_id,
        "grid_codes": pd.Series(level3["code"].to_numpy(dtype=object),
                                index=level3["id"].to_numpy(np.int64)),
        "grid_names": pd.Series(level3["name"].to_numpy(dtype=object),
                                index=level3["id"].to_numpy(np.int64)),
        "monitored": (attribute == int(HouseholdAttribute.MONITORED))
        & ~households["risk_eliminated"].fillna(False).to_numpy(bool),
        "attribute": attribute,
        "type": households["monitoring_type"].astype("Int64").fillna(0).to_numpy(np.int64),
    }


def _campaign_records(project, campaign_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The campaign's visit records and milestones, read from the store."""
    from gis_app.storage.reader import load_table

    records = load_table(project.engine, "investigation_record",
                         ["id", "campaign_id", *RECORD_COLUMNS])
    records = records[records["campaign_id"] == campaign_id].reset_index(drop=True)
    milestones = load_table(project.engine, "campaign_milestone")
    return records, milestones[milestones["campaign_id"] == campaign_id]


def _derive_campaign(tracker, campaign: dict, records: pd.DataFrame,
                     milestones: pd.DataFrame) -> dict:
    """First covered day and risk of each of the tracker's households (see _campaign_state)."""
    start, end = _day(campaign["start_date"]), _day(campaign["end_date"])
    ids = tracker.ids.to_numpy(np.int64)
    n = len(ids)
    days = to_days(records["checked_on"].to_numpy())
    flags = check_records(records.assign(checked_on=days.astype("datetime64[D]")),
                          start, end)
    positions = household_positions(ids, records["household_id"].to_numpy())
    statuses = record_status(records["method"].to_numpy(), flags["compliant"].to_numpy())
    first = first_covered_day(n, positions, statuses, days)
    # A covered household's records agree on the answers (else they conflict): any of its
    # compliant records names its risk.
    risk = np.zeros(n, dtype=np.int64)
    compliant = flags["compliant"].to_numpy(bool) & (positions >= 0)
    has_risk = records["has_risk"].fillna(False).to_numpy(bool)
    risk_type = records["risk_type"].astype("Int64").fillna(0).to_numpy(np.int64)
    chosen = compliant & has_risk
    risk[positions[chosen]] = np.where(risk_type[chosen] > 0, risk_type[chosen],
                                       int(RiskType.OTHER))
    return {"tracker": tracker, "campaign": campaign, "start": start, "end": end,
            "first": first, "risk": risk, "milestones": milestones,
            "households": None}


def _derive_pairs(ids: np.ndarray, pairs: pd.DataFrame, as_of: dt.date) -> np.ndarray:
    """Households with a helper pair in force on the day (boolean per household)."""
    pairs = current(pairs, as_of)
    return np.isin(ids, pairs["household_id"].to_numpy(np.int64))


def _derive_clues(ids: np.ndarray, clues: pd.DataFrame, thresholds: Thresholds,
                  as_of: dt.date) -> dict:
    """Each clue's household position, status on the day and whether it is overdue."""
    from gis_app.services.clue_service import due_dates

    due, _warnings = due_dates(clues["found_on"], thresholds.clue_verify_working_days)
    verified = np.asarray(pd.to_datetime(clues["verified_on"]).to_numpy(),
                          dtype="datetime64[D]")
    today = np.datetime64(as_of, "D")
    is_open = np.isnat(verified)
    late = np.where(is_open, today, verified) > due if len(clues) else np.zeros(0, bool)
    status = np.where(is_open, np.where(late, _OVERDUE, _OPEN),
                      np.where(late, _LATE, _VERIFIED))
    return {"row": household_positions(ids, clues["household_id"].to_numpy(np.int64)),
            "status": status.astype(object), "overdue": is_open & late}


def _derive_cases(ids: np.ndarray, cases: pd.DataFrame, thresholds: Thresholds,
                  as_of: dt.date) -> dict:
    """Cases in progress: household position, the step each is at, overdue on the day."""
    cases = cases[cases["status"] == str(CaseStatus.IN_PROGRESS)]
    done = np.column_stack([cases[c].notna().to_numpy() for c in CASE_STEP_DATES]) \
        if len(cases) else np.zeros((0, len(CASE_STEP_DATES)), dtype=bool)
    started = to_days(cases["started_on"].to_numpy())
    today = to_days([as_of])[0]
    return {"row": household_positions(ids, cases["household_id"].to_numpy(np.int64)),
            "step": pending_step(done),
            "overdue": (today - started) > thresholds.identification_max_days}


def _derive_workers(units: dict, rows: pd.DataFrame, grids: pd.DataFrame,
                    admin_units: pd.DataFrame) -> dict:
    """Level-3 responsible assignments of ``rows`` (those in force): worker, grid, village."""
    roles = {str(r) for r in RESPONSIBLE_ROLES[3]}
    rows = rows[(rows["grid_level"] == 3) & rows["role"].astype(str).isin(roles)]
    rows = rows.drop_duplicates(["worker_id", "grid_id"])
    codes = pd.Series(np.arange(len(units["codes"])), index=units["codes"])
    village = rows["grid_id"].map(grids.set_index("id")["admin_unit_id"])
    village_code = village.map(admin_units.set_index("id")["code"])
    village_row = village_code.map(codes[~codes.index.duplicated()]).fillna(-1)
    return {"worker": rows["worker_id"].to_numpy(np.int64),
            "grid": rows["grid_id"].to_numpy(np.int64),
            "village": village_row.to_numpy(np.int64)}


def _in_force(assignments: pd.DataFrame, grids: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Assignments in force on the day with their grid's level (``grid_level``)."""
    rows = current(assignments, as_of)
    return rows.assign(grid_level=rows["grid_id"].map(grids.set_index("id")["level"]))


#: The parts the first count derives on a worker thread (the exposure apart).
COUNTED_PARTS = ("units", "pairs", "clues", "cases", "workers")


def count_parts(counting: CountInputs, progress=None) -> CountedParts:
    """Derive the parts of :meth:`DashboardService.gather` (on a worker thread).

    Only the frames taken are combined; the campaign's records (and its tracker, unless the
    session keeps one) are read from the store through the project, not the session.

    Parameters
    ----------
    counting : CountInputs
        From :meth:`DashboardService.gather`.
    progress : callable, optional
        ``progress(done, total)`` after each part (may raise to stop).
    """
    frames = counting.frames
    steps = len(counting.parts) + (counting.campaign is not None)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps)

    if progress is not None:
        progress(0, steps)
    out = CountedParts(counting, {})
    if counting.campaign is not None:
        campaign = counting.campaign
        tracker = counting.tracker
        if tracker is None:  # as coverage_service.coverage_tracker, from one read of records
            from gis_app.services.coverage_service import load_campaign

            data = load_campaign(counting.project, campaign_id=campaign["id"])
            records, milestones = data.records, data.milestones
            tracker = CoverageTracker(data.households, records, data.campaign["start_date"],
                                      data.campaign["end_date"], units=data.units)
            out.built_tracker = True
            out.last_record = int(records["id"].max()) if len(records) else 0
        else:
            records, milestones = _campaign_records(counting.project, campaign["id"])
        out.campaign = _derive_campaign(tracker, campaign, records, milestones)
        step()
    units = frames.get("units_state")
    if "units" in counting.parts:
        units = _derive_units(frames["households"], frames["admin_units"], frames["grids"])
        out.parts["units"] = units
        step()
    ids = units["ids"]
    as_of, thresholds = counting.as_of, counting.thresholds
    derive = {
        "pairs": lambda: _derive_pairs(ids, frames["helper_pairs"], as_of),
        "clues": lambda: _derive_clues(ids, frames["clues"], thresholds, as_of),
        "cases": lambda: _derive_cases(ids, frames["cases"], thresholds, as_of),
        "workers": lambda: _derive_workers(units, _in_force(frames["assignments"],
                                                            frames["grids"], as_of),
                                           frames["grids"], frames["admin_units"]),
    }
    for part in COUNTED_PARTS[1:]:
        if part in counting.parts:
            out.parts[part] = derive[part]()
            step()
    return out


class DashboardService:
    """The dashboard's counts of a session, kept current from its change events.

    Parameters
    ----------
    session : ProjectSession
        The session read (its sources, its current campaign's tracker).
    """

    def __init__(self, session):
        self.session = session
        self._stale: set[str] = set(_RESTS_ON)
        self._cache: dict[str, object] = {}
        self._campaign = None  # per-household state of the campaign (see _campaign_state)
        self._pending: list[int] = []  # visit records inserted since the last count
        self._day = None  # the day the kept parts were counted for
        #: Counts the edits of each part (and of the campaign): a count taken before is old.
        self._epoch: dict[str, int] = dict.fromkeys([*_RESTS_ON, "campaign"], 0)
        self.exposure = None  # an ExposureResult of the current data (None: not computed)
        #: Counts the edits that made the exposure stale: a result begun before one is old.
        self.exposure_version = 0
        events = session.events
        events.changed.connect(self._changed)
        events.reset.connect(self._reset)
        events.campaign.connect(lambda _id: self._forget_campaign())

    # -- following the session
    def _changed(self, changes) -> None:
        touched = set(changes.entities)
        for part, entities in _RESTS_ON.items():
            if touched & entities:
                self._stale.add(part)
                self._epoch[part] += 1
        if touched & _RESTS_ON["exposure"]:
            self.exposure = None
            self.exposure_version += 1
        if "investigation_record" in touched:
            change = changes["investigation_record"]
            if change.updated or change.deleted:
                self._forget_campaign()
            else:
                self._pending.extend(int(i) for i in change.inserted)
        # A campaign's dates or milestones: count again. Households moved or added need
        # nothing here: the session moves its tracker or makes a new one (_campaign_state).
        if "campaign" in touched:
            self._forget_campaign()

    def _reset(self) -> None:
        self._stale = set(_RESTS_ON)
        for part in self._epoch:
            self._epoch[part] += 1
        self.exposure = None
        self.exposure_version += 1
        self._forget_campaign()

    def _forget_campaign(self) -> None:
        self._campaign = None
        self._pending = []
        self._epoch["campaign"] += 1

    def exposure_stale(self) -> bool:
        """True when the exposure must be computed again (see :meth:`set_exposure`)."""
        return self.exposure is None

    def set_exposure(self, result, version: int | None = None) -> bool:
        """The exposure at 0 m of the session's data (computed on a worker thread).

        ``version``: :attr:`exposure_version` when the computation began; a result of data
        edited since is not taken (False).
        """
        if version is not None and version != self.exposure_version:
            return False
        self.exposure = result
        self._stale.add("exposure")
        return True

    # -- settings
    @property
    def thresholds(self) -> Thresholds:
        """The project's thresholds (household limit, clue deadline, case duration)."""
        return Thresholds.from_dict(self.session.settings.get("thresholds") or {})

    def as_of(self) -> dt.date:
        """The day the dashboard is for: the project's ``as_of`` setting, else today."""
        value = self.session.settings.get("as_of")
        return _day(value) if value else dt.date.today()

    # -- the units
    def units(self) -> pd.DataFrame:
        """Townships and their villages to choose from: ``level, code, name``, by code."""
        units = self.session.frame("admin_units")
        townships = units[units["level"] == 2].sort_values("code")
        villages = units[units["level"] == 3]
        parents = villages["parent_id"].map(units.set_index("id")["code"])
        rows = []
        for _, township in townships.iterrows():  # a county's few dozen townships
            rows.append((TOWNSHIP, township["code"], township["name"]))
            mine = villages[(parents == township["code"]).to_numpy()].sort_values("code")
            rows += [(VILLAGE, c, n) for c, n in zip(mine["code"], mine["name"], strict=True)]
        return pd.DataFrame(rows, columns=["level", "code", "name"])

    def _units(self) -> dict:
        """Each household's township and village (indices into their code arrays), its grid."""
        if "units" not in self._stale and "units" in self._cache:
            return self._cache["units"]
        session = self.session
        state = _derive_units(session.households, session.frame("admin_units"), session.grids)
        self._cache["units"] = state
        self._stale.discard("units")
        return state

    def _mask(self, level: int, code: str | None) -> tuple[np.ndarray, str]:
        """Households of the unit (all for the county) and the unit's name."""
        state = self._units()
        n = len(state["ids"])
        if level == COUNTY or code is None:
            return np.ones(n, dtype=bool), self.session.settings.get("county_name") or "全县"
        matches = np.flatnonzero(state["codes"] == code)
        if not len(matches):
            raise ValueError(f"项目中没有代码为{code}的乡镇或村")
        unit_row = int(matches[0])
        column = state["township"] if level == TOWNSHIP else state["village"]
        return column == unit_row, str(state["names"][unit_row])

    # -- the campaign's per-household state
    def _campaign_state(self):
        """Coverage status (the session's tracker), first covered day and risk per household.

        Arrays are over the tracker's households; ``position`` maps each session household to
        its place there (-1: not in the campaign's townships).
        """
        tracker = self.session.coverage()
        if tracker is None:
            self._forget_campaign()
            return None
        state = self._campaign
        if state is None or state["tracker"] is not tracker:
            state = self._campaign = self._build_campaign(tracker)
            self._pending = []
        elif self._pending:
            self._apply_records(state, self._pending)
            self._pending = []
        return state

    def _campaign_row(self) -> dict:
        campaign_id = self.session.campaign_id
        campaigns = self.session.frame("campaigns").set_index("id")
        return {"id": campaign_id, **campaigns.loc[campaign_id].to_dict()}

    def _build_campaign(self, tracker) -> dict:
        campaign = self._campaign_row()
        records, milestones = _campaign_records(self.session.project, campaign["id"])
        return _derive_campaign(tracker, campaign, records, milestones)


    def _apply_records(self, state: dict, record_ids: list[int]) -> None:
        """Move the households of new visit records (the tracker has counted them already)."""
        from gis_app.storage.reader import load_table

        records = load_table(self.session.project.engine, "investigation_record",
                             ["id", "campaign_id", *RECORD_COLUMNS], ids=sorted(set(record_ids)))
        records = records[records["campaign_id"] == state["campaign"]["id"]]
        if not len(records):
            return
        tracker = state["tracker"]
        positions = tracker.ids.get_indexer(records["household_id"].to_numpy(np.int64))
        flags = local_flags(records["method"].to_numpy(), records["checked_on"].to_numpy(),
                            records["checker"], records["whole_household_away"].to_numpy(bool),
                            state["start"], state["end"])
        ok = ~np.any(np.vstack(list(flags.values())), axis=0)
        days = to_days(records["checked_on"].to_numpy())
        answers = records[["has_risk", "risk_type"]]
        covered = {int(s) for s in COVERED}
        for i, p in enumerate(positions):  # an edit's few records
            if p < 0:
                continue
            if int(tracker.status[p]) not in covered:  # not covered, or its answers conflict
                state["first"][p] = NEVER
                state["risk"][p] = 0
                continue
            if ok[i]:
                state["first"][p] = min(int(state["first"][p]), int(days[i]))
            has_risk = bool(answers["has_risk"].iloc[i])
            kind = answers["risk_type"].iloc[i]
            state["risk"][p] = (int(kind) if not pd.isna(kind) and int(kind) > 0
                                else int(RiskType.OTHER)) if has_risk else 0

    def _campaign_positions(self, state: dict) -> np.ndarray:
        """Each session household's position among the campaign's households (-1: none)."""
        units = self._units()
        kept = state["households"]
        if kept is None or kept[0] is not units["ids"]:
            kept = (units["ids"], state["tracker"].ids.get_indexer(units["ids"]))
            state["households"] = kept
        return kept[1]

    # -- the other derived parts
    def _paired(self) -> np.ndarray:
        """Households with a helper pair in force on the day (boolean per household)."""
        if "pairs" not in self._stale and "pairs" in self._cache:
            return self._cache["pairs"]
        paired = _derive_pairs(self._units()["ids"], self.session.frame("helper_pairs"),
                               self.as_of())
        self._cache["pairs"] = paired
        self._stale.discard("pairs")
        return paired

    def _clues(self) -> dict:
        """Each clue's household position, status on the day and whether it is overdue."""
        if "clues" not in self._stale and "clues" in self._cache:
            return self._cache["clues"]
        state = _derive_clues(self._units()["ids"], self.session.frame("clues"),
                              self.thresholds, self.as_of())
        self._cache["clues"] = state
        self._stale.discard("clues")
        return state

    def _cases(self) -> dict:
        """Cases in progress: household position, the step each is at, overdue on the day."""
        if "cases" not in self._stale and "cases" in self._cache:
            return self._cache["cases"]
        state = _derive_cases(self._units()["ids"], self.session.frame("cases"),
                              self.thresholds, self.as_of())
        self._cache["cases"] = state
        self._stale.discard("cases")
        return state

    def _workers(self) -> dict:
        """Level-3 responsible assignments in force: worker and grid of each, grid's village."""
        if "workers" not in self._stale and "workers" in self._cache:
            return self._cache["workers"]
        session = self.session
        state = _derive_workers(self._units(), session.current_assignments(self.as_of()),
                                session.grids, session.frame("admin_units"))
        self._cache["workers"] = state
        self._stale.discard("workers")
        return state

    def _worker_loads(self, level: int, code: str | None, mask: np.ndarray):
        """Households per worker of the unit: (worker ids, their loads, worker of each pair)."""
        units = self._units()
        state = self._workers()
        grid = units["grid"]
        top = int(max(grid.max(initial=0), state["grid"].max(initial=0))) + 1
        per_grid = np.bincount(grid[mask & (grid >= 0)], minlength=top)
        keep = np.ones(len(state["worker"]), dtype=bool)
        if level != COUNTY and code is not None:
            unit_row = int(np.flatnonzero(units["codes"] == code)[0])
            village = state["village"]
            if level == VILLAGE:
                keep = village == unit_row
            else:
                keep = np.where(village >= 0, units["parent"][np.maximum(village, 0)], -1) \
                    == unit_row
        workers, inverse = np.unique(state["worker"][keep], return_inverse=True)
        loads = np.bincount(inverse, weights=per_grid[state["grid"][keep]],
                            minlength=len(workers)).astype(np.int64)
        return workers, loads, state["worker"][keep], state["grid"][keep]

    def _exposed(self) -> dict:
        """Per household: exposed to any hazard; per kind: the households exposed to it."""
        if self.exposure is None:
            return {"any": None, "kinds": {}}
        if "exposure" not in self._stale and "exposure" in self._cache:
            return self._cache["exposure"]
        ids = self._units()["ids"]
        rows = self.exposure.households
        exposed_any = np.isin(ids, rows["household_id"].to_numpy(np.int64))
        kinds = {}
        for kind, mine in rows.groupby("kind", sort=False):  # a handful of kinds
            kinds[str(kind)] = np.isin(ids, mine["household_id"].to_numpy(np.int64))
        state = {"any": exposed_any, "kinds": kinds}
        self._cache["exposure"] = state
        self._stale.discard("exposure")
        return state

    def _follow_day(self) -> dt.date:
        """The dashboard's day; a new day makes its deadlines, pairs, assignments stale."""
        as_of = self.as_of()
        if as_of != self._day:  # deadlines, pairs and assignments in force are of a day
            for part in ("pairs", "clues", "cases", "workers"):
                self._stale.add(part)
                self._epoch[part] += 1
            self._day = as_of
        return as_of

    # -- the first count, on a worker thread
    def _campaign_counted(self) -> bool:
        """True when the campaign's state is kept for the session's tracker (or no campaign)."""
        if self.session.campaign_id is None:
            return True
        state, kept = self._campaign, self.session.kept_coverage()
        return state is not None and kept is not None and state["tracker"] is kept

    def needs_count(self) -> bool:
        """True when :meth:`compute` would derive parts again (do it on a worker thread)."""
        self._follow_day()
        return bool(self._stale & set(COUNTED_PARTS)) or not self._campaign_counted()

    def gather(self) -> CountInputs:
        """What :func:`count_parts` needs, taken from the session on the caller's thread.

        Reads the session's frames (a window calls this on its own thread: the session reads
        the store there); cheap once they are loaded. The campaign's records read from now
        on are the count's: records saved later are added by :meth:`adopt`.
        """
        session = self.session
        as_of = self._follow_day()
        parts = frozenset(p for p in COUNTED_PARTS
                          if p in self._stale or p not in self._cache)
        frames: dict = {}
        if "units" in parts or {"workers"} & parts:
            frames.update(households=session.households, grids=session.grids,
                          admin_units=session.frame("admin_units"))
        if "pairs" in parts:
            frames["helper_pairs"] = session.frame("helper_pairs")
        if "clues" in parts:
            frames["clues"] = session.frame("clues")
        if "cases" in parts:
            frames["cases"] = session.frame("cases")
        if "workers" in parts:  # those in force are picked on the worker thread
            frames["assignments"] = session.assignments
        # Shallow copies: an edit written into a session frame meanwhile copies its columns
        # first (copy-on-write); these stay as taken.
        frames = {name: frame.copy(deep=False) for name, frame in frames.items()}
        if "units" not in parts:
            frames["units_state"] = self._units()
        campaign = tracker = None
        if not self._campaign_counted():
            campaign = self._campaign_row()
            tracker = session.kept_coverage()
            self._pending = []  # the count reads every record saved until now
        return CountInputs(parts, dict(self._epoch), as_of, self.thresholds, frames,
                           session.project, campaign, tracker)

    def current(self, counting: CountInputs) -> bool:
        """False when the count's campaign was left or edited since it was gathered."""
        return counting.campaign is None \
            or counting.epochs["campaign"] == self._epoch["campaign"]

    def adopt(self, counted: CountedParts) -> bool:
        """Keep the parts counted on a worker thread whose data were not edited meanwhile.

        Visit records saved meanwhile are added to the campaign's state (and to the tracker
        built there); any other edit leaves its part to count again. True when nothing is
        left to count (:meth:`needs_count`).
        """
        epochs = counted.inputs.epochs
        for part, state in counted.parts.items():
            if epochs[part] == self._epoch[part]:
                self._cache[part] = state
                self._stale.discard(part)
        state = counted.campaign
        if state is not None and epochs["campaign"] == self._epoch["campaign"] \
                and state["campaign"]["id"] == self.session.campaign_id:
            kept = self.session.kept_coverage()
            if counted.built_tracker and kept is None:
                self._records_since(state["tracker"], counted.last_record)
                self.session.keep_coverage(state["campaign"]["id"], state["tracker"])
            elif counted.built_tracker and kept.ids.equals(state["tracker"].ids):
                state["tracker"] = kept  # kept by the session meanwhile, current
            if self.session.kept_coverage() is state["tracker"]:
                self._campaign = state  # the records saved meanwhile: _pending
        return not self.needs_count()

    def _records_since(self, tracker, last: int) -> None:
        """Add to a tracker the campaign's records saved after record ``last`` (pending)."""
        later = sorted(i for i in set(self._pending) if i > last)
        if not later:
            return
        from gis_app.storage.reader import load_table

        records = load_table(self.session.project.engine, "investigation_record", ids=later)
        campaign_id = self.session.campaign_id
        for record in records[records["campaign_id"] == campaign_id].to_dict("records"):
            try:  # an edit's few records
                tracker.apply_record(record)
            except KeyError:  # a household outside the campaign's townships
                continue

    # -- the dashboard
    def compute(self, level: int = COUNTY, code: str | None = None,
                targets: dict | None = None) -> Dashboard:
        """Every tile and chart of a unit.

        Parameters
        ----------
        level : int
            :data:`COUNTY`, :data:`TOWNSHIP` or :data:`VILLAGE`.
        code : str, optional
            The township's or village's code (None for the county).
        targets : dict, optional
            Indicator key → (target, margin) replacing the defaults of
            :data:`gis_app.core.dashboard.INDICATORS`; a target None keeps the default.

        Returns
        -------
        Dashboard
        """
        as_of = self._follow_day()
        mask, name = self._mask(level, code)
        units = self._units()
        chosen = {**_ALL_TARGETS, **(targets or {})}
        values: dict[str, tuple] = {}
        charts: dict[str, pd.DataFrame] = {}
        campaign = self._campaign_state()
        timeline = pd.DataFrame(columns=["date", "covered", "households", "coverage", "target"])
        timetable_today = None
        if campaign is not None:
            position = self._campaign_positions(campaign)
            mine = position[mask & (position >= 0)]
            status = campaign["tracker"].status[mine].astype(np.int64)
            counts = np.bincount(status, minlength=len(CoverageStatus))
            total, home, remote = len(mine), int(counts[CoverageStatus.HOME]), \
                int(counts[CoverageStatus.REMOTE])
            values["coverage"] = (home + remote, total)
            values["home_share"] = (home, home + remote)
            charts["method"] = _bars(
                [("status", int(s)) for s in (CoverageStatus.HOME, CoverageStatus.REMOTE,
                                              CoverageStatus.NONCOMPLIANT,
                                              CoverageStatus.UNCHECKED)],
                ["入户排查", "电话、微信排查", "排查不合规", "未排查"],
                [home, remote, counts[CoverageStatus.NONCOMPLIANT],
                 counts[CoverageStatus.UNCHECKED]])
            timeline, timetable_today = self._timeline(campaign, mine, as_of)
            risk = campaign["risk"][mine]
            found = np.bincount(risk, minlength=len(RiskType) + 1)
            charts["risks"] = _bars([("risk", int(r)) for r in RiskType],
                                    [r.label for r in RiskType], found[1:])
        else:
            values["coverage"] = values["home_share"] = (None, None)
        monitored = units["monitored"] & mask
        paired = self._paired()
        values["paired"] = (int((monitored & paired).sum()), int(monitored.sum()))
        types = np.bincount(units["type"][monitored], minlength=len(MonitoringType) + 1)
        charts["types"] = _bars([("type", int(t)) for t in MonitoringType] + [("type", 0)],
                                [t.label for t in MonitoringType] + ["未标注类型"],
                                [*types[1:len(MonitoringType) + 1], types[0]])
        charts["types"] = charts["types"][(charts["types"]["value"] > 0)
                                          | (charts["types"]["key"] != ("type", 0))]
        charts["places"] = self._places(level, mask & units["monitored"])
        clues = self._clues()
        in_unit = np.zeros(len(clues["row"]), dtype=bool)
        located = clues["row"] >= 0
        in_unit[located] = mask[clues["row"][located]]
        values["overdue_clues"] = (int((clues["overdue"] & in_unit).sum()), None)
        charts["clues"] = _bars(
            [("clue", s) for s in (_OVERDUE, _OPEN, _LATE, _VERIFIED)],
            [_OVERDUE, _OPEN, _LATE, _VERIFIED],
            [int(((clues["status"] == s) & in_unit).sum())
             for s in (_OVERDUE, _OPEN, _LATE, _VERIFIED)])
        cases = self._cases()
        case_in = np.zeros(len(cases["row"]), dtype=bool)
        located = cases["row"] >= 0
        case_in[located] = mask[cases["row"][located]]
        steps = np.bincount(cases["step"][case_in], minlength=len(CaseStep) + 1)[1:]
        late = np.bincount(cases["step"][case_in & cases["overdue"]],
                           minlength=len(CaseStep) + 1)[1:]
        values["overdue_cases"] = (int((case_in & cases["overdue"]).sum()), None)
        charts["cases"] = _bars([("case_step", int(s)) for s in CaseStep],
                                [s.label for s in CaseStep], steps, late)
        exposed = self._exposed()
        if exposed["any"] is not None:
            unpaired = exposed["any"] & monitored & ~paired
            values["exposed_unpaired"] = (int(unpaired.sum()), None)
            kinds = list(exposed["kinds"])
            charts["exposure"] = _bars([("kind", k) for k in kinds], kinds,
                                       [int((exposed["kinds"][k] & mask).sum()) for k in kinds])
        else:
            values["exposed_unpaired"] = (None, None)
        workers, loads, _w, _g = self._worker_loads(level, code, mask)
        limit = self.thresholds.household_limit
        values["worker_load"] = (float(loads.mean()) if len(loads) else None, len(loads))
        bins = load_bins(limit)
        charts["load"] = _bars([("load", i) for i in range(len(bins))],
                               [label for _lo, _hi, label in bins],
                               [int(((loads > lo) & (loads <= hi)).sum()) for lo, hi, _l in bins])
        indicators = {}
        for spec in INDICATORS:
            number, whole = values[spec.key]
            if spec.kind == "share":
                value = None if number is None or not whole else number / whole
            else:
                value = None if number is None else float(number)
            target, margin = chosen[spec.key]
            if target is None and spec.key == "coverage":
                target = timetable_today
            elif target is None and spec.key == "worker_load":
                target = float(limit)
            indicators[spec.key] = Indicator(
                spec.key, spec.name, spec.kind, value, target,
                judge(value, target, spec.higher_is_better, float(margin))
                if value is not None else NO_TARGET,
                spec.higher_is_better, (number, whole))
        return Dashboard(
            level, code, name, campaign["campaign"] if campaign is not None else None, as_of,
            indicators, {key: Chart(key, title, charts[key]) for key, title in CHARTS.items()
                         if key in charts}, timeline)

    def _timeline(self, campaign: dict, mine: np.ndarray, as_of: dt.date):
        """Cumulative coverage per day of the unit's households and the timetable's target."""
        days, target, today, until = self._timetable(campaign, as_of)
        n_days = len(days)
        first = campaign["first"][mine]
        day = first[first != NEVER] - days[0] if n_days else np.zeros(0, np.int64)
        day = np.clip(day, 0, None)
        covered = np.cumsum(np.bincount(day[day < n_days], minlength=n_days))[:n_days]
        total = len(mine)
        coverage = covered / total if total else np.zeros(n_days)
        coverage = np.where(days <= until, coverage, np.nan)
        frame = pd.DataFrame({"date": days.astype("datetime64[D]"), "covered": covered,
                              "households": total, "coverage": coverage, "target": target})
        return frame, today

    def _timetable(self, campaign: dict, as_of: dt.date):
        """The campaign's days, the timetable's target on each and on ``as_of`` (kept)."""
        kept = campaign.get("timetable")
        if kept is None or kept[0] != as_of:
            start, end = campaign["start"], campaign["end"]
            first_day, last_day = to_days([start, end])
            days = first_day + np.arange(int(last_day - first_day) + 1)
            milestones = campaign["milestones"]
            due, goals = milestones["due_date"].tolist(), milestones["target_coverage"].tolist()
            target = timetable_target(start, due, goals, days)
            today = timetable_target(start, due, goals,
                                     to_days([min(max(as_of, start), end)]))[0]
            kept = campaign["timetable"] = (as_of, days, target,
                                            None if np.isnan(today) else float(today),
                                            to_days([as_of])[0])
        return kept[1:]

    def _places(self, level: int, counted: np.ndarray) -> pd.DataFrame:
        """Counted households per township (county), village (township) or grid (village)."""
        units = self._units()
        if level == VILLAGE:
            grid = units["grid"][counted]
            grid_ids, counts = np.unique(grid[grid >= 0], return_counts=True)
            names = units["grid_names"].reindex(grid_ids).fillna("").to_numpy(dtype=object)
            codes = units["grid_codes"].reindex(grid_ids).to_numpy(dtype=object)
            keys = [("grid", int(g)) for g in grid_ids]
            frame = _bars(keys, names, counts)
            frame["code"] = codes
        else:
            rows = (units["township"] if level == COUNTY else units["village"])[counted]
            rows, counts = np.unique(rows[rows >= 0], return_counts=True)
            codes = units["codes"][rows]
            frame = _bars([("place", str(c)) for c in codes], units["names"][rows], counts)
            frame["code"] = codes
        frame = frame.sort_values(["value", "code"], ascending=[False, True])
        if len(frame) <= PLACES_SHOWN:
            return frame.reset_index(drop=True)
        # A county of 300 villages: the largest by name, the others as one bar
        shown, rest = frame.iloc[:PLACES_SHOWN - 1], frame.iloc[PLACES_SHOWN - 1:]
        kind = "grid" if level == VILLAGE else "place"
        values = tuple(key[1] for key in rest["key"])
        other = _bars([(kind, values)], [f"其余{len(rest)}个"], [int(rest["value"].sum())])
        other["code"] = None
        return pd.concat([shown, other], ignore_index=True)

    # -- what a click selects
    def select(self, level: int, code: str | None, key) -> tuple[str, np.ndarray]:
        """The households (or level-3 grids) a tile or a bar of the unit counts.

        Parameters
        ----------
        level, code : int, str
            The unit (see :meth:`compute`).
        key : str or tuple
            A tile's key (:data:`gis_app.core.dashboard.INDICATORS`) or a bar's ``key``.

        Returns
        -------
        (str, numpy.ndarray)
            ``"households"`` or ``"grids"`` and the sorted ids.
        """
        mask, _name = self._mask(level, code)
        units = self._units()
        ids = units["ids"]
        kind, value = (key, None) if isinstance(key, str) else (key[0], key[1])
        chosen = np.zeros(len(ids), dtype=bool)
        if kind in ("coverage", "home_share", "status", "risk"):
            campaign = self._campaign_state()
            if campaign is None:
                return "households", np.zeros(0, np.int64)
            position = self._campaign_positions(campaign)
            inside = mask & (position >= 0)
            status = np.full(len(ids), -1, dtype=np.int64)
            status[inside] = campaign["tracker"].status[position[inside]]
            if kind == "coverage":
                chosen = inside & ~np.isin(status, [int(s) for s in COVERED])
            elif kind == "home_share":
                chosen = status == int(CoverageStatus.REMOTE)
            elif kind == "status":
                chosen = status == int(value)
            else:
                risk = np.zeros(len(ids), dtype=np.int64)
                risk[inside] = campaign["risk"][position[inside]]
                chosen = risk == int(value)
        elif kind in ("paired", "type", "place", "grid", "exposed_unpaired"):
            monitored = units["monitored"] & mask
            if kind == "paired":
                chosen = monitored & ~self._paired()
            elif kind == "type":
                chosen = monitored & (units["type"] == int(value))
            elif kind == "place":  # one unit's code, or the codes of the bar of the others
                column = units["township"] if level == COUNTY else units["village"]
                wanted = list(value) if isinstance(value, tuple) else [value]
                rows = np.flatnonzero(np.isin(units["codes"], wanted))
                chosen = monitored & np.isin(column, rows)
            elif kind == "grid":
                wanted = list(value) if isinstance(value, tuple) else [value]
                chosen = monitored & np.isin(units["grid"], np.asarray(wanted, dtype=np.int64))
            else:
                exposed = self._exposed()["any"]
                if exposed is not None:
                    chosen = exposed & monitored & ~self._paired()
        elif kind in ("overdue_clues", "clue"):
            clues = self._clues()
            pick = clues["overdue"] if kind == "overdue_clues" else clues["status"] == value
            rows = clues["row"][pick & (clues["row"] >= 0)]
            chosen[rows] = True
            chosen &= mask
        elif kind in ("overdue_cases", "case_step"):
            cases = self._cases()
            pick = cases["overdue"] if kind == "overdue_cases" else cases["step"] == int(value)
            rows = cases["row"][pick & (cases["row"] >= 0)]
            chosen[rows] = True
            chosen &= mask
        elif kind == "kind":
            exposed = self._exposed()["kinds"].get(str(value))
            if exposed is not None:
                chosen = exposed & mask
        elif kind in ("worker_load", "load"):
            workers, loads, pair_worker, pair_grid = self._worker_loads(level, code, mask)
            limit = self.thresholds.household_limit
            if kind == "worker_load":
                heavy = workers[loads > limit]
            else:
                lo, hi, _label = load_bins(limit)[int(value)]
                heavy = workers[(loads > lo) & (loads <= hi)]
            grids = np.unique(pair_grid[np.isin(pair_worker, heavy)])
            return "grids", grids.astype(np.int64)
        else:
            raise ValueError(f"看板中没有这一项：{key}")
        return "households", np.sort(ids[chosen])
