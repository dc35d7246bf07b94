"""Training data for the RSMT networks (phase = PAE, manifold = StyleVAE, sampler = TransitionNet), built
from the embedded DeepMimic clips or from a 100STYLE folder (`training.style100`), following the official
RSMT data pipeline (process_dataset.py, add_phase_to_dataset.py, src/Datasets/*).

Pipeline:
1. `MotionDataset`: sequences at 30 fps in feature joint order (`motion.joint_roles`), as world-space
   global positions (F, J, 3) and rotation matrices (F, J, 3, 3), split into train and test, each with a
   mirrored copy and a randomly time-scaled copy (RSMT augment_dataset: `mr_*`, `sca_*`).
2. `pae_windows`: PAE training input, pose windows of 62 frames, stride 60 -> (N, 3J, 61).
3. `annotate_phases(dataset, phase_fn)`: a trained PAE gives every frame with a centred 61-velocity
   window its (amplitude, shift); sequences are trimmed to those frames (31 dropped at the start, 30 at
   the end).
4. `manifold_windows` / `sampler_windows` / `benchmark_windows`: canonical windows (61 stride 40;
   61 stride 40 + 120-frame style clips; 65 stride 40), and the normalisation statistics.

Embedded clips (`embedded_dataset`): the 15 DeepMimic humanoid3d clips, style = clip name, positions in
centimetres (metres x 100) so RSMT's centimetre constants (foot-contact speeds 0.5-1 per frame, bone
length scale 21) keep their meaning. The clips are 0.8-4.4 s long, too short for 61-frame windows with
61-frame phase context, so each is made at least `min_seconds` long:
- "wrap" clips (they loop) are repeated: cycle c is the base cycle without its closing frame (the
  last frame, whose duration is 0: it is where the next cycle starts), moved on by the accumulated
  root displacement as DeepMimic's kinematic character does, and also turned about Y by c times the
  cycle's heading change so a clip that ends facing elsewhere carries on that way without a heading
  pop. The seam shows whatever pose difference the clip's last and first frames have (measured: the
  largest per-frame joint step stays within 1.5x the clip's 95th percentile, except crawl at 2.1x);
- "none" clips (play once) hold their first and last pose for equally many frames on each side.
Repetition adds windows, not new motion: window counts include repeated cycles. The hips' left-right
line stays well away from vertical in every clip (at least 42% horizontal, kick), so facing is defined.

Train / held-out split of the embedded clips: whole clips are held out, so evaluation transitions come
from motion never seen in training (RSMT likewise holds out its last 10 styles entirely). The held-out
clips each have a similar clip in training: dance_b (dance_a), getup_faceup (getup_facedown) and
spinkick (kick and spin). Train and test both get the mirror and time-scale copies (as RSMT's).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from motion import features as F
from motion.deepmimic import DEEPMIMIC_SCALE
from motion.errors import MotionFileError
from motion.joint_roles import JointRoles, roles_for
from motion.motion import Motion
from motion.resample import hold_pad, loop_cycles, to_30fps

HELD_OUT_CLIPS = ("humanoid3d_dance_b", "humanoid3d_getup_faceup", "humanoid3d_spinkick")
NO_CLIP = "none"  # --held-out none: train on every embedded clip
TEST_FRACTION = 0.1  # RSMT: a long sequence gives its last 10% to test (Style100Processor.split_from_binary)
MANIFOLD_WINDOW, MANIFOLD_STRIDE = 61, 40  # process_dataset.py: WindowBasedLoader(61, 21)
MANIFOLD_SUBWINDOW = 25  # StyleVAENet.shared_forward_single trains on random 25-frame slices
STYLE_WINDOW, STYLE_STRIDE = 120, 120  # WindowBasedLoader(120, 0): sampler style clips
BENCHMARK_WINDOW, BENCHMARK_STRIDE = 65, 40  # processStyle100Benchmark(65, 25)
PAE_STRIDE = 60  # processDeepPhaseForStyle100(62, 2)
# Shortest sequence that yields one manifold window after the phase trim: 61 + 61 + 1 frames at 30 fps.
MIN_FRAMES = F.PAE_WINDOW + MANIFOLD_WINDOW + 1


@dataclass
class Sequence:
    """One continuous motion at 30 fps in feature joint order.

    pos (F, J, 3) world positions (dataset units); rot (F, J, 3, 3) world rotations; style label;
    variant "original" | "mirror" | "scale"; amplitude/shift (F, P) PAE phase parameters once
    annotated (the sequence is then trimmed to the frames that have them)."""

    name: str
    style: str
    pos: np.ndarray
    rot: np.ndarray
    variant: str = "original"
    amplitude: np.ndarray | None = None
    shift: np.ndarray | None = None

    @property
    def num_frames(self) -> int:
        return len(self.pos)


@dataclass
class MotionDataset:
    roles: JointRoles
    offsets: np.ndarray  # (J, 3) rest offsets in feature order and dataset units
    scale: float  # dataset units per source unit
    train: list[Sequence] = field(default_factory=list)
    test: list[Sequence] = field(default_factory=list)
    licence: str | None = None  # terms that what is trained on the data carries (`models.write_licence`)
    attribution: str | None = None  # whose data it is, as its licence asks it to be credited

    @property
    def styles(self) -> list[str]:
        return sorted({s.style for s in self.train + self.test})

    def skeleton_config(self) -> dict:
        """What the networks and inference need to know about the skeleton (JSON-able)."""
        return F.skeleton_config(self.roles, self.offsets, self.scale)


# --------------------------------------------------------------------------- building sequences

def make_sequence(motion: Motion, roles: JointRoles, scale: float, style: str, name: str | None = None) -> Sequence:
    pos, rot = F.global_pose(motion, roles, scale)
    return Sequence(name or motion.name, style, pos, rot)


def augment(seq: Sequence, roles: JointRoles, motion: Motion, scale: float, rng: np.random.Generator) -> list[Sequence]:
    """The sequence, its mirror image, and one RSMT TemporalScale copy of `motion` (its source)."""
    offsets = motion.skeleton.offsets[list(roles.source_index)]
    mpos, mrot = F.mirror_global(seq.pos, seq.rot, roles, offsets)
    scaled, gamma = F.random_temporal_scale(motion, rng)
    sca = make_sequence(scaled, roles, scale, seq.style, f"{seq.name}/scale{gamma:.2f}")
    return [seq, Sequence(f"{seq.name}/mirror", seq.style, mpos, mrot, "mirror"), replace(sca, variant="scale")]


def embedded_clip_name(name: str, paths: dict | None = None) -> str:
    """An embedded clip's full name from it or its short form ("walk" -> "humanoid3d_walk");
    MotionFileError listing the clips for anything else."""
    from motion.deepmimic import embedded_clips

    paths = embedded_clips() if paths is None else paths
    for candidate in (name, f"humanoid3d_{name}"):
        if candidate in paths:
            return candidate
    raise MotionFileError(name, "not an embedded clip (choose from " + ", ".join(paths) + ")")


def held_out_option(values: list[str] | None) -> tuple[str, ...] | None:
    """A --held-out option's clips: None (not given: the default clips), () for "none", else the names."""
    if values is None:
        return None
    if NO_CLIP in values:
        if len(values) > 1:
            raise MotionFileError(" ".join(values), f"'{NO_CLIP}' holds out no clip: give it alone")
        return ()
    return tuple(values)


