"""motion.io: dispatch by extension, CLIP arguments (embedded name or path, `:FRAME`), atomic writes."""
from pathlib import Path

import numpy as np
import pytest

from motion.errors import MotionFileError
from motion.atomic import atomic_write
from motion.fk import world_positions
from motion.io import load_motion, parse_clip_spec, resolve_clip, resolve_clip_frame, save_motion

DATA = Path(__file__).parents[1] / "data" / "bvh"


def test_load_and_save_dispatch_on_extension(tmp_path):
    walk = resolve_clip("humanoid3d_walk")
    assert walk.skeleton.num_joints == 13 and walk.num_frames == 39
    assert save_motion(walk, tmp_path / "walk.BVH") == []
    assert save_motion(walk, tmp_path / "walk.txt") == []
    bvh, txt = load_motion(tmp_path / "walk.BVH"), load_motion(tmp_path / "walk.txt")
    assert (tmp_path / "walk.txt").read_text().lstrip().startswith("{")
    for back in (bvh, txt):
        order = [back.skeleton.names.index(n) for n in walk.skeleton.names]
        np.testing.assert_allclose(world_positions(back)[:, order], world_positions(walk), atol=1e-5)


@pytest.mark.parametrize("name, problem", [
    ("clip.fbx", "unknown motion file type '.fbx': expected .bvh or .txt"),
    ("clip", "unknown motion file type '(no extension)'"),
])
def test_unknown_extensions_are_refused(name, problem, tmp_path):
    (tmp_path / name).write_text("x")
    with pytest.raises(MotionFileError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        load_motion(tmp_path / name)
    with pytest.raises(MotionFileError, match="unknown motion file type"):
        save_motion(load_motion(DATA / "clean.bvh"), tmp_path / name)


def test_resolve_clip_prefers_files_and_names_the_choices():
    assert resolve_clip(str(DATA / "clean.bvh")).skeleton.names[0] == "Hips"
    with pytest.raises(MotionFileError, match="no such file or embedded clip .*humanoid3d_walk"):
        resolve_clip("walk")
    with pytest.raises(MotionFileError, match="no such file"):
        resolve_clip("missing.bvh")
    with pytest.raises(MotionFileError, match="is a directory"):
        resolve_clip(str(DATA))


def test_clip_spec_frame_suffix(tmp_path):
    assert parse_clip_spec("walk.bvh:12") == ("walk.bvh", 12)
    assert parse_clip_spec("humanoid3d_run:-1") == ("humanoid3d_run", -1)
    assert parse_clip_spec("humanoid3d_run") == ("humanoid3d_run", None)
    odd = tmp_path / "take:3"  # an existing file whose name ends like a frame suffix is not split
    odd.write_text("")
    assert parse_clip_spec(str(odd)) == (str(odd), None)
    motion, frame = resolve_clip_frame(f"{DATA / 'clean.bvh'}:-1", default=0)
    assert motion.num_frames == 3 and frame == 2
    assert resolve_clip_frame(str(DATA / "clean.bvh"), default=-1)[1] == 2
    with pytest.raises(MotionFileError, match="frame 3 is out of range: the clip has 3 frames"):
        resolve_clip_frame(f"{DATA / 'clean.bvh'}:3", default=0)


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "data.npy"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(target, "wb") as f:
            f.write(b"half")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.npy"]
    with atomic_write(target, "w") as f:
        f.write("new\n")
    assert target.read_text() == "new\n" and (target.stat().st_mode & 0o777) == 0o644
