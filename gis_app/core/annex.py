"""Annex 1 of seed 002: the statistics table of a centralized investigation, its identities.

附件1《防止返贫监测帮扶集中排查情况统计表》 counts, per village (and per township), the households
checked in a campaign and what the checks found. Each household counts once, by its *deciding
record*: of its records in the campaign that break no rule of :mod:`gis_app.core.compliance`, one
of the best coverage status (入户排查 before 电话、微信等排查, :mod:`gis_app.core.coverage`), the
latest by date, then by id. A household whose records all break a rule (排查不合规) or that has
none (未排查) is not checked: the table counts exactly what the 排查覆盖 dock calls covered, and
its households are the rows of annex 2. Persons are the household's 家庭人口数 (``members``).

Indicators, in the form's words (``household``: the stored household row; ``record``: the
deciding record):

============  ===================================================================================
A1 / A2       排查农户情况·合计·总户数 / 总人数: households checked.
A3 / A4       其中·监测对象·户数 / 人数: checked households whose 户属性 is 2 监测对象.
A7 / A8       其中·入户排查·户数 / 人数: checked households whose status is 入户排查 (a compliant
              home visit).
A9 / A10      其中·微信、电话等排查·户数 / 人数: checked only by phone or WeChat (compliant: the
              whole household away).
B1 / B2       新识别监测对象情况·合计·总户数 / 总人数: the record finds a risk (是否存在致返贫风险)
              and proposes a monitoring type (拟纳入监测类型 filled in).
B3 / B4       其中·脱贫不稳定户: the proposed type is 1.
B5 / B6       其中·边缘易致贫户: the proposed type is 2.
B7 / B8       其中·突发严重困难户: the proposed type is 3.
C1 / C2       拟回退监测对象情况: the record proposes a roll-back of an elimination (风险回退).
D1 / D2       拟清退监测对象情况: the record proposes removal (清退).
============  ===================================================================================

The form skips A5 and A6; so does this table. B3…B8 are counted from the proposed type alone,
not from B1's condition, so that a record whose answers disagree (a type proposed without a
risk, a code outside 1–3) breaks B1 = B3 + B5 + B7 instead of vanishing from one side. The four
identities of the form's 备注 — A1 = A7 + A9, A2 = A8 + A10, B1 = B3 + B5 + B7,
B2 = B4 + B6 + B8 — are checked on every row before a table is written
(:func:`require_identities`); a broken one is refused naming the unit and the identity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gis_app.core.codes import HouseholdAttribute, MonitoringType
from gis_app.core.compliance import check_records, to_days
from gis_app.core.coverage import (
    CoverageStatus,
    household_positions,
    household_status,
    record_status,
)

TITLE = "防止返贫监测帮扶集中排查情况统计表"


@dataclass(frozen=True)
class Indicator:
    """One column of the table: its code, what it counts and the unit (户 or 人)."""

    code: str
    #: Key of the per-household condition in :func:`household_conditions`.
    condition: str
    #: True: persons (家庭人口数 summed); False: households.
    persons: bool


#: Condition and household code of each pair of columns; the person count is the next code.
_PAIRS: tuple[tuple[str, str], ...] = (
    ("A1", "checked"), ("A3", "monitored"), ("A7", "home"), ("A9", "remote"),
    ("B1", "proposed"), ("B3", "unstable"), ("B5", "marginal"), ("B7", "sudden"),
    ("C1", "rollback"), ("D1", "removal"),
)

#: The form's 20 columns in order: a household and a person count per condition.
INDICATORS: tuple[Indicator, ...] = tuple(
    Indicator(f"{code[0]}{int(code[1:]) + persons}", condition, bool(persons))
    for code, condition in _PAIRS
    for persons in (0, 1)
)
CODES: tuple[str, ...] = tuple(indicator.code for indicator in INDICATORS)

#: The 备注 of the form: each total equals the sum of its parts.
IDENTITIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("A1", ("A7", "A9")),
    ("A2", ("A8", "A10")),
    ("B1", ("B3", "B5", "B7")),
    ("B2", ("B4", "B6", "B8")),
)
NOTE = "备注：A1=A7+A9，A2=A8+A10；B1=B3+B5+B7，B2=B4+B6+B8。"
#: The first line of a refusal; one line per breach follows (:func:`require_identities`).
IDENTITY_REFUSAL = "统计表数据不满足表内平衡关系，未生成："


@dataclass(frozen=True)
class HeaderCell:
    """A cell of the form's four header rows over the indicator columns.

    ``row``/``last_row`` count from 0 (the first header row); ``first``/``last`` are indicator
    codes: the cell spans their columns.
    """

    text: str
    row: int
    last_row: int
    first: str
    last: str


def _pairs(row: int, codes: tuple[str, ...]) -> tuple[HeaderCell, ...]:
    """户数 / 人数 under each pair of codes."""
    return tuple(HeaderCell(text, row, row, code, code)
                 for code, text in zip(codes, ("户数", "人数") * len(codes), strict=False))


#: The header of 附件1 as seed 002 draws it: four rows, then the row of codes.
HEADER: tuple[HeaderCell, ...] = (
    HeaderCell("排查农户情况", 0, 0, "A1", "A10"),
    HeaderCell("新识别监测对象情况", 0, 0, "B1", "B8"),
    HeaderCell("拟回退监测对象情况", 0, 2, "C1", "C2"),
    HeaderCell("拟清退监测对象情况", 0, 2, "D1", "D2"),
    HeaderCell("合计", 1, 1, "A1", "A2"),
    HeaderCell("其中", 1, 1, "A3", "A4"),
    HeaderCell("其中", 1, 1, "A7", "A10"),
    HeaderCell("合计", 1, 1, "B1", "B2"),
    HeaderCell("其中", 1, 1, "B3", "B8"),
    HeaderCell("总户数", 2, 3, "A1", "A1"),
    HeaderCell("总人数", 2, 3, "A2", "A2"),
    HeaderCell("监测对象", 2, 2, "A3", "A4"),
    HeaderCell("入户排查", 2, 2, "A7", "A8"),
    HeaderCell("微信、电话等排查", 2, 2, "A9", "A10"),
    HeaderCell("总户数", 2, 3, "B1", "B1"),
    HeaderCell("总人数", 2, 3, "B2", "B2"),
    HeaderCell(MonitoringType.UNSTABLE.label, 2, 2, "B3", "B4"),
    HeaderCell(MonitoringType.MARGINAL.label, 2, 2, "B5", "B6"),
    HeaderCell(MonitoringType.SUDDEN_HARDSHIP.label, 2, 2, "B7", "B8"),
    *_pairs(3, ("A3", "A4", "A7", "A8", "A9", "A10", "B3", "B4", "B5", "B6", "B7", "B8",
                "C1", "C2", "D1", "D2")),
)
#: Header rows above the row of codes.
HEADER_ROWS = 4

#: Record columns :func:`deciding_records` and :func:`household_conditions` read.
RECORD_COLUMNS: tuple[str, ...] = (
    "id", "household_id", "method", "checked_on", "checker", "whole_household_away",
    "has_risk", "risk_type", "proposed_monitoring_type", "proposed_rollback", "proposed_removal",
)


class IdentityError(ValueError):
    """A row of the table breaks an identity of the form; nothing is written."""

    def __init__(self, message: str, breaches: list[dict]):
        super().__init__(message)
        #: ``unit, identity, left, left_value, right, right_value`` of each breach.
        self.breaches = breaches


def deciding_records(household_ids, records: pd.DataFrame, start_date, end_date
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Each household's coverage status and the position of its deciding record.

    Parameters
    ----------
    household_ids : array-like of int
        The households counted.
    records : pandas.DataFrame
        The campaign's records with the columns of
        :data:`gis_app.core.compliance.RECORD_COLUMNS` and ``id``; others' are ignored.
    start_date, end_date : datetime.date
        The campaign window.

    Returns
    -------
    status : numpy.ndarray
        int8 :class:`~gis_app.core.coverage.CoverageStatus` per household (the coverage rule).
    row : numpy.ndarray
        int64 position in ``records`` of the household's deciding record, -1 when not checked.
    """
    n = len(household_ids)
    days = to_days(records["checked_on"].to_numpy())
    flags = check_records(records.assign(checked_on=days.astype("datetime64[D]")),
                          start_date, end_date)
    compliant = flags["compliant"].to_numpy()
    positions = household_positions(household_ids, records["household_id"].to_numpy())
    statuses = record_status(records["method"].to_numpy(), compliant)
    status = household_status(n, positions, statuses)
    row = np.full(n, -1, dtype=np.int64)
    candidates = np.flatnonzero(compliant & (positions >= 0))
    if len(candidates):
        ids = records["id"].to_numpy(np.int64)[candidates]
        order = candidates[np.lexsort((ids, days[candidates], statuses[candidates],
                                       positions[candidates]))]
        # Sorted by household, then status, date and id: each household's last is its choice.
        owner = positions[order]
        last = np.r_[owner[1:] != owner[:-1], True]
        row[owner[last]] = order[last]
    return status, row


