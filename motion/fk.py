"""Forward kinematics: local joint transforms -> world rotations and positions, all frames at once.

The loop runs over the hierarchy's depth levels (`depth_levels`: every joint of a level has its parent in an
earlier one, so the parents' world transforms are ready); every step is vectorised over the level's joints
and the frames. Components are kept as separate contiguous (joints, frames) float64 rows, which is several
times faster than calling the general quaternion helpers on (frames, 4) views, and float64 keeps long chains
accurate. A 2752-frame, 31-joint CMU clip takes about 5-15 ms on a busy 2-core machine.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from motion.motion import Motion
from motion.skeleton import Skeleton


def depth_levels(parents) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The non-root joints grouped by depth below the root (joint 0; parents[j] < j): (joints, their parents)
    per level, shallowest first. What a per-joint loop over a hierarchy does in as many steps as it is deep."""
    return _depth_levels(tuple(int(p) for p in parents))


@lru_cache(maxsize=64)
def _depth_levels(parents: tuple[int, ...]) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    if not parents or parents[0] >= 0 or any(not 0 <= p < j for j, p in enumerate(parents) if j):
        raise ValueError(f"parents must be -1 for joint 0 and an earlier joint for every other, got {list(parents)}")
    depth = [0] * len(parents)
    for j in range(1, len(parents)):
        depth[j] = depth[parents[j]] + 1
    depth, parent = np.asarray(depth), np.asarray(parents)
    levels = []
    for d in range(1, int(depth.max(initial=0)) + 1):
        joints = np.flatnonzero(depth == d)
        joints.setflags(write=False)
        of = parent[joints]
        of.setflags(write=False)
        levels.append((joints, of))
    return tuple(levels)


def global_transforms(skeleton: Skeleton, rotations, translations) -> tuple[np.ndarray, np.ndarray]:
    """World rotations (F, J, 4) and world positions (F, J, 3), float32, from local ones.

    rotations    -- (F, J, 4) unit quaternions (w, x, y, z), each relative to its parent joint
    translations -- (F, J, 3) each joint's origin in its parent's frame (the root's in world space)
    """
    rotations, translations = np.asarray(rotations), np.asarray(translations)
    num_joints = skeleton.num_joints
    if rotations.ndim != 3 or rotations.shape[1:] != (num_joints, 4):
        raise ValueError(f"rotations must be (frames, {num_joints}, 4), got {rotations.shape}")
    if translations.shape != rotations.shape[:2] + (3,):
        raise ValueError(f"translations must be {rotations.shape[:2] + (3,)}, got {translations.shape}")
    return _world_transforms(skeleton.parents, rotations, translations)


def _world_transforms(parents, rotations: np.ndarray, translations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # (components, joints, frames): rot[c, j] is a contiguous row over frames
    rot = np.ascontiguousarray(rotations.transpose(2, 1, 0), dtype=np.float64)
    pos = np.ascontiguousarray(translations.transpose(2, 1, 0), dtype=np.float64)
    world_rot = np.empty_like(rot)
    world_pos = np.empty_like(pos)
    world_rot[:, 0] = rot[:, 0]
    world_pos[:, 0] = pos[:, 0]
    for joints, of in depth_levels(parents):
        pw, px, py, pz = world_rot[:, of]
        ox, oy, oz = world_pos[:, of]
        # child origin: parent origin + parent world rotation applied to the local translation
        # (v + 2w(u x v) + 2u x (u x v), with u the vector part)
        vx, vy, vz = pos[:, joints]
        tx = 2.0 * (py * vz - pz * vy)
        ty = 2.0 * (pz * vx - px * vz)
        tz = 2.0 * (px * vy - py * vx)
        world_pos[0, joints] = ox + vx + pw * tx + (py * tz - pz * ty)
        world_pos[1, joints] = oy + vy + pw * ty + (pz * tx - px * tz)
        world_pos[2, joints] = oz + vz + pw * tz + (px * ty - py * tx)
        # child world rotation: parent world rotation * local rotation
        lw, lx, ly, lz = rot[:, joints]
        world_rot[0, joints] = pw * lw - px * lx - py * ly - pz * lz
        world_rot[1, joints] = pw * lx + px * lw + py * lz - pz * ly
        world_rot[2, joints] = pw * ly - px * lz + py * lw + pz * lx
        world_rot[3, joints] = pw * lz + px * ly - py * lx + pz * lw
    return (np.ascontiguousarray(world_rot.transpose(2, 1, 0), dtype=np.float32),
            np.ascontiguousarray(world_pos.transpose(2, 1, 0), dtype=np.float32))


def world_positions(motion: Motion) -> np.ndarray:
    """World-space joint positions (F, J, 3) float32 in the clip's units (End Sites excluded)."""
    return global_transforms(motion.skeleton, motion.rotations, motion.translations)[1]


def forward_kinematics(local_rot: np.ndarray, root: np.ndarray, offsets: np.ndarray,
                       parents) -> tuple[np.ndarray, np.ndarray]:
    """Batched FK of poses given by bone offsets instead of a Skeleton: local rotations (B, T, J, 4), root
    positions (B, T, 3), per-sample offsets (B, J, 3), parents (J,) -> global positions (B, T, J, 3) and
    global quaternions (B, T, J, 4), float32 (`global_transforms`)."""
    b, t, j, _ = local_rot.shape
    if len(parents) != j:
        raise ValueError(f"{len(parents)} parents for {j} joints")
    trans = np.broadcast_to(offsets[:, None], (b, t, j, 3)).copy()
    trans[:, :, 0] = root
    quats, pos = _world_transforms(parents, local_rot.reshape(b * t, j, 4), trans.reshape(b * t, j, 3))
    return pos.reshape(b, t, j, 3), quats.reshape(b, t, j, 4)


def display_points(motion: Motion) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """World positions (F, J + E, 3), parents and names of every joint followed by every End Site."""
    from motion.rotations import quat_rotate

    skeleton = motion.skeleton
    world_rot, world_pos = global_transforms(skeleton, motion.rotations, motion.translations)
    ends = sorted(skeleton.end_sites)
    if not ends:
        return world_pos, skeleton.parents.copy(), list(skeleton.names)
    offsets = np.stack([skeleton.end_sites[j] for j in ends]).astype(np.float32)  # (E, 3)
    end_pos = world_pos[:, ends] + quat_rotate(world_rot[:, ends], offsets[None])
    positions = np.concatenate([world_pos, end_pos.astype(np.float32)], axis=1)
    parents = np.concatenate([skeleton.parents, np.asarray(ends, dtype=np.int64)])
    return positions, parents, list(skeleton.names) + [""] * len(ends)
