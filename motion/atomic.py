"""Safe writes: the one way every part of the project writes a user-visible or cached file (atomically, through
symlinks, never over a device) and the check every writer makes first (no NaN or infinity)."""
from __future__ import annotations

import contextlib
import errno
import glob
import os
import re
import tempfile
from pathlib import Path

import numpy as np

from motion.errors import MotionFileError
from motion.motion import Motion
from motion.processes import process_alive


def require_finite(path, what: str, *arrays) -> None:
    """The check every writer makes before it writes: NaN or infinity in what it was given means something
    upstream is broken (weights, a scale, an overflow), and a file full of `nan` is one our own readers
    refuse; MotionFileError naming `path` instead."""
    bad = sum(int(np.count_nonzero(~np.isfinite(np.asarray(a)))) for a in arrays)
    if bad:
        raise MotionFileError(path, f"not written: {bad} of the numbers of its {what} are NaN or infinite")


def require_finite_motion(path, motion: Motion) -> None:
    sk = motion.skeleton
    require_finite(path, "motion", motion.rotations, motion.translations, sk.offsets, *sk.end_sites.values())


_TEMP_RE = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+\.tmp")


@contextlib.contextmanager
def atomic_path(path):
    """A temporary path beside `path` for a writer that takes a file name (safetensors, torch, MAX, Qt);
    it replaces `path` only when the block finishes without an exception, so readers never see a
    half-written file. Keeps the mode of the file it replaces (0644 for a new one). The one way every
    part of the project writes a user-visible or cached file.

    A symlink is written through (its target is replaced, the link stays); a target that is not a regular
    file (a device, a FIFO) is refused. Temporary files of writers that were killed (their pid, part of the
    name, is gone) are removed first."""
    path = Path(os.path.realpath(path))
    if path.exists() and not path.is_file():
        raise OSError(errno.EINVAL, "not a regular file, refusing to replace it")
    _remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _remove_stale_temps(path: Path) -> None:
    """Delete `.NAME.PID.XXXX.tmp` files beside `path` whose writer process no longer exists."""
    try:
        siblings = list(path.parent.glob(f".{glob.escape(path.name)}.*.tmp"))
    except OSError:
        return
    for p in siblings:
        m = _TEMP_RE.fullmatch(p.name)
        if m is None or m["name"] != path.name or process_alive(int(m["pid"])):
            continue
        with contextlib.suppress(OSError):
            p.unlink()


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
