"""Rotation conversions: Euler angles, unit quaternions, rotation matrices and the 6D representation.

Conventions (shared by the whole project):
- Quaternions are (w, x, y, z), Hamilton product, and rotate column vectors: v' = q v q*.
- Matrices act on column vectors (v' = R @ v); R = quat_to_matrix(q) is the same rotation as q.
- Euler angles are intrinsic and in degrees, given in the order of `order`, as BVH CHANNELS list them:
  order "ZYX" with angles [z, y, x] means R = Rz(z) @ Ry(y) @ Rx(x) (rotate about Z, then about the
  new Y, then about the newest X). Any permutation of "XYZ" is accepted.
- 6D is the first two ROWS of the rotation matrix (as RSMT); sixd_to_matrix recovers a rotation by
  Gram-Schmidt, so any two non-parallel 3-vectors map to a valid rotation.

Every function takes arrays with arbitrary leading dimensions, computes in float64 and returns float32.
"""
from __future__ import annotations

import numpy as np

_AXIS_INDEX = {"X": 0, "Y": 1, "Z": 2}
# Below this |cos(middle angle)| the first and last Euler axes coincide (gimbal lock).
_GIMBAL_EPS = 1e-7
# Above this |dot| slerp falls back to normalised lerp (sin(theta) too small to divide by).
_SLERP_LERP_DOT = 0.9995


