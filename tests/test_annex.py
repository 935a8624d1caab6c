"""Annex 1's indicators and identities (core/annex.py) on households made by hand.

Each case is small enough to count on paper: which record decides a household, which household
counts under which code, and the refusal of a table that breaks an identity.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from gis_app.core import annex
from gis_app.ui.i18n import Translator

START, END = dt.date(2023, 4, 20), dt.date(2023, 6, 20)
DAY = dt.date(2023, 5, 10)


def _record(rid, household, method=1, day=DAY, checker="张三", away=False, has_risk=False,
            risk=None, proposed=None, rollback=False, removal=False) -> dict:
    return {"id": rid, "household_id": household, "method": method, "checked_on": day,
            "checker": checker, "whole_household_away": away, "has_risk": has_risk,
            "risk_type": risk, "proposed_monitoring_type": proposed,
            "proposed_rollback": rollback, "proposed_removal": removal}


def _frames(records: list[dict]):
    households = pd.DataFrame({
        "id": np.arange(1, 11),
        "members": [3, 4, 5, 2, 6, 1, 3, 2, 4, 5],
        "attribute": [1, 2, 3, 3, 1, 2, 3, 3, 1, 3],
        "village_code": ["V1"] * 5 + ["V2"] * 4 + ["V9"],  # V9 is not a row of the table
    })
    frame = pd.DataFrame(records)
    frame["risk_type"] = frame["risk_type"].astype("Int64")
    frame["proposed_monitoring_type"] = frame["proposed_monitoring_type"].astype("Int64")
    return households, frame


UNITS = pd.DataFrame({"code": ["V1", "V2", "V3"], "name": ["一村", "二村", "三村"]})


def _table(records):
    households, frame = _frames(records)
    return annex.indicator_table(households, frame, START, END, UNITS).set_index("code")


def test_codes_and_layout_follow_the_form():
    assert annex.CODES == ("A1", "A2", "A3", "A4", "A7", "A8", "A9", "A10", "B1", "B2", "B3",
                           "B4", "B5", "B6", "B7", "B8", "C1", "C2", "D1", "D2")
    # every indicator column has exactly one cell in each header row (merged or not)
    columns = {code: i for i, code in enumerate(annex.CODES)}
    for row in range(annex.HEADER_ROWS):
        covered = []
        for cell in annex.HEADER:
            if cell.row <= row <= cell.last_row:
                covered += list(range(columns[cell.first], columns[cell.last] + 1))
        assert sorted(covered) == list(range(len(annex.CODES))), row


def test_each_household_counts_once_by_its_deciding_record():
    records = [
        # 1: home visit, then a later phone call that answers the same: counts as home
        _record(1, 1), _record(2, 1, method=2, day=dt.date(2023, 5, 20), away=True),
        # 2: phone only, whole household away: remote; monitored (attribute 2)
        _record(3, 2, method=2, away=True),
        # 3: phone but the household is at home: breaks a rule, not checked
        _record(4, 3, method=2),
        # 4: no checker: not checked
        _record(5, 4, checker="  "),
        # 5: risk found, proposed 脱贫不稳定户 (1)
        _record(6, 5, has_risk=True, risk=1, proposed=1),
        # 6: date after the campaign: not checked
        _record(7, 6, day=dt.date(2023, 7, 1)),
        # 7: two records disagreeing on the risk: both break a rule, not checked
        _record(8, 7), _record(9, 7, has_risk=True, risk=2, proposed=2),
        # 8: 突发严重困难户 proposed, and a roll-back proposed
        _record(10, 8, has_risk=True, risk=5, proposed=3, rollback=True),
        # 9: removal proposed, no risk
        _record(11, 9, removal=True),
        # 10: in a village the table does not list
        _record(12, 10, has_risk=True, risk=1, proposed=2),
    ]
    table = _table(records)
    expected = {
        # A1 A2 A3 A4 A7 A8 A9 A10 B1 B2 B3 B4 B5 B6 B7 B8 C1 C2 D1 D2
        "V1": [3, 13, 1, 4, 2, 9, 1, 4, 1, 6, 1, 6, 0, 0, 0, 0, 0, 0, 0, 0],
        "V2": [2, 6, 0, 0, 2, 6, 0, 0, 1, 2, 0, 0, 0, 0, 1, 2, 1, 2, 1, 4],
        "V3": [0] * 20,
    }
    for code, values in expected.items():
        assert table.loc[code, list(annex.CODES)].tolist() == values, code
    assert table.loc["V1", "name"] == "一村"  # label columns kept
    annex.require_identities(table, table["name"])  # holds: no exception


def test_deciding_record_is_the_latest_of_the_best_status():
    records = pd.DataFrame([
        _record(1, 1, day=dt.date(2023, 5, 1)),
        _record(2, 1, day=dt.date(2023, 5, 9), rollback=True),  # latest home visit
        _record(3, 1, method=2, day=dt.date(2023, 6, 1), away=True),  # later, but by phone
        _record(5, 2, method=2, away=True, day=dt.date(2023, 5, 3)),
        _record(4, 2, method=2, away=True, day=dt.date(2023, 5, 3)),  # same day: larger id wins
    ])
    status, row = annex.deciding_records(np.array([1, 2, 3]), records, START, END)
    assert status.tolist() == [3, 2, 0]  # 入户, 电话微信, 未排查
    assert row.tolist() == [1, 3, -1]
    assert annex.deciding_values(records["proposed_rollback"], row, False).tolist() == \
        [True, False, False]


def test_a_type_proposed_without_a_risk_breaks_b1_and_is_refused_naming_the_village():
    # The visit form refuses such a record; an old import or a hand edit might not.
    records = [_record(1, 6, has_risk=False, proposed=2), _record(2, 1)]
    table = _table(records)
    assert table.loc["V2", "B1"] == 0 and table.loc["V2", "B5"] == 1
    label = table["name"] + "（" + table.index + "）"
    with pytest.raises(annex.IdentityError) as caught:
        annex.require_identities(table, label)
    message = str(caught.value)
    assert message.splitlines() == [
        "统计表数据不满足表内平衡关系，未生成：",
        "二村（V2）：B1 = B3 + B5 + B7 不成立（B1 = 0，B3 + B5 + B7 = 1）",
        "二村（V2）：B2 = B4 + B6 + B8 不成立（B2 = 0，B4 + B6 + B8 = 1）",
    ]
    assert [b["unit"] for b in caught.value.breaches] == ["二村（V2）", "二村（V2）"]


def test_a_broken_indicator_table_is_refused_for_each_unit_and_identity():
    table = pd.DataFrame({code: [0, 0, 0] for code in annex.CODES})
    table.loc[0, ["A1", "A7", "A9"]] = [10, 6, 3]  # A1 ≠ A7 + A9
    table.loc[2, ["A2", "A8", "A10"]] = [7, 7, 1]  # A2 ≠ A8 + A10
    table.loc[2, ["B1", "B3", "B5", "B7"]] = [2, 1, 1, 0]  # holds
    with pytest.raises(annex.IdentityError) as caught:
        annex.require_identities(table, ["青山乡青山村（430599101201）", "青山乡马鞍村", "溪口镇"])
    lines = str(caught.value).splitlines()
    assert lines[1:] == [
        "青山乡青山村（430599101201）：A1 = A7 + A9 不成立（A1 = 10，A7 + A9 = 9）",
        "溪口镇：A2 = A8 + A10 不成立（A2 = 7，A8 + A10 = 8）",
    ]
    english = Translator("en").message(str(caught.value)).splitlines()
    assert english == [
        "The statistics break the form's identities; nothing was written:",
        "青山乡青山村 (430599101201): A1 = A7 + A9 does not hold (A1 = 10, A7 + A9 = 9)",
        "溪口镇: A2 = A8 + A10 does not hold (A2 = 7, A8 + A10 = 8)",
    ]


def test_total_row_sums_every_code():
    table = pd.DataFrame({code: [i, 2 * i] for i, code in enumerate(annex.CODES, start=1)})
    total = annex.total_row(table, 乡镇场="合计")
    assert total["乡镇场"].tolist() == ["合计"]
    assert total[list(annex.CODES)].iloc[0].tolist() == [3 * i for i in range(1, 21)]


def test_portrayed_households_have_a_risk_or_a_low_income():
    conditions = {"checked": np.array([True, True, True, False, True])}
    has_risk = np.array([True, False, False, True, False])
    income = pd.Series([20000.0, 9000.0, 12000.0, 100.0, None])
    assert annex.portrayed(conditions, has_risk, income, 10000).tolist() == \
        [True, True, False, False, False]
