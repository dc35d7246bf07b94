"""The `motion_kernels` Python extension: Mojo kernels called directly from Python (~0.1 us per call).

Arrays are passed as addresses of contiguous numpy buffers (inference/backends/mojo/addresses.py); the Python
wrappers (inference/backends/mojo/*.py) check shapes, dtypes and contiguity and keep the arrays alive.
Built by scripts/build_mojo.sh: `mojo build -I mojo mojo/pyext/motion_kernels.mojo --emit shared-lib`.
"""
from std.os import abort
from std.python import PythonObject
from std.python.bindings import PythonModuleBuilder

from kernels.gemm import PANEL, PackedLayer, gemm_panels, row_shares, share_rows
from kernels.kinematics import check_parents, fk_frames
from kernels.moe import manifold_decode, scratch_floats
from kernels.conv_time import MAX_R, TimeConv, time_conv
from kernels.pae import pae_forward, pae_scratch_floats
from kernels.pointers import F32Ptr, F64Ptr, I64Ptr
from kernels.rsmt_finish import rsmt_finish
from kernels.sampler import Rows, Sampler, Span, team_counters
from kernels.style import style_encode, style_scratch_floats

from max.algorithm.backend.cpu.parallelize import parallelize


def _f32(addr: PythonObject) raises -> F32Ptr:
    return F32Ptr(unsafe_from_address=Int(py=addr))


def fk(parents: PythonObject, rot: PythonObject, trans: PythonObject, out_rot: PythonObject,
       out_pos: PythonObject, shape: PythonObject) raises -> PythonObject:
    """Forward kinematics over (frames, joints) = shape; see kernels.kinematics.fk_frames."""
    var n_frames = Int(py=shape[0])
    var n_joints = Int(py=shape[1])
    var parents_ptr = I64Ptr(unsafe_from_address=Int(py=parents))
    check_parents(parents_ptr, n_joints)
    fk_frames(parents_ptr, n_joints, _f32(rot), _f32(trans), _f32(out_rot),
              _f32(out_pos), 0, n_frames)
    return PythonObject(None)


def _mlp_rows(spec: I64Ptr, x_all: F32Ptr, y_all: F32Ptr, first: Int, end: Int, scratch: F32Ptr, threads: Int):
    """mlp_forward on rows first .. end-1, in their own part of the scratch (2 * widest floats a row)."""
    var n_layers = Int(spec[unsafe_offset=0])
    var in_size = Int(spec[unsafe_offset=1])
    var out_size = Int(spec[unsafe_offset=2])
    var in_mean = F32Ptr(unsafe_from_address=Int(spec[unsafe_offset=3]))
    var in_std = F32Ptr(unsafe_from_address=Int(spec[unsafe_offset=4]))
    var out_mean = F32Ptr(unsafe_from_address=Int(spec[unsafe_offset=5]))
    var out_std = F32Ptr(unsafe_from_address=Int(spec[unsafe_offset=6]))
    var widest = Int(spec[unsafe_offset=7])
    var rows = end - first
    var x = x_all.unsafe_offset(first * in_size)
    var y = y_all.unsafe_offset(first * out_size)
    var src = scratch.unsafe_offset(2 * first * widest)
    var dst = src.unsafe_offset(rows * widest)
    for r in range(rows):
        var xr = x.unsafe_offset(r * in_size)
        var sr = src.unsafe_offset(r * in_size)
        var i = 0
        while i + 8 <= in_size:
            sr.unsafe_store(i, (xr.unsafe_load[width=8](i) - in_mean.unsafe_load[width=8](i))
                            / in_std.unsafe_load[width=8](i))
            i += 8
        while i < in_size:
            sr[unsafe_offset=i] = (xr[unsafe_offset=i] - in_mean[unsafe_offset=i]) / in_std[unsafe_offset=i]
            i += 1
    for layer in range(n_layers):
        var descriptor = Int(spec[unsafe_offset=9 + layer])
        var d = I64Ptr(unsafe_from_address=descriptor)  # PackedDense's: act at 6, &(plu w, c) at 8
        var plu = F32Ptr(unsafe_from_address=Int(d[unsafe_offset=8]))
        var packed = PackedLayer.read(descriptor)
        packed.apply(src, packed.n_in, rows, dst, packed.n_out, Int(d[unsafe_offset=6]), threads, plu[unsafe_offset=0],
                     plu[unsafe_offset=1])
        var t = src
        src = dst
        dst = t
    for r in range(rows):
        var yr = y.unsafe_offset(r * out_size)
        var sr = src.unsafe_offset(r * out_size)
        var i = 0
        while i + 8 <= out_size:
            yr.unsafe_store(i, sr.unsafe_load[width=8](i) * out_std.unsafe_load[width=8](i)
                            + out_mean.unsafe_load[width=8](i))
            i += 8
        while i < out_size:
            yr[unsafe_offset=i] = sr[unsafe_offset=i] * out_std[unsafe_offset=i] + out_mean[unsafe_offset=i]
            i += 1


