"""GUI entry point: `run_gui()` is what `python main.py` (no arguments) calls."""
from __future__ import annotations

import os
import sys
import traceback

NO_DISPLAY = ("error: Motion Studio needs a display, and none is set (DISPLAY and WAYLAND_DISPLAY are empty).\n"
              "On a headless machine run it under Xvfb: xvfb-run -a -s '-screen 0 1600x1000x24' python main.py")


def _report_uncaught(window):
    """Unexpected exceptions in slots go to the log panel and stderr instead of killing the app."""

    def hook(exc_type, exc, tb):
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        sys.__stderr__.write(text)
        try:
            window.log_message(f"internal error: {exc_type.__name__}: {exc}")
            window.statusBar().showMessage(f"Internal error: {exc_type.__name__}: {exc} (see Log)", 10_000)
        except RuntimeError:  # window already deleted
            pass

    return hook


def configure_qt() -> None:
    """Settings that must be made before the QApplication exists.

    pyqtgraph.opengl compiles each item type's shader program once per process, so every GL view must
    share one OpenGL resource group, or a second view (a new panel, a reopened window) draws with a
    program that does not exist in its context.
    """
    from PySide6.QtCore import QCoreApplication, Qt

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)


def _has_display() -> bool:
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_gui() -> int:
    """Open the main window and run the event loop; returns the exit code (1 without a display)."""
    if not _has_display():  # Qt would abort with a core dump instead
        print(NO_DISPLAY, file=sys.stderr)
        return 1
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        configure_qt()
    app = QApplication.instance() or QApplication(sys.argv)
    app.setOrganizationName("MotionStudio")
    app.setApplicationName("Motion Studio")

    from gui.main_window import MainWindow
    from inference.backends.mojo.dense import keep_a_core_free

    keep_a_core_free()

    window = MainWindow()
    sys.excepthook = _report_uncaught(window)
    window.show()
    try:
        return app.exec()
    finally:
        sys.excepthook = sys.__excepthook__
