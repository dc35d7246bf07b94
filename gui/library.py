"""Clip library panel: every clip the session has loaded (embedded DeepMimic clips and user files)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from gui.formatting import fps_text
from gui.loading import LoadedClip


class ClipLibrary(QWidget):
    """A list of `LoadedClip`s; selecting one emits `clipSelected(LoadedClip)`."""

    clipSelected = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._clips: list[LoadedClip] = []
        self.list = QListWidget(self)
        self.list.setAlternatingRowColors(True)
        self.list.currentRowChanged.connect(self._row_changed)
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

    def _unique_name(self, name: str) -> str:
        taken = set(self.names())
        candidate, n = name, 2
        while candidate in taken:
            candidate, n = f"{name} ({n})", n + 1
        return candidate

    def _row_changed(self, row: int) -> None:
        if 0 <= row < len(self._clips):
            self.clipSelected.emit(self._clips[row])
