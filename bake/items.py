"""What a bake makes: one `BakeItem` per transition, from the cross product of clips, styles, seeds and
lengths, or from the rows of a CSV file; and the output file name of each (unique per item, so a re-run
finds the outputs of an earlier one)."""
from __future__ import annotations

import csv
import itertools
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from motion.errors import MotionFileError
from motion.io import MOTION_SUFFIXES, parse_clip_spec

CSV_COLUMNS = ("source", "target", "style", "seed", "length")  # style, seed and length may be left out
DEFAULT_SEEDS, DEFAULT_LENGTHS = (0,), (30,)


@dataclass(frozen=True)
class BakeItem:
    """source / target: CLIP[:FRAME] specs (embedded clip name or motion file; default frames: the source's
    last, the target's first); style: a clip spec or a saved style code (.npy/.json), "" for the source
    clip; seed: 0 for the transition the evaluation scores, others for variations of it; length: generated
    frames at 30 fps."""

    source: str
    target: str
    style: str = ""
    seed: int = 0
    length: int = 30

    def out_name(self) -> str:
        """`SOURCE__TARGET__STYLE__sSEED__LLENGTH.bvh`, each clip by its name (the file stem, `@FRAME` when
        a frame is given); the style "source" when it is the source clip."""
        style = _label(self.style) if self.style else "source"
        return f"{_label(self.source)}__{_label(self.target)}__{style}__s{self.seed}__L{self.length}.bvh"

    def to_json(self) -> dict:
        return asdict(self)


def _label(spec: str) -> str:
    clip, frame = parse_clip_spec(spec)
    name = Path(clip).stem if Path(clip).suffix.lower() in MOTION_SUFFIXES + (".npy", ".json") else clip
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "clip"
    return name if frame is None else f"{name}@{frame}"


def expand_clips(specs: list[str]) -> list[str]:
    """Clip specs with each folder replaced by its motion files (sorted by name)."""
    out = []
    for spec in specs:
        folder = Path(spec)
        if folder.is_dir():
            files = sorted(p for p in folder.iterdir() if p.suffix.lower() in MOTION_SUFFIXES and p.is_file())
            if not files:
                raise MotionFileError(folder, f"no motion files ({' or '.join(MOTION_SUFFIXES)}) in this folder")
            out += [str(p) for p in files]
        else:
            out.append(spec)
    return out


def cross_items(clips: list[str], styles: list[str] | None = None, seeds=DEFAULT_SEEDS,
                lengths=DEFAULT_LENGTHS) -> list[BakeItem]:
    """Every ordered pair of distinct clips x styles (default: the source clip) x seeds x lengths."""
    clips = expand_clips(clips)
    if len(clips) < 2:
        raise ValueError(f"a bake needs at least two clips to pair, got {len(clips)}")
    items = [BakeItem(s, t, style, int(seed), int(length))
             for (s, t), style, seed, length in itertools.product(itertools.permutations(clips, 2),
                                                                  styles or [""], seeds, lengths)]
    return _unique(items)


def read_items_csv(path) -> list[BakeItem]:
    """Items from a CSV file with a header naming some of `CSV_COLUMNS` (source and target required)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise MotionFileError(path, f"cannot read: {getattr(e, 'strerror', None) or e}") from None
    rows = csv.DictReader(text.splitlines())
    header = rows.fieldnames or []
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if unknown or not {"source", "target"} <= set(header):
        raise MotionFileError(path, f"the header must name source and target (and optionally style, seed, length), "
                                    f"got {header}", 1)
    items = []
    for line, row in enumerate(rows, start=2):
        try:
            items.append(BakeItem(row["source"].strip(), row["target"].strip(), (row.get("style") or "").strip(),
                                  int(row.get("seed") or DEFAULT_SEEDS[0]), int(row.get("length") or DEFAULT_LENGTHS[0])))
        except (ValueError, AttributeError):
            raise MotionFileError(path, f"seed and length must be whole numbers, got {dict(row)}", line) from None
        if not items[-1].source or not items[-1].target:
            raise MotionFileError(path, "source and target must not be empty", line)
    if not items:
        raise MotionFileError(path, "no items (only a header)")
    return _unique(items)


def check_specs(items: list[BakeItem], model=None) -> None:
    """Every clip (with its frame) and style the items name exists and reads (MotionFileError if not); a style
    may be a named style of `model`'s library (`inference.rsmt.models.RSMTModel`, the one the bake runs)."""
    from inference.rsmt.style_library import resolve_style
    from motion.io import resolve_clip_frame

    for spec, default in {(i.source, -1) for i in items} | {(i.target, 0) for i in items}:
        resolve_clip_frame(spec, default)
    for spec in {i.style for i in items if i.style}:
        style = resolve_style(spec, model)
        if isinstance(style, Path) and not style.is_file():
            raise MotionFileError(style, "style code file not found")


def _unique(items: list[BakeItem]) -> list[BakeItem]:
    """Items in order, duplicates dropped; two different items with one output name are an error (two
    clip files with the same stem in different folders)."""
    seen: dict[str, BakeItem] = {}
    for item in items:
        other = seen.setdefault(item.out_name(), item)
        if other != item:
            raise ValueError(f"{other} and {item} would both be written to {item.out_name()}: rename one of the clips")
    return list(seen.values())
