"""Body-part mixing (`training.limb_mix`, `train --limb-mix K`): which joints make a limb, what a mix is made
of, and how the datasets and the CLI use it."""
import json

import numpy as np
import pytest

from motion.deepmimic import humanoid3d_skeleton
from motion.joint_roles import roles_for
from motion.motion import Motion
from training import datasets as D
from training.limb_mix import limb_mixes, limb_roots, subtree


@pytest.fixture(scope="module")
def humanoid():
    skeleton = humanoid3d_skeleton()
    return skeleton, roles_for(skeleton, "humanoid3d")


def _clip(skeleton, frames: int, seed: int) -> Motion:
    """Random unit quaternions per frame and joint, and a random root path: every joint of every clip differs."""
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(frames, skeleton.num_joints, 4))
    trans = np.tile(skeleton.offsets, (frames, 1, 1))
    trans[:, 0] = rng.normal(size=(frames, 3))
    return Motion(skeleton, q / np.linalg.norm(q, axis=-1, keepdims=True), trans, 30.0, name=f"clip{seed}")


def test_limb_roots_are_the_torso_carried_joints_that_are_not_spine(humanoid):
    skeleton, roles = humanoid
    assert {roles.names[j] for j in limb_roots(roles)} == {"neck", "right_hip", "left_hip", "right_shoulder",
                                                          "left_shoulder"}
    assert [skeleton.names[j] for j in subtree(skeleton.parents, skeleton.index("right_shoulder"))] == \
        ["right_shoulder", "right_elbow"]


def test_limb_roots_on_100style():
    from motion.joint_roles import style100_roles
    from test_training_datasets import _skeleton  # tests/training: the 100STYLE test skeleton

    roles = style100_roles(_skeleton())
    assert {roles.names[j] for j in limb_roots(roles)} == {"LeftHip", "RightHip", "Neck", "LeftCollar",
                                                          "RightCollar"}


def test_a_mix_keeps_the_base_root_and_spine_and_takes_each_limb_whole_from_one_clip(humanoid):
    skeleton, roles = humanoid
    clips = [_clip(skeleton, 40 + 5 * i, seed=i) for i in range(4)]
    mixes = limb_mixes(clips, roles, per_clip=3, rng=np.random.default_rng(7))
    assert len(mixes) == 12
    assert [m.name for m in mixes[:4]] == ["clip0+mix0", "clip0+mix1", "clip0+mix2", "clip1+mix0"]
    limbs = [subtree(skeleton.parents, roles.source_index[j]) for j in limb_roots(roles)]
    limb_joints = sorted(j for limb in limbs for j in limb)
    torso = [j for j in range(skeleton.num_joints) if j not in limb_joints]
    assert [skeleton.names[j] for j in torso] == ["root", "chest"]
    donors_seen = set()
    for i, mix in enumerate(mixes):
        base = clips[i // 3]
        n = mix.num_frames
        np.testing.assert_array_equal(mix.rotations[:, torso], base.rotations[:n, torso])
        np.testing.assert_array_equal(mix.translations, base.translations[:n])
        donors = []
        for limb in limbs:
            donor = [c for c in clips if c.num_frames >= n and np.array_equal(mix.rotations[:, limb],
                                                                             c.rotations[:n, limb])]
            assert len(donor) == 1, f"{mix.name}: limb {limb} is not one clip's"
            donors.append(donor[0])
        assert n == min(c.num_frames for c in [base] + donors)  # cut to the shortest clip taking part
        donors_seen.update(d.name for d in donors)
    assert donors_seen == {c.name for c in clips}
    again = limb_mixes(clips, roles, per_clip=3, rng=np.random.default_rng(7))
    assert all(np.array_equal(a.rotations, b.rotations) for a, b in zip(mixes, again))  # same seed, same mixes
    assert limb_mixes(clips, roles, per_clip=0, rng=np.random.default_rng(7)) == []


def test_embedded_dataset_adds_mixes_of_training_clips_only():
    plain = D.embedded_dataset(held_out=("walk", "run"), augmented=False, clips=("walk", "run", "jump", "kick"))
    mixed = D.embedded_dataset(held_out=("walk", "run"), augmented=False, clips=("walk", "run", "jump", "kick"),
                               limb_mix=2)
    extra = mixed.train[len(plain.train):]
    assert [s.name for s in extra] == ["humanoid3d_jump+mix0", "humanoid3d_jump+mix1",
                                       "humanoid3d_kick+mix0", "humanoid3d_kick+mix1"]
    assert [s.style for s in extra] == ["humanoid3d_jump"] * 2 + ["humanoid3d_kick"] * 2
    assert [s.name for s in mixed.test] == [s.name for s in plain.test]
    for a, b in zip(plain.train + plain.test, mixed.train[:len(plain.train)] + mixed.test):  # clips unchanged
        np.testing.assert_array_equal(a.pos, b.pos)
    augmented = D.embedded_dataset(held_out=("walk", "run"), clips=("walk", "run", "jump", "kick"), limb_mix=1)
    assert sum("+mix" in s.name for s in augmented.train) == 6  # each mix with its mirror and time-scale copies


def test_train_records_limb_mix_and_rejects_a_negative_count(tmp_path, capsys):
    import cli

    assert cli.main(["train", "phase", "--steps", "1", "--limb-mix", "1", "--out", str(tmp_path / "p")]) == 0
    capsys.readouterr()
    assert json.loads((tmp_path / "p" / "phase.json").read_text())["training"]["limb_mix"] == 1
    assert cli.main(["train", "phase", "--steps", "1", "--limb-mix", "-1", "--out", str(tmp_path / "n")]) == 2
    assert "--limb-mix must be 0 or more, got -1" in capsys.readouterr().err