def mlp_forward(spec_addr: PythonObject, x_addr: PythonObject, y_addr: PythonObject,
                rows_obj: PythonObject, scratch_addr: PythonObject) raises -> PythonObject:
    """A normalised chain of dense layers on `rows` inputs, every layer one GEMM over the rows
    (kernels.gemm.gemm_panels) with its own activation; a batch worth two threads is split into one share of the
    rows per thread (kernels.gemm.row_shares), each running every layer on its rows alone.

    spec (int64): [n_layers, in_size, out_size, &in_mean, &in_std, &out_mean, &out_std, widest, threads, then each
    layer's PackedDense descriptor address (inference/backends/mojo/dense.py)]; scratch holds 2 * rows * widest
    floats (widest: the widest of the input and every layer's outputs).
    y = layers((x - in_mean) / in_std) * out_std + out_mean.
    """
    var spec = I64Ptr(unsafe_from_address=Int(py=spec_addr))
    var x = _f32(x_addr)
    var y = _f32(y_addr)
    var rows = Int(py=rows_obj)
    var scratch = _f32(scratch_addr)
    var threads = Int(spec[unsafe_offset=8])
    var macs = 0
    for layer in range(Int(spec[unsafe_offset=0])):
        var packed = PackedLayer.read(Int(spec[unsafe_offset=9 + layer]))
        macs += packed.n_in * packed.n_out
    var shares = row_shares(rows, threads, macs)
    if shares < 2:
        _mlp_rows(spec, x, y, 0, rows, scratch, threads)
        return PythonObject(None)

    def work(i: Int) {var spec, var x, var y, var rows, var scratch, var shares}:
        var first, end = share_rows(i, shares, rows)
        _mlp_rows(spec, x, y, first, end, scratch, 1)

    parallelize(work, shares, shares)
    return PythonObject(None)


def dense(layer_addr: PythonObject, a_addr: PythonObject, rows: PythonObject, lda: PythonObject,
          group_rows: PythonObject, group_stride: PythonObject, y_addr: PythonObject,
          ldy: PythonObject) raises -> PythonObject:
    """One packed dense layer over `rows` rows (kernels.gemm.gemm_panels); strides in floats.

    layer (int64): [n_in, n_out, panel width, n_panels, &weight_panels, &bias_padded, activation, threads,
    &activation_parameters (float32: PLU's w, c)].
    """
    var layer = I64Ptr(unsafe_from_address=Int(py=layer_addr))
    var act_params = F32Ptr(unsafe_from_address=Int(layer[unsafe_offset=8]))
    gemm_panels(_f32(a_addr), Int(py=rows), Int(py=lda), Int(py=group_rows), Int(py=group_stride),
                Int(layer[unsafe_offset=0]), F32Ptr(unsafe_from_address=Int(layer[unsafe_offset=4])),
                F32Ptr(unsafe_from_address=Int(layer[unsafe_offset=5])), Int(layer[unsafe_offset=2]),
                Int(layer[unsafe_offset=3]), Int(layer[unsafe_offset=1]), _f32(y_addr), Int(py=ldy),
                Int(layer[unsafe_offset=6]), Int(layer[unsafe_offset=7]), act_params[unsafe_offset=0],
                act_params[unsafe_offset=1])
    return PythonObject(None)


