"""The expression builder of the attribute table: fields, their values, operators, as in QGIS.

The fields are listed by the names the table shows; choosing one lists its distinct values as
shown (personal data masked unless shown in clear). Double-clicking a field, a value or an
operator inserts it at the cursor. OK applies the filter to the table and closes, unless the
table refuses the expression: its Chinese message is then shown here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from gis_app.analysis.filter_expression import (
    ExpressionError,
    FilterExpression,
    FilterField,
    quote_name,
)
from gis_app.ui.panels.table_filter import insertable_value

#: Operators offered as buttons (inserted as written).
OPERATORS = ("==", "!=", ">", ">=", "<", "<=", "and", "or", "not", "in", "(", ")",
             "is null")
_VALUE = Qt.ItemDataRole.UserRole


class ExpressionDialog(QDialog):
    """Build a filter expression from the table's fields and their values.

    Parameters
    ----------
    translate : callable
        The window's translator.
    fields : sequence of FilterField
        The fields listed (their first name is shown), in order.
    values_of : callable
        ``values_of(key)`` → list of ``(shown text, stored value)``: a field's distinct values.
    apply : callable
        ``apply(text)`` → None when the table took the filter, else its error message.
    text : str
        The expression to start from.
    """

    def __init__(self, translate, fields: Sequence[FilterField],
                 values_of: Callable[[str], list], apply: Callable[[str], str | None],
                 text: str = "", parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.fields = {f.key: f for f in fields}
        self._values_of = values_of
        self._apply = apply
        self.setWindowTitle(self.tr_("表达式构建器"))
        self.editor = QLineEdit(text)
        self.editor.textChanged.connect(lambda _text: self._check())
        self.field_list = QListWidget()
        for f in fields:
            item = QListWidgetItem(f.label)
            item.setData(_VALUE, f.key)
            item.setToolTip(f.key)
            self.field_list.addItem(item)
        self.field_list.currentItemChanged.connect(lambda _item, _old: self._list_values())
        self.field_list.itemDoubleClicked.connect(
            lambda item: self.insert(quote_name(item.text())))
        self.value_search = QLineEdit()
        self.value_search.setPlaceholderText(self.tr_("搜索值"))
        self.value_search.textChanged.connect(self._filter_values)
        self.value_list = QListWidget()
        self.value_list.itemDoubleClicked.connect(self._insert_value)
        self.operator_buttons: dict[str, QPushButton] = {}
        operators = QHBoxLayout()
        for operator in OPERATORS:
            button = QPushButton(operator)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _c=False, op=operator: self.insert(op))
            operators.addWidget(button)
            self.operator_buttons[operator] = button
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr_("确定"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr_("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lists = QGridLayout()
        lists.addWidget(QLabel(self.tr_("字段")), 0, 0)
        lists.addWidget(QLabel(self.tr_("值（双击插入）")), 0, 1)
        lists.addWidget(self.field_list, 1, 0, 2, 1)
        lists.addWidget(self.value_search, 1, 1)
        lists.addWidget(self.value_list, 2, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.editor)
        layout.addLayout(operators)
        layout.addLayout(lists)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(640, 460)
        self._check()

    def field_key(self) -> str | None:
        """The key of the field chosen in the list."""
        item = self.field_list.currentItem()
        return None if item is None else item.data(_VALUE)

    def insert(self, token: str) -> None:
        """Insert ``token`` at the cursor, spaced from its neighbours."""
        editor = self.editor
        before = editor.text()[:editor.cursorPosition()]
        if before and not before.endswith((" ", "(", "[")):
            token = " " + token
        editor.insert(token + " ")
        editor.setFocus()

    def _list_values(self) -> None:
        self.value_list.clear()
        key = self.field_key()
        if key is None:
            return
        for shown, value in self._values_of(key):
            item = QListWidgetItem(shown)
            item.setData(_VALUE, insertable_value(self.fields[key], value, shown))
            self.value_list.addItem(item)
        self._filter_values(self.value_search.text())

    def _filter_values(self, text: str) -> None:
        text = text.strip().casefold()
        for row in range(self.value_list.count()):
            item = self.value_list.item(row)
            item.setHidden(bool(text) and text not in item.text().casefold())

    def _insert_value(self, item: QListWidgetItem) -> None:
        self.insert(item.data(_VALUE))

    def _check(self) -> str | None:
        """Check the text as typed (syntax and names); the message says what is wrong."""
        text = self.editor.text().strip()
        if not text:
            self.message.setText("")
            return None
        try:
            FilterExpression(text, list(self.fields.values()))
        except ExpressionError as exc:
            error = exc.message(self.tr_)
            self.message.setText(error)
            return error
        self.message.setText(self.tr_("表达式有效"))
        return None

    def accept(self) -> None:  # noqa: D102 - Qt override: apply, and stay open on an error
        error = self._apply(self.editor.text())
        if error:
            self.message.setText(error)
            return
        super().accept()
