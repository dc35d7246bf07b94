"""Two trained weight sets of one network mixed parameter by parameter: (1 - share) A + share B, with B's config
and a record of the mix in its "training" entry. How the shipped Bandai Namco sampler is made (issue 18,
session 31: 0.9 of a sampler trained from scratch with four style critics and 0.1 of one trained from scratch
without the style term, from the same initial weights; assets/rsmt_bandai/training_log/sampler_shipped.sh).

    python scripts/mix_weights.py A.safetensors B.safetensors --share 0.9 --out OUT.safetensors
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def mix(a, b, share: float):
    """The WeightSet (1 - share) a + share b (float64 sums, stored as float32); a tensor equal in both (a sampler's
    frozen decoder) is kept bit for bit, so the mix still matches its manifold (`train --init` checks that).
    ValueError unless a and b hold the same tensors of the same shapes, integer tensors equal."""
    from inference.weights import WeightSet

    if a.tensors.keys() != b.tensors.keys():
        raise ValueError(f"{a.path} and {b.path} hold different tensors")
    tensors = {}
    for name, x in a.tensors.items():
        y = b.tensors[name]
        if x.shape != y.shape or x.dtype != y.dtype:
            raise ValueError(f"tensor {name!r}: {x.shape} {x.dtype} in {a.path}, {y.shape} {y.dtype} in {b.path}")
        if np.array_equal(x, y):
            tensors[name] = x
        elif x.dtype.kind != "f":
            raise ValueError(f"integer tensor {name!r} differs between {a.path} and {b.path}")
        else:
            tensors[name] = ((1.0 - share) * x.astype(np.float64) + share * y).astype(x.dtype)
    config = dict(b.config)
    config["training"] = {**b.config.get("training", {}),
                          "mixed": {"a": str(a.path), "b": str(b.path), "share_of_b": share}}
    return WeightSet(config, tensors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--share", type=float, required=True, help="B's share, 0..1")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    from inference.weights import WeightSet, WeightsError

    if not 0.0 <= args.share <= 1.0:
        print(f"error: --share must be in 0..1, got {args.share}", file=sys.stderr)
        return 2
    try:
        mixed = mix(WeightSet.load(args.a), WeightSet.load(args.b), args.share)
    except (WeightsError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    mixed.save(args.out)
    print(f"wrote {Path(args.out).with_suffix('.safetensors')} and its .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
