"""Can the app get more style out of a trained sampler without training it again? Issue 18's style accuracy
(transitions between held-out `normal` windows asked for each other style, `training.style_classifier`) for
levers that act at generation time only:

- evaluation: each transition a random training clip of the style (what `evaluate --style-accuracy` reports);
- named: the style library's named code, what `transition --style angry` uses (the medoid window before session
  32, the critic's pick among the style's windows since: `training.style_library`);
- extrapolated A: the named code at style strength A, pushed away from the library's mean `normal` code,
  c_normal + A (c - c_normal) (`style_reference.strengthened`, what `transition --style-strength A` does);
- best of K noises: the named code with zero and K - 1 draws of the app's target noise (N(0, 0.5)), the one the
  style critic rates most in the asked style kept, per transition;
- best of the style's clips: every training-split clip of the style (the library's windows), the critic's pick per
  transition; and, as a bound and not a method, "any of the style's clips": a hit if the classifier calls any
  of those transitions the asked style.

The critic is `training.style_critic`'s network, fitted here with another seed than training's on the training
split only; the classifier, the instrument, never chooses. 40-frame transitions through the app's clean-up.

    python scripts/style_levers.py [--weights assets/rsmt_bandai] [--alphas 1.5 2] [--noises 16] [--critic-seed S]
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MODULAR_TELEMETRY_ENABLED", "0")

LENGTH = 40


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", default=str(ROOT / "assets" / "rsmt_bandai"), help="model folder")
    parser.add_argument("--alphas", type=float, nargs="+", default=[1.5, 2.0])
    parser.add_argument("--noises", type=int, default=16)
    parser.add_argument("--critic-seed", type=int, default=None,
                        help="seed of the choosing critic (default: the first seed above 0 that the sampler's "
                             "training did not fit a critic with, so the sampler never learnt to please it)")
    args = parser.parse_args()
    if args.critic_seed is None:
        from motion.files import read_json
        from training.style_critic import unused_seed

        args.critic_seed = unused_seed(read_json(Path(args.weights) / "sampler.json").get("training", {}))

    import torch

    from cli.train import load_dataset
    from inference.networks.transitionnet import StyleCode
    from inference.rsmt.style_library import LIBRARY_FILE, StyleLibrary
    from inference.rsmt.style_reference import strengthened
    from inference.rsmt.transition import NOISE_STD
    from training.benchmark import PAST, app_pipeline, sampler_method, style_windows
    from training.datasets import style_clips
    from training.style_classifier import train_classifier
    from training.style_critic import fit_critic, style_log_probability
    from transition_landing import model_windows

    sampler, data = model_windows(args.weights, "bandai-namco", "test")
    dataset = load_dataset("bandai-namco", 0)
    classifier, _ = train_classifier(dataset, 0)
    critic, report = fit_critic(dataset, seed=args.critic_seed)
    library = StyleLibrary.load(Path(args.weights) / LIBRARY_FILE)
    names = list(data.style_names)
    normal = names.index("normal")
    sub = style_windows(data, "normal")
    rows = sub.num_windows
    win = {k: torch.from_numpy(np.ascontiguousarray(sub.windows[k])) for k in ("pos", "rot", "phase")}
    clips = style_clips([s for s in dataset.train if s.variant == "original"], dataset.roles, dataset.styles)
    clip_features = np.concatenate([clips["pos"], clips["vel"], clips["rot"]], -1).astype(np.float32)

    def code(features: np.ndarray) -> StyleCode:
        f = torch.from_numpy(np.ascontiguousarray(features))
        with torch.no_grad():
            return sampler.encode_style(sampler.style_input(f[..., :3], f[..., 3:6], f[..., 6:]))

    def one(features: np.ndarray) -> StyleCode:
        return code(np.repeat(features[None], rows, 0))

    def generate(style: StyleCode, noise: torch.Tensor | None = None) -> np.ndarray:
        from training.train_sampler import rollout_to_target

        noise = torch.zeros(rows, 2 * sampler.cfg.state_out) if noise is None else noise
        with torch.no_grad():
            out = rollout_to_target(sampler, win["pos"], win["rot"], win["phase"], style, PAST, LENGTH, noise)
        return app_pipeline(out["pos"].numpy(), out["rot"].numpy(), sub.windows, PAST + LENGTH - 1, sub)[0]

    def hits(pos: np.ndarray, name: str) -> np.ndarray:
        return classifier.predict(pos, data.roles) == classifier.styles.index(name)

    def best_of(candidates: list[np.ndarray], name: str) -> tuple[np.ndarray, np.ndarray]:
        """(hits of the critic's pick per transition, hits of any candidate)."""
        h = np.stack([hits(p, name) for p in candidates])
        pick = np.stack([style_log_probability(critic, p, name) for p in candidates]).argmax(0)
        return h[pick, np.arange(rows)], h.any(0)

    reference = {k: torch.from_numpy(v) for k, v in library.reference.items()}
    generator = torch.Generator().manual_seed(0)
    columns = ["evaluation", "named", *(f"extrapolated {a:g}" for a in args.alphas), f"best of {args.noises} noises",
               "best of the style's clips", "any of the style's clips"]
    table: dict[str, list[float]] = {}
    for s, name in enumerate(names):
        if s == normal:
            continue
        row = {"evaluation": hits(sampler_method(sampler, sub, style=s, pipeline="app")(sub.windows, PAST, LENGTH)[0],
                                  name)}
        named = one(library.style(name).features)
        row["named"] = hits(generate(named), name)
        for a in args.alphas:
            pushed = StyleCode(**strengthened(named._asdict(), reference, a))
            row[f"extrapolated {a:g}"] = hits(generate(pushed), name)
        noises = [generate(named)] + [generate(named, NOISE_STD * torch.randn(rows, 2 * sampler.cfg.state_out,
                                                                               generator=generator))
                                       for _ in range(args.noises - 1)]
        row[f"best of {args.noises} noises"] = best_of(noises, name)[0]
        own = [generate(one(f)) for f in clip_features[clips["style"] == s]]
        row["best of the style's clips"], row["any of the style's clips"] = best_of(own, name)
        table[name] = [float(np.mean(row[c])) for c in columns]
        print(f"  {name}: " + ", ".join(f"{c} {v:.1f}" for c, v in zip(columns, table[name])), file=sys.stderr)

    print(f"{rows} held-out normal windows, {LENGTH}-frame transitions through the app's clean-up; style critic "
          f"(seed {args.critic_seed}) held-out accuracy {report['heldout_accuracy']:.3f}; fraction the classifier "
          "calls the asked style")
    print(f"{'style':<14}" + "".join(f"{c:>{max(len(c), 6) + 2}}" for c in columns))
    for name, values in table.items():
        print(f"{name:<14}" + "".join(f"{v:>{max(len(c), 6) + 2}.1f}" for c, v in zip(columns, values)))
    values = np.array(list(table.values()))
    print(f"{'all':<14}" + "".join(f"{v:>{max(len(c), 6) + 2}.3f}" for c, v in zip(columns, values.mean(0))))
    print(f"{'never':<14}" + "".join(f"{n:>{max(len(c), 6) + 2}d}" for c, n in zip(columns, (values == 0).sum(0))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
