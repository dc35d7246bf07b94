"""Help > Keyboard shortcuts: a table generated from the window's actual QActions, so it cannot drift
from what the keys do."""
from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QMenu, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)


def shortcut_rows(window) -> list[tuple[str, str, str]]:
    """(menu path, action, keys) for every action with a shortcut: menu actions in menu order, then the
    window's other actions (e.g. ones a panel added without a menu entry)."""
    rows: list[tuple[str, str, str]] = []
    seen: set[int] = set()

    def visit(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                visit(action.menu(), f"{path} > {_clean(action.text())}")
            elif action.isSeparator():
                continue
            else:
                _add(action, path)

    def _add(action: QAction, path: str) -> None:
        keys = _keys(action)
        if keys and id(action) not in seen:
            seen.add(id(action))
            rows.append((path, _clean(action.text()), keys))

    for top in window.menuBar().actions():
        if top.menu() is not None:
            visit(top.menu(), _clean(top.text()))
    for action in window.findChildren(QAction):
        _add(action, "")
    return rows


def _keys(action: QAction) -> str:
    return ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts() if not s.isEmpty())


def _clean(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").replace("...", "")


class ShortcutsDialog(QDialog):
    def __init__(self, window, parent: QWidget | None = None):
        super().__init__(parent or window)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setHorizontalHeaderLabels(["Keys", "Action", "Menu"])
        for r, (menu, text, keys) in enumerate(rows):
            for c, value in enumerate((keys, text, menu)):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(520, 480)

    def keys(self) -> list[str]:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())]
