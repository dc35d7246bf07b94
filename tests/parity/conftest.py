"""Fixtures shared by the parity tests."""
from __future__ import annotations

import pytest

from parity.compare import DEEPMIMIC_KINDS


@pytest.fixture(scope="module")
def cache(compiled_max_cache):
    """MOTION_STUDIO_CACHE pointing at a temporary store with the DeepMimic MAX models compiled, for the module."""
    mp = pytest.MonkeyPatch()
    path = compiled_max_cache(DEEPMIMIC_KINDS)
    mp.setenv("MOTION_STUDIO_CACHE", str(path))
    yield path
    mp.undo()
