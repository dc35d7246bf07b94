"""Any rig in the Transition panel (real main window, OpenGL under Xvfb, a random-weight lite RSMT model):
user clips on other skeletons (a Bandai Namco clip, a Mixamo-style 65-joint fixture) are accepted, the map
line says which joint map takes each onto the model's skeleton with the pairs in its tooltip, and the joint
map editor changes the map that clip is retargeted with (the transition's summary shows it), saves and loads
it as JSON, and refuses a map that lacks a required part."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from gui.loading import load_clip_file
from motion.joint_map import load_map
from tests.gui.test_gui_transition_panel import make_window, weights_dir  # noqa: F401 (a fixture)

pytestmark = pytest.mark.gl
DATA = Path(__file__).resolve().parents[1] / "data"
BANDAI = DATA / "bandai" / "dataset-1_walk_angry_001.bvh"
MIXAMO = DATA / "retarget" / "mixamo_65.bvh"


@pytest.fixture
def window(qtbot, tmp_path, weights_dir, monkeypatch):
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(tmp_path / "cache"))
    w, panel = make_window(qtbot, tmp_path, weights_dir, clips=("run",))
    for path in (BANDAI, MIXAMO):
        w.add_clip(load_clip_file(path), select=False)
    qtbot.waitUntil(lambda: panel.ctx.ready, timeout=30_000)
    yield w, panel
    w.close()


def wait_map(qtbot, choice, prefix: str) -> None:
    qtbot.waitUntil(lambda: choice.map_label.text().startswith(prefix), timeout=60_000)


def test_user_clips_show_their_map_and_model_clips_need_none(qtbot, window):
    w, panel = window
    panel.set_source(BANDAI.stem, 20)
    panel.set_target("humanoid3d_run", 0)
    wait_map(qtbot, panel.source, "map: auto")
    wait_map(qtbot, panel.target, "map: none needed")
    label = panel.source.map_label
    # the Bandai rig's joint_Root (and nothing else) has no counterpart on the model's skeleton
    assert label.text() == f"map: auto ({BANDAI.stem} -> model), 1 joint unmapped"
    tip = label.toolTip().splitlines()
    assert "left_upper_arm: UpperArm_L -> left_shoulder" in tip and tip[-1] == "unmapped (rest pose): joint_Root"
    assert panel.source.map_button.isEnabled() and not panel.target.map_button.isEnabled()
    panel.set_source(MIXAMO.stem, 0)
    wait_map(qtbot, panel.source, "map: auto")
    assert panel.source.map_label.text().startswith(f"map: auto ({MIXAMO.stem} -> model), ")


def test_an_edited_map_is_used_saved_and_loaded(qtbot, window, tmp_path):
    w, panel = window
    panel.set_source(BANDAI.stem, 20)
    panel.set_target("humanoid3d_run", 0)
    wait_map(qtbot, panel.source, "map: auto")
    dialog = panel.edit_map(panel.source)
    assert dialog.isVisible() and dialog.table.rowCount() == 20
    assert dialog.combos["left_hand"].currentText() == "Hand_L"
    assert dialog.combos["spine"].currentText() == "Spine, Chest"
    dialog.combos["left_hand"].setCurrentText("")  # no hand: it follows the forearm
    assert dialog.save(str(tmp_path / "bandai.json"))
    dialog.combos["left_upper_leg"].setCurrentText("")  # a required part
    dialog.accept()
    assert dialog.isVisible() and "left_upper_leg" in dialog.error.text()
    assert dialog.load(str(tmp_path / "bandai.json"))  # back to the saved map
    assert dialog.combos["left_upper_leg"].currentText() == "UpperLeg_L" and dialog.error.text() == ""
    dialog.accept()
    assert not dialog.isVisible()
    wait_map(qtbot, panel.source, "map: edited")
    assert panel.source.map_label.text() == f"map: edited ({BANDAI.stem} -> model), 2 joints unmapped"
    assert any(line.startswith("left_hand: - -> ") for line in panel.source.map_label.toolTip().splitlines())
    saved = load_map(tmp_path / "bandai.json")
    assert saved.rig_for(w.library.clips()[1].motion.skeleton, None).parts["left_hand"] is None

    before = len(w.library.clips())
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(w.library.clips()) == before + 1, timeout=60_000)
    assert f"retargeted: source {BANDAI.stem} -> model (2 unmapped)" in panel.result_label.text()
    used = panel.result.retargeted["source"]
    assert sorted(used["unmapped"]) == ["Hand_L", "joint_Root"]
    bandai = w.library.clips()[1].motion
    assert panel.result.motion.skeleton.names == bandai.skeleton.names  # back on the source's skeleton


def test_styles_of_clips_on_other_rigs_say_which_map_encoded_them(qtbot, window):
    from gui.panels.style_panel import StylePanel

    w, panel = window
    styles = w.findChild(StylePanel)
    rows = lambda: [styles.list.item(i) for i in range(styles.list.count())]  # noqa: E731
    qtbot.waitUntil(lambda: any(BANDAI.stem in r.text() for r in rows()), timeout=60_000)
    item = next(r for r in rows() if r.text().startswith(BANDAI.stem))
    assert item.text() == f"{BANDAI.stem}  [clip, map: auto ({BANDAI.stem} -> model), 1 joint unmapped]"
    assert "left_upper_leg: UpperLeg_L -> left_hip" in item.toolTip().splitlines()
    run = next(r for r in rows() if r.text().startswith("humanoid3d_run"))
    assert run.text() == "humanoid3d_run  [clip]" and run.toolTip() == ""
