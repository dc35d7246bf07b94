"""The main window end to end (real OpenGL under Xvfb): library, loading through the worker, errors,
timeline keys, export."""
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from gui.main_window import MainWindow
from motion.bvh import read_bvh
from motion.deepmimic import embedded_clips
from motion.fk import world_positions

pytestmark = pytest.mark.gl

# A tiny BVH in centimetres: hips -> spine -> head (End Site), 4 frames at 30 fps.
TINY_BVH = """HIERARCHY
ROOT Hips
{
  OFFSET 0 90 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Spine
  {
    OFFSET 0 30 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT Head
    {
      OFFSET 0 40 0
      CHANNELS 3 Zrotation Xrotation Yrotation
      End Site
      {
        OFFSET 0 15 0
      }
    }
  }
}
MOTION
Frames: 4
Frame Time: 0.0333333
0 90 0 0 0 0 0 0 0 0 0 0
5 90 0 0 0 0 10 0 0 0 0 0
10 90 0 0 0 0 20 0 0 0 0 0
15 90 0 0 0 0 30 0 0 0 0 0
"""


@pytest.fixture
def tiny_bvh(tmp_path) -> Path:
    path = tmp_path / "tiny walk.bvh"
    path.write_text(TINY_BVH)
    return path


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    with qtbot.waitExposed(w.view):  # the GL window inside the main window
        w.show()
    qtbot.waitUntil(lambda: len(w.library.clips()) == len(embedded_clips()) and w.current is not None,
                    timeout=15_000)
    yield w
    w.close()
    assert w.jobs.active_count() == 0


def _load(qtbot, window, path):
    before = len(window.library.clips())
    window.open_files([str(path)])
    qtbot.waitUntil(lambda: len(window.library.clips()) > before or bool(window.error_dialogs), timeout=10_000)


def test_window_opens_with_embedded_clips(window):
    names = window.library.names()
    assert names == sorted(embedded_clips())
    assert "humanoid3d_walk" in names
    assert window.current.name == "humanoid3d_walk"  # the default clip is shown
    assert window.view.num_frames == window.current.motion.num_frames
    assert window.windowTitle().startswith("humanoid3d_walk")
    assert not window.error_dialogs


def test_the_bundled_clips_repairs_make_one_log_line(window):
    from motion.deepmimic import load_embedded

    lines = window.log.toPlainText().splitlines()
    repaired = {n for n in embedded_clips() if load_embedded(n).warnings}
    assert repaired  # pybullet ships clips whose quaternions are not unit length
    summary = [line for line in lines if line.startswith("bundled clips:")]
    assert len(summary) == 1 and not [line for line in lines if "repaired" in line]
    assert f"in {len(repaired)} clips" in summary[0] and "quaternions were not unit length; normalised" in summary[0]


def test_status_bar_counts_and_frame_rate(window):
    from gui.loading import clip_from_motion
    from motion.ops import slice_frames

    window.show_clip(clip_from_motion(slice_frames(window.current.motion, 0, 1), "one"))
    assert window.statusBar().currentMessage().startswith("one: 13 joints, 1 frame, 30 fps, ")


def test_numbers_read_as_people_say_them():
    from gui.formatting import count_text, fps_text

    assert [fps_text(f) for f in (30.00120004800192, 29.97, 60.0, 120.0005)] == ["30 fps", "29.97 fps", "60 fps",
                                                                               "120 fps"]
    assert [count_text(n, "frame") for n in (0, 1, 2)] == ["0 frames", "1 frame", "2 frames"]


def test_loading_a_bvh_through_the_worker_adds_and_shows_it(qtbot, window, tiny_bvh):
    _load(qtbot, window, tiny_bvh)
    assert not window.error_dialogs
    clip = window.library.current()
    assert clip.name == "tiny walk" and clip.source == str(tiny_bvh)
    assert window.current is clip and window.timeline.clock.num_frames == 4
    # positions were computed once (FK) and the viewer shows them: head End Site at 90+30+40+15 cm
    assert clip.positions.shape == (4, 4, 3)
    np.testing.assert_allclose(clip.positions[0, :3], world_positions(clip.motion)[0], atol=1e-4)
    assert window.view.pose()[3, 2] == pytest.approx(175.0, abs=1e-3)  # Z-up in the view
    assert 80.0 < window.view.framing.body_height <= 85.0  # scale taken from the clip (cm, not metres)
    assert window.recent.paths() == [str(tiny_bvh.resolve())]
    # loading the same file again replaces its entry instead of adding a duplicate
    count = len(window.library.clips())
    window.open_files([str(tiny_bvh)])
    qtbot.waitUntil(lambda: window.jobs.active_count() == 0, timeout=10_000)
    assert len(window.library.clips()) == count


