"""The Mojo kernels against their references, in one run: forward kinematics and the DeepMimic actor step.

    python benchmarks/mojo_kernels.py [--rounds R] [--no-max] [--json]

1. Batched FK, 10,000 frames x 23 joints (random tree, unit quaternions): numpy `motion.fk.global_transforms`
   vs the Mojo Python extension (`inference.backends.mojo.fk`) vs the same kernel as a MAX custom op (`motion_fk` in a
   one-op graph; the compile is cached by MAX after the first run). Target: Mojo >= 2x numpy.
2. DeepMimic actor step at batch 1 (197 -> 1024 -> 512 -> 36 with normalisers, the "walk" policy): torch
   eager vs ONNX Runtime (the torch model exported to ONNX, CPU provider) vs the Mojo GEMV kernel
   (`inference.backends.mojo.mlp.MojoMlp`). Target: >= 2x torch and faster than ONNX Runtime.
3. RSMT sampler step at batch 1 (the default lite weights, assets/rsmt_lite): torch eager vs ONNX Runtime vs
   the MAX step graph (when compiled) vs the fused Mojo sampler (`inference.backends.mojo.sampler`), through the
   backends' runners. The step's data stream (packed weights + the two attention key/value sets) and its
   multiply-adds give the effective GB/s and GFLOP/s, compared with the machine's limits below.
4. MAX graphs with composed ops vs the same graphs with the Mojo custom ops (ops_impl "mojo": atan2 in the PAE,
   ELU, the mixture-of-experts blend, the LSTM cell) for the lite PAE, manifold decoder and sampler step, batch
   1 and 64, each checked against torch. The Mojo-op graphs are compiled into the app's model store the first
   time (minutes; --no-max skips this section).
5. Memory bandwidth: a numpy copy (reads and writes every byte: 2 * bytes / time) and a max-reduce (a
   vectorised read-only pass: bytes / time) of a 3 MB buffer (L3-resident, like the actor's weights) and of a
   256 MB one (DRAM). The actor's effective weight stream (weight bytes / step time) is compared with the
   3 MB read rate: the bound a batch-1 step cannot beat; the sampler's 11 MB stream with a 12 MB read. And
   the FLOP/s of a 1024 x 1024 float32 matmul in torch (both cores): compute-bound peak as far as this
   machine shows it.

Every case is timed in blocks of calls; the cases of one section are interleaved round by round (the order
rotating each round) so that load changes on a shared machine hit all alike. Medians of the per-round
means are reported, with ratios. Parity with the reference is checked before timing.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["MODULAR_TELEMETRY_ENABLED"] = "0"

from motion import fk
from inference.backends.mojo import fk as fk_mojo  # noqa: E402
from motion.skeleton import Skeleton  # noqa: E402


def interleaved_medians(cases: dict[str, Callable[[], object]], rounds: int, calls: int) -> dict[str, float]:
    """Median over rounds of the mean time per call (microseconds) of each case, cases interleaved."""
    names = list(cases)
    for f in cases.values():  # warm-up
        for _ in range(max(1, calls // 4)):
            f()
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for n in names[r % len(names):] + names[:r % len(names)]:
            f = cases[n]
            start = time.perf_counter()
            for _ in range(calls):
                f()
            samples[n].append((time.perf_counter() - start) / calls * 1e6)
    return {n: statistics.median(v) for n, v in samples.items()}


def fk_section(rounds: int, with_max: bool) -> list[dict]:
    rng = np.random.default_rng(0)
    frames, joints = 10_000, 23
    parents = [-1] + [int(rng.integers(0, j)) for j in range(1, joints)]
    skeleton = Skeleton([f"j{i}" for i in range(joints)], parents, rng.normal(size=(joints, 3)), [()] * joints)
    quats = rng.normal(size=(frames, joints, 4)).astype(np.float32)
    quats /= np.linalg.norm(quats, axis=-1, keepdims=True)
    trans = rng.normal(size=(frames, joints, 3)).astype(np.float32)

    expected = fk.global_transforms(skeleton, quats, trans)[1]
    cases = {"numpy motion.fk": lambda: fk.global_transforms(skeleton, quats, trans),
             "mojo extension": lambda: fk_mojo.global_transforms(skeleton, quats, trans)}
    diffs = {"mojo extension": float(np.abs(cases["mojo extension"]()[1] - expected).max())}
    if with_max:
        run_max = _max_fk(skeleton, quats, trans)
        diffs["max custom op"] = float(np.abs(run_max() - expected).max())
        cases["max custom op"] = run_max
    medians = interleaved_medians(cases, rounds, calls=3)
    base = medians["numpy motion.fk"]
    return [{"case": f"fk {frames}x{joints}", "impl": n, "median_us": round(t, 1),
             "speedup_vs_numpy": round(base / t, 2), "max_abs_diff": diffs.get(n, 0.0)} for n, t in medians.items()]


def _max_fk(skeleton: Skeleton, quats: np.ndarray, trans: np.ndarray) -> Callable[[], np.ndarray]:
    from max import engine
    from max.driver import Buffer
    from max.dtype import DType
    from max.graph import Graph, TensorType

    from inference.backends.mojo import ops as mojo_ops

    types = [TensorType(DType.int64, ("joints",), device=mojo_ops.CPU),
             TensorType(DType.float32, ("frames", "joints", 4), device=mojo_ops.CPU),
             TensorType(DType.float32, ("frames", "joints", 3), device=mojo_ops.CPU)]
    with Graph("bench_fk", input_types=types, custom_extensions=mojo_ops.custom_extensions()) as g:
        g.output(mojo_ops.forward_kinematics(*(x.tensor for x in g.inputs))[1])
    started = time.perf_counter()
    model = engine.InferenceSession().load(g)
    print(f"  (MAX fk graph compiled or loaded from cache in {time.perf_counter() - started:.1f} s)", file=sys.stderr)
    inputs = [Buffer.from_numpy(np.ascontiguousarray(skeleton.parents, np.int64)), Buffer.from_numpy(quats),
              Buffer.from_numpy(trans)]
    return lambda: model.execute(*inputs)[0].to_numpy()


def actor_section(rounds: int) -> tuple[list[dict], float]:
    import torch

    from inference.backends.mojo.mlp import MojoMlp
    from inference.networks.deepmimic import actor_from_weights
    from inference.deepmimic.policies import load_policy

    weights = load_policy("walk")
    torch_actor = actor_from_weights(weights)
    mojo_actor = MojoMlp.from_weights(weights, "actor", "state_norm", "action_norm")
    rng = np.random.default_rng(1)
    state = (weights.tensors["state_norm.mean"] + weights.tensors["state_norm.std"]
             * rng.normal(size=(1, 197))).astype(np.float32)
    state_t = torch.from_numpy(state)
    out = np.empty((1, 36), np.float32)
    with torch.no_grad():
        expected = torch_actor(state_t).numpy()
    diffs = {"mojo extension": float(np.abs(mojo_actor(state, out=out) - expected).max())}
    cases = {"torch eager": lambda: torch_actor(state_t), "mojo extension": lambda: mojo_actor(state, out=out)}
    try:
        import onnxruntime as ort

        buffer = io.BytesIO()
        torch.onnx.export(torch_actor, state_t, buffer, input_names=["state"], output_names=["action"],
                          dynamic_axes={"state": {0: "batch"}}, dynamo=False)
        session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
        feed = {"state": state}
        diffs["onnxruntime"] = float(np.abs(session.run(None, feed)[0] - expected).max())
        cases["onnxruntime"] = lambda: session.run(None, feed)
    except ImportError as e:
        print(f"  (onnxruntime skipped: {e})", file=sys.stderr)
    with torch.no_grad():
        medians = interleaved_medians(cases, rounds, calls=200)
    weight_bytes = sum(weights.tensors[f"actor.{i}.{p}"].nbytes for i in range(3) for p in ("weight", "bias"))
    base = medians["torch eager"]
    rows = [{"case": "deepmimic actor b1", "impl": n, "median_us": round(t, 1), "speedup_vs_torch": round(base / t, 2),
             "max_abs_diff": diffs.get(n, 0.0), "weight_stream_GBps": round(weight_bytes / t / 1e3, 1)}
            for n, t in medians.items()]
    return rows, weight_bytes


def sampler_section(rounds: int) -> tuple[list[dict], dict]:
    """Per-step time of each backend's "rsmt_sampler_step" runner on the same batch-1 inputs."""
    from inference.backends.base import BackendNotReady, get_backend
    from parity.compare import network_inputs
    from inference.rsmt.models import load_rsmt

    weights = load_rsmt().sampler
    runners = {"torch eager": get_backend("torch").load("rsmt_sampler_step", weights)}
    for label, name in (("onnxruntime", "onnx"), ("max graph", "max"), ("mojo extension", "max-mojo")):
        try:
            runners[label] = get_backend(name).load("rsmt_sampler_step", weights)
        except (BackendNotReady, ImportError) as e:
            print(f"  ({label} skipped: {e})", file=sys.stderr)
    x = network_inputs("rsmt_sampler_step", weights, runners["torch eager"].inputs, 1)
    expected = runners["torch eager"](**x)
    diffs = {n: max(float(np.abs(r(**x)[k] - expected[k]).max()) for k in expected) for n, r in runners.items()}
    medians = interleaved_medians({n: (lambda r=r: r(**x)) for n, r in runners.items()}, rounds, calls=50)
    packed = runners["mojo extension"].sampler  # the packed layers: what one step streams
    info = {"stream_bytes": packed.step_bytes, "macs": packed.step_macs}
    base = medians["torch eager"]
    rows = [{"case": "rsmt sampler step b1", "impl": n, "median_us": round(t, 1), "speedup_vs_torch": round(base / t, 2),
             "max_abs_diff": diffs[n], "stream_GBps": round(info["stream_bytes"] / t / 1e3, 1),
             "GFLOPs": round(2 * info["macs"] / t / 1e3, 1)} for n, t in medians.items()]
    return rows, info


