"""The post-processing of one generated transition in one call: sampler outputs in, local rotations and root
positions of a playable pose out (max-mojo's side of `inference.rsmt.finish.finish_frames`, the numpy reference:
its docstring and those of inference/rsmt/postprocess.py and footlock.py say what each step does and why).

Why in Mojo: the numpy reference makes about a thousand numpy calls on a few dozen frames of 22 joints, 3-4 ms of
interpreter and dispatch per request, as much as the networks of a whole 30-frame transition on max-mojo. Here it
is straight-line float64 arithmetic per frame and joint (tens of microseconds).

Steps (each numbered as the numpy functions it stands for):
1. rsmt_pose: 6D -> matrices (Gram-Schmidt), FK positions from the predicted hip, the predicted positions of the
   pos_rep joints put in, every bone projected to its rest length (parents first), then the swing of each joint
   with one child (`swing` table) onto its child, keeping the predicted twist, taken the swing share of the way
   from the predicted rotation (slerp);
2. the canonical frame undone (canon^T R, canon^T p + centre, / scale), matrices -> quaternions (Shepperd, w >= 0),
   global -> local;
3. land_on_target: the last `blend` frames turned and moved by a smoothstep share of the last frame's gap to the
   keyframe (slerp from the identity);
4. lock_feet: FK of the landed pose (rounded to float32 as motion.fk returns it, so the contact test sees the
   reference's heights), each leg's contact runs (ended out of the leg's reach) and hold targets
   (hold_targets, gliding at the ends), the pulls they make limited in their change per frame (limit_pulls),
   two-bone IK of hip and knee for every pulled frame, and the global -> local conversion again, each quaternion
   on the hemisphere of the landed one.

Results agree with the numpy reference to float32 rounding (it rounds to float32 between its functions; this
keeps float64 throughout): tests/inference/test_inference_rsmt_finish.py.
"""
from std.collections import List
from std.math import acos, sin, sqrt

from kernels.kinematics import M3, V, check_parents, cross, dot3, sixd_to_matrix
from kernels.pointers import F32Ptr, F64Ptr, I64Ptr

comptime EPS32 = 1.1920928955078125e-07  # numpy's float32 eps: postprocess._normalize's floor
comptime EPS = 1e-9  # footlock._EPS
comptime SLERP_LERP_DOT = 0.9995  # motion.rotations._SLERP_LERP_DOT
comptime IDENTITY = V(1, 0, 0, 0)

# spec (int64): a header, then the tables (inference/backends/mojo/finish.py finish_frames writes it)
comptime FRAMES = 0
comptime JOINTS = 1
comptime POS_REP = 2  # joints whose positions the sampler predicts
comptime LAND = 3  # 1: land on the keyframe
comptime LAND_FRAMES = 4
comptime LOCK = 5  # 1: lock planted feet
comptime LEGS = 6
comptime HOLD_BLEND = 7  # footlock.BLEND_FRAMES
comptime HEADER = 8  # then parents (J), pos_rep_idx (P), swing child or -1 (J), legs (3 x LEGS: hip, knee, ankle)


@always_inline
def normalize32(v: V) -> V:
    """As postprocess._normalize: lengths below float32's eps count as that eps."""
    var n = sqrt(dot3(v, v))
    return v / (EPS32 if n < EPS32 else n)


@always_inline
def unit(v: V) -> V:
    """As footlock._unit."""
    return v / max(sqrt(dot3(v, v)), EPS)


@always_inline
def to_f32(v: V) -> V:
    return v.cast[DType.float32]().cast[DType.float64]()


@always_inline
def load3(p: F64Ptr, i: Int) -> V:
    return V(p[unsafe_offset=i], p[unsafe_offset=i + 1], p[unsafe_offset=i + 2], 0)


@always_inline
def store3(p: F64Ptr, i: Int, v: V):
    p[unsafe_offset=i] = v[0]
    p[unsafe_offset=i + 1] = v[1]
    p[unsafe_offset=i + 2] = v[2]


@always_inline
def load4(p: F64Ptr, i: Int) -> V:
    return V(p[unsafe_offset=i], p[unsafe_offset=i + 1], p[unsafe_offset=i + 2], p[unsafe_offset=i + 3])


