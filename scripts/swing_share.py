"""How far the clean-up should turn a joint from its predicted rotation towards RSMT's swing
(`inference.rsmt.postprocess.SWING_SHARE`): the app's pipeline ("rsmt+cleanup" of `python main.py evaluate`)
at several shares, on a model's benchmark windows (the Bandai Namco model's by default; humanoid3d's are the
embedded clips), beside interpolation.

    python scripts/swing_share.py [--model bandai|humanoid3d] [--split train|test] [--shares 0 0.25 0.5 0.75 1]
                                  [--lengths 20 40]

Choose on the training windows (the default); the held-out ones are for reporting.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MODULAR_TELEMETRY_ENABLED", "0")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("bandai", "humanoid3d"), default="bandai")
    parser.add_argument("--split", choices=("train", "test"), default="train")
    parser.add_argument("--shares", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[20, 40])
    args = parser.parse_args()

    from inference.rsmt.models import MODEL_DIRS
    from training.benchmark import interpolation_method, run_benchmark, sampler_method
    from transition_landing import model_windows, print_rows

    sampler, data = model_windows(str(MODEL_DIRS[args.model]), "bandai-namco" if args.model == "bandai" else "embedded",
                                  args.split)
    methods = {"interpolation": interpolation_method(data.parents)}
    methods |= {f"share {s:g}": sampler_method(sampler, data, pipeline="app", swing_share=s) for s in args.shares}
    print(f"{data.num_windows} {args.split} windows of the {args.model} model's data, the app's clean-up at each share")
    print_rows(run_benchmark(data, methods, lengths=tuple(args.lengths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
