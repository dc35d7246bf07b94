"""The fused kernels of the RSMT networks: the mixture-of-experts linear blend and the LSTM cell.

Weights arrive in torch layout (the WeightSet tensors, zero-copy): experts (E, Out, In), LSTM (4H, In) and
(4H, H). At batch 1 both are bound by streaming the weights once; the row layout costs one horizontal sum
per output row, amortised over four rows at a time (dense.dot4), and each group of rows is applied to every
batch row while it is in cache.
"""
from std.collections import List
from std.math import exp, tanh

from kernels.dense import dot1, dot4, softmax_into
from kernels.pointers import F32Ptr


def moe_blend(logits: F32Ptr, x: F32Ptr, w: F32Ptr, b: F32Ptr, y: F32Ptr, batch: Int, n_experts: Int,
              n_in: Int, n_out: Int):
    """Compute y (batch, Out) = sum_e softmax(logits)_e (W_e x + b_e); logits (batch, E), x (batch, In),
    w (E, Out, In), b (E, Out)."""
    var alpha_list = List[Float32](length=batch * n_experts, fill=0)
    var alpha = F32Ptr(unsafe_from_address=Int(alpha_list.unsafe_ptr()))
    for r in range(batch):
        softmax_into(logits.unsafe_offset(r * n_experts), alpha.unsafe_offset(r * n_experts), n_experts)
        for o in range(n_out):  # the blended bias
            var s = Float32(0)
            for e in range(n_experts):
                s += alpha[unsafe_offset=r * n_experts + e] * b[unsafe_offset=e * n_out + o]
            y[unsafe_offset=r * n_out + o] = s
    for e in range(n_experts):
        var we = w.unsafe_offset(e * n_out * n_in)
        var o = 0
        while o + 4 <= n_out:
            for r in range(batch):
                var d = dot4(we.unsafe_offset(o * n_in), n_in, x.unsafe_offset(r * n_in), n_in)
                var a = alpha[unsafe_offset=r * n_experts + e]
                var yo = r * n_out + o
                for k in range(4):
                    y[unsafe_offset=yo + k] = y[unsafe_offset=yo + k] + a * d[k]
            o += 4
        while o < n_out:
            for r in range(batch):
                var d = dot1(we.unsafe_offset(o * n_in), x.unsafe_offset(r * n_in), n_in)
                y[unsafe_offset=r * n_out + o] = y[unsafe_offset=r * n_out + o] + alpha[unsafe_offset=r * n_experts + e] * d
            o += 1
    _ = alpha_list^


@always_inline
def _sigmoid(v: Float32) -> Float32:
    return 1.0 / (1.0 + exp(-v))


def lstm_cell(x: F32Ptr, h: F32Ptr, c: F32Ptr, w_ih: F32Ptr, w_hh: F32Ptr, bias: F32Ptr, h_out: F32Ptr,
              c_out: F32Ptr, batch: Int, n_in: Int, n_hidden: Int):
    """One step of torch.nn.LSTMCell: gates = W_ih x + W_hh h + bias in the order (i, f, g, o);
    c' = sigmoid(f) c + sigmoid(i) tanh(g), h' = sigmoid(o) tanh(c').
    x (batch, In), h and c (batch, H), w_ih (4H, In), w_hh (4H, H), bias (4H,) = b_ih + b_hh."""
    var hs = n_hidden
    for j in range(hs):  # hidden unit j needs rows j, H+j, 2H+j, 3H+j of both matrices
        var bi = bias[unsafe_offset=j]
        var bf = bias[unsafe_offset=hs + j]
        var bg = bias[unsafe_offset=2 * hs + j]
        var bo = bias[unsafe_offset=3 * hs + j]
        for r in range(batch):
            var gx = dot4(w_ih.unsafe_offset(j * n_in), hs * n_in, x.unsafe_offset(r * n_in), n_in)
            var gh = dot4(w_hh.unsafe_offset(j * hs), hs * hs, h.unsafe_offset(r * hs), hs)
            var g = gx + gh
            var c_new = _sigmoid(g[1] + bf) * c[unsafe_offset=r * hs + j] + _sigmoid(g[0] + bi) * tanh(g[2] + bg)
            c_out[unsafe_offset=r * hs + j] = c_new
            h_out[unsafe_offset=r * hs + j] = _sigmoid(g[3] + bo) * tanh(c_new)
