"""The RSMT manifold decoder (MoEGateDecoder, inference/networks/stylevae.py) over a batch of rows in one
call from Python, for max-mojo's "rsmt_manifold_decoder".

Why one call: at batch 1 the twelve numpy and extension calls in between the six layers (concatenations,
softmax, expert blends, ELUs) cost more than the layers; at batch 64 numpy's ELU alone took 64 us of 556.
Here every layer is one GEMM over the rows (gemm.mojo) and the rest runs per row on scratch:
gate softmax(G2(ELU(G1(ELU(G0([phase | z])))))) -> ELU(blend(E0 [cond | z])) -> ELU(blend(E1 [h | z]))
-> blend(mlp h), the experts of a layer stacked along its outputs (blend_experts).
"""
from kernels.dense import ACT_ELU, ACT_NONE, softmax_into
from kernels.gemm import PackedLayer, blend_experts, row_shares, share_rows
from kernels.pointers import F32Ptr, I64Ptr

from max.algorithm.backend.cpu.parallelize import parallelize

comptime N_LAYERS = 6  # gate 0, 1, 2, experts 0, 1, mlp


def _copy_rows(src: F32Ptr, lds: Int, dst: F32Ptr, ldd: Int, rows: Int, n: Int):
    """Dst[r, 0:n] = src[r, 0:n] for r < rows (row strides lds, ldd)."""
    for r in range(rows):
        var s = src.unsafe_offset(r * lds)
        var d = dst.unsafe_offset(r * ldd)
        for i in range(n):
            d[unsafe_offset=i] = s[unsafe_offset=i]


def scratch_floats(spec: I64Ptr, rows: Int) -> Int:
    """Floats of scratch manifold_decode needs for `rows` rows."""
    var p2 = Int(spec[unsafe_offset=1])
    var z = Int(spec[unsafe_offset=2])
    var c = Int(spec[unsafe_offset=3])
    var e = Int(spec[unsafe_offset=4])
    var h = Int(spec[unsafe_offset=5])
    var out = Int(spec[unsafe_offset=6])
    var g = Int(spec[unsafe_offset=7])
    return rows * ((p2 + z) + 2 * g + e + (max(c, h) + z) + e * max(h, out) + h)


def manifold_decode(spec: I64Ptr, latent: F32Ptr, condition: F32Ptr, phase: F32Ptr, pose_delta: F32Ptr,
                    coefficients: F32Ptr, scratch: F32Ptr, rows: Int) raises:
    """Latent (rows, Z), condition (rows, C), phase (rows, P2) -> pose_delta (rows, Out), coefficients
    (rows, E); all C-contiguous, scratch of scratch_floats(spec, rows). A batch worth two threads is split into
    one share of the rows per thread (gemm.row_shares), each decoding its rows alone in its part of the scratch.

    spec (int64): [threads, P2, Z, C, E, H, Out, G, then the six layers' PackedDense descriptor addresses:
    gate 0, 1, 2, experts 0, 1, mlp (each expert layer's E experts stacked along the outputs)]."""
    var threads = Int(spec[unsafe_offset=0])
    var p2 = Int(spec[unsafe_offset=1])
    var z = Int(spec[unsafe_offset=2])
    var c = Int(spec[unsafe_offset=3])
    var e = Int(spec[unsafe_offset=4])
    var h = Int(spec[unsafe_offset=5])
    var out = Int(spec[unsafe_offset=6])
    var g = Int(spec[unsafe_offset=7])
    var layers = List[PackedLayer]()
    for i in range(N_LAYERS):
        layers.append(PackedLayer.read(Int(spec[unsafe_offset=8 + i])))
    var expect = [p2 + z, g, g, g, g, e, c + z, e * h, h + z, e * h, h, e * out]
    var macs = 0
    for i in range(N_LAYERS):
        if layers[i].n_in != expect[2 * i] or layers[i].n_out != expect[2 * i + 1]:
            raise Error(t"manifold decoder spec: layer {i} is {layers[i].n_in} -> {layers[i].n_out}, the network "
                        t"needs {expect[2 * i]} -> {expect[2 * i + 1]}")
        macs += layers[i].n_in * layers[i].n_out
    var shares = row_shares(rows, threads, macs)
    if shares < 2:
        _decode_rows(spec, layers, latent, condition, phase, pose_delta, coefficients, scratch, 0, rows, threads)
        return
    var table = Pointer(to=layers)

    def work(i: Int) {var spec, var table, var latent, var condition, var phase, var pose_delta, var coefficients,
                      var scratch, var rows, var shares}:
        var first, end = share_rows(i, shares, rows)
        _decode_rows(spec, table[], latent, condition, phase, pose_delta, coefficients, scratch, first, end, 1)

    parallelize(work, shares, shares)


