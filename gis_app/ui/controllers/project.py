"""The project: open another one, undo, language, personal data, basemap, the window title."""

from __future__ import annotations

from PyQt6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox

from gis_app.services.export_service import may_see_personal_data
from gis_app.ui.controllers.base import ActionSpec, Controller


class ProjectController(Controller):
    """File, 编辑 (undo) and 设置 menus."""

    name = "project"

    def __init__(self, window):
        super().__init__(window)
        self.session.events.changed.connect(lambda _changes: self._undo_state())
        self.session.events.reset.connect(self._undo_state)

    def actions(self):
        self.undo_spec = ActionSpec("编辑", "撤销", self.undo, "Ctrl+Z", toolbar="tools")
        self.unmask_spec = ActionSpec("设置", "显示个人信息", self.toggle_unmask, checkable=True)
        return [
            ActionSpec("文件", "打开项目…", self.open_project_dialog, "Ctrl+O"),
            ActionSpec("文件", "打开服务器…", self.open_server_dialog),
            ActionSpec("文件", "打开示例县", lambda: self.switch_project(None)),
            ActionSpec("文件", "退出", self.window.close, "Ctrl+Q", separator_before=True),
            self.undo_spec,
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
        self._undo_state()

    def retranslate(self) -> None:
        county = self.session.settings.get("county_name", "")
        location = self.session.project.location
        self.window.setWindowTitle(f"{self.tr_('网格防返贫监测 GIS')} — {county} — {location}")
        if hasattr(self, "recent_menu"):
            self.recent_menu.setTitle(self.tr_("最近的项目"))
        self._undo_state()

    # -- undo
    def _undo_state(self) -> None:
        action = self.undo_spec.action
        if action is None:
            return
        label = self.session.undo_label()
        action.setEnabled(label is not None)
        action.setToolTip(self.tr_("撤销：{label}").format(label=label) if label
                          else self.tr_("没有可撤销的操作"))

    def undo(self) -> str | None:
        """Take back this window's latest edit; refused (with who and when) if rows moved on."""
        label = self.session.undo_label()
        if label is None:
            self.status(self.tr_("没有可撤销的操作"), 3000)
            return None
        if self.run_edit("撤销", self.session.undo) is None:
            self._undo_state()
            return None
        self.status(self.tr_("已撤销：{label}").format(label=label))
        self._undo_state()
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
                                              "项目 (*.gmp *.sqlite *.db);;所有文件 (*)")
        if path:
            self.switch_project(path)

    def open_server_dialog(self) -> None:
        """Type a postgresql:// address."""
        url, ok = QInputDialog.getText(self.window, self.tr_("打开服务器…"),
                                       "postgresql://用户@主机:端口/数据库", text="postgresql://")
        if ok and url.strip():
            self.switch_project(url.strip())

    def switch_project(self, location: str | None) -> None:
        """Open another project in a new window (the app module does the loading)."""
        from gis_app.ui.app import open_window

        if open_window(location, self.window) is not None:
            self.window.close()
