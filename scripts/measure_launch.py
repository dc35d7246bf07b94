"""Measure how long Motion Studio takes from process start to its first interactive frame.

Each run is a fresh interpreter (`--child`) that starts the app as `python main.py` does (QApplication,
MainWindow with a fresh settings file, compile-at-start on, the user's model cache) and records, in seconds
since the process was created (/proc/self/stat):

- window_shown: the main window is shown;
- first_frame: the default clip is selected and the 3-D view has presented a frame of it (playable);
- max_ready: the MAX models are found ready and the Transition panel has switched to MAX + Mojo, i.e. a
  transition can be generated on MAX (null when the models are not compiled: run `python main.py compile`).

    xvfb-run -a -s '-screen 0 1600x1000x24' .venv/bin/python scripts/measure_launch.py [--runs 3] [--json]

With the MEFs cached this is the warm launch; with an empty MOTION_STUDIO_CACHE, the first one.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 120.0


def _since_process_start() -> float:
    """Seconds since this process was created (field 22 of /proc/self/stat, in clock ticks since boot)."""
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - started


def child() -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("MODULAR_TELEMETRY_ENABLED", "0")
    os.environ["MOTION_STUDIO_COMPILE_AT_START"] = "1"
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from gui.app import configure_qt

    configure_qt()
    app = QApplication(sys.argv)
    from gui.main_window import MainWindow
    from gui.panels.transition_panel import TransitionPanel

    marks: dict[str, float | None] = {"window_shown": None, "first_frame": None, "max_ready": None}
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(settings=QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat))
        panel = window.findChild(TransitionPanel)
        swaps = [0]
        window.view.frameSwapped.connect(lambda: swaps.__setitem__(0, swaps[0] + 1 if window.current else 0))
        window.show()
        marks["window_shown"] = _since_process_start()
        deadline = time.monotonic() + TIMEOUT_S

        def poll():
            now = _since_process_start()
            if marks["first_frame"] is None and window.current is not None and swaps[0] > 0:
                marks["first_frame"] = now
            if marks["max_ready"] is None and panel is not None and panel.backend.currentData() == "max-mojo":
                marks["max_ready"] = now
            failed = window.max_models.state.startswith(("failed", "cancelled"))
            if (marks["first_frame"] is not None and (marks["max_ready"] is not None or failed)) \
                    or time.monotonic() > deadline:
                window.close()
                app.quit()
                return
            QTimer.singleShot(10, poll)

        QTimer.singleShot(0, poll)
        app.exec()
        marks["max_state"] = window.max_models.state
    print(json.dumps(marks))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child()
    runs = []
    for _ in range(args.runs):
        done = subprocess.run([sys.executable, __file__, "--child"], capture_output=True, text=True,
                              timeout=TIMEOUT_S + 60, cwd=ROOT)
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    summary = {k: (statistics.median(v) if (v := [r[k] for r in runs if r[k] is not None]) else None)
               for k in ("window_shown", "first_frame", "max_ready")}
    if args.json:
        print(json.dumps({"runs": runs, "median_s": summary}))
        return 0
    for r in runs:
        print("  ".join(f"{k} {r[k]:.2f} s" if isinstance(r[k], float) else f"{k} {r[k]}" for k in r))
    print("median: " + "  ".join(f"{k} {v:.2f} s" if v is not None else f"{k} -" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
