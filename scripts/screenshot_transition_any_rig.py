"""Render docs/transition_any_rig.png: a transition made in the GUI between two imported user clips on other
rigs than the model's, cmu_01_01.bvh (CMU, 120 fps) frame 1500 -> a Bandai Namco clip's frame 30, with the
shipped weights on the backend the panel picks (MAX + Mojo once its models are compiled): files opened as File > Open does, picked in the Transition panel (its map lines say which joint
maps were found), generated, and paused inside the transition so the timeline's ranges show. Also renders
the joint map editor (Edit map... of the source) to docs/joint_map_editor.png.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshot_transition_any_rig.py [OUT.png]
        [--shared ../shared] [--size WxH]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.screenshots import _spin, grab_window, wait_for_rsmt  # noqa: E402 -- needs ROOT on sys.path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs" / "transition_any_rig.png"))
    parser.add_argument("--editor-out", default=str(ROOT / "docs" / "joint_map_editor.png"))
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"))
    parser.add_argument("--size", default="1500x900", help="window size WxH")
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()
    cmu = Path(args.shared) / "bvh" / "cmu_01_01.bvh"
    bandai = Path(args.shared) / "datasets" / "bandai-namco-1" / "data" / "dataset-1_walk_active_001.bvh"

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gui.app import configure_qt

    configure_qt()
    app = QApplication(sys.argv[:1])
    from gui.main_window import MainWindow
    from gui.panels.transition_panel import TransitionPanel

    settings_file = Path(tempfile.mkdtemp(prefix="motion-studio-shot-")) / "settings.ini"
    window = MainWindow(settings=QSettings(str(settings_file), QSettings.Format.IniFormat), load_embedded=False)
    window.resize(*map(int, args.size.split("x")))
    window.show()
    window.open_files([str(cmu), str(bandai)])
    _spin(app, args.timeout, lambda: len(window.library.clips()) >= 2)
    wait_for_rsmt(app, window, args.timeout)
    panel = window.findChild(TransitionPanel)
    window.panels["Transition"].raise_()
    panel.set_source(cmu.stem, 1500)
    panel.set_target(bandai.stem, 30)
    panel.length.setValue(30)
    if not _spin(app, args.timeout, lambda: panel.source.map_label.text().startswith("map: auto")
                 and panel.target.map_label.text().startswith("map: auto")):
        print("error: no joint maps found in time", file=sys.stderr)
        return 1
    panel.generate()
    if not _spin(app, args.timeout, lambda: panel.result_clip is not None and window.current is panel.result_clip):
        print(f"error: the transition did not finish in time ({panel.result_label.text()})", file=sys.stderr)
        return 1
    window.timeline.pause()
    _, start, stop = panel.result_clip.ranges[1]
    window.timeline.seek((start + stop) // 2)
    _spin(app, 1.5)
    grab_window(window).save(args.out)
    print(f"{args.out}: {window.width()}x{window.height()}; {panel.result_label.text()}")
    print(f"source {panel.source.map_label.text()}; target {panel.target.map_label.text()}")
    dialog = panel.edit_map(panel.source)
    _spin(app, 1.0)
    dialog.grab().save(args.editor_out)
    print(f"{args.editor_out}: {dialog.width()}x{dialog.height()}")
    dialog.reject()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
