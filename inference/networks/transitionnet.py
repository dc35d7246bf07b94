"""RSMT "sampler": ``TransitionNet_phase`` (RSMT src/Net/TransitionPhaseNet.py:65-431 and
src/Net/TransitionNet.py) with the official parameter names, so its state_dict loads with ``strict=True``.

The official module keeps the style encoding in hidden caches (``first`` flags in AdaIN/ATN) and runs
the whole transition in ``shift_running``. Here the same maths is split into explicit, stateless pieces
that a MAX graph can mirror one to one:

- ``encode_style(features)`` -> StyleCode: the style tokens and everything the official modules cache
  from them (AdaIN gamma/beta, attention keys/values) for the two FiLM sites (``embedding_style`` and
  ``phase_predictor``). Run once per style clip.
- ``encode_target(target_pos, target_prev_pos, target_rot)`` -> TargetCode. Run once per transition.
- ``context_step`` (warm-up on ground-truth context frames) and ``step`` (one generated frame):
  (state, hidden, target, style, time-to-arrival, noise) -> (next state, hidden, phase).
- ``rollout``: the full autoregressive transition (the same loop as ``shift_running``).

State of a frame (canonical space of the window, see ``FEATURES`` in inference/networks/rsmt_keys.md):
  pos (N, n_pos, 3)  positions of the ``pos_rep_idx`` joints (hip first)
  vel (N, n_pos, 3)  pos[t] - pos[t-1] of the same joints (per frame, not per second)
  rot (N, J, 6)      6D (first two rows of the rotation matrix) of every joint's global rotation
  phase (N, P, 2)    phase-manifold vector A/0.1 * (cos 2 pi S, sin 2 pi S) per PAE channel

Fixes against the official code: ``PosEncoding`` builds its table on CPU (the official one hard-codes
``device='cuda'``, TransitionNet.py:10-11); the noise schedule and the time-to-arrival clamp are tensor
maths so a batch can hold different times (same values as the official Python ``if``s).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from inference.networks.rsmt_config import RSMTConfig, step_input_shapes, warmup_input_shapes
from inference.networks.stylevae import MoEGateDecoder

_EPS32 = torch.finfo(torch.float32).eps


class PLU(nn.Module):
    """Piecewise linear unit max(w(x+c)-c, min(w(x-c)+c, x)) with learnable scalars (Utilities.py:3-20)."""

    def __init__(self, w: float = 0.1, c: float = 1.0):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([w]))
        self.c = nn.Parameter(torch.tensor([c]))

    def forward(self, x):
        return torch.max(self.w * (x + self.c) - self.c, torch.min(self.w * (x - self.c) + self.c, x))


class StateEncoder(nn.Module):
    def __init__(self, in_channels: int, hidden: int, out: int):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(in_channels, hidden), nn.Linear(hidden, out)])
        self.acts = nn.ModuleList([PLU(), PLU()])

    def forward(self, x):
        for layer, act in zip(self.layers, self.acts):
            x = act(layer(x))
        return x


def row_norm(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Normalise each row over the last axis (biased variance, no affine). This is what the official
    ``InstanceNorm1d(512)`` does to a 2-D (N, C) input, which torch treats as one unbatched (C=N, L=C)
    sample."""
    mean = x.mean(-1, keepdim=True)
    var = (x - mean).pow(2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)


