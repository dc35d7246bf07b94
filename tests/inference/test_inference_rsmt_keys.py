"""Official RSMT state_dict layouts (paper sizes) load with strict=True into our networks.

The key lists below are written from the official source, independently of our modules
(yuyujunjun/RSMT-Realtime-Stylized-Motion-Transition @d060ce2; DeepPhaseNet.py @f3d7b8f):
  PAE_AI4Animation            src/Net/DeepPhaseNet.py:326-370 (tpi/args/freqs :341-346, convs/bn/fc :350-368)
  StyleVAENet                 src/Net/StyleVAENet.py:118-140 (embedding_encoder :93-112, decoder :23-53)
  MultipleExpertsLinear       src/Module/MoEModule.py:4-21 (weight (E,out,in), bias (E,out))
  VAE_Linear                  src/Module/VAEModule.py:24-33 (encode Linear(in, 2*latent))
  TransitionNet_phase         src/Net/TransitionPhaseNet.py:185-258 (stat buffers :197-207, modules :229-251)
  StateEncoder / PLU          TransitionPhaseNet.py:65-75, src/Module/Utilities.py:3-20
  StyleEmbedding              TransitionPhaseNet.py:76-103;  MoeStylePhasePredictor :104-142
  PredictInitialState         TransitionPhaseNet.py:143-183 (Sequential indices 0, 3, 6)
  AdaInNorm2D / ATNBlock      src/Net/TransitionNet.py:130-154 / :83-128;  PosEncoding :8-22
  IAN_FilmGenerator2          src/Net/StyleVAENet.py:70-91
(line ranges as cited in /work/shared/research/models.md). The list is also in
inference/networks/rsmt_keys.md.
"""
import pytest
import torch

from inference.networks.deephase import PAE
from inference.networks.rsmt_config import RSMTConfig
from inference.networks.rsmt_networks import build_network, network_weights
from inference.networks.stylevae import StyleVAE
from inference.networks.transitionnet import TransitionSampler
from inference.weights import WeightsError

J, JP, P, Z, E = 23, 14, 10, 32, 8  # joints, position joints, phase channels, latent, experts


def lin(name, out, inp):
    return {f"{name}.weight": (out, inp), f"{name}.bias": (out,)}


def conv(name, out, inp, k):
    return {f"{name}.weight": (out, inp, k), f"{name}.bias": (out,)}


def bn(name, n):
    return {f"{name}.weight": (n,), f"{name}.bias": (n,), f"{name}.running_mean": (n,),
            f"{name}.running_var": (n,), f"{name}.num_batches_tracked": ()}


def moe(name, inp, out):
    return {f"{name}.weight": (E, out, inp), f"{name}.bias": (E, out)}


def official_pae_keys():
    keys = {"tpi": (1,), "args": (61,), "freqs": (30,)}
    keys |= conv("conv1", 23, 69, 61) | bn("bn_conv1", 23) | conv("conv2", P, 23, 61) | bn("bn_conv2", P)
    for i in range(P):
        keys |= lin(f"fc.{i}", 2, 61) | bn(f"bn.{i}", 2)
    keys |= lin("parallel_fc0", P, 61) | lin("parallel_fc1", P, 61)
    keys |= conv("deconv1", 23, P, 61) | bn("bn_deconv1", 23) | conv("deconv2", 69, 23, 61)
    return keys


def official_decoder_keys(prefix):
    cond = 9 + JP * 6 + J * 6  # 231
    return (lin(f"{prefix}.gate.0", 128, 2 * P + Z) | lin(f"{prefix}.gate.2", 128, 128)
            | lin(f"{prefix}.gate.4", E, 128)
            | moe(f"{prefix}.linears.0", cond + Z, 512) | moe(f"{prefix}.linears.1", 512 + Z, 512)
            | moe(f"{prefix}.mlp", 512, 6 * J + 3 * JP))


def official_stylevae_keys():
    enc_in = (6 * J + 6 * JP) * 2  # 444
    return (lin("embedding_encoder.linears.0", 512, enc_in) | lin("embedding_encoder.linears.1", 512, 512)
            | lin("embedding_encoder.linears.2", 512, 512) | lin("embedding_encoder.mlp.encode", 2 * Z, 512)
            | official_decoder_keys("decoder"))


