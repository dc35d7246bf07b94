"""Render docs/sequence.png: walk > run > walk built in the Sequence dock (the second transition in the jump's
style, 20 frames), rendered with the shipped weights on PyTorch and paused inside the second transition, so
the timeline's coloured ranges, the keyframe ghosts and the foot-contact markers show.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshot_sequence.py [OUT.png] [--size WxH]
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
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs" / "sequence.png"))
    parser.add_argument("--size", default="1400x860", help="window size WxH")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gui.app import configure_qt

    configure_qt()
    app = QApplication(sys.argv[:1])
    from gui.main_window import MainWindow

    settings_file = Path(tempfile.mkdtemp(prefix="motion-studio-shot-")) / "settings.ini"
    window = MainWindow(settings=QSettings(str(settings_file), QSettings.Format.IniFormat))
    window.resize(*map(int, args.size.split("x")))
    window.show()
    _spin(app, 30, lambda: len(window.library.clips()) >= 15)
    wait_for_rsmt(app, window, args.timeout)
    window.sequence_dock.raise_()
    editor = window.sequence_editor
    for name in ("humanoid3d_walk", "humanoid3d_run", "humanoid3d_walk"):
        window.library.select(name)
        editor.add_current_clip()
    editor.set_junction(1, length=20, style="humanoid3d_jump")
    if not _spin(app, args.timeout, lambda: editor.result is not None and window.current is editor.result
                 and len(editor.result.ranges) == 5):
        print("error: the sequence did not render in time", file=sys.stderr)
        return 1
    window.timeline.pause()
    _, start, stop = editor.result.ranges[3]
    editor.track.setCurrentRow(3)
    window.timeline.seek((start + stop) // 2)
    _spin(app, 1.0)
    grab_window(window).save(args.out)
    print(f"{args.out}: {window.width()}x{window.height()}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
