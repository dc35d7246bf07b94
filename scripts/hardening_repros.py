"""Issue 19's reproductions, run against a checkout: `python scripts/hardening_repros.py [REPO]` prints one row
per case: name, exit code, first stderr line (and what it checks afterwards, e.g. that no `nan` was written).

Each case runs `REPO/.venv/bin/python REPO/main.py ...` in a fresh temporary folder with a private cache
($XDG_CACHE_HOME), under a memory limit (ulimit -v 6 GB) and a 60 s timeout, so a case that would eat
the machine's memory or hang is reported (exit 124 = timed out) instead of doing so."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]).resolve()
TIMEOUT = 60
MINI_BVH = """HIERARCHY
ROOT Hips
{
 OFFSET 0 0 0
 CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
 JOINT Spine
 {
  OFFSET 0 10 0
  CHANNELS 3 Zrotation Xrotation Yrotation
  End Site
  {
   OFFSET 0 5 0
  }
 }
}
MOTION
Frames: 2
Frame Time: 0.0333333
0 90 0 0 0 0 0 0 0
0 91 0 VALUE 0 0 0 0 0
"""


def bvh(value="1", frame_time="0.0333333", channels="3") -> str:
    return MINI_BVH.replace("VALUE", value).replace("Frame Time: 0.0333333", f"Frame Time: {frame_time}") \
        .replace("CHANNELS 3", f"CHANNELS {channels}")


def deepmimic_rows(n=3, duration=1 / 30):
    clip = json.loads((_pybullet_motions() / "humanoid3d_walk.txt").read_text())
    rows = clip["Frames"][:n]
    for r in rows:
        r[0] = duration
    return rows


def _pybullet_motions() -> Path:
    out = subprocess.run([str(REPO / ".venv/bin/python"), "-c", "import pybullet_data;print(pybullet_data.getDataPath())"],
                         capture_output=True, text=True)
    return Path(out.stdout.strip()) / "data" / "motions"


def weights_copy(work: Path, edit) -> str:
    folder = work / "weights"
    shutil.copytree(REPO / "assets" / "rsmt_lite", folder)
    edit(folder)
    return str(folder)


def edit_json(path: Path, change) -> None:
    d = json.loads(path.read_text())
    path.write_text(json.dumps(change(d)))


def nan_weights(folder: Path) -> None:
    import numpy as np
    from safetensors.numpy import load_file, save_file

    t = load_file(str(folder / "sampler.safetensors"))
    name = sorted(t)[0]
    t[name] = np.full_like(t[name], np.nan)
    save_file(t, str(folder / "sampler.safetensors"))


def flip_safetensors(folder: Path) -> None:
    import numpy as np

    p = folder / "sampler.safetensors"
    data = bytearray(p.read_bytes())
    header = 8 + int.from_bytes(data[:8], "little")
    rng = np.random.default_rng(0)
    for k in rng.choice(np.arange(header, len(data)), 2000, replace=False):
        data[k] ^= 0xFF
    p.write_bytes(bytes(data))


def setting(d, key, value):
    d["rsmt"][key] = value
    return d


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def npy_67tib(path: Path) -> None:
    import numpy as np

    header = {"descr": "<f4", "fortran_order": False, "shape": (1 << 22, 1 << 22)}
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        f.write(b"\0" * 64)


def cases(work: Path):
    T = "--target humanoid3d_run --length 10 --out out.bvh"
    (work / "big.bvh").write_text(bvh("1e39"))
    (work / "huge.bvh").write_text(bvh("1e308"))
    (work / "ok.bvh").write_text(bvh("1"))
    (work / "super3.bvh").write_text(bvh(channels="³"))
    (work / "tiny_ft.bvh").write_text(bvh(frame_time="1e-310"))
    (work / "one.txt").write_text(json.dumps({"Loop": "wrap", "Frames": deepmimic_rows(1)}))
    (work / "fps_inf.txt").write_text(json.dumps({"Loop": "wrap", "Frames": deepmimic_rows(3, 1e-320)}))
    (work / "fps_tiny.txt").write_text(json.dumps({"Loop": "wrap", "Frames": deepmimic_rows(3, 1e300)}))
    (work / "deep.txt").write_text(nested(100_000))
    (work / "deep_style.json").write_text(nested(100_000))
    npy_67tib(work / "huge_style.npy")
    rows = deepmimic_rows(3)
    (work / "bigint.txt").write_text(json.dumps({"Loop": "wrap", "Frames": rows}).replace(str(rows[1][1]), "1" + "0" * 400, 1))
    joints = "HIERARCHY\nROOT J\n{\nOFFSET 0 0 0\nCHANNELS 3 Zrotation Xrotation Yrotation\n" + \
        "JOINT J\n{\nOFFSET 0 1 0\n}\n" * 9_999 + "}\nMOTION\nFrames: 1\nFrame Time: 0.0333333\n0 0 0\n"
    (work / "10000_J.bvh").write_text(joints)
    os.mkfifo(work / "fifo.bvh")
    os.symlink("/dev/zero", work / "zero.bvh")
    (work / "link_target.bvh").write_text(bvh())
    os.chmod(work / "link_target.bvh", 0o600)
    os.symlink("link_target.bvh", work / "link.bvh")
    (work / ".stale.bvh.4194999.abcdef.tmp").write_text("half a file")  # a pid above pid_max: gone
    training = work / "training"
    shutil.copytree(REPO / "assets" / "rsmt_lite", training)
    edit_json(training / "sampler.json", lambda d: {**d, "training": "oops"})

    count = iter(range(100))
    w = lambda edit: weights_copy(work / f"w{next(count)}", edit)  # noqa: E731
    return [
        ("2 NaN-filled weights", f"transition --source humanoid3d_walk {T} --weights " + w(nan_weights), "out.bvh"),
        ("2 2000 flipped bytes in safetensors", f"transition --source humanoid3d_walk {T} --weights " + w(flip_safetensors), "out.bvh"),
        ("2 position_scale inf", f"transition --source humanoid3d_walk {T} --weights " + w(
            lambda f: edit_json(f / "sampler.json", lambda d: {**d, "skeleton": {**d["skeleton"], "position_scale": float("inf")}})), "out.bvh"),
        ("2 BVH value 1e39", "convert big.bvh out.bvh", "out.bvh"),
        ("2 BVH value 1e308", "convert huge.bvh out.bvh", "out.bvh"),
        ("2 convert --scale 1e308", "convert ok.bvh out2.bvh --scale 1e308", "out2.bvh"),
        ("3 CHANNELS ³", "info super3.bvh", None),
        ("3 transition --seed -1", f"transition --source humanoid3d_walk {T} --seed -1", None),
        ("3 1-frame DeepMimic source", f"transition --source one.txt {T}", None),
        ("3 source fps inf", f"transition --source fps_inf.txt {T}", None),
        ("3 source fps 1e-300", f"transition --source fps_tiny.txt {T}", None),
        ("3 weights JSON is a list", f"transition --source humanoid3d_walk {T} --weights " + w(
            lambda f: (f / "sampler.json").write_text("[1, 2]")), None),
        ("3 weights float size", f"transition --source humanoid3d_walk {T} --weights " + w(
            lambda f: edit_json(f / "sampler.json", lambda d: setting(d, "latent_size", 16.5))), None),
        ("3 rnn_size 200000", f"transition --source humanoid3d_walk {T} --weights " + w(
            lambda f: edit_json(f / "sampler.json", lambda d: setting(d, "rnn_size", 200000))), None),
        ("3 training: oops (evaluate)", f"evaluate --sampler {training}/sampler --lengths 10", None),
        ("3 style .npy claims 67 TiB", f"transition --source humanoid3d_walk {T} --style huge_style.npy", None),
        ("3 style JSON 100,000 deep", f"transition --source humanoid3d_walk {T} --style deep_style.json", None),
        ("3 DeepMimic JSON 100,000 deep", "info deep.txt", None),
        ("3 10^400 in DeepMimic file", "info bigint.txt", None),
        ("3 convert --fps 1e9", "convert humanoid3d_walk out3.bvh --fps 1e9", None),
        ("4 10,000 joints named J", "info 10000_J.bvh --json", None),
        ("5 FIFO x.bvh", "info fifo.bvh", None),
        ("5 symlink to /dev/zero", "info zero.bvh", None),
        ("7 deepmimic --fps 1000 --seconds 1", "deepmimic --fps 1000 --seconds 1 --out dm.bvh", "dm.bvh"),
        ("7 deepmimic --fps inf", "deepmimic --fps inf --seconds 1 --out dm2.bvh", "dm2.bvh"),
        ("7 Frame Time 1e-310 info --json", "info tiny_ft.bvh --json", None),
        ("8 stale temp file", "convert ok.bvh stale.bvh", ".stale.bvh.4194999.abcdef.tmp"),
        ("8 write over a symlink", "convert ok.bvh link.bvh", "link.bvh"),
        ("8 transition backend not ready", f"transition --source humanoid3d_walk {T} --backend max", None),
        ("8 deepmimic backend not ready", "deepmimic --seconds 0.1 --backend max", None),
    ]


def describe_output(work: Path, out: str | None, stdout: str) -> str:
    if out is None:
        return "non-finite in stdout" if any(w in stdout for w in ("NaN", "Infinity", "nan", "inf ")) else ""
    p = work / out
    if out.startswith(".stale"):
        return "stale temp left" if p.exists() else "stale temp removed"
    if p.is_symlink():
        return f"still a symlink; target mode {oct(os.stat(p).st_mode & 0o777)}"
    if not p.exists():
        return "nothing written"
    text = p.read_text(errors="replace")
    bad = "NON-FINITE WRITTEN" if ("nan" in text or "inf" in text) else "finite"
    extra = ""
    if out.startswith("dm"):
        lines = text.splitlines()
        frames = next(l for l in lines if l.startswith("Frames"))
        ft = next(l for l in lines if l.startswith("Frame Time"))
        extra = f", {frames}, {ft}"
    if out == "link.bvh":
        extra = f", symlink replaced by a file of mode {oct(p.stat().st_mode & 0o777)}"
    return bad + extra


def main() -> None:
    env = {**os.environ, "MODULAR_TELEMETRY_ENABLED": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env["XDG_CACHE_HOME"] = str(work / "cache")
        for name, command, out in cases(work):
            shell = f"ulimit -v 6000000; exec timeout {TIMEOUT} {REPO}/.venv/bin/python {REPO}/main.py {command}"
            wall = time.perf_counter()
            done = subprocess.run(["bash", "-c", shell], cwd=work, env=env, capture_output=True, text=True)
            wall = time.perf_counter() - wall
            errors = [l for l in done.stderr.splitlines()
                      if l.strip() and not l.startswith(("warning:", "pybullet build time"))]
            first = "traceback: " + errors[-1] if "Traceback" in done.stderr else (errors[0] if errors else "")
            print(f"{name:38s} | {wall:5.1f} s | exit {done.returncode:3d} | {first[:150]} | {describe_output(work, out, done.stdout)}",
                  flush=True)


if __name__ == "__main__":
    main()
