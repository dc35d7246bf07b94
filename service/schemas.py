"""Request bodies of the HTTP service (pydantic): anything that does not fit is a 422 naming the field."""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from inference.backends.base import APP_BACKENDS, MAX_BACKENDS
from inference.rsmt.transition import MAX_LENGTH, MIN_LENGTH, STRENGTH_RANGE

Name = Annotated[str, Field(min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class BvhClip(Strict):
    """A clip sent along: the text of a BVH file of any rig the model can read."""

    bvh: str = Field(min_length=1)


class StyleCode(Strict):
    """A saved style code's features (`inference.rsmt.transition.StyleFeatures`): (style_frames - 1, J, 12)."""

    code: list[list[list[float]]] = Field(min_length=1)
    name: str = "code"


def _form(value) -> str | None:
    """Which form a clip or style takes: a name (string), {"bvh": ...} or {"code": ...}."""
    if isinstance(value, str):
        return "name"
    if isinstance(value, dict):
        return "code" if "code" in value else "bvh"
    return {BvhClip: "bvh", StyleCode: "code"}.get(type(value))


def _one_of(*forms):
    """A field that takes any of `forms` ((tag, type), the name first), told apart by `_form`."""
    choices = " or ".join(f'{{"{tag}": ...}}' for tag, _ in forms[1:])
    members = tuple(Annotated[t, Tag(tag)] for tag, t in forms)
    return Annotated[Union[members], Discriminator(_form, custom_error_type="form",
                                                   custom_error_message=f"should be a name or {choices}")]


Clip = _one_of(("name", Name), ("bvh", BvhClip))
Style = _one_of(("name", Name), ("bvh", BvhClip), ("code", StyleCode))


class TransitionBody(Strict):
    """source / target: an embedded or library clip name, or {"bvh": text}; frames index the clip at its
    own rate (negative from the end; default the source's last and the target's first frame); style: a
    clip name (or custom style name), {"bvh": text} or {"code": features}; default the source clip."""

    source: Clip
    source_frame: int = -1
    target: Clip
    target_frame: int = 0
    length: int = Field(30, ge=MIN_LENGTH, le=MAX_LENGTH)
    style: Style | None = None
    seed: int = Field(0, ge=0, le=2**32 - 1,
                      description="0: the transition the evaluation scores; any other seed: a variation of it")
    style_strength: float = Field(1.0, ge=STRENGTH_RANGE[0], le=STRENGTH_RANGE[1],
                                  description="1: the style as it is; another value pushes it from the model's "
                                              "'normal' motion (models whose style library has one)")
    backend: Literal[APP_BACKENDS] = "torch"  # type: ignore[valid-type]


class CompareBody(TransitionBody):
    """The same transition on torch and on `candidate` (`parity.compare_transition`); backend is unused."""

    candidate: Literal[MAX_BACKENDS] = "max"  # type: ignore[valid-type]
