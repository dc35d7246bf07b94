"""Timing helpers for comparing backends on a noisy, shared machine.

Run the contenders *interleaved* in short blocks (five calls of A, five of B, ... with the order rotated
every round) rather than all of A then all of B, so a burst of load from elsewhere hits all of them alike,
and compare medians, not means.

Each block is *primed*: the same case runs untimed for `prime_s` first. Why: torch's OpenMP threads, ONNX
Runtime's pool and OpenBLAS spin-wait for milliseconds after a call returns, so on a machine with few cores
the next contender's own worker threads found the cores taken (measured here, 2 cores: the Mojo GEMM's
second thread made a batch-64 layer 2.5x *slower* right after a torch call, and 2x faster alone; 20 ms of
priming was not always enough, 50 ms was). Priming lets the previous contender's threads go idle while this
one runs warm, and the block keeps it warm, as in a rollout or a batch sweep: every contender is timed in
its own steady state. (Sleeping instead let the clocks and caches go cold and tripled every batch-1 time.)

Before priming, each block waits until this process's other threads have stopped burning CPU (`settle`): MAX's
graph runtime keeps its workers spinning for about half a second after a call (measured: 0.7 CPU-seconds in
the 0.5 s after a 30-frame transition on `max`, none after max-mojo's), far longer than the priming, and on two
cores whatever was timed next ran on one (max-mojo's 30-frame transition 11.7 -> 15.0 ms with `max` calls
in between). Threads at SCHED_IDLE do not count: they only get a core nobody else wants (MAX's always-awake
timer thread, lowered there by `inference.backends.max.store`; it would otherwise keep every settle waiting its
full half second).
"""
from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass
from typing import Callable

from inference.threads import is_idle_class, thread_cpu_s, thread_ids


BLOCK = 5  # samples of one case in a row
PRIME_S = 0.05  # seconds of untimed calls before each block
SETTLE_S = 0.5  # at most this long waiting for the process's other threads to go idle before a block
_SETTLE_SLICE_S = 0.01  # idle: less than a tenth of such a slice of CPU used by the process while it sleeps


@dataclass(frozen=True)
class Timing:
    """Per-call wall times of one case, in microseconds."""

    name: str
    samples_us: tuple[float, ...]

    @property
    def median_us(self) -> float:
        return statistics.median(self.samples_us)

    @property
    def spread_us(self) -> tuple[float, float]:
        """10th and 90th percentile (interpolated between samples, so always within the measured range)."""
        q = statistics.quantiles(self.samples_us, n=10, method="inclusive")
        return q[0], q[-1]


def settle(max_s: float = SETTLE_S) -> bool:
    """Sleep until this process's other threads stop using CPU (those at SCHED_IDLE aside), at most max_s; True if
    they did."""
    end = time.perf_counter() + max_s
    while True:
        cpu = _contending_cpu_s()
        time.sleep(_SETTLE_SLICE_S)
        if _contending_cpu_s() - cpu < 0.1 * _SETTLE_SLICE_S:
            return True
        if time.perf_counter() >= end:
            return False


def _contending_cpu_s() -> float:
    """CPU seconds used so far by this process's threads that can take a core from others: all but the calling
    thread and those at SCHED_IDLE (the whole process's CPU time where threads cannot be listed)."""
    tids = thread_ids()
    if not tids:
        return time.process_time()
    me = threading.get_native_id()
    return sum(thread_cpu_s(t) for t in tids if t != me and not is_idle_class(t))


def interleaved(cases: dict[str, Callable[[], object]], runs: int = 30, warmup: int = 3,
                calls_per_run: int = 1, prime_s: float = PRIME_S, block: int = BLOCK,
                after_sample: Callable[[str], None] | None = None) -> dict[str, Timing]:
    """Time every case `runs` times, interleaved in blocks, after `warmup` untimed calls each.

    calls_per_run -- calls averaged into one sample (for calls too short for the clock)
    prime_s, block -- untimed calls of a case for this long before each block of this many samples of it, once
    the process's other threads are idle (`settle`; the module docstring)
    after_sample -- called with the case's name after each timed sample (e.g. to keep what that call measured
    of itself, and not what the warm-up and priming calls did)"""
    if runs < 2:
        raise ValueError("need at least 2 runs for a median and percentiles")
    names = list(cases)
    for name in names:
        for _ in range(warmup):
            cases[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for first in range(0, runs, block):
        k = first // block
        for name in names[k % len(names):] + names[:k % len(names)]:
            fn = cases[name]
            settle()
            primed_until = time.perf_counter() + prime_s
            while time.perf_counter() < primed_until:
                fn()
            for _ in range(min(block, runs - first)):
                t0 = time.perf_counter_ns()
                for _ in range(calls_per_run):
                    fn()
                samples[name].append((time.perf_counter_ns() - t0) / 1e3 / calls_per_run)
                if after_sample is not None:
                    after_sample(name)
    return {name: Timing(name, tuple(s)) for name, s in samples.items()}


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    """(fn(), seconds it took)."""
    t0 = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0
