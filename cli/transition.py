"""`transition --source CLIP[:FRAME] --target CLIP[:FRAME] --length N [--style NAME|CLIP|CODE]
[--style-strength S] [--seed S] [--backend torch|max|max-mojo] --out OUT.bvh [--fps source|F]
[--weights DIR | --model humanoid3d|bandai] [--json]`: an RSMT transition from the source frame (default: the
source clip's last frame) to the target keyframe (default: the target clip's first frame) in a named style of the
model's library (`styles build`), the style of a clip or a saved style code (.npy/.json; default: the source clip),
at a style strength (default 1; `inference.rsmt.style_reference`).
OUT holds the source context, the generated frames (the last one is the network's target keyframe) and the
rest of the target clip, at 30 fps (--fps: another rate, e.g. the source's own) on the source skeleton
(`inference.rsmt.transition`). Clips on another humanoid rig than the model's are retargeted onto it and the
result back onto the source's skeleton (`inference.rsmt.rigs`; --map gives a joint map); --json's
"retargeted" says which maps were used."""
from __future__ import annotations

from dataclasses import replace

from cli import UserError, add_device_argument, print_json, print_licence_note, require_in_range, use_device
from inference.backends.base import APP_BACKENDS
from inference.rsmt.models import MODEL_DIRS
from inference.rsmt.transition import MAX_LENGTH, MIN_LENGTH, PLACEMENTS, STRENGTH_RANGE


def add_arguments(parser) -> None:
    add_request_arguments(parser)
    parser.add_argument("--backend", choices=APP_BACKENDS, default="torch",
                        help="inference backend (default torch)")
    parser.add_argument("--out", required=True, metavar="OUT.bvh", help="output motion file (.bvh or DeepMimic .txt)")
    parser.add_argument("--whole-rollout", action="store_true",
                        help="run the backend's one-call rollout model (rsmt_rollout) instead of the step loop")
    parser.add_argument("--fps", default=None, metavar="source|F",
                        help="frame rate of OUT: 'source' (the source clip's own: a 120 fps clip keeps all its "
                             "context frames) or a number (default: the model's 30 fps)")
    add_device_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")


def add_request_arguments(parser) -> None:
    """The options that say which transition (also `compare-transition`'s)."""
    parser.add_argument("--source", required=True, metavar="CLIP[:FRAME]",
                        help="clip to leave (embedded clip name or file; default frame: the last)")
    parser.add_argument("--target", required=True, metavar="CLIP[:FRAME]",
                        help="clip to arrive at (default frame: the first)")
    parser.add_argument("--length", type=int, default=30, metavar="N",
                        help=f"generated frames at 30 fps, {MIN_LENGTH}..{MAX_LENGTH} (default 30)")
    parser.add_argument("--style", default=None, metavar="NAME|CLIP|CODE",
                        help="a style of the model's library by name (e.g. angry; `styles list`), a style clip, "
                             "or a saved style code .npy/.json (default: the source clip)")
    parser.add_argument("--style-strength", type=float, default=1.0, metavar="S",
                        help=f"{STRENGTH_RANGE[0]:g}..{STRENGTH_RANGE[1]:g}: how far the style's code is pushed from "
                             "the model's 'normal' motion (1, the default: the style as it is; 0: normal; above 1 "
                             "exaggerates it); needs a model whose style library has a 'normal' style (bandai)")
    parser.add_argument("--seed", type=int, default=0,
                        help="0 (default): the transition `evaluate` scores; any other seed: a variation of it "
                             "(RSMT's target noise drawn from the seed); same seed, same frames")
    parser.add_argument("--weights", default=None, metavar="DIR",
                        help="RSMT weights folder with phase and sampler .safetensors/.json (default assets/rsmt_lite)")
    parser.add_argument("--model", choices=tuple(MODEL_DIRS), default=None,
                        help="a shipped model by name instead of --weights: humanoid3d (assets/rsmt_lite, the "
                             "default) or bandai (assets/rsmt_bandai, trained on stylised motion capture)")
    parser.add_argument("--context", type=int, default=None, metavar="N",
                        help="source frames to keep before the transition, the source frame included (default all)")
    parser.add_argument("--target-placement", choices=PLACEMENTS, default="follow",
                        help="follow: turn and move the target clip to continue the source (default); "
                             "world: keep it where it was recorded")
    parser.add_argument("--no-landing", action="store_true",
                        help="leave the last generated frame where the network put it (default: blend the transition "
                             "onto the target keyframe so the hand-over to the target clip does not jump)")
    parser.add_argument("--no-foot-lock", action="store_true",
                        help="leave planted feet as generated (default: hold feet that touch the floor still)")
    parser.add_argument("--map", action="append", default=[], metavar="MAP.json",
                        help="joint map (retarget --save-map) for a clip that is not on the model's skeleton; "
                             "repeat for several rigs (default: found from joint names and hierarchy)")


