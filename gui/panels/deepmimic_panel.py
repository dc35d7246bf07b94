"""DeepMimic panel: a shipped policy drives the pybullet humanoid live in the 3-D view.

Threads: the simulation (`sim.live.LiveSimulation.run`) steps on the panel's own `JobRunner` thread, paced
to real time. It never signals per step: it leaves the newest pose and the new step records in a
`sim.live.Mailbox`, and a GUI timer running at the view's frame rate takes them, so a pose the GUI had no
time to show is dropped, never queued. Compiling the policy's MAX model is the window's
`gui.max_models.MaxModels` (the Models menu's compile path: a spawned process, off the GUI thread).

Backends are never swapped behind the user's back: one whose model is not compiled shows "not compiled",
Run stays disabled and a Compile button offers to build it. With a comparison backend selected, every
control step runs the same state through both policies and the plot shows the largest absolute
difference between their actions (the first backend's action is the one applied).
"""
from __future__ import annotations

import threading
import time

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGraphicsItem, QHBoxLayout,
                               QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget)

from gui.loading import clip_from_motion
from gui.workers import JobRunner
from inference.backends.base import APP_BACKENDS
from sim.live import KIND, LiveSimulation, Mailbox, RunOutcome, backend_states

POLICIES = ("walk", "walk_COMenabled", "jump", "backflip", "spinkick")  # sim.env.POLICIES (checked in tests)
BACKENDS = APP_BACKENDS
VIEW_FPS = 30  # GUI refresh of the live pose
# The plots redraw at most this often: each raster repaint makes Qt compose the window with the GL view
# again, and under llvmpipe a 30 Hz plot refresh took most of the GUI thread's time (measured).
PLOT_INTERVAL_S = 0.25
# During a run the plots' time axis spans the whole run and the axes (grid included) are cached pixmaps, so a
# redraw paints only the curves: replaying the axes and grid took 27 ms per redraw of both plots on an idle
# 2-core machine and up to 109 ms on a busy one, against 1.4 ms cached (measured, llvmpipe under Xvfb).
AXES = ("left", "bottom")
NONE = "none"


