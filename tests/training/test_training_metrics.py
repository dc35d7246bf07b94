"""RSMT transition metrics and the interpolation baseline on hand-made motions with known answers."""
import json
import math

import numpy as np
import pytest

import cli
from motion.rotations import quat_from_axis_angle, quat_mul, quat_to_6d
from training import metrics as M
from motion.fk import forward_kinematics
from training.baseline import interpolate_local, interpolation_transition

# a 3-joint chain: root -> hip (down 1) -> foot (down 1)
PARENTS = (-1, 0, 1)
OFFSETS = np.array([[0, 0, 0], [0, -1, 0], [0, -1, 0]], np.float32)


def _spin(frames, rate, phase=0.0, joints=4, batch=2):
    """(B, T, J, 4) rotations about varied axes at `rate` radians per frame, shifted by `phase`."""
    t = np.arange(frames)[None, :, None]
    axes = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1], [1, 1, 0]], float)[:joints]
    angle = np.broadcast_to(0.6 * np.sin(rate * t + phase + np.arange(joints)[None, None]), (batch, frames, joints))
    return quat_from_axis_angle(np.broadcast_to(axes, (batch, frames, joints, 3)), angle)


def test_identical_motion_scores_zero():
    rng = np.random.default_rng(0)
    pos = rng.normal(size=(3, 12, 5, 3)).astype(np.float32)
    q = _spin(12, 0.4, batch=3, joints=4)
    assert M.l2p(pos, pos, np.zeros((5, 3)), np.ones((5, 3))) == 0.0
    assert M.l2q(q, q) == 0.0
    assert M.npss(q, q) == 0.0


def test_l2p_of_a_known_offset():
    # every joint of every frame moved by (3, 4, 0) with std 1 along x and y: z-scored distance sqrt(J) * 5
    gt = np.zeros((2, 7, 4, 3))
    gen = gt + np.array([3.0, 4.0, 0.0])
    std = np.ones((4, 3))
    assert M.l2p(gen, gt, np.full((4, 3), 10.0), std) == pytest.approx(math.sqrt(4) * 5.0)
    # statistics scale the error per joint axis: std 2 along x halves the x part
    std[:, 0] = 2.0
    assert M.l2p(gen, gt, np.zeros((4, 3)), std) == pytest.approx(math.sqrt(4 * (1.5 ** 2 + 4 ** 2)))


def test_l2q_ignores_quaternion_sign_and_measures_a_known_rotation():
    q = _spin(9, 0.3)
    flipped = q.copy()
    flipped[:, ::2] *= -1.0  # same rotations, alternate signs
    assert M.l2q(flipped, q) == pytest.approx(0.0, abs=1e-6)
    assert M.npss(flipped, q) == pytest.approx(0.0, abs=1e-6)
    # one joint of one sample off by angle a: |q - q'| = 2 sin(a / 4) in that frame
    a = 0.5
    off = q.copy()
    off[0, :, 2] = quat_mul(quat_from_axis_angle(np.array([0.0, 0, 1]), a), q[0, :, 2])
    assert M.l2q(off, q) == pytest.approx(2 * math.sin(a / 4) / 2, rel=1e-4)  # averaged over batch of 2


def test_npss_grows_with_a_phase_shift():
    gt = _spin(40, 0.35)
    scores = [M.npss(_spin(40, 0.35, phase=p), gt) for p in (0.0, 0.5, 1.5)]
    assert scores[0] == 0.0
    assert 0.0 < scores[1] < scores[2]


