"""Transition panel: source clip and frame, target clip and frame, length, style, seed and backend in; a
generated RSMT transition out, added to the clip library and played (File > Export BVH writes it).

Generating runs on the RSMT job runner (`gui.panels.rsmt_context`): progress per generated frame, Cancel
stops it at the next network call, and a newer Generate supersedes an older one (its result is dropped).

A source or target clip on another rig than the model's is retargeted onto it (`inference.rsmt.rigs`); the
"map" line under each clip says which joint map is used (found automatically when the clip is picked, on
the RSMT job runner; the tooltip lists the pairs), and Edit map... opens `gui.joint_map_dialog` to fix it:
the edited map is used for that clip from then on.
"""
from __future__ import annotations

from dataclasses import dataclass

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                               QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from gui.joint_map_dialog import JointMapDialog
from gui.loading import clip_from_motion
from gui.panels.rsmt_context import context_for, seed_box
from inference.backends.base import APP_BACKENDS, LABELS, MAX_BACKENDS
from inference.rsmt.style_reference import has_reference
from inference.rsmt.transition import STRENGTH_RANGE, backend_status

def generate(generator, request, job):
    """Job: (TransitionResult, its library clip) for `request`, reporting progress per sampler step and
    stopping at the next step when cancelled. The clip is named for what it is (clips, style and its strength,
    backend, seed) and carries its context / generated / target ranges (timeline colours, keyframe ghosts, foot
    contacts)."""
    def progress(done: int, total: int) -> None:
        job.check_cancelled()
        job.report_progress(done / total, f"step {done}/{total}")

    result = generator.generate(request, progress=progress)
    style = getattr(request.style, "name", "") or "own"  # a Motion's or a StyleFeatures' name; None: the source's
    strength = f" x{request.style_strength:g}" if request.style_strength != 1.0 else ""
    name = f"{result.motion.name} ({style} style{strength}, {result.backend}, seed {result.seed})"
    g, n = result.generated, result.motion.num_frames
    ranges = [("context", 0, g.start), ("generated", g.start, g.stop), ("target", g.stop, n)]
    return result, clip_from_motion(result.motion, name, ranges=ranges)


def find_map(generator, motion, maps, role: str):
    """Job: the JointMap that takes `motion` onto the model's skeleton (None: it is on it already), the first
    of `maps` that fits or one found automatically (TransitionError: the clip cannot be mapped). The clip
    retargeted on the way is cached, so generating with the same map does not redo it."""
    return generator.on_model(motion, role, maps)[1]


def map_text(joint_map, skeleton, edited: bool) -> tuple[str, str]:
    """The map line of a clip and its tooltip (the pairs, then the clip's joints the map leaves out)."""
    from motion.retarget import map_summary

    summary = map_summary(joint_map, skeleton)
    unmapped = summary["unmapped"]
    text = (f"map: {'edited' if edited else 'auto'} ({Path(summary['from']).stem} -> model), "
            f"{len(unmapped)} joint{'s' * (len(unmapped) != 1)} unmapped")
    pairs = [f"{part}: {', '.join(mine) or '-'} -> {', '.join(model) or '-'}"
             for part, mine, model in joint_map.pairs(skeleton)]
    return text, "\n".join(pairs + ([f"unmapped (rest pose): {', '.join(unmapped)}"] if unmapped else []))


def maps_used(retargeted: dict) -> str:
    """One line for a result's `retargeted` (role -> map_summary): which clips were retargeted, from what."""
    if not retargeted:
        return "no clip retargeted (all on the model's skeleton)"
    return "retargeted: " + "; ".join(f"{role} {Path(used['from']).stem} -> model ({len(used['unmapped'])} unmapped)"
                                      for role, used in retargeted.items())


@dataclass
class ClipChoice:
    """A clip and a frame picked in the panel, and the joint map line under them."""

    combo: QComboBox
    frame: QSpinBox
    role: str = ""
    map_label: QLabel | None = None
    map_button: QPushButton | None = None
    joint_map: object = None  # the JointMap the clip is retargeted with (None: on the model's skeleton)


