"""Playback clock (no Qt): which frame to show, derived from elapsed wall time.

The frame shown is `anchor_frame + (now - anchor_time) * fps * speed`, so a slow repaint drops frames
instead of slowing the motion down. Every change (play, pause, seek, speed) re-anchors the clock at the
current frame.
"""
from __future__ import annotations

import math
import time

MIN_SPEED, MAX_SPEED = 0.1, 4.0


class PlaybackClock:
    def __init__(self, num_frames: int = 0, fps: float = 30.0, clock=time.perf_counter):
        self._clock = clock
        self.num_frames = 0
        self.fps = 30.0
        self.speed = 1.0
        self.loop = True
        self.playing = False
        self._anchor_frame = 0.0
        self._anchor_time = 0.0
        self.set_clip(num_frames, fps)

    def set_clip(self, num_frames: int, fps: float) -> None:
        self.num_frames = max(0, int(num_frames))
        self.fps = float(fps) if fps and fps > 0 else 30.0
        self.playing = False
        self._anchor_frame = 0.0

    @property
    def last_frame(self) -> int:
        return max(0, self.num_frames - 1)

    @property
    def frame(self) -> int:
        """Frame to show now (advances the clock when playing)."""
        return self._frame_at(self._clock())

    def time_of(self, frame: int) -> float:
        return frame / self.fps

    def play(self) -> None:
        if self.num_frames < 2:
            return
        if not self.loop and self.frame >= self.last_frame:
            self._anchor_frame = 0.0  # replay from the start, as media players do
        self._reanchor()
        self.playing = True

    def pause(self) -> None:
        self._reanchor()
        self.playing = False

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def seek(self, frame: int) -> None:
        self._anchor_frame = float(min(max(int(frame), 0), self.last_frame))
        self._anchor_time = self._clock()

    def step(self, delta: int) -> None:
        """Pause and move by `delta` frames (wrapping round when looping)."""
        self.pause()
        target = int(self._anchor_frame) + delta
        if self.loop and self.num_frames:
            target %= self.num_frames
        self.seek(target)

    def set_speed(self, speed: float) -> None:
        self._reanchor()
        self.speed = min(max(float(speed), MIN_SPEED), MAX_SPEED)

    def set_loop(self, loop: bool) -> None:
        self._reanchor()
        self.loop = bool(loop)

    # -- internals -----------------------------------------------------------------------------------------
    def _reanchor(self) -> None:
        now = self._clock()
        self._anchor_frame = float(self._position_at(now))
        self._anchor_time = now

    def _position_at(self, now: float) -> float:
        if not self.playing or self.num_frames == 0:
            return self._anchor_frame
        pos = self._anchor_frame + (now - self._anchor_time) * self.fps * self.speed
        if self.loop:
            return math.fmod(pos, self.num_frames)
        if pos >= self.last_frame:
            self.playing = False
            self._anchor_frame, self._anchor_time = float(self.last_frame), now
            return float(self.last_frame)
        return pos

    def _frame_at(self, now: float) -> int:
        return min(int(self._position_at(now)), self.last_frame)
