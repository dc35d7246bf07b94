"""Render docs/main_window.png: the main window with a clip mid-playback, joint labels and root trajectory on,
and the panels in their default layout once the RSMT weights have loaded (the Styles map filled).

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshot.py [OUT.png] [--clip NAME]

Settings come from a fresh temporary file, so a window layout saved by an earlier run cannot change the shot.
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
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs" / "main_window.png"))
    parser.add_argument("--clip", default="humanoid3d_walk")
    parser.add_argument("--seconds", type=float, default=0.8, help="how long to play before the shot")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for the RSMT weights")
    args = parser.parse_args()

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gui.app import configure_qt

    configure_qt()
    app = QApplication(sys.argv[:1])
    from gui.main_window import MainWindow
    from gui.panels.style_panel import StylePanel

    settings_file = Path(tempfile.mkdtemp(prefix="motion-studio-shot-")) / "settings.ini"
    window = MainWindow(settings=QSettings(str(settings_file), QSettings.Format.IniFormat))
    window.resize(1400, 860)
    window.show()
    _spin(app, 30, lambda: len(window.library.clips()) >= 15)
    if not window.library.select(args.clip):
        print(f"error: no clip named {args.clip!r}", file=sys.stderr)
        return 2
    wait_for_rsmt(app, window, args.timeout)
    styles = window.findChild(StylePanel)
    if styles is not None and not _spin(app, args.timeout, lambda: styles.map is not None):
        print("warning: the style map was not built in time", file=sys.stderr)
    window.labels_action.setChecked(True)
    window.trajectory_action.setChecked(True)
    window.timeline.play()
    _spin(app, args.seconds)  # the shot is taken while playing
    image = grab_window(window)
    window.timeline.pause()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    image.save(args.out)
    print(f"wrote {args.out} ({image.width()}x{image.height()}, {window.current.name} frame {window.timeline.frame})")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
