"""Same-padded 1-D convolutions with the time axis on the SIMD lanes, over channels-first sequences (the PAE's
61-tap convolutions, kernels/pae.mojo).

Why not the GEMM over channels-last frames (kernels.gemm, as the style network's convolutions): there the lanes
hold output channels, and the PAE's 13, 39 and 5 channels fill 16- and 64-lane panels only to 81, 61 and 31 %;
and a 61-tap convolution over 61 frames padded by 30 multiplies a quarter of its taps by the padding's zeros.
Here a vector holds W consecutive output frames of one channel (61 frames: 8 x 8 lanes, 95 % full). The
register tile is R output channels x V such vectors (V batch items at the same frames; at the batch's end or for
one item, frame windows of one item), each input vector loaded once per tap and input channel and each weight
broadcast once; a tile runs only the taps that reach a frame for one of its vectors (79 % of them at W = 8).

A sequence buffer (`Seqs`) holds channel c of item i at p + i * item + c * row, frame t at lead + t; a layer's
input rows must be zero outside their frames (they are the padding: `padded_row` sizes them), its outputs
are written to their frames only.
"""
from std.collections import Array
from std.memory import stack_allocation
from std.sys import simd_width_of

from kernels.gemm import activate, store_valid
from kernels.pointers import F32Ptr, I64Ptr

# frames per vector: 8 (AVX2's width) even with AVX-512's 16 lanes, where this project's Zen 4 runs a 16-lane FMA as
# two 8-lane halves anyway: 8-frame windows skip more of the taps that read only padding (79 % of them run, not
# 86 %): the PAE's convolutions 6 % faster at batch 64, 12 % at batch 1 (measured on this machine)
comptime W = min(simd_width_of[DType.float32](), 8)
comptime REGISTERS = 32 if simd_width_of[DType.float32]() >= 16 else 16  # vector registers: AVX-512's, or AVX2's
# the most output channels of a tile: R x 2 accumulators, 2 input vectors and a broadcast weight in the registers
comptime MAX_R = (REGISTERS - 4) // 2


@fieldwise_init
struct Seqs(Copyable, Movable):
    """Channels-first sequences: frame t of channel c of item i at p[i * item + c * row + lead + t]."""

    var p: F32Ptr
    var item: Int
    var row: Int
    var lead: Int

    def at(self, i: Int, c: Int, t: Int) -> F32Ptr:
        return self.p.unsafe_offset(i * self.item + c * self.row + self.lead + t)


def padded_lead(pad: Int) -> Int:
    """Floats before frame 0 in a padded row: the padding, rounded up to whole vectors (aligned frame windows)."""
    return (pad + W - 1) // W * W


def padded_row(t_len: Int, taps: Int, pad: Int) -> Int:
    """Floats per row of a convolution's input: padded_lead(pad), then every float a tile may read (up to
    taps - 1 past the end of the last frame window, from pad before frame 0), in whole vectors."""
    var windows = (t_len + W - 1) // W
    return (padded_lead(pad) - pad + windows * W + taps - 1 + W - 1) // W * W


def copy_frames(x: F32Ptr, items: Int, channels: Int, t_len: Int, dst: Seqs):
    """Dense (items, channels, t_len) sequences at x -> the frames of dst."""
    for i in range(items):
        for c in range(channels):
            var src = x.unsafe_offset((i * channels + c) * t_len)
            var row = dst.at(i, c, 0)
            for f in range(t_len):
                row[unsafe_offset=f] = src[unsafe_offset=f]


@fieldwise_init
struct TimeConv(Copyable, Movable):
    """A packed convolution (inference/backends/mojo/networks.py `TimeConv`): output channels in `groups` tiles
    of r, weights (groups, c_in, taps, r) (zero past c_out), bias (groups * r)."""

    var c_in: Int
    var c_out: Int
    var taps: Int
    var pad: Int
    var r: Int
    var groups: Int
    var w: F32Ptr
    var b: F32Ptr
    var act: Int

    @staticmethod
    def read(descriptor: Int) -> TimeConv:
        """From a descriptor, int64 [c_in, c_out, taps, pad, r, groups, &weights, &bias, activation]."""
        var d = I64Ptr(unsafe_from_address=descriptor)
        return TimeConv(Int(d[unsafe_offset=0]), Int(d[unsafe_offset=1]), Int(d[unsafe_offset=2]),
                        Int(d[unsafe_offset=3]), Int(d[unsafe_offset=4]), Int(d[unsafe_offset=5]),
                        F32Ptr(unsafe_from_address=Int(d[unsafe_offset=6])),
                        F32Ptr(unsafe_from_address=Int(d[unsafe_offset=7])), Int(d[unsafe_offset=8]))

    def check(self) raises:
        """Raises unless the packing is one `apply` runs: a same padding, tiles of 1 to MAX_R channels."""
        if self.taps != 2 * self.pad + 1 or self.r < 1 or self.r > MAX_R or self.groups * self.r < self.c_out:
            raise Error(t"time convolution: {self.taps} taps with padding {self.pad}, {self.c_out} channels in "
                        t"{self.groups} tiles of {self.r} (at most {MAX_R})")

    def apply(self, x: Seqs, items: Int, t_len: Int, y: Seqs):
        """y = act(conv(x) + b) over `items` sequences of t_len frames (output t reads inputs t - pad ...)."""
        comptime for r in range(1, MAX_R + 1):
            if self.r == r:
                _conv[r, 2 if 2 * r > MAX_R else 4](self, x, items, t_len, y)