def sampler_scratch_floats(spec_addr: PythonObject, rows: PythonObject) raises -> PythonObject:
    """Floats of scratch the sampler of this spec needs for `rows` rows (also validates the spec: raises on
    a bad one)."""
    return PythonObject(Sampler(I64Ptr(unsafe_from_address=Int(py=spec_addr)), 0, Int(py=rows)).scratch_floats)


@always_inline
def _rows(io: I64Ptr, i: Int, stride: Int, offset: Int = 0, group: Int = 1) -> Rows:
    """The i-th array of an io table as rows `stride` floats apart, from float `offset` of each row; `group`
    consecutive rows share one (Rows)."""
    return Rows(F32Ptr(unsafe_from_address=Int(io[unsafe_offset=i]) + 4 * offset), stride, group)


def _threads_over_rows(rows: Int, threads: Int, team: Bool) -> Int:
    """The threads a sampler call runs on. Several rows: one share of the rows per thread, each thread running
    whole steps (dense layers and per-row work) on its own: one hand-off per call instead of one per dense
    layer. One row, where the call allows a `team`: a team of two (kernels.sampler.Span), the row's dense layers
    shared, the rest on the leader. A whole rollout and a warm-up do (30 steps: 5.2 -> 3.8 ms; a warm-up on an
    AVX2 machine: 1.05 -> 0.63 ms); a single step does not: one step per call, the team's second core made each
    step slower (its first: 573 -> 842 us)."""
    if threads < 2:
        return 1
    if rows == 1:
        return 2 if team else 1
    return min(threads, rows)


def _share(i: Int, shares: Int, rows: Int, threads: Int, team: Int) -> Span:
    """Thread i's span of `shares` (_threads_over_rows; the rows split as kernels.gemm.share_rows does); team: the
    address of the team's counters (0: none)."""
    if team != 0:
        return Span(0, rows if i == 0 else 0, 1, team, i, rows)
    if shares < 2:
        return Span(0, rows, threads, 0, 0, 0)
    var first, end = share_rows(i, shares, rows)
    return Span(first, end, 1, 0, 0, 0)


def _team(rows: Int, shares: Int, steps: Int) -> List[Int64]:
    """The counters of a team (one row on two threads) for `steps` steps; empty when the call has none."""
    return team_counters(steps) if rows == 1 and shares > 1 else List[Int64]()


def _step_rows(m: Sampler, io: I64Ptr, span: Span):
    """sampler_steps on the span's rows."""
    var np3 = 3 * m.n_pos
    var j6 = 6 * m.joints
    var p2 = 2 * m.phases
    var ts = m.tokens * m.style
    m.step(span, _rows(io, 0, np3), _rows(io, 1, np3), _rows(io, 2, j6), _rows(io, 3, p2), _rows(io, 4, m.rnn),
           _rows(io, 5, m.rnn), _rows(io, 6, np3), _rows(io, 7, j6), _rows(io, 8, m.state_out),
           _rows(io, 9, m.style), _rows(io, 10, m.style), _rows(io, 11, ts), _rows(io, 12, ts),
           _rows(io, 13, m.style), _rows(io, 14, m.style), _rows(io, 15, ts), _rows(io, 16, ts), _rows(io, 17, 1),
           _rows(io, 18, 2 * m.state_out), _rows(io, 19, np3), _rows(io, 20, np3), _rows(io, 21, j6),
           _rows(io, 22, p2), _rows(io, 23, m.rnn), _rows(io, 24, m.rnn), _rows(io, 25, p2),
           _rows(io, 26, m.phases), _rows(io, 27, m.phases))