def test_foot_skate_slides_on_the_floor_but_not_in_the_air():
    frames = 10
    pos = np.zeros((1, frames, 3, 3))
    pos[0, :, 2, 0] = np.arange(frames) * 0.5  # foot slides 0.5 per frame along x
    on_floor = M.foot_skate(pos, feet=[2], height=2.5)
    assert on_floor == pytest.approx(0.5)  # gate 1 at y = 0: the full speed
    lifted = pos.copy()
    lifted[..., 2, 1] = 2.5  # at H: gate 2 - 2^1 = 0
    assert M.foot_skate(lifted, feet=[2], height=2.5) == 0.0
    half = pos.copy()
    half[..., 2, 1] = 2.5 * math.log2(1.5)  # gate 2 - 1.5 = 0.5
    assert M.foot_skate(half, feet=[2], height=2.5) == pytest.approx(0.25)
    # a planted height: the same slide 5 units up counts once the foot's planted height is 5
    raised = pos.copy()
    raised[..., 2, 1] = 5.0
    assert M.foot_skate(raised, feet=[2], height=2.5) == 0.0
    assert M.foot_skate(raised, feet=[2], height=2.5, foot_height=5.0) == pytest.approx(0.5)
    still = np.zeros((1, frames, 3, 3))
    assert M.foot_skate(still, feet=[2], height=2.5) == 0.0


def test_skate_height_scales_the_official_centimetres():
    assert M.skate_height(1.0) == 2.5
    assert M.skate_height(0.01) == pytest.approx(0.025)


