"""Batched dense layers (GEMM) on panel-packed weights, multi-threaded with MAX's `parallelize`.

Y[r, o] = act(sum_i A(r)[i] W[i, o] + b[o]) for `rows` input rows A(r), W packed as in dense.mojo (panels of
16 to PANEL outputs, input-major). Row r of A starts at a + (r // group_rows) * group_stride + (r % group_rows) * lda:
- a linear layer: one group, lda = n_in;
- a 1-D convolution over (T, Cin) channels-last frames, one group per batch item: row t reads the K * Cin
  floats from frame t on (lda = Cin), whose flattening (k, c) is the im2col row, without copying it.

With `accumulate`, Y[r, o] = act(Y[r, o] + sum_i A(r)[i] W[i, o]) (the bias is not added): a layer whose inputs
come in two parts applied as two calls (the LSTM's W_ih x, then W_hh h) runs the same multiply-adds in the
same order as one call on the concatenated input, so the outputs are bit-identical.

Panels are 16, 32 or 64 outputs wide, at most PANEL (16 on AVX2): the narrowest that holds the layer, so a
13-channel convolution wastes no 51 of 64 lanes. Micro-kernel: R rows x one panel of W outputs (8 x 16, 4 x 32,
4 x 64: 8 to 16 AVX-512 accumulators; 6 x 16 in AVX2's sixteen 8-lane registers), so every weight vector loaded
serves R rows; the rows left over run as one narrower tile, and a single row (a GEMV) takes several panels at once
to keep 8 accumulators. The row tiles run over the inputs in blocks whose weights stay in L1. Every output's sum
runs over the inputs in order from the bias whatever the tile or block, so the results do not depend on the tile
shape. Work items are (row block, group of panels) pairs, run by `parallelize` when the layer is big enough to pay
the task hand-off; small layers run on the calling thread.
"""
from std.atomic import Atomic, Ordering
from std.math import exp, tanh
from std.memory import stack_allocation
from std.sys import simd_width_of

from max.algorithm.backend.cpu.parallelize import parallelize

from kernels.dense import ACT_ELU, ACT_NONE, ACT_RELU
from kernels.pointers import F32Ptr, I64Ptr

comptime LANES = simd_width_of[DType.float32]()  # float32 lanes of the target's SIMD registers
# the widest panel, the one every layer of the sampler is packed in: 16 outputs on AVX2, whose register tile is 16
# wide (a 16-wide slice of a 64-wide panel reads 64 of every 256 bytes, a quarter of L1's sets: 32 -> 42 GMAC/s
# measured on a 64 x 1024 x 1024 layer), 64 with AVX-512
comptime PANEL = 64 if LANES >= 16 else 16
comptime ACT_TANH = 3
comptime ACT_PLU = 4  # max(w (x + c) - c, min(w (x - c) + c, x)) with the layer's (w, c)
comptime BLOCK_ROWS = 32  # rows per work item
# below this many multiply-adds a layer runs on the calling thread: on this loaded 2-core machine handing work
# to a second thread cost ~0.5 ms at batch 1 (a 1024 x 197 layer: 33 us alone), and paid off only from about
# batch 16 of such a layer on
comptime PARALLEL_MACS = 4_000_000


@always_inline
def elu[W: Int](v: SIMD[DType.float32, W]) -> SIMD[DType.float32, W]:
    return v.gt(0).select(v, exp(min(v, 0)) - 1)


@always_inline
def activate[W: Int](acc: SIMD[DType.float32, W], act: Int, plu_w: Float32 = 1,
                 plu_c: Float32 = 0) -> SIMD[DType.float32, W]:
    if act == ACT_RELU:
        return max(acc, SIMD[DType.float32, W](0))
    if act == ACT_ELU:
        return elu[W](acc)
    if act == ACT_TANH:
        return tanh(acc)
    if act == ACT_PLU:
        var w = SIMD[DType.float32, W](plu_w)
        var c = SIMD[DType.float32, W](plu_c)
        return max(w * (acc + c) - c, min(w * (acc - c) + c, acc))
    return acc


