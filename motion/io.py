"""Motion file I/O by file type, CLIP arguments (embedded clip name or path, optional `:FRAME`), and
atomic writes shared by every writer of user-visible files.

The readers and writers are imported where they are used: they import `atomic_write` from here."""
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

MOTION_SUFFIXES = (".bvh", ".txt")  # BVH; DeepMimic motion (JSON text, as pybullet_data ships it)
_FRAME_SUFFIX = re.compile(r"(.+):(-?\d+)")


def load_motion(path) -> Motion:
    """Read a .bvh or DeepMimic .txt file; MotionFileError for anything else."""
    if Path(path).is_dir():
        raise MotionFileError(path, "is a directory, not a motion file")
    if motion_file_type(path) == ".bvh":
        from motion.bvh import read_bvh

        return read_bvh(path)
    from motion.deepmimic import read_deepmimic

    return read_deepmimic(path)


def save_motion(motion: Motion, path) -> list[str]:
    """Write by extension (atomically); returns warnings about what the format could not hold."""
    if motion_file_type(path) == ".bvh":
        from motion.bvh import write_bvh

        write_bvh(motion, path)
        return []
    from motion.deepmimic import write_deepmimic

    return write_deepmimic(motion, path)


def motion_file_type(path) -> str:
    """The lower-case extension (".bvh" or ".txt"); MotionFileError for any other."""
    suffix = Path(path).suffix.lower()
    if suffix not in MOTION_SUFFIXES:
        raise MotionFileError(path, f"unknown motion file type {suffix or '(no extension)'!r}: "
                                    f"expected {' or '.join(MOTION_SUFFIXES)}")
    return suffix


def resolve_clip(spec: str) -> Motion:
    """A CLIP argument without `:FRAME`: a file path or an embedded clip name (e.g. "humanoid3d_walk");
    an existing file wins over a clip of the same name."""
    if not Path(spec).exists():
        from motion.deepmimic import embedded_clips, load_embedded

        clips = embedded_clips()
        if spec in clips:
            return load_embedded(spec)
        if Path(spec).suffix.lower() not in MOTION_SUFFIXES:
            raise MotionFileError(spec, "no such file or embedded clip (embedded clips: " + ", ".join(clips) + ")")
    return load_motion(spec)


def parse_clip_spec(spec: str) -> tuple[str, int | None]:
    """Split "walk.bvh:12" into ("walk.bvh", 12); a spec naming an existing file is never split."""
    m = _FRAME_SUFFIX.fullmatch(spec)
    if m is None or Path(spec).exists():
        return spec, None
    return m.group(1), int(m.group(2))


def resolve_clip_frame(spec: str, default: int) -> tuple[Motion, int]:
    """`CLIP[:FRAME]` -> (motion, frame index in range); negative frames count from the end and
    `default` (e.g. -1 for the last frame) applies when no frame is given."""
    clip, frame = parse_clip_spec(spec)
    motion = resolve_clip(clip)
    frame = default if frame is None else frame
    if not -motion.num_frames <= frame < motion.num_frames:
        raise MotionFileError(clip, f"frame {frame} is out of range: the clip has {motion.num_frames} frames")
    return motion, frame % motion.num_frames


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
