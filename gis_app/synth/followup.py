"""Assistance measures, helpers' contact visits and the rectification ledger (DOMAIN §7, §9)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from gis_app.core.codes import AssistanceKind, InvestigationMethod, MonitoringType, RiskType
from gis_app.synth import libm
from gis_app.synth.common import text, to_date_objects
from gis_app.synth.households import Traits

_KINDS = tuple(k.value for k in AssistanceKind)
_MEASURES = {
    AssistanceKind.INDUSTRY: (("发展油茶种植，发放产业奖补", "发展生猪养殖，发放产业奖补"),
                              (1000, 5000)),
    AssistanceKind.EMPLOYMENT: (("推荐到县工业园稳定就业", "发放外出务工一次性交通补贴"),
                                (300, 1000)),
    AssistanceKind.FINANCE: (("发放脱贫人口小额信贷", "办理防返贫保险"), (30000, 50000)),
    AssistanceKind.PUBLIC_WELFARE_JOB: (("安排村级保洁员公益性岗位", "安排生态护林员公益性岗位"),
                                        (6000, 9600)),
    AssistanceKind.HOUSING: (("实施农村危房改造",), (15000, 40000)),
    AssistanceKind.WATER: (("接通集中供水管网",), (500, 3000)),
    AssistanceKind.HEALTH: (("落实医疗救助和家庭医生签约服务",), (800, 20000)),
    AssistanceKind.EDUCATION: (("落实雨露计划助学补助", "落实教育资助"), (1500, 5000)),
    AssistanceKind.SOCIAL_ASSISTANCE: (("纳入农村低保", "落实临时救助"), (3600, 6000)),
    AssistanceKind.SOCIAL_HELP: (("结对单位走访慰问", "开展消费帮扶"), (500, 3000)),
    AssistanceKind.LIVING_CONDITIONS: (("修建入户便道", "改造厨房厕所"), (1000, 8000)),
    AssistanceKind.MOTIVATION: (("参加实用技术培训", "参与“最美庭院”评选"), None),
    AssistanceKind.DISABILITY: (("发放残疾人两项补贴", "适配辅助器具"), (600, 2400)),
}
_NOTES = ("了解家庭收入情况", "宣传防返贫监测政策", "协调落实医疗救助", "了解务工就业情况",
          "查看住房安全情况", "帮助申请小额信贷", "了解子女就学情况", "落实帮扶措施进度")
_PROBLEMS = (
    ("housing_problem", "住房安全：房屋存在C级危房隐患", "纳入危房改造计划，先行安排周转住房"),
    ("water_problem", "饮水安全：季节性缺水，供水不稳定", "延伸集中供水管网，配置储水设施"),
    ("insurance_problem", "基本医疗保险：有家庭成员未参加城乡居民医保", "动员参保，落实参保资助"),
    ("education_problem", "义务教育：适龄子女失学辍学", "落实控辍保学，劝返复学"),
)


def measures_frame(rng: np.random.Generator, traits: Traits, flags: dict, plan_made_on: np.ndarray,
                   head_ids: pd.Series, as_of: dt.date) -> pd.DataFrame:
    """One to three assistance measures for every monitored household with a plan."""
    as_of64 = np.datetime64(as_of, "D")
    hh = np.flatnonzero(~np.isnat(plan_made_on))
    work = ~traits.no_labour[hh]
    risk = traits.risk_type[hh]
    weights = np.column_stack([
        np.where(work, 1.0, 0.01), np.where(work, np.where(risk == RiskType.UNSTABLE_WORK, 3, 1.2),
                                            0.01),
        np.where(work, 0.5, 0.01), np.where(work & (traits.head_age[hh] >= 50), 0.8, 0.05),
        np.where(traits.housing_problem[hh], 5.0, 0.05), np.where(flags["water"][hh], 5.0, 0.02),
        np.where(flags["ill"][hh], 3.0, 0.1), np.where(risk == RiskType.SCHOOLING, 3.0, 0.2),
        np.where(traits.no_labour[hh], 6.0, np.where(traits.dibao[hh], 1.5, 0.2)),
        np.full(len(hh), 0.3), np.full(len(hh), 0.2), np.full(len(hh), 0.3),
        np.where(flags["disabled"][hh], 3.0, 0.0),
    ])
    gumbel = -libm.log(-libm.log(rng.random(weights.shape)))
    with np.errstate(divide="ignore"):
        ranked = np.argsort(-(libm.log(weights) + gumbel), axis=1, kind="stable")
    u = rng.random(len(hh))
    count = 1 + (u < 0.6) + (u < 0.25)
    row = np.repeat(np.arange(len(hh)), count)
    col = np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
    kind = ranked[row, col]
    house = hh[row]
    start = np.minimum(plan_made_on[house] + rng.integers(0, 21, len(row)), as_of64)
    ended = np.where(traits.risk_eliminated[house] & (traits.eliminated_on[house] > start),
                     traits.eliminated_on[house], np.datetime64("NaT"))
    desc_pool = [d for k in AssistanceKind for d in _MEASURES[k][0]]
    first_desc = np.cumsum([0] + [len(_MEASURES[k][0]) for k in AssistanceKind])[:-1]
    n_desc = np.array([len(_MEASURES[k][0]) for k in AssistanceKind])
    desc = first_desc[kind] + (rng.random(len(row)) * n_desc[kind]).astype(np.int64)
    lo = np.array([(_MEASURES[k][1] or (0, 0))[0] for k in AssistanceKind], dtype=float)
    hi = np.array([(_MEASURES[k][1] or (0, 0))[1] for k in AssistanceKind], dtype=float)
    amount = np.round(lo[kind] + rng.random(len(row)) * (hi[kind] - lo[kind]), -2)
    amount = np.where(hi[kind] > 0, amount, np.nan)
    return pd.DataFrame({
        "head_id_number": head_ids.array.take(house),
        "kind": text(_KINDS, kind),
        "description": text(desc_pool, desc),
        "started_on": to_date_objects(start),
        "ended_on": to_date_objects(ended),
        "amount": amount,
    })


def visits_frame(rng: np.random.Generator, pairs_household: np.ndarray, pairs_phone: pd.Series,
                 pairs_start: np.ndarray, traits: Traits, head_ids: pd.Series,
                 as_of: dt.date) -> pd.DataFrame:
    """Helpers' contact visits this year: monthly, twice a month for marginal households."""
    as_of64 = np.datetime64(as_of, "D")
    begin = np.maximum(pairs_start, as_of64 - 150)
    m0 = begin.astype("datetime64[M]")
    months = (as_of64.astype("datetime64[M]") - m0).astype(np.int64) + 1
    per_month = np.where(traits.monitoring_type[pairs_household] == MonitoringType.MARGINAL, 2, 1)
    count = months * per_month
    row = np.repeat(np.arange(len(count)), count)
    k = np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
    month = m0[row] + k // per_month[row]
    half = k % per_month[row]
    dayn = month.astype("datetime64[D]") + half * 14 + rng.integers(0, 14, len(row))
    keep = (dayn >= begin[row]) & (dayn <= as_of64) & (rng.random(len(row)) >= 0.08)
    row, dayn = row[keep], dayn[keep]
    order = np.lexsort((row, dayn))
    row, dayn = row[order], dayn[order]
    method = np.where(rng.random(len(row)) < 0.85, int(InvestigationMethod.HOME_VISIT),
                      int(InvestigationMethod.REMOTE))
    return pd.DataFrame({
        "head_id_number": head_ids.array.take(pairs_household[row]),
        "worker_phone": pairs_phone.array.take(row),
        "visited_on": to_date_objects(dayn),
        "method": method.astype(np.int64),
        "notes": text(_NOTES, rng.integers(0, len(_NOTES), len(row))),
    })


