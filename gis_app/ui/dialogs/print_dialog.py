"""文件 → 打印地图…: paper, orientation, title, a single map or an atlas, township, the file.

The dialog only gathers :class:`~gis_app.services.print_service.PrintOptions`. The controller
(``ui/controllers/printing``) hands them to the print service, the same one ``gis-app print``
calls, so the window and the command write the same file.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gis_app.services.print_service import PrintOptions

TITLE = "打印地图"
PAPERS = {"A4": "A4", "A3": "A3"}
ORIENTATIONS = {"landscape": "横向", "portrait": "纵向"}
ATLASES = {None: "单张地图", "village": "图集：每村一页", "grid": "图集：每个三级网格一页"}


class PrintDialog(QDialog):
    """The options of a printed map and the file to write.

    Parameters
    ----------
    session : ProjectSession
        The window's session (its townships).
    translate : callable
        The window's translator.
    """

    def __init__(self, session, translate, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.setWindowTitle(translate(TITLE))
        self.paper = QComboBox()
        for key, label in PAPERS.items():
            self.paper.addItem(label, key)
        self.orientation = QComboBox()
        for key, label in ORIENTATIONS.items():
            self.orientation.addItem(translate(label), key)
        self.atlas = QComboBox()
        for key, label in ATLASES.items():
            self.atlas.addItem(translate(label), key)
        self.township = QComboBox()
        self.township.addItem(translate("全县"), None)
        townships = session.townships.sort_values("code")
        for code, name in zip(townships["code"].astype(str), townships["name"], strict=True):
            self.township.addItem(f"{name}（{code}）", code)
        self.title = QLineEdit()
        self.title.setPlaceholderText(translate("默认按范围生成"))
        self.path = QLineEdit()
        self.path.setPlaceholderText(translate("保存的文件（.pdf 或 .png）"))
        browse = QPushButton(translate("浏览…"))
        browse.clicked.connect(lambda _checked=False: self.choose_file())
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.path, 1)
        line.addWidget(browse)
        form = QFormLayout()
        form.addRow(translate("纸张"), self.paper)
        form.addRow(translate("方向"), self.orientation)
        form.addRow(translate("图名"), self.title)
        form.addRow(translate("内容"), self.atlas)
        form.addRow(translate("乡镇"), self.township)
        form.addRow(translate("保存到"), row)
        self.about = QLabel(translate("地图按当前显示的图层和样式绘制；PDF为矢量并嵌入中文字体，"
                                      "PNG为每英寸300点；图集只能输出为PDF"))
        self.about.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.print_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.print_button.setText(translate("打印"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(translate("取消"))
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.about)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.path.textChanged.connect(lambda _text: self._enable())
        self._enable()
        self.resize(520, self.sizeHint().height())

    def _enable(self) -> None:
        self.print_button.setEnabled(bool(self.path.text().strip()))

    def choose_file(self) -> str | None:
        """Ask where to save; the path goes into the file box."""
        start = self.path.text().strip() or self.tr_(TITLE) + ".pdf"
        path, _ = QFileDialog.getSaveFileName(self, self.tr_(TITLE), start,
                                              "PDF (*.pdf);;PNG (*.png)")
        if path:
            self.path.setText(path)
        return path or None

    def out(self) -> str:
        """The file to write (``.pdf`` added when it names no format)."""
        path = self.path.text().strip()
        if path and Path(path).suffix.lower() not in (".pdf", ".png"):
            path += ".pdf"
        return path

    def options(self) -> PrintOptions:
        """The options shown."""
        return PrintOptions(paper=self.paper.currentData(),
                            orientation=self.orientation.currentData(),
                            title=self.title.text().strip() or None,
                            atlas=self.atlas.currentData(),
                            township=self.township.currentData())
