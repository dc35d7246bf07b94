"""RSMT "manifold": the StyleVAE two-frame encoder and the mixture-of-experts gate decoder
(RSMT src/Net/StyleVAENet.py:23-53,93-112,118-140; src/Module/MoEModule.py; src/Module/VAEModule.py).
Parameter names match the official modules, so the ``state_dict`` of a trained ``StyleVAENet`` loads
into ``StyleVAE`` with ``strict=True`` (keys ``embedding_encoder.*`` and ``decoder.*``).

Vector layouts (n_pos = joints not in rot_rep_idx, hip first; J = all joints; P = phase_dim):
- encoder input (2 * (6*n_pos + 6*J)): last rel-pos, next rel-pos, last vel, next vel, last 6D, next 6D
  (StyleVAENet.py:178), each flattened joint-major.
- decoder condition (6*n_pos + 6*J + 9): rel-pos, vel, next hip vel (3), 6D, next hip 6D (6) (:177).
- decoder output (3*n_pos + 6*J): position deltas of the n_pos joints, then 6D deltas of all joints.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from inference.networks.rsmt_config import RSMTConfig


class MultipleExpertsLinear(nn.Module):
    """E expert linear layers blended per sample by gate coefficients (MoEModule.py:4-37).

    The official forward blends the weights first (einsum "bc,cmn->bmn" then baddbmm). Here every expert
    is applied and the outputs are blended, sum_e alpha_e (W_e x + b_e): the same value (linearity), one
    GEMM for the whole batch instead of a per-sample batched product."""

    def __init__(self, in_channels: int, out_channels: int, num_experts: int):
        super().__init__()
        self.num_experts, self.in_channels, self.out_channels = num_experts, in_channels, out_channels
        self.weight = nn.Parameter(torch.empty(num_experts, out_channels, in_channels))
        self.bias = nn.Parameter(torch.empty(num_experts, out_channels))
        bound = 1.0 / math.sqrt(in_channels)
        for e in range(num_experts):  # nn.Linear's default init per expert, as the official reset_parameter
            nn.init.kaiming_uniform_(self.weight.data[e], a=math.sqrt(5))
            nn.init.uniform_(self.bias.data[e], -bound, bound)

    def forward(self, x: torch.Tensor, coefficients: torch.Tensor) -> torch.Tensor:
        e, o, i = self.weight.shape
        per_expert = (x @ self.weight.reshape(e * o, i).t()).view(-1, e, o) + self.bias  # (N, E, out)
        return torch.einsum("ne,neo->no", coefficients, per_expert)


class MoEGateDecoder(nn.Module):
    """Gate: [phase 2P | z] -> 128 -> 128 -> E softmax; experts: [cond | z] -> 512, [h | z] -> 512 -> out."""

    def __init__(self, cfg: RSMTConfig):
        super().__init__()
        g, h, e, z = cfg.gate_hidden, cfg.vae_hidden, cfg.num_experts, cfg.latent_size
        self.gate = nn.Sequential(nn.Linear(cfg.phase_dim * 2 + z, g), nn.ELU(), nn.Linear(g, g), nn.ELU(),
                                  nn.Linear(g, e), nn.Softmax(-1))
        self.linears = nn.ModuleList([MultipleExpertsLinear(cfg.condition_size + z, h, e),
                                      MultipleExpertsLinear(h + z, h, e)])
        self.act = nn.ModuleList([nn.ELU(), nn.ELU(), nn.ELU()])
        self.mlp = MultipleExpertsLinear(h, cfg.pose_delta_size, e)

    def forward(self, latent: torch.Tensor, condition: torch.Tensor, phase: torch.Tensor):
        """latent (N, Z), condition (N, C), phase (N, P, 2) -> (pose deltas (N, out), gate coefficients (N, E))."""
        coefficients = self.gate(torch.cat((phase.flatten(-2, -1), latent), dim=-1))
        x = self.act[0](self.linears[0](torch.cat((condition, latent), dim=-1), coefficients))
        x = self.act[1](self.linears[1](torch.cat((x, latent), dim=-1), coefficients))
        return self.mlp(x, coefficients), coefficients


class VAELinear(nn.Module):
    """Linear -> (mu, logvar), reparameterised (VAEModule.py:24-43). ``epsilon`` makes it deterministic."""

    def __init__(self, in_channels: int, latent: int):
        super().__init__()
        self.encode = nn.Linear(in_channels, 2 * latent)
        self.latent = latent

    def forward(self, x: torch.Tensor, epsilon: torch.Tensor | None = None):
        mu, logvar = self.encode(x).split(self.latent, dim=-1)
        if epsilon is None:
            epsilon = torch.randn_like(mu)
        return mu + torch.exp(0.5 * logvar) * epsilon, mu, logvar


class TwoFrameEncoder(nn.Module):
    """``EmbeddingTwoFrameEncoder``: 3 x (Linear 512, ELU) then VAELinear(512 -> latent)."""

    def __init__(self, cfg: RSMTConfig):
        super().__init__()
        h = cfg.vae_hidden
        self.linears = nn.ModuleList([nn.Linear(2 * (6 * cfg.num_joints + 6 * cfg.n_pos), h),
                                      nn.Linear(h, h), nn.Linear(h, h)])
        self.act = nn.ModuleList([nn.ELU(), nn.ELU(), nn.ELU()])
        self.mlp = VAELinear(h, cfg.latent_size)

    def forward(self, x: torch.Tensor, epsilon: torch.Tensor | None = None):
        for linear, act in zip(self.linears, self.act):
            x = act(linear(x))
        return self.mlp(x, epsilon)


class StyleVAE(nn.Module):
    """The manifold network: ``embedding_encoder`` (training only) and ``decoder`` (also used, frozen,
    inside the sampler)."""

    def __init__(self, cfg: RSMTConfig):
        super().__init__()
        self.cfg = cfg
        self.embedding_encoder = TwoFrameEncoder(cfg)
        self.decoder = MoEGateDecoder(cfg)

    def decode_step(self, pos, vel, rot, next_hip_vel, next_hip_rot, phase, latent):
        """One autoregressive frame of the manifold (StyleVAENet.py:167-197).

        pos, vel (N, n_pos, 3) canonical positions / per-frame displacements of the n_pos joints;
        rot (N, J, 6); next_hip_vel (N, 3), next_hip_rot (N, 6) of the frame being made; phase (N, P, 2);
        latent (N, Z) -> next (pos, vel, rot) with the hip velocity and rotation taken from the inputs."""
        n, n_pos, _ = pos.shape
        cond = torch.cat(((pos - pos[:, 0:1]).flatten(1), vel.flatten(1), next_hip_vel, rot.flatten(1),
                          next_hip_rot), dim=-1)
        out, _ = self.decoder(latent, cond, phase)
        d_pos = out[:, : n_pos * 3].view(n, n_pos, 3)
        d_rot = out[:, n_pos * 3:].view(n, -1, 6)
        new_vel = torch.cat((next_hip_vel[:, None], d_pos[:, 1:]), dim=1)
        new_rot = torch.cat((next_hip_rot[:, None], (d_rot + rot)[:, 1:]), dim=1)
        return pos + new_vel, new_vel, new_rot
