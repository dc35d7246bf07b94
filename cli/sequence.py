"""`sequence PROJECT.json --out OUT.bvh [--weights DIR] [--json]`: a sequence project (clips with a
transition at each junction, `inference.rsmt.sequence_file`) rendered as one take and written to OUT (BVH or
DeepMimic .txt), 30 fps on the first clip's skeleton."""
from __future__ import annotations

import sys
from pathlib import Path

from cli import UserError, add_device_argument, print_json, print_licence_note, use_device


def add_arguments(parser) -> None:
    parser.add_argument("project", metavar="PROJECT.json", help="sequence project file")
    parser.add_argument("--out", required=True, metavar="OUT.bvh", help="output motion file (.bvh or DeepMimic .txt)")
    parser.add_argument("--weights", default=None, metavar="DIR",
                        help="RSMT weights folder with phase and sampler .safetensors/.json (default assets/rsmt_lite)")
    add_device_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")


def run(args) -> int:
    use_device(args.device)  # before any backend is made: MAX's device is chosen per run
    from inference.backends.base import BackendNotReady
    from inference.rsmt.models import load_rsmt
    from inference.rsmt.sequence import render_sequence
    from inference.rsmt.sequence_file import load_sequence, resolve
    from inference.rsmt.transition import TransitionError, TransitionGenerator
    from inference.weights import WeightsError
    from motion.io import motion_file_type, save_motion

    motion_file_type(args.out)  # reject an unknown output type before any work
    project = Path(args.project)
    sequence = load_sequence(project)
    clips, styles = resolve(sequence, project.parent)
    try:
        generator = TransitionGenerator(load_rsmt(args.weights))
        print_licence_note(generator.model.folder)
        result = render_sequence(sequence, clips, styles, generator, name=project.stem)
    except WeightsError as e:
        raise UserError(str(e)) from None
    except TransitionError as e:
        raise UserError(f"{project}: {e}") from None
    except BackendNotReady as e:
        print(f"error: {project}: {e}", file=sys.stderr)
        return 1
    save_motion(result.motion, args.out)
    summary = {"frames": result.motion.num_frames, "fps": result.motion.fps, "out": str(args.out),
               "segments": [{"kind": s.kind, "index": s.index, "start": s.start, "stop": s.stop}
                            for s in result.segments],
               "ms_per_frame": [t.ms_per_frame for t in result.transitions]}
    if args.json:
        print_json(summary)
    else:
        parts = ", ".join(f"{s.kind} {s.index} {s.start}-{s.stop - 1}" for s in result.segments)
        print(f"{args.out}: {summary['frames']} frames at 30 fps: {parts}")
    return 0