def sampler_steps(spec_addr: PythonObject, scratch_addr: PythonObject, io_addr: PythonObject,
                  rows_obj: PythonObject, threads_obj: PythonObject) raises -> PythonObject:
    """One sampler step (kind "rsmt_sampler_step") of `rows` independent rows, each dense layer one GEMM over
    the rows or, split over the threads, over each thread's share of them (_threads_over_rows); scratch sized by
    sampler_scratch_floats(spec, rows).

    io (int64): addresses of the inputs pos, vel, rot, phase, h, c, target_pos, target_rot, target_latent,
    emb_gamma, emb_beta, emb_keys, emb_values, pred_gamma, pred_beta, pred_keys, pred_values, tta, noise,
    then of the outputs pos, vel, rot, phase, h, c, pred_phase, A, F; each (rows, ...) C-contiguous float32.
    """
    var rows = Int(py=rows_obj)
    var threads = Int(py=threads_obj)
    var m = Sampler(I64Ptr(unsafe_from_address=Int(py=spec_addr)), Int(py=scratch_addr), rows)
    var io = I64Ptr(unsafe_from_address=Int(py=io_addr))
    var shares = _threads_over_rows(rows, threads, False)
    var sampler = Pointer(to=m)

    def work(i: Int) {var sampler, var io, var rows, var threads, var shares}:
        _step_rows(sampler[], io, _share(i, shares, rows, threads, 0))

    if shares < 2:
        work(0)
    else:
        parallelize(work, shares, shares)
    return PythonObject(None)


def _warmup_rows(m: Sampler, io: I64Ptr, span: Span, frames: Int):
    """sampler_warmup on the span's transitions."""
    var np3 = 3 * m.n_pos
    var j6 = 6 * m.joints
    var ts = m.tokens * m.style
    var f = frames
    m.warmup(span, f, _rows(io, 0, np3), _rows(io, 1, np3), _rows(io, 2, j6), _rows(io, 3, np3, 0, f),
             _rows(io, 4, j6, 0, f), _rows(io, 5, m.state_out, 0, f), _rows(io, 6, m.style, 0, f),
             _rows(io, 7, m.style, 0, f), _rows(io, 8, ts, 0, f), _rows(io, 9, ts, 0, f), _rows(io, 10, 1),
             _rows(io, 11, 2 * m.state_out, 0, f), _rows(io, 12, m.rnn), _rows(io, 13, m.rnn))


def sampler_warmup(spec_addr: PythonObject, scratch_addr: PythonObject, io_addr: PythonObject,
                   rows_obj: PythonObject, frames_obj: PythonObject, threads_obj: PythonObject) raises -> PythonObject:
    """The LSTM state after the warm-up on `frames` context frames (kind "rsmt_warmup") of `rows` transitions,
    split over the threads as sampler_steps splits its rows; one transition's warm-up on two threads is a team
    (its frames' dense layers and W_hh h shared, kernels.sampler.Sampler.warmup). Scratch sized by sampler_scratch_floats(spec, rows * frames).

    io (int64): addresses of the inputs pos, vel, rot (rows, frames, ...), target_pos, target_rot, target_latent,
    emb_gamma, emb_beta, emb_keys, emb_values (rows, ...), tta (rows, frames), noise (rows, 2 state_out), then
    of the outputs h, c (rows, rnn); each C-contiguous float32.
    """
    var rows = Int(py=rows_obj)
    var threads = Int(py=threads_obj)
    var frames = Int(py=frames_obj)
    var m = Sampler(I64Ptr(unsafe_from_address=Int(py=spec_addr)), Int(py=scratch_addr), rows * frames)
    var io = I64Ptr(unsafe_from_address=Int(py=io_addr))
    var shares = _threads_over_rows(rows, threads, True)
    var team = _team(rows, shares, 1)  # one transition's warm-up makes fewer than N_DENSE dense layer calls
    var team_addr = Int(team.unsafe_ptr()) if len(team) > 0 else 0
    var sampler = Pointer(to=m)

    def work(i: Int) {var sampler, var io, var rows, var threads, var shares, var team_addr, var frames}:
        _warmup_rows(sampler[], io, _share(i, shares, rows, threads, team_addr), frames)

    if shares < 2:
        work(0)
    else:
        parallelize(work, shares, shares)
    _ = len(team)  # the team's counters outlive its threads
    return PythonObject(None)


