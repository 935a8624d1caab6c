"""Grid workers and helpers of the synthetic county, with their grid assignments (DOMAIN §2)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gis_app.core.codes import WorkerRole
from gis_app.synth.common import pick, to_date_objects
from gis_app.synth.names import COUNTY_NAME, IdAllocator, NamePool, PhoneBook

COUNTY_UNITS = (
    "县发改局", "县财政局", "县农业农村局", "县乡村振兴局", "县教育局", "县卫健局", "县医保局",
    "县民政局", "县人社局", "县住建局", "县水利局", "县交通运输局", "县自然资源局", "县林业局",
    "县市场监管局", "县公安局", "县税务局", "县统计局", "县审计局", "县商务局", "县文旅广体局",
    "县应急管理局", "县生态环境局", "县残联", "县供销社", "县总工会", "团县委", "县妇联",
    "县委组织部", "县委宣传部", "县委统战部", "县纪委监委", "县人民法院", "县人民检察院",
    "县农商银行", "县供电公司",
)
_LEADERS = (
    ("县委", "县委副书记"), ("县人民政府", "常务副县长"), ("县委", "县委常委、组织部部长"),
    ("县委", "县委常委、宣传部部长"), ("县人民政府", "副县长"), ("县委", "县委常委、政法委书记"),
    ("县人大常委会", "副主任"), ("县政协", "副主席"), ("县人民政府", "副县长"),
    ("县委", "县委常委、统战部部长"), ("县人大常委会", "副主任"), ("县政协", "副主席"),
)
_TOWN_LEADERS = ("党委副书记", "人大主席", "副{head}", "纪委书记", "组织委员", "宣传委员",
                 "武装部长", "统战委员")
_HELPER_TITLES = ("科员", "股长", "副局长", "干部", "办公室主任", "副主任科员")


@dataclass
class Staff:
    """Workers, their assignments and helper pairs, plus look-ups used by later stages."""

    workers: pd.DataFrame
    assignments: pd.DataFrame
    helper_pairs: pd.DataFrame
    pair_households: np.ndarray
    pair_start: np.ndarray
    grid_checker: pd.Series
    grid_checker_phone: pd.Series
    grid_second: pd.Series
    village_leader_name: pd.Series
    village_leader_phone: pd.Series
    household_helper_phone: pd.Series
    household_helper_name: pd.Series


class _Roster:
    """Collects workers role by role as arrays, then builds the frames in one go."""

    def __init__(self, rng, names: NamePool, ids: IdAllocator, phones: PhoneBook):
        self.rng, self.names, self.ids, self.phones = rng, names, ids, phones
        self.parts: list[dict] = []
        self.links: list[tuple[np.ndarray, np.ndarray, str, np.ndarray]] = []
        self.count = 0

    def add(self, role: WorkerRole, unit, title, ages: tuple[float, float],
            start: np.ndarray, as_of: np.datetime64) -> np.ndarray:
        """Add ``len(start)`` workers; returns their worker numbers."""
        n = len(start)
        male = self.rng.random(n) < 0.72
        age = self.rng.uniform(*ages, n)
        birth = as_of - np.round(age * 365.25).astype(np.int64)
        self.parts.append({
            "name": self.names.names(n, male).array,
            "role": np.full(n, role.value, dtype=object),
            "unit": np.asarray(unit, dtype=object) if not np.isscalar(unit) else
            np.full(n, unit, dtype=object),
            "title": np.asarray(title, dtype=object) if not np.isscalar(title) else
            np.full(n, title, dtype=object),
            "phone": self.phones.draw(n),
            "id_number": self.ids.allocate(birth, male, "workers").array,
            "start_date": np.asarray(start, "datetime64[D]"),
        })
        numbers = self.count + np.arange(n)
        self.count += n
        return numbers

    def link(self, workers: np.ndarray, grid_codes: np.ndarray, role: WorkerRole,
             start: np.ndarray) -> None:
        """Make ``workers[i]`` responsible for ``grid_codes[i]``."""
        self.links.append((np.asarray(workers), np.asarray(grid_codes, dtype=object), role.value,
                           np.asarray(start, "datetime64[D]")))


def build_staff(rng: np.random.Generator, grids: pd.DataFrame, village_names: list[str],
                village_township: np.ndarray, township_names: list[str],
                households: dict, names: NamePool, ids: IdAllocator, phones: PhoneBook,
                as_of: np.datetime64) -> Staff:
    """Staff every grid and pair monitored households with helpers.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random stream of this stage.
    grids : pandas.DataFrame
        Grid table with ``code``, ``level``, ``unit`` (township or village index) and ``number``.
    village_names, village_township, township_names
        Names of the units and the township of each village.
    households : dict
        ``needs_helper`` (bool), ``head_id`` (str), ``village`` (int) and ``identified_on``
        (datetime64) per household.
    names, ids, phones
        Generators of names, ID numbers and phone numbers.
    as_of : numpy.datetime64
        The day the data describe.

    Returns
    -------
    Staff
    """
    roster = _Roster(rng, names, ids, phones)
    level = grids["level"].to_numpy()
    unit = grids["unit"].to_numpy()
    code = grids["code"].to_numpy(dtype=object)
    n_town = len(township_names)

    def dates(n: int, lo: str, hi: str) -> np.ndarray:
        a, b = np.datetime64(lo, "D"), np.datetime64(hi, "D")
        return a + rng.integers(0, int((b - a).astype(np.int64)), n)

    town_head = [("镇长" if name.endswith("镇") else "乡长") for name in township_names]
    l0 = np.flatnonzero(level == 0)
    l1 = np.flatnonzero(level == 1)
    leaders = [_LEADERS[t] if t < len(_LEADERS) else (COUNTY_UNITS[t % len(COUNTY_UNITS)],
                                                      "党组书记") for t in range(n_town)]
    start = dates(n_town, "2021-05-01", "2022-12-31")
    w = roster.add(WorkerRole.GRID_CAPTAIN, [COUNTY_NAME[:-1] + u for u, _ in leaders],
                   [t for _, t in leaders], (45, 58), start, as_of)
    roster.link(w, code[l0], WorkerRole.GRID_CAPTAIN, start)
    start = dates(n_town, "2021-05-01", "2022-12-31")
    w = roster.add(WorkerRole.DEPUTY_CAPTAIN, [n + "党委" for n in township_names], "党委书记",
                   (38, 52), start, as_of)
    roster.link(w, code[l0], WorkerRole.DEPUTY_CAPTAIN, start)
    start = dates(n_town, "2021-05-01", "2022-12-31")
    w = roster.add(WorkerRole.LEVEL1_WORKER, [n + "人民政府" for n in township_names],
                   town_head, (35, 50), start, as_of)
    roster.link(w, code[l1], WorkerRole.LEVEL1_WORKER, start)
    start = dates(n_town, "2021-05-01", "2022-12-31")
    w = roster.add(WorkerRole.GRID_WORKER, [n + "人民政府" for n in township_names],
                   "乡村振兴办主任", (26, 45), start, as_of)
    roster.link(w, code[l1], WorkerRole.GRID_WORKER, start)

    # Level 2: each township leader covers one or two villages.
    l2 = np.flatnonzero(level == 2)
    v_of = unit[l2]
    t_of = village_township[v_of]
    rank = np.arange(len(v_of)) - np.searchsorted(t_of, t_of)
    per_town = np.bincount(t_of, minlength=n_town)
    n_lead = np.minimum(per_town, len(_TOWN_LEADERS))
    lead_slot = rank % n_lead[t_of]
    first_lead = np.r_[0, np.cumsum(n_lead)[:-1]]
    lt = np.repeat(np.arange(n_town), n_lead)
    slot = np.arange(len(lt)) - first_lead[lt]
    titles = [_TOWN_LEADERS[s].format(head=town_head[t]) for t, s in zip(lt, slot, strict=True)]
    start = dates(len(lt), "2021-06-01", "2023-01-31")
    w = roster.add(WorkerRole.LEVEL2_WORKER, [township_names[t] + "人民政府" for t in lt], titles,
                   (28, 55), start, as_of)
    leader_of_village = w[first_lead[t_of] + lead_slot]
    roster.link(leader_of_village, code[l2], WorkerRole.LEVEL2_WORKER, start[leader_of_village
                                                                             - w[0]])

    # Level 3: one or two workers per grid (first secretary, work-team member, village cadres).
    l3 = np.flatnonzero(level == 3)
    number = grids["number"].to_numpy()[l3]
    v3 = unit[l3]
    title = np.where(number == 1, 0, np.where(number == 2, 1, 2))
    county_unit = rng.integers(0, len(COUNTY_UNITS), len(v3))
    committee = np.array([n + ("居民委员会" if n.endswith("社区") else "村民委员会")
                          for n in village_names], dtype=object)
    units = np.where(title < 2, np.asarray(COUNTY_UNITS, dtype=object)[county_unit],
                     committee[v3])
    titles = np.asarray(("第一书记", "驻村工作队员", "村组干部"), dtype=object)[title]
    start = np.where(title < 2, dates(len(v3), "2021-05-01", "2021-09-30"),
                     dates(len(v3), "2021-01-15", "2023-03-31"))
    first = roster.add(WorkerRole.LEVEL3_WORKER, units, titles, (26, 60), start, as_of)
    roster.link(first, code[l3], WorkerRole.LEVEL3_WORKER, start)
    second_grid = pick(rng, np.ones(len(l3), bool), int(round(0.4 * len(l3))))
    start2 = dates(len(second_grid), "2021-01-15", "2023-03-31")
    second = roster.add(WorkerRole.LEVEL3_WORKER, committee[v3[second_grid]], "村组干部",
                        (30, 65), start2, as_of)
    roster.link(second, code[l3[second_grid]], WorkerRole.LEVEL3_WORKER, start2)

    # Helpers: 1–5 monitored households each; a few households are left unpaired on purpose.
    needs = np.flatnonzero(households["needs_helper"])
    unpaired = pick(rng, np.ones(len(needs), bool), min(3 + int(rng.integers(0, 3)), len(needs)))
    paired = np.delete(needs, unpaired)
    sizes = rng.integers(1, 6, len(paired) + 1)
    group = np.repeat(np.arange(len(sizes)), sizes)[:len(paired)]
    n_help = int(group.max()) + 1 if len(paired) else 0
    ident = households["identified_on"][paired]
    pair_start = np.minimum(ident + rng.integers(2, 11, len(paired)), as_of)
    help_start = np.full(n_help, as_of)
    np.minimum.at(help_start, group, pair_start)
    town_of_group = np.zeros(n_help, np.int64)
    town_of_group[group] = village_township[households["village"][paired]]
    from_town = rng.random(n_help) < 0.3
    h_unit = np.where(from_town, np.asarray([n + "人民政府" for n in township_names],
                                            dtype=object)[town_of_group],
                      np.asarray(COUNTY_UNITS, dtype=object)[rng.integers(0, len(COUNTY_UNITS),
                                                                          n_help)])
    h_title = np.asarray(_HELPER_TITLES, dtype=object)[rng.integers(0, len(_HELPER_TITLES),
                                                                    n_help)]
    helpers = roster.add(WorkerRole.HELPER, h_unit, h_title, (25, 55), help_start, as_of)
    return _frames(roster, helpers, group, paired, pair_start, households, l3, first,
                   second, second_grid, l2, leader_of_village)


def _frames(roster: _Roster, helpers, group, paired, pair_start, households, l3, first, second,
            second_grid, l2, leader_of_village) -> Staff:
    """Assemble the frames and the look-ups of :class:`Staff`."""
    cols = {k: np.concatenate([p[k] for p in roster.parts]) for k in roster.parts[0]}
    phone_text = pd.Series(pd.array(PhoneBook.strings(cols["phone"]).array))
    a_worker = np.concatenate([w for w, _, _, _ in roster.links])
    a_grid = np.concatenate([g for _, g, _, _ in roster.links])
    a_role = np.concatenate([np.full(len(w), r, dtype=object) for w, _, r, _ in roster.links])
    a_start = np.concatenate([s for _, _, _, s in roster.links])
    assignments = pd.DataFrame({
        "worker_phone": phone_text.array.take(a_worker),
        "grid_code": pd.array(a_grid, dtype="str"),
        "role": pd.array(a_role, dtype="str"),
        "start_date": to_date_objects(a_start),
    })
    joined_codes = pd.Series(a_grid).groupby(a_worker, sort=True).agg(";".join)
    grid_codes = np.full(roster.count, None, dtype=object)
    grid_codes[joined_codes.index.to_numpy()] = joined_codes.to_numpy()
    workers = pd.DataFrame({
        "name": pd.array(np.asarray(cols["name"], dtype=object), dtype="str"),
        "role": pd.array(cols["role"], dtype="str"),
        "unit": pd.array(cols["unit"], dtype="str"),
        "title": pd.array(cols["title"], dtype="str"),
        "phone": phone_text.array,
        "id_number": pd.array(np.asarray(cols["id_number"], dtype=object), dtype="str"),
        "grid_codes": pd.array(grid_codes, dtype="str"),
        "start_date": to_date_objects(cols["start_date"]),
    })
    helper_of = helpers[group] if len(paired) else np.empty(0, np.int64)
    helper_pairs = pd.DataFrame({
        "head_id_number": pd.Series(households["head_id"]).array.take(paired),
        "worker_phone": phone_text.array.take(helper_of),
        "start_date": to_date_objects(pair_start),
    })
    name = workers["name"].array
    n_h = len(households["needs_helper"])
    helper_code = np.full(n_h, -1)
    helper_code[paired] = helper_of
    second_of = np.full(len(l3), -1)
    second_of[second_grid] = second
    return Staff(
        workers=workers, assignments=assignments, helper_pairs=helper_pairs,
        pair_households=paired, pair_start=pair_start,
        grid_checker=pd.Series(name.take(first)),
        grid_checker_phone=pd.Series(phone_text.array.take(first)),
        grid_second=pd.Series(name.take(second_of, allow_fill=True)),
        village_leader_name=pd.Series(name.take(leader_of_village)),
        village_leader_phone=pd.Series(phone_text.array.take(leader_of_village)),
        household_helper_phone=pd.Series(phone_text.array.take(helper_code, allow_fill=True)),
        household_helper_name=pd.Series(name.take(helper_code, allow_fill=True)))

