"""RSMT / DeepPhase motion features (numpy, Qt-free), following the official RSMT data code
(yuyujunjun/RSMT-Realtime-Stylized-Motion-Transition @d060ce2, src/Datasets/*, process_dataset.py,
add_phase_to_dataset.py).

Everything starts from *global* joint positions (F, J, 3) and global rotation matrices (F, J, 3, 3) in
feature joint order (`motion.joint_roles`), Y up, at 30 fps.

Facing. The facing direction of a frame is forward = (left_hip - right_hip) x up, flattened to XZ; the
"facing frame" rotates it about Y onto +X. (RSMT builds its reference vector from right - left, which
for 100STYLE points *backwards*, so its canonical character faces -X; ours faces +X. The two differ by
a fixed 180 degree yaw, which changes nothing for a model trained in one convention, but every feature
and statistic here uses ours.)

Feature kinds (per frame t, per joint j; J joints; all float32):
- window canonical space (BatchRotateYCenterXZ, used by the manifold and sampler windows):
  the whole window is rotated so the facing at frame `ref_frame` (10) is +X and shifted so the
  window-mean hip XZ is the origin. pos (T, J, 3) global positions, rot6d (T, J, 6) global rotations
  as the first two rows of the rotation matrix. Velocities are pos[t] - pos[t-1] (per frame, not per s).
- per-frame facing space (BatchProcessDatav2, the sampler's style-clip encoder input): each frame
  rotated by its own facing and centred on its own hip XZ; vel[t] = R_t (p[t+1] - p[t]).
- PAE input (DeepPhaseProcessor): local positions lp[t] = R_t (p[t] - hip_xz[t]);
  velocity v[t] = lp[t+1] - lp[t] (RSMT divides by dt and later by 30: the same number at 30 fps);
  a window of 61 velocities becomes (3J, 61), channel j*3 + xyz, minus its per-channel mean.
"""
from __future__ import annotations

import numpy as np

from motion.fk import global_transforms
from motion.joint_roles import JointRoles, reorder_motion
from motion.motion import Motion
from motion.rotations import matrix_to_6d, quat_to_matrix

FPS = 30.0
REF_FRAME = 10  # frame whose facing defines a window's canonical frame (StyleVAE_DataModule.py:237)
PAE_WINDOW = 61  # velocities per PAE window (train_deephase.py:86)
AMPLITUDE_SCALE = 10.0  # RSMT feeds the manifold A / 0.1 (StyleVAE_DataModule.py:193)


# --------------------------------------------------------------------------- global pose


def skeleton_config(roles: JointRoles, offsets: np.ndarray, scale: float) -> dict:
    """What the networks and inference need to know about a model's skeleton (JSON-able, stored in the weights):
    joint roles, rest offsets in feature order and model units, model units per source unit, frame rate."""
    return {"roles": roles.to_dict(), "offsets": np.asarray(offsets).tolist(), "position_scale": scale, "fps": FPS}

