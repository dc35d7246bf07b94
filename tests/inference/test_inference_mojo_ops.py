"""Parity of the Mojo custom ops (inference/backends/mojo/ops.py) with numpy/torch, through one real MAX graph.

Compiling a graph costs 15-60 s, so every op sits in ONE graph with symbolic dims, compiled once per session
and executed at two sets of sizes (batch 1 and odd sizes that exercise the kernels' vector tails).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from motion import fk, rotations
from motion.skeleton import Skeleton

pytest.importorskip("max.graph")
pytestmark = pytest.mark.slow  # one graph compile: ~50 s with an empty MAX cache, ~2 s from the cache

# graph inputs: name -> (dtype, symbolic shape)
_INPUTS = {
    "atan_y": ("f32", ("n",)), "atan_x": ("f32", ("n",)), "elu_x": ("f32", ("r", "k")),
    "gate": ("f32", ("b", "e")), "moe_x": ("f32", ("b", "mi")), "moe_w": ("f32", ("e", "mo", "mi")),
    "moe_b": ("f32", ("e", "mo")),
    "lstm_x": ("f32", ("lb", "li")), "lstm_h": ("f32", ("lb", "lh")), "lstm_c": ("f32", ("lb", "lh")),
    "w_ih": ("f32", ("g4", "li")), "w_hh": ("f32", ("g4", "lh")), "b_ih": ("f32", ("g4",)), "b_hh": ("f32", ("g4",)),
    "parents": ("i64", ("j",)), "fk_rot": ("f32", ("f", "j", 4)), "fk_trans": ("f32", ("f", "j", 3)),
    "sixd": ("f32", ("s", 6)), "matrix": ("f32", ("m", 3, 3)), "sixd_wide": ("f32", ("s", 8)),
}
_OUTPUTS = ("atan2", "elu", "moe", "lstm_h", "lstm_c", "world_rot", "world_pos", "sixd_matrix", "matrix_sixd",
            "sliced_sixd_matrix")


@pytest.fixture(scope="session")
def ops_model():
    from max import engine
    from max.dtype import DType
    from max.graph import Graph, TensorType

    from inference.backends.mojo import ops as mojo_ops

    dtypes = {"f32": DType.float32, "i64": DType.int64}
    types = [TensorType(dtypes[d], shape, device=mojo_ops.CPU) for d, shape in _INPUTS.values()]
    with Graph("mojo_ops_parity", input_types=types, custom_extensions=mojo_ops.custom_extensions()) as g:
        v = dict(zip(_INPUTS, (x.tensor for x in g.inputs)))
        h, c = mojo_ops.lstm_cell(v["lstm_x"], v["lstm_h"], v["lstm_c"], v["w_ih"], v["w_hh"], v["b_ih"], v["b_hh"])
        world_rot, world_pos = mojo_ops.forward_kinematics(v["parents"], v["fk_rot"], v["fk_trans"])
        g.output(mojo_ops.atan2(v["atan_y"], v["atan_x"]), mojo_ops.elu(v["elu_x"]),
                 mojo_ops.moe_blend(v["gate"], v["moe_x"], v["moe_w"], v["moe_b"]), h, c, world_rot, world_pos,
                 mojo_ops.sixd_to_matrix(v["sixd"]), mojo_ops.matrix_to_sixd(v["matrix"]),
                 mojo_ops.sixd_to_matrix(v["sixd_wide"][:, 1:7]))  # a strided view as a kernel input
    session = engine.InferenceSession()
    model = session.load(g)

    def run(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        results = model.execute(*(inputs[name] for name in _INPUTS))
        return dict(zip(_OUTPUTS, (r.to_numpy() for r in results)))

    return run


def _random_skeleton(rng, joints: int) -> Skeleton:
    parents = [-1] + [int(rng.integers(0, j)) for j in range(1, joints)]
    return Skeleton([f"j{i}" for i in range(joints)], parents, rng.normal(size=(joints, 3)), [()] * joints)


def _case(seed: int, batch: int, experts: int, moe_in: int, moe_out: int, lstm_in: int, hidden: int,
          frames: int, joints: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    f32 = lambda *shape, scale=1.0: (rng.normal(size=shape) * scale).astype(np.float32)  # noqa: E731
    quats = f32(frames, joints, 4)
    skeleton = _random_skeleton(rng, joints)
    atan_y, atan_x = f32(37), f32(37)
    atan_y[:4], atan_x[:4] = [0, 0, 1, -1], [0, -1, 0, 0]  # the axes and the origin
    return {
        "atan_y": atan_y, "atan_x": atan_x, "elu_x": f32(batch, 29, scale=3.0),
        "gate": f32(batch, experts, scale=2.0), "moe_x": f32(batch, moe_in), "moe_w": f32(experts, moe_out, moe_in, scale=0.2),
        "moe_b": f32(experts, moe_out),
        "lstm_x": f32(batch, lstm_in), "lstm_h": f32(batch, hidden), "lstm_c": f32(batch, hidden),
        "w_ih": f32(4 * hidden, lstm_in, scale=0.3), "w_hh": f32(4 * hidden, hidden, scale=0.3),
        "b_ih": f32(4 * hidden), "b_hh": f32(4 * hidden),
        "parents": skeleton.parents.astype(np.int64),
        "fk_rot": quats / np.linalg.norm(quats, axis=-1, keepdims=True), "fk_trans": f32(frames, joints, 3, scale=10.0),
        "sixd": f32(11, 6), "sixd_wide": f32(11, 8), "matrix": rotations.quat_to_matrix(rotations.quat_normalize(f32(5, 4))),
    }


CASES = {  # batch 1 at the RSMT sizes' shape (8 experts), and odd sizes for the kernels' scalar tails
    "batch1": dict(seed=0, batch=1, experts=8, moe_in=544, moe_out=512, lstm_in=64, hidden=32, frames=1, joints=23),
    "odd": dict(seed=1, batch=3, experts=5, moe_in=37, moe_out=13, lstm_in=19, hidden=7, frames=40, joints=9),
}


@pytest.fixture(scope="session", params=list(CASES))
def case(request, ops_model):
    inputs = _case(**CASES[request.param])
    return inputs, ops_model(inputs)


def test_atan2_matches_numpy_including_axes_and_origin(case):
    inputs, out = case
    expected = np.arctan2(inputs["atan_y"], inputs["atan_x"])
    np.testing.assert_allclose(out["atan2"], expected, rtol=0, atol=1e-6)
    assert out["atan2"][0] == 0.0 and out["atan2"][1] == pytest.approx(np.pi)


def test_elu_matches_torch(case):
    inputs, out = case
    expected = torch.nn.functional.elu(torch.from_numpy(inputs["elu_x"])).numpy()
    np.testing.assert_allclose(out["elu"], expected, rtol=0, atol=1e-6)


def test_moe_blend_matches_softmax_weighted_experts(case):
    inputs, out = case
    x = inputs["moe_x"].astype(np.float64)
    alpha = torch.softmax(torch.from_numpy(inputs["gate"]).double(), dim=-1).numpy()
    per_expert = np.einsum("eoi,bi->beo", inputs["moe_w"], x) + inputs["moe_b"]  # (B, E, Out)
    expected = np.einsum("be,beo->bo", alpha, per_expert)
    assert out["moe"].shape == expected.shape
    np.testing.assert_allclose(out["moe"], expected, rtol=0, atol=2e-5 * max(1.0, np.abs(expected).max()))


def test_lstm_cell_matches_torch_lstmcell(case):
    inputs, out = case
    hidden, n_in = inputs["lstm_h"].shape[1], inputs["lstm_x"].shape[1]
    cell = torch.nn.LSTMCell(n_in, hidden)
    with torch.no_grad():
        for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
            getattr(cell, f"weight_{name[2:]}" if name.startswith("w") else f"bias_{name[2:]}").copy_(
                torch.from_numpy(inputs[name]))
        h, c = cell(torch.from_numpy(inputs["lstm_x"]), (torch.from_numpy(inputs["lstm_h"]),
                                                         torch.from_numpy(inputs["lstm_c"])))
    np.testing.assert_allclose(out["lstm_h"], h.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(out["lstm_c"], c.numpy(), rtol=0, atol=1e-5)


def test_forward_kinematics_matches_motion_fk(case):
    inputs, out = case
    joints = inputs["parents"].shape[0]
    skeleton = Skeleton([f"j{i}" for i in range(joints)], inputs["parents"], np.zeros((joints, 3)), [()] * joints)
    world_rot, world_pos = fk.global_transforms(skeleton, inputs["fk_rot"], inputs["fk_trans"])
    np.testing.assert_allclose(out["world_rot"], world_rot, rtol=0, atol=1e-6)
    np.testing.assert_allclose(out["world_pos"], world_pos, rtol=0, atol=1e-5 * np.abs(world_pos).max())


def test_sixd_conversions_match_motion_rotations(case):
    inputs, out = case
    np.testing.assert_allclose(out["sixd_matrix"], rotations.sixd_to_matrix(inputs["sixd"]), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(out["matrix_sixd"], rotations.matrix_to_6d(inputs["matrix"]))


def test_kernels_get_sliced_inputs_as_contiguous_rows(case):
    inputs, out = case
    expected = rotations.sixd_to_matrix(inputs["sixd_wide"][:, 1:7])
    np.testing.assert_allclose(out["sliced_sixd_matrix"], expected, rtol=0, atol=1e-6)


def test_kernels_reject_inconsistent_shapes_and_parents(ops_model):
    inputs = _case(**CASES["odd"])
    bad_parents = dict(inputs, parents=inputs["parents"].copy())
    bad_parents["parents"][3] = 5  # a joint whose parent comes after it
    with pytest.raises(Exception, match="parents must precede"):
        ops_model(bad_parents)
    # gate rows are a symbolic dim of their own, so only the kernel can see they are not 4 * hidden
    wrong_rows = {name: np.concatenate([inputs[name], inputs[name][:4]]) for name in ("w_ih", "w_hh", "b_ih", "b_hh")}
    with pytest.raises(Exception, match="motion_lstm_cell: expected"):
        ops_model(dict(inputs, **wrong_rows))
