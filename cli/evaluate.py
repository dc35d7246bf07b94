"""`evaluate [--json]`: RSMT's transition metrics (L2P, L2Q, NPSS, foot skating; `training.metrics`) of
each method on held-out transitions of the embedded clips, at lengths 10, 20 and 40 frames (30 fps)
after 10 context frames, the last transition frame being the target keyframe (`training.benchmark`). Methods: "ground_truth" (sanity row: zero errors, the
data's own foot skating) and the "interpolation" baseline; trained samplers join through
`training.benchmark.run_benchmark`'s method table."""
from __future__ import annotations

from cli import UserError, print_json
from training.benchmark import LENGTHS, PAST, embedded_benchmark, ground_truth_method, interpolation_method, \
    run_benchmark

COLUMNS = ("L2P", "L2Q", "NPSS", "foot_skate")


def add_arguments(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--seed", type=int, default=0, help="seed of the time-scale augmentation (default 0)")
    parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS), metavar="N",
                        help="transition lengths in frames at 30 fps (default 10 20 40)")


def run(args) -> int:
    bad = [n for n in args.lengths if not 2 <= n <= 55]
    if bad:
        raise UserError(f"--lengths: {bad[0]} is outside 2..55 (65-frame windows hold {PAST} context frames "
                        f"and the transition, whose last frame is the target)")
    data = embedded_benchmark(seed=args.seed)
    methods = {"ground_truth": ground_truth_method, "interpolation": interpolation_method(data.parents)}
    try:
        rows = run_benchmark(data, methods, lengths=tuple(args.lengths))
    except ValueError as e:
        raise UserError(f"embedded clips: {e}") from None
    if args.json:
        print_json({"rows": rows, "windows": data.num_windows, "past_frames": PAST,
                    "skate_height": data.skate_height, "foot_height": [float(h) for h in data.foot_height],
                    "units": "cm"})
        return 0
    print(f"{data.num_windows} held-out windows, {PAST} context frames, 30 fps, positions in cm")
    print(f"{'method':<14} {'length':>6} " + " ".join(f"{c:>10}" for c in COLUMNS))
    for r in rows:
        print(f"{r['method']:<14} {r['length']:>6} " + " ".join(f"{r[c]:>10.4f}" for c in COLUMNS))
    return 0