def global_pose(motion: Motion, roles: JointRoles, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """World positions (F, J, 3) times `scale` and world rotation matrices (F, J, 3, 3), feature order."""
    m = reorder_motion(motion, roles)
    quats, pos = global_transforms(m.skeleton, m.rotations, m.translations)
    return (pos * np.float32(scale)).astype(np.float32), quat_to_matrix(quats)


def facing_directions(pos: np.ndarray, roles: JointRoles) -> np.ndarray:
    """(..., J, 3) positions -> (..., 3) unit forward vectors in the XZ plane ((left - right) x up)."""
    d = pos[..., roles.left_hip, :] - pos[..., roles.right_hip, :]
    fwd = np.stack([-d[..., 2], np.zeros_like(d[..., 0]), d[..., 0]], axis=-1).astype(np.float64)
    norm = np.linalg.norm(fwd, axis=-1, keepdims=True)
    flat = norm[..., 0] < 1e-8  # hips stacked vertically: no facing, keep +X
    fwd = np.where(flat[..., None], np.array([1.0, 0.0, 0.0]), fwd / np.where(flat[..., None], 1.0, norm))
    return fwd


def yaw_to_x(forward: np.ndarray) -> np.ndarray:
    """(..., 3) unit XZ directions -> (..., 3, 3) rotations about Y taking each direction onto +X."""
    x, z = forward[..., 0], forward[..., 2]
    zero, one = np.zeros_like(x), np.ones_like(x)
    return np.stack([np.stack([x, zero, z], -1), np.stack([zero, one, zero], -1),
                     np.stack([-z, zero, x], -1)], -2)


# --------------------------------------------------------------------------- window canonical space

def canonicalize(pos: np.ndarray, rot: np.ndarray, roles: JointRoles,
                 ref_frame: int = REF_FRAME) -> tuple[np.ndarray, np.ndarray]:
    """Window(s) (..., T, J, 3) / (..., T, J, 3, 3) -> the same in the window's canonical frame:
    facing at `ref_frame` = +X, window-mean hip XZ at the origin (RSMT BatchRotateYCenterXZ).
    Returns positions (..., T, J, 3) and 6D rotations (..., T, J, 6)."""
    r = yaw_to_x(facing_directions(pos[..., ref_frame, :, :], roles))  # (..., 3, 3)
    centre = pos[..., :, roles.hips, :].mean(axis=-2)  # (..., 3)
    centre = centre * np.array([1.0, 0.0, 1.0])
    shifted = pos - centre[..., None, None, :]
    out_pos = np.einsum("...ij,...tkj->...tki", r, shifted)
    out_rot = np.einsum("...ij,...tkjl->...tkil", r, rot)
    return out_pos.astype(np.float32), matrix_to_6d(out_rot)


# --------------------------------------------------------------------------- per-frame facing space

def frame_facing(pos: np.ndarray, roles: JointRoles) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame facing rotations R_t (..., T, 3, 3) and local positions R_t (p_t - hip_xz_t) (..., T, J, 3)."""
    r = yaw_to_x(facing_directions(pos, roles))
    hip = pos[..., roles.hips:roles.hips + 1, :] * np.array([1.0, 0.0, 1.0])
    local = np.einsum("...ij,...kj->...ki", r, pos - hip)
    return r, local


def local_velocities(pos: np.ndarray, roles: JointRoles) -> np.ndarray:
    """PAE velocities (..., T-1, J, 3): lp[t+1] - lp[t], each lp in its own frame's facing space
    ("(V_i in R_i) - (V_(i-1) in R_(i-1))", DeepPhaseDataModule.py:27-34), per frame at 30 fps."""
    _, local = frame_facing(pos, roles)
    return (local[..., 1:, :, :] - local[..., :-1, :, :]).astype(np.float32)


def style_features(pos: np.ndarray, rot: np.ndarray, roles: JointRoles) -> dict[str, np.ndarray]:
    """Style-clip encoder features (RSMT BatchProcessDatav2 + transform_batch_to_input), frames aligned:
    pos (..., T-1, J, 3) = per-frame facing-space positions of frames 1..T-1; vel (..., T-1, J, 3) =
    R_t (p[t+1] - p[t]) for t = 0..T-2; rot (..., T-1, J, 6) = 6D of R_t @ rot of frames 1..T-1.
    The networks z-score them with `style_statistics` and drop the root joint."""
    r, local = frame_facing(pos, roles)
    vel = np.einsum("...ij,...kj->...ki", r[..., :-1, :, :], pos[..., 1:, :, :] - pos[..., :-1, :, :])
    grot = np.einsum("...ij,...kjl->...kil", r, rot)
    return {"pos": local[..., 1:, :, :].astype(np.float32), "vel": vel.astype(np.float32),
            "rot": matrix_to_6d(grot[..., 1:, :, :, :])}


# --------------------------------------------------------------------------- windows

def window_starts(num_frames: int, window: int, stride: int) -> np.ndarray:
    """Start frames of RSMT's sliding windows (WindowBasedLoader: a window starts at i while i + window < F)."""
    return np.arange(0, max(num_frames - window, 0), stride, dtype=np.int64)


def cut_windows(x: np.ndarray, window: int, stride: int) -> np.ndarray:
    """(F, ...) -> (N, window, ...) windows at `window_starts`."""
    starts = window_starts(len(x), window, stride)
    if len(starts) == 0:
        return np.zeros((0, window) + x.shape[1:], dtype=x.dtype)
    return np.stack([x[s:s + window] for s in starts])


def pae_input(velocity_windows: np.ndarray) -> np.ndarray:
    """(N, T, J, 3) velocity windows -> PAE input (N, 3J, T): channel j*3 + xyz, per-window mean removed
    (DeepPhaseDataModule.on_after_batch_transfer)."""
    n, t, j, _ = velocity_windows.shape
    x = velocity_windows.transpose(0, 2, 3, 1).reshape(n, 3 * j, t)
    return (x - x.mean(axis=-1, keepdims=True)).astype(np.float32)


def pae_training_windows(pos: np.ndarray, roles: JointRoles, window: int = PAE_WINDOW, stride: int = 60) -> np.ndarray:
    """PAE training set of one sequence: pose windows of window+1 = 62 frames, stride 60
    (process_dataset.py processDeepPhaseForStyle100(62, 2)), each giving 61 velocities -> (N, 3J, 61)."""
    vel = local_velocities(pos, roles)  # velocity i spans poses i, i+1
    starts = window_starts(len(pos), window + 1, stride)
    if len(starts) == 0:
        return np.zeros((0, 3 * roles.num_joints, window), np.float32)
    return pae_input(np.stack([vel[s:s + window] for s in starts]))


PHASE_LEAD = PAE_WINDOW // 2 + 1  # first frame of a sequence that gets a phase (31)


def phase_windows(pos: np.ndarray, roles: JointRoles, window: int = PAE_WINDOW) -> np.ndarray:
    """PAE input for every frame that has a full centred window (add_phase_to_dataset.py:44-51):
    row k is the window of velocities k .. k+window-1 and gives the phase of frame k + window//2 + 1,
    so frames window//2+1 .. F-window//2-1 (F - window of them) get a phase. (N, 3J, window)."""
    vel = local_velocities(pos, roles)
    n = len(vel) - window + 1
    if n <= 0:
        return np.zeros((0, 3 * roles.num_joints, window), np.float32)
    idx = np.arange(n)[:, None] + np.arange(window)[None, :]
    return pae_input(vel[idx])


def phase_frames(num_frames: int, window: int = PAE_WINDOW) -> slice:
    """The frames of a sequence that `phase_windows` gives a phase to, as a slice."""
    lead = window // 2 + 1
    return slice(lead, max(lead, num_frames - window + lead))


def phase_manifold(amplitude: np.ndarray, shift: np.ndarray, amplitude_scale: float = AMPLITUDE_SCALE) -> np.ndarray:
    """RSMT phase-manifold vectors A' (cos 2 pi S, sin 2 pi S) with A' = A * amplitude_scale:
    (..., P) amplitudes and phase shifts (cycles) -> (..., P, 2) (PhaseModule.phaseManifold)."""
    a = np.asarray(amplitude, np.float64) * amplitude_scale
    s = 2.0 * np.pi * np.asarray(shift, np.float64)
    return np.stack([a * np.cos(s), a * np.sin(s)], axis=-1).astype(np.float32)


# --------------------------------------------------------------------------- augmentation

def mirror_axes(offsets: np.ndarray, roles: JointRoles) -> np.ndarray:
    """(J,) per joint, the axis of its own frame along which it mirrors its partner: the axis-aligned
    reflection taking the joint's child offsets onto its partner's child offsets (`offsets` (J, 3), feature
    order). Symmetric rest poses (100STYLE, humanoid3d) give the rest lateral axis everywhere; rigs whose
    bones run along local X with mirrored frames (Maya-style, e.g. the Bandai Namco rig: left arm +X,
    right arm -X, hips lateral in Y, chest in Z) give each joint its own. Where several axes fit (one
    child along an axis, or none), the parent's is kept if it fits, else the first that fits."""
    offsets = np.asarray(offsets, np.float64)
    j = roles.num_joints
    children = [[c for c in range(j) if roles.parents[c] == k] for k in range(j)]
    scale = max(float(np.abs(offsets).max()), 1e-9)
    axes = np.zeros(j, np.int64)
    for k in range(j):
        inherited = roles.lateral_axis if roles.parents[k] < 0 else int(axes[roles.parents[k]])
        fits = []
        for a in range(3):
            flip = np.ones(3)
            flip[a] = -1.0
            err = max((np.abs(offsets[c] * flip - offsets[roles.mirror[c]]).max() for c in children[k]), default=0.0)
            fits.append(err / scale)
        ok = [a for a in range(3) if fits[a] < 2e-3]
        axes[k] = inherited if inherited in ok or not ok and fits[inherited] <= min(fits) else (ok or [int(np.argmin(fits))])[0]
    return axes


def mirror_global(pos: np.ndarray, rot: np.ndarray, roles: JointRoles,
                  offsets: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Left/right mirror of world-space poses (RSMT Mirror on global positions and rotations).

    Reflect world positions with W, the reflection across the plane normal to the skeleton's horizontal
    lateral axis (x when the rest lateral axis is y), and swap the left/right joints: p'_j = W p_m(j);
    rotations R'_j = W R_m(j) X_j, X_j the reflection of j's own mirror axis (`mirror_axes` of the rest
    `offsets`; without them every joint's is the rest lateral axis, which holds for symmetric skeletons
    such as 100STYLE and humanoid3d), so R'_j carries j's child offsets onto the mirrored children.
    Applying it twice is the identity."""
    world = np.ones(3)
    world[roles.lateral_axis if roles.lateral_axis != 1 else 0] = -1.0
    axes = mirror_axes(offsets, roles) if offsets is not None else np.full(roles.num_joints, roles.lateral_axis)
    local = np.ones((roles.num_joints, 3))
    local[np.arange(roles.num_joints), axes] = -1.0
    swap = list(roles.mirror)
    p = pos[..., swap, :] * world
    r = world[:, None] * rot[..., swap, :, :] * local[:, None, :]
    return p.astype(np.float32), r.astype(np.float32)


def temporal_scale(motion: Motion, gamma: float) -> Motion:
    """The motion played 1/gamma times as fast: about gamma times as many frames at the same fps
    (RSMT TemporalScale: slerp of local rotations, lerp of root positions)."""
    from motion.ops import resample

    if not gamma > 0:
        raise ValueError(f"temporal scale gamma must be positive, got {gamma}")
    out = resample(motion, motion.fps * gamma)
    return Motion(out.skeleton, out.rotations, out.translations, motion.fps, name=motion.name,
                  source=motion.source, warnings=list(out.warnings))


def random_temporal_scale(motion: Motion, rng: np.random.Generator) -> tuple[Motion, float]:
    """RSMT's TemporalScale augmentation (augmentation.py:47-72): crop a random span of T/2..T frames;
    gamma in [1, 2] if the span is shorter than 0.75 T, else in [0.5, 1]; scale it and cut to T frames.
    Returns the scaled motion and gamma."""
    from motion.ops import slice_frames

    t = motion.num_frames
    span = int(rng.integers(t // 2, t + 1))
    start = int(rng.integers(0, t - span + 1))
    gamma = float(rng.uniform(1.0, 2.0) if span < 0.75 * t else rng.uniform(0.5, 1.0))
    scaled = temporal_scale(slice_frames(motion, start, start + span), gamma)
    if scaled.num_frames > t:
        scaled = slice_frames(scaled, 0, t)
    return scaled, gamma


# --------------------------------------------------------------------------- normalisation statistics

def _mean_std(x: np.ndarray, joints: int) -> tuple[list, float]:
    """RSMT calculate_pos_statistic: mean over all frames per (joint, channel); std per (joint, channel)
    averaged to one scalar."""
    flat = x.reshape(-1, joints, x.shape[-1]).astype(np.float64)
    return flat.mean(axis=0).tolist(), float(flat.std(axis=0).mean())


def style_statistics(features: dict[str, np.ndarray]) -> dict:
    """Z-score statistics of the style-clip encoder input (RSMT motion_statistics.dat), from
    `style_features` of the training style clips: pos_mean (J, 3), vel_mean (J, 3), rot_mean (J, 6) as
    nested lists and scalar pos_std, vel_std, rot_std. JSON-able."""
    j = features["pos"].shape[-2]
    out = {}
    for key in ("pos", "vel", "rot"):
        mean, std = _mean_std(features[key], j)
        out[f"{key}_mean"], out[f"{key}_std"] = mean, max(std, 1e-8)
    return out


def position_statistics(pos_windows: np.ndarray) -> dict:
    """Benchmark position statistics for L2P (RSMT style100_benchmark_stat.dat, pos_stat): per
    (joint, axis) mean and std of canonical window positions (N, T, J, 3) of the training set
    (benchmark.py: "load train x_mean, x_std"). JSON-able: {"mean": (J,3), "std": (J,3)} lists."""
    j = pos_windows.shape[-2]
    flat = pos_windows.reshape(-1, j, 3).astype(np.float64)
    return {"mean": flat.mean(axis=0).tolist(), "std": np.maximum(flat.std(axis=0), 1e-8).tolist()}
