"""Sizes of the RSMT networks (PAE "phase", StyleVAE "manifold", TransitionNet "sampler") as one
JSON-serialisable dataclass, with two presets.

``paper`` reproduces the official code (yuyujunjun/RSMT-Realtime-Stylized-Motion-Transition @d060ce2):
  train_deephase.py:41,86-87   PAE: 10 phases, 23 joints, 61-frame window, key_range 1, window 2 s
  train_styleVAE.py:96-108     manifold: phase_dim 10, latent 32, 8 experts, hidden 512, gate 128
  train_transitionNet.py:116+  sampler: phase_dim 10, rnn 1024, past 10, max_seq 40 (max_tta 45)
  TransitionPhaseNet.py:65-75  state encoders 512 -> 256; StyleVAENet.py:70-91 style convs 512 wide
  StyleVAENet.py:118-119       rot_rep_idx = [1,5,9,10,11,12,13,15,19] (positions from FK)
Several of these are literals in the official source (512, 256, 32, 10*3); here each is a field, and
the invariants the official code relies on are checked in ``validate``.

``lite`` is sized for CPU and for our ~1,600 frames of DeepMimic clips (see README numbers in the
report / ``rsmt_networks.parameter_counts``): about 20x fewer sampler weights than ``paper``.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

PAPER_ROT_REP_IDX = (1, 5, 9, 10, 11, 12, 13, 15, 19)
# The largest integer a config may hold (sizes, windows, joint counts): the paper's widest layer is 1024. A
# larger number is a broken file, refused before torch allocates its layers (rnn_size 200000 would be 640 GB).
MAX_CONFIG_INT = 4096
# DeepMimic humanoid3d (13 joints, motion.joint_roles.roles_for(humanoid3d_skeleton())): root, chest,
# neck, right_hip, right_knee, right_ankle, right_shoulder, right_elbow, left_hip, left_knee, left_ankle,
# left_shoulder, left_elbow; chest, neck, hips and shoulders are carried by the torso (FK joints).
LITE_ROT_REP_IDX = (1, 2, 3, 6, 8, 11)


@dataclass(frozen=True)
class RSMTConfig:
    # skeleton
    num_joints: int = 23
    rot_rep_idx: tuple[int, ...] = PAPER_ROT_REP_IDX  # joints whose positions come from FK, not the net
    left_hip: int = 1  # joints that define the facing direction of the style clip (BatchProcessor.py:15)
    right_hip: int = 5
    fps: float = 30.0
    # PAE (DeepPhaseNet.py:326-455)
    pae_window: int = 61  # frames; odd so the conv padding keeps the length
    pae_window_seconds: float = 2.0
    pae_key_range: float = 1.0
    # phase manifold
    phase_dim: int = 10  # PAE channels = phase channels used by the manifold and the sampler
    # manifold = StyleVAENet
    latent_size: int = 32
    num_experts: int = 8
    vae_hidden: int = 512  # encoder and expert layer widths
    gate_hidden: int = 128
    # sampler = TransitionNet_phase
    state_hidden: int = 512  # StateEncoder first layer
    state_out: int = 256  # StateEncoder output = width of the 256-d time-to-arrival encoding
    style_dim: int = 512  # style tokens, AdaIN/ATN width, 512-d time-to-arrival encoding
    rnn_size: int = 1024
    past_frames: int = 10  # context frames before the transition
    max_transition: int = 40  # longest training transition; max_tta = past + max - 5
    film_kernels: tuple[int, ...] = (1, 3, 3, 5)  # IAN_FilmGenerator2 conv kernels (valid padding)
    style_frames: int = 120  # style clip length (training clips, process_dataset.py:247); T-1 feature frames
    init_state_kernels: tuple[int, ...] = (5, 3, 2)  # PredictInitialState convs over past-2 warm-up latents
    amplitude_scale: float = 0.1  # phase manifold uses A / 0.1 (StyleVAE_DataModule.py:193,207)
    preset: str = field(default="paper", compare=False)

    # ---- derived sizes (all the official formulas in one place) -------------------------------
    @property
    def pos_rep_idx(self) -> tuple[int, ...]:
        """Joints whose positions the networks predict directly (hip first)."""
        return tuple(j for j in range(self.num_joints) if j not in self.rot_rep_idx)

    @property
    def n_pos(self) -> int:
        return len(self.pos_rep_idx)

    @property
    def state_size(self) -> int:  # rel pos + vel of pos joints, 6D of all joints (TransitionPhaseNet.py:227)
        return self.n_pos * 6 + self.num_joints * 6

    @property
    def offset_size(self) -> int:  # (target - last) pos of pos joints + 6D of all joints (:228)
        return self.n_pos * 3 + self.num_joints * 6

    @property
    def condition_size(self) -> int:  # decoder condition: state + hip vel 3 + hip 6D (StyleVAENet.py:128)
        return self.state_size + 9

    @property
    def pose_delta_size(self) -> int:  # decoder output: pos deltas + 6D deltas (StyleVAENet.py:27)
        return self.n_pos * 3 + self.num_joints * 6

    @property
    def style_channels(self) -> int:  # film input: (pos 3, vel 3, 6D) per non-root joint (:229)
        return 12 * (self.num_joints - 1)

    @property
    def style_tokens(self) -> int:  # tokens left after the valid convolutions over style_frames - 1 frames
        return self.style_frames - 1 - sum(k - 1 for k in self.film_kernels)

    @property
    def max_tta(self) -> int:
        return self.past_frames + self.max_transition - 5

    @property
    def predictor_out(self) -> int:  # phase 2P + A P + F P + hip vel 3 + hip 6D delta 6 + latent
        return self.phase_dim * 4 + 9 + self.latent_size

    @property
    def lstm_input(self) -> int:
        return self.style_dim + 2 * self.state_out

    @property
    def warmup_frames(self) -> int:  # context frames 1 .. past_frames - 2 warm the LSTM up (TransitionSampler.rollout)
        return self.past_frames - 2

    @property
    def dt(self) -> float:
        return 1.0 / self.fps

    # ---- presets and (de)serialisation -------------------------------------------------------
    @staticmethod
    def paper() -> "RSMTConfig":
        return RSMTConfig()

    @staticmethod
    def lite(num_joints: int = 13, rot_rep_idx: tuple[int, ...] = LITE_ROT_REP_IDX,
             left_hip: int = 8, right_hip: int = 3) -> "RSMTConfig":
        return RSMTConfig(num_joints=num_joints, rot_rep_idx=tuple(rot_rep_idx), left_hip=left_hip,
                          right_hip=right_hip, phase_dim=5, latent_size=16, num_experts=4, vae_hidden=256,
                          gate_hidden=64, state_hidden=256, state_out=128, style_dim=256, rnn_size=384,
                          preset="lite")

    @staticmethod
    def for_roles(roles, preset: str = "lite") -> "RSMTConfig":
        """A preset's sizes for the skeleton described by a motion.joint_roles.JointRoles."""
        return RSMTConfig.preset_named(preset, num_joints=roles.num_joints, rot_rep_idx=tuple(roles.rot_rep_idx),
                                       left_hip=roles.left_hip, right_hip=roles.right_hip)

    @staticmethod
    def preset_named(name: str, **skeleton) -> "RSMTConfig":
        if name == "paper":
            return RSMTConfig.paper() if not skeleton else RSMTConfig(**skeleton)
        if name == "lite":
            return RSMTConfig.lite(**skeleton)
        raise ValueError(f"unknown RSMT preset {name!r} (choose paper or lite)")

    def to_dict(self) -> dict:
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @staticmethod
    def from_dict(d: dict) -> "RSMTConfig":
        """Inverse of to_dict; unknown keys or bad values raise ValueError naming the key."""
        known = {f.name: f for f in fields(RSMTConfig)}
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise ValueError(f"unknown RSMT config keys {unknown}")
        kwargs = {k: _checked_value(k, v, known[k].type) for k, v in d.items()}
        cfg = RSMTConfig(**kwargs)
        cfg.validate()
        return cfg

    def validate(self) -> None:
        def need(ok: bool, what: str) -> None:
            if not ok:
                raise ValueError(f"RSMT config: {what}")

        need(self.num_joints >= 2, "num_joints must be at least 2")
        need(all(0 < j < self.num_joints for j in self.rot_rep_idx), "rot_rep_idx must name non-root joints")
        need(len(set(self.rot_rep_idx)) == len(self.rot_rep_idx), "rot_rep_idx has duplicates")
        need(0 <= self.left_hip < self.num_joints and 0 <= self.right_hip < self.num_joints, "hip joints out of range")
        need(self.pae_window % 2 == 1, "pae_window must be odd")
        for name in ("phase_dim", "latent_size", "num_experts", "vae_hidden", "gate_hidden", "state_hidden",
                     "state_out", "style_dim", "rnn_size", "past_frames", "max_transition"):
            need(int(getattr(self, name)) > 0, f"{name} must be positive")
        need(len(self.film_kernels) == 4, "film_kernels must list the 4 style convolutions")
        need(self.style_tokens >= 1, "style_frames too short for the style convolutions")
        need(self.past_frames >= 3, "past_frames must be at least 3 (two frames feed the first velocity)")
        need(len(self.init_state_kernels) > 0 and sum(k - 1 for k in self.init_state_kernels) == self.past_frames - 3,
             "init_state_kernels must shrink past_frames-2 warm-up latents to one")


