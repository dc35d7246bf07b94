"""Mutation fuzzing of `info --json` on the real BVH files (../shared/bvh, ../shared/datasets):
`python scripts/fuzz_info.py [--cases 10000] [--seed 0] [--workers 2] [--code CHECKOUT]`.

Each case takes one real file, applies 1-4 random byte-level mutations (tests/bvh_mutations.py) and runs `info FILE --json` in-process
(`cli.main`, stdout and stderr captured) in a worker process. It counts
- tracebacks: any exception out of cli.main (the CLI turns bad input into `error: ...`, exit 2),
- hangs: a case still running after 20 s (SIGALRM in the worker),
- non-finite outputs: an exit-0 case whose stdout is not strict JSON or holds a NaN/infinite number,
- bad exits: an exit code other than 0 or 2, or exit 2 without one `error: FILE...` line,
and prints the totals as JSON (with the first few failing cases kept under --keep, default /tmp/fuzz_info).
Not part of the test suite (minutes of CPU); tests/motion/test_motion_fuzz.py is the bounded version."""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import multiprocessing
import signal
import sys
import tempfile
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from bvh_mutations import mutate  # noqa: E402 (tests/bvh_mutations.py, shared with the hypothesis fuzz test)

HANG_SECONDS = 20


def source_files() -> list[Path]:
    files = sorted((SHARED / "bvh").glob("*.bvh")) + sorted((SHARED / "datasets").rglob("*.bvh"))
    if not files:
        sys.exit(f"no BVH files under {SHARED}/bvh or {SHARED}/datasets")
    return files


def _alarm(signum, frame):
    raise TimeoutError("hang")


def finite_json(text: str) -> bool:
    def refuse(constant):
        raise ValueError(constant)

    def walk(v) -> bool:
        if isinstance(v, float):
            return math.isfinite(v)
        if isinstance(v, dict):
            return all(walk(x) for x in v.values())
        if isinstance(v, list):
            return all(walk(x) for x in v)
        return True

    try:
        return walk(json.loads(text, parse_constant=refuse))
    except ValueError:
        return False


def run_cases(job: tuple[list[int], int, str, str]) -> dict:
    """Worker: cases `ids` with seeds derived from `seed`, through the CLI of the checkout `code`; returns
    counts and the first failing cases."""
    ids, seed, keep, code = job
    sys.path.insert(0, code)
    import cli
    files = source_files()
    cache = {}
    counts = {"cases": 0, "exit_0": 0, "exit_2": 0, "tracebacks": 0, "hangs": 0, "non_finite": 0, "bad_exit": 0}
    failures = []
    signal.signal(signal.SIGALRM, _alarm)
    with tempfile.TemporaryDirectory() as tmp:
        for case in ids:
            rng = np.random.default_rng([seed, case])
            src = files[int(rng.integers(len(files)))]
            data = cache.setdefault(src, src.read_bytes())
            path = Path(tmp) / f"case{case}.bvh"
            path.write_bytes(mutate(data, rng, int(rng.integers(1, 5))))
            out, err = io.StringIO(), io.StringIO()
            kind = None
            signal.alarm(HANG_SECONDS)
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    code = cli.main(["info", str(path), "--json"])
            except TimeoutError:
                kind, code = "hangs", None
            except BaseException:  # noqa: BLE001 (counting exactly these)
                kind, code = "tracebacks", None
                err.write(traceback.format_exc())
            finally:
                signal.alarm(0)
            counts["cases"] += 1
            if kind is None:
                errors = [l for l in err.getvalue().splitlines() if l.startswith("error: ")]
                if code == 0:
                    counts["exit_0"] += 1
                    if not finite_json(out.getvalue()):
                        kind = "non_finite"
                elif code == 2 and len(errors) == 1 and errors[0].startswith(f"error: {path}"):
                    counts["exit_2"] += 1
                else:
                    kind = "bad_exit"
            if kind is not None:
                counts[kind] += 1
                if len(failures) < 5:
                    kept = Path(keep) / f"{kind}_{case}.bvh"
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    kept.write_bytes(path.read_bytes())
                    failures.append({"case": case, "kind": kind, "source": src.name, "kept": str(kept),
                                     "stderr": err.getvalue()[-600:]})
            path.unlink()
    return {"counts": counts, "failures": failures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", default="/tmp/fuzz_info", help="folder for failing inputs")
    parser.add_argument("--code", default=str(ROOT),
                        help="checkout whose CLI runs the cases (default this one; another for before/after)")
    args = parser.parse_args()
    files = source_files()
    ids = list(range(args.cases))
    batches = [ids[k:k + 250] for k in range(0, len(ids), 250)]
    total = {"files": len(files), "seed": args.seed, "code": args.code}
    failures = []
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for result in pool.imap_unordered(run_cases, [(b, args.seed, args.keep, args.code) for b in batches]):
            for k, v in result["counts"].items():
                total[k] = total.get(k, 0) + v
            failures.extend(result["failures"])
            print(f"{total['cases']}/{args.cases} cases, tracebacks {total['tracebacks']}, hangs {total['hangs']}, "
                  f"non-finite {total['non_finite']}, bad exits {total['bad_exit']}", file=sys.stderr, flush=True)
    total["failures"] = failures[:10]
    print(json.dumps(total, indent=1))


if __name__ == "__main__":
    main()
