"""Request bodies of the HTTP service (pydantic): anything that does not fit is a 422 naming the field."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from inference.transition import MAX_LENGTH, MIN_LENGTH

BACKENDS = ("torch", "max", "max-mojo")
Name = Annotated[str, Field(min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class BvhClip(Strict):
    """A clip sent along: the text of a BVH file of any rig the model can read."""

    bvh: str = Field(min_length=1)


class StyleCode(Strict):
    """A saved style code's features (`inference.transition.StyleFeatures`): (style_frames - 1, J, 12)."""

    code: list[list[list[float]]] = Field(min_length=1)
    name: str = "code"


class TransitionBody(Strict):
    """source / target: an embedded or library clip name, or {"bvh": text}; frames index the clip at its
    own rate (negative from the end; default the source's last and the target's first frame); style: a
    clip name (or custom style name), {"bvh": text} or {"code": features}; default the source clip."""

    source: Name | BvhClip
    source_frame: int = -1
    target: Name | BvhClip
    target_frame: int = 0
    length: int = Field(30, ge=MIN_LENGTH, le=MAX_LENGTH)
    style: Name | BvhClip | StyleCode | None = None
    seed: int = Field(0, ge=0, le=2**32 - 1)
    backend: Literal[BACKENDS] = "torch"  # type: ignore[valid-type]


class CompareBody(TransitionBody):
    """The same transition on torch and on `candidate` (`inference.compare_transition`); backend is unused."""

    candidate: Literal["max", "max-mojo"] = "max"
