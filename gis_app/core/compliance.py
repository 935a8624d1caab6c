"""The compliance rules of a centralized investigation's records (DOMAIN §9), vectorised."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from gis_app.core.codes import InvestigationMethod

#: Every rule, in report order, with the message users see.
RULES: dict[str, str] = {
    "remote_not_away": (
        "电话、微信等方式排查，但该户并非整户外出（只有整户外出的农户才可电话、微信排查）"
    ),
    "no_checker": "未填写核查人",
    "date_outside_campaign": "排查日期为空或不在本次集中排查时段内",
    "conflicting_answers": (
        "同一户在本次排查中被多次排查，是否存在风险、风险类型或拟纳入监测类型前后不一致"
    ),
    "invalid_method": "排查方式无效（应为1入户排查或2电话、微信等排查）",
}

#: The rules that look at one record alone (the others compare a household's records).
LOCAL_RULES: tuple[str, ...] = (
    "remote_not_away",
    "no_checker",
    "date_outside_campaign",
    "invalid_method",
)

#: Columns :func:`check_records` reads.
RECORD_COLUMNS: tuple[str, ...] = (
    "household_id",
    "method",
    "checked_on",
    "checker",
    "whole_household_away",
    "has_risk",
    "risk_type",
    "proposed_monitoring_type",
)

#: Day number standing for "no date" in :func:`to_days` (before any real date).
NO_DAY = np.iinfo(np.int64).min

_HOME = int(InvestigationMethod.HOME_VISIT)
_REMOTE = int(InvestigationMethod.REMOTE)


def to_days(values) -> np.ndarray:
    """Days since 1970-01-01 as int64, :data:`NO_DAY` where the date is missing.

    Parameters
    ----------
    values : array-like
        ``datetime.date`` objects, strings, ``datetime64`` values or None.

    Returns
    -------
    numpy.ndarray
        int64 day numbers.
    """
    if isinstance(values, dt.date):
        values = [values]
    array = np.asarray(values)
    if not np.issubdtype(array.dtype, np.datetime64):
        array = pd.to_datetime(pd.Series(array, dtype=object), errors="coerce").to_numpy()
    days = array.astype("datetime64[D]")
    out = days.view(np.int64).copy()
    out[np.isnat(days)] = NO_DAY
    return out


def blank_mask(values) -> np.ndarray:
    """True where a text value is missing or only whitespace."""
    text = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if not isinstance(text.dtype, pd.StringDtype):
        text = text.astype("string")
    stripped = text.str.strip()
    return np.asarray(stripped.isna() | (stripped == ""), dtype=bool)


def dense_codes(ids) -> np.ndarray:
    """Integer ids as small non-negative codes (equal ids, equal codes) for bincount."""
    ids = np.asarray(ids, dtype=np.int64)
    if len(ids) == 0:
        return ids
    low, high = ids.min(), ids.max()
    if high - low <= 4 * len(ids) + 1024:
        return ids - low
    return pd.factorize(ids)[0].astype(np.int64)


def local_flags(
    method, checked_on, checker, whole_household_away, start_date, end_date
) -> dict[str, np.ndarray]:
    """The rules of :data:`LOCAL_RULES`, one boolean array each (True: the rule is broken).

    Parameters
    ----------
    method : array-like of int
        1 home visit, 2 phone/WeChat.
    checked_on : array-like
        The check's date (see :func:`to_days`), None when not filled in.
    checker : array-like of str
        Who checked, None or blank when not filled in.
    whole_household_away : array-like of bool
        Whether the whole household was away.
    start_date, end_date : datetime.date
        The campaign window, both days included.

    Returns
    -------
    dict
        Rule name to boolean array.
    """
    method = np.asarray(method, dtype=np.int64)
    away = np.asarray(whole_household_away, dtype=bool)
    days = to_days(checked_on)
    start, end = to_days([start_date, end_date])
    if not isinstance(checker, pd.Series):
        checker = pd.Series(np.asarray(checker, dtype=object), dtype=object)
    return {
        "remote_not_away": (method == _REMOTE) & ~away,
        "no_checker": blank_mask(checker),
        "date_outside_campaign": (days == NO_DAY) | (days < start) | (days > end),
        "invalid_method": (method != _HOME) & (method != _REMOTE),
    }


def answer_codes(has_risk, risk_type, proposed_monitoring_type) -> np.ndarray:
    """One int64 per record that differs exactly when the three answers differ.

    A missing risk type or proposed type counts as its own value (0).
    """
    risk = pd.Series(risk_type).astype("Float64").fillna(0).to_numpy(np.int64)
    proposed = pd.Series(proposed_monitoring_type).astype("Float64").fillna(0).to_numpy(np.int64)
    return (np.asarray(has_risk, dtype=np.int64) * 100 + risk) * 100 + proposed


def conflicting_answers(household_id, answers) -> np.ndarray:
    """True for every record of a household whose records disagree on the answers.

    Parameters
    ----------
    household_id : array-like of int
        Household of each record.
    answers : numpy.ndarray
        From :func:`answer_codes`.

    Returns
    -------
    numpy.ndarray
        Boolean per record.
    """
    answers = np.asarray(answers, dtype=np.int64)
    flag = np.zeros(len(answers), dtype=bool)
    if len(answers) < 2:
        return flag
    # Only households with several records can disagree; they are few, so look at them alone.
    inverse = dense_codes(household_id)
    counts = np.bincount(inverse)
    several = np.flatnonzero(counts[inverse] > 1)
    if len(several) == 0:
        return flag
    group = inverse[several]
    low = np.full(len(counts), np.iinfo(np.int64).max)
    high = np.full(len(counts), np.iinfo(np.int64).min)
    np.minimum.at(low, group, answers[several])
    np.maximum.at(high, group, answers[several])
    flag[several] = low[group] != high[group]
    return flag


def check_records(records: pd.DataFrame, start_date, end_date) -> pd.DataFrame:
    """Every rule of :data:`RULES` on a campaign's records.

    Parameters
    ----------
    records : pandas.DataFrame
        One row per record with the columns of :data:`RECORD_COLUMNS`.
    start_date, end_date : datetime.date
        The campaign window, both days included.

    Returns
    -------
    pandas.DataFrame
        Same index as ``records``: one boolean column per rule (True: broken) and ``compliant``
        (no rule broken).
    """
    flags = local_flags(
        records["method"].to_numpy(),
        records["checked_on"].to_numpy(),
        records["checker"],
        records["whole_household_away"].to_numpy(),
        start_date,
        end_date,
    )
    answers = answer_codes(
        records["has_risk"].to_numpy(),
        records["risk_type"],
        records["proposed_monitoring_type"],
    )
    flags["conflicting_answers"] = conflicting_answers(records["household_id"].to_numpy(), answers)
    frame = pd.DataFrame({rule: flags[rule] for rule in RULES}, index=records.index)
    frame["compliant"] = ~frame[list(RULES)].to_numpy().any(axis=1)
    return frame


def problem_list(records: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """The broken rules as one row per (record, rule).

    Parameters
    ----------
    records : pandas.DataFrame
        With ``id`` and ``household_id``.
    flags : pandas.DataFrame
        From :func:`check_records`, same index.

    Returns
    -------
    pandas.DataFrame
        ``rule, message, record_id, household_id`` in rule order, then record order.
    """
    parts = []
    for rule, message in RULES.items():
        hit = flags[rule].to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "rule": rule,
                    "message": message,
                    "record_id": records["id"].to_numpy()[hit],
                    "household_id": records["household_id"].to_numpy()[hit],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
