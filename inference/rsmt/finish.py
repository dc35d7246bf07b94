"""A transition's generated frames from the sampler's outputs to local rotations and root positions on the
model's skeleton: RSMT's post-processing (`postprocess.rsmt_pose`), the canonical frame undone, the landing on
the target keyframe (`postprocess.land_on_target`) and foot locking (`footlock.lock_feet`).

`finish_frames` is the numpy reference that torch and ONNX Runtime run; a backend may bring its own
implementation of the same contract (`Backend.transition_finish`: max-mojo's runs in one Mojo call,
inference/backends/mojo/finish.py), checked against this one in the tests and by `compare`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inference.rsmt.footlock import HEIGHT_GATE_CM, PULL_STEP_CM, lock_feet
from inference.rsmt.postprocess import SWING_SHARE, land_on_target, local_rotations, rsmt_pose
from motion.joint_roles import JointRoles
from motion.rotations import matrix_to_quat


@dataclass(frozen=True)
class FinishInputs:
    """What finishing a transition's frames needs besides the sampler's outputs.

    roles    -- the model's joint roles (feature order)
    offsets  -- (J, 3) rest offsets of the source's joints in feature order, dataset units
    canon    -- (3, 3) the window's canonical rotation, centre (3,) its centre (dataset units): world p is
                canon^T p_canonical + centre
    scale    -- dataset units per file unit
    key      -- the target keyframe to land on (local quaternions (J, 4), root (3,), file units), or None
    floors   -- {ankle joint: planted height in file units} to lock feet on (`footlock.planted_heights`), or None
    swing_share -- `postprocess.swing_to_positions`' share (the app's SWING_SHARE)
    """

    roles: JointRoles
    offsets: np.ndarray
    canon: np.ndarray
    centre: np.ndarray
    scale: float
    key: tuple[np.ndarray, np.ndarray] | None
    floors: dict[int, float] | None
    swing_share: float = SWING_SHARE

    @property
    def height_gate(self) -> float:
        """footlock's contact gate in file units."""
        return HEIGHT_GATE_CM / self.scale

    @property
    def pull_step(self) -> float:
        """footlock's limit on the change of a foot's pull per frame, in file units."""
        return PULL_STEP_CM / self.scale


def finish_frames(pos: np.ndarray, rot: np.ndarray, inputs: FinishInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sampler's outputs pos (F, P, 3) of the pos_rep joints and rot (F, J, 6) global 6D rotations (canonical
    space, dataset units) -> (local quaternions (F, J, 4) float64, root positions (F, 3) float64 in file units,
    the networks' own joint positions (F, J, 3) float32 in file units: FK of the predicted rotations with the
    predicted positions put in, before any post-processing)."""
    roles, scale, canon, centre = inputs.roles, inputs.scale, inputs.canon, inputs.centre
    pose = rsmt_pose(pos, rot, roles, inputs.offsets, inputs.swing_share)
    world_rot = canon.T @ pose.rotations  # undo the canonical frame
    local = local_rotations(matrix_to_quat(world_rot).astype(np.float64), roles.parents)
    hip = (pose.positions[:, 0] @ canon + centre) / scale
    if inputs.key is not None:
        local, hip = land_on_target(local, hip, *inputs.key)
    if inputs.floors is not None:
        local = lock_feet(local, hip, inputs.offsets / scale, roles.parents, roles.feet, inputs.floors,
                          inputs.height_gate, inputs.pull_step)
    network_positions = ((pose.network_positions @ canon + centre) / scale).astype(np.float32)
    return np.asarray(local, np.float64), hip, network_positions
