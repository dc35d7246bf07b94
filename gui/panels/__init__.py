"""Dock panels of the main window. `PANELS` lists (title, factory(window) -> QWidget, dock area); the
main window installs every entry with `add_panel`. Factories import their module lazily so a panel's
dependencies load only when it is built.

Panels sharing a dock area become tabs of one group (the first one in front), and a panel whose factory
raises is left out with the error in the Log, so one broken panel cannot keep the window from opening.
Optional hooks of a panel widget: `shutdown()` (window closing: stop its own runners and timers) and
`demo() -> Callable[[], bool]` (scripts/screenshots.py: put the panel in a realistic state; the predicate
says when it is ready to grab)."""
from __future__ import annotations

from PySide6.QtCore import Qt


def _style(window):
    from gui.panels.style_panel import StylePanel

    return StylePanel(window)


def _transition(window):
    from gui.panels.transition_panel import TransitionPanel

    return TransitionPanel(window)


def _compare(window):
    from gui.panels.compare_panel import ComparePanel

    return ComparePanel(window)


def _phase(window):
    from gui.panels.phase_panel import PhasePanel

    return PhasePanel(window)


def _deepmimic(window):
    from gui.panels.deepmimic_panel import DeepMimicPanel

    return DeepMimicPanel(window)


def _bench(window):
    from gui.panels.bench_panel import BenchPanel

    return BenchPanel(window)


Right, Bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea

PANELS = [
    ("Styles", _style, Right),
    ("Transition", _transition, Right),
    ("Compare torch vs MAX", _compare, Bottom),
    ("Phases", _phase, Bottom),
    ("DeepMimic", _deepmimic, Right),
    ("Benchmark", _bench, Right),
]


def install_panels(window) -> dict:
    """Build every registered panel and dock it; returns {title: dock}. `arrange_panels` tabs them."""
    import traceback

    docks = {}
    for title, factory, area in PANELS:
        try:
            widget = factory(window)
        except Exception as e:  # noqa: BLE001 -- see the module docstring
            window.log_message(f"panel {title!r} unavailable: {type(e).__name__}: {e}")
            window.log_message(traceback.format_exc().rstrip())
            continue
        docks[title] = window.add_panel(title, widget, area)
        docks[title].hide()  # until arrange_panels tabs it: stacked, the docks would stretch the window
    return docks


def arrange_panels(window, docks: dict) -> None:
    """Panels sharing a dock area become tabs of one group, the first in front. Call it once the window is
    shown: tabifying two areas' docks before that leaves a stale tab bar painted over the window (Qt 6.11)."""
    by_area = {}
    for dock in docks.values():
        by_area.setdefault(window.dockWidgetArea(dock), []).append(dock)
    for group in by_area.values():
        for dock in group[1:]:
            window.tabifyDockWidget(group[0], dock)
        for dock in group:
            dock.show()
        group[0].raise_()


def shutdown_panels(docks: dict) -> None:
    """Stop the background work of every panel that has some (a panel's `shutdown()`), on window close."""
    for dock in docks.values():
        shutdown = getattr(dock.widget(), "shutdown", None)
        if shutdown is not None:
            shutdown()
