"""Timing helpers for comparing backends on a noisy, shared machine.

Run the contenders *interleaved* (A, B, A, B, ... with the order rotated every round) rather than one after
the other, so a burst of load from elsewhere hits all of them alike, and compare medians, not means.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable


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


def interleaved(cases: dict[str, Callable[[], object]], runs: int = 30, warmup: int = 3,
                calls_per_run: int = 1) -> dict[str, Timing]:
    """Time every case `runs` times, interleaved, after `warmup` untimed calls each.

    calls_per_run -- calls averaged into one sample (for calls too short for the clock)"""
    if runs < 2:
        raise ValueError("need at least 2 runs for a median and percentiles")
    names = list(cases)
    for name in names:
        for _ in range(warmup):
            cases[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(runs):
        for name in names[r % len(names):] + names[:r % len(names)]:
            fn = cases[name]
            t0 = time.perf_counter_ns()
            for _ in range(calls_per_run):
                fn()
            samples[name].append((time.perf_counter_ns() - t0) / 1e3 / calls_per_run)
    return {name: Timing(name, tuple(s)) for name, s in samples.items()}


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    """(fn(), seconds it took)."""
    t0 = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0
