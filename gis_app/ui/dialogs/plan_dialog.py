"""生成防范因灾返贫预案: one village or all, the buffer, Excel or PDF, the file; then written.

The plan itself is :mod:`gis_app.services.plan_service`'s (drawn up from the session, written
on a worker thread, then noted in the audit log); the dialog only gathers its options and says
what it wrote (or why not). While a file is written a bar counts the villages and 取消 stops
it, the file left as it was. Phones are masked unless the window shows
personal data (which only users with the right can switch on).
"""

from __future__ import annotations

import threading
from pathlib import Path

from PyQt6.QtCore import Qt, QThread, pyqtSignal
from PyQt6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from gis_app.services import plan_service as service
from gis_app.services.export_service import PersonalDataDenied
from gis_app.ui.i18n import Translator

TITLE = "生成防范因灾返贫预案"
#: Format key → its label in the list, and the file dialog's filter.
FORMATS = {"xlsx": ("Excel（每村一页）", "Excel (*.xlsx)"),
           "pdf": ("PDF（每村一节）", "PDF (*.pdf)")}


class PlanDialog(QDialog):
    """The options of a 防范因灾返贫预案 and the button that writes it.

    Parameters
    ----------
    session : ProjectSession
        The window's session (villages, exposure and the user who asks).
    unmask : bool
        Phones in full (the window shows personal data).
    translate : callable, optional
        The window's translator.
    """

    def __init__(self, session, unmask: bool = False, translate=None, parent=None):
        super().__init__(parent)
        self.session, self.unmask = session, unmask
        self._writer: _WriteThread | None = None
        self.tr_ = translate or Translator()
        tr_ = self.tr_
        self.setWindowTitle(tr_(TITLE))
        self.village = QComboBox()
        self.village.addItem(tr_("全部村（社区），每村一份"), None)
        villages = session.villages.sort_values("code")
        townships = session.townships.set_index("id")["name"]
        self._names = dict(zip(villages["code"].astype(str), villages["name"], strict=True))
        for row in villages.itertuples():
            township = townships.get(row.parent_id, "")
            self.village.addItem(f"{township} {row.name}（{row.code}）", str(row.code))
        self.buffer = QDoubleSpinBox()
        self.buffer.setRange(0, 5000)
        self.buffer.setDecimals(0)
        self.buffer.setSingleStep(50)
        self.buffer.setSuffix(" " + tr_("米"))
        self.buffer.setToolTip(tr_("灾害隐患区周边多少米内也算受威胁；隐患点按威胁半径再加此距离"))
        self.format = QComboBox()
        for key, (label, _pattern) in FORMATS.items():
            self.format.addItem(tr_(label), key)
        self.path = QLineEdit()
        self.path.setPlaceholderText(tr_("保存的文件"))
        browse = QPushButton(tr_("浏览…"))
        browse.clicked.connect(lambda _checked=False: self.choose_file())
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(browse)
        form = QFormLayout()
        form.addRow(tr_("村（社区）"), self.village)
        form.addRow(tr_("缓冲距离（米）"), self.buffer)
        form.addRow(tr_("格式"), self.format)
        form.addRow(tr_("保存到"), where)
        self.about = QLabel(tr_("列入受灾害威胁的全部监测对象和极高、高风险的脱贫户，附结对帮扶"
                                "责任人、责任网格员和最近安置点（直线距离）")
                            + "\n" + tr_("电话不脱敏（已显示个人信息）" if unmask else
                                         "电话已脱敏"))
        self.about.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bar = QProgressBar()  # the villages written, while a file is written
        self.bar.setFormat(tr_("%v / %m 村"))
        self.cancel_button = QPushButton(tr_("取消"))
        self.cancel_button.clicked.connect(lambda _checked=False: self.cancel())
        writing = QHBoxLayout()
        writing.addWidget(self.bar, 1)
        writing.addWidget(self.cancel_button)
        self.bar.hide()
        self.cancel_button.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Close)
        self.generate_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.generate_button.setText(tr_("生成"))
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr_("关闭"))
        self.generate_button.clicked.connect(lambda _checked=False: self.generate())
        self.buttons.rejected.connect(self.reject)
        self.format.currentIndexChanged.connect(lambda _index: self._match_extension())
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.about)
        layout.addWidget(self.status)
        layout.addLayout(writing)
        layout.addWidget(self.buttons)
        self.resize(560, 280)

    # -- options
    @property
    def kind(self) -> str:
        """``xlsx`` or ``pdf``."""
        return self.format.currentData()

    def _match_extension(self) -> None:
        """The file's extension follows the format chosen."""
        text = self.path.text().strip()
        if text:
            self.path.setText(str(Path(text).with_suffix(f".{self.kind}")))

    def _default_name(self) -> str:
        code = self.village.currentData()
        name = self.tr_("防范因灾返贫预案")
        if code is not None:
            name += f"_{self._names[code]}"
        return f"{name}.{self.kind}"

    def choose_file(self) -> str | None:
        """Ask where to save; the path goes into the file box."""
        pattern = FORMATS[self.kind][1]
        start = self.path.text().strip() or self._default_name()
        path, _ = QFileDialog.getSaveFileName(self, self.tr_(TITLE), start, pattern)
        if path:
            if not path.lower().endswith(f".{self.kind}"):
                path += f".{self.kind}"
            self.path.setText(path)
        return path or None

    # -- writing
    def generate(self) -> str | None:
        """Draw up the plan with the options shown and start writing it.

        The plan is read from the session here; the file is written on a worker thread (a
        county's plans take a minute), and the status says when it is done or why not.
        Returns the file being written, or None when refused (the status says why).
        """
        tr_ = self.tr_
        if self._writer is not None:
            return None
        path = self.path.text().strip() or self.choose_file()
        if not path:
            self.status.setText(tr_("请选择保存的文件"))
            return None
        if not path.lower().endswith(f".{self.kind}"):
            path = str(Path(path).with_suffix(f".{self.kind}"))
            self.path.setText(path)
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            plan = service.disaster_plan(
                self.session, village=self.village.currentData(),
                buffer_m=self.buffer.value(), unmask=self.unmask, user=self.session.user)
        except (service.VillageNotFoundError, PersonalDataDenied, ValueError) as exc:
            self.status.setText(tr_("生成失败：{error}").format(error=tr_.message(str(exc))))
            return None
        finally:
            QApplication.restoreOverrideCursor()
        self.status.setText(tr_("正在写入{file}…").format(file=Path(path).name))
        self.generate_button.setEnabled(False)
        villages = len(plan.villages)
        self.bar.setRange(0, villages)
        self.bar.setValue(0)
        self.bar.show()
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self._writer = _WriteThread(plan, path)
        self._writer.written.connect(self._written)
        self._writer.failed.connect(self._failed)
        self._writer.stopped.connect(self._stopped)
        # The save is counted as one more village: the bar stays at the last until written.
        self._writer.progressed.connect(
            lambda done, total: self.bar.setValue(min(done, villages)))
        self._writer.start()
        return path

    def cancel(self) -> None:
        """Stop the file being written (at the next village); the file stays as it was."""
        if self._writer is not None:
            self._writer.stop.set()
            self.cancel_button.setEnabled(False)
            self.status.setText(self.tr_("正在取消…"))

    @property
    def busy(self) -> bool:
        """A file is being written."""
        return self._writer is not None

    def _finish(self) -> None:
        self._writer.wait()
        self._writer = None
        self.generate_button.setEnabled(True)
        self.bar.hide()
        self.cancel_button.hide()

    def _stopped(self, path: str) -> None:
        self._finish()
        self.status.setText(self.tr_("已取消，未写入{file}").format(file=Path(path).name))

    def _written(self, plan, out: str) -> None:
        self._finish()
        tr_ = self.tr_
        service.record_export(self.session, plan, out, self.session.user)
        summary = plan.summary()
        counts = tr_("重点防范{n}户，其中监测对象{m}户，{u}户未落实结对帮扶责任人").format(
            n=int(summary["households"].sum()), m=int(summary["monitored"].sum()),
            u=int(summary["unpaired"].sum()))
        self.status.setText(tr_("已生成：{path}").format(path=out) + "\n" + counts)

    def _failed(self, message: str) -> None:
        self._finish()
        self.status.setText(self.tr_("生成失败：{error}").format(
            error=self.tr_.message(message)))

    def done(self, result: int) -> None:  # noqa: D102 - closing waits for a file half written
        if self._writer is not None:
            self._writer.wait()
        super().done(result)


class _Stopped(Exception):  # noqa: N818 - raised from ``progress`` once 取消 was pressed
    pass


class _WriteThread(QThread):
    """Writes a plan already drawn up (reads nothing of the session); ``stop`` set: stops."""

    written = pyqtSignal(object, str)
    failed = pyqtSignal(str)
    stopped = pyqtSignal(str)
    progressed = pyqtSignal(int, int)

    def __init__(self, plan, path: str):
        super().__init__()
        self.plan, self.path = plan, path
        self.stop = threading.Event()

    def _progress(self, done: int, total: int) -> None:
        if self.stop.is_set() and done < total:  # once written, written
            raise _Stopped
        self.progressed.emit(done, total)

    def run(self) -> None:  # noqa: D102 - QThread override, on the worker thread
        try:
            out = service.write_plan(self.plan, self.path, self._progress)
        except _Stopped:
            self.stopped.emit(self.path)
            return
        # OSError: the file cannot be written, or no Chinese font for the PDF
        except (OSError, ValueError) as exc:
            self.failed.emit(str(exc))
            return
        self.written.emit(self.plan, str(out))
