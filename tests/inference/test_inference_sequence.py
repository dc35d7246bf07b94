"""Sequences (inference/sequence.py), their project file (inference/sequence_file.py) and the `sequence`
command, with random-weight lite RSMT weights on the torch backend."""
from __future__ import annotations

import json

import numpy as np
import pytest

import cli
from inference.rsmt.models import load_rsmt, random_rsmt_weights
from inference.rsmt.sequence import Junction, Sequence, TrackClip, render_sequence
from inference.rsmt.sequence_file import load_sequence, resolve, save_sequence
from inference.rsmt.transition import TransitionGenerator
from motion.bvh import read_bvh
from motion.deepmimic import load_embedded
from motion.errors import MotionFileError
from motion.io import save_motion


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rsmt_sequence")
    random_rsmt_weights(folder, seed=7)
    return folder


@pytest.fixture(scope="module")
def generator(weights):
    return TransitionGenerator(load_rsmt(weights))


def three_clips() -> Sequence:
    return Sequence([TrackClip("humanoid3d_walk"), TrackClip("humanoid3d_run", 2, 20), TrackClip("humanoid3d_walk", 0, 15)],
                    [Junction(20, "jumpy", 1), Junction(12, None, 4)], {"jumpy": "humanoid3d_jump"})


def render(sequence: Sequence, generator, folder="."):
    clips, styles = resolve(sequence, folder)
    return render_sequence(sequence, clips, styles, generator)


def test_three_clips_two_transitions_make_one_take(generator):
    result = render(three_clips(), generator)
    kinds = [(s.kind, s.index) for s in result.segments]
    assert kinds == [("clip", 0), ("transition", 0), ("clip", 1), ("transition", 1), ("clip", 2)]
    assert result.segments[0].start == 0 and result.segments[-1].stop == result.motion.num_frames
    assert all(a.stop == b.start for a, b in zip(result.segments, result.segments[1:]))
    walk, run = load_embedded("humanoid3d_walk"), load_embedded("humanoid3d_run")
    first, gen0, second, gen1, third = result.segments
    assert (gen0.stop - gen0.start, gen1.stop - gen1.start) == (20, 12)
    # the first clip as it is; each later clip's frames after its start frame (the keyframe, the last generated
    # frame), its joints posed as in the clip (the root turned and moved to continue the take)
    assert first.stop == walk.num_frames
    np.testing.assert_allclose(result.motion.rotations[:first.stop], walk.rotations, atol=1e-6)
    assert second.stop - second.start == 18 and third.stop - third.start == 15
    np.testing.assert_allclose(np.abs(np.sum(result.motion.rotations[second.start:second.stop, 1:]
                                             * run.rotations[3:21, 1:], axis=-1)), 1, atol=1e-5)
    assert np.all(np.isfinite(result.motion.rotations)) and np.all(np.isfinite(result.motion.translations))


def test_changing_the_second_junction_keeps_everything_before_it(generator):
    sequence = three_clips()
    before = render(sequence, generator)
    sequence.junctions[1].seed = 5
    after = render(sequence, generator)
    start = before.segments[3].start
    assert after.segments[3].start == start
    np.testing.assert_array_equal(before.motion.rotations[:start], after.motion.rotations[:start])
    assert not np.allclose(before.motion.rotations[start:], after.motion.rotations[start:])
    again = render(sequence, generator)
    np.testing.assert_array_equal(after.motion.rotations, again.motion.rotations)


def test_progress_counts_frames_over_all_junctions(generator):
    clips, styles = resolve(three_clips(), ".")
    seen = []
    render_sequence(three_clips(), clips, styles, generator, progress=lambda d, t: seen.append((d, t)))
    total = generator.total_steps(20) + generator.total_steps(12)  # warm-up and generated frames, both junctions
    assert seen[-1] == (total, total) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_project_round_trip_with_paths_relative_to_the_project(generator, tmp_path, monkeypatch):
    folder = tmp_path / "project"
    (folder / "takes").mkdir(parents=True)
    save_motion(load_embedded("humanoid3d_run"), folder / "takes" / "run.bvh")
    sequence = Sequence([TrackClip("humanoid3d_walk", 0, -1), TrackClip("takes/run.bvh", 1, -2)],
                        [Junction(15, "jumpy", 3, "torch")], {"jumpy": "humanoid3d_jump"})
    save_sequence(sequence, folder / "p.json")
    assert load_sequence(folder / "p.json") == sequence
    assert not list(folder.glob(".p.json.*"))  # the atomic write left no temporary file
    monkeypatch.chdir(tmp_path)  # relative paths resolve against the project's folder, not the working folder
    clips, _ = resolve(load_sequence(folder / "p.json"), folder)
    assert clips[1].source == str(folder / "takes" / "run.bvh")


