"""`info FILE [--json]`: skeleton (joint names, parents, channel orders), frame count, fps, and what the
reader repaired (warnings, also on stderr)."""
from __future__ import annotations

from cli import print_json, print_warnings
from motion.io import resolve_clip


def add_arguments(parser) -> None:
    parser.add_argument("file", help="motion file (.bvh or DeepMimic .txt) or embedded clip name")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def run(args) -> int:
    motion = resolve_clip(args.file)
    print_warnings(motion.warnings)
    skeleton = motion.skeleton
    names = skeleton.names
    parents = [int(p) for p in skeleton.parents]
    if args.json:
        print_json({
            "file": args.file,
            "joints": names,
            "parents": parents,
            "channels": [list(c) for c in skeleton.channels],
            "end_sites": [names[j] for j in sorted(skeleton.end_sites)],
            "frames": motion.num_frames,
            "fps": motion.fps,
            "frame_time": 1.0 / motion.fps,
            "duration": motion.duration,
            "warnings": motion.warnings,
        })
        return 0
    print(f"file      {args.file}")
    print(f"frames    {motion.num_frames}")
    print(f"fps       {motion.fps:.6g}  (frame time {1.0 / motion.fps:.7g} s)")
    print(f"duration  {motion.duration:.3f} s")
    print(f"joints    {skeleton.num_joints}  ({len(skeleton.end_sites)} with an End Site)")
    width = max(len(n) for n in names)
    print(f"  {'#':>3}  {'joint':<{width}}  {'parent':<{width}}  channels")
    for j, name in enumerate(names):
        parent = names[parents[j]] if parents[j] >= 0 else "-"
        print(f"  {j:>3}  {name:<{width}}  {parent:<{width}}  {' '.join(skeleton.channels[j]) or '(none)'}")
    if motion.warnings:
        print(f"warnings  {len(motion.warnings)} (see stderr)")
    return 0
