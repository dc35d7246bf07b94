"""Body-part mixing: extra training motions whose limbs come from different clips (`train --limb-mix K`).

Why: trained on the twelve short embedded clips, the manifold decoder learns those motions and nothing
beyond them. On clips it never saw, one decoder step from the true previous frame was worse than holding
the pose (assets/rsmt_lite/evaluation.md, "Manifold reconstruction"), so a transition that leaves the
training poses drifts. A mixed motion shows the decoder joint combinations no clip has: it keeps one
clip's root trajectory and spine and takes each limb from a training clip drawn at random (the base clip
itself included). Limbs are the subtrees hanging off the torso: the joints whose position RSMT computes by
FK of the torso (`JointRoles.rot_rep_idx`) that are not themselves spine segments, i.e. the hips (legs),
the neck (head) and the collars or shoulders (arms). Clips are aligned at their first frame and cut to the
shortest; the mixed motion then goes through the same pipeline as every clip (mirror and time-scale
copies, PAE phases computed from the mixed motion itself).

Not part of RSMT's pipeline (100STYLE has the variety our embedded data lacks); donors are training
clips only, never held-out ones.
"""
from __future__ import annotations

import numpy as np

from motion.joint_roles import JointRoles
from motion.motion import Motion


def limb_roots(roles: JointRoles) -> tuple[int, ...]:
    """Feature-order joints that start a limb: carried by the torso (rot_rep_idx) and parent of no other
    torso-carried joint (the spine segments are)."""
    spine = {roles.parents[j] for j in roles.rot_rep_idx}
    return tuple(j for j in roles.rot_rep_idx if j not in spine)


def subtree(parents, root: int) -> list[int]:
    """`root` and every joint below it (parents[j] < j, as in every Skeleton)."""
    members = {root}
    for j in range(root + 1, len(parents)):
        if parents[j] in members:
            members.add(j)
    return sorted(members)


def limb_mixes(motions: list[Motion], roles: JointRoles, per_clip: int, rng: np.random.Generator) -> list[Motion]:
    """`per_clip` mixed motions on each of `motions` (one skeleton, in `roles`' skeleton) as base, each limb
    from a motion drawn at random from `motions`; named "BASE+mixK"."""
    if per_clip < 1 or not motions:
        return []
    skeleton = motions[0].skeleton
    limbs = [subtree(skeleton.parents, roles.source_index[j]) for j in limb_roots(roles)]
    out = []
    for base in motions:
        for k in range(per_clip):
            donors = [motions[i] for i in rng.integers(len(motions), size=len(limbs))]
            frames = min([base.num_frames] + [d.num_frames for d in donors])
            rotations = base.rotations[:frames].copy()
            for joints, donor in zip(limbs, donors):
                rotations[:, joints] = donor.rotations[:frames, joints]
            out.append(Motion(skeleton, rotations, base.translations[:frames].copy(), base.fps,
                              name=f"{base.name}+mix{k}"))
    return out
