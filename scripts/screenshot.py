"""Render docs/main_window.png: the main window with a clip mid-playback, joint labels and root trajectory on.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshot.py [OUT.png] [--clip NAME]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _spin(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.002)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs" / "main_window.png"))
    parser.add_argument("--clip", default="humanoid3d_walk")
    parser.add_argument("--seconds", type=float, default=0.8, help="how long to play before the shot")
    args = parser.parse_args()

    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QPainter
    from PySide6.QtWidgets import QApplication

    from gui.app import configure_qt

    configure_qt()
    app = QApplication(sys.argv[:1])
    from gui.main_window import MainWindow

    window = MainWindow(settings=QSettings("/tmp/motion_studio_screenshot.ini", QSettings.Format.IniFormat))
    window.resize(1400, 860)
    window.show()
    end = time.perf_counter() + 20
    while len(window.library.clips()) < 15 and time.perf_counter() < end:
        _spin(app, 0.05)
    if not window.library.select(args.clip):
        print(f"error: no clip named {args.clip!r}", file=sys.stderr)
        return 2
    window.labels_action.setChecked(True)
    window.trajectory_action.setChecked(True)
    window.timeline.play()
    _spin(app, args.seconds)  # the shot is taken while playing

    # QWidget.grab() paints the widgets only: the 3-D view is a native GL window in a container, so
    # paint its own framebuffer over its place in the window.
    image = window.grab().toImage()
    painter = QPainter(image)
    container = window.view.widget
    painter.drawImage(container.mapTo(window, container.rect().topLeft()), window.view.grab_frame())
    painter.end()
    window.timeline.pause()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    image.save(args.out)
    print(f"wrote {args.out} ({image.width()}x{image.height()}, {window.current.name} frame {window.timeline.frame})")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
