"""Timeline bar: play/pause, scrub slider, frame and time readout, loop toggle, speed 0.1x-4x, and under the
slider the clip's frame ranges in colour (a transition's context, generated and target frames; a
sequence's clips and transitions), see `RangeStrip`.

It owns the `PlaybackClock` and a display timer; on each tick it asks the clock for the frame to show and
emits `frameChanged(int)` only when that frame changes. The keyboard shortcuts (Space, Left, Right, Home,
End) are QActions of the main window that call `toggle_play`, `step`, `seek`.
"""
from __future__ import annotations

import time

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QHBoxLayout, QLabel, QSlider, QStyle,
                               QStyleOptionSlider, QToolButton, QVBoxLayout, QWidget)

from gui.playback import MAX_SPEED, MIN_SPEED, PlaybackClock

DISPLAY_INTERVAL_MS = 8  # ask the clock often; frames are only pushed when the index changes
# While playing, the slider and readout repaint at most this often: every raster widget repaint makes Qt
# compose the whole window again with the GL view, which costs as much as a few GL frames under llvmpipe.
READOUT_INTERVAL_S = 0.05


RANGE_COLORS = {"context": QColor(90, 140, 230), "generated": QColor(250, 160, 40), "target": QColor(90, 200, 120)}


class RangeStrip(QWidget):
    """A thin bar under the scrub slider: each (kind, start, stop) range drawn in its kind's colour
    (RANGE_COLORS) where the slider puts those frames; the tooltip names them. A click on a range emits
    `rangeClicked(index)`."""

    rangeClicked = Signal(int)

    def __init__(self, slider: QSlider, parent=None):
        super().__init__(parent)
        self.slider = slider
        self.ranges: list[tuple[str, int, int]] = []
        self.setFixedHeight(7)

    def set_ranges(self, ranges) -> None:
        self.ranges = list(ranges)
        self.setToolTip("\n".join(f"{kind}: frames {start}-{stop - 1}" for kind, start, stop in self.ranges))
        self.update()

    def frame_x(self, frame: float) -> float:
        """x of `frame` under the slider's handle centre (the handle's travel is narrower than the slider)."""
        opt = QStyleOptionSlider()
        self.slider.initStyleOption(opt)
        handle = self.slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt,
                                                    QStyle.SubControl.SC_SliderHandle, self.slider)
        left, travel = handle.width() / 2, self.slider.width() - handle.width()
        last = max(self.slider.maximum(), 1)
        return self.slider.x() - self.x() + left + travel * frame / last

    def range_at(self, x: float) -> int | None:
        """Index of the range drawn at x, or None."""
        return next((i for i, (_, start, stop) in enumerate(self.ranges)
                     if self.frame_x(start - 0.5) <= x < self.frame_x(stop - 0.5)), None)

    def mousePressEvent(self, event) -> None:
        index = self.range_at(event.position().x())
        if index is not None:
            self.rangeClicked.emit(index)

    def paintEvent(self, event) -> None:
        if not self.ranges:
            return
        painter = QPainter(self)
        for kind, start, stop in self.ranges:
            x0, x1 = self.frame_x(start - 0.5), self.frame_x(stop - 0.5)
            painter.fillRect(QRectF(x0, 0, max(x1 - x0, 1.0), self.height()), RANGE_COLORS[kind])
        painter.end()


