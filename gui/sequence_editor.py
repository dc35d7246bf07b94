"""Sequence dock: a track of library clips with a transition at each junction (`inference.rsmt.sequence`),
rendered as one take that goes to the library and plays, with the timeline colouring its clips and
transitions; saved and opened as a project file (`inference.rsmt.sequence_file`, CLI twin `sequence`).

Every edit (add, remove or move a clip, a junction's length, seed, style or backend) is one step on the
window's undo stack (Edit > Undo / Redo) and renders the take again on the RSMT job runner: a render
asked for while another runs supersedes it, and the older result is dropped (`gui.workers` keys).
The track's clips are library clips by name; a project refers to them by file path or embedded clip name,
so a clip made in this session must be exported before its project can be saved.
"""
from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QListWidget, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from gui.loading import clip_from_motion
from gui.panels.rsmt_context import context_for, seed_box
from inference.backends.base import APP_BACKENDS, LABELS
from inference.rsmt.sequence import Junction, Sequence, TrackClip, render_sequence
from inference.rsmt.transition import MAX_LENGTH, MIN_LENGTH

OWN_STYLE = "(the clip before)"
RANGE_OF = {"clip": "target", "transition": "generated"}
VARIANTS = 4  # seeds tried by Variants  # timeline colours: clips green, transitions orange


class _Snapshot(QUndoCommand):
    """One edit: the track before and after it (sequences are small, so whole copies keep undo simple)."""

    def __init__(self, editor: "SequenceEditor", text: str, before, after):
        super().__init__(text)
        self.editor, self.before, self.after = editor, before, after

    def redo(self) -> None:
        self.editor._set_state(*copy.deepcopy(self.after))

    def undo(self) -> None:
        self.editor._set_state(*copy.deepcopy(self.before))


def render_job(generator, sequence: Sequence, clips, styles, name: str, job):
    """Job: the library clip of the sequence's take, its ranges coloured on the timeline; progress per
    sampler step, stopped at the next step once superseded or cancelled."""
    return _take_clip(_render(generator, sequence, clips, styles, name, job), name)


def variants_job(generator, sequence: Sequence, clips, styles, name: str, junction: int, seeds: list[int], job):
    """Job: the takes with transition `junction` generated with each of `seeds`, as library clips."""
    out = []
    for seed in seeds:
        sequence.junctions[junction].seed = seed
        label = f"{name} (transition {junction + 1}, seed {seed})"
        out.append(_take_clip(_render(generator, sequence, clips, styles, label, job), label))
    return out


def _render(generator, sequence, clips, styles, name, job):
    def progress(done: int, total: int) -> None:
        job.check_cancelled()
        job.report_progress(done / total, f"step {done}/{total}")

    return render_sequence(sequence, clips, styles, generator, name=name, progress=progress)


def _take_clip(result, name: str):
    first = result.segments[0]
    ranges = [("context", first.start, first.stop)] + [(RANGE_OF[s.kind], s.start, s.stop) for s in result.segments[1:]]
    return clip_from_motion(result.motion, name, ranges=ranges)


