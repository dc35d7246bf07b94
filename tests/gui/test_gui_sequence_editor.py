"""The Sequence dock end to end in the real main window (OpenGL under Xvfb), with a random-weight lite RSMT
model on torch: build walk > run > walk through the editor, watch the take render with its ranges on the
timeline, change a transition, undo and redo every step, save the project and open it again."""
from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt

from gui.loading import load_embedded_clip
from gui.main_window import MainWindow
from gui.panels.rsmt_context import SETTING
from inference.rsmt.sequence_file import load_sequence
from test_gui_transition_panel import weights_dir  # noqa: F401 -- the random-weight lite model fixture

pytestmark = pytest.mark.gl


@pytest.fixture
def window(qtbot, tmp_path, weights_dir):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue(SETTING, str(weights_dir))
    w = MainWindow(settings=settings, load_embedded=False)
    qtbot.addWidget(w)
    for name in ("walk", "run", "jump"):
        w.add_clip(load_embedded_clip(f"humanoid3d_{name}"), select=False)
    with qtbot.waitExposed(w.view):
        w.show()
    qtbot.waitUntil(lambda: w.sequence_editor.ctx.ready, timeout=30_000)
    yield w
    w.close()


def add(window, name):
    window.library.select(name)
    window.sequence_editor.add_current_clip()


def wait_render(qtbot, editor, lengths):
    """Until the take on screen has transitions of `lengths` frames."""
    def done():
        clip = editor.window.current
        return (clip is not None and clip is editor.result
                and [b - a for k, a, b in clip.ranges if k == "generated"] == lengths)
    qtbot.waitUntil(done, timeout=30_000)
    return editor.result


def test_a_whole_sequence_edit_with_undo_and_redo(qtbot, window, tmp_path):
    editor = window.sequence_editor
    for name in ("humanoid3d_walk", "humanoid3d_run", "humanoid3d_walk"):
        add(window, name)
    assert editor.track.count() == 5  # clip, transition, clip, transition, clip
    take = wait_render(qtbot, editor, [30, 30])
    assert take.name == "sequence: humanoid3d_walk > humanoid3d_run > humanoid3d_walk"
    assert [k for k, _, _ in take.ranges] == ["context", "generated", "target", "generated", "target"]
    assert window.timeline.ranges.ranges == take.ranges
    assert take.keyframes and take.contacts is not None and take.contacts.any()
    assert window.view._keyframes.visible() and window.view._contact_marks.visible()
    # a click on the second transition's range under the slider selects it here and moves the timeline there
    strip = window.timeline.ranges
    _, start, stop = take.ranges[3]
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(round(strip.frame_x((start + stop) / 2)), 3))
    assert editor.track.currentRow() == 3 and window.timeline.frame == start
    editor.track.setCurrentRow(2)
    assert window.timeline.frame == take.ranges[2][1]

    # the second transition: 20 frames in the style of the jump
    editor.track.setCurrentRow(3)
    editor.set_junction(1, length=20, style="humanoid3d_jump")
    wait_render(qtbot, editor, [30, 20])
    assert editor.track.item(3).text().strip() == "-> 20 frames, style humanoid3d_jump, seed 0, PyTorch"
    # undo goes back step by step, each step rendered again; redo forward
    window.undo_action.trigger()
    wait_render(qtbot, editor, [30, 30])
    assert editor.sequence.junctions[1].style is None
    window.redo_action.trigger()
    wait_render(qtbot, editor, [30, 20])
    editor.track.setCurrentRow(2)
    editor.remove_selected()
    assert editor.names == ["humanoid3d_walk", "humanoid3d_walk"]  # with the transition that led out of the run
    wait_render(qtbot, editor, [20])
    window.undo_action.trigger()
    assert editor.names == ["humanoid3d_walk", "humanoid3d_run", "humanoid3d_walk"]
    wait_render(qtbot, editor, [30, 20])
    assert window.undo_stack.count() == 5 and window.undo_stack.undoText().startswith("transition 2")

    # variants of the second transition on four seeds, as library clips named by seed
    editor.track.setCurrentRow(3)
    editor.render_variants()
    names = [f"{editor.take_name()} (transition 2, seed {k})" for k in range(4)]
    qtbot.waitUntil(lambda: all(n in window.library.names() for n in names), timeout=60_000)
    variants = [c for c in window.library.clips() if c.name in names]
    assert len({c.motion.rotations.tobytes() for c in variants}) == 4  # four different takes
    assert window.undo_stack.count() == 5  # trying variants is no edit

    # saved and opened again: the same track
    editor.save(tmp_path / "walk_run_walk.json")
    saved = load_sequence(tmp_path / "walk_run_walk.json")
    assert [c.clip for c in saved.clips] == editor.names
    assert saved.styles == {"humanoid3d_jump": "humanoid3d_jump"}
    assert json.loads((tmp_path / "walk_run_walk.json").read_text())["junctions"][1]["length"] == 20
    for _ in range(5):
        window.undo_action.trigger()
    assert editor.names == [] and editor.track.count() == 0
    editor.open(tmp_path / "walk_run_walk.json")
    assert editor.names == ["humanoid3d_walk", "humanoid3d_run", "humanoid3d_walk"]
    assert editor.sequence.junctions[1].length == 20 and editor.sequence.junctions[1].style == "humanoid3d_jump"
    wait_render(qtbot, editor, [30, 20])
    window.undo_action.trigger()
    assert editor.names == []
