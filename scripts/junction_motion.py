"""How far the feet and the root move in one frame around each junction of a sequence, against the clips' own
motion: finds pops where a transition hands over (issue 20: a foot moving 0.72 m in one frame).

    .venv/bin/python scripts/junction_motion.py PROJECT.json [--weights assets/rsmt_lite] [--no-foot-lock]

Renders the sequence as `python main.py sequence PROJECT.json --out ...` does (torch unless the project says
otherwise), then prints, per clip on the track, its own median and largest per-frame ankle and root
displacement, and per segment of the take the largest ones and where they happen, plus each hand-over frame.
Units: the clips' (humanoid3d: metres).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout, not an installed copy


def steps(positions: np.ndarray) -> np.ndarray:
    """(F - 1, J): how far each joint moves from each frame to the next."""
    return np.linalg.norm(np.diff(positions, axis=0), axis=-1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project")
    parser.add_argument("--weights", default=None, help="RSMT weights folder (default: assets/rsmt_lite)")
    parser.add_argument("--no-foot-lock", action="store_true", help="render without foot locking, to compare")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    from inference.rsmt.models import load_rsmt
    from inference.rsmt.sequence import render_sequence, used_frames
    from inference.rsmt.sequence_file import load_sequence, resolve
    from inference.rsmt.transition import TransitionGenerator
    from motion.fk import world_positions

    sequence = load_sequence(args.project)
    clips, styles = resolve(sequence, Path(args.project).parent)
    generator = TransitionGenerator(load_rsmt(args.weights))
    if args.no_foot_lock:
        generate = generator.generate
        generator.generate = lambda request, progress=None: generate(replace(request, lock_feet=False), progress)
    result = render_sequence(sequence, clips, styles, generator)
    names = result.motion.skeleton.names
    feet = [i for i, n in enumerate(names) if "ankle" in n.lower() or "foot" in n.lower()]
    print(f"feet: {', '.join(names[i] for i in feet)}; take: {result.motion.num_frames} frames")
    for i, (clip, track) in enumerate(zip(clips, sequence.clips)):
        own = steps(world_positions(used_frames(clip, track, f"clips[{i}]")))
        print(f"clips[{i}] {track.clip} own motion: foot median {np.median(own[:, feet]):.3f} largest "
              f"{own[:, feet].max():.3f}; root median {np.median(own[:, 0]):.3f} largest {own[:, 0].max():.3f}")
    take = steps(world_positions(result.motion))
    for seg in result.segments:
        lo, hi = max(seg.start - 1, 0), min(seg.stop, len(take))  # from the frame before the segment
        part = take[lo:hi]
        foot = part[:, feet].max(axis=1)
        at = lo + int(np.argmax(foot))
        print(f"{seg.kind} {seg.index} (frames {seg.start}-{seg.stop - 1}): largest foot {foot.max():.3f} "
              f"({at}->{at + 1}), largest root {part[:, 0].max():.3f}")
    for seg in result.segments[1:]:
        t = seg.start
        print(f"hand-over into {seg.kind} {seg.index} ({t - 1}->{t}): foot {take[t - 1, feet].max():.3f}, "
              f"root {take[t - 1, 0]:.3f}")


if __name__ == "__main__":
    main()
