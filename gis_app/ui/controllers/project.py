"""The project: open another one, undo, language, personal data, basemap, the window title."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from PyQt6.QtGui import QKeySequence
from PyQt6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox

from gis_app.services.export_service import may_see_personal_data
from gis_app.storage.project import is_server_url
from gis_app.ui.controllers.base import ActionSpec, Controller
from gis_app.ui.qt_language import install_qt_language

#: 重做's keys: Ctrl+Y as on Windows, Ctrl+Shift+Z as in QGIS and on Linux.
REDO_KEYS = ("Ctrl+Y", "Ctrl+Shift+Z")


def project_title(location: str) -> str:
    """How the title bar names a project: its file name, or its server address sans password."""
    if not is_server_url(location):
        return Path(location).name
    parts = urlsplit(location)
    netloc = parts.netloc.rpartition("@")
    user = netloc[0].partition(":")[0]
    host = f"{user}@{netloc[2]}" if user else netloc[2]
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k.lower() != "password"])
    return urlunsplit((parts.scheme, host, parts.path, query, parts.fragment))


class ProjectController(Controller):
    """File, 编辑 (undo, redo) and 设置 menus."""

    name = "project"

    def __init__(self, window):
        super().__init__(window)
        self.session.events.changed.connect(lambda _changes: self._undo_state())
        self.session.events.reset.connect(self._undo_state)
        # Qt's own words (dialogs, standard buttons) follow the interface language; connected
        # before the window's relabelling, so Qt's are in place when the labels are set.
        install_qt_language(self.state.language)
        self.state.events.language.connect(install_qt_language)

    def actions(self):
        self.undo_spec = ActionSpec("编辑", "撤销", self.undo, "Ctrl+Z", toolbar="tools")
        self.redo_spec = ActionSpec("编辑", "重做", self.redo, REDO_KEYS[0], toolbar="tools")
        self.unmask_spec = ActionSpec("设置", "显示个人信息", self.toggle_unmask, checkable=True)
        return [
            ActionSpec("文件", "打开项目…", self.open_project_dialog, "Ctrl+O"),
            ActionSpec("文件", "打开服务器…", self.open_server_dialog),
            ActionSpec("文件", "打开示例县", lambda: self.switch_project(None)),
            ActionSpec("文件", "退出", self.window.close, "Ctrl+Q", separator_before=True),
            self.undo_spec,
            self.redo_spec,
            ActionSpec("设置", "中文", lambda: self.set_language("zh")),
            ActionSpec("设置", "英文", lambda: self.set_language("en")),
            self.unmask_spec,
        ]

    def assembled(self) -> None:
        file_menu = self.window.menus["文件"]
        self.recent_menu = QMenu(self.tr_("最近的项目"), file_menu)
        file_menu.insertMenu(file_menu.actions()[3], self.recent_menu)
        for location in (self.window.settings.value("recent") or [])[:10]:
            action = self.recent_menu.addAction(str(location))
            action.triggered.connect(lambda _=False, loc=location: self.switch_project(loc))
        self.redo_spec.action.setShortcuts([QKeySequence(key) for key in REDO_KEYS])
        self._undo_state()

    def retranslate(self) -> None:
        self.window.setWindowTitle(
            f"{project_title(self.session.project.location)} — {self.tr_('网格防返贫监测 GIS')}")
        if hasattr(self, "recent_menu"):
            self.recent_menu.setTitle(self.tr_("最近的项目"))
        self._undo_state()

    # -- undo and redo
    def _undo_state(self) -> None:
        """撤销/重做 name what they would do (撤销“分配网格员”), disabled when there is nothing."""
        for spec, label, verb, nothing, text, tip in (
                (self.undo_spec, self.session.undo_label(), "撤销", "没有可撤销的操作",
                 "撤销“{label}”", "撤销：{label}"),
                (self.redo_spec, self.session.redo_label(), "重做", "没有可重做的操作",
                 "重做“{label}”", "重做：{label}")):
            action = spec.action
            if action is None:
                continue
            action.setEnabled(label is not None)
            if label is None:
                action.setText(self.tr_(verb))
                action.setToolTip(self.tr_(nothing))
            else:
                name = self._edit_name(label)
                action.setText(self.tr_(text).format(label=name))
                action.setToolTip(self.tr_(tip).format(label=name))
            action.setIconText(self.tr_(verb))  # the toolbar button stays short

    def _edit_name(self, label: str) -> str:
        """An edit's label (the services name it in Chinese) in the interface's language."""
        message = getattr(self.tr_, "message", None)  # the catalogue's message templates
        return message(label) if message is not None else label

    def undo(self) -> str | None:
        """Take back this window's latest edit; refused (with who and when) if rows moved on."""
        return self._step("撤销", self.session.undo_label(), self.session.undo,
                          "没有可撤销的操作", "已撤销：{label}")

    def redo(self) -> str | None:
        """Make the latest undone edit again; refused (with who and when) if rows moved on."""
        return self._step("重做", self.session.redo_label(), self.session.redo,
                          "没有可重做的操作", "已重做：{label}")

    def _step(self, title: str, label: str | None, action, nothing: str, done: str):
        if label is None:
            self.status(self.tr_(nothing), 3000)
            return None
        result = self.run_edit(title, action)
        self._undo_state()
        if result is None:
            return None
        self.status(self.tr_(done).format(label=self._edit_name(label)))
        return label

    # -- language and personal data
    def set_language(self, language: str) -> None:
        """Switch the interface language (remembered)."""
        self.window.settings.setValue("language", language)
        self.state.set_language(language)

    def toggle_unmask(self) -> None:
        """Show personal data, for users the project allows."""
        action = self.unmask_spec.action
        checked = action.isChecked()
        if checked and not may_see_personal_data(self.session.project, self.session.user):
            action.setChecked(False)
            QMessageBox.warning(self.window, self.tr_("显示个人信息"), self.tr_("无权查看个人信息"))
            return
        self.state.set_unmask(checked)

    # -- other projects
    def open_project_dialog(self) -> None:
        """Choose a project file."""
        path, _ = QFileDialog.getOpenFileName(self.window, self.tr_("打开项目…"), "",
                                              self.tr_("项目 (*.gmp *.sqlite *.db);;所有文件 (*)"))
        if path:
            self.switch_project(path)

    def open_server_dialog(self) -> None:
        """Type a postgresql:// address."""
        url, ok = QInputDialog.getText(self.window, self.tr_("打开服务器…"),
                                       self.tr_("postgresql://用户@主机:端口/数据库"),
                                       text="postgresql://")
        if ok and url.strip():
            self.switch_project(url.strip())

    def switch_project(self, location: str | None) -> None:
        """Open another project in a new window (the app module does the loading)."""
        from gis_app.ui.app import open_window

        if open_window(location, self.window) is not None:
            self.window.close()
