"""Stylized motion transitions with RSMT: a source clip, a target keyframe and a style clip in, a playable
`Motion` out, through any backend (`inference.backends.base`).

Pipeline (`TransitionGenerator.generate`):
1. Clips at 30 fps (`motion.resample.to_30fps`), joints in the model's feature order
   (`motion.joint_roles`), world positions scaled to the training units (`RSMTModel.position_scale`).
   A clip on another humanoid rig is first retargeted onto the model's skeleton (`inference.rsmt.rigs`).
2. Target placement. The target keyframe comes from another clip, recorded somewhere else. "follow"
   (default) turns the target clip about the vertical so it faces where the source faces at the source
   frame, and moves it so its hips land where the source's hips get to when they keep their current
   horizontal velocity for `length` frames; "world" uses the target clip where it was recorded (right
   when source and target are two moments of one recording).
3. Canonical frame of the transition window (RSMT Running_LongSeq: the 10 context frames and the 2
   target frames): facing of the last context frame onto +X, mean hip XZ of the window at the origin
   (`motion.features.facing_directions` / `yaw_to_x`, as `motion.features.canonicalize`).
4. Phase of the last context frame from the PAE ("rsmt_phase") over the 61 velocities centred on it.
   At clip ends the window is padded: a looping DeepMimic clip (meta "loop" == "wrap") is continued
   with further cycles (`motion.resample.loop_cycles`); otherwise the first and last poses are held
   (zero velocity), which lowers the amplitude of the phase near the ends. Context frames before the
   clip's first frame are likewise that frame held.
5. Style code ("rsmt_sampler_style") of `style_frames` (120) frames of the style clip, the centred ones
   of a longer clip; a shorter one is looped or held like the phase window. A saved style code
   (`StyleFeatures.save`: the 119 un-normalised per-frame features) skips reading a clip.
6. Target code ("rsmt_sampler_target"), then the autoregressive rollout (`inference.rsmt.batch`): the warm-up
   on the context frames in one "rsmt_warmup" call (torch, ONNX Runtime, max-mojo; the MAX graphs have no such
   kind and run the step graph once per context frame, only its recurrent state used), then the step graph
   ("rsmt_sampler_step") once per generated frame, driven by the same Python loop for every backend; or, with
   `whole_rollout`, the generated frames from a backend's "rsmt_rollout" kind, one call per
   `cfg.max_transition` frames (its contract: inference/backends/max/graphs/rollout.py).
7. RSMT post-processing (`inference.rsmt.postprocess`), inverse kinematics to local rotations, and the
   canonical frame undone so the transition continues the source clip in world space; then (unless
   `land_on_target` is off) the last generated frames are blended onto the target keyframe so the last one is
   exactly the keyframe and the hand-over to the target clip does not pop, and (unless `lock_feet` is off)
   planted feet are held still (`inference.rsmt.footlock`). All of step 7 is `inference.rsmt.finish.finish_frames`,
   the numpy reference, or a backend's own implementation of it (`Backend.transition_finish`: max-mojo's is one
   Mojo call). A retargeted source: the frames are mapped
   back onto the source's own skeleton, its context frames unchanged (`inference.rsmt.rigs.onto_source`).

Length semantics are RSMT's: `length` generated frames follow the source frame and the last of them is
the network's rendition of the target keyframe; the output then carries on with the target clip from the
frame after the keyframe. Noise: N(0, 0.5^2) on the target embedding (RSMT's default), drawn from
numpy's generator seeded with `seed`, so the same request gives the same frames on every run.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from inference.backends.base import APP_BACKENDS, get_backend
from inference.networks.rsmt_config import TRANSITION_KINDS
from inference.rsmt.batch import WARMUP, RolloutInputs, rollout_batch
from inference.rsmt.clip_cache import ClipCache, checksum, clip_key
from inference.rsmt.finish import FinishInputs, finish_frames
from inference.rsmt.footlock import planted_heights
from inference.rsmt.models import RSMTModel
from inference.rsmt.rigs import ModelRig, feature_order, onto_source
from inference.rsmt.style_reference import library_path, read_reference, strengthened
from motion import features as F
from motion.errors import MotionFileError
from motion.files import read_json, read_npy
from motion.joint_map import JointMap
from motion.joint_roles import JointRoles
from motion.motion import FPS_RANGE, Motion
from motion.ops import resample, slice_frames
from motion.resample import hold_pad, loop_cycles, subsample_step, to_30fps
from motion.retarget import RetargetError, map_summary
from motion.rotations import matrix_to_6d, quat_make_continuous, quat_mul

MIN_LENGTH, MAX_LENGTH = 10, 60
PLACEMENTS = ("follow", "world")
STRENGTH_RANGE = (0.0, 3.0)  # style strengths a request takes (TransitionRequest.style_strength)
STYLE_CODE_FORMAT = "motion-studio-style-code"
NOISE_STD = 0.5  # TransitionNet: N(0, 0.5) target noise per sequence when none is given


def target_noise(seed: int, size: int) -> np.ndarray:
    """The sampler's target noise for a request's seed (float32, `size`): none for seed 0, the transition
    `evaluate` scores (RSMT's benchmark passes zeros too); for any other seed a variation, RSMT's N(0, 0.5)
    drawn from the seed. Why 0 is no noise: on the Bandai Namco model's held-out windows the noise costs
    accuracy: L2P at 40 frames 2.59 and 2.48 at seeds 1 and 2 against 2.44 without it (interpolation: 2.61;
    with the sampler shipped before, 2.74 and 2.62 against 2.57: below interpolation's floor);
    `evaluate --model bandai --transition-seed S`, assets/rsmt_bandai/evaluation.md."""
    if seed == 0:
        return np.zeros(size, np.float32)
    return (NOISE_STD * np.random.default_rng(seed).standard_normal(size)).astype(np.float32)


class TransitionError(ValueError):
    """The request cannot be met (bad length or frame, a clip on another skeleton, a bad style code)."""


class TransitionCancelled(Exception):
    """The progress callback asked to stop."""


# --------------------------------------------------------------------------- style codes

@dataclass
class StyleFeatures:
    """What the style encoder reads from a style clip, before normalisation: (style_frames - 1, J, 12)
    per-frame facing-space features [position 3 | velocity 3 | 6D rotation 6] (`motion.features.
    style_features`) in dataset units, feature joint order. Independent of the backend and of the
    weights' statistics, so one saved code serves any model trained on the same skeleton."""

    features: np.ndarray
    joints: tuple[str, ...]
    name: str = ""

    def save(self, path: str | Path) -> None:
        """`.npy` (the array alone) or `.json` (array, joint names and name), written atomically."""
        from motion.atomic import atomic_write

        path = Path(path)
        if path.suffix.lower() == ".npy":
            with atomic_write(path, "wb") as f:
                np.save(f, self.features.astype(np.float32))
        elif path.suffix.lower() == ".json":
            with atomic_write(path) as f:
                json.dump({"format": STYLE_CODE_FORMAT, "version": 1, "name": self.name, "joints": list(self.joints),
                           "features": self.features.astype(np.float32).tolist()}, f)
        else:
            raise TransitionError(f"{path}: a style code is saved as .npy or .json")

    @staticmethod
    def load(path: str | Path, roles: JointRoles, frames: int) -> "StyleFeatures":
        """A saved code, checked against the model's joints and style length (TransitionError naming the file)."""
        path = Path(path)
        shape = (frames, roles.num_joints, 12)
        if not path.is_file():
            raise TransitionError(f"{path}: style code file not found")
        try:
            if path.suffix.lower() == ".npy":
                features, joints, name = read_npy(path), tuple(roles.names), path.stem
            elif path.suffix.lower() == ".json":
                d = read_json(path)
                if not isinstance(d, dict) or d.get("format") != STYLE_CODE_FORMAT:
                    raise ValueError(f"not a style code (no \"format\": \"{STYLE_CODE_FORMAT}\")")
                features = np.asarray(d["features"], np.float32)
                joints, name = tuple(d.get("joints", roles.names)), str(d.get("name", path.stem))
            else:
                raise ValueError("a style code is a .npy or .json file")
        except MotionFileError as e:
            where = e.path if e.line is None else f"{e.path}:{e.line}"
            raise TransitionError(f"{where}: unreadable style code ({e.problem})") from None
        except (ValueError, KeyError, TypeError, OSError, UnicodeDecodeError) as e:
            raise TransitionError(f"{path}: unreadable style code ({e})") from None
        if features.shape != shape:
            raise TransitionError(f"{path}: style code has shape {features.shape}, this model needs {shape} "
                                  f"({frames} frames of {roles.num_joints} joints)")
        if joints != tuple(roles.names):
            raise TransitionError(f"{path}: style code is for joints {list(joints)}, the model has {list(roles.names)}")
        if not np.all(np.isfinite(features)):
            raise TransitionError(f"{path}: style code holds non-finite numbers")
        return StyleFeatures(features.astype(np.float32), joints, name)


# --------------------------------------------------------------------------- request and result

@dataclass
class TransitionRequest:
    """source_frame / target_frame index the clips at their own frame rate; negative counts from the end.
    style: a clip, its StyleFeatures, a saved style code path (.npy/.json) or None for the source clip.
    seed: 0 for the transition the evaluation scores, any other for a variation of it (`target_noise`).
    context_frames / target_frames: how many source frames (ending at the source frame) and target
    frames (after the keyframe) the result shows; None for all of them.
    whole_rollout: generate with the backend's "rsmt_rollout" graph instead of one step call per frame.
    land_on_target: end the generated frames exactly on the target keyframe (`inference.rsmt.postprocess.
    land_on_target`); off, the last generated frame is where the network put it.
    lock_feet: hold planted feet still during the generated frames (`inference.rsmt.footlock`).
    joint_maps: maps (motion.joint_map) to retarget clips that are not on the model's skeleton with; a clip
    none of them fits is mapped automatically (`inference.rsmt.rigs`).
    output_fps: the result's frame rate (None: the model's 30 fps). At a whole multiple of 30 the context frames
    are the source clip's own frames at that rate (a 120 fps source keeps all of them) and the rest is the
    30 fps result resampled (`motion.ops.resample`: rotations slerped); otherwise all of it is resampled.
    style_strength: 1 the style as it is; another value pushes its code from the model's `normal` motion
    (`style_reference.strengthened`: 0 is that motion's style, above 1 exaggerates), for models whose style library
    has that reference.
    """

    source: Motion
    target: Motion
    length: int = 30
    source_frame: int = -1
    target_frame: int = 0
    style: Motion | StyleFeatures | str | Path | None = None
    seed: int = 0
    backend: str = "torch"
    context_frames: int | None = None
    target_frames: int | None = None
    target_placement: str = "follow"
    whole_rollout: bool = False
    land_on_target: bool = True
    lock_feet: bool = True
    joint_maps: tuple[JointMap, ...] = ()
    output_fps: float | None = None
    style_strength: float = 1.0


@dataclass
class TransitionResult:
    """motion -- source context + generated frames + target frames on the source skeleton, 30 fps
    generated -- the slice of motion's frames the network made
    network -- raw network outputs of the generated frames (`NETWORK_OUTPUTS`): pos (L, n_pos, 3), rot
               (L, J, 6) canonical space and dataset units, phase / pred_phase (L, P, 2), A / F (L, P, 1)
    network_positions -- (L, J, 3) world positions (file units, feature joint order `joint_names`) of
               what the networks said, before the bone-length projection: the numbers to compare backends
    timings -- milliseconds: "load" (backend runners, only the first time a generator uses a backend),
               "prepare" (clips, placement, phase, style code), "rollout" (target code and the network
               steps, warm-up included), "postprocess" (to a Motion), "total" (all but "load"); and
               "ms_per_frame" = rollout / length
    retargeted -- clip role ("source", "target", "style") -> summary of the joint map that took that clip
               onto the model's skeleton (`motion.retarget.map_summary`); only clips that needed one. A
               retargeted source is mapped back: motion is on the source's skeleton (`inference.rsmt.rigs`);
               network, network_positions and joint_names stay the model's
    """

    motion: Motion
    generated: slice
    network: dict[str, np.ndarray]
    network_positions: np.ndarray
    joint_names: tuple[str, ...]
    timings: dict[str, float]
    backend: str
    seed: int
    retargeted: dict[str, dict] = field(default_factory=dict)

    @property
    def length(self) -> int:
        return self.generated.stop - self.generated.start

    @property
    def context_frames(self) -> int:
        return self.generated.start

    @property
    def target_frames(self) -> int:
        return self.motion.num_frames - self.generated.stop

    @property
    def generated_mask(self) -> np.ndarray:
        mask = np.zeros(self.motion.num_frames, bool)
        mask[self.generated] = True
        return mask

    @property
    def ms_per_frame(self) -> float:
        return self.timings["ms_per_frame"]


# --------------------------------------------------------------------------- clips

@dataclass
class _Clip:
    """A clip at 30 fps with its world pose in feature order and dataset units; what depends on the clip
    alone, so `TransitionGenerator` keeps it per clip (`inference.rsmt.clip_cache`)."""

    native: Motion  # as given
    motion: Motion  # at 30 fps
    roles: JointRoles  # the model's roles with this skeleton's joint indices
    pos: np.ndarray  # (F, J, 3)
    rot: np.ndarray  # (F, J, 3, 3)
    facing: np.ndarray  # (F, J, 3) each frame's positions in its own facing space (`motion.features.frame_facing`)
    turns: np.ndarray  # (F, 3, 3) each frame's turn about the vertical onto its facing space (the same function's)
    looped_facing: np.ndarray | None = None  # the same of a looping clip continued past its end (`_phase`)

    def frame(self, index: int, what: str) -> int:
        """A frame index of the native clip (negative from the end) -> the nearest 30 fps frame."""
        n = self.native.num_frames
        if not -n <= index < n:
            raise TransitionError(f"{what} frame {index} is out of range: the clip has {n} frames")
        t = (index % n) / self.native.fps
        return min(int(round(t * F.FPS)), self.motion.num_frames - 1)


@dataclass
class _Prepared:
    """One request's work before the sampler (`TransitionGenerator._prepare`), what its post-processing needs."""

    given: TransitionRequest  # as asked
    request: TransitionRequest  # its clips on the model's skeleton
    maps: dict  # clip role -> the joint map that took it there, or None
    retargeted: dict[str, dict]
    src: _Clip
    sf: int
    tgt: _Clip
    tf: int
    yaw: np.ndarray  # target placement (dataset units)
    shift: np.ndarray
    canon: np.ndarray  # canonical frame of the window
    centre: np.ndarray
    inputs: RolloutInputs


def _feature_roles(roles: JointRoles, motion: Motion, what: str) -> JointRoles:
    order = feature_order(roles, motion.skeleton)
    if isinstance(order, str):
        raise TransitionError(f"{what} clip {motion.source or motion.name!r}: {order}")
    return replace(roles, source_index=order)


def _extend(motion: Motion, roles: JointRoles, min_frames: int) -> Motion:
    """At least `min_frames` frames: further cycles of a looping DeepMimic clip, else held end poses (also for a
    1-frame clip, which has no cycle to repeat: its one frame would be the closing frame)."""
    if motion.num_frames >= min_frames:
        return motion
    if motion.meta.get("loop") == "wrap" and motion.num_frames > 1:
        return loop_cycles(motion, roles, min_frames)
    return hold_pad(motion, min_frames)


# --------------------------------------------------------------------------- the generator

class TransitionGenerator:
    """Generates transitions with one model; backend runners are loaded on first use and kept, and so is what
    each request derives from its clips alone (`clips`: 30 fps pose, PAE inputs, style features, style
    encoder outputs per backend; `inference.rsmt.clip_cache`)."""

    def __init__(self, model: RSMTModel, clips: ClipCache | None = None):
        self.model = model
        self.clips = clips if clips is not None else ClipCache()
        self._runners: dict[tuple[str, str], object] = {}
        self._kinds: dict[str, frozenset[str]] = {}
        self._rig: ModelRig | None = None
        self._finishers: dict[str, Callable] = {}

    # ---- backends ----------------------------------------------------------------------------
    def load(self, backend: str, whole_rollout: bool = False) -> None:
        """Load every runner a transition needs on `backend` now (BackendNotReady / WeightsError here)."""
        optional = ((WARMUP,) if self.has_kind(backend, WARMUP) else ()) + (("rsmt_rollout",) if whole_rollout else ())
        for kind in TRANSITION_KINDS + optional:
            self.runner(backend, kind)

    def has_kind(self, backend: str, kind: str) -> bool:
        """Whether `backend` has a network of `kind` at all (remembered: asked on every request)."""
        if backend not in self._kinds:
            self._kinds[backend] = frozenset(get_backend(backend).kinds())
        return kind in self._kinds[backend]

    def runner(self, backend: str, kind: str):
        key = (backend, kind)
        if key not in self._runners:
            weights = self.model.phase if kind == "rsmt_phase" else self.model.sampler
            self._runners[key] = get_backend(backend).load(kind, weights)
        return self._runners[key]

    # ---- clips -------------------------------------------------------------------------------
    def on_model(self, motion: Motion, what: str, maps: tuple[JointMap, ...] = ()) -> tuple[Motion, JointMap | None]:
        """`motion` on the model's skeleton: itself, or retargeted (cached per clip) with the map returned;
        TransitionError naming the clip's file and what could not be mapped."""
        if self._rig is None:
            self._rig = ModelRig(self.model.roles, self.model.skeleton)
        try:
            return self._rig.onto_model(motion, maps)
        except (RetargetError, MotionFileError) as e:
            raise TransitionError(f"{what} clip {motion.source or motion.name!r} is not on the model's skeleton "
                                  f"and cannot be retargeted onto it: {e}") from None

    def _clip(self, motion: Motion, what: str) -> _Clip:
        """`motion` (on the model's skeleton) at 30 fps with its pose, cached per clip (`clips`)."""
        def build() -> _Clip:
            roles = _feature_roles(self.model.roles, motion, what)
            m30 = to_30fps(motion)
            pos, rot = F.global_pose(m30, roles, self.model.position_scale)
            pos = pos.astype(np.float64)
            turns, facing = F.frame_facing(pos, roles)
            return _Clip(motion, m30, roles, pos, rot.astype(np.float64), facing, turns)

        return self.clips.get(("clip", clip_key(motion)), build)

    def style_features(self, style: Motion, name: str | None = None) -> StyleFeatures:
        """The style code of a clip: its centred `style_frames` frames at 30 fps (looped or held when shorter);
        a clip on another rig is retargeted onto the model's skeleton first. Cached per clip (`clips`)."""
        style = self.on_model(style, "style")[0]
        code = self.clips.get(("style", clip_key(style)), lambda: (style, self._style_code(style)))[1]
        return StyleFeatures(code.copy(), tuple(self.model.roles.names), name or style.name)

    def _style_code(self, style: Motion) -> np.ndarray:
        roles = _feature_roles(self.model.roles, style, "style")
        frames = self.model.cfg.style_frames
        native_needed = int(math.ceil(frames * style.fps / F.FPS)) + 2
        m30 = to_30fps(_extend(style, roles, native_needed))
        if m30.num_frames < frames:  # resampling rounded the frame count down
            m30 = to_30fps(_extend(style, roles, native_needed + int(math.ceil(style.fps / F.FPS)) + 2))
        start = (m30.num_frames - frames) // 2
        pos, rot = F.global_pose(m30, roles, self.model.position_scale)
        feats = F.style_features(pos[start:start + frames], rot[start:start + frames], roles)
        return np.concatenate([feats["pos"], feats["vel"], feats["rot"]], axis=-1).astype(np.float32)

    def style_outputs(self, backend: str, code: StyleFeatures) -> dict[str, np.ndarray]:
        """The style encoder's outputs ("rsmt_sampler_style") for a style code on `backend`, cached per code
        content and backend (copies: a backend may reuse its output buffers)."""
        def run() -> dict[str, np.ndarray]:
            out = self.runner(backend, "rsmt_sampler_style")(features=self._style_input(code))
            return {k: np.array(v, copy=True) for k, v in out.items()}

        return self.clips.get(("style outputs", backend, checksum(code.features)), run)

    def _strengthened(self, outputs: dict[str, np.ndarray], strength: float) -> dict[str, np.ndarray]:
        """The style's encoder outputs at `strength` (`inference.rsmt.style_reference`), from the reference the
        model's style library holds; TransitionError when it holds none."""
        path = library_path(self.model.folder)
        if path is None:
            raise TransitionError("a style strength other than 1 needs the model's style library (`styles build`); "
                                  f"{self.model.folder} has none")
        stat = path.stat()
        try:
            reference = self.clips.get(("style reference", str(path), stat.st_mtime_ns, stat.st_size),
                                       lambda: read_reference(path))
            if not reference:
                raise ValueError(f"{path}: the style library has no 'normal' style to measure a style strength from")
            pushed = strengthened(outputs, reference, strength)
        except ValueError as e:
            raise TransitionError(str(e)) from None
        return {k: np.asarray(v, np.float32) for k, v in pushed.items()}

    def _style_input(self, code: StyleFeatures) -> np.ndarray:
        """(1, 12(J-1), T-1) film-generator input: z-scored with the sampler's statistics, root dropped,
        channel c*(J-1) + (j-1) (TransitionSampler.style_input)."""
        t = self.model.sampler.tensors
        f = code.features.astype(np.float64)
        pos = (f[..., 0:3] - t["pos_mean"]) / t["pos_std"]
        vel = (f[..., 3:6] - t["vel_mean"]) / t["vel_std"]
        rot = (f[..., 6:12] - t["rot_mean"]) / t["rot_std"]
        data = np.concatenate([pos, vel, rot], axis=-1)[:, 1:]  # (T-1, J-1, 12)
        return data.transpose(2, 1, 0).reshape(1, -1, data.shape[0]).astype(np.float32)

    def _phase(self, clip: _Clip, frame: int, backend: str) -> np.ndarray:
        """(P, 2) phase-manifold vector of `frame` from the PAE over the 61 velocities centred on it."""
        half = F.PAE_WINDOW // 2 + 1  # 31 poses before the frame, 30 after (features.phase_windows)
        facing = clip.facing
        if frame + F.PAE_WINDOW - half >= len(facing) and clip.native.meta.get("loop") == "wrap":
            if clip.looped_facing is None:  # once per clip: long enough for a window on its last frame
                needed = int(math.ceil((len(facing) - 1 + F.PAE_WINDOW) * clip.native.fps / F.FPS)) + 2
                ext = to_30fps(_extend(clip.native, clip.roles, needed))
                pos = F.global_pose(ext, clip.roles, self.model.position_scale)[0].astype(np.float64)
                clip.looped_facing = F.frame_facing(pos, clip.roles)[1]
            facing = clip.looped_facing
        idx = np.clip(np.arange(frame - half, frame + F.PAE_WINDOW - half + 1), 0, len(facing) - 1)
        velocities = (facing[idx[1:]] - facing[idx[:-1]]).astype(np.float32)  # F.local_velocities of pos[idx]
        x = F.pae_input(velocities[None])
        out = self.runner(backend, "rsmt_phase")(x=x)
        return F.phase_manifold(out["a"][0, :, 0], out["p"][0, :, 0])

    # ---- generate ----------------------------------------------------------------------------
    def generate(self, request: TransitionRequest, progress: Callable[[int, int], bool | None] | None = None
                 ) -> TransitionResult:
        """The transition `request` asks for. progress(done, total) counts the sampler's steps, the warm-up
        on the context and then the generated frames (`total_steps`): called with 0 before the first network
        call, then after every step (every graph call on the whole-rollout path); returning False stops with
        TransitionCancelled at that point."""
        total = self.total_steps(_check_request(request))

        def step_done(done: int) -> None:
            if progress is not None and progress(done, total) is False:
                raise TransitionCancelled(f"cancelled after {done} of {total} steps")

        step_done(0)
        t_load = time.perf_counter()
        self.load(request.backend, request.whole_rollout)
        t_start = time.perf_counter()
        prepared = self._prepare(request)
        t_rollout = time.perf_counter()
        net = rollout_batch(self, request.backend, [prepared.inputs], request.whole_rollout, step_done)[0]
        return self._finish(prepared, net, t_load, t_start, t_rollout, time.perf_counter())

    def generate_batch(self, requests: list[TransitionRequest]) -> list[TransitionResult | Exception]:
        """The transitions `requests` ask for (one backend and rollout path, any lengths), their sampler work
        in one batch (`inference.rsmt.batch`): baking. Each request's outcome in its place: its result, or
        the error that stopped it (a bad request never stops the others). Each result's "rollout" timing is
        its share of the batch's; "load" is not timed per item (0)."""
        if not requests:
            return []
        backend, whole = requests[0].backend, requests[0].whole_rollout
        if any((r.backend, r.whole_rollout) != (backend, whole) for r in requests):
            raise ValueError("a batch of transitions runs on one backend and one rollout path")
        self.load(backend, whole)
        outcomes: list = []
        for request in requests:
            t_start = time.perf_counter()
            try:
                _check_request(request)
                outcomes.append((self._prepare(request), t_start, time.perf_counter()))
            except ValueError as e:  # a bad request: TransitionError, MotionFileError, RetargetError, ...
                outcomes.append(e)
        ready = [i for i, o in enumerate(outcomes) if not isinstance(o, Exception)]
        t_rollout = time.perf_counter()
        nets = rollout_batch(self, backend, [outcomes[i][0].inputs for i in ready], whole)
        share = (time.perf_counter() - t_rollout) / max(len(ready), 1)
        for i, net in zip(ready, nets):
            prepared, t_start, t_prepared = outcomes[i]
            try:
                outcomes[i] = self._finish(prepared, net, t_start, t_start, t_prepared, t_prepared + share,
                                           post_start=time.perf_counter())
            except ValueError as e:
                outcomes[i] = e
        return outcomes

    def _prepare(self, request: TransitionRequest) -> _Prepared:
        """Everything before the sampler: the clips on the model's skeleton at 30 fps, the placed target, the
        canonical window, phase, style code and noise."""
        given, retargeted, maps = request, {}, {}
        clips = {"source": request.source, "target": request.target}
        if isinstance(request.style, Motion):
            clips["style"] = request.style
        for role, clip in clips.items():
            clips[role], maps[role] = self.on_model(clip, role, request.joint_maps)
            if maps[role] is not None:
                retargeted[role] = map_summary(maps[role], clip.skeleton)
        request = replace(request, **clips)
        cfg, roles = self.model.cfg, self.model.roles
        src = self._clip(request.source, "source")
        tgt = self._clip(request.target, "target")
        sf, tf = src.frame(request.source_frame, "source"), tgt.frame(request.target_frame, "target")
        backend, length = request.backend, request.length
        style = self.style_outputs(backend, self._style_features(request))
        if request.style_strength != 1.0:
            style = self._strengthened(style, request.style_strength)

        # target placement (dataset units), of the two target frames the window holds
        yaw, shift = _placement(request.target_placement, src, sf, tgt, tf, length, cfg.past_frames)
        c = cfg.past_frames
        ctx_idx = np.clip(np.arange(sf - c + 1, sf + 1), 0, None)
        tgt_idx = np.array([max(tf - 1, 0), tf])
        tpos = tgt.pos[tgt_idx] @ yaw.T + shift
        trot = yaw @ tgt.rot[tgt_idx]

        # canonical frame of the window: C context frames and the two target frames
        window_pos = np.concatenate([src.pos[ctx_idx], tpos])
        canon, centre = canonical_frame(window_pos, roles, c - 1)
        cpos = (window_pos - centre) @ canon.T
        crot = matrix_to_6d(canon @ np.concatenate([src.rot[ctx_idx], trot]))

        phase = self._phase(src, sf, backend)
        noise = target_noise(request.seed, 2 * cfg.state_out)
        return _Prepared(given, request, maps, retargeted, src, sf, tgt, tf, yaw, shift, canon, centre,
                         RolloutInputs(cpos, crot, phase, style, noise, length))

    def _finish(self, p: _Prepared, net: dict[str, np.ndarray], t_load: float, t_start: float, t_rollout: float,
                t_post: float, post_start: float | None = None) -> TransitionResult:
        """The generated frames `net` as a Motion on the source's skeleton (landing, foot locking, back onto
        the source's rig), with the timings of the stages (seconds from perf_counter; the post-processing
        is timed from `post_start`, default `t_post`)."""
        post_start = t_post if post_start is None else post_start
        request, roles, scale = p.request, self.model.roles, self.model.position_scale
        src, sf, tgt, tf, yaw, shift, canon, centre = p.src, p.sf, p.tgt, p.tf, p.yaw, p.shift, p.canon, p.centre
        offsets = request.source.skeleton.offsets[list(src.roles.source_index)].astype(np.float64) * scale
        t_end = tgt.motion.num_frames if request.target_frames is None else min(tgt.motion.num_frames,
                                                                               tf + 1 + request.target_frames)
        placed_rot, placed_root = _placed_target(tgt, tf, t_end, yaw, shift / scale)  # the keyframe, then the rest
        key = (placed_rot[0], placed_root[0]) if request.land_on_target else None
        floors = self._planted_heights(src, tgt) if request.lock_feet else None
        inputs = FinishInputs(roles, offsets, canon, centre, scale, key, floors)
        local, hip, network_positions = self._finisher(request.backend)(net["pos"], net["rot"], inputs)
        motion, generated = _assemble(request, src, sf, local, hip, placed_rot[1:], placed_root[1:])
        if p.maps["source"] is not None:
            motion = onto_source(motion, p.given.source, p.maps["source"], sf, generated)
        if request.output_fps is not None and request.output_fps != motion.fps:
            motion, generated = _at_fps(motion, generated, p.given.source, sf, request.output_fps)
        t_end = time.perf_counter()
        post = t_end - post_start
        timings = {"load": 1e3 * (t_start - t_load), "prepare": 1e3 * (t_rollout - t_start),
                   "rollout": 1e3 * (t_post - t_rollout), "postprocess": 1e3 * post,
                   "total": 1e3 * (t_post - t_start + post),
                   "ms_per_frame": 1e3 * (t_post - t_rollout) / request.length}
        return TransitionResult(motion, generated, net, network_positions, tuple(roles.names), timings,
                                request.backend, request.seed, p.retargeted)

    def _finisher(self, backend: str):
        """The backend's post-processing (`Backend.transition_finish`), else the numpy reference (remembered)."""
        if backend not in self._finishers:
            self._finishers[backend] = get_backend(backend).transition_finish() or finish_frames
        return self._finishers[backend]

    def _planted_heights(self, src: _Clip, tgt: _Clip) -> dict[int, float]:
        """Foot locking's planted ankle heights over the two clips joined (`footlock.planted_heights`), kept per
        pair of clips (the entry holds both, so their ids stay theirs while it is kept)."""
        scale = self.model.position_scale
        return self.clips.get(("planted heights", id(src), id(tgt)),
                              lambda: (src, tgt, planted_heights(self.model.roles, [src.pos, tgt.pos], scale)))[2]

    def total_steps(self, length: int) -> int:
        """The sampler steps of a transition of `length` frames: the warm-up on the context, then one a frame."""
        return self.model.cfg.past_frames - 2 + length

    def _style_features(self, request: TransitionRequest) -> StyleFeatures:
        style = request.style if request.style is not None else request.source
        if isinstance(style, StyleFeatures):
            shape = (self.model.cfg.style_frames - 1, self.model.roles.num_joints, 12)
            if style.features.shape != shape or style.joints != tuple(self.model.roles.names):
                raise TransitionError(f"style code {style.name!r} has shape {style.features.shape} for joints "
                                      f"{list(style.joints)}; this model needs {shape} for "
                                      f"{list(self.model.roles.names)}")
            return style
        if isinstance(style, (str, Path)):
            path = Path(style)
            try:
                stat = path.stat()
                key = ("style file", str(path.resolve()), stat.st_mtime_ns, stat.st_size)
            except OSError:  # StyleFeatures.load says what is wrong with it
                key = ("style file", str(path), None, None)
            return self.clips.get(key, lambda: StyleFeatures.load(path, self.model.roles, self.model.cfg.style_frames - 1))
        return self.style_features(style)


def backend_status() -> dict[str, str]:
    """Backend name (APP_BACKENDS) -> "" when it can run a transition now, else why not (not compiled,
    not built). A job for a worker thread: it may create MAX's session."""
    status = {}
    for name in APP_BACKENDS:
        try:
            backend = get_backend(name)
        except (KeyError, ValueError, ImportError):  # e.g. max-mojo before its backend is registered
            status[name] = "not available"
            continue
        missing = [k for k in TRANSITION_KINDS if not backend.ready(k)]
        status[name] = f"not compiled: {', '.join(missing)} (python main.py compile)" if missing else ""
        if not missing and hasattr(backend, "store"):
            # MAX's InferenceSession() holds the GIL for ~100 ms (measured): make it now, while nothing is
            # asked of the GUI, instead of in the middle of the first MAX transition or compare
            backend.store.session()
    return status


def canonical_frame(window_pos: np.ndarray, roles: JointRoles, ref_frame: int) -> tuple[np.ndarray, np.ndarray]:
    """(R (3, 3), centre (3,)) of a window (T, J, 3): canonical positions are R (p - centre), canonical
    rotations R @ rot, as `motion.features.canonicalize` with the facing of `ref_frame`."""
    rot = F.yaw_to_x(F.facing_directions(window_pos[ref_frame], roles))
    centre = window_pos[:, roles.hips].mean(axis=0) * np.array([1.0, 0.0, 1.0])
    return rot, centre


def _check_request(request: TransitionRequest) -> int:
    length = request.length
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or not MIN_LENGTH <= length <= MAX_LENGTH:
        raise TransitionError(f"transition length must be {MIN_LENGTH}..{MAX_LENGTH} frames (at 30 fps), got {length}")
    if request.target_placement not in PLACEMENTS:
        raise TransitionError(f"target placement must be one of {', '.join(PLACEMENTS)}, "
                              f"got {request.target_placement!r}")
    for name in ("context_frames", "target_frames"):
        value = getattr(request, name)
        if value is not None and value < (1 if name == "context_frames" else 0):
            raise TransitionError(f"{name} must be {'at least 1' if name == 'context_frames' else 'non-negative'}, "
                                  f"got {value}")
    strength = request.style_strength
    if isinstance(strength, bool) or not isinstance(strength, (int, float, np.floating)) or \
            not STRENGTH_RANGE[0] <= strength <= STRENGTH_RANGE[1]:
        raise TransitionError(f"style strength must be {STRENGTH_RANGE[0]:g}..{STRENGTH_RANGE[1]:g}, got {strength!r}")
    fps = request.output_fps
    if fps is not None and not (isinstance(fps, (int, float, np.floating)) and FPS_RANGE[0] <= fps <= FPS_RANGE[1]):
        raise TransitionError(f"output fps must be {FPS_RANGE[0]:g}..{FPS_RANGE[1]:g}, got {fps!r}")
    return int(length)


def _placement(how: str, src: _Clip, sf: int, tgt: _Clip, tf: int, length: int, past: int):
    """(yaw (3, 3), shift (3,)) taking the target clip's world positions p to yaw p + shift."""
    if how == "world":
        return np.eye(3), np.zeros(3)
    roles = src.roles
    yaw = src.turns[sf].T @ tgt.turns[tf]
    k = min(sf, past - 1)
    velocity = (src.pos[sf, roles.hips] - src.pos[sf - k, roles.hips]) / max(k, 1)
    goal = src.pos[sf, roles.hips] + velocity * length
    shift = goal - yaw @ tgt.pos[tf, roles.hips]
    shift[1] = 0.0
    return yaw, shift


def _assemble(request: TransitionRequest, src: _Clip, sf: int, local: np.ndarray, hip: np.ndarray,
              target_rot: np.ndarray, target_root: np.ndarray) -> tuple[Motion, slice]:
    """Context + generated + target frames on the source skeleton (the target's placed frames after the keyframe:
    `_placed_target`). Source joints the model does not know hold their pose of the source frame."""
    sk = request.source.skeleton
    order = list(src.roles.source_index)
    n_ctx = sf + 1 if request.context_frames is None else min(request.context_frames, sf + 1)
    ctx_rot = src.motion.rotations[sf + 1 - n_ctx: sf + 1]
    ctx_trans = src.motion.translations[sf + 1 - n_ctx: sf + 1]

    def on_source(rotations: np.ndarray, root: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(rotations)
        rot = np.repeat(src.motion.rotations[sf:sf + 1], n, axis=0)
        trans = np.repeat(sk.offsets[None], n, axis=0)
        rot[:, order] = rotations
        trans[:, 0] = root
        return rot, trans

    gen_rot, gen_trans = on_source(local, hip)
    tgt_rot, tgt_trans = on_source(target_rot, target_root)
    tail = quat_make_continuous(np.concatenate([ctx_rot[-1:], gen_rot, tgt_rot]), axis=0)[1:]
    rotations = np.concatenate([ctx_rot, tail])
    translations = np.concatenate([ctx_trans, gen_trans, tgt_trans])
    name = f"{request.source.name or 'source'}_to_{request.target.name or 'target'}"
    motion = Motion(sk, rotations, translations, F.FPS, name=name)
    return motion, slice(n_ctx, n_ctx + len(local))


def _at_fps(motion: Motion, generated: slice, source: Motion, source_frame: int, fps: float
           ) -> tuple[Motion, slice]:
    """A 30 fps result (context, generated, target frames) at `fps`, and where its generated frames are: the
    generated frames are those after the last context frame up to the last generated one's time. When `fps`
    is the source clip's own rate and a whole multiple of 30, the context frames are the source's own (the 30 fps
    context is every k-th of them, `motion.resample.to_30fps`), the rest is resampled from the last context
    frame on; otherwise the whole clip is resampled."""
    n_ctx, length, ratio = generated.start, generated.stop - generated.start, fps / motion.fps
    k = subsample_step(fps)
    if source.fps == fps and k is not None:
        ratio = k  # to_30fps kept every k-th source frame: 30 fps frame i is source frame k i, exactly
        first = (source_frame + 1 - n_ctx) * k  # the source frame of the first 30 fps context frame
        context = slice(first, source_frame * k + 1)
        tail = resample(slice_frames(motion, n_ctx - 1, motion.num_frames), motion.fps * k)  # starts on frame sf k
        out = Motion(motion.skeleton, np.concatenate([source.rotations[context], tail.rotations[1:]]),
                     np.concatenate([source.translations[context], tail.translations[1:]]), fps, name=motion.name)
    else:
        out = resample(motion, fps)
    start = int(np.floor((n_ctx - 1) * ratio + 1e-6)) + 1
    return out, slice(start, min(out.num_frames, int(np.floor((n_ctx - 1 + length) * ratio + 1e-6)) + 1))


def _placed_target(tgt: _Clip, start: int, stop: int, yaw: np.ndarray, shift: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Frames start..stop-1 of the target clip where the placement puts them: local rotations (n, J, 4) in
    feature order (the root's turned by `yaw`) and root positions (n, 3), file units."""
    order = list(tgt.roles.source_index)
    rot = tgt.motion.rotations[start:stop][:, order].astype(np.float64)
    rot[:, 0] = quat_mul(_quat_about_y(yaw), rot[:, 0])
    root = tgt.motion.translations[start:stop, order[0]].astype(np.float64) @ yaw.T + shift
    return rot, root


def _quat_about_y(yaw: np.ndarray) -> np.ndarray:
    """The quaternion (cos a/2, 0, sin a/2, 0) of `yaw` (3, 3), a rotation by a about the vertical (matrix_to_quat
    of one matrix costs ~80 us, a tenth of a request's post-processing on max-mojo)."""
    half = 0.5 * np.arctan2(yaw[0, 2], yaw[0, 0])
    return np.array([np.cos(half), 0.0, np.sin(half), 0.0])


def generate_transition(request: TransitionRequest, model: RSMTModel | None = None) -> TransitionResult:
    """One transition with `model` (default: the weights in assets/rsmt_lite, `inference.rsmt.models.load_rsmt`)."""
    from inference.rsmt.models import load_rsmt

    return TransitionGenerator(model if model is not None else load_rsmt()).generate(request)
