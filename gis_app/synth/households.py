"""Household traits of the synthetic county: attribute, monitoring, income, flags (vectorised)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gis_app.core.codes import HouseholdAttribute, MonitoringType, RiskType
from gis_app.synth import libm
from gis_app.synth.common import day

LIFTED = int(HouseholdAttribute.LIFTED)
MONITORED = int(HouseholdAttribute.MONITORED)
ORDINARY = int(HouseholdAttribute.ORDINARY)

_MEMBERS_P = np.array([0.14, 0.22, 0.20, 0.19, 0.13, 0.07, 0.035, 0.015])
#: Risk types of monitored households that no flag explains (学, 灾, 意外, 产业, 务工, 其他).
_OTHER_RISKS = np.array([RiskType.SCHOOLING, RiskType.NATURAL_DISASTER, RiskType.ACCIDENT,
                         RiskType.FAILED_BUSINESS, RiskType.UNSTABLE_WORK, RiskType.OTHER],
                        dtype=np.int64)
_OTHER_RISKS_P = np.array([0.16, 0.14, 0.2, 0.12, 0.3, 0.08])


@dataclass
class Traits:
    """Per-household traits; dates are ``datetime64[D]`` (NaT when not applicable)."""

    members: np.ndarray
    attribute: np.ndarray
    monitoring_type: np.ndarray
    risk_type: np.ndarray
    identified_on: np.ndarray
    risk_eliminated: np.ndarray
    eliminated_on: np.ndarray
    income: np.ndarray
    no_labour: np.ndarray
    dibao: np.ndarray
    tekun: np.ndarray
    ill_plan: np.ndarray
    disabled_plan: np.ndarray
    housing_problem: np.ndarray
    water_problem: np.ndarray
    away: np.ndarray
    head_age: np.ndarray
    head_male: np.ndarray
    has_phone: np.ndarray

    def __len__(self) -> int:
        return len(self.members)


def _attribute(rng: np.random.Generator, village_factor: np.ndarray, relocated: np.ndarray
               ) -> np.ndarray:
    """户属性: about 25% 脱贫户 and 4% 监测对象, more of both in mountain villages."""
    f = village_factor / village_factor.mean()
    p_mon = 0.04 * np.sqrt(f)
    p_lift = 0.25 * f
    p_mon = np.where(relocated, 0.08, p_mon)
    p_lift = np.where(relocated, 0.85, p_lift)
    u = rng.random(len(f))
    return np.where(u < p_mon, MONITORED, np.where(u < p_mon + p_lift, LIFTED, ORDINARY))


def draw_traits(rng: np.random.Generator, village_factor: np.ndarray, relocated: np.ndarray,
                as_of: np.datetime64) -> Traits:
    """Draw the traits of every household.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random stream of this stage.
    village_factor : numpy.ndarray
        Per household, how poor its village is (about 1; mountain villages higher).
    relocated : numpy.ndarray
        Households moved to a resettlement site (mostly lifted-out households).
    as_of : numpy.datetime64
        The day the data describe.

    Returns
    -------
    Traits
    """
    n = len(relocated)
    attribute = _attribute(rng, village_factor, relocated)
    monitored = attribute == MONITORED
    lifted = attribute == LIFTED
    poor = monitored | lifted
    head_age = np.clip(rng.normal(54, 13, n) + np.where(poor, 4, 0), 25, 90)
    members = rng.choice(np.arange(1, 9), n, p=_MEMBERS_P)
    old = head_age >= 72
    members = np.where(old & (rng.random(n) < 0.6), np.minimum(members, 2), members)
    no_labour = (monitored & (rng.random(n) < 0.15)) | (lifted & (rng.random(n) < 0.025))
    members = np.where(no_labour, np.minimum(members, 1 + (rng.random(n) < 0.35)), members)
    head_age = np.where(no_labour, rng.uniform(66, 88, n), head_age)
    head_male = rng.random(n) < np.where(head_age > 70, 0.75, 0.88)

    tekun = (no_labour & (members == 1) & (rng.random(n) < 0.6)) | (
        lifted & (rng.random(n) < 0.003))
    dibao = ~tekun & ((no_labour & (rng.random(n) < 0.85)) | (rng.random(n) < np.select(
        [monitored, lifted], [0.30, 0.10], 0.015)))
    ill_plan = rng.random(n) < np.select([no_labour, monitored, lifted], [0.5, 0.4, 0.15], 0.05)
    disabled_plan = rng.random(n) < np.select([no_labour, monitored, lifted],
                                              [0.35, 0.22, 0.09], 0.04)

    m_type = np.where(monitored, rng.choice([int(t) for t in MonitoringType], n,
                                            p=[0.45, 0.40, 0.15]), 0)
    risk = rng.choice(_OTHER_RISKS, n, p=_OTHER_RISKS_P)
    risk = np.where(disabled_plan & (rng.random(n) < 0.6), int(RiskType.DISABILITY), risk)
    risk = np.where(ill_plan & (rng.random(n) < 0.7), int(RiskType.ILLNESS), risk)
    risk = np.where(no_labour, int(RiskType.LACK_OF_LABOUR), risk)
    risk = np.where(monitored, risk, 0)

    # Identification dates: since 2020; a fifth of the monitored households were found this year.
    year_start = as_of.astype("datetime64[Y]").astype("datetime64[D]")
    first = min(day("2020-04-01"), year_start - 365)
    recent = rng.random(n) < 0.2
    span_old = max(int((year_start - first).astype(np.int64)), 1)
    span_new = max(int((as_of - year_start).astype(np.int64)) - 16, 1)
    identified = np.where(recent, year_start + rng.integers(0, span_new, n),
                          first + rng.integers(0, span_old, n)).astype("datetime64[D]")
    identified = np.where(monitored, identified, np.datetime64("NaT"))
    age_days = (as_of - identified).astype(np.int64)
    eliminated = monitored & ~no_labour & (age_days > 200) & (rng.random(n) < 0.35)
    span = np.maximum(age_days - 190, 1)
    elim_on = identified + 180 + (rng.random(n) * span).astype(np.int64)
    elim_on = np.where(eliminated, elim_on, np.datetime64("NaT")).astype("datetime64[D]")

    income = np.select(
        [no_labour, eliminated, monitored, lifted],
        [rng.lognormal(libm.log(6200), 0.15, n), rng.lognormal(libm.log(9800), 0.15, n),
         rng.lognormal(libm.log(6600), 0.22, n), rng.lognormal(libm.log(11800), 0.38, n)],
        rng.lognormal(libm.log(15500), 0.42, n))
    income = np.round(np.clip(income, 3000, 60000), -1)

    housing = rng.random(n) < np.where(monitored, 0.02, 0.0025)
    water = rng.random(n) < np.where(village_factor > 1.2, 0.006, 0.002)
    away = ~no_labour & (members <= 4) & (rng.random(n) < np.select(
        [monitored, lifted], [0.01, 0.03], 0.07))
    has_phone = rng.random(n) < np.where(monitored, 0.995, 0.97)
    return Traits(members=members, attribute=attribute, monitoring_type=m_type, risk_type=risk,
                  identified_on=identified, risk_eliminated=eliminated, eliminated_on=elim_on,
                  income=income, no_labour=no_labour, dibao=dibao, tekun=tekun,
                  ill_plan=ill_plan, disabled_plan=disabled_plan, housing_problem=housing,
                  water_problem=water, away=away, head_age=head_age, head_male=head_male,
                  has_phone=has_phone)