class TransitionPanel(QWidget):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ctx = context_for(window)
        self.result = None  # the last TransitionResult
        self.result_clip = None
        self.backend_status: dict[str, str] = {}
        self.edited_maps: dict[int, tuple[object, object]] = {}  # id(clip) -> (clip, edited JointMap)

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        folder = QPushButton("Weights folder...", self)
        folder.clicked.connect(lambda: self.ctx.choose_folder(self))
        self.source = self._clip_choice("source")
        self.target = self._clip_choice("target")
        self.length = QSpinBox(self)
        self.length.setRange(10, 60)
        self.length.setValue(30)
        self.length.setSuffix(" frames (30 fps)")
        self.seed = seed_box(self)
        self.style_label = QLabel(self)
        self.style_label.setWordWrap(True)
        self.strength = QDoubleSpinBox(self)
        self.strength.setRange(*STRENGTH_RANGE)
        self.strength.setSingleStep(0.25)
        self.strength.setValue(1.0)
        self.strength.setToolTip("How far the style is pushed from the model's 'normal' motion: 1 the style as it is,\n"
                                 "0 normal, above 1 exaggerated (models whose style library has a 'normal' style,\n"
                                 "e.g. bandai; `transition --style-strength S`)")
        self.backend = QComboBox(self)
        for name in APP_BACKENDS:
            label = LABELS[name]
            self.backend.addItem(label, name)
        self.backend.setToolTip("PyTorch works at once; the MAX backends once their models are compiled\n"
                                "(Models menu; done in the background on first launch)")
        self._backend_chosen = False  # by the user: then a MAX backend becoming ready does not move it
        self._move_to_max = True  # off PyTorch onto the first MAX backend that can run (at start: MAX + Mojo)
        self.backend.activated.connect(lambda _=0: setattr(self, "_backend_chosen", True))
        window.max_models.ready.connect(self._max_ready)
        self.landing = QCheckBox("Land on the target keyframe", self)
        self.landing.setChecked(True)
        self.landing.setToolTip("Blend the last generated frames so the last one is exactly the target keyframe\n"
                                "(no jump where the target clip takes over). Off: the network's own last frame.")
        self.foot_lock = QCheckBox("Lock planted feet", self)
        self.foot_lock.setChecked(True)
        self.foot_lock.setToolTip("Hold a foot still while it is on the floor (within 2.5 cm of its planted height),\n"
                                  "re-solving the leg with two-bone IK. Off: the feet as generated.")
        self.in_place = QCheckBox("Regenerate in place", self)
        self.in_place.setToolTip("After a Generate, any change of clip, frame, length, style, seed, backend or option\n"
                                 "generates again and replaces that result in the library (a run still going is\n"
                                 "dropped), so the timeline keeps showing one transition as you tune it")
        self.generate_button = QPushButton("Generate", self)
        self.generate_button.clicked.connect(self.generate)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.result_label = QLabel(self)
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow("Source", self._row(self.source, "source"))
        form.addRow("", self._map_row(self.source))
        form.addRow("Target", self._row(self.target, "target"))
        form.addRow("", self._map_row(self.target))
        form.addRow("Length", self.length)
        form.addRow("Style", self.style_label)
        form.addRow("Style strength", self.strength)
        form.addRow("Seed", self.seed)
        form.addRow("Backend", self.backend)
        form.addRow("", self.landing)
        form.addRow("", self.foot_lock)
        form.addRow("", self.in_place)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(folder)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.result_label)
        layout.addStretch(1)

        model = window.library.list.model()
        model.rowsInserted.connect(self.refresh_clips)
        self.ctx.modelChanged.connect(self._model_changed)
        self.ctx.styleChanged.connect(self._style_changed)
        self.refresh_clips()
        self._style_changed(self.ctx.style)
        self._model_changed()
        for signal in (self.length.valueChanged, self.seed.valueChanged, self.strength.valueChanged,
                       self.backend.currentIndexChanged,
                       self.source.combo.currentIndexChanged, self.source.frame.valueChanged,
                       self.target.combo.currentIndexChanged, self.target.frame.valueChanged,
                       self.landing.toggled, self.foot_lock.toggled, self.ctx.styleChanged):
            signal.connect(self._setting_changed)

    # -- building ------------------------------------------------------------------------------------------
    def _clip_choice(self, what: str) -> ClipChoice:
        combo = QComboBox(self)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(14)
        frame = QSpinBox(self)
        frame.setToolTip(f"{what} frame (of the clip's own frame rate)")
        choice = ClipChoice(combo, frame, what)
        combo.currentIndexChanged.connect(lambda _=0, c=choice: self._clip_picked(c.combo, c.frame, c))
        return choice

    def _map_row(self, choice: ClipChoice) -> QWidget:
        row = QWidget(self)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        choice.map_label = QLabel(row)
        choice.map_label.setWordWrap(True)
        choice.map_button = QPushButton("Edit map...", row)
        choice.map_button.setToolTip(f"which joint of the {choice.role} clip is which part of the model's skeleton")
        choice.map_button.clicked.connect(lambda: self.edit_map(choice))
        layout.addWidget(choice.map_label, 1)
        layout.addWidget(choice.map_button)
        return row

    def _row(self, choice: ClipChoice, what: str) -> QWidget:
        row = QWidget(self)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(choice.combo, 1)
        layout.addWidget(choice.frame)
        here = QPushButton("From timeline", row)
        here.setToolTip(f"the selected clip at the timeline's current frame as the {what}")
        here.clicked.connect(lambda: self.set_from_timeline(choice))
        layout.addWidget(here)
        return row

    # -- clips ---------------------------------------------------------------------------------------------
    def refresh_clips(self, *_) -> None:
        names = self.window.library.names()
        for choice in (self.source, self.target):
            current = choice.combo.currentText()
            choice.combo.blockSignals(True)
            choice.combo.clear()
            choice.combo.addItems(names)
            choice.combo.setCurrentIndex(max(names.index(current) if current in names else 0, 0))
            choice.combo.blockSignals(False)
            self._clip_picked(choice.combo, choice.frame, choice)

    def _clip(self, combo: QComboBox):
        clips = self.window.library.clips()
        i = combo.currentIndex()
        return clips[i] if 0 <= i < len(clips) else None

    def _clip_picked(self, combo: QComboBox, frame: QSpinBox, choice: ClipChoice | None = None) -> None:
        clip = self._clip(combo)
        frame.setRange(0, max(clip.motion.num_frames - 1, 0) if clip else 0)
        if choice is not None:
            self.refresh_map(choice)

    # -- joint maps ----------------------------------------------------------------------------------------
    def _edited_map(self, clip):
        entry = self.edited_maps.get(id(clip))
        return entry[1] if entry is not None and entry[0] is clip else None

    def refresh_map(self, choice: ClipChoice) -> None:
        """Find the map of the choice's clip on the RSMT runner; its line says which (or why none)."""
        clip = self._clip(choice.combo)
        choice.joint_map = None
        choice.map_button.setEnabled(False)
        if clip is None or not self.ctx.ready:
            choice.map_label.setText("map: -")
            choice.map_label.setToolTip("")
            return
        choice.map_label.setText("map: ...")
        edited = self._edited_map(clip)
        self.ctx.submit(find_map, self.ctx.generator, clip.motion, (edited,) if edited else (), choice.role,
                        key=f"map-{choice.role}", description=f"joint map of {clip.name}",
                        on_result=lambda used, c=choice, k=clip: self._map_found(c, k, used),
                        on_error=lambda message, c=choice: self._map_failed(c, message))

    def _map_found(self, choice: ClipChoice, clip, joint_map) -> None:
        choice.joint_map = joint_map
        if joint_map is None:
            choice.map_label.setText("map: none needed (the model's skeleton)")
            choice.map_label.setToolTip("")
            return
        text, tip = map_text(joint_map, clip.motion.skeleton, self._edited_map(clip) is not None)
        choice.map_label.setText(text)
        choice.map_label.setToolTip(tip)
        choice.map_button.setEnabled(True)

    def _map_failed(self, choice: ClipChoice, message: str) -> None:
        choice.map_label.setText(f"map: none ({message})")
        choice.map_label.setToolTip(message)

    def edit_map(self, choice: ClipChoice) -> JointMapDialog | None:
        """Open the joint map editor for the choice's clip; once accepted, its map is used for that clip."""
        clip = self._clip(choice.combo)
        if clip is None or choice.joint_map is None:
            return None
        dialog = JointMapDialog(self, choice.joint_map, clip.motion.skeleton, clip.name)
        dialog.accepted.connect(lambda: self._map_edited(clip, dialog.edited_map))
        dialog.open()
        return dialog

    def _map_edited(self, clip, joint_map) -> None:
        self.edited_maps[id(clip)] = (clip, joint_map)
        self.window.log_message(f"joint map of {clip.name} edited")
        for choice in (self.source, self.target):
            if self._clip(choice.combo) is clip:
                self.refresh_map(choice)

    def set_from_timeline(self, choice: ClipChoice) -> None:
        clip = self.window.current
        if clip is None:
            return
        self.refresh_clips()
        choice.combo.setCurrentIndex(self.window.library.clips().index(clip))
        choice.frame.setValue(self.window.timeline.frame)

    def set_source(self, name: str, frame: int) -> None:
        self.source.combo.setCurrentText(name)
        self.source.frame.setValue(frame)

    def set_target(self, name: str, frame: int) -> None:
        self.target.combo.setCurrentText(name)
        self.target.frame.setValue(frame)

    # -- state ---------------------------------------------------------------------------------------------
    def _model_changed(self) -> None:
        self.status.setText(self.ctx.status_text())
        self.generate_button.setEnabled(self.ctx.ready)
        strength = self.ctx.ready and has_reference(self.ctx.generator.model.folder)
        self.strength.setEnabled(strength)
        if not strength:
            self.strength.setValue(1.0)
        for choice in (self.source, self.target):
            self.refresh_map(choice)
        if self.ctx.ready:  # which backends can run it (importing MAX takes a while: on the worker)
            self.ctx.submit(backend_status, key="backend-status", description="check backends",
                                 on_result=self._backends_checked)

    def _max_ready(self) -> None:
        """The MAX models got compiled: re-check the backends, then move off PyTorch (see gui.max_models)."""
        self._move_to_max = not self._backend_chosen and self.backend.currentData() == "torch"
        self._model_changed()

    def _style_changed(self, style) -> None:
        self.style_label.setText(style.name if style is not None else "the source clip's own (pick one in Styles)")

    def _backends_checked(self, status: dict[str, str]) -> None:
        self.backend_status = status
        model: QStandardItemModel = self.backend.model()
        for i, name in enumerate(APP_BACKENDS):
            label = LABELS[name]
            why = status.get(name, "")
            item = model.item(i)
            item.setText(label if not why else f"{label} ({why.split(':')[0]})")
            item.setToolTip(why or "ready")
            item.setEnabled(not why)
        if self._move_to_max and not self._backend_chosen:
            self._move_to_max = False
            name = next((n for n in MAX_BACKENDS if status.get(n) == ""), None)
            if name is not None:
                self.backend.setCurrentIndex(self.backend.findData(name))
                label = self.backend.currentText()
                self.window.statusBar().showMessage(f"Transitions run on {label}", 10_000)
                self.window.log_message(f"Transition panel: switched from PyTorch to {label} (ready)")

    # -- generating ----------------------------------------------------------------------------------------
    def request(self):
        """The TransitionRequest the panel describes (ValueError when a clip is missing)."""
        from inference.rsmt.transition import TransitionRequest

        src, tgt = self._clip(self.source.combo), self._clip(self.target.combo)
        if src is None or tgt is None:
            raise ValueError("choose a source and a target clip")
        style = self.ctx.style.features if self.ctx.style is not None else None
        maps = tuple(m for m in (self._edited_map(src), self._edited_map(tgt)) if m is not None)
        return TransitionRequest(src.motion, tgt.motion, length=self.length.value(),
                                 source_frame=self.source.frame.value(), target_frame=self.target.frame.value(),
                                 style=style, seed=self.seed.value(), backend=self.backend.currentData(),
                                 land_on_target=self.landing.isChecked(), lock_feet=self.foot_lock.isChecked(),
                                 joint_maps=maps, style_strength=self.strength.value())

    def generate(self) -> None:
        if not self.ctx.ready:
            self.window.show_error("Transition", self.ctx.status_text())
            return
        try:
            request = self.request()
        except ValueError as e:
            self.window.show_error("Transition", str(e))
            return
        self.progress.setValue(0)
        self.cancel_button.setEnabled(True)
        self.result_label.setText("generating ...")
        self.ctx.submit(generate, self.ctx.generator, request, key="transition", with_job=True,
                             description=f"transition ({request.backend})", on_result=self._generated,
                             on_error=self._failed, on_progress=self._progress)

    def cancel(self) -> None:
        self.ctx.jobs.cancel("transition")
        self.cancel_button.setEnabled(False)
        self.progress.setValue(0)
        self.result_label.setText("cancelled")

    def _progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(1000 * fraction))

    def _failed(self, message: str) -> None:
        self.cancel_button.setEnabled(False)
        self.result_label.setText(f"failed: {message}")
        self.window.show_error("Transition", message)

    def _setting_changed(self, *_) -> None:
        if self.in_place.isChecked() and self.result_clip is not None and self.ctx.ready:
            self.generate()

    def _generated(self, outcome) -> None:
        self.cancel_button.setEnabled(False)
        self.progress.setValue(1000)
        self.result, clip = outcome
        r = self.result
        previous, self.result_clip = self.result_clip, clip
        replaced = self.in_place.isChecked() and previous is not None and self.window.library.replace_clip(previous, clip)
        if not replaced:
            self.window.add_clip(clip)
        self.window.timeline.play()
        self.result_label.setText(
            f"{clip.name}: {r.motion.num_frames} frames = {r.context_frames} context + {r.length} generated + "
            f"{r.target_frames} target; {r.ms_per_frame:.2f} ms per generated frame on {r.backend}; "
            f"{maps_used(r.retargeted)}")
        self.window.log_message(f"transition: {self.result_label.text()}")

    # -- screenshots ---------------------------------------------------------------------------------------
    def demo(self):
        """Screenshot state: a 30-frame walk -> run transition (on MAX + Mojo when compiled, else torch)
        generated, added to the library and playing."""
        started = False

        def ready() -> bool:
            nonlocal started
            if not started:
                names = self.window.library.names()
                if not (self.ctx.ready and self.backend_status and "humanoid3d_walk" in names
                        and "humanoid3d_run" in names):
                    return False
                self.set_demo_request()
                backend = next((n for n in MAX_BACKENDS if self.backend_status.get(n) == ""), "torch")
                self.backend.setCurrentIndex(self.backend.findData(backend))
                self.generate()
                started = True
            if self.result_label.text().startswith("failed"):
                return True
            return self.result_clip is not None and self.window.current is self.result_clip

        return ready

    def set_demo_request(self) -> None:
        """The request the screenshots use: humanoid3d_walk frame 20 -> humanoid3d_run frame 0, 30 frames."""
        self.set_source("humanoid3d_walk", 20)
        self.set_target("humanoid3d_run", 0)
        self.length.setValue(30)
