"""Training datasets from the embedded DeepMimic clips and from a tiny synthetic 100STYLE folder."""
import json

import numpy as np
import pytest
import torch

from motion import features as F
from motion.bvh import write_bvh
from motion.errors import MotionFileError
from motion.motion import Motion
from motion.rotations import euler_to_quat
from motion.skeleton import Skeleton
from training import datasets as D
from training.style100 import read_frame_cuts, style100_dataset

from style100_hierarchy import STYLE100_HIERARCHY as _HIERARCHY  # tests/style100_hierarchy.py


def _skeleton(drop: str | None = None) -> Skeleton:
    rows = [r for r in _HIERARCHY if drop is None or drop not in (r[0], r[1])]
    names = [n for n, _, _ in rows]
    parents = [-1 if p is None else names.index(p) for _, p, _ in rows]
    channels = [("Xposition", "Yposition", "Zposition", "Yrotation", "Xrotation", "Zrotation")] + \
               [("Yrotation", "Xrotation", "Zrotation")] * (len(names) - 1)
    return Skeleton(names, parents, [o for _, _, o in rows], channels)


def _walk(frames: int, skeleton: Skeleton, fps: float = 60.0) -> Motion:
    """Synthetic stepping: legs swing at 1 Hz, the root moves forward (+Z) at 1 m/s."""
    t = np.arange(frames) / fps
    j = skeleton.num_joints
    angles = np.zeros((frames, j, 3))
    for name, sign in (("LeftHip", 1), ("RightHip", -1)):
        angles[:, skeleton.index(name), 1] = sign * 25 * np.sin(2 * np.pi * t)
    rot = euler_to_quat(angles, "YXZ")
    trans = np.tile(skeleton.offsets, (frames, 1, 1))
    trans[:, 0] = np.stack([0 * t, 97 + 2 * np.sin(4 * np.pi * t), 100 * t], -1)
    return Motion(skeleton, rot, trans, fps)


def _style100_folder(root, styles=11, frames=300, long_style=None):
    lines = ["STYLE_NAME," + ",".join(f"{c}_START,{c}_STOP" for c in ("BR", "FW", "ID"))]
    for i in range(styles):
        name = f"Style{i:02d}"
        n = 4300 if name == long_style else frames
        (root / name).mkdir()
        write_bvh(_walk(n + 20, _skeleton()), root / name / f"{name}_FW.bvh", precision=3)
        lines.append(f"{name},N/A,N/A,10,{10 + n},,")
    (root / "Frame_Cuts.csv").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture(scope="module")
def embedded():
    return D.embedded_dataset()


def _pae_phase_fn(roles):
    """A real (randomly initialised) PAE, as training will use a trained one, returning (a, p)."""
    from inference.networks.deephase import PAE
    from inference.networks.rsmt_config import RSMTConfig

    torch.manual_seed(0)
    pae = PAE(RSMTConfig.for_roles(roles)).eval()

    def fn(x):
        with torch.no_grad():
            _, p, a, _, _ = pae.encode(torch.from_numpy(x))
        return a[..., 0].numpy(), p[..., 0].numpy()
    return fn, pae.embedding_channels


def test_embedded_dataset_sequences(embedded):
    assert len(embedded.train) == 36 and len(embedded.test) == 9  # 12 / 3 clips x (original, mirror, scaled)
    assert {s.style for s in embedded.test} == set(D.HELD_OUT_CLIPS)
    assert not {s.style for s in embedded.train} & set(D.HELD_OUT_CLIPS)
    for s in embedded.train + embedded.test:
        assert s.pos.shape == (s.num_frames, 13, 3) and s.rot.shape == (s.num_frames, 13, 3, 3)
        if s.variant != "scale":
            assert s.num_frames >= 8 * 30
    # looping: no seam jumps in the root path; looped cycles move on (walk goes ~1.24 m per cycle)
    walk = next(s for s in embedded.train if s.name == "humanoid3d_walk")
    step = np.linalg.norm(np.diff(walk.pos[:, 0, [0, 2]], axis=0), axis=-1)
    assert step.max() < 2.0 * np.median(step)
    assert walk.pos[-1, 0, 0] - walk.pos[0, 0, 0] > 700  # cm
    # "none" clips hold their end poses
    kick = next(s for s in embedded.train if s.name == "humanoid3d_kick")
    np.testing.assert_array_equal(kick.pos[0], kick.pos[10])
    json.dumps(embedded.skeleton_config())


