"""The HTTP service, for real: `python main.py serve` (uvicorn) in a subprocess on a free localhost port,
asked by an HTTP client. Torch backend (no compiled MAX models needed)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from motion.bvh import bvh_text, parse_bvh
from motion.deepmimic import load_embedded

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "bvh"
MAX_BODY = 300_000
QUEUE = 2
WALK_TO_RUN = {"source": "humanoid3d_walk", "target": "humanoid3d_run"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(base url, Popen) of a running service; stopped with SIGTERM at the end (if a test has not)."""
    port = free_port()
    env = {**os.environ, "MODULAR_TELEMETRY_ENABLED": "0",
           "MOTION_STUDIO_DATA": str(tmp_path_factory.mktemp("data"))}
    log = open(tmp_path_factory.mktemp("log") / "serve.log", "w+")
    proc = subprocess.Popen([sys.executable, "main.py", "serve", "--port", str(port), "--queue", str(QUEUE),
                             "--max-body", str(MAX_BODY)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):  # the model loads before the port opens
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail(f"serve exited with {proc.returncode}:\n{log.read()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    yield url, proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    log.close()


def metric(text: str, name: str, **labels) -> float:
    """The value of one sample of the Prometheus text (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{want}}} ") or (not labels and line.startswith(name + " ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_serve_refuses_a_busy_port_and_a_bad_library(tmp_path):
    env = {**os.environ, "MODULAR_TELEMETRY_ENABLED": "0"}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        r = subprocess.run([sys.executable, "main.py", "serve", "--port", str(busy.getsockname()[1])], cwd=ROOT,
                           env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "error: cannot listen on 127.0.0.1:" in r.stderr, r.stderr
    r = subprocess.run([sys.executable, "main.py", "serve", "--port", str(free_port()), "--library", str(tmp_path / "no")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stderr.strip() == f"error: {tmp_path / 'no'}: not a folder of motion files", r.stderr


def test_transition_from_names_and_from_uploaded_bvh(server):
    url, _ = server
    r = httpx.post(url + "/v1/transitions", json={**WALK_TO_RUN, "length": 20, "seed": 3}, timeout=120)
    assert r.status_code == 200, r.text
    body = r.json()
    motion = parse_bvh(body["bvh"], "response.bvh")
    assert motion.num_frames == body["frames"] and body["fps"] == 30.0 and not motion.warnings
    first, end = body["generated"]
    assert end - first == 20 and body["backend"] == "torch" and body["timings_ms"]["total"] > 0
    again = httpx.post(url + "/v1/transitions", json={**WALK_TO_RUN, "length": 20, "seed": 3}, timeout=120).json()
    assert again["bvh"] == body["bvh"]  # same seed, same frames
    other = httpx.post(url + "/v1/transitions", json={**WALK_TO_RUN, "length": 20, "seed": 4}, timeout=120).json()
    assert other["bvh"] != body["bvh"]
    # the same clips sent as BVH text (a rig the model reads), styled by a clip name
    uploaded = {"source": {"bvh": bvh_text(load_embedded("humanoid3d_walk"))},
                "target": {"bvh": bvh_text(load_embedded("humanoid3d_run"))}, "length": 20, "seed": 3,
                "style": "humanoid3d_jump"}
    r = httpx.post(url + "/v1/transitions", json=uploaded, timeout=120)
    assert r.status_code == 200, r.text
    assert parse_bvh(r.json()["bvh"], "r.bvh").num_frames == body["frames"]


def test_models_styles_health(server):
    url, _ = server
    models = httpx.get(url + "/v1/models").json()
    assert models["backends"]["torch"] == {"ready": True, "loaded": 5}  # preloaded at startup, the warm-up too
    styles = httpx.get(url + "/v1/styles").json()
    assert "humanoid3d_walk" in styles["clips"] and styles["custom"] == []
    assert httpx.get(url + "/healthz").json() == {"status": "ok"}


def _bad_requests() -> list[tuple[str, str, dict, int, str]]:
    """(what, path, httpx request kwargs, status, words the message must hold)."""
    t = "/v1/transitions"
    clean, bad_number = (DATA / "clean.bvh").read_text(), (DATA / "bad_number.bvh").read_text()
    return [
        ("not JSON", t, {"content": b"{bad", "headers": {"content-type": "application/json"}}, 400, "not valid JSON"),
        ("empty body", t, {"content": b"", "headers": {"content-type": "application/json"}}, 422, "body"),
        ("a JSON list", t, {"json": [1, 2]}, 422, "body"),
        ("no source", t, {"json": {"target": "humanoid3d_run"}}, 422, "source: Field required"),
        ("no target", t, {"json": {"source": "humanoid3d_walk"}}, 422, "target: Field required"),
        ("unknown field", t, {"json": {**WALK_TO_RUN, "colour": 1}}, 422, "colour: Extra inputs"),
        ("clip neither name nor BVH", t, {"json": {**WALK_TO_RUN, "target": 7}}, 422,
         'target: should be a name or {"bvh": ...}'),
        ("unknown clip", t, {"json": {**WALK_TO_RUN, "source": "moonwalk"}}, 400, "no clip named 'moonwalk'"),
        ("blank BVH", t, {"json": {**WALK_TO_RUN, "source": {"bvh": "  \n"}}}, 400, "source.bvh: empty"),
        ("not a BVH", t, {"json": {**WALK_TO_RUN, "target": {"bvh": "hello"}}}, 400, "target.bvh"),
        ("BVH bad number", t, {"json": {**WALK_TO_RUN, "source": {"bvh": bad_number}}}, 400, "source.bvh:"),
        ("BVH of another rig", t, {"json": {**WALK_TO_RUN, "source": {"bvh": clean}}}, 400, "cannot be retargeted"),
        ("length too short", t, {"json": {**WALK_TO_RUN, "length": 5}}, 422, "length"),
        ("length too long", t, {"json": {**WALK_TO_RUN, "length": 61}}, 422, "length"),
        ("length not a number", t, {"json": {**WALK_TO_RUN, "length": "abc"}}, 422, "length"),
        ("negative seed", t, {"json": {**WALK_TO_RUN, "seed": -1}}, 422, "seed"),
        ("unknown backend", t, {"json": {**WALK_TO_RUN, "backend": "cuda"}}, 422, "backend"),
        ("style strength too high", t, {"json": {**WALK_TO_RUN, "style_strength": 3.5}}, 422, "style_strength"),
        ("style strength on a model without a style library", t, {"json": {**WALK_TO_RUN, "style_strength": 1.5}},
         400, "style strength other than 1 needs the model's style library"),
        ("source frame out of range", t, {"json": {**WALK_TO_RUN, "source_frame": 9999}}, 400, "out of range"),
        ("target frame out of range", t, {"json": {**WALK_TO_RUN, "target_frame": -9999}}, 400, "out of range"),
        ("unknown style", t, {"json": {**WALK_TO_RUN, "style": "sneaky"}}, 400, "no clip or custom style named"),
        ("style code of the wrong shape", t, {"json": {**WALK_TO_RUN, "style": {"code": [[[1.0]]]}}}, 400, "style code"),
        ("style code with NaN", t, {"content": b'{"source": "humanoid3d_walk", "target": "humanoid3d_run", '
                                               b'"style": {"code": [[[NaN]]]}}',
                                    "headers": {"content-type": "application/json"}}, 422,
         "style.code.0.0.0: Input should be a finite number"),
        ("body over the limit", t, {"json": {**WALK_TO_RUN, "source": {"bvh": "x" * (MAX_BODY + 1)}}}, 413,
         f"limit of {MAX_BODY} bytes"),
        ("compare against torch", "/v1/compare", {"json": {**WALK_TO_RUN, "candidate": "torch"}}, 422, "candidate"),
        ("unknown path", "/v1/transition", {"json": WALK_TO_RUN}, 404, "Not Found"),
    ]


def test_bad_requests_get_4xx_json_naming_the_problem(server):
    url, _ = server
    before = httpx.get(url + "/metrics").text
    cases = _bad_requests()
    assert len(cases) >= 20
    for what, path, kwargs, status, words in cases:
        r = httpx.post(url + path, timeout=60, **kwargs)
        assert r.status_code == status, (what, r.status_code, r.text)
        body = r.json()
        assert set(body) == {"error", "message"} and words in body["message"], (what, body)
    r = httpx.get(url + "/v1/transitions")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"
    after = httpx.get(url + "/metrics").text
    grew = sum(metric(after, "motion_studio_requests_total", endpoint=e, status=str(s))
               - metric(before, "motion_studio_requests_total", endpoint=e, status=str(s))
               for e in ("/v1/transitions", "/v1/compare", "other") for s in (400, 404, 405, 413, 422))
    assert grew == len(cases) + 1
    assert metric(after, "motion_studio_errors_total", endpoint="/v1/transitions", kind="bad_motion") \
        - metric(before, "motion_studio_errors_total", endpoint="/v1/transitions", kind="bad_motion") == 3


def _post_all(url: str, n: int, length: int = 60) -> list[int]:
    codes: list[int] = []

    def post():
        codes.append(httpx.post(url + "/v1/transitions", json={**WALK_TO_RUN, "length": length}, timeout=300).status_code)

    threads = [threading.Thread(target=post) for _ in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return codes


def test_full_queue_answers_429_and_metrics_count_it(server):
    url, _ = server
    codes = _post_all(url, 4 * QUEUE)
    assert set(codes) <= {200, 429} and codes.count(200) >= 1 and codes.count(429) >= 1, codes
    text = httpx.get(url + "/metrics").text
    assert metric(text, "motion_studio_errors_total", endpoint="/v1/transitions", kind="queue_full") == codes.count(429)
    assert metric(text, "motion_studio_inference_seconds_count", backend="torch", endpoint="transitions") >= 4
    assert metric(text, "motion_studio_models_loaded", backend="torch") == 5
    assert metric(text, "motion_studio_queue_depth") == 0


def test_sigterm_finishes_requests_in_flight(server):
    """Runs last: SIGTERM while requests compute; they are answered 200, then the process ends (uvicorn
    re-raises the signal once it has shut down, so the exit status is the conventional -SIGTERM)."""
    url, proc = server
    sent = False
    for _ in range(5):  # until the signal lands while every request is in flight (accepted, not yet answered)
        codes: list[int] = []
        worker = threading.Thread(target=lambda: codes.extend(_post_all(url, QUEUE)))
        worker.start()
        while worker.is_alive() and not sent:
            if metric(httpx.get(url + "/metrics").text, "motion_studio_queue_depth") >= QUEUE:
                proc.send_signal(signal.SIGTERM)
                sent = True
        worker.join()
        if sent:
            break
    assert sent
    assert proc.wait(timeout=120) == -signal.SIGTERM
    assert codes == [200] * QUEUE
