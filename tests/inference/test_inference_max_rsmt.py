"""The RSMT/PAE networks as MAX graphs (lite preset) against the torch runners on the same random
WeightSets: every graph is compiled once per test session by the MEF store's spawned compile worker
(conftest's compiled_max_cache: a temporary store, the app's kernel cache), then loaded through the real MAX
backend.

Tolerances (fp32, absolute): 1e-4 for single calls; the 10-frame rollout is compared frame by frame with
the torch step loop at 1e-4 too. PAE phases are compared modulo one cycle (atan2 at the -pi/pi cut)."""
from __future__ import annotations

import inspect
import time
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from inference.backends.base import get_backend
from inference.backends.max.backend import MaxBackend
from inference.backends.mojo.backend import MaxMojoBackend
from inference.backends.max.graphs import rollout as rollout_graph
from inference.backends.max.store import MefStore, cache_root
from inference.networks.deephase import PAE
from inference.networks.rsmt_config import ROLLOUT_PER_FRAME, STEP_OUTPUTS, RSMTConfig
from inference.networks.rsmt_networks import network_weights
from inference.networks.stylevae import StyleVAE
from inference.networks.transitionnet import STYLE_FIELDS, TransitionSampler
from inference.weights import WeightSet, WeightsError

pytestmark = pytest.mark.slow  # compiles MAX graphs (~50 s each with an empty MAX cache)

KINDS = ("rsmt_phase", "rsmt_manifold_decoder", "rsmt_sampler_style", "rsmt_sampler_target",
         "rsmt_sampler_step", "rsmt_rollout")
TOL = 1e-4
CFG = RSMTConfig.lite()


@pytest.fixture(scope="session")
def compiled(compiled_max_cache):
    t0 = time.monotonic()
    store = MefStore(compiled_max_cache(KINDS, "lite") / "max", kernel_cache=cache_root() / "modular")
    return SimpleNamespace(store=store, backend=MaxBackend(store), seconds=time.monotonic() - t0)


