"""防范因灾返贫预案: a village's draft plan against disaster-induced poverty, from the store.

Seed 002 (五) asks every village to draw up 防范因灾返贫的防范预案 before the flood season;
seeds 000 and 003 say what it must hold: who is at risk, who answers for each household, and
where its people go. A village's plan here lists its households within reach of a hazard
(:func:`gis_app.analysis.exposure.household_exposure`: inside a hazard zone or within the buffer
of one, or within a hazard point's threat radius plus the buffer; per kind the most severe
level), with

* the household: head (names are shown, as in every export), phone (masked unless the user may
  see personal data and asks to), members, 户属性 and 监测类型, level-3 grid;
* its 结对帮扶责任人 in force (name and phone) and the responsible grid worker of its grid
  (:func:`gis_app.services.clue_service.responsible_workers`);
* the nearest resettlement site that is **not itself within reach of a hazard** (a safe place)
  and the straight-line distance in the project's Gauss–Krüger zone
  (:func:`gis_app.analysis.nearest.nearest_places`); when every site is within reach, the
  nearest one, with a note. The project has no separate layer of safe places (避险点): the
  resettlement sites stand in for them, and the plan says so.

Who is listed
-------------
* every **监测对象** (户属性 2) within reach of a hazard of any level: they are the households
  the monitoring is for (seed 000 三: 因灾…返贫的家庭，及时落实…灾害、临时救助等政策), and
  those whose risk is eliminated are still followed (seed 002 (三) 回头看), so they are listed
  with a note;
* every **脱贫户** (户属性 1) within reach of a hazard at **极高 or 高** (``lifted_levels``):
  返贫 is a lifted household falling back, and seed 003 (三) asks to follow the 脱贫户 at risk
  from natural disasters; at every level the list would hold most of a mountain village's
  lifted households and stop being a plan;
* ordinary households (档外农户) are not: a disaster that reaches them becomes risk clues
  (:mod:`gis_app.services.event_service`), not a plan.

Located households only can be within reach; monitored households of the village without a
location are counted so that the plan says how many could not be assessed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from gis_app.analysis.exposure import kind_order
from gis_app.analysis.nearest import nearest_places
from gis_app.core.assignments import current
from gis_app.core.codes import HazardLevel, HouseholdAttribute, MonitoringType
from gis_app.core.idcard import mask_phone
from gis_app.services.clue_service import responsible_workers, verify_days
from gis_app.services.export_service import PersonalDataDenied, may_see_personal_data
from gis_app.services.exposure_service import compute_exposure
from gis_app.storage.uow import edit

TITLE = "防范因灾返贫预案"
#: Columns of :attr:`VillagePlan.households` shown to users, with their Chinese headers.
COLUMNS: dict[str, str] = {
    "seq": "序号",
    "head_name": "户主姓名",
    "phone": "联系电话",
    "members": "人口",
    "category": "户类别",
    "grid": "网格",
    "hazards": "灾害风险（等级）",
    "helper": "结对帮扶责任人",
    "helper_phone": "帮扶人电话",
    "worker": "责任网格员",
    "worker_phone": "网格员电话",
    "site": "最近安置点",
    "distance_m": "直线距离（米）",
    "note": "备注",
}
#: 脱贫户 are listed when within reach of a hazard at one of these levels (极高, 高).
LIFTED_LEVELS = (int(HazardLevel.EXTREME), int(HazardLevel.HIGH))
LEVELS = tuple(int(level) for level in HazardLevel)
NO_HELPER = "未落实结对帮扶责任人"
ELIMINATED = "风险已消除"
SITE_EXPOSED = "安置点也受灾害威胁"
NO_WORKER = "网格无责任网格员"
FORMATS = (".xlsx", ".pdf")


class VillageNotFoundError(ValueError):
    """No village has the code (or name) asked for."""


@dataclass
class VillagePlan:
    """One village's plan: its listed households and their hazards, ready for a report.

    Attributes
    ----------
    code, name : str
        The village's statistical code and name.
    township, township_code : str
        Its township.
    households : pandas.DataFrame
        One row per listed household, most severe first: :data:`COLUMNS`' keys (phones
        masked unless the plan is unmasked; ``distance_m`` a float, NaN when no site) plus
        ``household_id``, ``attribute``, ``level`` (the most severe level of any kind),
        ``paired`` and ``unpaired`` (a monitored household, risk not eliminated, without a
        helper in force).
    hazards : pandas.DataFrame
        Listed households per kind: ``kind``, one column per level 1–4 (households whose
        most severe level of that kind it is), ``households`` and ``persons``; a household
        exposed to two kinds counts under each.
    unlocated : int
        Monitored households of the village without a location (not assessed).
    """

    code: str
    name: str
    township: str
    township_code: str | None
    households: pd.DataFrame
    hazards: pd.DataFrame
    unlocated: int = 0

    @property
    def count(self) -> int:
        """Households listed."""
        return len(self.households)

    @property
    def persons(self) -> int:
        """Their members."""
        return int(self.households["members"].sum()) if self.count else 0

    @property
    def monitored(self) -> int:
        """Listed 监测对象."""
        return int((self.households["attribute"] == int(HouseholdAttribute.MONITORED)).sum())

    @property
    def lifted(self) -> int:
        """Listed 脱贫户."""
        return int((self.households["attribute"] == int(HouseholdAttribute.LIFTED)).sum())

    @property
    def unpaired(self) -> int:
        """Listed monitored households without a helper in force (risk not eliminated)."""
        return int(self.households["unpaired"].sum()) if self.count else 0

    def table(self) -> pd.DataFrame:
        """The list as users read it: Chinese headers, distances rounded, empty cells ''."""
        frame = self.households[list(COLUMNS)].astype(object)
        frame["distance_m"] = self.households["distance_m"].map(
            lambda v: "" if pd.isna(v) else f"{v:,.0f}")
        return frame.where(frame.notna(), "").rename(columns=COLUMNS)


@dataclass
class DisasterPlan:
    """The plans of one or all villages, with what every plan says about how it was made."""

    villages: list[VillagePlan]
    county: str
    buffer_m: float
    as_of: dt.date
    #: Working days within which a clue is verified at the household (project setting).
    verify_days: int
    #: EPSG code of the Gauss–Krüger zone distances are measured in.
    epsg: int
    #: Resettlement sites in the project, and those within reach of a hazard.
    sites: int
    sites_exposed: int
    lifted_levels: tuple[int, ...] = LIFTED_LEVELS
    unmasked: bool = False
    created_on: dt.date = field(default_factory=dt.date.today)

    @property
    def households(self) -> int:
        """Households listed in every plan."""
        return sum(v.count for v in self.villages)

    def notes(self) -> list[str]:
        """How the plan was drawn up, for its 说明 (Chinese)."""
        levels = "、".join(HazardLevel(level).label for level in self.lifted_levels)
        reach = f"灾害隐患区及其周边{self.buffer_m:g}米" if self.buffer_m > 0 else "灾害隐患区"
        listed = (f"列入名单的农户：位于{reach}内或地质灾害隐患点威胁半径"
                  f"{'（加' + format(self.buffer_m, 'g') + '米）' if self.buffer_m > 0 else ''}"
                  "内的全部监测对象")
        listed += f"，以及风险等级为{levels}的脱贫户" if self.lifted_levels else ""
        notes = [listed + "；同一类灾害按最高风险等级计。"]
        if self.sites == 0:
            notes.append("项目中没有安置点，未能给出最近安置点，请补充避险场所后重新生成。")
        else:
            notes.append(
                "项目中没有单独的避险场所图层，最近安置点取易地搬迁安置点：优先取不在任何灾害影响"
                f"范围内的安置点（本项目{self.sites}个安置点中有{self.sites - self.sites_exposed}"
                "个不受灾害威胁），都受威胁时取最近的一个并在备注中说明。")
            notes.append(f"直线距离按高斯-克吕格投影（EPSG:{self.epsg}）计算，实际转移路线以应急"
                         "管理部门划定的避险转移路线为准。")
        if not self.unmasked:
            notes.append("电话号码已脱敏，完整号码由有权限的工作人员掌握。")
        return notes

    def summary(self) -> pd.DataFrame:
        """Counts per village, for the summary sheet and ``--json``.

        Columns ``code, name, township, households, persons, monitored, lifted, unpaired,
        unlocated`` and ``level_1`` … ``level_4`` (listed households by most severe level).
        """
        rows = []
        for v in self.villages:
            levels = v.households["level"].value_counts() if v.count else pd.Series(dtype=int)
            rows.append({"code": v.code, "name": v.name, "township": v.township,
                         "households": v.count, "persons": v.persons,
                         "monitored": v.monitored, "lifted": v.lifted, "unpaired": v.unpaired,
                         "unlocated": v.unlocated,
                         **{f"level_{k}": int(levels.get(k, 0)) for k in LEVELS}})
        return pd.DataFrame(rows, columns=["code", "name", "township", "households", "persons",
                                           "monitored", "lifted", "unpaired", "unlocated",
                                           *(f"level_{k}" for k in LEVELS)])


def _session(source):
    """A session of ``source``: a window's ProjectSession as is, a Project through a new one."""
    from gis_app.services.session import ProjectSession

    return source if isinstance(source, ProjectSession) else ProjectSession(source)


