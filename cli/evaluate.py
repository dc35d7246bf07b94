"""`evaluate [--json] [--sampler WEIGHTS --phase WEIGHTS | --no-model] [--split test|train|sim] [--held-out CLIP ...]
[--by-clip] [--manifold WEIGHTS] [--transition-seed S] [--style-strength S]`:
RSMT's transition metrics (L2P, L2Q, NPSS, foot skating; `training.metrics`) of each method on held-out
transitions of the embedded clips, at lengths 10, 20 and 40 frames (30 fps) after 10 context frames, the
last transition frame being the target keyframe (`training.benchmark`). Methods: "ground_truth" (sanity
row: zero errors, the data's own foot skating), the "interpolation" baseline, and with --sampler a trained
sampler: its raw outputs ("rsmt", as RSMT's benchmark) and what the app makes of them ("rsmt+cleanup":
post-processed, landed on the target, feet locked). --split train scores the training clips instead, --split sim
the last 12 s of long performances of the clips' motion recorded from the physics simulation
(`training.simulated`; `train --sim` trains on the rest of them, as RSMT splits 100STYLE).
--by-clip adds each clip's own scores; --manifold how well a StyleVAE reconstructs the scored and the training
clips when its encoder sees the answer (`training.benchmark.manifold_reconstruction`), rolled out and one step
at a time beside simply holding the previous pose: tells a sampler that cannot steer from a decoder that
cannot produce the motion at all."""
from __future__ import annotations

import sys
from collections import Counter

import numpy as np

from cli import UserError, print_json, require_in_range
from inference.rsmt.transition import STRENGTH_RANGE
from training.benchmark import LENGTHS, PAST, SPLITS, embedded_benchmark, ground_truth_method, interpolation_method, \
    run_benchmark

COLUMNS = ("L2P", "L2Q", "NPSS", "foot_skate")


def add_arguments(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--seed", type=int, default=0, help="seed of the time-scale augmentation (default 0)")
    parser.add_argument("--transition-seed", type=int, default=0, metavar="S",
                        help="score the sampler's transitions as the app makes them at this seed (default 0: no "
                             "target noise; any other seed draws RSMT's N(0, 0.5) noise from it)")
    parser.add_argument("--style-strength", type=float, default=1.0, metavar="S",
                        help="--style-accuracy: score the named styles at this style strength (`transition "
                             "--style-strength`; default 1), in a row of their own")
    parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS), metavar="N",
                        help="transition lengths in frames at 30 fps (default 10 20 40)")
    parser.add_argument("--sampler", default=None, metavar="WEIGHTS",
                        help="evaluate this trained sampler (default: assets/rsmt_lite/sampler.safetensors when present)")
    parser.add_argument("--phase", default=None, metavar="WEIGHTS",
                        help="the phase network the sampler was trained with (default: phase.safetensors beside "
                             "the sampler)")
    parser.add_argument("--model", choices=("humanoid3d", "bandai"), default=None,
                        help="a shipped model by name instead of --sampler/--phase (humanoid3d: assets/rsmt_lite, "
                             "bandai: assets/rsmt_bandai, scored on --data bandai-namco unless --data says otherwise)")
    parser.add_argument("--no-model", action="store_true", help="only the ground truth and interpolation rows")
    parser.add_argument("--split", choices=SPLITS, default=None,
                        help="score the held-out clips (default; sim for a sampler trained on every clip), the "
                             "training clips' own windows (motion the "
                             "model has seen: tells underfitting from not generalising) or sim: the last 12 s of "
                             "a 120 s performance of each shipped DeepMimic policy in the physics simulation "
                             "(walk, walk_COMenabled, jump, backflip, spinkick), which train --sim leaves out")
    parser.add_argument("--manifold", default=None, metavar="WEIGHTS",
                        help="also report how well this trained manifold (StyleVAE) reconstructs the scored clips' "
                             "motion when its encoder sees each next frame, beside the training clips' (what the "
                             "frozen decoder can produce at best; needs --phase or --sampler)")
    parser.add_argument("--held-out", nargs="+", default=None, metavar="CLIP",
                        help="the embedded clips to score as held-out, or 'none' (default: those the sampler was "
                             "trained without, as its weights record, else dance_b getup_faceup spinkick)")
    parser.add_argument("--by-clip", action="store_true",
                        help="also score each clip's windows on their own (one table per clip; per style with "
                             "a data set folder)")
    parser.add_argument("--data", default=None,
                        help="'embedded' (default; bandai-namco with --model bandai), 'bandai-namco' or a Bandai Namco folder: score its held-out "
                             "windows (the last 10%% of each style, training.bandai) with each window's own style "
                             "from the training split")
    parser.add_argument("--style-accuracy", action="store_true",
                        help="with a data set: also fit a style classifier on the training split (its held-out "
                             "accuracy is reported) and score 40-frame transitions between the scored split's "
                             "'normal' windows (held-out by default) asked for each other style "
                             "(training.style_classifier)")


