"""The 100STYLE 23-joint hierarchy for tests (shared by the feature and dataset tests)."""

# A 100STYLE-like hierarchy in the BVH file's order (our own rounded offsets, cm): name, parent, offset.
STYLE100_HIERARCHY = (
    ("Hips", None, (0, 0, 0)), ("Chest", "Hips", (0, 13, 0)), ("Chest2", "Chest", (0, 10, 0)),
    ("Chest3", "Chest2", (0, 9, 0)), ("Chest4", "Chest3", (0, 9, 0)), ("Neck", "Chest4", (0, 13, 0)),
    ("Head", "Neck", (0, 9, 0)), ("RightCollar", "Chest4", (-3, 7, 0)), ("RightShoulder", "RightCollar", (-16, 0, 0)),
    ("RightElbow", "RightShoulder", (-31, 0, 0)), ("RightWrist", "RightElbow", (-25, 0, 0)),
    ("LeftCollar", "Chest4", (3, 7, 0)), ("LeftShoulder", "LeftCollar", (16, 0, 0)),
    ("LeftElbow", "LeftShoulder", (31, 0, 0)), ("LeftWrist", "LeftElbow", (25, 0, 0)),
    ("RightHip", "Hips", (-11, 0, 0)), ("RightKnee", "RightHip", (0, -44, 0)), ("RightAnkle", "RightKnee", (0, -43, 0)),
    ("RightToe", "RightAnkle", (0, -10, 19)), ("LeftHip", "Hips", (11, 0, 0)), ("LeftKnee", "LeftHip", (0, -44, 0)),
    ("LeftAnkle", "LeftKnee", (0, -43, 0)), ("LeftToe", "LeftAnkle", (0, -10, 19)),
)
