"""A full RSMT transition (10 context frames, 20 generated) from a random-weight paper-size sampler:
shapes, finite values, and seed -> output determinism."""
import pytest
import torch

from inference.networks.rsmt_config import RSMTConfig
from inference.networks.transitionnet import TransitionSampler



@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op thread: on the shared 2-core machine, spinning OpenMP threads of a loaded process
    made these small per-frame ops several times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

def make_inputs(cfg, batch=2, context=10, style_frames=120, seed=1):
    g = torch.Generator().manual_seed(seed)
    j, p = cfg.num_joints, cfg.phase_dim
    walk = torch.cumsum(0.05 * torch.randn(batch, context, j, 3, generator=g), dim=1)
    return dict(
        context_pos=walk,
        context_rot=torch.randn(batch, context, j, 6, generator=g),
        context_phase=torch.randn(batch, context, p, 2, generator=g),
        target_pos=walk[:, -1:] + torch.randn(batch, 2, j, 3, generator=g),
        target_rot=torch.randn(batch, j, 6, generator=g),
        style=(torch.randn(batch, style_frames - 1, j, 3, generator=g),
               torch.randn(batch, style_frames - 1, j, 3, generator=g),
               torch.randn(batch, style_frames - 1, j, 6, generator=g)),
    )


def run(net, inputs, length, seed):
    with torch.no_grad():
        style = net.encode_style(net.style_input(*inputs["style"]))
        return net.rollout(inputs["context_pos"], inputs["context_rot"], inputs["context_phase"],
                           inputs["target_pos"], inputs["target_rot"], style, length,
                           generator=torch.Generator().manual_seed(seed))


def test_paper_transition_shapes_finite_and_seeded():
    cfg = RSMTConfig.paper()
    torch.manual_seed(0)
    net = TransitionSampler(cfg).eval()
    inputs = make_inputs(cfg)
    out = run(net, inputs, 20, seed=3)
    n, L = 2, 20
    expect = {"pos": (n, L, cfg.n_pos, 3), "rot": (n, L, cfg.num_joints, 6), "phase": (n, L, cfg.phase_dim, 2),
              "pred_phase": (n, L, cfg.phase_dim, 2), "A": (n, L, cfg.phase_dim, 1), "F": (n, L, cfg.phase_dim, 1)}
    assert {k: tuple(v.shape) for k, v in out.items()} == expect
    for k, v in out.items():
        assert torch.isfinite(v).all(), k
    # the transition moves: consecutive frames differ, and the hip follows its predicted velocity
    assert (out["pos"][:, 1:] - out["pos"][:, :-1]).abs().amax() > 0
    again = run(net, inputs, 20, seed=3)
    for k in out:
        assert torch.equal(out[k], again[k]), k
    other = run(net, inputs, 20, seed=4)
    assert not torch.equal(out["pos"], other["pos"])  # the target noise depends on the seed


def test_style_changes_transition():
    cfg = RSMTConfig.lite()
    torch.manual_seed(0)
    net = TransitionSampler(cfg).eval()
    a, b = make_inputs(cfg, seed=1), make_inputs(cfg, seed=1)
    b["style"] = make_inputs(cfg, seed=2)["style"]
    assert not torch.allclose(run(net, a, 8, 0)["pos"], run(net, b, 8, 0)["pos"])


def test_torch_backend_runners_match_the_module():
    import numpy as np

    from inference.backends.base import get_backend
    from inference.networks.rsmt_networks import network_weights

    cfg = RSMTConfig.lite()
    torch.manual_seed(0)
    net = TransitionSampler(cfg).eval()
    ws = network_weights(net)
    backend = get_backend("torch")
    inputs = make_inputs(cfg, batch=3)
    with torch.no_grad():
        features = net.style_input(*inputs["style"])
        style = net.encode_style(features)
    style_out = backend.load("rsmt_sampler_style", ws)(features=features.numpy())
    for name, t in zip(style._fields, style):
        np.testing.assert_allclose(style_out[name], t.numpy(), rtol=1e-5, atol=1e-5)
    idx = list(cfg.pos_rep_idx)
    pos = inputs["context_pos"][:, -1, idx]
    tpos, tprev = inputs["target_pos"][:, 1, idx], inputs["target_pos"][:, 0, idx]
    target_latent = backend.load("rsmt_sampler_target", ws)(
        target_pos=tpos.numpy(), target_prev_pos=tprev.numpy(), target_rot=inputs["target_rot"].numpy())["target_latent"]
    g = torch.Generator().manual_seed(9)
    arrays = {"pos": pos, "vel": pos - inputs["context_pos"][:, -2, idx], "rot": inputs["context_rot"][:, -1],
              "phase": inputs["context_phase"][:, -1], "h": torch.randn(3, cfg.rnn_size, generator=g),
              "c": torch.randn(3, cfg.rnn_size, generator=g), "target_pos": tpos, "target_rot": inputs["target_rot"]}
    arrays = {k: v.numpy() for k, v in arrays.items()} | {"target_latent": target_latent}
    arrays |= {k: style_out[k] for k in style._fields}
    arrays |= {"tta": np.array([20.0, 7.0, 1.0], np.float32), "noise": np.zeros((3, 2 * cfg.state_out), np.float32)}
    out = backend.load("rsmt_sampler_step", ws)(**arrays)
    from inference.networks.transitionnet import FrameState

    with torch.no_grad():
        target = net.encode_target(tpos, tprev, inputs["target_rot"])
        state, h, c, (pred_phase, amp, freq) = net.step(
            FrameState(*(torch.from_numpy(arrays[k]) for k in ("pos", "vel", "rot", "phase"))),
            torch.from_numpy(arrays["h"]), torch.from_numpy(arrays["c"]), target, style,
            torch.tensor([20, 7, 1]), torch.zeros(3, 2 * cfg.state_out))
    for name, t in zip(("pos", "vel", "rot", "phase", "h", "c", "pred_phase", "A", "F"),
                       (*state, h, c, pred_phase, amp, freq)):
        np.testing.assert_allclose(out[name], t.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


def test_rollout_can_predict_the_initial_phase():
    cfg = RSMTConfig.lite()
    torch.manual_seed(0)
    net = TransitionSampler(cfg).eval()
    inputs = make_inputs(cfg, context=cfg.past_frames) | {"context_phase": None}
    out = run(net, inputs, 6, seed=0)
    assert out["phase"].shape == (2, 6, cfg.phase_dim, 2) and torch.isfinite(out["phase"]).all()
    with pytest.raises(ValueError, match="needs 10 context frames"):
        run(net, make_inputs(cfg, context=5) | {"context_phase": None}, 6, seed=0)
