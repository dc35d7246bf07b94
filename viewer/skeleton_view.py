"""The 3-D skeleton view: shaded bones, joints, floor grid, foot-contact markers, joint-name labels and the
root trajectory.

A clip's world positions (all frames, Y-up, file units) are handed over once in `set_clip`; they are
converted to the Z-up GL frame and kept, so showing a frame is only a slice and a `setData` per item.
Camera: pyqtgraph's GLViewWidget defaults (left-drag orbits, wheel zooms, middle-drag or ctrl+left-drag
pans), plus `frame_all()` and a follow mode that keeps the root in the middle of the view: on when asked
(`set_follow_root`) and for a clip that travels (`Framing.travels`), whose whole path would shrink the body
to a speck. Until the user moves the camera, a resize frames the clip again, so a clip shown before the
view has its final size is still framed by its whole extent.

The view is a QOpenGLWindow (pyqtgraph's GLViewMixin on it), put into the widget tree through
`self.widget`, a window container. A QOpenGLWidget would be simpler, but Qt composes it with the rest of
the window on every frame; with Mesa's software renderer that costs about three times the drawing itself
(measured at 1280x720: about 20 ms against 5 ms of CPU per frame).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph.opengl as gl
from pyqtgraph.opengl import shaders
from pyqtgraph.opengl.GLViewWidget import GLViewMixin
from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QImage, QMatrix4x4, QVector3D, QVector4D
from PySide6.QtOpenGL import QOpenGLWindow
from PySide6.QtWidgets import QWidget

from viewer.bone_mesh import bone_triangles
from viewer.framing import Framing, bone_pairs, camera_distance, frame_clip, to_gl

BACKGROUND = (34, 37, 43)
BONE_COLOR = (0.98, 0.62, 0.16, 1.0)
JOINT_COLOR = (0.35, 0.78, 1.0, 1.0)
TRAJECTORY_COLOR = (0.45, 0.9, 0.45, 0.9)
GHOST_COLOR = (0.35, 0.78, 1.0, 0.85)
CONTACT_COLOR = (0.3, 1.0, 0.45, 0.9)
KEYFRAME_COLOR = (0.85, 0.9, 1.0, 0.45)
GRID_COLOR = (255, 255, 255, 60)
LABEL_COLOR = (235, 235, 235)


# Flat-shaded faces lit from just above the camera, both sides alike (pyqtgraph's "shaded" lights from a fixed
# direction behind the view, which leaves the faces the camera sees dark).
HEADLIGHT = shaders.ShaderProgram("motion_studio_headlight", [
    shaders.VertexShader("""
        uniform mat4 u_mvp;
        uniform mat3 u_normal;
        attribute vec4 a_position;
        attribute vec3 a_normal;
        attribute vec4 a_color;
        varying vec4 v_color;
        varying vec3 v_normal;
        void main() {
            v_normal = normalize(u_normal * a_normal);
            v_color = a_color;
            gl_Position = u_mvp * a_position;
        }
    """),
    shaders.FragmentShader("""
        #ifdef GL_ES
        precision mediump float;
        #endif
        varying vec4 v_color;
        varying vec3 v_normal;
        void main() {
            float lit = abs(dot(normalize(v_normal), normalize(vec3(0.25, 0.45, 1.0))));
            gl_FragColor = vec4(v_color.rgb * (0.35 + 0.65 * lit), v_color.a);
        }
    """),
])


class SkeletonView(GLViewMixin, QOpenGLWindow):
    """Draws one skeleton clip; `set_frame(i)` moves it. Put `view.widget` into layouts."""

    filesDropped = Signal(list)  # local file paths dropped onto the view

    def __init__(self, parent: QWidget | None = None):
        super().__init__()
        self.widget = QWidget.createWindowContainer(self, parent)
        self.widget.setMinimumSize(QSize(320, 240))
        self.widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setBackgroundColor(BACKGROUND)
        self._positions: np.ndarray | None = None  # (F, J, 3) Z-up
        self._pairs = np.zeros((0, 2), dtype=np.int64)
        self._names: list[str] = []
        self._frame = 0
        self._live_pose: np.ndarray | None = None
        self.framing: Framing | None = None
        self.follow_root = False
        self.labels_visible = False
        self.trajectory_visible = False
        self._contacts: np.ndarray | None = None  # (F, N) bool: point touches the floor in that frame
        self._auto_framed = True  # the camera is where frame_all put it (the user has not moved it since)

        self._grid = gl.GLGridItem(color=GRID_COLOR)
        self._trajectory = gl.GLLinePlotItem(mode="line_strip", color=TRAJECTORY_COLOR, width=2.0,
                                             antialias=True, glOptions="translucent")
        self._bones = gl.GLMeshItem(smooth=False, computeNormals=True, shader=HEADLIGHT, color=BONE_COLOR,
                                    glOptions="opaque")
        self._keyframes = gl.GLLinePlotItem(mode="lines", color=KEYFRAME_COLOR, width=2.0, antialias=True,
                                            glOptions="translucent")
        self._contact_marks = gl.GLScatterPlotItem(color=CONTACT_COLOR, pxMode=False, glOptions="translucent")
        self._joints = gl.GLScatterPlotItem(color=JOINT_COLOR, size=9.0, pxMode=True, glOptions="opaque")
        self._ghost: np.ndarray | None = None  # (F, J, 3) Z-up, drawn with the clip's bones
        self._ghost_bones = gl.GLLinePlotItem(mode="lines", color=GHOST_COLOR, width=3.0, antialias=False,
                                              glOptions="translucent")
        self._labels: list[tuple[gl.GLTextItem, int]] = []
        self._label_font = QFont("DejaVu Sans", 9)
        for item in (self._grid, self._trajectory, self._bones, self._joints, self._ghost_bones, self._contact_marks,
                     self._keyframes):
            self.addItem(item)
        self._trajectory.setVisible(False)
        self._show_empty()

    # -- clip ----------------------------------------------------------------------------------------------
    def set_clip(self, positions_yup: np.ndarray, parents: np.ndarray, names: list[str]) -> None:
        """Show a clip: (F, N, 3) Y-up world positions (computed once by the caller), parent of each point,
        and names (an empty name gets no label, e.g. End Sites)."""
        positions = to_gl(positions_yup)
        if positions.ndim != 3 or positions.shape[1] != len(parents) or positions.shape[0] == 0:
            raise ValueError(f"positions must be (frames>0, {len(parents)}, 3), got {positions.shape}")
        self._positions = positions
        self._pairs = bone_pairs(parents)
        self._names = list(names)
        self.framing = frame_clip(positions)
        self._setup_grid()
        # the root's path drawn on the floor (a ground track reads better than a line through the hips)
        track = positions[:, 0].copy()
        track[:, 2] = self.framing.floor_z + 0.002 * self.framing.body_height
        self._trajectory.setData(pos=track)
        self._trajectory.setVisible(self.trajectory_visible)
        self._rebuild_labels()
        self._ghost = None
        self._ghost_bones.setVisible(False)
        self._contacts = None
        self._contact_marks.setVisible(False)
        self._keyframes.setVisible(False)
        self._frame = 0
        self.frame_all()
        self.set_frame(0)

    def clear(self) -> None:
        """Show nothing (an empty floor), as before the first `set_clip`."""
        self._positions, self.framing, self._contacts = None, None, None
        self._show_empty()

    @property
    def num_frames(self) -> int:
        return 0 if self._positions is None else self._positions.shape[0]

    @property
    def frame(self) -> int:
        return self._frame

    def set_frame(self, index: int) -> None:
        if self._positions is None:
            return
        self._frame = int(np.clip(index, 0, self._positions.shape[0] - 1))
        self._live_pose = None
        self._draw(self._positions[self._frame])

    def show_pose(self, pose_yup: np.ndarray) -> None:
        """Show one pose that is not a frame of the clip (a live simulation), on the skeleton given to
        `set_clip` (same points); the camera and floor stay as they are. `set_frame` returns to the clip."""
        if self._positions is None or np.shape(pose_yup) != self._positions.shape[1:]:
            raise ValueError(f"pose must be {None if self._positions is None else self._positions.shape[1:]}, "
                             f"got {np.shape(pose_yup)} (call set_clip with the same skeleton first)")
        self._live_pose = to_gl(pose_yup)
        self._draw(self._live_pose)
        self.update()

    def _draw(self, pose: np.ndarray) -> None:
        body = self.framing.body_height if self.framing else 1.0
        self._bones.setMeshData(vertexes=bone_triangles(pose, self._pairs, body))
        self._joints.setData(pos=pose)
        if self._contacts is not None and self._live_pose is None:
            touching = pose[self._contacts[min(self._frame, len(self._contacts) - 1)]].copy()
            touching[:, 2] = self.framing.floor_z + 0.004 * body
            self._contact_marks.setData(pos=touching, size=0.09 * body)
        if self._ghost is not None:
            ghost = self._ghost[min(self._frame, len(self._ghost) - 1)]
            self._ghost_bones.setData(pos=ghost[self._pairs].reshape(-1, 3))
        if self.labels_visible:
            for label, j in self._labels:
                label.setData(pos=pose[j])
        if self.following:
            self._center_on(pose[0])

    def set_ghost(self, positions_yup: np.ndarray | None, color=GHOST_COLOR) -> None:
        """Overlay a second skeleton with the clip's bones in another colour (e.g. another backend's
        result): (F, N, 3) Y-up positions of the same N points as the clip; None removes it."""
        if positions_yup is None:
            self._ghost = None
            self._ghost_bones.setVisible(False)
            return
        ghost = to_gl(positions_yup)
        if self._positions is None or ghost.ndim != 3 or ghost.shape[1:] != self._positions.shape[1:] or not len(ghost):
            want = "a clip first" if self._positions is None else f"(frames>0, {self._positions.shape[1]}, 3)"
            raise ValueError(f"ghost positions must be {want}, got {ghost.shape}")
        self._ghost = ghost
        self._ghost_bones.setData(color=color)
        self._ghost_bones.setVisible(True)
        self.set_frame(self._frame)

    def set_contacts(self, contacts: np.ndarray | None) -> None:
        """Mark the floor under the points that touch it: (F, N) bool per frame and point of the clip (e.g.
        the feet on a transition's generated frames, `viewer.contacts.foot_contacts`); None removes it."""
        if contacts is not None:
            contacts = np.asarray(contacts, bool)
            if self._positions is None or contacts.shape != self._positions.shape[:2]:
                raise ValueError(f"contacts must be {None if self._positions is None else self._positions.shape[:2]}, "
                                 f"got {contacts.shape}")
        self._contacts = contacts
        self._contact_marks.setVisible(contacts is not None)
        self.set_frame(self._frame)

    def set_keyframe_ghosts(self, poses_yup: np.ndarray | None) -> None:
        """Pale still skeletons of some frames of the clip (a transition's source and target keyframes):
        (K, N, 3) Y-up positions of the clip's N points; None removes them."""
        if poses_yup is None:
            self._keyframes.setVisible(False)
            return
        poses = to_gl(poses_yup)
        if self._positions is None or poses.ndim != 3 or poses.shape[1:] != self._positions.shape[1:]:
            raise ValueError(f"keyframe poses must be (K, {None if self._positions is None else self._positions.shape[1]}"
                             f", 3), got {poses.shape}")
        self._keyframes.setData(pos=poses[:, self._pairs].reshape(-1, 3))
        self._keyframes.setVisible(True)
        self.update()

    def pose(self) -> np.ndarray | None:
        """(J, 3) Z-up positions of the pose shown (the live pose of `show_pose`, else the frame), or None."""
        if self._live_pose is not None:
            return self._live_pose
        return None if self._positions is None else self._positions[self._frame]

    # -- display options -----------------------------------------------------------------------------------
    def set_follow_root(self, on: bool) -> None:
        """Follow mode frames one body around the root; leaving it frames the whole clip again."""
        self.follow_root = bool(on)
        self.frame_all()

    def set_labels_visible(self, on: bool) -> None:
        self.labels_visible = bool(on)
        for label, _ in self._labels:
            label.setVisible(self.labels_visible)
        self.set_frame(self._frame)

    def set_trajectory_visible(self, on: bool) -> None:
        self.trajectory_visible = bool(on)
        self._trajectory.setVisible(self.trajectory_visible and self._positions is not None)

    @property
    def following(self) -> bool:
        """Whether the camera follows the root: asked for, or a clip that travels."""
        return self.follow_root or (self.framing is not None and self.framing.travels)

    def frame_all(self) -> None:
        """Camera showing the whole clip (or the current root's surroundings in follow mode)."""
        if self.framing is None:
            return
        f = self.framing
        self._auto_framed = True
        if self.following and self._positions is not None:
            # follow mode: frame one body and some floor around it, not the whole path
            root = self._positions[self._frame, 0]
            center = (root[0], root[1], f.floor_z + f.body_height / 2)
            half_width, half_height = 0.75 * f.body_height, 0.6 * f.body_height
        else:
            center, half_width, half_height = f.center, f.half_width, f.half_height
        distance = camera_distance(half_width, half_height, self.opts["fov"], self.width(), self.height())
        self.setCameraPosition(pos=QVector3D(*map(float, center)), distance=float(distance),
                               elevation=15.0, azimuth=-60.0)

    def grab_frame(self) -> QImage:
        """Render the scene now and read the pixels back (tests, screenshots). QOpenGLWindow's own
        grabFramebuffer() reads the back buffer, which is undefined after the last swap."""
        self.makeCurrent()
        try:
            self.paintGL()
            return self.grabFramebuffer()
        finally:
            self.doneCurrent()

    # -- projection (tests, picking) -----------------------------------------------------------------------
    def project(self, points_gl: np.ndarray) -> np.ndarray:
        """(N, 3) Z-up world points -> (N, 2) pixel coordinates (x right, y down) in device pixels."""
        w, h = self.deviceWidth(), self.deviceHeight()
        mvp: QMatrix4x4 = self.projectionMatrix((0, 0, w, h), (0, 0, w, h)) * self.viewMatrix()
        out = np.empty((len(points_gl), 2))
        for i, p in enumerate(np.asarray(points_gl, dtype=float)):
            v = mvp.map(QVector4D(p[0], p[1], p[2], 1.0))
            ndc_x, ndc_y = v.x() / v.w(), v.y() / v.w()
            out[i] = ((ndc_x + 1) / 2 * w, (1 - ndc_y) / 2 * h)
        return out

    def rect(self) -> QRect:
        """Local rectangle, as QWidget.rect() (GLTextItem asks its view for it)."""
        return QRect(0, 0, self.width(), self.height())

    def resizeGL(self, w: int, h: int) -> None:
        super().resizeGL(w, h)
        if self._auto_framed:
            self.frame_all()

    def mousePressEvent(self, ev) -> None:
        self._auto_framed = False  # the user takes the camera: a resize keeps it where they put it
        super().mousePressEvent(ev)

    def wheelEvent(self, ev) -> None:
        self._auto_framed = False
        super().wheelEvent(ev)

    # -- drag and drop (a native child window gets its own drag events) ------------------------------------
    def event(self, ev) -> bool:
        if ev.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if any(url.isLocalFile() for url in ev.mimeData().urls()):
                ev.acceptProposedAction()
                return True
        elif ev.type() == QEvent.Type.Drop:
            paths = [url.toLocalFile() for url in ev.mimeData().urls() if url.isLocalFile()]
            if paths:
                ev.acceptProposedAction()
                self.filesDropped.emit(paths)
                return True
        return super().event(ev)

    # -- internals -----------------------------------------------------------------------------------------
    def _center_on(self, point) -> None:
        z = self.framing.floor_z + self.framing.body_height / 2 if self.framing else float(point[2])
        self.opts["center"] = QVector3D(float(point[0]), float(point[1]), z)
        self.update()

    def _setup_grid(self) -> None:
        f = self.framing
        self._grid.resetTransform()
        self._grid.setSize(f.grid_size, f.grid_size, 1)
        self._grid.setSpacing(f.grid_spacing, f.grid_spacing, 1)
        self._grid.translate(f.center[0], f.center[1], f.floor_z)

    def _rebuild_labels(self) -> None:
        for label, _ in self._labels:
            self.removeItem(label)
        self._labels = []  # (item, index of the point it follows)
        for j, name in enumerate(self._names):
            if not name:
                continue
            label = gl.GLTextItem(text=name, color=LABEL_COLOR, font=self._label_font)
            label.setVisible(self.labels_visible)
            self.addItem(label)
            self._labels.append((label, j))

    def _show_empty(self) -> None:
        empty = np.zeros((0, 3), dtype=np.float32)
        self._bones.setMeshData(vertexes=np.zeros((0, 3, 3), np.float32))
        self._joints.setData(pos=empty)
        self._contact_marks.setVisible(False)
        self._keyframes.setVisible(False)
        self._trajectory.setVisible(False)
        self._ghost_bones.setVisible(False)
        self._grid.resetTransform()
        self._grid.setSize(10, 10, 1)
        self._grid.setSpacing(1, 1, 1)
        self.setCameraPosition(pos=QVector3D(0, 0, 0.9), distance=6.0, elevation=15.0, azimuth=-60.0)
