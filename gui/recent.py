"""File > Recent files, kept in QSettings (most recent first, at most MAX_RECENT, existing files only)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 10
KEY = "recent_files"


class RecentFiles:
    def __init__(self, settings: QSettings):
        self._settings = settings

    def paths(self) -> list[str]:
        value = self._settings.value(KEY, [])
        if isinstance(value, str):  # QSettings returns a lone string for a one-element list
            value = [value]
        return [p for p in (value or []) if isinstance(p, str) and Path(p).is_file()]

    def add(self, path: str | Path) -> None:
        path = str(Path(path).resolve())
        paths = [path] + [p for p in self.paths() if p != path]
        self._settings.setValue(KEY, paths[:MAX_RECENT])
        self._settings.sync()

    def clear(self) -> None:
        self._settings.remove(KEY)