def deciding_values(values, row: np.ndarray, fill) -> np.ndarray:
    """A record column at each household's deciding ``row`` (``fill`` where -1 or missing)."""
    series = pd.Series(values).reset_index(drop=True)
    if isinstance(series.dtype, pd.BooleanDtype) or series.dtype == bool:
        array = series.astype("boolean").fillna(bool(fill)).to_numpy(bool)
    else:
        array = series.astype("Float64").fillna(fill).to_numpy(np.float64)
    out = np.full(len(row), fill, dtype=array.dtype)
    checked = row >= 0
    out[checked] = array[row[checked]]
    return out


def household_conditions(households: pd.DataFrame, records: pd.DataFrame,
                         status: np.ndarray, row: np.ndarray) -> dict[str, np.ndarray]:
    """The conditions of :data:`INDICATORS`, one boolean array per household each.

    Parameters
    ----------
    households : pandas.DataFrame
        ``attribute`` per household, in the order of ``status`` and ``row``.
    records : pandas.DataFrame
        The records ``row`` points into (:data:`RECORD_COLUMNS`).
    status, row : numpy.ndarray
        From :func:`deciding_records`.

    Returns
    -------
    dict
        Condition key (see :data:`INDICATORS`) → boolean array.
    """
    checked = row >= 0
    proposed = deciding_values(records["proposed_monitoring_type"], row, -1.0)
    has_risk = deciding_values(records["has_risk"], row, False)
    attribute = pd.Series(households["attribute"]).astype("Float64").fillna(0).to_numpy()
    return {
        "checked": checked,
        "monitored": checked & (attribute == int(HouseholdAttribute.MONITORED)),
        "home": checked & (status == int(CoverageStatus.HOME)),
        "remote": checked & (status == int(CoverageStatus.REMOTE)),
        "proposed": checked & has_risk & (proposed != -1.0),
        "unstable": checked & (proposed == int(MonitoringType.UNSTABLE)),
        "marginal": checked & (proposed == int(MonitoringType.MARGINAL)),
        "sudden": checked & (proposed == int(MonitoringType.SUDDEN_HARDSHIP)),
        "rollback": checked & deciding_values(records["proposed_rollback"], row, False),
        "removal": checked & deciding_values(records["proposed_removal"], row, False),
    }