def ops_impl_section(rounds: int) -> list[dict]:
    from inference.backends.base import get_backend
    from parity.compare import default_weights, network_inputs
    from inference.backends.max.store import READY, MefStore

    kinds = ("rsmt_phase", "rsmt_manifold_decoder", "rsmt_sampler_step")
    stores = {"composed": MefStore(), "mojo": MefStore(ops_impl="mojo")}
    for impl, store in stores.items():
        status = store.ensure(kinds, lambda p: print(f"  ({impl} ops: {p})", file=sys.stderr), presets=["lite"])
        if any(v != READY for v in status.values()):
            raise RuntimeError(f"compiling the {impl}-op graphs failed: {status}")
    rows = []
    for kind in kinds:
        weights = default_weights(kind, preset="lite")
        reference = get_backend("torch").load(kind, weights)
        runners = {impl: store.load(kind, weights) for impl, store in stores.items()}
        for batch in (1, 64):
            x = network_inputs(kind, weights, reference.inputs, batch)
            expected = reference(**x)
            diffs = {impl: max(float(np.abs(r(**x)[k] - expected[k]).max()) for k in expected)
                     for impl, r in runners.items()}
            medians = interleaved_medians({impl: (lambda r=r: r(**x)) for impl, r in runners.items()}, rounds,
                                          calls=20 if batch == 1 else 5)
            for impl, t in medians.items():
                rows.append({"case": f"{kind} b{batch}", "impl": f"MAX {impl} ops", "median_us": round(t, 1),
                             "speedup_vs_composed": round(medians["composed"] / t, 2), "max_abs_diff_vs_torch": diffs[impl]})
    return rows