@pytest.mark.parametrize("content, problem", [
    ("HIERARCHY\nROOT Hips\n{\n  OFFSET 0 0 zero\n", "zero"),
    (None, "no such file"),
])
def test_bad_file_shows_an_error_naming_file_and_problem(qtbot, window, tmp_path, content, problem):
    path = tmp_path / "broken.bvh"
    if content is not None:
        path.write_text(content)
    clips_before = window.library.names()
    _load(qtbot, window, path)
    assert len(window.error_dialogs) == 1
    text = window.error_dialogs[0].text()
    assert str(path) in text and problem in text
    assert window.library.names() == clips_before
    assert "error:" in window.log.toPlainText()
    window.error_dialogs[0].accept()
    qtbot.waitUntil(lambda: not window.error_dialogs)


def test_timeline_keys(qtbot, window):
    # no window manager under Xvfb: ask for activation explicitly (window shortcuts need an active window)
    window.activateWindow()
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    assert QApplication.focusWidget() is window.view.widget  # the 3-D view has the keyboard focus
    target = window.view  # key events go to the GL window inside the container
    assert window.timeline.frame == 0
    qtbot.keyClick(target, Qt.Key.Key_Right)
    qtbot.keyClick(target, Qt.Key.Key_Right)
    assert window.timeline.frame == 2 and window.view.frame == 2
    qtbot.keyClick(target, Qt.Key.Key_Left)
    assert window.timeline.frame == 1 and window.view.frame == 1
    qtbot.keyClick(target, Qt.Key.Key_Space)
    assert window.timeline.playing
    qtbot.waitUntil(lambda: window.timeline.frame > 3, timeout=5000)  # real playback advances
    qtbot.keyClick(target, Qt.Key.Key_Space)
    assert not window.timeline.playing
    paused_at = window.timeline.frame
    qtbot.wait(100)
    assert window.timeline.frame == paused_at == window.view.frame
    assert window.timeline.frame_label.text() == f"Frame {paused_at} / {window.current.motion.num_frames - 1}"


def test_export_writes_a_bvh_that_loads_back(qtbot, window, tmp_path):
    out = tmp_path / "export" / "walk.bvh"
    out.parent.mkdir()
    with qtbot.waitSignal(window.jobs.idle, timeout=10_000):
        window.export_current(out)
    assert not window.error_dialogs
    assert sorted(p.name for p in out.parent.iterdir()) == ["walk.bvh"]  # no temporary file left
    back = read_bvh(out)
    original = window.current.motion
    assert sorted(back.skeleton.names) == sorted(original.skeleton.names)
    assert back.num_frames == original.num_frames
    order = [back.skeleton.index(name) for name in original.skeleton.names]  # the writer goes depth-first
    np.testing.assert_allclose(world_positions(back)[:, order], world_positions(original), atol=1e-3)


def test_export_to_an_unwritable_place_shows_an_error(qtbot, window, tmp_path):
    target = tmp_path / "missing-folder" / "x.bvh"
    window.export_current(target)
    qtbot.waitUntil(lambda: bool(window.error_dialogs), timeout=10_000)
    assert str(target) in window.error_dialogs[0].text()


@pytest.mark.parametrize("target", ["window", "view"])
def test_drop_files(qtbot, window, tiny_bvh, target):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tiny_bvh))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    if target == "window":
        window.dropEvent(event)
    else:  # the 3-D view is a native GL window: it handles its own drops
        QApplication.sendEvent(window.view, event)
    assert event.isAccepted()
    qtbot.waitUntil(lambda: "tiny walk" in window.library.names(), timeout=10_000)


def test_view_toggles(qtbot, window):
    window.labels_action.setChecked(True)
    window.trajectory_action.setChecked(True)
    window.follow_action.setChecked(True)
    view = window.view
    assert view.labels_visible and view.trajectory_visible and view.follow_root
    window.timeline.seek(20)
    root = view.pose()[0]
    center = view.opts["center"]
    assert (center.x(), center.y()) == pytest.approx((root[0], root[1]), abs=1e-5)


def test_repairs_go_to_the_log_and_status_bar(qtbot, window, tmp_path):
    path = tmp_path / "miscounted.bvh"
    path.write_text(TINY_BVH.replace("Frames: 4", "Frames: 9"))
    _load(qtbot, window, path)
    assert not window.error_dialogs
    assert window.current.warnings  # the reader repaired the frame count
    assert "'Frames: 9' but the file holds 4 frames" in window.log.toPlainText()
    assert "repaired" in window.statusBar().currentMessage()


def test_file_without_frames_is_an_error(qtbot, window, tmp_path):
    path = tmp_path / "skeleton_only.bvh"
    path.write_text(TINY_BVH.split("MOTION")[0])
    _load(qtbot, window, path)
    assert len(window.error_dialogs) == 1
    assert "no frames" in window.error_dialogs[0].text()
    window.error_dialogs[0].accept()