def time_conv(layer: TimeConv, x: F32Ptr, items: Int, t_len: Int, y: F32Ptr):
    """The convolution of dense (items, c_in, t_len) sequences at x into dense (items, c_out, t_len) ones at y,
    through a padded copy of x (the kernel alone, for its tests)."""
    var row = padded_row(t_len, layer.taps, layer.pad)
    var padded = List[Float32](length=items * layer.c_in * row, fill=0)
    var src = Seqs(F32Ptr(unsafe_from_address=Int(padded.unsafe_ptr())), layer.c_in * row, row,
                   padded_lead(layer.pad))
    copy_frames(x, items, layer.c_in, t_len, src)
    layer.apply(src, items, t_len, Seqs(y, layer.c_out * t_len, t_len, 0))
    _ = padded^


def _conv[R: Int, V: Int](layer: TimeConv, x: Seqs, items: Int, t_len: Int, y: Seqs):
    """The tiles: vector slot s is frame window s // items of item s % items, V consecutive slots a tile."""
    var slots = items * ((t_len + W - 1) // W)
    var total = F32Ptr(unsafe_from_address=Int(stack_allocation[R * V * W, DType.float32, alignment=64]()))
    for g in range(layer.groups):
        var wg = layer.w.unsafe_offset(g * layer.c_in * layer.taps * R)
        for first in range(0, slots, V):
            _tile[R, V](layer, x, items, t_len, g, wg, first, slots, y, total)


@always_inline
def _tile[R: Int, V: Int](layer: TimeConv, x: Seqs, items: Int, t_len: Int, g: Int, wg: F32Ptr, first: Int,
                          slots: Int, y: Seqs, total: F32Ptr):
    """Output channels g * R ... of slots first .. first + V - 1 (past the last slot: the last again)."""
    var xs = Array[F32Ptr, V](uninitialized=True)
    var item = Array[Int, V](uninitialized=True)
    var t0 = Array[Int, V](uninitialized=True)
    var k_lo = layer.taps
    var k_hi = 0
    comptime for v in range(V):
        var s = min(first + v, slots - 1)
        item[v] = s % items
        t0[v] = (s // items) * W
        xs[v] = x.at(item[v], 0, t0[v] - layer.pad)
        # taps reaching a frame: input frame t0 + lane + k - pad in [0, t_len) for some lane < W
        k_lo = min(k_lo, max(0, layer.pad - t0[v] - (W - 1)))
        k_hi = max(k_hi, min(layer.taps, t_len + layer.pad - t0[v]))
    # each input channel's taps summed from zero in registers, then added to the sums at `total` (from the bias):
    # a sum's rounding error is then ~that of 61 terms, not of c_in x 61 in one chain (the PAE's latent: 2.1e-7
    # -> 5e-8 from float64's, torch's 4e-8, and its frequency on random weights 3e-4 -> 4e-5), for ~2 % more time
    comptime for r in range(R):
        var bias = SIMD[DType.float32, W](layer.b[unsafe_offset=g * R + r])
        comptime for v in range(V):
            total.unsafe_store((r * V + v) * W, bias)
    for c in range(layer.c_in):
        var acc = Array[SIMD[DType.float32, W], R * V](fill=0)
        var wp = wg.unsafe_offset((c * layer.taps + k_lo) * R)
        var off = c * x.row
        for k in range(k_lo, k_hi):
            var xv = Array[SIMD[DType.float32, W], V](uninitialized=True)
            comptime for v in range(V):
                xv[v] = xs[v].unsafe_load[width=W](off + k)
            comptime for r in range(R):
                var wv = SIMD[DType.float32, W](wp[unsafe_offset=r])
                comptime for v in range(V):
                    acc[r * V + v] = wv.fma(xv[v], acc[r * V + v])
            wp = wp.unsafe_offset(R)
        comptime for i in range(R * V):
            total.unsafe_store(i * W, total.unsafe_load[width=W](i * W) + acc[i])
    var channels = min(R, layer.c_out - g * R)
    comptime for r in range(R):
        if r < channels:
            comptime for v in range(V):
                var sums = total.unsafe_load[width=W]((r * V + v) * W)
                store_valid[W](y.at(item[v], g * R + r, t0[v]), activate[W](sums, layer.act), min(W, t_len - t0[v]))