def rectifications_frame(rng: np.random.Generator, checked_on: np.ndarray, problems: dict,
                         village: np.ndarray, village_codes: list[str], head_ids: pd.Series,
                         household_worker: tuple[pd.Series, pd.Series],
                         village_worker: tuple[pd.Series, pd.Series], lagging: np.ndarray,
                         noncompliant_villages: np.ndarray, as_of: dt.date) -> pd.DataFrame:
    """Build the annex-4 ledger: problems found at households, and village-level shortcomings."""
    as_of64 = np.datetime64(as_of, "D")
    hh, kinds = [], []
    for j, (key, _, _) in enumerate(_PROBLEMS):
        found = np.flatnonzero(problems[key] & ~np.isnat(checked_on))
        hh.append(found)
        kinds.append(np.full(len(found), j))
    hh = np.concatenate(hh)
    kinds = np.concatenate(kinds)
    found_on = checked_on[hh]
    deadline = found_on + rng.integers(15, 46, len(hh))
    span = np.maximum((np.minimum(deadline, as_of64) - found_on).astype(np.int64), 1)
    done_on = found_on + 1 + (rng.random(len(hh)) * span).astype(np.int64)
    done = (rng.random(len(hh)) < 0.55) & (done_on <= as_of64)
    done_on = np.where(done, done_on, np.datetime64("NaT"))
    vill = np.r_[np.flatnonzero(lagging), noncompliant_villages]
    v_kind = np.r_[np.zeros(lagging.sum(), np.int64), np.ones(len(noncompliant_villages),
                                                               np.int64)]
    v_deadline = as_of64 + rng.integers(5, 11, len(vill))
    village_problems = ("集中排查进度滞后，未达到时序进度要求",
                        "存在对非整户外出农户电话排查的情况")
    village_measures = ("增派驻村工作队员，倒排工期，按期完成排查", "对电话排查的农户重新入户核查")
    problem = [p for _, p, _ in _PROBLEMS] + list(village_problems)
    measure = [m for _, _, m in _PROBLEMS] + list(village_measures)
    name_h, phone_h = household_worker
    name_v, phone_v = village_worker
    frame = pd.DataFrame({
        "village_code": text(village_codes, np.r_[village[hh], vill]),
        "head_id_number": head_ids.array.take(np.r_[hh, np.full(len(vill), -1)], allow_fill=True),
        "problem": text(problem, np.r_[kinds, 4 + v_kind]),
        "responsible_name": pd.concat([pd.Series(name_h.array.take(hh)),
                                       pd.Series(name_v.array.take(vill))], ignore_index=True),
        "responsible_phone": pd.concat([pd.Series(phone_h.array.take(hh)),
                                        pd.Series(phone_v.array.take(vill))], ignore_index=True),
        "measure": text(measure, np.r_[kinds, 4 + v_kind]),
        "status": text(("整改中", "已整改"), np.r_[done, np.zeros(len(vill), bool)].astype(int)),
        "deadline": to_date_objects(np.r_[deadline, v_deadline]),
        "done_on": to_date_objects(np.r_[done_on, np.full(len(vill), np.datetime64("NaT"))]),
    })
    return frame
