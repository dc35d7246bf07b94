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


comptime V = SIMD[DType.float64, 4]  # a 3-vector (x, y, z, 0) or a quaternion (w, x, y, z)


@always_inline
def dot3(a: V, b: V) -> Float64:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


@always_inline
def cross(a: V, b: V) -> V:
    return V(a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0], 0)


@fieldwise_init
struct M3(Copyable, Movable):
    """A 3 x 3 matrix by rows (each a V with lane 3 zero)."""

    var r0: V
    var r1: V
    var r2: V

    @always_inline
    def apply(self, v: V) -> V:
        return V(dot3(self.r0, v), dot3(self.r1, v), dot3(self.r2, v), 0)

    @always_inline
    def times(self, b: M3) -> M3:
        """The product self @ b."""
        return M3(self.r0[0] * b.r0 + self.r0[1] * b.r1 + self.r0[2] * b.r2,
                  self.r1[0] * b.r0 + self.r1[1] * b.r1 + self.r1[2] * b.r2,
                  self.r2[0] * b.r0 + self.r2[1] * b.r1 + self.r2[2] * b.r2)

    @always_inline
    def transposed_times(self, b: M3) -> M3:
        """The product self^T @ b."""
        return M3(self.r0[0] * b.r0 + self.r1[0] * b.r1 + self.r2[0] * b.r2,
                  self.r0[1] * b.r0 + self.r1[1] * b.r1 + self.r2[1] * b.r2,
                  self.r0[2] * b.r0 + self.r1[2] * b.r1 + self.r2[2] * b.r2)

    @always_inline
    def transposed_apply(self, v: V) -> V:
        """The product self^T @ v (a row vector v times self)."""
        return v[0] * self.r0 + v[1] * self.r1 + v[2] * self.r2


@always_inline
def sixd_to_matrix(d: F32Ptr, i: Int) -> M3:
    """The 6D rotation at d[i : i + 6] (first two matrix rows, any scale) as a matrix: the first two rows by
    Gram-Schmidt, the third their cross product (motion.rotations.sixd_to_matrix)."""
    var a = V(d[unsafe_offset=i].cast[DType.float64](), d[unsafe_offset=i + 1].cast[DType.float64](),
              d[unsafe_offset=i + 2].cast[DType.float64](), 0)
    var b = V(d[unsafe_offset=i + 3].cast[DType.float64](), d[unsafe_offset=i + 4].cast[DType.float64](),
              d[unsafe_offset=i + 5].cast[DType.float64](), 0)
    var r0 = a / sqrt(dot3(a, a))
    b = b - dot3(r0, b) * r0
    var r1 = b / sqrt(dot3(b, b))
    return M3(r0, r1, cross(r0, r1))


def sixd_to_matrix_rows(d: F32Ptr, m: F32Ptr, count: Int):
    """Convert count 6D rotations (first two matrix rows, any scale) -> count row-major 3x3 matrices (Gram-Schmidt)."""
    for n in range(count):
        var r = sixd_to_matrix(d, 6 * n)
        for c in range(3):
            _put(m, 9 * n + c, r.r0[c])
            _put(m, 9 * n + 3 + c, r.r1[c])
            _put(m, 9 * n + 6 + c, r.r2[c])


def matrix_to_sixd_rows(m: F32Ptr, d: F32Ptr, count: Int):
    """Take count row-major 3x3 matrices -> their first two rows (count x 6)."""
    for n in range(count):
        for k in range(6):
            d[unsafe_offset=6 * n + k] = m[unsafe_offset=9 * n + k]
