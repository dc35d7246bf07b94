"""`convert IN OUT [--fps F] [--scale S]`: BVH <-> BVH / DeepMimic .txt, chosen by extension.

--scale multiplies every length (offsets, End Sites, translations), e.g. 0.01 for centimetres to
metres; --fps resamples (rotations slerped, translations interpolated) keeping the duration."""
from __future__ import annotations

import math

import numpy as np

from cli import UserError, print_warnings, require_in_range
from motion.io import motion_file_type, resolve_clip, save_motion
from motion.motion import FPS_RANGE, Motion
from motion.skeleton import Skeleton


def add_arguments(parser) -> None:
    parser.add_argument("input", metavar="IN",
                        help="motion file to read (.bvh or DeepMimic .txt) or embedded clip name")
    parser.add_argument("output", metavar="OUT", help="motion file to write: .bvh or DeepMimic .txt")
    parser.add_argument("--fps", type=float, help="resample to this frame rate")
    parser.add_argument("--scale", type=float, help="multiply all lengths by this factor")


def run(args) -> int:
    if args.scale is not None and not (math.isfinite(args.scale) and args.scale > 0):
        raise UserError(f"--scale must be a positive number, got {args.scale:g}")
    if args.fps is not None:
        require_in_range("--fps", args.fps, *FPS_RANGE)
    motion_file_type(args.output)  # fail on an unknown output type before reading anything
    motion = resolve_clip(args.input)
    print_warnings(motion.warnings)
    if args.scale is not None:
        motion = scaled(motion, args.scale)
    if args.fps is not None:
        from motion.ops import resample

        try:
            motion = resample(motion, args.fps)
        except ValueError as e:  # more frames than MAX_FRAMES
            raise UserError(f"{args.input}: {e}") from None
    print_warnings(save_motion(motion, args.output))
    print(f"wrote {args.output}: {motion.num_frames} frames at {motion.fps:.6g} fps")
    return 0


def scaled(motion: Motion, factor: float) -> Motion:
    """The clip with every length multiplied by `factor` (rotations unchanged). A factor that overflows
    float32 gives infinities, which the writer refuses with a clear error."""
    sk = motion.skeleton
    with np.errstate(over="ignore", invalid="ignore"):
        skeleton = Skeleton(list(sk.names), sk.parents.copy(), sk.offsets * factor, list(sk.channels),
                            {j: offset * factor for j, offset in sk.end_sites.items()})
        return Motion(skeleton, motion.rotations.copy(), motion.translations * factor, motion.fps,
                      name=motion.name, source=motion.source, warnings=list(motion.warnings))
