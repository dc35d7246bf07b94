"""`bake --clips CLIP... [--styles STYLE...] [--seeds N...] [--lengths L...] --out DIR [--backend B]
[--workers N] [--batch N] [--ray [ADDRESS]] [--items ITEMS.csv] [--json]`: many transitions at once (`bake.run`).

Items: every ordered pair of the clips (a folder stands for its motion files) x styles x seeds x lengths,
or the rows of a CSV (header: source,target[,style][,seed][,length]). One BVH per item in DIR and
DIR/manifest.json; a re-run skips complete outputs. Exit 0 when every item is baked, 1 when some failed
(see the manifest)."""
from __future__ import annotations

import sys

from cli import UserError, print_json, print_licence_note
from inference.backends.base import APP_BACKENDS
from inference.rsmt.transition import MAX_LENGTH, MIN_LENGTH


def _workers(text: str) -> int:
    import argparse

    n = int(text) if text.isdigit() else 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return n


def add_arguments(parser) -> None:
    parser.add_argument("--clips", nargs="+", metavar="CLIP",
                        help="clips to pair (embedded clip names, motion files, folders of them)")
    parser.add_argument("--items", metavar="ITEMS.csv", help="bake the rows of this CSV instead of clip pairs")
    parser.add_argument("--styles", nargs="+", metavar="STYLE",
                        help="named styles of the model (e.g. angry with --weights assets/rsmt_bandai), style clips or "
                             "saved style codes .npy/.json (default: each item's source clip)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], metavar="N",
                        help="seeds (default 0: the transition `evaluate` scores; others: variations of it)")
    parser.add_argument("--lengths", nargs="+", type=int, default=[30], metavar="L",
                        help=f"generated frames at 30 fps, {MIN_LENGTH}..{MAX_LENGTH} (default 30)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (BVH files and manifest.json)")
    parser.add_argument("--backend", choices=APP_BACKENDS, default="torch",
                        help="inference backend (default torch)")
    parser.add_argument("--weights", default=None, metavar="DIR", help="RSMT weights folder (default assets/rsmt_lite)")
    parser.add_argument("--workers", type=_workers, default=1, metavar="N",
                        help="items computed at once: local processes, or Ray tasks in flight (default 1)")
    parser.add_argument("--batch", type=_workers, default=1, metavar="N",
                        help="items each process or task bakes at once, their sampler work as one batch (default 1; "
                             "on max-mojo the outputs are the same bits at any batch, on torch and onnx the last "
                             "digits can depend on the batch an item shared)")
    parser.add_argument("--ray", nargs="?", const="auto", default=None, metavar="ADDRESS",
                        help="run the items as Ray tasks on the cluster at ADDRESS (default: the running one)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")


def _model(weights: str | None):
    """The model the bake runs, for its named styles (UserError for unusable weights)."""
    from inference.rsmt.models import load_rsmt
    from inference.weights import WeightsError

    try:
        return load_rsmt(weights)
    except WeightsError as e:
        raise UserError(str(e)) from None


def run(args) -> int:
    from bake.items import check_specs, cross_items, read_items_csv
    from bake.run import BakeError, progress_bar, run_bake

    if (args.clips is None) == (args.items is None):
        raise UserError("give either --clips (every ordered pair) or --items ITEMS.csv")
    bad = [n for n in args.lengths if not MIN_LENGTH <= n <= MAX_LENGTH]
    if bad:
        raise UserError(f"--lengths must be {MIN_LENGTH}..{MAX_LENGTH} frames, got {bad}")
    try:
        items = read_items_csv(args.items) if args.items else cross_items(args.clips, args.styles, args.seeds,
                                                                          args.lengths)
    except ValueError as e:
        raise UserError(str(e)) from None
    check_specs(items, _model(args.weights) if any(i.style for i in items) else None)  # an unknown clip or
    # style: one error now, not one per item
    from inference.rsmt.models import DEFAULT_RSMT_DIR

    print_licence_note(args.weights or DEFAULT_RSMT_DIR)
    try:
        summary = run_bake(items, args.out, backend=args.backend, weights=args.weights, workers=args.workers,
                           ray_address=args.ray, progress=progress_bar(), batch=args.batch)
    except BakeError as e:
        raise UserError(str(e)) from None
    if args.json:
        print_json(summary)
    else:
        print(f"{args.out}: {summary['done']} baked, {summary['skipped']} already there, {summary['failed']} failed "
              f"of {summary['items']} items in {summary['seconds']:.1f} s")
    if summary["failed"]:
        print(f"error: {summary['failed']} items failed: see {args.out}/manifest.json", file=sys.stderr)
    return 1 if summary["failed"] else 0
