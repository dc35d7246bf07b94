"""`python main.py compile [--kinds K ...] [--presets P ...] [--force] [--jobs N] [--device cpu|gpu|auto]`:
precompile MAX graphs into the MEF store (default: every preset of every kind with a MAX graph).

On an x86-64 CPU with AVX2 and FMA the models are compiled for x86-64-v3, and those the project ships
(assets/max) are copied into the store, checked, instead of compiled: from an empty cache `compile` takes
seconds. `MOTION_STUDIO_CPU_TARGET=host` compiles for this very CPU instead (its own folder; nothing shipped).

Compiling runs in spawned worker processes, one per core (`--jobs`), smallest graph first, and prints one
line per model as it starts and ends, with the overall progress (models done / total, time left). A run
that is interrupted keeps the models it finished; running it again compiles the rest. Models already in the
store are listed with the time their compile took. `--force` recompiles them: MAX's own kernel cache then
makes it a warm compile, so `compile` followed by `compile --force` shows cold vs warm.
"""
from __future__ import annotations

import sys
import time

from cli import UserError, add_device_argument, print_json, use_device


def add_arguments(parser) -> None:
    parser.add_argument("--kinds", nargs="+", metavar="KIND",
                        help="model kinds to compile (default: every kind with a MAX graph)")
    parser.add_argument("--presets", nargs="+", metavar="PRESET",
                        help="only these size presets, e.g. humanoid3d lite (default: every preset of each kind)")
    parser.add_argument("--force", action="store_true", help="recompile models that are already compiled")
    parser.add_argument("--jobs", type=int, metavar="N",
                        help="models compiled at once (default: one per CPU core, as memory allows)")
    add_device_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object (progress goes to stderr)")


def run(args) -> int:
    from inference.backends.max.graphs import kinds as known_kinds
    from inference.backends.max.store import READY, MefStore, StoreNotWritable, compile_jobs, device_target, max_version

    device = use_device(args.device)
    if args.jobs is not None and args.jobs < 1:
        raise UserError(f"--jobs must be at least 1, got {args.jobs}")
    jobs = args.jobs or compile_jobs()
    kinds = args.kinds or known_kinds()
    unknown = [k for k in kinds if k not in known_kinds()]
    if unknown:
        raise UserError(f"no MAX graph for {', '.join(unknown)} (known: {', '.join(known_kinds())})")
    store = MefStore()
    out = sys.stderr if args.json else sys.stdout
    if not args.kinds:  # every kind that has a graph on this device
        kinds = [k for k in kinds if _builds(store, k, out)]
    try:
        before = {(k, p): store.status(k, p) for k in kinds for p in store.presets(k)
                  if not args.presets or p in args.presets}
    except ValueError as e:  # a kind that has no graph on this device
        raise UserError(str(e)) from None
    if not before:
        raise UserError(f"none of {', '.join(kinds)} has a preset {' or '.join(args.presets)}")
    print(f"MAX {max_version()}, {device} target {device_target(device)}, store {store.mef_dir}", file=out, flush=True)
    for (kind, preset), state in before.items():
        if state == READY and not args.force:
            info = store.info(kind, preset) or {}
            took = f" in {info['compile_s']:.1f} s" if info.get("compile_s") else ""
            how = f"shipped with the project (compiled{took})" if info.get("shipped") else f"compiled earlier{took}"
            print(f"{kind} ({preset}): ready, {how}", file=out, flush=True)
    compiled: dict[tuple[str, str], float] = {}
    live = out.isatty()

    def progress(p) -> None:
        if p.state == READY:
            compiled[(p.kind, p.preset)] = p.elapsed_s
        if p.state == "compiling" and p.elapsed_s > 0:
            if live:  # a ticking clock on a terminal, nothing in logs
                print(f"\r{p} [{p.overall()}]\033[K", end="", file=out, flush=True)
            return
        line = f"{p}; {p.overall()}" if p.state in (READY, "failed") else str(p)
        print(("\r" if live else "") + line + ("\033[K" if live else ""), file=out, flush=True)

    t0 = time.monotonic()
    try:
        after = store.ensure(kinds, progress, presets=args.presets, force=args.force, jobs=jobs)
    except StoreNotWritable as e:  # e.g. --force on a read-only store: say so instead of exiting 0
        raise UserError(str(e)) from None
    wall = time.monotonic() - t0
    rows = []
    for (kind, preset), state in after.items():
        info = (store.info(kind, preset) or {}) if state == READY else {}
        rows.append({"kind": kind, "preset": preset, "status": state, "compiled_now": (kind, preset) in compiled,
                     "compile_s": info.get("compile_s"),
                     "error": store.failure(kind, preset) if state != READY else None,
                     "mef": str(store.mef_path(kind, preset))})
    failed = [r for r in rows if r["status"] != READY]
    print(f"{len(rows) - len(failed)}/{len(rows)} ready; compiled {len(compiled)} in {wall:.1f} s "
          f"({jobs} at a time)", file=out)
    for r in failed:
        print(f"{r['kind']} ({r['preset']}): {r['status']} {(r['error'] or '').partition(chr(10))[0]}".rstrip(),
              file=out)
    if args.json:
        print_json({"rows": rows, "max_version": max_version(), "device": device, "target": device_target(device),
                    "store": str(store.mef_dir), "jobs": jobs, "wall_s": round(wall, 3)})
    return 1 if failed else 0


def _builds(store, kind: str, out) -> bool:
    """Whether `kind`'s graph builds for the store's device; says why not (e.g. a CPU-only graph on a GPU)."""
    try:
        store.status(kind)
        return True
    except ValueError as e:
        print(f"{kind}: skipped on {store.device}: {e}", file=out, flush=True)
        return False
