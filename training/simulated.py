"""Simulated performances: motion recorded from the physics simulation of the shipped DeepMimic policies
(`sim.runner.DeepMimicRun`), as a second kind of held-out data for the transition benchmark.

The embedded clips are keyframed references; a policy driving the simulated humanoid imitates its clip but
never reproduces it (contacts, balance corrections, drift: research/deepmimic.md scores its joint pose
0.65-0.95 of a perfect match). So these are new performances of the clips' kinds of motion: walk (two
policies), jump, backflip and spinkick, none of them seen in training. They test a different question
than the held-out clips: not "can the model make motion it never saw" but "does it follow a new
performance of motion it knows". Each run starts at phase 0 (the deterministic start, on which all five
policies keep their balance for 20 s) and is recorded at 30 fps; style = the clip the policy imitates.
"""
from __future__ import annotations

import numpy as np

from motion.errors import MotionFileError
from motion.joint_roles import JointRoles

SIM_SECONDS = 20.0


def simulated_sequences(roles: JointRoles, scale: float, rng: np.random.Generator) -> list:
    """`training.datasets.Sequence`s of a run of each shipped policy (`sim.env.POLICIES`, SIM_SECONDS of
    simulated time from phase 0), each with its mirror and time-scale copies (as the embedded test clips get
    them). A run in which the humanoid falls is an error naming the policy: a fall is not a performance of
    its clip."""
    from sim.env import POLICIES
    from sim.runner import DeepMimicRun
    from training.datasets import augment, make_sequence, to_30fps

    out = []
    for policy, clip in POLICIES.items():
        with DeepMimicRun(policy) as run:
            summary = run.run(SIM_SECONDS)
            if summary.fell:
                raise MotionFileError(f"policy {policy}", f"the simulated humanoid fell at {summary.fall_time:.2f} s")
            motion = to_30fps(run.recording())
        seq = make_sequence(motion, roles, scale, style=f"humanoid3d_{clip}", name=f"sim_{policy}")
        out.extend(augment(seq, roles, motion, scale, rng))
    return out