def _rollout_rows(m: Sampler, io: I64Ptr, span: Span, frames: Int, steps: Int):
    """sampler_rollout's `steps` steps on the span's rows."""
    var np3 = 3 * m.n_pos
    var j6 = 6 * m.joints
    var p2 = 2 * m.phases
    var ts = m.tokens * m.style
    var so2 = 2 * m.state_out
    var h_out = _rows(io, 27, m.rnn)
    var c_out = _rows(io, 28, m.rnn)
    for k in range(steps):
        # step k reads the state step k - 1 wrote (the inputs at k = 0); h and c are read before written
        var prev = k - 1
        m.step(span.copy(), _rows(io, 0, np3) if k == 0 else _rows(io, 20, frames * np3, prev * np3),
               _rows(io, 1, np3) if k == 0 else _rows(io, 21, frames * np3, prev * np3),
               _rows(io, 2, j6) if k == 0 else _rows(io, 22, frames * j6, prev * j6),
               _rows(io, 3, p2) if k == 0 else _rows(io, 23, frames * p2, prev * p2),
               _rows(io, 4, m.rnn) if k == 0 else h_out.copy(), _rows(io, 5, m.rnn) if k == 0 else c_out.copy(),
               _rows(io, 6, np3), _rows(io, 7, j6), _rows(io, 8, m.state_out), _rows(io, 9, m.style),
               _rows(io, 10, m.style), _rows(io, 11, ts), _rows(io, 12, ts), _rows(io, 13, m.style),
               _rows(io, 14, m.style), _rows(io, 15, ts), _rows(io, 16, ts), _rows(io, 17, frames, k),
               _rows(io, 18, frames * so2, k * so2), _rows(io, 20, frames * np3, k * np3),
               _rows(io, 21, frames * np3, k * np3), _rows(io, 22, frames * j6, k * j6),
               _rows(io, 23, frames * p2, k * p2), h_out.copy(), c_out.copy(),
               _rows(io, 24, frames * p2, k * p2), _rows(io, 25, frames * m.phases, k * m.phases),
               _rows(io, 26, frames * m.phases, k * m.phases))


def sampler_rollout(spec_addr: PythonObject, scratch_addr: PythonObject, io_addr: PythonObject,
                    rows_obj: PythonObject, frames_obj: PythonObject, threads_obj: PythonObject) raises -> PythonObject:
    """The generated frames of a transition (kind "rsmt_rollout", see inference/backends/max/graphs/rollout.py)
    for each of `rows` rows: max(length over the rows) steps (at most `frames`), every step of all rows at
    once (Sampler.step) or, split over the threads, each thread's share of the rows through all its steps
    (_threads_over_rows); step k writes output row k.

    io (int64): addresses of the inputs pos, vel, rot, phase, h, c, target_pos, target_rot, target_latent,
    the eight style tensors (as sampler_steps), tta (frames,), noise (frames, 2 state_out), length (),
    then of the outputs pos, vel, rot, phase, pred_phase, A, F (each (frames, ...)), h, c. Output rows past
    the steps taken are left as the caller made them (zeros).
    """
    var rows = Int(py=rows_obj)
    var threads = Int(py=threads_obj)
    var m = Sampler(I64Ptr(unsafe_from_address=Int(py=spec_addr)), Int(py=scratch_addr), rows)
    var io = I64Ptr(unsafe_from_address=Int(py=io_addr))
    var frames = Int(py=frames_obj)
    var steps = 0
    var length = _rows(io, 19, 1)
    for r in range(rows):
        steps = max(steps, Int(length.at(r)[unsafe_offset=0]))  # floor of a non-negative length
    steps = min(steps, frames)
    var shares = _threads_over_rows(rows, threads, True)
    var team = _team(rows, shares, steps)
    var team_addr = Int(team.unsafe_ptr()) if len(team) > 0 else 0
    var sampler = Pointer(to=m)

    def work(i: Int) {var sampler, var io, var rows, var threads, var shares, var team_addr, var frames, var steps}:
        _rollout_rows(sampler[], io, _share(i, shares, rows, threads, team_addr), frames, steps)

    if shares < 2:
        work(0)
    else:
        parallelize(work, shares, shares)
    _ = len(team)  # the team's counters outlive its threads
    return PythonObject(None)


