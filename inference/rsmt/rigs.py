"""Transitions between clips on any humanoid rig: clips that are not on the model's skeleton are retargeted
onto it (`motion.retarget`), and the frames the model makes are retargeted back onto the source clip's own
skeleton.

Back on the source's skeleton:
- the context frames are the source clip's own frames (at 30 fps), unchanged;
- the target frames are the target clip as the model saw it (retargeted onto the model's skeleton, then
  placed), retargeted onto the source's skeleton with the source's map; the generated frames go the same
  way, so the hand-over to the target is as smooth as the network made it;
- the generated frames also take back, fading out towards the keyframe, the difference between the source
  frame and its round trip through the model's skeleton (joints the map leaves out, such as CMU's collars and
  fingers, and the few centimetres an upper body moves on a rig with other proportions), so leaving the
  source does not pop: the same offset blend as `postprocess.land_on_target`, run backwards in time.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from inference.rsmt.clip_cache import clip_key
from inference.rsmt.postprocess import land_on_target
from motion.errors import MotionFileError
from motion.joint_map import JointMap
from motion.joint_roles import JointRoles
from motion.motion import Motion
from motion.resample import to_30fps
from motion.retarget import rest_clip, retarget
from motion.rotations import quat_make_continuous
from motion.skeleton import Skeleton

MODEL_RIG = "model skeleton"  # how maps and summaries name the model's side
_CACHE_SIZE = 8


def feature_order(roles: JointRoles, skeleton: Skeleton) -> tuple[int, ...] | str:
    """The skeleton's joint index of each model joint in feature order, or why the skeleton is not the model's
    (missing joints, another hierarchy)."""
    missing = [n for n in roles.names if n not in skeleton.names]
    if missing:
        return f"its skeleton lacks the model's joints {missing} (the model was trained on {list(roles.names)})"
    order = tuple(skeleton.index(n) for n in roles.names)
    if skeleton.parents[order[0]] != -1 or any(
            (skeleton.parents[order[j]] != order[p]) if p >= 0 else False for j, p in enumerate(roles.parents)):
        return "its joint hierarchy differs from the model's"
    return order


class ModelRig:
    """Clips onto a model's skeleton, cached per clip (its identity and content: `inference.rsmt.clip_cache.
    clip_key`), and transitions back onto the source's skeleton."""

    def __init__(self, roles: JointRoles, skeleton: Skeleton):
        self.roles = roles
        self.rest = rest_clip(skeleton, MODEL_RIG)
        self._cache: OrderedDict[tuple, tuple[Motion, Motion, JointMap, JointMap | None]] = OrderedDict()

    def onto_model(self, motion: Motion, maps: tuple[JointMap, ...] = ()) -> tuple[Motion, JointMap | None]:
        """`motion` itself when it is on the model's skeleton, else retargeted onto it with the first of `maps`
        that has both skeletons (found automatically when none has). RetargetError / MotionFileError name the
        file and the parts that could not be mapped."""
        if not isinstance(feature_order(self.roles, motion.skeleton), str):
            return motion, None
        joint_map = next((m for m in maps if self._fits(m, motion.skeleton)), None)
        key = (clip_key(motion), id(joint_map))
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit[1], hit[2]
        on_model, used = retarget(motion, self.rest, joint_map, target_where=MODEL_RIG)
        self._cache[key] = (motion, on_model, used, joint_map)  # holding both keeps their ids theirs
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return on_model, used

    def _fits(self, joint_map: JointMap, skeleton: Skeleton) -> bool:
        try:
            joint_map.rig_for(skeleton, None), joint_map.rig_for(self.rest.skeleton, None)
        except MotionFileError:
            return False
        return True


def onto_source(on_model: Motion, source: Motion, joint_map: JointMap, source_frame: int,
                generated: slice) -> Motion:
    """A transition made on the model's skeleton (`on_model`: context, generated, target frames at 30 fps)
    on the source clip's skeleton (see the module doc). source_frame: the 30 fps frame of the source clip the
    transition leaves from, the last context frame."""
    start, stop = generated.start, generated.stop
    back, _ = retarget(Motion(on_model.skeleton, on_model.rotations[start - 1:], on_model.translations[start - 1:],
                              on_model.fps), source, joint_map)
    src = to_30fps(source)
    ctx = slice(source_frame + 1 - start, source_frame + 1)
    rotations = np.concatenate([src.rotations[ctx], back.rotations[1:]])
    translations = np.concatenate([src.translations[ctx], back.translations[1:]])
    length = stop - start
    # the source frame's round-trip gap, faded out over the generated frames but the keyframe
    before = slice(length - 1, None, -1)  # back's frames source frame .. last generated but one, reversed
    joints = source.skeleton.num_joints
    rot, trans = land_on_target(back.rotations[before], back.translations[before].reshape(length, -1),
                                src.rotations[source_frame], src.translations[source_frame].reshape(-1),
                                blend_frames=length)
    rotations[start:stop - 1] = rot[::-1][1:]
    translations[start:stop - 1] = trans[::-1][1:].reshape(length - 1, joints, 3)
    rotations[start - 1:] = quat_make_continuous(rotations[start - 1:], axis=0)
    return Motion(source.skeleton, rotations, translations, on_model.fps, name=on_model.name)