def _villages(session, village) -> pd.DataFrame:
    """The villages asked for (one by code or unique name, or all) with their townships."""
    units = session.frame("admin_units")
    by_id = units.set_index("id")
    villages = units.loc[units["level"] == 3, ["id", "code", "name", "parent_id"]].copy()
    parent = villages["parent_id"].astype("Int64")
    villages["township"] = parent.map(by_id["name"]).fillna("").to_numpy(object)
    villages["township_code"] = parent.map(by_id["code"]).to_numpy(object)
    villages = villages.sort_values("code").reset_index(drop=True)
    if village is None or str(village).strip() == "":
        return villages
    text = str(village).strip()
    hits = villages[villages["code"].astype(str) == text]
    if not len(hits):
        hits = villages[villages["name"] == text]
    if len(hits) != 1:
        if len(hits) > 1:
            codes = "、".join(hits["code"].astype(str))
            raise VillageNotFoundError(
                f"有{len(hits)}个村（社区）名为“{text}”：{codes}，请改用代码")
        raise VillageNotFoundError(f"没有代码为“{text}”的村（社区）")
    return hits.reset_index(drop=True)


def _helpers(session, day: dt.date, protect) -> pd.DataFrame:
    """Each paired household's helpers in force, indexed by household id.

    ``helper`` and ``helper_phone``: names and phones joined with 、, phones through
    ``protect``. Retired workers' pairs do not count.
    """
    pairs = current(session.frame("helper_pairs"), day)
    workers = session.workers
    workers = workers[workers["active"].astype(bool)].set_index("id")
    pairs = pairs[pairs["worker_id"].isin(workers.index)]
    pairs = pairs.assign(name=pairs["worker_id"].map(workers["name"]),
                         phone=pairs["worker_id"].map(workers["phone"]).map(
                             lambda v: protect(v) if isinstance(v, str) else ""))
    pairs = pairs.sort_values(["household_id", "name", "worker_id"])
    keys = pairs["household_id"].to_numpy(np.int64)
    return pd.DataFrame({
        "helper": _join_by(keys, pairs["name"].to_numpy(object)),
        "helper_phone": _join_by(keys, pairs["phone"].to_numpy(object)),
    })


