"""Property-based fuzzing of the BVH and DeepMimic readers (hypothesis): whatever the bytes, a read gives a
Motion whose arrays are finite and whose fps is in range, and which writes back and reads again, or a
MotionFileError naming the file; never another exception. BVH cases are the committed fixtures after
random mutations (tests/bvh_mutations.py: the kinds of token that broke readers before); DeepMimic cases
are generated JSON with hostile values in the frame rows. 3,000 cases (2,000 BVH, 1,000 DeepMimic;
20-40 s on 2 busy cores), bounded by hypothesis's example counts (no wall clock)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motion.bvh import read_bvh, write_bvh
from motion.deepmimic import read_deepmimic, write_deepmimic
from motion.errors import MotionFileError
from motion.motion import FPS_RANGE, Motion

from bvh_mutations import mutate  # tests/bvh_mutations.py

DATA = Path(__file__).parents[1] / "data"
FIXTURES = sorted((DATA / "bvh").glob("*.bvh"))
SEEDS = {p.name: p.read_bytes() for p in FIXTURES if p.stat().st_size < 20_000}
WALK_ROWS = json.loads((Path(__import__("pybullet_data").getDataPath()) / "data" / "motions" /
                        "humanoid3d_walk.txt").read_text())["Frames"][:4]
SETTINGS = dict(deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def check_motion(motion: Motion) -> None:
    assert np.isfinite(motion.rotations).all() and np.isfinite(motion.translations).all()
    assert np.isfinite(motion.skeleton.offsets).all()
    assert all(np.isfinite(e).all() for e in motion.skeleton.end_sites.values())
    assert FPS_RANGE[0] <= motion.fps <= FPS_RANGE[1] and np.isfinite(motion.duration)


@st.composite
def mutated_bvh(draw) -> bytes:
    seed = SEEDS[draw(st.sampled_from(sorted(SEEDS)))]
    return mutate(seed, np.random.default_rng(draw(st.integers(0, 2**32 - 1))), draw(st.integers(1, 6)))


@settings(max_examples=2000, **SETTINGS)
@given(data=mutated_bvh())
def test_bvh_reader_gives_a_finite_motion_or_a_clear_error(tmp_path_factory, data):
    read_write_read(tmp_path_factory.mktemp("fuzz_bvh", numbered=True) / "fuzz.bvh", data, read_bvh, write_bvh)


def read_write_read(path: Path, data: bytes, read, write) -> None:
    """The property: `read` gives a finite Motion that writes back and reads again, or a MotionFileError
    naming the file."""
    path.write_bytes(data)
    try:
        motion = read(path)
    except MotionFileError as e:
        assert str(e).startswith(str(path))
        return
    check_motion(motion)
    back = path.with_name("back" + path.suffix)
    write(motion, back)
    check_motion(read(back))


NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**30, 10**30),
                    st.sampled_from([10**400, 1e-320, 1e300, -0.0, 0.0]), st.text(max_size=3), st.none(),
                    st.booleans(), st.lists(st.integers(), max_size=2))


@st.composite
def deepmimic_document(draw) -> str:
    rows = [list(r) for r in WALK_ROWS[:draw(st.integers(0, len(WALK_ROWS)))]]
    for _ in range(draw(st.integers(0, 4))):
        if not rows:
            break
        row = rows[draw(st.integers(0, len(rows) - 1))]
        kind = draw(st.sampled_from(["value", "shorten", "lengthen", "zero_quat"]))
        if kind in ("value", "shorten") and not row:
            continue
        if kind == "value":
            row[draw(st.integers(0, len(row) - 1))] = draw(NUMBERS)
        elif kind == "shorten":
            del row[draw(st.integers(0, len(row) - 1))]
        elif kind == "lengthen":
            row.append(draw(NUMBERS))
        else:
            row[4:8] = [0, 0, 0, 0]
    doc = draw(st.sampled_from(["frames", "json", "nested"]))
    if doc == "json":
        return json.dumps(draw(st.recursive(st.none() | st.integers() | st.floats() | st.text(max_size=4),
                                            lambda c: st.lists(c, max_size=3) | st.dictionaries(
                                                st.sampled_from(["Frames", "Loop", "x"]), c, max_size=3),
                                            max_leaves=12)))
    if doc == "nested":
        depth = draw(st.integers(1, 50_000))
        return "[" * depth + "]" * depth
    loop = draw(st.sampled_from(["wrap", "none", 3, None]))
    text = json.dumps({"Loop": loop, "Frames": rows}, default=str)
    return text.replace("1e+400", "1" + "0" * 400)


@settings(max_examples=1000, **SETTINGS)
@given(text=deepmimic_document())
def test_deepmimic_reader_gives_a_finite_motion_or_a_clear_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz_dm", numbered=True) / "fuzz.txt"
    read_write_read(path, text.encode(), read_deepmimic, write_deepmimic)
