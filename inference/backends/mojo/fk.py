"""Forward kinematics in Mojo for the data pipeline: the same contract as motion.fk, many times faster.

The kernel (mojo/kernels/kinematics.mojo, called through the `motion_kernels` extension) walks each frame's
joints in order with float64 arithmetic, as motion/fk.py does. It is a plain CPython extension call on the
numpy buffers (about 0.1 us of overhead), not a MAX graph: for a data pipeline that beats a MAX custom op,
whose every execute costs 20-30 us of runtime dispatch (benchmarks/mojo_kernels.py measures both).
"""
from __future__ import annotations

import numpy as np

from inference.backends.mojo.addresses import address
from inference.backends.mojo.build import extension
from motion.motion import Motion
from motion.skeleton import Skeleton


def global_transforms(skeleton: Skeleton, rotations, translations) -> tuple[np.ndarray, np.ndarray]:
    """World rotations (F, J, 4) and world positions (F, J, 3), float32, from local ones.

    rotations    -- (F, J, 4) unit quaternions (w, x, y, z), each relative to its parent joint
    translations -- (F, J, 3) each joint's origin in its parent's frame (the root's in world space)
    """
    num_joints = skeleton.num_joints
    rotations = np.ascontiguousarray(rotations, dtype=np.float32)
    translations = np.ascontiguousarray(translations, dtype=np.float32)
    if rotations.ndim != 3 or rotations.shape[1:] != (num_joints, 4):
        raise ValueError(f"rotations must be (frames, {num_joints}, 4), got {rotations.shape}")
    if translations.shape != rotations.shape[:2] + (3,):
        raise ValueError(f"translations must be {rotations.shape[:2] + (3,)}, got {translations.shape}")
    parents = np.ascontiguousarray(skeleton.parents, dtype=np.int64)  # the kernel relies on parents[j] < j,
    # which Skeleton guarantees
    world_rot = np.empty_like(rotations)
    world_pos = np.empty_like(translations)
    extension().fk(address(parents), address(rotations), address(translations), address(world_rot),
                   address(world_pos), rotations.shape[:2])
    return world_rot, world_pos


def world_positions(motion: Motion) -> np.ndarray:
    """World-space joint positions (F, J, 3) float32 in the clip's units (End Sites excluded)."""
    return global_transforms(motion.skeleton, motion.rotations, motion.translations)[1]
