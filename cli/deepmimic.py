"""`python main.py deepmimic --policy NAME --seconds S --backend B [--compare B2] [--out F.bvh] [--json]`: run a
shipped DeepMimic policy in pybullet (headless, from phase 0) and report how long it stayed up and how well it
imitated its reference clip; optionally save the simulated motion (.bvh or DeepMimic .txt). `--compare` is the
DeepMimic panel's live torch-vs-MAX run: every control step's state also goes through the second backend and
the largest action difference is reported (the first backend's action is the one applied)."""
from __future__ import annotations

import math
import time
from pathlib import Path

from cli import UserError, add_device_argument, print_json, print_warnings, require_in_range, use_device
from inference.backends.base import APP_BACKENDS
from motion.motion import FPS_RANGE
from sim.env import PHYSICS_DT, POLICIES

PHYSICS_HZ = round(1.0 / PHYSICS_DT)


def add_arguments(parser) -> None:
    parser.add_argument("--policy", default="walk", choices=list(POLICIES), help="shipped policy (default walk)")
    parser.add_argument("--seconds", type=float, default=20.0, help="simulated seconds to run (default 20)")
    parser.add_argument("--backend", default="torch", choices=APP_BACKENDS,
                        help="inference backend for the actor (default torch)")
    parser.add_argument("--compare", choices=APP_BACKENDS,
                        help="also run every control step's state through this backend and report the action difference")
    parser.add_argument("--out", help="save the simulated motion: .bvh or DeepMimic .txt")
    parser.add_argument("--fps", type=float, default=30.0,
                        help=f"frame rate of the saved motion, up to the physics rate {PHYSICS_HZ} (default 30)")
    parser.add_argument("--start-phase", type=float, default=0.0,
                        help="start this far into the reference cycle, 0..1 (default 0)")
    add_device_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    use_device(args.device)  # before any backend is made: MAX's device is chosen per run
    from inference.backends.base import BackendNotReady
    from inference.weights import WeightsError
    from sim.runner import DeepMimicRun

    if not args.seconds > 0 or not math.isfinite(args.seconds):
        raise UserError(f"--seconds must be a positive number, got {args.seconds}")
    require_in_range("--fps", args.fps, FPS_RANGE[0], PHYSICS_HZ)  # a frame per physics step at most
    if not 0.0 <= args.start_phase < 1.0:
        raise UserError(f"--start-phase must be in [0, 1), got {args.start_phase}")
    if args.out:
        from motion.io import MOTION_SUFFIXES

        if Path(args.out).suffix.lower() not in MOTION_SUFFIXES:  # before we spend time simulating
            raise UserError(f"{args.out}: --out must end in {' or '.join(MOTION_SUFFIXES)}")
    if args.compare:
        return run_compared(args)
    wall = time.perf_counter()
    try:
        sim = DeepMimicRun(args.policy, args.backend, start_phase=args.start_phase, record_fps=args.fps)
    except (WeightsError, BackendNotReady) as e:
        raise UserError(str(e)) from None
    with sim:
        summary = sim.run(args.seconds)
        wall = time.perf_counter() - wall
        warnings = []
        if args.out:
            from motion.io import save_motion

            warnings = save_motion(sim.recording(), args.out)
    result = {
        "policy": args.policy,
        "backend": args.backend,
        "seconds_requested": args.seconds,
        "seconds_simulated": round(summary.seconds_simulated, 6),
        "fell": summary.fell,
        "fall_time": None if summary.fall_time is None else round(summary.fall_time, 6),
        "mean_reward": summary.mean_reward,
        "control_steps": summary.control_steps,
        "step_latency_us": summary.step_latency_us,
        "wall_seconds": round(wall, 3),
        "out": args.out,
    }
    print_warnings(warnings)
    if args.json:
        print_json(result)
        return 0
    fell = f"yes, at {summary.fall_time:.3f} s" if summary.fell else "no"
    print(f"policy            {args.policy} ({args.backend})")
    print(f"seconds simulated {summary.seconds_simulated:.3f} of {args.seconds:g}")
    print(f"fell              {fell}")
    print(f"mean reward       {summary.mean_reward:.4f} over {summary.control_steps} control steps")
    print(f"policy step       {summary.step_latency_us:.1f} us (median, batch 1)")
    print(f"wall time         {wall:.2f} s")
    if args.out:
        print(f"saved             {args.out} ({sim.recorder.num_frames} frames at {args.fps:g} fps)")
    return 0


def run_compared(args) -> int:
    """The live run of the DeepMimic panel with a comparison backend (`sim.live`), as fast as it goes."""
    import threading

    import numpy as np

    from inference.backends.base import BackendNotReady
    from inference.weights import WeightsError
    from sim.live import NO_JOB, LiveSimulation, Mailbox

    if args.start_phase != 0.0 or args.fps != 30.0:
        raise UserError("--compare runs from phase 0 and records at 30 fps, as the DeepMimic panel does")
    live, mailbox = LiveSimulation(), Mailbox()
    try:
        live.prepare(args.policy, args.backend, args.compare)
        outcome = live.run(args.policy, args.backend, args.compare, args.seconds, False, mailbox,
                           threading.Event(), NO_JOB)
    except (WeightsError, BackendNotReady) as e:
        raise UserError(str(e)) from None
    finally:
        live.close()
    diffs = np.array([s.diff for s in mailbox.take()[1] if s.diff is not None])
    warnings = []
    if args.out:
        from motion.io import save_motion

        warnings = save_motion(outcome.motion, args.out)
    result = {"policy": args.policy, "backend": args.backend, "compare": args.compare,
              "seconds_simulated": round(outcome.seconds, 6), "fell": outcome.fell,
              "fall_time": None if outcome.fall_time is None else round(outcome.fall_time, 6),
              "mean_reward": outcome.mean_reward, "control_steps": outcome.steps,
              "compared_steps": int(diffs.size),
              "max_action_diff": float(diffs.max()) if diffs.size else None,
              "mean_action_diff": float(diffs.mean()) if diffs.size else None,
              "median_step_us": outcome.median_us, "out": args.out}
    print_warnings(warnings)
    if args.json:
        print_json(result)
        return 0
    print(f"policy            {args.policy} ({args.backend}, compared with {args.compare})")
    print(f"seconds simulated {outcome.seconds:.3f} of {args.seconds:g}, fell: {'yes' if outcome.fell else 'no'}")
    print(f"mean reward       {outcome.mean_reward:.4f} over {outcome.steps} control steps")
    if diffs.size:
        print(f"action difference max {diffs.max():.3g}, mean {diffs.mean():.3g} over {diffs.size} steps")
    for name, us in outcome.median_us.items():
        print(f"policy step       {name}: {us:.1f} us (median, batch 1)")
    return 0