def embedded_dataset(min_seconds: float = 8.0, held_out: tuple[str, ...] | None = None, augmented: bool = True,
                     seed: int = 0, clips: tuple[str, ...] | None = None, limb_mix: int = 0,
                     extra_train=None) -> MotionDataset:
    """The embedded DeepMimic clips as a MotionDataset (see the module docstring for the choices): `clips`
    (default all) less `held_out` (default HELD_OUT_CLIPS) are the training clips, `held_out` the test
    clips; names full or short. `limb_mix` K adds K body-part mixes per training clip (`add_limb_mixes`);
    `extra_train(roles, scale, rng, training_clip_names) -> [Sequence]` adds training sequences drawn after
    the clips' with the same generator (`train --sim`: the simulated performances, `training.simulated`)."""
    from motion.deepmimic import embedded_clips, humanoid3d_skeleton, read_deepmimic

    paths = embedded_clips()
    names = [embedded_clip_name(n, paths) for n in clips] if clips is not None else list(paths)
    held_out = {embedded_clip_name(n, paths) for n in (HELD_OUT_CLIPS if held_out is None else held_out)}
    if not set(names) - held_out:
        raise MotionFileError(", ".join(sorted(held_out)), "holding out these clips leaves no training clip")
    skeleton = humanoid3d_skeleton()
    roles = roles_for(skeleton, "humanoid3d")
    rng = np.random.default_rng(seed)
    data = MotionDataset(roles, skeleton.offsets[list(roles.source_index)] * DEEPMIMIC_SCALE, DEEPMIMIC_SCALE)
    sources = []
    for name in names:
        m = read_deepmimic(paths[name])
        min_frames = math.ceil(min_seconds * m.fps)
        m = loop_cycles(m, roles, min_frames) if m.meta["loop"] == "wrap" else hold_pad(m, min_frames)
        m = to_30fps(m)
        seq = make_sequence(m, roles, DEEPMIMIC_SCALE, style=name)
        seqs = augment(seq, roles, m, DEEPMIMIC_SCALE, rng) if augmented else [seq]
        (data.test if name in held_out else data.train).extend(seqs)
        if name not in held_out:
            sources.append((m, name))
    add_limb_mixes(data, sources, limb_mix, rng, augmented)
    if extra_train is not None:
        data.train.extend(extra_train(roles, DEEPMIMIC_SCALE, rng, {name for _, name in sources}))
    return data


