"""Screenshots for the docs: the main window with each registered panel in front, in a realistic state,
plus the Help dialogs and the Models menu. Writes docs/panel_<name>.png, docs/help_shortcuts.png,
docs/help_about.png and docs/models_menu.png (--only takes those names too).

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshots.py [--out DIR] [--only TITLE ...]
        [--weights MODEL_DIR]

A panel with a `demo()` method is asked to put itself in a realistic state (start a short run, fill its
plots) and the shot waits until its predicate says ready (or --timeout). `QWidget.grab()` paints widgets
only, so the 3-D view (a native OpenGL window) is rendered with `grab_frame()` and painted into its place.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOTTOM_SHARE = 0.42  # of the window height for a bottom-area panel's shot
RIGHT_SHARE = 0.3  # of the window width for a right-area panel's shot
EXTRA_SHOTS = ("help_shortcuts", "help_about", "models_menu")  # shots of other windows than the main one
sys.path.insert(0, str(ROOT))


def _spin(app, seconds: float, until=None) -> bool:
    """Run the event loop for `seconds`, or until `until()` is true; returns whether it became true."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        if until is not None and until():
            return True
        time.sleep(0.005)
    return until is None


def _views(window) -> list:
    """The window's 3-D view and those of the panels in front (e.g. the Compare panel's overlay)."""
    views = [window.view]
    for dock in window.panels.values():
        view = getattr(dock.widget(), "view", None)
        if view is not None and hasattr(view, "grab_frame"):
            views.append(view)
    return views


def grab_window(window):
    """The window as a QImage, with each visible 3-D view's framebuffer painted over its container."""
    from PySide6.QtGui import QPainter

    image = window.grab().toImage()
    painter = QPainter(image)
    for view in _views(window):
        container = view.widget
        if container.isVisible() and not container.visibleRegion().isEmpty():
            painter.drawImage(container.mapTo(window, container.rect().topLeft()), view.grab_frame())
    painter.end()
    return image


def wait_for_rsmt(app, window, seconds: float) -> None:
    """Let the RSMT context (shared by the Styles/Transition/Compare/Phases panels) finish loading its
    weights, so those panels are shot with a model instead of "loading RSMT weights ..."."""
    from gui.panels.rsmt_context import RSMTContext

    ctx = window.findChild(RSMTContext, "rsmt_context")
    if ctx is None:
        return
    if not _spin(app, seconds, lambda: not ctx.loading):
        print(f"warning: RSMT weights still loading after {seconds:g} s", file=sys.stderr)
    elif not ctx.ready:
        print(f"warning: {ctx.status_text()}", file=sys.stderr)


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs"), help="folder for the PNGs (default docs/)")
    parser.add_argument("--only", nargs="+", metavar="TITLE", help="only these panels (dock titles)")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for each panel's demo state")
    parser.add_argument("--size", default="1500x940", help="window size WxH")
    parser.add_argument("--weights", default=None, metavar="DIR",
                        help="the RSMT model folder the panels use (default the app's default model)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    width, height = (int(v) for v in args.size.lower().split("x"))

    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtWidgets import QApplication

    from gui.app import configure_qt

    configure_qt()
    app = QApplication(sys.argv[:1])
    from gui.main_window import MainWindow

    settings_file = Path(tempfile.mkdtemp(prefix="motion-studio-shots-")) / "settings.ini"
    settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
    if args.weights:
        from gui.panels.rsmt_context import SETTING

        settings.setValue(SETTING, str(Path(args.weights).resolve()))
    window = MainWindow(settings=settings)
    unknown = set(args.only or []) - set(window.panels) - set(EXTRA_SHOTS)
    if unknown:
        print(f"error: no panel called {', '.join(sorted(unknown))} (panels: {', '.join(window.panels)}; "
              f"other shots: {', '.join(EXTRA_SHOTS)})",
              file=sys.stderr)
        window.close()  # stops and waits for the background jobs (the MAX compile started with the window)
        return 2
    window.resize(width, height)
    window.show()
    _spin(app, 30, lambda: len(window.library.clips()) >= 15 and window.current is not None)
    window.library.select("humanoid3d_walk")
    wait_for_rsmt(app, window, args.timeout)
    written = []
    for title, dock in window.panels.items():
        if args.only and title not in args.only:
            continue
        dock.show()
        dock.raise_()
        if window.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea:
            # the bottom group is short by default: give the plots room
            window.resizeDocks([dock], [int(height * BOTTOM_SHARE)], Qt.Orientation.Vertical)
            right = [d for d in window.panels.values()
                     if window.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea]
            window.resizeDocks(right, [int(width * 0.24)] * len(right), Qt.Orientation.Horizontal)
            window.resizeDocks([window.log_dock, dock], [int(width * 0.17), int(width * 0.6)],
                               Qt.Orientation.Horizontal)
        elif window.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea:
            # wide enough for the Styles map's title and points
            window.resizeDocks([dock], [int(width * RIGHT_SHARE)], Qt.Orientation.Horizontal)
        _spin(app, 0.5)
        panel = dock.widget()
        demo = getattr(panel, "demo", None)
        ready = demo() if demo is not None else None
        if ready is not None and not _spin(app, args.timeout, ready):
            print(f"warning: {title}: its demo state was not ready after {args.timeout:g} s; shot taken anyway",
                  file=sys.stderr)
        _spin(app, 0.5)
        for box in list(window.error_dialogs):  # a dialog would cover the next shots
            print(f"warning: {title}: {box.text()}", file=sys.stderr)
            box.accept()
        path = out / f"panel_{slug(title)}.png"
        grab_window(window).save(str(path))
        written.append(path)
        print(f"wrote {path}")

    for name in EXTRA_SHOTS:
        if args.only and name not in args.only:
            continue
        path = out / f"{name}.png"
        if name == "models_menu":
            menu = window.models_menu
            menu.popup(window.mapToGlobal(window.menuBar().actionGeometry(menu.menuAction()).bottomLeft()))
            _spin(app, 0.5)
            menu.grab().save(str(path))
            menu.hide()
        else:
            (window.shortcuts_action if name == "help_shortcuts" else window.about_action).trigger()
            _spin(app, 0.5)
            window.help_dialog.grab().save(str(path))
            window.help_dialog.accept()
        written.append(path)
        print(f"wrote {path}")
    window.close()
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