def _model_paths(args) -> tuple[str | None, str | None]:
    """(sampler, phase) weights to evaluate: the options, else the default model when it is there."""
    from pathlib import Path

    from inference.rsmt.models import DEFAULT_RSMT_DIR

    if args.no_model:
        if args.sampler:
            raise UserError("--no-model and --sampler exclude each other")
        return None, None
    sampler = args.sampler
    if args.model:
        from inference.rsmt.models import MODEL_DIRS

        if sampler:
            raise UserError("--model and --sampler exclude each other")
        sampler = str(MODEL_DIRS[args.model] / "sampler.safetensors")
    if sampler is None:
        default = DEFAULT_RSMT_DIR / "sampler.safetensors"
        if not default.is_file():
            return None, None
        sampler = str(default)
    phase = args.phase or str(Path(sampler).with_name("phase.safetensors"))
    return sampler, phase


def _trained(sampler_path: str, phase_path: str):
    """(phase function, sampler network, the clips its training held out or None when its weights do not
    record them) from --phase / --sampler (UserError for unusable weights)."""
    import torch

    from inference.networks.rsmt_networks import build_network
    from inference.weights import WeightsError, WeightSet
    from training.train_manifold import phase_function

    try:
        phase = WeightSet.load(phase_path)
        weights = WeightSet.load(sampler_path)
        sampler = build_network(weights, "rsmt_sampler")
        phase_fn = phase_function(phase, torch.device("cpu"))
    except WeightsError as e:
        raise UserError(str(e)) from None
    _check_phase_dim(phase, phase_path, sampler, "sampler")
    training = weights.config.get("training", {})
    recorded = training.get("held_out") if isinstance(training, dict) else None
    if not (isinstance(training, dict) and (recorded is None or isinstance(recorded, list)
                                            and all(isinstance(c, str) for c in recorded))):
        raise UserError(f"{weights.path}: config 'training' must be an object whose 'held_out' is a list of "
                        f"clip names, got {training!r:.80}")
    return phase_fn, sampler, None if recorded is None else tuple(recorded)


def _held_out(args, recorded: tuple[str, ...] | None) -> tuple[str, ...]:
    """The clips to score: --held-out, else those the sampler's training held out, else the default ones.
    Warns on stderr about --held-out clips the sampler was trained on (their scores are not held-out).
    UserError when the held-out split would be empty (a sampler trained on every clip, or --held-out none)."""
    from training.datasets import HELD_OUT_CLIPS, embedded_clip_name, held_out_option

    chosen = held_out_option(args.held_out)
    if chosen is None:
        held = HELD_OUT_CLIPS if recorded is None else recorded
    else:
        held = tuple(dict.fromkeys(embedded_clip_name(c) for c in chosen))
        seen = [] if recorded is None else [c for c in held if c not in recorded]
        if seen:
            print(f"note: the sampler was trained on {', '.join(seen)}: its scores there are not held-out",
                  file=sys.stderr)
    if not held and args.split == "test":
        raise UserError("no held-out clip to score: the sampler was trained on every embedded clip; score "
                        "--split sim (held-out stretches of simulated performances) or --split train, or name "
                        "clips with --held-out (clips it was trained on)")
    return held


