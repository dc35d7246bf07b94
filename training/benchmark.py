"""The transition benchmark (after RSMT benchmark.py): held-out windows of 65 frames, 10 past-context
frames, transition lengths 10, 20 and 40 whose last frame is the target keyframe (benchmark.py:
target_id = 10 + length, keyframe target_id - 1, scored frames 10..target_id-1); every method fills
the transition and is scored with `training.metrics` against the ground truth.

A method is a callable (windows, past, length) -> (global positions (B, length, J, 3), global
quaternions (B, length, J, 4)), windows being `training.datasets.benchmark_windows` output (canonical
"pos" (B, 65, J, 3) and "rot" (B, 65, J, 6), with a trained phase network also "phase"). Methods:
"ground_truth" (the data itself: zero errors, and the data's own foot-skate level), "interpolation"
(`training.baseline`) and, given trained weights, "rsmt" (`sampler_method`: the sampler's rollout
with zero target noise, as benchmark.py eval_sample and the app's seed 0, or the app's noise of another seed;
the rot_rep joints placed by FK of the predicted rotations; RSMT's bone-length projection and IK clean-up are
not applied) and "rsmt+cleanup"
(`sampler_method(pipeline="app")`: what the app makes of the same rollout, i.e. RSMT's post-processing
(`inference.rsmt.postprocess.rsmt_pose`), local rotations, the landing on the target keyframe
(`land_on_target`) and foot locking (`inference.rsmt.footlock`, planted heights from the training clips), the
positions then by forward kinematics on the window's skeleton).

With a phase network the held-out sequences are phase-annotated first, which trims 31 frames at the
start and 30 at the end of each sequence, so every method is then scored on those (fewer) windows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from inference.rsmt.postprocess import SWING_SHARE
from inference.rsmt.style_reference import strengthened
from inference.rsmt.transition import target_noise
from motion.rotations import matrix_to_quat, sixd_to_matrix
from training import metrics as M
from training.baseline import interpolation_transition

PAST = 10  # benchmark.py: n_past = 10, start_id = 10
LENGTHS = (10, 20, 40)  # benchmark.py Set_Condition_Metric
SPLITS = ("test", "train", "sim")  # held-out clips, training clips, simulated performances

Method = Callable[[dict, int, int], tuple[np.ndarray, np.ndarray]]


@dataclass
class BenchmarkData:
    """Everything the metrics need besides the methods: held-out windows and training statistics."""

    windows: dict  # "pos" (N, T, J, 3), "rot" (N, T, J, 6), canonical
    roles: object  # motion.joint_roles.JointRoles of the skeleton
    parents: tuple[int, ...]
    feet: tuple[int, ...]
    pos_mean: np.ndarray  # (J, 3) benchmark position statistics (training windows)
    pos_std: np.ndarray
    skate_height: float  # foot-skate gate height H in the data's units
    foot_height: np.ndarray  # (len(feet),) planted height of each foot joint
    offsets: np.ndarray  # (J, 3) rest offsets (data units, feature order)
    style_clips: dict | None = None  # held-out 120-frame style clips (features.style_features), with phases
    window_styles: np.ndarray | None = None  # (N,) style index of each window
    style_names: tuple[str, ...] = ()  # style index -> name (with the embedded clips, style = clip)

    @property
    def num_windows(self) -> int:
        return len(self.windows["pos"])


def style_windows(data: BenchmarkData, style: str, at_most: int | None = None, seed: int = 0) -> BenchmarkData:
    """The windows of `data` of one style (ValueError when it has none), in their order; with `at_most`, that many
    of them at most, drawn with `seed`."""
    from dataclasses import replace

    names = list(data.style_names)
    if style not in names:
        raise ValueError(f"no {style!r} style in the data")
    idx = np.nonzero(data.window_styles == names.index(style))[0]
    if len(idx) == 0:
        raise ValueError(f"no {style!r} window among those scored to start transitions from")
    if at_most is not None and len(idx) > at_most:
        idx = np.sort(np.random.default_rng(seed).choice(idx, at_most, replace=False))
    return replace(data, windows={k: v[idx] for k, v in data.windows.items()}, window_styles=data.window_styles[idx])


def ground_truth_quats(windows: dict) -> np.ndarray:
    return matrix_to_quat(sixd_to_matrix(windows["rot"]))


def ground_truth_method(windows: dict, past: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    return windows["pos"][:, past:past + length], ground_truth_quats(windows)[:, past:past + length]


def interpolation_method(parents) -> Method:
    def run(windows: dict, past: int, length: int):
        return interpolation_transition(windows["pos"], windows["rot"], parents, past, length)
    return run


def embedded_benchmark(seed: int = 0, phase_fn=None, split: str = "test",
                       held_out: tuple[str, ...] | None = None) -> BenchmarkData:
    """Held-out transitions from the embedded DeepMimic clips (`training.datasets.embedded_dataset`:
    whole clips held out, with their mirrored and time-scaled copies), statistics from the training clips.
    split "train" scores the training clips' own windows instead: motion the model has seen, which tells
    underfitting (it loses there too) from not generalising (it wins there and loses on held-out clips).
    split "sim" scores the last 12 s of long performances of the clips' motion, recorded from the physics
    simulation of the shipped policies (`training.simulated`; `train --sim` trains on the rest, as RSMT
    splits 100STYLE): does the model follow a performance rather than the exact frames of its clips?
    Positions are in centimetres, so the official 2.5 cm gate applies as is. phase_fn (PAE input ->
    (amplitude, shift), e.g. `training.train_manifold.phase_function`) adds phases and style clips.
    held_out: the clips to hold out (default `training.datasets.HELD_OUT_CLIPS`)."""
    from training.datasets import DEEPMIMIC_SCALE, embedded_dataset

    data = embedded_dataset(seed=seed, held_out=held_out)
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    if split == "sim":
        from training.simulated import simulated_split
        scored = simulated_split(data.roles, DEEPMIMIC_SCALE, np.random.default_rng(seed), set())[1]
    else:
        scored = data.test if split == "test" else data.train
    return dataset_benchmark(data, scored, phase_fn, DEEPMIMIC_SCALE / 100.0)


def dataset_benchmark(data, scored: list, phase_fn=None, units_per_cm: float = 1.0,
                      style_from_training: bool = False) -> BenchmarkData:
    """Benchmark windows of the `scored` sequences of a MotionDataset `data`, statistics from its training
    sequences. style_from_training: each window's style clips come from the training sequences of its style
    (the style library's codes; a data set whose held-out pieces are too short for 120-frame style clips)
    instead of the scored ones."""
    from motion.features import position_statistics
    from training.datasets import annotate_phases, benchmark_windows, style_clips

    styles = data.styles
    test_seqs = scored if phase_fn is None else annotate_phases(scored, data.roles, phase_fn)
    test = benchmark_windows(test_seqs, data.roles, styles, with_phase=phase_fn is not None)
    train = benchmark_windows(data.train, data.roles, styles, with_phase=False)
    stats = position_statistics(train["pos"])
    clips = None
    if phase_fn is not None:
        clips = style_clips(data.train if style_from_training else test_seqs, data.roles, styles)
    return BenchmarkData(
        windows=test, roles=data.roles, parents=data.roles.parents, feet=data.roles.feet,
        pos_mean=np.asarray(stats["mean"]), pos_std=np.asarray(stats["std"]),
        skate_height=M.skate_height(units_per_cm),
        foot_height=M.planted_foot_heights(train["pos"], data.roles.feet), offsets=np.asarray(data.offsets),
        style_clips=clips, window_styles=test["style"], style_names=tuple(styles))


def sampler_method(sampler, data: BenchmarkData, seed: int = 0, pipeline: str = "network",
                   style: int | None = None, swing_share: float = SWING_SHARE,
                   style_features: np.ndarray | None = None, transition_seed: int = 0,
                   style_strength: float = 1.0, reference: dict[str, np.ndarray] | None = None) -> Method:
    """A trained TransitionSampler as a benchmark method. Each window gets a style clip of its own
    style (a random one, seeded), as benchmark.py pairs each transition with a clip of its style, or with
    `style` (an index into data.style_names) a clip of that style whatever the window's, or with
    `style_features` (T, J, 12: pos, vel, 6D rotation, `StyleFeatures.features`) that one clip for every window
    (a named style of the model's library, as `transition --style NAME` uses it).
    pipeline: "network" (the raw outputs, as RSMT's benchmark) or "app" (post-processed and landed on the
    target keyframe, as the app's transitions: see the module docstring); swing_share: the "app" pipeline's
    (postprocess.swing_to_positions' share; default the app's own); transition_seed: the target noise of every
    transition, as the app draws it for a request of that seed (`target_noise`: 0 gives none); style_strength: the
    style codes pushed from `reference` (a style library's, `style_reference.strengthened`), as a request of that
    strength does."""
    import torch

    from training.train_sampler import rollout_joints, rollout_to_target

    if data.style_clips is None or "phase" not in data.windows:
        raise ValueError("the sampler needs phase-annotated windows (embedded_benchmark with phase_fn)")
    if style_features is None:
        rng = np.random.default_rng(seed)
        clips, pick = data.style_clips, []
        for s in data.window_styles if style is None else np.full(data.num_windows, style):
            pool = np.nonzero(clips["style"] == s)[0]
            if len(pool) == 0:
                raise ValueError(f"no 120-frame style clip for style index {s}")
            pick.append(rng.choice(pool))
        pick = np.asarray(pick)
        style_arrays = tuple(clips[k][pick] for k in ("pos", "vel", "rot"))
    else:
        f = np.repeat(np.asarray(style_features, np.float32)[None], data.num_windows, 0)
        style_arrays = (f[..., :3], f[..., 3:6], f[..., 6:])
    sampler = sampler.eval()
    offsets = torch.from_numpy(np.asarray(data.offsets, np.float32))
    with torch.no_grad():  # the style codes depend on the picked clips alone: encoded once, not per length
        style = sampler.encode_style(sampler.style_input(
            *(torch.from_numpy(np.ascontiguousarray(a)) for a in style_arrays)))
    if style_strength != 1.0:
        if not reference:
            raise ValueError("a style strength other than 1 needs a style library's reference")
        torch_reference = {k: torch.from_numpy(v) for k, v in reference.items()}
        style = type(style)(**strengthened(style._asdict(), torch_reference, style_strength))
    noise = torch.from_numpy(np.tile(target_noise(transition_seed, 2 * sampler.cfg.state_out), (data.num_windows, 1)))

    def run(windows: dict, past: int, length: int):
        t = {k: torch.from_numpy(np.ascontiguousarray(windows[k])) for k in ("pos", "rot", "phase")}
        target = past + length - 1
        with torch.no_grad():
            out = rollout_to_target(sampler, t["pos"], t["rot"], t["phase"], style, past, length, noise)
            pos = rollout_joints(sampler, out, offsets, data.parents)
        if pipeline == "app":
            return app_pipeline(out["pos"].numpy(), out["rot"].numpy(), windows, target, data, swing_share)
        return pos.numpy(), matrix_to_quat(sixd_to_matrix(out["rot"].numpy()))
    if pipeline not in ("network", "app"):
        raise ValueError(f"pipeline must be 'network' or 'app', got {pipeline!r}")
    return run


def app_pipeline(pos_rep: np.ndarray, rot6d: np.ndarray, windows: dict, target: int, data: BenchmarkData,
                 swing_share: float = SWING_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """Sampler outputs (B, L, n_pos, 3) and (B, L, J, 6) of windows whose target keyframe is frame `target` ->
    global positions and quaternions (B, L, J, ...) as the app makes them (inference.rsmt.transition step 7)."""
    from inference.rsmt.footlock import HEIGHT_GATE_CM, PULL_STEP_CM, lock_feet
    from inference.rsmt.postprocess import land_on_target, local_rotations, rsmt_pose
    from motion.fk import forward_kinematics
    from training.baseline import bone_offsets

    b, length, j = rot6d.shape[:3]
    # each window's own bone offsets, read from its target pose (mirrored windows have reflected bones)
    key_quats = matrix_to_quat(sixd_to_matrix(windows["rot"][:, target].astype(np.float64)))
    offsets = bone_offsets(windows["pos"][:, target], key_quats, data.parents).astype(np.float64)
    local, hip = np.empty((b, length, j, 4)), np.empty((b, length, 3))
    for i in range(b):
        pose = rsmt_pose(pos_rep[i], rot6d[i], data.roles, offsets[i], swing_share)
        local[i] = local_rotations(matrix_to_quat(pose.rotations), data.parents)
        hip[i] = pose.positions[:, 0]
    local, hip = land_on_target(local, hip, local_rotations(key_quats, data.parents), windows["pos"][:, target, 0])
    floor = dict(zip(data.feet, np.asarray(data.foot_height, np.float64)))
    local = np.stack([lock_feet(local[i], hip[i], offsets[i], data.parents, data.feet, floor, HEIGHT_GATE_CM,
                                PULL_STEP_CM)
                      for i in range(b)])
    return forward_kinematics(local.astype(np.float32), hip.astype(np.float32), offsets.astype(np.float32),
                              data.parents)


def run_benchmark(data: BenchmarkData, methods: dict[str, Method], lengths=LENGTHS, past: int = PAST,
                  by_clip: bool = False) -> list[dict]:
    """Rows {"method", "length", "clip", "L2P", "L2Q", "NPSS", "foot_skate"} for every method and length over
    all windows (clip "all"); with by_clip also one row per clip (style) over that clip's windows only, which
    shows whether one kind of motion carries a method's score."""
    if data.num_windows == 0:
        raise ValueError("no held-out benchmark windows")
    need = past + max(lengths)
    if data.windows["pos"].shape[1] < need:
        raise ValueError(f"benchmark windows have {data.windows['pos'].shape[1]} frames; {need} are needed")
    gt_quats = ground_truth_quats(data.windows)
    groups = {"all": np.arange(data.num_windows)}
    if by_clip:
        groups.update((data.style_names[s], np.nonzero(data.window_styles == s)[0])
                      for s in np.unique(data.window_styles))
    rows = []
    for name, method in methods.items():
        for length in lengths:
            pos, quats = method(data.windows, past, length)
            for clip, idx in groups.items():
                scores = M.transition_metrics(
                    pos[idx], quats[idx], data.windows["pos"][idx, past:past + length],
                    gt_quats[idx, past:past + length], gt_quats[idx, past - 1], data.pos_mean, data.pos_std,
                    data.feet, data.skate_height, data.foot_height)
                rows.append({"method": name, "length": length, "clip": clip, **scores})
    return rows


def manifold_reconstruction(manifold, phase_fn, dataset, split: str = "test", seed: int = 0,
                            by_clip: bool = False) -> dict:
    """How well a trained StyleVAE reproduces one split's motion when told the answer: its encoder sees
    every next frame (teacher forcing; latents sampled as in training, seeded) and the decoder rolls out
    from the first two frames of each 25-frame slice the manifold trains on (the 61-frame manifold windows
    cut into slices at frames 0 and 25), so the numbers compare with the training log's. The sampler only
    picks latents for this frozen decoder: a large error here bounds what any sampler can reach on that
    motion. dataset: `training.datasets.embedded_dataset` output (its held-out "test" or "train" clips are
    scored). Returns {"pos", "rot"} (the training MSEs: positions / 21 cm edge, 6D rotations), "windows",
    and two references for the same frames: "step_pos"/"step_rot", the decoder started from the true
    previous frame each time (one step's error, no drift), and "hold_pos"/"hold_rot", the true previous
    pose carried along by the true hip motion (what the decoder is given) with nothing else moving. A
    decoder whose one step is no better than holding the pose has not learnt that motion. by_clip adds
    "clips": {clip (style) name: the same numbers on its windows alone}."""
    from training.datasets import annotate_phases, manifold_windows

    if split not in ("test", "train"):
        raise ValueError(f"split must be 'test' or 'train', got {split!r}")
    seqs = annotate_phases(dataset.test if split == "test" else dataset.train, dataset.roles, phase_fn)
    w = manifold_windows(seqs, dataset.roles, dataset.styles)
    if len(w["pos"]) == 0:
        raise ValueError(f"the {split} clips give no 61-frame manifold window")
    out = _reconstruction(manifold, w, dataset, seed)
    if by_clip:
        out["clips"] = {dataset.styles[i]: _reconstruction(manifold, {k: v[w["style"] == i] for k, v in w.items()},
                                                           dataset, seed)
                        for i in dict.fromkeys(int(i) for i in w["style"])}
    return out


def _reconstruction(manifold, w: dict, dataset, seed: int) -> dict:
    """`manifold_reconstruction`'s numbers for the manifold windows `w`."""
    import torch

    from training.datasets import MANIFOLD_SUBWINDOW
    from training.train_manifold import EDGE_MEAN, manifold_loss

    starts = range(0, w["pos"].shape[1] - MANIFOLD_SUBWINDOW + 1, MANIFOLD_SUBWINDOW)
    sliced = {k: torch.from_numpy(np.concatenate([w[k][:, s:s + MANIFOLD_SUBWINDOW] for s in starts]))
              for k in ("pos", "rot", "phase")}
    offsets = torch.from_numpy(np.asarray(dataset.offsets, np.float32))
    out = {}
    for prefix, from_truth in (("", False), ("step_", True)):
        torch.manual_seed(seed)
        with torch.no_grad():
            losses = manifold_loss(manifold.eval(), sliced["pos"], sliced["rot"], sliced["phase"], offsets,
                                   dataset.roles.parents, dataset.roles.feet, with_contact=False,
                                   from_ground_truth=from_truth)
        out |= {prefix + "pos": float(losses["pos"]), prefix + "rot": float(losses["rot"])}
    pos, rot = sliced["pos"].numpy(), sliced["rot"].numpy()
    hold_pos = pos[:, 1:-1] - pos[:, 1:-1, :1] + pos[:, 2:, :1]
    hold_rot = np.concatenate((rot[:, 2:, :1], rot[:, 1:-1, 1:]), axis=2)
    out["hold_pos"] = float(np.mean(((hold_pos - pos[:, 2:]) / EDGE_MEAN) ** 2))
    out["hold_rot"] = float(np.mean((hold_rot - rot[:, 2:]) ** 2))
    return out | {"windows": len(w["pos"])}
