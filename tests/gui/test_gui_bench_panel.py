"""Benchmark panel through its widgets: a tiny real benchmark (DeepMimic actor, few repeats) on a worker
thread, Cancel, the bar chart of ratios vs torch, the table and Export JSON. The DeepMimic MAX models come
from a temporary compiled store (conftest's compiled_max_cache)."""
import json

import pytest
from PySide6.QtCore import QSettings, Qt

from gui.main_window import MainWindow

pytestmark = pytest.mark.gl


@pytest.fixture(scope="module")
def max_cache(compiled_max_cache):
    return compiled_max_cache(("deepmimic_actor", "deepmimic_critic"))


@pytest.fixture
def panel(qtbot, tmp_path, monkeypatch, max_cache):
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(max_cache))
    w = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat), load_embedded=False)
    qtbot.addWidget(w)
    with qtbot.waitExposed(w.view):
        w.show()
    dock = w.panels["Benchmark"]
    dock.raise_()
    p = dock.widget()
    qtbot.waitUntil(lambda: bool(p.case_boxes) and p.run_button.isEnabled(), timeout=30_000)
    yield p
    w.close()


def test_quick_benchmark_shows_bars_table_and_exports(qtbot, panel, tmp_path):
    assert "deepmimic_actor" in panel.case_boxes and "torch" in panel.backend_boxes
    assert not panel.backend_boxes["torch"].isEnabled()  # the reference always runs
    for kind, box in panel.case_boxes.items():
        box.setChecked(kind == "deepmimic_actor")
    others = [n for n in panel.backend_boxes if n in ("max", "max-mojo", "onnx")]
    assert len(others) == 3
    for name, box in panel.backend_boxes.items():
        box.setChecked(name == "torch" or name in others)
    panel.batches_edit.setText("1")
    panel.runs_box.setValue(3)
    panel.warmup_box.setValue(1)
    panel.memory_box.setChecked(False)

    # Cancel right after Run: the benchmark stops before its first step, the partial report says so
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.cancel_button.isEnabled() and not panel.run_button.isEnabled()
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.running, timeout=60_000)
    assert not panel.window.error_dialogs
    assert panel.report.cancelled and "Cancelled" in panel.status.text()

    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.running, timeout=60_000)
    assert not panel.window.error_dialogs
    report = panel.report
    assert not report.cancelled and panel.progress.value() == 100
    cases = {(r.case, r.backend) for r in report.rows}
    assert ("deepmimic_actor", "torch") in cases and ("deepmimic_policy_step", "torch") in cases
    assert panel.table.rowCount() == len(report.rows)
    assert {panel.table.item(r, 2).text() for r in range(panel.table.rowCount())} == {r.backend for r in report.rows}
    # one bar series per non-torch backend that produced timings, heights = ratios vs torch
    timed = [b for b in report.backends if b != "torch" and any(r.backend == b for r in report.rows)]
    from inference.backends.base import LABELS

    assert [bar.opts["name"] for bar in panel.bars] == [LABELS[b] for b in timed]  # the legend's labels
    for backend, bar in zip(timed, panel.bars):
        expected = [r.ratio_vs_torch for r in report.rows if r.backend == backend]
        assert list(bar.opts["height"]) == pytest.approx(expected)
        assert all(h > 0 for h in expected)
    tallest = max(max(bar.opts["height"]) for bar in panel.bars)
    assert panel.plot.getViewBox().viewRange()[1][1] >= max(tallest, 1.0)  # every bar whole
    qtbot.wait(50)  # laid out
    legend, bars_area = panel.legend.sceneBoundingRect(), panel.plot.getViewBox().sceneBoundingRect()
    assert legend.height() > 0 and legend.bottom() <= bars_area.top()  # the legend is above the bars, never on them
    assert panel.plot.getAxis("left").labelText and panel.plot.getAxis("bottom").labelText
    assert timed == others, report.skipped

    out = tmp_path / "bench.json"
    assert panel.export_button.isEnabled()
    panel.export(out)
    data = json.loads(out.read_text())
    assert len(data["rows"]) == len(report.rows) and data["cancelled"] is False
    assert {"case", "backend", "batch", "median_us", "ratio_vs_torch"} <= set(data["rows"][0])
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".json" or p.name.startswith(".bench")) == \
        ["bench.json"]


def test_bad_batch_sizes_say_what_to_type(qtbot, panel):
    panel.batches_edit.setText("1, lots")
    panel.run_button.click()
    assert not panel.running
    text = panel.window.error_dialogs[0].text()
    assert "batch sizes" in text and "Example: 1, 64" in text


def test_missing_models_are_compiled_from_the_panel_then_benchmarked(qtbot, tmp_path, monkeypatch,
                                                                     compiled_max_cache, warm_kernel_cache):
    """A store with the actor only: ticking the critic offers "Compile 1 missing model" (no terminal); Run says
    what is missing instead of failing; the button compiles it with the real compile worker through the
    window's MaxModels (progress in the panel), then the benchmark runs with the critic on MAX."""
    from inference.backends.max.store import READY, MefStore

    cache = compiled_max_cache(("deepmimic_actor",))
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(cache))
    assert MefStore().status("deepmimic_critic") != READY
    w = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat), load_embedded=False)
    qtbot.addWidget(w)
    with qtbot.waitExposed(w.view):
        w.show()
    w.panels["Benchmark"].raise_()
    panel = w.panels["Benchmark"].widget()
    qtbot.waitUntil(lambda: bool(panel.case_boxes) and panel.run_button.isEnabled(), timeout=30_000)
    for kind, box in panel.case_boxes.items():
        box.setChecked(kind in ("deepmimic_actor", "deepmimic_critic"))
    for name, box in panel.backend_boxes.items():
        box.setChecked(name in ("torch", "max"))
    panel.batches_edit.setText("1")
    panel.runs_box.setValue(3)
    panel.warmup_box.setValue(1)
    panel.memory_box.setChecked(False)
    qtbot.waitUntil(lambda: panel.missing is not None, timeout=60_000)
    assert panel.missing == [("deepmimic_critic", None)]
    assert panel.compile_button.isVisible() and panel.compile_button.text() == "Compile 1 missing model"

    panel.run_button.click()  # not compiled: the panel says so and offers the button, no error, no run
    qtbot.waitUntil(lambda: not panel.running, timeout=60_000)
    assert panel.report is None and not w.error_dialogs
    assert "deepmimic_critic" in panel.status.text() and "Compile 1 missing model" in panel.status.text()

    texts = []
    w.max_models.progress.connect(lambda fraction, text: texts.append(text))
    warm_kernel_cache("deepmimic_critic")  # MAX's kernel cache has it: the compile below takes seconds
    qtbot.mouseClick(panel.compile_button, Qt.MouseButton.LeftButton)
    assert panel.running and not panel.run_button.isEnabled()
    qtbot.waitUntil(lambda: panel.report is not None and not panel.running, timeout=600_000)
    assert not w.error_dialogs, [d.text() for d in w.error_dialogs]
    assert MefStore().status("deepmimic_critic") == READY
    assert any(t.startswith("compiling deepmimic_critic: 0/1 models done") for t in texts)
    assert ("deepmimic_critic", "max") in {(r.case, r.backend) for r in panel.report.rows}
    assert panel.missing == [] and not panel.compile_button.isVisible()
    w.close()
