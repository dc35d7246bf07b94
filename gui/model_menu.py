"""Models > Transition model: the shipped RSMT models by name (`inference.rsmt.models.MODEL_DIRS`, what
`--model NAME` picks on the command line), each with what it is and the licence its folder names, and any
other weights folder. The entry of the model in use is checked; choosing one sets the RSMT context's folder
(the setting every RSMT panel follows)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QActionGroup

from gui.panels.rsmt_context import context_for


def install_model_menu(window, menu) -> dict[str, QAction]:
    """Add the section to `menu`; {model name or "other": its action}."""
    from inference.rsmt.models import MODEL_DIRS, MODEL_TITLES, model_licence

    ctx = context_for(window)
    menu.addSection("Transition model")
    group = QActionGroup(window)
    actions: dict[str, QAction] = {}
    for name, folder in MODEL_DIRS.items():
        licence = model_licence(folder)
        action = QAction(MODEL_TITLES[name] + (f" [{licence}]" if licence else ""), window)
        action.setCheckable(True)
        action.setData(str(folder))
        action.triggered.connect(lambda _=False, f=folder: ctx.set_models_dir(f))
        group.addAction(action)
        menu.addAction(action)
        actions[name] = action
    other = QAction("Other weights folder...", window)
    other.setCheckable(True)
    other.triggered.connect(lambda _=False: (ctx.choose_folder(window), _check(actions, ctx)))
    group.addAction(other)
    menu.addAction(other)
    actions["other"] = other
    ctx.modelChanged.connect(lambda: _check(actions, ctx))
    _check(actions, ctx)
    return actions


def _check(actions: dict[str, QAction], ctx) -> None:
    """Check the entry of the folder in use ("other" for one that is not shipped)."""
    here = _resolved(ctx.models_dir)
    shipped = next((a for n, a in actions.items() if n != "other" and _resolved(a.data()) == here), None)
    (shipped or actions["other"]).setChecked(True)


def _resolved(folder) -> Path:
    try:
        return Path(folder).resolve()
    except OSError:
        return Path(folder)