@always_inline
def store4(p: F64Ptr, i: Int, v: V):
    for k in range(4):
        p[unsafe_offset=i + k] = v[k]


def from_to(a: V, b: V) -> M3:
    """As postprocess.from_to_rotation: the smallest rotation taking unit a onto unit b (a half turn when opposite)."""
    var v = cross(a, b)
    var c = dot3(a, b)
    if c < -1.0 + 1e-9:
        var helper = V(1, 0, 0, 0) if abs(a[0]) < 0.9 else V(0, 1, 0, 0)
        var u = normalize32(cross(a, helper))
        return M3(2.0 * u[0] * u - V(1, 0, 0, 0), 2.0 * u[1] * u - V(0, 1, 0, 0), 2.0 * u[2] * u - V(0, 0, 1, 0))
    var s = 1.0 / (1.0 + c)
    var vv = dot3(v, v)
    # I + K + K K / (1 + c), K the cross-product matrix of v: K K = v v^T - |v|^2 I
    return M3(V(1.0 + s * (v[0] * v[0] - vv), -v[2] + s * v[0] * v[1], v[1] + s * v[0] * v[2], 0),
              V(v[2] + s * v[1] * v[0], 1.0 + s * (v[1] * v[1] - vv), -v[0] + s * v[1] * v[2], 0),
              V(-v[1] + s * v[2] * v[0], v[0] + s * v[2] * v[1], 1.0 + s * (v[2] * v[2] - vv), 0))


@always_inline
def quat_normalize(q: V) -> V:
    """As rotations._normalize64: a zero quaternion becomes the identity."""
    var n = sqrt((q * q).reduce_add())
    return IDENTITY if n == 0.0 else q / n


@always_inline
def quat_mul(a: V, b: V) -> V:
    return V(a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
             a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
             a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
             a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0])


@always_inline
def quat_inv(q: V) -> V:
    var n2 = (q * q).reduce_add()
    return q * V(1, -1, -1, -1) / (1.0 if n2 == 0.0 else n2)


def matrix_to_quat(m: M3) -> V:
    """As rotations.matrix_to_quat (Shepperd): the candidate row of the largest diagonal term, w >= 0."""
    var m00 = m.r0[0]
    var m11 = m.r1[1]
    var m22 = m.r2[2]
    var best = 0
    var top = m00 + m11 + m22
    if m00 > top:
        best = 1
        top = m00
    if m11 > top:
        best = 2
        top = m11
    if m22 > top:
        best = 3
    var q: V
    if best == 0:
        q = V(1 + m00 + m11 + m22, m.r2[1] - m.r1[2], m.r0[2] - m.r2[0], m.r1[0] - m.r0[1])
    elif best == 1:
        q = V(m.r2[1] - m.r1[2], 1 + m00 - m11 - m22, m.r0[1] + m.r1[0], m.r0[2] + m.r2[0])
    elif best == 2:
        q = V(m.r0[2] - m.r2[0], m.r0[1] + m.r1[0], 1 - m00 + m11 - m22, m.r1[2] + m.r2[1])
    else:
        q = V(m.r1[0] - m.r0[1], m.r0[2] + m.r2[0], m.r1[2] + m.r2[1], 1 - m00 - m11 + m22)
    q = quat_normalize(q)
    return -q if q[0] < 0.0 else q


def quat_to_matrix(q_in: V) -> M3:
    """As rotations.quat_to_matrix (normalised first)."""
    var q = quat_normalize(q_in)
    var w = q[0]
    var x = q[1]
    var y = q[2]
    var z = q[3]
    return M3(V(1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y), 0),
              V(2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x), 0),
              V(2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y), 0))


def quat_slerp(a_in: V, b_in: V, t: Float64) -> V:
    """As rotations.quat_slerp(a, b, t): along the shorter arc."""
    var a = quat_normalize(a_in)
    var b = quat_normalize(b_in)
    var d = (a * b).reduce_add()
    if d < 0.0:
        b = -b
    d = abs(d)
    var theta = acos(min(max(d, -1.0), 1.0))
    var wa = 1.0 - t
    var wb = t
    if d <= SLERP_LERP_DOT:
        var s = sin(theta)
        wa = sin((1.0 - t) * theta) / s
        wb = sin(t * theta) / s
    return quat_normalize(wa * a + wb * b)


