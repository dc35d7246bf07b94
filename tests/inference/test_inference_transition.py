"""The transition API (inference.rsmt.transition) on a random-weight lite RSMT model: frame layout, world-space
continuity with the source clip, determinism, bone lengths, BVH export, style codes, the whole-rollout
path against the network's own rollout, and errors for bad requests."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from inference.backends import base as backend_module
from inference.rsmt.models import load_rsmt, missing_rsmt_files, random_rsmt_weights
from inference.networks.rsmt_networks import build_network
from inference.networks.transitionnet import FrameState, TargetCode
from inference.networks.transitionnet import StyleCode as NetStyleCode
from inference.backends.torch_backend import TorchBackend
from inference.rsmt.batch import NETWORK_OUTPUTS, rollout_batch
from inference.rsmt.transition import (StyleFeatures, TransitionCancelled, TransitionError, TransitionGenerator,
                                       TransitionRequest, canonical_frame, target_noise)
from inference.weights import WeightsError
from motion import features as F
from motion.bvh import read_bvh, write_bvh
from motion.deepmimic import load_embedded
from motion.fk import world_positions
from motion.rotations import matrix_to_6d

LENGTH = 20


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return random_rsmt_weights(tmp_path_factory.mktemp("rsmt_lite"), seed=3)


@pytest.fixture(scope="module")
def generator(model):
    return TransitionGenerator(model)


@pytest.fixture(scope="module")
def clips():
    return {name: load_embedded(f"humanoid3d_{name}") for name in ("walk", "run", "jump")}


def request(clips, **kw):
    args = dict(source=clips["walk"], target=clips["run"], length=LENGTH, source_frame=30, target_frame=4,
                style=clips["jump"], seed=7)
    return TransitionRequest(**(args | kw))


@pytest.fixture(scope="module")
def result(generator, clips):
    return generator.generate(request(clips))


def test_frames_are_context_then_generated_then_target(result, clips):
    walk, run = clips["walk"], clips["run"]  # both at 30 fps: no resampling
    assert result.context_frames == 31  # source frames 0..30
    assert result.length == LENGTH
    assert result.target_frames == run.num_frames - 5  # target frames after the keyframe 4
    assert result.motion.num_frames == result.context_frames + LENGTH + result.target_frames
    assert result.generated == slice(31, 31 + LENGTH)
    assert result.generated_mask.sum() == LENGTH and result.generated_mask[31:31 + LENGTH].all()
    assert result.motion.fps == 30.0
    assert result.motion.skeleton is walk.skeleton
    assert np.all(np.isfinite(result.motion.rotations)) and np.all(np.isfinite(result.motion.translations))
    shapes = {"pos": (LENGTH, 7, 3), "rot": (LENGTH, 13, 6), "phase": (LENGTH, 5, 2), "A": (LENGTH, 5, 1)}
    for key, shape in shapes.items():
        assert result.network[key].shape == shape
        assert np.all(np.isfinite(result.network[key]))
    assert result.network_positions.shape == (LENGTH, 13, 3)
    assert result.timings["ms_per_frame"] > 0 and result.timings["rollout"] >= result.timings["ms_per_frame"]


def test_context_frames_are_the_source_frames_in_world_space(result, clips):
    got = world_positions(result.motion)[:result.context_frames]
    want = world_positions(clips["walk"])[:31]
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_generated_frames_continue_from_the_source_in_world_space(generator, result, clips):
    """Undoing the canonical frame puts the first generated hip next to the source frame's hip (the
    network moves it by one frame's predicted velocity; random weights keep that well under a metre)."""
    pos = world_positions(result.motion)
    step = np.linalg.norm(pos[31, 0] - pos[30, 0])
    assert step < 0.5
    # without the landing on the keyframe, the network's own hip (before any post-processing) is the root
    raw = generator.generate(request(clips, land_on_target=False))
    np.testing.assert_allclose(raw.network_positions[:, 0], world_positions(raw.motion)[31:31 + LENGTH, 0], atol=1e-4)


def test_same_seed_same_frames_other_seed_other_frames(generator, clips, result):
    again = generator.generate(request(clips))
    np.testing.assert_array_equal(again.motion.rotations, result.motion.rotations)
    np.testing.assert_array_equal(again.motion.translations, result.motion.translations)
    other = generator.generate(request(clips, seed=8))
    gen = result.generated
    assert np.abs(other.motion.translations[gen] - result.motion.translations[gen]).max() > 1e-4
    # the frames outside the transition do not depend on the seed
    np.testing.assert_array_equal(other.motion.rotations[:gen.start], result.motion.rotations[:gen.start])


