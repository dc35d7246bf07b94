"""Where Motion Studio keeps what it derives at run time (never committed)."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir(kind: str) -> Path:
    """``$MOTION_STUDIO_CACHE/<kind>``, else ``$XDG_CACHE_HOME/motion-studio/<kind>``, else
    ``~/.cache/motion-studio/<kind>``. Tests point MOTION_STUDIO_CACHE at a temporary folder."""
    root = os.environ.get("MOTION_STUDIO_CACHE")
    if root:
        return Path(root) / kind
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "motion-studio" / kind