@always_inline
def load_m3(p: F64Ptr, i: Int) -> M3:
    return M3(load3(p, i), load3(p, i + 3), load3(p, i + 6))


@always_inline
def store_m3(p: F64Ptr, i: Int, m: M3):
    store3(p, i, m.r0)
    store3(p, i + 3, m.r1)
    store3(p, i + 6, m.r2)


def _local_quats(parents: I64Ptr, nj: Int, rot: F64Ptr, f: Int, dst: F64Ptr):
    """Frame f's global matrices (J, 9) -> local quaternions (J, 4) (postprocess.local_rotations of
    matrix_to_quat; the root's stays global)."""
    var g = List[V](length=nj, fill=IDENTITY)
    for j in range(nj):
        g[j] = matrix_to_quat(load_m3(rot, (f * nj + j) * 9))
    for j in range(nj):
        var p = Int(parents[unsafe_offset=j])
        store4(dst, (f * nj + j) * 4, g[j] if p < 0 else quat_mul(quat_inv(g[p]), g[j]))


@always_inline
def _floors(nj: Int) -> Int:
    """Where in params each leg's planted height starts (after offsets, canon, centre, scale and the keyframe); then
    come the height gate, the pull step and the swing share."""
    return 3 * nj + 16 + 4 * nj


def _pose(spec: I64Ptr, params: F64Ptr, pos_rep: F32Ptr, rot6d: F32Ptr, rot: F64Ptr, local: F64Ptr, hip: F64Ptr,
          net_out: F32Ptr):
    """Steps 1 and 2 for every frame: global matrices in world space into rot (F, J, 9), local quaternions,
    hip positions, and the network's positions (FK + predicted) in world space, float32."""
    var nf = Int(spec[unsafe_offset=FRAMES])
    var nj = Int(spec[unsafe_offset=JOINTS])
    var npos = Int(spec[unsafe_offset=POS_REP])
    var parents = spec.unsafe_offset(HEADER)
    var pos_idx = parents.unsafe_offset(nj)
    var swing = pos_idx.unsafe_offset(npos)
    var canon = load_m3(params, 3 * nj)
    var centre = load3(params, 3 * nj + 9)
    var scale = params[unsafe_offset=3 * nj + 12]
    var share = params[unsafe_offset=_floors(nj) + Int(spec[unsafe_offset=LEGS]) + 2]  # after gate and pull step
    var mats = List[M3](length=nj, fill=M3(V(1, 0, 0, 0), V(0, 1, 0, 0), V(0, 0, 1, 0)))
    var net = List[V](length=nj, fill=V(0))
    var proj = List[V](length=nj, fill=V(0))
    for f in range(nf):
        for j in range(nj):
            mats[j] = sixd_to_matrix(rot6d, (f * nj + j) * 6)
        var base = f * npos * 3
        net[0] = V(pos_rep[unsafe_offset=base].cast[DType.float64](), pos_rep[unsafe_offset=base + 1].cast[DType.float64](),
                   pos_rep[unsafe_offset=base + 2].cast[DType.float64](), 0)
        for j in range(1, nj):
            var p = Int(parents[unsafe_offset=j])
            net[j] = net[p] + mats[p].apply(load3(params, 3 * j))
        for i in range(npos):
            var k = base + 3 * i
            net[Int(pos_idx[unsafe_offset=i])] = V(pos_rep[unsafe_offset=k].cast[DType.float64](),
                                                    pos_rep[unsafe_offset=k + 1].cast[DType.float64](),
                                                    pos_rep[unsafe_offset=k + 2].cast[DType.float64](), 0)
        proj[0] = net[0]
        for j in range(1, nj):
            var p = Int(parents[unsafe_offset=j])
            var o = load3(params, 3 * j)
            proj[j] = proj[p] + normalize32(net[j] - proj[p]) * sqrt(dot3(o, o))
        for j in range(nj):
            var k = Int(swing[unsafe_offset=j])
            if k < 0:
                continue
            var o = load3(params, 3 * k)
            var axis = normalize32(o)
            axis = normalize32(cross(axis, V(0, 1, 0, 0) if abs(axis[0]) > abs(axis[1]) else V(1, 0, 0, 0)))
            var bone = normalize32(proj[k] - proj[j])
            var turn = from_to(normalize32(o), bone)
            var tangent = turn.apply(axis)
            var wanted = mats[j].apply(axis)
            wanted = normalize32(wanted - dot3(wanted, bone) * bone)
            var full = from_to(tangent, wanted).times(turn)
            if share == 1.0:  # RSMT's full swing
                mats[j] = full^
            else:
                mats[j] = quat_to_matrix(quat_slerp(matrix_to_quat(mats[j]), matrix_to_quat(full), share))
        for j in range(nj):
            store_m3(rot, (f * nj + j) * 9, canon.transposed_times(mats[j]))
            var w = (canon.transposed_apply(net[j]) + centre) / scale
            for c in range(3):
                net_out[unsafe_offset=(f * nj + j) * 3 + c] = w[c].cast[DType.float32]()
        store3(hip, 3 * f, (canon.transposed_apply(proj[0]) + centre) / scale)
        _local_quats(parents, nj, rot, f, local)


