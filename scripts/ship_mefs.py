"""Compile every MAX model `python main.py compile` builds, for the portable CPU target (x86-64-v3), and ship
them in assets/max (xz-compressed MEFs, each with the store's sidecar: kind, structure, SHA-256 of the MEF).

    python scripts/ship_mefs.py [--jobs N]

The models compile in the store's spawned workers into a temporary store (MAX's kernel cache is the app's, so
kernels seen before are reused); shipped MEFs of graphs the builders no longer make are removed. Run it after
changing a graph builder or MAX's version: `tests/inference/test_inference_shipped_mefs.py` fails while a
shipped model is missing or stale. Only a machine whose CPU has x86-64-v3 can build them (`cpu_target`).
"""
from __future__ import annotations

import argparse
import json
import lzma
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MODULAR_TELEMETRY_ENABLED", "0")

from inference.backends.max.store import (PORTABLE_CPU, READY, SHIPPED_ROOT, MefStore, atomic_text,  # noqa: E402
                                          cache_root, cpu_target)
from motion.atomic import atomic_path  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, help="models compiled at once (default: one per core)")
    args = parser.parse_args()
    if cpu_target() != PORTABLE_CPU:
        print(f"error: this CPU compiles for {cpu_target()}, not {PORTABLE_CPU} "
              f"(unset MOTION_STUDIO_CPU_TARGET, or use a CPU with AVX2 and FMA)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ship-mefs-") as tmp:
        store = MefStore(Path(tmp) / "max", kernel_cache=cache_root() / "modular", shipped=None)
        status = store.ensure(progress=_print, jobs=args.jobs)
        failed = {k: store.failure(*k) for k, s in status.items() if s != READY}
        if failed:
            print(f"error: {len(failed)} models failed to compile: {failed}", file=sys.stderr)
            return 1
        out = SHIPPED_ROOT / store.mef_dir.relative_to(store.root)
        out.mkdir(parents=True, exist_ok=True)
        kept = set()
        for kind, preset in status:
            mef = store.mef_path(kind, preset)
            meta = json.loads(mef.with_suffix(".json").read_text())
            with atomic_path(out / (mef.name + ".xz")) as packed:
                packed.write_bytes(lzma.compress(mef.read_bytes(), preset=9 | lzma.PRESET_EXTREME))
            atomic_text(out / (mef.stem + ".json"), json.dumps(meta, indent=1, sort_keys=True) + "\n")
            kept |= {mef.name + ".xz", mef.stem + ".json"}
        for stale in sorted(p for p in out.iterdir() if p.name not in kept):
            stale.unlink()
            print(f"removed {stale.name} (no builder makes that graph any more)")
        size = sum((out / name).stat().st_size for name in kept)
        print(f"shipped {len(status)} models in {out} ({size / 1e6:.1f} MB)")
    return 0


def _print(p) -> None:
    if p.state != "compiling" or p.elapsed_s == 0:  # not the ticks of a running compile
        print(f"{p}; {p.overall()}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
