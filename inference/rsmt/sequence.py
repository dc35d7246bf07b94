"""Sequences: a track of clips with an RSMT transition at each junction, rendered as one take.

A take is built left to right. It starts as the first clip's used frames; at each junction a transition
(`inference.rsmt.transition`) goes from the take's last frame to the next clip's first used frame, and that clip
carries on to its last used frame where the transition placed it ("follow": turned and moved to continue
the take). The source of every transition is the take so far, so each clip continues where the previous
one ended, and the result is one clip at 30 fps on the first clip's skeleton (any clip whose skeleton has
the model's joints can follow). A junction without a style of its own takes the style of the clip before it.

The project file that stores a sequence (clips by path, junction settings, named styles) is
`inference.rsmt.sequence_file`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from inference.backends.base import APP_BACKENDS
from inference.rsmt.transition import (MAX_LENGTH, MIN_LENGTH, StyleFeatures, TransitionError, TransitionGenerator,
                                  TransitionRequest, TransitionResult)
from motion import features as F
from motion.motion import Motion
from motion.ops import slice_frames


@dataclass
class TrackClip:
    """A clip on the track. clip: an embedded clip name or a file path (relative paths are relative to the
    project file's folder); start / end: the first and last frame used (inclusive, at the clip's own frame
    rate; negative counts from the end)."""

    clip: str
    start: int = 0
    end: int = -1


@dataclass
class Junction:
    """The transition between two neighbouring clips. style: a name in `Sequence.styles`, or None for the
    style of the clip before the junction."""

    length: int = 30
    style: str | None = None
    seed: int = 0
    backend: str = "torch"


@dataclass
class Sequence:
    """clips[i] and clips[i + 1] meet at junctions[i]. styles: name -> a style clip (embedded name or file)
    or a saved style code (.npy / .json, `StyleFeatures.save`)."""

    clips: list[TrackClip]
    junctions: list[Junction]
    styles: dict[str, str] = field(default_factory=dict)

    def problems(self) -> list[str]:
        """What makes this sequence unusable, one `where: what` line each (empty when it is fine)."""
        out = []
        if not self.clips:
            out.append("clips: a sequence needs at least one clip")
        if len(self.junctions) != max(len(self.clips) - 1, 0):
            out.append(f"junctions: {len(self.clips)} clips need {max(len(self.clips) - 1, 0)} junctions, "
                       f"found {len(self.junctions)}")
        for i, j in enumerate(self.junctions):
            if not MIN_LENGTH <= j.length <= MAX_LENGTH:
                out.append(f"junctions[{i}].length: must be {MIN_LENGTH}..{MAX_LENGTH} frames, got {j.length}")
            if j.backend not in APP_BACKENDS:
                out.append(f"junctions[{i}].backend: unknown backend {j.backend!r} (choose {', '.join(APP_BACKENDS)})")
            if j.style is not None and j.style not in self.styles:
                out.append(f"junctions[{i}].style: {j.style!r} is not one of the styles "
                           f"({', '.join(self.styles) or 'none defined'})")
        return out


@dataclass
class Segment:
    """A range of the take's frames: kind "clip" (index into Sequence.clips) or "transition" (index into
    Sequence.junctions), frames start..stop-1."""

    kind: str
    index: int
    start: int
    stop: int


@dataclass
class SequenceResult:
    motion: Motion  # the take
    segments: list[Segment]  # clip, transition, clip, ... covering every frame of the take in order
    transitions: list[TransitionResult]  # one per junction, each on the take so far


def used_frames(motion: Motion, track: TrackClip, where: str) -> Motion:
    """The frames of `motion` a track clip uses (TransitionError naming `where` when out of range)."""
    n = motion.num_frames
    for name in ("start", "end"):
        value = getattr(track, name)
        if not -n <= value < n:
            raise TransitionError(f"{where}.{name}: frame {value} is out of range: {track.clip} has {n} frames")
    start, end = track.start % n, track.end % n
    if end < start:
        raise TransitionError(f"{where}: end frame {end} is before start frame {start}")
    return slice_frames(motion, start, end + 1)


def render_sequence(sequence: Sequence, clips: list[Motion], styles: dict[str, Motion | StyleFeatures | Path],
                    generator: TransitionGenerator, name: str = "sequence",
                    progress: Callable[[int, int], bool | None] | None = None) -> SequenceResult:
    """The take of `sequence`, given its clips (one Motion per track clip, whole: the track's start/end are
    applied here) and its styles resolved (`inference.rsmt.sequence_file.resolve`). progress(done, total) counts
    the sampler steps of all junctions (`TransitionGenerator.generate`); returning False stops with
    TransitionCancelled."""
    problems = sequence.problems()
    if problems:
        raise TransitionError("; ".join(problems))
    parts = [used_frames(m, t, f"clips[{i}]") for i, (m, t) in enumerate(zip(clips, sequence.clips, strict=True))]
    take = parts[0]
    segments = [Segment("clip", 0, 0, take.num_frames)]
    results: list[TransitionResult] = []
    steps = [generator.total_steps(j.length) for j in sequence.junctions]
    total = sum(steps)
    for i, junction in enumerate(sequence.junctions):
        target = parts[i + 1]
        done_before = sum(steps[:i])
        request = TransitionRequest(
            take, target, length=junction.length, source_frame=-1, target_frame=0,
            style=parts[i] if junction.style is None else styles[junction.style], seed=junction.seed,
            backend=junction.backend, target_frames=round((target.num_frames - 1) * F.FPS / target.fps))
        step = None if progress is None else (lambda d, t, base=done_before: progress(base + d, total))
        try:
            result = generator.generate(request, step)
        except TransitionError as e:
            raise TransitionError(f"junctions[{i}]: {e}") from None
        segments[-1].stop = result.generated.start  # a clip before 30 fps shrinks or grows when resampled
        segments += [Segment("transition", i, result.generated.start, result.generated.stop),
                     Segment("clip", i + 1, result.generated.stop, result.motion.num_frames)]
        results.append(result)
        take = result.motion
    motion = Motion(take.skeleton, take.rotations, take.translations, take.fps, name=name)
    return SequenceResult(motion, segments, results)
