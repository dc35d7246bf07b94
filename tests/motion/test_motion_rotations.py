"""Rotation conversions against matrices built by hand from elementary rotations."""
import itertools

import numpy as np
import pytest

from motion import rotations as R

ORDERS = ["".join(p) for p in itertools.permutations("XYZ")]
assert sorted(ORDERS) == ["XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"]


def elementary(axis: str, deg: float) -> np.ndarray:
    """Textbook rotation matrix about one coordinate axis (column vectors)."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return {
        "X": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
        "Y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]),
        "Z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]),
    }[axis]


def intrinsic(order: str, angles) -> np.ndarray:
    """Intrinsic rotation: about the first axis, then the rotated second, then the rotated third."""
    m = np.eye(3)
    for axis, deg in zip(order, angles):
        m = m @ elementary(axis, deg)
    return m


def random_quats(rng, n):
    return R.quat_normalize(rng.normal(size=(n, 4)))


def same_rotation(q1, q2, atol):
    """q and -q are the same rotation."""
    dot = np.abs(np.sum(np.asarray(q1, np.float64) * np.asarray(q2, np.float64), axis=-1))
    np.testing.assert_allclose(dot, 1.0, atol=atol)


@pytest.mark.parametrize("order", ORDERS)
def test_euler_to_quat_matches_composed_elementary_matrices(order):
    rng = np.random.default_rng(1)
    angles = rng.uniform(-180, 180, size=(20, 3))
    m = R.quat_to_matrix(R.euler_to_quat(angles, order))
    expected = np.stack([intrinsic(order, a) for a in angles])
    np.testing.assert_allclose(m, expected, atol=2e-6)


def test_single_axis_angles_follow_the_right_hand_rule():
    # 90 degrees about Z takes +X to +Y; about X takes +Y to +Z; about Y takes +Z to +X
    for order, angles, v, expected in [
        ("ZYX", [90, 0, 0], [1, 0, 0], [0, 1, 0]),
        ("XYZ", [90, 0, 0], [0, 1, 0], [0, 0, 1]),
        ("YXZ", [90, 0, 0], [0, 0, 1], [1, 0, 0]),
    ]:
        out = R.quat_rotate(R.euler_to_quat(angles, order), np.array(v, np.float32))
        np.testing.assert_allclose(out, expected, atol=1e-6)


def test_intrinsic_order_is_first_listed_axis_outermost():
    # ZYX [z=90, y=90, x=0]: rotate about Z, then about the new Y (old -X)
    q = R.euler_to_quat([90.0, 90.0, 0.0], "ZYX")
    np.testing.assert_allclose(R.quat_to_matrix(q), elementary("Z", 90) @ elementary("Y", 90), atol=1e-6)
    assert not np.allclose(R.quat_to_matrix(q), elementary("Y", 90) @ elementary("Z", 90), atol=1e-3)


@pytest.mark.parametrize("order", ORDERS)
def test_quat_to_euler_round_trips_angles_away_from_gimbal_lock(order):
    rng = np.random.default_rng(2)
    angles = np.stack([rng.uniform(-179, 179, 200), rng.uniform(-85, 85, 200), rng.uniform(-179, 179, 200)], -1)
    back = R.quat_to_euler(R.euler_to_quat(angles, order), order)
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, angles, atol=2e-3)


@pytest.mark.parametrize("order", ORDERS)
def test_quat_to_euler_round_trips_the_rotation_for_random_quats(order):
    q = random_quats(np.random.default_rng(3), 500)
    angles = R.quat_to_euler(q, order)
    assert np.all(np.abs(angles) <= 180.0) and np.all(np.abs(angles[:, 1]) <= 90.0)
    same_rotation(R.euler_to_quat(angles, order), q, atol=1e-6)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("middle", [90.0, -90.0, 89.999, -89.99, 90.0 - 1e-5])
def test_quat_to_euler_near_and_at_gimbal_lock_still_round_trips_the_rotation(order, middle):
    rng = np.random.default_rng(4)
    angles = np.stack([rng.uniform(-170, 170, 50), np.full(50, middle), rng.uniform(-170, 170, 50)], -1)
    q = R.euler_to_quat(angles, order)
    back = R.quat_to_euler(q, order)
    assert np.all(np.isfinite(back))
    np.testing.assert_allclose(back[:, 1], middle, atol=0.05)
    same_rotation(R.euler_to_quat(back, order), q, atol=1e-6)
    np.testing.assert_allclose(R.quat_to_matrix(R.euler_to_quat(back, order)), R.quat_to_matrix(q), atol=1e-5)


def test_exact_gimbal_lock_puts_the_turn_in_the_first_angle():
    q = R.euler_to_quat([30.0, 90.0, 0.0], "ZYX")
    np.testing.assert_allclose(R.quat_to_euler(q, "ZYX"), [30.0, 90.0, 0.0], atol=1e-3)
    # a batch mixing locked and free rotations keeps each row's own answer
    angles = np.array([[10.0, 20.0, 30.0], [-40.0, -90.0, 0.0], [50.0, 60.0, -70.0], [0.0, 90.0, 0.0]])
    np.testing.assert_allclose(R.quat_to_euler(R.euler_to_quat(angles, "YXZ"), "YXZ"), angles, atol=1e-3)


def test_matrix_quat_round_trip_and_canonical_sign():
    q = random_quats(np.random.default_rng(5), 1000)
    m = R.quat_to_matrix(q)
    np.testing.assert_allclose(m @ np.swapaxes(m, -1, -2), np.broadcast_to(np.eye(3), m.shape), atol=1e-6)
    np.testing.assert_allclose(np.linalg.det(m), 1.0, atol=1e-6)
    back = R.matrix_to_quat(m)
    assert np.all(back[:, 0] >= 0)
    same_rotation(back, q, atol=1e-6)


def test_matrix_to_quat_handles_180_degree_turns():
    for axis in "XYZ":
        m = elementary(axis, 180.0)
        np.testing.assert_allclose(R.quat_to_matrix(R.matrix_to_quat(m)), m, atol=1e-6)


def test_6d_is_first_two_rows_and_gram_schmidt_recovers_the_matrix():
    q = random_quats(np.random.default_rng(6), 100)
    m = R.quat_to_matrix(q)
    d = R.matrix_to_6d(m)
    assert d.shape == (100, 6) and d.dtype == np.float32
    np.testing.assert_array_equal(d[:, :3], m[:, 0])
    np.testing.assert_array_equal(d[:, 3:], m[:, 1])
    np.testing.assert_allclose(R.sixd_to_matrix(d), m, atol=1e-6)
    same_rotation(R.sixd_to_quat(R.quat_to_6d(q)), q, atol=1e-6)


def test_sixd_to_matrix_orthonormalises_noisy_input():
    rng = np.random.default_rng(7)
    d = rng.normal(size=(50, 6))
    m = R.sixd_to_matrix(d)
    np.testing.assert_allclose(m @ np.swapaxes(m, -1, -2), np.broadcast_to(np.eye(3), m.shape), atol=1e-6)
    np.testing.assert_allclose(np.linalg.det(m), 1.0, atol=1e-6)
    # the first row keeps the first vector's direction; the second stays in the plane of both
    np.testing.assert_allclose(m[:, 0], d[:, :3] / np.linalg.norm(d[:, :3], axis=1, keepdims=True), atol=1e-6)
    np.testing.assert_allclose(np.einsum("ni,ni->n", m[:, 2], d[:, 3:]), 0.0, atol=1e-5)


def test_quat_mul_composes_like_matrices_and_inverse_undoes():
    rng = np.random.default_rng(8)
    a, b = random_quats(rng, 100), random_quats(rng, 100)
    np.testing.assert_allclose(R.quat_to_matrix(R.quat_mul(a, b)), R.quat_to_matrix(a) @ R.quat_to_matrix(b),
                               atol=1e-6)
    np.testing.assert_allclose(R.quat_mul(a, R.quat_inv(a)), R.quat_identity(100), atol=1e-6)
    np.testing.assert_allclose(R.quat_inv([2.0, 0.0, 0.0, 0.0]), [0.5, 0.0, 0.0, 0.0])


def test_quat_rotate_matches_matrix_and_broadcasts():
    rng = np.random.default_rng(9)
    q = random_quats(rng, 10)
    v = rng.normal(size=(7, 1, 3))
    out = R.quat_rotate(q, v)
    assert out.shape == (7, 10, 3)
    np.testing.assert_allclose(out, np.einsum("qij,vqj->vqi", R.quat_to_matrix(q), v), atol=1e-5)


def test_leading_dims_and_float32_everywhere():
    rng = np.random.default_rng(10)
    q = R.quat_normalize(rng.normal(size=(3, 4, 5, 4)))
    for out, shape in [
        (R.quat_to_matrix(q), (3, 4, 5, 3, 3)),
        (R.matrix_to_quat(R.quat_to_matrix(q)), (3, 4, 5, 4)),
        (R.quat_to_euler(q, "YZX"), (3, 4, 5, 3)),
        (R.euler_to_quat(R.quat_to_euler(q, "YZX"), "YZX"), (3, 4, 5, 4)),
        (R.quat_to_6d(q), (3, 4, 5, 6)),
        (R.quat_slerp(q, q[::-1], 0.3), (3, 4, 5, 4)),
        (R.quat_identity((3, 4)), (3, 4, 4)),
        (R.quat_to_axis_angle(q)[0], (3, 4, 5, 3)),
    ]:
        assert out.shape == shape and out.dtype == np.float32


def test_slerp_endpoints_midpoint_and_shortest_path():
    a = R.quat_from_axis_angle([0.0, 0.0, 1.0], 0.0)
    b = R.quat_from_axis_angle([0.0, 0.0, 1.0], np.radians(120.0))
    np.testing.assert_allclose(R.quat_slerp(a, b, 0.0), a, atol=1e-7)
    np.testing.assert_allclose(R.quat_slerp(a, b, 1.0), b, atol=1e-7)
    mid = R.quat_slerp(a, b, 0.25)
    axis, angle = R.quat_to_axis_angle(mid)
    np.testing.assert_allclose(np.degrees(angle), 30.0, atol=1e-4)
    np.testing.assert_allclose(axis, [0.0, 0.0, 1.0], atol=1e-6)
    # -b is the same rotation: the interpolation must still take the 120-degree arc, not the 240-degree one
    same_rotation(R.quat_slerp(a, -b, 0.25), mid, atol=1e-6)
    # per-element t broadcasts over the leading dims, and nearly equal inputs do not blow up
    t = np.array([0.0, 0.5, 1.0], np.float32)
    out = R.quat_slerp(np.broadcast_to(a, (3, 4)), np.broadcast_to(b, (3, 4)), t)
    np.testing.assert_allclose(np.degrees(R.quat_to_axis_angle(out)[1]), [0.0, 60.0, 120.0], atol=1e-4)
    tiny = R.quat_from_axis_angle([1.0, 0.0, 0.0], 1e-6)
    assert np.all(np.isfinite(R.quat_slerp(a, tiny, 0.5)))


def test_axis_angle_round_trip_and_identity():
    rng = np.random.default_rng(11)
    axis = rng.normal(size=(100, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    angle = rng.uniform(0.01, np.pi - 0.01, 100)
    q = R.quat_from_axis_angle(axis, angle)
    axis2, angle2 = R.quat_to_axis_angle(q)
    np.testing.assert_allclose(angle2, angle, atol=1e-5)
    np.testing.assert_allclose(axis2, axis, atol=1e-5)
    axis3, angle3 = R.quat_to_axis_angle(R.quat_identity())
    assert angle3 == 0.0 and np.allclose(axis3, [1.0, 0.0, 0.0])
    np.testing.assert_allclose(R.quat_from_axis_angle(np.zeros(3), 1.0), [1.0, 0.0, 0.0, 0.0])


def test_normalize_zero_quaternion_gives_identity():
    np.testing.assert_allclose(R.quat_normalize([[0, 0, 0, 0], [0, 3, 0, 4]]), [[1, 0, 0, 0], [0, 0.6, 0, 0.8]])


def test_make_continuous_removes_sign_flips_over_time():
    rng = np.random.default_rng(12)
    steps = R.quat_from_axis_angle(np.tile([[0.0, 1.0, 0.0]], (40, 1)), np.linspace(0, 3 * np.pi, 40))
    seq = np.stack([steps, R.quat_normalize(rng.normal(size=(40, 4)))], axis=1)  # (T=40, J=2, 4)
    flipped = seq * rng.choice([-1.0, 1.0], size=(40, 2, 1)).astype(np.float32)
    out = R.quat_make_continuous(flipped)
    assert np.all(np.abs(out) == np.abs(flipped))  # only signs change
    assert np.all(np.sum(out[1:, 0] * out[:-1, 0], axis=-1) >= 0)
    assert np.all(np.sum(out[1:, 1] * out[:-1, 1], axis=-1) >= 0)
    # time on another axis
    np.testing.assert_array_equal(R.quat_make_continuous(flipped.swapaxes(0, 1), axis=1), out.swapaxes(0, 1))
    np.testing.assert_array_equal(R.quat_make_continuous(-R.quat_identity()), -R.quat_identity())  # no time axis


def test_bad_orders_and_shapes_raise_clear_errors():
    with pytest.raises(ValueError, match="permutation"):
        R.euler_to_quat([0, 0, 0], "XXY")
    with pytest.raises(ValueError, match="last dimension of 3"):
        R.euler_to_quat([0, 0], "XYZ")
    with pytest.raises(ValueError, match="3, 3"):
        R.matrix_to_quat(np.eye(4))