def _join_by(keys: np.ndarray, values: np.ndarray, separator: str = "、") -> pd.Series:
    """``values`` joined per key (``keys`` sorted), empty ones left out; indexed by key.

    Vectorised over the k-th value of every key (a household has a few helpers or hazard
    kinds), where a groupby of ``str.join`` would call Python once per household.
    """
    unique = np.unique(keys)
    slot = np.searchsorted(unique, keys)
    position = np.arange(len(keys)) - np.searchsorted(keys, keys, side="left")
    out = np.full(len(unique), "", dtype=object)
    for k in range(int(position.max()) + 1 if len(keys) else 0):
        pick = np.flatnonzero((position == k) & (values != ""))
        at, part = slot[pick], values[pick]
        out[at] = np.where(out[at] == "", part, out[at] + separator + part)
    return pd.Series(out, index=unique, dtype=object)


def _categories(attribute: pd.Series, mtype: pd.Series) -> np.ndarray:
    """户类别: 脱贫户, or 监测对象 with its 监测类型 (监测对象（边缘易致贫户）)."""
    labels = attribute.map({int(a): a.label for a in HouseholdAttribute}).fillna("")
    types = pd.to_numeric(mtype, errors="coerce").map(
        {int(t): f"（{t.label}）" for t in MonitoringType}).fillna("")
    monitored = (attribute == int(HouseholdAttribute.MONITORED)).to_numpy()
    return np.where(monitored, labels + types, labels).astype(object)


def _joined(flags: list[tuple[str, np.ndarray]], n: int) -> np.ndarray:
    """Per row the texts whose flag is set, joined with ；."""
    out = np.full(n, "", dtype=object)
    for text, flag in flags:
        out = np.where(flag, np.where(out == "", text, out + "；" + text), out)
    return out.astype(object)