def _f64(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _f32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def _parse_order(order: str) -> tuple[int, int, int]:
    axes = str(order).upper()
    if sorted(axes) != ["X", "Y", "Z"]:
        raise ValueError(f"Euler order must be a permutation of 'XYZ', got {order!r}")
    return tuple(_AXIS_INDEX[a] for a in axes)


def _check_last(a: np.ndarray, n: int, what: str) -> None:
    if a.ndim == 0 or a.shape[-1] != n:
        raise ValueError(f"{what} must have a last dimension of {n}, got shape {a.shape}")


# --------------------------------------------------------------------------- quaternion algebra

def quat_identity(shape=()) -> np.ndarray:
    """Identity quaternions of shape (*shape, 4)."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    q = np.zeros(shape + (4,), dtype=np.float32)
    q[..., 0] = 1.0
    return q


def _mul64(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The Hamilton product written into its output's components (1.2-2.8x faster than stacking four results: the
    per-request post-processing calls it on a few dozen rows, clip operations on thousands)."""
    out = np.empty(np.broadcast_shapes(a.shape, b.shape), np.result_type(a, b))
    aw, ax, ay, az = a[..., 0], a[..., 1], a[..., 2], a[..., 3]
    bw, bx, by, bz = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
    out[..., 0] = aw * bw - ax * bx - ay * by - az * bz
    out[..., 1] = aw * bx + ax * bw + ay * bz - az * by
    out[..., 2] = aw * by - ax * bz + ay * bw + az * bx
    out[..., 3] = aw * bz + ax * by - ay * bx + az * bw
    return out


def quat_mul(a, b) -> np.ndarray:
    """Hamilton product a * b (apply b first, then a); leading dims broadcast."""
    a, b = _f64(a), _f64(b)
    _check_last(a, 4, "quaternion")
    _check_last(b, 4, "quaternion")
    return _f32(_mul64(a, b))


def _normalize64(q: np.ndarray) -> np.ndarray:
    """Unit quaternions; all-zero quaternions become the identity instead of NaN."""
    n = np.linalg.norm(q, axis=-1, keepdims=True)
    zero = n[..., 0] == 0.0
    out = q / np.where(n == 0.0, 1.0, n)
    out[zero] = (1.0, 0.0, 0.0, 0.0)
    return out


def quat_normalize(q) -> np.ndarray:
    """Scale to unit length; all-zero quaternions become the identity."""
    q = _f64(q)
    _check_last(q, 4, "quaternion")
    return _f32(_normalize64(q))


def quat_inv(q) -> np.ndarray:
    """Inverse (conjugate divided by the squared norm), so it also holds for non-unit input."""
    q = _f64(q)
    _check_last(q, 4, "quaternion")
    n2 = np.sum(q * q, axis=-1, keepdims=True)
    return _f32(q * np.array([1.0, -1.0, -1.0, -1.0]) / np.where(n2 == 0.0, 1.0, n2))


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a x b of 3-vectors (..., 3), leading dims broadcast, in the inputs' dtype (not float32 like the rest
    of this module): np.cross's arithmetic without its axis handling, several times faster on the small
    arrays of per-request post-processing."""
    a, b = np.asarray(a), np.asarray(b)
    out = np.empty(np.broadcast_shapes(a.shape, b.shape), np.result_type(a, b))
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    out[..., 0] = a1 * b2 - a2 * b1
    out[..., 1] = a2 * b0 - a0 * b2
    out[..., 2] = a0 * b1 - a1 * b0
    return out


def quat_rotate(q, v) -> np.ndarray:
    """Rotate 3-vectors v by unit quaternions q; leading dims broadcast."""
    q, v = _f64(q), _f64(v)
    _check_last(q, 4, "quaternion")
    _check_last(v, 3, "vector")
    # v + w t + u x t with t = 2 u x v, component by component (the same arithmetic as through `cross`, without
    # its two temporaries: retargeting calls this ~30 times a request)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    vx, vy, vz = v[..., 0], v[..., 1], v[..., 2]
    tx, ty, tz = 2.0 * (y * vz - z * vy), 2.0 * (z * vx - x * vz), 2.0 * (x * vy - y * vx)
    out = np.empty(np.broadcast_shapes(q.shape[:-1], v.shape[:-1]) + (3,), np.float32)
    out[..., 0] = vx + w * tx + (y * tz - z * ty)
    out[..., 1] = vy + w * ty + (z * tx - x * tz)
    out[..., 2] = vz + w * tz + (x * ty - y * tx)
    return out


def quat_slerp(a, b, t) -> np.ndarray:
    """Spherical interpolation from a (t=0) to b (t=1) along the shorter arc.

    t is a scalar or broadcasts against the leading dims of a and b (shape (...), not (..., 1)).
    """
    a, b, t = _normalize64(_f64(a)), _normalize64(_f64(b)), _f64(t)[..., None]
    dot = np.sum(a * b, axis=-1, keepdims=True)
    b = np.where(dot < 0.0, -b, b)  # q and -q are the same rotation: take the shorter way round
    dot = np.abs(dot)
    theta = np.arccos(np.clip(dot, -1.0, 1.0))
    sin_theta = np.sin(theta)
    near = dot > _SLERP_LERP_DOT
    safe = np.where(near, 1.0, sin_theta)
    wa = np.where(near, 1.0 - t, np.sin((1.0 - t) * theta) / safe)
    wb = np.where(near, t, np.sin(t * theta) / safe)
    return _f32(_normalize64(wa * a + wb * b))


def quat_make_continuous(q, axis: int = 0) -> np.ndarray:
    """Flip signs along `axis` (time) so consecutive quaternions have a non-negative dot product.

    q and -q are the same rotation, but interpolating or differencing between them goes the long way
    round; call this on a sequence before resampling, blending or feeding it to a network.
    """
    q = _f64(q)
    _check_last(q, 4, "quaternion")
    if q.ndim < 2:  # a single quaternion: no time axis
        return _f32(q)
    qt = np.moveaxis(q, axis % (q.ndim - 1), 0)
    if qt.shape[0] < 2:
        return _f32(q)
    dots = np.sum(qt[1:] * qt[:-1], axis=-1)
    flips = np.concatenate([np.ones((1,) + dots.shape[1:]), np.where(dots < 0.0, -1.0, 1.0)])
    signs = np.cumprod(flips, axis=0)[..., None]
    return _f32(np.moveaxis(qt * signs, 0, axis % (q.ndim - 1)))


# --------------------------------------------------------------------------- axis-angle

def quat_from_axis_angle(axis, angle_rad) -> np.ndarray:
    """Rotation by angle_rad (...) about axis (..., 3); the axis need not be unit, a zero axis gives identity."""
    axis, angle = _f64(axis), _f64(angle_rad)
    _check_last(axis, 3, "axis")
    n = np.linalg.norm(axis, axis=-1, keepdims=True)
    unit = axis / np.where(n == 0.0, 1.0, n)
    half = np.where(n == 0.0, 0.0, 0.5 * angle[..., None])
    lead = np.broadcast_shapes(half.shape[:-1], unit.shape[:-1])
    w = np.broadcast_to(np.cos(half), lead + (1,))
    xyz = np.broadcast_to(np.sin(half) * unit, lead + (3,))
    return _f32(np.concatenate([w, xyz], axis=-1))


def quat_to_axis_angle(q) -> tuple[np.ndarray, np.ndarray]:
    """(axis (..., 3) unit, angle (...) in radians within [0, pi]); identity gives axis (1, 0, 0), angle 0."""
    q = _normalize64(_f64(q))
    _check_last(q, 4, "quaternion")
    q = np.where(q[..., :1] < 0.0, -q, q)  # w >= 0 keeps the angle in [0, pi]
    s = np.linalg.norm(q[..., 1:], axis=-1)
    angle = 2.0 * np.arctan2(s, q[..., 0])
    axis = q[..., 1:] / np.where(s == 0.0, 1.0, s)[..., None]
    axis[s == 0.0] = (1.0, 0.0, 0.0)
    return _f32(axis), _f32(angle)


# --------------------------------------------------------------------------- matrices and 6D

def _quat_to_matrix64(q: np.ndarray) -> np.ndarray:
    q = _normalize64(q)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    xx, yy, zz = x * x, y * y, z * z
    xy, xz, yz, wx, wy, wz = x * y, x * z, y * z, w * x, w * y, w * z
    m = np.empty(q.shape[:-1] + (3, 3))  # written entry by entry, as _mul64
    m[..., 0, 0], m[..., 0, 1], m[..., 0, 2] = 1 - 2 * (yy + zz), 2 * (xy - wz), 2 * (xz + wy)
    m[..., 1, 0], m[..., 1, 1], m[..., 1, 2] = 2 * (xy + wz), 1 - 2 * (xx + zz), 2 * (yz - wx)
    m[..., 2, 0], m[..., 2, 1], m[..., 2, 2] = 2 * (xz - wy), 2 * (yz + wx), 1 - 2 * (xx + yy)
    return m


def quat_to_matrix(q) -> np.ndarray:
    """(..., 4) -> (..., 3, 3); the input is normalised first."""
    q = _f64(q)
    _check_last(q, 4, "quaternion")
    return _f32(_quat_to_matrix64(q))


def _matrix_to_quat64(m: np.ndarray) -> np.ndarray:
    """Shepperd's method: divide by the largest of the four candidate components for stability."""
    m00, m01, m02 = m[..., 0, 0], m[..., 0, 1], m[..., 0, 2]
    m10, m11, m12 = m[..., 1, 0], m[..., 1, 1], m[..., 1, 2]
    m20, m21, m22 = m[..., 2, 0], m[..., 2, 1], m[..., 2, 2]
    cands = np.empty(m.shape[:-2] + (4, 4))  # row k is 4 * q_k * q; pick the row with the largest q_k
    cands[..., 0, 0], cands[..., 1, 1] = 1 + m00 + m11 + m22, 1 + m00 - m11 - m22
    cands[..., 2, 2], cands[..., 3, 3] = 1 - m00 + m11 - m22, 1 - m00 - m11 + m22
    cands[..., 0, 1] = cands[..., 1, 0] = m21 - m12
    cands[..., 0, 2] = cands[..., 2, 0] = m02 - m20
    cands[..., 0, 3] = cands[..., 3, 0] = m10 - m01
    cands[..., 1, 2] = cands[..., 2, 1] = m01 + m10
    cands[..., 1, 3] = cands[..., 3, 1] = m02 + m20
    cands[..., 2, 3] = cands[..., 3, 2] = m12 + m21
    diagonal = np.empty(m.shape[:-2] + (4,))
    diagonal[..., 0], diagonal[..., 1], diagonal[..., 2], diagonal[..., 3] = m00 + m11 + m22, m00, m11, m22
    q = np.take_along_axis(cands, np.argmax(diagonal, axis=-1)[..., None, None], axis=-2)[..., 0, :]
    q = _normalize64(q)
    return np.where(q[..., :1] < 0.0, -q, q)


