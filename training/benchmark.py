"""The transition benchmark (after RSMT benchmark.py): held-out windows of 65 frames, 10 past-context
frames, transition lengths 10, 20 and 40 whose last frame is the target keyframe (benchmark.py:
target_id = 10 + length, keyframe target_id - 1, scored frames 10..target_id-1); every method fills
the transition and is scored with `training.metrics` against the ground truth.

A method is a callable (windows, past, length) -> (global positions (B, length, J, 3), global
quaternions (B, length, J, 4)), windows being `training.datasets.benchmark_windows` output (canonical
"pos" (B, 65, J, 3) and "rot" (B, 65, J, 6)). "ground_truth" (the data itself: zero errors, and the
data's own foot-skate level) and "interpolation" are built in; a trained sampler is added the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from motion.rotations import matrix_to_quat, sixd_to_matrix
from training import metrics as M
from training.baseline import interpolation_transition

PAST = 10  # benchmark.py: n_past = 10, start_id = 10
LENGTHS = (10, 20, 40)  # benchmark.py Set_Condition_Metric

Method = Callable[[dict, int, int], tuple[np.ndarray, np.ndarray]]


@dataclass
class BenchmarkData:
    """Everything the metrics need besides the methods: held-out windows and training statistics."""

    windows: dict  # "pos" (N, T, J, 3), "rot" (N, T, J, 6), canonical
    parents: tuple[int, ...]
    feet: tuple[int, ...]
    pos_mean: np.ndarray  # (J, 3) benchmark position statistics (training windows)
    pos_std: np.ndarray
    skate_height: float  # foot-skate gate height H in the data's units
    foot_height: np.ndarray  # (len(feet),) planted height of each foot joint

    @property
    def num_windows(self) -> int:
        return len(self.windows["pos"])


def ground_truth_quats(windows: dict) -> np.ndarray:
    return matrix_to_quat(sixd_to_matrix(windows["rot"]))


def ground_truth_method(windows: dict, past: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    return windows["pos"][:, past:past + length], ground_truth_quats(windows)[:, past:past + length]


def interpolation_method(parents) -> Method:
    def run(windows: dict, past: int, length: int):
        return interpolation_transition(windows["pos"], windows["rot"], parents, past, length)
    return run


def embedded_benchmark(seed: int = 0) -> BenchmarkData:
    """Held-out transitions from the embedded DeepMimic clips (`training.datasets.embedded_dataset`:
    whole clips held out, with their mirrored and time-scaled copies), statistics from the training clips.
    Positions are in centimetres, so the official 2.5 cm gate applies as is."""
    from training.datasets import DEEPMIMIC_SCALE, benchmark_windows, embedded_dataset

    data = embedded_dataset(seed=seed)
    styles = data.styles
    test = benchmark_windows(data.test, data.roles, styles, with_phase=False)
    train = benchmark_windows(data.train, data.roles, styles, with_phase=False)
    from motion.features import position_statistics

    stats = position_statistics(train["pos"])
    return BenchmarkData(
        windows=test, parents=data.roles.parents, feet=data.roles.feet,
        pos_mean=np.asarray(stats["mean"]), pos_std=np.asarray(stats["std"]),
        skate_height=M.skate_height(DEEPMIMIC_SCALE / 100.0),
        foot_height=M.planted_foot_heights(train["pos"], data.roles.feet))


def run_benchmark(data: BenchmarkData, methods: dict[str, Method], lengths=LENGTHS, past: int = PAST) -> list[dict]:
    """Rows {"method", "length", "L2P", "L2Q", "NPSS", "foot_skate"} for every method and length."""
    if data.num_windows == 0:
        raise ValueError("no held-out benchmark windows")
    need = past + max(lengths)
    if data.windows["pos"].shape[1] < need:
        raise ValueError(f"benchmark windows have {data.windows['pos'].shape[1]} frames; {need} are needed")
    gt_quats = ground_truth_quats(data.windows)
    rows = []
    for name, method in methods.items():
        for length in lengths:
            pos, quats = method(data.windows, past, length)
            scores = M.transition_metrics(
                pos, quats, data.windows["pos"][:, past:past + length], gt_quats[:, past:past + length],
                gt_quats[:, past - 1], data.pos_mean, data.pos_std, data.feet, data.skate_height, data.foot_height)
            rows.append({"method": name, "length": length, **scores})
    return rows