def indicator_table(households: pd.DataFrame, records: pd.DataFrame, start_date, end_date,
                    units: pd.DataFrame, unit_column: str = "village_code") -> pd.DataFrame:
    """The indicators of :data:`CODES` per unit.

    Parameters
    ----------
    households : pandas.DataFrame
        ``id``, ``members``, ``attribute`` and ``unit_column`` (the unit's code).
    records : pandas.DataFrame
        The campaign's records (:data:`RECORD_COLUMNS`).
    start_date, end_date : datetime.date
        The campaign window.
    units : pandas.DataFrame
        The rows of the table in order, with ``code`` (matched with ``unit_column``) and any
        label columns, kept as they are; a unit without households gets zeros, a household of
        no listed unit is not counted.
    unit_column : str
        The household column holding the unit's code.

    Returns
    -------
    pandas.DataFrame
        ``units``' columns, then one int64 column per code of :data:`CODES`.
    """
    status, row = deciding_records(households["id"].to_numpy(), records, start_date, end_date)
    conditions = household_conditions(households, records, status, row)
    return count_indicators(households, conditions, units, unit_column)


def count_indicators(households: pd.DataFrame, conditions: dict[str, np.ndarray],
                     units: pd.DataFrame, unit_column: str = "village_code") -> pd.DataFrame:
    """Households and persons meeting each condition, per unit (see :func:`indicator_table`).

    Parameters
    ----------
    households : pandas.DataFrame
        ``members`` and ``unit_column``, in the order of the condition arrays.
    conditions : dict
        From :func:`household_conditions`.
    units : pandas.DataFrame
        The table's rows, with ``code``.
    unit_column : str
        The household column holding the unit's code.

    Returns
    -------
    pandas.DataFrame
        ``units``' columns, then one int64 column per code of :data:`CODES`.
    """
    unit = pd.Index(units["code"]).get_indexer(households[unit_column])
    keep = unit >= 0
    members = pd.Series(households["members"]).astype("Float64").fillna(0).to_numpy()
    counts = {}
    for indicator in INDICATORS:
        hit = conditions[indicator.condition] & keep
        weights = members[hit] if indicator.persons else None
        counts[indicator.code] = np.bincount(unit[hit], weights, minlength=len(units)
                                             ).round().astype(np.int64)
    table = units.reset_index(drop=True).copy()
    return pd.concat([table, pd.DataFrame(counts)], axis=1)