def matrix_to_quat(m) -> np.ndarray:
    """(..., 3, 3) rotation matrices -> (..., 4) unit quaternions with w >= 0."""
    m = _f64(m)
    if m.ndim < 2 or m.shape[-2:] != (3, 3):
        raise ValueError(f"rotation matrices must have shape (..., 3, 3), got {m.shape}")
    return _f32(_matrix_to_quat64(m))


def matrix_to_6d(m) -> np.ndarray:
    """(..., 3, 3) -> (..., 6): the first two rows, concatenated."""
    m = np.asarray(m)
    if m.ndim < 2 or m.shape[-2:] != (3, 3):
        raise ValueError(f"rotation matrices must have shape (..., 3, 3), got {m.shape}")
    return _f32(m[..., :2, :].reshape(m.shape[:-2] + (6,)))


def _sixd_to_matrix64(d: np.ndarray) -> np.ndarray:
    a, b = d[..., :3], d[..., 3:]
    r0 = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b - np.sum(r0 * b, axis=-1, keepdims=True) * r0
    r1 = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return np.stack([r0, r1, cross(r0, r1)], axis=-2)


def sixd_to_matrix(d) -> np.ndarray:
    """(..., 6) first two rows (not necessarily orthonormal) -> (..., 3, 3) rotation by Gram-Schmidt."""
    d = _f64(d)
    _check_last(d, 6, "6D rotation")
    return _f32(_sixd_to_matrix64(d))