def _randomize_buffers(net: torch.nn.Module, seed: int) -> None:
    """Give BatchNorm statistics and the PLU/statistics parameters non-default values."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in net.named_buffers():
            if name.endswith("running_mean"):
                t.copy_(0.1 * torch.randn(t.shape, generator=g))
            elif name.endswith("running_var"):
                t.copy_(0.5 + torch.rand(t.shape, generator=g))
        for name, t in net.named_parameters():
            if name.endswith(".w") or name.endswith(".c") or (name.startswith("bn") and name.endswith("weight")):
                t.add_(0.2 * torch.randn(t.shape, generator=g))


def _weights(net_class, seed: int) -> WeightSet:
    torch.manual_seed(seed)
    net = net_class(CFG)
    _randomize_buffers(net, seed)
    return network_weights(net)


@pytest.fixture(scope="module")
def nets():
    return SimpleNamespace(phase=_weights(PAE, 1), manifold=_weights(StyleVAE, 2),
                           sampler=_weights(TransitionSampler, 3))


def _rand(rng, *shape, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


def _compare(kind, torch_out, max_out, names=None, tol=TOL):
    worst = {}
    for name in names or torch_out:
        assert max_out[name].shape == torch_out[name].shape, (kind, name)
        worst[name] = float(np.max(np.abs(max_out[name] - torch_out[name])))
    assert all(d <= tol for d in worst.values()), (kind, worst)
    return worst


def test_compiled_every_lite_graph(compiled):
    for kind in KINDS:
        info = compiled.store.info(kind, "lite")
        assert info["compile_s"] > 0 and info["structure"] == CFG.to_dict()
    print(f"6 graphs ready (compiled, or copied when an earlier test compiled them): {compiled.seconds:.1f} s")


@pytest.mark.parametrize("batch", [1, 5])
def test_phase_matches_torch(compiled, nets, batch):
    rng = np.random.default_rng(batch)
    x = _rand(rng, batch, 3 * CFG.num_joints, CFG.pae_window, scale=0.5)
    ref = get_backend("torch").load("rsmt_phase", nets.phase)(x=x)
    out = compiled.backend.load("rsmt_phase", nets.phase)(x=x)
    cycles = (out["p"] - ref["p"] + 0.5) % 1.0 - 0.5  # phase in cycles: -0.5 and 0.5 are the same angle
    assert np.max(np.abs(cycles)) <= TOL
    _compare("rsmt_phase", ref, out, ("y", "a", "f", "b"))


def test_manifold_decoder_matches_torch(compiled, nets):
    rng = np.random.default_rng(7)
    inputs = {"latent": _rand(rng, 6, CFG.latent_size), "condition": _rand(rng, 6, CFG.condition_size),
              "phase": _rand(rng, 6, CFG.phase_dim, 2)}
    ref = get_backend("torch").load("rsmt_manifold_decoder", nets.manifold)(**inputs)
    out = compiled.backend.load("rsmt_manifold_decoder", nets.manifold)(**inputs)
    _compare("rsmt_manifold_decoder", ref, out)


def _style_and_target(nets, rng, batch):
    torch_be = get_backend("torch")
    features = _rand(rng, batch, CFG.style_channels, CFG.style_frames - 1)
    style = torch_be.load("rsmt_sampler_style", nets.sampler)(features=features)
    target = {"target_pos": _rand(rng, batch, CFG.n_pos, 3), "target_prev_pos": _rand(rng, batch, CFG.n_pos, 3),
              "target_rot": _rand(rng, batch, CFG.num_joints, 6)}
    latent = torch_be.load("rsmt_sampler_target", nets.sampler)(**target)["target_latent"]
    return features, style, target, latent


def test_sampler_style_and_target_match_torch(compiled, nets):
    features, style, target, latent = _style_and_target(nets, np.random.default_rng(11), 3)
    out = compiled.backend.load("rsmt_sampler_style", nets.sampler)(features=features)
    _compare("rsmt_sampler_style", style, out, STYLE_FIELDS)
    out = compiled.backend.load("rsmt_sampler_target", nets.sampler)(**target)
    _compare("rsmt_sampler_target", {"target_latent": latent}, out)


def _step_inputs(nets, rng, batch):
    _, style, target, latent = _style_and_target(nets, rng, batch)
    return {"pos": _rand(rng, batch, CFG.n_pos, 3), "vel": _rand(rng, batch, CFG.n_pos, 3, scale=0.1),
            "rot": _rand(rng, batch, CFG.num_joints, 6), "phase": _rand(rng, batch, CFG.phase_dim, 2),
            "h": _rand(rng, batch, CFG.rnn_size, scale=0.3), "c": _rand(rng, batch, CFG.rnn_size, scale=0.3),
            "target_pos": target["target_pos"], "target_rot": target["target_rot"], "target_latent": latent,
            **style}


@pytest.fixture(params=["max", "max-mojo"])
def sampler_backend(request, compiled):
    """The MAX step graph, and the max-mojo backend's fused Mojo sampler (the same compiled store)."""
    return compiled.backend if request.param == "max" else MaxMojoBackend(compiled.store)


def test_sampler_step_matches_torch(sampler_backend, nets):
    rng = np.random.default_rng(13)
    batch = 4
    inputs = _step_inputs(nets, rng, batch)
    inputs["tta"] = np.array([1, 7, 30, CFG.max_tta + 9], dtype=np.float32)  # incl. beyond the table: clamped
    inputs["noise"] = _rand(rng, batch, 2 * CFG.state_out, scale=0.5)
    ref = get_backend("torch").load("rsmt_sampler_step", nets.sampler)(**inputs)
    out = sampler_backend.load("rsmt_sampler_step", nets.sampler)(**inputs)
    _compare("rsmt_sampler_step", ref, out, STEP_OUTPUTS)