def disaster_plan(source, village=None, buffer_m: float = 0.0,
                  as_of: dt.date | None = None, unmask: bool = False, user: str | None = None,
                  lifted_levels: tuple[int, ...] = LIFTED_LEVELS,
                  progress=None) -> DisasterPlan:
    """The 防范因灾返贫预案 of one village or of every village, from the store.

    Parameters
    ----------
    source : ProjectSession or Project
        A window's session (its frames are used as loaded) or an open project.
    village : str, optional
        A village's code (or its name, when no other village has it); default every village.
    buffer_m : float
        Metres around every hazard zone (and added to every threat radius), ≥ 0.
    as_of : datetime.date, optional
        The day helpers and grid workers are in force (default today).
    unmask : bool
        Phones in full; allowed only to users in ``personal_data_users``.
    user : str, optional
        Who asks (default: the session's user).
    lifted_levels : tuple of int
        The levels at which 脱贫户 are listed (default 极高 and 高; empty: none).
    progress : callable, optional
        ``progress(done, total)``.

    Raises
    ------
    VillageNotFoundError
        No village (or several) with that code or name.
    PersonalDataDenied
        ``unmask`` asked by a user without the right.
    ValueError
        A negative or non-numeric buffer.
    """
    session = _session(source)
    project = session.project
    user = user or session.user
    try:
        buffer_m = float(buffer_m)
    except (TypeError, ValueError):
        raise ValueError(f"缓冲距离无效：{buffer_m}（应为不小于0的米数）") from None
    if not np.isfinite(buffer_m) or buffer_m < 0:
        raise ValueError(f"缓冲距离无效：{buffer_m:g}（应为不小于0的米数）")
    if unmask and not may_see_personal_data(project, user):
        raise PersonalDataDenied(f"用户{user}无权查看未脱敏的个人信息（证件号码、电话）")
    as_of = as_of or dt.date.today()
    step = (lambda done: progress(done, 4)) if progress else (lambda done: None)
    villages = _villages(session, village)
    # The exposure the 灾害风险 panel and ``gis-app exposure`` count: same households, same rules.
    result = compute_exposure(session, buffer_m)
    step(1)
    located = result.inputs.households
    exposure = result.household_rows
    worst = pd.Series(exposure["level"].to_numpy(np.int64)).groupby(
        exposure["row"].to_numpy(np.int64)).min()
    most_severe = np.zeros(len(located), dtype=np.int64)
    most_severe[worst.index.to_numpy()] = worst.to_numpy()
    # Who is listed: monitored at any level, lifted at the levels asked for.
    attribute = located["attribute"].to_numpy(np.int64)
    listed = (most_severe > 0) & located["village_id"].isin(villages["id"]).to_numpy() & (
        (attribute == int(HouseholdAttribute.MONITORED))
        | ((attribute == int(HouseholdAttribute.LIFTED))
           & np.isin(most_severe, np.asarray(lifted_levels, dtype=np.int64))))
    rows = np.flatnonzero(listed)
    exposure = exposure[np.isin(exposure["row"].to_numpy(), rows)]
    # The nearest safe place: sites outside every hazard's reach first.
    sites = result.inputs.sites
    exposed_site = np.zeros(len(sites), dtype=bool)
    exposed_site[result.site_rows["row"].to_numpy(np.int64)] = True
    sx, sy = sites["x"].to_numpy(float), sites["y"].to_numpy(float)
    site_points = np.where(np.isfinite(sx) & np.isfinite(sy), shapely.points(sx, sy), None)
    listed_xy = (located["x"].to_numpy(float)[rows], located["y"].to_numpy(float)[rows])
    safe = nearest_places(listed_xy, site_points, usable=~exposed_site)
    anywhere = nearest_places(listed_xy, site_points)
    place = np.where(safe["place"] >= 0, safe["place"], anywhere["place"])
    metres = np.where(safe["place"] >= 0, safe["distance_m"], anywhere["distance_m"])
    step(2)
    households = located.iloc[rows].reset_index(drop=True)
    names = session.household_columns(["head_name", "phone"], households["id"].to_numpy())
    households = households.assign(**names.reindex(households["id"].to_numpy()).reset_index(
        drop=True))
    frame = _household_rows(session, households,
                            exposure.assign(row=np.searchsorted(rows, exposure["row"])),
                            most_severe[rows], place, metres, sites, exposed_site, as_of,
                            unmask)
    step(3)
    everyone = session.households
    unlocated = everyone.loc[~np.isfinite(everyone["x"].to_numpy(float))
                             & (everyone["attribute"] == int(HouseholdAttribute.MONITORED))
                             .to_numpy(), "village_id"].value_counts()
    exposure_of = exposure.assign(
        village_id=located["village_id"].to_numpy()[exposure["row"].to_numpy()],
        members=located["members"].to_numpy()[exposure["row"].to_numpy()])
    frame["seq"] = frame.groupby("village_id").cumcount() + 1
    lists = {key: part.reset_index(drop=True) for key, part in frame.groupby("village_id")}
    tables = _hazard_tables(exposure_of)
    empty_list, empty_table = frame.iloc[:0], tables.pop(None)
    # each village its own frames (the groups are new ones; the empty ones are copied)
    plans = [VillagePlan(code=str(v.code), name=v.name, township=v.township,
                         township_code=v.township_code,
                         households=lists[v.id] if v.id in lists else empty_list.copy(),
                         hazards=tables[v.id] if v.id in tables else empty_table.copy(),
                         unlocated=int(unlocated.get(v.id, 0)))
             for v in villages.itertuples()]
    step(4)
    units = session.frame("admin_units")
    county = units.loc[units["level"] == 1, "name"]
    return DisasterPlan(plans, county.iloc[0] if len(county) else "", buffer_m, as_of,
                        verify_days(project), int(result.inputs.epsg), len(sites),
                        int(exposed_site.sum()), tuple(lifted_levels), unmask)


