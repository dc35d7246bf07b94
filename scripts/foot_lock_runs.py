"""Where the foot lock ends a contact run (`inference.rsmt.footlock.end_unreachable_runs`): the app's transitions
("rsmt+cleanup" of `evaluate`) scored with runs never ended, ended where the hold falls out of the leg's reach
(shipped), and ended once the ankle has drifted a fixed distance from where the run began, on a model's held-out
or training windows (`training.benchmark`), beside interpolation. Session 23's comparison (issue 18): a run
never ended let a foot stepping close to the floor be held through a whole stride, the leg dragged straight.

    .venv/bin/python scripts/foot_lock_runs.py --weights assets/rsmt_bandai --data bandai-namco --drift 10 20 40
    .venv/bin/python scripts/foot_lock_runs.py --weights assets/rsmt_lite --split train
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def drift_runs(cm: float):
    """A stand-in for end_unreachable_runs that ends a run where the ankle is `cm` (horizontally) from its start."""
    def end(contact, ankle, hip, reach):
        out = np.array(contact, bool)
        start = -1
        for t in np.flatnonzero(out):
            if start < 0 or not out[t - 1]:
                start = t
            elif np.hypot(*(ankle[t] - ankle[start])[[0, 2]]) > cm:
                out[t], start = False, -1
        return out
    return end


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", required=True, help="model folder (phase + sampler)")
    parser.add_argument("--data", default="embedded", help="embedded, bandai-namco or a data set folder")
    parser.add_argument("--split", choices=("test", "train"), default="test")
    parser.add_argument("--lengths", type=int, nargs="+", default=[20, 40])
    parser.add_argument("--drift", type=float, nargs="*", default=[20.0], help="fixed drifts to compare, cm")
    args = parser.parse_args()

    from inference.rsmt import footlock
    from training.benchmark import interpolation_method, run_benchmark, sampler_method
    from transition_landing import model_windows, print_rows

    sampler, data = model_windows(args.weights, args.data, args.split)
    app = sampler_method(sampler, data, pipeline="app")

    def ending_runs(end):
        def run(windows, past, length):
            shipped, footlock.end_unreachable_runs = footlock.end_unreachable_runs, end
            try:
                return app(windows, past, length)
            finally:
                footlock.end_unreachable_runs = shipped
        return run

    methods = {"interpolation": interpolation_method(data.parents),
               "never ended": ending_runs(lambda contact, ankle, hip, reach: contact),
               "out of reach": app}
    methods.update((f"drift {cm:g} cm", ending_runs(drift_runs(cm))) for cm in args.drift)
    print(f"{data.num_windows} {args.split} windows of {args.data}; the app's transitions by where a contact run ends")
    print_rows(run_benchmark(data, methods, lengths=tuple(args.lengths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
