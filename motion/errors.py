"""Errors for bad input files. str(error) is one line: `FILE[:LINE]: what is wrong`."""
from __future__ import annotations


class MotionFileError(ValueError):
    def __init__(self, path, problem: str, line: int | None = None):
        self.path, self.problem, self.line = str(path), problem, line
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {problem}")
