"""Write the retargeting fixture BVHs in this folder (run from the repository root:
`.venv/bin/python tests/data/retarget/make_fixtures.py`). Every rig is a small made-up humanoid (or not),
3 frames: 0 the rest pose, 1 left knee bent 60 degrees, left upper arm swung 45 degrees forward and the
spine bent 20 degrees forward, 2 the hips moved a third of their height forward and turned 90 degrees left.

mixamo_65.bvh   Mixamo names with the `mixamorig:` namespace, 65 joints (fingers, HeadTop_End), T-pose, cm
rigify.bvh      Blender Rigify deform bones (DEF-thigh.L, twist bones DEF-thigh.L.001, spine.001..006), A-pose
along_x.bvh     bones along each joint's local X with non-zero rest rotations (as Bandai Namco's rig): the
                zero pose folds every bone onto +X; frame 0 holds the standing pose
chain4.bvh      a 4-joint chain (not a humanoid)
quadruped.bvh   a four-legged animal with Left/Right front and hind feet (not a humanoid)
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from motion.bvh import write_bvh  # noqa: E402
from motion.motion import Motion  # noqa: E402
from motion.rotations import matrix_to_quat, quat_from_axis_angle, quat_inv, quat_mul, quat_rotate  # noqa: E402
from motion.skeleton import Skeleton  # noqa: E402

ROT = ("Zrotation", "Xrotation", "Yrotation")
POS = ("Xposition", "Yposition", "Zposition")


def _skeleton(joints) -> Skeleton:
    """joints: (name, parent name or None, offset) in parent-first order; root gets position channels."""
    names = [n for n, _, _ in joints]
    parents = [-1 if p is None else names.index(p) for _, p, _ in joints]
    channels = [POS + ROT if p is None else ROT for _, p, _ in joints]
    leaves = {j: np.float32([0, 5, 0]) for j in range(len(names)) if j not in parents}
    return Skeleton(names, parents, np.array([o for _, _, o in joints], np.float32), channels, leaves)


def _pose(sk: Skeleton, parts: dict, hips_height: float) -> tuple[np.ndarray, np.ndarray]:
    """The 3 frames (rotations (3, J, 4), translations (3, J, 3)) on a rig whose zero pose stands, Y up,
    facing +Z, left = +X."""
    rot = np.tile(np.float32([1, 0, 0, 0]), (3, sk.num_joints, 1))
    trans = np.broadcast_to(sk.offsets, (3, sk.num_joints, 3)).copy()
    trans[:, 0] = [0, hips_height, 0]
    x, y = np.float32([1, 0, 0]), np.float32([0, 1, 0])
    rot[1, sk.index(parts["knee"])] = quat_from_axis_angle(x, np.radians(60))     # shin swings back
    rot[1, sk.index(parts["arm"])] = quat_from_axis_angle(y, np.radians(-45))     # arm swings forward
    rot[1, sk.index(parts["spine"])] = quat_from_axis_angle(x, np.radians(20))    # lean forward
    rot[2, 0] = quat_from_axis_angle(y, np.radians(90))
    trans[2, 0] = [0, hips_height, hips_height / 3]
    return rot, trans


def _write(name: str, sk: Skeleton, rot, trans) -> None:
    write_bvh(Motion(sk, rot, trans, 30.0, name=name), HERE / f"{name}.bvh", precision=5)


def mixamo() -> None:
    ns = "mixamorig:"
    j = [("Hips", None, (0, 0, 0)), ("Spine", "Hips", (0, 10, 0)), ("Spine1", "Spine", (0, 12, 0)),
         ("Spine2", "Spine1", (0, 13, 0)), ("Neck", "Spine2", (0, 15, 0)), ("Head", "Neck", (0, 10, 0)),
         ("HeadTop_End", "Head", (0, 18, 0))]
    for side, sx in (("Left", 1), ("Right", -1)):
        j += [(f"{side}Shoulder", "Spine2", (sx * 6, 12, 0)), (f"{side}Arm", f"{side}Shoulder", (sx * 12, 0, 0)),
              (f"{side}ForeArm", f"{side}Arm", (sx * 27, 0, 0)), (f"{side}Hand", f"{side}ForeArm", (sx * 25, 0, 0))]
        for finger, dz in (("Thumb", 3), ("Index", 2), ("Middle", 0), ("Ring", -1.5), ("Pinky", -3)):
            parent = f"{side}Hand"
            for k in range(1, 5):
                j.append((f"{side}Hand{finger}{k}", parent, (sx * (4 if k == 1 else 3), 0, dz if k == 1 else 0)))
                parent = f"{side}Hand{finger}{k}"
        j += [(f"{side}UpLeg", "Hips", (sx * 9, -5, 0)), (f"{side}Leg", f"{side}UpLeg", (0, -42, 0)),
              (f"{side}Foot", f"{side}Leg", (0, -41, 0)), (f"{side}ToeBase", f"{side}Foot", (0, -7, 12)),
              (f"{side}Toe_End", f"{side}ToeBase", (0, 0, 7))]
    sk = _skeleton([(ns + n, None if p is None else ns + p, o) for n, p, o in j])
    assert sk.num_joints == 65, sk.num_joints
    rot, trans = _pose(sk, {"knee": ns + "LeftLeg", "arm": ns + "LeftArm", "spine": ns + "Spine"}, 95.0)
    _write("mixamo_65", sk, rot, trans)


def rigify() -> None:
    """Deform bones of a Rigify human, arms in an A-pose (45 degrees down), metres."""
    c = np.cos(np.radians(45))
    j = [("DEF-spine", None, (0, 0, 0)), ("DEF-spine.001", "DEF-spine", (0, 0.1, 0)),
         ("DEF-spine.002", "DEF-spine.001", (0, 0.12, 0)), ("DEF-spine.003", "DEF-spine.002", (0, 0.12, 0)),
         ("DEF-spine.004", "DEF-spine.003", (0, 0.16, 0)), ("DEF-spine.005", "DEF-spine.004", (0, 0.05, 0)),
         ("DEF-spine.006", "DEF-spine.005", (0, 0.06, 0))]
    for s, sx in (("L", 1), ("R", -1)):
        j += [(f"DEF-pelvis.{s}", "DEF-spine", (sx * 0.05, 0.05, 0)),
              (f"DEF-shoulder.{s}", "DEF-spine.003", (sx * 0.03, 0.12, 0)),
              (f"DEF-upper_arm.{s}", f"DEF-shoulder.{s}", (sx * 0.15, 0, 0)),
              (f"DEF-upper_arm.{s}.001", f"DEF-upper_arm.{s}", (sx * 0.14 * c, -0.14 * c, 0)),
              (f"DEF-forearm.{s}", f"DEF-upper_arm.{s}.001", (sx * 0.14 * c, -0.14 * c, 0)),
              (f"DEF-forearm.{s}.001", f"DEF-forearm.{s}", (sx * 0.13 * c, -0.13 * c, 0)),
              (f"DEF-hand.{s}", f"DEF-forearm.{s}.001", (sx * 0.13 * c, -0.13 * c, 0)),
              (f"DEF-thigh.{s}", "DEF-spine", (sx * 0.1, 0, 0)),
              (f"DEF-thigh.{s}.001", f"DEF-thigh.{s}", (0, -0.22, 0)),
              (f"DEF-shin.{s}", f"DEF-thigh.{s}.001", (0, -0.22, 0)),
              (f"DEF-shin.{s}.001", f"DEF-shin.{s}", (0, -0.2, 0)),
              (f"DEF-foot.{s}", f"DEF-shin.{s}.001", (0, -0.2, 0)),
              (f"DEF-toe.{s}", f"DEF-foot.{s}", (0, -0.05, 0.12))]
    sk = _skeleton(j)
    rot, trans = _pose(sk, {"knee": "DEF-shin.L", "arm": "DEF-upper_arm.L", "spine": "DEF-spine.001"}, 0.9)
    _write("rigify", sk, rot, trans)


def along_x() -> None:
    """A standing humanoid re-expressed with every bone along its joint's local +X: rest world rotation R_j
    turns +X onto the bone; offsets live in the parent's rotated frame, frame rotations are inv(R_p) R_j
    times the posed rotation, so frame 0 stands while the zero pose does not."""
    j = [("Hips", None, (0, 0, 0)), ("Spine", "Hips", (0, 20, 0)), ("Chest", "Spine", (0, 20, 0)),
         ("Neck", "Chest", (0, 15, 0)), ("Head", "Neck", (0, 10, 0))]
    for s, sx in (("L", 1), ("R", -1)):
        j += [(f"Shoulder_{s}", "Chest", (sx * 5, 12, 0)), (f"UpperArm_{s}", f"Shoulder_{s}", (sx * 12, 0, 0)),
              (f"LowerArm_{s}", f"UpperArm_{s}", (sx * 26, 0, 0)), (f"Hand_{s}", f"LowerArm_{s}", (sx * 22, 0, 0)),
              (f"UpperLeg_{s}", "Hips", (sx * 9, -4, 0)), (f"LowerLeg_{s}", f"UpperLeg_{s}", (0, -40, 0)),
              (f"Foot_{s}", f"LowerLeg_{s}", (0, -40, 0)), (f"Toes_{s}", f"Foot_{s}", (0, -6, 11))]
    world = _skeleton(j)
    rot, trans = _pose(world, {"knee": "LowerLeg_L", "arm": "UpperArm_L", "spine": "Spine"}, 90.0)
    # rest world rotation of each joint: +X onto the direction of its (first) child, twisted about it
    rest = np.empty((world.num_joints, 4), np.float32)
    for k in range(world.num_joints):
        kids = world.children(k)
        bone = world.offsets[kids[0]] if kids else world.offsets[k]
        x = bone / np.linalg.norm(bone)
        helper = np.float32([0, 0, 1]) if abs(x[2]) < 0.9 else np.float32([0, 1, 0])
        z = np.cross(x, helper)
        z /= np.linalg.norm(z)
        rest[k] = matrix_to_quat(np.stack([x, np.cross(z, x), z], axis=1))
    parents = world.parents
    offsets = np.array([world.offsets[k] if parents[k] < 0 else
                        quat_rotate(quat_inv(rest[parents[k]]), world.offsets[k]) for k in range(world.num_joints)])
    sk = Skeleton(list(world.names), parents, offsets, world.channels,
                  {k: np.float32([0, 0, 0]) for k in world.end_sites})
    local = np.empty_like(rot)
    for k in range(world.num_joints):
        p = parents[k]
        # the same world pose: G_k = S_k * rest_k with S the standing rig's world rotations, so the local
        # rotation is inv(rest_p) * rot_k * rest_k
        left = rest[p] if p >= 0 else np.float32([1, 0, 0, 0])
        local[:, k] = quat_mul(quat_mul(quat_inv(left), rot[:, k]), rest[k])
    trans2 = np.broadcast_to(sk.offsets, trans.shape).copy()
    trans2[:, 0] = trans[:, 0]
    _write("along_x", sk, local, trans2)


def chain4() -> None:
    sk = _skeleton([("Base", None, (0, 0, 0)), ("Link1", "Base", (0, 10, 0)), ("Link2", "Link1", (0, 10, 0)),
                    ("Tip", "Link2", (0, 10, 0))])
    rot = np.tile(np.float32([1, 0, 0, 0]), (2, 4, 1))
    _write("chain4", sk, rot, np.broadcast_to(sk.offsets, (2, 4, 3)).copy())


def quadruped() -> None:
    j = [("Pelvis", None, (0, 0, 0)), ("Spine", "Pelvis", (0, 0, 30)), ("Neck", "Spine", (0, 10, 20)),
         ("Head", "Neck", (0, 5, 10))]
    for s, sx in (("Left", 1), ("Right", -1)):
        for end, parent in (("Hind", "Pelvis"), ("Front", "Spine")):
            j += [(f"{s}{end}Leg", parent, (sx * 8, -5, 0)), (f"{s}{end}Knee", f"{s}{end}Leg", (0, -20, 0)),
                  (f"{s}{end}Foot", f"{s}{end}Knee", (0, -20, 0))]
    sk = _skeleton(j)
    rot = np.tile(np.float32([1, 0, 0, 0]), (2, sk.num_joints, 1))
    _write("quadruped", sk, rot, np.broadcast_to(sk.offsets, (2, sk.num_joints, 3)).copy())


if __name__ == "__main__":
    mixamo()
    rigify()
    along_x()
    chain4()
    quadruped()
