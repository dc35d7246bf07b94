"""PlaybackClock: frames follow wall time (dropping frames), loop, speed, stepping."""
import pytest

from gui.playback import PlaybackClock


class FakeTime:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    t = FakeTime()
    c = PlaybackClock(num_frames=100, fps=30.0, clock=t)
    c.fake = t
    return c


def test_frame_follows_wall_time_not_tick_count(clock):
    clock.play()
    clock.fake.now += 0.5  # one slow repaint of half a second: 15 frames are skipped, not slowed down
    assert clock.frame == 15
    clock.fake.now += 1.0
    assert clock.frame == 45


def test_speed_and_pause(clock):
    clock.set_speed(2.0)
    clock.play()
    clock.fake.now += 1.0
    assert clock.frame == 60
    clock.pause()
    clock.fake.now += 10.0
    assert clock.frame == 60 and not clock.playing
    clock.set_speed(100)  # clamped to 4x
    assert clock.speed == 4.0
    clock.set_speed(0.0)
    assert clock.speed == pytest.approx(0.1)


def test_loop_wraps_and_no_loop_stops_at_end(clock):
    clock.play()
    clock.fake.now += 110 / 30  # 110 frames later
    assert clock.frame == 10 and clock.playing
    clock.set_loop(False)
    clock.fake.now += 200 / 30
    assert clock.frame == 99 and not clock.playing
    clock.play()  # at the end without loop: starts again from the beginning
    assert clock.frame == 0 and clock.playing


def test_step_pauses_and_wraps_when_looping(clock):
    clock.play()
    clock.fake.now += 1.0
    clock.step(1)
    assert not clock.playing and clock.frame == 31
    clock.seek(0)
    clock.step(-1)
    assert clock.frame == 99
    clock.set_loop(False)
    clock.seek(0)
    clock.step(-1)
    assert clock.frame == 0


def test_empty_and_single_frame_clips_never_play():
    c = PlaybackClock(num_frames=1, fps=30)
    c.play()
    assert not c.playing and c.frame == 0
    c.set_clip(0, 0.0)  # fps 0 falls back to a sane default instead of dividing by zero
    assert c.fps == 30.0 and c.frame == 0
