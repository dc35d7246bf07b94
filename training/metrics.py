"""RSMT's transition metrics (numpy only: no torch, no Qt), after the official benchmark.py of
yuyujunjun/RSMT-Realtime-Stylized-Motion-Transition (@d060ce2; read, not copied).

Every function compares a generated batch with the ground truth over the *transition frames only*
(the frames between the last past-context frame and the target keyframe), as arrays laid out
(batch, frames, joints, ...). Positions and rotations are *global* (world space), in the benchmark
window's canonical frame (RSMT BatchRotateYCenterXZ, `motion.features.canonicalize`): facing at
frame 10 = +X, window-mean hip XZ at the origin, Y up.

Metrics and how they relate to the official code:
- `l2p`: L2 norm over all joints and axes of the positions z-scored per (joint, axis) with the
  benchmark statistics (`motion.features.position_statistics` of the training windows), averaged over
  frames and batch. This is RSMT's enabled "gp" metric (GetPosLoss); its disabled GetLastPosLoss
  takes only the last frame.
- `l2q`: L2 norm over all joints and components of the global-quaternion difference, averaged over
  frames and batch, after both sequences are made sign-continuous in time starting from a common
  reference (the last context frame's ground-truth quaternions, as benchmark.py remove_disconti does).
  RSMT's disabled GetLastRotLoss takes only the last frame; averaging all frames is the LaFAN1 L2Q.
- `npss`: Normalised Power Spectrum Similarity (Gopalakrishnan et al. 2019) on the same sign-aligned
  global quaternions flattened to (batch, frames, joints*4): the Earth mover's distance between the
  normalised power spectra along time (power = squared *real part* of the FFT, as benchmark.py's
  fast_npss), averaged over batch and channels weighted by each ground-truth channel's total power.
  Note: benchmark.py calls fast_npss(generated, ground_truth), so its weights come from the generated
  motion's power; we weight by the ground truth as the metric's definition (and fast_npss's own
  docstring) says. The EMD itself is symmetric, and identical inputs give 0 either way.
- `foot_skate`: RSMT's skating_loss ("Contact"): the speed (units per frame) of each foot joint
  between consecutive transition frames, weighted by the height gate
  w = clamp(2 - 2^(h / H), 0, 1), h = |y - foot_height| of the later frame, summed and divided by the
  number of (frame, foot) entries with w > 0. The official code uses H = 2.5 with h = |y| on the
  100STYLE skeleton in centimetres (its feet are joints 3, 4, 7, 8: ankles and toes). `H` is given
  in the positions' units: `skate_height(units_per_cm)` scales the official 2.5 cm (the embedded
  DeepMimic data set is in centimetres, so H = 2.5 there; metre data would use 0.025).
  `foot_height` (our addition, 0 = official) is each foot joint's height above the floor when the
  foot is planted: humanoid3d's feet are its ankles, about 5 cm above the sole, so with h = |y| the
  gate (zero above 2.5 cm) would never open. A foot on the floor (gate 1) that moves scores its speed;
  a foot H or more above its planted height scores nothing.
"""
from __future__ import annotations

import numpy as np

OFFICIAL_SKATE_HEIGHT_CM = 2.5  # benchmark.py skating_loss: ratio = |y| / 2.5 on 100STYLE (centimetres)


