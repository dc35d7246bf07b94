"""Qt-free geometry for the 3-D view: axis conversion and scale-aware framing of a clip.

Motion data is Y-up (BVH, DeepMimic); the OpenGL view orbits around a Z-up world. `to_gl` applies the
proper rotation (x, y, z) -> (x, -z, y), so a skeleton standing along +Y stands along +Z, and handedness
is kept (no mirror image).

Clips come in metres (DeepMimic, about 1.7 high) or centimetres (most BVH, about 170 high), so the floor
grid spacing and the camera distance are derived from the clip's own extent instead of fixed numbers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def to_gl(positions_yup: np.ndarray) -> np.ndarray:
    """(..., 3) Y-up positions -> (..., 3) Z-up positions for the GL view (float32, new array)."""
    p = np.asarray(positions_yup, dtype=np.float32)
    out = np.empty_like(p)
    out[..., 0] = p[..., 0]
    out[..., 1] = -p[..., 2]
    out[..., 2] = p[..., 1]
    return out


def bone_pairs(parents: np.ndarray) -> np.ndarray:
    """(B, 2) joint index pairs (parent, child) for every non-root joint."""
    parents = np.asarray(parents)
    children = np.nonzero(parents >= 0)[0]
    return np.stack([parents[children], children], axis=1).astype(np.int64)


def nice_step(value: float) -> float:
    """The 1-2-5 series number (…, 0.1, 0.2, 0.5, 1, 2, 5, 10, …) closest below `value`."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    exponent = math.floor(math.log10(value))
    base = 10.0**exponent
    for m in (5.0, 2.0, 1.0):
        if m * base <= value:
            return m * base
    return base


TRAVEL_BODIES = 3.0


@dataclass(frozen=True)
class Framing:
    """Where to put the camera and the floor for one clip, in GL (Z-up) coordinates."""

    center: tuple[float, float, float]  # middle of everything the clip visits
    half_width: float  # horizontal radius (half the floor-plane diagonal) of everything the clip visits
    half_height: float  # half its vertical extent
    body_height: float  # typical standing height of the skeleton (vertical extent of one pose)
    grid_spacing: float
    grid_size: float  # side of the square floor grid, centred on `center`
    floor_z: float
    travels: bool = False  # the root's path is long next to the body (TRAVEL_BODIES body heights or more)


def camera_distance(half_width: float, half_height: float, fov_deg: float, width: int, height: int,
                    margin: float = 1.15) -> float:
    """Camera distance at which a box of horizontal radius `half_width` (any azimuth) and vertical
    half-extent `half_height` around the view centre fits the view. fov_deg is horizontal, as in
    pyqtgraph; the box's near part is closer to the camera and looks bigger, hence the added
    quarter of half_width (enough for the elevations frame_all uses)."""
    half_h = math.radians(fov_deg) / 2
    half_v = math.atan(math.tan(half_h) * max(height, 1) / max(width, 1))  # a hidden view has no size yet
    fit = max(half_width / math.tan(half_h), half_height / math.tan(half_v))
    return margin * fit + 0.25 * half_width


def frame_clip(positions_gl: np.ndarray) -> Framing:
    """Framing for (F, J, 3) Z-up positions (all frames)."""
    p = np.asarray(positions_gl, dtype=np.float64)
    finite = p[np.isfinite(p).all(axis=-1)]
    if finite.size == 0:
        return Framing((0.0, 0.0, 0.0), 1.0, 1.0, 1.0, 1.0, 10.0, 0.0)
    lo, hi = finite.min(axis=0), finite.max(axis=0)
    per_frame_height = np.nanmax(p[..., 2], axis=1) - np.nanmin(p[..., 2], axis=1)
    body = float(np.nanmedian(per_frame_height))
    span = float(np.linalg.norm(hi - lo))
    body = body if body > 0 else max(span, 1e-3)
    half_width = max(float(np.linalg.norm(hi[:2] - lo[:2])) / 2, body / 4)
    half_height = max(float(hi[2] - lo[2]) / 2, body / 2)
    center = (lo + hi) / 2
    spacing = nice_step(body / 4)
    extent = max(hi[0] - lo[0], hi[1] - lo[1]) + 2 * body
    grid = math.ceil(extent / spacing) * spacing
    # the data's ground plane is y = 0 when the feet touch it; otherwise put the floor under the lowest joint
    floor = 0.0 if abs(lo[2]) <= 0.25 * body else float(lo[2])
    root = p[:, 0, :2][np.isfinite(p[:, 0, :2]).all(axis=-1)]
    path = float(np.linalg.norm(root.max(axis=0) - root.min(axis=0))) if len(root) else 0.0
    return Framing(tuple(float(c) for c in center), half_width, half_height, body, spacing, float(grid), floor,
                   path >= TRAVEL_BODIES * body)
