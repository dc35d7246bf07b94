"""MAX custom ops for skeletons: batched forward kinematics and 6D <-> rotation-matrix conversion."""
from extensibility import InputTensor, OutputTensor, register
from max.gpu.host import DeviceContext

from kernels.kinematics import check_parents, fk_frames, matrix_to_sixd_rows, sixd_to_matrix_rows
from kernels.layout_checks import require_contiguous
from kernels.pointers import F32Ptr, I64Ptr


@register("motion_fk")
struct ForwardKinematicsOp:
    """(parents (J,) int64, local quats (F, J, 4), local translations (F, J, 3)) -> (world quats (F, J, 4),
    world positions (F, J, 3)); quaternions (w, x, y, z), parents[j] < j and -1 for the root."""

    @staticmethod
    def execute[target: StaticString](
        world_rot: OutputTensor[dtype = DType.float32, rank = 3, static_spec=_],
        world_pos: OutputTensor[dtype = DType.float32, rank = 3, static_spec=_],
        parents: InputTensor[dtype = DType.int64, rank = 1, static_spec=_],
        rot: InputTensor[dtype = DType.float32, rank = 3, static_spec=_],
        trans: InputTensor[dtype = DType.float32, rank = 3, static_spec=_],
        ctx: DeviceContext,
    ) raises:
        var frames = rot.dim_size(0)
        var joints = rot.dim_size(1)
        if rot.dim_size(2) != 4 or trans.dim_size(0) != frames or trans.dim_size(1) != joints or trans.dim_size(2) != 3 or parents.dim_size(0) != joints:
            raise Error("motion_fk: expected parents (J,), rotations (F, J, 4) and translations (F, J, 3)")
        require_contiguous("motion_fk", parents)
        require_contiguous("motion_fk", rot)
        require_contiguous("motion_fk", trans)
        var parents_ptr = I64Ptr(unsafe_from_address=Int(parents.unsafe_ptr()))
        check_parents(parents_ptr, joints)
        fk_frames(
            parents_ptr, joints,
            F32Ptr(unsafe_from_address=Int(rot.unsafe_ptr())),
            F32Ptr(unsafe_from_address=Int(trans.unsafe_ptr())),
            F32Ptr(unsafe_from_address=Int(world_rot.unsafe_ptr())),
            F32Ptr(unsafe_from_address=Int(world_pos.unsafe_ptr())),
            0, frames,
        )


@register("motion_sixd_to_matrix")
struct SixdToMatrixOp:
    """Rows of 6D rotations (N, 6) -> rotation matrices (N, 3, 3) by Gram-Schmidt (RSMT convention: the 6D
    value is the first two matrix rows)."""

    @staticmethod
    def execute[target: StaticString](
        output: OutputTensor[dtype = DType.float32, rank = 3, static_spec=_],
        sixd: InputTensor[dtype = DType.float32, rank = 2, static_spec=_],
        ctx: DeviceContext,
    ) raises:
        if sixd.dim_size(1) != 6:
            raise Error("motion_sixd_to_matrix: expected (N, 6)")
        require_contiguous("motion_sixd_to_matrix", sixd)
        sixd_to_matrix_rows(F32Ptr(unsafe_from_address=Int(sixd.unsafe_ptr())),
                            F32Ptr(unsafe_from_address=Int(output.unsafe_ptr())), sixd.dim_size(0))


@register("motion_matrix_to_sixd")
struct MatrixToSixdOp:
    """Rotation matrices (N, 3, 3) -> their first two rows (N, 6)."""

    @staticmethod
    def execute[target: StaticString](
        output: OutputTensor[dtype = DType.float32, rank = 2, static_spec=_],
        matrix: InputTensor[dtype = DType.float32, rank = 3, static_spec=_],
        ctx: DeviceContext,
    ) raises:
        if matrix.dim_size(1) != 3 or matrix.dim_size(2) != 3:
            raise Error("motion_matrix_to_sixd: expected (N, 3, 3)")
        require_contiguous("motion_matrix_to_sixd", matrix)
        matrix_to_sixd_rows(F32Ptr(unsafe_from_address=Int(matrix.unsafe_ptr())),
                            F32Ptr(unsafe_from_address=Int(output.unsafe_ptr())), matrix.dim_size(0))
