"""Elementwise MAX custom ops missing from max.graph.ops: atan2 (the DeepPhase phase angle) and ELU."""
from extensibility import InputTensor, OutputTensor, foreach, register
from layout import Coord
from max.gpu.host import DeviceContext
from std.math import atan2, expm1


@register("motion_atan2")
struct Atan2Op:
    """Elementwise atan2(y, x), any rank, same shapes; the quadrant-correct angle in (-pi, pi], 0 at (0, 0)."""

    @staticmethod
    def execute[target: StaticString](
        output: OutputTensor[dtype = DType.float32, static_spec=_],
        y: InputTensor[dtype = DType.float32, rank = output.rank, static_spec=_],
        x: InputTensor[dtype = DType.float32, rank = output.rank, static_spec=_],
        ctx: DeviceContext,
    ) raises:
        def f[width: Int](idx: Coord[...]) {var y, var x} -> SIMD[DType.float32, width]:
            return atan2(y.load[width](idx), x.load[width](idx))

        foreach[target=target](f, output, ctx)


@register("motion_elu")
struct EluOp:
    """ELU with alpha 1 (torch.nn.ELU()): x if x > 0 else expm1(x)."""

    @staticmethod
    def execute[target: StaticString](
        output: OutputTensor[dtype = DType.float32, static_spec=_],
        x: InputTensor[dtype = DType.float32, rank = output.rank, static_spec=_],
        ctx: DeviceContext,
    ) raises:
        def f[width: Int](idx: Coord[...]) {var x} -> SIMD[DType.float32, width]:
            var v = x.load[width](idx)
            return v.gt(0).select(v, expm1(min(v, 0)))

        foreach[target=target](f, output, ctx)
