"""Simulated performances: motion recorded from the physics simulation of the shipped DeepMimic policies
(`sim.runner.DeepMimicRun`), split as RSMT splits 100STYLE.

The embedded clips are keyframed references of 0.8-4.4 s; a policy driving the simulated humanoid imitates its
clip but never reproduces it (contacts, balance corrections, drift: research/deepmimic.md scores its joint
pose 0.65-0.95 of a perfect match), and it keeps going: one performance of each policy (walk from two
policies, jump, backflip, spinkick) lasts up to PERFORMANCE_SECONDS. Each starts at phase 0 (the
deterministic start) and is recorded at 30 fps; style = the clip the policy imitates.

The split follows RSMT (Style100Processor.split_from_binary): a sequence of more than 2,000 frames at 30 fps
gives its last 10% to test, and RSMT's benchmark scores those tails of the styles it trained on. Here the
last TEST_SECONDS of every performance (10% of a full one) are test windows (`evaluate --split sim`), and
`train --sim` trains on the rest of the performances of the policies whose clip is a training clip. A
performance ends FALL_MARGIN_SECONDS before a fall (spinkick falls after about 35 s): a fall is not a
performance of its clip.
"""
from __future__ import annotations

import numpy as np

from motion.joint_roles import JointRoles
from training.datasets import TEST_FRACTION

PERFORMANCE_SECONDS = 120.0  # 3,600 frames at 30 fps: over RSMT's 2,000-frame split threshold
TEST_SECONDS = PERFORMANCE_SECONDS * TEST_FRACTION  # 12 s
FALL_MARGIN_SECONDS = 2.0


def performances(roles: JointRoles, scale: float) -> list[tuple]:
    """[(policy, `training.datasets.Sequence`, its Motion at 30 fps)]: one performance of each shipped policy
    (`sim.env.POLICIES`). A policy that cannot stay up for TEST_SECONDS is an error naming it."""
    from motion.errors import MotionFileError
    from motion.ops import slice_frames
    from sim.env import POLICIES
    from motion.resample import to_30fps
    from training.datasets import make_sequence

    _record_missing(list(POLICIES))
    out = []
    for policy, clip in POLICIES.items():
        motion, fall_time = recorded_performance(policy)
        motion = to_30fps(motion)
        if fall_time is not None:
            end = int((fall_time - FALL_MARGIN_SECONDS) * motion.fps)
            if end < TEST_SECONDS * motion.fps:
                raise MotionFileError(f"policy {policy}", f"the simulated humanoid fell at {fall_time:.2f} s")
            motion = slice_frames(motion, 0, end)
        out.append((policy, make_sequence(motion, roles, scale, style=f"humanoid3d_{clip}", name=f"sim_{policy}"),
                    motion))
    return out


def _record_missing(policies: list[str]) -> None:
    """Records the performances of `policies` that the cache lacks, each in a spawned process, as many at once
    as this process has cores: a simulation runs on one core (the five took 35-45 s one after another)."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    seconds = PERFORMANCE_SECONDS
    missing = [p for p in policies if not _recording_path(p, seconds).is_file()]
    workers = min(len(missing), len(os.sched_getaffinity(0)))
    if workers < 2:  # one to record, or one core: recorded_performance does it in this process
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(recorded_performance, missing, [seconds] * len(missing)))


def _recording_path(policy: str, seconds: float):
    from importlib.metadata import version

    from inference.paths import cache_dir

    return cache_dir("sim") / f"{policy}-{seconds:g}s-pybullet{version('pybullet')}.npz"


def recorded_performance(policy: str, seconds: float | None = None):
    """(the recording of `policy` run for `seconds` (default PERFORMANCE_SECONDS) from phase 0, fall time or
    None). The simulation is deterministic, so a run is recorded once per pybullet version and kept in the cache
    (`inference.paths.cache_dir("sim")`): about 7 s of simulation each, shared by training and evaluation."""
    from motion.deepmimic import humanoid3d_motion
    from motion.atomic import atomic_write
    from sim.runner import DeepMimicRun

    seconds = PERFORMANCE_SECONDS if seconds is None else seconds
    path = _recording_path(policy, seconds)
    name = f"deepmimic_{policy}"
    try:
        with np.load(path) as f:
            fall = float(f["fall_time"])
            return humanoid3d_motion(f["root"], f["rotations"], float(f["fps"]), name), (None if fall < 0 else fall)
    except (OSError, KeyError, ValueError):  # not recorded yet, or an unreadable cache file: record it again
        pass
    with DeepMimicRun(policy) as run:
        summary = run.run(seconds)
        motion = run.recording()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as f:
        np.savez(f, root=motion.translations[:, 0], rotations=motion.rotations, fps=motion.fps,
                 fall_time=summary.fall_time if summary.fell else -1.0)
    return motion, summary.fall_time  # the recording is humanoid3d_motion(root, rotations, fps, name) as loaded


def simulated_training(roles: JointRoles, scale: float, rng: np.random.Generator, training_styles: set[str]) -> list:
    """The training part of `simulated_split`: `embedded_dataset`'s extra_train for `train --sim`."""
    return simulated_split(roles, scale, rng, training_styles)[0]


def simulated_split(roles: JointRoles, scale: float, rng: np.random.Generator,
                    training_styles: set[str]) -> tuple[list, list]:
    """(train, test) `Sequence`s of the performances, each piece with its mirror and time-scale copies (as
    the embedded clips get them): test the last TEST_SECONDS of every performance, train the rest of those
    whose style is in training_styles."""
    from training.datasets import augment, tail_split

    pieces = [tail_split(seq, motion, int(TEST_SECONDS * motion.fps)) for _, seq, motion in performances(roles, scale)]
    # every test tail first, so that the test copies do not depend on which heads are trained on
    test = [s for (_, (tail, motion, _)) in pieces for s in augment(tail, roles, motion, scale, rng)]
    train = [s for ((head, motion, _), _) in pieces if head.style in training_styles
             for s in augment(head, roles, motion, scale, rng)]
    return train, test
