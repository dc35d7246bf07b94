"""The MAX models the GUI needs, compiled in the background on first launch, so the app works at once on
PyTorch and its MAX backends come in when their models are ready.

When the main window is shown (and Models > Compile MAX models at start is on: the default; the environment
variable MOTION_STUDIO_COMPILE_AT_START=0/1 overrides it, for tests and scripted runs) `MaxModels.start()` checks the compiled-model store for
the models the panels use (`GUI_KINDS`: the four networks of a transition at the default lite size, and the
DeepMimic actor). The store copies in those the project ships precompiled for this CPU's level (assets/max,
x86-64-v3: every x86-64 CPU with AVX2 and FMA), so on such a CPU they are ready in a second or two. The others
are compiled by the store's spawned compile workers (one per core) on a runner of its own (so loading clips or
generating never waits for it), smallest first. MAX + Mojo needs none of
them (every network runs on the Mojo extension), so transitions run on it from the start. Progress shows in the
status bar ("MAX: compiling rsmt_phase, rsmt_sampler_style: 1/5 models done, about 1 min 30 s left").
`ready` is emitted when every model is: the panels re-check their backends, so the MAX entries become
selectable; the status bar says so. Quitting stops the compile; the models finished by then stay, and the
next start compiles only the rest.
Nothing is ever swapped silently: until then, MAX entries say "not compiled".

A panel that needs other models (the Benchmark's networks, a Compare candidate) asks `compile(models)`, so the
user never has to leave the app for `python main.py compile`: the same workers, after any compile already
running, with `progress` while it runs and `finished` (what is still missing) when it is done.
"""
from __future__ import annotations

import os
import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

from gui.workers import JobRunner
from inference.networks.rsmt_config import TRANSITION_KINDS

SETTING = "max/compile_at_start"
ENV = "MOTION_STUDIO_COMPILE_AT_START"
GUI_KINDS = TRANSITION_KINDS + ("deepmimic_actor",)
PRESET = "lite"  # the size of the shipped RSMT weights (assets/rsmt_lite)
GUI_MODELS = tuple((k, PRESET if k in TRANSITION_KINDS else None) for k in GUI_KINDS)  # (kind, preset)


def compile_at_start(settings) -> bool:
    """The Models menu setting, unless the environment variable overrides it."""
    env = os.environ.get(ENV)
    if env is not None:
        return env.strip() not in ("0", "false", "no", "")
    return str(settings.value(SETTING, "true")).lower() == "true"


def missing_models(models=GUI_MODELS) -> list[tuple[str, str | None]]:
    """Those (kind, preset) of `models` that the store has no compiled model for (preset None: the kind's
    only one)."""
    from inference.backends.max.store import READY, MefStore

    store = MefStore()
    return [(k, p) for k, p in models if store.status(k, p) != READY]


def compile_models(models, cancel: threading.Event, job) -> tuple[list[tuple[str, str | None]], bool]:
    """Compile those of `models` that are missing (the store's spawned workers, one per core, smallest first);
    returns (those still missing, empty when all are ready; whether every model the panels use is ready)."""
    from inference.backends.max.store import COMPILING, MefStore

    todo = missing_models(models)
    running: dict[str, None] = {}

    def progress(p) -> None:
        if p.state == COMPILING:
            running[p.kind] = None
        else:
            running.pop(p.kind, None)
        now = f"compiling {', '.join(running)}: " if running else ""
        job.report_progress(p.done / p.total, now + p.overall())

    if todo:
        MefStore().ensure_models(todo, progress, cancel=cancel)
    return missing_models(models), not missing_models(GUI_MODELS)


def _enter_max_context_on_this_thread() -> None:
    """Import MAX's graph API on the GUI (main) thread. Its first import enters MAX's default MLIR context in
    the importing thread (and the import itself needs one) and registers the matching exit for interpreter
    shutdown, which runs on the main thread: first imported by a worker (the panels check models off the GUI
    thread), the exit fails with "RuntimeError: Unbalanced Context enter/exit" when the app quits. Graphs
    built later on workers enter that context there (inference.backends.max.store). Costs ~0.25 s at start."""
    try:
        import max.graph  # noqa: F401
    except ImportError:  # no MAX installed: its backends say so when asked
        pass


class MaxModels(QObject):
    """Owned by the main window (`window.max_models`); see the module docstring. Panels that need other
    models (the benchmark's) ask `compile(models)` and hear `finished`."""

    ready = Signal()  # every GUI model is compiled now
    stateChanged = Signal(str)  # "checking" | "compiling" | "ready" | "failed: why" | "cancelled"
    progress = Signal(float, str)  # fraction of the current compile job, "compiling KIND (i/n) ... 31 s"
    finished = Signal(object, object)  # after each compile job: (the models it was asked for, those still
    # missing, None when the job itself failed)

    def __init__(self, window):
        super().__init__(window)
        _enter_max_context_on_this_thread()
        self.window = window
        self.state = "idle"
        self.jobs = JobRunner(self)
        self._cancel = threading.Event()
        self._queued: list[tuple[str, str | None]] = []  # asked for while a job runs: compiled after it
        self._asked: list[tuple[str, str | None]] = []  # those the running job compiles
        self.label = QLabel(window)
        self.label.setToolTip("MAX models the panels use (compiled once, in a separate process, then cached)")
        window.statusBar().addPermanentWidget(self.label)

    def start(self) -> None:
        """Check the store and compile what the panels use that is missing, in the background."""
        self.compile(GUI_MODELS)

    def compile(self, models) -> None:
        """Compile those of `models` ((kind, preset) pairs) that are missing, in the background, after any
        compile already running; `finished` says what is still missing after it."""
        self._queued += [m for m in models if m not in self._queued]
        if self.jobs.active_count():
            return
        self._asked, self._queued = self._queued, []
        models = self._asked
        self._cancel.clear()
        self._set("checking")
        self.jobs.submit(compile_models, models, self._cancel, key="compile", with_job=True,
                         description="compile MAX models", on_result=self._done, on_error=self._failed,
                         on_progress=self._progress)

    def _progress(self, fraction: float, text: str) -> None:
        self._set("compiling")
        self.label.setText(f"MAX: {text}")
        self.progress.emit(fraction, text)

    def _done(self, outcome: tuple[list, bool]) -> None:
        missing, gui_ready = outcome
        compiled_now = self.state == "compiling"
        if missing:
            self._set("cancelled" if self._cancel.is_set() else
                      f"failed: {', '.join(k for k, _ in missing)} not compiled")
        else:
            self._set("ready" if gui_ready else "idle")
            if compiled_now:
                self.window.statusBar().showMessage("MAX models compiled", 10_000)
        self._next(missing)
        if gui_ready and not missing:
            self.ready.emit()

    def _failed(self, message: str) -> None:
        self._set(f"failed: {message}")
        self.window.log_message(f"compiling the MAX models failed: {message}")
        self._next(None)

    def _next(self, missing) -> None:
        self.finished.emit(self._asked, missing)
        if self._queued and not self._cancel.is_set():
            self.compile([])

    def _set(self, state: str) -> None:
        self.state = state
        self.label.setText({"checking": "MAX: checking models", "ready": "MAX: ready", "idle": "",
                            "compiling": self.label.text(), "cancelled": "MAX: compile cancelled"}.get(
            state, f"MAX: {state}"))
        self.stateChanged.emit(state)

    def cancel(self) -> None:
        """Stop the running compile (its worker is killed; unfinished models stay missing) and drop the queue."""
        self._queued = []
        self._cancel.set()

    def shutdown(self) -> None:
        self._cancel.set()
        self.jobs.shutdown()