def _land(spec: I64Ptr, params: F64Ptr, local: F64Ptr, hip: F64Ptr):
    """Step 3 (postprocess.land_on_target)."""
    var nf = Int(spec[unsafe_offset=FRAMES])
    var nj = Int(spec[unsafe_offset=JOINTS])
    var span = min(Int(spec[unsafe_offset=LAND_FRAMES]), nf)
    var key = 3 * nj + 13  # the keyframe's local quaternions (J, 4), then its root (3)
    var gap = List[V](length=nj, fill=IDENTITY)
    for j in range(nj):
        gap[j] = quat_mul(load4(params, key + 4 * j), quat_inv(load4(local, ((nf - 1) * nj + j) * 4)))
    var shift = load3(params, key + 4 * nj) - load3(hip, 3 * (nf - 1))
    for f in range(nf - span, nf):
        var t = min(max(Float64(f + 1 - (nf - span)) / Float64(span), 0.0), 1.0)
        var w = t * t * (3.0 - 2.0 * t)
        for j in range(nj):
            var i = (f * nj + j) * 4
            store4(local, i, quat_mul(quat_slerp(IDENTITY, gap[j], w), load4(local, i)))
        store3(hip, 3 * f, load3(hip, 3 * f) + w * shift)


def _end_unreachable_runs(mut contact: List[Bool], ankle: List[V], gp: List[V], nj: Int, hip: Int, reach: Float64):
    """As footlock.end_unreachable_runs: a run of contact frames ends at the first frame whose hip (joint `hip` of
    the positions gp (F * J)) is further than `reach` from the run's first ankle position; that frame is left
    out, and the next contact frame starts anew."""
    var start = -1
    for t in range(len(ankle)):
        if not contact[t]:
            start = -1
        elif start < 0:
            start = t
        else:
            var d = gp[t * nj + hip] - ankle[start]
            if sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) > reach:
                contact[t] = False
                start = -1


def _hold(ankle: List[V], contact: List[Bool], blend: Int, mut target: List[V], mut weight: List[Float64]):
    """As footlock.hold_targets, of one ankle's positions and contact flags."""
    var n = len(ankle)
    var starts = List[Int]()
    var ends = List[Int]()
    for t in range(n):
        if contact[t] and (t == 0 or not contact[t - 1]):
            starts.append(t)
        if contact[t] and (t == n - 1 or not contact[t + 1]):
            ends.append(t)
    for t in range(n):
        target[t] = ankle[t]
        weight[t] = 0.0
        if len(starts) == 0:
            continue
        var best = -1
        var top = 0.0
        for r in range(len(starts)):
            var distance = max(max(starts[r] - t, t - ends[r]), 0)
            var w = 0.0
            if distance <= blend:
                w = 1.0 - Float64(distance) / Float64(blend + 1)
                w = w * w * (3.0 - 2.0 * w)
            if best < 0 or w > top:  # the earliest run on a tie, as argmax
                best = r
                top = w
        weight[t] = top
        if top <= 0.0:
            continue
        var s = starts[best]
        var at_start = ankle[s]
        if ends[best] + blend >= n - 1 and s < n - 1 and t > s:  # glides out to the last frame
            target[t] = at_start + (Float64(t - s) / Float64(max(n - 1 - s, 1))) * (ankle[n - 1] - at_start)
        elif s - blend <= 0 and s > 0 and t < s:  # glides in from the first frame
            target[t] = ankle[0] + (Float64(t) / Float64(max(s, 1))) * (at_start - ankle[0])
        else:
            target[t] = at_start
    if n > 0:
        weight[0] = 0.0
        weight[n - 1] = 0.0


