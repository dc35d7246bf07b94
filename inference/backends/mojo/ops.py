"""Mojo custom ops for MAX graphs: ops MAX lacks (atan2), fused versions of composed ones (ELU, the
mixture-of-experts blend, the LSTM cell) and skeleton maths (forward kinematics, 6D <-> matrix).

The kernels live in ``mojo/kernels/`` (registered with ``extensibility.register``) and are compiled into
``build/mojo/kernels.mojoc`` by scripts/setup.sh (inference/backends/mojo/build.py). A graph that uses them must be
created with ``Graph(..., custom_extensions=custom_extensions())``; a compiled MEF then carries the kernels
and loads without the package.

Every helper takes and returns ``max.graph.TensorValue``s (float32, on the CPU, contiguous row-major), and
works with symbolic dims: the kernels read the sizes at run time.
"""
from __future__ import annotations

import os
from pathlib import Path

os.environ["MODULAR_TELEMETRY_ENABLED"] = "0"  # before max is imported (see shared/research/max.md, gotchas)

from max.dtype import DType  # noqa: E402
from max.graph import DeviceRef, TensorType, TensorValue, ops  # noqa: E402

from inference.backends.mojo.build import kernels_package  # noqa: E402

CPU = DeviceRef.CPU()


def custom_extensions() -> list[Path]:
    """What to pass as ``Graph(custom_extensions=...)`` (builds the package first if it is stale)."""
    return [kernels_package()]


def _f32(shape) -> TensorType:
    return TensorType(DType.float32, shape, device=CPU)


def _call(name: str, values: list[TensorValue], out_types: list[TensorType]) -> list[TensorValue]:
    return [r.tensor for r in ops.custom(name, CPU, values, out_types=out_types)]


def atan2(y: TensorValue, x: TensorValue) -> TensorValue:
    """Elementwise atan2(y, x) (same shapes), as torch.atan2: in (-pi, pi], 0 at (0, 0)."""
    return _call("motion_atan2", [y, x], [y.type])[0]


def elu(x: TensorValue) -> TensorValue:
    """ELU with alpha 1 (torch.nn.ELU()), one pass instead of the composed where/exp/sub."""
    return _call("motion_elu", [x], [x.type])[0]


def moe_blend(gate_logits: TensorValue, x: TensorValue, weight: TensorValue, bias: TensorValue) -> TensorValue:
    """sum_e softmax(gate_logits)_e (W_e x + b_e) in one kernel.

    gate_logits (B, E), x (B, In), weight (E, Out, In) -- the torch layout of
    inference.networks.stylevae.MultipleExpertsLinear.weight, fed zero-copy -- and bias (E, Out) -> (B, Out).
    """
    return _call("motion_moe_blend", [gate_logits, x, weight, bias], [_f32([x.shape[0], weight.shape[1]])])[0]


def lstm_cell(x: TensorValue, h: TensorValue, c: TensorValue, w_ih: TensorValue, w_hh: TensorValue,
              b_ih: TensorValue, b_hh: TensorValue) -> tuple[TensorValue, TensorValue]:
    """One torch.nn.LSTMCell step (gate order i, f, g, o) -> (h', c'), gates GEMV and state update fused.

    x (B, In), h and c (B, H), w_ih (4H, In), w_hh (4H, H), b_ih and b_hh (4H,): torch's tensors as they are.
    """
    h_new, c_new = _call("motion_lstm_cell", [x, h, c, w_ih, w_hh, b_ih + b_hh], [h.type, c.type])
    return h_new, c_new


def forward_kinematics(parents: TensorValue, rotations: TensorValue, translations: TensorValue
                       ) -> tuple[TensorValue, TensorValue]:
    """(parents (J,) int64, local quats (F, J, 4), local translations (F, J, 3)) -> (world quats (F, J, 4),
    world positions (F, J, 3)), as motion.fk.global_transforms. parents[j] < j, -1 for the root."""
    world_rot, world_pos = _call("motion_fk", [parents, rotations, translations],
                                 [rotations.type, translations.type])
    return world_rot, world_pos


def sixd_to_matrix(sixd: TensorValue) -> TensorValue:
    """(N, 6) 6D rotations (first two matrix rows, any scale) -> (N, 3, 3) by Gram-Schmidt, as
    motion.rotations.sixd_to_matrix."""
    return _call("motion_sixd_to_matrix", [sixd], [_f32([sixd.shape[0], 3, 3])])[0]


def matrix_to_sixd(matrix: TensorValue) -> TensorValue:
    """(N, 3, 3) rotation matrices -> (N, 6): their first two rows."""
    return _call("motion_matrix_to_sixd", [matrix], [_f32([matrix.shape[0], 6])])[0]