def quat_to_6d(q) -> np.ndarray:
    """(..., 4) -> (..., 6); shorthand for matrix_to_6d(quat_to_matrix(q))."""
    q = _f64(q)
    _check_last(q, 4, "quaternion")
    m = _quat_to_matrix64(q)
    return _f32(m[..., :2, :].reshape(m.shape[:-2] + (6,)))


def sixd_to_quat(d) -> np.ndarray:
    """(..., 6) -> (..., 4); shorthand for matrix_to_quat(sixd_to_matrix(d))."""
    d = _f64(d)
    _check_last(d, 6, "6D rotation")
    return _f32(_matrix_to_quat64(_sixd_to_matrix64(d)))


# --------------------------------------------------------------------------- Euler angles

def euler_to_quat(angles_deg, order: str) -> np.ndarray:
    """Intrinsic Euler angles in degrees, listed in `order` (e.g. "ZYX": [z, y, x]) -> (..., 4)."""
    axes = _parse_order(order)
    half = np.radians(_f64(angles_deg)) * 0.5
    _check_last(half, 3, "Euler angles")
    q = None
    for i, axis in enumerate(axes):
        e = np.zeros(half.shape[:-1] + (4,))
        e[..., 0] = np.cos(half[..., i])
        e[..., 1 + axis] = np.sin(half[..., i])
        q = e if q is None else _mul64(q, e)
    return _f32(q)


def _rotate_about(axis: int, angle: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vectors v (..., 3) about a coordinate axis by angle (...), elementwise (no 3x3 matmuls)."""
    b, c = (axis + 1) % 3, (axis + 2) % 3
    cos, sin = np.cos(angle), np.sin(angle)
    out = np.empty(np.broadcast_shapes(angle.shape, v.shape[:-1]) + (3,))
    out[..., axis] = v[..., axis]
    out[..., b] = cos * v[..., b] - sin * v[..., c]
    out[..., c] = sin * v[..., b] + cos * v[..., c]
    return out


def quat_to_euler(q, order: str) -> np.ndarray:
    """(..., 4) -> intrinsic Euler angles in degrees listed in `order`: first and last in [-180, 180],
    the middle one in [-90, 90].

    The middle angle comes from atan2 (accurate near +-90 degrees) and the last angle from what is left
    after undoing the first two, so euler_to_quat(quat_to_euler(q)) reproduces q's rotation even at and
    near gimbal lock. At gimbal lock (first and last axes aligned) the last angle is set to 0.
    """
    i, j, k = _parse_order(order)
    q = _f64(q)
    _check_last(q, 4, "quaternion")
    lead = q.shape[:-1]
    m = _quat_to_matrix64(q.reshape(-1, 4))
    # +1 for cyclic orders (XYZ, YZX, ZXY), -1 for the others
    s = 1.0 if (j - i) % 3 == 1 else -1.0
    middle = np.arctan2(s * m[..., i, k], np.hypot(m[..., i, i], m[..., i, j]))
    first = np.arctan2(-s * m[..., j, k], m[..., k, k])
    locked = np.cos(middle) < _GIMBAL_EPS
    eye = np.eye(3)
    if np.any(locked):  # first and last axes coincide: put the whole turn into the first angle
        # Ri(first) = M Rj(middle)^T; its column bi is M @ (row bi of Rj(middle)) = M @ Rj(-middle) e_bi
        bi, ci = (i + 1) % 3, (i + 2) % 3
        col = np.einsum("nrs,ns->nr", m[locked], _rotate_about(j, -middle[locked], eye[bi]))
        first[locked] = np.arctan2(col[:, ci], col[:, bi])
    # Rk(last) = (Ri(first) Rj(middle))^T M: entry [r, bk] is (Ri(first) Rj(middle) e_r) . (column bk of M)
    bk, ck = (k + 1) % 3, (k + 2) % 3

    def leftover(r: int) -> np.ndarray:
        return np.sum(_rotate_about(i, first, _rotate_about(j, middle, eye[r])) * m[:, :, bk], axis=-1)

    last = np.arctan2(leftover(ck), leftover(bk))
    angles = np.degrees(np.stack([first, middle, last], axis=-1)) + 0.0  # + 0.0 turns -0.0 into 0.0
    return _f32(angles.reshape(lead + (3,)))
