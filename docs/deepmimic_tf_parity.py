"""TensorFlow parity check for the DeepMimic policies -- a documentation script, NOT part of the test suite.

Compares our TF-free path (inference.deepmimic.checkpoint reader -> safetensors -> torch actor) against TensorFlow
restoring the same pybullet checkpoints. TensorFlow is not a project dependency: it lives in a throwaway
venv outside the repository, and this script calls that venv's python for the TF half.

    python3.11 -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install tensorflow-cpu==2.21.0 numpy==2.4.6
    . .venv/bin/activate && python docs/deepmimic_tf_parity.py --tf-python /tmp/tfvenv/bin/python

Steps, per policy: (1) record 100 states where the pybullet env asks for an action, driving the humanoid
with our torch actor from phase 0 (or, with --states random, normal states scaled by the state
normaliser); (2) our actions for them (torch backend runner, batch of 100); (3) in the TF venv,
tf.train.load_checkpoint restores every variable and the actor is rebuilt from TF ops (matmul, relu,
normalisers) and evaluated on the same states; (4) report max |ours - TF| and check every restored
variable is bit-identical to what our reader returns. Then it times batch-1 torch calls.
Results are written up in docs/deepmimic_tf_parity.md.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

STATES_PER_POLICY = 100
TOLERANCE = 1e-5


def tf_worker(request: Path, result: Path) -> None:
    """Runs inside the TF venv: restore each checkpoint with TensorFlow, evaluate the actor in TF ops."""
    import tensorflow as tf

    job = json.loads(request.read_text())
    states = np.load(job["states"])
    out = {}
    for name, prefix in job["checkpoints"].items():
        reader = tf.train.load_checkpoint(prefix)
        variables = {v: reader.get_tensor(v) for v in reader.get_variable_to_shape_map()}
        for v, value in variables.items():
            out[f"{name}|var|{v}"] = value

        def var(v: str) -> tf.Tensor:
            return tf.constant(variables[f"agent/{v}"])

        @tf.function
        def actor(s: tf.Tensor) -> tf.Tensor:
            x = (s - var("resource/s_norm/mean")) / var("resource/s_norm/std")
            x = tf.nn.relu(tf.matmul(x, var("main/actor/0/dense/kernel")) + var("main/actor/0/dense/bias"))
            x = tf.nn.relu(tf.matmul(x, var("main/actor/1/dense/kernel")) + var("main/actor/1/dense/bias"))
            x = tf.matmul(x, var("main/actor/dense/kernel")) + var("main/actor/dense/bias")
            return x * var("resource/a_norm/std") + var("resource/a_norm/mean")

        out[f"{name}|action"] = actor(tf.constant(states[name])).numpy()
    out["tf_version"] = np.array(tf.__version__)
    np.savez(result, **out)


def record_env_states(name: str, count: int) -> np.ndarray:
    """States at the env's action requests, the humanoid driven by our torch actor from phase 0."""
    from sim.env import DeepMimicEnv
    from sim.policy import ActorPolicy

    short = name.removeprefix("humanoid3d_")  # the sim's policy names
    policy = ActorPolicy(short)
    states = []
    with DeepMimicEnv(short) as env:
        env.reset(0.0)
        while len(states) < count:
            if env.needs_action():
                s = env.state()
                states.append(s)
                env.set_action(policy(s))
            env.physics_step()
            if env.fallen():
                env.reset(0.0)
    return np.stack(states)


def random_states(weights, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((count, weights.tensors["state_norm.mean"].shape[0]))
            * weights.tensors["state_norm.std"] + weights.tensors["state_norm.mean"]).astype(np.float32)


def batch1_latency_us(runner, state: np.ndarray, warmup: int = 200, calls: int = 3000) -> float:
    one = state[None, :]
    for _ in range(warmup):
        runner(state=one)
    times = np.empty(calls)
    for i in range(calls):
        t = time.perf_counter_ns()
        runner(state=one)
        times[i] = time.perf_counter_ns() - t
    return float(np.median(times) / 1000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tf-python", default="/tmp/tfvenv/bin/python", help="python of the TF venv")
    parser.add_argument("--states", choices=["env", "random"], default="env")
    parser.add_argument("--tf-worker", nargs=2, type=Path, metavar=("REQUEST", "RESULT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tf_worker:
        tf_worker(*args.tf_worker)
        return 0

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import torch

    from inference.backends.base import get_backend
    from inference.deepmimic.policies import POLICIES, load_policy, policy_checkpoint
    from inference.deepmimic.checkpoint import read_checkpoint

    backend = get_backend("torch")
    ours, states, runners = {}, {}, {}
    for i, name in enumerate(POLICIES):
        weights = load_policy(name)
        runners[name] = backend.load("deepmimic_actor", weights)
        states[name] = (record_env_states(name, STATES_PER_POLICY) if args.states == "env"
                        else random_states(weights, STATES_PER_POLICY, seed=i))
        ours[name] = runners[name](state=states[name])["action"]

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        np.savez(tmp / "states.npz", **states)
        request = {"states": str(tmp / "states.npz"),
                   "checkpoints": {name: str(policy_checkpoint(name)) for name in POLICIES}}
        (tmp / "request.json").write_text(json.dumps(request))
        subprocess.run([args.tf_python, __file__, "--tf-worker", str(tmp / "request.json"), str(tmp / "tf.npz")],
                       check=True)
        tf = dict(np.load(tmp / "tf.npz"))

    print(f"TensorFlow {tf['tf_version']}, torch {torch.__version__}, states: {args.states}, "
          f"{STATES_PER_POLICY} per policy, tolerance {TOLERANCE:g}")
    print("| policy | variables bit-identical | max abs(ours - TF) | max abs(action) | within tolerance |")
    print("|---|---|---|---|---|")
    ok = True
    for name in POLICIES:
        mine = read_checkpoint(policy_checkpoint(name))
        tf_vars = {k.split("|var|")[1]: v for k, v in tf.items() if k.startswith(f"{name}|var|")}
        identical = set(tf_vars) == set(mine) and all(
            tf_vars[k].dtype == mine[k].dtype and np.array_equal(tf_vars[k], mine[k]) for k in mine)
        diff = float(np.abs(ours[name] - tf[f"{name}|action"]).max())
        passed = identical and diff <= TOLERANCE
        ok &= passed
        print(f"| {name} | {'yes' if identical else 'NO'} ({len(mine)}) | {diff:.3g} | "
              f"{float(np.abs(ours[name]).max()):.3g} | {'yes' if passed else 'NO'} |")

    state = states["humanoid3d_walk"][0]
    print(f"\ntorch threads {torch.get_num_threads()}; batch-1 actor runner, median of 3000 calls after 200 "
          f"warm-up: {batch1_latency_us(runners['humanoid3d_walk'], state):.1f} us")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
