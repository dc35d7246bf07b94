"""Viewer geometry: Y-up data stands upright in the Z-up view; grid and camera scale with the clip."""
import numpy as np
import pytest

from viewer.framing import bone_pairs, camera_distance, frame_clip, nice_step, to_gl


def test_to_gl_is_a_rotation_putting_y_up():
    yup = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    z = to_gl(yup)
    assert np.allclose(z[1], [0, 0, 1])  # data up (+Y) -> view up (+Z)
    assert np.linalg.det(z.T) == pytest.approx(1.0)  # proper rotation: a left foot stays a left foot


def test_bone_pairs_skip_the_root():
    assert bone_pairs(np.array([-1, 0, 1, 0])).tolist() == [[0, 1], [1, 2], [0, 3]]


def _standing(height, frames=10, walk=0.0):
    """A 2-joint 'person' (feet at y=0, head at y=height) walking `walk` along x."""
    p = np.zeros((frames, 2, 3), dtype=np.float32)
    p[:, 1, 1] = height
    p[:, :, 0] = np.linspace(0, walk, frames)[:, None]
    return to_gl(p)


def test_framing_scales_with_units():
    metres, cm = frame_clip(_standing(1.7, walk=2.0)), frame_clip(_standing(170.0, walk=200.0))
    assert metres.body_height == pytest.approx(1.7)
    assert cm.body_height == pytest.approx(170.0)
    assert cm.grid_spacing == pytest.approx(100 * metres.grid_spacing)
    assert cm.half_width == pytest.approx(100 * metres.half_width, rel=1e-5)
    assert cm.half_height == pytest.approx(100 * metres.half_height, rel=1e-5)
    assert metres.center[2] == pytest.approx(0.85)  # middle of the body, in view (Z-up) coordinates
    assert metres.floor_z == 0.0
    assert metres.grid_size >= 2.0 + 1.7  # the floor covers the walk


def test_floor_goes_under_a_clip_far_from_y0():
    f = frame_clip(_standing(1.7) + np.float32([0, 0, 50.0]))
    assert f.floor_z == pytest.approx(50.0)


def test_camera_distance_fits_the_narrower_field_of_view():
    # a tall thing (a standing person): the vertical field of view decides
    wide = camera_distance(0.5, 1.0, 60.0, 1600, 900)
    square = camera_distance(0.5, 1.0, 60.0, 900, 900)
    assert wide > square  # pyqtgraph's fov is horizontal: a wide view has the narrower vertical fov
    assert square == pytest.approx(1.15 / np.tan(np.radians(30)) + 0.125)
    # a long walk: the horizontal extent decides, and a longer walk needs a farther camera
    assert camera_distance(5.0, 1.0, 60.0, 1600, 900) > camera_distance(2.0, 1.0, 60.0, 1600, 900) > wide


def test_nice_step():
    assert [nice_step(v) for v in (0.42, 4.2, 42.5, 1.0, 0.0)] == [0.2, 2.0, 20.0, 1.0, 1.0]
