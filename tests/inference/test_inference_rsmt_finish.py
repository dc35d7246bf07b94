"""A transition's post-processing (inference/rsmt/finish.py): max-mojo's one Mojo call (mojo/kernels/rsmt_finish.mojo)
against the numpy reference on the same sampler outputs, which backend runs which, and bad input."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from inference.backends.mojo.finish import finish_frames as mojo_finish
from inference.rsmt import footlock
from inference.rsmt.finish import FinishInputs, finish_frames
from inference.rsmt.transition import TransitionGenerator
from parity.compare import transition_model, transition_request

# The reference rounds to float32 between its functions, the kernel keeps float64: they agree to float32 rounding.
# Local quaternions are unit; roots and positions are metres (humanoid3d) of a few units at most.
TOLERANCE = 2e-6


@pytest.fixture(scope="module")
def generator() -> TransitionGenerator:
    return TransitionGenerator(transition_model("lite")[0])


def sampler_outputs(generator: TransitionGenerator, length: int, **flags) -> tuple[np.ndarray, np.ndarray, FinishInputs]:
    """The sampler outputs and finish inputs of the compare transition on torch, as the generator passes them."""
    seen = {}
    reference = generator._finisher("torch")

    def spy(pos, rot, inputs):
        seen.update(pos=pos, rot=rot, inputs=inputs)
        return reference(pos, rot, inputs)

    generator._finishers["torch"] = spy
    try:
        generator.generate(replace(transition_request(length), backend="torch", **flags))
    finally:
        generator._finishers["torch"] = reference
    return seen["pos"], seen["rot"], seen["inputs"]


def assert_agree(pos, rot, inputs):
    ours, theirs = mojo_finish(pos, rot, inputs), finish_frames(pos, rot, inputs)
    for name, a, b in zip(("local", "root", "positions"), ours, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype, name
        assert np.all(np.isfinite(a)), name
        np.testing.assert_allclose(a, b, rtol=0, atol=TOLERANCE, err_msg=name)
    return ours


@pytest.mark.parametrize("length", [10, 30, 60])
@pytest.mark.parametrize("land, lock", [(True, True), (True, False), (False, True), (False, False)])
@pytest.mark.parametrize("share", [0.5, 1.0])
def test_mojo_finish_gives_the_reference_frames(generator, length, land, lock, share):
    pos, rot, inputs = sampler_outputs(generator, length, land_on_target=land, lock_feet=lock)
    assert (inputs.key is not None) == land and (inputs.floors is not None) == lock
    inputs = replace(inputs, swing_share=share)
    local, root, _ = assert_agree(pos, rot, inputs)
    if land:  # the last frame is the keyframe
        key_rot, key_root = inputs.key
        np.testing.assert_allclose(np.abs(np.sum(local[-1] * key_rot, axis=-1)), 1.0, atol=1e-6)
        np.testing.assert_allclose(root[-1], key_root, atol=1e-9)


def test_mojo_finish_agrees_on_perturbed_outputs_with_feet_held_everywhere(generator):
    """Noisy sampler outputs (bones off their lengths, skewed 6D) and floors high enough that each foot is in
    contact for runs that reach the first and last frames, some ended where the hold was out of the leg's reach: the swing,
    the projection, the runs, gliding holds and the IK."""
    pos, rot, inputs = sampler_outputs(generator, 30)
    roles = inputs.roles
    rng = np.random.default_rng(7)
    held = ended = 0
    for trial in range(6):
        noisy_pos = pos + rng.normal(0.0, 3.0, pos.shape).astype(np.float32)
        noisy_rot = rot + rng.normal(0.0, 0.2, rot.shape).astype(np.float32)
        floors = {a: h + 0.05 * trial for a, h in inputs.floors.items()}
        trial_inputs = replace(inputs, floors=floors)
        local, _, _ = assert_agree(noisy_pos, noisy_rot, trial_inputs)
        unlocked, hip, _ = finish_frames(noisy_pos, noisy_rot, replace(inputs, floors=None))
        held += int(np.sum(np.abs(np.sum(local * unlocked, axis=-1)) < 1 - 1e-6))
        _, at = footlock.global_pose(unlocked, hip, inputs.offsets / inputs.scale, roles.parents)
        for h, k, a in footlock.legs(roles.parents, roles.feet):
            low = footlock.contacts(at[:, a], floors[a], inputs.height_gate)
            reach = np.linalg.norm((inputs.offsets[[k, a]] / inputs.scale), axis=-1).sum()
            ended += int(np.sum(low & ~footlock.end_unreachable_runs(low, at[:, a], at[:, h], reach)))
    assert held > 0  # the feet were held somewhere, so the IK ran
    assert ended > 0  # and some runs ended out of the leg's reach


def test_mojo_finish_limits_the_pulls_as_the_reference(generator, monkeypatch):
    """Feet held everywhere (high floors, noisy outputs) under a pull step small enough to bind often: the Mojo
    finish limits the lock's pulls as footlock.limit_pulls does."""
    import inference.rsmt.finish as finish_module

    pos, rot, inputs = sampler_outputs(generator, 30)
    rng = np.random.default_rng(11)
    noisy_pos = pos + rng.normal(0.0, 3.0, pos.shape).astype(np.float32)
    noisy_rot = rot + rng.normal(0.0, 0.2, rot.shape).astype(np.float32)
    inputs = replace(inputs, floors={a: h + 0.1 for a, h in inputs.floors.items()})
    free = finish_frames(noisy_pos, noisy_rot, inputs)[0]
    monkeypatch.setattr(finish_module, "PULL_STEP_CM", 0.5)
    limited = assert_agree(noisy_pos, noisy_rot, inputs)[0]
    assert np.abs(limited - free).max() > 1e-3  # the limit changed the pose


def test_max_mojo_finishes_in_mojo_and_torch_and_onnx_with_the_reference(generator):
    assert generator._finisher("max-mojo") is mojo_finish
    assert generator._finisher("torch") is finish_frames and generator._finisher("onnx") is finish_frames


def test_mojo_finish_rejects_arrays_of_the_wrong_shape(generator):
    pos, rot, inputs = sampler_outputs(generator, 10)
    with pytest.raises(ValueError, match="rot"):
        mojo_finish(pos, rot[:, :-1], inputs)
    with pytest.raises(ValueError, match="keyframe"):
        mojo_finish(pos, rot, replace(inputs, key=(inputs.key[0][:-1], inputs.key[1])))
    with pytest.raises(ValueError, match="offsets"):
        mojo_finish(pos, rot, replace(inputs, offsets=inputs.offsets[:-1]))
