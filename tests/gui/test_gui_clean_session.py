"""A normal session prints nothing on stderr: the app starts with its bundled clips and the shipped weights,
every panel is used once (its screenshot demo: a style picked, a transition generated, phases computed, a
compare, a DeepMimic run, a benchmark), a sequence is rendered and played; no warning, no traceback."""
from __future__ import annotations

import warnings

import pytest
from PySide6.QtCore import QSettings

from gui.main_window import MainWindow
from motion.deepmimic import embedded_clips

pytestmark = pytest.mark.gl


def test_every_panel_once_and_stderr_stays_empty(qtbot, tmp_path, capfd, compiled_max_cache, monkeypatch):
    from inference.networks.rsmt_config import TRANSITION_KINDS

    # the panels' MAX models, compiled once per session (the app's own store may hold older ones)
    # (the Benchmark demo times the DeepMimic actor and critic on every backend)
    kinds = [*TRANSITION_KINDS, "deepmimic_actor", "deepmimic_critic"]
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(compiled_max_cache(kinds, "lite")))
    capfd.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        window = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(window)
        with qtbot.waitExposed(window.view):
            window.show()
        qtbot.waitUntil(lambda: len(window.library.clips()) == len(embedded_clips()), timeout=30_000)
        used = []
        for title, dock in window.panels.items():
            dock.raise_()
            ready = dock.widget().demo()
            qtbot.waitUntil(ready, timeout=300_000)
            used.append(title)
        window.sequence_dock.raise_()
        editor = window.sequence_editor
        for name in ("humanoid3d_walk", "humanoid3d_run", "humanoid3d_walk"):
            window.library.select(name)
            editor.add_current_clip()
        qtbot.waitUntil(lambda: editor.result is not None and window.current is editor.result, timeout=60_000)
        window.timeline.play()
        qtbot.wait(500)
        window.undo_action.trigger()
        window.close()
    assert used == list(window.panels) and len(used) == 6
    assert [str(w.message) for w in caught] == []
    assert capfd.readouterr().err == ""