def add_limb_mixes(data: MotionDataset, sources: list[tuple[Motion, str]], per_clip: int,
                   rng: np.random.Generator, augmented: bool) -> None:
    """Add `per_clip` body-part mixes (`training.limb_mix`) on each training motion of `sources`
    [(motion at 30 fps, style)] to data.train, augmented as the clips are; a mix has its base clip's style."""
    from training.limb_mix import limb_mixes

    mixes = limb_mixes([m for m, _ in sources], data.roles, per_clip, rng)
    for i, mixed in enumerate(mixes):
        seq = make_sequence(mixed, data.roles, data.scale, style=sources[i // per_clip][1])
        data.train.extend(augment(seq, data.roles, mixed, data.scale, rng) if augmented else [seq])


def tail_split(seq: Sequence, motion: Motion, test_frames: int) -> list[tuple[Sequence, Motion, bool]]:
    """[(piece, its source motion, is_test)]: the last `test_frames` frames of the sequence go to test."""
    from motion.ops import slice_frames

    cut = seq.num_frames - test_frames
    return [(replace(seq, name=f"{seq.name}/train", pos=seq.pos[:cut], rot=seq.rot[:cut]), slice_frames(motion, 0, cut), False),
            (replace(seq, name=f"{seq.name}/test", pos=seq.pos[cut:], rot=seq.rot[cut:]), slice_frames(motion, cut, None), True)]


def bvh_folder_dataset(folder, augmented: bool = True, seed: int = 0) -> MotionDataset:
    """Every .bvh under `folder` (recursively), style = the file's folder name (the file name for files
    directly in `folder`). All files must share one skeleton; its roles come from `roles_for` (presets or
    name patterns). Each sequence gives its last 10% to test when both parts keep MIN_FRAMES frames,
    else it is used for training only."""
    from pathlib import Path

    from motion.bvh import read_bvh
    from motion.joint_roles import JointRolesError

    folder = Path(folder)
    files = sorted(folder.rglob("*.bvh")) if folder.is_dir() else []
    if not files:
        raise MotionFileError(folder, "no .bvh files found" if folder.is_dir() else "folder not found")
    rng = np.random.default_rng(seed)
    data = None
    for file in files:
        m = to_30fps(read_bvh(file))
        try:
            if data is None:
                roles = roles_for(m.skeleton, str(file))
                data = MotionDataset(roles, m.skeleton.offsets[list(roles.source_index)], 1.0)
            style = file.parent.name if file.parent != folder else file.stem
            seq = make_sequence(m, data.roles, 1.0, style, str(file.relative_to(folder)))
        except JointRolesError as e:
            raise MotionFileError(file, str(e).split(": ", 1)[-1]) from None
        check_length(seq, str(file))
        test_frames = int(seq.num_frames * TEST_FRACTION)
        pieces = tail_split(seq, m, test_frames) if test_frames >= MIN_FRAMES else [(seq, m, False)]
        for piece, motion, is_test in pieces:
            seqs = augment(piece, data.roles, motion, 1.0, rng) if augmented else [piece]
            (data.test if is_test else data.train).extend(seqs)
    return data


# --------------------------------------------------------------------------- windows

def pae_windows(sequences: list[Sequence], roles: JointRoles, stride: int = PAE_STRIDE) -> np.ndarray:
    """PAE training input (N, 3J, 61) from pose windows of 62 frames, stride 60 as RSMT (a smaller
    stride gives more, overlapping windows: the embedded clips give only ~125 at stride 60)."""
    parts = [F.pae_training_windows(s.pos, roles, F.PAE_WINDOW, stride) for s in sequences]
    return np.concatenate(parts) if parts else np.zeros((0, 3 * roles.num_joints, F.PAE_WINDOW), np.float32)


def annotate_phases(sequences: list[Sequence], roles: JointRoles, phase_fn, batch: int = 1024) -> list[Sequence]:
    """Trimmed copies of the sequences with PAE phases (add_phase_to_dataset.py).

    phase_fn maps PAE input (N, 3J, 61) -> (amplitude (N, P), shift (N, P)), e.g. a trained PAE's a and p.
    Sequences too short for one centred window are dropped."""
    out = []
    for s in sequences:
        x = F.phase_windows(s.pos, roles)
        if len(x) == 0:
            continue
        amp, shift = zip(*(phase_fn(x[i:i + batch]) for i in range(0, len(x), batch)))
        keep = F.phase_frames(s.num_frames)
        out.append(replace(s, pos=s.pos[keep], rot=s.rot[keep], amplitude=np.concatenate(amp).astype(np.float32),
                           shift=np.concatenate(shift).astype(np.float32)))
    return out


def _phase_windows_of(s: Sequence, window: int, stride: int) -> dict[str, np.ndarray]:
    if s.amplitude is None:
        raise ValueError(f"sequence {s.name!r} has no phases: run annotate_phases first")
    a = F.cut_windows(s.amplitude, window, stride)
    sh = F.cut_windows(s.shift, window, stride)
    return {"A": (a * F.AMPLITUDE_SCALE)[..., None], "S": sh[..., None], "phase": F.phase_manifold(a, sh)}


def canonical_windows(sequences: list[Sequence], roles: JointRoles, window: int, stride: int,
                      styles: list[str], with_phase: bool = True) -> dict[str, np.ndarray]:
    """Windows in canonical space: pos (N, T, J, 3), rot (N, T, J, 6), style (N,) index into `styles`,
    and with phases A (N, T, P, 1) (already x10), S (N, T, P, 1), phase (N, T, P, 2)."""
    keys = ["pos", "rot", "style"] + (["A", "S", "phase"] if with_phase else [])
    parts: dict[str, list] = {k: [] for k in keys}
    for s in sequences:
        pos = F.cut_windows(s.pos, window, stride)
        if len(pos) == 0:
            continue
        cpos, crot = F.canonicalize(pos, F.cut_windows(s.rot, window, stride), roles)
        parts["pos"].append(cpos)
        parts["rot"].append(crot)
        parts["style"].append(np.full(len(pos), styles.index(s.style), np.int64))
        if with_phase:
            for k, v in _phase_windows_of(s, window, stride).items():
                parts[k].append(v)
    j = roles.num_joints
    empty = {"pos": (0, window, j, 3), "rot": (0, window, j, 6), "style": (0,)}
    return {k: np.concatenate(v) if v else np.zeros(empty.get(k, (0, window, 0, 1)), np.float32)
            for k, v in parts.items()}


def manifold_windows(sequences: list[Sequence], roles: JointRoles, styles: list[str]) -> dict[str, np.ndarray]:
    """StyleVAE training windows: 61 frames, stride 40 (training slices random 25-frame sub-windows)."""
    return canonical_windows(sequences, roles, MANIFOLD_WINDOW, MANIFOLD_STRIDE, styles)


def style_clips(sequences: list[Sequence], roles: JointRoles, styles: list[str],
                window: int = STYLE_WINDOW, stride: int = STYLE_STRIDE) -> dict[str, np.ndarray]:
    """Sampler style clips: 120-frame windows, stride 120, as the style encoder's per-frame facing-space
    features (`features.style_features`): pos/vel (N, 119, J, 3), rot (N, 119, J, 6), style (N,)."""
    parts: dict[str, list] = {"pos": [], "vel": [], "rot": [], "style": []}
    for s in sequences:
        pos = F.cut_windows(s.pos, window, stride)
        if len(pos) == 0:
            continue
        feats = F.style_features(pos, F.cut_windows(s.rot, window, stride), roles)
        for k in ("pos", "vel", "rot"):
            parts[k].append(feats[k])
        parts["style"].append(np.full(len(pos), styles.index(s.style), np.int64))
    j = roles.num_joints
    shapes = {"pos": (0, window - 1, j, 3), "vel": (0, window - 1, j, 3), "rot": (0, window - 1, j, 6), "style": (0,)}
    return {k: np.concatenate(v) if v else np.zeros(shapes[k], np.float32) for k, v in parts.items()}


def sampler_windows(sequences: list[Sequence], roles: JointRoles, styles: list[str]) -> dict:
    """TransitionNet training data: content windows (61 stride 40, as the manifold's) and style clips;
    a content window of style s is paired at training time with style clips of style s."""
    return {"content": manifold_windows(sequences, roles, styles), "style_clips": style_clips(sequences, roles, styles)}


def benchmark_windows(sequences: list[Sequence], roles: JointRoles, styles: list[str],
                      with_phase: bool = True) -> dict[str, np.ndarray]:
    """Evaluation windows: 65 frames, stride 40 (10 past frames + transitions up to 40 + target + slack)."""
    return canonical_windows(sequences, roles, BENCHMARK_WINDOW, BENCHMARK_STRIDE, styles, with_phase)


def statistics(train: list[Sequence], roles: JointRoles, styles: list[str]) -> dict:
    """Normalisation statistics from the training sequences (JSON-able):
    "style": style-clip encoder z-score stats (RSMT motion_statistics.dat) over the training style clips;
    "benchmark_pos": per-joint position mean/std for L2P over training benchmark-size windows."""
    clips = style_clips(train, roles, styles)
    bench = benchmark_windows(train, roles, styles, with_phase=False)
    if len(clips["pos"]) == 0 or len(bench["pos"]) == 0:
        raise ValueError(f"training data too short for statistics: need sequences of at least "
                         f"{STYLE_WINDOW + 1} frames at 30 fps")
    return {"style": F.style_statistics(clips), "benchmark_pos": F.position_statistics(bench["pos"])}


def check_length(seq: Sequence, where: str, min_frames: int = MIN_FRAMES) -> None:
    """MotionFileError naming `where` when a sequence is too short for any manifold window."""
    if seq.num_frames < min_frames:
        raise MotionFileError(where, f"clip has {seq.num_frames} frames at 30 fps; at least {min_frames} "
                                     f"({min_frames / F.FPS:.1f} s) are needed for a 61-frame window with "
                                     f"61 frames of phase context")