def matmul_gflops(rounds: int) -> float:
    import torch

    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    t = interleaved_medians({"mm": lambda: torch.mm(a, b)}, rounds, calls=10)["mm"]
    return 2 * 1024 ** 3 / t / 1e3


def bandwidth_section(rounds: int) -> list[dict]:
    rows = []
    for where, size in (("L3", 3 << 20), ("L3", 12 << 20), ("DRAM", 256 << 20)):
        src = np.ones(size // 4, np.float32)
        dst = np.empty_like(src)
        calls = 50 if size < (64 << 20) else 2
        cases = {f"copy {size >> 20} MB ({where})": lambda: np.copyto(dst, src),
                 f"max-reduce {size >> 20} MB ({where})": lambda: np.maximum.reduce(src)}
        for label, t in interleaved_medians(cases, rounds, calls).items():
            moved = 2 * size if label.startswith("copy") else size  # a copy reads and writes every byte
            rows.append({"case": label, "median_us": round(t, 1), "bytes_moved_GBps": round(moved / t / 1e3, 1)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--no-max", action="store_true",
                        help="skip the MAX custom-op graphs (FK, and the RSMT graphs with Mojo ops: their compiles)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    args = parser.parse_args(argv)

    fk_rows = fk_section(args.rounds, with_max=not args.no_max)
    actor_rows, weight_bytes = actor_section(args.rounds)
    sampler_rows, sampler_info = sampler_section(args.rounds)
    ops_rows = [] if args.no_max else ops_impl_section(args.rounds)
    bw_rows = bandwidth_section(args.rounds)
    peak = matmul_gflops(args.rounds)
    if args.json:
        print(json.dumps({"fk": fk_rows, "actor": actor_rows, "actor_weight_bytes": weight_bytes,
                          "sampler": sampler_rows, "sampler_stream": sampler_info, "max_ops": ops_rows,
                          "bandwidth": bw_rows,
                          "matmul_gflops": peak}))
        return 0
    for title, rows in (("forward kinematics", fk_rows), ("DeepMimic actor, batch 1", actor_rows),
                        ("RSMT sampler step (lite), batch 1", sampler_rows),
                        ("MAX graphs: composed ops vs Mojo custom ops (lite)", ops_rows),
                        ("memory bandwidth (numpy)", bw_rows)):
        if not rows:
            continue
        print(f"\n{title}")
        keys = list(rows[0])
        print("  " + "  ".join(f"{k:>22}" for k in keys))
        for row in rows:
            print("  " + "  ".join(f"{row.get(k, ''):>22}" if not isinstance(row.get(k), float)
                                   else f"{row[k]:>22.4g}" for k in keys))
    mojo_us = next(r["median_us"] for r in actor_rows if r["impl"] == "mojo extension")
    read_gbps = next(r["bytes_moved_GBps"] for r in bw_rows if r["case"].startswith("max-reduce 3 MB"))
    print(f"\nactor weights {weight_bytes / 1e6:.2f} MB: the Mojo step streams them at "
          f"{weight_bytes / mojo_us / 1e3:.1f} GB/s, {weight_bytes / mojo_us / 1e3 / read_gbps:.0%} of numpy's "
          f"L3 read rate ({read_gbps} GB/s: np.maximum.reduce of 3 MB, a vectorised read-only pass)")
    step_us = next(r["median_us"] for r in sampler_rows if r["impl"] == "mojo extension")
    read12 = next(r["bytes_moved_GBps"] for r in bw_rows if r["case"].startswith("max-reduce 12 MB"))
    stream = sampler_info["stream_bytes"] / step_us / 1e3
    flops = 2 * sampler_info["macs"] / step_us / 1e3
    print(f"sampler step {sampler_info['stream_bytes'] / 1e6:.2f} MB, {sampler_info['macs'] / 1e6:.2f} M multiply-adds: the "
          f"Mojo step streams {stream:.1f} GB/s, {stream / read12:.0%} of numpy's 12 MB read rate ({read12} GB/s), "
          f"and runs {flops:.1f} GFLOP/s, {flops / peak:.1%} of a 1024^3 torch matmul ({peak:.0f} GFLOP/s, 2 cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
