"""Filter expressions as users type them: the field names and values the table shows.

``户属性 == "监测对象" and 家庭人口数 >= 4`` (or, in English, ``attribute == "Monitored" and
members >= 4``) selects rows of a table. The text is read with Python's :mod:`ast` parser and
only a small set of node kinds is accepted: comparisons (``== != < <= > >=``, ``=`` and ``<>``
too, ``in [...]``, ``is null``), ``and or not`` (``& | ~``, any case), arithmetic, and the text
tests ``字段.str.startswith/endswith/contains("…")`` and ``字段.isna()/notna()``. Nothing is
``eval``-ed: each node is computed here over whole columns (vectorised pandas), so an expression
can read the columns it names and nothing else.

A field is named by what the user sees (its Chinese or English header, or its internal key); a
header that is not a plain identifier (``村（社区）``, ``monitoring type``) is written as is or
between backticks. A value compared with a coded or yes/no field is the label shown
(``"监测对象"``, ``"是"``), translated here to the stored code. Chinese punctuation typed by an
input method (full-width quotes, brackets, ``＝``) is accepted. Problems raise
:class:`ExpressionError` with a Chinese message (its template is in the interface's catalogue).
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Full-width and other input-method characters, outside quotes, as the parser knows them.
_PUNCTUATION = str.maketrans({"（": "(", "）": ")", "＝": "=", "！": "!", "＜": "<", "＞": ">",
                              "，": ",", "【": "[", "】": "]", "［": "[", "］": "]",
                              "\u3000": " ", "≥": ">=", "≤": "<=", "≠": "!=", "＆": "&",
                              "｜": "|", "～": "~", "－": "-", "＋": "+"})
#: Quotes: opening character → the characters that may close it.
_QUOTES = {'"': '"', "'": "'", "“": "”“\"", "‘": "’‘'", "”": "”“\"", "`": "`"}
_KEYWORDS = {"and": "and", "or": "or", "not": "not", "in": "in", "is": "is", "null": "None",
             "none": "None", "true": "True", "false": "False"}
_WORD = re.compile(r"[^\W\d]\w*|\d[\w.]*", re.UNICODE)
_EQUALS = re.compile(r"(?<![=!<>])=(?!=)")
_STRING_TESTS = {"startswith", "endswith", "contains"}
#: Text functions giving a column of texts or numbers: how many integer arguments they take.
_STRING_PARTS = {"slice": (1, 2), "len": (0, 0)}
_NULL_TESTS = {"isna": True, "isnull": True, "notna": False, "notnull": False}
_COMPARE = {ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt",
            ast.GtE: "ge"}
_ARITHMETIC = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
               ast.Div: np.true_divide, ast.Mod: np.mod}
_PLACEHOLDER = "__field_{}__"


class ExpressionError(ValueError):
    """An expression that cannot be used, with a Chinese message.

    Parameters
    ----------
    template : str
        The message with ``{name}`` fields, as listed in the interface's catalogue.
    **params
        Values of the fields.
    """

    def __init__(self, template: str, **params):
        self.template = template
        self.params = params
        super().__init__(template.format(**params))

    def message(self, translate: Callable[[str], str] | None = None) -> str:
        """The message in the language of ``translate`` (the template looked up, then filled)."""
        template = translate(self.template) if translate else self.template
        return template.format(**self.params)


@dataclass(frozen=True)
class FilterField:
    """A column an expression may name.

    Parameters
    ----------
    key : str
        The column's internal key (always accepted as a name).
    names : tuple of str
        The other names a user may type for it: its headers in either language.
    values : Mapping, optional
        Shown text → stored value, for coded and yes/no columns (``{"监测对象": 2, …}``). The
        first text of each stored value is the one text tests (``.str.contains``) look at.
    """

    key: str
    names: tuple[str, ...] = ()
    values: Mapping[str, object] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The name shown in messages (the first header)."""
        return self.names[0] if self.names else self.key

    def choices(self) -> list[str]:
        """The value texts offered, one per stored value (the first of each)."""
        seen, shown = set(), []
        for text, value in self.values.items():
            if value not in seen:
                seen.add(value)
                shown.append(text)
        return shown


def quote_name(name: str) -> str:
    """How a field name is written in an expression: as is when a plain name, else in backticks."""
    return name if name.isidentifier() and name.lower() not in _KEYWORDS else f"`{name}`"


