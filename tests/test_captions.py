"""Captions: a story line under the title, drawn into the frames and shown by the player."""

import json

import numpy as np
import pytest
from conftest import tiny_config

from toygan import train
from toygan.cli import main
from toygan.errors import ToyganError
from toygan.render import Animation, Column, Comparison, player, render
from toygan.render.captions import MAX_CHARS, caption_at, check_captions, parse_captions
from toygan.render.compare import run_facts

STORY = {0: "D tilts toward the data", 20: "G follows the slope of D"}


@pytest.fixture(scope="module")
def history():
    return train(tiny_config(**{"train.steps": 40}), progress=False)  # steps 0, 10, ..., 40


def test_a_caption_shows_from_its_step_until_the_next():
    assert [caption_at(STORY, s) for s in (0, 19, 20, 99)] == [STORY[0], STORY[0], STORY[20], STORY[20]]
    assert caption_at({10: "late"}, 5) == ""
    assert check_captions({"20": "b", "0": " a  story "}) == {0: "a story", 20: "b"}  # TOML keys


@pytest.mark.parametrize(("captions", "needle"), [
    ({"x": "a"}, "'x' is not a step"), ({-1: "a"}, "step = -1"), ({0: ""}, "non-empty"),
    ({0: 3}, "non-empty text"), ({0: "x" * (MAX_CHARS + 1)}, f"at most {MAX_CHARS}"),
    (["a"], "a table of step"), ({"+5": "a"}, "'\\+5' is not a step"), ({" 20": "a"}, "is not a step"),
    ({"20": "a", "020": "b"}, "step 20 has two captions"), ({"２": "a"}, "is not a step"),
    ({"_": "a"}, "'_' is not a step"), ({"1__0": "a"}, "is not a step"),
])
def test_bad_captions_are_refused_naming_them(captions, needle):
    with pytest.raises(ToyganError, match=needle):
        check_captions(captions)


def test_the_caption_is_drawn_into_the_frame_and_changes_at_its_step(history):
    plain = Animation(history, ["samples"], width=640)
    told = Animation(history, ["samples"], width=640, captions=STORY)
    try:
        assert told.band.text is not None
        first, later = told.frame(0), told.frame(3)  # steps 0 and 30
        assert told.band.text.get_text() == STORY[20]
        changed = np.any(first != later, axis=(1, 2))  # the rows that differ between the frames
        box = told.band.text.get_window_extent(told.fig.canvas.get_renderer())
        height = told.fig.bbox.height
        caption_rows = np.arange(int(height - box.y1), int(height - box.y0))
        assert changed[caption_rows].any()  # the caption's own rows changed with it
        assert first.shape == plain.frame(0).shape  # the frame keeps its size; the panels make room
        assert told.panels[0].ax.get_position().y1 < plain.panels[0].ax.get_position().y1
    finally:
        plain.close()
        told.close()


def test_a_long_caption_is_wrapped_to_the_frame_and_never_cut_off(history):
    long = {0: "The generator's samples drift toward the data while the discriminator's surface "
               "tilts, and the half contour slides over the modes as training goes on"}
    for frame in (dict(width=320), dict(size="720p")):
        animation = Animation(history, ["samples"], captions=long, **frame)
        try:
            animation.frame(0)
            box = animation.band.text.get_window_extent(animation.fig.canvas.get_renderer())
            assert box.x0 >= 0 and box.x1 <= animation.fig.bbox.width
            assert "\n" in animation.band.text.get_text() or frame.get("size")
        finally:
            animation.close()


def test_the_player_shows_the_caption_beside_the_step(history, tmp_path):
    shown = player(history, max_frames=5, captions=STORY, width=480)
    assert "step 0 · D tilts toward the data" in shown.fragment  # the first frame's, in the page
    assert json.dumps("step 30 · G follows the slope of D") in shown.fragment  # the frames' list
    path = render(history, tmp_path / "a.html", captions=STORY, width=480, max_frames=5)
    assert "G follows the slope of D" in path.read_text()


def test_comparison_columns_carry_their_target_game_and_seed(history):
    other = train(tiny_config(**{"train.steps": 40, "train.loss": "saturating", "train.seed": 3}),
                  progress=False)
    figure = Comparison([Column(history, "A"), Column(other, "B")], ["samples"], width=640,
                        captions=STORY)
    try:
        headings = [sub._suptitle.get_text() for sub in figure.fig.subfigs]
        assert headings == ["A\nnon-saturating GAN · seed 0", "B\nsaturating GAN · seed 3"]
        assert figure.title.get_text().startswith("ring · step")  # what both share: in the title
        figure.frame(0)
        assert figure.band.text.get_text() == STORY[0]
    finally:
        figure.close()
    # a heading that already says the game does not say it twice; a label that merely contains a
    # word of it does not count
    columns = [Column(history, "non-saturating"), Column(other, "GAN")]
    assert run_facts(columns)[1] == ["seed 0", "saturating GAN · seed 3"]


def test_the_cli_takes_captions_and_refuses_bad_ones(tmp_path, capsys):
    assert parse_captions(["0:D tilts", "20: G: follows"]) == {0: "D tilts", 20: "G: follows"}
    run = tmp_path / "run"
    assert main(["train", "--preset", "ring", "--out", str(run), "--steps", "20", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["render", str(run), "--out", str(tmp_path / "a.png"), "--caption", "0:hello",
                 "--width", "480"]) == 0
    assert main(["render", str(run), "--out", str(tmp_path / "b.png"), "--caption", "hello"]) == 2
    err = capsys.readouterr().err
    assert "--caption 'hello': give STEP:TEXT" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "b.png").exists()
    assert main(["render", str(run), "--out", str(tmp_path / "c.png"), "--caption", "21:never"]) == 2
    assert "caption at step 21: the run was recorded up to step 20" in capsys.readouterr().err
    assert main(["render", str(run), "--out", str(tmp_path / "c.png"), "--caption", "0:a",
                 "--caption", "0:b"]) == 2
    assert "step 0 has two captions" in capsys.readouterr().err
    assert not (tmp_path / "c.png").exists()