# ---- the panel --------------------------------------------------------------------------------------
class DeepMimicPanel(QWidget):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.settings = window.settings
        self.sim = LiveSimulation()
        self.mailbox = Mailbox()
        self.jobs = JobRunner(self)  # its own thread: runs never queue behind file loads, nor loads behind runs
        self.compiling = False  # our model is compiling in window.max_models
        self._stop = threading.Event()
        self.states: dict[str, str] = {}
        self.outcome: RunOutcome | None = None
        self.reference = None  # LoadedClip of the prepared policy's reference motion
        self.running = False
        self.preparing = False
        self._started = False
        window.max_models.ready.connect(self._recheck)
        window.max_models.progress.connect(self._compile_progress)
        window.max_models.finished.connect(self._compile_finished)
        self._times: list[float] = []
        self._rewards: list[float] = []
        self._diffs: list[float] = []
        self.steps_shown = 0
        self.poses_shown = 0
        self._plotted_at = 0.0

        self.policy_box = QComboBox(self)
        self.policy_box.addItems(POLICIES)
        self.policy_box.setToolTip("Pretrained DeepMimic policy shipped with pybullet (humanoid3d)")
        self.backend_box = QComboBox(self)
        self.backend_box.setToolTip("Inference backend that runs the policy and drives the simulation")
        self.compare_box = QComboBox(self)
        self.compare_box.setToolTip("Second backend fed the same state at every control step; the plot\n"
                                    "shows the largest absolute difference between the two actions")
        for box in (self.backend_box, self.compare_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.seconds_box = QDoubleSpinBox(self)
        self.seconds_box.setRange(0.5, 120.0)
        self.seconds_box.setDecimals(1)
        self.seconds_box.setSuffix(" s")
        self.seconds_box.setToolTip("Simulated seconds to run (the run also ends when the humanoid falls)")
        self.realtime_box = QCheckBox("Real time", self)
        self.realtime_box.setToolTip("Pace the simulation to the wall clock; off: as fast as the CPU allows")
        self.compile_button = QPushButton("Compile", self)
        self.compile_button.setToolTip("Compile the MAX model of the policy network (a separate process,\n"
                                       "about a minute); the same as `python main.py compile`")
        self.run_button = QPushButton("Run", self)
        self.run_button.setToolTip("Run the policy in pybullet and show the humanoid live in the 3-D view")
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setToolTip("Stop the run (the motion so far can still be recorded)")
        self.record_button = QPushButton("Record as clip", self)
        self.record_button.setToolTip("Add the simulated motion of the last run to the clip library")
        self.progress = QProgressBar(self)
        self.progress.setToolTip("Compile / preparation progress")
        self.progress.setVisible(False)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.status.setToolTip("State of the panel and summary of the last run")

        self.reward_plot = pg.PlotWidget(self)
        self.reward_plot.setToolTip("Imitation reward per control step (1 = matches the reference clip)")
        self.reward_plot.setLabel("left", "reward")
        self.reward_plot.setLabel("bottom", "sim time", units="s")
        self.reward_plot.setYRange(0, 1)
        self.reward_curve = self.reward_plot.plot(pen=pg.mkPen((250, 160, 40), width=2))
        self.diff_plot = pg.PlotWidget(self)
        self.diff_plot.setToolTip("max |action(backend) - action(comparison)| per control step, same state")
        self.diff_plot.setLabel("left", "max |Δa|")
        self.diff_plot.setLabel("bottom", "sim time", units="s")
        self.diff_curve = self.diff_plot.plot(pen=pg.mkPen((90, 200, 255), width=2))
        for plot in (self.reward_plot, self.diff_plot):
            plot.setMinimumHeight(120)
            plot.showGrid(x=True, y=True, alpha=0.3)
            plot.enableAutoRange(x=False)
            for name in AXES:
                plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

        form = QFormLayout()
        form.addRow("Policy", self.policy_box)
        form.addRow("Backend", self.backend_box)
        form.addRow("Compare with", self.compare_box)
        row = QHBoxLayout()
        row.addWidget(self.seconds_box)
        row.addWidget(self.realtime_box)
        form.addRow("Duration", row)
        buttons = QHBoxLayout()
        for b in (self.compile_button, self.run_button, self.stop_button, self.record_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(QLabel("Reward", self))
        layout.addWidget(self.reward_plot, 1)
        self.diff_title = QLabel("Action difference between backends", self)
        layout.addWidget(self.diff_title)
        layout.addWidget(self.diff_plot, 1)

        self._restore_settings()
        self.policy_box.currentTextChanged.connect(self._selection_changed)
        self.backend_box.currentIndexChanged.connect(self._selection_changed)
        self.compare_box.currentIndexChanged.connect(self._selection_changed)
        self.seconds_box.valueChanged.connect(lambda v: self.settings.setValue("deepmimic/seconds", v))
        self.realtime_box.toggled.connect(lambda v: self.settings.setValue("deepmimic/realtime", v))
        self.run_button.clicked.connect(self.run)
        self.stop_button.clicked.connect(self.stop)
        self.record_button.clicked.connect(self.record_clip)
        self.compile_button.clicked.connect(self.compile)

        self.timer = QTimer(self)
        self.timer.setInterval(1000 // VIEW_FPS)
        self.timer.timeout.connect(self._drain)
        self._fill_backend_boxes()
        self._update_controls()

    # -- settings and backend states -----------------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = self.settings
        self.policy_box.setCurrentText(str(s.value("deepmimic/policy", "walk")))
        self.seconds_box.setValue(float(s.value("deepmimic/seconds", 10.0)))
        self.realtime_box.setChecked(str(s.value("deepmimic/realtime", "true")).lower() == "true")

    def paintEvent(self, event) -> None:
        """The first paint is the first time the user sees the panel (a dock behind another tab is
        "visible" but never painted): only then find out what can run and preload the policy."""
        super().paintEvent(event)
        if not self._started:
            self._started = True
            self.status.setText("Checking which backends can run here...")
            self.jobs.submit(backend_states, key="states", description="check DeepMimic backends",
                             on_result=self._states_known, on_error=self._failed)

    def _recheck(self) -> None:
        """The MAX models got compiled elsewhere (gui.max_models): the MAX entries can run now."""
        if self._started and not self.running:
            self.jobs.submit(backend_states, key="states", description="check DeepMimic backends",
                             on_result=self._states_known, on_error=self._failed)

    def _states_known(self, states: dict[str, str]) -> None:
        self.states = states
        self._fill_backend_boxes()
        self._selection_changed()

    def _fill_backend_boxes(self) -> None:
        want_backend = self.backend or str(self.settings.value("deepmimic/backend", "torch"))
        want_compare = self.compare or str(self.settings.value("deepmimic/compare", NONE))
        for box, names, want in ((self.backend_box, BACKENDS, want_backend),
                                 (self.compare_box, (NONE,) + BACKENDS, want_compare)):
            box.blockSignals(True)
            box.clear()
            for name in names:
                state = self.states.get(name, "checking..." if self.states == {} else "")
                label = name if state in ("ready", "") or name == NONE else f"{name} ({state.split(':')[0]})"
                box.addItem(label, name)
                index = box.count() - 1
                box.setItemData(index, state if state else name, Qt.ItemDataRole.ToolTipRole)
                if state.startswith("unavailable"):
                    box.model().item(index).setEnabled(False)
            box.setCurrentIndex(max(0, box.findData(want)))
            box.blockSignals(False)

    @property
    def policy(self) -> str:
        return self.policy_box.currentText()

    @property
    def backend(self) -> str | None:
        return self.backend_box.currentData()

    @property
    def compare(self) -> str | None:
        value = self.compare_box.currentData()
        return None if value in (None, NONE) or value == self.backend else value

    def _not_ready(self) -> list[str]:
        return [n for n in (self.backend, self.compare) if n and self.states.get(n, "ready") != "ready"]

    def _selection_changed(self, *_) -> None:
        self.settings.setValue("deepmimic/policy", self.policy)
        if self.backend:
            self.settings.setValue("deepmimic/backend", self.backend)
        self.settings.setValue("deepmimic/compare", self.compare_box.currentData() or NONE)
        self._update_controls()
        if self.states and not self._not_ready() and not self.running:
            self._prepare()

    def _prepare(self) -> None:
        self.preparing = True
        self._update_controls()
        self.jobs.submit(self.sim.prepare, self.policy, self.backend, self.compare, key="prepare", with_job=True,
                         description=f"prepare DeepMimic {self.policy}", on_progress=self._show_progress,
                         on_result=self._prepared, on_error=self._failed)

    def _prepared(self, reference) -> None:
        self.reference = clip_from_motion(reference, reference.name, embedded=True)
        self.preparing = False
        self.progress.setVisible(False)
        self.status.setText(f"Ready: {self.policy} on {self.backend}"
                            + (f", compared with {self.compare}" if self.compare else ""))
        self._update_controls()

    def _update_controls(self) -> None:
        known = bool(self.states)
        not_ready = self._not_ready() if known else []
        compiling = self.compiling
        self.compile_button.setVisible(bool(not_ready) or compiling)
        self.compile_button.setEnabled(bool(not_ready) and not compiling and not self.running)
        can_run = known and not not_ready and not self.running and not compiling and not self.preparing
        self.run_button.setEnabled(can_run)
        self.run_button.setToolTip("Run the policy in pybullet and show the humanoid live in the 3-D view"
                                   if can_run or not not_ready else
                                   f"{', '.join(not_ready)}: the policy network is not compiled yet; press Compile")
        self.stop_button.setEnabled(self.running or compiling)
        self.record_button.setEnabled(self.outcome is not None and not self.running)
        for w in (self.policy_box, self.backend_box, self.compare_box, self.seconds_box, self.realtime_box):
            w.setEnabled(not self.running and not compiling)
        has_compare = self.compare is not None
        self.diff_plot.setVisible(has_compare)
        self.diff_title.setVisible(has_compare)
        if not_ready and not compiling:
            which = ", ".join(f"{n} ({self.states[n].split(':')[0]})" for n in not_ready)
            self.status.setText(f"{which}: the policy network ({KIND}) is not compiled for it yet. Press Compile "
                                f"(about a minute per backend) or run `python main.py compile`, or pick torch.")

    # -- compile -------------------------------------------------------------------------------------------
    def compile(self) -> None:
        todo = self._not_ready()
        if not todo:
            return
        self.compiling = True
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.status.setText(f"Compiling the {KIND} model for {', '.join(todo)} in a separate process...")
        self.window.max_models.compile([(KIND, None)])
        self._update_controls()

    def _compile_progress(self, fraction: float, text: str) -> None:
        if self.compiling:
            self._show_progress(fraction, text)

    def _compile_finished(self, asked, still_missing) -> None:
        if not self.compiling or (KIND, None) not in asked:
            return  # not the compile of our model (e.g. the one at start, ours queued behind it)
        self.compiling = False
        self.progress.setVisible(False)
        if still_missing is None or (KIND, None) in still_missing:
            self._update_controls()
            if self.window.max_models.state != "cancelled":
                self.window.show_error("Compile", f"compiling {KIND} did not finish ({self.window.max_models.state})."
                                       "\nSee the Log; run `python main.py compile` in a terminal for the full "
                                       "compiler output.")
            return
        self.window.statusBar().showMessage("DeepMimic policy network compiled", 5000)
        self._recheck()

    def _show_progress(self, fraction: float, text: str) -> None:
        if self.progress.maximum() == 0 and not self.preparing:
            self.progress.setFormat(text)
        else:
            self.progress.setRange(0, 100)
            self.progress.setValue(int(100 * fraction))
            self.progress.setFormat(text)
        self.progress.setVisible(True)
        self.status.setText(text)

    # -- run -----------------------------------------------------------------------------------------------
    def run(self) -> None:
        if self.running or not self.run_button.isEnabled() or self.preparing:
            return
        self.running = True
        self.outcome = None
        self._times, self._rewards, self._diffs = [], [], []
        self.reward_curve.setData([], [])
        self.diff_curve.setData([], [])
        for plot in (self.reward_plot, self.diff_plot):
            plot.setXRange(0, self.seconds_box.value(), padding=0)
        self.mailbox.take()
        self._stop.clear()
        self._show_reference_clip()
        self.status.setText(f"Running {self.policy} on {self.backend}...")
        self.window.statusBar().showMessage(f"DeepMimic: running {self.policy} on {self.backend}", 3000)
        self.jobs.submit(self.sim.run, self.policy, self.backend, self.compare, self.seconds_box.value(),
                         self.realtime_box.isChecked(), self.mailbox, self._stop, key="run", with_job=True,
                         description=f"DeepMimic {self.policy}", on_result=self._finished, on_error=self._failed)
        self.timer.start()
        self._update_controls()

    def _show_reference_clip(self) -> None:
        """Put the humanoid's skeleton into the view (the policy's reference clip, so the floor and camera
        fit it) and let the camera follow the root: walking policies leave any fixed frame."""
        w = self.window
        w.timeline.pause()
        if not w.library.select(self.reference.name):
            w.add_clip(self.reference)
        w.follow_action.setChecked(True)

    def stop(self) -> None:
        if self.running:
            self._stop.set()
        if self.compiling:
            self.window.max_models.cancel()

    def _drain(self) -> None:
        pose, steps = self.mailbox.take()
        if pose is not None:
            self.window.view.show_pose(pose)
            self.poses_shown += 1
        if steps:
            self.steps_shown += len(steps)
            self._times += [s.time for s in steps]
            self._rewards += [s.reward for s in steps]
            if steps[0].diff is not None:
                self._diffs += [s.diff for s in steps]
        now = time.perf_counter()
        if not self.running or now - self._plotted_at >= PLOT_INTERVAL_S:
            self._plotted_at = now
            self.reward_curve.setData(self._times, self._rewards)
            if self._diffs:
                self.diff_curve.setData(self._times[-len(self._diffs):], self._diffs)
        if not self.running:
            self.timer.stop()

    def _finished(self, outcome: RunOutcome) -> None:
        self.running = False
        self._drain()
        self.outcome = outcome
        fell = f"fell at {outcome.fall_time:.2f} s" if outcome.fell else ("stopped" if outcome.cancelled else "stayed up")
        latency = ", ".join(f"{k} {v:.0f} µs" for k, v in outcome.median_us.items())
        text = (f"{outcome.policy} on {outcome.backend}: {outcome.seconds:.2f} s simulated, {fell}, mean reward "
                f"{outcome.mean_reward:.3f} over {outcome.steps} steps; policy step (median) {latency}")
        if self._diffs:
            text += f"; largest action difference vs {outcome.compare}: {max(self._diffs):.3g}"
        self.status.setText(text)
        self.window.log_message(f"DeepMimic: {text}")
        self.window.statusBar().showMessage(f"DeepMimic {outcome.policy}: {fell}, mean reward "
                                            f"{outcome.mean_reward:.3f}", 8000)
        self._update_controls()

    def _failed(self, message: str) -> None:
        self.running = self.preparing = False
        self.timer.stop()
        self.progress.setVisible(False)
        self.status.setText(f"Error: {message}")
        hint = ("Press Compile in the DeepMimic panel or run `python main.py compile`."
                if "compile" in message.lower() else "Pick another policy or the torch backend and try again; "
                                                     "details are in the Log.")
        self.window.show_error("DeepMimic", f"{message}\n{hint}")
        self._update_controls()

    def record_clip(self) -> None:
        if self.outcome is None:
            return
        o = self.outcome
        name = f"deepmimic {o.policy} ({o.backend}, {o.seconds:.1f} s)"
        self.window.add_clip(clip_from_motion(o.motion, name))
        self.window.log_message(f"recorded {name}: {o.motion.num_frames} frames at {o.motion.fps:g} fps")
        self.window.statusBar().showMessage(f"Added {name} to the clip library", 5000)

    # -- window hooks --------------------------------------------------------------------------------------
    def demo(self):
        """Screenshot state: a walk with torch compared against MAX (when compiled), 2.5 s in."""
        self.seconds_box.setValue(2.5)
        self.realtime_box.setChecked(True)
        return lambda: bool(self.states) and self._demo_step()

    def _demo_step(self) -> bool:
        if self.outcome is not None:
            return True
        if not self.running and self.run_button.isEnabled():
            if self.states.get("max") == "ready" and self.compare_box.findData("max") >= 0:
                self.compare_box.setCurrentIndex(self.compare_box.findData("max"))
            if self.run_button.isEnabled():
                self.run()
        return False

    def shutdown(self) -> None:
        """Window closing: stop the run and any compile, wait for the threads, close the pybullet worlds."""
        self.timer.stop()
        self._stop.set()
        self.jobs.shutdown()
        self.sim.close()
