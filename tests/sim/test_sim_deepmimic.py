"""The pybullet DeepMimic env wrapper, the policy runner and its recorder (real pybullet, real policy)."""
import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from motion.bvh import read_bvh
from motion.deepmimic import load_embedded
from motion.fk import world_positions
from sim.env import DeepMimicEnv
from sim.policy import zero_policy
from sim.runner import DeepMimicRun, RunOver

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def walk_run():
    """The shipped walk policy on the torch backend, 3 s from phase 0 (shared by several tests)."""
    with DeepMimicRun("walk", "torch") as run:
        steps = []
        summary = run.run(3.0, on_step=steps.append)
        yield run, summary, steps


def test_env_modules_load_without_pybullet_envs_init():
    with DeepMimicEnv("walk"):
        pass
    stub = sys.modules["pybullet_envs"]
    assert not hasattr(stub, "register")  # the real __init__ defines register() and imports gym
    assert "gym" not in sys.modules


def test_reset_pose_is_the_first_frame_of_the_clip():
    """Our joint order and hinge axes agree with pybullet's: the env's reset pose is clip frame 0."""
    clip = load_embedded("humanoid3d_jump")
    with DeepMimicEnv("jump") as env:
        env.reset()
        root, rotations = env.pose()
        ref_root, ref_rotations = env.reference_pose()
        assert env.time == 0.0
        assert np.abs(root - clip.translations[0, 0]).max() < 1e-5
        dots = np.abs(np.sum(rotations * clip.rotations[0], axis=-1))
        assert dots.min() > 1 - 1e-5
        # the env places the kinematic root only from the first physics step on; its joints are set
        assert np.abs(np.abs(np.sum(ref_rotations[1:] * clip.rotations[0, 1:], axis=-1)) - 1).max() < 1e-5
        state = env.state()
        assert state.shape == (197,) and state[0] == 0.0  # phase 0
        assert state[1] == pytest.approx(clip.translations[0, 0, 1], abs=1e-5)  # root height


def test_walk_policy_stays_up_and_imitates(walk_run):
    run, summary, steps = walk_run
    assert not summary.fell and summary.fall_time is None
    assert summary.seconds_simulated == pytest.approx(3.0, abs=1e-6)
    assert summary.mean_reward > 0.6  # imitation reward, 0..1 (measured ~0.69 for the first 4 s)
    assert min(s.reward for s in steps) > 0.3
    # control at ~27 Hz: 8 or 9 physics steps of 1/240 s per action (the last step may be cut short)
    assert {s.physics_steps for s in steps[:-1]} <= {8, 9}
    assert 3.0 * 26 < summary.control_steps < 3.0 * 28.5
    assert summary.step_latency_us > 0
    assert steps[-1].root_position[0] > 0.8  # walked forward (+X) about a metre in 3 s
    assert steps[-1].root_position[1] > 0.7  # pelvis still at standing height
    assert all(s.action.shape == (36,) and s.state.shape == (197,) for s in steps)


def test_zero_actions_fall_within_two_seconds():
    with DeepMimicRun(zero_policy, env_name="walk") as run:
        summary = run.run(5.0)
        assert summary.fell and 0.5 < summary.fall_time < 2.0
        assert summary.seconds_simulated == summary.fall_time
        with pytest.raises(RunOver):
            run.step()


def test_runs_are_deterministic_and_cancellable():
    with DeepMimicRun("walk", "torch") as a, DeepMimicRun("walk", "torch") as b:
        stop = threading.Event()
        seen = []

        def on_step(result):
            seen.append(result)
            if len(seen) == 10:
                stop.set()

        summary = a.run(20.0, cancel=stop, on_step=on_step)
        assert summary.cancelled and summary.control_steps == 10 and not summary.fell
        for s in seen:
            other = b.step()
            assert other.time == s.time
            assert np.array_equal(other.root_position, s.root_position)
            assert np.array_equal(other.action, s.action)
        assert a.run(a.time + 0.2).control_steps > 10  # a cancelled run can continue


def test_recording_exports_to_bvh_and_loads_back(walk_run, tmp_path):
    run, summary, steps = walk_run
    motion = run.recording()
    assert motion.fps == 30.0 and motion.num_frames == 91  # t = 0, 1/30, ..., 3
    assert motion.skeleton.names[0] == "root" and motion.skeleton.num_joints == 13
    assert np.allclose(motion.root_positions[-1], steps[-1].root_position, atol=1e-6)
    from motion.bvh import write_bvh

    write_bvh(motion, tmp_path / "walk.bvh")
    back = read_bvh(tmp_path / "walk.bvh")
    assert back.num_frames == motion.num_frames and back.fps == pytest.approx(30.0)
    order = [motion.skeleton.index(n) for n in back.skeleton.names]
    assert np.abs(world_positions(back) - world_positions(motion)[:, order]).max() < 1e-4


def test_cli_json_is_clean_and_complete(tmp_path):
    out = tmp_path / "walk.txt"
    proc = subprocess.run([sys.executable, "main.py", "deepmimic", "--policy", "walk", "--seconds", "1",
                           "--backend", "torch", "--out", str(out), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)  # nothing but the JSON object on stdout (Bullet chatter silenced)
    assert result["seconds_simulated"] == pytest.approx(1.0) and result["fell"] is False
    assert 0.6 < result["mean_reward"] <= 1.0 and result["step_latency_us"] > 0
    from motion.deepmimic import read_deepmimic

    assert read_deepmimic(out).num_frames == 31


def test_cli_rejects_bad_arguments(tmp_path):
    proc = subprocess.run([sys.executable, "main.py", "deepmimic", "--seconds", "1", "--out",
                           str(tmp_path / "x.fbx")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "x.fbx" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_recorder_samples_the_physics_step_nearest_each_frame_time():
    from sim.recorder import MotionRecorder

    rec = MotionRecorder(fps=25.0)
    taken = []
    for step in range(241):  # one second of 240 Hz physics
        t = step / 240.0
        pose = (np.array([t, 0.9, 0.0]), np.tile([1.0, 0.0, 0.0, 0.0], (13, 1)))
        if rec.offer(t, lambda: pose):
            taken.append(t)
    assert len(taken) == 26  # frames at 0, 1/25, ..., 1
    assert np.abs(np.array(taken) - np.arange(26) / 25.0).max() <= 0.5 / 240 + 1e-12
    motion = rec.motion("fake")
    assert motion.fps == 25.0 and np.allclose(motion.root_positions[:, 0], taken)


def test_cli_compare_refuses_what_the_live_run_cannot_do():
    proc = subprocess.run([sys.executable, "main.py", "deepmimic", "--seconds", "1", "--compare", "torch",
                           "--start-phase", "0.5"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.startswith("error: --compare runs from phase 0")


def test_cli_compare_runs_every_control_step_through_max_too(compiled_max_cache, tmp_path, monkeypatch):
    """`deepmimic --compare max`: the DeepMimic panel's live torch-vs-MAX run (sim.live) without a window."""
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(compiled_max_cache(["deepmimic_actor"])))
    out = tmp_path / "walk.bvh"
    proc = subprocess.run([sys.executable, "main.py", "deepmimic", "--policy", "walk", "--seconds", "1",
                           "--backend", "torch", "--compare", "max", "--out", str(out), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["compare"] == "max" and result["fell"] is False
    assert result["compared_steps"] == result["control_steps"] > 20  # ~27 control steps a second
    assert 0.0 < result["max_action_diff"] <= 1e-4  # two float32 implementations, not the same one
    assert set(result["median_step_us"]) == {"torch", "max"}
    assert read_bvh(out).num_frames == 31
