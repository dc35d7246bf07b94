"""A one-line text progress bar with rate and ETA (stderr by default; no Qt, no tqdm)."""
from __future__ import annotations

import sys
import time


def format_duration(seconds: float) -> str:
    """12.3 -> '12s', 83 -> '1m23s', 7384 -> '2h03m'."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


class ProgressBar:
    """`update(step, losses)` redraws `label  step/total [####....]  pct  loss ...  ETA` in place.

    The rate (and so the ETA) counts only the steps done since this bar started, so a resumed run
    does not claim the steps of the earlier run as its own speed. Redraws at most every `interval`
    seconds (default 0.25 s on a terminal); `close()` draws the final state and ends the line. On a
    non-terminal stream (a log file) each redraw is its own line, by default at most every 10 s."""

    def __init__(self, total: int, label: str = "", stream=None, start: int = 0, interval: float | None = None,
                 width: int = 24):
        self.total = max(int(total), 1)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.start_step = int(start)
        self.step = int(start)
        self.losses: dict[str, float] = {}
        self.width = width
        self._t0 = time.monotonic()
        self._last_draw = -float("inf")
        self._drawn_step: int | None = None
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval if interval is not None else (0.25 if self._tty else 10.0)

    def eta_seconds(self) -> float | None:
        done = self.step - self.start_step
        if done <= 0:
            return None
        return (time.monotonic() - self._t0) / done * (self.total - self.step)

    def line(self) -> str:
        frac = min(self.step / self.total, 1.0)
        filled = int(round(frac * self.width))
        bar = "#" * filled + "." * (self.width - filled)
        eta = self.eta_seconds()
        parts = ([self.label] if self.label else []) + [f"{self.step}/{self.total} [{bar}] {frac:.0%}"]
        parts += [f"{k} {v:.4g}" for k, v in self.losses.items()]
        parts.append("ETA --" if eta is None else f"ETA {format_duration(eta)}")
        return "  ".join(parts)

    def update(self, step: int, losses: dict[str, float] | None = None) -> None:
        self.step = int(step)
        if losses:
            self.losses = dict(losses)
        now = time.monotonic()
        if now - self._last_draw >= self.interval:
            self._draw()
            self._last_draw = now

    def _draw(self, end: str = "") -> None:
        self._drawn_step = self.step
        if self._tty:
            self.stream.write("\r\x1b[2K" + self.line() + end)
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._tty:
            self._draw("\n")
        elif self._drawn_step != self.step:
            self._draw()
