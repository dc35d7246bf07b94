"""The pybullet DeepMimic humanoid env, headless and deterministic.

`DeepMimicEnv` wraps pybullet's own `PyBulletDeepMimicEnv` (loaded by `sim.pybullet_envs_loader`), so
state, stable-PD control, reward and fall detection are the env's code, not a re-implementation:

- physics step 1/240 s (`env.update`), one `stepSimulation` with stable PD towards the last action;
- control: the env asks for a new action when `t >= needs_update_time`, then sets
  `needs_update_time = t + 1/30`; float drift in `t` makes most intervals 9 physics steps, so the
  effective control rate is ~27 Hz (research/deepmimic.md);
- reward: `env.calc_reward` (DeepMimic imitation reward against the kinematic reference);
- fall: `HumanoidStablePD.terminates()`: a body in the args file's `fall_contact_bodies` touches the
  ground. The env's own episode end also stops at t > 20 s; we test the fall alone so runs can be
  longer than 20 s.

The env starts at phase 0 (InitializationStrategy.START) unless a start phase is given, and always runs
in DIRECT mode (no GUI, no shared-memory server), so a run is reproducible bit for bit.
"""
from __future__ import annotations

import contextlib
import functools
import io
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from sim.pybullet_envs_loader import deepmimic_env_module

PHYSICS_DT = 1.0 / 240.0
STATE_SIZE = 197
ACTION_SIZE = 36

# Policy name -> the args file (pybullet_data/args/run_humanoid3d_<name>_args.txt) it was trained with.
# walk_COMenabled ships without one; it imitates the walk clip (research/deepmimic.md).
POLICIES = {"walk": "walk", "walk_COMenabled": "walk", "jump": "jump", "backflip": "backflip",
            "spinkick": "spinkick"}

# pybullet joint indices of the 12 moving joints, in humanoid3d file order (after the root);
# 0, 8 and 14 are the fixed root/wrist links.
_MOVING_JOINTS = (1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13)


def args_path(policy: str) -> Path:
    import pybullet_data

    if policy not in POLICIES:
        raise ValueError(f"unknown DeepMimic policy {policy!r} (choose from {', '.join(POLICIES)})")
    return Path(pybullet_data.getDataPath()) / "args" / f"run_humanoid3d_{POLICIES[policy]}_args.txt"


class DeepMimicEnv:
    """One headless pybullet world with the simulated and the kinematic (reference) humanoid."""

    def __init__(self, policy: str = "walk"):
        from pybullet_utils.arg_parser import ArgParser

        self.policy = policy
        args = ArgParser()
        args.load_file(str(args_path(policy)))
        self.motion_file = args.parse_string("motion_file")
        with _silenced(2):  # importing pybullet prints its build time on stderr, in every session
            module = deepmimic_env_module("pybullet_deep_mimic_env")
        _force_direct_mode(module)
        with _silenced(1):  # the env and Bullet's URDF importer print chatter on stdout
            self._env = module.PyBulletDeepMimicEnv(
                args, enable_draw=False, time_step=PHYSICS_DT,
                init_strategy=module.InitializationStrategy.START)
        self._humanoid = self._env._humanoid
        self._pb = self._env._pybullet_client

    # --- time and episode control -------------------------------------------------------------
    @property
    def time(self) -> float:
        return float(self._env.t)

    @property
    def cycle_time(self) -> float:
        """Duration of one cycle of the reference clip (s)."""
        return float(self._humanoid.getCycleTime())

    def reset(self, start_phase: float = 0.0) -> None:
        """Back to the reference pose at `start_phase` (0..1 of the clip cycle), as env.reset does."""
        env = self._env
        env.reset()  # START strategy: t = 0
        if start_phase:
            t0 = float(start_phase) * self.cycle_time
            env.t = t0
            self._humanoid.setSimTime(t0)
            self._humanoid.resetPose()
            env.needs_update_time = t0 - 1  # force an action on the first step, as env.reset does
        env.desiredPose = None

    def needs_action(self) -> bool:
        """True (once) when the env's control clock asks for a new action; advances that clock."""
        return bool(self._env.need_new_action(0))

    def action_due(self) -> bool:
        """Whether the next `needs_action()` will be True, without advancing the control clock."""
        return self._env.t >= self._env.needs_update_time

    # --- the env's own state / action / reward / fall -----------------------------------------
    def state(self) -> np.ndarray:
        """The 197-float policy input: phase, root height, 15 links x (pos, quat) and velocities."""
        return np.asarray(self._env.record_state(0), dtype=np.float32)

    def set_action(self, action: np.ndarray) -> None:
        action = np.asarray(action, dtype=np.float64).reshape(-1)
        if action.shape != (ACTION_SIZE,):
            raise ValueError(f"action must have {ACTION_SIZE} values, got {action.shape}")
        self._env.set_action(0, action.tolist())

    def physics_step(self) -> None:
        """One 1/240 s step with stable PD towards the last action (the env only advances its clock until
        an action has been set)."""
        self._env.update(PHYSICS_DT)

    def reward(self) -> float:
        return float(self._env.calc_reward(0))

    def fallen(self) -> bool:
        return bool(self._humanoid.terminates())

    # --- poses for recording and drawing ------------------------------------------------------
    def pose(self) -> tuple[np.ndarray, np.ndarray]:
        """Simulated humanoid: root position (3,) metres and local rotations (13, 4) wxyz, file order."""
        return self._read_pose(self._humanoid._sim_model)

    def reference_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """The kinematic reference humanoid the reward compares against (updated each physics step)."""
        return self._read_pose(self._humanoid._kin_model)

    def _read_pose(self, body: int) -> tuple[np.ndarray, np.ndarray]:
        pos, orn = self._pb.getBasePositionAndOrientation(body)
        rotations = np.zeros((1 + len(_MOVING_JOINTS), 4))
        rotations[0] = (orn[3], orn[0], orn[1], orn[2])
        for k, (q, *_rest) in enumerate(self._pb.getJointStatesMultiDof(body, _MOVING_JOINTS), start=1):
            if len(q) == 4:
                rotations[k] = (q[3], q[0], q[1], q[2])
            else:  # revolute: angle about local Z
                rotations[k] = (np.cos(q[0] / 2), 0.0, 0.0, np.sin(q[0] / 2))
        return np.asarray(pos, dtype=np.float32), rotations.astype(np.float32)

    def close(self) -> None:
        if self._pb is not None:
            with contextlib.suppress(Exception):
                self._pb.disconnect()
            self._pb = None

    def __enter__(self) -> "DeepMimicEnv":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@contextlib.contextmanager
def _silenced(fd: int):
    """Discard stdout (fd 1) or stderr (fd 2) at the file-descriptor level (Bullet's C++ printf) and at the
    Python level, so `--json` output stays one clean JSON object and a session's stderr stays empty."""
    stream = sys.stdout if fd == 1 else sys.stderr
    redirect = contextlib.redirect_stdout if fd == 1 else contextlib.redirect_stderr
    stream.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        with redirect(io.StringIO()):
            yield
    finally:
        stream.flush()
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def _force_direct_mode(module) -> None:
    """The env creates `bullet_client.BulletClient()` with no mode, which first tries to attach to a
    running shared-memory server; we make that module's client factory default to DIRECT instead."""
    import pybullet
    from pybullet_utils import bullet_client

    if getattr(module.bullet_client, "_motion_studio_direct", False):
        return
    module.bullet_client = SimpleNamespace(
        BulletClient=functools.partial(bullet_client.BulletClient, connection_mode=pybullet.DIRECT),
        _motion_studio_direct=True)
