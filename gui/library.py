"""Clip library panel: every clip the session has loaded (embedded DeepMimic clips and user files) or made.

Deleting (Delete) and renaming (F2) clips are steps on the window's undo stack; the context menu offers them
with "Add to sequence" and "Export BVH...". A deleted clip's file is not touched."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand
from PySide6.QtWidgets import QInputDialog, QListWidget, QListWidgetItem, QMenu, QVBoxLayout, QWidget

from gui.formatting import fps_text
from gui.loading import LoadedClip


class _RemoveClip(QUndoCommand):
    def __init__(self, library: "ClipLibrary", name: str):
        super().__init__(f"delete {name}")
        self.library, self.name, self.row, self.clip = library, name, -1, None

    def redo(self) -> None:
        self.row, self.clip = self.library._take(self.name)

    def undo(self) -> None:
        self.library._insert(self.row, self.clip)


class _RenameClip(QUndoCommand):
    def __init__(self, library: "ClipLibrary", name: str, new: str):
        super().__init__(f"rename {name} to {new}")
        self.library, self.names = library, (name, new)

    def redo(self) -> None:
        self.library._rename(*self.names)

    def undo(self) -> None:
        self.library._rename(*reversed(self.names))


class ClipLibrary(QWidget):
    """A list of `LoadedClip`s; selecting one emits `clipSelected(LoadedClip)`; `clipRemoved(LoadedClip)` when
    a deletion takes the selected one away. `window` gives the undo stack and the context menu's actions."""

    clipSelected = Signal(object)
    clipRemoved = Signal(object)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._clips: list[LoadedClip] = []
        self.list = QListWidget(self)
        self.list.setAlternatingRowColors(True)
        self.list.currentRowChanged.connect(self._row_changed)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        for text, key, slot in (("Delete", QKeySequence.StandardKey.Delete, self._delete_current),
                                ("Rename...", QKeySequence("F2"), self._rename_current)):
            action = QAction(text, self.list)
            action.setShortcut(key)
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(slot)
            self.list.addAction(action)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)

    def clips(self) -> list[LoadedClip]:
        return list(self._clips)

    def names(self) -> list[str]:
        return [c.name for c in self._clips]

    def add(self, clip: LoadedClip, select: bool = False, replace: bool = False) -> int:
        """Add a clip (a file loaded again replaces its old entry; with `replace`, so does a clip of the same
        name, e.g. a result computed again, instead of taking a numbered name); returns its row."""
        row = next((i for i, c in enumerate(self._clips)
                    if (clip.source and c.source == clip.source) or (replace and c.name == clip.name)), None)
        if row is None:
            clip.name = self._unique_name(clip.name)
            self._clips.append(clip)
            row = len(self._clips) - 1
            self.list.addItem(QListWidgetItem())
        else:
            clip.name = self._clips[row].name
            self._clips[row] = clip
        self._describe(row)
        if select:
            if self.list.currentRow() == row:
                self.clipSelected.emit(clip)
            else:
                self.list.setCurrentRow(row)
        return row

    def replace_clip(self, old: LoadedClip, new: LoadedClip) -> bool:
        """Put `new` where `old` is (selected, named as `new` says unless another clip has that name); False
        when `old` is no longer in the library."""
        row = next((i for i, c in enumerate(self._clips) if c is old), None)
        if row is None:
            return False
        new.name = self._unique_name(new.name, but=old)
        self._clips[row] = new
        self._describe(row)
        if self.list.currentRow() == row:
            self.clipSelected.emit(new)
        else:
            self.list.setCurrentRow(row)
        return True

    def select(self, name: str) -> bool:
        for i, c in enumerate(self._clips):
            if c.name == name:
                self.list.setCurrentRow(i)
                return True
        return False

    def current(self) -> LoadedClip | None:
        row = self.list.currentRow()
        return self._clips[row] if 0 <= row < len(self._clips) else None

    def _describe(self, row: int) -> None:
        clip, item = self._clips[row], self.list.item(row)
        m = clip.motion
        item.setText(f"{clip.name}  ({m.num_frames} fr, {fps_text(m.fps)})")
        origin = "embedded DeepMimic clip" if clip.embedded else clip.source
        tip = f"{origin}\n{m.skeleton.num_joints} joints, {m.duration:.2f} s"
        if clip.warnings:
            tip += "\nrepaired on load:\n" + "\n".join(clip.warnings)
        item.setToolTip(tip)
        item.setData(Qt.ItemDataRole.UserRole, clip.name)

    # -- edits (undo steps) ---------------------------------------------------------------------------------
    def delete_clip(self, name: str) -> None:
        self.window.undo_stack.push(_RemoveClip(self, name))

    def rename_clip(self, name: str, new: str) -> None:
        new = new.strip()
        if new and new != name:
            self.window.undo_stack.push(_RenameClip(self, name, self._unique_name(new)))

    def _take(self, name: str) -> tuple[int, LoadedClip]:
        row = self.names().index(name)
        was_current = row == self.list.currentRow()
        clip = self._clips.pop(row)
        self.list.blockSignals(True)
        self.list.takeItem(row)
        if was_current:
            self.list.setCurrentRow(-1)
        self.list.blockSignals(False)
        if was_current:
            self.clipRemoved.emit(clip)
            if self._clips:
                self.list.setCurrentRow(min(row, len(self._clips) - 1))
        return row, clip

    def _insert(self, row: int, clip: LoadedClip) -> None:
        self._clips.insert(row, clip)
        self.list.insertItem(row, QListWidgetItem())
        self._describe(row)
        self.list.setCurrentRow(row)

    def _rename(self, name: str, new: str) -> None:
        row = self.names().index(name)
        self._clips[row].name = new
        self._describe(row)
        if row == self.list.currentRow():
            self.clipSelected.emit(self._clips[row])

    def _delete_current(self) -> None:
        if self.current() is not None:
            self.delete_clip(self.current().name)

    def _rename_current(self) -> None:
        clip = self.current()
        if clip is None:
            return
        new, ok = QInputDialog.getText(self, "Rename clip", "Name:", text=clip.name)
        if ok:
            self.rename_clip(clip.name, new)

    def _context_menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        self.list.setCurrentItem(item)
        menu = QMenu(self)
        menu.addAction("Add to sequence", self.window.sequence_editor.add_current_clip)
        menu.addAction("Export BVH...", self.window.export_dialog)
        menu.addSeparator()
        menu.addActions(self.list.actions())
        menu.popup(self.list.viewport().mapToGlobal(pos))

    def _unique_name(self, name: str, but: LoadedClip | None = None) -> str:
        """`name`, or `name (2)`, `name (3)` ... when another clip (than `but`) has it."""
        taken = {c.name for c in self._clips if c is not but}
        candidate, n = name, 2
        while candidate in taken:
            candidate, n = f"{name} ({n})", n + 1
        return candidate

    def _row_changed(self, row: int) -> None:
        if 0 <= row < len(self._clips):
            self.clipSelected.emit(self._clips[row])
