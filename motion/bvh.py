"""BVH motion capture files: a forgiving reader and a faithful writer.

The reader loads what is unusual but unambiguous, repairs what has one obvious meaning (each repair is
a warning `FILE:LINE: ...` in `Motion.warnings`) and raises `MotionFileError` with the line number for
everything else; docs/bvh_import.md lists the decision for each kind of irregular file. The HIERARCHY
is parsed token by token (it is small); the MOTION block is converted to numbers in one numpy call.

Euler angles are intrinsic, applied in the order the joint's CHANNELS list them. A joint with fewer
than three rotation channels rotates about the listed axes only (the missing angles are zero).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from motion.errors import MotionFileError
from motion.atomic import atomic_write, require_finite_motion
from motion.files import read_bytes
from motion.motion import FPS_RANGE, MAX_ABS_VALUE, Motion, out_of_range
from motion.rotations import euler_to_quat, quat_to_euler
from motion.skeleton import POSITION_CHANNELS, ROTATION_CHANNELS, Skeleton

_CHANNEL_NAMES = {c.lower(): c for c in POSITION_CHANNELS + ROTATION_CHANNELS}
_AXIS = {"X": 0, "Y": 1, "Z": 2}
_FRAMES_RE = re.compile(r"frames\s*:?\s*(.*)", re.IGNORECASE)
_FRAME_TIME_RE = re.compile(r"frame\s*time\s*:?\s*(.*)", re.IGNORECASE)
_COUNT_RE = re.compile(r"[0-9]+")  # ASCII digits only: str.isdigit() also accepts '³', which int() refuses
DEFAULT_FPS = 30.0  # used when Frame Time is missing or gives an fps outside FPS_RANGE (with a warning)


@dataclass
class _Joint:
    name: str
    parent: int
    line: int
    offset: np.ndarray | None = None
    channels: tuple[str, ...] = ()
    end_site: np.ndarray | None = None
    root: int = 0  # which ROOT (0 = the first) this joint belongs to


@dataclass
class _Parse:
    """Mutable parser state shared by the hierarchy and motion steps."""

    path: str
    lines: list[str]
    warnings: list[str] = field(default_factory=list)

    def error(self, problem: str, line: int | None) -> MotionFileError:
        return MotionFileError(self.path, problem, line)

    def warn(self, problem: str, line: int | None) -> None:
        where = self.path if line is None else f"{self.path}:{line}"
        self.warnings.append(f"{where}: {problem}")


# ----------------------------------------------------------------------------------------- reading


def read_bvh(path) -> Motion:
    """Read a BVH file into a Motion (names, parents, offsets, channel layout and End Sites kept)."""
    return parse_bvh(_read_text(path), path)


def parse_bvh(text: str, path) -> Motion:
    """BVH text (e.g. an upload) into a Motion; `path` names it in errors and warnings and in
    Motion.source, and its stem is the Motion's name."""
    if not text or text.isspace():
        raise MotionFileError(path, "empty file, not a BVH file")
    if "\0" in text:
        raise MotionFileError(path, "binary data, not a BVH text file")
    p = _Parse(str(path), _split_lines(text))
    motion_line = _find_motion_line(p.lines)
    joints, root_lines = _parse_hierarchy(p, motion_line)
    values, fps = _parse_motion(p, motion_line, sum(len(j.channels) for j in joints))
    if len(root_lines) > 1:
        values = _keep_first_root(p, joints, root_lines, values)
        joints = [j for j in joints if j.root == 0]
    skeleton = _build_skeleton(p, joints)
    rotations, translations = _channels_to_transforms(skeleton, values)
    return Motion(skeleton, rotations, translations, fps, name=Path(path).stem, source=str(path),
                  warnings=p.warnings)


