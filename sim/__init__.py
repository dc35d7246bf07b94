"""DeepMimic humanoid in pybullet (Qt-free).

- `sim.env.DeepMimicEnv`: pybullet's own DeepMimic env, headless (DIRECT), phase-0 start, deterministic.
- `sim.runner.DeepMimicRun`: a policy driving it; `step() -> StepResult` for the GUI, `run(seconds,
  cancel=...)` for batch work; `recording()` gives the simulated motion on the humanoid3d skeleton.
- `sim.policy`: `ActorPolicy(name, backend)` (shipped actors via `inference`), `zero_policy`.
- `sim.recorder.MotionRecorder`: poses sampled at a fixed fps on the simulation clock.
"""
