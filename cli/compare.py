"""`python main.py compare [--model M ...] [--preset P] [--policy NAME] [--against B] [--json]`: how far the
MAX port (or another backend) is from the PyTorch reference, per network output, on a recorded DeepMimic
episode and, once the transition API is there, per transition frame and joint. `--model bandai` (a shipped
transition model's name) compares that model's networks with its trained weights and a transition with it.

A candidate model that is not compiled is an error (exit 2) telling the user to run `python main.py compile`:
compare never quietly runs torch against itself."""
from __future__ import annotations

import sys

from cli import UserError, add_device_argument, print_json, stdout_to_stderr, use_device
from inference.backends.base import ALL_BACKENDS
from sim.env import POLICIES


def add_arguments(parser) -> None:
    parser.add_argument("--model", nargs="+", metavar="KIND",
                        help="model kinds to compare (default: every kind both backends have), or a shipped "
                             "transition model (humanoid3d, bandai): its networks with its trained weights, at its "
                             "sizes, and a transition with it")
    parser.add_argument("--preset", default="lite", choices=["lite", "paper"],
                        help="RSMT network sizes (default lite); DeepMimic networks use the shipped policy")
    parser.add_argument("--policy", default="walk", choices=list(POLICIES),
                        help="DeepMimic policy whose weights and episode are compared (default walk)")
    parser.add_argument("--against", default="max", choices=[b for b in ALL_BACKENDS if b != "torch"],
                        help="backend compared with the torch reference (default max)")
    parser.add_argument("--episode-seconds", type=float, default=3.0,
                        help="simulated seconds of the recorded DeepMimic episode, 0 to skip (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the inputs and random weights (default 0)")
    add_device_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    use_device(args.device)  # before any backend is made: MAX's device is chosen per run
    from inference.backends.base import BackendNotReady
    from parity.compare import run_compare
    from inference.weights import WeightsError

    if not args.episode_seconds >= 0:
        raise UserError(f"--episode-seconds must be 0 or more, got {args.episode_seconds}")
    from inference.rsmt.models import MODEL_DIRS

    named = [m for m in args.model or [] if m in MODEL_DIRS]
    if len(named) > 1:
        raise UserError(f"--model: one shipped model at a time, got {', '.join(named)}")
    kinds = [m for m in args.model or [] if m not in MODEL_DIRS] or None
    progress = (lambda m: print(m, file=sys.stderr, flush=True)) if not args.json else None
    try:
        with stdout_to_stderr():
            report = run_compare(kinds, candidate=args.against, preset=args.preset, policy=args.policy,
                                 episode_seconds=args.episode_seconds, seed=args.seed, progress=progress,
                                 model=named[0] if named else None)
    except (BackendNotReady, WeightsError) as e:
        raise UserError(str(e)) from None
    except ValueError as e:
        if kinds:  # an unknown --model kind: anything else is a bug and keeps its traceback
            raise UserError(str(e)) from None
        raise
    if args.json:
        print_json(report.to_json())
    else:
        print(report.table())
        print(f"({report.seconds:.1f} s)")
    return 0
