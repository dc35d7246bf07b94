"""The compare view (torch vs MAX) in the real main window, on a random-weight lite RSMT model and the real
MAX backend: the plotted numbers are `compare_transition`'s for the same request, the cursor follows the
timeline, the ghost skeleton is the candidate's, the report exports atomically, and the GUI thread stays
responsive.

MAX models: the four lite RSMT graphs a transition needs, in a temporary MOTION_STUDIO_CACHE (conftest's
compiled_max_cache)."""
from __future__ import annotations

import gc
import json
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gui.panels.compare_panel import ComparePanel, name_tick_levels
from parity.transition_report import error_matrix
from parity.compare_transition import compare_transition
from test_gui_transition_panel import MAX_GUI_WORK_MS, GuiWorkMeter, make_window

pytestmark = pytest.mark.gl
KINDS = ("rsmt_phase", "rsmt_sampler_style", "rsmt_sampler_target", "rsmt_sampler_step")
LENGTH = 16


@pytest.fixture(scope="module")
def max_cache(compiled_max_cache):
    t0 = time.monotonic()
    cache = compiled_max_cache(KINDS, "lite")
    print(f"MAX lite RSMT graphs ready in {time.monotonic() - t0:.1f} s")
    mp = pytest.MonkeyPatch()
    mp.setenv("MOTION_STUDIO_CACHE", str(cache))
    yield cache
    mp.undo()


@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory):
    from inference.rsmt.models import random_rsmt_weights

    folder = tmp_path_factory.mktemp("rsmt_lite")
    random_rsmt_weights(folder, seed=6)
    return folder


@pytest.fixture
def compared(qtbot, tmp_path, weights_dir, max_cache):
    w, transition = make_window(qtbot, tmp_path, weights_dir)
    qtbot.waitUntil(lambda: transition.ctx.ready, timeout=30_000)
    qtbot.waitUntil(lambda: transition.ctx.jobs.active_count() == 0, timeout=30_000)
    panel = w.findChild(ComparePanel)
    if panel is None:
        panel = ComparePanel(w)
        w.add_panel("Compare", panel, Qt.DockWidgetArea.BottomDockWidgetArea)
    transition.set_source("humanoid3d_walk", 30)
    transition.set_target("humanoid3d_run", 4)
    transition.length.setValue(LENGTH)
    transition.seed.setValue(3)
    assert panel.candidate.currentData() == "max"
    gc.collect()  # earlier tests' windows are garbage: their collection is not the compare's doing
    with GuiWorkMeter() as gaps:
        qtbot.mouseClick(panel.compare_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.export_button.isEnabled() or bool(w.error_dialogs), timeout=120_000)
        qtbot.wait(100)  # and the views and plots have drawn it
    assert not w.error_dialogs, w.error_dialogs[0].text()
    print(f"most GUI-thread work between two ticks while comparing: {gaps.worst_ms:.1f} ms CPU "
          f"({gaps.worst_wall_ms:.1f} ms wall)")
    assert gaps.worst_ms < MAX_GUI_WORK_MS
    yield w, panel, transition.request()
    w.close()


def test_plotted_errors_are_compare_transitions(compared):
    w, panel, request = compared
    # the same request on its own: fp32 reductions on several threads are not bit-reproducible from run to
    # run, so a rerun agrees to 1e-4 cm (the errors themselves are ~1e-5 cm); the plots are the report's
    want = compare_transition(request, panel.ctx.generator.model, "max")
    for teacher_forced, mode in ((False, "free_running"), (True, "teacher_forced")):
        panel.teacher_forced.setChecked(teacher_forced)
        x, y = panel.error_curve.getData()
        assert list(x) == list(range(LENGTH))
        np.testing.assert_array_equal(y, getattr(panel.report, mode)["per_frame_cm"])
        np.testing.assert_allclose(y, getattr(want, mode)["per_frame_cm"], rtol=0, atol=1e-4)
        matrix, joints = error_matrix(want, mode)
        assert joints == error_matrix(panel.report, mode)[1]
        np.testing.assert_array_equal(panel.heatmap.image, error_matrix(panel.report, mode)[0])
        np.testing.assert_allclose(panel.heatmap.image, matrix, rtol=0, atol=1e-4)
    # free-running errors on random weights are small but not all zero: MAX really ran
    assert 0 < max(want.free_running["per_frame_cm"]) < 1.0
    for backend in ("torch", "max"):
        x, y = panel.latency_curves[backend].getData()
        assert len(y) == LENGTH and y.min() > 0
    assert f"largest error {max(panel.report.teacher_forced['per_frame_cm']):.3g} cm" in panel.summary.text()


def test_cursor_follows_the_timeline_and_the_ghost_is_the_candidate(compared):
    w, panel, _ = compared
    assert w.current is panel.clip  # the compared (torch) transition plays in the main view
    start = panel.reference.generated.start
    w.timeline.seek(start + 5)
    assert panel.cursor == 5 and panel.cursors[0].value() == 5 and panel.view.frame == 5
    w.timeline.seek(0)  # before the transition: the first generated frame
    assert panel.cursor == 0
    rep = panel.report
    np.testing.assert_allclose(panel.view._ghost[:, :, 2], np.asarray(rep.free_running["positions"]["max"])[:, :, 1],
                               atol=1e-6)  # Y-up data, Z-up view