def test_rollout_matches_torch_step_loop(sampler_backend, nets):
    """10 frames in one call (MAX graph or Mojo kernel) vs 10 torch step calls; rows past the length stay zero."""
    rng = np.random.default_rng(17)
    batch, length, rows = 2, 10, rollout_graph.frames(CFG)
    start = _step_inputs(nets, rng, batch)
    noise = _rand(rng, batch, 2 * CFG.state_out, scale=0.5)
    tta = np.broadcast_to(np.arange(length, length - rows, -1, dtype=np.float32), (batch, rows)).copy()
    out = sampler_backend.load("rsmt_rollout", nets.sampler)(
        **start, tta=tta, noise=np.repeat(noise[:, None], rows, axis=1), length=np.full(batch, length, np.float32))
    step = get_backend("torch").load("rsmt_sampler_step", nets.sampler)
    state = dict(start)
    worst = 0.0
    for k in range(length):
        ref = step(**state, tta=tta[:, k], noise=noise)
        for name in ROLLOUT_PER_FRAME:
            worst = max(worst, _compare(f"rollout frame {k}", {name: ref[name]}, {name: out[name][:, k]})[name])
        state |= {name: ref[name] for name in rollout_graph.STATE}
    _compare("rollout final state", {"h": state["h"], "c": state["c"]}, out, ("h", "c"))
    assert all(np.all(out[name][:, length:] == 0) for name in ROLLOUT_PER_FRAME)


def test_wrong_network_weights_are_rejected(compiled, nets):
    with pytest.raises(WeightsError, match="rsmt_sampler"):
        compiled.backend.load("rsmt_sampler_step", nets.manifold)
    broken = WeightSet(nets.phase.config, {k: v for k, v in nets.phase.tensors.items() if k != "conv1.weight"})
    with pytest.raises(WeightsError, match="conv1.weight"):
        compiled.backend.load("rsmt_phase", broken)


@pytest.mark.parametrize("preset", ["lite", "paper"])
def test_graph_io_names_match_the_torch_runners(preset):
    """The step's inputs (one definition, rsmt_config.step_input_shapes) are the torch module's arguments, in
    order; the MAX builders keep their own copy of the style field names (they must not import torch)."""
    from inference.backends.max.graphs import sampler
    from inference.networks.transitionnet import SamplerStepGraph

    cfg = RSMTConfig.preset_named(preset)
    module = SamplerStepGraph(TransitionSampler(cfg))
    assert list(sampler.step_input_shapes(cfg)) == list(inspect.signature(module.forward).parameters)
    assert sampler.STYLE_FIELDS == STYLE_FIELDS


@pytest.mark.parametrize("backend,whole", [("max", True), ("max-mojo", False), ("max-mojo", True)])
def test_whole_transition_matches_torch(compiled, tmp_path_factory, monkeypatch, backend, whole):
    """A 20-frame transition of a random-weight lite model through the backend (its step loop or its whole
    rollout) against torch: every generated joint position within 1e-4 file units, free-running."""
    from dataclasses import replace

    from parity.compare import transition_request
    from inference.rsmt.models import random_rsmt_weights
    from inference.rsmt.transition import TransitionGenerator

    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(compiled.store.root.parent))  # the backends' stores: this one
    model = random_rsmt_weights(tmp_path_factory.mktemp("rsmt_lite"), seed=4)
    request = transition_request(20, seed=2)
    ref = TransitionGenerator(model).generate(request)
    out = TransitionGenerator(model).generate(replace(request, backend=backend, whole_rollout=whole))
    assert out.motion.num_frames == ref.motion.num_frames and out.length == 20
    assert np.abs(out.network_positions - ref.network_positions).max() <= 1e-4


@pytest.mark.parametrize("kind,mojo_ops", [
    ("rsmt_phase", {"motion_atan2"}),
    ("rsmt_manifold_decoder", {"motion_elu", "motion_moe_blend"}),
    ("rsmt_sampler_step", {"motion_elu", "motion_moe_blend", "motion_lstm_cell"}),
    ("rsmt_rollout", {"motion_elu", "motion_moe_blend", "motion_lstm_cell"}),
])
def test_ops_impl_mojo_swaps_in_the_custom_ops(kind, mojo_ops):
    """The same builder with ops_impl "mojo" calls the Mojo custom ops (timed against the composed ones and
    checked against torch by benchmarks/mojo_kernels.py, which compiles both); "composed" calls none."""
    from inference.backends.max.graphs import builder

    structure = CFG.to_dict()
    composed = str(builder(kind).build(kind, structure, "composed").graph)
    mojo = builder(kind).build(kind, structure, "mojo")
    assert all(op in str(mojo.graph) for op in mojo_ops)
    assert "motion_" not in composed and mojo.graph.kernel_libraries_paths