def test_progress_reports_every_frame_and_can_cancel(generator, clips):
    seen = []
    generator.generate(request(clips, length=10), progress=lambda done, total: seen.append((done, total)))
    total = generator.model.cfg.past_frames - 2 + 10  # the warm-up steps on the context, then one a frame
    assert generator.total_steps(10) == total
    assert seen == [(k, total) for k in range(total + 1)]
    with pytest.raises(TransitionCancelled, match=f"after 3 of {total} steps"):
        generator.generate(request(clips, length=10), progress=lambda done, total: done < 3)


def test_generated_bone_lengths_are_the_skeletons(result, clips):
    sk = clips["walk"].skeleton
    pos = world_positions(result.motion)[result.generated]
    lengths = np.linalg.norm(pos[:, 1:] - pos[:, sk.parents[1:]], axis=-1)
    np.testing.assert_allclose(lengths, np.broadcast_to(np.linalg.norm(sk.offsets[1:], axis=-1), lengths.shape),
                               atol=1e-4)


def test_bvh_export_loads_back_and_can_be_a_source(generator, clips, result, tmp_path):
    path = tmp_path / "transition.bvh"
    write_bvh(result.motion, path)
    back = read_bvh(path)
    assert back.num_frames == result.motion.num_frames
    names = result.motion.skeleton.names
    assert sorted(back.skeleton.names) == sorted(names)  # BVH writes the joints depth first
    order = [back.skeleton.index(n) for n in names]
    np.testing.assert_allclose(world_positions(back)[:, order], world_positions(result.motion), atol=1e-3)
    # a BVH with the model's joints in another order (depth first) works as a source
    again = generator.generate(request(clips, source=back, length=10))
    assert again.motion.skeleton is back.skeleton
    np.testing.assert_allclose(world_positions(again.motion)[:again.context_frames],
                               world_positions(back)[:31], atol=1e-4)


def test_world_placement_keeps_the_target_clip_where_it_was(generator, clips):
    res = generator.generate(request(clips, target_placement="world", target_frames=6, context_frames=10))
    assert res.context_frames == 10 and res.target_frames == 6
    np.testing.assert_allclose(world_positions(res.motion)[-6:], world_positions(clips["run"])[5:11], atol=1e-4)


def test_follow_placement_turns_the_target_to_the_source_facing(result, generator, clips):
    roles = generator.model.roles
    src = world_positions(clips["walk"])
    tgt = world_positions(clips["run"])
    out = world_positions(result.motion)

    def heading(pos):
        d = F.facing_directions(pos, roles)
        return np.arctan2(d[2], d[0])

    turn = heading(src[30]) - heading(tgt[4])
    first_target = result.generated.stop
    delta = heading(out[first_target]) - heading(tgt[5]) - turn
    assert abs(np.angle(np.exp(1j * delta))) < 1e-3


def test_canonical_frame_is_the_features_canonicalisation(model, clips):
    roles = model.roles
    pos, rot = F.global_pose(clips["walk"], roles, model.position_scale)
    window_pos, window_rot = pos[:12].astype(np.float64), rot[:12].astype(np.float64)
    r, centre = canonical_frame(window_pos, roles, 9)
    want_pos, want_rot = F.canonicalize(window_pos, window_rot, roles, ref_frame=9)
    np.testing.assert_allclose((window_pos - centre) @ r.T, want_pos, atol=1e-3)  # centimetres
    np.testing.assert_allclose(matrix_to_6d(r @ window_rot), want_rot, atol=1e-5)


