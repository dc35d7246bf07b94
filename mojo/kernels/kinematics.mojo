"""Forward kinematics and 6D rotation conversions on raw float32 rows.

Shared by the MAX custom ops (ops_kinematics.mojo) and the Python extension (pyext/motion_kernels.mojo).
Arithmetic runs in float64, as motion/fk.py does, so long joint chains stay accurate; inputs and outputs
are float32.
"""
from std.math import sqrt

from kernels.pointers import F32Ptr, I64Ptr


@always_inline
def _f64(p: F32Ptr, i: Int) -> Float64:
    return p[unsafe_offset=i].cast[DType.float64]()


@always_inline
def _put(p: F32Ptr, i: Int, v: Float64):
    p[unsafe_offset=i] = v.cast[DType.float32]()


def check_parents(parents: I64Ptr, n_joints: Int) raises:
    """Raise unless every joint's parent precedes it (-1 for a root): fk_frames reads parents by index."""
    for j in range(n_joints):
        var p = Int(parents[unsafe_offset=j])
        if p >= j or p < -1:
            raise Error(t"joint {j} has parent {p}: parents must precede their children (-1 for a root)")


def fk_frames(parents: I64Ptr, n_joints: Int, rot: F32Ptr, trans: F32Ptr, out_rot: F32Ptr, out_pos: F32Ptr,
              first: Int, last: Int):
    """World rotations (F, J, 4) and positions (F, J, 3) of frames [first, last) from local ones.

    rot (F, J, 4) unit quaternions (w, x, y, z) relative to the parent; trans (F, J, 3) each joint's origin
    in its parent's frame (the root's in world space); parents (J,) with parents[j] < j, -1 for roots
    (see check_parents).
    """
    for f in range(first, last):
        var q0 = f * n_joints * 4
        var t0 = f * n_joints * 3
        for j in range(n_joints):
            var qi = q0 + 4 * j
            var ti = t0 + 3 * j
            var lw = _f64(rot, qi)
            var lx = _f64(rot, qi + 1)
            var ly = _f64(rot, qi + 2)
            var lz = _f64(rot, qi + 3)
            var vx = _f64(trans, ti)
            var vy = _f64(trans, ti + 1)
            var vz = _f64(trans, ti + 2)
            var p = Int(parents[unsafe_offset=j])
            if p < 0:
                _put(out_rot, qi, lw)
                _put(out_rot, qi + 1, lx)
                _put(out_rot, qi + 2, ly)
                _put(out_rot, qi + 3, lz)
                _put(out_pos, ti, vx)
                _put(out_pos, ti + 1, vy)
                _put(out_pos, ti + 2, vz)
                continue
            var pq = q0 + 4 * p
            var pt = t0 + 3 * p
            var pw = _f64(out_rot, pq)
            var px = _f64(out_rot, pq + 1)
            var py = _f64(out_rot, pq + 2)
            var pz = _f64(out_rot, pq + 3)
            # child origin = parent origin + parent rotation applied to the local translation
            # (v + 2w(u x v) + 2u x (u x v), u the vector part)
            var tx = 2.0 * (py * vz - pz * vy)
            var ty = 2.0 * (pz * vx - px * vz)
            var tz = 2.0 * (px * vy - py * vx)
            _put(out_pos, ti, _f64(out_pos, pt) + vx + pw * tx + (py * tz - pz * ty))
            _put(out_pos, ti + 1, _f64(out_pos, pt + 1) + vy + pw * ty + (pz * tx - px * tz))
            _put(out_pos, ti + 2, _f64(out_pos, pt + 2) + vz + pw * tz + (px * ty - py * tx))
            # child rotation = parent world rotation * local rotation
            _put(out_rot, qi, pw * lw - px * lx - py * ly - pz * lz)
            _put(out_rot, qi + 1, pw * lx + px * lw + py * lz - pz * ly)
            _put(out_rot, qi + 2, pw * ly - px * lz + py * lw + pz * lx)
            _put(out_rot, qi + 3, pw * lz + px * ly - py * lx + pz * lw)


def sixd_to_matrix_rows(d: F32Ptr, m: F32Ptr, count: Int):
    """Convert count 6D rotations (first two matrix rows, any scale) -> count row-major 3x3 matrices (Gram-Schmidt)."""
    for n in range(count):
        var s = 6 * n
        var o = 9 * n
        var ax = _f64(d, s)
        var ay = _f64(d, s + 1)
        var az = _f64(d, s + 2)
        var bx = _f64(d, s + 3)
        var by = _f64(d, s + 4)
        var bz = _f64(d, s + 5)
        var na = sqrt(ax * ax + ay * ay + az * az)
        ax /= na
        ay /= na
        az /= na
        var k = ax * bx + ay * by + az * bz
        bx -= k * ax
        by -= k * ay
        bz -= k * az
        var nb = sqrt(bx * bx + by * by + bz * bz)
        bx /= nb
        by /= nb
        bz /= nb
        _put(m, o, ax)
        _put(m, o + 1, ay)
        _put(m, o + 2, az)
        _put(m, o + 3, bx)
        _put(m, o + 4, by)
        _put(m, o + 5, bz)
        _put(m, o + 6, ay * bz - az * by)
        _put(m, o + 7, az * bx - ax * bz)
        _put(m, o + 8, ax * by - ay * bx)


def matrix_to_sixd_rows(m: F32Ptr, d: F32Ptr, count: Int):
    """Take count row-major 3x3 matrices -> their first two rows (count x 6)."""
    for n in range(count):
        for k in range(6):
            d[unsafe_offset=6 * n + k] = m[unsafe_offset=9 * n + k]
