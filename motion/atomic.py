"""Atomic writes: the one way every part of the project writes a user-visible or cached file."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from motion.errors import MotionFileError


@contextlib.contextmanager
def atomic_path(path):
    """A temporary path beside `path` for a writer that takes a file name (safetensors, torch, MAX, Qt);
    it replaces `path` only when the block finishes without an exception, so readers never see a
    half-written file. Keeps the mode of the file it replaces (0644 for a new one). The one way every
    part of the project writes a user-visible or cached file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_write(path, mode: str = "w"):
    """`atomic_path` opened as a file ("w" text UTF-8 with LF, or "wb"). OS errors (missing folder, no
    permission) become MotionFileError naming `path`."""
    try:
        with atomic_path(path) as tmp:
            with open(tmp, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": "\n"})) as f:
                yield f
    except OSError as e:
        raise MotionFileError(path, f"cannot write: {e.strerror or e}") from None
