"""`python main.py bake`, for real: spawned local workers, a real local Ray cluster, a killed run resumed."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from bake.items import BakeItem, cross_items, read_items_csv
from bake.run import is_complete
from motion.bvh import read_bvh
from motion.errors import MotionFileError

ROOT = Path(__file__).resolve().parents[2]
OTHER_RIG = ROOT / "tests" / "data" / "bvh" / "clean.bvh"  # not a humanoid rig (cannot be retargeted): its items fail
ENV = {**os.environ, "MODULAR_TELEMETRY_ENABLED": "0", "RAY_USAGE_STATS_ENABLED": "0"}


def bake(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", "bake", *map(str, args)], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=600, **kwargs)


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("source,target,style,seed\n" + "\n".join(rows) + "\n")
    return path


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.bvh"))}


def test_items_cross_product_names_and_csv(tmp_path):
    items = cross_items(["humanoid3d_walk", "humanoid3d_run", "humanoid3d_jump"], ["humanoid3d_kick", ""], [0, 1], [20])
    assert len(items) == 3 * 2 * 2 * 2 and len({i.out_name() for i in items}) == len(items)
    assert items[0] == BakeItem("humanoid3d_walk", "humanoid3d_run", "humanoid3d_kick", 0, 20)
    assert items[0].out_name() == "humanoid3d_walk__humanoid3d_run__humanoid3d_kick__s0__L20.bvh"
    assert BakeItem("a/walk.bvh:12", "run.txt").out_name() == "walk@12__run__source__s0__L30.bvh"
    with pytest.raises(ValueError, match="at least two clips"):
        cross_items(["humanoid3d_walk"])
    with pytest.raises(ValueError, match="would both be written"):
        cross_items(["x/walk.bvh", "y/walk.bvh"])
    assert read_items_csv(write_csv(tmp_path / "ok.csv", ["humanoid3d_walk,humanoid3d_run,,3"])) == [
        BakeItem("humanoid3d_walk", "humanoid3d_run", "", 3, 30)]
    with pytest.raises(MotionFileError, match=r"bad\.csv:3: seed and length must be whole numbers"):
        read_items_csv(write_csv(tmp_path / "bad.csv", ["humanoid3d_walk,humanoid3d_run,,1", "a,b,,x"]))
    (tmp_path / "head.csv").write_text("from,to\na,b\n")
    with pytest.raises(MotionFileError, match=r"head\.csv:1: the header must name source and target"):
        read_items_csv(tmp_path / "head.csv")


def test_local_bake_records_failures_and_resumes(tmp_path):
    items = write_csv(tmp_path / "items.csv", ["humanoid3d_walk,humanoid3d_run,,0", "humanoid3d_walk,humanoid3d_run,,1",
                                               f"humanoid3d_walk,{OTHER_RIG},,0", "humanoid3d_run,humanoid3d_walk,,0"])
    out = tmp_path / "out"
    r = bake("--items", items, "--out", out, "--workers", 2, "--json")
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout) | {"seconds": 0} == {"items": 4, "done": 3, "skipped": 0, "failed": 1, "seconds": 0}
    assert "1 items failed" in r.stderr
    manifest = json.loads((out / "manifest.json").read_text())["items"]
    assert [m["ok"] for m in manifest] == [True, True, False, True]
    assert "cannot be retargeted" in manifest[2]["error"] and manifest[2]["out"] == "humanoid3d_walk__clean__source__s0__L30.bvh"
    assert all(m["ms"] > 0 for m in manifest) and set(manifest[0]) == {
        "source", "target", "style", "seed", "length", "out", "ok", "error", "ms"}
    first = outputs(out)
    assert len(first) == 3 and all(is_complete(out / name) for name in first)
    assert first["humanoid3d_walk__humanoid3d_run__source__s0__L30.bvh"] != first[
        "humanoid3d_walk__humanoid3d_run__source__s1__L30.bvh"]  # seeds differ
    # a truncated output (as a copy cut short would be) is baked again; the complete ones are skipped
    cut = out / "humanoid3d_run__humanoid3d_walk__source__s0__L30.bvh"
    cut.write_bytes(first[cut.name][: len(first[cut.name]) // 2])
    (out / f".{cut.name}.k1ll3d.tmp").write_bytes(b"HIER")  # the temporary of a write cut by SIGKILL: removed
    r = bake("--items", items, "--out", out, "--json")
    assert json.loads(r.stdout) | {"seconds": 0} == {"items": 4, "done": 1, "skipped": 2, "failed": 1, "seconds": 0}
    assert outputs(out) == first  # same bytes again
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left behind


def test_batched_bake_on_max_mojo_gives_the_unbatched_bits(tmp_path):
    """`--batch 4`: the items' sampler work in one batch per process (rows of different lengths, a failing item
    among them) gives, on max-mojo, the files of a bake one item at a time (its GEMM computes every row on its
    own), and the failing item fails alone."""
    items = tmp_path / "items.csv"
    items.write_text("source,target,style,seed,length\n" + "\n".join([
        "humanoid3d_walk,humanoid3d_run,,0,10", f"humanoid3d_walk,{OTHER_RIG},,0,10",
        "humanoid3d_run,humanoid3d_walk,humanoid3d_jump,1,25", "humanoid3d_run,humanoid3d_walk,,2,40"]) + "\n")
    runs = {}
    for batch in (1, 4):
        r = bake("--items", items, "--out", tmp_path / f"b{batch}", "--backend", "max-mojo", "--batch", batch,
                 "--workers", 2 if batch == 1 else 1, "--json")
        assert r.returncode == 1 and json.loads(r.stdout)["failed"] == 1, r.stderr
        manifest = json.loads((tmp_path / f"b{batch}" / "manifest.json").read_text())["items"]
        assert [m["ok"] for m in manifest] == [True, False, True, True]
        assert "cannot be retargeted" in manifest[1]["error"]
        runs[batch] = outputs(tmp_path / f"b{batch}")
    assert len(runs[1]) == 3 and runs[4] == runs[1]


def test_killed_bake_resumes_to_the_same_outputs(tmp_path):
    args = ["--clips", "humanoid3d_walk", "humanoid3d_run", "--seeds", 0, 1, 2, "--lengths", 10]
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "main.py", "bake", *map(str, args), "--out", str(out)], cwd=ROOT, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    while proc.poll() is None and not list(out.glob("*.bvh")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its worker process, mid-run
    proc.wait()
    kept = len(list(out.glob("*.bvh")))
    assert kept >= 1
    r = bake(*args, "--out", out, "--json")
    summary = json.loads(r.stdout)
    assert r.returncode == 0 and summary["skipped"] == kept and summary["done"] == 6 - kept, (summary, r.stderr)
    fresh = tmp_path / "fresh"
    assert bake(*args, "--out", fresh).returncode == 0
    assert outputs(out) == outputs(fresh) and len(outputs(out)) == 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def ray_cluster():
    """A one-node Ray cluster on 127.0.0.1 (`ray start --head --block`), stopped (its process group) at the end."""
    temp = tempfile.mkdtemp(prefix="ray")  # short: Ray's socket paths must fit in 107 characters
    port = _free_port()
    ray = Path(sys.executable).parent / "ray"
    proc = subprocess.Popen([str(ray), "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
                             "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats",
                             f"--temp-dir={temp}"],
                            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(600):
            assert proc.poll() is None, "ray start exited"
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=3)  # it has not stopped within 15 s of a SIGTERM here: 3 s, then the group is killed
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # Ray's daemons that outlived `ray start`
        except ProcessLookupError:
            pass
        proc.wait()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.slow
def test_ray_bake_matches_local_bit_for_bit(tmp_path, ray_cluster):
    args = ["--clips", "humanoid3d_walk", "humanoid3d_run", "--styles", "humanoid3d_jump", "--seeds", 0, 1,
            "--lengths", 10, "--workers", 2, "--json"]
    r = bake(*args, "--out", tmp_path / "ray", "--ray", ray_cluster)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["done"] == 4
    assert bake(*args, "--out", tmp_path / "local").returncode == 0
    ray_out, local = outputs(tmp_path / "ray"), outputs(tmp_path / "local")
    assert len(ray_out) == 4 and ray_out == local
    # an unreachable cluster is the user's mistake: one clear error, exit 2
    r = bake(*args, "--out", tmp_path / "nowhere", "--ray", f"127.0.0.1:{_free_port()}")
    assert r.returncode == 2 and "cannot connect to the Ray cluster" in r.stderr


def test_bake_takes_the_models_named_styles(tmp_path):
    """A named style of the model's library (`angry` of the Bandai Namco model) bakes as `transition --style
    angry` makes it; an unknown name is one clear error before any item runs."""
    weights = ROOT / "assets" / "rsmt_bandai"
    args = ["--clips", "humanoid3d_walk", "humanoid3d_run", "--styles", "angry", "--lengths", 10, "--weights", weights]
    r = bake(*args, "--out", tmp_path / "out", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["done"] == 2
    baked = outputs(tmp_path / "out")["humanoid3d_walk__humanoid3d_run__angry__s0__L10.bvh"]
    t = subprocess.run([sys.executable, "main.py", "transition", "--source", "humanoid3d_walk", "--target",
                        "humanoid3d_run", "--style", "angry", "--length", "10", "--weights", str(weights),
                        "--out", str(tmp_path / "one.bvh")], cwd=ROOT, env=ENV, capture_output=True, text=True,
                       timeout=600)
    assert t.returncode == 0, t.stderr
    # the same request (the bake worker runs torch on one thread, so the last digits may differ)
    (tmp_path / "baked.bvh").write_bytes(baked)
    a, b = read_bvh(tmp_path / "baked.bvh"), read_bvh(tmp_path / "one.bvh")
    assert a.num_frames == b.num_frames and np.allclose(a.rotations, b.rotations, atol=1e-4)
    assert np.allclose(a.translations, b.translations, atol=1e-3)
    r = bake(*args[:4], "no-such-style", *args[5:], "--out", tmp_path / "bad")
    assert r.returncode == 2 and "no-such-style" in r.stderr and not (tmp_path / "bad" / "manifest.json").exists()
