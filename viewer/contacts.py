"""Qt-free foot contacts for the viewer's floor markers: which feet touch the floor in which frames.

A foot (the feet of `motion.joint_roles.roles_for`) touches the floor where it is within the foot lock's
height gate (`inference.rsmt.footlock`, 2.5 cm) of its planted height, the lowest 2% of its heights over the clip.
The gate is scaled to the clip's units by its body height (a 170 cm body: 2.5 cm), so metres and
centimetres alike work without knowing the units.
"""
from __future__ import annotations

import numpy as np

from inference.rsmt.footlock import HEIGHT_GATE_CM, contacts
from motion.joint_roles import JointRolesError, roles_for
from motion.motion import Motion

BODY_CM = 170.0


def foot_contacts(motion: Motion, positions_yup: np.ndarray, frames: np.ndarray) -> np.ndarray | None:
    """(F, N) bool over the N points of `positions_yup` (F, N, 3) (joints first, in skeleton order): True at a
    foot touching the floor in one of the `frames` ((F,) bool); None for a skeleton whose feet cannot be told."""
    try:
        roles = roles_for(motion.skeleton)
    except JointRolesError:
        return None
    height = positions_yup[..., 1]
    body = float(np.median(height.max(axis=1) - height.min(axis=1)))
    gate = HEIGHT_GATE_CM / BODY_CM * body
    out = np.zeros(positions_yup.shape[:2], bool)
    for foot in (roles.source_index[f] for f in roles.feet):
        path = positions_yup[:, foot]
        out[frames, foot] = contacts(path[frames], float(np.quantile(path[:, 1], 0.02)), gate)
    return out