# model kind (a runnable graph of a backend) -> the RSMT network (WeightSet config "network") whose weights it runs
NETWORK_OF_KIND = {
    "rsmt_phase": "rsmt_phase",
    "rsmt_manifold_decoder": "rsmt_manifold",
    "rsmt_sampler_style": "rsmt_sampler",
    "rsmt_sampler_target": "rsmt_sampler",
    "rsmt_warmup": "rsmt_sampler",
    "rsmt_sampler_step": "rsmt_sampler",
    "rsmt_rollout": "rsmt_sampler",
}
TRANSITION_KINDS = ("rsmt_phase", "rsmt_sampler_style", "rsmt_sampler_target", "rsmt_sampler_step")  # a transition runs these
STEP_OUTPUTS = ("pos", "vel", "rot", "phase", "h", "c", "pred_phase", "A", "F")  # kind "rsmt_sampler_step"
ROLLOUT_PER_FRAME = ("pos", "vel", "rot", "phase", "pred_phase", "A", "F")  # "rsmt_rollout" outputs per frame


def step_input_shapes(cfg: RSMTConfig) -> dict[str, tuple[int, ...]]:
    """Inputs of kind "rsmt_sampler_step" (TransitionSampler.step with the style code explicit): name -> shape
    after the batch axis, in call order. Every backend's step takes exactly these."""
    j, n_pos, p, r, s, t = cfg.num_joints, cfg.n_pos, cfg.phase_dim, cfg.rnn_size, cfg.style_dim, cfg.style_tokens
    shapes = {"pos": (n_pos, 3), "vel": (n_pos, 3), "rot": (j, 6), "phase": (p, 2), "h": (r,), "c": (r,),
              "target_pos": (n_pos, 3), "target_rot": (j, 6), "target_latent": (cfg.state_out,)}
    for prefix in ("emb", "pred"):
        shapes |= {f"{prefix}_gamma": (s,), f"{prefix}_beta": (s,),
                   f"{prefix}_keys": (t, s), f"{prefix}_values": (t, s)}
    return shapes | {"tta": (), "noise": (2 * cfg.state_out,)}


