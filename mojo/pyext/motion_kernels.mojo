"""The `motion_kernels` Python extension: Mojo kernels called directly from Python (~0.1 us per call).

Arrays are passed as addresses of contiguous numpy buffers (`arr.ctypes.data`); the Python wrappers
(motion/fk_mojo.py, inference/mojo_mlp.py) check shapes, dtypes and contiguity and keep the arrays alive.
Built by scripts/build_mojo.sh: `mojo build -I mojo mojo/pyext/motion_kernels.mojo --emit shared-lib`.
"""
from std.os import abort
from std.python import PythonObject
from std.python.bindings import PythonModuleBuilder

from kernels.dense import PANEL, dense_panels
from kernels.kinematics import check_parents, fk_frames
from kernels.pointers import F32Ptr, I64Ptr


def _f32(addr: PythonObject) raises -> F32Ptr:
    return F32Ptr(unsafe_from_address=Int(py=addr))


def fk(parents: PythonObject, rot: PythonObject, trans: PythonObject, out_rot: PythonObject,
       out_pos: PythonObject, shape: PythonObject) raises -> PythonObject:
    """Forward kinematics over (frames, joints) = shape; see kernels.kinematics.fk_frames."""
    var n_frames = Int(py=shape[0])
    var n_joints = Int(py=shape[1])
    var parents_ptr = I64Ptr(unsafe_from_address=Int(py=parents))
    check_parents(parents_ptr, n_joints)
    fk_frames(parents_ptr, n_joints, _f32(rot), _f32(trans), _f32(out_rot),
              _f32(out_pos), 0, n_frames)
    return PythonObject(None)


def mlp_forward(spec_addr: PythonObject, x_addr: PythonObject, y_addr: PythonObject,
                rows_obj: PythonObject) raises -> PythonObject:
    """A normalised MLP (ReLU between layers) on `rows` inputs, weights packed as panels.

    spec (int64): [n_layers, in_size, out_size, &in_mean, &in_std, &out_mean, &out_std, &scratch_a,
    &scratch_b, then per layer: n_in, n_panels, &weight_panels, &bias_padded]; both scratch buffers hold
    the widest padded layer. y = (MLP((x - in_mean) / in_std)) * out_std + out_mean.
    """
    var spec = I64Ptr(unsafe_from_address=Int(py=spec_addr))
    var x = _f32(x_addr)
    var y = _f32(y_addr)
    var rows = Int(py=rows_obj)
    var n_layers = Int(spec[unsafe_offset=0])
    var in_size = Int(spec[unsafe_offset=1])
    var out_size = Int(spec[unsafe_offset=2])
    var in_mean = F32Ptr(unsafe_from_address=Int(spec[unsafe_offset=3]))
    var in_std = F32Ptr(unsafe_from_address=Int(spec[unsafe_offset=4]))
    var out_mean = F32Ptr(unsafe_from_address=Int(spec[unsafe_offset=5]))
    var out_std = F32Ptr(unsafe_from_address=Int(spec[unsafe_offset=6]))
    var scratch_a = F32Ptr(unsafe_from_address=Int(spec[unsafe_offset=7]))
    var scratch_b = F32Ptr(unsafe_from_address=Int(spec[unsafe_offset=8]))
    for r in range(rows):
        var xr = x.unsafe_offset(r * in_size)
        for i in range(in_size):
            scratch_a[unsafe_offset=i] = (xr[unsafe_offset=i] - in_mean[unsafe_offset=i]) / in_std[unsafe_offset=i]
        var src = scratch_a
        var dst = scratch_b
        for layer in range(n_layers):
            var s = 9 + 4 * layer
            dense_panels(src, Int(spec[unsafe_offset=s]), F32Ptr(unsafe_from_address=Int(spec[unsafe_offset=s + 2])),
                         F32Ptr(unsafe_from_address=Int(spec[unsafe_offset=s + 3])), Int(spec[unsafe_offset=s + 1]),
                         dst, layer < n_layers - 1)
            var t = src
            src = dst
            dst = t
        var yr = y.unsafe_offset(r * out_size)
        for i in range(out_size):
            yr[unsafe_offset=i] = src[unsafe_offset=i] * out_std[unsafe_offset=i] + out_mean[unsafe_offset=i]
    return PythonObject(None)


def panel_width() raises -> PythonObject:
    """Outputs per weight panel (the packing the caller must use for mlp_forward)."""
    return PythonObject(PANEL)


@export
def PyInit_motion_kernels() abi("C") -> PythonObject:
    try:
        var b = PythonModuleBuilder("motion_kernels")
        b.def_function[fk]("fk", docstring="fk(parents, rot, trans, out_rot, out_pos, (frames, joints))")
        b.def_function[mlp_forward]("mlp_forward", docstring="mlp_forward(spec, x, y, rows)")
        b.def_function[panel_width]("panel_width", docstring="outputs per packed weight panel")
        return b.finalize()
    except e:
        abort(t"motion_kernels: module init failed: {e}")
