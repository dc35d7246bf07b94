"""First launch (gui.max_models): with an empty model cache the app takes the MAX models the project ships, or,
where they do not fit (the tests' default: no shipped MEFs), works at once on MAX + Mojo while the MAX
models compile in a background process, and once they are ready the Transition panel moves to MAX, visibly,
unless the user chose its backend by hand. Real compile worker, real MAX models, real OpenGL window."""
from __future__ import annotations

import time

import pytest

from gui.max_models import GUI_KINDS
from inference.networks.rsmt_config import TRANSITION_KINDS
from inference.backends.max.store import COMPILING, PORTABLE_CPU, MefStore, cpu_target
from test_gui_transition_panel import MAX_GUI_WORK_MS, GuiWorkMeter, make_window

pytestmark = [pytest.mark.gl, pytest.mark.slow]  # compiles MAX graphs at start


@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory):
    from inference.rsmt.models import random_rsmt_weights

    folder = tmp_path_factory.mktemp("rsmt_lite")
    random_rsmt_weights(folder, seed=5)
    return folder


@pytest.fixture(scope="module")
def ready_cache(compiled_max_cache):
    """A cache holding every model the GUI uses (the RSMT ones at the lite size, the DeepMimic actor)."""
    return compiled_max_cache(GUI_KINDS, "lite")


def test_first_launch_works_on_max_mojo_while_max_compiles(qtbot, tmp_path, monkeypatch, weights_dir):
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("MOTION_STUDIO_COMPILE_AT_START", "1")
    w, panel = make_window(qtbot, tmp_path, weights_dir)
    qtbot.waitUntil(lambda: w.max_models.state == "compiling", timeout=60_000)
    # MAX's graphs compile smallest (the DeepMimic actor) first (with two workers, beside the next one: either may
    # report first); MAX + Mojo runs every network on the Mojo extension, so the Transition panel is on it at
    # once, with nothing compiled
    qtbot.waitUntil(lambda: "deepmimic_actor" in w.max_models.label.text(), timeout=60_000)
    assert w.max_models.label.text().startswith("MAX: compiling "), w.max_models.label.text()
    assert w.max_models.label.text().endswith(": 0/5 models done"), w.max_models.label.text()
    qtbot.waitUntil(lambda: panel.backend.currentData() == "max-mojo", timeout=60_000)
    items = panel.backend.model()
    assert items.item(0).isEnabled() and items.item(2).isEnabled()
    assert not items.item(1).isEnabled() and items.item(1).text().endswith("(not compiled)")

    panel.set_source("humanoid3d_walk", 30)
    panel.set_target("humanoid3d_run", 4)
    panel.length.setValue(20)
    with GuiWorkMeter() as meter:  # generating on MAX + Mojo while the compile workers run
        panel.generate()
        qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    assert panel.result.backend == "max-mojo" and panel.result.length == 20
    assert w.current is panel.result_clip and panel.result_clip.motion.num_frames == panel.result.motion.num_frames
    print(f"most GUI-thread work between two ticks while generating during the start-up compile: "
          f"{meter.worst_ms:.0f} ms CPU ({meter.worst_wall_ms:.0f} ms wall)")
    assert meter.worst_ms < MAX_GUI_WORK_MS
    assert w.max_models.state == "compiling"  # a cold MAX compile takes far longer than a transition

    w.close()  # cancels the compile: the worker process is stopped, nothing is left marked as compiling
    assert w.max_models.jobs.active_count() == 0
    store = MefStore()
    assert all(store.status(k, "lite" if k in TRANSITION_KINDS else None) != COMPILING for k in GUI_KINDS)


def test_moves_the_transition_panel_to_max_when_the_models_are_ready(qtbot, tmp_path, monkeypatch, weights_dir,
                                                                    ready_cache):
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(ready_cache))
    monkeypatch.setenv("MOTION_STUDIO_COMPILE_AT_START", "1")
    t0 = time.monotonic()
    w, panel = make_window(qtbot, tmp_path, weights_dir)
    qtbot.waitUntil(lambda: panel.backend.currentData() == "max-mojo", timeout=60_000)
    print(f"window shown to Transition panel on MAX + Mojo: {time.monotonic() - t0:.2f} s")
    assert w.max_models.state == "ready" and w.max_models.label.text() == "MAX: ready"
    assert panel.backend_status["max"] == panel.backend_status["max-mojo"] == ""
    assert "switched from PyTorch to MAX + Mojo" in w.log.toPlainText()
    w.close()


def test_a_backend_chosen_by_hand_stays(qtbot, tmp_path, monkeypatch, weights_dir, ready_cache):
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(ready_cache))
    w, panel = make_window(qtbot, tmp_path, weights_dir)  # compile at start is off (conftest)
    assert not w.compile_at_start_action.isChecked() and w.max_models.state == "idle"
    panel.backend.activated.emit(0)  # the user picks PyTorch in the combo box
    w.max_models.start()  # Models > Compile MAX models now
    qtbot.waitUntil(lambda: w.max_models.state == "ready", timeout=60_000)
    qtbot.waitUntil(lambda: panel.backend_status.get("max") == "", timeout=60_000)
    assert panel.backend.currentData() == "torch"
    w.close()


def test_a_panels_compile_asked_during_another_runs_after_it(qtbot, tmp_path, monkeypatch, weights_dir,
                                                            compiled_max_cache):
    """MaxModels.compile while a compile runs (the one at start, another panel's): queued, compiled after it
    by the same worker, and `finished` tells each asker which models its job was for."""
    cache = tmp_path / "empty-cache"
    (cache / "max").mkdir(parents=True)
    (cache / "max" / "modular").symlink_to(compiled_max_cache.kernel_cache)  # warm compiles: seconds
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(cache))
    w, _ = make_window(qtbot, tmp_path, weights_dir)
    done = []
    w.max_models.finished.connect(lambda asked, missing: done.append((list(asked), missing)))
    w.max_models.compile([("deepmimic_actor", None)])
    w.max_models.compile([("deepmimic_critic", None)])  # while the first runs: queued
    qtbot.waitUntil(lambda: len(done) == 2, timeout=600_000)
    assert done == [([("deepmimic_actor", None)], []), ([("deepmimic_critic", None)], [])]
    store = MefStore()
    assert store.status("deepmimic_actor") == store.status("deepmimic_critic") == "ready"
    assert w.max_models.state == "idle"  # the transition networks the panels use are still missing
    w.close()


@pytest.mark.skipif(cpu_target() != PORTABLE_CPU, reason=f"the shipped MEFs are for {PORTABLE_CPU} CPUs")
def test_first_launch_with_the_shipped_models_is_on_max_without_compiling(qtbot, tmp_path, monkeypatch,
                                                                         weights_dir):
    """On a CPU the shipped MEFs fit, an empty cache gets the GUI's models from them: no compile worker runs."""
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("MOTION_STUDIO_COMPILE_AT_START", "1")
    monkeypatch.delenv("MOTION_STUDIO_SHIPPED_MEFS")  # as the app runs
    w, panel = make_window(qtbot, tmp_path, weights_dir)
    qtbot.waitUntil(lambda: w.max_models.state == "ready", timeout=60_000)
    assert w.max_models.label.text() == "MAX: ready"
    qtbot.waitUntil(lambda: panel.backend_status.get("max") == "", timeout=60_000)
    store = MefStore()
    for kind in GUI_KINDS:
        info = store.info(kind, "lite" if kind in TRANSITION_KINDS else None)
        assert info is not None and info["shipped"].endswith(".mef.xz"), kind  # copied in, not compiled here
    assert not list(store.mef_dir.glob("*.compiling"))
    w.close()
