"""Qt-free motion core: skeletons, rotations, forward kinematics, BVH and DeepMimic-format I/O."""
