"""The whole autoregressive RSMT transition in ONE MAX graph (kind "rsmt_rollout"): the sampler step of
inference/backends/max/graphs/sampler.py inside ``ops.while_loop``, so a transition is one ``execute`` call instead
of one call per frame (MAX's per-call overhead is 20-30 us, and the loop stays in compiled code).

Inputs (every one with a leading batch axis):
  pos, vel (n_pos, 3), rot (J, 6), phase (P, 2)   the state the first generated frame follows
  h, c (rnn)                                        the LSTM state after the warm-up on the context frames
  target_pos (n_pos, 3), target_rot (J, 6), target_latent (state_out)   the target code
  the eight StyleCode tensors (emb_/pred_ gamma, beta, keys, values)
  tta (L,)            time-to-arrival of each step (the torch rollout uses length-1-k ... for step k = 0..)
  noise (L, 2*state_out)   the target noise of each step (the torch rollout repeats one draw)
  length ()           frames to generate; the loop runs max(length over the batch) steps, at most L
Outputs, per frame: pos, vel (L, n_pos, 3), rot (L, J, 6), phase, pred_phase (L, P, 2), A, F (L, P, 1);
then the final h, c (rnn).

L = ``frames(cfg)`` = cfg.max_transition (40 in both presets, the longest transition RSMT trains on) is
fixed per compiled graph: row k holds generated frame k; rows >= length stay zero. In a batch whose
samples have different lengths, a sample keeps stepping until the longest is done; its rows past its
own length are to be ignored by the caller. The warm-up on the context frames (``context_step``) is not
in this graph: h and c come in.
"""
from __future__ import annotations

import numpy as np
from max.dtype import DType
from max.graph import ops

from inference.backends.max.graphs.common import GraphSpec, device_name, device_ref, ops_scope
from inference.backends.max.graphs.manifold import (Params, config, declared_weights, finish, input_type,  # noqa: F401
                                          make_registry, presets, structure)
from inference.backends.max.graphs import sampler
from inference.networks.rsmt_config import RSMTConfig, ROLLOUT_PER_FRAME, rollout_input_shapes, rollout_output_shapes
from inference.weights import WeightSet

KINDS = ("rsmt_rollout",)
STATE = ("pos", "vel", "rot", "phase", "h", "c")
OUTPUTS = ROLLOUT_PER_FRAME + ("h", "c")


def frames(cfg: RSMTConfig) -> int:
    return cfg.max_transition



def build(kind: str, structure: dict, ops_impl: str = "composed") -> GraphSpec:
    if kind not in KINDS:
        raise ValueError(f"{kind} is not built by inference.backends.max.graphs.rollout")
    if device_name() != "cpu":  # MAX keeps ops.while_loop's predicate on the CPU
        raise ValueError(f"{kind} runs on the CPU only (its loop counter must live on the CPU); "
                         "on a GPU, a transition runs the sampler step by step")
    cfg = config(structure)
    n = frames(cfg)
    names = rollout_input_shapes(cfg)
    out_shapes = rollout_output_shapes(cfg)
    with ops_scope(kind, [input_type(*shape) for shape in names.values()], ops_impl) as graph:
        p = Params(graph)
        # every weight is declared here, before the loop, and captured by its body
        for name, shape in declared_weights("rsmt_sampler_step", structure, sampler.build).items():
            p(name, shape)
        args = dict(zip(names, (v.tensor for v in graph.inputs)))
        fixed = {k: v for k, v in args.items() if k not in STATE + ("tta", "noise", "length")}
        steps = ops.cast(ops.min(ops.squeeze(ops.max(ops.floor(args["length"]), axis=0), 0), float(n)), DType.int64)
        rows = ops.constant(np.arange(n, dtype=np.int64), DType.int64, device=device_ref())
        zeros = [ops.broadcast_to(ops.constant(0.0, DType.float32, device=device_ref()),
                                  [args["pos"].shape[0], *out_shapes[k]]) for k in ROLLOUT_PER_FRAME]
        start = [ops.constant(0, DType.int64, device=device_ref()), *(args[k] for k in STATE), *zeros]

        def keep_going(i, *_):
            return i < steps

        def body(i, *carried):
            state, frames_so_far = dict(zip(STATE, carried[:len(STATE)])), carried[len(STATE):]
            here = ops.cast(ops.equal(rows, i), DType.float32)  # one-hot row i
            # row i of the schedules by masked sums: ops.gather with the loop index fails to compile on CPU
            tta = ops.squeeze(ops.sum(args["tta"] * here, axis=1), 1)
            noise = ops.squeeze(ops.sum(args["noise"] * ops.unsqueeze(here, 1), axis=1), 1)
            result = sampler.step(p, cfg, {**fixed, **state, "tta": tta, "noise": noise})
            written = []
            for k, acc in zip(ROLLOUT_PER_FRAME, frames_so_far):
                mask = ops.reshape(here, [1, n] + [1] * (len(out_shapes[k]) - 1))
                written.append(acc + mask * ops.unsqueeze(result[k], 1))
            return [i + 1, *(result[k] for k in STATE), *written]

        final = ops.while_loop(start, keep_going, body)
        state, per_frame = dict(zip(STATE, final[1:1 + len(STATE)])), final[1 + len(STATE):]
        graph.output(*per_frame, state["h"], state["c"])
    return finish(kind, structure, graph, p, names, OUTPUTS)


def registry(kind: str, weights: WeightSet, structure: dict) -> dict[str, np.ndarray]:
    return make_registry(kind, weights, structure, build)
