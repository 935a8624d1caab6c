"""Household members of the synthetic county: one row per person, built with array operations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gis_app.synth.common import nullable_int, text, to_date_objects
from gis_app.synth.households import Traits
from gis_app.synth.names import IdAllocator, NamePool

RELATIONS = ("户主", "配偶", "子女", "父母", "孙子女", "其他")
ILLNESSES = ("高血压", "糖尿病", "慢阻肺", "冠心病", "脑梗后遗症", "尿毒症", "恶性肿瘤",
             "类风湿关节炎", "精神分裂症", "先天性心脏病")
_ILL_OLD_P = np.array([0.24, 0.17, 0.12, 0.10, 0.10, 0.05, 0.08, 0.08, 0.04, 0.02])
_ILL_YOUNG_P = np.array([0.04, 0.04, 0.02, 0.02, 0.02, 0.18, 0.18, 0.08, 0.24, 0.18])
#: Illnesses that take away the ability to work.
_DISABLING = {"尿毒症", "恶性肿瘤", "脑梗后遗症", "精神分裂症"}
DISABILITIES = ("肢体", "视力", "听力", "智力", "精神")
SCHOOLING = ("小学", "初中", "高中", "中职", "大学")
LABOUR = ("普通劳动力", "弱劳动力", "无劳动力", "丧失劳动力")
WORK = ("县内务工", "省内务工", "省外务工", "务农")
_PLACES = {
    0: ("青溪县工业园", "青溪县城", "本乡镇集镇"),
    1: ("长沙市", "株洲市", "湘潭市", "衡阳市", "岳阳市", "邵阳市", "怀化市"),
    2: ("广东省东莞市", "广东省深圳市", "广东省广州市", "广东省佛山市", "浙江省宁波市",
        "浙江省义乌市", "福建省泉州市", "江苏省苏州市", "上海市"),
    3: ("本村",),
}


#: Cumulative shares of 子女, 父母, 孙子女, 其他 among other members, by head age <45, <60, ≥60.
_OTHER_CUM = np.array([[0.80, 0.98, 0.98], [0.70, 0.82, 0.97], [0.45, 0.45, 0.95]])
_OTHER_REL = np.array([2, 3, 4, 5], dtype=np.int8)
#: Age relative to the head by relation (户主, 配偶, 子女, 父母, 孙子女, 其他), and its spread.
_AGE_SHIFT = np.array([0.0, 0.0, -29.0, 27.0, -52.0, -2.5])
_AGE_SPREAD = np.array([0.0, 4.0, 7.0, 5.0, 8.0, 12.5])


@dataclass
class People:
    """The persons frame and what it says about each household."""

    frame: pd.DataFrame
    head_ids: pd.Series
    head_names: pd.Series
    severe_illness: np.ndarray
    disability: np.ndarray
    education_problem: np.ndarray
    insurance_problem: np.ndarray


def _pick(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    """``n`` draws of category codes with probabilities ``p`` (inverse-CDF, vectorised)."""
    return np.minimum(np.searchsorted(np.cumsum(p), rng.random(n) * p.sum()), len(p) - 1)


def build_people(rng: np.random.Generator, traits: Traits, names: NamePool, ids: IdAllocator,
                 as_of: np.datetime64) -> People:
    """One row per member of every household.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random stream of this stage.
    traits : Traits
        Household traits (members, head age and sex, illness and disability plans, ...).
    names : NamePool
        Name generator.
    ids : IdAllocator
        ID number generator (the head's number becomes the household's).
    as_of : numpy.datetime64
        Ages are counted to this day.

    Returns
    -------
    People
    """
    members = traits.members
    n_h, n = len(members), int(members.sum())
    starts = np.r_[0, np.cumsum(members)[:-1]]
    hh = np.repeat(np.arange(n_h), members)
    pos = np.arange(n) - starts[hh]
    head_age = traits.head_age[hh]
    head_male = traits.head_male[hh]

    spouse_p = np.where(traits.head_age > 75, 0.55, 0.85)
    has_spouse = (members >= 2) & (rng.random(n_h) < spouse_p)
    relation = np.where(pos == 0, 0, np.where((pos == 1) & has_spouse[hh], 1, -1)).astype(np.int8)
    # Other members by the head's age class: cumulative shares of 子女, 父母, 孙子女, 其他.
    age_class = (head_age >= 45).astype(np.int8) + (head_age >= 60)
    u = rng.random(n)
    other = relation < 0
    cum = _OTHER_CUM[age_class[other]]
    relation[other] = _OTHER_REL[(u[other, None] > cum).sum(axis=1)]

    # Age = head's age + a shift by relation, spread uniformly around it.
    age = head_age + _AGE_SHIFT[relation] + _AGE_SPREAD[relation] * (2 * rng.random(n) - 1)
    age = np.where(relation == 1, age + np.where(head_male, -2.0, 2.0), age)
    age = np.where(age < 0, 3 * u, age)
    age = np.clip(age, 0.1, 99)
    male = np.select([relation == 0, relation == 1], [head_male, ~head_male], rng.random(n) < 0.52)
    birth = as_of - np.round(age * 365.25).astype(np.int64)

    # Surnames: children and grandchildren mostly carry the head's.
    surname = names.surname_codes(n_h)[hh]
    u2 = rng.random(n)
    keep = ((relation == 2) | (relation == 4)) & (head_male | (u2 < 0.5))
    keep |= (relation == 0) | ((relation == 3) & (u2 < 0.6))
    surname[~keep] = names.surname_codes(int((~keep).sum()))
    person_names = names.full_names(surname, male)
    id_numbers = ids.allocate(birth, male, "persons")

    # Illness and disability, on one (sometimes two) members of the planned households.
    illness = np.full(n, -1)
    for extra in (0, 1):
        chosen = traits.ill_plan & ((extra == 0) | (rng.random(n_h) < 0.25))
        who = starts[chosen] + (rng.random(chosen.sum()) * members[chosen]).astype(np.int64)
        older = age[who] >= 45
        kind = np.where(older, _pick(rng, len(who), _ILL_OLD_P), _pick(rng, len(who),
                                                                      _ILL_YOUNG_P))
        illness[who] = kind
    disabled = np.full(n, -1)
    who = starts[traits.disabled_plan] + (rng.random(traits.disabled_plan.sum())
                                          * members[traits.disabled_plan]).astype(np.int64)
    disabled[who] = _pick(rng, len(who), np.array([0.45, 0.15, 0.15, 0.12, 0.13]))
    grade = np.zeros(n, np.int64)
    grade[who] = _pick(rng, len(who), np.array([0.12, 0.23, 0.30, 0.35])) + 1

    school = np.full(n, -1)
    school = np.where((age >= 6) & (age < 12), 0, school)
    school = np.where((age >= 12) & (age < 15), 1, school)
    teen = (age >= 15) & (age < 18)
    school[teen] = np.array([2, 3, -1])[_pick(rng, int(teen.sum()), np.array([0.55, 0.35, 0.10]))]
    school = np.where((age >= 18) & (age < 22) & (rng.random(n) < 0.35), 4, school)
    dropout = (age >= 7) & (age < 15) & (rng.random(n) < 0.002)
    school = np.where(dropout, -1, school)
    insured = rng.random(n) >= 0.01

    disabling_codes = np.zeros(len(ILLNESSES) + 1, bool)
    disabling_codes[[ILLNESSES.index(i) for i in _DISABLING]] = True
    disabling = disabling_codes[illness]
    severe_dis = (grade >= 1) & (grade <= 2)
    weak = ((illness >= 0) & ~disabling) | (grade >= 3)
    student = school >= 0
    labour = np.select(
        [age < 16, student, (age <= 60) & (disabling | severe_dis), age <= 60,
         (age <= 70) & (disabling | severe_dis), age <= 70],
        [2, 2, 3, np.where(weak | (rng.random(n) < 0.08), 1, 0), 3,
         np.where(rng.random(n) < 0.55, 1, 2)],
        np.where(rng.random(n) < 0.85, 2, 3))
    labour = np.where(traits.no_labour[hh] & (labour <= 1), 3, labour)

    can_work = np.flatnonzero((labour <= 1) & (age >= 16) & (age < 65))
    strong = labour[can_work] == 0
    job = np.where(strong, _pick(rng, len(can_work), np.array([0.22, 0.18, 0.32, 0.28])),
                   _pick(rng, len(can_work), np.array([0.15, 0.08, 0.07, 0.70])))
    away = traits.away[hh[can_work]]
    job = np.where(away, np.where(rng.random(len(can_work)) < 0.7, 2, 1), job)
    work = np.full(n, -1)
    work[can_work] = job
    place_labels = [p for k in range(4) for p in _PLACES[k]]
    offsets = np.cumsum([0] + [len(_PLACES[k]) for k in range(3)])
    sizes = np.array([len(_PLACES[k]) for k in range(4)])
    place = np.full(n, -1)
    place[can_work] = offsets[job] + (rng.random(len(can_work)) * sizes[job]).astype(np.int64)

    head_ids = pd.Series(id_numbers.array.take(starts))
    frame = pd.DataFrame({
        "head_id_number": id_numbers.array.take(starts[hh]),
        "name": person_names.array,
        "id_number": id_numbers.array,
        "relation": text(RELATIONS, relation),
        "sex": text(("女", "男"), male.astype(np.int64)),
        "birth_date": to_date_objects(birth),
        "illness": text(ILLNESSES, illness),
        "disability_kind": text(DISABILITIES, disabled),
        "disability_grade": nullable_int(grade, grade > 0),
        "schooling": text(SCHOOLING, school),
        "insured": insured,
        "labour": text(LABOUR, labour),
        "work_status": text(WORK, work),
        "work_place": text(place_labels, place),
    })

    def any_of(flag: np.ndarray) -> np.ndarray:
        return np.bincount(hh, flag.astype(float), n_h) > 0

    return People(
        frame=frame, head_ids=head_ids, head_names=pd.Series(person_names.array.take(starts)),
        severe_illness=any_of(illness >= 0), disability=any_of(disabled >= 0),
        education_problem=any_of(dropout), insurance_problem=any_of(~insured))
