"""JobRunner: results, errors, stale generations, cancellation and progress arrive on the GUI thread."""
import threading
import time

from PySide6.QtCore import QThread

from gui.workers import JobRunner
from motion.errors import MotionFileError




def test_result_arrives_on_gui_thread(qtbot):
    runner = JobRunner()
    gui_thread = QThread.currentThread()
    seen = {}

    def work(x):
        seen["worker_is_gui"] = QThread.currentThread() == gui_thread
        return x * 2

    def got(result):
        seen["result"] = result
        seen["callback_is_gui"] = QThread.currentThread() == gui_thread

    with qtbot.waitSignal(runner.idle, timeout=5000):
        runner.submit(work, 21, on_result=got)
    assert seen == {"worker_is_gui": False, "result": 42, "callback_is_gui": True}
    assert runner.active_count() == 0
    assert runner.shutdown()


def test_errors_become_messages_not_exceptions(qtbot):
    runner = JobRunner()
    errors = []

    def bad_file():
        raise MotionFileError("walk.bvh", "expected a number, got 'x'", line=12)

    def bug():
        return {}["missing"]

    with qtbot.waitSignal(runner.idle, timeout=5000):
        runner.submit(bad_file, on_error=errors.append)
        job = runner.submit(bug, on_error=errors.append)
    assert errors[0] == "walk.bvh:12: expected a number, got 'x'"
    assert errors[1] == "KeyError: 'missing'"
    assert "KeyError" in job.traceback  # kept for the log, never raised
    runner.shutdown()


def test_newer_generation_supersedes_older(qtbot):
    runner = JobRunner(max_threads=2)
    release = threading.Event()
    results, dropped = [], []
    runner.cancelled.connect(dropped.append)

    def slow(value):
        release.wait(5)
        return value

    first = runner.submit(slow, "old", key="preview", on_result=results.append)
    second = runner.submit(slow, "new", key="preview", on_result=results.append)
    assert first.cancelled and not second.cancelled
    assert (first.generation, second.generation) == (1, 2)
    with qtbot.waitSignal(runner.idle, timeout=5000):
        release.set()
    assert results == ["new"]  # the stale result never reached the callback
    assert dropped == [first]
    runner.shutdown()


def test_cooperative_cancel_and_progress(qtbot):
    runner = JobRunner()
    progress, results = [], []
    started = threading.Event()

    def long_job(job):
        for i in range(1000):
            job.report_progress(i / 1000, f"step {i}")
            started.set()
            job.check_cancelled()
            time.sleep(0.002)
        return "finished"

    job = runner.submit(long_job, key="train", with_job=True, on_result=results.append,
                        on_progress=lambda f, t: progress.append((f, t)))
    qtbot.waitUntil(lambda: len(progress) >= 3, timeout=5000)
    assert progress[0] == (0.0, "step 0")
    with qtbot.waitSignal(runner.cancelled, timeout=5000) as blocker:
        runner.cancel("train")
    assert blocker.args == [job] and job.cancelled
    assert results == []
    runner.shutdown()


def test_shutdown_waits_and_refuses_new_jobs(qtbot):
    runner = JobRunner()
    running = threading.Event()
    ran = []

    def job():
        running.set()
        time.sleep(0.2)
        ran.append(True)

    runner.submit(job)
    never = runner.submit(ran.append, "queued")  # one worker thread: still waiting in the queue
    assert running.wait(5)
    t0 = time.perf_counter()
    assert runner.shutdown(timeout_ms=5000)
    assert time.perf_counter() - t0 > 0.1  # it did wait for the running job
    assert runner.active_count() == 0
    assert ran == [True] and never.cancelled  # the queued job never ran
    try:
        runner.submit(time.sleep, 0)
    except RuntimeError:
        pass
    else:
        raise AssertionError("submit after shutdown must fail")
