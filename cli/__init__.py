"""Command-line interface (Qt-free). Each command is a module `cli/<name>.py` with
`add_arguments(parser)` and `run(args) -> int`; DESIGN.md holds the contract."""
from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys

# command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "info": ("cli.info", "skeleton, frame count and fps of a motion file"),
    "retarget": ("cli.retarget", "play a clip on another humanoid skeleton (automatic or JSON joint map)"),
    "positions": ("cli.positions", "world-space joint positions as a .npy (frames, joints, 3)"),
    "convert": ("cli.convert", "convert between BVH and DeepMimic motion files"),
    "deepmimic": ("cli.deepmimic", "run a pretrained DeepMimic policy in pybullet, record it"),
    "compile": ("cli.compile", "precompile the MAX graphs into the compiled-model (MEF) store"),
    "evaluate": ("cli.evaluate", "RSMT metrics of the interpolation baseline (and trained models) on held-out transitions"),
    "compare": ("cli.compare", "PyTorch vs MAX parity: per network output, DeepMimic episode, transition"),
    "compare-transition": ("cli.compare_transition", "the Compare panel's torch-vs-MAX run of one transition, with its report"),
    "bench": ("cli.bench", "latency, throughput, memory and compile/load times of torch, MAX and ONNX Runtime"),
    "train": ("cli.train", "train the phase (PAE), manifold (StyleVAE) or sampler (TransitionNet) network"),
    "transition": ("cli.transition", "a stylized RSMT transition from a source clip to a target keyframe"),
    "bake": ("cli.bake", "many transitions at once (clip pairs x styles x seeds), on local processes or a Ray cluster"),
    "serve": ("cli.serve", "the HTTP service: transitions, compare, models, styles, Prometheus metrics"),
    "sequence": ("cli.sequence", "a sequence project (clips with a transition at each junction) as one take"),
    "styles": ("cli.styles", "build or list a model's named style library (one style per style label)"),
}


class UserError(Exception):
    """A mistake in what the user asked for or gave us: printed as `error: ...`, exit code 2."""


def require_in_range(option: str, value: float, low: float, high: float) -> None:
    """The check of a numeric option with a valid range (NaN is outside every range): a UserError
    `OPTION must be between LOW and HIGH, got VALUE` before any work starts."""
    if not low <= value <= high:
        raise UserError(f"{option} must be between {low:g} and {high:g}, got {value:g}")


def add_device_argument(parser) -> None:
    """--device for the commands that run MAX backends (see inference/backends/max/device.py)."""
    parser.add_argument("--device", choices=("cpu", "gpu", "auto"), default="cpu",
                        help="where the MAX backends compile for and run: cpu (default), gpu, or auto (a GPU "
                             "when MAX finds one, else the CPU); torch, ONNX Runtime and the Mojo extensions "
                             "stay on the CPU")


def use_device(choice: str) -> str:
    """Make --device `choice` this run's MAX device ("cpu" or "gpu"); a UserError when there is no GPU."""
    from inference.backends.max.device import NoGpu, select

    try:
        return select(choice)
    except NoGpu as e:
        raise UserError(f"--device {choice}: {e}") from None


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=1)
    sys.stdout.write("\n")


@contextlib.contextmanager
def stdout_to_stderr():
    """Send everything written to stdout (Python and C level, e.g. pybullet's import banner) to stderr, so a
    `--json` object printed after it stays the only thing on stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def print_warnings(warnings) -> None:
    """Reader/writer warnings (`FILE:LINE: ...`) on stderr, one `warning: ...` line each."""
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)


def print_licence_note(folder) -> None:
    """On stderr, the licence a model folder names (`inference.rsmt.models.model_licence`), so whoever makes
    motion with weights trained on licensed data (the Bandai Namco model: CC BY-NC 4.0) is told at once."""
    from inference.rsmt.models import LICENCE_FILE, model_licence

    licence = model_licence(folder)
    if licence:
        print(f"note: {folder}: {licence} (see {LICENCE_FILE} there); what is made with it carries that "
              "licence", file=sys.stderr)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command listed; options are added (and the module imported) for all
    commands, or only for `only`, so one command neither waits for nor breaks on the others' imports."""
    parser = argparse.ArgumentParser(prog="python main.py", description="Motion Studio command line")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(_module=module)
        if only is None or name == only:
            importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: list[str]) -> int:
    from motion.errors import MotionFileError

    command = argv[0] if argv and argv[0] in COMMANDS else ""
    args = build_parser(only=command).parse_args(argv)
    try:
        return int(importlib.import_module(args._module).run(args) or 0)
    except (UserError, MotionFileError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # stdout piped into a reader that stopped early (e.g. `| head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
