"""Benchmark panel: `parity.bench.run_bench` on a worker thread, with progress, Cancel, a bar chart of
each backend's time relative to PyTorch (per case), the table, and Export JSON (the `bench --json` object).

Whenever the cases or backends change, the MAX models the run would need are checked off the GUI thread
(`parity.bench.missing_models`); missing ones are offered as "Compile N missing models", compiled by the
window's `gui.max_models.MaxModels` (the Models menu's compile path) with progress here, and then the
benchmark runs.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

from motion.atomic import atomic_write

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QProgressBar, QPushButton, QScrollArea, QSpinBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from gui.panels.backend_colors import BACKEND_COLORS
from gui.workers import JobRunner
from inference.backends.base import LABELS

TABLE_COLUMNS = ("case", "batch", "backend", "median µs", "p10-p90 µs", "× torch")
PLOT_MIN_HEIGHT = 240  # px: the legend row, the bars and the two-line case labels


def bench_choices() -> tuple[list[str], list[str]]:
    """(network kinds the torch reference has, backends registered here); imports torch and MAX."""
    from parity.bench import available_backends
    from inference.backends.torch_backend import BUILDERS

    return list(BUILDERS), available_backends()


def run_bench_job(config, cancel: threading.Event, job):
    from parity.bench import run_bench

    def progress(p):
        job.report_progress(p.done / max(p.total, 1), str(p))

    return run_bench(config, progress, cancel)


def write_json_atomic(obj: dict, path: str | Path) -> str:
    path = Path(path)
    with atomic_write(path) as f:
        f.write(json.dumps(obj, indent=1) + "\n")
    return str(path)


class BenchPanel(QWidget):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.settings = window.settings
        self.jobs = JobRunner(self)
        self._cancel = threading.Event()
        self.report = None
        self.bars: list[pg.BarGraphItem] = []
        self._started = False
        self.case_boxes: dict[str, QCheckBox] = {}
        self.backend_boxes: dict[str, QCheckBox] = {}

        self.cases_group = QGroupBox("Cases", self)
        self.cases_group.setToolTip("Network kinds to time (each at every batch size); the DeepMimic actor adds\n"
                                    "the policy step as the simulation calls it")
        self.cases_layout = QGridLayout(self.cases_group)
        self.backends_group = QGroupBox("Backends", self)
        self.backends_group.setToolTip("Backends to compare; torch is the reference and always runs")
        self.backends_layout = QHBoxLayout(self.backends_group)
        self.cases_layout.addWidget(QLabel("finding cases...", self))
        self.batches_edit = QLineEdit(str(self.settings.value("bench/batches", "1, 64")), self)
        self.batches_edit.setToolTip("Batch sizes, comma separated")
        self.runs_box = QSpinBox(self)
        self.runs_box.setRange(1, 1000)
        self.runs_box.setValue(int(self.settings.value("bench/runs", 30)))
        self.runs_box.setToolTip("Timed calls per case and backend (the median is reported)")
        self.warmup_box = QSpinBox(self)
        self.warmup_box.setRange(0, 100)
        self.warmup_box.setValue(int(self.settings.value("bench/warmup", 5)))
        self.warmup_box.setToolTip("Untimed calls before timing")
        self.memory_box = QCheckBox("Memory (RSS of a worker per backend)", self)
        self.memory_box.setChecked(str(self.settings.value("bench/memory", "false")).lower() == "true")
        self.memory_box.setToolTip("Start one process per backend holding the model and read its memory\n"
                                   "(a few seconds per backend)")
        self.run_button = QPushButton("Run", self)
        self.run_button.setToolTip("Run the benchmark on a worker thread")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop after the current step; the partial results are kept")
        self.compile_button = QPushButton("Compile missing models", self)
        self.compile_button.setToolTip("Compile the MAX models the ticked cases need (a separate process,\n"
                                       "about a minute each, then cached), then run the benchmark")
        self.compile_button.setVisible(False)
        self.missing: list | None = None  # (kind, preset) the ticked run needs compiled; None: not checked yet
        self._compiling = False
        self.export_button = QPushButton("Export JSON...", self)
        self.export_button.setToolTip("Save the report as JSON (the same object as `python main.py bench --json`)")
        self.progress = QProgressBar(self)
        self.progress.setToolTip("Benchmark steps done")
        self.progress.setTextVisible(True)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)

        # the legend in a row of its own above the plot, so that it never covers a bar
        self.chart = pg.GraphicsLayoutWidget(self)
        self.chart.setToolTip("Median time of each backend divided by PyTorch's, per case (below 1: faster)")
        self.chart.setMinimumHeight(PLOT_MIN_HEIGHT)
        self.legend = pg.LegendItem(colCount=4)
        self.chart.addItem(self.legend, row=0, col=0)
        self.plot = self.chart.addPlot(row=1, col=0)
        self.plot.setLabel("left", "time / torch time")
        self.plot.setLabel("bottom", "case, batch size")
        self.plot.showGrid(y=True, alpha=0.3)
        self.plot.addLine(y=1.0, pen=pg.mkPen((200, 200, 200), style=Qt.PenStyle.DashLine))
        self.table = QTableWidget(0, len(TABLE_COLUMNS), self)
        self.table.setHorizontalHeaderLabels(TABLE_COLUMNS)
        self.table.setToolTip("Median time per call; × torch above 1 means slower than PyTorch")
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(140)

        form = QFormLayout()
        form.addRow("Batch sizes", self.batches_edit)
        repeats = QHBoxLayout()
        repeats.addWidget(self.runs_box)
        repeats.addWidget(QLabel("warm-up", self))
        repeats.addWidget(self.warmup_box)
        form.addRow("Runs", repeats)
        form.addRow(self.memory_box)
        buttons = QHBoxLayout()
        for b in (self.run_button, self.compile_button, self.cancel_button, self.export_button):
            buttons.addWidget(b)
        inner = QWidget(self)  # in a scroll area: the dock may be shorter than all of this
        layout = QVBoxLayout(inner)
        layout.addWidget(self.cases_group)
        layout.addWidget(self.backends_group)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.chart, 2)
        layout.addWidget(self.table, 1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(inner)
        inner.installEventFilter(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button.clicked.connect(self.export_dialog)
        self.compile_button.clicked.connect(self.compile_missing)
        window.max_models.progress.connect(self._compile_progress)
        window.max_models.finished.connect(self._compile_finished)
        self.batches_edit.editingFinished.connect(lambda: self.settings.setValue("bench/batches", self.batches_edit.text()))
        self.runs_box.valueChanged.connect(lambda v: self.settings.setValue("bench/runs", v))
        self.warmup_box.valueChanged.connect(lambda v: self.settings.setValue("bench/warmup", v))
        self.memory_box.toggled.connect(lambda v: self.settings.setValue("bench/memory", v))
        self._set_running(False)
        self.run_button.setEnabled(False)

    # -- choices -------------------------------------------------------------------------------------------
    def eventFilter(self, watched, event) -> bool:
        """The first paint of the contents is the first time the user sees the panel (a dock behind another
        tab is never painted). Listing kinds and backends imports torch and MAX: off the GUI thread, once."""
        if event.type() == QEvent.Type.Paint and not self._started:
            QTimer.singleShot(0, self._first_shown)
        return False

    def _first_shown(self) -> None:
        if not self._started:
            self._started = True
            self.status.setText("Finding the cases and backends...")
            self.jobs.submit(bench_choices, key="choices", description="list benchmark cases",
                             on_result=self._choices_known, on_error=self._failed)

    def _choices_known(self, choices: tuple[list[str], list[str]]) -> None:
        kinds, backends = choices
        while self.cases_layout.count():
            self.cases_layout.takeAt(0).widget().deleteLater()
        chosen_kinds = self._setting_list("bench/kinds", ["deepmimic_actor"])
        for i, kind in enumerate(kinds):
            box = QCheckBox(kind, self.cases_group)
            box.setChecked(kind in chosen_kinds)
            box.setToolTip(f"time the {kind} network")
            box.toggled.connect(self._save_choices)
            self.cases_layout.addWidget(box, i // 2, i % 2)
            self.case_boxes[kind] = box
        chosen_backends = self._setting_list("bench/backends", backends)
        for name in backends:
            box = QCheckBox(name, self.backends_group)
            box.setChecked(name == "torch" or name in chosen_backends)
            box.setEnabled(name != "torch")
            box.setToolTip("the reference: always timed" if name == "torch" else f"time the {name} backend")
            box.toggled.connect(self._save_choices)
            self.backends_layout.addWidget(box)
            self.backend_boxes[name] = box
        self.status.setText("Choose cases and backends, then Run.")
        self.run_button.setEnabled(True)
        self._check_missing()

    def _setting_list(self, key: str, default: list[str]) -> list[str]:
        value = self.settings.value(key, default)
        return [value] if isinstance(value, str) else list(value or [])

    def _save_choices(self, *_) -> None:
        self.settings.setValue("bench/kinds", self.kinds())
        self.settings.setValue("bench/backends", self.backends())
        self._check_missing()

    # -- MAX models the run needs ----------------------------------------------------------------------------
    def _check_missing(self, then_run: bool = False) -> None:
        """Which MAX models the ticked run needs and lacks, off the GUI thread (building the graphs to hash
        them takes seconds the first time); then_run: start the benchmark if none is missing."""
        from parity.bench import missing_models

        self.missing = None
        try:
            config = self.config()
        except ValueError:
            return
        self.jobs.submit(missing_models, config, key="missing", description="check the MAX models",
                         on_result=lambda missing: self._missing_known(missing, then_run), on_error=self._failed)

    def _missing_known(self, missing: list, then_run: bool) -> None:
        self.missing = missing
        self._show_missing()
        if then_run and not missing:
            self._start()
        elif then_run:
            self._set_running(False)
            self.status.setText(f"Not compiled for MAX yet: {_names(missing)}. Press \"{self.compile_button.text()}\" "
                                f"(about a minute each; they are cached), or untick those cases or the MAX backends.")

    def _show_missing(self) -> None:
        n = len(self.missing or [])
        self.compile_button.setText(f"Compile {n} missing model{'s' if n != 1 else ''}")
        self.compile_button.setToolTip(f"Not compiled yet: {_names(self.missing or [])}.\nCompile them (a separate "
                                       f"process, about a minute each, then cached), then run the benchmark")
        self.compile_button.setVisible(n > 0 or self._compiling)
        self.compile_button.setEnabled(n > 0 and not self.running)

    def compile_missing(self) -> None:
        """Compile the missing models through the window's MaxModels, then run the benchmark."""
        if not self.missing:
            return
        self._compiling = True
        self._set_running(True)
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.status.setText(f"Compiling {_names(self.missing)} ...")
        self.window.log_message(f"bench: compiling the MAX models {_names(self.missing)}")
        self.window.max_models.compile(self.missing)

    def _compile_progress(self, fraction: float, text: str) -> None:
        if self._compiling:
            self._progress(fraction, text)

    def _compile_finished(self, asked, still_missing) -> None:
        if not self._compiling or not set(self.missing or []) <= set(asked):
            return  # not the compile of our models (e.g. the one at start, ours queued behind it)
        self._compiling = False
        if still_missing is None or set(still_missing) & set(self.missing or []):
            self._set_running(False)
            self._check_missing()
            if self._cancel.is_set():
                self.status.setText("Compile cancelled: the models it had not finished are still missing.")
                return
            failed = _names([m for m in self.missing or [] if still_missing is None or m in still_missing])
            self._failed(f"compiling {failed} did not finish ({self.window.max_models.state})")
            return
        self.window.log_message("bench: MAX models compiled; running the benchmark")
        self._check_missing(then_run=True)

    def kinds(self) -> list[str]:
        return [k for k, b in self.case_boxes.items() if b.isChecked()]

    def backends(self) -> list[str]:
        return [n for n, b in self.backend_boxes.items() if b.isChecked()]

    def batches(self) -> tuple[int, ...]:
        try:
            values = tuple(int(v) for v in self.batches_edit.text().replace(";", ",").split(",") if v.strip())
        except ValueError:
            values = ()
        if not values or min(values) < 1:
            raise ValueError(f"batch sizes must be positive whole numbers separated by commas, "
                             f"got {self.batches_edit.text()!r}")
        return values

    # -- run -----------------------------------------------------------------------------------------------
    def config(self):
        from parity.bench import BenchConfig

        return BenchConfig(backends=tuple(self.backends()), kinds=tuple(self.kinds()), batches=self.batches(),
                           runs=self.runs_box.value(), warmup=self.warmup_box.value(),
                           memory=self.memory_box.isChecked())

    def run(self) -> None:
        """Check the MAX models the ticked run needs, then run it (or offer to compile what is missing)."""
        if not self.kinds():
            self.window.show_error("Benchmark", "No case selected: tick at least one network under Cases.")
            return
        try:
            self.config()
        except ValueError as e:
            self.window.show_error("Benchmark", f"{e}. Example: 1, 64")
            return
        self._cancel.clear()
        self._set_running(True)
        self.status.setText("Checking the MAX models...")
        self._check_missing(then_run=True)

    def _start(self) -> None:
        config = self.config()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.status.setText("Starting...")
        self._set_running(True)
        self.window.statusBar().showMessage(f"Benchmark: {', '.join(config.kinds)} on {', '.join(config.backends)}", 3000)
        self.jobs.submit(run_bench_job, config, self._cancel, key="bench", with_job=True, description="benchmark",
                         on_progress=self._progress, on_result=self._finished, on_error=self._failed)

    def cancel(self) -> None:
        self._cancel.set()
        if self._compiling:
            self.window.max_models.cancel()
        self.status.setText("Cancelling after the current step...")

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.export_button.setEnabled(not running and self.report is not None)
        for w in (self.cases_group, self.backends_group, self.batches_edit, self.runs_box, self.warmup_box,
                  self.memory_box):
            w.setEnabled(not running)
        self.compile_button.setEnabled(bool(self.missing) and not running)

    def _progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(round(100 * fraction)))
        self.progress.setFormat(text if len(text) < 60 else text[:57] + "...")
        self.status.setText(text)

    def _finished(self, report) -> None:
        self.report = report
        self._set_running(False)
        self.progress.setValue(100 if not report.cancelled else self.progress.value())
        self.show_report(report)
        skipped = f"; {len(report.skipped)} skipped (see the Log)" if report.skipped else ""
        text = f"{len(report.rows)} timings in {report.seconds:.1f} s{skipped}"
        if report.cancelled:
            text = "Cancelled: partial report, " + text
        self.status.setText(text)
        for s in report.skipped:
            self.window.log_message(f"bench: skipped {s['case']} on {s['backend']}: {s['reason']}")
        self.window.log_message("bench:\n" + report.table())
        self.window.statusBar().showMessage(f"Benchmark done: {text}", 8000)

    def _failed(self, message: str) -> None:
        self._set_running(False)
        self.status.setText(f"Error: {message}")
        hint = ("Press \"Compile missing models\" in this panel, or untick the MAX backends." if "compil" in message.lower()
                else "Untick the case or backend that failed and run again; details are in the Log.")
        self.window.show_error("Benchmark", f"{message}\n{hint}")

    # -- results -------------------------------------------------------------------------------------------
    def show_report(self, report) -> None:
        self.table.setRowCount(len(report.rows))
        for r, row in enumerate(report.rows):
            ratio = "" if row.ratio_vs_torch is None else f"{row.ratio_vs_torch:.2f}"
            values = (row.case, str(row.batch), row.backend, f"{row.median_us:.1f}",
                      f"{row.p10_us:.1f}-{row.p90_us:.1f}", ratio)
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                if c in (1, 3, 4, 5):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self._draw_bars(report)

    def _draw_bars(self, report) -> None:
        for bar in self.bars:
            self.plot.removeItem(bar)
        self.legend.clear()
        self.bars = []
        from parity.bench import E2E_PARTS

        parts = tuple(f"_{p}" for p in E2E_PARTS)  # the end-to-end breakdown: in the table, not among the bars
        groups = list(dict.fromkeys((r.case, r.batch) for r in report.rows if not r.case.endswith(parts)))
        others = [b for b in report.backends if b != "torch" and any(r.backend == b for r in report.rows)]
        if not groups or not others:
            return
        width = 0.8 / len(others)
        self.legend.setColumnCount(len(others))
        tallest = 1.0
        for i, backend in enumerate(others):
            xs, heights = [], []
            for g, (case, batch) in enumerate(groups):
                row = next((r for r in report.rows if (r.case, r.batch, r.backend) == (case, batch, backend)), None)
                if row is not None and row.ratio_vs_torch is not None:
                    xs.append(g - 0.4 + width * (i + 0.5))
                    heights.append(row.ratio_vs_torch)
            tallest = max([tallest, *heights])
            color = BACKEND_COLORS.get(backend, (160, 220, 120))
            bar = pg.BarGraphItem(x=xs, height=heights, width=width * 0.9, brush=pg.mkBrush(*color),
                                  pen=pg.mkPen(None), name=LABELS.get(backend, backend))
            self.plot.addItem(bar)
            self.legend.addItem(bar, bar.opts["name"])
            self.bars.append(bar)
        labels = [(g, f"{_short(case)}\nb{batch}") for g, (case, batch) in enumerate(groups)]
        self.plot.getAxis("bottom").setTicks([labels])
        self.plot.setXRange(-0.6, len(groups) - 0.4)
        self.plot.setYRange(0, 1.05 * tallest, padding=0)

    def export_dialog(self) -> None:
        if self.report is None:
            return
        start = str(self.settings.value("bench/export_dir", str(Path.home()))) + "/bench.json"
        path, _ = QFileDialog.getSaveFileName(self, "Export benchmark JSON", start, "JSON (*.json)")
        if path:
            self.export(path)

    def export(self, path: str | Path) -> None:
        try:
            written = write_json_atomic(self.report.to_json(), path)
        except OSError as e:
            self.window.show_error(str(path), f"could not write the report: {e.strerror or e}. "
                                              f"Choose a folder you can write to.")
            return
        self.settings.setValue("bench/export_dir", str(Path(written).parent))
        self.window.log_message(f"bench: exported {written}")
        self.window.statusBar().showMessage(f"Exported {written}", 5000)

    def demo(self):
        """Screenshot state: the DeepMimic cases on every backend, few repeats."""
        self.runs_box.setValue(10)
        self.warmup_box.setValue(2)
        self.batches_edit.setText("1, 64")
        self.memory_box.setChecked(False)

        def ready() -> bool:
            if not self.case_boxes:
                return False
            if self.report is None and not self.running:
                for kind, box in self.case_boxes.items():
                    box.setChecked(kind.startswith("deepmimic"))
                self.run()
            return self.report is not None and not self.running

        return ready

    def shutdown(self) -> None:
        self._cancel.set()
        self.jobs.shutdown()


def _names(models) -> str:
    """(kind, preset) pairs as 'rsmt_phase (lite), deepmimic_critic'."""
    return ", ".join(k if p is None else f"{k} ({p})" for k, p in models)


def _short(case: str) -> str:
    """A case's name short enough that the cases' labels do not run into each other in a narrow dock
    (the table keeps the full names)."""
    for long, short in (("deepmimic_", ""), ("rsmt_sampler_", ""), ("rsmt_manifold_", ""), ("rsmt_", ""),
                        ("policy_step", "policy"), ("transition_e2e_", "e2e_"), ("transition_", "trans "), ("_per_frame", "/fr")):
        case = case.replace(long, short)
    return case