class SequenceEditor(QWidget):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ctx = context_for(window)
        self.sequence = Sequence([], [], {})
        self.names: list[str] = []  # library name of each track clip
        self.undo_stack = window.undo_stack
        self.result = None  # the LoadedClip of the last render

        self.track = QListWidget(self)
        self.track.setToolTip("Clips (plain) and the transitions between them (indented): pick a transition to\n"
                              "change its length, seed, style or backend")
        self.track.currentRowChanged.connect(self._row_changed)
        self.add_button = QPushButton("Add clip", self)
        self.add_button.setToolTip("Append the clip selected in the library to the track")
        self.add_button.clicked.connect(self.add_current_clip)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setToolTip("Take the selected clip (or the clip after the selected transition) off")
        self.remove_button.clicked.connect(self.remove_selected)
        self.open_button = QPushButton("Open...", self)
        self.open_button.setToolTip("Open a sequence project (.json)")
        self.open_button.clicked.connect(self._open_dialog)
        self.save_button = QPushButton("Save...", self)
        self.save_button.setToolTip("Save the track as a sequence project (.json; `python main.py sequence` renders it)")
        self.save_button.clicked.connect(self._save_dialog)
        self.variants_button = QPushButton("Variants", self)
        self.variants_button.setToolTip(f"Render the take with this transition on {VARIANTS} seeds, from its own on, as\n"
                                        "library clips named by seed to compare; set Seed to the one you pick")
        self.variants_button.clicked.connect(self.render_variants)

        self.length = QSpinBox(self)
        self.length.setRange(MIN_LENGTH, MAX_LENGTH)
        self.length.setToolTip("Generated frames of this transition (at 30 fps)")
        self.seed = seed_box(self)
        self.style_box = QComboBox(self)
        self.style_box.setToolTip("Style of this transition: a library clip, or the clip before it")
        self.backend = QComboBox(self)
        for name in APP_BACKENDS:
            self.backend.addItem(LABELS[name], name)
        self.backend.setToolTip("Backend that generates this transition")
        self.length.editingFinished.connect(lambda: self._junction_changed("length", self.length.value()))
        self.seed.editingFinished.connect(lambda: self._junction_changed("seed", self.seed.value()))
        self.style_box.activated.connect(lambda _: self._junction_changed("style", self.style_box.currentData()))
        self.backend.activated.connect(lambda _: self._junction_changed("backend", self.backend.currentData()))
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.ctx.modelChanged.connect(self.render)
        window.timeline.ranges.rangeClicked.connect(self._range_clicked)

        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.open_button, self.save_button):
            buttons.addWidget(b)
        self.junction_form = QFormLayout()
        self.junction_form.addRow("Length", self.length)
        self.junction_form.addRow("Seed", self.seed)
        self.junction_form.addRow("Style", self.style_box)
        self.junction_form.addRow("Backend", self.backend)
        self.junction_form.addRow("", self.variants_button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.track, 1)
        layout.addLayout(self.junction_form)
        layout.addWidget(self.status)
        self._refresh()

    # -- edits (each one an undo step) ---------------------------------------------------------------------
    def add_current_clip(self) -> None:
        clip = self.window.library.current()
        if clip is None:
            return
        self._edit(f"add {clip.name} to the sequence", lambda seq, names: (
            names.append(clip.name), seq.clips.append(TrackClip(clip.name)),
            seq.junctions.append(Junction()) if len(seq.clips) > 1 else None))

    def remove_selected(self) -> None:
        row = self.track.currentRow()
        if row < 0:
            return
        index = (row + 1) // 2  # a junction row removes the clip after it

        def remove(seq, names):
            del seq.clips[index], names[index]
            if seq.junctions:
                del seq.junctions[max(index - 1, 0)]
        self._edit(f"remove {self.names[index]} from the sequence", remove)

    def set_junction(self, index: int, **values) -> None:
        def change(seq, names):
            for key, value in values.items():
                setattr(seq.junctions[index], key, value)
        self._edit(f"transition {index + 1}: " + ", ".join(f"{k} {v}" for k, v in values.items()), change)

    def _junction_changed(self, key: str, value) -> None:
        index = self._junction_index()
        if index is not None and getattr(self.sequence.junctions[index], key) != value:
            self.set_junction(index, **{key: value})

    def _edit(self, text: str, change) -> None:
        before = copy.deepcopy((self.sequence, self.names))
        after = copy.deepcopy(before)
        change(*after)
        self.undo_stack.push(_Snapshot(self, text, before, after))

    def _set_state(self, sequence: Sequence, names: list[str]) -> None:
        row = self.track.currentRow()
        self.sequence, self.names = sequence, names
        self.sequence.styles = {n: n for n in self._style_names()}  # library names; `save` writes references
        self._refresh(row)
        self.render()

    # -- rendering -----------------------------------------------------------------------------------------
    def render(self) -> None:
        inputs = self._render_inputs()
        if inputs is None:
            self.ctx.jobs.cancel("sequence")
            return
        self.status.setText("rendering ...")
        self.ctx.submit(render_job, self.ctx.generator, *inputs, key="sequence", description="render sequence",
                        with_job=True,
                        on_result=self._rendered, on_error=self._failed)

    def _render_inputs(self):
        """(sequence copy, clips, styles, take name) for a render job, or None when there is nothing to render."""
        if len(self.names) < 2 or not self.ctx.ready:
            return None
        library = {c.name: c.motion for c in self.window.library.clips()}
        missing = [n for n in self.names + self._style_names() if n not in library]
        if missing:
            self.status.setText(f"not in the library: {', '.join(missing)}")
            return None
        return (copy.deepcopy(self.sequence), [library[n] for n in self.names],
                {n: library[n] for n in self._style_names()}, self.take_name())

    def render_variants(self) -> None:
        index = self._junction_index()
        inputs = self._render_inputs()
        if index is None or inputs is None:
            return
        seed = self.sequence.junctions[index].seed
        self.status.setText(f"rendering {VARIANTS} variants of transition {index + 1} ...")
        self.ctx.submit(variants_job, self.ctx.generator, *inputs, index, list(range(seed, seed + VARIANTS)),
                        key="sequence-variants", description="render sequence variants", with_job=True,
                        on_result=self._variants_rendered, on_error=self._failed)

    def _variants_rendered(self, clips) -> None:
        for clip in clips:
            self.window.add_clip(clip, select=False, replace=True)
        self.status.setText("variants in the library: " + ", ".join(c.name.rsplit("(", 1)[-1].rstrip(")") for c in clips))

    def take_name(self) -> str:
        return "sequence: " + " > ".join(self.names)

    def _rendered(self, clip) -> None:
        self.result = clip
        self.status.setText(f"{clip.name}: {clip.motion.num_frames} frames")
        self.window.add_clip(clip, replace=True)

    def _failed(self, message: str) -> None:
        self.status.setText(f"failed: {message}")
        self.window.log_message(f"sequence: {message}")

    # -- project files -------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        from inference.rsmt.sequence_file import save_sequence

        folder = Path(path).resolve().parent
        unsaved = [n for n in dict.fromkeys(self.names + self._style_names()) if self._reference(n, folder) is None]
        if unsaved:
            self.window.show_error(str(path), f"export {', '.join(unsaved)} as BVH first: a project refers to clips "
                                              f"by file")
            return
        sequence = copy.deepcopy(self.sequence)
        for clip, name in zip(sequence.clips, self.names):
            clip.clip = self._reference(name, folder)
        sequence.styles = {n: self._reference(n, folder) for n in self._style_names()}
        save_sequence(sequence, path)
        self.window.log_message(f"saved sequence {path}")

    def open(self, path: str | Path) -> None:
        """Load a project: its clips join the library (by their file's name) and the track is replaced (one
        undo step). Errors go to a dialog naming the file."""
        from inference.rsmt.sequence_file import load_sequence, resolve
        from motion.errors import MotionFileError

        path = Path(path)
        try:
            sequence = load_sequence(path)
            clips, styles = resolve(sequence, path.parent)
        except MotionFileError as e:
            self.window.show_error(str(path), str(e))
            return
        present = {c.name for c in self.window.library.clips()}
        for motion in clips + [s for s in styles.values() if not isinstance(s, Path)]:
            if motion.name not in present:
                self.window.add_clip(clip_from_motion(motion, source=motion.source), select=False)
                present.add(motion.name)
        names = [m.name for m in clips]
        for junction in sequence.junctions:
            style = styles.get(junction.style) if junction.style is not None else None
            junction.style = None if style is None or isinstance(style, Path) else style.name
        sequence.styles = {}
        before = copy.deepcopy((self.sequence, self.names))
        self.undo_stack.push(_Snapshot(self, f"open {path.name}", before, (sequence, names)))

    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open sequence", "", "Sequence project (*.json)")
        if path:
            self.open(path)

    def _save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save sequence", "sequence.json", "Sequence project (*.json)")
        if path:
            self.save(path)

    def _reference(self, name: str, folder: Path | None = None) -> str | None:
        """How a project refers to library clip `name`: an embedded clip by name, a file by path (relative to
        `folder` below it), a clip made in this session not at all (None)."""
        clip = next((c for c in self.window.library.clips() if c.name == name), None)
        if clip is None or clip.embedded:
            return name if clip is not None else None
        if not clip.source:
            return None
        source = Path(clip.source).resolve()
        return str(source.relative_to(folder)) if folder and source.is_relative_to(folder) else str(source)

    # -- view ----------------------------------------------------------------------------------------------
    def _style_names(self) -> list[str]:
        return list(dict.fromkeys(j.style for j in self.sequence.junctions if j.style is not None))

    def _junction_index(self) -> int | None:
        row = self.track.currentRow()
        return row // 2 if row >= 0 and row % 2 == 1 else None

    def _refresh(self, row: int = -1) -> None:
        self.track.blockSignals(True)
        self.track.clear()
        for i, name in enumerate(self.names):
            self.track.addItem(name)
            if i < len(self.sequence.junctions):
                j = self.sequence.junctions[i]
                self.track.addItem(f"    -> {j.length} frames, style {j.style or OWN_STYLE}, seed {j.seed}, "
                                   f"{LABELS[j.backend]}")
        self.track.blockSignals(False)
        self.track.setCurrentRow(min(row, self.track.count() - 1))
        self._row_changed(self.track.currentRow())
        self.remove_button.setEnabled(bool(self.names))
        self.save_button.setEnabled(bool(self.names))
        if len(self.names) < 2:
            self.status.setText("add two or more clips from the library: a transition joins each pair")

    def _range_clicked(self, index: int) -> None:
        """A click on the take's range number `index` on the timeline selects that clip or transition here."""
        if self.result is not None and self.window.current is self.result:
            self.track.setCurrentRow(index)

    def _row_changed(self, row: int) -> None:
        if self.result is not None and self.window.current is self.result and 0 <= row < len(self.result.ranges):
            self.window.timeline.seek(self.result.ranges[row][1])  # the take's range for this row
        index = self._junction_index()
        for w in (self.length, self.seed, self.style_box, self.backend, self.variants_button):
            w.setEnabled(index is not None)
        if index is None:
            return
        j = self.sequence.junctions[index]
        self.style_box.clear()
        self.style_box.addItem(OWN_STYLE, None)
        for name in self.window.library.names():
            self.style_box.addItem(name, name)
        self.style_box.setCurrentIndex(max(self.style_box.findData(j.style), 0))
        self.length.setValue(j.length)
        self.seed.setValue(j.seed)
        self.backend.setCurrentIndex(max(self.backend.findData(j.backend), 0))
