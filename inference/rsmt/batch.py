"""The sampler's rollout of N transitions in one batch: the target encoder, the warm-up on the context and
the generated frames of N transitions run as batch-N network calls (baking, evaluation sweeps), instead of
N batch-1 calls each. One transition (`TransitionGenerator.generate`) is the batch of one: this is the only
rollout through the backends' networks.

`RolloutInputs` is what `TransitionGenerator.generate` hands the rollout for one transition (canonical
context and target frames, phase, style code, noise, length). Transitions of different lengths share the
batch: every row steps until the longest is done, and each keeps its own first `length` frames (past its
end a row steps at time-to-arrival 0, and those frames are dropped).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from inference.networks.rsmt_config import warmup_input_shapes

WARMUP = "rsmt_warmup"  # the warm-up in one call, where a backend has it (inference.networks.rsmt_config)
NETWORK_OUTPUTS = ("pos", "rot", "phase", "pred_phase", "A", "F")  # kept per generated frame
STATE = ("pos", "vel", "rot", "phase", "h", "c")  # what one step hands the next


@dataclass(frozen=True)
class RolloutInputs:
    cpos: np.ndarray  # (C + 2, J, 3) canonical positions: C context frames, the frame before the target, the target
    crot: np.ndarray  # (C + 2, J, 6) their 6D rotations
    phase: np.ndarray  # (P, 2) phase of the last context frame
    style: dict[str, np.ndarray]  # the eight "rsmt_sampler_style" outputs, batch 1
    noise: np.ndarray  # (2 * state_out,)
    length: int  # generated frames


def rollout_batch(gen, backend: str, items: list[RolloutInputs], whole: bool = False,
                  step_done: Callable[[int], None] | None = None) -> list[dict[str, np.ndarray]]:
    """TransitionSampler.rollout through the runners of `gen` (a TransitionGenerator) on `backend`: the
    generated frames ({NETWORK_OUTPUTS: (length, ...)}) of every transition of `items`, in order, from
    batch-len(items) calls: the warm-up on the context in one "rsmt_warmup" call (backends that have it; else one
    "rsmt_sampler_step" call per context frame), then one "rsmt_sampler_step" call per frame, or with `whole`
    "rsmt_rollout" calls (backends that have it). step_done(steps so far) after every sampler step (warm-up steps
    first; after a warm-up call, one after another for its steps)."""
    if not items:
        return []
    step_done = step_done or (lambda steps: None)
    cfg = gen.model.cfg
    c, idx = cfg.past_frames, list(cfg.pos_rep_idx)
    n = len(items)
    lengths = np.array([it.length for it in items])
    cpos = np.stack([it.cpos for it in items])
    crot = np.stack([it.crot for it in items])
    pos, rot = cpos[:, :c, idx].astype(np.float32), crot[:, :c].astype(np.float32)
    target = {"target_pos": cpos[:, -1, idx], "target_prev_pos": cpos[:, -2, idx], "target_rot": crot[:, -1]}
    target = {k: v.astype(np.float32) for k, v in target.items()}
    latent = gen.runner(backend, "rsmt_sampler_target")(**target)["target_latent"]
    shared = {"target_pos": target["target_pos"], "target_rot": target["target_rot"], "target_latent": latent,
              **{k: np.concatenate([it.style[k] for it in items]) for k in items[0].style}}
    noise = np.stack([it.noise for it in items]).astype(np.float32)
    step = gen.runner(backend, "rsmt_sampler_step")
    phase = np.stack([it.phase for it in items]).astype(np.float32)
    # warm-up on the context frames 1 .. c - 2 (only the recurrent state carries on), at time to arrival
    # length + c - 2 down to length + 1
    tta = (lengths[:, None] + c - 1 - np.arange(1, c - 1)[None]).astype(np.float32)
    warm = {"pos": pos[:, 1:-1], "vel": pos[:, 1:-1] - pos[:, :-2], "rot": rot[:, 1:-1]}
    if gen.has_kind(backend, WARMUP):  # one call
        out = gen.runner(backend, WARMUP)(**warm, tta=tta, noise=noise,
                                          **{k: shared[k] for k in warmup_input_shapes(cfg) if k in shared})
        h, cell = out["h"], out["c"]
        for i in range(1, c - 1):  # the warm-up's steps are done
            step_done(i)
    else:  # one step call per frame, its pose outputs unused
        h = np.zeros((n, cfg.rnn_size), np.float32)
        cell = np.zeros((n, cfg.rnn_size), np.float32)
        for i in range(c - 2):
            out = step(pos=warm["pos"][:, i], vel=warm["vel"][:, i], rot=warm["rot"][:, i], phase=phase, h=h, c=cell,
                       tta=tta[:, i], noise=noise, **shared)
            h, cell = out["h"], out["c"]
            step_done(i + 1)
    tta = tta[:, -1].copy()
    state = {"pos": pos[:, -1], "vel": pos[:, -1] - pos[:, -2], "rot": rot[:, -1], "phase": phase, "h": h, "c": cell}
    longest = int(lengths.max())
    if whole:
        frames = _whole(gen, backend, state, shared, noise, lengths, lambda done: step_done(c - 2 + done))
    else:
        steps = []
        for done in range(1, longest + 1):
            tta -= 1
            out = step(**state, tta=np.maximum(tta, 0), noise=noise, **shared)
            state = {k: out[k] for k in STATE}
            steps.append({k: out[k] for k in NETWORK_OUTPUTS})
            step_done(c - 2 + done)
        frames = {k: np.stack([s[k] for s in steps], 1) for k in NETWORK_OUTPUTS}  # (N, longest, ...)
    return [{k: np.ascontiguousarray(frames[k][r, :lengths[r]], dtype=np.float32) for k in NETWORK_OUTPUTS}
            for r in range(n)]


def _whole(gen, backend, state, shared, noise, lengths, frames_done) -> dict[str, np.ndarray]:
    """The generated frames from "rsmt_rollout" calls of `max_transition` steps each, every call continuing
    from the state the previous one ended in, every row at its own time to arrival: (N, longest, ...)."""
    rows = gen.model.cfg.max_transition
    run = gen.runner(backend, "rsmt_rollout")
    per_step_noise = np.ascontiguousarray(np.broadcast_to(noise[:, None], (len(lengths), rows, noise.shape[1])))
    chunks, done, longest = [], 0, int(lengths.max())
    while done < longest:
        k = min(rows, longest - done)
        tta = np.maximum(lengths[:, None] - done - np.arange(rows)[None], 0).astype(np.float32)  # rows >= k unused
        out = run(**state, **shared, tta=tta, noise=per_step_noise, length=np.full(len(lengths), k, np.float32))
        chunks.append({name: out[name][:, :k] for name in NETWORK_OUTPUTS})
        state = {name: out[name][:, k - 1] for name in STATE[:4]} | {"h": out["h"], "c": out["c"]}
        done += k
        frames_done(done)
    return {name: np.concatenate([ch[name] for ch in chunks], 1) for name in NETWORK_OUTPUTS}
