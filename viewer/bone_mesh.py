"""Qt-free geometry of the shaded bones: one spindle per bone (the classic animation-package bone, a
double cone widest a fifth of the way from the parent joint), as triangles for a GL mesh.

Thickness follows the bone (a fifth of its length) up to a cap tied to the body height, so fingers stay
thin and long bones do not turn into barrels. Bones shorter than 1e-6 of the body height (End Sites at the
joint, coincident joints) are left out: their triangles would have no normal to shade with.
"""
from __future__ import annotations

import numpy as np

SIDES = 8  # sides of the spindle's ring
WIDEST_AT = 0.2  # fraction of the bone from the parent joint where it is widest
THICKNESS = 0.2  # ring radius / bone length
MAX_RADIUS = 0.035  # ring radius cap, as a fraction of the body height


def bone_triangles(pose: np.ndarray, pairs: np.ndarray, body_height: float) -> np.ndarray:
    """(B * 2 * SIDES, 3, 3) float32 triangles (outward winding) of the spindles of the (parent, child)
    `pairs` of one (J, 3) pose."""
    head, tail = pose[pairs[:, 0]].astype(np.float64), pose[pairs[:, 1]].astype(np.float64)
    axis = tail - head
    length = np.linalg.norm(axis, axis=-1)
    keep = length > 1e-6 * max(body_height, 1e-9)
    head, tail, axis, length = head[keep], tail[keep], axis[keep], length[keep]
    if not len(head):
        return np.zeros((0, 3, 3), np.float32)
    u = axis / length[:, None]
    helper = np.where(np.abs(u[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    a = np.cross(u, helper)
    a /= np.linalg.norm(a, axis=-1, keepdims=True)
    b = np.cross(u, a)
    radius = np.minimum(THICKNESS * length, MAX_RADIUS * body_height)[:, None, None]
    angles = 2 * np.pi * np.arange(SIDES) / SIDES
    ring = (head + WIDEST_AT * axis)[:, None] + radius * (np.cos(angles)[None, :, None] * a[:, None]
                                                          + np.sin(angles)[None, :, None] * b[:, None])
    nxt = np.roll(ring, -1, axis=1)
    to_head = np.stack([np.broadcast_to(head[:, None], ring.shape), nxt, ring], axis=2)  # (B, SIDES, 3, 3)
    to_tail = np.stack([np.broadcast_to(tail[:, None], ring.shape), ring, nxt], axis=2)
    return np.concatenate([to_head, to_tail], axis=1).reshape(-1, 3, 3).astype(np.float32)
