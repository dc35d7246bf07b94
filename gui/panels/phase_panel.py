"""Phase view: the PAE phases of the selected clip (`inference.rsmt.phases.clip_phases`). One circle per phase
channel with a point at amplitude * (cos 2 pi phase, sin 2 pi phase) (amplitudes scaled so the clip's
largest fills the circle), and the amplitude and frequency curves over the clip; the points and the time
cursors follow the timeline.

Only a panel on screen computes and draws: a clip selected while the panel is hidden (a tab behind another,
a closed dock) marks it stale and it catches up when shown, so e.g. a DeepMimic run that selects its
reference clip costs the GUI thread nothing here. Plot items are made once per channel count and then only
get new data (creating pyqtgraph items costs milliseconds each)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gui.panels.rsmt_context import context_for

CIRCLE = np.stack([np.cos(np.linspace(0, 2 * np.pi, 65)), np.sin(np.linspace(0, 2 * np.pi, 65))], axis=1)


def _phases_job(generator, motion):
    from inference.rsmt.phases import clip_phases

    return clip_phases(generator, motion)


class PhasePanel(QWidget):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ctx = context_for(window)
        self.phases = None
        self.clip = None  # the clip the phases are of
        self.frame = 0
        self._scale = None  # (P,) the clip's largest amplitude per channel: the circles' radius
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.plots = pg.GraphicsLayoutWidget(self)
        self.circles = self.plots.addLayout(row=0, col=0)
        self.curves = self.plots.addLayout(row=1, col=0)
        self.amplitude_plot = self.curves.addPlot(row=0, col=0, title="amplitude")
        self.frequency_plot = self.curves.addPlot(row=0, col=1, title="frequency (Hz)")
        self.cursors = []
        for plot in (self.amplitude_plot, self.frequency_plot):
            plot.setLabel("bottom", "frame")
            line = pg.InfiniteLine(0, angle=90, pen=pg.mkPen("w", width=1))
            plot.addItem(line)
            self.cursors.append(line)
        self.points: list[pg.ScatterPlotItem] = []
        self.spokes: list[pg.PlotDataItem] = []
        self.lines: dict[str, list[pg.PlotDataItem]] = {"amplitude": [], "frequency": []}
        self._stale = False
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.plots, 1)
        self.ctx.modelChanged.connect(self.refresh)
        window.clipChanged.connect(lambda _clip: self.refresh())
        window.timeline.frameChanged.connect(self.set_frame)
        self.refresh()

    def paintEvent(self, event) -> None:
        """A dock behind another tab counts as visible but is never painted: painting is being on screen."""
        super().paintEvent(event)
        if self._stale:
            self._stale = False
            QTimer.singleShot(0, self.refresh)

    def refresh(self) -> None:
        if self.visibleRegion().isEmpty():  # hidden, or a tab behind another
            self._stale = True
            return
        self._stale = False
        clip = self.window.current
        if not self.ctx.ready:
            self.status.setText(self.ctx.status_text())
            return
        if clip is None:
            return
        self.status.setText(f"computing the phases of {clip.name} ...")
        self.ctx.submit(_phases_job, self.ctx.generator, clip.motion, key="phases",
                             description=f"phases of {clip.name}", on_result=lambda p, c=clip: self._computed(c, p),
                             on_error=self._failed)

    def _failed(self, message: str) -> None:
        self.phases, self.clip = None, None
        self.status.setText(f"no phases: {message}")

    def _computed(self, clip, phases) -> None:
        if clip is not self.window.current:
            return  # the selection moved on while this ran
        self.clip, self.phases = clip, phases
        self._build_items(phases.channels)
        frames = np.arange(len(phases.phase))
        for name, values in (("amplitude", phases.amplitude), ("frequency", phases.frequency)):
            for ch, line in enumerate(self.lines[name]):
                line.setData(frames, values[:, ch])
        self._scale = np.maximum(phases.amplitude.max(axis=0), 1e-12)
        self.status.setText(f"{clip.name}: {phases.channels} PAE phase channels over {len(frames)} frames")
        self.set_frame(self.window.timeline.frame)

    def _build_items(self, channels: int) -> None:
        """One circle plot (circle, spoke, point) and one amplitude and frequency line per channel."""
        if len(self.points) == channels:
            return
        self.circles.clear()
        self.points, self.spokes = [], []
        for name, plot in (("amplitude", self.amplitude_plot), ("frequency", self.frequency_plot)):
            for line in self.lines[name]:
                plot.removeItem(line)
            self.lines[name] = [plot.plot(pen=pg.mkPen(pg.intColor(ch, channels), width=1.5))
                                for ch in range(channels)]
        for ch in range(channels):
            plot = self.circles.addPlot(row=0, col=ch, title=f"channel {ch}")
            plot.setAspectLocked(True)
            plot.hideAxis("left")
            plot.hideAxis("bottom")
            plot.setRange(xRange=(-1.1, 1.1), yRange=(-1.1, 1.1), padding=0)
            plot.setMouseEnabled(False, False)
            plot.plot(CIRCLE[:, 0], CIRCLE[:, 1], pen=pg.mkPen((120, 120, 120), width=1))
            color = pg.intColor(ch, channels)
            self.spokes.append(plot.plot(pen=pg.mkPen(color, width=1.5)))
            points = pg.ScatterPlotItem(size=10, brush=pg.mkBrush(color), pen=None)
            plot.addItem(points)
            self.points.append(points)

    def point_positions(self) -> np.ndarray:
        """(P, 2) the points as drawn now (tests)."""
        return np.array([p.getData() for p in self.points])[:, :, 0]

    def set_frame(self, frame: int) -> None:
        if self.phases is None or self.window.current is not self.clip:
            return
        self.frame = int(np.clip(frame, 0, len(self.phases.phase) - 1))
        xy = self.phases.points(self.frame) / self._scale[:, None]
        for ch, (points, spoke) in enumerate(zip(self.points, self.spokes)):
            points.setData([xy[ch, 0]], [xy[ch, 1]])
            spoke.setData([0.0, xy[ch, 0]], [0.0, xy[ch, 1]])
        for line in self.cursors:
            line.setValue(self.frame)

    def demo(self):
        """Screenshot state: the phases of the selected clip, computed."""
        return lambda: (self.status.text().startswith("no phases")
                        or (self.phases is not None and self.clip is self.window.current))
