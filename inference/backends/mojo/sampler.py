"""The RSMT sampler's warm-up, step and whole rollout on the fused Mojo kernel (mojo/kernels/sampler.mojo), for
the max-mojo backend: kinds "rsmt_warmup", "rsmt_sampler_step" and "rsmt_rollout", with the same input and output
names and shapes as the torch runners (`inference.networks.rsmt_config.warmup_input_shapes`, `step_input_shapes`,
`rollout_input_shapes`).

At load time every dense layer of the step is packed into panels (`inference.backends.mojo.dense.pack_panels`); the
LSTM's W_ih carries both biases summed and W_hh none (the kernel adds W_hh h to W_ih x + b), and each mixture
layer's experts are stacked along the outputs. The `spec` handed to the kernel lists dims, a few scalars
and these packed arrays by address, in the order sampler.mojo reads them; this object keeps every one of
those arrays alive.
"""
from __future__ import annotations

import numpy as np

from inference.backends.mojo.addresses import address
from inference.backends.mojo.dense import default_threads, pack_panels
from inference.networks.rsmt_config import (STEP_OUTPUTS, RSMTConfig, rollout_input_shapes,
                                            rollout_output_shapes, step_input_shapes, warmup_input_shapes)
from inference.weights import WeightSet, WeightsError
from inference.backends.mojo.build import extension

SPEC_BEGIN, SPEC_END = 0x52534D54, 0x454E4421  # sampler.mojo's sentinels
KINDS = ("rsmt_warmup", "rsmt_sampler_step", "rsmt_rollout")


