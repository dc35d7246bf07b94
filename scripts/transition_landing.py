"""Where a sampler's transitions go wrong, frame by frame: the mean joint position error (cm) of the raw
sampler ("rsmt" of `evaluate`) and of interpolation at each transition frame, the last frame being the
target keyframe both are given, on a model's held-out or training windows (`training.benchmark`).
Interpolation lands on the keyframe by construction; a sampler that does not shows a large last-frame error,
which at 10 frames is most of its L2P (issue 18's bug hunt).

    .venv/bin/python scripts/transition_landing.py --weights assets/rsmt_bandai --data bandai-namco
    .venv/bin/python scripts/transition_landing.py --weights assets/rsmt_lite --data embedded --split train
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def model_windows(weights: str, data: str, split: str):
    """(the model's sampler, training.benchmark.BenchmarkData of `data`'s `split` windows, phase-annotated with the
    model's phase network): a model folder (phase + sampler) and 'embedded', 'bandai-namco' or a data set folder."""
    import torch

    from inference.networks.rsmt_networks import build_network
    from inference.weights import WeightSet
    from training.benchmark import dataset_benchmark, embedded_benchmark
    from training.train_manifold import phase_function

    torch.set_num_threads(1)
    folder = Path(weights)
    sampler_weights = WeightSet.load(folder / "sampler")
    sampler = build_network(sampler_weights, "rsmt_sampler")
    phase_fn = phase_function(WeightSet.load(folder / "phase"), torch.device("cpu"))
    if data == "embedded":
        held = sampler_weights.config.get("training", {}).get("held_out")
        return sampler, embedded_benchmark(phase_fn=phase_fn, split=split, held_out=tuple(held) if held else None)
    from cli.train import load_dataset

    dataset = load_dataset(data, 0)
    return sampler, dataset_benchmark(dataset, dataset.test if split == "test" else dataset.train, phase_fn,
                                      style_from_training=True)


def print_rows(rows: list[dict]) -> None:
    """training.benchmark.run_benchmark rows as a table: method, length, L2P, L2Q, NPSS, foot skate."""
    print(f"{'method':<16} {'length':>6} {'L2P':>8} {'L2Q':>8} {'NPSS':>8} {'skate':>8}")
    for row in rows:
        print(f"{row['method']:<16} {row['length']:>6} {row['L2P']:8.4f} {row['L2Q']:8.4f} {row['NPSS']:8.4f} "
              f"{row['foot_skate']:8.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", required=True, help="model folder (phase + sampler)")
    parser.add_argument("--data", default="embedded", help="embedded, bandai-namco or a data set folder")
    parser.add_argument("--split", choices=("test", "train"), default="test")
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 20, 40])
    args = parser.parse_args()

    from training.benchmark import PAST, interpolation_method, sampler_method

    sampler, data = model_windows(args.weights, args.data, args.split)
    truth = data.windows["pos"]
    print(f"{data.num_windows} {args.split} windows; mean joint position error (cm) per transition frame")
    for length in args.lengths:
        for name, method in (("interpolation", interpolation_method(data.parents)), ("rsmt", sampler_method(sampler, data))):
            pos, _ = method(data.windows, PAST, length)
            err = np.linalg.norm(pos - truth[:, PAST:PAST + length], axis=-1).mean(axis=(0, 2))
            frames = " ".join(f"{e:5.1f}" for e in err[:: max(1, length // 10)])
            print(f"L={length:<3} {name:<13} mean {err.mean():6.2f}  target {err[-1]:6.2f}  frames {frames}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
