"""The Styles panel in the real main window with a random-weight lite RSMT model: the library of clip
styles, a click on the 2-D map picks the style the Transition panel then uses, a blend, save and load."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gui.panels.style_panel import StylePanel
from gui.panels.transition_panel import TransitionPanel
from test_gui_transition_panel import make_window, weights_dir  # noqa: F401 -- the module fixture

pytestmark = pytest.mark.gl


@pytest.fixture
def panel(qtbot, tmp_path, weights_dir, monkeypatch):  # noqa: F811
    monkeypatch.setenv("MOTION_STUDIO_DATA", str(tmp_path / "data"))
    w, _ = make_window(qtbot, tmp_path, weights_dir)
    p = w.findChild(StylePanel)
    if p is None:
        p = StylePanel(w)
        w.add_panel("Styles", p, Qt.DockWidgetArea.RightDockWidgetArea)
    w.resize(1600, 1000)
    qtbot.waitUntil(lambda: len(p.styles) == 3 and p.ctx.jobs.active_count() == 0, timeout=30_000)
    yield p
    w.close()


def test_clicking_the_map_picks_a_style(qtbot, panel):
    assert [s.name for s in panel.styles] == ["humanoid3d_walk", "humanoid3d_run", "humanoid3d_jump"]
    points = panel._points()
    assert points.shape == (3, 2) and np.ptp(points, axis=0).max() > 0
    qtbot.wait(50)  # the plot lays out its view box
    for index in (2, 0):
        pos = panel.map_position(index)
        qtbot.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
        assert panel.list.currentRow() == index
        assert panel.ctx.style is panel.styles[index]
    transition = panel.window.findChild(TransitionPanel)
    assert transition.style_label.text() == "humanoid3d_walk"
    assert transition.request().style is panel.styles[0].features


def test_map_labels_stay_in_view_and_combos_show_short_names(qtbot, panel):
    from gui.panels.style_panel import short_name

    qtbot.wait(50)  # the plot lays out its view box
    view = panel.plot.getViewBox().sceneBoundingRect()
    assert len(panel.labels) == 3
    for label in panel.labels:  # the text, not just its anchor point, is inside the map
        assert view.contains(label.sceneBoundingRect()), label.textItem.toPlainText()
    names = [s.name for s in panel.styles]
    assert [panel.blend_a.itemText(i) for i in range(3)] == ["walk", "run", "jump"] == [short_name(n) for n in names]
    assert [panel.blend_b.itemData(i) for i in range(3)] == names


def test_blend_save_and_load(qtbot, panel, tmp_path):
    panel.blend_a.setCurrentIndex(0)
    panel.blend_b.setCurrentIndex(2)
    panel.blend_slider.setValue(30)
    qtbot.mouseClick(panel.blend_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(panel.styles) == 4, timeout=30_000)
    mixed = panel.styles[-1]
    assert mixed.origin == "blend" and panel.ctx.style is mixed and "30%" in mixed.name
    a, b = panel.styles[0].features.features, panel.styles[2].features.features
    np.testing.assert_allclose(mixed.features.features, 0.7 * a + 0.3 * b, atol=1e-5)
    path = panel.save("my mix")
    assert path == tmp_path / "data" / "styles" / "my_mix.json"
    qtbot.waitUntil(lambda: any(s.origin == "custom" for s in panel.styles), timeout=30_000)
    custom = next(s for s in panel.styles if s.origin == "custom")
    assert custom.name == "my mix" and custom.path == path
    np.testing.assert_allclose(custom.code, mixed.code, rtol=1e-4, atol=1e-5)


def test_named_styles_of_a_model_with_a_library(qtbot, tmp_path, monkeypatch):
    """A model folder with a style library (`styles build`; labels = the embedded training clips here): its
    named styles come first, each point in its style's colour, with the library's window codes as dots."""
    import cli
    from inference.rsmt.models import random_rsmt_weights
    from inference.rsmt.style_library import StyleLibrary
    from tests.inference.test_style_library import write_evaluation

    monkeypatch.setenv("MOTION_STUDIO_DATA", str(tmp_path / "data"))
    folder = tmp_path / "model"
    random_rsmt_weights(folder, seed=4)
    assert cli.main(["styles", "build", "--data", "embedded", "--weights", str(folder), "--named-by", "medoid"]) == 0
    library = StyleLibrary.load(folder / "styles.npz")
    write_evaluation(folder, {library.names[1]: (4, 0)})
    w, _ = make_window(qtbot, tmp_path, folder)
    p = w.findChild(StylePanel)
    if p is None:
        p = StylePanel(w)
        w.add_panel("Styles", p, Qt.DockWidgetArea.RightDockWidgetArea)
    count = len(library.names) + 3
    qtbot.waitUntil(lambda: len(p.styles) == count and p.ctx.jobs.active_count() == 0, timeout=30_000)
    assert [s.name for s in p.styles[:len(library.names)]] == library.names
    assert {s.origin for s in p.styles[:len(library.names)]} == {"style"}
    assert p.list.item(0).text() == f"{library.names[0]}  [style]"
    # how often the model's evaluation recognised a named style, and what that means, in its tooltip
    assert p.list.item(1).text() == f"{library.names[1]}  [style, recognised 4/10]"
    assert "interpolation, which has no style: 0" in p.list.item(1).toolTip()
    # and where its motion comes from, how that window was chosen
    assert f"training window of {library.named_clips[1]}, chosen by medoid" in p.list.item(1).toolTip()
    assert "chosen by medoid" in p.list.item(0).toolTip()
    brushes = [b.color().name() for b in p.scatter.data["brush"]]
    assert len(set(brushes[:len(library.names)])) == len(library.names)  # one colour per named style
    assert len(p.windows_scatter.data) == len(library.clip_codes)
    p.pick(1)
    assert p.ctx.style.name == library.names[1]
    w.close()


def test_models_menu_picks_a_shipped_model_and_shows_its_licence(qtbot, panel):
    """Models > Transition model: the shipped models by name, the entry of the folder in use checked ("other"
    for these random weights); the Styles panel of a model without named styles says where they are. Picking
    the Bandai Namco model loads it, and every RSMT panel's status line and the Log name its licence."""
    from inference.rsmt.models import MODEL_DIRS

    w = panel.window
    actions = w.model_actions
    assert set(actions) == {*MODEL_DIRS, "other"} and actions["other"].isChecked()
    assert "CC BY-NC 4.0" in actions["bandai"].text() and "CC BY-NC" not in actions["humanoid3d"].text()
    assert "no named styles" in panel.status.text() and "Models > Transition model > bandai" in panel.status.text()
    actions["bandai"].trigger()
    assert panel.ctx.models_dir == MODEL_DIRS["bandai"] and actions["bandai"].isChecked()
    qtbot.waitUntil(lambda: panel.ctx.ready, timeout=60_000)
    assert panel.ctx.status_text().endswith("(CC BY-NC 4.0, non-commercial use only)")
    assert "CC BY-NC 4.0" in w.log.toPlainText()
    qtbot.waitUntil(lambda: panel.library is not None and panel.ctx.jobs.active_count() == 0, timeout=120_000)
    assert "no named styles" not in panel.status.text()
