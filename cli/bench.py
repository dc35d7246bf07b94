"""`python main.py bench [--quick] [--e2e] [--json F] [--backends B ...] [--kinds K ...] [--model M] [--runs N]
[--compile-times]`: the end-to-end transition (request to finished Motion, 10/30/60 frames, with speed-ups over
PyTorch and ONNX Runtime and a prepare / networks / post breakdown), latency (batch 1) and throughput (batch 64)
of every network and of the DeepMimic policy step on PyTorch, MAX, ONNX Runtime (and any other registered
backend), interleaved medians with ratios against PyTorch;
model load times, the memory of a worker holding the model on one backend alone, and (opt-in, about a
minute per model) cold and warm MAX compile times. `--model bandai` times that shipped model's networks with its
trained weights and whole transitions with it.

`--json F` writes the report to F (`-` for stdout) and keeps the table on the terminal."""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from cli import UserError, add_device_argument, print_json, stdout_to_stderr, use_device
from motion.atomic import atomic_write


def add_arguments(parser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="DeepMimic networks only, 5 runs each: a smoke test, not stable numbers")
    add_device_argument(parser)
    parser.add_argument("--json", metavar="F", help="write the JSON report to F ('-': stdout instead of the table)")
    parser.add_argument("--e2e", action="store_true",
                        help="only the end-to-end transition rows (transition_e2e_*): no network rows or memory probes")
    parser.add_argument("--backends", nargs="+", metavar="B",
                        help="backends to time (default: every registered one; torch is always included)")
    parser.add_argument("--kinds", nargs="+", metavar="KIND", help="network kinds to time (default: all)")
    parser.add_argument("--runs", type=int, help="timed runs per case (default 30; --quick: 5)")
    parser.add_argument("--policy", default="walk", help="DeepMimic policy whose weights are timed (default walk)")
    parser.add_argument("--no-memory", action="store_true", help="skip the per-backend worker memory probes")
    parser.add_argument("--model", choices=("humanoid3d", "bandai"), default=None,
                        help="time a shipped transition model: its RSMT networks (unless --kinds says otherwise) "
                             "with its trained weights at its sizes, and whole transitions with it")
    parser.add_argument("--compile-times", action="store_true",
                        help="also measure cold and warm MAX compiles (fresh kernel cache; ~1 min per model)")


def run(args) -> int:
    use_device(args.device)  # before any backend is made: MAX's device is chosen per run
    from inference.backends.base import ALL_BACKENDS, BackendNotReady
    from parity.bench import BenchConfig, run_bench
    from inference.backends.torch_backend import BUILDERS
    from inference.weights import WeightsError

    config = BenchConfig.quick() if args.quick else BenchConfig()
    if args.runs is not None:
        if args.runs < 2:
            raise UserError(f"--runs must be at least 2 (a median and percentiles), got {args.runs}")
        config = replace(config, runs=args.runs)
    if args.backends:
        unknown = [b for b in args.backends if b not in ALL_BACKENDS]
        if unknown:
            raise UserError(f"unknown backend {', '.join(unknown)} (choose from {', '.join(ALL_BACKENDS)})")
        config = replace(config, backends=tuple(args.backends))
    if args.kinds:
        unknown = [k for k in args.kinds if k not in BUILDERS]
        if unknown:
            raise UserError(f"unknown model kind {', '.join(unknown)} (known: {', '.join(BUILDERS)})")
        config = replace(config, kinds=tuple(args.kinds))
    if args.model:
        from inference.networks.rsmt_config import NETWORK_OF_KIND
        from inference.rsmt.models import model_preset

        config = replace(config, model=args.model, preset=model_preset(args.model),
                         kinds=config.kinds if args.kinds else tuple(k for k in BUILDERS if k in NETWORK_OF_KIND))
    config = replace(config, policy=args.policy, memory=not args.no_memory, compile_times=args.compile_times,
                     e2e_only=args.e2e)
    to_stdout = args.json == "-"
    try:
        with stdout_to_stderr():
            report = run_bench(config, progress=lambda p: print(p, file=sys.stderr, flush=True))
    except (BackendNotReady, WeightsError) as e:
        raise UserError(str(e)) from None
    if to_stdout:
        print_json(report.to_json())
        return 0
    print(report.table())
    print(f"({report.seconds:.1f} s)")
    if args.json:
        _write_json(Path(args.json), report.to_json())
    return 0


def _write_json(path: Path, obj) -> None:
    if path.parent and not path.parent.is_dir():
        raise UserError(f"{path}: folder does not exist")
    with atomic_write(path) as f:
        f.write(json.dumps(obj, indent=1) + "\n")
