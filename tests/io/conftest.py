"""Fixtures of the io tests: valid ID numbers and a hand-made ledger frame."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from gis_app.core.idcard import check_digit


def _make_id(region: str = "430523", birth: str = "19900101", seq: str = "123") -> str:
    first17 = f"{region}{birth}{seq}"
    return first17 + check_digit(first17)


def _id_ending_in_x() -> str:
    for seq in range(1000):
        candidate = _make_id(birth="19780315", seq=f"{seq:03d}")
        if candidate.endswith("X"):
            return candidate
    raise AssertionError("no X check digit found")


@pytest.fixture
def make_id():
    """Build a valid 18-character ID number from region, birth date and sequence."""
    return _make_id


@pytest.fixture
def id_with_x() -> str:
    """A valid ID number whose check character is X."""
    return _id_ending_in_x()


@pytest.fixture
def ledger_frame() -> pd.DataFrame:
    """Five households covering every column kind, Chinese text, X IDs and missing values."""
    ids = [_make_id(seq="001"), _id_ending_in_x(), _make_id(birth="20000229", seq="456"),
           _make_id(birth="19451001", seq="007"), _make_id(region="430521", seq="998")]
    return pd.DataFrame({
        "township": ["罗城乡", "罗城乡", "罗城乡", "塘渡口镇", "塘渡口镇"],
        "village": ["石门村", "石门村", "大田村（社区）", "金称市村", None],
        "head_name": ["张三", "李四", "王小五", "欧阳娜娜", "赵六"],
        "head_id_number": ids,
        "members": pd.array([3, 1, 5, 2, 7], dtype="Int64"),
        "attribute": pd.array([1, 2, 3, 2, 1], dtype="Int64"),
        "method": pd.array([1, 2, 1, None, 1], dtype="Int64"),
        "housing_problem": pd.array([True, False, None, False, True], dtype="boolean"),
        "water_problem": pd.array([False, False, False, True, False], dtype="boolean"),
        "other_problems": ["=1+1 不是公式", None, "房屋漏雨\n需维修", "", "无"],
        "has_risk": pd.array([False, True, False, True, None], dtype="boolean"),
        "risk_type": pd.array([None, 1, None, 4, None], dtype="Int64"),
        "proposed_monitoring_type": pd.array([None, 2, None, 3, None], dtype="Int64"),
        "checker": ["刘书记", "刘书记", "陈队员", "陈队员", None],
        "checked_on": [dt.date(2023, 6, 1), dt.date(2023, 5, 30), None, dt.date(2023, 6, 9),
                       dt.date(2024, 2, 29)],
        "household_code": ["4305230010010001", "0043", None, "A-17", "4305230010010005"],
        "phone": ["13800138000", None, "0739-5123456", "13912345678", None],
        "monitoring_type": pd.array([None, 2, None, 3, None], dtype="Int64"),
        "lon": [111.2856, np.nan, 111.30001234, 110.9, 111.0],
        "lat": [27.1534, np.nan, 27.2, 26.95, 27.0],
        "gk_x": [37528000.5, np.nan, np.nan, np.nan, np.nan],
        "income_per_person": [7500.5, 12000.0, np.nan, 6800.25, 0.0],
        "no_labour_support": pd.array([False, False, False, True, False], dtype="boolean"),
        "risk_eliminated_on": [None, None, None, dt.date(2023, 12, 1), None],
    })
