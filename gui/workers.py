"""Background jobs for the GUI: run a plain Python function off the GUI thread and get its result back
as a signal on the GUI thread.

Every panel (clip loading, export, transitions, compare, training, benchmarks) uses one `JobRunner`:

    job = runner.submit(load_motion, path, key="load", on_result=self._loaded, on_error=self._failed)

- `key` groups jobs that supersede each other: submitting a new job with the same key cancels the previous
  one and bumps the key's generation; results of an older generation are dropped, never delivered
  (e.g. a transition computed for a frame the user has already scrubbed past).
- Cancellation is cooperative: a function that accepts a `job` keyword (pass `with_job=True`) can poll
  `job.cancelled` and call `job.report_progress(fraction, text)`.
- Errors never escape: an exception in the function arrives as `failed(job, message)`, and the traceback
  of unexpected errors (anything but a user mistake such as `MotionFileError`) is kept in `job.traceback`.

The runner owns its QThreadPool and keeps a reference to each job until its final signal has been handled
on the GUI thread (a fire-and-forget QRunnable loses its queued signals when Qt deletes it).
`shutdown()` cancels everything and waits for the threads; the main window calls it when it closes.
The main window's runner has one worker thread, so the other core stays free for drawing; a panel with
long-running work (training, a live simulation) should own a runner of its own so loads never queue
behind it.
"""
from __future__ import annotations

import itertools
import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from gui.gc_pauses import settle

# Errors that describe bad user input: shown as their message alone, without a traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (ValueError, OSError)


class JobCancelled(Exception):
    """Raised by `Job.check_cancelled()` inside a job function to stop early."""


class Job:
    """Handle of one submitted function call; shared between the GUI thread and the worker thread."""

    def __init__(self, job_id: int, key: str | None, generation: int, description: str):
        self.id = job_id
        self.key = key
        self.generation = generation
        self.description = description
        self.traceback: str | None = None
        self._cancel = threading.Event()
        self._signals: _JobSignals | None = None

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise JobCancelled(self.description)

    def report_progress(self, fraction: float, text: str = "") -> None:
        """Callable from the worker thread; arrives as `JobRunner.progress` on the GUI thread."""
        if self._signals is not None:
            self._signals.progress.emit(self, float(fraction), text)

    def __repr__(self) -> str:
        return f"Job({self.id}, {self.description!r}, key={self.key!r}, generation={self.generation})"


class _JobSignals(QObject):
    # Created on the GUI thread and emitted from the worker: Qt queues the calls to the runner's slots.
    progress = Signal(object, float, str)
    done = Signal(object, object)  # job, result
    error = Signal(object, str)  # job, message
    cancelled = Signal(object)


class _Task(QRunnable):
    def __init__(self, job: Job, fn: Callable, args: tuple, kwargs: dict, signals: _JobSignals):
        super().__init__()
        self.setAutoDelete(False)  # the runner drops its reference once the final signal is handled
        self.job, self.fn, self.args, self.kwargs, self.signals = job, fn, args, kwargs, signals

    def run(self) -> None:
        job = self.job
        try:
            job.check_cancelled()
            result = self.fn(*self.args, **self.kwargs)
            job.check_cancelled()
        except JobCancelled:
            self.signals.cancelled.emit(job)
        except BaseException as e:  # noqa: BLE001 -- a bug in a job must not kill the app
            job.traceback = traceback.format_exc()
            message = str(e) if isinstance(e, USER_ERRORS) else f"{type(e).__name__}: {e}"
            self.signals.error.emit(job, message or type(e).__name__)
        else:
            self.signals.done.emit(job, result)


