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


def test_a_clip_travels_when_its_root_path_is_long_next_to_the_body():
    assert not frame_clip(_standing(1.7, walk=2.0)).travels
    assert frame_clip(_standing(1.7, walk=6.0)).travels
    assert frame_clip(_standing(170.0, walk=600.0)).travels  # the same in centimetres


def test_bone_spindles_wind_outwards_and_skip_zero_length_bones():
    from viewer.bone_mesh import SIDES, bone_triangles

    pose = np.array([[0, 0, 0], [0, 0, 1.0], [0, 0, 1.0], [1.0, 0, 1.0]])
    tris = bone_triangles(pose, np.array([[0, 1], [1, 2], [2, 3]]), body_height=1.7)
    assert tris.shape == (2 * 2 * SIDES, 3, 3)  # the zero-length bone 1-2 is left out
    normals = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    assert np.all(np.linalg.norm(normals, axis=-1) > 0)
    first = tris[: 2 * SIDES]  # the bone along z: normals point away from its axis
    outward = first.mean(axis=1) * [1, 1, 0]
    assert np.all(np.sum(normals[: 2 * SIDES] * outward, axis=-1) > 0)


def test_foot_contacts_only_on_the_given_frames():
    from motion.fk import display_points
    from motion.deepmimic import load_embedded
    from viewer.contacts import foot_contacts

    walk = load_embedded("humanoid3d_walk")
    positions, _, names = display_points(walk)
    frames = np.zeros(walk.num_frames, bool)
    frames[10:30] = True
    mask = foot_contacts(walk, positions, frames)
    feet = [names.index("left_ankle"), names.index("right_ankle")]
    assert not mask[:10].any() and not mask[30:].any()
    assert mask[10:30, feet].any(axis=0).all()  # each foot is planted at some point of a walk's 20 frames
    assert not mask[:, [j for j in range(len(names)) if j not in feet]].any()
    lowest = positions[10:30, feet, 1]
    assert lowest[mask[10:30][:, feet]].max() < lowest[~mask[10:30][:, feet]].min()  # planted feet are the low ones