def _check_phase_dim(phase, phase_path: str, net, what: str) -> None:
    """UserError unless the phase network's phase_dim is the one `net` (the sampler or manifold) was built for."""
    if phase.config.get("rsmt", {}).get("phase_dim") != net.cfg.phase_dim:
        raise UserError(f"{phase_path}: its phase_dim differs from the {what}'s {net.cfg.phase_dim}")


def run(args) -> int:
    from training.benchmark import sampler_method

    if args.data is None:  # a model is scored on its own data: the bandai model's skeleton is not the clips'
        args.data = "bandai-namco" if args.model == "bandai" else "embedded"
    require_in_range("--transition-seed", args.transition_seed, 0, 2**64 - 1)  # as `transition --seed`
    require_in_range("--style-strength", args.style_strength, *STRENGTH_RANGE)  # as `transition --style-strength`
    bad = [n for n in args.lengths if not 2 <= n <= 55]
    if bad:
        raise UserError(f"--lengths: {bad[0]} is outside 2..55 (65-frame windows hold {PAST} context frames "
                        f"and the transition, whose last frame is the target)")
    sampler_path, phase_path = _model_paths(args)
    if args.style_strength != 1.0 and not (args.style_accuracy and sampler_path):
        raise UserError("--style-strength scores a sampler's named styles: use it with --style-accuracy and a model")
    phase_fn, sampler, recorded = _trained(sampler_path, phase_path) if sampler_path else (None, None, None)
    if args.split is None:  # a sampler trained on every clip has no held-out clip: new performances instead
        args.split = "sim" if recorded == () and args.held_out is None else "test"
    if args.manifold and args.split == "sim":
        raise UserError("--manifold scores the embedded clips: use it with --split test or train")
    dataset = None
    if args.data != "embedded":
        if args.split == "sim" or args.held_out or args.manifold:
            raise UserError("--split sim, --held-out and --manifold are for the embedded clips")
        from cli.train import load_dataset
        from training.benchmark import dataset_benchmark

        dataset, held_out = load_dataset(args.data, args.seed), ()
        data = dataset_benchmark(dataset, dataset.test if args.split == "test" else dataset.train, phase_fn,
                                 style_from_training=True)
    else:
        if args.style_accuracy:
            raise UserError("--style-accuracy needs a data set with styles: --data bandai-namco")
        held_out = _held_out(args, recorded)
        data = embedded_benchmark(seed=args.seed, phase_fn=phase_fn, split=args.split, held_out=held_out)
    methods = {"ground_truth": ground_truth_method, "interpolation": interpolation_method(data.parents)}
    try:
        if sampler is not None:
            if sampler.cfg.num_joints != len(data.parents):
                raise ValueError(f"the sampler has {sampler.cfg.num_joints} joints, the {args.data} data "
                                 f"{len(data.parents)}")
            seeds = {"seed": args.seed, "transition_seed": args.transition_seed}
            methods["rsmt"] = sampler_method(sampler, data, **seeds)
            methods["rsmt+cleanup"] = sampler_method(sampler, data, pipeline="app", **seeds)
        rows = run_benchmark(data, methods, lengths=tuple(args.lengths), by_clip=args.by_clip)
        recon = _manifold_reconstruction(args, phase_path, phase_fn, held_out) if args.manifold else None
        styles = _style_accuracy(args, dataset, data, sampler, sampler_path) if args.style_accuracy else None
    except ValueError as e:
        raise UserError(f"{sampler_path or args.data}: {e}") from None
    windows = Counter(data.style_names[s] for s in data.window_styles)
    if args.json:
        print_json({"rows": rows, "sampler": sampler_path, "phase": phase_path, "split": args.split,
                    "data": args.data, "held_out": list(held_out), **({"style_accuracy": styles} if styles else {}),
                    "windows": data.num_windows, "past_frames": PAST,
                    "skate_height": data.skate_height, "foot_height": [float(h) for h in data.foot_height],
                    "units": "cm",
                    **({"clip_windows": dict(windows)} if args.by_clip else {}),
                    **({"manifold_reconstruction": recon} if recon else {})})
        return 0
    which = {"test": "held-out", "train": "training-clip", "sim": "simulated-performance"}[args.split]
    print(f"{data.num_windows} {which} windows, {PAST} context frames, 30 fps, positions in cm; held out: "
          + (", ".join(c.removeprefix("humanoid3d_") for c in held_out) or "none") if dataset is None else
          f"{data.num_windows} {which} windows of {args.data}, {PAST} context frames, 30 fps, positions in cm")
    _print_table([r for r in rows if r["clip"] == "all"])
    for clip in dict.fromkeys(r["clip"] for r in rows if r["clip"] != "all"):
        print(f"\n{clip} ({windows[clip]} windows)")
        _print_table(sorted((r for r in rows if r["clip"] == clip), key=lambda r: r["length"]))
    if styles:
        _print_style_accuracy(styles, which)
    if recon:
        print(f"\nmanifold reconstruction, teacher-forced ({args.manifold}): MSE of positions (/21 cm) and 6D "
              "rotations;\nrollout = 23 frames from the first two, one step = each frame from the true previous "
              "one,\nhold = the previous pose moved by the true hip motion")
        print(f"  {'':<18} {'rollout pos':>11} {'rot':>7} {'one step pos':>13} {'rot':>7} {'hold pos':>9} {'rot':>7}")
        for split, r in recon.items():
            lines = {f"{split} clips": r} | {f"  {c.removeprefix('humanoid3d_')}": v
                                              for c, v in r.get("clips", {}).items()}
            for label, v in lines.items():
                print(f"  {label:<18} {v['pos']:>11.4f} {v['rot']:>7.4f} {v['step_pos']:>13.4f} "
                      f"{v['step_rot']:>7.4f} {v['hold_pos']:>9.4f} {v['hold_rot']:>7.4f}  ({v['windows']} windows)")
    return 0


