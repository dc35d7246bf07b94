"""A live DeepMimic run for a viewer: a shipped policy steps the pybullet humanoid on a worker thread, paced to
real time or as fast as it goes, optionally running every control step's state through a second backend too
(torch vs MAX, action by action). The newest pose and the step records go to a `Mailbox` the viewer takes
from at its own frame rate. Qt-free: the DeepMimic panel and `python main.py deepmimic --compare` use it.

`job` arguments are duck-typed progress/cancel handles (`report_progress(fraction, text)`, `cancelled`):
the GUI's job runner passes its job; the CLI passes `NO_JOB`."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from inference.backends.base import APP_BACKENDS

KIND = "deepmimic_actor"


class NoJob:
    """The job handle of a caller with no progress display and no cancel button."""

    cancelled = False

    def report_progress(self, fraction: float, text: str) -> None:
        pass


NO_JOB = NoJob()


def backend_states() -> dict[str, str]:
    """{backend: "ready" | "not compiled" | "compiling" | "compile failed" | "unavailable: why"} for the
    DeepMimic actor ("compiling": another process, e.g. `python main.py compile`, is building it)."""
    from inference.backends.base import get_backend
    from inference.backends.max.store import COMPILING, FAILED, READY

    states = {}
    for name in APP_BACKENDS:
        try:
            backend = get_backend(name)
        except (KeyError, ValueError, ImportError) as e:
            states[name] = f"unavailable: the {name} backend is not registered here ({type(e).__name__}: {e})"
            continue
        store = getattr(backend, "store", None)
        status = store.status(KIND) if store is not None else (READY if backend.ready(KIND) else "missing")
        states[name] = {READY: "ready", COMPILING: "compiling", FAILED: "compile failed"}.get(status, "not compiled")
    return states


@dataclass
class StepRecord:
    time: float
    reward: float
    diff: float | None  # max |action - comparison action|, None without a comparison backend
    policy_us: float
    compare_us: float | None


@dataclass
class RunOutcome:
    policy: str
    backend: str
    compare: str | None
    seconds: float
    fell: bool
    fall_time: float | None
    mean_reward: float
    steps: int
    cancelled: bool
    motion: object  # the recorded Motion (humanoid3d skeleton)
    median_us: dict = field(default_factory=dict)


class Mailbox:
    """Newest pose + step records, written by the simulation thread and taken by the GUI timer."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pose: np.ndarray | None = None
        self._steps: list[StepRecord] = []
        self.poses_posted = 0

    def post(self, pose: np.ndarray, step: StepRecord) -> None:
        with self._lock:
            self._pose = pose  # replaces a pose not shown yet: stale poses are dropped
            self._steps.append(step)
            self.poses_posted += 1

    def take(self) -> tuple[np.ndarray | None, list[StepRecord]]:
        with self._lock:
            pose, steps = self._pose, self._steps
            self._pose, self._steps = None, []
        return pose, steps


class LiveSimulation:
    """Keeps the pybullet envs and loaded policies between runs (creating an env costs ~1 s), so a run
    starts at once. Used from one worker thread at a time."""

    def __init__(self):
        self._runs: dict[str, object] = {}
        self._policies: dict[tuple[str, str], object] = {}
        self._references: dict[str, object] = {}

    def prepare(self, policy: str, backend: str, compare: str | None, job=None):
        """Import torch and pybullet, build the env and load the policies (off the GUI thread).
        Returns the policy's reference motion (the embedded clip the reward compares with)."""
        from motion.deepmimic import load_embedded
        from sim.env import POLICIES as ENV_OF, STATE_SIZE
        from sim.policy import ActorPolicy
        from sim.runner import DeepMimicRun

        say = job.report_progress if job is not None else (lambda f, t: None)
        env = ENV_OF[policy]
        for name in [backend] + ([compare] if compare else []):
            if (policy, name) not in self._policies:
                say(0.2, f"loading the {policy} policy on {name}")
                actor = ActorPolicy(policy, name)
                actor(np.zeros(STATE_SIZE, np.float32))  # a MAX model's first call takes ~0.6 s: not in a run
                self._policies[(policy, name)] = actor
        if env not in self._runs:
            say(0.6, f"creating the pybullet {env} env")
            self._runs[env] = DeepMimicRun(self._policies[(policy, backend)], env_name=env)
        if env not in self._references:
            self._references[env] = load_embedded(f"humanoid3d_{env}")
        say(1.0, "ready")
        return self._references[env]

    def run(self, policy: str, backend: str, compare: str | None, seconds: float, realtime: bool,
            mailbox: Mailbox, stop: threading.Event, job) -> RunOutcome:
        """Step until `seconds`, a fall, or `stop` (the motion so far is returned); a cancelled job (window
        closing) ends the same way but its result is dropped."""
        from motion.deepmimic import humanoid3d_motion
        from motion.fk import display_points
        from sim.env import POLICIES as ENV_OF

        self.prepare(policy, backend, compare)
        sim = self._runs[ENV_OF[policy]]
        primary = self._policies[(policy, backend)]
        other = self._policies[(policy, compare)] if compare else None
        sim.policy = primary
        sim.max_seconds = seconds
        sim.reset()
        compare_us: list[float] = []
        wall0 = time.perf_counter()
        cancelled = False
        while not sim.done:
            if stop.is_set() or job.cancelled:
                cancelled = True
                break
            step = sim.step()
            diff = t_other = None
            if other is not None and step.policy_us > 0:
                t0 = time.perf_counter_ns()
                theirs = other(step.state)
                t_other = (time.perf_counter_ns() - t0) / 1e3
                compare_us.append(t_other)
                diff = float(np.max(np.abs(theirs.astype(np.float64) - step.action)))
            one = humanoid3d_motion(step.root_position[None], step.rotations[None], 30.0)
            mailbox.post(display_points(one)[0][0], StepRecord(step.time, step.reward, diff, step.policy_us, t_other))
            if realtime:  # sim time runs with the wall clock
                ahead = step.time - (time.perf_counter() - wall0)
                if ahead > 0:
                    time.sleep(ahead)
        summary = sim.summary(cancelled)
        median = {backend: summary.step_latency_us}
        if compare_us:
            median[compare] = float(np.median(compare_us))
        return RunOutcome(policy, backend, compare, summary.seconds_simulated, summary.fell, summary.fall_time,
                          summary.mean_reward, summary.control_steps, cancelled,
                          sim.recording(), median)

    def close(self) -> None:
        for sim in self._runs.values():
            sim.close()
        self._runs.clear()
        self._policies.clear()
