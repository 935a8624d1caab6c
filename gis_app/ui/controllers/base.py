"""What every controller has and declares."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from PyQt6.QtCore import QObject, Qt, QThread, pyqtSignal, pyqtSlot
from PyQt6.QtWidgets import QMessageBox, QWidget

from gis_app.storage.uow import ConflictError, StaleEditError

LEFT = Qt.DockWidgetArea.LeftDockWidgetArea
RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea


class WorkCancelled(Exception):  # noqa: N818 - raised from ``progress`` when 取消 was pressed
    """The user cancelled a dock's computation."""


class DockWorker(QThread):
    """A dock's computation on a worker thread: ``work(progress)``, stopped by ``cancel()``.

    ``progress(done, total)`` reports and, once cancelled, raises ``cancelled`` (a service may
    want its own exception type). The outcome arrives as ``done(outcome)``, None when
    cancelled; an error as ``failed(text)``. ``on_stop`` runs on the worker when the work did
    not finish (to forget what it left half done). Other attributes (a version, the options
    it ran with) may be set on the object for the controller to read back.
    """

    progressed = pyqtSignal(int, int)
    done = pyqtSignal(object)
    failed = pyqtSignal(str)

    def __init__(self, work: Callable, cancelled: type[Exception] = WorkCancelled,
                 on_stop: Callable[[], None] | None = None):
        super().__init__()
        self.work, self._error, self._on_stop = work, cancelled, on_stop
        self._cancelled = threading.Event()
        self.seconds: float | None = None  # how long the work took (benchmarks read it)

    def cancel(self) -> None:
        self._cancelled.set()

    def _progress(self, done: int, total: int) -> None:
        if self._cancelled.is_set():
            raise self._error
        self.progressed.emit(done, total)

    def report_to(self, receiver: DockWorkReceiver) -> DockWorker:
        """Connect the reports to ``receiver`` (queued: it lives on the window's thread)."""
        self.progressed.connect(receiver.progressed)
        self.done.connect(receiver.finished)
        self.failed.connect(receiver.failed)
        return self

    def run(self) -> None:  # noqa: D102 - QThread override, on the worker thread
        start = time.perf_counter()
        try:
            outcome = self.work(self._progress)
        except self._error:
            if self._on_stop:
                self._on_stop()
            self.done.emit(None)
        except Exception as exc:  # noqa: BLE001 - shown in the dock, never lost on the thread
            if self._on_stop:
                self._on_stop()
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.seconds = time.perf_counter() - start
            self.done.emit(outcome)


class WorkerDock:
    """A controller running one :class:`DockWorker` at a time for its dock (a mixin).

    The controller holds ``thread`` (the worker running, if any), ``_again`` (run once more
    when it ends), ``panel`` (with a ``cancel`` button) and ``_receiver``.
    """

    def cancel(self) -> None:
        """Stop the computation running (its outcome arrives as None)."""
        if self.thread is not None:
            self._again = False
            self.panel.cancel.setEnabled(False)
            self.thread.cancel()

    def _ended_worker(self) -> DockWorker | None:
        """The worker that has just reported, waited for and let go."""
        thread, self.thread = self.thread, None
        if thread is not None:
            thread.wait()
            thread.deleteLater()
        return thread

    def _stop_worker(self) -> None:
        """The window closes: stop a computation still running and wait for it."""
        if self.thread is not None:
            self.thread.cancel()
            self.thread.wait()
            self.thread = None


class DockWorkReceiver(QObject):
    """Lives on the window's thread: a dock's worker thread reports here, queued.

    The controller shows progress with ``panel.set_busy(done, total)`` and takes the outcome
    (None when cancelled) or the error text in ``_finished(outcome, error=None)``. A report
    queued by a thread the controller has already let go (the window closing waited for it)
    is dropped.
    """

    def __init__(self, controller):
        super().__init__()
        self.controller = controller

    def _current(self) -> bool:
        return self.controller.thread is not None

    @pyqtSlot(int, int)
    def progressed(self, done: int, total: int) -> None:
        if self._current():
            self.controller.panel.set_busy(done, total)

    @pyqtSlot(object)
    def finished(self, outcome) -> None:
        if self._current():
            self.controller._finished(outcome)

    @pyqtSlot(str)
    def failed(self, error: str) -> None:
        if self._current():
            self.controller._finished(None, error)


@dataclass
class DockSpec:
    """A dock: its Chinese title (also its key), widget, area and the dock it is tabbed with."""

    title: str
    widget: QWidget
    area: Qt.DockWidgetArea
    tab_with: str | None = None
    #: Called when the dock is shown while stale (it was changed while hidden).
    refresh: Callable[[], None] | None = None
    raised: bool = False


@dataclass
class ActionSpec:
    """A menu (and optionally toolbar) action: where, its Chinese text, what it does."""

    menu: str
    text: str
    slot: Callable
    shortcut: str | None = None
    checkable: bool = False
    #: Toolbar name ("tools", "grids"), or None.
    toolbar: str | None = None
    #: Tools of the map (pan, select …) share one exclusive group.
    tool: str | None = None
    separator_before: bool = False
    key: str | None = None
    #: Filled by the window: the QAction made for the spec.
    action: object = field(default=None, repr=False)


class Controller:
    """Base of the window's features.

    Parameters
    ----------
    window : MainWindow
        Gives ``session``, ``layers``, ``canvas``, ``state``, ``tr_`` (translator),
        ``settings``, and is the parent of dialogs.
    """

    def __init__(self, window):
        self.window = window
        self.session = window.session
        self.layers = window.layers
        self.canvas = window.canvas
        self.state = window.state
        self.tr_ = window.tr_

    def docks(self) -> list[DockSpec]:
        """The docks this feature adds."""
        return []

    def actions(self) -> list[ActionSpec]:
        """The actions this feature adds."""
        return []

    def tools(self) -> dict[str, Callable]:
        """Map tools this feature handles: tool name → handler(vertices or (x, y), modifiers)."""
        return {}

    def hints(self) -> dict[str, tuple[str, str | None]]:
        """What to do next with this feature's map tools, said in the status bar (Chinese).

        Tool name → (hint when the tool is chosen, hint once drawing has begun or None).
        """
        return {}

    def assembled(self) -> None:
        """Every dock, menu and toolbar exists now (place widgets into toolbars here)."""

    def retranslate(self) -> None:
        """Relabel the feature's own widgets in ``state.language``."""

    def close(self) -> None:
        """The window is closing."""

    # -- shared helpers
    def shown(self, dock_title: str) -> bool:
        """True when the dock is on screen; otherwise it is redrawn when next shown."""
        return self.window.dock_shown(dock_title)

    def status(self, text: str, msecs: int = 5000) -> None:
        """A status-bar message."""
        self.state.status(text, msecs)

    def run_edit(self, title: str, action, *args, **kwargs):
        """Run a service edit; a refused one (stale, invalid, conflicting) is explained.

        Returns the action's result, or None when it was refused (nothing was written).
        """
        try:
            return action(*args, **kwargs)
        except (StaleEditError, ConflictError, ValueError) as exc:
            QMessageBox.warning(self.window, self.tr_(title), self.tr_.message(str(exc)))
            return None