def test_embedded_windows_with_phases(embedded):
    roles, styles = embedded.roles, embedded.styles
    pae = D.pae_windows(embedded.train, roles)
    assert pae.ndim == 3 and pae.shape[1:] == (39, 61) and len(pae) > 0
    fn, phases = _pae_phase_fn(roles)
    sequences = [s for s in embedded.train if s.style in ("humanoid3d_walk", "humanoid3d_kick")]  # keeps it fast
    train = D.annotate_phases(sequences, roles, fn)
    assert len(train) == len(sequences) == 6
    for before, after in zip(sequences, train):
        assert after.num_frames == before.num_frames - 61 == len(after.amplitude)
        np.testing.assert_array_equal(after.pos[0], before.pos[31])
    man = D.manifold_windows(train, roles, styles)
    n = len(man["pos"])
    assert n > 0
    assert man["pos"].shape == (n, 61, 13, 3) and man["rot"].shape == (n, 61, 13, 6)
    assert man["phase"].shape == (n, 61, phases, 2) and man["A"].shape == (n, 61, phases, 1)
    np.testing.assert_allclose(np.linalg.norm(man["phase"], axis=-1), man["A"][..., 0], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(F.facing_directions(man["pos"][:, 10], roles)[:, 0], 1.0, atol=1e-5)
    sampler = D.sampler_windows(train, roles, styles)
    clips = sampler["style_clips"]
    assert clips["pos"].shape[1:] == (119, 13, 3) and clips["rot"].shape[1:] == (119, 13, 6)
    assert set(clips["style"]) <= set(man["style"])
    stats = D.statistics(embedded.train, roles, styles)
    assert np.array(stats["style"]["rot_mean"]).shape == (13, 6)
    assert np.array(stats["benchmark_pos"]["mean"]).shape == (13, 3)
    json.dumps(stats)
    bench = D.benchmark_windows(D.annotate_phases(embedded.test[:1], roles, fn), roles, styles)
    assert bench["pos"].shape[1:] == (65, 13, 3) and len(bench["pos"]) > 0


def test_style100_folder_parses_and_splits(tmp_path):
    folder = _style100_folder(tmp_path, long_style="Style00")
    cuts = read_frame_cuts(folder)
    assert len(cuts) == 11 and cuts[0] == ("Style00", {"FW": (10, 4310)})
    data = style100_dataset(folder)
    assert data.roles.rot_rep_idx == (1, 5, 9, 10, 11, 12, 13, 15, 19)
    test_styles = {s.style for s in data.test}
    assert test_styles == {f"Style{i:02d}" for i in range(11)}  # last 10 + the long one's last tenth
    train = [s for s in data.train if s.variant == "original"]
    assert [s.style for s in train] == ["Style00"]
    assert train[0].num_frames == 2150 - 215  # 60 -> 30 fps, last 10% held out
    short = next(s for s in data.test if s.name == "Style05_FW")
    assert short.num_frames == 150 and short.pos.shape == (150, 23, 3)
    np.testing.assert_allclose(F.facing_directions(short.pos, data.roles)[:, 2], 1.0, atol=1e-3)  # walks +Z


def test_style100_errors_name_the_file(tmp_path):
    with pytest.raises(MotionFileError, match="Frame_Cuts.csv: file not found"):
        style100_dataset(tmp_path)
    folder = _style100_folder(tmp_path, styles=1, frames=100)
    with pytest.raises(MotionFileError, match=r"Style00_FW.bvh: clip has 50 frames at 30 fps; at least 123"):
        style100_dataset(folder)
    (folder / "Style00" / "Style00_FW.bvh").unlink()
    with pytest.raises(MotionFileError, match="Style00_FW.bvh: file not found"):
        style100_dataset(folder)
    write_bvh(_walk(300, _skeleton(drop="LeftToe")), folder / "Style00" / "Style00_FW.bvh", precision=3)
    with pytest.raises(MotionFileError, match=r"Style00_FW.bvh: .*missing joints \['LeftToe'\]"):
        style100_dataset(folder)
    (folder / "Frame_Cuts.csv").write_text("STYLE_NAME,FW_START,FW_STOP\nStyle00,ten,20\n")
    with pytest.raises(MotionFileError, match=r"Frame_Cuts.csv:2: Style00 FW"):
        style100_dataset(folder)


def test_bvh_folder_dataset(tmp_path):
    for style in ("Proud", "Sneaky"):
        (tmp_path / style).mkdir()
        write_bvh(_walk(300, _skeleton()), tmp_path / style / "take1.bvh", precision=3)
    data = D.bvh_folder_dataset(tmp_path)
    assert data.styles == ["Proud", "Sneaky"] and len(data.train) == 6 and data.test == []
    assert data.roles.names[:2] == ("Hips", "LeftHip")  # the 100STYLE preset was recognised
    (tmp_path / "empty").mkdir()
    with pytest.raises(MotionFileError, match="empty: no .bvh files found"):
        D.bvh_folder_dataset(tmp_path / "empty")
    odd = Skeleton(["root", "spine"], [-1, 0], [[0, 0, 0], [0, 10, 0]],
                   [("Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation"),
                    ("Zrotation", "Xrotation", "Yrotation")])
    (tmp_path / "odd").mkdir()
    write_bvh(Motion(odd, np.tile([1.0, 0, 0, 0], (200, 2, 1)), np.zeros((200, 2, 3)), 30.0), tmp_path / "odd" / "a.bvh")
    with pytest.raises(MotionFileError, match=r"odd/a.bvh: cannot find the left hip"):
        D.bvh_folder_dataset(tmp_path / "odd")


def test_simulated_performances_are_split_as_rsmt_splits_long_sequences():
    """One long performance per shipped policy; its last TEST_SECONDS are test windows for every policy, the
    rest trains only the policies whose clip is a training clip; each piece gets its mirror and time-scale
    copies; a policy that falls (spinkick) performs until shortly before the fall."""
    from sim.env import POLICIES
    from training.simulated import FALL_MARGIN_SECONDS, PERFORMANCE_SECONDS, TEST_SECONDS, performances, \
        recorded_performance, simulated_split

    roles = D.embedded_dataset(clips=("humanoid3d_walk",), held_out=(), augmented=False).roles
    runs = {policy: seq for policy, seq, _ in performances(roles, D.DEEPMIMIC_SCALE)}
    assert set(runs) == set(POLICIES)
    assert runs["walk"].num_frames == int(PERFORMANCE_SECONDS * F.FPS) + 1  # the start pose and 3,600 frames
    fall = recorded_performance("spinkick")[1]
    assert fall is not None and runs["spinkick"].num_frames == int((fall - FALL_MARGIN_SECONDS) * F.FPS)
    train, test = simulated_split(roles, D.DEEPMIMIC_SCALE, np.random.default_rng(0), {"humanoid3d_walk"})
    tails = [s for s in test if s.variant == "original"]
    assert len(test) == 3 * len(POLICIES) and {s.name for s in tails} == {f"sim_{p}/test" for p in POLICIES}
    assert all(s.num_frames == int(TEST_SECONDS * F.FPS) for s in tails)
    assert {s.style for s in train} == {"humanoid3d_walk"} and len(train) == 3 * 2  # both walk policies
    head = next(s for s in train if s.name == "sim_walk/train" and s.variant == "original")
    tail = next(s for s in tails if s.name == "sim_walk/test")
    assert np.array_equal(np.concatenate([head.pos, tail.pos]), runs["walk"].pos)
    # the test tails do not depend on which heads are trained on
    other = simulated_split(roles, D.DEEPMIMIC_SCALE, np.random.default_rng(0), set())
    assert other[0] == [] and all(np.array_equal(a.pos, b.pos) for a, b in zip(other[1], test))


def test_simulated_performances_are_recorded_once_and_cached(tmp_path, monkeypatch):
    """The deterministic simulation is recorded into the cache once; an unreadable cache file is recorded again."""
    from training import simulated

    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(tmp_path))
    monkeypatch.setattr(simulated, "PERFORMANCE_SECONDS", 1.0)
    first, fall = simulated.recorded_performance("jump")
    files = list((tmp_path / "sim").iterdir())
    assert fall is None and len(files) == 1 and files[0].name.startswith("jump-1s-pybullet")
    again, _ = simulated.recorded_performance("jump")
    assert np.array_equal(again.rotations, first.rotations) and np.array_equal(again.translations, first.translations)
    assert len(first.rotations) == 31
    files[0].write_bytes(b"not an npz")
    redone, _ = simulated.recorded_performance("jump")
    assert np.array_equal(redone.rotations, first.rotations) and files[0].stat().st_size > 100
