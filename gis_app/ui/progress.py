"""Long work behind a progress dialog with 取消: the work on a worker thread, the window live.

The work is a plain function of a ``progress(done, total)`` callback (the services' and
writers' convention). The callback only records the figures and, once 取消 is pressed,
raises :class:`Cancelled` inside the work at its next step: a writer then leaves no file, an
import writes nothing. The dialog is updated from this thread, as in ``ui/app._load_beside``.
"""

from __future__ import annotations

import threading

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QProgressDialog

#: The dialog appears only for work lasting longer than this (milliseconds).
SHOW_AFTER_MS = 300


class Cancelled(Exception):
    """The user pressed 取消; the work stopped and wrote nothing."""


class WorkDialog:
    """A window-modal progress dialog running work on a worker thread.

    Parameters
    ----------
    parent : QWidget
        The window the dialog belongs to.
    label : str
        What is being done (already translated).
    cancel : str
        The cancel button's text (already translated).
    """

    def __init__(self, parent, label: str, cancel: str):
        self.dialog = QProgressDialog(label, cancel, 0, 0, parent)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(SHOW_AFTER_MS)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.setValue(0)

    def run(self, work):
        """``work(progress)`` on a worker thread; returns its result or raises its error.

        Raises
        ------
        Cancelled
            When 取消 was pressed before the work finished.
        """
        state = {"done": 0, "total": 0, "result": None, "error": None}
        cancelled = threading.Event()

        def progress(done: int, total: int) -> None:
            state["done"], state["total"] = done, total
            if cancelled.is_set():
                raise Cancelled()

        def target() -> None:
            try:
                state["result"] = work(progress)
            except BaseException as error:  # noqa: BLE001 - re-raised on this thread
                state["error"] = error

        worker = threading.Thread(target=target, name="work-dialog", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.02)
                total = max(int(state["total"]), 0)
                self.dialog.setMaximum(total)  # 0: a busy bar until the work says how much
                self.dialog.setValue(min(int(state["done"]), total) if total else 0)
                QApplication.processEvents()
                if self.dialog.wasCanceled():
                    cancelled.set()
        except BaseException:
            cancelled.set()
            worker.join()
            raise
        if state["error"] is not None:
            raise state["error"]
        return state["result"]

    def busy(self, label: str) -> None:
        """Show ``label`` while this thread works on (a unit of work): no cancelling now."""
        self.dialog.setLabelText(label)
        self.dialog.setCancelButton(None)
        self.dialog.setMaximum(0)
        QApplication.processEvents()

    def close(self) -> None:
        """Close the dialog."""
        self.dialog.close()
        self.dialog.deleteLater()