@always_inline
def store_valid[W: Int](y: F32Ptr, v: SIMD[DType.float32, W], valid: Int):
    if valid == W:
        y.unsafe_store(0, v)
    else:
        for j in range(valid):
            y[unsafe_offset=j] = v[j]


@always_inline
def _start[W: Int](bias: SIMD[DType.float32, W], y: F32Ptr, valid: Int, accumulate: Bool) -> SIMD[DType.float32, W]:
    """An accumulator's first value: the bias, or with `accumulate` what y holds (its first `valid` lanes)."""
    if not accumulate:
        return bias
    if valid == W:
        return y.unsafe_load[width=W](0)
    var v = SIMD[DType.float32, W](0)
    for j in range(valid):
        v[j] = y[unsafe_offset=j]
    return v


@always_inline
def _row(a: F32Ptr, r: Int, lda: Int, group_rows: Int, group_stride: Int) -> F32Ptr:
    return a.unsafe_offset((r // group_rows) * group_stride + (r % group_rows) * lda)


def _tile[W: Int, R: Int](a: F32Ptr, r0: Int, lda: Int, group_rows: Int, group_stride: Int, n_in: Int, w: F32Ptr,
                          b: F32Ptr, src: F32Ptr, lds: Int, src_valid: Int, from_bias: Bool, dst: F32Ptr, ldd: Int,
                          dst_valid: Int, act: Int, plu_w: Float32, plu_c: Float32):
    """Rows r0 .. r0+R-1 (R <= 8) of one panel's W outputs: w is the panel (n_in, W), b its bias. Each row's
    sums start from the bias (`from_bias`) or from what src holds (row i at src + i * lds, its first src_valid
    lanes), and end in dst (row i at dst + i * ldd, dst_valid lanes). The accumulators are spelled out
    (acc0..acc7, only the first R used) to stay in registers."""
    var x0 = _row(a, r0 + min(0, R - 1), lda, group_rows, group_stride)
    var x1 = _row(a, r0 + min(1, R - 1), lda, group_rows, group_stride)
    var x2 = _row(a, r0 + min(2, R - 1), lda, group_rows, group_stride)
    var x3 = _row(a, r0 + min(3, R - 1), lda, group_rows, group_stride)
    var x4 = _row(a, r0 + min(4, R - 1), lda, group_rows, group_stride)
    var x5 = _row(a, r0 + min(5, R - 1), lda, group_rows, group_stride)
    var x6 = _row(a, r0 + min(6, R - 1), lda, group_rows, group_stride)
    var x7 = _row(a, r0 + min(7, R - 1), lda, group_rows, group_stride)
    var bias = b.unsafe_load[width=W](0)
    var acc0 = _start[W](bias, src, src_valid, not from_bias)
    var acc1 = bias
    var acc2 = bias
    var acc3 = bias
    var acc4 = bias
    var acc5 = bias
    var acc6 = bias
    var acc7 = bias
    comptime if R > 1:
        acc1 = _start[W](bias, src.unsafe_offset(1 * lds), src_valid, not from_bias)
    comptime if R > 2:
        acc2 = _start[W](bias, src.unsafe_offset(2 * lds), src_valid, not from_bias)
    comptime if R > 3:
        acc3 = _start[W](bias, src.unsafe_offset(3 * lds), src_valid, not from_bias)
    comptime if R > 4:
        acc4 = _start[W](bias, src.unsafe_offset(4 * lds), src_valid, not from_bias)
    comptime if R > 5:
        acc5 = _start[W](bias, src.unsafe_offset(5 * lds), src_valid, not from_bias)
    comptime if R > 6:
        acc6 = _start[W](bias, src.unsafe_offset(6 * lds), src_valid, not from_bias)
    comptime if R > 7:
        acc7 = _start[W](bias, src.unsafe_offset(7 * lds), src_valid, not from_bias)
    var wp = w
    for i in range(n_in):
        var wv = wp.unsafe_load[width=W](0)
        acc0 = wv.fma(SIMD[DType.float32, W](x0[unsafe_offset=i]), acc0)
        comptime if R > 1:
            acc1 = wv.fma(SIMD[DType.float32, W](x1[unsafe_offset=i]), acc1)
        comptime if R > 2:
            acc2 = wv.fma(SIMD[DType.float32, W](x2[unsafe_offset=i]), acc2)
        comptime if R > 3:
            acc3 = wv.fma(SIMD[DType.float32, W](x3[unsafe_offset=i]), acc3)
        comptime if R > 4:
            acc4 = wv.fma(SIMD[DType.float32, W](x4[unsafe_offset=i]), acc4)
        comptime if R > 5:
            acc5 = wv.fma(SIMD[DType.float32, W](x5[unsafe_offset=i]), acc5)
        comptime if R > 6:
            acc6 = wv.fma(SIMD[DType.float32, W](x6[unsafe_offset=i]), acc6)
        comptime if R > 7:
            acc7 = wv.fma(SIMD[DType.float32, W](x7[unsafe_offset=i]), acc7)
        wp = wp.unsafe_offset(W)
    store_valid[W](dst, activate[W](acc0, act, plu_w, plu_c), dst_valid)
    comptime if R > 1:
        store_valid[W](dst.unsafe_offset(1 * ldd), activate[W](acc1, act, plu_w, plu_c), dst_valid)
    comptime if R > 2:
        store_valid[W](dst.unsafe_offset(2 * ldd), activate[W](acc2, act, plu_w, plu_c), dst_valid)
    comptime if R > 3:
        store_valid[W](dst.unsafe_offset(3 * ldd), activate[W](acc3, act, plu_w, plu_c), dst_valid)
    comptime if R > 4:
        store_valid[W](dst.unsafe_offset(4 * ldd), activate[W](acc4, act, plu_w, plu_c), dst_valid)
    comptime if R > 5:
        store_valid[W](dst.unsafe_offset(5 * ldd), activate[W](acc5, act, plu_w, plu_c), dst_valid)
    comptime if R > 6:
        store_valid[W](dst.unsafe_offset(6 * ldd), activate[W](acc6, act, plu_w, plu_c), dst_valid)
    comptime if R > 7:
        store_valid[W](dst.unsafe_offset(7 * ldd), activate[W](acc7, act, plu_w, plu_c), dst_valid)


def _row_panels[W: Int, G: Int](a: F32Ptr, r: Int, lda: Int, group_rows: Int, group_stride: Int, n_in: Int,
                                w: F32Ptr, b: F32Ptr, y: F32Ptr, ldy: Int, valid: Int, act: Int, plu_w: Float32,
                                plu_c: Float32, accumulate: Bool):
    """One row (a GEMV) over G consecutive panels (w the first, b and y at its first output): G * W outputs in one
    pass over the inputs, enough accumulators to hide the FMA latency however narrow the panels."""
    comptime N = G * W
    var x = _row(a, r, lda, group_rows, group_stride)
    var acc = _start[N](b.unsafe_load[width=N](0), y.unsafe_offset(r * ldy), valid, accumulate)
    var wp = w
    for i in range(n_in):
        var wv = SIMD[DType.float32, N](0)
        comptime for g in range(G):
            wv = wv.insert[offset=g * W](wp.unsafe_load[width=W](g * n_in * W))
        acc = wv.fma(SIMD[DType.float32, N](x[unsafe_offset=i]), acc)
        wp = wp.unsafe_offset(W)
    store_valid[N](y.unsafe_offset(r * ldy), activate[N](acc, act, plu_w, plu_c), valid)


@always_inline
def _tiles_k[W: Int, R: Int, KC: Int](a: F32Ptr, r_from: Int, r_to: Int, lda: Int, group_rows: Int,
                                      group_stride: Int, n_in: Int, w: F32Ptr, b: F32Ptr, y: F32Ptr, ldy: Int,
                                      valid: Int, act: Int, plu_w: Float32, plu_c: Float32, accumulate: Bool,
                                      part: F32Ptr):
    """Rows r_from .. r_to (a multiple of R apart) of one panel (w, b, y at its first output), the inputs in blocks
    of KC: every R-row tile of a block runs before the next block, so the block's KC x W weights are read from L1
    by all the tiles instead of streaming the whole panel from L2 per tile. Between blocks the partial sums wait
    in `part` (W floats a row: whole vectors, where y's last panel may hold fewer outputs), and the activation
    waits for the last block, so each output's sum runs over the inputs in the same order as in one pass
    (bit-identical)."""
    var k0 = 0
    while k0 < n_in:
        var kn = min(KC, n_in - k0)
        var first = k0 == 0
        var last = k0 + kn == n_in
        var r = r_from
        while r < r_to:
            var yr = y.unsafe_offset(r * ldy)
            var pr = part.unsafe_offset((r - r_from) * W)
            _tile[W, R](a.unsafe_offset(k0), r, lda, group_rows, group_stride, kn, w.unsafe_offset(k0 * W), b,
                        yr if first else pr, ldy if first else W, valid if first else W, first and not accumulate,
                        yr if last else pr, ldy if last else W, valid if last else W, act if last else ACT_NONE,
                        plu_w, plu_c)
            r += R
        k0 += kn


def _panels_per_item(panel: Int) -> Int:
    """Enough panels for a single row's GEMV to keep 8 vector accumulators (AVX2's 16-wide panels four at a time)."""
    return max(1, (8 * LANES) // panel)


def gemm_items(rows: Int, panel: Int, n_panels: Int) -> Int:
    """A layer's work items: (block of BLOCK_ROWS rows, group of panels) pairs."""
    var g = _panels_per_item(panel)
    return ((rows + BLOCK_ROWS - 1) // BLOCK_ROWS) * ((n_panels + g - 1) // g)


def _block[W: Int, R: Int](a: F32Ptr, rows: Int, lda: Int, group_rows: Int, group_stride: Int, n_in: Int,
                           w: F32Ptr, b: F32Ptr, n_panels: Int, n_out: Int, y: F32Ptr, ldy: Int, act: Int,
                           plu_w: Float32, plu_c: Float32, item: Int, accumulate: Bool):
    """Work item `item`: one group of panels over one block of rows (`gemm_items`)."""
    comptime G = _panels_per_item(W)
    var n_groups = (n_panels + G - 1) // G
    var p0 = (item % n_groups) * G
    var n_here = min(G, n_panels - p0)
    var r0 = (item // n_groups) * BLOCK_ROWS
    var r1 = min(r0 + BLOCK_ROWS, rows)
    # rows in tiles of RT (R where the SIMD registers hold R x W accumulators: AVX-512's 32 x 16 lanes; AVX2's
    # sixteen 8-lane registers 6 x 16: 12 accumulators, 2 weight vectors, 1 broadcast), the 2 .. RT-1 rows left
    # over in one narrower tile, a last single row (and a GEMV) over the whole group in one pass
    comptime RT = R if LANES >= 16 else max(1, (12 * LANES) // W)
    comptime KC = 16384 // (W * 4)  # inputs per block: 16 KB of a panel's weights, half of L1
    var r_tiles = r0 + (r1 - r0) // RT * RT
    var left = r1 - r_tiles
    comptime if RT == 6:  # a 2-row tile takes as long per input as a 4-row one (its 4 accumulators wait on the FMA
        if left == 2 and r_tiles > r0:  # latency): the last 6 + 2 rows run as 4 + 4
            r_tiles -= RT
            left = 8
    var part = F32Ptr(unsafe_from_address=Int(stack_allocation[BLOCK_ROWS * W, DType.float32, alignment=64]()))
    for p in range(p0, p0 + n_here):
        var wp = w.unsafe_offset(p * n_in * W)
        var bp = b.unsafe_offset(p * W)
        var yp = y.unsafe_offset(p * W)
        var valid = min(W, n_out - p * W)
        _tiles_k[W, RT, KC](a, r0, r_tiles, lda, group_rows, group_stride, n_in, wp, bp, yp, ldy, valid, act,
                            plu_w, plu_c, accumulate, part)
        comptime for n in range(2, RT):
            if left == n:
                _tiles_k[W, n, KC](a, r_tiles, r1, lda, group_rows, group_stride, n_in, wp, bp, yp, ldy, valid, act,
                                   plu_w, plu_c, accumulate, part)
        comptime if RT == 6:
            if left == 8:
                _tiles_k[W, 4, KC](a, r_tiles, r1, lda, group_rows, group_stride, n_in, wp, bp, yp, ldy, valid, act,
                                   plu_w, plu_c, accumulate, part)
    if left == 1:  # the group's panels in chunks of a power of two (SIMD widths are)
        var p = p0
        comptime for j in range(4):
            comptime n = G >> j
            comptime if n >= 1:
                if p + n <= p0 + n_here:
                    _row_panels[W, n](a, r_tiles, lda, group_rows, group_stride, n_in, w.unsafe_offset(p * n_in * W),
                                      b.unsafe_offset(p * W), y.unsafe_offset(p * W), ldy, min(n * W, n_out - p * W),
                                      act, plu_w, plu_c, accumulate)
                    p += n


def _gemm[W: Int, R: Int](a: F32Ptr, rows: Int, lda: Int, group_rows: Int, group_stride: Int, n_in: Int, w: F32Ptr,
                          b: F32Ptr, n_panels: Int, n_out: Int, y: F32Ptr, ldy: Int, act: Int, plu_w: Float32,
                          plu_c: Float32, workers: Int, accumulate: Bool):
    var items = gemm_items(rows, W, n_panels)
    if workers < 2 or items < 2 or rows * n_in * n_panels * W < PARALLEL_MACS:
        for item in range(items):
            _block[W, R](a, rows, lda, group_rows, group_stride, n_in, w, b, n_panels, n_out, y, ldy, act, plu_w,
                         plu_c, item, accumulate)
        return

    # the threads claim items as they come (an atomic counter), not in fixed chunks: items differ in size (the last
    # row block, the last group of panels) and a fixed split left one thread waiting for the other
    var counters = I64Ptr(unsafe_from_address=Int(stack_allocation[2, DType.int64, alignment=64]()))
    counters[unsafe_offset=0] = 0
    counters[unsafe_offset=1] = 0
    var threads = min(workers, items)

    def work(i: Int) {var a, var rows, var lda, var group_rows, var group_stride, var n_in, var w, var b,
                      var n_panels, var n_out, var y, var ldy, var act, var plu_w, var plu_c, var counters,
                      var accumulate}:
        _gemm_claimed[W, R](a, rows, lda, group_rows, group_stride, n_in, w, b, n_panels, n_out, y, ldy, act, plu_w,
                            plu_c, counters, counters.unsafe_offset(1), accumulate)

    parallelize(work, threads, threads)


def row_shares(rows: Int, threads: Int, macs_per_row: Int) -> Int:
    """Threads a whole network call runs on, each on its own share of the rows through every layer (one hand-off
    per call instead of one per layer; `share_rows`): all `threads` once the call's multiply-adds pay the hand-off
    (PARALLEL_MACS), else 1 (and the layers alone decide, gemm_panels)."""
    if threads < 2 or rows < 2 or rows * macs_per_row < PARALLEL_MACS:
        return 1
    return min(threads, rows)


def share_rows(i: Int, shares: Int, rows: Int) -> Tuple[Int, Int]:
    """Share i of `shares` (row_shares): rows [first, end), as even as they come (a share's leftover rows run as
    one narrower tile, so rounding shares to whole tiles would only unbalance them)."""
    var chunk = (rows + shares - 1) // shares
    return (min(i * chunk, rows), min((i + 1) * chunk, rows))


def gemm_panels(a: F32Ptr, rows: Int, lda: Int, group_rows: Int, group_stride: Int, n_in: Int, w: F32Ptr,
                b: F32Ptr, panel: Int, n_panels: Int, n_out: Int, y: F32Ptr, ldy: Int, act: Int, workers: Int,
                plu_w: Float32 = 1, plu_c: Float32 = 0, accumulate: Bool = False):
    """Y[r, 0:n_out] = act(A(r) W + b) for r < rows (see the module docstring); y's row stride is ldy.
    W is packed in panels of `panel` (16, 32 or 64) outputs; at most `workers` threads; (plu_w, plu_c) are
    ACT_PLU's parameters; `accumulate`: add to what y holds instead of the bias (module docstring)."""
    if panel == 16:
        _gemm[16, 8](a, rows, lda, group_rows, group_stride, n_in, w, b, n_panels, n_out, y, ldy, act, plu_w, plu_c,
                     workers, accumulate)
    elif panel == 32:
        _gemm[32, 4](a, rows, lda, group_rows, group_stride, n_in, w, b, n_panels, n_out, y, ldy, act, plu_w, plu_c,
                     workers, accumulate)
    else:
        _gemm[64, 4](a, rows, lda, group_rows, group_stride, n_in, w, b, n_panels, n_out, y, ldy, act, plu_w, plu_c,
                     workers, accumulate)


def _gemm_claimed[W: Int, R: Int](a: F32Ptr, rows: Int, lda: Int, group_rows: Int, group_stride: Int, n_in: Int,
                                  w: F32Ptr, b: F32Ptr, n_panels: Int, n_out: Int, y: F32Ptr, ldy: Int, act: Int,
                                  plu_w: Float32, plu_c: Float32, claim: I64Ptr, done: I64Ptr, accumulate: Bool):
    var items = gemm_items(rows, W, n_panels)
    while True:
        var item = Int(Atomic[Int64].fetch_add(claim, 1))
        if item >= items:
            return
        _block[W, R](a, rows, lda, group_rows, group_stride, n_in, w, b, n_panels, n_out, y, ldy, act, plu_w, plu_c,
                     item, accumulate)
        _ = Atomic[Int64].fetch_add(done, 1)


def team_open(opened: I64Ptr, member: Int, stage: Int):
    """A team's shared layer `stage` (counted from 0): the leader (member 0) opens it once its inputs are ready; any
    other member waits until the leader has. With gemm_claimed and team_wait this is the protocol of a team of
    threads sharing a chain of layers (kernels/sampler.mojo, kernels/style.mojo)."""
    if member == 0:
        Atomic[Int64].store[ordering=Ordering.RELEASE](opened, Int64(stage + 1))
    else:
        while Atomic[Int64].load[ordering=Ordering.ACQUIRE](opened) <= Int64(stage):
            pass


def team_wait(done: I64Ptr, member: Int, items: Int):
    """The leader (member 0) waits until `items` work items of the layer are done (it reads the outputs next); the
    other members go on to the next layer."""
    if member == 0:
        while Atomic[Int64].load[ordering=Ordering.ACQUIRE](done) < Int64(items):
            pass


def gemm_claimed(a: F32Ptr, rows: Int, lda: Int, group_rows: Int, group_stride: Int, n_in: Int, w: F32Ptr,
                 b: F32Ptr, panel: Int, n_panels: Int, n_out: Int, y: F32Ptr, ldy: Int, act: Int, claim: I64Ptr,
                 done: I64Ptr, plu_w: Float32 = 1, plu_c: Float32 = 0, accumulate: Bool = False):
    """gemm_panels' work items (row block, panel), shared by a team of threads that each call this: an item goes
    to whoever claims it first from the counter `claim` (atomic), and `done` counts the finished ones, so a thread
    that needs the outputs waits for done == work_items(rows) and no thread ever waits for another to start. Each
    item's arithmetic is gemm_panels', whoever runs it (rows grouped as there: a linear layer is one group)."""
    if panel == 16:
        _gemm_claimed[16, 8](a, rows, lda, group_rows, group_stride, n_in, w, b, n_panels, n_out, y, ldy, act,
                             plu_w, plu_c, claim, done, accumulate)
    elif panel == 32:
        _gemm_claimed[32, 4](a, rows, lda, group_rows, group_stride, n_in, w, b, n_panels, n_out, y, ldy, act,
                             plu_w, plu_c, claim, done, accumulate)
    else:
        _gemm_claimed[64, 4](a, rows, lda, group_rows, group_stride, n_in, w, b, n_panels, n_out, y, ldy, act,
                             plu_w, plu_c, claim, done, accumulate)


def blend_experts(alpha: F32Ptr, stacked: F32Ptr, experts: Int, n_out: Int, y: F32Ptr, act: Int):
    """Y[o] = act(sum_e alpha[e] stacked[e * n_out + o]) for o < n_out: one row of a mixture-of-experts layer
    whose E experts were applied as one GEMM over the experts stacked along the outputs (sum_e alpha_e (W_e x
    + b_e), as the torch reference). Summed in expert order from zero, vectorised over the outputs."""
    comptime W = 16
    var o = 0
    while o + W <= n_out:
        var acc = SIMD[DType.float32, W](0)
        for e in range(experts):
            acc = acc + SIMD[DType.float32, W](alpha[unsafe_offset=e]) * stacked.unsafe_load[width=W](e * n_out + o)
        y.unsafe_store(o, activate[W](acc, act))
        o += W
    while o < n_out:
        var acc = SIMD[DType.float32, 1](0)
        for e in range(experts):
            acc = acc + alpha[unsafe_offset=e] * stacked[unsafe_offset=e * n_out + o]
        y[unsafe_offset=o] = activate[1](acc, act)[0]
        o += 1


@fieldwise_init
struct PackedLayer(Copyable, Movable):
    """A dense layer packed as panels of `panel` outputs (inference/backends/mojo/dense.py `pack_panels`)."""

    var n_in: Int
    var n_out: Int
    var panel: Int
    var n_panels: Int
    var w: F32Ptr
    var b: F32Ptr

    @staticmethod
    def read(descriptor: Int) -> PackedLayer:
        """From a PackedDense descriptor: int64 [n_in, n_out, panel width, n_panels, &weight_panels,
        &bias_padded, ...]."""
        var d = I64Ptr(unsafe_from_address=descriptor)
        return PackedLayer(Int(d[unsafe_offset=0]), Int(d[unsafe_offset=1]), Int(d[unsafe_offset=2]),
                           Int(d[unsafe_offset=3]), F32Ptr(unsafe_from_address=Int(d[unsafe_offset=4])),
                           F32Ptr(unsafe_from_address=Int(d[unsafe_offset=5])))

    def apply(self, x: F32Ptr, ldx: Int, rows: Int, y: F32Ptr, ldy: Int, act: Int, threads: Int,
              plu_w: Float32 = 1, plu_c: Float32 = 0, accumulate: Bool = False):
        """Rows x[r * ldx :] -> y[r * ldy :] for r < rows: one GEMM, each weight panel streamed once per
        micro-kernel's rows (a GEMV at batch 1)."""
        gemm_panels(x, rows, ldx, rows, 0, self.n_in, self.w, self.b, self.panel, self.n_panels, self.n_out, y, ldy,
                    act, threads, plu_w, plu_c, accumulate)

    def work_items(self, rows: Int) -> Int:
        """The work items of `rows` rows (what gemm_claimed's `done` counts up to)."""
        return gemm_items(rows, self.panel, self.n_panels)

    def apply_claimed(self, x: F32Ptr, ldx: Int, rows: Int, y: F32Ptr, ldy: Int, act: Int, claim: I64Ptr,
                      done: I64Ptr, plu_w: Float32 = 1, plu_c: Float32 = 0, accumulate: Bool = False):
        """`apply` by a team of threads (gemm_claimed)."""
        gemm_claimed(x, rows, ldx, rows, 0, self.n_in, self.w, self.b, self.panel, self.n_panels, self.n_out, y, ldy,
                     act, claim, done, plu_w, plu_c, accumulate)

    def frames(self, x: F32Ptr, c_in: Int, t_in: Int, t_out: Int, items: Int, y: F32Ptr, act: Int, threads: Int):
        """The 1-D convolution (an im2col layer: inputs (k, c_in)) over `items` channels-last sequences of t_in
        frames at x, each giving t_out frames, into y ((items * t_out, n_out) rows)."""
        gemm_panels(x, items * t_out, c_in, t_out, t_in * c_in, self.n_in, self.w, self.b, self.panel, self.n_panels,
                    self.n_out, y, self.n_out, act, threads)

    def frames_claimed(self, x: F32Ptr, c_in: Int, t_in: Int, t_out: Int, y: F32Ptr, act: Int, claim: I64Ptr,
                       done: I64Ptr):
        """`frames` of one sequence by a team of threads (gemm_claimed)."""
        gemm_claimed(x, t_out, c_in, t_out, t_in * c_in, self.n_in, self.w, self.b, self.panel, self.n_panels,
                     self.n_out, y, self.n_out, act, claim, done)
