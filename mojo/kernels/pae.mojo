"""The periodic autoencoder (deephase.PAE.forward, max-mojo's "rsmt_phase") in one call from Python.

x (B, 3J, T) -> conv1, conv2 (tanh; BatchNorm folded in) -> latent (M channels) -> per latent channel: the real
DFT's power spectrum -> frequency, amplitude and offset; the two per-channel FCs and their BatchNorm -> phase
(atan2); the periodic signal a sin(2 pi (f t + p)) + b -> deconv1 (tanh), deconv2 -> y (B, 3J, T).

Why one call, channels-first: the four 61-tap convolutions run with time on the SIMD lanes (kernels.conv_time),
reading and writing channels-first sequences as the torch module lays them out, so x and y need no transpose
and no convolution waits on numpy in between. A batch worth two threads is split between them in blocks of
BLOCK_ITEMS items, each claimed by the first free thread and run through the whole network, its activations in L2.
The middle's sums run in float64 over the float32 tables, weights and latents; its outputs are float32.
"""
from std.atomic import Atomic
from std.collections import Array
from std.math import atan2, floor, pi, sin, sqrt
from std.memory import stack_allocation
from std.sys import simd_width_of

from kernels.conv_time import Seqs, TimeConv, copy_frames, padded_lead, padded_row
from kernels.gemm import row_shares
from kernels.pointers import F32Ptr, I64Ptr

from max.algorithm.backend.cpu.parallelize import parallelize

comptime D = simd_width_of[DType.float64]()  # float64 lanes of the middle's sums
comptime KV = 4  # float64 vectors of frequencies summed at a time (the spectrum's KP: a multiple of KV x D)
comptime TWO_PI = 2.0 * pi
comptime BLOCK_ITEMS = 4  # items a thread runs through the network at a time (~150 KB of activations for J = 13)
comptime CONVS = 4  # conv1, conv2, deconv1, deconv2
comptime HEADER = 4  # spec: [threads, T, M, KP], then CONVS TimeConv descriptors and the middle's tables
# the middle's tables (float32): dft (T, 2, KP: cos | sin, frequencies padded to KP with zeros), freqs (KP: 0, then
# the K - 1 frequencies, then zeros), args (T), fc0 w (M, T), fc0 b (M), fc1 w (M, T), fc1 b (M), bn scale (M, 2),
# bn shift (M, 2), scalars (tpi, time_scale)
comptime TABLES = 10


struct Pae(Movable):
    """The network's sizes and layers, read from a spec (see pae_forward)."""

    var threads: Int
    var t: Int
    var m: Int
    var kp: Int
    var convs: List[TimeConv]
    var tables: List[F32Ptr]
    var row: Int  # floats per channel row of a sequence buffer
    var lead: Int  # floats before frame 0

    def __init__(out self, spec: I64Ptr) raises:
        self.threads = Int(spec[unsafe_offset=0])
        self.t = Int(spec[unsafe_offset=1])
        self.m = Int(spec[unsafe_offset=2])
        self.kp = Int(spec[unsafe_offset=3])
        if self.kp % (KV * D) != 0 or self.kp < self.t // 2 + 1:
            raise Error(t"pae spec: {self.kp} padded frequencies for {self.t} frames (a multiple of {KV * D} wanted)")
        self.convs = List[TimeConv]()
        for i in range(CONVS):
            self.convs.append(TimeConv.read(Int(spec[unsafe_offset=HEADER + i])))
        self.tables = List[F32Ptr]()
        for i in range(TABLES):
            self.tables.append(F32Ptr(unsafe_from_address=Int(spec[unsafe_offset=HEADER + CONVS + i])))
        var c_in = self.convs[0].c_in
        for i in range(CONVS):
            self.convs[i].check()
            var n_in = self.convs[i].c_in
            if n_in != (c_in if i == 0 else self.convs[i - 1].c_out) or self.convs[i].pad != self.convs[0].pad:
                raise Error(t"pae spec: convolution {i} ({n_in} inputs, padding {self.convs[i].pad}) does not follow"
                            t" the one before")
        if self.convs[1].c_out != self.m or self.convs[3].c_out != c_in:
            raise Error(t"pae spec: {self.convs[1].c_out} latent channels for {self.m} phases, or {c_in} inputs "
                        t"for {self.convs[3].c_out} outputs")
        self.lead = padded_lead(self.convs[0].pad)
        self.row = padded_row(self.t, self.convs[0].taps, self.convs[0].pad)

    def buffer_rows(self) -> Int:
        """Channel rows per item of a thread's buffers: the input, conv1's, the latent, the signal, deconv1's."""
        return self.convs[0].c_in + self.convs[0].c_out + 2 * self.m + self.convs[2].c_out

    def shares(self, rows: Int) -> Int:
        """Threads a call over `rows` items runs on: all once its multiply-adds pay the hand-off (gemm.row_shares)."""
        var macs = 0
        for i in range(CONVS):
            macs += self.convs[i].c_in * self.convs[i].c_out * self.convs[i].taps * self.t
        return row_shares(rows, self.threads, macs)

    def scratch_floats(self, rows: Int) -> Int:
        """Floats of scratch a call over `rows` items needs: each thread's buffers for a block of items."""
        return self.shares(rows) * min(BLOCK_ITEMS, rows) * self.buffer_rows() * self.row