@pytest.mark.parametrize("text, message", [
    ('{"format": "motion-studio-sequence",\n "version": 1,\n "clips": [}', "p.json:3: not valid JSON"),
    ('[1, 2]', 'p.json: not a sequence file'),
    ('{"format": "motion-studio-sequence", "version": 1, "clips": [{"clip": "humanoid3d_walk", "stat": 3}]}',
     "p.json: clips[0]: unknown key 'stat'"),
    ('{"format": "motion-studio-sequence", "version": 1, "clips": [{"start": 3}]}', 'p.json: clips[0]: no "clip"'),
    ('{"format": "motion-studio-sequence", "version": 1, "clips": [{"clip": "a"}, {"clip": "b"}]}',
     "p.json: junctions: 2 clips need 1 junctions, found 0"),
    ('{"format": "motion-studio-sequence", "version": 1, "clips": [{"clip": "a"}, {"clip": "b"}], '
     '"junctions": [{"length": 80}]}', "p.json: junctions[0].length: must be 10..60 frames, got 80"),
    ('{"format": "motion-studio-sequence", "version": 1, "clips": [{"clip": "a"}, {"clip": "b"}], '
     '"junctions": [{"seed": "1"}]}', 'p.json: junctions[0].seed: expected an integer, got "1"'),
    ('{"format": "motion-studio-sequence", "version": 1, "clips": [{"clip": "a"}, {"clip": "b"}], '
     '"junctions": [{"style": "sad"}]}', "p.json: junctions[0].style: 'sad' is not one of the styles"),
])
def test_bad_project_files_name_the_file_and_the_entry(tmp_path, text, message):
    (tmp_path / "p.json").write_text(text)
    with pytest.raises(MotionFileError) as e:
        load_sequence(tmp_path / "p.json")
    assert str(e.value).startswith(str(tmp_path / message.split(":")[0]))
    assert str(e.value)[len(str(tmp_path)) + 1:].startswith(message)


def test_cli_writes_the_take(weights, tmp_path, capsys):
    save_sequence(three_clips(), tmp_path / "p.json")
    code = cli.main(["sequence", str(tmp_path / "p.json"), "--out", str(tmp_path / "take.bvh"),
                     "--weights", str(weights), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out)
    take = read_bvh(tmp_path / "take.bvh")
    assert take.num_frames == summary["frames"] == summary["segments"][-1]["stop"]
    assert [s["kind"] for s in summary["segments"]] == ["clip", "transition", "clip", "transition", "clip"]
    assert np.all(np.isfinite(take.rotations))


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.clips.__setitem__(1, TrackClip("missing.bvh")), "missing.bvh: no such file"),
    (lambda s: s.clips.__setitem__(1, TrackClip("humanoid3d_run", 0, 40)),
     "p.json: clips[1].end: frame 40 is out of range: humanoid3d_run has 25 frames"),
    (lambda s: s.junctions.__setitem__(0, Junction(backend="tpu")), "p.json: junctions[0].backend: unknown backend"),
])
def test_cli_bad_input_is_one_error_line(weights, tmp_path, capsys, edit, message):
    sequence = three_clips()
    edit(sequence)
    save_sequence(sequence, tmp_path / "p.json")
    code = cli.main(["sequence", str(tmp_path / "p.json"), "--out", str(tmp_path / "take.bvh"),
                     "--weights", str(weights)])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "take.bvh").exists()


def test_walk_run_walk_hands_over_without_a_foot_pop():
    """Regression: with the shipped weights, walk > run > walk moved the right ankle 0.64 m in one frame two
    frames before the run > walk keyframe (a foot-lock hold cut off by the landed last frame). Over the landing
    frames of each transition and the hand-over into the next clip, no ankle may move much further in a frame
    than it does anywhere in the two clips the transition joins (a generated swing runs up to ~1.1 times the
    run's fastest; the pop was 2.4 times)."""
    from inference.rsmt.postprocess import LANDING_FRAMES
    from motion.fk import world_positions

    sequence = Sequence([TrackClip("humanoid3d_walk"), TrackClip("humanoid3d_run"), TrackClip("humanoid3d_walk")],
                        [Junction(30), Junction(30)])
    result = render(sequence, TransitionGenerator(load_rsmt()))
    ankles = [i for i, n in enumerate(result.motion.skeleton.names) if n.endswith("ankle")]
    assert len(ankles) == 2

    def steps(motion) -> np.ndarray:  # (F - 1,) the larger of the two ankles' moves from each frame to the next
        return np.linalg.norm(np.diff(world_positions(motion)[:, ankles], axis=0), axis=-1).max(axis=-1)

    own = {name: steps(load_embedded(name)).max() for name in ("humanoid3d_walk", "humanoid3d_run")}
    take = steps(result.motion)
    for seg in result.segments[1::2]:
        joined = max(own[sequence.clips[seg.index].clip], own[sequence.clips[seg.index + 1].clip])
        landing = take[seg.stop - LANDING_FRAMES - 1:seg.stop]  # into each landing frame and into the next clip
        assert landing.max() <= 1.25 * joined, (seg, landing.round(3), joined)