def test_comparing_again_replaces_the_compared_clip(compared, qtbot):
    w, panel, _ = compared
    names = [n for n in w.library.names() if n.endswith("(compared)")]
    assert len(names) == 1
    before = panel.clip
    qtbot.mouseClick(panel.compare_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.clip is not before or bool(w.error_dialogs), timeout=120_000)
    assert not w.error_dialogs, w.error_dialogs[0].text()
    assert [n for n in w.library.names() if "(compared)" in n] == names
    assert w.current is panel.clip and w.library.current() is panel.clip
    # both backends have run before in this process: no warm-up flag, solid curves, the legend in the title
    assert panel.warmup == set() and "warm-up" not in panel.latency_plot.titleLabel.text
    assert all(c.opts["pen"].style() == Qt.PenStyle.SolidLine for c in panel.latency_curves.values())
    assert "PyTorch" in panel.latency_plot.titleLabel.text and "MAX" in panel.latency_plot.titleLabel.text


def test_a_backends_first_run_is_flagged_as_warm_up(compared, qtbot, monkeypatch):
    from gui.panels import compare_panel

    w, panel, _ = compared
    monkeypatch.setattr(compare_panel, "_COMPARED", {"torch"})  # as if MAX had not run in this process yet
    before = panel.report
    panel.compare()
    qtbot.waitUntil(lambda: panel.report is not before or bool(w.error_dialogs), timeout=120_000)
    qtbot.waitUntil(lambda: "warm-up" in panel.latency_plot.titleLabel.text, timeout=5_000)
    assert panel.warmup == {"max"} and "(- - warm-up)" in panel.latency_plot.titleLabel.text
    assert "- - MAX" in panel.latency_plot.titleLabel.text and "- - PyTorch" not in panel.latency_plot.titleLabel.text
    assert panel.latency_curves["max"].opts["pen"].style() == Qt.PenStyle.DashLine
    assert panel.latency_curves["torch"].opts["pen"].style() == Qt.PenStyle.SolidLine
    assert compare_panel._COMPARED == {"torch", "max"}


def test_export_writes_json_csv_and_png(compared, tmp_path):
    w, panel, _ = compared
    out = tmp_path / "export"
    out.mkdir()
    paths = panel.export(out / "report.json")
    assert sorted(p.name for p in out.iterdir()) == ["report.csv", "report.json", "report.png"]  # no temp files
    data = json.loads((out / "report.json").read_text())
    assert data["free_running"]["per_frame_cm"] == panel.report.free_running["per_frame_cm"]
    rows = (out / "report.csv").read_text().splitlines()
    assert len(rows) == 1 + LENGTH and rows[0].startswith("frame,free_running_max_cm")
    assert (out / "report.png").stat().st_size > 1000 and len(paths) == 3
    from PySide6.QtGui import QImage

    assert QImage(str(out / "report.png")).width() == 2400  # rendered at print resolution, not grabbed


def test_joint_names_are_tick_levels_so_a_narrow_heatmap_shows_only_those_that_fit():
    names = [f"joint{i}" for i in range(13)]
    levels = name_tick_levels(names)
    assert levels[0] == [(0, "joint0"), (8, "joint8")]  # always drawn: few enough to fit a narrow plot
    assert sorted(tick for level in levels for tick in level) == list(enumerate(names))  # each name once


def test_latency_curves_one_colour_per_backend_and_the_heatmap_has_a_scale(compared):
    w, panel, _ = compared
    from gui.panels.backend_colors import BACKEND_COLORS
    from parity.transition_report import error_matrix

    rep = panel.report
    assert set(panel.latency_curves) == {rep.reference, rep.candidate}
    colours = {name: curve.opts["pen"].color().getRgb()[:3] for name, curve in panel.latency_curves.items()}
    assert colours == {name: BACKEND_COLORS[name] for name in colours}
    matrix, _ = error_matrix(rep, panel.mode)
    assert panel.heat_scale.levels() == pytest.approx((0.0, float(np.max(matrix))))


def test_a_candidate_missing_models_is_compiled_from_the_panel(qtbot, tmp_path, weights_dir, compiled_max_cache,
                                                               monkeypatch, warm_kernel_cache):
    """A store without the lite target encoder (the quickest RSMT compile): Compare offers "Compile 1 missing
    model" instead of an error; the button compiles it with the real compile worker through the window's
    MaxModels, then compares."""
    from inference.backends.max.store import READY, MefStore

    cache = compiled_max_cache(tuple(k for k in KINDS if k != "rsmt_sampler_target"), "lite")
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(cache))
    w, transition = make_window(qtbot, tmp_path, weights_dir)
    qtbot.waitUntil(lambda: transition.ctx.ready, timeout=30_000)
    panel = w.findChild(ComparePanel)
    transition.set_source("humanoid3d_walk", 30)
    transition.set_target("humanoid3d_run", 4)
    transition.length.setValue(LENGTH)
    panel.candidate.setCurrentIndex(panel.candidate.findData("max"))
    panel.compare()
    qtbot.waitUntil(lambda: panel.compile_button.isVisible(), timeout=60_000)
    assert panel.missing == [("rsmt_sampler_target", "lite")] and not w.error_dialogs
    assert panel.compile_button.text() == "Compile 1 missing model" and "rsmt_sampler_target" in panel.summary.text()
    assert panel.report is None

    warm_kernel_cache("rsmt_sampler_target", "lite")  # MAX's kernel cache has it: the compile below takes seconds
    qtbot.mouseClick(panel.compile_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.export_button.isEnabled() or bool(w.error_dialogs), timeout=600_000)
    assert not w.error_dialogs, w.error_dialogs[0].text()
    assert MefStore().status("rsmt_sampler_target", "lite") == READY
    assert panel.report.candidate == "max" and panel.report.length == LENGTH
    assert not panel.compile_button.isVisible()
    w.close()
