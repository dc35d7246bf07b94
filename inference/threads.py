"""This process's OS threads (Linux): which exist, how much CPU each has used, and lowering one to SCHED_IDLE.

Why: MAX's graph runtime starts a thread at the first graph call of a process that then wakes about 4,400
times a second for as long as the process lives (a timed condition wait in libmax.so: 13-14% of a core, idle
or not; measured here with MAX 26.7). On two cores it takes a core from whatever runs next to it, and every
thread of a parallel section waits for the slowest: max-mojo's 30-frame transition took 7.2 ms beside it and
6.2 ms without it. At SCHED_IDLE it still wakes, but only gets a core nobody else wants
(`inference.backends.max.store.MaxRunner`). Elsewhere (no /proc, no SCHED_IDLE) every function here is a no-op
that says so: an empty set, 0.0 CPU, False.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

_TASKS = Path("/proc/self/task")
_IDLE = getattr(os, "SCHED_IDLE", None)


def thread_ids() -> set[int]:
    """The kernel thread ids of this process's threads (empty where /proc is not there)."""
    try:
        return {int(t) for t in os.listdir(_TASKS)}
    except OSError:
        return set()


def thread_name(tid: int) -> str:
    """Thread `tid`'s name (its comm: the program's name unless the thread set one); "" once it has ended."""
    try:
        return (_TASKS / str(tid) / "comm").read_text().rstrip("\n")
    except OSError:
        return ""


def thread_cpu_s(tid: int) -> float:
    """CPU seconds thread `tid` of this process has used (nanosecond resolution: its per-thread CPU clock, the
    clock id Linux's MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) forms); 0.0 for a thread that has ended."""
    try:
        return time.clock_gettime(((~tid) << 3) | 6)
    except OSError:
        return 0.0


def is_idle_class(tid: int) -> bool:
    """Whether thread `tid` runs at SCHED_IDLE (only on a core no other thread wants)."""
    if _IDLE is None:
        return False
    try:
        return os.sched_getscheduler(tid) == _IDLE
    except OSError:
        return False


def to_idle_class(tids: set[int]) -> set[int]:
    """Lower each thread in `tids` to SCHED_IDLE (no privileges needed to lower); the ones that were."""
    if _IDLE is None:
        return set()
    done = set()
    for tid in tids:
        try:
            os.sched_setscheduler(tid, _IDLE, os.sched_param(0))
        except OSError:  # ended meanwhile
            continue
        done.add(tid)
    return done