def quote_value(value) -> str:
    """A value as an expression literal: numbers as they are, text in double quotes."""
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return repr(value.item() if isinstance(value, np.generic) else value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


class FilterExpression:
    """A parsed, checked filter over the columns of :class:`FilterField` s.

    Parameters
    ----------
    text : str
        The expression as typed.
    fields : sequence of FilterField
        The columns it may name.

    Raises
    ------
    ExpressionError
        A syntax error, an unknown field or value, or a construct that is not allowed.

    Attributes
    ----------
    keys : list of str
        The columns the expression reads, in the order first named.
    """

    def __init__(self, text: str, fields: Sequence[FilterField]):
        self.text = text
        self.fields = {f.key: f for f in fields}
        self._by_name: dict[str, str] = {}
        # Keys win over headers, exact spelling over any case; the first field over later ones.
        spelled = [(f.key, f.key) for f in fields] + \
            [(name, f.key) for f in fields for name in f.names]
        for fold in (False, True):
            for name, key in spelled:
                self._by_name.setdefault(_nfkc(name).casefold() if fold else _nfkc(name), key)
        self._quoted: list[str] = []
        source = self._prepare(text)
        if not source.strip():
            raise ExpressionError("表达式为空")
        try:
            self.tree = ast.parse(source, mode="eval").body
        except SyntaxError as exc:
            near = self._near(source, exc.offset)
            if near:
                raise ExpressionError("表达式语法有误：请检查“{near}”附近的括号、引号和运算符",
                                      near=near) from None
            raise ExpressionError("表达式语法有误：请检查括号、引号和运算符") from None
        self.keys: list[str] = []
        self._check(self.tree)

    # -- reading the text
    def _prepare(self, text: str) -> str:
        """Python source: quoted parts kept, punctuation and keywords normalised, names held."""
        parts: list[str] = []
        code: list[str] = []
        i = 0
        while i < len(text):
            char = text[i]
            if char in _QUOTES:
                closes = _QUOTES[char]
                j, chars = i + 1, []
                while j < len(text) and text[j] not in closes:
                    if text[j] == "\\" and j + 1 < len(text):
                        j += 1
                    chars.append(text[j])
                    j += 1
                if j >= len(text):
                    raise ExpressionError("引号没有配对：{near}", near=text[i:i + 12])
                parts.append(self._code("".join(code)))
                code = []
                content = "".join(chars)
                if char == "`":
                    parts.append(self._hold(content))
                else:
                    parts.append(repr(content))
                i = j + 1
                continue
            code.append(char)
            i += 1
        parts.append(self._code("".join(code)))
        return "".join(parts)

    def _hold(self, name: str) -> str:
        """A placeholder identifier for a field named between backticks or with spaces."""
        self._quoted.append(name)
        return _PLACEHOLDER.format(len(self._quoted) - 1)

    def _code(self, code: str) -> str:
        """Unquoted text: headers that are not identifiers held, punctuation and words fixed."""
        code = _nfkc(code)  # full-width letters, digits and brackets as ASCII
        unusual = {n for n in self._by_name if not n.isidentifier()}
        unusual |= {n.translate(_PUNCTUATION) for n in unusual}
        for name in sorted(unusual, key=len, reverse=True):  # 村（社区）, "monitoring type"
            pattern = re.compile(r"(?<!\w)" + re.escape(name) + r"(?!\w)", re.IGNORECASE)
            code = pattern.sub(lambda m: self._hold(m.group(0)), code)
        code = code.translate(_PUNCTUATION).replace("<>", "!=").replace("&&", "&")
        code = code.replace("||", "|")
        code = _EQUALS.sub("==", code)
        return _WORD.sub(lambda m: _KEYWORDS.get(m.group(0).lower(), m.group(0))
                         if m.group(0).lower() in _KEYWORDS and m.group(0) not in self._by_name
                         else m.group(0), code)

    def _near(self, source: str, offset: int | None) -> str:
        """The text where the parser stopped ("" when it cannot say: at the start or the end)."""
        at = (offset or 0) - 1
        if at <= 0 or at >= len(source.rstrip()):
            return ""
        snippet = source[at:at + 12]
        for number, name in enumerate(self._quoted):
            snippet = snippet.replace(_PLACEHOLDER.format(number), f"`{name}`")
        return snippet.strip()

    # -- checking the tree before anything is read
    def _field(self, name: str) -> str:
        match = re.fullmatch(r"__field_(\d+)__", name)
        typed = self._quoted[int(match.group(1))] if match else name
        key = self._by_name.get(_nfkc(typed), self._by_name.get(_nfkc(typed).casefold()))
        if key is None:
            key = self._by_name.get(_nfkc(typed.translate(_PUNCTUATION)).casefold())
        if key is None:
            raise ExpressionError("没有名为“{name}”的字段", name=typed)
        if key not in self.keys:
            self.keys.append(key)
        return key

    def _check(self, node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            if node.id not in ("True", "False", "None"):
                node.key = self._field(node.id)  # type: ignore[attr-defined]
            return
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, (str, int, float, bool, type(None))):
                raise ExpressionError("不支持的写法：{what}", what=ast.unparse(node))
            return
        if isinstance(node, (ast.List, ast.Tuple)):
            for item in node.elts:
                if not isinstance(item, ast.Constant) and not (
                        isinstance(item, ast.UnaryOp) and isinstance(item.op, ast.USub)
                        and isinstance(item.operand, ast.Constant)):
                    raise ExpressionError("in 后的列表只能包含值：{what}", what=ast.unparse(node))
            return
        if isinstance(node, ast.Call):
            self._check_call(node)
            return
        allowed = (ast.BoolOp, ast.UnaryOp, ast.BinOp, ast.Compare)
        if not isinstance(node, allowed) or isinstance(getattr(node, "op", None), (
                ast.Pow, ast.FloorDiv, ast.LShift, ast.RShift, ast.BitXor, ast.MatMult)):
            raise ExpressionError("不支持的写法：{what}", what=ast.unparse(node))
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.boolop, ast.unaryop, ast.operator, ast.cmpop)):
                self._check(child)

    def _check_call(self, node: ast.Call) -> None:
        """``字段.str.startswith("…")``, ``字段.startswith("…")``, ``字段.isna()`` and kin."""
        func = node.func
        what = ast.unparse(node)
        if not isinstance(func, ast.Attribute) or node.keywords:
            raise ExpressionError("不支持的写法：{what}", what=what)
        target = func.value
        if isinstance(target, ast.Attribute) and target.attr == "str":
            target = target.value
        if not isinstance(target, ast.Name) or target.id in ("True", "False", "None"):
            raise ExpressionError("不支持的写法：{what}", what=what)
        if func.attr in _STRING_TESTS:
            if len(node.args) != 1 or not isinstance(node.args[0], ast.Constant):
                raise ExpressionError("{test}(…) 需要一个文字，如 {test}(\"张\")", test=func.attr)
        elif func.attr in _STRING_PARTS:
            low, high = _STRING_PARTS[func.attr]
            if not low <= len(node.args) <= high or not all(
                    isinstance(a, ast.Constant) and type(a.value) is int for a in node.args):
                raise ExpressionError("不支持的写法：{what}", what=what)
        elif func.attr in _NULL_TESTS:
            if node.args:
                raise ExpressionError("不支持的写法：{what}", what=what)
        else:
            raise ExpressionError("不支持的函数：{name}（可用 startswith、endswith、contains、"
                                  "slice、len、isna、notna）", name=func.attr)
        node.key = self._field(target.id)  # type: ignore[attr-defined]

    # -- evaluating over the columns
    def evaluate(self, column: Callable[[str], object], rows: int) -> np.ndarray:
        """The rows the expression keeps.

        Parameters
        ----------
        column : callable
            ``column(key)`` → the values of a column (array-like, ``rows`` long), as the user
            may see them (personal data masked unless shown).
        rows : int
            Number of rows.

        Returns
        -------
        numpy.ndarray of bool
            True where the row matches; a missing value matches no comparison.

        Raises
        ------
        ExpressionError
            A value that does not fit its field, or a result that is not one yes/no per row.
        """
        self._rows = rows
        self._columns: dict[str, pd.Series] = {}
        self._column = column
        result = self._eval(self.tree)
        if isinstance(result, _Column):
            return self._as_mask(self.tree)
        if isinstance(result, _Value):
            result = result.value
        if np.ndim(result) == 0:
            if isinstance(result, (bool, np.bool_)):
                return np.full(rows, bool(result))
            raise ExpressionError("表达式的结果不是每行一个是/否")
        return self._mask(result, self.text)

    def _series(self, key: str) -> pd.Series:
        if key not in self._columns:
            values = self._column(key)
            series = values if isinstance(values, pd.Series) else pd.Series(values, copy=False)
            if len(series) != self._rows:
                raise ExpressionError("表达式的结果不是每行一个是/否")
            self._columns[key] = series.reset_index(drop=True)
        return self._columns[key]

    def _mask(self, values, what: str) -> np.ndarray:
        series = values if isinstance(values, pd.Series) else pd.Series(values)
        if pd.api.types.is_bool_dtype(series.dtype):
            return series.fillna(False).to_numpy(dtype=bool)
        if series.dtype == object and series.dropna().map(
                lambda v: isinstance(v, (bool, np.bool_))).all():
            return series.fillna(False).astype(bool).to_numpy()
        raise ExpressionError("“{what}”不是条件（是/否），请用 ==、>、in 等比较", what=what)

    def _eval(self, node: ast.AST):
        if isinstance(node, ast.Name):
            if node.id in ("True", "False", "None"):
                return _Value({"True": True, "False": False, "None": None}[node.id])
            return _Column(node.key, self._series(node.key))  # type: ignore[attr-defined]
        if isinstance(node, ast.Constant):
            return _Value(node.value)
        if isinstance(node, (ast.List, ast.Tuple)):
            return _Value([ast.literal_eval(item) for item in node.elts])
        if isinstance(node, ast.BoolOp):
            masks = [self._as_mask(v) for v in node.values]
            reduce = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            return reduce.reduce(masks)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, (ast.Not, ast.Invert)):
                return ~self._as_mask(node.operand)
            operand = self._plain(self._eval(node.operand))
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, (ast.BitAnd, ast.BitOr)):
                combine = np.logical_and if isinstance(node.op, ast.BitAnd) else np.logical_or
                return combine(self._as_mask(node.left), self._as_mask(node.right))
            left, right = self._number(node.left), self._number(node.right)
            try:
                return _ARITHMETIC[type(node.op)](left, right)
            except (TypeError, ValueError):
                raise ExpressionError("无法计算：{what}", what=ast.unparse(node)) from None
        if isinstance(node, ast.Compare):
            masks, left = [], node.left
            for op, right in zip(node.ops, node.comparators, strict=True):
                masks.append(self._compare(left, op, right))
                left = right
            return np.logical_and.reduce(masks)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise ExpressionError("不支持的写法：{what}", what=ast.unparse(node))  # pragma: no cover

    def _as_mask(self, node: ast.AST) -> np.ndarray:
        value = self._eval(node)
        if isinstance(value, _Column):
            field_ = self.fields[value.key]
            if field_.values and set(field_.values.values()) <= {True, False}:
                return self._mask(value.series, field_.label)  # a yes/no field alone
            raise ExpressionError("“{what}”不是条件（是/否），请用 ==、>、in 等比较",
                                  what=field_.label)
        if isinstance(value, _Value):
            raise ExpressionError("“{what}”不是条件（是/否），请用 ==、>、in 等比较",
                                  what=ast.unparse(node))
        return self._mask(value, ast.unparse(node))

    @staticmethod
    def _plain(value):
        if isinstance(value, _Column):
            return value.series
        if isinstance(value, _Value):
            return value.value
        return value

    def _number(self, node: ast.AST):
        value = self._plain(self._eval(node))
        if isinstance(value, str):
            raise ExpressionError("无法计算：{what}", what=ast.unparse(node))
        return value

    def _compare(self, left_node: ast.AST, op: ast.cmpop, right_node: ast.AST) -> np.ndarray:
        left, right = self._eval(left_node), self._eval(right_node)
        if isinstance(left, _Value) and isinstance(right, _Column):  # 2 < 家庭人口数
            left, right = right, left
            op = {ast.Lt: ast.Gt(), ast.LtE: ast.GtE(), ast.Gt: ast.Lt(),
                  ast.GtE: ast.LtE()}.get(type(op), op)
        null = isinstance(right, _Value) and right.value is None
        if isinstance(op, (ast.Is, ast.IsNot)) or (isinstance(op, (ast.Eq, ast.NotEq)) and null):
            if not null:
                raise ExpressionError("is 后只能是 null：{what}", what=ast.unparse(right_node))
            missing = pd.isna(self._plain(left))
            missing = np.asarray(missing, dtype=bool)
            return missing if isinstance(op, (ast.Is, ast.Eq)) else ~missing
        if isinstance(left, _Column):
            series = left.series
            if isinstance(right, _Value):
                right = self._literal(left.key, series, right.value,
                                      many=isinstance(op, (ast.In, ast.NotIn)))
            else:
                right = self._plain(right)
        else:
            series = pd.Series(self._plain(left)) if np.ndim(self._plain(left)) else \
                self._plain(left)
            right = self._plain(right)
        if isinstance(op, (ast.In, ast.NotIn)):
            if not isinstance(right, list):
                raise ExpressionError("in 后应是一组值，如 in [\"甲\", \"乙\"]")
            if not isinstance(series, pd.Series):
                raise ExpressionError("不支持的写法：{what}", what=ast.unparse(left_node))
            found = series.isin(right).to_numpy(dtype=bool)
            return found if isinstance(op, ast.In) else ~found & series.notna().to_numpy()
        method = _COMPARE[type(op)]
        try:
            if isinstance(series, pd.Series):
                result = getattr(series, method)(right)
            else:
                result = getattr(pd.Series([series] * self._rows), method)(right)
        except TypeError:
            raise ExpressionError("无法比较：{what}", what=f"{ast.unparse(left_node)} "
                                  f"{_OPS[type(op)]} {ast.unparse(right_node)}") from None
        mask = self._mask(result, ast.unparse(left_node))
        if isinstance(op, ast.NotEq) and isinstance(series, pd.Series):  # missing: no match
            mask = mask & series.notna().to_numpy(dtype=bool)
        return mask

    def _literal(self, key: str, series: pd.Series, value, many: bool = False):
        """A typed value as the column stores it: labels to codes, text to numbers or dates."""
        if many:
            if not isinstance(value, list):
                raise ExpressionError("in 后应是一组值，如 in [\"甲\", \"乙\"]")
            return [self._literal(key, series, v) for v in value]
        field_ = self.fields[key]
        if field_.values:
            if isinstance(value, str):
                found = _lookup(field_.values, value)
                if found is _MISSING:
                    raise ExpressionError("字段“{field}”没有“{value}”这个值，可选：{choices}",
                                          field=field_.label, value=value,
                                          choices="、".join(field_.choices()))
                return found
            return value
        kind = _kind(series)
        if kind == "number" and isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise ExpressionError("字段“{field}”是数字，“{value}”不是数字",
                                      field=field_.label, value=value) from None
        if kind == "text" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(int(value)) if float(value).is_integer() else str(value)
        if kind == "date" and isinstance(value, str):
            try:
                day = dt.date.fromisoformat(value.strip())
                return pd.Timestamp(day) if pd.api.types.is_datetime64_any_dtype(series.dtype) \
                    else day
            except ValueError:
                raise ExpressionError("“{value}”不是日期，请写成 2024-06-30",
                                      value=value) from None
        return value

    def _call(self, node: ast.Call):
        key = node.key  # type: ignore[attr-defined]
        series = self._series(key)
        test = node.func.attr  # type: ignore[attr-defined]
        if test in _NULL_TESTS:
            missing = series.isna().to_numpy(dtype=bool)
            return missing if _NULL_TESTS[test] else ~missing
        field_ = self.fields[key]
        if field_.values:  # coded: the label shown, not the code
            shown = {}
            for text, value in field_.values.items():
                shown.setdefault(value, text)
            series = series.map(shown)
        text = series.where(series.isna(), series.astype(str)).astype(object)
        if test == "slice":  # texts, compared next: 联系电话.str.slice(0, 3) == "138"
            return text.str.slice(*(a.value for a in node.args))  # type: ignore[attr-defined]
        if test == "len":
            return text.str.len()
        argument = str(node.args[0].value)  # type: ignore[attr-defined]
        if test == "contains":
            result = text.str.contains(argument, regex=False)
        else:
            result = getattr(text.str, test)(argument)
        return result.fillna(False).to_numpy(dtype=bool)


_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
        ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}
_MISSING = object()


@dataclass(frozen=True)
class _Column:
    key: str
    series: pd.Series


@dataclass(frozen=True)
class _Value:
    value: object


def _lookup(values: Mapping[str, object], text: str):
    """The stored value of a shown text: exact, then ignoring case and spaces."""
    if text in values:
        return values[text]
    folded = {k.casefold().strip(): v for k, v in values.items()}
    return folded.get(text.casefold().strip(), _MISSING)


def _kind(series: pd.Series) -> str:
    """number, date, text or other: what a typed value is read as for this column."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "other"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return "text"
    sample = series.dropna()
    if not len(sample):
        return "other"
    first = sample.iloc[0]
    if isinstance(first, str):
        return "text"
    if isinstance(first, dt.date):
        return "date"
    if isinstance(first, (int, float, np.integer, np.floating)):
        return "number"
    return "other"
