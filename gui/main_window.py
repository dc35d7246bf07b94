"""Motion Studio main window: clip library dock, 3-D skeleton view, timeline, log dock, menus.

Later panels (styles, transitions, compare, phases, DeepMimic, benchmarks) are added as docks with
`add_panel(title, widget, area)`, run their work through the shared `self.jobs` (gui.workers.JobRunner),
follow the selection through `clipChanged(LoadedClip)` and the playhead through `timeline.frameChanged(int)`,
and add results to the library with `add_clip(clip)`.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox, QPlainTextEdit,
                               QVBoxLayout, QWidget)

from gui import loading
from gui.formatting import count_text, fps_text, repairs_summary
from gui.library import ClipLibrary
from gui.help_menu import build_help_menu
from gui.loading import LoadedClip
from gui.max_models import SETTING as COMPILE_AT_START, MaxModels, compile_at_start
from gui.model_menu import install_model_menu
from gui.panels import arrange_panels, install_panels, shutdown_panels
from gui.recent import RecentFiles
from gui.sequence_editor import SequenceEditor
from gui.timeline import TimelineWidget
from gui.workers import JobRunner
from viewer.skeleton_view import SkeletonView

DEFAULT_CLIP = "humanoid3d_walk"
OPEN_FILTER = "Motion files (*.bvh *.txt);;BVH (*.bvh);;DeepMimic motion (*.txt);;All files (*)"


class MainWindow(QMainWindow):
    clipChanged = Signal(object)  # the LoadedClip now shown

    def __init__(self, settings: QSettings | None = None, load_embedded: bool = True):
        super().__init__()
        self.setWindowTitle("Motion Studio")
        self.settings = settings if settings is not None else QSettings()
        self.recent = RecentFiles(self.settings)
        self.jobs = JobRunner(self)
        self.current: LoadedClip | None = None
        self.error_dialogs: list[QMessageBox] = []
        self._pending_default = DEFAULT_CLIP if load_embedded else None
        self._embedded_pending: set[str] = set()  # bundled clips still loading
        self._embedded_repairs: list[tuple[str, str]] = []  # (clip, repair) of those that arrived

        central = QWidget(self)
        self.view = SkeletonView(central)
        self.view.filesDropped.connect(self.open_files)
        self.timeline = TimelineWidget(self)
        self.timeline.frameChanged.connect(self.view.set_frame)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view.widget, 1)
        layout.addWidget(self.timeline)
        self.setCentralWidget(central)


        self.job_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.job_label)
        self.jobs.started.connect(self._jobs_changed)
        self.jobs.idle.connect(self._jobs_changed)
        self.jobs.finished.connect(self._jobs_changed)
        self.jobs.failed.connect(self._jobs_changed)
        self.jobs.progress.connect(self._job_progress)

        self.max_models = MaxModels(self)  # before the panels: they follow its `ready`
        self.undo_stack = QUndoStack(self)  # library and sequence edits (Edit > Undo / Redo)
        self._build_menus()
        self.library = ClipLibrary(self)
        self.library.clipSelected.connect(self.show_clip)
        self.library.clipRemoved.connect(self._clip_removed)
        self.library_dock = self.add_panel("Clip library", self.library, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.log = QPlainTextEdit(self)
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        # the left column holds the library and the log; the right-hand panels (and the sequence) run the
        # full height; the bottom area (plots) spans the rest. With the log beside the plots the window could
        # not be narrower than 1,062 px (log + Compare + Transition minimum widths side by side).
        self.log_dock = self.add_panel("Log", self.log, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.panels = install_panels(self)  # {title: dock}; before restoreState, which places them
        self.model_actions = install_model_menu(self, self.models_menu)  # the panels made the RSMT context
        self.sequence_editor = SequenceEditor(self)
        self.sequence_dock = self.add_panel("Sequence", self.sequence_editor, Qt.DockWidgetArea.RightDockWidgetArea)
        self.sequence_dock.hide()  # tabbed with the right-hand panels on first show
        self.help_menu = build_help_menu(self)
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self._layout_pending = True  # panels are tabbed and the saved dock layout restored on first show
        self.view.widget.setFocus()  # keyboard focus on the view: Space and the arrows drive playback
        if load_embedded:
            QTimer.singleShot(0, self.load_embedded_clips)

    # -- panels --------------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._layout_pending:  # see gui.panels.arrange_panels: tabs made before the first show misdraw
            self._layout_pending = False
            arrange_panels(self, self.panels)
            right = [d for d in self.panels.values() if self.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea]
            if right:
                self.tabifyDockWidget(right[0], self.sequence_dock)
            self.sequence_dock.show()
            state = self.settings.value("window/state")
            if state is not None:
                self.restoreState(state)
            else:
                QTimer.singleShot(0, self._share_space)  # once the tab groups exist
            if self.compile_at_start_action.isChecked():
                QTimer.singleShot(0, self.max_models.start)

    def _share_space(self) -> None:
        """First layout: the docks take a share of the window (the view keeps about half of it), so they grow
        on a large screen instead of keeping their minimum sizes around a huge view."""
        w, h = self.width(), self.height()
        self.resizeDocks([self.library_dock, self.log_dock], [int(0.45 * h), int(0.2 * h)], Qt.Orientation.Vertical)
        bottom = [d for d in self.panels.values() if self.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea]
        # resizing one dock of a tab group resizes the group
        self.resizeDocks([self.library_dock, self.sequence_dock], [int(0.22 * w), int(0.28 * w)],
                         Qt.Orientation.Horizontal)
        if bottom:
            self.resizeDocks(bottom[:1], [int(0.3 * h)], Qt.Orientation.Vertical)

    def add_panel(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "_"))
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.panels_menu.addAction(dock.toggleViewAction())
        return dock

    # -- menus and shortcuts -------------------------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut=None, checkable=False, checked=False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if checkable:
            action.setCheckable(True)
            action.setChecked(checked)
            action.toggled.connect(slot)
        else:
            action.triggered.connect(lambda _=False: slot())
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._action(file_menu, "&Open...", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.export_action = self._action(file_menu, "&Export BVH...", self.export_dialog, "Ctrl+E")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addActions([self.undo_action, self.redo_action])

        view_menu = bar.addMenu("&View")
        self._action(view_menu, "&Frame all", self.view.frame_all, "F")
        self.follow_action = self._action(view_menu, "Follow &root", self.view.set_follow_root, "R", True)
        self.labels_action = self._action(view_menu, "Joint &labels", self.view.set_labels_visible, "J", True)
        self.trajectory_action = self._action(view_menu, "Root &trajectory", self.view.set_trajectory_visible,
                                              "T", True)
        view_menu.addSeparator()
        self.panels_menu = view_menu.addMenu("&Panels")  # add_panel lists every dock here

        self.models_menu = models_menu = bar.addMenu("&Models")
        self._action(models_menu, "&Compile MAX models now", self.max_models.start)
        at_start = compile_at_start(self.settings)
        self.compile_at_start_action = self._action(
            models_menu, "Compile MAX models at &start", lambda on: self.settings.setValue(COMPILE_AT_START, on),
            checkable=True, checked=at_start)

        play_menu = bar.addMenu("&Playback")
        self.play_action = self._action(play_menu, "&Play / pause", self.timeline.toggle_play, "Space")
        self._action(play_menu, "&Next frame", lambda: self.timeline.step(1), "Right")
        self._action(play_menu, "P&revious frame", lambda: self.timeline.step(-1), "Left")
        self._action(play_menu, "&First frame", lambda: self.timeline.seek(0), "Home")
        self._action(play_menu, "&Last frame", lambda: self.timeline.seek(self.timeline.clock.last_frame), "End")
        self.loop_action = self._action(play_menu, "L&oop", self.timeline.set_loop, "L", True, True)
        self.timeline.loop_box.toggled.connect(self.loop_action.setChecked)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = self.recent.paths()
        for path in paths:
            self.recent_menu.addAction(path, lambda p=path: self.open_files([p]))
        if not paths:
            self.recent_menu.addAction("(none)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", self.recent.clear)

    # -- loading -------------------------------------------------------------------------------------------
    def load_embedded_clips(self) -> None:
        try:
            names = loading.embedded_clip_names()
        except Exception as e:  # noqa: BLE001 -- a broken install must still open the window
            self.log_message(f"embedded clips unavailable: {e}")
            return
        self._embedded_pending, self._embedded_repairs = set(names), []
        for name in names:
            self.jobs.submit(loading.load_embedded_clip, name, key=f"embedded:{name}", description=f"load {name}",
                             on_result=self._clip_loaded, on_error=lambda msg, n=name: self._embedded_failed(n, msg))

    def _embedded_failed(self, name: str, message: str) -> None:
        self._embedded_arrived(name, [])
        self.show_error(name, message)

    def _embedded_arrived(self, name: str, warnings: list[str]) -> None:
        """The bundled clips' repairs (pybullet ships clips with quaternions that are not unit length) make one
        Log line once the last bundled clip has arrived, instead of a line per repair opening the Log."""
        self._embedded_pending.discard(name)
        self._embedded_repairs += [(name, w) for w in warnings]
        if not self._embedded_pending and self._embedded_repairs:
            self.log_message(f"bundled clips: {repairs_summary(self._embedded_repairs)}")

    def open_dialog(self) -> None:
        start = str(Path(self.recent.paths()[0]).parent) if self.recent.paths() else ""
        paths, _ = QFileDialog.getOpenFileNames(self, "Open motion files", start, OPEN_FILTER)
        self.open_files(paths)

    def open_files(self, paths) -> None:
        """Load files off the GUI thread; each one is added to the library (and selected) when it arrives."""
        for path in paths:
            path = str(path)
            self.log_message(f"loading {path}")
            self.jobs.submit(loading.load_clip_file, path, key=f"load:{path}", description=f"load {Path(path).name}",
                             on_result=lambda clip: self._clip_loaded(clip, select=True),
                             on_error=lambda msg, p=path: self.show_error(p, msg))

    def add_clip(self, clip: LoadedClip, select: bool = True, replace: bool = False) -> None:
        """Add a clip made elsewhere (a generated transition, a recorded policy run) to the library; with
        `replace` it takes the place of a clip of the same name."""
        self._clip_loaded(clip, select=select, replace=replace)

    def _clip_loaded(self, clip: LoadedClip, select: bool = False, replace: bool = False) -> None:
        if self._pending_default == clip.name and self.current is None:
            select = True
        self.library.add(clip, select=select, replace=replace)
        if clip.embedded:
            self._embedded_arrived(clip.name, clip.warnings)
            return
        if clip.source:
            self.recent.add(clip.source)
            self.log_message(f"loaded {clip.source}: {count_text(clip.motion.num_frames, 'frame')} at "
                             f"{fps_text(clip.motion.fps)}")
        for warning in clip.warnings:
            self.log_message(f"{clip.source or clip.name}: repaired: {warning}")
        if clip.warnings:
            self.statusBar().showMessage(
                f"{clip.name}: {len(clip.warnings)} problem(s) repaired while loading (see Log)", 10_000)

    def _clip_removed(self, clip: LoadedClip) -> None:
        if not self.library.clips():  # else the library has selected the next one
            self.current = None
            self.view.clear()
            self.timeline.set_clip(0, 30.0)
            self.setWindowTitle("Motion Studio")

    def show_clip(self, clip: LoadedClip) -> None:
        self.current = clip
        self._pending_default = None
        m = clip.motion
        self.view.set_clip(clip.positions, clip.parents, clip.names)
        self.view.set_contacts(clip.contacts)
        self.view.set_keyframe_ghosts(clip.positions[clip.keyframes] if clip.keyframes else None)
        self.timeline.set_clip(m.num_frames, m.fps, clip.ranges)
        self.view.set_frame(0)
        self.setWindowTitle(f"{clip.name} - Motion Studio")
        self.clipChanged.emit(clip)
        self.statusBar().showMessage(
            f"{clip.name}: {count_text(m.skeleton.num_joints, 'joint')}, {count_text(m.num_frames, 'frame')}, "
            f"{fps_text(m.fps)}, "
            f"{m.duration:.2f} s", 5000)

    # -- export --------------------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        if self.current is None:
            self.statusBar().showMessage("Nothing to export: no clip selected", 5000)
            return
        start = str(Path(self.current.source).with_suffix(".bvh")) if self.current.source else f"{self.current.name}.bvh"
        path, _ = QFileDialog.getSaveFileName(self, "Export BVH", start, "BVH (*.bvh)")
        if path:
            self.export_current(path)

    def export_current(self, path: str | Path) -> None:
        """Write the selected clip as BVH on a worker thread."""
        if self.current is None:
            return
        path = str(path)
        self.jobs.submit(loading.export_bvh, self.current.motion, path, key="export", description=f"export {path}",
                         on_result=lambda p: self._exported(p), on_error=lambda msg: self.show_error(path, msg))

    def _exported(self, path: str) -> None:
        self.log_message(f"exported {path}")
        self.statusBar().showMessage(f"Exported {path}", 5000)

    # -- feedback ------------------------------------------------------------------------------------------
    def show_error(self, what: str, message: str) -> None:
        """Non-blocking error dialog naming the file and the problem (also logged)."""
        text = message if what in message else f"{what}: {message}"
        self.log_message(f"error: {text}")
        box = QMessageBox(QMessageBox.Icon.Warning, "Motion Studio", text, QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _=0, b=box: self._dialog_closed(b))
        self.error_dialogs.append(box)
        box.open()

    def _dialog_closed(self, box: QMessageBox) -> None:
        if box in self.error_dialogs:
            self.error_dialogs.remove(box)
        box.deleteLater()

    def log_message(self, text: str) -> None:
        self.log.appendPlainText(text)

    def _jobs_changed(self, *_) -> None:
        n = self.jobs.active_count()
        self.job_label.setText(f"{n} job(s) running" if n else "")

    def _job_progress(self, job, fraction: float, text: str) -> None:
        self.job_label.setText(f"{job.description}: {text} {fraction:.0%}".replace("  ", " "))

    # -- drag and drop -------------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_files(paths)

    # -- shutdown ------------------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        self.timeline.pause()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        shutdown_panels(self.panels)
        self.max_models.shutdown()
        self.jobs.shutdown()
        super().closeEvent(event)
