"""A torch-vs-candidate transition report (`parity.compare_transition`) as data: the per-frame, per-joint error
matrix the Compare panel's heatmap shows, and the JSON + CSV files it exports (`compare-transition --report`)."""
from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from motion.atomic import atomic_write
from parity.compare_transition import TransitionReport


def error_matrix(report: TransitionReport, mode: str) -> tuple[np.ndarray, list[str]]:
    """(frames, joints) errors in cm and the joint names. Free-running: every joint of every frame from the
    two backends' positions; teacher-forced: the report keeps only each joint's largest error (one row)."""
    if mode == "free_running":
        pos = report.free_running["positions"]
        ref, cand = np.asarray(pos[report.reference]), np.asarray(pos[report.candidate])
        return np.linalg.norm(cand - ref, axis=-1) * report.position_scale, list(report.joint_names)
    tf = report.teacher_forced
    return np.asarray(tf["per_joint_cm"])[None], list(tf["joints"])


def write_transition_report(report: TransitionReport, base: str | Path) -> list[Path]:
    """`base`.json (the whole report) and `base`.csv (per frame: errors of both modes, both latencies), each
    written atomically; `base` may end in .json, .csv or .png (the GUI adds a .png of its plots)."""
    base = Path(base)
    if base.suffix.lower() in (".json", ".csv", ".png"):
        base = base.with_suffix("")
    paths = [base.with_suffix(".json"), base.with_suffix(".csv")]
    with atomic_write(paths[0]) as f:
        json.dump(asdict(report), f)
    with atomic_write(paths[1]) as f:
        writer = csv.writer(f)
        ref, cand = report.reference, report.candidate
        writer.writerow(["frame", "free_running_max_cm", "teacher_forced_max_cm", f"{ref}_latency_us",
                         f"{cand}_latency_us"])
        for i in range(report.length):
            writer.writerow([i, report.free_running["per_frame_cm"][i], report.teacher_forced["per_frame_cm"][i],
                             report.latency_us[ref][i], report.latency_us[cand][i]])
    return paths