def _household_rows(session, households: pd.DataFrame, exposure: pd.DataFrame,
                    most_severe: np.ndarray, place: np.ndarray, metres: np.ndarray, sites,
                    exposed_site: np.ndarray, day: dt.date, unmask: bool) -> pd.DataFrame:
    """The listed households' rows, most severe first.

    Columns: :data:`COLUMNS` and the other keys of :attr:`VillagePlan.households`.
    """
    protect = (lambda v: v if isinstance(v, str) else "") if unmask else mask_phone
    n = len(households)
    ids = households["id"].to_numpy(np.int64)
    # Hazards per household, kinds in the legend's order.
    order = {kind: i for i, kind in enumerate(kind_order(exposure["kind"].astype(str)))}
    ranked = exposure.assign(kind=exposure["kind"].astype(str),
                             rank=exposure["kind"].astype(str).map(order)).sort_values(
        ["row", "rank"])
    level_names = ranked["level"].map({int(v): v.label for v in HazardLevel})
    ranked = ranked.assign(text=ranked["kind"] + "（" + level_names + "）")
    texts = _join_by(ranked["row"].to_numpy(np.int64), ranked["text"].to_numpy(object))
    hazards = np.full(n, "", dtype=object)
    hazards[texts.index.to_numpy(np.int64)] = texts.to_numpy(object)
    helpers = _helpers(session, day, protect).reindex(ids)
    paired = helpers["helper"].notna().to_numpy()
    grids = session.grids.set_index("id")["name"]
    grid_id = households["grid_id"].astype("Int64")
    answer = responsible_workers(session.project, grid_id, day).set_index("grid_id")
    monitored = households["attribute"].to_numpy(np.int64) == int(HouseholdAttribute.MONITORED)
    eliminated = households["risk_eliminated"].fillna(False).to_numpy(bool)
    unpaired = monitored & ~paired & ~eliminated
    worker = grid_id.map(answer["worker"]).to_numpy(object)
    site_names = sites["name"].to_numpy(object) if len(sites) else np.empty(0, dtype=object)
    has_site = place >= 0
    site = np.full(n, "", dtype=object)
    site[has_site] = site_names[place[has_site]]
    site_at_risk = has_site & exposed_site[np.where(has_site, place, 0)] if len(sites) else \
        np.zeros(n, dtype=bool)
    notes = _joined([(NO_HELPER, unpaired), (ELIMINATED, monitored & eliminated),
                     (NO_WORKER, pd.isna(worker)), (SITE_EXPOSED, site_at_risk)], n)
    frame = pd.DataFrame({
        "seq": 0,
        "household_id": ids,
        "village_id": households["village_id"].to_numpy(),
        "head_name": households["head_name"].to_numpy(object),
        # an empty phone may come as None or NaN: it stays empty, never "***"
        "phone": households["phone"].map(
            lambda v: protect(v) if isinstance(v, str) and v else "").to_numpy(object),
        "members": households["members"].to_numpy(np.int64),
        "attribute": households["attribute"].to_numpy(np.int64),
        "category": _categories(households["attribute"], households["monitoring_type"]),
        "grid": grid_id.map(grids).to_numpy(object),
        "hazards": hazards,
        "level": most_severe,
        "helper": helpers["helper"].astype(object).where(paired, None).to_numpy(object),
        "helper_phone": helpers["helper_phone"].astype(object).where(paired, "").to_numpy(
            object),
        "worker": worker,
        "worker_phone": grid_id.map(answer["phone"]).map(
            lambda v: protect(v) if isinstance(v, str) else None).to_numpy(object),
        "site": site,
        "distance_m": np.asarray(metres, dtype=float),
        "note": notes,
        "paired": paired,
        "unpaired": unpaired,
    })
    # Most severe first; monitored before lifted; then by grid and name.
    return frame.sort_values(["level", "attribute", "grid", "head_name", "household_id"],
                             ascending=[True, False, True, True, True],
                             na_position="last").reset_index(drop=True)


