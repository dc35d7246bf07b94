"""How numbers read in the window: counts with their noun in the right number, frame rates as people
say them ("30 fps" for a DeepMimic clip's 30.0012, "29.97 fps" for NTSC), and the repairs of many clips
in one line."""
from __future__ import annotations

import re


def count_text(n: int, noun: str) -> str:
    """"1 frame", "2 frames", "0 joints"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def fps_text(fps: float) -> str:
    """The frame rate to two decimals without trailing zeros: 30.0012 -> "30 fps", 29.97 -> "29.97 fps"."""
    return f"{round(fps, 2):g} fps"


def repairs_summary(warnings: list[tuple[str, str]]) -> str:
    """One line for (clip name, reader warning) pairs: how many repairs in how many clips, and of what
    kinds (each warning without its file, counts and first-case details)."""
    kinds: list[str] = []
    for _, text in warnings:
        kind = re.sub(r"\s*\([^)]*\)", "", text.split(": ", 1)[-1])
        kind = re.sub(r"^\d+ ", "", kind)
        if kind not in kinds:
            kinds.append(kind)
    clips = len({name for name, _ in warnings})
    return (f"{count_text(len(warnings), 'repair')} in {count_text(clips, 'clip')} "
            f"({'; '.join(kinds)}); each clip's tooltip in the library lists its own")