def warmup_input_shapes(cfg: RSMTConfig) -> dict[str, tuple[int, ...]]:
    """Inputs of kind "rsmt_warmup" (SamplerWarmupGraph: the LSTM state after the warm-up on the context, from
    zero h and c; outputs h, c): the step's state of every warm-up frame, the target code, the style embedding's
    four tensors, a tta per frame and the noise."""
    step, w = step_input_shapes(cfg), cfg.warmup_frames
    shapes = {k: (w, *step[k]) for k in ("pos", "vel", "rot")}
    shapes |= {k: step[k] for k in ("target_pos", "target_rot", "target_latent", "emb_gamma", "emb_beta",
                                     "emb_keys", "emb_values")}
    return shapes | {"tta": (w,), "noise": step["noise"]}


def rollout_input_shapes(cfg: RSMTConfig) -> dict[str, tuple[int, ...]]:
    """Inputs of kind "rsmt_rollout" (contract: inference/backends/max/graphs/rollout.py): the step's, with a tta and a
    noise row per frame for cfg.max_transition frames, and the number of frames to generate."""
    n = cfg.max_transition
    shapes = {k: v for k, v in step_input_shapes(cfg).items() if k not in ("tta", "noise")}
    return shapes | {"tta": (n,), "noise": (n, 2 * cfg.state_out), "length": ()}


def rollout_output_shapes(cfg: RSMTConfig) -> dict[str, tuple[int, ...]]:
    step, n = step_input_shapes(cfg), cfg.max_transition
    per = {"pos": step["pos"], "vel": step["vel"], "rot": step["rot"], "phase": step["phase"],
           "pred_phase": step["phase"], "A": (cfg.phase_dim, 1), "F": (cfg.phase_dim, 1)}
    return {k: (n, *per[k]) for k in ROLLOUT_PER_FRAME} | {"h": step["h"], "c": step["c"]}


def _checked_value(key: str, value, annotation: str):
    """A config value of the field's declared type (annotations are strings here: `from __future__`):
    integers (not floats, not bools) in 0..MAX_CONFIG_INT, finite floats, lists of such integers for
    tuples, strings; ValueError naming the key otherwise."""
    def integer(v) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_CONFIG_INT:
            raise ValueError(f"RSMT config {key!r}: expected an integer from 0 to {MAX_CONFIG_INT}, got {v!r}")
        return v

    if annotation == "int":
        return integer(value)
    if annotation.startswith("tuple"):
        if not isinstance(value, list):
            raise ValueError(f"RSMT config {key!r}: expected a list of integers, got {value!r}")
        return tuple(integer(v) for v in value)
    if annotation == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"RSMT config {key!r}: expected a finite number, got {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"RSMT config {key!r}: expected a string, got {value!r}")
    return value
