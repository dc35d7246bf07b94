"""`styles build --data bandai-namco|DIR [--weights DIR] [--seed S] [--named-by critic|medoid]` writes the model's
named style library (`inference.rsmt.style_library`: one style per style label of the training split, one of its
120-frame windows chosen as `training.style_library` says, plus every window's code) to WEIGHTS/styles.npz;
`styles list [--weights DIR] [--json]` lists it, with how often each style was recognised in the model's
evaluation when WEIGHTS/evaluation.json holds one (`evaluate --style-accuracy --json`). `transition --style NAME`
then takes a style by its label."""
from __future__ import annotations

from collections import Counter

from cli import UserError, print_json
from training.style_library import NAMED_BY


def add_arguments(parser) -> None:
    parser.add_argument("action", choices=("build", "list"), help="build the library or list it")
    parser.add_argument("--weights", default=None, metavar="DIR",
                        help="the model folder (phase + sampler; default the app's default model)")
    parser.add_argument("--data", default=None,
                        help="build: the data set the model was trained on ('bandai-namco' or a folder)")
    parser.add_argument("--seed", type=int, default=0, help="build: the data set's augmentation seed (default 0)")
    parser.add_argument("--named-by", choices=NAMED_BY, default="critic",
                        help="build: which of a style's training windows is its named style: critic (default; the "
                             "one whose transitions between 'normal' windows a style critic rates most as the style, "
                             "which needs a 'normal' label) or medoid (the one nearest the style's mean code)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    from inference.rsmt.models import load_rsmt
    from inference.rsmt.style_library import (EVALUATION_FILE, LIBRARY_FILE, model_library,
                                               style_recognition)
    from inference.rsmt.transition import TransitionError, TransitionGenerator
    from inference.weights import WeightsError
    from training.style_library import build_library

    try:
        model = load_rsmt(args.weights)
        if args.action == "build":
            if not args.data:
                raise UserError("styles build needs --data (the data set the model was trained on)")
            from cli.train import load_dataset

            dataset = load_dataset(args.data, args.seed)
            if dataset.roles.names != model.roles.names:
                raise UserError(f"{args.data}: its joints differ from the model's ({model.folder})")
            library = build_library(TransitionGenerator(model), dataset, named_by=args.named_by)
            library.save(model.folder / LIBRARY_FILE)
        else:
            library = model_library(model)
            if library is None:
                raise UserError(f"{model.folder}: no {LIBRARY_FILE} (make it with `styles build --data ...`)")
        recognised = style_recognition(model.folder)
    except (WeightsError, TransitionError) as e:
        raise UserError(str(e)) from None
    windows = Counter(library.clip_styles)
    rows = [{"style": n, "windows": windows[n], "clip": c, "recognised": None if (r := recognised.get(n)) is None
             else {"hits": r.hits, "transitions": r.transitions, "interpolation": r.baseline}}
            for n, c in zip(library.names, library.named_clips)]
    if args.json:
        print_json({"library": str(model.folder / LIBRARY_FILE), "chosen_by": library.chosen_by, "styles": rows})
    else:
        print(f"{model.folder / LIBRARY_FILE}: {len(rows)} styles from {len(library.clip_names)} training windows")
        print(f"each style's window: {library.chosen_by}")
        for r in rows:
            seen = recognised.get(r["style"])
            print((f"  {r['style']:<16} {r['windows']:>4} windows   from {r['clip']:<44}"
                   + (f" {seen.text()} (interpolation {seen.baseline})" if seen else "")).rstrip())
        if recognised:
            one = next(iter(recognised.values()))
            print(f"recognised: of {one.transitions} transitions between held-out 'normal' keyframes asked for the "
                  f"style, how many the style classifier of the model's evaluation ({EVALUATION_FILE}) called that "
                  f"style; chance {one.chance:.0%}")
    return 0
