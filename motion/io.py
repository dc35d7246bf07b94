"""Motion file I/O by file type and CLIP arguments (embedded clip name or path, optional `:FRAME`)."""
from __future__ import annotations

import re
from pathlib import Path

from motion.errors import MotionFileError
from motion.motion import Motion

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
