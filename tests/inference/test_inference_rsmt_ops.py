"""Our stateless/explicit RSMT operations equal the official formulations (written here with the
official torch calls: rfft, diagonal of parallel_fc, einsum+baddbmm blending, InstanceNorm on 2-D/3-D
inputs, the PosEncoding loop, the 2x2 rotation matmul)."""
import math

import pytest
import torch
from torch import nn

from inference.networks.deephase import PAE
from inference.networks.rsmt_config import RSMTConfig
from inference.networks.stylevae import MultipleExpertsLinear
from inference.networks.transitionnet import (ATNBlock, AdaInNorm, TransitionSampler, next_phase, row_norm,
                                              sample_norm, sinusoid_table, slerp_half)

torch.manual_seed(0)



@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op thread: on the shared 2-core machine, spinning OpenMP threads of a loaded process
    made these small per-frame ops several times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

def test_pae_spectrum_and_phase_match_official_formulas():
    net = PAE(RSMTConfig.paper()).eval()
    for bnorm in net.bn:  # non-trivial running statistics
        bnorm.running_mean.normal_()
        bnorm.running_var.uniform_(0.5, 2.0)
    x = torch.randn(4, 69, 61)
    latent, p, a, f, b = net.encode(x)
    spec = torch.fft.rfft(latent, dim=2)
    power = spec.abs()[:, :, 1:] ** 2
    f_ref = torch.sum(net.freqs * power, dim=2) / torch.sum(power, dim=2) / net.time_scale
    a_ref = 2 * torch.sqrt(torch.sum(power, dim=2)) / 61
    b_ref = spec.real[:, :, 0] / 61
    torch.testing.assert_close(f[..., 0], f_ref, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(a[..., 0], a_ref, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(b[..., 0], b_ref, rtol=1e-4, atol=1e-6)
    sx = net.parallel_fc0(latent).diagonal(dim1=-2, dim2=-1)
    sy = net.parallel_fc1(latent).diagonal(dim1=-2, dim2=-1)
    v = torch.stack([torch.stack([sx[:, i], sy[:, i]], -1) for i in range(10)], 1)
    tv = torch.stack([net.bn[i](v[:, i]) for i in range(10)], 1)
    torch.testing.assert_close(p[..., 0], torch.atan2(tv[..., 1], tv[..., 0]) / (2 * math.pi), rtol=1e-5, atol=1e-6)
    y, *_ = net(x)
    assert y.shape == x.shape and torch.isfinite(y).all()


def test_moe_equals_official_weight_blending():
    layer = MultipleExpertsLinear(263, 512, 8)
    x, coeff = torch.randn(5, 263), torch.softmax(torch.randn(5, 8), -1)
    mixed_w = torch.einsum("bc,cmn->bmn", coeff, layer.weight)
    mixed_b = torch.matmul(coeff, layer.bias).unsqueeze(2)
    ref = torch.baddbmm(mixed_b, mixed_w, x.unsqueeze(2)).squeeze(2)
    torch.testing.assert_close(layer(x, coeff), ref, rtol=1e-4, atol=1e-5)


@pytest.mark.filterwarnings("ignore:input's size at dim=0")
def test_norms_equal_official_instance_norms():
    x, s = torch.randn(6, 512), torch.randn(6, 11, 512)
    torch.testing.assert_close(row_norm(x), nn.InstanceNorm1d(512)(x), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(sample_norm(s), nn.InstanceNorm2d(512)(s), rtol=1e-4, atol=1e-5)


@pytest.mark.filterwarnings("ignore:input's size at dim=0")
def test_adain_and_attention_match_official_forward():
    ada, atn = AdaInNorm(512, 512).eval(), ATNBlock(512, 512)
    tokens, x = torch.randn(3, 9, 512), torch.randn(3, 512)
    gamma, beta = ada.style_params(tokens)
    s = ada.affine4(ada.act(ada.affine2(tokens.mean(1))))
    torch.testing.assert_close(ada(x, gamma, beta), (1 + s[:, :512]) * nn.InstanceNorm1d(512)(x) + s[:, 512:])
    keys, values = atn.style_params(tokens)
    G = atn.g(nn.InstanceNorm2d(512)(tokens))
    F = atn.f(nn.InstanceNorm1d(512)(x)).unsqueeze(-1)
    S = torch.softmax(torch.bmm(G, F) / math.sqrt(512), dim=-2)
    O = atn.k(torch.bmm(atn.h(tokens).transpose(1, 2), S).squeeze(-1)) + x
    torch.testing.assert_close(atn(x, keys, values), O, rtol=1e-4, atol=1e-5)


def test_position_table_matches_official_loop():
    table = sinusoid_table(46, 256)
    for t in (0, 1, 17, 45):
        z = torch.zeros(256)
        idx = torch.arange(0, 256, 2).float()
        z[idx.long()] = torch.sin(t / torch.pow(10000.0, idx / 256))
        z[idx.long() + 1] = torch.cos(t / torch.pow(10000.0, idx / 256))
        torch.testing.assert_close(table[t], z)


def test_phase_update_matches_official_rotation_and_slerp():
    last, amp, freq = torch.randn(4, 10, 2), torch.rand(4, 10, 1), torch.randn(4, 10, 1)
    theta = 2 * math.pi * freq / 30
    R = torch.stack([torch.cos(theta), torch.sin(theta), -torch.sin(theta), torch.cos(theta)], -1).reshape(4, 10, 2, 2)
    unit = last / last.norm(dim=-1, keepdim=True)
    ref = amp * torch.matmul(unit.unsqueeze(-2), R).squeeze(-2)
    torch.testing.assert_close(next_phase(last, amp, freq, 1 / 30), ref)
    p0, p1 = torch.randn(4, 10, 2), torch.randn(4, 10, 2)
    mid = 0.5 * (p0 / p0.norm(dim=-1, keepdim=True) + p1 / p1.norm(dim=-1, keepdim=True))
    ref = 0.5 * (p0.norm(dim=-1, keepdim=True) + p1.norm(dim=-1, keepdim=True)) * mid / mid.norm(dim=-1, keepdim=True)
    torch.testing.assert_close(slerp_half(p0, p1), ref)


def test_target_noise_schedule_and_tta_clamp():
    cfg = RSMTConfig.lite()
    net = TransitionSampler(cfg).eval()
    n = 6
    pos, rot = torch.randn(n, cfg.n_pos, 3), torch.randn(n, cfg.num_joints, 6)
    target = net.encode_target(torch.randn(n, cfg.n_pos, 3), torch.randn(n, cfg.n_pos, 3), torch.randn(n, cfg.num_joints, 6))
    style = net.encode_style(torch.randn(n, cfg.style_channels, 30))
    tta = torch.tensor([1, 4, 5, 17, 30, 60])
    noise = torch.randn(n, 2 * cfg.state_out)
    with torch.no_grad():
        x0, h0 = net.lstm_input(pos, pos, rot, target, style, tta, torch.zeros_like(noise))
        x1, h1 = net.lstm_input(pos, pos, rot, target, style, tta, noise)
    lam = torch.tensor([0.0, 0.0, 0.0, 12 / 25, 1.0, 1.0])  # official concat(): 0 below 5, (tta-5)/25, 1 from 30
    torch.testing.assert_close(h1 - h0, lam[:, None] * noise, rtol=1e-4, atol=1e-5)
    with torch.no_grad():
        x45, _ = net.lstm_input(pos, pos, rot, target, style, torch.full((n,), 45), torch.zeros_like(noise))
    torch.testing.assert_close(x0[5], x45[5])  # tta 60 uses the table row of max_tta = 45


def test_manifold_decode_step_takes_hip_from_inputs():
    from inference.networks.stylevae import StyleVAE

    cfg = RSMTConfig.lite()
    vae = StyleVAE(cfg).eval()
    n = 3
    pos, vel, rot = torch.randn(n, cfg.n_pos, 3), torch.randn(n, cfg.n_pos, 3), torch.randn(n, cfg.num_joints, 6)
    hip_v, hip_r, phase = torch.randn(n, 3), torch.randn(n, 6), torch.randn(n, cfg.phase_dim, 2)
    enc_in = torch.randn(n, 2 * (6 * cfg.num_joints + 6 * cfg.n_pos))
    eps = torch.randn(n, cfg.latent_size)
    z, mu, logvar = vae.embedding_encoder(enc_in, eps)
    torch.testing.assert_close(z, mu + torch.exp(0.5 * logvar) * eps)
    with torch.no_grad():
        new_pos, new_vel, new_rot = vae.decode_step(pos, vel, rot, hip_v, hip_r, phase, z)
    torch.testing.assert_close(new_vel[:, 0], hip_v)
    torch.testing.assert_close(new_rot[:, 0], hip_r)
    torch.testing.assert_close(new_pos, pos + new_vel)
    assert new_rot.shape == rot.shape


def test_style_input_layout_matches_official_permutes():
    cfg = RSMTConfig.lite()
    net = TransitionSampler(cfg)
    j = cfg.num_joints
    net.pos_mean.normal_(), net.vel_mean.normal_(), net.rot_mean.normal_()
    net.pos_std.fill_(2.0), net.vel_std.fill_(3.0), net.rot_std.fill_(0.5)
    pos, vel, rot = torch.randn(2, 7, j, 3), torch.randn(2, 7, j, 3), torch.randn(2, 7, j, 6)
    # TransitionPhaseNet.normalized -> [:, :, 1:] -> cat -> permute(0,3,1,2) -> transpose(-2,-1).flatten(1,2)
    data = torch.cat(((pos - net.pos_mean) / 2.0, (vel - net.vel_mean) / 3.0, (rot - net.rot_mean) / 0.5), -1)[:, :, 1:]
    ref = data.permute(0, 3, 1, 2).contiguous().transpose(-2, -1).contiguous().flatten(1, 2)
    torch.testing.assert_close(net.style_input(pos, vel, rot), ref)