def total_row(table: pd.DataFrame, **labels) -> pd.DataFrame:
    """One row: the sum of every code column of ``table``, with ``labels`` as its other cells."""
    sums = table[list(CODES)].to_numpy(np.int64).sum(axis=0)
    return pd.DataFrame({**{key: [value] for key, value in labels.items()},
                         **{code: [int(total)] for code, total in zip(CODES, sums, strict=True)}})


def identity_breaches(table: pd.DataFrame, unit: pd.Series | list) -> list[dict]:
    """Every row and identity of :data:`IDENTITIES` that does not hold.

    Parameters
    ----------
    table : pandas.DataFrame
        One column per code of :data:`CODES`.
    unit : sequence of str
        How each row is named in a message (e.g. “青山乡青山村（430599101201）”).

    Returns
    -------
    list of dict
        ``unit, identity, left, left_value, right, right_value``, in row order.
    """
    names = list(unit)
    found = []
    for total, parts in IDENTITIES:
        left = table[total].to_numpy(np.int64)
        right = table[list(parts)].to_numpy(np.int64).sum(axis=1)
        for i in np.flatnonzero(left != right):
            right_text = " + ".join(parts)
            found.append({"row": int(i), "unit": names[i],
                          "identity": f"{total} = {right_text}", "left": total,
                          "left_value": int(left[i]), "right": right_text,
                          "right_value": int(right[i])})
    found.sort(key=lambda breach: breach["row"])
    return found


def require_identities(table: pd.DataFrame, unit: pd.Series | list) -> None:
    """Refuse a table that breaks an identity, naming each unit and identity.

    Raises
    ------
    IdentityError
        With one line per breach, e.g. ``青山乡青山村（430599101201）：B1 = B3 + B5 + B7
        不成立（B1 = 4，B3 + B5 + B7 = 5）``.
    """
    breaches = identity_breaches(table, unit)
    if not breaches:
        return
    lines = [
        f"{b['unit']}：{b['identity']} 不成立（{b['left']} = {b['left_value']}，"
        f"{b['right']} = {b['right_value']}）"
        for b in breaches
    ]
    raise IdentityError("\n".join([IDENTITY_REFUSAL, *lines]), breaches)


def portrayed(conditions: dict[str, np.ndarray], has_risk: np.ndarray, income,
              early_warning_income: float) -> np.ndarray:
    """Households checked that annex 3 portrays (一户一画像): a risk found, or a low income.

    Seed 002 asks a portrait of the 6类人群; of those the store shows the households whose
    deciding record finds a risk (illness, unstable work, failed business, accident …) and
    those whose income per person is below the campaign's early-warning income (收入较低).

    Parameters
    ----------
    conditions : dict
        From :func:`household_conditions` (``checked`` is read).
    has_risk : numpy.ndarray
        The deciding record's 是否存在致返贫风险 per household (False when not checked).
    income : array-like
        家庭年人均纯收入 per household (NaN when unknown).
    early_warning_income : float
        The campaign's early-warning income (10,000 yuan in seed 002).

    Returns
    -------
    numpy.ndarray
        Boolean per household.
    """
    income = pd.Series(income).astype("Float64").to_numpy(np.float64, na_value=np.nan)
    low = np.nan_to_num(income, nan=np.inf) < float(early_warning_income)
    return conditions["checked"] & (np.asarray(has_risk, dtype=bool) | low)
