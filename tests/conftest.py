"""Shared test fixtures.

Qt hygiene applies only to tests that use pytest-qt (`qtbot` / `qapp`); Qt-free tests never import Qt here.
- QSettings go to a per-test temporary folder (no test reads or writes the user's real settings).
- A test that leaves a QThread running fails (a running QThread that gets collected aborts the process).
- The windows pytest-qt closes after a test are deleted then, not at exit (see pytest_runtest_teardown).
- Main windows do not compile MAX models at start (MOTION_STUDIO_COMPILE_AT_START=0) unless a test sets it.
- Stores see no shipped MEFs (MOTION_STUDIO_SHIPPED_MEFS empty: every model must be compiled, as on a machine
  the shipped ones do not fit) unless a test sets it; `compiled_max_cache` takes its models from them.
- Tests that need compiled MAX models are marked `slow` (`pytest -m "not slow"` is the fast subset).
- A session that runs slow tests starts tests/kernel_cache_warmup.py in the background: it compiles the models
  the tests of the panels' Compile buttons compile again into the app's MAX kernel cache; each of those tests
  waits for its model (the `warm_kernel_cache` fixture), so its real compile is a cache hit, not a cold minute.
- Tests marked `gl` need an OpenGL context; they are skipped under QT_QPA_PLATFORM=offscreen, where
  QOpenGLWidget is unsupported (pytest-xvfb provides an X server for them by default).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

_QT_FIXTURES = {"qtbot", "qapp"}
_warmup: subprocess.Popen | None = None
_warmup_dir: str | None = None


def pytest_configure(config):
    """Stores compile what they miss (the tests of compiling need that), in session-scoped fixtures too, unless
    a test points them at MEFs (`compiled_max_cache` does: the shipped ones)."""
    os.environ["MOTION_STUDIO_SHIPPED_MEFS"] = ""


def pytest_collection_modifyitems(items):
    """A test that needs compiled MAX models (the `compiled_max_cache` fixture) is slow: from an empty MAX cache
    each graph compiles in ~50 s. `pytest -m "not slow"` is the fast subset."""
    for item in items:
        if "compiled_max_cache" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def pytest_collection_finish(session):
    """A session with slow tests starts the kernel-cache warm-up (tests/kernel_cache_warmup.py) beside them."""
    global _warmup, _warmup_dir
    if any(item.get_closest_marker("slow") for item in session.items):
        _warmup_dir = tempfile.mkdtemp(prefix="kernel-cache-warmup-")
        _warmup = subprocess.Popen([sys.executable, str(Path(__file__).with_name("kernel_cache_warmup.py")),
                                    _warmup_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)  # its own process group: it and its compile workers


def pytest_sessionfinish(session):
    import shutil

    if _warmup is not None:
        if _warmup.poll() is None:  # a session cut short (-x, Ctrl-C)
            os.killpg(_warmup.pid, signal.SIGKILL)
        _warmup.wait()
        shutil.rmtree(_warmup_dir, ignore_errors=True)


@pytest.fixture
def warm_kernel_cache():
    """wait(kind, preset="humanoid3d"): until the background warm-up has compiled that model (or has ended), so
    that compiling it again with the app's kernel cache is a MAX cache hit (seconds). The warm-up compiles its
    models in the order the tests need them, so a test waits only for its own."""
    import time

    from inference.backends.max.store import READY, MefStore

    def wait(kind: str, preset: str = "humanoid3d", limit_s: float = 600.0) -> None:
        if _warmup is None:
            return
        store = MefStore(Path(_warmup_dir) / "max", shipped=None)
        give_up = time.monotonic() + limit_s  # a stuck warm-up: the test compiles the model itself
        while _warmup.poll() is None and store.status(kind, preset) != READY and time.monotonic() < give_up:
            time.sleep(0.5)

    return wait


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item):
    """After pytest-qt's teardown: delete the windows it closed (its `deleteLater` hands a window to Qt, and
    only a running event loop deletes it). Left to the end of the session, such a window outlives the view
    it embeds: at exit PySide deletes the Python-owned QOpenGLWindow first, then ~QApplication destroys the
    window's container, which reaches for it (a segmentation fault, exit 139, after every test passed)."""
    result = yield
    if _QT_FIXTURES & set(getattr(item, "fixturenames", ())):
        from PySide6.QtCore import QEvent
        from PySide6.QtWidgets import QApplication

        if QApplication.instance() is not None:
            QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return result


def pytest_runtest_setup(item):
    if item.get_closest_marker("gl") and os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        pytest.skip("needs OpenGL: run under Xvfb (pytest-xvfb), not QT_QPA_PLATFORM=offscreen")


