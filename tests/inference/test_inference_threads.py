"""inference.threads: listing this process's threads, reading one's CPU clock, lowering one to SCHED_IDLE."""
from __future__ import annotations

import os
import threading
import time

import pytest

from inference import threads

pytestmark = pytest.mark.skipif(not threads.thread_ids(), reason="needs Linux's /proc/self/task")


def test_a_spinning_thread_is_listed_named_clocked_and_lowered_while_the_others_stay():
    started, stop = threading.Event(), threading.Event()

    def spin():
        threading.current_thread().name = "spinner"
        started.set()
        while not stop.is_set():
            pass

    worker = threading.Thread(target=spin)
    worker.start()
    try:
        started.wait()
        tid = worker.native_id
        assert tid in threads.thread_ids() and os.getpid() in threads.thread_ids()
        assert threads.thread_name(tid) == threads.thread_name(os.getpid())  # Python does not rename the OS thread
        before = threads.thread_cpu_s(tid)
        while threads.thread_cpu_s(tid) <= before:  # its own clock advances while it spins
            pass
        assert not threads.is_idle_class(tid)
        assert threads.to_idle_class({tid}) == {tid}
        assert threads.is_idle_class(tid) and not threads.is_idle_class(os.getpid())
    finally:
        stop.set()
        worker.join()
    for _ in range(10_000):  # join returns before the OS thread has quite gone
        if tid not in threads.thread_ids():
            break
        time.sleep(0.001)
    assert tid not in threads.thread_ids()
    assert threads.thread_cpu_s(tid) == 0.0 and threads.thread_name(tid) == "" and not threads.is_idle_class(tid)
    assert threads.to_idle_class({tid}) == set()  # ended: nothing to lower