def _read_text(path) -> str:
    data = read_bytes(path)
    if not data or data.isspace():
        raise MotionFileError(path, "empty file, not a BVH file")
    if b"\0" in data:
        raise MotionFileError(path, "binary data, not a BVH text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise MotionFileError(path, "not UTF-8 text, not a BVH file", line) from None


def _split_lines(text: str) -> list[str]:
    """Lines for LF, CRLF and CR files alike (so line numbers in messages match an editor's)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def _find_motion_line(lines: list[str]) -> int | None:
    """Index of the line holding the MOTION keyword, or None if the file has none."""
    for i, line in enumerate(lines):
        if line.strip().upper() == "MOTION":
            return i
    return None


def _tokens(lines: list[str], stop: int):
    """(token, 1-based line) for every whitespace-separated token before line index `stop`."""
    return [(tok, n + 1) for n, line in enumerate(lines[:stop]) for tok in line.split()]


def _parse_hierarchy(p: _Parse, motion_line: int | None) -> tuple[list[_Joint], list[int]]:
    """Joints in file order (parents first) and the line of each ROOT keyword."""
    toks = _tokens(p.lines, len(p.lines) if motion_line is None else motion_line)
    if not toks:
        raise p.error("no HIERARCHY before MOTION, not a BVH file", (motion_line or 0) + 1)
    first, line = toks[0]
    if first.upper() != "HIERARCHY":
        raise p.error(f"expected HIERARCHY, found {_show(first)}: not a BVH file", line)
    joints: list[_Joint] = []
    root_lines: list[int] = []
    stack: list[int] = []  # indices of the joints whose '{' is open
    i = 1
    while i < len(toks):
        tok, line = toks[i]
        key = tok.upper()
        i += 1
        if key in ("ROOT", "JOINT"):
            if (key == "ROOT") != (not stack):
                where = "inside a joint" if stack else "at the top level (expected ROOT)"
                raise p.error(f"unexpected {tok} {where}", line)
            name, i = _joint_name(toks, i, line)
            i = _expect_brace(p, toks, i, line, f"{tok} {name}")
            if key == "ROOT":
                root_lines.append(line)
            joints.append(_Joint(name, stack[-1] if stack else -1, line, root=len(root_lines) - 1))
            stack.append(len(joints) - 1)
        elif not stack:
            raise p.error(f"expected ROOT, found {_show(tok)}", line)
        elif key == "OFFSET":
            joint = joints[stack[-1]]
            if joint.offset is not None:
                raise p.error(f"second OFFSET in joint {joint.name!r}", line)
            joint.offset, i = _numbers(p, toks, i, 3, "OFFSET")
        elif key == "CHANNELS":
            joints[stack[-1]].channels, i = _channels(p, toks, i, line)
        elif key in ("END", "ENDSITE"):
            if key == "END" and i < len(toks) and toks[i][1] == line and toks[i][0].upper() == "SITE":
                i += 1
            i = _end_site(p, toks, i, line, joints[stack[-1]])
        elif tok == "}":
            stack.pop()
        else:
            raise p.error(f"unexpected {_show(tok)} in joint {joints[stack[-1]].name!r}", line)
    if stack:
        where = "MOTION" if motion_line is not None else "end of file"
        j = joints[stack[-1]]
        raise p.error(f"joint {j.name!r} (line {j.line}) is not closed with '}}' before {where}",
                      (motion_line + 1) if motion_line is not None else len(p.lines))
    if not joints:
        raise p.error("HIERARCHY has no ROOT joint", line)
    return joints, root_lines


def _show(tok: str) -> str:
    return repr(tok if len(tok) <= 24 else tok[:24] + "...")


def _joint_name(toks, i: int, line: int) -> tuple[str, int]:
    """The rest of the keyword's line is the name (spaces allowed); a trailing '{' is not part of it, nor are
    more braces before it ("JOINT Hips {{" names "Hips", as written back it would otherwise read as "Hips"
    and a stray '{')."""
    parts = []
    while i < len(toks) and toks[i][1] == line and toks[i][0] != "{":
        parts.append(toks[i][0])
        i += 1
    name = " ".join(parts)
    if name.endswith("{"):  # "JOINT Hips{"
        while name.endswith("{"):
            name = name[:-1].rstrip()
        i -= 1
        toks[i] = ("{", line)
    return name, i


def _expect_brace(p: _Parse, toks, i: int, line: int, what: str) -> int:
    if i >= len(toks):
        raise p.error(f"{what}: file ends before its '{{'", line)
    if toks[i][0] != "{":
        raise p.error(f"{what}: expected '{{', found {_show(toks[i][0])}", toks[i][1])
    return i + 1


def _numbers(p: _Parse, toks, i: int, n: int, what: str) -> tuple[np.ndarray, int]:
    line = toks[i - 1][1]
    values = []
    for tok, tline in toks[i:i + n]:
        try:
            values.append(float(tok))
        except ValueError:
            raise p.error(f"{what} needs {n} numbers, found {_show(tok)}", tline) from None
    if len(values) < n or out_of_range(np.array(values)).any():
        raise p.error(f"{what} needs {n} finite numbers within +-{MAX_ABS_VALUE:g}", line)
    return np.array(values, dtype=np.float32), i + n


def _channels(p: _Parse, toks, i: int, line: int) -> tuple[tuple[str, ...], int]:
    if i >= len(toks) or not _COUNT_RE.fullmatch(toks[i][0]):
        raise p.error("CHANNELS must be followed by a channel count", line)
    n = int(toks[i][0])
    names = []
    for tok, _ in toks[i + 1:i + 1 + n]:
        name = _CHANNEL_NAMES.get(tok.lower())
        if name is None:
            found = f"{len(names)} channel names then {_show(tok)}"
            raise p.error(f"CHANNELS {n} lists {found} (known: {', '.join(_CHANNEL_NAMES.values())})",
                          line)
        if name in names:
            raise p.error(f"channel {name} listed twice", line)
        names.append(name)
    i += 1 + n
    if len(names) < n:
        raise p.error(f"CHANNELS {n} lists only {len(names)} channel names", line)
    if i < len(toks) and toks[i][1] == line and toks[i][0].lower() in _CHANNEL_NAMES:
        raise p.error(f"CHANNELS {n} lists more than {n} channel names", line)
    return tuple(names), i


def _end_site(p: _Parse, toks, i: int, line: int, joint: _Joint) -> int:
    """`End Site { OFFSET x y z }`; the offset is kept on its joint for writing."""
    i = _expect_brace(p, toks, i, line, "End Site")
    offset = None
    while i < len(toks) and toks[i][0] != "}":
        tok, tline = toks[i]
        if tok.upper() != "OFFSET" or offset is not None:
            raise p.error(f"End Site holds only an OFFSET, found {_show(tok)}", tline)
        offset, i = _numbers(p, toks, i + 1, 3, "OFFSET")
    if i >= len(toks):
        raise p.error("End Site is not closed with '}'", line)
    if offset is None:
        p.warn(f"End Site of joint {joint.name!r} has no OFFSET; using 0 0 0", line)
        offset = np.zeros(3, np.float32)
    if joint.end_site is not None:
        p.warn(f"joint {joint.name!r} has a second End Site; kept the first", line)
    else:
        joint.end_site = offset
    return i + 1


def _parse_motion(p: _Parse, motion_line: int | None, num_channels: int) -> tuple[np.ndarray, float]:
    """(frames, channels) float64 values and fps from the MOTION block."""
    if motion_line is None:
        p.warn(f"no MOTION section; loaded the skeleton with 0 frames at {DEFAULT_FPS:g} fps", None)
        return np.zeros((0, num_channels)), DEFAULT_FPS
    frames = frame_time = None
    frames_line = frame_time_line = motion_line + 1
    data_start = len(p.lines)
    for k in range(motion_line + 1, len(p.lines)):
        text = p.lines[k].strip()
        if not text:
            continue
        if (m := _FRAME_TIME_RE.fullmatch(text)) and frame_time is None:
            frame_time, frame_time_line = _header_number(p, m.group(1), float, "Frame Time", k + 1), k + 1
        elif (m := _FRAMES_RE.fullmatch(text)) and frames is None:
            frames, frames_line = _header_number(p, m.group(1), int, "Frames", k + 1), k + 1
        else:
            data_start = k
            break
    fps = _fps(p, frame_time, frame_time_line)
    values = _frame_values(p, data_start, num_channels, frames)
    if frames is None:
        p.warn(f"no 'Frames:' line; using the {len(values)} frames of data", motion_line + 1)
    elif frames != len(values):
        p.warn(f"'Frames: {frames}' but the file holds {len(values)} frames of data; using {len(values)}",
               frames_line)
    return values, fps


def _header_number(p: _Parse, text: str, kind, what: str, line: int):
    try:
        value = kind(text)
    except ValueError:
        raise p.error(f"{what}: {_show(text)} is not a number", line) from None
    if kind is int and value < 0:
        raise p.error(f"Frames: {value} is negative", line)
    return value


def _fps(p: _Parse, frame_time: float | None, line: int) -> float:
    if frame_time is None:
        p.warn(f"no 'Frame Time:' line; using {DEFAULT_FPS:g} fps", line)
        return DEFAULT_FPS
    fps = 1.0 / frame_time if np.isfinite(frame_time) and frame_time > 0 else 0.0
    if not FPS_RANGE[0] <= fps <= FPS_RANGE[1]:
        p.warn(f"Frame Time {frame_time:g} is not a duration between {1 / FPS_RANGE[1]:g} and "
               f"{1 / FPS_RANGE[0]:g} s; using {DEFAULT_FPS:g} fps", line)
        return DEFAULT_FPS
    return fps


def _frame_values(p: _Parse, start: int, num_channels: int, declared: int | None) -> np.ndarray:
    """Parse every number after the header in bulk; per-line checks run only when counts disagree."""
    flat = _parse_plain_lines(p.lines[start:])
    if flat is None:  # exponents, nan, stray characters: let numpy's general parser (or the error) decide
        try:
            flat = np.array("\n".join(p.lines[start:]).split(), dtype=np.float64)
        except ValueError:
            _raise_bad_number(p, start)
    if out_of_range(flat).any():
        _raise_bad_number(p, start)
    if num_channels == 0:
        if flat.size:
            raise p.error(f"{flat.size} numbers after the header but the HIERARCHY declares no channels",
                          start + 1)
        return np.zeros((declared or 0, 0))
    rows = sum(1 for line in p.lines[start:] if line.strip())
    if flat.size == rows * num_channels:
        return flat.reshape(rows, num_channels)
    return _ragged_frame_values(p, start, num_channels, flat)


_POW10 = 10.0 ** np.arange(23)  # exact in float64
_CHUNK_CHARS = 1 << 18  # text per fast-parser call: its temporaries (~30 bytes a character) stay in cache


def _parse_plain_lines(lines: list[str]) -> np.ndarray | None:
    """All numbers in `lines` via the fast parser, ~256 kB of text per call (faster than one pass over
    a large file, and memory stays bounded); None when any chunk holds something it declines."""
    step = max(1, _CHUNK_CHARS // (max((len(line) for line in lines[:8]), default=0) + 1))
    parts = []
    for k in range(0, len(lines), step):
        values = _parse_plain_decimals("\n".join(lines[k:k + step]))
        if values is None:
            return None
        parts.append(values)
    return np.concatenate(parts) if parts else np.zeros(0)


def _parse_plain_decimals(text: str) -> np.ndarray | None:
    """Whitespace-separated plain decimals (`-12.5`, `.5`, `+3`, `7.`) parsed with whole-array numpy
    operations, 2-3x faster than converting `text.split()` (frame data is almost all of a BVH file).

    Each token's digits form an integer mantissa (exact in float64 up to 15 digits) that is divided once
    by 10**decimals, so the result is the correctly rounded value, the same as float(token). Returns None
    when the text holds anything else (exponents, nan, stray characters, a lone sign or dot, 18+ digits),
    and the caller falls back to the general parser."""
    b = np.frombuffer(text.encode("ascii", "replace"), np.uint8)
    space = (b == 32) | (b == 10) | (b == 9)
    digit = (b >= 48) & (b <= 57)
    dot = b == 46
    sign = (b == 45) | (b == 43)
    if not (space | digit | dot | sign).all():
        return None
    start = ~space
    start[1:] &= space[:-1]
    if (sign & ~start).any():  # a sign inside a token ("1-2", or an exponent's)
        return None
    token = np.cumsum(start, dtype=np.int32) - 1  # token index of every character
    n = int(token[-1]) + 1 if b.size else 0
    if n == 0:
        return np.zeros(0)
    at = np.flatnonzero(digit).astype(np.int32)  # positions of the digits
    tok = token[at]
    boundary = tok[1:] != tok[:-1]
    if at.size == 0 or tok[0] != 0 or np.count_nonzero(boundary) != n - 1:
        return None  # a token without digits ("-", ".")
    last = np.flatnonzero(np.append(boundary, True)).astype(np.int32)  # each token's last digit in `at`
    if np.diff(last, prepend=-1).max() > 17:
        return None
    rank = last[tok] - np.arange(at.size, dtype=np.int32)  # digits after this one in its token
    mantissa = np.bincount(tok, weights=(b[at] - 48) * _POW10[rank], minlength=n)
    dots = np.flatnonzero(dot).astype(np.int32)
    dot_tok = token[dots]
    if np.any(dot_tok[1:] == dot_tok[:-1]):  # "1.2.3"
        return None
    decimals = np.zeros(n, np.int32)
    decimals[dot_tok] = np.maximum(at[last[dot_tok]] - dots, 0)
    values = mantissa / _POW10[decimals]
    values[b[np.flatnonzero(start)] == 45] *= -1
    return values


def _raise_bad_number(p: _Parse, start: int):
    for k in range(start, len(p.lines)):
        for tok in p.lines[k].split():
            try:
                ok = not out_of_range(np.array([float(tok)]))[0]
            except ValueError:
                ok = False
            if not ok:
                raise p.error(f"{_show(tok)} in the frame data is not a finite number within "
                              f"+-{MAX_ABS_VALUE:g}", k + 1)
    raise AssertionError("unreachable: numpy rejected a value that float() accepts")


def _ragged_frame_values(p: _Parse, start: int, num_channels: int, flat: np.ndarray) -> np.ndarray:
    """Frame lines whose value counts differ from the channel count: a short last line (a file cut off
    while being written) is dropped with a warning; any other mismatch is an error at its line."""
    counts = [(k, len(p.lines[k].split())) for k in range(start, len(p.lines)) if p.lines[k].strip()]
    for n, (k, count) in enumerate(counts):
        if count == num_channels:
            continue
        if n == len(counts) - 1 and count < num_channels:
            p.warn(f"last frame has {count} of {num_channels} values (file cut off?); dropped it", k + 1)
            return flat[:n * num_channels].reshape(n, num_channels)
        raise p.error(f"frame line has {count} values, expected {num_channels} "
                      f"(one per channel in HIERARCHY)", k + 1)
    raise AssertionError("unreachable: line counts agree with the channel count")


def _keep_first_root(p: _Parse, joints: list[_Joint], root_lines: list[int], values: np.ndarray):
    """Skeleton holds one tree: later ROOTs are dropped with a warning, and so are their columns."""
    keep = []
    for j in joints:
        keep.extend([j.root == 0] * len(j.channels))
    for r, line in enumerate(root_lines[1:], start=1):
        name = next(j.name for j in joints if j.root == r)
        count = sum(j.root == r for j in joints)
        p.warn(f"second ROOT {name!r} ({count} joints) ignored: only the first skeleton is loaded", line)
    return values[:, np.array(keep, dtype=bool)]


def _build_skeleton(p: _Parse, joints: list[_Joint]) -> Skeleton:
    names = _unique_names(p, joints)
    offsets = []
    for j in joints:
        if j.offset is None:
            p.warn(f"joint {j.name!r} has no OFFSET; using 0 0 0", j.line)
            j.offset = np.zeros(3, np.float32)
        offsets.append(j.offset)
    return Skeleton(names, [j.parent for j in joints], np.array(offsets), [j.channels for j in joints],
                    {k: j.end_site for k, j in enumerate(joints) if j.end_site is not None})


def _unique_names(p: _Parse, joints: list[_Joint]) -> list[str]:
    """Skeleton names are unique: a repeated name gets `_2`, `_3`, ... (first free), with a warning;
    an empty name becomes `joint<index>`. Linear in the joint count: each base name remembers the
    suffix its search stopped at (10,000 joints named `J` take milliseconds, not seconds)."""
    taken = {j.name for j in joints}
    next_suffix: dict[str, int] = {}
    first_line: dict[str, int] = {}
    names = []
    for k, j in enumerate(joints):
        name = j.name
        if not name:
            name = _free_name(f"joint{k}", taken, next_suffix)
            p.warn(f"joint without a name; named it {name!r}", j.line)
        elif name in first_line:
            base, name = name, _free_name(name, taken, next_suffix)
            p.warn(f"duplicate joint name {base!r} (first at line {first_line[base]}); renamed to {name!r}",
                   j.line)
        taken.add(name)
        first_line.setdefault(name, j.line)
        names.append(name)
    return names


def _free_name(base: str, taken: set[str], next_suffix: dict[str, int]) -> str:
    """`base`, or `base_K` with the smallest free K >= 2. Names are only ever added to `taken`, so the
    search for `base` resumes where it last stopped."""
    if base not in taken:
        return base
    k = next_suffix.get(base, 2)
    while f"{base}_{k}" in taken:
        k += 1
    next_suffix[base] = k + 1
    return f"{base}_{k}"


def _full_order(rotation_axes: str) -> str:
    """Three-axis Euler order whose first axes are the given ones (the rest get zero angles)."""
    return rotation_axes + "".join(a for a in "ZYX" if a not in rotation_axes)


def _rotation_axes(channels) -> str:
    return "".join(c[0] for c in channels if c in ROTATION_CHANNELS)


def _channels_to_transforms(skeleton: Skeleton, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frame values (F, C) -> local rotations (F, J, 4) and translations (F, J, 3)."""
    frames, J = len(values), skeleton.num_joints
    translations = np.empty((frames, J, 3), np.float32)
    translations[:] = skeleton.offsets
    angle_cols = np.full((J, 3), -1)  # column of each angle in `values`, -1 for an axis without a channel
    groups: dict[str, list[int]] = {}
    col = 0
    for j, channels in enumerate(skeleton.channels):
        axes = _rotation_axes(channels)
        for c in channels:
            if c in POSITION_CHANNELS:
                translations[:, j, _AXIS[c[0]]] = values[:, col]
            else:
                angle_cols[j, axes.index(c[0])] = col
            col += 1
        if axes:
            groups.setdefault(_full_order(axes), []).append(j)
    rotations = np.zeros((frames, J, 4), np.float32)
    rotations[..., 0] = 1.0
    for order, js in groups.items():
        cols = angle_cols[js]
        angles = values[:, np.maximum(cols, 0)].astype(np.float32)  # (F, len(js), 3)
        angles[:, cols < 0] = 0.0
        rotations[:, js] = euler_to_quat(angles, order)
    return rotations, translations


# ----------------------------------------------------------------------------------------- writing


def write_bvh(motion: Motion, path, precision: int = 6) -> None:
    """Write `motion` as BVH (`bvh_lines`), atomically; MotionFileError before anything is written when it
    holds NaN or infinity."""
    require_finite_motion(path, motion)
    with atomic_write(path, "w") as f:
        f.writelines(bvh_lines(motion, precision))


def bvh_text(motion: Motion, precision: int = 6) -> str:
    """`motion` as BVH text, exactly what `write_bvh` writes (e.g. for an HTTP response)."""
    require_finite_motion(motion.name or "motion", motion)
    return "".join(bvh_lines(motion, precision))


def bvh_lines(motion: Motion, precision: int = 6):
    """`motion` as BVH text, a few lines at a time. Names, channel orders, End Sites and fps are kept; numbers
    are fixed-point with `precision` decimals. A joint gains channels only where its own would lose
    data (motion that moves it along an axis it has no position channel for, or rotates it about an
    axis it has no rotation channel for). Joints are written depth-first, which is the skeleton's own
    order for any skeleton read from a BVH file."""
    skeleton = motion.skeleton
    tolerance = 0.5 * 10.0 ** -precision  # anything smaller is written as zero anyway
    orders, angles = _euler_angles(motion)
    layout = [_channel_layout(skeleton.channels[j], skeleton.offsets[j], motion.translations[:, j],
                              angles[j], orders[j], tolerance) for j in range(skeleton.num_joints)]
    joint_order = _depth_first(skeleton)
    columns = [motion.translations[:, j, _AXIS[c[0]]] if c in POSITION_CHANNELS
               else angles[j][:, orders[j].index(c[0])]
               for j in joint_order for c in layout[j]]
    values = np.stack(columns, axis=1).astype(np.float64) if columns else np.zeros((motion.num_frames, 0))
    yield _hierarchy_text(skeleton, joint_order, layout, precision)
    yield f"MOTION\nFrames: {motion.num_frames}\nFrame Time: {_frame_time(motion.fps)}\n"
    if values.shape[1]:
        row = " ".join([f"%.{precision}f"] * values.shape[1]) + "\n"
        yield from (row % tuple(r) for r in (np.round(values, precision) + 0.0).tolist())  # no "-0.0"
    else:
        yield "\n" * motion.num_frames


def _euler_angles(motion: Motion) -> tuple[list[str], list[np.ndarray]]:
    """Per joint: a three-axis Euler order that starts with the joint's own rotation channels, and its
    rotations as (F, 3) angles in degrees in that order (one quat_to_euler call per distinct order)."""
    orders = [_full_order(_rotation_axes(c)) for c in motion.skeleton.channels]
    angles: list[np.ndarray] = [np.empty(0)] * len(orders)
    for order in set(orders):
        joints = [j for j, o in enumerate(orders) if o == order]
        euler = quat_to_euler(motion.rotations[:, joints], order)
        for k, j in enumerate(joints):
            angles[j] = euler[:, k].astype(np.float64)
    return orders, angles


def _channel_layout(channels, offset, translations, angles, full_order: str, tolerance: float):
    """The joint's own channels, extended only where its motion needs more to be written exactly:
    all three position channels if it moves along an axis it has none for, all three rotation
    channels (in `full_order`) if it turns about an axis it has none for. New channels go last."""
    position = [c for c in channels if c in POSITION_CHANNELS]
    drift = np.abs(translations - offset).max(axis=0, initial=0.0)
    if any(drift[a] > tolerance for a in range(3) if POSITION_CHANNELS[a] not in position):
        position = list(POSITION_CHANNELS)
    axes = _rotation_axes(channels)
    if np.abs(angles[:, len(axes):]).max(initial=0.0) > tolerance:
        axes = full_order
    rotation = [f"{a}rotation" for a in axes]
    kept = [c for c in channels if c in position or c in rotation]
    return tuple(kept + [c for c in position + rotation if c not in kept])


def _frame_time(fps: float) -> str:
    text = f"{1.0 / fps:.12f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _depth_first(skeleton: Skeleton) -> list[int]:
    children: list[list[int]] = [[] for _ in range(skeleton.num_joints)]
    for j, parent in enumerate(skeleton.parents):
        if parent >= 0:
            children[parent].append(j)
    order, stack = [], [0]
    while stack:
        j = stack.pop()
        order.append(j)
        stack.extend(reversed(children[j]))
    return order


def _hierarchy_text(skeleton: Skeleton, joint_order: list[int], layout, precision: int) -> str:
    def vec(v) -> str:
        return " ".join(f"{x:.{precision}f}" for x in np.round(np.asarray(v, np.float64), precision) + 0.0)

    out = ["HIERARCHY"]
    open_joints: list[int] = []  # the joints whose '{' is open, outermost first

    def close_innermost() -> None:
        j = open_joints.pop()
        pad = "\t" * (len(open_joints) + 1)
        if j in skeleton.end_sites:
            out.extend([f"{pad}End Site", f"{pad}{{", f"{pad}\tOFFSET {vec(skeleton.end_sites[j])}", f"{pad}}}"])
        out.append("\t" * len(open_joints) + "}")

    for j in joint_order:
        while open_joints and open_joints[-1] != skeleton.parents[j]:
            close_innermost()
        pad = "\t" * len(open_joints)
        out.append(f"{pad}{'JOINT' if open_joints else 'ROOT'} {skeleton.names[j]}")
        out.append(f"{pad}{{")
        out.append(f"{pad}\tOFFSET {vec(skeleton.offsets[j])}")
        out.append(f"{pad}\tCHANNELS {len(layout[j])} {' '.join(layout[j])}".rstrip())
        open_joints.append(j)
    while open_joints:
        close_innermost()
    return "\n".join(out) + "\n"