def test_style_input_matches_the_sampler(model, generator, clips):
    """The numpy normalisation and layout of the style features equal TransitionSampler.style_input, with
    non-trivial statistics."""
    rng = np.random.default_rng(0)
    tensors = dict(model.sampler.tensors)
    for key in ("pos_mean", "vel_mean", "rot_mean"):
        tensors[key] = rng.normal(size=tensors[key].shape).astype(np.float32)
    for key in ("pos_std", "vel_std", "rot_std"):
        tensors[key] = rng.uniform(0.5, 3.0, size=tensors[key].shape).astype(np.float32)
    sampler = type(model.sampler)(model.sampler.config, tensors, model.sampler.path)
    gen = TransitionGenerator(type(model)(model.phase, sampler, model.cfg, model.roles, model.position_scale))
    code = gen.style_features(clips["jump"])
    assert code.features.shape == (model.cfg.style_frames - 1, 13, 12)
    net = build_network(sampler, "rsmt_sampler")
    f = torch.from_numpy(code.features)[None]
    want = net.style_input(f[..., 0:3], f[..., 3:6], f[..., 6:12]).numpy()
    np.testing.assert_allclose(gen._style_input(code), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("suffix", [".npy", ".json"])
def test_saved_style_code_gives_the_same_transition(generator, clips, result, tmp_path, suffix):
    code = generator.style_features(clips["jump"])
    path = tmp_path / f"jump{suffix}"
    code.save(path)
    loaded = StyleFeatures.load(path, generator.model.roles, generator.model.cfg.style_frames - 1)
    np.testing.assert_array_equal(loaded.features, code.features)
    res = generator.generate(request(clips, style=path))
    np.testing.assert_array_equal(res.motion.rotations, result.motion.rotations)


def test_bad_style_code_files_name_the_file(generator, clips, tmp_path):
    roles, frames = generator.model.roles, generator.model.cfg.style_frames - 1
    wrong = tmp_path / "short.npy"
    np.save(wrong, np.zeros((5, 13, 12), np.float32))
    with pytest.raises(TransitionError, match="short.npy: style code has shape"):
        StyleFeatures.load(wrong, roles, frames)
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    with pytest.raises(TransitionError, match=r"garbage.json:1: unreadable style code \(not valid JSON"):
        StyleFeatures.load(garbage, roles, frames)
    with pytest.raises(TransitionError, match="missing.npy: style code file not found"):
        generator.generate(request(clips, style=tmp_path / "missing.npy"))


def test_bad_requests_are_refused(generator, clips):
    with pytest.raises(TransitionError, match="10..60"):
        generator.generate(request(clips, length=5))
    with pytest.raises(TransitionError, match="10..60"):
        generator.generate(request(clips, length=61))
    with pytest.raises(TransitionError, match="source frame 39 is out of range"):
        generator.generate(request(clips, source_frame=39))
    with pytest.raises(TransitionError, match="placement"):
        generator.generate(request(clips, target_placement="nowhere"))
    other = read_bvh(Path(__file__).parents[1] / "data" / "bvh" / "clean.bvh")
    with pytest.raises(TransitionError, match="source clip .*clean.bvh.* cannot be retargeted .*clean.bvh: not a "
                                              "humanoid skeleton.* right arm"):
        generator.generate(request(clips, source=other))


def test_missing_weights_are_listed(tmp_path):
    (tmp_path / "phase.json").write_text("{}")
    missing = [p.name for p in missing_rsmt_files(tmp_path)]
    assert missing == ["phase.safetensors", "sampler.safetensors", "sampler.json"]
    with pytest.raises(WeightsError, match="needs phase.safetensors, sampler.safetensors, sampler.json"):
        load_rsmt(tmp_path)


# ---- the rollout loop against the network's own, and the whole-rollout path --------------------------

def test_step_loop_equals_the_networks_rollout(model, clips, monkeypatch):
    """The backend step loop (warm-up, time-to-arrival, state hand-over) gives TransitionSampler.rollout's frames."""
    import inference.rsmt.transition as transition

    seen = []
    monkeypatch.setattr(transition, "rollout_batch", lambda gen, backend, items, *a: seen.extend(items) or
                        rollout_batch(gen, backend, items, *a))
    res = TransitionGenerator(model).generate(request(clips))
    (item,) = seen
    cpos, crot, phase, style, noise, length = item.cpos, item.crot, item.phase, item.style, item.noise, item.length
    c = model.cfg.past_frames
    net = build_network(model.sampler, "rsmt_sampler")
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a, np.float32))[None]  # noqa: E731
    with torch.inference_mode():
        want = net.rollout(t(cpos[:c]), t(crot[:c]), t(np.broadcast_to(phase, (c,) + phase.shape)), t(cpos[c:]),
                           t(crot[-1]), NetStyleCode(*(torch.from_numpy(style[k]) for k in NetStyleCode._fields)),
                           length, noise=t(noise))
    for key in NETWORK_OUTPUTS:
        np.testing.assert_allclose(res.network[key], want[key][0].numpy(), rtol=1e-4, atol=1e-4, err_msg=key)


