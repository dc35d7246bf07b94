"""Builds and locates the Mojo artefacts compiled from the sources in ``mojo/``.

Two artefacts, both under the ignored ``build/mojo/``:

- ``kernels.mojoc``: the MAX custom-op package (``mojo precompile mojo/kernels``), passed to
  ``max.graph.Graph(custom_extensions=...)`` by inference/backends/mojo/ops.py;
- ``motion_kernels.so``: a CPython extension written in Mojo (``mojo build --emit shared-lib``), called
  directly from Python with numpy buffer addresses (inference/backends/mojo/addresses.py; callers such as
  inference/backends/mojo/fk.py and inference/backends/mojo/mlp.py).

``scripts/setup.sh`` builds them (via ``scripts/build_mojo.sh``, which runs ``python -m inference.backends.mojo.build``).
A stamp file records the hash of every ``mojo/**/*.mojo`` source, so :func:`ensure_built` rebuilds only
when a source changed (or an artefact is missing), under a file lock so that concurrent processes build once.
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import ModuleType

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SOURCE_DIR = PROJECT_ROOT / "mojo"
BUILD_DIR = PROJECT_ROOT / "build" / "mojo"
KERNELS_PACKAGE = BUILD_DIR / "kernels.mojoc"
EXTENSION_NAME = "motion_kernels"
EXTENSION = BUILD_DIR / f"{EXTENSION_NAME}.so"
_STAMP = BUILD_DIR / "sources.sha256"


class MojoBuildError(RuntimeError):
    """The Mojo compiler is missing or rejected a source; the message holds its output."""


def sources_hash() -> str:
    """sha256 over the compiler version and the relative path and content of every Mojo source (changes
    whenever a build would)."""
    digest = hashlib.sha256()
    try:
        digest.update(f"mojo-compiler {version('mojo-compiler')}\n".encode())
    except PackageNotFoundError:  # no compiler: is_current() is False and build() says what is missing
        digest.update(b"no compiler\n")
    for path in sorted(SOURCE_DIR.rglob("*.mojo")):
        digest.update(str(path.relative_to(SOURCE_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def is_current() -> bool:
    return (KERNELS_PACKAGE.is_file() and EXTENSION.is_file() and _STAMP.is_file()
            and _STAMP.read_text().strip() == sources_hash())


def _mojo() -> str:
    candidate = Path(sys.executable).with_name("mojo")  # the venv's compiler (pip package mojo-compiler)
    if candidate.is_file():
        return str(candidate)
    raise MojoBuildError(f"{candidate}: the Mojo compiler is not installed (run scripts/setup.sh)")


def _run(args: list[str], target: Path) -> None:
    """Run one compiler command writing `target` atomically (to a temporary name, then renamed)."""
    # the file name must be the final one: `mojo precompile` records it as the package name
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as tmp_dir:
        tmp = Path(tmp_dir) / target.name
        env = {**os.environ, "MODULAR_TELEMETRY_ENABLED": "0"}
        result = subprocess.run([*args, "-o", str(tmp)], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
        if result.returncode != 0 or not tmp.is_file():
            output = (result.stdout + result.stderr).strip()
            raise MojoBuildError(f"{target.name}: `{' '.join(args)}` failed (exit {result.returncode}):\n"
                                 f"{output[-4000:]}")
        tmp.replace(target)


def build(force: bool = False) -> bool:
    """Compile both artefacts unless they are current; True if it compiled. Raises MojoBuildError."""
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    with open(BUILD_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a concurrent builder finishes first; then we are current
        if not force and is_current():
            return False
        digest = sources_hash()
        mojo = _mojo()
        jobs = [([mojo, "precompile", str(SOURCE_DIR / "kernels")], KERNELS_PACKAGE),
                ([mojo, "build", "-I", str(SOURCE_DIR), str(SOURCE_DIR / "pyext" / f"{EXTENSION_NAME}.mojo"),
                  "--emit", "shared-lib"], EXTENSION)]
        with ThreadPoolExecutor(len(jobs)) as pool:
            for future in [pool.submit(_run, args, target) for args, target in jobs]:
                future.result()
        _STAMP.write_text(digest + "\n")
        return True


def ensure_built() -> None:
    if not is_current():
        build()


def kernels_package() -> Path:
    """The compiled custom-op package, built first if missing or stale."""
    ensure_built()
    return KERNELS_PACKAGE


@lru_cache(maxsize=1)
def extension() -> ModuleType:
    """The `motion_kernels` extension module, built first if missing or stale; loaded from build/mojo/
    by path (build/ is never put on sys.path)."""
    ensure_built()
    loader = importlib.machinery.ExtensionFileLoader(EXTENSION_NAME, str(EXTENSION))
    spec = importlib.util.spec_from_file_location(EXTENSION_NAME, EXTENSION, loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    _restore_c_environment()
    return module


# Loading a Mojo extension sets these in the C environment, behind os.environ's back (PYTHONEXECUTABLE to
# whichever `python3` is first on PATH): child processes (MAX compile workers, CLI subprocesses) would then
# start outside this virtual environment and fail to import anything installed in it.
_MOJO_SETS = ("PYTHONEXECUTABLE", "PYTHONPATH", "MOJO_PYTHON_LIBRARY")


def _restore_c_environment() -> None:
    for name in _MOJO_SETS:
        if name in os.environ:
            os.putenv(name, os.environ[name])
        else:
            os.unsetenv(name)


def main() -> int:
    force = "--force" in sys.argv[1:]
    try:
        built = build(force=force)
    except MojoBuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"mojo: {'built' if built else 'up to date'}: {KERNELS_PACKAGE.relative_to(PROJECT_ROOT)}, "
          f"{EXTENSION.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