def pae_scratch_floats(spec: I64Ptr, rows: Int) raises -> Int:
    """Floats of scratch pae_forward needs over `rows` items (also validates the spec: raises on a bad one)."""
    return Pae(spec).scratch_floats(rows)


def pae_forward(spec: I64Ptr, x: F32Ptr, y: F32Ptr, pafb: F32Ptr, rows: Int, scratch: F32Ptr) raises:
    """x (rows, 3J, T) -> y (rows, 3J, T) and pafb (4, rows, M): phase, amplitude, frequency, offset; scratch of
    pae_scratch_floats(spec, rows) floats.

    spec (int64): [threads, T, M, KP, then the addresses of the four TimeConv descriptors (conv1, conv2, deconv1,
    deconv2) and of the middle's TABLES tables]."""
    var pae = Pae(spec)
    var shares = pae.shares(rows)
    var per_thread = pae.scratch_floats(rows) // shares
    var claim = I64Ptr(unsafe_from_address=Int(stack_allocation[1, DType.int64, alignment=64]()))
    claim[unsafe_offset=0] = 0
    if shares < 2:
        _forward_claimed(pae, x, y, pafb, rows, scratch, claim)
        return
    var network = Pointer(to=pae)

    def work(i: Int) {var network, var x, var y, var pafb, var rows, var per_thread, var scratch, var claim}:
        _forward_claimed(network[], x, y, pafb, rows, scratch.unsafe_offset(i * per_thread), claim)

    parallelize(work, shares, shares)


def _forward_claimed(pae: Pae, x: F32Ptr, y: F32Ptr, pafb: F32Ptr, rows: Int, scratch: F32Ptr, claim: I64Ptr):
    """Blocks of BLOCK_ITEMS items, each run by the thread that claims it first from the counter `claim` (atomic):
    a thread slowed by other work on its core runs fewer (as the GEMM's work items, kernels.gemm). The blocks go
    through buffers at scratch whose rows are zero outside their frames (zeroed here, then only frames are
    written)."""
    var c_in = pae.convs[0].c_in
    var item = pae.buffer_rows() * pae.row
    for i in range(min(BLOCK_ITEMS, rows) * item):
        scratch[unsafe_offset=i] = 0
    var channels = [c_in, pae.convs[0].c_out, pae.m, pae.m, pae.convs[2].c_out]
    var buffers = List[Seqs]()  # input, conv1's, latent, signal, deconv1's
    var offset = 0
    for b in range(len(channels)):
        buffers.append(Seqs(scratch.unsafe_offset(offset), item, pae.row, pae.lead))
        offset += channels[b] * pae.row
    var t = pae.t
    while True:
        var i0 = Int(Atomic[Int64].fetch_add(claim, 1)) * BLOCK_ITEMS
        if i0 >= rows:
            return
        var n = min(BLOCK_ITEMS, rows - i0)
        copy_frames(x.unsafe_offset(i0 * c_in * t), n, c_in, t, buffers[0])
        pae.convs[0].apply(buffers[0], n, t, buffers[1])
        pae.convs[1].apply(buffers[1], n, t, buffers[2])
        for i in range(n):
            _middle(pae, buffers[2], buffers[3], i, pafb, i0 + i, rows)
        pae.convs[2].apply(buffers[3], n, t, buffers[4])
        pae.convs[3].apply(buffers[4], n, t, Seqs(y.unsafe_offset(i0 * c_in * t), c_in * t, t, 0))


@always_inline
def _f64(p: F32Ptr, i: Int) -> Float64:
    return p[unsafe_offset=i].cast[DType.float64]()


@always_inline
def _dot(x: F32Ptr, w: F32Ptr, n: Int, start: Float64) -> Float64:
    """start + sum_t x[t] w[t] over t < n, in float64."""
    var acc = SIMD[DType.float64, D](0)
    var i = 0
    while i + D <= n:
        acc = x.unsafe_load[width=D](i).cast[DType.float64]().fma(w.unsafe_load[width=D](i).cast[DType.float64](),
                                                                   acc)
        i += D
    var total = start + acc.reduce_add()
    while i < n:
        total += _f64(x, i) * _f64(w, i)
        i += 1
    return total


