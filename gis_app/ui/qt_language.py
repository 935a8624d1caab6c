"""Qt's own words in the interface language: its dialogs, standard buttons and menus.

Qt draws some words itself: the file dialog, the standard buttons of message boxes and button
boxes (OK, Cancel, Save…), a line edit's context menu, a dock's float and close buttons, the
calendar's months. They are English unless Qt's own translation is installed, so the Chinese
interface installs ``qtbase_zh_CN.qm`` (shipped with PyQt6 in ``Qt6/translations``) and the
English one removes it. The default locale follows too (month and day names of date editors).

Dialogs are Qt's own widgets, never the platform's (``AA_DontUseNativeDialogs``): a desktop's
native file dialog speaks the desktop's language, whatever the user chose here.
"""

from __future__ import annotations

from PyQt6.QtCore import QCoreApplication, QLibraryInfo, QLocale, Qt, QTranslator

#: Qt's catalogues installed for Chinese, in the order Qt looks them up.
QT_CATALOGUES = ("qtbase",)

_installed: list[QTranslator] = []

#: Words Qt draws that its own Chinese catalogue (as shipped with PyQt6) lacks: (context,
#: source) → Chinese. Found by the language walk (tests/ui/test_language_walk.py).
QT_SUPPLEMENT: dict[tuple[str, str], str] = {
    ("QFileDialog", "&Look in:"): "查找范围(&L)：",
    ("QFileDialog", "Files of &type:"): "文件类型(&T)：",
}


class SupplementTranslator(QTranslator):
    """Qt's words missing from ``qtbase_zh_CN.qm``, looked up after it."""

    def translate(self, context, source, disambiguation=None, n=-1):  # noqa: D102 - Qt override
        return QT_SUPPLEMENT.get((context, source), "")

    def isEmpty(self) -> bool:  # noqa: N802, D102 - Qt override
        return False


def qt_translations_folder() -> str:
    """Where PyQt6 keeps Qt's ``.qm`` files."""
    return QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)


def locale_of(language: str) -> QLocale:
    """The Qt locale of an interface language (``zh`` or ``en``)."""
    if language == "en":
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    return QLocale(QLocale.Language.Chinese, QLocale.Country.China)


def use_qt_dialogs() -> None:
    """Qt's own file and message dialogs (translated), never the desktop's native ones."""
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, True)


def install_qt_language(language: str) -> list[str]:
    """Install Qt's translation for ``language`` (removing any installed before).

    Returns
    -------
    list of str
        The catalogues installed (empty for English, which is Qt's own language).

    Raises
    ------
    FileNotFoundError
        When Chinese is asked for and PyQt6 ships no ``qtbase_zh_CN.qm``.
    """
    app = QCoreApplication.instance()
    try:
        return _install(app, language)
    finally:
        relabel_qt_buttons()


def _install(app, language: str) -> list[str]:
    for translator in _installed:
        if app is not None:
            app.removeTranslator(translator)
    _installed.clear()
    QLocale.setDefault(locale_of(language))
    if language == "en" or app is None:
        return []
    supplement = SupplementTranslator(app)  # installed first: asked after Qt's own
    app.installTranslator(supplement)
    _installed.append(supplement)
    loaded = []
    for catalogue in QT_CATALOGUES:
        translator = QTranslator(app)
        if not translator.load(locale_of(language), catalogue, "_", qt_translations_folder()):
            raise FileNotFoundError(
                f"{catalogue}_{locale_of(language).name()}.qm not in {qt_translations_folder()}")
        app.installTranslator(translator)
        _installed.append(translator)
        loaded.append(catalogue)
    return loaded


#: Tool tips Qt gives its own buttons once, when it makes them: object name → (context, text).
_QT_TIPS = {
    "qt_dockwidget_floatbutton": ("QDockWidget", "Float"),
    "qt_dockwidget_closebutton": ("QDockWidget", "Close"),
    "ScrollLeftButton": ("QTabBar", "Scroll Left"),
    "ScrollRightButton": ("QTabBar", "Scroll Right"),
}


def relabel_qt_buttons() -> None:
    """Give Qt's own buttons of existing docks and tab bars their tool tips (and names) again.

    Qt sets them when a dock or tab bar is made and does not relabel them when the language
    changes.
    """
    from PyQt6.QtWidgets import QApplication

    if not isinstance(QCoreApplication.instance(), QApplication):
        return
    for widget in QApplication.allWidgets():
        tip = _QT_TIPS.get(widget.objectName())
        if tip is not None:
            text = QCoreApplication.translate(*tip)
            widget.setToolTip(text)
            widget.setAccessibleName(text)  # what a screen reader says