def film(prefix):
    return (lin(f"{prefix}.adains.0.affine2", 512, 512) | lin(f"{prefix}.adains.0.affine3", 512, 512)
            | lin(f"{prefix}.adains.0.affine4", 1024, 512) | lin(f"{prefix}.atns.0.f", 512, 512)
            | lin(f"{prefix}.atns.0.g", 512, 512) | lin(f"{prefix}.atns.0.h", 512, 512)
            | lin(f"{prefix}.atns.0.k", 512, 512))


def official_sampler_keys():
    state, offset = J * 6 + JP * 6, J * 6 + JP * 3  # 222, 180
    keys = {"vel_mean": (J, 3), "pos_mean": (J, 3), "vel_std": (1,), "rot_mean": (J, 6), "rot_std": (1,),
            "pos_std": (1,)}
    for enc, n_in in (("state_encoder", state), ("offset_encoder", offset), ("target_encoder", state)):
        keys |= lin(f"{enc}.layers.0", 512, n_in) | lin(f"{enc}.layers.1", 256, 512)
        keys |= {f"{enc}.acts.{i}.{p}": (1,) for i in range(2) for p in "wc"}
    keys |= film("embedding_style") | lin("embedding_style.linears.0", 512, 256)
    keys |= {"LSTMCell.weight_ih": (4096, 1024), "LSTMCell.weight_hh": (4096, 1024),
             "LSTMCell.bias_ih": (4096,), "LSTMCell.bias_hh": (4096,)}
    isp = "initial_state_predictor"
    keys |= (conv(f"{isp}.conv_layer.0", 1024, 1024, 5) | conv(f"{isp}.conv_layer.3", 1024, 1024, 3)
             | conv(f"{isp}.conv_layer.6", 1024, 1024, 2) | lin(f"{isp}.mlp", 30, 1024))
    keys |= (lin("phase_predictor.linears.0", 1024, 1024 + 2 * P + 512) | lin("phase_predictor.linears.1", 512, 1024)
             | lin("phase_predictor.linears.2", 512, 512) | film("phase_predictor")
             | lin("phase_predictor.mlp", 4 * P + 9 + 32, 512))
    keys |= (conv("film_generator.conv_pre", 512, 12 * 22, 1) | conv("film_generator.conv_pre2", 512, 512, 3)
             | conv("film_generator.conv0", 512, 512, 3) | conv("film_generator.conv1", 512, 512, 5))
    keys |= official_decoder_keys("decoder")
    keys |= {"embedding.ttaEncoding": (46, 256), "embedding512.ttaEncoding": (46, 512)}
    return keys


def random_state(keys, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {k: torch.tensor(7, dtype=torch.long) if k.endswith("num_batches_tracked")
            else torch.randn(shape, generator=g) for k, shape in keys.items()}


@pytest.mark.parametrize("make, keys", [(PAE, official_pae_keys), (StyleVAE, official_stylevae_keys),
                                        (TransitionSampler, official_sampler_keys)])
def test_official_layout_loads_strict(make, keys):
    net = make(RSMTConfig.paper())
    state = random_state(keys())
    net.load_state_dict(state, strict=True)  # raises on any missing, unexpected or misshaped key
    mine = net.state_dict()
    assert set(mine) == set(state)
    name = next(k for k in state if k.endswith(".weight"))
    assert torch.equal(mine[name], state[name])


def test_weightset_roundtrip_and_errors(tmp_path):
    net = StyleVAE(RSMTConfig.lite())
    ws = network_weights(net)
    ws.save(tmp_path / "manifold")
    from inference.weights import WeightSet

    loaded = build_network(WeightSet.load(tmp_path / "manifold"), "rsmt_manifold")
    for k, v in net.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k
    bad = WeightSet.load(tmp_path / "manifold")
    bad.tensors["decoder.mlp.bias"] = bad.tensors["decoder.mlp.bias"][:, :3]
    with pytest.raises(WeightsError, match=r"manifold\.safetensors.*decoder\.mlp\.bias.*shape"):
        build_network(bad)
    with pytest.raises(WeightsError, match="expected rsmt_sampler"):
        build_network(WeightSet.load(tmp_path / "manifold"), "rsmt_sampler")
