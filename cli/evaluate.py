"""`evaluate [--json] [--sampler WEIGHTS --phase WEIGHTS]`: RSMT's transition metrics (L2P, L2Q, NPSS,
foot skating; `training.metrics`) of each method on held-out transitions of the embedded clips, at
lengths 10, 20 and 40 frames (30 fps) after 10 context frames, the last transition frame being the
target keyframe (`training.benchmark`). Methods: "ground_truth" (sanity row: zero errors, the data's
own foot skating), the "interpolation" baseline, and with --sampler a trained sampler ("rsmt")."""
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
    parser.add_argument("--sampler", default=None, metavar="WEIGHTS",
                        help="also evaluate this trained sampler (e.g. runs/sampler/sampler.safetensors)")
    parser.add_argument("--phase", default="runs/phase/phase.safetensors", metavar="WEIGHTS",
                        help="the phase network the sampler was trained with (default runs/phase/phase.safetensors)")


def _trained(args):
    """(phase function, sampler network) from --phase / --sampler (UserError for unusable weights)."""
    import torch

    from inference.networks.rsmt_config import build_network
    from inference.weights import WeightsError, WeightSet
    from training.train_manifold import phase_function

    try:
        phase = WeightSet.load(args.phase)
        sampler = build_network(WeightSet.load(args.sampler), "rsmt_sampler")
        phase_fn = phase_function(phase, torch.device("cpu"))
    except WeightsError as e:
        raise UserError(str(e)) from None
    if phase.config.get("rsmt", {}).get("phase_dim") != sampler.cfg.phase_dim:
        raise UserError(f"{args.phase}: its phase_dim differs from the sampler's {sampler.cfg.phase_dim}")
    return phase_fn, sampler


def run(args) -> int:
    from training.benchmark import sampler_method

    bad = [n for n in args.lengths if not 2 <= n <= 55]
    if bad:
        raise UserError(f"--lengths: {bad[0]} is outside 2..55 (65-frame windows hold {PAST} context frames "
                        f"and the transition, whose last frame is the target)")
    phase_fn, sampler = _trained(args) if args.sampler else (None, None)
    data = embedded_benchmark(seed=args.seed, phase_fn=phase_fn)
    methods = {"ground_truth": ground_truth_method, "interpolation": interpolation_method(data.parents)}
    try:
        if sampler is not None:
            if sampler.cfg.num_joints != len(data.parents):
                raise ValueError(f"the sampler has {sampler.cfg.num_joints} joints, the embedded clips "
                                 f"{len(data.parents)}")
            methods["rsmt"] = sampler_method(sampler, data, seed=args.seed)
        rows = run_benchmark(data, methods, lengths=tuple(args.lengths))
    except ValueError as e:
        raise UserError(f"{args.sampler or 'embedded clips'}: {e}") from None
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