class _RolloutRunner:
    """The "rsmt_rollout" contract of inference/backends/max/graphs/rollout.py in torch: from a state, `length` steps
    into `max_transition` rows (rows past the length stay zero), then the final h, c."""

    def __init__(self, weights):
        self.net = build_network(weights, "rsmt_sampler")
        self.rows = self.net.cfg.max_transition

    def __call__(self, **a):
        t = {k: torch.from_numpy(np.ascontiguousarray(v, np.float32)) for k, v in a.items()}
        assert t["tta"].shape[1] == self.rows and t["noise"].shape[1] == self.rows
        state = FrameState(t["pos"], t["vel"], t["rot"], t["phase"])
        h, c = t["h"], t["c"]
        target = TargetCode(t["target_pos"], t["target_rot"], t["target_latent"])
        style = NetStyleCode(*(t[k] for k in NetStyleCode._fields))
        out = {k: np.zeros((1, self.rows) + tuple(t["pos" if k == "vel" else k].shape[1:]), np.float32)
               for k in ("pos", "vel", "rot", "phase")}
        out |= {k: np.zeros((1, self.rows, self.net.cfg.phase_dim, w), np.float32)
                for k, w in (("pred_phase", 2), ("A", 1), ("F", 1))}
        with torch.inference_mode():
            for k in range(int(t["length"][0])):
                state, h, c, extras = self.net.step(state, h, c, target, style, t["tta"][:, k], t["noise"][:, k])
                for name, value in zip(("pos", "vel", "rot", "phase", "pred_phase", "A", "F"), (*state, *extras)):
                    out[name][:, k] = value.numpy()
        return out | {"h": h.numpy(), "c": c.numpy()}


class _TorchWithRollout(TorchBackend):
    name = "torch-rollout"

    def load(self, kind, weights):
        return _RolloutRunner(weights) if kind == "rsmt_rollout" else super().load(kind, weights)


@pytest.mark.parametrize("length", [LENGTH, 50])  # 50 > max_transition (40): two rollout calls
def test_whole_rollout_path_equals_the_step_loop(generator, clips, result, monkeypatch, length):
    monkeypatch.setitem(backend_module._BACKENDS, "torch-rollout", _TorchWithRollout)
    steps = result if length == LENGTH else generator.generate(request(clips, length=length))
    whole = generator.generate(request(clips, length=length, backend="torch-rollout", whole_rollout=True))
    for key in NETWORK_OUTPUTS:
        np.testing.assert_allclose(whole.network[key], steps.network[key], rtol=1e-5, atol=1e-5, err_msg=key)
    np.testing.assert_allclose(world_positions(whole.motion), world_positions(steps.motion), atol=1e-5)


class _JumpToKeyframe(TransitionGenerator):
    """A 'network' that puts every generated frame at the target keyframe: what comes out must be the
    target clip's keyframe pose in world space, which checks the canonical frame and its inverse, the
    post-processing, the inverse kinematics and the assembly together."""

    def _rollout(self, backend, cpos, crot, phase, style, noise, length, whole, progress=None):
        idx = list(self.model.cfg.pos_rep_idx)
        return {"pos": np.repeat(cpos[-1:, idx], length, axis=0).astype(np.float32),
                "rot": np.repeat(crot[-1:], length, axis=0).astype(np.float32)}


@pytest.mark.parametrize("placement", ["world", "follow"])
def test_a_keyframe_prediction_lands_on_the_placed_keyframe(model, clips, placement):
    res = _JumpToKeyframe(model).generate(request(clips, target_placement=placement, length=10))
    out = world_positions(res.motion)
    keyframe = out[res.generated][-1]
    if placement == "world":
        np.testing.assert_allclose(keyframe, world_positions(clips["run"])[4], atol=1e-4)
    # the frame after the keyframe is the target clip's next frame, placed the same way: one frame apart
    step = np.linalg.norm(out[res.generated.stop] - keyframe, axis=-1).max()
    want = np.linalg.norm(world_positions(clips["run"])[5] - world_positions(clips["run"])[4], axis=-1).max()
    assert step == pytest.approx(want, abs=1e-4)


@pytest.mark.parametrize("placement", ["world", "follow"])
def test_landing_ends_the_transition_on_the_keyframe(generator, clips, placement):
    """With landing (the default) the last generated frame is the placed keyframe: the frame after it, the
    target clip's next one, is one clip frame apart, as the run clip's own frames 4 -> 5. Without it the
    random-weight model ends elsewhere, and the start of the transition is the same either way."""
    landed = generator.generate(request(clips, target_placement=placement))
    raw = generator.generate(request(clips, target_placement=placement, land_on_target=False))
    out, out_raw = world_positions(landed.motion), world_positions(raw.motion)
    run = world_positions(clips["run"])
    want = np.linalg.norm(run[5] - run[4], axis=-1).max()
    step = np.linalg.norm(out[landed.generated.stop] - out[landed.generated.stop - 1], axis=-1).max()
    assert step == pytest.approx(want, abs=1e-4)
    raw_step = np.linalg.norm(out_raw[raw.generated.stop] - out_raw[raw.generated.stop - 1], axis=-1).max()
    assert raw_step > want + 0.05
    if placement == "world":
        np.testing.assert_allclose(out[landed.generated][-1], run[4], atol=1e-4)
    first = landed.generated.start
    assert np.abs(out[first] - out_raw[first]).max() < 0.1 * np.abs(out[first + LENGTH - 1] - out_raw[first + LENGTH - 1]).max()