def test_metrics_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="differ in shape"):
        M.l2p(np.zeros((1, 3, 2, 3)), np.zeros((1, 4, 2, 3)), np.zeros((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="batch, frames, joints, 4"):
        M.npss(np.zeros((1, 3, 2, 3)), np.zeros((1, 3, 2, 3)))


def _windows(frames=30, batch=2):
    """Canonical-style windows of the 3-joint chain: a walking root and swinging joints."""
    t = np.arange(frames)
    local = np.zeros((batch, frames, 3, 4))
    local[..., 0] = 1.0
    for b in range(batch):
        local[b, :, 0] = quat_from_axis_angle(np.array([0.0, 1, 0]), 0.05 * t + b)
        local[b, :, 1] = quat_from_axis_angle(np.array([1.0, 0, 0]), 0.7 * np.sin(0.3 * t + b))
        local[b, :, 2] = quat_from_axis_angle(np.array([0.0, 0, 1]), 0.4 * np.cos(0.2 * t))
    root = np.stack([2.0 * t, 2.0 + 0.1 * np.sin(t), np.zeros(frames)], -1)[None].repeat(batch, 0)
    pos, quats = forward_kinematics(local.astype(np.float32), root.astype(np.float32),
                                    np.broadcast_to(OFFSETS, (batch, 3, 3)).copy(), PARENTS)
    return pos, quats, local


def test_interpolation_endpoints_equal_context_and_target():
    pos, quats, local = _windows()
    rot, root = interpolate_local(local[:, 9], pos[:, 9, 0], local[:, 25], pos[:, 25, 0], 15)
    assert rot.shape == (2, 17, 3, 4) and root.shape == (2, 17, 3)
    np.testing.assert_allclose(np.abs(np.sum(rot[:, 0] * local[:, 9], -1)), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.abs(np.sum(rot[:, -1] * local[:, 25], -1)), 1.0, atol=1e-6)
    np.testing.assert_allclose(root[:, 0], pos[:, 9, 0], atol=1e-5)
    np.testing.assert_allclose(root[:, -1], pos[:, 25, 0], atol=1e-5)
    np.testing.assert_allclose(root[:, 8], (pos[:, 9, 0] + pos[:, 25, 0]) / 2, atol=1e-4)  # linear root


def test_interpolation_transition_matches_the_window_at_its_ends():
    pos, quats, _ = _windows()
    rot6d = quat_to_6d(quats)
    past, length = 10, 15
    gpos, gquat = interpolation_transition(pos, rot6d, PARENTS, past, length)
    assert gpos.shape == (2, length, 3, 3) and gquat.shape == (2, length, 3, 4)
    # the last transition frame is the target keyframe itself (RSMT's convention)
    target = past + length - 1
    np.testing.assert_allclose(gpos[:, -1], pos[:, target], atol=1e-4)
    np.testing.assert_allclose(np.abs(np.sum(gquat[:, -1] * quats[:, target], -1)), 1.0, atol=1e-5)
    # bone lengths are kept (rigid FK) and the baseline differs from the ground truth in between
    np.testing.assert_allclose(np.linalg.norm(gpos[:, :, 2] - gpos[:, :, 1], axis=-1), 1.0, atol=1e-5)
    gt_q = quats[:, past:past + length]
    assert M.l2q(gquat, gt_q, quats[:, past - 1]) > 0.01
    # the first frame is one step (1/length of the way) from the last context frame
    np.testing.assert_allclose(gpos[:, 0, 0], pos[:, 9, 0] + (pos[:, target, 0] - pos[:, 9, 0]) / length, atol=1e-4)


def test_interpolation_of_a_linear_motion_is_exact():
    """A root moving at constant velocity with a constant-rate rotation: SLERP + lerp reproduce it."""
    frames, batch = 30, 1
    t = np.arange(frames)
    local = np.zeros((batch, frames, 3, 4), np.float32)
    local[..., 0] = 1.0
    local[0, :, 1] = quat_from_axis_angle(np.array([1.0, 0, 0]), 0.02 * t)
    root = np.stack([1.5 * t, np.full(frames, 2.0), -0.5 * t], -1)[None].astype(np.float32)
    pos, quats = forward_kinematics(local, root, OFFSETS[None].copy(), PARENTS)
    gpos, gquat = interpolation_transition(pos, quat_to_6d(quats), PARENTS, 10, 12)
    assert M.l2p(gpos, pos[:, 10:22], np.zeros((3, 3)), np.ones((3, 3))) < 1e-3
    assert M.l2q(gquat, quats[:, 10:22], quats[:, 9]) < 1e-4


def test_evaluate_command_reports_baseline_and_zero_ground_truth(capsys):
    assert cli.main(["evaluate", "--json", "--no-model", "--lengths", "10", "20"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = {(r["method"], r["length"]): r for r in out["rows"]}
    assert set(rows) == {(m, n) for m in ("ground_truth", "interpolation") for n in (10, 20)}
    for n in (10, 20):
        gt, interp = rows[("ground_truth", n)], rows[("interpolation", n)]
        assert gt["L2P"] == gt["L2Q"] == gt["NPSS"] == 0.0
        assert interp["L2P"] > 0 and interp["L2Q"] > 0 and interp["NPSS"] > 0
        assert gt["foot_skate"] > 0 and interp["foot_skate"] > 0
    # longer transitions are harder for the baseline
    assert rows[("interpolation", 20)]["L2P"] > rows[("interpolation", 10)]["L2P"]
    assert out["windows"] > 0


def test_evaluate_can_score_the_training_clips_instead(capsys):
    assert cli.main(["evaluate", "--json", "--no-model", "--lengths", "10"]) == 0
    held_out = json.loads(capsys.readouterr().out)
    assert cli.main(["evaluate", "--json", "--no-model", "--lengths", "10", "--split", "train"]) == 0
    train = json.loads(capsys.readouterr().out)
    assert held_out["split"] == "test" and train["split"] == "train"
    assert train["windows"] > held_out["windows"] > 0  # twelve training clips, three held out
    baseline = {o["split"]: next(r for r in o["rows"] if r["method"] == "interpolation") for o in (held_out, train)}
    assert baseline["train"]["L2P"] != baseline["test"]["L2P"]


def test_evaluate_scores_new_performances_from_the_physics_simulation(capsys):
    from sim.env import POLICIES

    assert cli.main(["evaluate", "--json", "--no-model", "--lengths", "20", "--split", "sim", "--by-clip"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["split"] == "sim" and out["windows"] > 0
    # style = the clip each policy imitates: both walk policies score as walk
    assert set(out["clip_windows"]) == {"humanoid3d_walk", "humanoid3d_jump", "humanoid3d_backflip",
                                        "humanoid3d_spinkick"} and len(POLICIES) == 5
    rows = {(r["method"], r["clip"]): r for r in out["rows"]}
    assert rows[("ground_truth", "all")]["L2P"] == 0.0 and rows[("ground_truth", "all")]["foot_skate"] > 0
    # a new performance is not a training clip: the baseline scores differ from the embedded walk's
    assert cli.main(["evaluate", "--json", "--no-model", "--lengths", "20", "--split", "train", "--by-clip"]) == 0
    train = {(r["method"], r["clip"]): r for r in json.loads(capsys.readouterr().out)["rows"]}
    walk = ("interpolation", "humanoid3d_walk")
    assert rows[walk]["L2P"] > 0 and abs(rows[walk]["L2P"] - train[walk]["L2P"]) > 1e-3
    assert cli.main(["evaluate", "--no-model", "--split", "sim", "--manifold", "x.safetensors"]) == 2
    assert "--manifold scores the embedded clips" in capsys.readouterr().err


def test_evaluate_by_clip_splits_the_same_scores_per_held_out_clip(capsys):
    from training.datasets import HELD_OUT_CLIPS

    assert cli.main(["evaluate", "--json", "--no-model", "--lengths", "20", "--by-clip"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = [r for r in out["rows"] if r["method"] == "interpolation"]
    overall = next(r for r in rows if r["clip"] == "all")
    per_clip = {r["clip"]: r for r in rows if r["clip"] != "all"}
    assert set(per_clip) == set(HELD_OUT_CLIPS)
    # L2P is a mean over windows and frames: the per-clip scores weighted by window count give the overall one
    weights = out["clip_windows"]
    assert sum(weights.values()) == out["windows"]
    mean = sum(per_clip[c]["L2P"] * weights[c] for c in per_clip) / out["windows"]
    assert abs(mean - overall["L2P"]) < 1e-9
    assert len({round(r["L2P"], 6) for r in per_clip.values()}) == len(per_clip)  # really scored apart
    assert cli.main(["evaluate", "--no-model", "--lengths", "20", "--by-clip"]) == 0
    text = capsys.readouterr().out
    assert all(f"{c} (" in text for c in HELD_OUT_CLIPS)


def test_manifold_one_step_loss_starts_every_frame_from_the_ground_truth():
    """from_ground_truth: a slice's loss is the mean of its one-frame losses (each predicted frame made from
    the true previous two), while the training rollout, which feeds its predictions back, differs."""
    import torch

    from inference.networks.rsmt_config import RSMTConfig
    from inference.networks.stylevae import StyleVAE
    from motion.deepmimic import humanoid3d_skeleton
    from motion.joint_roles import roles_for
    from training.train_manifold import manifold_loss

    roles = roles_for(humanoid3d_skeleton())
    cfg = RSMTConfig.for_roles(roles, "lite")
    torch.manual_seed(0)
    model = StyleVAE(cfg).eval()
    with torch.no_grad():  # posterior variance ~0: the sampled latent is the mean, so frames are comparable
        model.embedding_encoder.mlp.encode.bias[cfg.latent_size:] = -60.0
    n, t, j = 3, 6, cfg.num_joints
    pos, rot = 20 * torch.randn(n, t, j, 3), torch.randn(n, t, j, 6)
    phase, offsets = torch.randn(n, t, cfg.phase_dim, 2), 10 * torch.randn(j, 3)

    def loss(sl, from_truth):
        with torch.no_grad():
            return manifold_loss(model, pos[:, sl], rot[:, sl], phase[:, sl], offsets, roles.parents, roles.feet,
                                 with_contact=False, from_ground_truth=from_truth)

    whole = loss(slice(0, t), True)
    frames = [loss(slice(s, s + 3), True) for s in range(t - 2)]
    for key in ("pos", "rot"):
        assert float(whole[key]) == pytest.approx(np.mean([float(f[key]) for f in frames]), rel=1e-5)
        assert float(loss(slice(0, 3), False)[key]) == pytest.approx(float(frames[0][key]), rel=1e-6)
    assert abs(float(loss(slice(0, t), False)["rot"]) - float(whole["rot"])) > 1e-3


def test_evaluate_reports_the_manifolds_teacher_forced_reconstruction(tmp_path, capsys):
    """--manifold: the StyleVAE's reconstruction of the held-out and the training clips' windows (finite MSEs
    of positions and rotations); without a phase network it says what is missing."""
    import torch

    from inference.networks.deephase import PAE
    from inference.networks.rsmt_config import RSMTConfig
    from inference.networks.rsmt_networks import network_weights
    from inference.networks.stylevae import StyleVAE
    from motion.deepmimic import humanoid3d_skeleton
    from motion.joint_roles import roles_for

    torch.manual_seed(0)
    cfg = RSMTConfig.for_roles(roles_for(humanoid3d_skeleton()), "lite")
    network_weights(PAE(cfg)).save(tmp_path / "phase")
    network_weights(StyleVAE(cfg)).save(tmp_path / "manifold")
    manifold, phase = str(tmp_path / "manifold.safetensors"), str(tmp_path / "phase.safetensors")
    assert cli.main(["evaluate", "--json", "--no-model", "--lengths", "10", "--manifold", manifold,
                     "--phase", phase, "--by-clip"]) == 0
    recon = json.loads(capsys.readouterr().out)["manifold_reconstruction"]
    assert set(recon) == {"held-out", "training"}
    assert recon["training"]["windows"] > recon["held-out"]["windows"] > 0
    from training.datasets import HELD_OUT_CLIPS

    clips = recon["held-out"].pop("clips")  # --by-clip: each held-out clip's own windows
    assert set(clips) == set(HELD_OUT_CLIPS)
    assert sum(c["windows"] for c in clips.values()) == recon["held-out"]["windows"]
    assert len(recon["training"].pop("clips")) == 12
    for r in recon.values():
        for key in ("pos", "rot", "step_pos", "step_rot", "hold_pos", "hold_rot"):
            assert np.isfinite(r[key]) and r[key] > 0, key
        assert r["step_rot"] != r["rot"]
    # holding the pose ignores the network: the same for any manifold
    torch.manual_seed(1)
    network_weights(StyleVAE(cfg)).save(tmp_path / "other")
    assert cli.main(["evaluate", "--json", "--no-model", "--lengths", "10", "--manifold",
                     str(tmp_path / "other.safetensors"), "--phase", phase]) == 0
    other = json.loads(capsys.readouterr().out)["manifold_reconstruction"]
    for split, r in recon.items():
        assert (other[split]["hold_pos"], other[split]["hold_rot"]) == (r["hold_pos"], r["hold_rot"])
        assert other[split]["step_rot"] != r["step_rot"]
    assert cli.main(["evaluate", "--no-model", "--lengths", "10", "--manifold", manifold]) == 2
    assert "--manifold needs the phase network" in capsys.readouterr().err
    assert cli.main(["evaluate", "--no-model", "--lengths", "10", "--manifold", phase, "--phase", phase]) == 2
    assert "expected rsmt_manifold" in capsys.readouterr().err


def test_evaluate_holds_out_the_clips_it_is_told(capsys):
    """--held-out (full or short names) picks the scored clips, the training statistics come from the others;
    unknown clips and holding out everything are user errors."""
    from motion.deepmimic import embedded_clips

    assert cli.main(["evaluate", "--json", "--no-model", "--lengths", "10", "--by-clip", "--held-out", "walk",
                     "humanoid3d_run"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["held_out"] == ["humanoid3d_walk", "humanoid3d_run"]
    assert set(out["clip_windows"]) == {"humanoid3d_walk", "humanoid3d_run"}
    default = cli.main(["evaluate", "--no-model", "--lengths", "10"])
    assert default == 0 and "held out: dance_b, getup_faceup, spinkick" in capsys.readouterr().out
    assert cli.main(["evaluate", "--no-model", "--held-out", "moonwalk"]) == 2
    assert "moonwalk: not an embedded clip (choose from humanoid3d_" in capsys.readouterr().err
    assert cli.main(["evaluate", "--no-model", "--held-out", *embedded_clips()]) == 2
    assert "holding out these clips leaves no training clip" in capsys.readouterr().err
    # none: every clip is a training clip, so there is nothing held-out to score
    assert cli.main(["evaluate", "--json", "--no-model", "--lengths", "10", "--held-out", "none", "--split",
                     "train"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["held_out"] == [] and out["windows"] > 0
    assert cli.main(["evaluate", "--no-model", "--held-out", "none"]) == 2
    assert "no held-out clip to score" in capsys.readouterr().err
    assert cli.main(["evaluate", "--no-model", "--held-out", "none", "walk"]) == 2
    assert "'none' holds out no clip: give it alone" in capsys.readouterr().err


def test_evaluate_rejects_a_length_that_does_not_fit(capsys):
    assert cli.main(["evaluate", "--lengths", "60"]) == 2
    assert "outside 2..55" in capsys.readouterr().err


def test_evaluate_scores_a_sampler_on_the_same_windows(tmp_path, capsys):
    """An (untrained) sampler plugs in as the "rsmt" method (and, post-processed, landed on the target and with
    locked feet as the app does, "rsmt+cleanup"): finite scores on the phase-annotated windows."""
    import torch

    from inference.networks.deephase import PAE
    from inference.networks.rsmt_config import RSMTConfig
    from inference.networks.rsmt_networks import network_weights
    from inference.networks.transitionnet import TransitionSampler
    from motion.deepmimic import humanoid3d_skeleton
    from motion.joint_roles import roles_for

    torch.manual_seed(0)
    cfg = RSMTConfig.for_roles(roles_for(humanoid3d_skeleton()), "lite")
    network_weights(PAE(cfg)).save(tmp_path / "phase")
    network_weights(TransitionSampler(cfg)).save(tmp_path / "sampler")
    assert cli.main(["evaluate", "--json", "--lengths", "10", "--phase", str(tmp_path / "phase.safetensors"),
                     "--sampler", str(tmp_path / "sampler.safetensors")]) == 0
    rows = {r["method"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert set(rows) == {"ground_truth", "interpolation", "rsmt", "rsmt+cleanup"}
    assert rows["ground_truth"]["L2P"] == 0.0
    for method in ("rsmt", "rsmt+cleanup"):
        assert all(np.isfinite(rows[method][k]) and rows[method][k] > 0 for k in ("L2P", "L2Q", "NPSS"))
    assert cli.main(["evaluate", "--sampler", str(tmp_path / "phase.safetensors"), "--phase",
                     str(tmp_path / "phase.safetensors")]) == 2
    assert "holds a rsmt_phase network, expected rsmt_sampler" in capsys.readouterr().err
    # a sampler whose weights record the clips its training held out is scored on those by default, and told
    # apart from clips it was trained on
    weights = network_weights(TransitionSampler(cfg))
    weights.config["training"] = {"held_out": ["humanoid3d_walk"]}
    weights.save(tmp_path / "walkless")
    walkless = ["--json", "--lengths", "10", "--by-clip", "--phase", str(tmp_path / "phase.safetensors"), "--sampler",
                str(tmp_path / "walkless.safetensors")]
    assert cli.main(["evaluate", *walkless]) == 0
    captured = capsys.readouterr()
    assert set(json.loads(captured.out)["clip_windows"]) == {"humanoid3d_walk"} and "note:" not in captured.err
    assert cli.main(["evaluate", *walkless, "--held-out", "walk", "run"]) == 0
    assert "the sampler was trained on humanoid3d_run: its scores there are not held-out" in capsys.readouterr().err
    # one trained on every clip (train --held-out none) has no held-out clip: new performances by default
    weights.config["training"] = {"held_out": []}
    weights.save(tmp_path / "every")
    every = ["--json", "--lengths", "10", "--phase", str(tmp_path / "phase.safetensors"), "--sampler",
             str(tmp_path / "every.safetensors")]
    assert cli.main(["evaluate", *every]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["split"] == "sim" and out["held_out"] == []
    assert cli.main(["evaluate", *every, "--split", "test"]) == 2
    assert "no held-out clip to score" in capsys.readouterr().err


def test_a_named_styles_features_give_the_transitions_of_that_clip_picked_for_every_window():
    """sampler_method(style_features=F) (a named style of a library, as `evaluate --style-accuracy` scores it)
    rolls out exactly what the method makes when F's clip is the only one its style can pick."""
    from dataclasses import replace

    import torch

    from inference.networks.deephase import PAE
    from inference.networks.rsmt_config import RSMTConfig
    from inference.networks.transitionnet import TransitionSampler
    from motion.deepmimic import humanoid3d_skeleton
    from motion.joint_roles import roles_for
    from training.benchmark import PAST, embedded_benchmark, sampler_method
    from training.train_manifold import phase_function
    from inference.networks.rsmt_networks import network_weights

    torch.manual_seed(0)
    cfg = RSMTConfig.for_roles(roles_for(humanoid3d_skeleton()), "lite")
    phase_fn = phase_function(network_weights(PAE(cfg)), torch.device("cpu"))
    data = embedded_benchmark(phase_fn=phase_fn)
    sampler = TransitionSampler(cfg)
    clips = data.style_clips
    only = replace(data, style_clips={k: v[1:2] for k, v in clips.items()})
    features = np.concatenate([clips["pos"][1], clips["vel"][1], clips["rot"][1]], -1)
    picked = sampler_method(sampler, only, style=int(clips["style"][1]), pipeline="app")(data.windows, PAST, 10)
    named = sampler_method(sampler, data, style_features=features, pipeline="app")(data.windows, PAST, 10)
    assert picked[0].shape == (data.num_windows, 10, len(data.parents), 3)
    for a, b in zip(picked, named):
        np.testing.assert_array_equal(a, b)
    other = np.concatenate([clips["pos"][0], clips["vel"][0], clips["rot"][0]], -1)
    assert not np.array_equal(sampler_method(sampler, data, style_features=other, pipeline="app")(
        data.windows, PAST, 10)[0], named[0])

    # style_strength S pushes the code from a reference (style_reference.strengthened): at 0 every style is the
    # reference's, so with the other clip's code as the reference any clip gives the other clip's transitions
    f = torch.from_numpy(np.ascontiguousarray(other[None]))
    with torch.no_grad():
        code = sampler.encode_style(sampler.style_input(f[..., :3], f[..., 3:6], f[..., 6:]))
    reference = {k: v.numpy() for k, v in code._asdict().items()}
    at_zero = sampler_method(sampler, data, style_features=features, pipeline="app", style_strength=0.0,
                             reference=reference)(data.windows, PAST, 10)
    as_other = sampler_method(sampler, data, style_features=other, pipeline="app")(data.windows, PAST, 10)
    np.testing.assert_allclose(at_zero[0], as_other[0], rtol=1e-5, atol=1e-4)  # the reference encoded at batch 1
    with pytest.raises(ValueError, match="needs a style library's reference"):
        sampler_method(sampler, data, style_features=features, style_strength=1.5)


def test_evaluate_scores_the_transitions_of_another_seed_with_the_apps_noise(tmp_path, capsys):
    """`evaluate --transition-seed S` rolls the sampler out with the target noise the app draws for seed S
    (`inference.rsmt.transition.target_noise`); 0, the default, is the noiseless rollout RSMT's benchmark scores.
    Interpolation does not depend on it."""
    import torch

    from inference.networks.deephase import PAE
    from inference.networks.rsmt_config import RSMTConfig
    from inference.networks.rsmt_networks import network_weights
    from inference.networks.transitionnet import TransitionSampler
    from motion.deepmimic import humanoid3d_skeleton
    from motion.joint_roles import roles_for

    torch.manual_seed(0)
    cfg = RSMTConfig.for_roles(roles_for(humanoid3d_skeleton()), "lite")
    network_weights(PAE(cfg)).save(tmp_path / "phase")
    network_weights(TransitionSampler(cfg)).save(tmp_path / "sampler")
    args = ["evaluate", "--json", "--lengths", "10", "--phase", str(tmp_path / "phase.safetensors"), "--sampler",
            str(tmp_path / "sampler.safetensors")]
    scores = {}
    for seed in ("0", "1"):
        assert cli.main([*args, "--transition-seed", seed]) == 0
        scores[seed] = {r["method"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert scores["0"]["interpolation"] == scores["1"]["interpolation"]
    for method in ("rsmt", "rsmt+cleanup"):
        assert scores["0"][method]["L2P"] != scores["1"][method]["L2P"]
    assert cli.main([*args]) == 0  # the default is seed 0
    assert {r["method"]: r for r in json.loads(capsys.readouterr().out)["rows"]}["rsmt"] == scores["0"]["rsmt"]
    assert cli.main([*args, "--transition-seed", "-1"]) == 2
    assert "--transition-seed" in capsys.readouterr().err