def _manifold_reconstruction(args, phase_path, phase_fn, held_out: tuple[str, ...]) -> dict:
    """{"held-out"|"training": manifold_reconstruction} for the scored split and the training clips."""
    import torch

    from inference.networks.rsmt_networks import build_network
    from inference.weights import WeightsError, WeightSet
    from training.benchmark import manifold_reconstruction
    from training.datasets import embedded_dataset
    from training.train_manifold import phase_function

    phase_path = phase_path or args.phase
    if not phase_path:
        raise UserError("--manifold needs the phase network it was trained with: give --phase")
    try:
        phase = WeightSet.load(phase_path)
        manifold = build_network(WeightSet.load(args.manifold), "rsmt_manifold")
    except WeightsError as e:
        raise UserError(str(e)) from None
    _check_phase_dim(phase, phase_path, manifold, "manifold")
    phase_fn = phase_fn or phase_function(phase, torch.device("cpu"))
    dataset = embedded_dataset(seed=args.seed, held_out=held_out)
    splits = ("test", "train") if args.split == "test" else ("train",)
    return {("held-out" if s == "test" else "training"): manifold_reconstruction(manifold, phase_fn, dataset, s,
                                                                                 args.seed, args.by_clip)
            for s in splits}


def _print_table(rows: list[dict]) -> None:
    print(f"{'method':<14} {'length':>6} " + " ".join(f"{c:>10}" for c in COLUMNS))
    for r in rows:
        print(f"{r['method']:<14} {r['length']:>6} " + " ".join(f"{r[c]:>10.4f}" for c in COLUMNS))