def _hazard_tables(exposure: pd.DataFrame) -> dict:
    """Per village id, households (and persons) per kind and most severe level of that kind.

    The key None holds the empty table of a village with none.
    """
    columns = ["kind", *LEVELS, "households", "persons"]
    empty = pd.DataFrame({c: pd.Series(dtype=object if c == "kind" else np.int64)
                          for c in columns})
    if not len(exposure):
        return {None: empty}
    frame = exposure.assign(kind=exposure["kind"].astype(str))
    counts = pd.crosstab([frame["village_id"], frame["kind"]], frame["level"]).reindex(
        columns=list(LEVELS), fill_value=0)
    counts["households"] = counts.sum(axis=1)
    counts["persons"] = frame.groupby(["village_id", "kind"])["members"].sum()
    counts = counts.reset_index()
    counts.columns.name = None
    rank = {kind: i for i, kind in enumerate(kind_order(counts["kind"]))}
    counts = counts.assign(_rank=counts["kind"].map(rank)).sort_values(["village_id", "_rank"])
    counts = counts.astype({c: np.int64 for c in columns[1:]})
    tables = {key: part[columns].reset_index(drop=True)
              for key, part in counts.groupby("village_id")}
    tables[None] = empty
    return tables


def plan_file(out: str | Path) -> Path:
    """``out`` as a path, refused unless it ends in ``.xlsx`` or ``.pdf``."""
    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise ValueError(f"不支持的预案格式：{out.suffix or '（无扩展名）'}（可用 .xlsx .pdf）")
    return out


def write_plan(plan: DisasterPlan, out: str | Path, progress=None) -> Path:
    """Write a plan already drawn up to ``.xlsx`` or ``.pdf`` (by the extension).

    It reads nothing of the project, so a window may run it on a worker thread (a county of
    120,000 households: about 8 s). ``progress(done, total)`` is told each village; whatever
    it raises stops the writing and leaves the file as it was. :func:`record_export` then
    notes the export.
    """
    from gis_app.reports.plan import write_plan_excel, write_plan_pdf

    out = plan_file(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = write_plan_excel if out.suffix.lower() == ".xlsx" else write_plan_pdf
    return writer(plan, out, progress)


def record_export(source, plan: DisasterPlan, out: str | Path, user: str | None = None) -> None:
    """Note in the audit log who wrote which plan to which file (no undo step)."""
    session = _session(source)
    out = Path(out)
    with edit(session.project, user or session.user, f"导出防范因灾返贫预案：{out.name}") as uow:
        uow.note("export_plan", "household",
                 {"file": str(out), "villages": len(plan.villages),
                  "households": plan.households, "buffer_m": plan.buffer_m,
                  "unmasked": plan.unmasked})


def export_plan(source, out: str | Path, village=None, buffer_m: float = 0.0,
                as_of: dt.date | None = None, unmask: bool = False, user: str | None = None,
                lifted_levels: tuple[int, ...] = LIFTED_LEVELS,
                progress=None) -> tuple[DisasterPlan, Path]:
    """Draw up the plan, write it to ``.xlsx`` or ``.pdf`` (by the extension), audit-log it.

    The parameters are :func:`disaster_plan`'s; ``out`` is the file to write.

    Returns
    -------
    (DisasterPlan, pathlib.Path)
        The plan and the file written.
    """
    out = plan_file(out)  # a wrong extension is refused before anything is read
    session = _session(source)
    user = user or session.user
    plan = disaster_plan(session, village, buffer_m, as_of, unmask, user, lifted_levels,
                         progress)
    write_plan(plan, out, progress)  # told again from 0: the villages written
    record_export(session, plan, out, user)
    return plan, out
