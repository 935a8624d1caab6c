"""The interface catalogue (gis_app/ui/i18n.py) holds every Chinese word the window shows.

Read from the code, not from a window: every Chinese literal of the interface is a catalogue
entry; every code's label, compliance rule and visit-form flag has its English; every message
the services, analyses and storage raise or name an edit with is a catalogue template, so
``Translator.message`` gives it in English with its values. The window itself is walked in
tests/ui/test_language_walk.py.
"""

from __future__ import annotations

import ast
import re
from enum import Enum
from pathlib import Path

import pytest

from gis_app.ui.i18n import _BUTTONS, _ENGLISH, _FIELD, Translator, translate_message

ROOT = Path(__file__).resolve().parents[1] / "gis_app"
CJK = re.compile(r"[\u3400-\u9fff]")
#: Interface modules whose Chinese literals are not catalogue text: Qt's own missing words
#: (Chinese by definition) and the chart's Chinese month names.
NOT_CATALOGUED = {"ui/i18n.py", "ui/qt_language.py", "ui/panels/progress_chart.py"}


def _shape(template: str) -> str:
    """A template with its placeholders unnamed: ``网格员{}退出``."""
    return _FIELD.sub("{}", template)


def _template(node) -> str | None:
    """A literal, f-string or concatenation as a template (expressions as ``{}``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _template(node.left), _template(node.right)
        return (left if left is not None else "{}") + (right if right is not None else "{}")
    return None


def _docstrings(tree) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
                body[0].value, ast.Constant):
            ids.add(id(body[0].value))
    return ids


def _modules(*packages: str):
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.split("/")[0] in packages:
            yield relative, ast.parse(path.read_text(encoding="utf-8"))


def service_messages() -> list[tuple[str, int, str]]:
    """(module, line, template) of every Chinese refusal raised, edit's name and file problem."""
    found = []
    for relative, tree in _modules("services", "storage", "analysis", "core", "catalog",
                                   "reports", "io"):
        for node in ast.walk(tree):
            arguments = []
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                arguments = [node.exc.args[0]]
            elif isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                if name == "edit":  # an edit's name: 撤销“…”
                    arguments = list(node.args)
                elif name == "Issue" and len(node.args) >= 4:  # a file's problem
                    arguments = [node.args[3]]
                elif name == "add" and len(node.args) >= 3:  # rows' problems (io/sheets.py)
                    arguments = [node.args[2]]
            for argument in arguments:
                template = _template(argument)
                if template and CJK.search(template):
                    found.append((relative, node.lineno, template))
    return found


def test_every_chinese_literal_of_the_interface_is_in_the_catalogue():
    missing = []
    for relative, tree in _modules("ui"):
        if relative in NOT_CATALOGUED:
            continue
        docstrings = _docstrings(tree)
        parts = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                for value in node.values:
                    parts.add(id(value))
                    if isinstance(value, ast.Constant) and CJK.search(value.value):
                        missing.append(f"{relative}:{node.lineno}: f-string {value.value!r}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    id(node) not in docstrings | parts and CJK.search(node.value) and \
                    node.value not in _ENGLISH:
                missing.append(f"{relative}:{node.lineno}: {node.value!r}")
    assert missing == []


def test_every_code_label_rule_and_flag_has_its_english():
    from gis_app.core import codes, compliance, coverage
    from gis_app.services.record_service import FLAGS

    words = set(compliance.RULES.values()) | set(FLAGS.values())
    for module in (codes, coverage):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Enum) and \
                    value.__module__ == module.__name__:
                for member in value:
                    words.add(getattr(member, "label", None) or str(member.value))
    assert sorted(w for w in words if CJK.search(w) and w not in _ENGLISH) == []


def test_every_refusal_edit_name_and_file_problem_is_a_catalogue_template():
    shapes = {_shape(chinese) for chinese in _ENGLISH}
    messages = service_messages()
    assert len(messages) > 200  # the scan reads them all
    missing = sorted({f"{module}:{line}: {template}" for module, line, template in messages
                      if _shape(template) not in shapes})
    assert missing == []


def test_the_catalogue_is_english_with_the_same_placeholders():
    for chinese, english in {**_ENGLISH, **_BUTTONS}.items():
        # a column a file must have is named as the file names it: [排查方式]
        assert not CJK.search(re.sub(r"\[[^]]*\]", "", english)), (chinese, english)
        assert {f.group(1) for f in _FIELD.finditer(english)} <= \
            {f.group(1) for f in _FIELD.finditer(chinese)}, (chinese, english)


@pytest.mark.parametrize(("chinese", "english"), [
    ("已撤销：网格员汤福生退出", "Undone: Worker 汤福生 retires"),
    ("已退出的网格员不能分配网格：张三、李四",
     "Retired workers cannot be assigned grids: 张三, 李四"),
    ("网格“青山村第1网格”（430101）已被王五于2026-01-02 09:30删除，本次操作未保存，请刷新后重试",
     "grid “青山村第1网格” (430101) was deleted by 王五 at 2026-01-02 09:30; nothing was saved: "
     "refresh and try again"),
    ("读取其他用户的修改时出错：农户“汤福生”已被他人修改，本次操作未保存，请刷新后重试",
     "Error reading other users' edits: household “汤福生” was changed by someone else; "
     "nothing was saved: refresh and try again"),
    ("户主汤福生（沙坪村）位置未知，需在地图上补点",
     "Household head 汤福生 (沙坪村) has no location: place it on the map"),
    ("农户 户主汤福生 登记在三级网格 4301，但位于三级网格 4302 内",
     "Household head 汤福生 is registered in level-3 grid 4301 but lies in 4302"),
    ("合计 10 户，已覆盖 5 户（50.0%）", "10 households in all, 5 covered (50.0%)"),
    ("位置未知；已排查但不合规，需重新排查",
     "Location unknown; Checked but non-compliant: check again"),
    ("一段没有模板的话", "一段没有模板的话"),
])
def test_messages_are_recognised_and_filled(chinese, english):
    assert translate_message(chinese) == english
    assert Translator("en").message(chinese) == english
    assert Translator("zh").message(chinese) == chinese


def test_terms_and_buttons():
    english = Translator("en")
    assert english.terms("三级网格员、网格长") == "Level-3 grid worker, Grid captain"
    assert Translator("zh").terms("三级网格员、网格长") == "三级网格员、网格长"
    assert english.button("均衡拆分网格…") == "Split evenly"
    assert english.button("平移") == "Pan"
    assert Translator("zh").button("均衡拆分网格…") == "均衡拆分网格"


def test_every_layer_title_style_title_and_legend_class_is_in_both_languages():
    from gis_app.catalog import load_layers, load_styles

    styles = load_styles()
    texts = [layer.title for layer in load_layers(styles=styles)]
    for style in styles.values():
        assert style.title is not None, style.id
        texts += [style.title, *(style_class.label for style_class in style.classes)]
    for text in texts:
        assert text.zh and text.en and not CJK.search(text.en), text