def _limit_pulls(mut pull: List[V], step: Float64):
    """As footlock.limit_pulls, of one leg's pulls: each length becomes min over s of |pull_s| + step |t - s| (a
    forward and a backward running minimum, in the reference's order of operations), the direction kept."""
    var n = len(pull)
    var length = List[Float64](length=n, fill=0.0)
    var forward = List[Float64](length=n, fill=0.0)
    for t in range(n):
        var p = pull[t]
        length[t] = sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2])
        var ramp = step * Float64(t)
        forward[t] = length[t] - ramp if t == 0 else min(forward[t - 1], length[t] - ramp)
    var backward = 0.0
    for t in range(n - 1, -1, -1):
        var ramp = step * Float64(t)
        backward = length[t] + ramp if t == n - 1 else min(backward, length[t] + ramp)
        var envelope = min(forward[t] + ramp, backward - ramp)
        pull[t] = pull[t] * (envelope / max(length[t], EPS)) if length[t] > 0.0 else V(0)


def _lock(spec: I64Ptr, params: F64Ptr, rot: F64Ptr, local: F64Ptr, hip: F64Ptr):
    """Step 4 (footlock.lock_feet): rot is scratch (F, J, 9); local is read as the landed pose and overwritten."""
    var nf = Int(spec[unsafe_offset=FRAMES])
    var nj = Int(spec[unsafe_offset=JOINTS])
    var npos = Int(spec[unsafe_offset=POS_REP])
    var n_legs = Int(spec[unsafe_offset=LEGS])
    var blend = Int(spec[unsafe_offset=HOLD_BLEND])
    var parents = spec.unsafe_offset(HEADER)
    var legs = parents.unsafe_offset(2 * nj + npos)
    var scale = params[unsafe_offset=3 * nj + 12]
    var floors = _floors(nj)
    var gate = params[unsafe_offset=floors + n_legs]
    var pull_step = params[unsafe_offset=floors + n_legs + 1]
    # FK of the landed pose in file units, rounded to float32 as the reference's motion.fk returns it
    var gq = List[V](length=nf * nj, fill=IDENTITY)
    var gp = List[V](length=nf * nj, fill=V(0))
    for f in range(nf):
        var b = f * nj
        gq[b] = load4(local, 4 * b)
        gp[b] = load3(hip, 3 * f)
        for j in range(1, nj):
            var p = b + Int(parents[unsafe_offset=j])
            var pq = gq[p]
            var u = V(pq[1], pq[2], pq[3], 0)
            var v = load3(params, 3 * j) / scale
            var t = 2.0 * cross(u, v)
            gp[b + j] = gp[p] + v + pq[0] * t + cross(u, t)
            gq[b + j] = quat_mul(pq, load4(local, 4 * (b + j)))
    for i in range(nf * nj):
        gq[i] = to_f32(gq[i])
        gp[i] = to_f32(gp[i])
        store_m3(rot, 9 * i, quat_to_matrix(gq[i]))
    var ankle = List[V](length=nf, fill=V(0))
    var contact = List[Bool](length=nf, fill=False)
    var target = List[V](length=nf, fill=V(0))
    var weight = List[Float64](length=nf, fill=0.0)
    var pull = List[V](length=nf, fill=V(0))
    for leg in range(n_legs):
        var h = Int(legs[unsafe_offset=3 * leg])
        var k = Int(legs[unsafe_offset=3 * leg + 1])
        var a = Int(legs[unsafe_offset=3 * leg + 2])
        var floor = params[unsafe_offset=floors + leg]
        var ok = load3(params, 3 * k) / scale
        var oa = load3(params, 3 * a) / scale
        var upper = sqrt(dot3(ok, ok))
        var lower = sqrt(dot3(oa, oa))
        for f in range(nf):
            ankle[f] = gp[f * nj + a]
            contact[f] = ankle[f][1] - floor < gate
        _end_unreachable_runs(contact, ankle, gp, nj, h, upper + lower)
        _hold(ankle, contact, blend, target, weight)
        for f in range(nf):
            pull[f] = weight[f] * (target[f] - ankle[f])
        _limit_pulls(pull, pull_step)
        for f in range(nf):
            if pull[f][0] == 0.0 and pull[f][1] == 0.0 and pull[f][2] == 0.0:
                continue
            var p_h = gp[f * nj + h]
            var p_k = gp[f * nj + k]
            var p_a = ankle[f]
            var goal = p_a + pull[f]
            # footlock.two_bone_ik
            var to_goal = goal - p_h
            var d = sqrt(dot3(to_goal, to_goal))
            var u = to_goal / max(d, EPS)
            d = min(max(d, abs(upper - lower) + 1e-6), upper + lower - 1e-6)
            var bend = p_k - p_h
            var v = bend - dot3(bend, u) * u
            var v_len = sqrt(dot3(v, v))
            if v_len > 1e-6:
                v = v / max(v_len, EPS)
            else:  # a straight leg: bend towards any perpendicular
                var fallback = cross(u, V(1, 0, 0, 0))
                v = fallback / max(sqrt(dot3(fallback, fallback)), EPS)
            var cos_a = min(max((upper * upper + d * d - lower * lower) / (2 * upper * d), -1.0), 1.0)
            var knee = p_h + upper * (cos_a * u + sqrt(1.0 - cos_a * cos_a) * v)
            var new_ankle = p_h + d * u
            var swing_hip = from_to(unit(p_k - p_h), unit(knee - p_h))
            var moved_shin = swing_hip.apply(p_a - p_k)
            var swing_knee = from_to(unit(moved_shin), unit(new_ankle - knee))
            var ih = 9 * (f * nj + h)
            var ik = 9 * (f * nj + k)
            store_m3(rot, ih, swing_hip.times(load_m3(rot, ih)))
            store_m3(rot, ik, swing_knee.times(swing_hip).times(load_m3(rot, ik)))
    var like = List[V](length=nj, fill=IDENTITY)
    for f in range(nf):
        for j in range(nj):
            like[j] = load4(local, 4 * (f * nj + j))
        _local_quats(parents, nj, rot, f, local)
        for j in range(nj):
            var i = 4 * (f * nj + j)
            var q = load4(local, i)
            if (q * like[j]).reduce_add() < 0.0:
                store4(local, i, -q)


