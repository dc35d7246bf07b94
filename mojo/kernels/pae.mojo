"""The periodic autoencoder's middle (deephase.PAE.forward between the encoder and decoder convolutions), for
max-mojo's "rsmt_phase" (inference/backends/mojo/networks.py PhaseRunner): per latent channel, the real DFT's
power spectrum -> frequency, amplitude and offset; the two per-channel FCs and their BatchNorm -> phase (atan2);
and the periodic signal a sin(2 pi (f t + p)) + b the decoder reconstructs from.

Why one call: in numpy these were about fifteen calls and three transposes, ~75 us at batch 1 against ~160 us
for all four convolutions. Latent and signal stay channels-last (frame-major), as the convolutions read and
write them. Sums run in float64 over the float32 tables and weights; outputs are float32.
"""
from std.math import atan2, sin, sqrt

from kernels.pointers import F32Ptr, I64Ptr

# spec (int64): T, M, then addresses (float32): dft (T, 2K: cos | sin), freqs (K-1), args (T), fc0 w (M, T),
# fc0 b (M), fc1 w (M, T), fc1 b (M), bn scale (M, 2), bn shift (M, 2), scalars (tpi, time_scale)


@always_inline
def _at(spec: I64Ptr, i: Int) -> F32Ptr:
    return F32Ptr(unsafe_from_address=Int(spec[unsafe_offset=i]))


@always_inline
def _f64(p: F32Ptr, i: Int) -> Float64:
    return p[unsafe_offset=i].cast[DType.float64]()


def pae_middle(spec: I64Ptr, latent: F32Ptr, signal: F32Ptr, pafb: F32Ptr, rows: Int):
    """latent (rows, T, M) -> signal (rows, T, M) and pafb (4, rows, M): phase, amplitude, frequency, offset."""
    var t_len = Int(spec[unsafe_offset=0])
    var m = Int(spec[unsafe_offset=1])
    var dft = _at(spec, 2)
    var freqs = _at(spec, 3)
    var args = _at(spec, 4)
    var fc0_w = _at(spec, 5)
    var fc0_b = _at(spec, 6)
    var fc1_w = _at(spec, 7)
    var fc1_b = _at(spec, 8)
    var bn_scale = _at(spec, 9)
    var bn_shift = _at(spec, 10)
    var scalars = _at(spec, 11)
    var tpi = _f64(scalars, 0)
    var time_scale = _f64(scalars, 1)
    var k_len = t_len // 2 + 1
    for r in range(rows):
        var x = latent.unsafe_offset(r * t_len * m)
        var y = signal.unsafe_offset(r * t_len * m)
        for c in range(m):
            var power_sum = 0.0
            var weighted = 0.0
            var offset = 0.0
            for k in range(k_len):
                var re = 0.0
                var im = 0.0
                for t in range(t_len):
                    var v = _f64(x, t * m + c)
                    re += v * _f64(dft, t * 2 * k_len + k)
                    im += v * _f64(dft, t * 2 * k_len + k_len + k)
                if k == 0:
                    offset = re
                else:
                    var power = re * re + im * im
                    power_sum += power
                    weighted += _f64(freqs, k - 1) * power
            var v0 = _f64(fc0_b, c)
            var v1 = _f64(fc1_b, c)
            for t in range(t_len):
                var v = _f64(x, t * m + c)
                v0 += v * _f64(fc0_w, c * t_len + t)
                v1 += v * _f64(fc1_w, c * t_len + t)
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
            for t in range(t_len):
                y[unsafe_offset=t * m + c] = (amp * sin(tpi * (freq * _f64(args, t) + phase)) + bias).cast[DType.float32]()