def sample_norm(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Normalise each sample of (N, T, C) over T*C: the official ``InstanceNorm2d`` on a 3-D input."""
    mean = x.mean(dim=(1, 2), keepdim=True)
    var = (x - mean).pow(2).mean(dim=(1, 2), keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)


class AdaInNorm(nn.Module):
    """``AdaInNorm2D`` (TransitionNet.py:130-154): (gamma, beta) from the mean style token, then
    (1 + gamma) * row_norm(x) + beta. ``affine3`` is unused in the official forward; kept for the keys."""

    def __init__(self, style_dims: int, content_dims: int):
        super().__init__()
        self.affine2 = nn.Linear(style_dims, style_dims)
        self.act = nn.ELU()
        self.affine3 = nn.Linear(style_dims, style_dims)
        self.affine4 = nn.Linear(style_dims, content_dims * 2)
        self.dropout = nn.Dropout(0.1)

    def style_params(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.affine4(self.dropout(self.act(self.affine2(tokens.mean(dim=1)))))
        gamma, beta = torch.chunk(s, 2, dim=1)
        return gamma, beta

    def forward(self, x, gamma, beta):
        return (1 + gamma) * row_norm(x) + beta


class ATNBlock(nn.Module):
    """Single-head attention of a content vector over the style tokens (TransitionNet.py:83-128):
    softmax_T(g(sample_norm(s)) . f(row_norm(x)) / sqrt(C)) weights h(s); out = k(.) + x."""

    def __init__(self, content_dims: int, style_dims: int):
        super().__init__()
        self.f = nn.Linear(content_dims, style_dims)
        self.g = nn.Linear(style_dims, style_dims)
        self.h = nn.Linear(style_dims, style_dims)
        self.k = nn.Linear(style_dims, content_dims)

    def style_params(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.g(sample_norm(tokens)), self.h(tokens)  # keys, values: (N, T, C)

    def forward(self, x, keys, values):
        q = self.f(row_norm(x)).unsqueeze(-1)  # (N, C, 1)
        scores = torch.softmax(torch.bmm(keys, q) / math.sqrt(keys.shape[-1]), dim=1)  # (N, T, 1)
        # a batched matmul, as the official code: far-from-max scores are subnormal floats, which make an
        # elementwise multiply-and-sum on x86 orders of magnitude slower than the GEMM kernel
        return self.k(torch.bmm(scores.transpose(1, 2), values).squeeze(1)) + x


class StyleEmbedding(nn.Module):
    """Linear(256 -> 512) -> AdaIN -> ELU -> ATN -> ELU (TransitionPhaseNet.py:76-103)."""

    def __init__(self, in_channels: int, style_dims: int):
        super().__init__()
        self.adains = nn.ModuleList([AdaInNorm(style_dims, style_dims)])
        self.atns = nn.ModuleList([ATNBlock(style_dims, style_dims)])
        self.linears = nn.ModuleList([nn.Linear(in_channels, style_dims)])
        self.act = nn.ELU()

    def forward(self, x, gamma, beta, keys, values):
        x = self.act(self.adains[0](self.linears[0](x), gamma, beta))
        return self.act(self.atns[0](x, keys, values))


class PhasePredictor(nn.Module):
    """``MoeStylePhasePredictor`` (TransitionPhaseNet.py:104-142; not a mixture despite the name).
    [h | last phase 2P | h_target] -> rnn ELU -> 512 -> AdaIN, ELU, ATN -> ELU -> 512 ELU -> out, split
    into phase (P, 2), A (P, 1), F (P, 1), hip velocity 3, hip 6D delta 6, manifold latent Z."""

    def __init__(self, cfg: RSMTConfig):
        super().__init__()
        r, s, p = cfg.rnn_size, cfg.style_dim, cfg.phase_dim
        self.linears = nn.ModuleList([nn.Linear(r + 2 * p + 2 * cfg.state_out, r), nn.Linear(r, s), nn.Linear(s, s)])
        self.adains = nn.ModuleList([AdaInNorm(s, s)])
        self.atns = nn.ModuleList([ATNBlock(s, s)])
        self.act = nn.ModuleList([nn.ELU(), nn.ELU(), nn.ELU()])
        self.mlp = nn.Linear(s, cfg.predictor_out)
        self.phase_dims = p

    def forward(self, h, last_phase, h_target, gamma, beta, keys, values):
        p = self.phase_dims
        x = self.act[0](self.linears[0](torch.cat((h, last_phase.flatten(-2, -1), h_target), dim=-1)))
        x = self.linears[1](x)
        x = self.atns[0](self.act[0](self.adains[0](x, gamma, beta)), keys, values)
        x = self.act[1](x)
        out = self.mlp(self.act[2](self.linears[2](x)))
        phase = out[:, : 2 * p].reshape(-1, p, 2)
        amp = out[:, 2 * p: 3 * p].unsqueeze(-1)
        freq = out[:, 3 * p: 4 * p].unsqueeze(-1)
        hip_vel, hip_rot_delta = out[:, 4 * p: 4 * p + 3], out[:, 4 * p + 3: 4 * p + 9]
        return phase, amp, freq, hip_vel, hip_rot_delta, out[:, 4 * p + 9:]


class PredictInitialState(nn.Module):
    """Optional ``--predict_phase`` head (TransitionPhaseNet.py:143-183): convs over the warm-up LSTM
    inputs -> initial phase, so a transition can start without the PAE phase of the last context frame."""

    def __init__(self, cfg: RSMTConfig):
        super().__init__()
        c, p = cfg.lstm_input, cfg.phase_dim
        layers: list[nn.Module] = []
        for i, k in enumerate(cfg.init_state_kernels):
            layers += [nn.Conv1d(c, c, k), nn.ReLU()]
            if i < len(cfg.init_state_kernels) - 1:
                layers.append(nn.Dropout(0.5))
        self.conv_layer = nn.Sequential(*layers)
        self.mlp = nn.Linear(c, 3 * p)
        self.phase_dims = p

    def forward(self, latents: torch.Tensor):
        """latents (N, past-2, lstm_input) -> (phase (N,P,2), A (N,P,1), S (N,P,1))."""
        p = self.phase_dims
        out = self.mlp(self.conv_layer(latents.transpose(1, 2)).squeeze(-1))
        amp = out[:, :p].unsqueeze(-1)
        v = out[:, p: 3 * p].reshape(-1, p, 2)
        v = v / torch.sqrt(v[..., 0] ** 2 + v[..., 1] ** 2 + 1e-6).unsqueeze(-1)
        shift = (torch.atan2(v[..., 1], v[..., 0]) / (2 * math.pi)).unsqueeze(-1)
        phase = torch.cat([amp * torch.cos(2 * math.pi * shift), amp * torch.sin(2 * math.pi * shift)], dim=-1)
        return phase, amp, shift


class FilmGenerator(nn.Module):
    """``IAN_FilmGenerator2`` (StyleVAENet.py:70-91): valid-padded Conv1d stack with ReLU over the style
    clip features (N, 12*(J-1), T) -> style tokens (N, T - sum(k-1), 512)."""

    def __init__(self, in_channels: int, width: int, kernels: tuple[int, ...]):
        super().__init__()
        k0, k1, k2, k3 = kernels
        self.conv_pre = nn.Conv1d(in_channels, width, k0)
        self.conv_pre2 = nn.Conv1d(width, width, k1)
        self.conv0 = nn.Conv1d(width, width, k2)
        self.conv1 = nn.Conv1d(width, width, k3)
        self.act = nn.ReLU()

    def forward(self, x):
        for conv in (self.conv_pre, self.conv_pre2, self.conv0, self.conv1):
            x = self.act(conv(x))
        return x.transpose(1, 2)


def sinusoid_table(rows: int, dims: int, basis: float = 10000.0) -> torch.Tensor:
    """Time-to-arrival encoding table (PosEncoding, TransitionNet.py:8-22), built on CPU:
    row t: [sin(t / basis^(i/dims)), cos(t / basis^(i/dims))] interleaved for even i."""
    idx = torch.arange(0, dims, 2, dtype=torch.float32)
    div = torch.pow(torch.tensor(basis), idx / dims)
    table = torch.zeros(rows, dims)
    for t in range(rows):
        table[t, 0::2] = torch.sin(t / div)
        table[t, 1::2] = torch.cos(t / div)
    return table


class PosEncoding(nn.Module):
    def __init__(self, rows: int, dims: int):
        super().__init__()
        self.register_buffer("ttaEncoding", sinusoid_table(rows, dims))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return self.ttaEncoding[t]


class StyleCode(NamedTuple):
    """Everything derived from one style clip; the official code caches these inside the modules."""

    emb_gamma: torch.Tensor  # (N, 512)
    emb_beta: torch.Tensor
    emb_keys: torch.Tensor  # (N, T', 512)
    emb_values: torch.Tensor
    pred_gamma: torch.Tensor
    pred_beta: torch.Tensor
    pred_keys: torch.Tensor
    pred_values: torch.Tensor


class TargetCode(NamedTuple):
    pos: torch.Tensor  # (N, n_pos, 3) target positions of the pos_rep joints
    rot: torch.Tensor  # (N, J, 6)
    latent: torch.Tensor  # (N, state_out) target encoder output


class FrameState(NamedTuple):
    pos: torch.Tensor  # (N, n_pos, 3)
    vel: torch.Tensor  # (N, n_pos, 3)
    rot: torch.Tensor  # (N, J, 6)
    phase: torch.Tensor  # (N, P, 2)


def next_phase(last_phase, amp, freq, dt: float):
    """Rotate the unit last phase by 2 pi F dt and scale by A (PhaseModule.py:42-65)."""
    theta = 2 * math.pi * freq * dt  # (N, P, 1)
    cos, sin = torch.cos(theta), torch.sin(theta)
    unit = last_phase / torch.clamp_min(torch.linalg.vector_norm(last_phase, dim=-1, keepdim=True), _EPS32)
    x, y = unit[..., 0:1], unit[..., 1:2]
    return amp * torch.cat([x * cos - y * sin, x * sin + y * cos], dim=-1)  # row vector times [[c, s], [-s, c]]


def _safe_norm(p):
    n = torch.linalg.vector_norm(p, dim=-1, keepdim=True)
    return torch.where(n.abs() < _EPS32, torch.full_like(n, _EPS32), n)


def slerp_half(p0, p1):
    """Halfway blend of two phase vectors: mean direction, mean amplitude (PhaseModule.py:67-80)."""
    a0, a1 = _safe_norm(p0), _safe_norm(p1)
    mid = 0.5 * (p0 / a0 + p1 / a1)
    return 0.5 * (a0 + a1) * (mid / _safe_norm(mid))


class TransitionSampler(nn.Module):
    def __init__(self, cfg: RSMTConfig):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        j, so = cfg.num_joints, cfg.state_out
        self.register_buffer("pos_idx", torch.tensor(cfg.pos_rep_idx), persistent=False)
        # Style-clip normalisation statistics (TransitionPhaseNet.py:197-207). Shapes: see rsmt_keys.md.
        self.register_buffer("vel_mean", torch.zeros(j, 3))
        self.register_buffer("pos_mean", torch.zeros(j, 3))
        self.register_buffer("vel_std", torch.ones(1))
        self.register_buffer("rot_mean", torch.zeros(j, 6))
        self.register_buffer("rot_std", torch.ones(1))
        self.register_buffer("pos_std", torch.ones(1))
        self.state_encoder = StateEncoder(cfg.state_size, cfg.state_hidden, so)
        self.offset_encoder = StateEncoder(cfg.offset_size, cfg.state_hidden, so)
        self.target_encoder = StateEncoder(cfg.state_size, cfg.state_hidden, so)
        self.embedding_style = StyleEmbedding(so, cfg.style_dim)
        self.LSTMCell = nn.LSTMCell(cfg.lstm_input, cfg.rnn_size)
        self.initial_state_predictor = PredictInitialState(cfg)
        self.phase_predictor = PhasePredictor(cfg)
        self.film_generator = FilmGenerator(cfg.style_channels, cfg.style_dim, cfg.film_kernels)
        self.decoder = MoEGateDecoder(cfg)  # the manifold's decoder, frozen during sampler training
        self.embedding = PosEncoding(cfg.max_tta + 1, so)
        self.embedding512 = PosEncoding(cfg.max_tta + 1, cfg.style_dim)

    # ---- once per style clip / per transition ------------------------------------------------
    def style_input(self, pos, vel, rot):
        """Film-generator input (N, 12*(J-1), T) from a style clip in per-frame facing space
        (N, T, J, 3/3/6): z-scored with the stored statistics, root dropped, channel c*(J-1) + (j-1)
        for feature c in [pos xyz, vel xyz, 6D] (TransitionPhaseNet.py:536-569)."""
        pos = (pos - self.pos_mean) / self.pos_std
        vel = (vel - self.vel_mean) / self.vel_std
        rot = (rot - self.rot_mean) / self.rot_std
        data = torch.cat((pos, vel, rot), dim=-1)[:, :, 1:]  # (N, T, J-1, 12)
        return data.permute(0, 3, 2, 1).flatten(1, 2)

    def encode_style(self, features: torch.Tensor) -> StyleCode:
        tokens = self.film_generator(features)
        emb, pred = self.embedding_style, self.phase_predictor
        return StyleCode(*emb.adains[0].style_params(tokens), *emb.atns[0].style_params(tokens),
                         *pred.adains[0].style_params(tokens), *pred.atns[0].style_params(tokens))

    def encode_target(self, target_pos, target_prev_pos, target_rot) -> TargetCode:
        """target_pos, target_prev_pos (N, n_pos, 3) (the frame before gives the velocity), target_rot (N, J, 6)."""
        vel = target_pos - target_prev_pos
        x = torch.cat(((target_pos - target_pos[:, 0:1]).flatten(1), vel.flatten(1), target_rot.flatten(1)), -1)
        return TargetCode(target_pos, target_rot, self.target_encoder(x))

    # ---- per frame ---------------------------------------------------------------------------
    def lstm_input(self, pos, vel, rot, target: TargetCode, style: StyleCode, tta, noise):
        """The recurrent input [h_state | h_target] and h_target (TransitionNet.py:53-68 ``concat``).
        tta (N,) integer frames to the target; noise (N, 2*state_out)."""
        state = self.state_encoder(torch.cat(((pos - pos[:, 0:1]).flatten(1), vel.flatten(1), rot.flatten(1)), -1))
        offset = self.offset_encoder(torch.cat(((target.pos - pos).flatten(1), (target.rot - rot).flatten(1)), -1))
        state = self.embedding_style(state, style.emb_gamma, style.emb_beta, style.emb_keys, style.emb_values)
        tta = tta.long()
        t = torch.clamp(tta, max=self.cfg.max_tta)
        pe = self.embedding(t)
        noise_weight = torch.clamp((tta.float() - 5.0) / 25.0, 0.0, 1.0).unsqueeze(-1)
        h_target = torch.cat((offset + pe, target.latent + pe), dim=-1) + noise_weight * noise
        return torch.cat((state + self.embedding512(t), h_target), dim=-1), h_target

    def context_step(self, pos, vel, rot, h, c, target: TargetCode, style: StyleCode, tta, noise):
        """Warm-up on a ground-truth context frame: only the recurrent state advances."""
        x, _ = self.lstm_input(pos, vel, rot, target, style, tta, noise)
        return self.LSTMCell(x, (h, c))

    def warm_up(self, pos, vel, rot, target: TargetCode, style: StyleCode, tta, noise):
        """``context_step`` over W context frames from zero h and c: pos, vel (N, W, n_pos, 3), rot (N, W, J, 6),
        tta (N, W) -> (h, c, the LSTM inputs (N, W, lstm_input)). A frame's LSTM input does not depend on the
        recurrent state, so the W frames' inputs are computed as one batch of N * W rows; only the cell runs
        frame after frame."""
        n, w = pos.shape[:2]

        def frames(t):  # (N, W, ...) -> (N * W, ...)
            return t.reshape(n * w, *t.shape[2:])

        def each_frame(t):  # a per-transition (N, ...) tensor for each of its W frames
            return frames(t.unsqueeze(1).expand(n, w, *t.shape[1:]))

        target_f = TargetCode(*(each_frame(t) for t in target))
        style_f = StyleCode(*(None if t is None else each_frame(t) for t in style))
        x, _ = self.lstm_input(frames(pos), frames(vel), frames(rot), target_f, style_f, frames(tta),
                               each_frame(noise))
        x = x.reshape(n, w, -1)
        h = x.new_zeros(n, self.cfg.rnn_size)
        c = x.new_zeros(n, self.cfg.rnn_size)
        for t in range(w):
            h, c = self.LSTMCell(x[:, t], (h, c))
        return h, c, x

    def step(self, state: FrameState, h, c, target: TargetCode, style: StyleCode, tta, noise):
        """One generated frame -> (next FrameState, h, c, (predicted phase, A, F)) (TransitionPhaseNet.py:380-424)."""
        pos, vel, rot, last_phase = state
        x, h_target = self.lstm_input(pos, vel, rot, target, style, tta, noise)
        h, c = self.LSTMCell(x, (h, c))
        pred_phase, amp, freq, hip_vel, hip_rot_delta, latent = self.phase_predictor(
            h, last_phase, h_target, style.pred_gamma, style.pred_beta, style.pred_keys, style.pred_values)
        hip_rot = hip_rot_delta + rot[:, 0]
        cond = torch.cat(((pos - pos[:, 0:1]).flatten(1), vel.flatten(1), hip_vel, rot.flatten(1), hip_rot), -1)
        phase = slerp_half(next_phase(last_phase, amp, freq, self.cfg.dt), pred_phase)
        out, _ = self.decoder(latent, cond, phase)
        n, n_pos = pos.shape[0], pos.shape[1]
        d_pos = out[:, : n_pos * 3].view(n, n_pos, 3)
        d_rot = out[:, n_pos * 3:].view(n, -1, 6)
        new_vel = torch.cat((hip_vel[:, None], d_pos[:, 1:]), dim=1)
        new_rot = torch.cat((hip_rot[:, None], (d_rot + rot)[:, 1:]), dim=1)
        return FrameState(pos + new_vel, new_vel, new_rot, phase), h, c, (pred_phase, amp, freq)

    # ---- whole transition --------------------------------------------------------------------
    def rollout(self, context_pos, context_rot, context_phase, target_pos, target_rot, style: StyleCode,
                length: int, noise: torch.Tensor | None = None, generator: torch.Generator | None = None):
        """The autoregressive transition of ``shift_running`` (TransitionPhaseNet.py:275-431).

        context_pos (N, C, J, 3), context_rot (N, C, J, 6): C >= 3 ground-truth frames (10 in the paper);
        context_phase (N, C, P, 2) (only the last frame's is used) or None to predict it from the warm-up
        with ``initial_state_predictor`` (the official ``--predict_phase``; needs C = past_frames);
        target_pos (N, 2, J, 3): the frame before the target and the target; target_rot (N, J, 6).
        Frame 0 only gives frame 1 its velocity; frames 1..C-2 warm up the LSTM; frame C-1 is the state
        the first generated frame follows.
        noise (N, 2*state_out): None draws N(0, 0.5^2) from `generator` (the paper's benchmark passes 0).
        Returns dict of pos (N, L, n_pos, 3), rot (N, L, J, 6), phase (N, L, P, 2) (the slerped phase
        fed to the decoder), pred_phase, A, F. The last generated frame stands at the target.
        """
        n, ctx = context_pos.shape[:2]
        if ctx < 3:
            raise ValueError(f"rollout needs at least 3 context frames, got {ctx}")
        if length < 1:
            raise ValueError(f"transition length must be at least 1, got {length}")
        idx = self.pos_idx
        cpos = context_pos[:, :, idx]
        tpos = target_pos[:, :, idx]
        if noise is None:
            noise = 0.5 * torch.randn(n, 2 * self.cfg.state_out, generator=generator, device=cpos.device)
        target = self.encode_target(tpos[:, 1], tpos[:, 0], target_rot)
        # warm-up frames 1 .. ctx - 2 at tta length + ctx - 2 down to length + 1
        tta = length + ctx - 1 - torch.arange(1, ctx - 1, device=cpos.device).expand(n, ctx - 2)
        h, c, warmup = self.warm_up(cpos[:, 1:-1], cpos[:, 1:-1] - cpos[:, :-2], context_rot[:, 1:-1], target, style,
                                    tta, noise)
        tta = tta[:, -1]
        if context_phase is None:
            if ctx != self.cfg.past_frames:
                raise ValueError(f"predicting the initial phase needs {self.cfg.past_frames} context frames, "
                                 f"got {ctx}")
            last_phase = self.initial_state_predictor(warmup)[0]
        else:
            last_phase = context_phase[:, -1]
        state = FrameState(cpos[:, -1], cpos[:, -1] - cpos[:, -2], context_rot[:, -1], last_phase)
        outs: dict[str, list] = {k: [] for k in ("pos", "rot", "phase", "pred_phase", "A", "F")}
        for _ in range(length):
            tta = tta - 1
            state, h, c, (pred_phase, amp, freq) = self.step(state, h, c, target, style, tta, noise)
            for k, v in zip(outs, (state.pos, state.rot, state.phase, pred_phase, amp, freq)):
                outs[k].append(v)
        return {k: torch.stack(v, dim=1) for k, v in outs.items()}


# ---- flat-tensor entry points (the torch backend's Runner kinds; the MAX graphs mirror these) -------
STYLE_FIELDS = StyleCode._fields


class SamplerStyleGraph(nn.Module):
    """features (N, 12*(J-1), style_frames-1) -> the eight StyleCode tensors (kind "rsmt_sampler_style")."""

    def __init__(self, sampler: TransitionSampler):
        super().__init__()
        self.sampler = sampler

    def forward(self, features):
        return tuple(self.sampler.encode_style(features))


class SamplerTargetGraph(nn.Module):
    """target_pos, target_prev_pos (N, n_pos, 3), target_rot (N, J, 6) -> target_latent (kind "rsmt_sampler_target")."""

    def __init__(self, sampler: TransitionSampler):
        super().__init__()
        self.sampler = sampler

    def forward(self, target_pos, target_prev_pos, target_rot):
        return self.sampler.encode_target(target_pos, target_prev_pos, target_rot).latent


class SamplerWarmupGraph(nn.Module):
    """The LSTM state after the warm-up on the context frames, from zero h and c (kind "rsmt_warmup"):
    (pos, vel, rot of each warm-up frame, target_pos, target_rot, target_latent, the style embedding's gamma, beta,
    keys and values, tta of each frame, noise) -> (h, c). TransitionSampler.warm_up."""

    def __init__(self, sampler: TransitionSampler):
        super().__init__()
        self.sampler = sampler

    def forward(self, pos, vel, rot, target_pos, target_rot, target_latent, emb_gamma, emb_beta, emb_keys,
                emb_values, tta, noise):
        style = StyleCode(emb_gamma, emb_beta, emb_keys, emb_values, None, None, None, None)
        h, c, _ = self.sampler.warm_up(pos, vel, rot, TargetCode(target_pos, target_rot, target_latent), style, tta,
                                       noise)
        return h, c

    def input_shapes(self) -> dict[str, tuple[int, ...]]:
        return warmup_input_shapes(self.sampler.cfg)


class SamplerStepGraph(nn.Module):
    """One generated frame with every input explicit (kind "rsmt_sampler_step"):
    (pos, vel, rot, phase, h, c, target_pos, target_rot, target_latent, *StyleCode, tta, noise)
    -> (pos, vel, rot, phase, h, c, pred_phase, A, F)."""

    def __init__(self, sampler: TransitionSampler):
        super().__init__()
        self.sampler = sampler

    def forward(self, pos, vel, rot, phase, h, c, target_pos, target_rot, target_latent, emb_gamma, emb_beta,
                emb_keys, emb_values, pred_gamma, pred_beta, pred_keys, pred_values, tta, noise):
        # every input a named argument: torch.export (the ONNX exporter) matches dynamic shapes by name
        style = StyleCode(emb_gamma, emb_beta, emb_keys, emb_values, pred_gamma, pred_beta, pred_keys, pred_values)
        state, h, c, extras = self.sampler.step(FrameState(pos, vel, rot, phase), h, c,
                                                TargetCode(target_pos, target_rot, target_latent), style, tta, noise)
        return (*state, h, c, *extras)

    def input_shapes(self) -> dict[str, tuple[int, ...]]:
        return step_input_shapes(self.sampler.cfg)
