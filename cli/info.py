"""`info FILE [--json]`: skeleton (joint names, parents, channel orders), frame count, fps, and what the
reader repaired (warnings, also on stderr)."""
from __future__ import annotations

from cli import print_json, print_warnings
from motion.io import resolve_clip


def add_arguments(parser) -> None:
    parser.add_argument("file", help="motion file (.bvh or DeepMimic .txt) or embedded clip name")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--roles", action="store_true",
                        help="the humanoid parts found for retargeting (hips, spine, limbs) and what is missing")


def run(args) -> int:
    motion = resolve_clip(args.file)
    print_warnings(motion.warnings)
    if args.roles:
        return _print_roles(motion, args)
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


def _print_roles(motion, args) -> int:
    """The parts `motion.retarget` maps, the joints no part uses, and the rest pose it measures from."""
    from cli import UserError
    from motion.retarget import RetargetError, make_rig

    try:
        rig = make_rig(motion, args.file)
    except RetargetError as e:
        raise UserError(str(e)) from None
    used = set(rig.mapped_joints())
    unmapped = [n for n in motion.skeleton.names if n not in used]
    missing = [p for p, v in rig.parts.items() if v is None or v == []]
    rest = "zero rotations" if rig.rest is None else (
        f"frame {rig.rest_frame}, the one nearest to standing with the limbs down "
        "(the zero pose is not a standing body)")
    if args.json:
        print_json({"file": args.file, "parts": rig.parts, "missing": missing, "unmapped": unmapped,
                    "rest": "zero" if rig.rest is None else f"frame {rig.rest_frame}"})
        return 0
    width = max(len(p) for p in rig.parts)
    for part, value in rig.parts.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        print(f"{part:<{width}}  {shown or '(none)'}")
    print(f"missing   {', '.join(missing) or '(none)'}")
    print(f"unmapped  {', '.join(unmapped) or '(none)'}  (keep their rest rotation)")
    print(f"rest pose {rest}")
    return 0
