"""Filter expressions as typed: names and values shown, checked against plain pandas masks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from gis_app.analysis.filter_expression import (
    ExpressionError,
    FilterExpression,
    FilterField,
    quote_name,
    quote_value,
)

ATTRIBUTE = {"脱贫户": 1, "监测对象": 2, "档外农户": 3, "Monitored": 2, "2": 2}
FIELDS = [
    FilterField("attribute", ("户属性", "attribute"), ATTRIBUTE),
    FilterField("members", ("家庭人口数", "members")),
    FilterField("village", ("村（社区）", "village")),
    FilterField("dibao", ("是否低保", "dibao"), {"是": True, "否": False, "Yes": True,
                                                 "No": False}),
    FilterField("monitoring_type", ("监测类型", "monitoring type"), {"边缘易致贫户": 2}),
    FilterField("risk_eliminated_on", ("风险消除日期", "risk eliminated on")),
    FilterField("phone", ("联系电话", "phone")),
]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(9)
    n = 2_000
    days = pd.Series([dt.date(2024, 1, 1) + dt.timedelta(days=int(d))
                      for d in rng.integers(0, 700, n)], dtype=object)
    days[rng.random(n) < 0.5] = None
    return pd.DataFrame({
        "attribute": pd.array(rng.integers(1, 4, n), dtype="Int64"),
        "members": rng.integers(1, 8, n),
        "village": pd.Series(rng.choice(["和平村", "沙坪村", "田心村"], n), dtype=object)
        .where(rng.random(n) > 0.05, None),
        "dibao": pd.array(rng.random(n) < 0.3, dtype="boolean"),
        "monitoring_type": pd.array(np.where(rng.random(n) < 0.2, 2, 1), dtype="Int64"),
        "risk_eliminated_on": days,
        "phone": pd.array([f"138****{k:04d}" for k in rng.integers(0, 10_000, n)],
                          dtype="string"),
    })


def run(text: str, frame: pd.DataFrame) -> np.ndarray:
    expression = FilterExpression(text, FIELDS)
    return expression.evaluate(lambda key: frame[key], len(frame))


@pytest.mark.parametrize("text, expected", [
    ('户属性 == "监测对象"', lambda f: f["attribute"] == 2),
    ('户属性 ＝ “监测对象” AND 家庭人口数>=4',
     lambda f: (f["attribute"] == 2) & (f["members"] >= 4)),
    ("attribute == 2 and members >= 4", lambda f: (f["attribute"] == 2) & (f["members"] >= 4)),
    ('attribute == "Monitored" or members < 2', lambda f: (f["attribute"] == 2)
     | (f["members"] < 2)),
    ('村（社区） == "和平村"', lambda f: f["village"] == "和平村"),
    ('`村（社区）` != "和平村"', lambda f: f["village"].notna() & (f["village"] != "和平村")),
    ('village in ["和平村", "沙坪村"]', lambda f: f["village"].isin(["和平村", "沙坪村"])),
    ('户属性 in ["脱贫户", "监测对象"]', lambda f: f["attribute"].isin([1, 2])),
    ("是否低保", lambda f: f["dibao"]),
    ('是否低保 == "否"', lambda f: f["dibao"] == False),  # noqa: E712 - a mask
    ('monitoring type == "边缘易致贫户"', lambda f: f["monitoring_type"] == 2),
    ('风险消除日期 >= "2025-01-01"', lambda f: f["risk_eliminated_on"].map(
        lambda d: d is not None and d >= dt.date(2025, 1, 1))),
    ("风险消除日期 is null", lambda f: f["risk_eliminated_on"].isna()),
    ("village is not null", lambda f: f["village"].notna()),
    ('联系电话.str.endswith("12")', lambda f: f["phone"].str.endswith("12")),
    ('户属性.str.contains("监测")', lambda f: f["attribute"] == 2),
    ("2 < 家庭人口数 <= 5", lambda f: (f["members"] > 2) & (f["members"] <= 5)),
    ("家庭人口数 * 2 >= 9", lambda f: f["members"] * 2 >= 9),
    ("(members > 1) & ~(members > 5)", lambda f: (f["members"] > 1) & (f["members"] <= 5)),
    ("MEMBERS <> 3", lambda f: f["members"] != 3),
    ("members = 3", lambda f: f["members"] == 3),
])
def test_expressions_select_the_rows_pandas_does(frame, text, expected):
    want = expected(frame)
    want = want.fillna(False) if hasattr(want, "fillna") else want
    mask = run(text, frame)
    assert mask.dtype == bool and len(mask) == len(frame)
    assert np.array_equal(mask, np.asarray(want, dtype=bool)), text
    assert 0 < mask.sum() < len(frame)


def test_the_columns_read_are_those_named():
    expression = FilterExpression('户属性 == "监测对象" and `村（社区）` == "x" or members > 1',
                                  FIELDS)
    assert expression.keys == ["attribute", "village", "members"]


@pytest.mark.parametrize("text, message", [
    ('户属性 == "富裕户"', "字段“户属性”没有“富裕户”这个值，可选：脱贫户、监测对象、档外农户"),
    ("收入 > 3", "没有名为“收入”的字段"),
    ('家庭人口数 > "三"', "字段“家庭人口数”是数字，“三”不是数字"),
    ('风险消除日期 > "去年"', "“去年”不是日期，请写成 2024-06-30"),
    ("家庭人口数 + 1", "“家庭人口数 + 1”不是条件（是/否），请用 ==、>、in 等比较"),
    ('户属性 == "监测对象', "引号没有配对"),
    ("家庭人口数 >= 4 and", "表达式语法有误"),
    ("家庭人口数 >>> 3", "表达式语法有误：请检查“> 3”附近的括号、引号和运算符"),
    ("", "表达式为空"),
])
def test_bad_expressions_say_why_in_chinese(frame, text, message):
    with pytest.raises(ExpressionError) as caught:
        run(text, frame)
    assert message in str(caught.value)


@pytest.mark.parametrize("text", [
    '__import__("os").system("touch /tmp/owned")',
    "members.__class__",
    "members.__class__.__mro__",
    'members.str.startswith.__globals__["os"]',
    "open('/etc/passwd')",
    "(lambda: 1)()",
    "[x for x in members]",
    "members[0] == 1",
    "@members",
    'members.astype("str") == "1"',
    "getattr(members, 'x')",
])
def test_nothing_but_the_listed_constructs_runs(frame, text):
    with pytest.raises(ExpressionError):
        run(text, frame)


def test_messages_translate_through_the_catalogue():
    with pytest.raises(ExpressionError) as caught:
        FilterExpression("收入 > 3", FIELDS)
    english = {"没有名为“{name}”的字段": "There is no field named “{name}”"}
    assert caught.value.message(lambda t: english.get(t, t)) == \
        "There is no field named “收入”"
    assert caught.value.message() == "没有名为“收入”的字段"


def test_quoting_for_insertion_round_trips(frame):
    assert quote_name("户属性") == "户属性"
    assert quote_name("村（社区）") == "`村（社区）`"
    assert quote_name("monitoring type") == "`monitoring type`"
    assert quote_value('say "hi"') == '"say \\"hi\\""'
    assert quote_value(np.int64(4)) == "4"
    text = f'{quote_name("村（社区）")} == {quote_value("和平村")}'
    assert np.array_equal(run(text, frame), (frame["village"] == "和平村").fillna(False))
