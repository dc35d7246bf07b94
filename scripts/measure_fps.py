"""Measure real playback frame rate of the main window's 3-D view.

Plays a clip in the real MainWindow (timeline clock, per-frame setData, repaint) with the GL view sized
to WIDTHxHEIGHT, and counts the view's `frameSwapped` signals (frames actually presented) and the distinct
clip frames shown for a few seconds. Needs a display; on a headless machine:

    xvfb-run -a -s "-screen 0 1920x1200x24" .venv/bin/python scripts/measure_fps.py [--json]

Playback can show at most fps x speed distinct clip frames per second, so the rows with speed 4 measure
how fast the view can render.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("MOTION_STUDIO_COMPILE_AT_START", "0")  # no background MAX compile competing for the CPU


def measure(app, window, clip: str, speed: float, labels: bool, trajectory: bool, seconds: float) -> dict:
    window.library.select(clip)
    window.labels_action.setChecked(labels)
    window.trajectory_action.setChecked(trajectory)
    window.timeline.set_speed(speed)
    swaps, shown = [0], [0]
    on_swap = lambda: swaps.__setitem__(0, swaps[0] + 1)  # noqa: E731
    on_frame = lambda _f: shown.__setitem__(0, shown[0] + 1)  # noqa: E731
    window.view.frameSwapped.connect(on_swap)
    window.timeline.frameChanged.connect(on_frame)
    window.timeline.play()
    _spin(app, 0.5)  # warm-up
    swaps[0] = shown[0] = 0
    t0, cpu0 = time.perf_counter(), time.process_time()
    _spin(app, seconds)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    window.timeline.pause()
    window.view.frameSwapped.disconnect(on_swap)
    window.timeline.frameChanged.disconnect(on_frame)
    m = window.current.motion
    return {"clip": clip, "clip_fps": round(m.fps, 3), "joints": m.skeleton.num_joints, "speed": speed,
            "labels": labels, "trajectory": trajectory,
            "view": f"{window.view.width()}x{window.view.height()}",
            "presented_fps": round(swaps[0] / elapsed, 1), "clip_frames_per_s": round(shown[0] / elapsed, 1),
            "wanted_clip_frames_per_s": round(m.fps * speed, 1),
            # CPU time of the whole process (GUI thread + llvmpipe threads) per presented frame: on a
            # busy machine this says more about the cost of a frame than the frame rate does
            "cpu_ms_per_frame": round(1000 * cpu / max(swaps[0], 1), 2),
            "load_average_1min": round(os.getloadavg()[0], 2)}


def _spin(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.0005)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gui.app import configure_qt

    configure_qt()
    app = QApplication(sys.argv[:1])
    from gui.main_window import MainWindow

    settings = QSettings(str(Path("/tmp") / "motion_studio_fps.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.show()
    _spin(app, 0.2)
    # grow the window until the GL view itself has the requested size
    for _ in range(3):
        dw, dh = args.width - window.view.width(), args.height - window.view.height()
        window.resize(window.width() + dw, window.height() + dh)
        _spin(app, 0.2)
    end = time.perf_counter() + 20
    while window.current is None and time.perf_counter() < end:
        _spin(app, 0.05)
    rows = [
        measure(app, window, "humanoid3d_walk", 1.0, False, False, args.seconds),
        measure(app, window, "humanoid3d_dance_a", 1.0, False, False, args.seconds),
        measure(app, window, "humanoid3d_dance_a", 4.0, False, False, args.seconds),
        measure(app, window, "humanoid3d_dance_a", 4.0, True, True, args.seconds),
    ]
    window.close()
    if args.json:
        print(json.dumps({"rows": rows}, indent=1))
    else:
        for r in rows:
            print(f"{r['clip']:20s} {r['clip_fps']:>7} fps x{r['speed']:<3} labels={r['labels']!s:5} "
                  f"traj={r['trajectory']!s:5} view {r['view']}: presented {r['presented_fps']:6.1f} fps, "
                  f"clip frames shown {r['clip_frames_per_s']:6.1f}/s (wanted {r['wanted_clip_frames_per_s']}), "
                  f"{r['cpu_ms_per_frame']} ms CPU/frame, load {r['load_average_1min']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