@always_inline
def _f32_at(io: I64Ptr, i: Int) -> F32Ptr:
    """The i-th address of an io table."""
    return F32Ptr(unsafe_from_address=Int(io[unsafe_offset=i]))


def manifold_scratch_floats(spec_addr: PythonObject, rows: PythonObject) raises -> PythonObject:
    """Floats of scratch manifold_decoder needs for `rows` rows (kernels.moe.scratch_floats)."""
    return PythonObject(scratch_floats(I64Ptr(unsafe_from_address=Int(py=spec_addr)), Int(py=rows)))


def manifold_decoder(spec_addr: PythonObject, io_addr: PythonObject, rows: PythonObject) raises -> PythonObject:
    """The manifold decoder over `rows` rows (kernels.moe.manifold_decode).

    io (int64): addresses of latent, condition, phase, pose_delta, coefficients, scratch."""
    var io = I64Ptr(unsafe_from_address=Int(py=io_addr))
    manifold_decode(I64Ptr(unsafe_from_address=Int(py=spec_addr)), _f32_at(io, 0), _f32_at(io, 1), _f32_at(io, 2),
                    _f32_at(io, 3), _f32_at(io, 4), _f32_at(io, 5), Int(py=rows))
    return PythonObject(None)


def style_scratch(spec_addr: PythonObject) raises -> PythonObject:
    """Floats of scratch style_encoder needs (kernels.style.style_scratch_floats)."""
    return PythonObject(style_scratch_floats(I64Ptr(unsafe_from_address=Int(py=spec_addr))))


def style_encoder(spec_addr: PythonObject, x_addr: PythonObject, out_addr: PythonObject, batch: PythonObject,
                  scratch_addr: PythonObject, eps: PythonObject) raises -> PythonObject:
    """The style encoder over `batch` channels-last sequences (kernels.style.style_encode); out (int64): the eight
    outputs' addresses, per site gamma, beta, keys, values."""
    style_encode(I64Ptr(unsafe_from_address=Int(py=spec_addr)), _f32(x_addr), I64Ptr(unsafe_from_address=Int(py=out_addr)),
                 Int(py=batch), _f32(scratch_addr), Float32(Float64(py=eps)))
    return PythonObject(None)


def finish(spec_addr: PythonObject, params_addr: PythonObject, io_addr: PythonObject) raises -> PythonObject:
    """One transition's post-processing (kernels.rsmt_finish.rsmt_finish).

    io (int64): addresses of pos_rep, rot6d (float32), rot scratch, local, hip (float64), network positions
    (float32)."""
    var io = I64Ptr(unsafe_from_address=Int(py=io_addr))
    rsmt_finish(I64Ptr(unsafe_from_address=Int(py=spec_addr)), F64Ptr(unsafe_from_address=Int(py=params_addr)),
                _f32_at(io, 0), _f32_at(io, 1), F64Ptr(unsafe_from_address=Int(io[unsafe_offset=2])),
                F64Ptr(unsafe_from_address=Int(io[unsafe_offset=3])),
                F64Ptr(unsafe_from_address=Int(io[unsafe_offset=4])), _f32_at(io, 5))
    return PythonObject(None)


