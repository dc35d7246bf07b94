"""The Help menu: keyboard shortcuts (F1) and About."""
from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu


def build_help_menu(window) -> QMenu:
    """Adds Help to the window's menu bar; call it after every other menu and panel exists."""
    menu = window.menuBar().addMenu("&Help")
    shortcuts = QAction("&Keyboard shortcuts...", window)
    shortcuts.setShortcut(QKeySequence("F1"))
    shortcuts.triggered.connect(lambda _=False: show_shortcuts(window))
    about = QAction("&About Motion Studio...", window)
    about.triggered.connect(lambda _=False: show_about(window))
    menu.addAction(shortcuts)
    menu.addAction(about)
    window.shortcuts_action, window.about_action = shortcuts, about
    return menu


def show_shortcuts(window):
    from gui.shortcuts import ShortcutsDialog

    dialog = ShortcutsDialog(window)
    dialog.open()
    window.help_dialog = dialog  # kept for tests and so it is not collected while open
    return dialog


def show_about(window):
    from gui.about import AboutDialog

    dialog = AboutDialog(window)
    dialog.open()
    window.help_dialog = dialog
    return dialog
