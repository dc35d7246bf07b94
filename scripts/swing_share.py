"""How far the clean-up should turn a joint from its predicted rotation towards RSMT's swing
(`inference.rsmt.postprocess.SWING_SHARE`): the app's pipeline ("rsmt+cleanup" of `python main.py evaluate`)
at several shares, on the Bandai Namco model's benchmark windows, beside interpolation.

    python scripts/swing_share.py [--split train|test] [--shares 0 0.25 0.5 0.75 1] [--lengths 20 40]

Choose on the training windows (the default); the held-out ones are for reporting.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MODULAR_TELEMETRY_ENABLED", "0")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("train", "test"), default="train")
    parser.add_argument("--shares", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[20, 40])
    args = parser.parse_args()

    from cli.evaluate import _trained
    from cli.train import load_dataset
    from inference.rsmt.models import MODEL_DIRS
    from training.benchmark import dataset_benchmark, interpolation_method, run_benchmark, sampler_method

    folder = Path(MODEL_DIRS["bandai"])
    phase_fn, sampler, _ = _trained(str(folder / "sampler.json"), str(folder / "phase.json"))
    dataset = load_dataset("bandai-namco", 0)
    data = dataset_benchmark(dataset, dataset.train if args.split == "train" else dataset.test, phase_fn,
                             style_from_training=True)
    methods = {"interpolation": interpolation_method(data.parents)}
    methods |= {f"share {s:g}": sampler_method(sampler, data, pipeline="app", swing_share=s) for s in args.shares}
    print(f"{data.num_windows} {args.split} windows of the Bandai Namco data, the app's clean-up at each share")
    print(f"{'method':<16} {'length':>6} {'L2P':>8} {'L2Q':>8} {'NPSS':>8} {'skate':>8}")
    for r in run_benchmark(data, methods, lengths=tuple(args.lengths)):
        print(f"{r['method']:<16} {r['length']:>6} {r['L2P']:>8.3f} {r['L2Q']:>8.3f} {r['NPSS']:>8.4f} "
              f"{r['foot_skate']:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
