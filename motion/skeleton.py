"""Skeleton: joint hierarchy, rest offsets and the per-joint channel layout of the source file."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

POSITION_CHANNELS = ("Xposition", "Yposition", "Zposition")
ROTATION_CHANNELS = ("Xrotation", "Yrotation", "Zrotation")


@dataclass
class Skeleton:
    """A joint tree in parent-before-child order.

    names    -- joint names, unique within the skeleton
    parents  -- (J,) int, -1 for the root; parents[j] < j for every other joint
    offsets  -- (J, 3) float32 rest translation of each joint relative to its parent (file units)
    channels -- per joint, the channel names in file order, e.g. ("Xposition", ..., "Zrotation", ...)
    end_sites -- joint index -> (3,) offset of that joint's End Site, kept so a writer can reproduce it
    """

    names: list[str]
    parents: np.ndarray
    offsets: np.ndarray
    channels: list[tuple[str, ...]]
    end_sites: dict[int, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.parents = np.asarray(self.parents, dtype=np.int64)
        self.offsets = np.asarray(self.offsets, dtype=np.float32).reshape(-1, 3)
        self.channels = [tuple(c) for c in self.channels]
        n = len(self.names)
        if not (len(self.parents) == len(self.offsets) == len(self.channels) == n):
            raise ValueError("skeleton arrays disagree on the joint count")
        for j, p in enumerate(self.parents):
            if (j == 0) != (p < 0) or p >= j:
                raise ValueError(f"joint {self.names[j]!r}: parent {p} is not an earlier joint")

    @property
    def num_joints(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        return self.names.index(name)

    def rotation_order(self, j: int) -> str:
        """Euler order of joint j as its channels list it, e.g. 'ZYX' (intrinsic); 'ZYX' if none."""
        order = "".join(c[0] for c in self.channels[j] if c in ROTATION_CHANNELS)
        return order if len(order) == 3 else "ZYX"

    def has_position_channels(self, j: int) -> bool:
        return any(c in POSITION_CHANNELS for c in self.channels[j])

    def children(self, j: int) -> list[int]:
        return [k for k, p in enumerate(self.parents) if p == j]
