"""`bench --e2e`: the end-to-end transition rows (transition_e2e_<L>f, with their prepare / networks / post
breakdown) on torch and ONNX Runtime. Timings are noisy on a shared machine: only their consistency is asserted."""
from __future__ import annotations

import pytest

from parity.bench import E2E_PARTS, PEER, REFERENCE, RIG_LENGTH, TRANSITION_LENGTHS, BenchConfig, run_bench

BACKENDS = (REFERENCE, PEER)


@pytest.fixture(scope="module")
def report():
    return run_bench(BenchConfig(backends=BACKENDS, e2e_only=True, runs=3, warmup=1, memory=False))


def test_e2e_rows_for_every_length_and_backend(report):
    cases = [f"transition_e2e_{n}f" for n in TRANSITION_LENGTHS]
    rig = f"transition_e2e_{RIG_LENGTH}f_rig"
    if not any(s["case"] == rig for s in report.skipped):  # the CMU clip of the shared data is there
        cases.append(rig)
    expected = {(c + suffix, b) for c in cases for suffix in ("", *(f"_{p}" for p in E2E_PARTS)) for b in BACKENDS}
    assert {(r.case, r.backend) for r in report.rows} == expected  # no network rows, no policy step
    assert report.memory == [] and set(report.meta["transition_path"]) == set(cases)  # a rollout path per case
    assert all(set(paths) == set(BACKENDS) for paths in report.meta["transition_path"].values())
    by_key = {(r.case, r.backend): r for r in report.rows}
    for case in cases:
        for b in BACKENDS:
            whole = by_key[(case, b)]
            assert whole.batch == 1 and whole.runs == 3 and 0 < whole.p10_us <= whole.median_us <= whole.p90_us
            parts = [by_key[(f"{case}_{p}", b)] for p in E2E_PARTS]
            assert all(r.runs == 3 and r.median_us > 0 for r in parts)
            # the parts partition each call's own total, which the wall time of the same calls contains
            assert sum(r.p10_us for r in parts) <= whole.p90_us


def test_e2e_table_gives_speed_ups_over_torch_and_the_peer(report):
    table = report.table()
    assert f"/{REFERENCE}" in table and f"/{PEER}" in table
    rows = {(r.case, r.backend): r for r in report.rows}
    lines = table.splitlines()
    block = lines[next(i for i, l in enumerate(lines) if l.startswith("end-to-end transition")):]
    line = next(l for l in block if l.startswith("transition_e2e_30f "))
    torch_ms, peer_ms = rows[("transition_e2e_30f", REFERENCE)].median_us, rows[("transition_e2e_30f", PEER)].median_us
    cells = line.split()[1:]  # per backend: ms, speed-up over torch, over the peer
    assert float(cells[0]) == pytest.approx(torch_ms / 1e3, abs=0.01)
    assert float(cells[4]) == pytest.approx(torch_ms / peer_ms, abs=0.01)  # the peer's speed-up over torch
    assert float(cells[5]) == 1.0
