"""Transitions between clips on other rigs than the model's (inference.rsmt.rigs) on a random-weight lite RSMT
model, torch backend: the source is a walk on the Mixamo fixture rig, the target a run on the Rigify rig, the
style a jump on the rig whose bones run along local X (all retargeted from the embedded humanoid3d clips)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import cli
from inference.rsmt.models import random_rsmt_weights
from inference.rsmt.transition import TransitionError, TransitionGenerator, TransitionRequest
from motion.bvh import read_bvh, write_bvh
from motion.deepmimic import load_embedded
from motion.fk import world_positions
from motion.resample import to_30fps
from motion.retarget import body_height, make_rig, retarget

RIGS = Path(__file__).resolve().parents[1] / "data" / "retarget"
LENGTH = 15


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return random_rsmt_weights(tmp_path_factory.mktemp("rsmt_rigs"), seed=4)


@pytest.fixture(scope="module")
def clips():
    def onto(clip: str, rig: str):
        return retarget(load_embedded(clip), read_bvh(RIGS / rig))[0]

    return {"source": onto("humanoid3d_walk", "mixamo_65.bvh"), "target": onto("humanoid3d_run", "rigify.bvh"),
            "style": onto("humanoid3d_jump", "along_x.bvh")}


@pytest.fixture(scope="module")
def generator(model):
    return TransitionGenerator(model)


@pytest.fixture(scope="module")
def result(generator, clips):
    return generator.generate(TransitionRequest(clips["source"], clips["target"], length=LENGTH, source_frame=20,
                                                style=clips["style"], seed=2))


def test_output_is_on_the_source_skeleton_with_its_own_context_frames(result, clips):
    source = clips["source"]
    sk, out = source.skeleton, result.motion.skeleton
    assert out.names == sk.names and out.channels == sk.channels
    assert np.array_equal(out.parents, sk.parents) and np.array_equal(out.offsets, sk.offsets)
    assert np.isfinite(result.motion.rotations).all() and np.isfinite(result.motion.translations).all()
    src30 = to_30fps(source)
    n = result.context_frames
    assert n == 21 and result.length == LENGTH
    assert np.array_equal(result.motion.rotations[:n], src30.rotations[:n])
    assert np.array_equal(result.motion.translations[:n], src30.translations[:n])


def test_result_names_the_maps_used(result, clips):
    assert set(result.retargeted) == {"source", "target", "style"}
    for role, used in result.retargeted.items():
        assert used["to"] == "model skeleton"
        assert used["mapped"] >= 13
        assert set(used["unmapped"]) < set(clips[role].skeleton.names)
    assert "mixamorig:LeftHandThumb1" in result.retargeted["source"]["unmapped"]


def test_target_frames_are_the_target_retargeted_onto_the_source(result, clips, generator):
    source, target = clips["source"], clips["target"]
    _, source_map = generator.on_model(source, "source")
    target_on_model, _ = generator.on_model(target, "target")
    expected, _ = retarget(to_30fps(target_on_model), source, source_map)
    part = slice(result.generated.stop, None)
    frames = np.arange(result.target_frames) + 1  # the keyframe is target frame 0; its successors follow
    got, want = result.motion.rotations[part][:, 1:], expected.rotations[frames][:, 1:]  # root: the placement
    assert np.abs(np.sum(got * want, axis=-1)).min() > 1 - 1e-5
    # hips-relative pose against retargeting the target straight onto the source's rig (no model in between)
    direct, _ = retarget(to_30fps(target), source)
    rel = lambda p: p - p[:, :1]  # noqa: E731

    def facing_free(m, idx):
        return np.linalg.norm(rel(world_positions(m)[idx]), axis=-1)  # distances from the hips: turn-invariant

    gap = np.abs(facing_free(result.motion, np.arange(result.generated.stop, result.motion.num_frames))
                 - facing_free(direct, frames)).max()
    assert gap < 1e-4 * body_height(make_rig(source))


def test_same_request_same_frames_and_clips_are_retargeted_once(model, clips, result):
    generator = TransitionGenerator(model)
    request = TransitionRequest(clips["source"], clips["target"], length=LENGTH, source_frame=20,
                                style=clips["style"], seed=2)
    first = generator.generate(request)
    assert generator.on_model(clips["source"], "source")[0] is generator.on_model(clips["source"], "source")[0]
    again = generator.generate(request)
    fresh = TransitionGenerator(model).generate(request)
    for other in (again, fresh, result):
        assert np.array_equal(first.motion.rotations, other.motion.rotations)
        assert np.array_equal(first.motion.translations, other.motion.translations)


def test_a_clip_on_the_models_skeleton_needs_no_map(generator, clips):
    walk = load_embedded("humanoid3d_walk")
    out = generator.generate(TransitionRequest(walk, clips["target"], length=LENGTH, seed=1))
    assert set(out.retargeted) == {"target"}
    assert out.motion.skeleton.names == walk.skeleton.names


def test_a_non_humanoid_clip_is_refused_naming_file_and_joints(generator, clips, tmp_path, capsys):
    quadruped = read_bvh(RIGS / "quadruped.bvh")
    with pytest.raises(TransitionError, match=r"target clip .*quadruped.bvh.* cannot be retargeted .*quadruped.bvh: "
                                              r"not a humanoid skeleton.*LeftFrontFoot"):
        generator.generate(TransitionRequest(clips["source"], quadruped, length=LENGTH))
    code = cli.main(["transition", "--source", "humanoid3d_walk", "--target", str(RIGS / "quadruped.bvh"),
                     "--out", str(tmp_path / "t.bvh"), "--weights", str(generator.model.folder)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and "quadruped.bvh" in err and "LeftFrontFoot" in err
    assert "Traceback" not in err and not (tmp_path / "t.bvh").exists()


def test_cli_json_reports_the_maps_and_writes_the_source_rig(generator, clips, tmp_path, capsys):
    import json

    source = tmp_path / "walk_mixamo.bvh"
    write_bvh(clips["source"], source)
    out = tmp_path / "t.bvh"
    code = cli.main(["transition", "--source", f"{source}:20", "--target", "humanoid3d_run", "--length", str(LENGTH),
                     "--out", str(out), "--weights", str(generator.model.folder), "--json"])
    stdout, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(stdout)
    assert list(summary["retargeted"]) == ["source"]
    assert summary["retargeted"]["source"]["from"] == str(source)
    written = read_bvh(out)
    assert written.skeleton.names == read_bvh(source).skeleton.names
    assert written.num_frames == summary["frames"]
