"""Risk clues and five-step cases of the synthetic county (DOMAIN §5, §6, §8)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gis_app.core.codes import CaseKind, CaseStatus, ClueChannel
from gis_app.synth.campaign import Findings
from gis_app.synth.common import nullable_int, pick, text, to_date_objects
from gis_app.synth.households import MONITORED, Traits

#: The everyday channels; clues of the 灾害 channel come from a disaster's footprint (events).
_CHANNELS = tuple(c.value for c in ClueChannel if c is not ClueChannel.DISASTER)
_DEPARTMENTS = ("县医保局", "县教育局", "县残联", "县应急管理局", "县公安局", "县农业农村局",
                "县人社局", "县民政局", "县民政局", "县卫健局", "县住建局", "县水利局")
_DESCRIPTIONS = ("住院医疗费用自付部分较高", "子女就读高中，教育支出增加", "家庭成员新增残疾",
                 "房屋及农田受洪涝灾害损毁", "家庭成员遭遇交通事故", "养殖产业受市场影响亏损",
                 "主要劳动力失业返乡", "家庭主要劳动力丧失劳动能力", "家庭收入明显下降",
                 "家庭成员确诊重大疾病", "房屋出现安全隐患", "季节性饮水困难")
_DATE_FIELDS = ("applied_on", "verified_on", "publicity_start", "publicity_end",
                "township_reviewed_on", "county_approved_on")
NAT = np.datetime64("NaT", "D")


@dataclass
class Casework:
    """Clues and cases, and for each household the day its assistance plan was made (or NaT)."""

    clues: pd.DataFrame
    cases: pd.DataFrame
    plan_made_on: np.ndarray


def _chain(rng: np.random.Generator, n: int) -> np.ndarray:
    """Day offsets from the start of a case to each of its six dated steps (mostly ≤ 15 days)."""
    applied = rng.integers(0, 2, n)
    verified = applied + rng.integers(1, 4, n)
    pub_start = verified + rng.integers(1, 3, n)
    pub_end = pub_start + rng.integers(5, 8, n)
    township = pub_end + rng.integers(1, 3, n)
    county = township + rng.integers(1, 3, n)
    return np.column_stack([applied, verified, pub_start, pub_end, township, county])


def _case_block(start: np.ndarray, offsets: np.ndarray, done: np.ndarray) -> dict:
    """Dates of the first ``done[i]`` steps of each case (``done`` counts dated fields, 1–6)."""
    cols = {"started_on": start}
    for j, name in enumerate(_DATE_FIELDS):
        cols[name] = np.where(done > j, start + offsets[:, j], NAT)
    return cols


def _cap(block: dict, as_of: np.datetime64) -> dict:
    """Blank the steps of open cases dated after ``as_of``; a running publicity keeps its end."""
    alive = np.ones(len(block["started_on"]), bool)
    for name in _DATE_FIELDS:
        d = block[name]
        ok = alive & ~np.isnat(d) & ((d <= as_of) | (name == "publicity_end"))
        block[name] = np.where(ok, d, NAT)
        alive = ok & (d <= as_of)
    return block


def _reached(offsets: np.ndarray, elapsed: np.ndarray) -> np.ndarray:
    """How many dated steps fit into ``elapsed`` days (a case in publicity counts its end too)."""
    done = (offsets <= elapsed[:, None]).sum(axis=1)
    return np.where(done == 3, 4, done)


def build_casework(rng: np.random.Generator, traits: Traits, head_ids: pd.Series,
                   findings: Findings, as_of: dt.date) -> Casework:
    """Draw clues and cases consistent with the households and the investigation.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random stream of this stage.
    traits : Traits
        Household traits (monitoring, identification and elimination dates).
    head_ids : pandas.Series
        ID number of each household head.
    findings : Findings
        The investigation: new risk candidates and the day they were checked.
    as_of : datetime.date
        The day the data describe; some cases are overdue at this day.

    Returns
    -------
    Casework
    """
    as_of64 = np.datetime64(as_of, "D")
    year_start = as_of64.astype("datetime64[Y]").astype("datetime64[D]")
    n = len(traits)
    monitored = traits.attribute == MONITORED
    blocks: list[dict] = []

    # 1. Identification of every monitored household, approved on its identification day.
    mon = np.flatnonzero(monitored)
    off = _chain(rng, len(mon))
    approved = traits.identified_on[mon]
    start = approved - off[:, 5]
    plan = approved + rng.integers(2, 10, len(mon))
    late = pick(rng, (approved >= year_start) & (approved <= as_of64 - 11) & ~traits.no_labour[mon],
                min(3, len(mon)))
    plan[late] = NAT
    plan = np.where(plan > as_of64, NAT, plan)
    ident = _case_block(start, off, np.full(len(mon), 6))
    ident.update(household=mon, kind=CaseKind.IDENTIFICATION.value, plan_made_on=plan,
                 status=CaseStatus.APPROVED.value, clue=(approved >= year_start))
    blocks.append(ident)
    plan_of = np.full(n, NAT)
    plan_of[mon] = plan

    # 2. Eliminations (approved), a few in progress and one rolled back.
    elim = np.flatnonzero(traits.risk_eliminated)
    off = _chain(rng, len(elim))
    start = traits.eliminated_on[elim] - off[:, 5]
    block = _case_block(start, off, np.full(len(elim), 6))
    block.update(household=elim, kind=CaseKind.ELIMINATION.value, plan_made_on=NAT,
                 status=CaseStatus.ELIMINATED.value, clue=False)
    blocks.append(block)
    stable = monitored & ~traits.risk_eliminated & ~traits.no_labour & (traits.income >= 7500) & (
        traits.identified_on < as_of64 - 200)
    going = pick(rng, stable, min(4, int(stable.sum())))
    off = _chain(rng, len(going))
    done = np.r_[np.array([2, 4, 5, 6])[:len(going)]]
    start = as_of64 - off[np.arange(len(going)), np.maximum(done - 1, 0)] - rng.integers(
        0, 2, len(going))
    block = _cap(_case_block(start, off, done), as_of64)
    status = np.where(done == 6, CaseStatus.ROLLED_BACK.value, CaseStatus.IN_PROGRESS.value)
    block.update(household=going, kind=CaseKind.ELIMINATION.value, plan_made_on=NAT,
                 status=status, clue=False)
    blocks.append(block)

    # 3. New risks found by the investigation: cases in progress at every step; those started
    #    more than 15 days ago are overdue, and one publicity was too short; a couple rejected.
    cand = findings.candidates
    found = np.minimum(findings.checked_on[cand] + rng.integers(0, 4, len(cand)), as_of64)
    off = _chain(rng, len(cand))
    elapsed = (as_of64 - found).astype(np.int64)
    done = np.clip(_reached(off, elapsed), 1, 5)
    stuck = rng.random(len(cand)) < 0.25
    done = np.where(stuck, np.maximum(done - rng.integers(1, 3, len(cand)), 1), done)
    if len(cand) >= 6:
        # One case at each step for sure, one with too short a publicity, one long stuck.
        done[:6] = [1, 2, 4, 5, 5, 2]
        short = 4
        off[short, 3] = off[short, 2] + 3
        off[short, 4:] = off[short, 3:5] + 1
        # The last step reached falls just before as_of (in publicity: its start).
        last = np.array([0, 1, 2, 4, 4])
        found[:5] = as_of64 - off[np.arange(5), last] - 1
        found[5] = as_of64 - rng.integers(17, 26)
    status = np.full(len(cand), CaseStatus.IN_PROGRESS.value, dtype=object)
    rejected = np.flatnonzero(done == 5)
    status[rejected[rejected > 4][:2]] = CaseStatus.REJECTED.value
    block = _cap(_case_block(found, off, done), as_of64)
    block.update(household=cand, kind=CaseKind.IDENTIFICATION.value, plan_made_on=NAT,
                 status=status, clue=True, risk_override=findings.candidate_risk,
                 type_override=findings.candidate_type, channel=1)
    blocks.append(block)
    cases, clue_rows = _case_frame(blocks, traits, head_ids)
    clues, position = _clue_frame(rng, clue_rows, traits, head_ids, as_of64)
    clue_index = np.full(len(cases), -1)
    clue_index[clue_rows["case"]] = position
    cases.insert(1, "clue_index", nullable_int(clue_index, clue_index >= 0))
    return Casework(clues=clues, cases=cases, plan_made_on=plan_of)


def _case_frame(blocks: list[dict], traits: Traits, head_ids: pd.Series
                ) -> tuple[pd.DataFrame, dict]:
    """Concatenate the case blocks; also returns what the clue table needs."""
    def cat(key, default=None):
        parts = []
        for b in blocks:
            value = b.get(key, default)
            size = len(b["household"])
            parts.append(np.broadcast_to(value, (size,)) if np.ndim(value) == 0 else value)
        return np.concatenate(parts)

    hh = cat("household").astype(np.int64)
    risk = np.where(cat("risk_override", 0) > 0, cat("risk_override", 0), traits.risk_type[hh])
    mtype = np.where(cat("type_override", 0) > 0, cat("type_override", 0),
                     traits.monitoring_type[hh])
    frame = pd.DataFrame({
        "head_id_number": head_ids.array.take(hh),
        "kind": pd.array(cat("kind").astype(object), dtype="str"),
        "monitoring_type": nullable_int(mtype, mtype > 0),
        "risk_type": nullable_int(risk, risk > 0),
        "started_on": to_date_objects(cat("started_on")),
    })
    for name in _DATE_FIELDS:
        frame[name] = to_date_objects(cat(name))
    frame["plan_made_on"] = to_date_objects(cat("plan_made_on", NAT))
    frame["status"] = pd.array(cat("status").astype(object), dtype="str")
    with_clue = cat("clue").astype(bool)
    rows = {"case": np.flatnonzero(with_clue), "household": hh[with_clue],
            "risk": risk[with_clue], "found": cat("started_on")[with_clue],
            "verified": cat("verified_on")[with_clue], "channel": cat("channel", -1)[with_clue]}
    return frame, rows


def _clue_frame(rng, rows: dict, traits: Traits, head_ids: pd.Series,
                as_of64: np.datetime64) -> tuple[pd.DataFrame, np.ndarray]:
    """Clues behind this year's cases, plus screening clues that found no risk.

    Returns the clue frame (sorted by the day found) and the clue row of each case clue.
    """
    n_case = len(rows["household"])
    n = len(traits)
    extra = pick(rng, traits.attribute != MONITORED, max(5, int(round(0.004 * n))))
    year_start = as_of64.astype("datetime64[Y]").astype("datetime64[D]")
    span = int((as_of64 - year_start).astype(np.int64))
    found_extra = year_start + rng.integers(0, span, len(extra))
    hh = np.r_[rows["household"], extra]
    found = np.r_[rows["found"], found_extra]
    risk = np.r_[rows["risk"], rng.integers(1, 10, len(extra))]
    # Screening clues: verified within 5 working days as a rule; some late, some still open.
    lag = np.where(rng.random(len(extra)) < 0.15, rng.integers(6, 10, len(extra)),
                   rng.integers(1, 5, len(extra)))
    checked = np.busday_offset(found_extra, lag, roll="forward")
    open_ = rng.random(len(extra)) < 0.15
    checked = np.where(open_ | (checked > as_of64), NAT, checked)
    verified = np.r_[rows["verified"], checked]
    channel = rng.choice(len(_CHANNELS), len(hh), p=[0.25, 0.35, 0.3, 0.1])
    channel[:n_case] = np.where(rows["channel"] >= 0, rows["channel"], channel[:n_case])
    channel[n_case:] = np.where(rng.random(len(extra)) < 0.7, 2, channel[n_case:])
    dept = np.where(channel == 2, risk - 1, -1)
    desc = np.where((risk == 1) & (rng.random(len(hh)) < 0.4), 9, risk - 1)
    order = np.argsort(found, kind="stable")
    frame = pd.DataFrame({
        "head_id_number": head_ids.array.take(hh[order]),
        "channel": text(_CHANNELS, channel[order]),
        "department": text(_DEPARTMENTS, dept[order]),
        "description": text(_DESCRIPTIONS, desc[order]),
        "found_on": to_date_objects(found[order]),
        "verified_on": to_date_objects(verified[order]),
    })
    position = np.empty(len(hh), np.int64)
    position[order] = np.arange(len(hh))
    return frame, position[:n_case]
