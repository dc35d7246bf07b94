"""Style panel: the style library (the model's named styles when it has a library,
`inference.rsmt.style_library`, each with how often the model's evaluation recognised it; one style per library
clip the model can read; custom styles saved in the user's data folder), a 2-D PCA map of their style codes where
a click picks a style (named styles in one colour each, with the codes of their training windows as small dots of
the same colour), a blend of two styles, and save/load of custom styles (`inference.rsmt.styles`). The picked
style is what the Transition panel uses."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QInputDialog, QLabel, QListWidget, QPushButton,
                               QSlider, QVBoxLayout, QWidget)

from gui.panels.rsmt_context import context_for

PICK_RADIUS_PX = 12
POINT_BRUSH, PICKED_BRUSH = pg.mkBrush(90, 200, 255), pg.mkBrush(250, 158, 41)
LABEL_ROOM = (0.35, 0.12)  # view room beyond the outermost points for their labels, as fractions of the spread


def short_name(style: str) -> str:
    """A style's name without the embedded clips' "humanoid3d_" prefix (map labels, blend combos)."""
    return style.removeprefix("humanoid3d_")


def build_library(generator, clips: dict, folder=None):
    """Job: (styles, problems, the model's StyleLibrary or None, {clip style name: (map line, pairs)} for the
    clips on other rigs, retargeted onto the model's skeleton to be encoded, {named style: StyleRecognition}
    from the model's evaluation): its named styles, the clips' and the custom style files'."""
    from gui.panels.transition_panel import map_text
    from inference.rsmt.style_library import library_styles, style_recognition
    from inference.rsmt.styles import clip_styles, load_custom_styles
    from inference.rsmt.transition import TransitionError

    named, library = library_styles(generator)
    styles, problems = clip_styles(generator, clips)
    try:
        recognised = style_recognition(generator.model.folder) if library is not None else {}
    except TransitionError as e:
        recognised = {}
        problems.append(str(e))
    custom, bad = load_custom_styles(generator, folder)
    maps = {}
    for s in styles:
        used = generator.on_model(clips[s.name], "style")[1]  # cached by clip_styles' retarget
        if used is not None:
            maps[s.name] = map_text(used, clips[s.name].skeleton, edited=False)
    return named + styles + custom, problems + bad, library, maps, recognised


def named_styles_hint() -> str:
    """For a model without named styles: which shipped models have them (Models > Transition model)."""
    from inference.rsmt.models import MODEL_DIRS
    from inference.rsmt.style_library import LIBRARY_FILE

    named = [n for n, folder in MODEL_DIRS.items() if (folder / LIBRARY_FILE).is_file()]
    return (f"; this model has no named styles (angry, old...): Models > Transition model > {' or '.join(named)}"
            if named else "")


def style_colour(index: int, count: int):
    """The map colour of the index-th of `count` named styles (hues around the wheel)."""
    return pg.intColor(index, hues=max(count, 1), values=1, maxValue=255, minValue=150)


def blend_job(generator, a, b, t: float):
    """Job: a blended Style (its code from the encoder)."""
    from inference.rsmt.styles import Style, blend, style_codes

    features = blend(a.features, b.features, t)
    return Style(features.name, features, style_codes(generator, [features])[0], "blend")


def load_job(generator, path: str):
    """Job: a Style from a saved style-code file (TransitionError naming the file)."""
    from pathlib import Path

    from inference.rsmt.styles import Style, style_codes
    from inference.rsmt.transition import StyleFeatures

    model = generator.model
    features = StyleFeatures.load(path, model.roles, model.cfg.style_frames - 1)
    return Style(features.name, features, style_codes(generator, [features])[0], "custom", Path(path))


class StylePanel(QWidget):
    def __init__(self, window, style_folder=None):
        super().__init__(window)
        self.window = window
        self.ctx = context_for(window)
        self.folder = style_folder  # None: inference.rsmt.styles.style_dir()
        self.styles = []
        self.map = None
        self.library = None  # the model's inference.rsmt.style_library.StyleLibrary, if it has one
        self.maps: dict[str, tuple[str, str]] = {}  # clip style -> (map line, pairs) for clips on other rigs
        self.recognised: dict = {}  # named style -> StyleRecognition, from the model's evaluation.json
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.currentRowChanged.connect(self._row_changed)
        self.plot = pg.PlotWidget(self, title="style map (PCA of the style codes): click to pick")
        self.plot.setMenuEnabled(False)
        self.plot.getViewBox().setDefaultPadding(0.15)  # room for the names right of the points
        self.windows_scatter = pg.ScatterPlotItem(size=5, pen=None)  # the named styles' training windows
        self.plot.addItem(self.windows_scatter)
        self.scatter = pg.ScatterPlotItem(size=11, pen=pg.mkPen("w", width=0.5))
        self.plot.addItem(self.scatter)
        self.labels: list[pg.TextItem] = []
        self.plot.scene().sigMouseClicked.connect(self._map_clicked)
        self.own_button = QPushButton("Source clip's own style", self)
        self.own_button.clicked.connect(lambda: (self.list.setCurrentRow(-1), self.ctx.set_style(None)))
        self.blend_a, self.blend_b = QComboBox(self), QComboBox(self)
        self.blend_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.blend_slider.setRange(0, 100)
        self.blend_slider.setValue(50)
        self.blend_label = QLabel("50%", self)
        self.blend_slider.valueChanged.connect(lambda v: self.blend_label.setText(f"{v}%"))
        self.blend_button = QPushButton("Blend", self)
        self.blend_button.clicked.connect(self.blend)
        save, load, refresh = (QPushButton(t, self) for t in ("Save style...", "Load style...", "Refresh"))
        save.clicked.connect(self._save_dialog)
        load.clicked.connect(self._load_dialog)
        refresh.clicked.connect(self.rebuild)
        self.action_buttons = [self.blend_button, save, load, refresh, self.own_button]

        blend_row = QHBoxLayout()
        for w in (self.blend_a, self.blend_slider, self.blend_label, self.blend_b, self.blend_button):
            blend_row.addWidget(w)
        files = QHBoxLayout()
        for w in (save, load, refresh):
            files.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.plot, 2)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.own_button)
        layout.addLayout(blend_row)
        layout.addLayout(files)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(400)
        self._debounce.timeout.connect(self.rebuild)
        window.library.list.model().rowsInserted.connect(lambda *_: self._debounce.start())
        self.ctx.modelChanged.connect(self.rebuild)
        self.rebuild()

    # -- library -------------------------------------------------------------------------------------------
    def rebuild(self) -> None:
        for b in self.action_buttons:
            b.setEnabled(self.ctx.ready)
        if not self.ctx.ready:
            self.status.setText(self.ctx.status_text())
            return
        clips = {c.name: c.motion for c in self.window.library.clips()}
        self.status.setText(f"encoding {len(clips)} style clips ...")
        self.ctx.submit(build_library, self.ctx.generator, clips, self.folder, key="styles",
                             description="style library", on_result=self._built, on_error=self._failed)

    def _failed(self, message: str) -> None:
        self.status.setText(f"failed: {message}")
        self.window.show_error("Styles", message)

    def _built(self, outcome) -> None:
        from inference.rsmt.styles import StyleMap

        styles, problems, self.library, self.maps, self.recognised = outcome
        picked = self.ctx.style.name if self.ctx.style is not None else None
        self.styles = list(styles)
        self.map = StyleMap(np.stack([s.code for s in styles])) if styles else None
        for p in problems:
            self.window.log_message(f"styles: skipped {p}")
        self.status.setText(f"{len(styles)} styles" + (f" ({len(problems)} skipped, see Log)" if problems else "")
                            + ("" if self.library is not None else named_styles_hint()))
        self._refill(picked)

    def _refill(self, picked: str | None = None) -> None:
        names = [s.name for s in self.styles]
        self.list.blockSignals(True)
        self.list.clear()
        for s in self.styles:
            line, tip = self.maps.get(s.name, ("", ""))
            seen = self.recognised.get(s.name) if s.origin == "style" else None
            if seen is not None:
                line, tip = seen.text(), seen.explanation(s.name)
            if s.origin == "style" and self.library is not None:
                tip = "\n".join(t for t in (tip, self.library.provenance(s.name)) if t)
            self.list.addItem(f"{s.name}  [{s.origin}{', ' + line if line else ''}]")
            self.list.item(self.list.count() - 1).setToolTip(tip)
        row = names.index(picked) if picked in names else -1
        self.list.setCurrentRow(row)
        self.list.blockSignals(False)
        for combo in (self.blend_a, self.blend_b):
            current = combo.currentData()
            combo.clear()
            for name in names:  # short labels fit the narrow combos; the full name is the item's data
                combo.addItem(short_name(name), name)
            if current in names:
                combo.setCurrentIndex(names.index(current))
        if len(names) > 1 and self.blend_b.currentIndex() == self.blend_a.currentIndex():
            self.blend_b.setCurrentIndex(1)
        self._draw_map()

    def _points(self) -> np.ndarray:
        return self.map.project(np.stack([s.code for s in self.styles])) if self.styles else np.zeros((0, 2))

    def _draw_map(self) -> None:
        for label in self.labels:
            self.plot.removeItem(label)
        self.labels = []
        pts = self._points()
        row = self.list.currentRow()
        names = self.library.names if self.library is not None else []
        colour = {n: style_colour(i, len(names)) for i, n in enumerate(names)}
        self.scatter.setData(pos=pts, data=list(range(len(pts))), brush=[
            PICKED_BRUSH if i == row else pg.mkBrush(colour[s.name]) if s.origin == "style" else POINT_BRUSH
            for i, s in enumerate(self.styles)])
        windows = np.zeros((0, 2), np.float32)
        if self.library is not None and self.map is not None:
            windows = self.map.project(self.library.clip_codes)
            self.windows_scatter.setData(pos=windows, brush=[pg.mkBrush(colour[s]) for s in self.library.clip_styles])
        else:
            self.windows_scatter.clear()
        for s, (x, y) in zip(self.styles, pts):
            label = pg.TextItem(short_name(s.name), color=(220, 220, 220), anchor=(0, 1))
            label.setPos(float(x), float(y))
            self.plot.addItem(label)
            self.labels.append(label)
        if len(pts):  # room for the labels, which sit above and to the right of their points
            every = np.concatenate([pts, windows])
            lo, hi = every.min(axis=0), every.max(axis=0)
            span = np.maximum(hi - lo, 1e-9)
            self.plot.setXRange(lo[0] - 0.05 * span[0], hi[0] + LABEL_ROOM[0] * span[0], padding=0)
            self.plot.setYRange(lo[1] - 0.05 * span[1], hi[1] + LABEL_ROOM[1] * span[1], padding=0)

    # -- picking -------------------------------------------------------------------------------------------
    def pick(self, index: int) -> None:
        self.list.setCurrentRow(index)

    def _row_changed(self, row: int) -> None:
        self.ctx.set_style(self.styles[row] if 0 <= row < len(self.styles) else None)
        self._draw_map()

    def map_position(self, index: int):
        """Where the style's point is on screen: pixel coordinates in the plot's viewport (tests)."""
        x, y = self._points()[index]
        scene = self.plot.getViewBox().mapViewToScene(pg.Point(float(x), float(y)))
        return self.plot.mapFromScene(scene)

    def _map_clicked(self, event) -> None:
        if self.map is None or event.button() != Qt.MouseButton.LeftButton:
            return
        vb = self.plot.getViewBox()
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        xy = vb.mapSceneToView(event.scenePos())
        pts = self._points()
        px, py = vb.viewPixelSize()
        d = np.hypot((pts[:, 0] - xy.x()) / px, (pts[:, 1] - xy.y()) / py)
        if len(d) and d.min() <= PICK_RADIUS_PX:
            self.pick(int(np.argmin(d)))

    # -- blend, save, load ---------------------------------------------------------------------------------
    def blend(self) -> None:
        a, b = self.blend_a.currentIndex(), self.blend_b.currentIndex()
        if not (0 <= a < len(self.styles) and 0 <= b < len(self.styles)):
            return
        self.ctx.submit(blend_job, self.ctx.generator, self.styles[a], self.styles[b],
                             self.blend_slider.value() / 100.0, key="style-blend", description="blend styles",
                             on_result=self._add, on_error=self._failed)

    def _add(self, style) -> None:
        self.styles = [s for s in self.styles if s.name != style.name] + [style]
        self._refill(style.name)
        self.ctx.set_style(style)

    def save(self, name: str):
        """Save the picked style under `name` in the style folder; returns the path."""
        from inference.rsmt.styles import save_style

        style = self.ctx.style
        if style is None:
            self.window.show_error("Styles", "pick a style to save first")
            return None
        try:
            path = save_style(style.features, name, self.folder)
        except (OSError, ValueError) as e:
            self.window.show_error(name, str(e))
            return None
        self.window.log_message(f"saved style {name!r} to {path}")
        self.rebuild()
        return path

    def load(self, path: str) -> None:
        self.ctx.submit(load_job, self.ctx.generator, str(path), key="style-load", description="load style",
                             on_result=self._add, on_error=lambda m, p=str(path): self.window.show_error(p, m))

    def _save_dialog(self) -> None:
        if self.ctx.style is None:
            self.window.show_error("Styles", "pick a style to save first")
            return
        name, ok = QInputDialog.getText(self, "Save style", "Name:", text=self.ctx.style.name)
        if ok and name.strip():
            self.save(name)

    def demo(self):
        """Screenshot state: the style map of the library's clips with one style (the run) picked."""

        def ready() -> bool:
            if self.map is None or not self.styles:
                return False
            if self.list.currentRow() < 0:
                names = [s.name for s in self.styles]
                self.pick(names.index("humanoid3d_run") if "humanoid3d_run" in names else 0)
            return self.list.currentRow() >= 0

        return ready

    def _load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load style", "", "Style code (*.json *.npy)")
        if path:
            self.load(path)
