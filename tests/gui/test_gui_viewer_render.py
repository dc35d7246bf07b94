"""The skeleton is really drawn: read the OpenGL framebuffer back (Mesa llvmpipe under Xvfb)."""
import numpy as np
import pytest
from PySide6.QtGui import QImage

from gui.loading import load_embedded_clip
from viewer.framing import to_gl
from viewer.skeleton_view import BACKGROUND, BONE_COLOR, SkeletonView

pytestmark = pytest.mark.gl


def _pixels(view: SkeletonView) -> np.ndarray:
    image = view.grab_frame().convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
    return rows[:, : 3 * w].reshape(h, w, 3).astype(int)


def _is_bone(rgb: np.ndarray) -> np.ndarray:
    """The bone colour at any lighting: the shaded bones are BONE_COLOR times 0.35..1."""
    target = np.array(BONE_COLOR[:3]) * 255
    scale = np.clip((rgb @ target) / (target @ target), 0.3, 1.05)[..., None]
    return np.abs(rgb - scale * target).max(axis=-1) <= 14


@pytest.fixture
def view(qtbot):
    v = SkeletonView()
    qtbot.addWidget(v.widget)
    v.widget.resize(640, 480)
    with qtbot.waitExposed(v):
        v.widget.show()
    assert (v.width(), v.height()) == (640, 480)
    yield v
    v.widget.close()
    # delete the container (and the GL window it owns) now: a closed GL window left to some later collection
    # crashed a later test's first paint (a dead GL context, seen after 10 to 14 tests in one process)
    v.widget.deleteLater()
    qtbot.wait(1)


def test_bones_are_drawn_where_they_project(view):
    clip = load_embedded_clip("humanoid3d_walk")
    empty = _pixels(view)
    view.set_clip(clip.positions, clip.parents, clip.names)
    view.set_frame(10)
    drawn = _pixels(view)
    h, w, _ = drawn.shape

    # midpoints of the bones, projected with the view's own camera
    pose = to_gl(clip.positions[10])
    children = np.nonzero(clip.parents >= 0)[0]
    midpoints = (pose[clip.parents[children]] + pose[children]) / 2
    px = np.rint(view.project(midpoints)).astype(int)
    assert ((px >= 0) & (px < [w, h])).all(), "frame_all must keep the whole skeleton in view"
    hits = []
    for x, y in px:
        patch = drawn[max(y - 2, 0): y + 3, max(x - 2, 0): x + 3]
        hits.append(_is_bone(patch).any())
    assert np.mean(hits) >= 0.9, f"bone colour found at {sum(hits)} of {len(hits)} projected bone midpoints"
    # bone-coloured pixels exist only once the skeleton is shown
    assert _is_bone(empty).sum() == 0
    assert _is_bone(drawn).sum() > 200
    # the image is not just the background colour anywhere near the skeleton
    assert (np.abs(drawn - np.array(BACKGROUND)).max(axis=-1) > 30).sum() > 500


def test_skeleton_stands_upright_and_moves_with_the_frame(view):
    clip = load_embedded_clip("humanoid3d_walk")
    view.set_clip(clip.positions, clip.parents, clip.names)
    view.set_frame(0)
    first = _pixels(view)
    ys, xs = np.nonzero(_is_bone(first))
    head = clip.names.index("neck")
    foot = clip.names.index("left_ankle")
    head_px, foot_px = view.project(to_gl(clip.positions[0, [head, foot]]))
    assert head_px[1] < foot_px[1]  # the head is drawn above the feet
    assert ys.max() - ys.min() > 0.3 * first.shape[0]  # a body, framed to a good part of the view height
    view.set_frame(clip.motion.num_frames // 2)
    assert (_is_bone(_pixels(view)) != _is_bone(first)).sum() > 100


def test_bones_are_shaded_solids(view):
    clip = load_embedded_clip("humanoid3d_walk")
    view.set_clip(clip.positions, clip.parents, clip.names)
    drawn = _pixels(view)
    warm = _is_bone(drawn)
    shades = np.unique(drawn[warm][:, 0] // 16)
    assert warm.sum() > 1500  # solids, not one-pixel lines
    assert len(shades) >= 4  # faces turned differently are lit differently


def test_a_toy_rig_shown_before_the_view_has_its_size_is_framed_by_its_whole_extent(qtbot):
    view = SkeletonView()
    qtbot.addWidget(view.widget)
    frames = 20
    points = np.zeros((frames, 4, 3), np.float32)  # a 4-joint chain, 150 units tall, sliding 30 along x
    points[:, 1:, 1] = [50.0, 100.0, 150.0]
    points[..., 0] += np.linspace(0, 30, frames)[:, None]
    view.set_clip(points, np.array([-1, 0, 1, 2]), ["root", "a", "b", "tip"])
    view.widget.resize(900, 300)  # wide and short: the vertical field of view decides
    with qtbot.waitExposed(view):
        view.widget.show()
    qtbot.waitUntil(lambda: (view.width(), view.height()) == (900, 300))
    for frame in (0, frames - 1):
        px = view.project(to_gl(points[frame]))
        assert ((px >= 0) & (px < [900, 300])).all(), px
    view.widget.close()
    view.widget.deleteLater()  # as the fixture does


def test_the_camera_follows_a_travelling_clip(view):
    clip = load_embedded_clip("humanoid3d_walk")
    frames = 60
    points = np.concatenate([clip.positions[:1]] * frames)
    points[..., 0] += np.linspace(0, 20, frames)[:, None]  # 20 m in a straight line: a speck if framed whole
    view.set_clip(points, clip.parents, clip.names)
    assert view.framing.travels
    for frame in (0, frames - 1):
        view.set_frame(frame)
        ys, xs = np.nonzero(_is_bone(_pixels(view)))
        assert ys.max() - ys.min() > 0.3 * view.height()  # the body stays big
        root = view.project(to_gl(points[frame, :1]))[0]
        assert abs(root[0] - view.width() / 2) < 0.2 * view.width()  # and near the middle


def test_contact_markers_follow_the_frame(view):
    from viewer.skeleton_view import CONTACT_COLOR

    clip = load_embedded_clip("humanoid3d_walk")
    view.set_clip(clip.positions, clip.parents, clip.names)
    foot = clip.names.index("left_ankle")
    contacts = np.zeros(clip.positions.shape[:2], bool)
    contacts[5, foot] = True
    view.set_contacts(contacts)

    def green() -> int:
        rgb = _pixels(view)
        return int((np.abs(rgb - np.array(CONTACT_COLOR[:3]) * 255).max(axis=-1) < 60).sum())

    view.set_frame(5)
    assert green() > 30
    view.set_frame(6)
    assert green() == 0
    view.set_contacts(None)
    view.set_frame(5)
    assert green() == 0