def test_recent_files_menu_reopens(qtbot, window, tiny_bvh):
    _load(qtbot, window, tiny_bvh)
    window.recent_menu.aboutToShow.emit()
    actions = [a for a in window.recent_menu.actions() if a.text() == str(tiny_bvh.resolve())]
    assert len(actions) == 1
    window.library.select("humanoid3d_walk")
    actions[0].trigger()
    qtbot.waitUntil(lambda: window.current.name == "tiny walk", timeout=10_000)
    # the list survives the session (QSettings)
    again = MainWindow(settings=window.settings, load_embedded=False)
    qtbot.addWidget(again)
    assert again.recent.paths() == [str(tiny_bvh.resolve())]
    again.close()


def test_every_fixture_file_loads_or_reports_an_error(qtbot, window):
    """The app never crashes on bad input: each odd or broken BVH in tests/data/bvh either loads (maybe
    with repairs in the log) or gives one error dialog naming that file."""
    files = sorted((Path(__file__).parent.parent / "data" / "bvh").glob("*.bvh"))
    if not files:
        pytest.skip("no BVH fixtures in tests/data/bvh")
    window.open_files(files)
    qtbot.waitUntil(lambda: window.jobs.active_count() == 0, timeout=30_000)
    loaded = {clip.source for clip in window.library.clips()}
    errors = [box.text() for box in window.error_dialogs]
    for path in files:
        n_errors = sum(str(path) in text for text in errors)
        assert (str(path) in loaded) != (n_errors == 1), f"{path.name}: loaded={str(path) in loaded}, errors={n_errors}"
    assert any(str(p) in loaded for p in files) and errors  # the set holds both kinds


def test_a_panel_can_add_a_generated_clip(qtbot, window):
    from gui.loading import clip_from_motion
    from motion.ops import slice_frames

    generated = slice_frames(window.current.motion, 5, 20)
    with qtbot.waitSignal(window.clipChanged, timeout=5000) as blocker:
        window.add_clip(clip_from_motion(generated, "walk (frames 5-20)"))
    assert blocker.args[0].name == "walk (frames 5-20)"
    assert window.library.current().motion.num_frames == 15
    assert window.timeline.clock.num_frames == 15


def test_delete_and_rename_clips_with_undo(qtbot, window):
    library = window.library
    library.select("humanoid3d_run")
    library.rename_clip("humanoid3d_run", "my run")
    assert "my run" in library.names() and window.current.name == "my run"
    assert library.list.currentItem().text().startswith("my run  (25 fr, 30 fps)")
    library.delete_clip("my run")
    assert "my run" not in library.names() and window.current is not None and window.current.name != "my run"
    window.undo_action.trigger()
    assert library.names().index("my run") == sorted(embedded_clips()).index("humanoid3d_run")
    window.undo_action.trigger()
    assert "humanoid3d_run" in library.names() and "my run" not in library.names()
    window.redo_action.trigger()
    window.redo_action.trigger()
    assert "my run" not in library.names() and "humanoid3d_run" not in library.names()
    for name in library.names():
        library.delete_clip(name)
    assert library.names() == [] and window.current is None and window.view.num_frames == 0
    assert window.undo_stack.undoText().startswith("delete ")


def test_library_context_menu_offers_the_clip_actions(qtbot, window):
    texts = [a.text() for a in window.library.list.actions()]
    assert texts == ["Delete", "Rename..."]
    window.library.select("humanoid3d_jump")
    window.library._delete_current()
    assert "humanoid3d_jump" not in window.library.names()


def test_usable_at_1024x700_and_docks_grow_on_a_large_screen(qtbot, tmp_path):
    def window_of(w, h):
        win = MainWindow(settings=QSettings(str(tmp_path / f"{w}.ini"), QSettings.Format.IniFormat),
                         load_embedded=False)
        qtbot.addWidget(win)
        win.resize(w, h)
        with qtbot.waitExposed(win.view):
            win.show()
        qtbot.waitUntil(lambda: (win.width(), win.height()) == (w, h))
        qtbot.wait(100)  # the first layout shares the space out once the dock tabs exist
        return win

    small = window_of(1024, 700)
    hint = small.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 700
    assert small.timeline.slider.width() >= 100 and small.log.width() >= 100
    assert small.view.widget.width() >= 300 and small.view.widget.height() >= 200
    def right(win):  # the right-hand tab group's width (a tab behind the front one keeps a stale size)
        return max(d.width() for d in [win.sequence_dock, *win.panels.values()]
                   if win.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea)

    large = window_of(2400, 1350)
    assert right(large) >= 1.5 * right(small) and large.library_dock.width() >= 1.5 * small.library_dock.width()
    for win in (small, large):
        win.close()
