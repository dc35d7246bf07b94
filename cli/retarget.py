"""`retarget IN OUT --to SKELETON.bvh|humanoid3d [--map MAP.json] [--save-map MAP.json]`: a clip played on
another humanoid skeleton (motion.retarget). The skeleton comes from any motion file or embedded clip
(`humanoid3d` names the DeepMimic skeleton); the joint map is found from names and hierarchy unless
--map gives one, and --save-map writes the map used (edit it to fix a part, pass it back with --map; one
map serves both directions, so IN -> OUT -> IN with the same map is a round trip)."""
from __future__ import annotations

from cli import UserError, print_warnings
from motion.io import motion_file_type, resolve_clip, save_motion


def add_arguments(parser) -> None:
    parser.add_argument("input", metavar="IN", help="motion file (.bvh or DeepMimic .txt) or embedded clip name")
    parser.add_argument("output", metavar="OUT", help="motion file to write (.bvh or DeepMimic .txt)")
    parser.add_argument("--to", required=True, metavar="SKELETON",
                        help="motion file or embedded clip whose skeleton to retarget onto; humanoid3d for "
                             "the DeepMimic skeleton")
    parser.add_argument("--map", metavar="MAP.json", help="joint map to use instead of the automatic one")
    parser.add_argument("--save-map", metavar="MAP.json", help="write the joint map used to this file")


def target_clip(spec: str):
    """The clip whose skeleton (and, for a rig whose zero pose is not standing, the rest pose) is the target."""
    if spec == "humanoid3d":
        from motion.deepmimic import humanoid3d_motion, humanoid3d_skeleton
        import numpy as np

        j = humanoid3d_skeleton().num_joints
        return humanoid3d_motion(np.zeros((1, 3)), np.tile([1.0, 0, 0, 0], (1, j, 1)), 30.0, name="humanoid3d")
    return resolve_clip(spec)


def run(args) -> int:
    from motion.joint_map import load_map, save_map
    from motion.retarget import RetargetError, retarget

    motion_file_type(args.output)
    motion = resolve_clip(args.input)
    print_warnings(motion.warnings)
    target = target_clip(args.to)
    joint_map = load_map(args.map) if args.map else None
    try:
        out, joint_map = retarget(motion, target, joint_map, map_path=args.map, target_where=args.to)
    except RetargetError as e:
        raise UserError(str(e)) from None
    if args.save_map:
        save_map(joint_map, args.save_map)
    print_warnings(save_motion(out, args.output))
    print(f"wrote {args.output}: {out.num_frames} frames at {out.fps:.6g} fps on the skeleton of {args.to} "
          f"({out.skeleton.num_joints} joints)")
    return 0
