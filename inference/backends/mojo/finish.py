"""max-mojo's `inference.rsmt.finish.finish_frames`: a transition's post-processing in one call of the Mojo kernel
mojo/kernels/rsmt_finish.mojo (RSMT pose, canonical frame undone, landing, foot locking), instead of the numpy
reference's ~1,000 numpy calls (3-4 ms a request, as much as a 30-frame transition's networks on max-mojo).

Same contract and results to float32 rounding (the reference rounds to float32 between its functions, the kernel
keeps float64): tests/inference/test_inference_rsmt_finish.py.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from inference.backends.mojo.addresses import address
from inference.backends.mojo.build import extension
from inference.rsmt.finish import FinishInputs
from inference.rsmt.footlock import BLEND_FRAMES, legs
from inference.rsmt.postprocess import LANDING_FRAMES, kept_rotation_joints, swing_pairs
from motion.joint_roles import JointRoles


@lru_cache(maxsize=16)
def _tables(roles: JointRoles) -> tuple[np.ndarray, tuple[int, ...]]:
    """(parents, pos_rep_idx, swing child of each joint or -1, legs) as one int64 row, and the ankles in leg
    order."""
    swing = [-1] * roles.num_joints
    for j, child in swing_pairs(roles.parents, kept_rotation_joints(roles)):
        swing[j] = child
    chains = legs(roles.parents, roles.feet)
    row = np.array([*roles.parents, *roles.pos_rep_idx, *swing, *(j for leg in chains for j in leg)], np.int64)
    return row, tuple(a for _, _, a in chains)


def finish_frames(pos: np.ndarray, rot: np.ndarray, inputs: FinishInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`inference.rsmt.finish.finish_frames` in Mojo."""
    roles = inputs.roles
    nj, npos = roles.num_joints, len(roles.pos_rep_idx)
    pos = np.ascontiguousarray(pos, np.float32)
    rot = np.ascontiguousarray(rot, np.float32)
    nf = len(rot)
    if pos.shape != (nf, npos, 3) or rot.shape != (nf, nj, 6) or nf < 1:
        raise ValueError(f"finish_frames: pos {pos.shape} and rot {rot.shape}, expected (F, {npos}, 3) and (F, {nj}, 6)")
    table, ankles = _tables(roles)
    land, lock = inputs.key is not None, inputs.floors is not None
    key_rot, key_root = inputs.key if land else (np.zeros((nj, 4)), np.zeros(3))
    shapes = [np.shape(a) for a in (inputs.offsets, inputs.canon, inputs.centre, key_rot, key_root)]
    if shapes != [(nj, 3), (3, 3), (3,), (nj, 4), (3,)]:
        raise ValueError(f"finish_frames: offsets, canon, centre and keyframe of shapes {shapes}, expected "
                         f"{[(nj, 3), (3, 3), (3,), (nj, 4), (3,)]}")
    # the header of kernels.rsmt_finish (FRAMES ... HOLD_BLEND), then its tables
    spec = np.concatenate([[nf, nj, npos, land, LANDING_FRAMES, lock, len(ankles), BLEND_FRAMES], table]).astype(np.int64)
    floors = [inputs.floors[a] for a in ankles] if lock else [0.0] * len(ankles)
    params = np.concatenate([np.asarray(inputs.offsets, np.float64).ravel(), np.asarray(inputs.canon, np.float64).ravel(),
                             np.asarray(inputs.centre, np.float64).ravel(), [inputs.scale],
                             np.asarray(key_rot, np.float64).ravel(), np.asarray(key_root, np.float64).ravel(),
                             floors, [inputs.height_gate, inputs.pull_step, inputs.swing_share]])
    scratch = np.empty((nf, nj, 9))
    local, hip = np.empty((nf, nj, 4)), np.empty((nf, 3))
    network_positions = np.empty((nf, nj, 3), np.float32)
    io = np.array([address(a) for a in (pos, rot, scratch, local, hip, network_positions)], np.int64)
    extension().finish(address(spec), address(params), address(io))
    return local, hip, network_positions
