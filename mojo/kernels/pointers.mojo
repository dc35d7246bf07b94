"""Raw pointer aliases shared by the kernels and the Python extension (contiguous row-major float32 data)."""

comptime F32Ptr = Pointer[Float32, MutUntrackedOrigin]
comptime I64Ptr = Pointer[Int64, MutUntrackedOrigin]
comptime F64Ptr = Pointer[Float64, MutUntrackedOrigin]
