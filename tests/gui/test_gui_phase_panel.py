"""The Phases panel in the real main window with a random-weight lite RSMT model: the PAE phases of the
selected clip, circles that move with the timeline, and the curves' time cursors."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gui.panels.phase_panel import PhasePanel
from inference.rsmt.phases import clip_phases
from test_gui_transition_panel import make_window, weights_dir  # noqa: F401 -- the module fixture

pytestmark = pytest.mark.gl


def test_circles_follow_the_timeline(qtbot, tmp_path, weights_dir):  # noqa: F811
    w, _ = make_window(qtbot, tmp_path, weights_dir, clips=("walk", "dance_a"))
    panel = w.findChild(PhasePanel)
    if panel is None:
        panel = PhasePanel(w)
        w.add_panel("Phases", panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        panel.refresh()
    w.panels["Phases"].raise_()  # its tab in front: a panel that is not on screen computes nothing
    qtbot.waitUntil(lambda: panel.clip is w.current and panel.phases is not None, timeout=30_000)
    phases = panel.phases
    n = w.current.motion.num_frames
    assert phases.phase.shape == (n, 5) and phases.amplitude.shape == (n, 5) and phases.frequency.shape == (n, 5)
    # the numbers are inference.rsmt.phases.clip_phases' on the same clip
    want = clip_phases(panel.ctx.generator, w.current.motion)
    np.testing.assert_allclose(phases.phase, want.phase, atol=1e-6)
    assert len(panel.points) == 5 and len(panel.amplitude_plot.listDataItems()) == 5

    w.timeline.seek(5)
    at5 = panel.point_positions()
    np.testing.assert_allclose(at5, phases.points(5) / panel._scale[:, None], atol=1e-6)
    w.timeline.seek(20)
    at20 = panel.point_positions()
    assert np.abs(at20 - at5).max() > 1e-3  # the points moved
    assert np.all(np.linalg.norm(at20, axis=1) <= 1.0 + 1e-6)  # inside the circles
    assert panel.cursors[0].value() == 20 and panel.frame == 20

    # another clip (60 fps) gets its own phases, one per frame
    w.library.select("humanoid3d_dance_a")
    qtbot.waitUntil(lambda: panel.clip is w.current, timeout=30_000)
    assert panel.phases.phase.shape[0] == w.current.motion.num_frames
    w.close()


def test_a_hidden_panel_waits_until_it_is_shown(qtbot, tmp_path, weights_dir):  # noqa: F811
    """Behind another tab the panel ignores clip changes (no job, no drawing); shown, it catches up."""
    w, _ = make_window(qtbot, tmp_path, weights_dir, clips=("walk", "dance_a"))
    panel = w.findChild(PhasePanel)
    # the model load and any phases job started while the panel was in front finish first
    qtbot.waitUntil(lambda: panel.ctx.ready and panel.ctx.jobs.active_count() == 0, timeout=30_000)
    w.panels["Compare torch vs MAX"].raise_()
    qtbot.waitUntil(lambda: panel.visibleRegion().isEmpty(), timeout=5_000)
    w.library.select("humanoid3d_dance_a")
    qtbot.wait(300)
    assert panel.clip is not w.current and panel.ctx.jobs.active_count() == 0
    w.panels["Phases"].raise_()
    qtbot.waitUntil(lambda: panel.clip is w.current and panel.phases is not None, timeout=30_000)
