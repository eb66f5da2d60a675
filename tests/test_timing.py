"""Frame schedules: when each snapshot is shown (``--timing``, ``--hold``)."""

import math

import numpy as np
import pytest
from conftest import tiny_config
from PIL import Image

from toygan import train
from toygan.errors import ToyganError
from toygan.render import render
from toygan.render.timing import (
    CAPTION_SECONDS,
    END_SECONDS,
    MAX_SLOWDOWN,
    START_SECONDS,
    WORDS_PER_SECOND,
    change,
    even,
    hold_captions,
    parse_holds,
    schedule,
)


@pytest.fixture(scope="module")
def history():
    return train(tiny_config(**{"train.steps": 200, "record.every": 10}), progress=False)  # 21 snapshots


def gif_durations(path) -> list[int]:
    """Each GIF frame's time in ms (Pillow joins repeated frames into one, adding their times)."""
    with Image.open(path) as im:
        durations = []
        for k in range(im.n_frames):
            im.seek(k)
            durations.append(im.info["duration"])
    return durations


def counts(frames, n):
    return np.bincount(frames, minlength=n)


def test_even_spreads_the_snapshots_with_first_and_last():
    np.testing.assert_array_equal(even(5, 10), np.arange(5))
    idx = even(101, 8)
    assert len(idx) == 8 and idx[0] == 0 and idx[-1] == 100 and np.all(np.diff(idx) > 0)


@pytest.mark.parametrize("timing", ["log", "changes"])
def test_a_schedule_runs_forward_from_first_to_last_in_the_frames_asked(history, timing):
    frames = schedule(history, 60, timing)
    assert len(frames) == 60 and frames[0] == 0 and frames[-1] == history.n_snapshots - 1
    assert np.all(np.diff(frames) >= 0)


def test_log_timing_slows_the_early_steps(history):
    c = counts(schedule(history, 60, "log"), history.n_snapshots)
    assert c[1:4].sum() > 3 * c[-3:].sum()  # steps 10-30 are on screen far longer than 180-200
    assert c.max() <= MAX_SLOWDOWN * 60 / (history.n_snapshots - 1) + 2


def test_changes_timing_gives_time_where_the_picture_changes(history):
    moved = change(history)
    assert moved[0] == 0 and np.isclose(moved.sum(), 1)
    c = counts(schedule(history, 80, "changes"), history.n_snapshots)
    busy, quiet = np.argsort(moved[1:])[-3:] + 1, np.argsort(moved[1:])[:3] + 1
    assert c[busy].sum() > 2 * c[quiet].sum()


def test_a_history_that_does_not_change_gets_even_time(history, monkeypatch):
    import toygan.render.timing as timing

    monkeypatch.setattr(timing, "change", lambda h, member=0: np.zeros(h.n_snapshots))
    assert schedule(history, 10, "changes") == [int(i) for i in even(history.n_snapshots, 10)]


def test_holds_repeat_the_nearest_snapshot(history):
    frames = schedule(history, 8, "even", holds={104: 1.5}, fps=4)
    i = 10  # step 100, the nearest snapshot to 104
    assert frames.count(i) == 1 + 6 and len(frames) == 8 + 1 + 6  # step 100 was skipped by even: shown
    assert np.all(np.diff(frames) >= 0)


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"timing": "slow"}, "timing = 'slow': choose one of"),
    ({"holds": {500: 1}}, "hold at step 500: this run recorded steps 0 to 200"),
    ({"holds": {100: 60}}, "hold at step 100: seconds = 60"),
    ({"max_frames": 1}, "max_frames = 1"),
])
def test_bad_schedules_are_named(history, kwargs, needle):
    with pytest.raises(ToyganError, match=needle):
        schedule(history, **{"max_frames": 10, **kwargs})


def test_parse_holds():
    assert parse_holds("200:2, 3000:1.5,40") == {200: 2.0, 3000: 1.5, 40: 2.0}
    with pytest.raises(ToyganError, match="--hold 'x:1': give STEP:SECONDS"):
        parse_holds("x:1")