def _decode_rows(spec: I64Ptr, layers: List[PackedLayer], latent_all: F32Ptr, condition_all: F32Ptr,
                 phase_all: F32Ptr, pose_delta_all: F32Ptr, coefficients_all: F32Ptr, scratch_all: F32Ptr, first: Int,
                 end: Int, threads: Int):
    """manifold_decode's work on rows first .. end-1, in their own part of the scratch (scratch_floats(spec, 1)
    floats a row)."""
    var p2 = Int(spec[unsafe_offset=1])
    var z = Int(spec[unsafe_offset=2])
    var c = Int(spec[unsafe_offset=3])
    var e = Int(spec[unsafe_offset=4])
    var h = Int(spec[unsafe_offset=5])
    var out = Int(spec[unsafe_offset=6])
    var g = Int(spec[unsafe_offset=7])
    var rows = end - first
    var latent = latent_all.unsafe_offset(first * z)
    var condition = condition_all.unsafe_offset(first * c)
    var phase = phase_all.unsafe_offset(first * p2)
    var pose_delta = pose_delta_all.unsafe_offset(first * out)
    var coefficients = coefficients_all.unsafe_offset(first * e)
    var scratch = scratch_all.unsafe_offset(first * scratch_floats(spec, 1))
    var wide = max(h, out)
    var gate_in = scratch
    var ga = gate_in.unsafe_offset(rows * (p2 + z))
    var gb = ga.unsafe_offset(rows * g)
    var logits = gb.unsafe_offset(rows * g)
    var dec_in = logits.unsafe_offset(rows * e)  # [cond | z], later [h | z]
    var ld_in = max(c, h) + z
    var stacked = dec_in.unsafe_offset(rows * ld_in)
    var hidden = stacked.unsafe_offset(rows * e * wide)
    # gate
    _copy_rows(phase, p2, gate_in, p2 + z, rows, p2)
    _copy_rows(latent, z, gate_in.unsafe_offset(p2), p2 + z, rows, z)
    layers[0].apply(gate_in, p2 + z, rows, ga, g, ACT_ELU, threads)
    layers[1].apply(ga, g, rows, gb, g, ACT_ELU, threads)
    layers[2].apply(gb, g, rows, logits, e, ACT_NONE, threads)
    for r in range(rows):
        softmax_into(logits.unsafe_offset(r * e), coefficients.unsafe_offset(r * e), e)
    # experts 0: [cond | z] -> h
    _copy_rows(condition, c, dec_in, ld_in, rows, c)
    _copy_rows(latent, z, dec_in.unsafe_offset(c), ld_in, rows, z)
    layers[3].apply(dec_in, ld_in, rows, stacked, e * h, ACT_NONE, threads)
    for r in range(rows):
        blend_experts(coefficients.unsafe_offset(r * e), stacked.unsafe_offset(r * e * h), e, h,
                      dec_in.unsafe_offset(r * ld_in), ACT_ELU)
    # experts 1: [h | z] -> h
    _copy_rows(latent, z, dec_in.unsafe_offset(h), ld_in, rows, z)
    layers[4].apply(dec_in, ld_in, rows, stacked, e * h, ACT_NONE, threads)
    for r in range(rows):
        blend_experts(coefficients.unsafe_offset(r * e), stacked.unsafe_offset(r * e * h), e, h,
                      hidden.unsafe_offset(r * h), ACT_ELU)
    # mlp: h -> pose deltas
    layers[5].apply(hidden, h, rows, stacked, e * out, ACT_NONE, threads)
    for r in range(rows):
        blend_experts(coefficients.unsafe_offset(r * e), stacked.unsafe_offset(r * e * out), e, out,
                      pose_delta.unsafe_offset(r * out), ACT_NONE)