class JobRunner(QObject):
    """Runs functions on a private thread pool; see the module docstring."""

    started = Signal(object)  # job
    progress = Signal(object, float, str)  # job, fraction 0..1, text
    finished = Signal(object, object)  # job, result   (current generation only)
    failed = Signal(object, str)  # job, message    (current generation only)
    cancelled = Signal(object)  # job (cancelled, or superseded by a newer generation)
    idle = Signal()  # no job left running

    def __init__(self, parent: QObject | None = None, max_threads: int = 1):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._ids = itertools.count(1)
        self._generations: dict[str, int] = {}
        self._active: dict[int, tuple[Job, _Task, dict]] = {}
        self._closed = False

    def submit(self, fn: Callable, *args: Any, key: str | None = None, description: str = "",
               with_job: bool = False, on_result: Callable | None = None, on_error: Callable | None = None,
               on_progress: Callable | None = None, **kwargs: Any) -> Job:
        """Run fn(*args, **kwargs) (plus job=<Job> if with_job) on a worker thread.

        on_result(result) / on_error(message) / on_progress(fraction, text) are called on the GUI thread,
        only for the newest generation of `key`.
        """
        if self._closed:
            raise RuntimeError("JobRunner is shut down")
        generation = 0
        if key is not None:
            generation = self._generations.get(key, 0) + 1
            self._generations[key] = generation
            for job, _, _ in self._active.values():
                if job.key == key:
                    job.cancel()
        job = Job(next(self._ids), key, generation, description or getattr(fn, "__name__", "job"))
        signals = _JobSignals()
        job._signals = signals
        signals.progress.connect(self._on_progress)
        signals.done.connect(self._on_done)
        signals.error.connect(self._on_error)
        signals.cancelled.connect(self._on_cancelled)
        if with_job:
            kwargs["job"] = job
        task = _Task(job, fn, args, kwargs, signals)
        callbacks = {"result": on_result, "error": on_error, "progress": on_progress}
        self._active[job.id] = (job, task, callbacks)
        self.started.emit(job)
        self._pool.start(task)
        return job

    def is_current(self, job: Job) -> bool:
        return job.key is None or self._generations.get(job.key) == job.generation

    def cancel(self, key: str) -> None:
        """Cancel every running job with this key (their results will be dropped)."""
        self._generations[key] = self._generations.get(key, 0) + 1
        for job, _, _ in self._active.values():
            if job.key == key:
                job.cancel()

    def active_count(self) -> int:
        return len(self._active)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel all jobs and wait for the worker threads; no signal is delivered afterwards."""
        self._closed = True
        for job, _, _ in self._active.values():
            job.cancel()
        self._pool.clear()  # jobs not started yet never run
        done = self._pool.waitForDone(timeout_ms)
        self._active.clear()  # signals still queued find no entry and are ignored
        return done

    # -- slots (GUI thread) -----------------------------------------------------------------------------
    def _finish(self, job: Job) -> dict | None:
        entry = self._active.pop(job.id, None)
        return entry[2] if entry else None

    def _emit_idle_if_done(self) -> None:
        if not self._active and not self._closed:
            self.idle.emit()

    @Slot(object, float, str)
    def _on_progress(self, job: Job, fraction: float, text: str) -> None:
        entry = self._active.get(job.id)
        if entry is None or not self.is_current(job) or job.cancelled:
            return
        self.progress.emit(job, fraction, text)
        if entry[2]["progress"]:
            entry[2]["progress"](fraction, text)

    @Slot(object, object)
    def _on_done(self, job: Job, result: object) -> None:
        callbacks = self._finish(job)
        if callbacks is None:
            return
        if not self.is_current(job) or job.cancelled:
            self.cancelled.emit(job)
            self._emit_idle_if_done()
            return
        try:
            self.finished.emit(job, result)
            if callbacks["result"]:
                callbacks["result"](result)
        finally:
            settle()  # what the job loaded is long-lived: keep it out of future full collections
            self._emit_idle_if_done()

    @Slot(object, str)
    def _on_error(self, job: Job, message: str) -> None:
        callbacks = self._finish(job)
        if callbacks is None:
            return
        if not self.is_current(job) or job.cancelled:
            self.cancelled.emit(job)
            self._emit_idle_if_done()
            return
        try:
            self.failed.emit(job, message)
            if callbacks["error"]:
                callbacks["error"](message)
        finally:
            self._emit_idle_if_done()

    @Slot(object)
    def _on_cancelled(self, job: Job) -> None:
        if self._finish(job) is not None:
            self.cancelled.emit(job)
            self._emit_idle_if_done()