class MojoSampler:
    """The packed sampler of one WeightSet; `warmup(**inputs)`, `step(**inputs)` and `rollout(**inputs)` are the
    three kinds."""

    def __init__(self, weights: WeightSet):
        self._kernels = extension()
        self.cfg = cfg = _config(weights)
        self._panel = int(self._kernels.panel_width())
        self._keep: list[np.ndarray] = []
        # what one step reads and computes: the packed layers, then both attention blocks over the style tokens
        attention = 2 * 2 * cfg.style_tokens * cfg.style_dim  # (keys, values) x (style embedding, predictor)
        self.step_bytes, self.step_macs = 4 * attention, attention
        t = weights.tensors

        def plu(encoder: str) -> list[float]:
            return [float(weights.expect(f"{encoder}.acts.{i}.{k}", (1,))[0]) for i in (0, 1) for k in ("w", "c")]

        scalars = np.array(plu("state_encoder") + plu("offset_encoder") + [cfg.dt], np.float32)
        spec = [SPEC_BEGIN, cfg.n_pos, cfg.num_joints, cfg.phase_dim, cfg.latent_size, cfg.num_experts,
                cfg.rnn_size, cfg.style_dim, cfg.state_out, cfg.style_tokens, cfg.max_tta,
                self._address(scalars),
                self._address(weights.expect("embedding.ttaEncoding", (cfg.max_tta + 1, cfg.state_out))),
                self._address(weights.expect("embedding512.ttaEncoding", (cfg.max_tta + 1, cfg.style_dim)))]

        def tensor(name: str, ndim: int) -> np.ndarray:
            """A weight of `ndim` axes (its sizes are checked by the kernel, which chains the layers)."""
            w = np.asarray(t[name], np.float32) if name in t else None
            if w is None or w.ndim != ndim:
                raise WeightsError(f"{weights.path or 'weights'}: no {ndim}-D tensor {name!r}")
            return w

        def linear(name: str) -> list[int]:
            w = tensor(f"{name}.weight", 2)
            return self._dense(w, weights.expect(f"{name}.bias", (w.shape[0],)))

        def experts(name: str) -> list[int]:
            w = tensor(f"{name}.weight", 3)  # (E, Out, In)
            e, o, i = w.shape
            return self._dense(w.reshape(e * o, i), weights.expect(f"{name}.bias", (e, o)).reshape(e * o))

        w_ih, w_hh = (tensor(f"LSTMCell.weight_{k}", 2) for k in ("ih", "hh"))
        lstm_bias = weights.expect("LSTMCell.bias_ih", (w_ih.shape[0],)) + weights.expect("LSTMCell.bias_hh",
                                                                                          (w_hh.shape[0],))
        no_bias = np.zeros(w_hh.shape[0], np.float32)
        for layer in (linear("state_encoder.layers.0"), linear("state_encoder.layers.1"),
                      linear("offset_encoder.layers.0"), linear("offset_encoder.layers.1"),
                      linear("embedding_style.linears.0"), linear("embedding_style.atns.0.f"),
                      linear("embedding_style.atns.0.k"),
                      self._dense(w_ih, lstm_bias), self._dense(w_hh, no_bias),
                      linear("phase_predictor.linears.0"), linear("phase_predictor.linears.1"),
                      linear("phase_predictor.atns.0.f"), linear("phase_predictor.atns.0.k"),
                      linear("phase_predictor.linears.2"), linear("phase_predictor.mlp"),
                      linear("decoder.gate.0"), linear("decoder.gate.2"), linear("decoder.gate.4"),
                      experts("decoder.linears.0"), experts("decoder.linears.1"), experts("decoder.mlp")):
            spec += layer
        spec.append(SPEC_END)
        self._spec = np.array(spec, np.int64)
        try:
            floats = int(self._kernels.sampler_scratch_floats(address(self._spec), 1))
        except Exception as e:  # the kernel checks that the layer sizes chain as the network's
            raise WeightsError(f"{weights.path or 'weights'}: {e}") from None
        self._scratch = np.zeros(floats, np.float32)  # for one row; grown for larger batches
        self._scratch_rows = 1
        self.threads = default_threads()
        self.warmup_inputs = warmup_input_shapes(cfg)
        self.step_inputs = step_input_shapes(cfg)
        self.rollout_inputs = rollout_input_shapes(cfg)
        self._step_outputs = dict(zip(STEP_OUTPUTS, (self.step_inputs[k] for k in STEP_OUTPUTS[:6])))
        self._step_outputs |= {"pred_phase": (cfg.phase_dim, 2), "A": (cfg.phase_dim, 1), "F": (cfg.phase_dim, 1)}
        self._rollout_outputs = rollout_output_shapes(cfg)
        self._warmup_outputs = {"h": (cfg.rnn_size,), "c": (cfg.rnn_size,)}

    def _address(self, array: np.ndarray) -> int:
        a = np.ascontiguousarray(array, dtype=np.float32)
        self._keep.append(a)
        return address(a)

    def _dense(self, weight: np.ndarray, bias: np.ndarray) -> list[int]:
        panels, bias_padded = pack_panels(weight, np.asarray(bias, np.float32), self._panel)
        self.step_bytes += panels.nbytes + bias_padded.nbytes
        self.step_macs += weight.size
        return [weight.shape[1], weight.shape[0], panels.shape[0], self._address(panels), self._address(bias_padded)]

    def _call(self, fn, inputs: dict, shapes: dict, outputs: dict, what: str, *extra: int,
              scratch_per_row: int = 1) -> dict[str, np.ndarray]:
        """Check and convert the inputs, allocate zeroed outputs, call the kernel with their address table; the
        kernel uses `scratch_per_row` scratch rows per input row."""
        if set(inputs) != set(shapes):
            raise ValueError(f"{what} takes inputs {list(shapes)}, got {sorted(inputs)}")
        arrays, rows = [], None
        for name, tail in shapes.items():
            a = np.ascontiguousarray(inputs[name], dtype=np.float32)
            if a.shape[1:] != tail or (rows is not None and len(a) != rows):
                raise ValueError(f"{what}: input {name!r} has shape {a.shape}, expected (batch, {tail})")
            rows = len(a)
            arrays.append(a)
        out = {k: np.zeros((rows, *tail), np.float32) for k, tail in outputs.items()}
        table = np.array([address(a) for a in arrays + list(out.values())], np.int64)
        if rows * scratch_per_row > self._scratch_rows:
            self._scratch_rows = rows * scratch_per_row
            self._scratch = np.zeros(int(self._kernels.sampler_scratch_floats(address(self._spec),
                                                                             self._scratch_rows)), np.float32)
        fn(address(self._spec), address(self._scratch), address(table), rows, *extra, self.threads)
        return out

    def warmup(self, **inputs: np.ndarray) -> dict[str, np.ndarray]:
        frames = self.cfg.warmup_frames
        return self._call(self._kernels.sampler_warmup, inputs, self.warmup_inputs, self._warmup_outputs,
                          "rsmt_warmup", frames, scratch_per_row=frames)

    def step(self, **inputs: np.ndarray) -> dict[str, np.ndarray]:
        return self._call(self._kernels.sampler_steps, inputs, self.step_inputs, self._step_outputs,
                          "rsmt_sampler_step")

    def rollout(self, **inputs: np.ndarray) -> dict[str, np.ndarray]:
        return self._call(self._kernels.sampler_rollout, inputs, self.rollout_inputs, self._rollout_outputs,
                          "rsmt_rollout", self.cfg.max_transition)


class SamplerRunner:
    """A backend Runner for "rsmt_warmup", "rsmt_sampler_step" or "rsmt_rollout" on the Mojo kernel, at any batch
    (rows run together: each dense layer one GEMM over them; with several threads, from 2 rows on, one share of
    the rows per thread). One scratch arena per runner, grown to the largest batch seen: a runner is not to be
    called from two threads at once."""

    def __init__(self, kind: str, weights: WeightSet):
        if kind not in KINDS:
            raise ValueError(f"{kind!r} has no fused Mojo sampler (choose {', '.join(KINDS)})")
        self.sampler = MojoSampler(weights)
        what = kind.removeprefix("rsmt_").removeprefix("sampler_")  # warmup, step, rollout
        self._run = getattr(self.sampler, what)
        self.inputs = getattr(self.sampler, f"{what}_inputs")

    def __call__(self, **inputs: np.ndarray) -> dict[str, np.ndarray]:
        return self._run(**inputs)


def _config(weights: WeightSet) -> RSMTConfig:
    where = weights.path or "weights"
    if weights.config.get("network") != "rsmt_sampler" or not isinstance(weights.config.get("rsmt"), dict):
        raise WeightsError(f"{where}: not an RSMT sampler (network {weights.config.get('network')!r})")
    try:
        return RSMTConfig.from_dict(weights.config["rsmt"])
    except (TypeError, ValueError) as e:
        raise WeightsError(f"{where}: bad RSMT config ({e})") from None
