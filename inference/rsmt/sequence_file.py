"""The sequence project file: JSON holding a `inference.rsmt.sequence.Sequence`.

    {"format": "motion-studio-sequence", "version": 1,
     "clips": [{"clip": "humanoid3d_walk", "start": 0, "end": -1}, {"clip": "takes/run.bvh"}, ...],
     "junctions": [{"length": 30, "style": "jumpy", "seed": 0, "backend": "torch"}, ...],
     "styles": {"jumpy": "humanoid3d_jump", "mine": "styles/mine.json"}}

A clip or style is an embedded clip name or a path; relative paths are relative to the project file's
folder, so a project moves with its clips. Keys left out take the defaults of `TrackClip` / `Junction`.
Every mistake is a MotionFileError naming the file (and the line, for JSON syntax) and the entry, e.g.
`p.json: junctions[1].length: must be 10..60 frames, got 80`. Saving is atomic (`motion.atomic.atomic_write`).
"""
from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path

from inference.rsmt.sequence import Junction, Sequence, TrackClip
from motion.errors import MotionFileError
from motion.motion import Motion

SEQUENCE_FORMAT = "motion-studio-sequence"
VERSION = 1
STYLE_CODE_SUFFIXES = (".npy", ".json")


def save_sequence(sequence: Sequence, path: str | Path) -> None:
    from motion.atomic import atomic_write

    data = {"format": SEQUENCE_FORMAT, "version": VERSION,
            "clips": [asdict(c) for c in sequence.clips],
            "junctions": [asdict(j) for j in sequence.junctions],
            "styles": dict(sequence.styles)}
    with atomic_write(path) as f:
        json.dump(data, f, indent=1)
        f.write("\n")


def load_sequence(path: str | Path) -> Sequence:
    """The sequence in a project file, checked (MotionFileError naming the file and the entry)."""
    path = Path(path)
    if not path.is_file():
        raise MotionFileError(path, "is a directory, not a sequence file" if path.is_dir() else "no such file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise MotionFileError(path, "not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise MotionFileError(path, f"not valid JSON: {e.msg} (column {e.colno})", e.lineno) from None
    except OSError as e:
        raise MotionFileError(path, f"cannot read: {e.strerror or e}") from None
    if not isinstance(data, dict) or data.get("format") != SEQUENCE_FORMAT:
        raise MotionFileError(path, f'not a sequence file (no "format": "{SEQUENCE_FORMAT}")')
    if data.get("version") != VERSION:
        raise MotionFileError(path, f"sequence file version {data.get('version')!r}, this program reads {VERSION}")
    _only_keys(path, "", data, {"format", "version", "clips", "junctions", "styles"})
    clips = [_entry(path, f"clips[{i}]", c, TrackClip) for i, c in enumerate(_list(path, "clips", data))]
    junctions = [_entry(path, f"junctions[{i}]", j, Junction) for i, j in enumerate(_list(path, "junctions", data))]
    styles = data.get("styles", {})
    if not isinstance(styles, dict) or not all(isinstance(v, str) and v for v in styles.values()):
        raise MotionFileError(path, "styles: must map names to clip names or paths")
    sequence = Sequence(clips, junctions, dict(styles))
    problems = sequence.problems()
    if problems:
        raise MotionFileError(path, problems[0])
    return sequence


def resolve(sequence: Sequence, folder: str | Path) -> tuple[list[Motion], dict[str, Motion | Path]]:
    """The sequence's clips (one Motion per track clip) and styles (a Motion, or the Path of a saved style
    code), relative paths taken from `folder`. MotionFileError for a missing or broken file."""
    from motion.io import resolve_clip

    folder = Path(folder)

    def local(spec: str) -> str:
        candidate = folder / spec  # an absolute spec stays as it is
        return str(candidate) if candidate.exists() or Path(spec).suffix else spec  # else an embedded clip name

    clips = [resolve_clip(local(c.clip)) for c in sequence.clips]
    styles: dict[str, Motion | Path] = {}
    for name, spec in sequence.styles.items():
        if Path(spec).suffix.lower() in STYLE_CODE_SUFFIXES:
            styles[name] = Path(local(spec))
        else:
            styles[name] = resolve_clip(local(spec))
    return clips, styles


def _list(path: Path, key: str, data: dict) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise MotionFileError(path, f"{key}: must be a list")
    return value


def _only_keys(path: Path, where: str, data: dict, known) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise MotionFileError(path, f"{where}{': ' if where else ''}unknown key {unknown[0]!r} "
                                    f"(known: {', '.join(sorted(known))})")


def _entry(path: Path, where: str, data, cls):
    """A TrackClip / Junction from its JSON object, every value of the type of the field's default."""
    if not isinstance(data, dict):
        raise MotionFileError(path, f"{where}: must be an object")
    spec = {f.name: f for f in fields(cls)}
    _only_keys(path, where, data, spec)
    for key, value in data.items():
        default = spec[key].default
        kind = str if key in ("clip", "backend", "style") else type(default)
        ok = isinstance(value, kind) and not isinstance(value, bool) and (kind is not str or value)
        if not ok and not (key == "style" and value is None):
            raise MotionFileError(path, f"{where}.{key}: expected {'a name' if kind is str else 'an integer'}, "
                                        f"got {json.dumps(value)}")
    if "clip" in spec and "clip" not in data:
        raise MotionFileError(path, f"{where}: no \"clip\" (an embedded clip name or a file path)")
    return cls(**data)

