"""The window's own state, Qt-free: language, personal data shown, requests between features.

Requests are what one feature asks of another: open the visit form for a household, zoom to an
extent, show a message.

Controllers never call each other: one emits a request here, the one that owns the feature
subscribes (glue's hub, with psygnal).
"""

from __future__ import annotations

from psygnal import Signal, SignalGroup


class WindowEvents(SignalGroup):
    """What the window's features tell each other."""

    language = Signal(str)
    unmask = Signal(bool)
    #: Open the visit form (走访记录) for a household id.
    record_requested = Signal(int)
    #: Zoom the map to (minx, miny, maxx, maxy) in map metres, with a padding fraction.
    zoom_requested = Signal(object, float)
    #: Show a household's attributes in the identify panel.
    identify_requested = Signal(str, int)
    #: A status-bar message (already translated) and how long to show it (ms; 0: until replaced).
    message = Signal(str, int)


class WindowState:
    """Language and personal-data visibility of one window, with its events."""

    def __init__(self, language: str = "zh", unmask: bool = False):
        self.events = WindowEvents()
        self.language = language
        self.unmask = unmask

    def set_language(self, language: str) -> None:
        """Switch the interface language."""
        if language != self.language:
            self.language = language
            self.events.language.emit(language)

    def set_unmask(self, unmask: bool) -> None:
        """Show or hide ID numbers and phones in every view."""
        if unmask != self.unmask:
            self.unmask = bool(unmask)
            self.events.unmask.emit(self.unmask)

    def status(self, text: str, msecs: int = 5000) -> None:
        """Ask for a status-bar message."""
        self.events.message.emit(text, msecs)