def load_model(args):
    """The model --model or --weights names (default the app's); WeightsError for unusable weights."""
    from inference.rsmt.models import load_rsmt

    if args.model and args.weights:
        raise UserError("--model and --weights exclude each other")
    return load_rsmt(MODEL_DIRS[args.model] if args.model else args.weights)


def build_request(args, model, backend: str = "torch", whole_rollout: bool = False):
    """The TransitionRequest the request options ask for, for `model` (MotionFileError naming a bad clip;
    TransitionError for a bad style library)."""
    from inference.rsmt.style_library import resolve_style
    from inference.rsmt.transition import TransitionRequest
    from motion.io import resolve_clip_frame
    from motion.joint_map import load_map

    source, source_frame = resolve_clip_frame(args.source, -1)
    target, target_frame = resolve_clip_frame(args.target, 0)
    return TransitionRequest(source, target, length=args.length, source_frame=source_frame,
                             target_frame=target_frame, style=resolve_style(args.style, model), seed=args.seed,
                             backend=backend, context_frames=args.context,
                             target_placement=args.target_placement, whole_rollout=whole_rollout,
                             land_on_target=not args.no_landing, lock_feet=not args.no_foot_lock,
                             joint_maps=tuple(load_map(p) for p in args.map), style_strength=args.style_strength)


def _output_fps(text: str | None, source) -> float | None:
    if text is None:
        return None
    if text == "source":
        return float(source.fps)
    try:
        return float(text)
    except ValueError:
        raise UserError(f"--fps must be 'source' or a number, got {text!r}") from None


def run(args) -> int:
    use_device(args.device)  # before any backend is made: MAX's device is chosen per run
    from inference.backends.base import BackendNotReady
    from inference.rsmt.transition import TransitionError, TransitionGenerator
    from inference.weights import WeightsError
    from motion.io import motion_file_type, save_motion

    motion_file_type(args.out)  # reject an unknown output type before any work
    require_in_range("--seed", args.seed, 0, 2**64 - 1)  # numpy's generators take non-negative seeds
    try:
        model = load_model(args)
        print_licence_note(model.folder)
        request = build_request(args, model, args.backend, args.whole_rollout)
        request = replace(request, output_fps=_output_fps(args.fps, request.source))
        result = TransitionGenerator(model).generate(request)
    except (WeightsError, TransitionError) as e:
        raise UserError(str(e)) from None
    except BackendNotReady as e:
        raise UserError(f"{args.backend} backend: {e}") from None
    save_motion(result.motion, args.out)
    summary = {"frames": result.motion.num_frames, "transition_frames": result.length, "backend": result.backend,
               "ms_per_frame": result.ms_per_frame, "context_frames": result.context_frames,
               "target_frames": result.target_frames, "generated": [result.generated.start, result.generated.stop],
               "fps": result.motion.fps, "seed": result.seed, "out": str(args.out),
               "weights": str(model.folder), "timings_ms": result.timings, "retargeted": result.retargeted}
    if args.json:
        print_json(summary)
    else:
        print(f"{args.out}: {summary['frames']} frames at {result.motion.fps:g} fps = {result.context_frames} source + "
              f"{result.length} generated + {result.target_frames} target")
        print(f"{result.backend}: {result.ms_per_frame:.2f} ms per generated frame, "
              f"{result.timings['total']:.0f} ms in all")
        for role, used in result.retargeted.items():
            print(f"{role}: retargeted from {used['from']} onto the {used['to']} ({used['mapped']} joints mapped)")
    return 0
