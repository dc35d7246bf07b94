"""Dense-layer building blocks on raw float32 rows.

Two weight layouts, chosen per use:
- *panels* (the Python-extension MLP, sampler and networks; the GEMM and the panel widths are gemm.mojo's): the
  (out, in) matrix re-laid out once as blocks of 16 to 64 outputs, each block stored input-major (block, in,
  width). A GEMV then streams each panel strictly in order (ideal for the hardware prefetcher) and keeps its
  accumulators in vector registers: no horizontal sums.
- *torch rows* (the MAX custom ops, which take the WeightSet tensors zero-copy): four output rows at a time,
  each a contiguous dot product with x, vectorised over the input axis.
"""
from std.math import exp

from kernels.pointers import F32Ptr

comptime LANES = 8  # float32 lanes of an AVX2 register
comptime ACT_NONE = 0  # activations gemm.mojo applies to its outputs
comptime ACT_RELU = 1
comptime ACT_ELU = 2


@always_inline
def dot4(w: F32Ptr, row_stride: Int, x: F32Ptr, n: Int) -> SIMD[DType.float32, 4]:
    """The dot products of x (n,) with the four rows w, w+row_stride, w+2*row_stride, w+3*row_stride."""
    var a0 = SIMD[DType.float32, LANES](0)
    var a1 = SIMD[DType.float32, LANES](0)
    var a2 = SIMD[DType.float32, LANES](0)
    var a3 = SIMD[DType.float32, LANES](0)
    var i = 0
    while i + LANES <= n:
        var xv = x.unsafe_load[width=LANES](i)
        a0 = w.unsafe_load[width=LANES](i).fma(xv, a0)
        a1 = w.unsafe_load[width=LANES](row_stride + i).fma(xv, a1)
        a2 = w.unsafe_load[width=LANES](2 * row_stride + i).fma(xv, a2)
        a3 = w.unsafe_load[width=LANES](3 * row_stride + i).fma(xv, a3)
        i += LANES
    var r = SIMD[DType.float32, 4](a0.reduce_add(), a1.reduce_add(), a2.reduce_add(), a3.reduce_add())
    while i < n:
        var xs = x[unsafe_offset=i]
        r[0] += w[unsafe_offset=i] * xs
        r[1] += w[unsafe_offset=row_stride + i] * xs
        r[2] += w[unsafe_offset=2 * row_stride + i] * xs
        r[3] += w[unsafe_offset=3 * row_stride + i] * xs
        i += 1
    return r


@always_inline
def dot1(w: F32Ptr, x: F32Ptr, n: Int) -> Float32:
    var a = SIMD[DType.float32, LANES](0)
    var i = 0
    while i + LANES <= n:
        a = w.unsafe_load[width=LANES](i).fma(x.unsafe_load[width=LANES](i), a)
        i += LANES
    var r = a.reduce_add()
    while i < n:
        r += w[unsafe_offset=i] * x[unsafe_offset=i]
        i += 1
    return r


def softmax_into(logits: F32Ptr, dst: F32Ptr, n: Int):
    """Dst[0:n] = softmax(logits[0:n]) (max-shifted, as torch)."""
    var m = logits[unsafe_offset=0]
    for e in range(1, n):
        m = max(m, logits[unsafe_offset=e])
    var total = Float32(0)
    for e in range(n):
        var v = exp(logits[unsafe_offset=e] - m)
        dst[unsafe_offset=e] = v
        total += v
    for e in range(n):
        dst[unsafe_offset=e] = dst[unsafe_offset=e] / total
