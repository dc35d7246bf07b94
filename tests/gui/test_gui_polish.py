"""Help menu (shortcuts dialog generated from the real QActions, About with versions), persisted layout and
panel settings, tooltips on the panels' controls."""
from importlib.metadata import version

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QDockWidget

from gui.main_window import MainWindow

pytestmark = pytest.mark.gl


def _settings() -> QSettings:
    # conftest points the user scope at a per-test folder: this is that isolated store
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "MotionStudio", "polish-test")


def _window(qtbot, settings) -> MainWindow:
    w = MainWindow(settings=settings, load_embedded=False)
    qtbot.addWidget(w)
    with qtbot.waitExposed(w.view):
        w.show()
    return w


def test_shortcuts_dialog_lists_the_real_actions(qtbot):
    w = _window(qtbot, _settings())
    w.shortcuts_action.trigger()
    dialog = w.help_dialog
    keys = dialog.keys()
    for expected in ("Space", "Left", "Right", "Home", "End", "L", "F", "R", "J", "T", "Ctrl+O", "Ctrl+E", "F1"):
        assert expected in keys, f"{expected} missing from {keys}"
    rows = {dialog.table.item(r, 0).text(): dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())}
    assert rows["Space"] == "Play / pause" and rows["F1"] == "Keyboard shortcuts"
    # generated, not typed: a new action with a shortcut shows up, and a changed key too
    w.play_action.setShortcut("P")
    w.shortcuts_action.trigger()
    assert "P" in w.help_dialog.keys() and "Space" not in w.help_dialog.keys()
    w.close()


def test_about_lists_versions_without_importing_max(qtbot):
    import sys

    w = _window(qtbot, _settings())
    had_max = "max" in sys.modules
    w.about_action.trigger()
    text = w.help_dialog.label.text()
    for label, dist in (("PyTorch", "torch"), ("MAX", "max"), ("Mojo", "mojo-compiler"), ("PySide6", "PySide6-Essentials")):
        assert f"{label}</td>" in text and version(dist) in text
    assert sys.version.split()[0] in text and "Qt" in text
    assert ("max" in sys.modules) == had_max
    w.close()


def test_layout_and_panel_settings_persist_across_windows(qtbot):
    settings = _settings()
    w = _window(qtbot, settings)
    bench = w.panels["Benchmark"]
    bench.toggleViewAction().trigger()  # hide the Benchmark panel
    assert not bench.isVisible()
    w.panels["DeepMimic"].widget().seconds_box.setValue(7.5)
    w.panels["Benchmark"].widget().runs_box.setValue(12)
    w.resize(1100, 700)
    QApplication.processEvents()
    size = w.size()
    assert size.width() == 1100  # (the height cannot go below what the docks' contents need)
    w.close()

    again = _window(qtbot, settings)
    assert not again.panels["Benchmark"].isVisible()
    assert again.panels["DeepMimic"].widget().seconds_box.value() == 7.5
    assert again.panels["Benchmark"].widget().runs_box.value() == 12
    assert again.size() == size
    docks = {d.objectName() for d in again.findChildren(QDockWidget)}
    assert {"DeepMimic", "Benchmark", "Clip_library", "Log"} <= docks
    again.close()


def test_every_panel_control_has_a_tooltip(qtbot):
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QProgressBar

    w = _window(qtbot, _settings())
    for title in ("DeepMimic", "Benchmark"):
        panel = w.panels[title].widget()
        controls = [c for cls in (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QProgressBar)
                    for c in panel.findChildren(cls) if c.parent() is not None and c.window() is w]
        controls = [c for c in controls if not c.objectName().startswith("qt_")]
        missing = [f"{type(c).__name__} {getattr(c, 'text', lambda: '')()!r}" for c in controls
                   if not c.toolTip() and not (c.parentWidget() and c.parentWidget().toolTip())]
        assert not missing, f"{title}: controls without a tooltip: {missing}"
    w.close()
