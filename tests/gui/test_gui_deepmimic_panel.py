"""DeepMimic panel end to end: real pybullet, real policies (torch, compared live with MAX), real OpenGL view."""
import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt

from gui.main_window import MainWindow
from gui.panels import deepmimic_panel
from gui.workers import JobRunner
from sim.env import POLICIES
from test_gui_transition_panel import MAX_GUI_WORK_MS, GuiWorkMeter

pytestmark = pytest.mark.gl


@pytest.fixture(scope="module")
def max_cache(compiled_max_cache):
    return compiled_max_cache(("deepmimic_actor",))


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, max_cache):
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(max_cache))  # the MAX actor compiled (conftest)
    w = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat), load_embedded=False)
    qtbot.addWidget(w)
    with qtbot.waitExposed(w.view):
        w.show()
    yield w
    w.close()


def _panel(qtbot, window) -> deepmimic_panel.DeepMimicPanel:
    dock = window.panels["DeepMimic"]
    dock.raise_()
    panel = dock.widget()
    qtbot.waitUntil(lambda: bool(panel.states), timeout=30_000)
    return panel


def test_panel_lists_the_shipped_policies():
    assert deepmimic_panel.POLICIES == tuple(POLICIES)


def test_live_run_updates_the_view_plots_and_records_a_clip(qtbot, window):
    panel = _panel(qtbot, window)
    assert panel.states["torch"] == "ready", panel.states
    print(panel.states)
    panel.policy_box.setCurrentText("walk")
    panel.backend_box.setCurrentIndex(panel.backend_box.findData("torch"))
    compare = "max"
    assert panel.states["max"] == "ready"
    panel.compare_box.setCurrentIndex(panel.compare_box.findData(compare))
    panel.seconds_box.setValue(1.5)
    panel.realtime_box.setChecked(True)
    qtbot.waitUntil(lambda: not panel.preparing and panel.run_button.isEnabled(), timeout=60_000)
    # measure the run itself: the other panels' start-up jobs (RSMT weights, the style library, backend
    # checks) run once when the window opens and are measured in their own tests
    others = [r for r in window.findChildren(JobRunner) if r is not panel.jobs]
    qtbot.waitUntil(lambda: all(r.active_count() == 0 for r in others), timeout=120_000)

    # the GUI thread's work during the run (its CPU time between ticks of a 10 ms timer: load cannot inflate it),
    # from the first live pose on (switching the view to the humanoid when Run is clicked is a one-off)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.running and not panel.run_button.isEnabled() and panel.stop_button.isEnabled()
    qtbot.waitUntil(lambda: panel.poses_shown >= 1, timeout=30_000)
    with GuiWorkMeter() as meter:
        qtbot.waitUntil(lambda: panel.outcome is not None, timeout=30_000)
    print(f"\nmost GUI-thread work between two ticks during a {panel.outcome.seconds:.2f} s DeepMimic run "
          f"(torch vs {compare}): {meter.worst_ms:.1f} ms CPU ({meter.worst_wall_ms:.1f} ms wall)")

    outcome = panel.outcome
    assert not outcome.fell and outcome.seconds == pytest.approx(1.5, abs=1e-6)
    assert 35 <= outcome.steps <= 50  # ~27 control steps per simulated second
    assert panel.steps_shown == outcome.steps  # every step's reward reached the plot
    times, rewards = panel.reward_curve.getData()
    assert len(rewards) == outcome.steps and 0.3 < np.mean(rewards) <= 1.0
    assert panel.reward_plot.viewRange()[0] == pytest.approx([0, 1.5])  # the time axis spans the whole run
    assert 10 < panel.poses_shown <= panel.mailbox.poses_posted == outcome.steps
    # the view shows the simulated humanoid (it walked away from the reference clip's first pose)
    reference_first = window.current.positions[0]
    pose_gl = window.view.pose()
    assert pose_gl.shape == reference_first.shape
    assert np.abs(pose_gl[0, :2] - np.array([reference_first[0, 0], -reference_first[0, 2]])).max() > 0.3
    _, diffs = panel.diff_curve.getData()
    assert len(diffs) == outcome.steps and panel.diff_plot.isVisible()
    assert 0 <= max(diffs) < 1e-3  # same state through torch and MAX: float32 rounding apart
    assert set(outcome.median_us) == {"torch", "max"}

    before = len(window.library.clips())
    assert panel.record_button.isEnabled()
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    assert len(window.library.clips()) == before + 1
    clip = window.current
    assert clip.name.startswith("deepmimic walk (torch")
    assert clip.motion.num_frames == 46 == outcome.motion.num_frames  # 1.5 s at 30 fps, both ends
    assert window.timeline.clock.num_frames == 46
    assert meter.worst_ms < MAX_GUI_WORK_MS


def test_stop_keeps_the_motion_so_far(qtbot, window):
    panel = _panel(qtbot, window)
    panel.backend_box.setCurrentIndex(panel.backend_box.findData("torch"))
    panel.seconds_box.setValue(60)
    qtbot.waitUntil(lambda: not panel.preparing and panel.run_button.isEnabled(), timeout=60_000)
    panel.run_button.click()
    qtbot.waitUntil(lambda: panel.steps_shown >= 10, timeout=20_000)
    panel.stop_button.click()
    qtbot.waitUntil(lambda: panel.outcome is not None, timeout=10_000)
    assert panel.outcome.cancelled and 0 < panel.outcome.seconds < 60
    assert "stopped" in panel.status.text()
    assert panel.outcome.motion.num_frames >= 10


def test_uncompiled_backend_offers_compile_instead_of_falling_back(qtbot, window, monkeypatch, tmp_path,
                                                                   compiled_max_cache, warm_kernel_cache):
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(tmp_path / "empty-cache"))  # a store with no MEFs
    panel = _panel(qtbot, window)
    assert panel.states["max"] == "not compiled"
    index = panel.backend_box.findData("max")
    assert "not compiled" in panel.backend_box.itemText(index)
    panel.backend_box.setCurrentIndex(index)
    assert panel.compile_button.isVisible() and panel.compile_button.isEnabled()
    assert not panel.run_button.isEnabled()
    assert "not compiled" in panel.status.text() and "Compile" in panel.status.text()
    assert "Compile" in panel.run_button.toolTip()

    # Compile: the window's MaxModels (the Models menu's path) compiles it, then the backend can run
    (tmp_path / "empty-cache" / "max").mkdir(parents=True)
    (tmp_path / "empty-cache" / "max" / "modular").symlink_to(compiled_max_cache.kernel_cache)  # warmed: seconds
    warm_kernel_cache("deepmimic_actor")  # MAX's kernel cache has it: the compile below takes seconds
    qtbot.mouseClick(panel.compile_button, Qt.MouseButton.LeftButton)
    assert panel.compiling and not panel.run_button.isEnabled()
    qtbot.waitUntil(lambda: panel.states.get("max") == "ready" or bool(window.error_dialogs), timeout=600_000)
    assert not window.error_dialogs, window.error_dialogs[0].text()
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=30_000)
    assert not panel.compiling and not panel.compile_button.isVisible()
