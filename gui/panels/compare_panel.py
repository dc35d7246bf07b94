"""Compare view: the transition panel's request through the torch reference and MAX (or MAX + Mojo).

Shows `parity.compare_transition.compare_transition`'s report: both network skeletons overlaid (torch
in the bone colour, the candidate as a ghost), the largest joint error per frame (cm) with a cursor that
follows the timeline, a per-joint error heatmap, and each backend's latency per generated frame; a toggle
switches between the free-running and the teacher-forced comparison. The reference transition itself is
added to the clip library (comparing the same request again replaces it), so the timeline plays it and the
cursor follows the playhead.

Export writes the report as JSON and CSV and the plots as PNG, each atomically.

A candidate whose MAX models are not compiled yet is not an error: the panel offers "Compile N missing
models" (the window's `gui.max_models.MaxModels`, the Models menu's compile path) and compares once they
are ready.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QSplitter,
                               QVBoxLayout, QWidget)

from gui.loading import clip_from_motion
from gui.panels.backend_colors import BACKEND_COLORS
from gui.panels.rsmt_context import context_for
from gui.panels.transition_panel import maps_used
from inference.backends.base import LABELS, MAX_BACKENDS
from parity.transition_report import error_matrix, write_transition_report
from viewer.skeleton_view import SkeletonView

CANDIDATES = tuple(reversed(MAX_BACKENDS))  # against torch
ERROR_PEN = pg.mkPen((90, 200, 255), width=2)
PNG_WIDTH = 2400  # exported plots: 8 inches at 300 dpi
PLOT_MIN_HEIGHT = 230  # px: titles, axes with their labels and a readable curve
OVERLAY_WIDTH = 200  # px: the overlaid skeletons beside the plots
TITLE_SIZE = "9pt"  # plot titles: a title is as wide as its text, and the three plots share one row
MODES = ("free_running", "teacher_forced")


_COMPARED: set[str] = set()  # backends that have run a compare in this process (the first one warms them up)


def run_compare(generator, request, candidate: str, job):
    """Job: (TransitionReport, the reference TransitionResult, its library clip, the backends whose first
    compare in this process this was) for `request` on torch and `candidate`. A backend's first run pays
    one-time costs (torch's lazy kernel set-up, MAX's model load and first calls): measured 17 ms per
    PyTorch step against 1.8 ms on the next run, so its latencies are flagged as warm-up."""
    from parity.compare_transition import compare_transition

    job.check_cancelled()
    first = {name for name in ("torch", candidate) if name not in _COMPARED}
    report = compare_transition(request, generator.model, candidate)
    _COMPARED.update((report.reference, report.candidate))
    job.check_cancelled()
    reference = generator.generate(replace(request, backend=report.reference, whole_rollout=False))
    return report, reference, clip_from_motion(reference.motion, f"{reference.motion.name} (compared)"), first


def missing_models(candidate: str) -> list[tuple[str, str | None]]:
    """Job: (kind, preset) of the MAX models a compare on `candidate` needs that are not compiled yet (the
    transition networks at the size the panels use)."""
    from gui.max_models import PRESET
    from inference.backends.base import get_backend
    from inference.networks.rsmt_config import TRANSITION_KINDS
    from parity.compare import not_compiled

    return not_compiled(get_backend(candidate), TRANSITION_KINDS, PRESET)


def write_report(report, base: str | Path, plots: QWidget) -> list[Path]:
    """`base`.json and `base`.csv (`parity.transition_report`) and `base`.png of the plots."""
    from motion.atomic import atomic_path

    paths = write_transition_report(report, base)
    from pyqtgraph.exporters import ImageExporter

    png = paths[0].with_suffix(".png")
    exporter = ImageExporter(plots.scene())
    exporter.parameters()["width"] = PNG_WIDTH  # rendered again at print resolution, not a screen grab
    image = exporter.export(toBytes=True)
    with atomic_path(png) as tmp:
        if not image.save(str(tmp), "PNG"):
            raise OSError(f"{png}: cannot write the image")
    return paths + [png]


def name_tick_levels(names: list[str]) -> list[list[tuple[int, str]]]:
    """Axis ticks for one name per index, as pyqtgraph tick levels: every 8th name first, then every 4th, 2nd
    and the rest. pyqtgraph draws a lower level's labels only where they fit, so a narrow plot shows a few
    readable joint names instead of all of them on top of each other (every index keeps its tick mark)."""
    strides = (8, 4, 2, 1)
    return [[(i, n) for i, n in enumerate(names) if i % s == 0 and (k == 0 or i % strides[k - 1])]
            for k, s in enumerate(strides)]


class ComparePanel(QWidget):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ctx = context_for(window)
        self.report = None
        self.reference = None  # the torch TransitionResult
        self.clip = None  # its library clip
        self.cursor = 0

        self.candidate = QComboBox(self)
        for name in CANDIDATES:
            label = LABELS[name]
            self.candidate.addItem(label, name)
        self.compare_button = QPushButton("Compare", self)
        self.compare_button.setToolTip("the Transition panel's request through torch and the candidate backend")
        self.compare_button.clicked.connect(lambda: self.compare())
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.teacher_forced = QCheckBox("Teacher-forced", self)
        self.teacher_forced.setToolTip("off: each backend runs its own rollout; on: both get the reference's inputs")
        self.teacher_forced.toggled.connect(self._redraw)
        self.compile_button = QPushButton("Compile missing models", self)
        self.compile_button.setVisible(False)
        self.compile_button.clicked.connect(self.compile_missing)
        self.missing: list = []  # (kind, preset) the chosen candidate lacks, found by the last Compare
        self._pending = None  # the request to compare once the missing models are compiled
        self._compiling = False  # our compile is running in window.max_models
        window.max_models.progress.connect(self._compile_progress)
        window.max_models.finished.connect(self._compile_finished)
        self.export_button = QPushButton("Export report...", self)
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self._export_dialog)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)

        # one row of plots, each the full height of the panel (stacked, they were ~100 px tall at the default
        # window size), never shorter than PLOT_MIN_HEIGHT: the dock keeps room for their axes
        self.plots = pg.GraphicsLayoutWidget(self)
        self.plots.setMinimumHeight(PLOT_MIN_HEIGHT)
        self.plots.ci.setContentsMargins(2, 4, 12, 2)  # the width goes to the plots (the colour scale's labels last)
        self.plots.ci.layout.setHorizontalSpacing(2)
        self.error_plot = self.plots.addPlot(row=0, col=0)
        self.error_plot.setTitle("largest joint error", size=TITLE_SIZE)
        self.error_plot.setLabel("left", "error (cm)")
        self.error_plot.setLabel("bottom", "generated frame")
        self.error_curve = self.error_plot.plot(pen=ERROR_PEN)
        self.latency_plot = self.plots.addPlot(row=0, col=1)
        self.latency_plot.setTitle("step latency", size=TITLE_SIZE)
        self.latency_plot.setLabel("left", "latency (µs)")
        self.latency_plot.setLabel("bottom", "generated frame")
        self.latency_curves = {}
        self.warmup: set[str] = set()  # backends whose curve is their first run: flagged as warm-up
        self.heat_plot = self.plots.addPlot(row=0, col=2)
        self.heat_plot.setTitle("error per joint", size=TITLE_SIZE)
        self.heatmap = pg.ImageItem(axisOrder="row-major")
        self.heatmap.setColorMap(pg.colormap.get("viridis"))
        self.heat_plot.addItem(self.heatmap)
        self.heat_scale = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), label="cm", interactive=False, width=15)
        self.heat_scale.setImageItem(self.heatmap, insert_in=self.heat_plot)
        self.heat_plot.setLabel("bottom", "joint")
        self.heat_plot.setLabel("left", "generated frame")
        self.cursors = [pg.InfiniteLine(0, angle=90, pen=pg.mkPen("w", width=1)) for _ in range(2)]
        self.error_plot.addItem(self.cursors[0])
        self.latency_plot.addItem(self.cursors[1])
        self.heat_cursor = pg.InfiniteLine(0.5, angle=0, pen=pg.mkPen("w", width=1))
        self.heat_plot.addItem(self.heat_cursor)
        for plot in (self.error_plot, self.latency_plot, self.heat_plot):  # empty until a report: plain axes
            plot.setRange(xRange=(0, 30), yRange=(0, 1), padding=0)

        self.view = SkeletonView(self)
        self.view.widget.setMinimumSize(OVERLAY_WIDTH, 200)
        splitter = QSplitter(self)
        splitter.addWidget(self.view.widget)
        splitter.addWidget(self.plots)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([OVERLAY_WIDTH, 4 * OVERLAY_WIDTH])  # the plots take the rest: they need the width

        bar = QHBoxLayout()
        for w in (QLabel("Candidate", self), self.candidate, self.compare_button, self.compile_button,
                  self.cancel_button, self.teacher_forced, self.export_button):
            bar.addWidget(w)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)

        self.ctx.modelChanged.connect(self._model_changed)
        window.timeline.frameChanged.connect(self._timeline_frame)
        self._model_changed()

    @property
    def mode(self) -> str:
        return MODES[self.teacher_forced.isChecked()]

    def _model_changed(self) -> None:
        self.compare_button.setEnabled(self.ctx.ready)
        if not self.ctx.ready or self.report is None:  # else the report's summary stays
            self.summary.setText(self.ctx.status_text())

    # -- running -------------------------------------------------------------------------------------------
    def compare(self, request=None) -> None:
        """Compare `request` (default: the Transition panel's)."""
        if not self.ctx.ready:
            self.window.show_error("Compare", self.ctx.status_text())
            return
        if request is None:
            from gui.panels.transition_panel import TransitionPanel

            panel = self.window.findChild(TransitionPanel)
            try:
                if panel is None:
                    raise ValueError("the Transition panel is not open")
                request = panel.request()
            except ValueError as e:
                self.window.show_error("Compare", str(e))
                return
        candidate = self.candidate.currentData()
        self.cancel_button.setEnabled(True)
        self.compile_button.setVisible(False)
        self.summary.setText(f"checking the {LABELS[candidate]} models ...")
        self.ctx.submit(missing_models, candidate, key="compare", description=f"check the {candidate} models",
                        on_result=lambda missing: self._checked(request, candidate, missing), on_error=self._failed)

    def _checked(self, request, candidate: str, missing: list) -> None:
        self.missing = missing
        if missing:
            self.cancel_button.setEnabled(False)
            n = len(missing)
            self.compile_button.setText(f"Compile {n} missing model{'s' if n != 1 else ''}")
            self.compile_button.setToolTip("Compile them (a separate process, about a minute each, then cached),\n"
                                           "then compare")
            self.compile_button.setVisible(True)
            self.compile_button.setEnabled(True)
            self._pending = request
            self.summary.setText(f"{LABELS[candidate]} models not compiled yet: {', '.join(k for k, _ in missing)}. "
                                 f"Press \"{self.compile_button.text()}\" (about a minute each), or pick another "
                                 f"candidate.")
            return
        self.summary.setText(f"running the transition on torch and {candidate} ...")
        self.ctx.submit(run_compare, self.ctx.generator, request, candidate, key="compare", with_job=True,
                        description=f"compare torch vs {candidate}", on_result=self._compared,
                        on_error=self._failed)

    def compile_missing(self) -> None:
        """Compile the candidate's missing models through the window's MaxModels, then compare."""
        if not self.missing:
            return
        self._compiling = True
        self.compile_button.setEnabled(False)
        self.compare_button.setEnabled(False)
        self.summary.setText(f"compiling {', '.join(k for k, _ in self.missing)} ...")
        self.window.max_models.compile(self.missing)

    def _compile_progress(self, fraction: float, text: str) -> None:
        if self._compiling:
            self.summary.setText(f"{text} (then the compare runs)")

    def _compile_finished(self, asked, still_missing) -> None:
        if not self._compiling or not set(self.missing) <= set(asked):
            return  # not the compile of our models (e.g. the one at start, ours queued behind it)
        self._compiling = False
        request, self._pending = self._pending, None
        self.compare_button.setEnabled(self.ctx.ready)
        self.compile_button.setVisible(False)
        if still_missing is None or set(still_missing) & set(self.missing):
            self._failed(f"compiling the {self.candidate.currentText()} models did not finish "
                         f"({self.window.max_models.state}); see the Log")
            return
        self.compare(request)

    def cancel(self) -> None:
        self.ctx.jobs.cancel("compare")
        self.cancel_button.setEnabled(False)
        self.summary.setText("cancelled")

    def _failed(self, message: str) -> None:
        self.cancel_button.setEnabled(False)
        self.summary.setText(f"failed: {message}")
        self.window.show_error("Compare", message)

    def _compared(self, outcome) -> None:
        """The reference clip goes to the library (the main view draws it) now; the plots and the overlay
        view in the next event-loop turn, so the GUI thread never renders all of it in one go (software
        GL draws each view in tens of milliseconds)."""
        self.cancel_button.setEnabled(False)
        self.report, self.reference, self.clip, self.warmup = outcome
        self.window.add_clip(self.clip, replace=True)  # comparing the same request again: one clip, not two
        QTimer.singleShot(0, self._show_report)

    def _show_report(self) -> None:
        rep = self.report
        parents = self.ctx.generator.model.roles.parents
        pos = rep.free_running["positions"]
        self.view.set_clip(np.asarray(pos[rep.reference], np.float32), np.asarray(parents), list(rep.joint_names))
        self.view.set_ghost(np.asarray(pos[rep.candidate], np.float32))
        for name in set(self.latency_curves) - {rep.reference, rep.candidate}:  # an earlier compare's candidate
            self.latency_plot.removeItem(self.latency_curves.pop(name))
        for name in (rep.reference, rep.candidate):
            if name not in self.latency_curves:
                self.latency_curves[name] = self.latency_plot.plot()
            style = Qt.PenStyle.DashLine if name in self.warmup else Qt.PenStyle.SolidLine
            self.latency_curves[name].setPen(pg.mkPen(BACKEND_COLORS.get(name, (160, 220, 120)), width=2, style=style))
            self.latency_curves[name].setData(np.arange(rep.length), np.asarray(rep.latency_us[name]))
        self.latency_plot.setTitle(self.latency_title(), size=TITLE_SIZE)
        self.export_button.setEnabled(True)
        for plot in (self.error_plot, self.latency_plot, self.heat_plot):
            plot.enableAutoRange()
        self._redraw()
        self.set_cursor(self.window.timeline.frame - self.reference.generated.start)

    # -- drawing -------------------------------------------------------------------------------------------
    def latency_title(self) -> str:
        """The latency plot's title with its legend (a colour per backend, in the title so that it never
        covers the curves) and, for a backend's first run, the warm-up note (its curve is dashed)."""
        rep = self.report
        keys = []
        for name in (rep.reference, rep.candidate):
            r, g, b = BACKEND_COLORS.get(name, (160, 220, 120))
            dashed = name in self.warmup
            keys.append(f'<span style="color: rgb({r},{g},{b})">{"- -" if dashed else "&#9473;"} '
                        f'{LABELS.get(name, name)}</span>')
        note = " (- - warm-up)" if self.warmup else ""
        return f"step latency{note}<br>" + " ".join(keys)

    def per_frame_cm(self) -> np.ndarray:
        return np.asarray(getattr(self.report, self.mode)["per_frame_cm"])

    def _redraw(self, *_) -> None:
        rep = self.report
        if rep is None:
            return
        per_frame = self.per_frame_cm()
        self.error_curve.setData(np.arange(len(per_frame)), per_frame)
        matrix, joints = error_matrix(rep, self.mode)
        self.heatmap.setImage(matrix, autoLevels=False)
        self.heat_scale.setLevels((0.0, max(float(np.max(matrix)), 1e-6)))
        self.heat_plot.getAxis("bottom").setTicks(name_tick_levels(joints))
        med = {k: float(np.median(v)) for k, v in rep.latency_us.items()}
        label = self.mode.replace("_", "-")
        self.summary.setText(
            f"{rep.reference} vs {rep.candidate}, {rep.length} frames, {label}: largest error "
            f"{per_frame.max():.3g} cm (frame {int(per_frame.argmax())}); median step latency "
            + ", ".join(f"{k} {v:.0f} us" for k, v in med.items()) + f"; {maps_used(self.reference.retargeted)}")

    def set_cursor(self, index: int) -> None:
        if self.report is None:
            return
        self.cursor = int(np.clip(index, 0, self.report.length - 1))
        for line in self.cursors:
            line.setValue(self.cursor)
        self.heat_cursor.setValue(self.cursor + 0.5 if self.mode == "free_running" else 0.5)
        self.view.set_frame(self.cursor)

    def _timeline_frame(self, frame: int) -> None:
        if self.clip is not None and self.window.current is self.clip:
            self.set_cursor(frame - self.reference.generated.start)

    # -- screenshots ---------------------------------------------------------------------------------------
    def demo(self):
        """Screenshot state: the Transition panel's walk -> run request compared on torch and MAX, twice, the
        second report shown: the first run's latencies include each backend's one-time warm-up."""
        from gui.panels.transition_panel import TransitionPanel

        runs = 0

        def ready() -> bool:
            nonlocal runs
            if self.summary.text().startswith("failed"):
                return True
            if runs == 0:
                panel = self.window.findChild(TransitionPanel)
                if not self.ctx.ready or panel is None or "humanoid3d_run" not in self.window.library.names():
                    return False
                if panel.source.combo.currentText() != "humanoid3d_walk":
                    panel.set_demo_request()
                self.candidate.setCurrentIndex(self.candidate.findData("max"))
            if runs < 2 and (runs == 0 or self.export_button.isEnabled()):
                self.export_button.setEnabled(False)  # _show_report enables it again
                self.compare()
                runs += 1
            return runs == 2 and self.export_button.isEnabled()

        return ready

    # -- export --------------------------------------------------------------------------------------------
    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export compare report", "compare_report.json",
                                              "Report (*.json)")
        if path:
            self.export(path)

    def export(self, base: str | Path) -> list[Path]:
        try:
            paths = write_report(self.report, base, self.plots)
        except (OSError, ValueError) as e:
            self.window.show_error(str(base), str(e))
            return []
        self.window.log_message("compare report: " + ", ".join(map(str, paths)))
        return paths
