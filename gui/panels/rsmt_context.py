"""What the RSMT panels (styles, transition, compare, phases) share in one window: the weights folder and
the model loaded from it, a transition generator that keeps its backend runners, the chosen style, and a
job runner of their own (RSMT work never delays file loads; one worker thread, so jobs never share the
generator concurrently).

`context_for(window)` finds or makes the window's one context. The weights folder is the setting
"rsmt/models_dir" (default: assets/rsmt_lite), chosen from Models > Transition model (`gui.model_menu`) or the
Transition panel's "Weights folder..."; when it holds no complete model the panels say "no trained RSMT
weights found" and disable their actions. A model whose folder names a licence (`models.model_licence`) says
it in every panel's status line.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QFileDialog, QSpinBox, QWidget

from gui.workers import JobRunner
from inference.rsmt.transition import TransitionGenerator

SETTING = "rsmt/models_dir"
NO_WEIGHTS = "no trained RSMT weights found"


def seed_box(parent: QWidget) -> QSpinBox:
    """A transition's seed: 0 shows as "0 (as evaluated)", the transition the model's evaluation scores; any
    other seed is a variation of it (`inference.rsmt.transition.target_noise`)."""
    box = QSpinBox(parent)
    box.setRange(0, 2**31 - 1)
    box.setSpecialValueText("0 (as evaluated)")
    box.setToolTip("0: the transition the model's evaluation scores (no target noise).\n"
                   "Any other seed: a variation of it (the sampler's target noise drawn from the seed).\n"
                   "The same seed gives the same frames.")
    return box


def _load_generator(folder: str) -> TransitionGenerator:
    """Job: the model in `folder` and a generator for it (WeightsError naming the missing files).

    Torch's intra-op pool would take both cores and starve the GUI thread (measured: 150-900 ms stalls
    while a transition generates); one torch thread leaves a core for the GUI, as the job runner's
    single worker thread intends. The lite networks gain nothing from a second thread at batch 1."""
    import torch

    from inference.rsmt.models import load_rsmt

    torch.set_num_threads(1)
    return TransitionGenerator(load_rsmt(folder))


class RSMTContext(QObject):
    modelChanged = Signal()  # generator / error changed
    styleChanged = Signal(object)  # inference.rsmt.styles.Style or None (the source clip's own style)

    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("rsmt_context")
        self.window = window
        self.jobs = JobRunner(self)
        self.generator = None  # inference.rsmt.transition.TransitionGenerator once loaded
        self.error: str | None = None
        self.loading = False
        self.closed = False
        self.style = None
        from inference.rsmt.models import DEFAULT_RSMT_DIR

        self.models_dir = Path(window.settings.value(SETTING, str(DEFAULT_RSMT_DIR)))
        window.installEventFilter(self)  # the window's close shuts the runner down
        self.reload()

    @property
    def ready(self) -> bool:
        return self.generator is not None

    def status_text(self) -> str:
        if self.loading:
            return f"loading RSMT weights from {self.models_dir} ..."
        if self.generator is None:
            return f"{NO_WEIGHTS}: {self.error}"
        return f"RSMT weights: {self.models_dir}" + (f" ({self.licence})" if self.licence else "")

    @property
    def licence(self) -> str | None:
        """The licence the weights folder names (`inference.rsmt.models.model_licence`), None when it names none."""
        from inference.rsmt.models import model_licence

        return model_licence(self.models_dir)

    def set_models_dir(self, folder: str | Path) -> None:
        self.models_dir = Path(folder)
        self.window.settings.setValue(SETTING, str(self.models_dir))
        if self.licence:
            self.window.log_message(f"RSMT weights {self.models_dir}: {self.licence} (see its LICENSE.md); "
                                    "transitions made with it carry that licence")
        self.reload()

    def choose_folder(self, parent) -> None:
        """Ask for a weights folder (a model trained with `python main.py train ... --out DIR`) and use it."""
        folder = QFileDialog.getExistingDirectory(parent, "RSMT weights folder", str(self.models_dir))
        if folder:
            self.set_models_dir(folder)

    def reload(self) -> None:
        from inference.rsmt.models import missing_rsmt_files

        self.generator, self.error = None, None
        missing = missing_rsmt_files(self.models_dir)
        if missing:  # checked here, so the message is there at once
            self.error = f"{self.models_dir} lacks {', '.join(p.name for p in missing)}"
            self.modelChanged.emit()
            return
        self.loading = True
        self.modelChanged.emit()
        self.submit(_load_generator, str(self.models_dir), key="rsmt-model", description="load RSMT weights",
                         on_result=self._loaded, on_error=self._failed)

    def submit(self, fn, *args, **kwargs):
        """`JobRunner.submit` on the RSMT runner; None (nothing runs) once the window has closed."""
        if self.closed:
            return None
        return self.jobs.submit(fn, *args, **kwargs)

    def set_style(self, style) -> None:
        self.style = style
        self.styleChanged.emit(style)

    def _loaded(self, generator) -> None:
        self.loading, self.generator = False, generator
        self.modelChanged.emit()

    def _failed(self, message: str) -> None:
        self.loading, self.error = False, message
        self.window.log_message(f"RSMT weights: {message}")
        self.modelChanged.emit()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.closed = True
            self.jobs.shutdown()
        return False


def context_for(window) -> RSMTContext:
    ctx = window.findChild(RSMTContext, "rsmt_context")
    if ctx is None:
        ctx = RSMTContext(window)
    return ctx