def _style_accuracy(args, dataset, data, sampler, sampler_path: str | None) -> dict:
    """{"classifier": its accuracy report, "rows": style_accuracy rows, "chance"} (training.style_classifier).
    Methods: interpolation; the sampler with a random training clip of the style per transition, raw and
    cleaned up; and, when a style library lies beside the sampler, its named style's code through the clean-up
    (`style_library.NAMED_STYLE`: what `transition --style NAME` makes, the rate the Styles panel shows)."""
    from pathlib import Path

    from inference.rsmt.style_library import LIBRARY_FILE, NAMED_STYLE, StyleLibrary
    from inference.rsmt.transition import TransitionError
    from training.benchmark import interpolation_method, sampler_method
    from training.style_classifier import style_accuracy, train_classifier

    classifier, report = train_classifier(dataset, args.seed)
    methods = {"interpolation": lambda sub, style: interpolation_method(sub.parents)}
    if sampler is not None:
        seeds = {"seed": args.seed, "transition_seed": args.transition_seed}
        methods["rsmt"] = lambda sub, style: sampler_method(sampler, sub, style=style, **seeds)
        methods["rsmt+cleanup"] = lambda sub, style: sampler_method(sampler, sub, pipeline="app", style=style,
                                                                   **seeds)
        library_path = Path(sampler_path).with_name(LIBRARY_FILE)
        if library_path.is_file():
            try:
                library = StyleLibrary.load(library_path)
            except TransitionError as e:
                raise UserError(str(e)) from None
            missing = [n for n in data.style_names if n not in library.names]
            if missing:
                raise UserError(f"{library_path}: no named style {missing[0]!r} of the data")
            if args.style_strength != 1.0 and not library.reference:
                raise UserError(f"{library_path}: no 'normal' style to measure a style strength from")
            named = NAMED_STYLE if args.style_strength == 1.0 else f"{NAMED_STYLE} at strength {args.style_strength:g}"
            methods[named] = lambda sub, style: sampler_method(
                sampler, sub, pipeline="app", style_features=library.style(sub.style_names[style]).features,
                transition_seed=args.transition_seed, style_strength=args.style_strength, reference=library.reference)
        elif args.style_strength != 1.0:
            raise UserError(f"{library_path}: not found: --style-strength scores the named styles of a style library")
    rows = style_accuracy(data, classifier, methods)
    return {"classifier": report, "rows": rows, "chance": 1.0 / len(dataset.styles)}


def _print_style_accuracy(styles: dict, which: str) -> None:
    """which: the scored split's windows ("held-out", "training-clip"), where the transitions start and end."""
    c = styles["classifier"]
    print(f"\nstyle classifier (fitted on the training split): training accuracy {c['train_accuracy']:.3f}, "
          f"held-out {c['heldout_accuracy']:.3f} on {c['heldout_stretches']} 40-frame stretches")
    print("  " + "  ".join(f"{k} {v:.2f}" for k, v in c["per_style"].items()))
    rows = styles["rows"]
    methods = list(dict.fromkeys(r["method"] for r in rows))
    print(f"\nstyle accuracy: 40-frame transitions between {which} 'normal' windows "
          f"({rows[0]['transitions']}) asked for each style, fraction classified as that style "
          f"(chance {styles['chance']:.3f})")
    print(f"{'style':<14} " + " ".join(f"{m:>13}" for m in methods))
    for style in dict.fromkeys(r["style"] for r in rows):
        print(f"{style:<14} " + " ".join(f"{r['fraction']:>13.3f}" for m in methods for r in rows
                                         if r["style"] == style and r["method"] == m))
    print(f"{'mean':<14} " + " ".join(f"{np.mean([r['fraction'] for r in rows if r['method'] == m]):>13.3f}"
                                      for m in methods))
