"""compare_transition: the report's arrays, shapes and modes on an untrained lite model. The candidate is the
torch backend itself here (the MAX RSMT graphs take minutes to compile), so every difference must be exactly
zero: the comparison machinery adds nothing of its own."""
from __future__ import annotations

import numpy as np
import pytest

from inference.compare import transition_request
from inference.compare_transition import compare_transition
from inference.models import random_rsmt_weights

LENGTH = 12


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    model = random_rsmt_weights(tmp_path_factory.mktemp("rsmt_lite"), seed=2)
    return model, compare_transition(transition_request(LENGTH, seed=1), model, candidate="torch")


def test_free_running_and_teacher_forced_arrays(report):
    model, rep = report
    assert rep.length == LENGTH and len(rep.joint_names) == model.cfg.num_joints
    fr, tf = rep.free_running, rep.teacher_forced
    assert len(fr["per_frame_file"]) == len(fr["per_frame_cm"]) == LENGTH
    assert len(fr["per_joint_file"]) == len(fr["per_joint_cm"]) == model.cfg.num_joints
    assert np.asarray(fr["positions"]["torch"]).shape == (LENGTH, model.cfg.num_joints, 3)
    assert len(tf["per_frame_cm"]) == LENGTH and len(tf["per_joint_cm"]) == len(tf["joints"]) == model.cfg.n_pos
    assert max(fr["per_frame_cm"]) == max(tf["per_frame_cm"]) == 0.0


def test_rows_cover_every_network_call(report):
    _, rep = report
    modes = {(r.model, r.output, r.mode) for r in rep.rows}
    assert {("transition", "positions", "free-running"), ("transition", "pos", "teacher-forced"),
            ("transition", "rot", "teacher-forced"), ("rsmt_sampler_target", "target_latent", "teacher-forced")} <= modes
    assert {m for m, _, _ in modes} == {"transition", "rsmt_phase", "rsmt_sampler_style", "rsmt_sampler_target"}
    assert all(r.max_abs == 0.0 and r.max_rel == 0.0 for r in rep.rows)


def test_per_frame_latencies(report):
    _, rep = report
    lat = rep.latency_us["torch"]
    assert len(lat) == LENGTH and min(lat) > 0
    assert rep.ms_per_frame["torch"] > 0