@pytest.fixture(scope="session")
def qapp_cls():
    """pytest-qt builds its QApplication from this: configured as the real app is (shared GL contexts)."""
    from PySide6.QtWidgets import QApplication

    from gui.app import configure_qt

    configure_qt()
    return QApplication


@pytest.fixture(scope="session")
def compiled_max_cache(tmp_path_factory):
    """make(kinds, preset=None) -> a temporary MOTION_STUDIO_CACHE folder whose MEF store has `kinds` ready
    (the kinds that come in sizes, RSMT's, at `preset`, e.g. "lite"; the DeepMimic kinds have one size).
    Each model comes from the shipped MEFs (assets/max, as in the app), else from the app's own store, else is
    compiled at most once per session, by the real compile workers (one per core) with the app's MAX kernel
    cache, into one session store that every call copies from (same graph hash = the same model). The folder's kernel cache is the
    app's too (a link), so a test that makes the app compile a model again there (a damaged MEF) hits MAX's
    cache instead of compiling cold (a cold rsmt_phase is the slowest graph: ~4 CPU-minutes)."""
    import shutil

    from inference.backends.max.store import READY, SHIPPED_ROOT, MefStore, cache_root

    app = MefStore(cache_root(), shipped=None)
    shared = MefStore(tmp_path_factory.mktemp("compiled-once") / "max", kernel_cache=app.kernel_cache,
                      shipped=SHIPPED_ROOT)
    shared.mef_dir.mkdir(parents=True, exist_ok=True)

    def copy(source: MefStore, target: MefStore, kind: str, preset: str | None) -> None:
        for path in (source.mef_path(kind, preset), source.mef_path(kind, preset).with_suffix(".json")):
            shutil.copy2(path, target.mef_dir / path.name)

    def make(kinds, preset: str | None = None):
        # the RSMT kinds at `preset`; the others have one size
        wanted = [(k, preset if preset in shared.presets(k) else next(iter(shared.presets(k)))) for k in kinds]
        for kind, p in wanted:  # shipped (status installs it), else the app's
            if shared.status(kind, p) != READY and app.status(kind, p) == READY:
                copy(app, shared, kind, p)
        status = shared.ensure(kinds, presets={p for _, p in wanted})  # one pool of workers, one per core
        assert all(s == READY for s in status.values()), {k: shared.failure(*k) for k in status}
        cache = tmp_path_factory.mktemp("motion-studio-cache")
        store = MefStore(cache / "max", kernel_cache=app.kernel_cache)
        store.mef_dir.mkdir(parents=True, exist_ok=True)
        app.kernel_cache.mkdir(parents=True, exist_ok=True)
        (cache / "max" / "modular").symlink_to(app.kernel_cache)  # a recompile in a test is a kernel-cache hit
        for kind, p in wanted:
            copy(shared, store, kind, p)
        return cache

    make.kernel_cache = app.kernel_cache  # link a store's `modular` here: its compiles are warm (seconds)
    return make


@pytest.fixture
def worker_like():
    """A live process whose command line names the MAX compile worker module, as a real worker's does (the
    store takes only such a process's `.compiling` marker for a live claim)."""
    import subprocess
    import sys

    from inference.backends.max.store import WORKER_MODULE
    from motion.processes import process_command

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", WORKER_MODULE])
    while WORKER_MODULE not in (process_command(proc.pid) or ""):  # until the child has exec'd
        assert proc.poll() is None
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture(autouse=True)
def _no_compile_at_start(monkeypatch):
    """Main windows do not start compiling MAX models in the background (gui.max_models) unless a test asks."""
    monkeypatch.setenv("MOTION_STUDIO_COMPILE_AT_START", "0")


@pytest.fixture(autouse=True)
def _qt_hygiene(request, tmp_path_factory, monkeypatch):
    if not _QT_FIXTURES & set(request.fixturenames):
        yield
        return
    from PySide6.QtCore import QSettings, QThread

    settings_dir = tmp_path_factory.mktemp("qsettings")
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(settings_dir))
        QSettings.setPath(QSettings.Format.NativeFormat, scope, str(settings_dir))

    started: list = []
    original_start = QThread.start

    def recording_start(self, *args, **kwargs):
        started.append(self)
        return original_start(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", recording_start)
    yield
    dangling = []
    for thread in started:
        try:
            if thread.isRunning():
                dangling.append(thread)
        except RuntimeError:  # C++ object already deleted: it was stopped and cleaned up
            pass
    for thread in dangling:
        thread.quit()
        thread.wait(5000)
    assert not dangling, f"test left {len(dangling)} QThread(s) running: quit() and wait() them"
