"""Shared test fixtures.

Qt hygiene applies only to tests that use pytest-qt (`qtbot` / `qapp`); Qt-free tests never import Qt here.
- QSettings go to a per-test temporary folder (no test reads or writes the user's real settings).
- A test that leaves a QThread running fails (a running QThread that gets collected aborts the process).
- Tests marked `gl` need an OpenGL context; they are skipped under QT_QPA_PLATFORM=offscreen, where
  QOpenGLWidget is unsupported (pytest-xvfb provides an X server for them by default).
"""
from __future__ import annotations

import os

import pytest

_QT_FIXTURES = {"qtbot", "qapp"}


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
