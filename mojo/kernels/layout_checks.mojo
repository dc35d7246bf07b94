"""Input checks shared by the custom ops: the kernels index raw row-major buffers."""
from extensibility import InputTensor


def require_contiguous[dtype: DType, rank: Int](op: StaticString, t: InputTensor[dtype=dtype, rank=rank, static_spec=_]) raises:
    """Raise unless `t` is densely packed row-major (views with other strides would be misread)."""
    var expected = 1
    comptime for k in range(rank):
        comptime d = rank - 1 - k
        if t.dim_size(d) > 1 and t.stride_length(d) != expected:
            raise Error(t"{op}: input is not a contiguous row-major tensor")
        expected *= t.dim_size(d)