def phase_forward(spec_addr: PythonObject, x_addr: PythonObject, y_addr: PythonObject, pafb_addr: PythonObject,
                  rows: PythonObject, scratch_addr: PythonObject) raises -> PythonObject:
    """The PAE over `rows` items (kernels.pae.pae_forward)."""
    pae_forward(I64Ptr(unsafe_from_address=Int(py=spec_addr)), _f32(x_addr), _f32(y_addr), _f32(pafb_addr),
                Int(py=rows), _f32(scratch_addr))
    return PythonObject(None)


def phase_scratch_floats(spec_addr: PythonObject, rows: PythonObject) raises -> PythonObject:
    """Floats of scratch phase_forward needs over `rows` items (raises on a bad spec)."""
    return PythonObject(pae_scratch_floats(I64Ptr(unsafe_from_address=Int(py=spec_addr)), Int(py=rows)))


def conv_time(descriptor: PythonObject, x_addr: PythonObject, items: PythonObject, frames: PythonObject,
              y_addr: PythonObject) raises -> PythonObject:
    """One time-on-lanes convolution of dense channels-first sequences (kernels.conv_time.time_conv)."""
    var layer = TimeConv.read(Int(py=descriptor))
    layer.check()
    time_conv(layer, _f32(x_addr), Int(py=items), Int(py=frames), _f32(y_addr))
    return PythonObject(None)


def conv_time_channels() raises -> PythonObject:
    """Output channels per tile of the time-on-lanes convolution (the packing TimeConv must use)."""
    return PythonObject(MAX_R)


def panel_width() raises -> PythonObject:
    """Outputs per weight panel (the packing the caller must use for mlp_forward)."""
    return PythonObject(PANEL)


@export
def PyInit_motion_kernels() abi("C") -> PythonObject:
    try:
        var b = PythonModuleBuilder("motion_kernels")
        b.def_function[fk]("fk", docstring="fk(parents, rot, trans, out_rot, out_pos, (frames, joints))")
        b.def_function[mlp_forward]("mlp_forward", docstring="mlp_forward(spec, x, y, rows, scratch)")
        b.def_function[dense]("dense", docstring="dense(layer, a, rows, lda, group_rows, group_stride, y, ldy)")
        b.def_function[manifold_scratch_floats]("manifold_scratch_floats",
                                                docstring="manifold_scratch_floats(spec, rows)")
        b.def_function[manifold_decoder]("manifold_decoder", docstring="manifold_decoder(spec, io, rows)")
        b.def_function[finish]("finish", docstring="finish(spec, params, io)")
        b.def_function[style_scratch]("style_scratch", docstring="style_scratch(spec)")
        b.def_function[style_encoder]("style_encoder", docstring="style_encoder(spec, x, out, batch, scratch, eps)")
        b.def_function[phase_forward]("phase_forward", docstring="phase_forward(spec, x, y, pafb, rows, scratch)")
        b.def_function[phase_scratch_floats]("phase_scratch_floats", docstring="phase_scratch_floats(spec, rows)")
        b.def_function[conv_time]("conv_time", docstring="conv_time(descriptor, x, items, frames, y)")
        b.def_function[conv_time_channels]("conv_time_channels", docstring="output channels per convolution tile")
        b.def_function[panel_width]("panel_width", docstring="outputs per packed weight panel")
        b.def_function[sampler_scratch_floats]("sampler_scratch_floats",
                                               docstring="sampler_scratch_floats(spec, rows)")
        b.def_function[sampler_steps]("sampler_steps", docstring="sampler_steps(spec, scratch, io, rows, threads)")
        b.def_function[sampler_rollout]("sampler_rollout",
                                        docstring="sampler_rollout(spec, scratch, io, rows, frames, threads)")
        b.def_function[sampler_warmup]("sampler_warmup",
                                       docstring="sampler_warmup(spec, scratch, io, rows, frames, threads)")
        return b.finalize()
    except e:
        abort(t"motion_kernels: module init failed: {e}")
