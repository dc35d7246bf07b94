"""Run a DeepMimic policy in the pybullet env, one control step at a time (GUI) or for S seconds (CLI).

The loop is the one pybullet's `RLWorld`/`RLAgent` run in test mode:
at a control tick: state -> policy -> action (env.set_action); then 1/240 s physics steps until the
env's control clock ticks again (8 or 9 steps, ~27 Hz); the reward of that action is `env.calc_reward`
at the end of the step (the agent records it at the next tick, before deciding, so it is the same
number). The run stops when the humanoid falls (a fall-contact body touches the ground), when the
time limit is reached (checked every physics step) or when cancelled.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from motion.motion import Motion
from sim.env import POLICIES, DeepMimicEnv
from sim.policy import ActorPolicy, Policy
from sim.recorder import MotionRecorder


@dataclass
class StepResult:
    """One control step.

    time          -- sim time (s) since the run started, at the end of this step
    physics_steps -- 1/240 s steps taken in this control step (8 or 9; fewer at the end of a run)
    state         -- (197,) the policy input at the start of the step
    action        -- (36,) the action applied during the step
    reward        -- the env's imitation reward at the end of the step (0..1)
    root_position -- (3,) metres, simulated humanoid at the end of the step
    rotations     -- (13, 4) local wxyz quaternions in humanoid3d joint order
    fell, done    -- the humanoid fell during this step; the run is over (fell or time limit)
    policy_us     -- wall time of the policy call (microseconds)
    """

    time: float
    physics_steps: int
    state: np.ndarray
    action: np.ndarray
    reward: float
    root_position: np.ndarray
    rotations: np.ndarray
    fell: bool
    done: bool
    policy_us: float


@dataclass
class RunSummary:
    seconds_simulated: float
    fell: bool
    fall_time: float | None
    mean_reward: float
    control_steps: int
    step_latency_us: float  # median policy call, batch 1
    cancelled: bool = False


class RunOver(RuntimeError):
    """step() was called after the run ended (fall or time limit); call reset()."""


class DeepMimicRun:
    """A policy driving the simulated humanoid, with the pose recorded into a Motion.

    policy      -- a shipped policy name ("walk", "walk_COMenabled", "jump", "backflip", "spinkick"),
                   loaded on `backend`; or any callable state (197,) -> action (36,)
    env_name    -- which clip/args the env imitates; defaults to the policy name (required for callables)
    start_phase -- where in the reference cycle to start (0..1); 0 is the deterministic default
    record_fps  -- frame rate of the recorded Motion
    max_seconds -- time limit (None: until the humanoid falls or the caller stops)
    """

    def __init__(self, policy: str | Policy = "walk", backend: str = "torch", *, env_name: str | None = None,
                 start_phase: float = 0.0, record_fps: float = 30.0, max_seconds: float | None = None):
        if isinstance(policy, str):
            env_name = env_name or policy
            policy = ActorPolicy(policy, backend)
        if env_name is None:
            raise ValueError("env_name is required when the policy is a callable")
        if env_name not in POLICIES:
            raise ValueError(f"unknown DeepMimic env {env_name!r} (choose from {', '.join(POLICIES)})")
        self.policy = policy
        self.env_name = env_name
        self.start_phase = float(start_phase)
        self.record_fps = float(record_fps)
        self.max_seconds = max_seconds
        self.env = DeepMimicEnv(env_name)
        self.reset()

    # --- state ----------------------------------------------------------------------------------
    def reset(self) -> None:
        self.env.reset(self.start_phase)
        self._t0 = self.env.time
        self.fell = False
        self.fall_time: float | None = None
        self.done = False
        self.rewards: list[float] = []
        self.latencies_us: list[float] = []
        self.recorder = MotionRecorder(self.record_fps)
        self.recorder.offer(self.env.time, self.env.pose)

    @property
    def time(self) -> float:
        """Seconds simulated since the start of the run."""
        return self.env.time - self._t0

    def recording(self) -> Motion:
        """The simulated humanoid so far, on the humanoid3d skeleton at `record_fps`."""
        return self.recorder.motion(name=f"deepmimic_{self.env_name}")

    def reference_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """The kinematic reference the reward compares against: root (3,), rotations (13, 4)."""
        return self.env.reference_pose()

    # --- stepping -------------------------------------------------------------------------------
    def step(self) -> StepResult:
        """One control step: policy on the current state, then physics until the next control tick."""
        if self.done:
            raise RunOver("the run is over (fell or reached its time limit); call reset()")
        env = self.env
        if env.needs_action():
            state = env.state()
            t = time.perf_counter_ns()
            action = np.asarray(self.policy(state), dtype=np.float32)
            policy_us = (time.perf_counter_ns() - t) / 1000.0
            env.set_action(action)
            self.latencies_us.append(policy_us)
            self._last = state, action
        else:  # a time limit ended the previous step between ticks and was raised: finish that step
            (state, action), policy_us = self._last, 0.0
        steps = 0
        limit = self.max_seconds
        while True:
            env.physics_step()
            steps += 1
            self.recorder.offer(env.time, env.pose)
            if env.fallen():
                self.fell, self.fall_time = True, self.time
                break
            if limit is not None and self.time >= limit - 1e-9:
                break
            if env.action_due():
                break
        reward = env.reward()
        self.done = self.fell or (limit is not None and self.time >= limit - 1e-9)
        self.rewards.append(reward)
        root, rotations = env.pose()
        return StepResult(self.time, steps, state, action, reward, root, rotations, self.fell, self.done,
                          policy_us)

    def run(self, seconds: float, cancel: threading.Event | Callable[[], bool] | None = None,
            on_step: Callable[[StepResult], None] | None = None) -> RunSummary:
        """Step until `seconds` of sim time (from the start of the run), a fall, or `cancel` is set."""
        self.max_seconds = seconds
        self.done = self.fell or self.time >= seconds - 1e-9
        is_cancelled = getattr(cancel, "is_set", cancel) or (lambda: False)
        cancelled = False
        while not self.done:
            if is_cancelled():
                cancelled = True
                break
            result = self.step()
            if on_step is not None:
                on_step(result)
        return self.summary(cancelled)

    def summary(self, cancelled: bool = False) -> RunSummary:
        return RunSummary(
            seconds_simulated=self.time, fell=self.fell, fall_time=self.fall_time,
            mean_reward=float(np.mean(self.rewards)) if self.rewards else float("nan"),
            control_steps=len(self.rewards),
            step_latency_us=float(np.median(self.latencies_us)) if self.latencies_us else float("nan"),
            cancelled=cancelled)

    def close(self) -> None:
        self.env.close()

    def __enter__(self) -> "DeepMimicRun":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
