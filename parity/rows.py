"""One row of a parity report and the error measure every row uses."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class CompareRow:
    model: str
    output: str
    mode: str  # "single-step", "episode", "teacher-forced", "free-running"
    max_abs: float
    max_rel: float
    batch: int | None = None
    weights: str | None = None  # "default" (shipped) or "random"
    detail: dict = field(default_factory=dict)  # per-step / per-frame / per-joint arrays (as lists)


def errors(candidate: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(max abs difference, max abs difference / max |reference|)."""
    candidate, reference = np.asarray(candidate, np.float64), np.asarray(reference, np.float64)
    if candidate.shape != reference.shape:
        raise ValueError(f"output shapes differ: {candidate.shape} vs reference {reference.shape}")
    if candidate.size == 0:
        return 0.0, 0.0
    diff = float(np.max(np.abs(candidate - reference)))
    scale = float(np.max(np.abs(reference)))
    return diff, diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf"))
