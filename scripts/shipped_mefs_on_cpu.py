"""Run every shipped MAX model (assets/max, compiled for x86-64-v3) on another CPU, emulated by QEMU, and compare
its outputs with this machine's.

    python scripts/shipped_mefs_on_cpu.py [--cpu Haswell] [--models KIND ...]

1. Here: for each model `compile` builds, weights at its sizes (`parity.compare.default_weights`: the shipped
   DeepMimic walk policy, seeded random RSMT networks, the Bandai model's trained ones) and a fixed input batch
   (`parity.compare.network_inputs`, batch 4) are saved, with the outputs of the shipped MEF run from an empty
   store; `python main.py compare` checks those same MEFs against torch here.
2. Under `qemu-x86_64 -cpu CPU` (Debian's qemu-user), a child loads each model from its shipped MEF into an empty
   store and runs the same inputs. A MEF using an instruction that CPU lacks dies with SIGILL (exit 132).

Prints, per model, the largest difference between the emulated CPU's outputs and this machine's. The CPU must have
AVX2 and FMA: under qemu-user the app reads the host's /proc/cpuinfo, so it cannot notice an older emulated CPU.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MODULAR_TELEMETRY_ENABLED", "0")


def _run_all(cases: list[dict], cache: Path) -> dict[str, dict]:
    """{name: {output: array}} from the shipped MEFs, loaded into an empty store at `cache`."""
    from inference.backends.max.store import SHIPPED_ROOT, MefStore

    store = MefStore(cache / "max", shipped=SHIPPED_ROOT)
    results = {}
    for case in cases:
        t0 = time.monotonic()
        runner = store.load(case["kind"], case["weights"])
        results[case["name"]] = runner(**case["inputs"])
        info = store.info(case["kind"], case["preset"]) or {}
        print(f"  {case['name']}: ran in {time.monotonic() - t0:.1f} s"
              f" ({'shipped' if info.get('shipped') else 'NOT SHIPPED'})", flush=True)
    return results


def _cases(models: list[str] | None, folder: Path) -> list[dict]:
    from inference.backends.base import get_backend
    from inference.backends.max.store import MefStore
    from parity.compare import default_weights, network_inputs

    plan = MefStore(folder / "probe", shipped=None).plan(models)  # names the models; writes nothing
    torch = get_backend("torch")
    cases = []
    for kind, preset in plan:
        model = "bandai" if preset == "bandai" else None
        rollout = kind == "rsmt_rollout"  # the sampler's weights, a whole transition's inputs
        weights = default_weights("rsmt_sampler_step" if rollout else kind, preset="lite" if model else preset,
                                  model=model)
        inputs = _rollout_inputs(weights) if rollout else \
            network_inputs(kind, weights, torch.load(kind, weights).inputs, batch=4)
        cases.append({"name": f"{kind} ({preset})", "kind": kind, "preset": preset, "weights": weights,
                      "inputs": inputs})
    return cases


def _rollout_inputs(weights) -> dict:
    """Seeded N(0, 1) context, phase, style code and noise; time to arrival counting down; 20 frames."""
    import numpy as np

    from inference.backends.max.graphs import builder
    from inference.backends.max.graphs.manifold import config
    from inference.networks.rsmt_config import rollout_input_shapes

    cfg = config(builder("rsmt_rollout").structure("rsmt_rollout", weights))
    rng = np.random.default_rng(0)
    inputs = {name: rng.standard_normal((1, *shape)).astype(np.float32)  # a batch of one
              for name, shape in rollout_input_shapes(cfg).items()}
    inputs["tta"] = np.arange(cfg.max_transition, 0, -1).astype(np.float32)[None]
    inputs["length"] = np.full(1, 20, np.float32)
    return inputs


def child(folder: Path) -> int:
    cases = pickle.loads((folder / "cases.pkl").read_bytes())
    results = _run_all(cases, folder / "emulated-cache")
    (folder / "emulated.pkl").write_bytes(pickle.dumps(results))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu", default="Haswell", help="QEMU CPU model (`qemu-x86_64 -cpu help`)")
    parser.add_argument("--models", nargs="+", metavar="KIND", help="only these kinds (default: all)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("here: weights, inputs and outputs of every shipped model", flush=True)
        cases = _cases(args.models, folder)
        native = _run_all(cases, folder / "native-cache")
        (folder / "cases.pkl").write_bytes(pickle.dumps(cases))
        print(f"qemu-x86_64 -cpu {args.cpu}: the same, from an empty store", flush=True)
        t0 = time.monotonic()
        proc = subprocess.run(["qemu-x86_64", "-cpu", args.cpu, sys.executable, __file__, "--child", str(folder)],
                              stderr=subprocess.PIPE, text=True)
        errors = [line for line in proc.stderr.splitlines() if "TCG doesn't support" not in line]
        if proc.returncode != 0:
            print("\n".join(errors[-20:]), file=sys.stderr)
            print(f"emulated {args.cpu}: exit {proc.returncode}" + (" (SIGILL)" if proc.returncode in (132, -4) else ""))
            return 1
        emulated = pickle.loads((folder / "emulated.pkl").read_bytes())
        worst = {}
        for name, outputs in native.items():
            worst[name] = max(float(np.max(np.abs(outputs[k] - emulated[name][k]))) for k in outputs)
            scale = max(float(np.max(np.abs(v))) for v in outputs.values())
            print(f"{name:<40} max |{args.cpu} - here| = {worst[name]:.3g} (outputs up to {scale:.3g})")
        print(json.dumps({"cpu": args.cpu, "models": len(worst), "worst_abs": max(worst.values()),
                          "emulated_s": round(time.monotonic() - t0, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
