"""Transitions between the same two keyframes in several named styles, side by side: one BVH per style and a
PNG filmstrip (side and top views of every 4th generated frame, one row per style), so the styles can be seen.

    .venv/bin/python scripts/style_transitions.py --weights assets/rsmt_bandai --styles angry old \\
        --source DATA/dataset-1_walk_normal_001.bvh:100 --target DATA/dataset-1_walk-right_normal_001.bvh:30 \\
        --length 40 --out-dir docs/styles

Clips of the Bandai Namco rig have their `joint_Root` folded into `Hips` first (`training.bandai.fold_root`),
as the model was trained.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _clip(spec: str):
    from motion.io import parse_clip_spec, resolve_clip
    from training.bandai import fold_root

    path, frame = parse_clip_spec(spec)
    motion = resolve_clip(path)
    if motion.skeleton.names[0] == "joint_Root":
        motion = fold_root(motion)
    return motion, frame


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", required=True)
    parser.add_argument("--styles", nargs="+", required=True)
    parser.add_argument("--source", required=True, metavar="FILE:FRAME")
    parser.add_argument("--target", required=True, metavar="FILE:FRAME")
    parser.add_argument("--length", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", required=True)
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from inference.rsmt.models import load_rsmt
    from inference.rsmt.style_library import model_library
    from inference.rsmt.transition import TransitionGenerator, TransitionRequest
    from motion.bvh import write_bvh
    from motion.fk import global_transforms

    model = load_rsmt(args.weights)
    library = model_library(model)
    if library is None:
        sys.exit(f"error: {args.weights}: no style library (run `python main.py styles build`)")
    source, sf = _clip(args.source)
    target, tf = _clip(args.target)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    generator = TransitionGenerator(model)
    fig, axes = plt.subplots(len(args.styles), 1, figsize=(16, 3.6 * len(args.styles)), squeeze=False)
    for row, style in enumerate(args.styles):
        result = generator.generate(TransitionRequest(source, target, length=args.length, source_frame=sf,
                                                      target_frame=tf, style=library.style(style), seed=args.seed))
        write_bvh(result.motion, out / f"transition_{style}.bvh")
        m = result.motion
        pos = global_transforms(m.skeleton, m.rotations, m.translations)[1]
        frames = list(range(result.generated.start, result.generated.stop, 4)) + [result.generated.stop - 1]
        # seen from the side of the travel: the horizontal axis the hips move along most, each pose set apart
        travel = pos[frames[-1], 0] - pos[frames[0], 0]
        axis = 0 if abs(travel[0]) >= abs(travel[2]) else 2
        ax = axes[row, 0]
        for k, f in enumerate(frames):
            colour = plt.cm.viridis(k / max(len(frames) - 1, 1))
            x = pos[f, :, axis] - pos[f, 0, axis] + 70.0 * k
            for j, p in enumerate(m.skeleton.parents):
                if p >= 0:
                    ax.plot(x[[p, j]], pos[f, [p, j], 1], color=colour, lw=1.5)
        ax.set_aspect("equal")
        ax.set_yticks([])
        ax.set_xticks([70.0 * k for k in range(len(frames))], [str(f - result.generated.start) for f in frames])
        ax.set_title(f"style '{style}': generated frames {', '.join(str(f - result.generated.start) for f in frames)} "
                     f"seen from the side (dark = first)")
    fig.tight_layout()
    fig.savefig(out / "transitions_by_style.png", dpi=90)
    print(f"wrote {out}/transition_<style>.bvh and {out}/transitions_by_style.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