def _f64(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _check_pair(generated: np.ndarray, ground_truth: np.ndarray, last: int, what: str) -> None:
    if generated.shape != ground_truth.shape:
        raise ValueError(f"{what}: generated {generated.shape} and ground truth {ground_truth.shape} differ in shape")
    if generated.ndim != 4 or generated.shape[-1] != last:
        raise ValueError(f"{what}: expected (batch, frames, joints, {last}), got {generated.shape}")
    if generated.shape[1] < 1:
        raise ValueError(f"{what}: no transition frames")


def skate_height(units_per_cm: float) -> float:
    """The official foot-skate gate height (2.5 cm) in a skeleton's units (1.0 for centimetres,
    0.01 for metres)."""
    return OFFICIAL_SKATE_HEIGHT_CM * float(units_per_cm)


def align_quaternions(q: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(B, T, J, 4) quaternions made sign-continuous along time, the chain starting from `reference`
    (B, J, 4) (benchmark.py remove_disconti: prepend the reference frame, flip every quaternion whose dot
    product with its predecessor is negative, drop the reference)."""
    q = _f64(q)
    prev = _f64(reference)
    out = np.empty_like(q)
    for t in range(q.shape[1]):
        cur = q[:, t]
        cur = np.where((np.sum(cur * prev, axis=-1) < 0.0)[..., None], -cur, cur)
        out[:, t] = cur
        prev = cur
    return out


def _aligned_pair(generated, ground_truth, reference) -> tuple[np.ndarray, np.ndarray]:
    generated, ground_truth = _f64(generated), _f64(ground_truth)
    _check_pair(generated, ground_truth, 4, "quaternions")
    ref = ground_truth[:, 0] if reference is None else _f64(reference)
    if ref.shape != ground_truth[:, 0].shape:
        raise ValueError(f"quaternion reference must be {ground_truth[:, 0].shape}, got {ref.shape}")
    return align_quaternions(generated, ref), align_quaternions(ground_truth, ref)


def l2p(generated, ground_truth, mean, std) -> float:
    """Mean over batch and frames of the L2 norm of z-scored position differences.

    generated, ground_truth (B, T, J, 3); mean, std (J, 3) benchmark statistics (per joint and axis)."""
    generated, ground_truth = _f64(generated), _f64(ground_truth)
    _check_pair(generated, ground_truth, 3, "positions")
    mean, std = _f64(mean), _f64(std)
    if mean.shape != generated.shape[2:] or std.shape != generated.shape[2:]:
        raise ValueError(f"position statistics must be {generated.shape[2:]}, got mean {mean.shape}, std {std.shape}")
    a = (generated - mean) / std
    b = (ground_truth - mean) / std
    return float(np.mean(np.sqrt(np.sum((a - b) ** 2, axis=(2, 3)))))


def l2q(generated, ground_truth, reference=None) -> float:
    """Mean over batch and frames of the L2 norm (all joints, 4 components) of the global-quaternion
    difference. generated, ground_truth (B, T, J, 4); reference (B, J, 4) the last context frame's
    ground-truth global quaternions (default: the ground truth's first transition frame)."""
    a, b = _aligned_pair(generated, ground_truth, reference)
    return float(np.mean(np.sqrt(np.sum((a - b) ** 2, axis=(2, 3)))))


def npss(generated, ground_truth, reference=None) -> float:
    """NPSS of global quaternions (B, T, J, 4) (see the module docstring); 0 for identical motion."""
    a, b = _aligned_pair(generated, ground_truth, reference)
    n, t = a.shape[:2]
    gen_power = np.real(np.fft.fft(a.reshape(n, t, -1), axis=1)) ** 2
    gt_power = np.real(np.fft.fft(b.reshape(n, t, -1), axis=1)) ** 2
    gen_total = gen_power.sum(axis=1)  # (B, C)
    gt_total = gt_power.sum(axis=1)
    # A channel with no power (constantly zero) has no spectrum; it gets weight 0 below.
    gen_cdf = np.cumsum(gen_power / np.where(gen_total > 0, gen_total, 1.0)[:, None], axis=1)
    gt_cdf = np.cumsum(gt_power / np.where(gt_total > 0, gt_total, 1.0)[:, None], axis=1)
    emd = np.sum(np.abs(gen_cdf - gt_cdf), axis=1)  # (B, C)
    if not np.any(gt_total > 0):
        return 0.0
    return float(np.average(emd, weights=gt_total))


def foot_skate(positions, feet, height: float, foot_height=0.0, up_axis: int = 1) -> float:
    """RSMT's foot-skating score of one motion batch (no ground truth needed).

    positions (B, T, J, 3) global positions over the transition frames; feet: indices of the contact
    joints; height: gate height H in the positions' units (`skate_height`); foot_height: scalar or
    (len(feet),) planted height of each foot joint (0 = the official |y|)."""
    pos = _f64(positions)
    if pos.ndim != 4 or pos.shape[-1] != 3:
        raise ValueError(f"positions: expected (batch, frames, joints, 3), got {pos.shape}")
    if not height > 0:
        raise ValueError(f"foot-skate gate height must be positive, got {height}")
    feet = list(feet)
    if not feet:
        raise ValueError("foot_skate needs at least one foot joint")
    if pos.shape[1] < 2:
        return 0.0
    foot = pos[:, :, feet]  # (B, T, K, 3)
    speed = np.linalg.norm(foot[:, 1:] - foot[:, :-1], axis=-1)  # (B, T-1, K)
    h = np.abs(foot[:, 1:, :, up_axis] - np.broadcast_to(_f64(foot_height), (len(feet),)))
    gate = np.clip(2.0 - np.power(2.0, h / height), 0.0, 1.0)
    count = max(int(np.count_nonzero(gate > 0)), 1)
    return float(np.sum(speed * gate) / count)


def planted_foot_heights(positions, feet, up_axis: int = 1, quantile: float = 0.01) -> np.ndarray:
    """Estimated planted height of each foot joint: a low quantile of its height over `positions`
    (..., J, 3), e.g. all training frames (a foot joint is lowest when its foot is flat on the floor)."""
    pos = _f64(positions)
    y = pos[..., list(feet), up_axis].reshape(-1, len(list(feet)))
    return np.quantile(y, quantile, axis=0)


def transition_metrics(generated_pos, generated_quat, gt_pos, gt_quat, reference_quat, mean, std,
                       feet, skate_gate_height: float, foot_height=0.0) -> dict[str, float]:
    """All four metrics of one method at one transition length: {"L2P", "L2Q", "NPSS", "foot_skate"}."""
    return {"L2P": l2p(generated_pos, gt_pos, mean, std),
            "L2Q": l2q(generated_quat, gt_quat, reference_quat),
            "NPSS": npss(generated_quat, gt_quat, reference_quat),
            "foot_skate": foot_skate(generated_pos, feet, skate_gate_height, foot_height)}