def rsmt_finish(spec: I64Ptr, params: F64Ptr, pos_rep: F32Ptr, rot6d: F32Ptr, rot: F64Ptr, local: F64Ptr,
                hip: F64Ptr, net_out: F32Ptr) raises:
    """Every step of the module docstring on one transition.

    spec: the header (FRAMES ...) and tables; params (float64): rest offsets (J, 3) in dataset units, canon (3, 3),
    centre (3), scale (dataset units per file unit), the keyframe's local quaternions (J, 4) and root (3) in file
    units, each leg's planted height, the height gate and the pull step in file units, the swing share. pos_rep
    (F, P, 3), rot6d (F, J, 6): the sampler's outputs. Outputs: local (F, J, 4), hip (F, 3) in file units, net_out (F, J, 3) float32; rot is
    scratch (F, J, 9)."""
    var nf = Int(spec[unsafe_offset=FRAMES])
    var nj = Int(spec[unsafe_offset=JOINTS])
    if nf < 1 or nj < 1:
        raise Error(t"rsmt_finish: {nf} frames of {nj} joints")
    check_parents(spec.unsafe_offset(HEADER), nj)
    _pose(spec, params, pos_rep, rot6d, rot, local, hip, net_out)
    if spec[unsafe_offset=LAND] != 0:
        _land(spec, params, local, hip)
    if spec[unsafe_offset=LOCK] != 0:
        _lock(spec, params, rot, local, hip)
