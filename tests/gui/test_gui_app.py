"""`python main.py` with no arguments: run_gui() opens the main window and returns the exit code."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from gui.app import run_gui
from gui.main_window import MainWindow
from motion.deepmimic import embedded_clips

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.gl
def test_run_gui_opens_the_window_and_returns_on_close(qapp):
    expected = len(embedded_clips())
    deadline = time.monotonic() + 120  # only so a broken start cannot hang the suite: loading is not timed here
    seen = {}

    def poll():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        clips = len(windows[0].library.clips()) if windows else 0
        if clips < expected and time.monotonic() < deadline:
            QTimer.singleShot(50, poll)
            return
        seen.update(windows=len(windows), clips=clips)
        for w in windows:
            w.close()  # the last window closing ends the event loop
        if not windows:
            QApplication.quit()  # never hang the suite

    QTimer.singleShot(50, poll)
    assert run_gui() == 0
    assert seen == {"windows": 1, "clips": expected}
    assert sys.excepthook is sys.__excepthook__  # restored after the event loop


def test_without_a_display_it_says_so_instead_of_crashing():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert "needs a display" in result.stderr and "xvfb-run" in result.stderr
    assert "Traceback" not in result.stderr
