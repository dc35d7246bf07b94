"""`positions FILE --out P.npy`: world-space joint positions, float32 (frames, joints, 3), in the file's
units, joints in file order (End Sites excluded); written atomically."""
from __future__ import annotations

import numpy as np

from cli import UserError, print_warnings
from motion.fk import world_positions
from motion.atomic import atomic_write, require_finite
from motion.io import resolve_clip


def add_arguments(parser) -> None:
    parser.add_argument("file", help="motion file (.bvh or DeepMimic .txt) or embedded clip name")
    parser.add_argument("--out", required=True, metavar="P.npy", help="where to write the positions (.npy)")


def run(args) -> int:
    if not args.out.lower().endswith(".npy"):
        raise UserError(f"{args.out}: --out must name a .npy file")
    motion = resolve_clip(args.file)
    print_warnings(motion.warnings)
    positions = world_positions(motion).astype(np.float32)
    require_finite(args.out, "joint positions", positions)
    with atomic_write(args.out, "wb") as f:
        np.save(f, positions)
    frames, joints, _ = positions.shape
    print(f"wrote {args.out}: {frames} frames x {joints} joints x 3 (float32, file units)")
    return 0