def test_a_gif_with_changes_timing_spends_its_time_by_the_schedule(history, tmp_path):
    path = render(history, tmp_path / "a.gif", timing="changes", max_frames=40, fps=10, width=480,
                  panels=["samples"])
    durations = gif_durations(path)
    # 40 frames at 10 fps, the first held 1.5 s and the last 3 s (Pillow merges equal frames
    # into one, with their times added)
    assert durations[0] >= 1000 * START_SECONDS and durations[-1] >= 1000 * END_SECONDS
    assert sum(durations) == pytest.approx(100 * 38 + 1000 * (START_SECONDS + END_SECONDS), abs=50)
    assert max(durations[1:-1]) > 100  # some moment is slowed down


def test_a_log_record_schedule_gives_the_first_steps_snapshots_of_their_own():
    from toygan.config import early_steps

    assert early_steps(30) == (1, 2, 3, 5, 7, 10, 20) and early_steps(1) == ()
    logged = train(tiny_config(**{"record.schedule": "log", "record.every": 20, "train.steps": 60}),
                   progress=False)
    assert logged.steps.tolist() == [0, 1, 2, 3, 5, 7, 10, 20, 40, 60]
    plain = tiny_config(**{"record.every": 20, "train.steps": 60})
    # the estimate (a bound: steps // every + 2 snapshots) counts the 6 early ones too
    assert 5 * plain.replace(**{"record.schedule": "log"}).recording_bytes() == 11 * plain.recording_bytes()
    # the same run, recorded more often early, trains the same: its shared snapshots agree
    even_run = train(plain, progress=False)
    np.testing.assert_array_equal(logged.samples[[0, 7, 8, 9]], even_run.samples)
    frames = schedule(logged, 20, "log")
    assert len(set(frames) & {1, 2, 3, 4, 5, 6}) >= 4  # the early snapshots get frames of their own
    with pytest.raises(ToyganError, match="record.schedule = 'often'"):
        tiny_config(**{"record.schedule": "often"})


def test_every_caption_stays_on_screen_long_enough_to_read():
    """A caption's first frame is held for the time its frames fall short of CAPTION_SECONDS; one
    whose span no frame shows gets its first snapshot; the order of the frames is kept."""
    steps = np.arange(0, 210, 10)  # 21 snapshots
    frames = list(even(21, 6))  # steps 0, 40, 80, 120, 160, 200
    captions = {0: "a", 50: "b", 60: "c", 160: "d"}
    held = hold_captions(frames, steps, captions, fps=4, seconds=CAPTION_SECONDS)
    assert held == sorted(held)
    need = round(CAPTION_SECONDS * 4)
    for start, end in [(0, 50), (50, 60), (60, 160), (160, 10_000)]:
        assert sum(start <= steps[i] < end for i in held) >= need, (start, end)
    assert 5 in held  # step 50: no frame of the even schedule showed "b"
    assert set(frames) <= set(held)
    assert hold_captions(frames, steps, {}, fps=4) == frames
    # a long caption stays its words' reading time: 20 words at WORDS_PER_SECOND
    long = " ".join(["word"] * 20)
    held = hold_captions(frames, steps, {0: long, 160: "d"}, fps=4, seconds=CAPTION_SECONDS)
    assert sum(steps[i] < 160 for i in held) >= math.ceil(20 / WORDS_PER_SECOND * 4) > need


def test_a_rendered_caption_is_shown_for_its_seconds(history, tmp_path):
    page = render(history, tmp_path / "a.html", fps=10, max_frames=8,
                  captions={0: "first words", 100: "second words"}).read_text()
    for words in ("first words", "second words"):  # the player's caption of each frame
        assert page.count(words) >= 10 * CAPTION_SECONDS


def test_a_gif_plays_at_its_frame_rate_though_it_stores_hundredths(history, tmp_path):
    """12 fps is 83.3 ms a frame, which a GIF cannot store: the frames take 80 and 90 ms so that
    the whole plays in the time asked, and a caption's 3 s are 3 s."""
    path = render(history, tmp_path / "a.gif", max_frames=21, fps=12, width=480, panels=["samples"])
    durations = gif_durations(path)
    assert set(durations[1:-1]) <= {80, 90}
    assert sum(durations[1:-1]) == pytest.approx(1000 * (len(durations) - 2) / 12, abs=10)