class TimelineWidget(QWidget):
    frameChanged = Signal(int)
    playingChanged = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.clock = PlaybackClock()
        self._shown = -1
        self._readout_time = 0.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(DISPLAY_INTERVAL_MS)
        self._timer.timeout.connect(self._tick)

        self.play_button = QToolButton(self)
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.clicked.connect(self.toggle_play)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setToolTip("Scrub (Left / Right step one frame)")
        self.slider.setMinimumWidth(100)  # a narrow window squeezes the docks, never the scrub bar away
        self.slider.valueChanged.connect(self._slider_moved)
        self.frame_label = QLabel(self)
        self.frame_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.time_label = QLabel(self)
        self.loop_box = QCheckBox("Loop", self)
        self.loop_box.setChecked(self.clock.loop)
        self.loop_box.toggled.connect(self.set_loop)
        self.speed_box = QDoubleSpinBox(self)
        self.speed_box.setRange(MIN_SPEED, MAX_SPEED)
        self.speed_box.setSingleStep(0.1)
        self.speed_box.setDecimals(1)
        self.speed_box.setSuffix(" x")
        self.speed_box.setValue(1.0)
        self.speed_box.setToolTip("Playback speed (0.1x to 4x)")
        self.speed_box.valueChanged.connect(self.clock.set_speed)
        # keyboard focus stays with the window so Space and the arrows always reach the playback actions
        for w in (self.play_button, self.slider, self.loop_box):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

        self.ranges = RangeStrip(self.slider, self)
        self.ranges.rangeClicked.connect(lambda i: self.seek(self.ranges.ranges[i][1]))
        track = QVBoxLayout()
        track.setSpacing(0)
        track.addWidget(self.slider)
        track.addWidget(self.ranges)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.play_button)
        layout.addLayout(track, 1)
        layout.addWidget(self.frame_label)
        layout.addWidget(self.time_label)
        layout.addWidget(self.loop_box)
        layout.addWidget(self.speed_box)
        self.set_clip(0, 30.0)

    # -- API -----------------------------------------------------------------------------------------------
    def set_clip(self, num_frames: int, fps: float, ranges=()) -> None:
        """A clip of `num_frames` at `fps`; `ranges`: (kind, start, stop) frame ranges to colour."""
        self.ranges.set_ranges(ranges)
        self._stop_timer()
        self.clock.set_clip(num_frames, fps)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, num_frames - 1))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.setEnabled(num_frames > 0)
        self._shown = -1
        self._show(0)
        self._update_play_button()

    @property
    def frame(self) -> int:
        return max(self._shown, 0)

    @property
    def playing(self) -> bool:
        return self.clock.playing

    def toggle_play(self) -> None:
        self.clock.toggle()
        if self.clock.playing:
            self._timer.start()
        else:
            self._stop_timer()
            self._show(self.clock.frame)
        self._update_play_button()
        self.playingChanged.emit(self.clock.playing)

    def play(self) -> None:
        if not self.clock.playing:
            self.toggle_play()

    def pause(self) -> None:
        if self.clock.playing:
            self.toggle_play()

    def step(self, delta: int) -> None:
        was_playing = self.clock.playing
        self.clock.step(delta)
        self._stop_timer()
        self._show(self.clock.frame)
        if was_playing:
            self._update_play_button()
            self.playingChanged.emit(False)

    def seek(self, frame: int) -> None:
        self.clock.seek(frame)
        self._show(self.clock.frame)

    def set_loop(self, loop: bool) -> None:
        self.clock.set_loop(loop)
        if self.loop_box.isChecked() != loop:
            self.loop_box.setChecked(loop)

    def set_speed(self, speed: float) -> None:
        self.speed_box.setValue(speed)  # -> clock.set_speed (clamped to the box's range)

    # -- internals -----------------------------------------------------------------------------------------
    def _tick(self) -> None:
        self._show(self.clock.frame)
        if not self.clock.playing:  # reached the end without looping
            self._stop_timer()
            self._update_play_button()
            self.playingChanged.emit(False)

    def _slider_moved(self, value: int) -> None:
        self.clock.seek(value)
        self._show(value)

    def _show(self, frame: int) -> None:
        if frame != self._shown:
            self._shown = frame
            self.frameChanged.emit(frame)
        now = time.perf_counter()
        if not self.clock.playing or now - self._readout_time >= READOUT_INTERVAL_S:
            self._readout_time = now
            self._update_readout()

    def _update_readout(self) -> None:
        frame = self.frame
        if self.slider.value() != frame:
            self.slider.blockSignals(True)
            self.slider.setValue(frame)
            self.slider.blockSignals(False)
        n, fps = self.clock.num_frames, self.clock.fps
        self.frame_label.setText(f"Frame {frame} / {max(n - 1, 0)}")
        self.time_label.setText(f"{frame / fps:6.2f} s / {max(n - 1, 0) / fps:.2f} s")

    def _stop_timer(self) -> None:
        self._timer.stop()

    def _update_play_button(self) -> None:
        icon = QStyle.StandardPixmap.SP_MediaPause if self.clock.playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
