"""Dock panels of the main window. `PANELS` lists (title, factory(window) -> QWidget, dock area); the
main window installs every entry with `add_panel`. Factories import their module lazily so a panel's
dependencies load only when it is built."""
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


Right, Bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea

PANELS = [
    ("Styles", _style, Right),
    ("Transition", _transition, Right),
    ("Compare torch vs MAX", _compare, Bottom),
    ("Phases", _phase, Bottom),
]


def install_panels(window) -> dict:
    """Build every registered panel and dock it; returns {title: dock}."""
    return {title: window.add_panel(title, factory(window), area) for title, factory, area in PANELS}
