"""MAX custom ops for the RSMT networks: the fused mixture-of-experts blend and the fused LSTM cell.

Tensors are contiguous row-major float32 (what MAX hands a CPU kernel); the weights are the WeightSet
tensors in torch layout, see recurrent.mojo for why that layout.
"""
from extensibility import InputTensor, OutputTensor, register
from max.gpu.host import DeviceContext

from kernels.layout_checks import require_contiguous
from kernels.pointers import F32Ptr
from kernels.recurrent import lstm_cell, moe_blend


@register("motion_moe_blend")
struct MoeBlendOp:
    """Output (B, Out) = sum_e softmax(gate_logits)_e (W_e x + b_e).

    Inputs: gate_logits (B, E), x (B, In), weight (E, Out, In), bias (E, Out).
    """

    @staticmethod
    def execute[target: StaticString](
        output: OutputTensor[dtype = DType.float32, rank = 2, static_spec=_],
        gate_logits: InputTensor[dtype = DType.float32, rank = 2, static_spec=_],
        x: InputTensor[dtype = DType.float32, rank = 2, static_spec=_],
        weight: InputTensor[dtype = DType.float32, rank = 3, static_spec=_],
        bias: InputTensor[dtype = DType.float32, rank = 2, static_spec=_],
        ctx: DeviceContext,
    ) raises:
        var batch = x.dim_size(0)
        var experts = weight.dim_size(0)
        if gate_logits.dim_size(0) != batch or gate_logits.dim_size(1) != experts or weight.dim_size(2) != x.dim_size(1) or bias.dim_size(0) != experts or bias.dim_size(1) != weight.dim_size(1):
            raise Error("motion_moe_blend: expected gate_logits (B, E), x (B, In), weight (E, Out, In), bias (E, Out)")
        require_contiguous("motion_moe_blend", gate_logits)
        require_contiguous("motion_moe_blend", x)
        require_contiguous("motion_moe_blend", weight)
        require_contiguous("motion_moe_blend", bias)
        moe_blend(
            F32Ptr(unsafe_from_address=Int(gate_logits.unsafe_ptr())),
            F32Ptr(unsafe_from_address=Int(x.unsafe_ptr())),
            F32Ptr(unsafe_from_address=Int(weight.unsafe_ptr())),
            F32Ptr(unsafe_from_address=Int(bias.unsafe_ptr())),
            F32Ptr(unsafe_from_address=Int(output.unsafe_ptr())),
            x.dim_size(0), weight.dim_size(0), weight.dim_size(2), weight.dim_size(1),
        )


@register("motion_lstm_cell")
struct LstmCellOp:
    """One torch.nn.LSTMCell step (gate order i, f, g, o): (x, h, c, W_ih, W_hh, bias) -> (h', c').

    Shapes: x (B, In), h and c (B, H), W_ih (4H, In), W_hh (4H, H), bias (4H,) = b_ih + b_hh.
    """

    @staticmethod
    def execute[target: StaticString](
        h_out: OutputTensor[dtype = DType.float32, rank = 2, static_spec=_],
        c_out: OutputTensor[dtype = DType.float32, rank = 2, static_spec=_],
        x: InputTensor[dtype = DType.float32, rank = 2, static_spec=_],
        h: InputTensor[dtype = DType.float32, rank = 2, static_spec=_],
        c: InputTensor[dtype = DType.float32, rank = 2, static_spec=_],
        w_ih: InputTensor[dtype = DType.float32, rank = 2, static_spec=_],
        w_hh: InputTensor[dtype = DType.float32, rank = 2, static_spec=_],
        bias: InputTensor[dtype = DType.float32, rank = 1, static_spec=_],
        ctx: DeviceContext,
    ) raises:
        var batch = x.dim_size(0)
        var hidden = h.dim_size(1)
        if h.dim_size(0) != batch or c.dim_size(0) != batch or c.dim_size(1) != hidden or w_ih.dim_size(0) != 4 * hidden or w_ih.dim_size(1) != x.dim_size(1) or w_hh.dim_size(0) != 4 * hidden or w_hh.dim_size(1) != hidden or bias.dim_size(0) != 4 * hidden:
            raise Error("motion_lstm_cell: expected x (B, In), h and c (B, H), W_ih (4H, In), W_hh (4H, H), bias (4H,)")
        require_contiguous("motion_lstm_cell", x)
        require_contiguous("motion_lstm_cell", h)
        require_contiguous("motion_lstm_cell", c)
        require_contiguous("motion_lstm_cell", w_ih)
        require_contiguous("motion_lstm_cell", w_hh)
        require_contiguous("motion_lstm_cell", bias)
        lstm_cell(
            F32Ptr(unsafe_from_address=Int(x.unsafe_ptr())),
            F32Ptr(unsafe_from_address=Int(h.unsafe_ptr())),
            F32Ptr(unsafe_from_address=Int(c.unsafe_ptr())),
            F32Ptr(unsafe_from_address=Int(w_ih.unsafe_ptr())),
            F32Ptr(unsafe_from_address=Int(w_hh.unsafe_ptr())),
            F32Ptr(unsafe_from_address=Int(bias.unsafe_ptr())),
            F32Ptr(unsafe_from_address=Int(h_out.unsafe_ptr())),
            F32Ptr(unsafe_from_address=Int(c_out.unsafe_ptr())),
            x.dim_size(0), x.dim_size(1), h.dim_size(1),
        )
