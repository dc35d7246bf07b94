"""The MAX models the GUI needs, compiled in the background on first launch, so the app works at once on
PyTorch and its MAX backends come in when their models are ready.

When the main window is shown (and Models > Compile MAX models at start is on: the default; the environment
variable MOTION_STUDIO_COMPILE_AT_START=0/1 overrides it, for tests and scripted runs) `MaxModels.start()` checks the compiled-model store for
the models the panels use (`GUI_KINDS`: the four networks of a transition at the default lite size, and the
DeepMimic actor). Any missing one is compiled by the store's spawned compile worker, one at a time, on a
runner of its own (so loading clips or generating on PyTorch never waits for it); progress shows in the
status bar ("MAX: compiling rsmt_phase (2/5) ... 31 s"). When every model is ready, `ready` is emitted:
the panels re-check their backends, so the MAX entries become selectable, and the Transition panel moves
from PyTorch to MAX + Mojo unless the user picked its backend by hand; the status bar says so.
Nothing is ever swapped silently: until then, MAX entries say "not compiled".
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


def compile_at_start(settings) -> bool:
    """The Models menu setting, unless the environment variable overrides it."""
    env = os.environ.get(ENV)
    if env is not None:
        return env.strip() not in ("0", "false", "no", "")
    return str(settings.value(SETTING, "true")).lower() == "true"


def missing_models() -> list[str]:
    """GUI_KINDS that the store has no compiled model for (at the default size)."""
    from inference.backends.max.store import READY, MefStore

    store = MefStore()
    return [k for k in GUI_KINDS if store.status(k, PRESET if k in TRANSITION_KINDS else None) != READY]


def compile_models(cancel: threading.Event, job) -> list[str]:
    """Compile the missing GUI models (spawned worker); returns those still missing (empty: all ready)."""
    from inference.backends.max.store import MefStore

    store = MefStore()
    todo = missing_models()
    for i, kind in enumerate(todo):
        if cancel.is_set():
            break

        def progress(p, i=i, kind=kind):
            job.report_progress(i / len(todo), f"compiling {kind} ({i + 1}/{len(todo)}) ... {p.elapsed_s:.0f} s")

        store.ensure([kind], progress, presets=[PRESET] if kind in TRANSITION_KINDS else None, cancel=cancel)
    return missing_models()


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
    """Owned by the main window (`window.max_models`); see the module docstring."""

    ready = Signal()  # every GUI model is compiled now
    stateChanged = Signal(str)  # "checking" | "compiling" | "ready" | "failed: why" | "cancelled"

    def __init__(self, window):
        super().__init__(window)
        _enter_max_context_on_this_thread()
        self.window = window
        self.state = "idle"
        self.jobs = JobRunner(self)
        self._cancel = threading.Event()
        self.label = QLabel(window)
        self.label.setToolTip("MAX models the panels use (compiled once, in a separate process, then cached)")
        window.statusBar().addPermanentWidget(self.label)

    def start(self) -> None:
        """Check the store and compile what is missing, in the background."""
        if self.jobs.active_count():
            return
        self._cancel.clear()
        self._set("checking")
        self.jobs.submit(compile_models, self._cancel, key="compile", with_job=True, description="compile MAX models",
                         on_result=self._done, on_error=self._failed, on_progress=self._progress)

    def _progress(self, fraction: float, text: str) -> None:
        self._set("compiling")
        self.label.setText(f"MAX: {text}")

    def _done(self, missing: list[str]) -> None:
        if missing:
            self._set("cancelled" if self._cancel.is_set() else f"failed: {', '.join(missing)} not compiled")
            return
        compiled_now = self.state == "compiling"
        self._set("ready")
        if compiled_now:
            self.window.statusBar().showMessage("MAX models compiled: the MAX backends are ready", 10_000)
        self.ready.emit()

    def _failed(self, message: str) -> None:
        self._set(f"failed: {message}")
        self.window.log_message(f"compiling the MAX models failed: {message}")

    def _set(self, state: str) -> None:
        self.state = state
        self.label.setText({"checking": "MAX: checking models", "ready": "MAX: ready",
                            "compiling": self.label.text(), "cancelled": "MAX: compile cancelled"}.get(
            state, f"MAX: {state}"))
        self.stateChanged.emit(state)

    def shutdown(self) -> None:
        self._cancel.set()
        self.jobs.shutdown()
