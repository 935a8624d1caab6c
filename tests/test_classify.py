"""Style classes are assigned as the style file says (hand-checked small cases)."""

import pandas as pd

from gis_app.catalog import load_styles
from gis_app.core.classify import DEFAULT_CLASS, classify
from gis_app.core.mapdefs import Style, StyleClass, Symbol, Text


def test_categorized_households():
    style = load_styles()["households_by_attribute"]
    frame = pd.DataFrame({"attribute": [1, 2, 3, 2, 9]})
    labels = [style.classes[i].label.zh if i >= 0 else None for i in classify(style, frame)]
    assert labels == ["脱贫户", "监测对象", "档外农户", "监测对象", None]


def test_rule_based_elimination():
    style = load_styles()["households_by_elimination"]
    frame = pd.DataFrame({"attribute": [2, 2, 1], "risk_eliminated": [False, True, False]})
    labels = [style.classes[i].label.zh for i in classify(style, frame)]
    assert labels == ["监测对象（风险未消除）", "监测对象（风险已消除）", "其他农户"]


def test_graduated_ranges_include_the_top():
    symbol = Symbol(fill="#000000")
    style = Style("g", "graduated", (
        StyleClass(Text("低", "low"), symbol, lower=0, upper=0.5),
        StyleClass(Text("高", "high"), symbol, lower=0.5, upper=1.0)), field="coverage")
    frame = pd.DataFrame({"coverage": [0.0, 0.49, 0.5, 1.0, None]})
    assert list(classify(style, frame)) == [0, 0, 1, 1, DEFAULT_CLASS]
