"""The Bandai Namco data pipeline (`training.bandai`) on three excerpts of the data set (tests/data/bandai):
labels, the folded root, the rig's roles and mirroring, the per-style split, zip extraction, `train --data`."""
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import cli
from motion import features as F
from motion.bvh import read_bvh
from motion.fk import global_transforms
from motion.joint_roles import roles_for
from training import bandai as B
from training.datasets import TEST_FRACTION

DATA = Path(__file__).resolve().parents[1] / "data" / "bandai"
WALK = "dataset-1_walk_angry_001"


def test_labels_come_from_the_file_name():
    c = B.parse_name(Path("x/dataset-1_walk-back_not-confident_002.bvh"))
    assert (c.content, c.style, c.take) == ("walk-back", "not-confident", "002")
    assert B.parse_name(Path("walk.bvh")) is None
    assert B.content_of("dataset-1_walk_angry_001/test/mirror") == "walk"
    assert sorted(c.style for c in B.read_clips(DATA)) == ["angry", "normal", "normal"]


def test_fold_root_keeps_every_joint_where_it_was():
    raw = read_bvh(DATA / "dataset-1_dash_normal_001.bvh")  # joint_Root carries this clip's travel
    assert np.abs(raw.translations[:, 0]).max() > 100
    folded = B.fold_root(raw)
    assert folded.skeleton.names == raw.skeleton.names[1:]
    before = global_transforms(raw.skeleton, raw.rotations, raw.translations)[1][:, 1:]
    after = global_transforms(folded.skeleton, folded.rotations, folded.translations)[1]
    np.testing.assert_allclose(after, before, atol=1e-3)


def test_roles_and_mirror_on_the_rig():
    m = B.read_clip(B.parse_name(DATA / f"{WALK}.bvh"))
    roles = roles_for(m.skeleton, WALK)
    names = roles.names
    assert names[0] == "Hips"
    assert (names[roles.left_hip], names[roles.right_hip]) == ("UpperLeg_L", "UpperLeg_R")
    assert [names[f] for f in roles.feet] == ["Foot_L", "Toes_L", "Foot_R", "Toes_R"]
    assert names[roles.mirror[names.index("Hand_L")]] == "Hand_R"
    offsets = m.skeleton.offsets[list(roles.source_index)]
    pos, rot = F.global_pose(m, roles)
    mpos, mrot = F.mirror_global(pos, rot, roles, offsets)
    # the mirrored rotations carry the bones onto the mirrored joints (FK agrees with the positions)
    for j in range(1, roles.num_joints):
        p = roles.parents[j]
        fk = mpos[:, p] + np.einsum("fij,j->fi", mrot[:, p], offsets[j])
        assert np.abs(fk - mpos[:, j]).max() < 0.1, names[j]  # the rig itself is symmetric to 0.04 cm
    np.testing.assert_allclose(np.linalg.det(mrot), 1.0, atol=1e-4)
    assert np.allclose(mpos[..., 1], pos[:, list(roles.mirror), 1])  # a vertical mirror plane: partners swap heights
    back = F.mirror_global(mpos, mrot, roles, offsets)
    np.testing.assert_allclose(back[0], pos, atol=1e-4)
    np.testing.assert_allclose(back[1], rot, atol=1e-5)


def test_split_holds_out_the_last_tenth_of_each_style():
    data = B.bandai_dataset(DATA, augmented=False)
    originals = {s.name: s for s in data.train + data.test}
    # angry: one 143-frame clip, its last ceil(14.3) = 15 frames held out, cut inside the clip (too short
    # for any window, so the test piece is dropped; it never reaches training)
    assert list(originals) == [f"{WALK}/train"] and originals[f"{WALK}/train"].num_frames == 128
    # normal: dash (20 frames) then walk_normal_002 (31), both too short for any window: dropped
    assert not any("normal" in n for n in originals)
    cut = B.style_cuts(B.read_clips(DATA), {DATA / "a.bvh": 0} | {c.path: 100 for c in B.read_clips(DATA)}, 0.25)
    assert cut[DATA / "dataset-1_dash_normal_001.bvh"] == 100  # dash sorts before walk: all training
    assert cut[DATA / "dataset-1_walk_normal_002.bvh"] == 50  # 25% of 200 normal frames: its last 50
    assert TEST_FRACTION == 0.1
    full = B.bandai_dataset(DATA)
    assert {s.variant for s in full.train} == {"original", "mirror", "scale"}
    assert full.styles == ["angry"]


def test_zip_is_extracted_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "bandai"
    folder.mkdir()
    with zipfile.ZipFile(folder / "data.zip", "w") as z:
        z.write(DATA / f"{WALK}.bvh", f"data/{WALK}.bvh")
    assert B.resolve(str(folder)) == folder
    files = B.clip_files(folder)
    assert [f.name for f in files] == [f"{WALK}.bvh"]
    assert (tmp_path / "cache") in files[0].parents
    assert B.resolve(str(tmp_path)) is None  # no clips there


def test_train_reads_the_folder_and_records_the_styles(tmp_path):
    out = tmp_path / "phase"
    assert cli.main(["train", "phase", "--data", str(DATA), "--steps", "2", "--out", str(out)]) == 0
    config = json.loads((out / "phase.json").read_text())
    assert config["styles"] == ["angry"]
    assert config["skeleton"]["roles"]["names"][0] == "Hips"
    assert cli.main(["train", "phase", "--data", str(DATA), "--limb-mix", "2", "--out", str(out)]) == 2


def test_the_shared_copy_by_name():
    if not B.SHARED.is_dir():
        pytest.skip(f"the shared Bandai Namco data set is absent ({B.SHARED})")
    clips = B.read_clips(B.resolve(B.NAME))
    assert len(clips) == 174 and len({c.style for c in clips}) == 15


def test_weights_trained_on_the_data_carry_its_licence(tmp_path, capsys):
    """`train --data` on Bandai Namco clips writes a LICENSE.md naming CC BY-NC 4.0 beside the weights (what the
    app and `transition` read back and announce), and keeps one that is there already."""
    from inference.rsmt.models import model_licence

    out = tmp_path / "phase"
    assert cli.main(["train", "phase", "--data", str(DATA), "--steps", "1", "--out", str(out)]) == 0
    assert model_licence(out) == B.LICENCE == "CC BY-NC 4.0, non-commercial use only"
    assert "Bandai Namco Research Inc." in (out / "LICENSE.md").read_text()
    assert "LICENSE.md says so" in capsys.readouterr().err
    (out / "LICENSE.md").write_text("# Ours\n\nLicence: CC BY-NC 4.0, non-commercial use only\n")
    assert cli.main(["train", "phase", "--data", str(DATA), "--steps", "1", "--out", str(out)]) == 0
    assert (out / "LICENSE.md").read_text().startswith("# Ours") and "(kept)" in capsys.readouterr().err