def test_foot_lock_holds_planted_feet(clips):
    """The generated ankles slide less on the floor with foot locking (the default) than without it, measured
    as RSMT's foot-skate score of the generated frames; the first frame (hand-over from the context) is the same.
    On the shipped humanoid3d model, whose feet step as feet do (a random-weight model's flail: with half of
    RSMT's swing the lock took 13% off their score, where a trained model's loses 31-35%)."""
    from training.metrics import foot_skate

    generator = TransitionGenerator(load_rsmt())
    locked = generator.generate(request(clips))
    free = generator.generate(request(clips, lock_feet=False))
    feet = [locked.joint_names.index(n) for n in ("left_ankle", "right_ankle")]
    order = [clips["walk"].skeleton.index(n) for n in locked.joint_names]
    scores = {}
    for name, res in (("locked", locked), ("free", free)):
        pos = world_positions(res.motion)[:, order] * 100  # centimetres, feature joint order
        floor = np.quantile(world_positions(clips["walk"])[:, order][:, feet, 1] * 100, 0.02, axis=0)
        scores[name] = foot_skate(pos[res.generated][None], feet, 2.5, floor)
    assert scores["locked"] < 0.75 * scores["free"], scores
    first = locked.generated.start
    np.testing.assert_allclose(world_positions(locked.motion)[first], world_positions(free.motion)[first], atol=1e-5)


# ---- the result at another frame rate ---------------------------------------------------------------------

def test_output_at_the_source_frame_rate_keeps_its_context_frames(generator, clips):
    """A 60 fps source at output_fps 60: the context is the source's own frames, bit for bit; the 30 fps result's
    frames from the last context frame on are every second frame of the rest (resampling keeps on-frame
    samples), and the generated slice covers twice as many frames."""
    source = load_embedded("humanoid3d_dance_a")  # 60 fps
    assert source.fps == pytest.approx(60.0, rel=1e-3)
    ask = request(clips, source=source, source_frame=60)
    at30 = generator.generate(ask)
    at60 = generator.generate(replace(ask, output_fps=source.fps))
    n_ctx = at30.generated.start
    assert at60.motion.fps == source.fps and at60.motion.num_frames == 2 * (at30.motion.num_frames - 1) + 1
    assert at60.generated == slice(2 * (n_ctx - 1) + 1, 2 * (n_ctx - 1 + at30.length) + 1)
    assert np.array_equal(at60.motion.rotations[:2 * (n_ctx - 1) + 1], source.rotations[:61])  # native frames 0..60
    assert np.array_equal(at60.motion.translations[:2 * (n_ctx - 1) + 1], source.translations[:61])
    tail = slice(2 * (n_ctx - 1), None, 2)
    assert np.array_equal(at60.motion.rotations[tail], at30.motion.rotations[n_ctx - 1:])
    assert np.array_equal(at60.motion.translations[tail], at30.motion.translations[n_ctx - 1:])


def test_output_at_another_frame_rate_is_resampled(generator, clips):
    at30 = generator.generate(request(clips))
    at45 = generator.generate(request(clips, output_fps=45.0))
    assert at45.motion.fps == 45.0 and at45.motion.num_frames == round((at30.motion.num_frames - 1) * 1.5) + 1
    assert at45.generated.start == int((at30.generated.start - 1) * 1.5) + 1
    with pytest.raises(TransitionError, match="output fps must be"):
        generator.generate(request(clips, output_fps=float("nan")))


def test_seed_zero_is_the_noiseless_transition_the_evaluation_scores(generator, clips):
    """Seed 0 runs the sampler without target noise, as `evaluate` scores it (training.benchmark passes zeros);
    any other seed draws RSMT's N(0, 0.5) noise from the seed: a variation."""
    noise = {seed: generator._prepare(request(clips, seed=seed)).inputs.noise for seed in (0, 1, 2)}  # noqa: SLF001
    assert noise[0].shape == (2 * generator.model.cfg.state_out,) and not noise[0].any()
    for seed in (1, 2):
        assert 0.4 < noise[seed].std() < 0.6
        np.testing.assert_array_equal(noise[seed], target_noise(seed, noise[seed].size))
    assert not np.array_equal(noise[1], noise[2])
    plain, varied = (generator.generate(request(clips, seed=seed)) for seed in (0, 1))
    gen = plain.generated
    assert np.abs(varied.motion.translations[gen] - plain.motion.translations[gen]).max() > 1e-4
