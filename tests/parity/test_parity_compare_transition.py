"""compare_transition: the report's arrays, shapes and modes on an untrained lite model. The candidate is the
torch backend itself here (the MAX RSMT graphs take minutes to compile), so every difference must be exactly
zero: the comparison machinery adds nothing of its own."""
from __future__ import annotations

import numpy as np
import pytest

from parity.compare import transition_request
from parity.compare_transition import compare_transition
from inference.rsmt.models import random_rsmt_weights

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
    assert {m for m, _, _ in modes} == {"transition", "rsmt_phase", "rsmt_sampler_style", "rsmt_sampler_target",
                                        "rsmt_warmup",  # the warm-up where both backends have it (torch does)
                                        "rsmt_finish"}  # and the post-processing on the same sampler outputs
    assert {o for m, o, _ in modes if m == "rsmt_finish"} == {"local", "root", "positions"}
    assert all(r.max_abs == 0.0 and r.max_rel == 0.0 for r in rep.rows)


def test_per_frame_latencies(report):
    _, rep = report
    lat = rep.latency_us["torch"]
    assert len(lat) == LENGTH and min(lat) > 0
    assert rep.ms_per_frame["torch"] > 0


def test_report_files_hold_the_whole_report_and_one_csv_row_per_frame(report, tmp_path):
    """What the Compare panel exports and `compare-transition --report` writes (parity.transition_report)."""
    import csv
    import json

    from parity.transition_report import error_matrix, write_transition_report

    model, rep = report
    paths = write_transition_report(rep, tmp_path / "walk_to_run.png")  # any of the three suffixes names the base
    assert [p.name for p in paths] == ["walk_to_run.json", "walk_to_run.csv"]
    saved = json.loads(paths[0].read_text())
    assert saved["length"] == LENGTH and saved["candidate"] == "torch" and len(saved["rows"]) == len(rep.rows)
    rows = list(csv.reader(paths[1].open()))
    assert rows[0][:3] == ["frame", "free_running_max_cm", "teacher_forced_max_cm"] and len(rows) == LENGTH + 1
    matrix, joints = error_matrix(rep, "free_running")
    assert matrix.shape == (LENGTH, model.cfg.num_joints) and joints == list(rep.joint_names)
    assert error_matrix(rep, "teacher_forced")[0].shape == (1, model.cfg.n_pos)


def test_cli_twin_of_the_compare_panel_writes_its_report(compiled_max_cache, tmp_path, monkeypatch):
    """`compare-transition --report`: the shipped model on torch and max-mojo, within the parity tolerance."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from inference.networks.rsmt_config import TRANSITION_KINDS

    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(compiled_max_cache(TRANSITION_KINDS, "lite")))
    base = tmp_path / "report"
    proc = subprocess.run([sys.executable, "main.py", "compare-transition", "--source", "humanoid3d_walk:30",
                           "--target", "humanoid3d_run:4", "--length", "10", "--against", "max-mojo",
                           "--report", str(base), "--json"], cwd=Path(__file__).resolve().parents[2],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["candidate"] == "max-mojo" and summary["length"] == 10
    assert summary["report"] == [str(base) + ".json", str(base) + ".csv"]
    networks = [r for r in summary["rows"] if r["model"] != "transition"]
    assert networks and all(r["max_abs"] <= 1e-4 for r in networks)
    assert len((tmp_path / "report.csv").read_text().splitlines()) == 11