def _middle(pae: Pae, latent: Seqs, signal: Seqs, i: Int, pafb: F32Ptr, r: Int, rows: Int):
    """Item i of the latent -> its signal, and pafb's row r."""
    var t_len = pae.t
    var m = pae.m
    var kp = pae.kp
    var dft = pae.tables[0]
    var freqs = pae.tables[1]
    var args = pae.tables[2]
    var fc0_w = pae.tables[3]
    var fc0_b = pae.tables[4]
    var fc1_w = pae.tables[5]
    var fc1_b = pae.tables[6]
    var bn_scale = pae.tables[7]
    var bn_shift = pae.tables[8]
    var tpi = _f64(pae.tables[9], 0)
    var time_scale = _f64(pae.tables[9], 1)
    var lane = SIMD[DType.float64, D]()
    for j in range(D):
        lane[j] = Float64(j)
    for c in range(m):
        var x = latent.at(i, c, 0)
        var power_sum = 0.0
        var weighted = 0.0
        var offset = 0.0
        # the spectrum KV x D frequencies at a time: re (cos) and im (sin) over the frames, 2 KV sums in flight
        for k0 in range(0, kp, KV * D):
            var re = Array[SIMD[DType.float64, D], KV](fill=0)
            var im = Array[SIMD[DType.float64, D], KV](fill=0)
            for f in range(t_len):
                var v = SIMD[DType.float64, D](_f64(x, f))
                var table = dft.unsafe_offset(f * 2 * kp + k0)
                comptime for j in range(KV):
                    re[j] = v.fma(table.unsafe_load[width=D](j * D).cast[DType.float64](), re[j])
                    im[j] = v.fma(table.unsafe_load[width=D](kp + j * D).cast[DType.float64](), im[j])
            if k0 == 0:
                offset = re[0][0]
            comptime for j in range(KV):
                var k = lane + Float64(k0 + j * D)
                var power = k.gt(0).select(re[j] * re[j] + im[j] * im[j], 0)  # frequency 0 is the offset
                power_sum += power.reduce_add()
                weighted += (freqs.unsafe_load[width=D](k0 + j * D).cast[DType.float64]() * power).reduce_add()
        var v0 = _dot(x, fc0_w.unsafe_offset(c * t_len), t_len, _f64(fc0_b, c))
        var v1 = _dot(x, fc1_w.unsafe_offset(c * t_len), t_len, _f64(fc1_b, c))
        v0 = v0 * _f64(bn_scale, 2 * c) + _f64(bn_shift, 2 * c)
        v1 = v1 * _f64(bn_scale, 2 * c + 1) + _f64(bn_shift, 2 * c + 1)
        var phase = atan2(v1, v0) / tpi
        var amp = 2.0 * sqrt(power_sum) / Float64(t_len)
        var freq = weighted / power_sum / time_scale
        var bias = offset / Float64(t_len)
        pafb[unsafe_offset=(0 * rows + r) * m + c] = phase.cast[DType.float32]()
        pafb[unsafe_offset=(1 * rows + r) * m + c] = amp.cast[DType.float32]()
        pafb[unsafe_offset=(2 * rows + r) * m + c] = freq.cast[DType.float32]()
        pafb[unsafe_offset=(3 * rows + r) * m + c] = bias.cast[DType.float32]()
        var y = signal.at(i, c, 0)
        var f = 0
        while f + D <= t_len:
            y.unsafe_store(f, _wave[D](args, f, amp, freq, phase, bias, tpi))
            f += D
        while f < t_len:
            y[unsafe_offset=f] = _wave[1](args, f, amp, freq, phase, bias, tpi)[0]
            f += 1


@always_inline
def _wave[N: Int](args: F32Ptr, f: Int, amp: Float64, freq: Float64, phase: Float64, bias: Float64,
                  tpi: Float64) -> SIMD[DType.float32, N]:
    """The signal amp sin(tpi (freq args[t] + phase)) + bias at frames f .. f + N - 1: the angle reduced to
    [-pi, pi] in float64, its sine in float32 (vectorised; float64's is a libm call per frame, ~9 ns)."""
    var angle = tpi * (freq * args.unsafe_load[width=N](f).cast[DType.float64]() + phase)
    angle -= floor(angle / TWO_PI + 0.5) * TWO_PI
    return (amp * sin(angle.cast[DType.float32]()).cast[DType.float64]() + bias).cast[DType.float32]()
