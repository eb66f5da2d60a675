"""Replays that tell the truth: a run whose settings changed mid-run shows, at every frame, the
settings in force at that frame (the game's name in the title, what a step is on the axes), in
animations, HTML players and still figures alike; and the labels of changes made close together
never overlap."""

import matplotlib
import pytest
from conftest import tiny_config

from toygan import Game
from toygan.errors import ToyganError
from toygan.render.animation import Animation, player
from toygan.render.panels import game_label, step_label

PANELS = ["samples", "convergence", "losses"]


@pytest.fixture(scope="module")
def changed():
    """Non-saturating to step 100, then saturating; G frozen from step 200 (D alone), freed at 250."""
    game = Game(tiny_config(**{"train.steps": 300, "record.every": 10}))
    for step, change in ((100, {"train.loss": "saturating"}), (200, {"train.generator": "frozen"}),
                         (250, {"train.generator": "trained"}), (300, None)):
        while game.iteration < step:
            game.step()
        if change:
            game.update(change)
    return game.history


def _index(history, step):
    return list(history.steps).index(step)


def test_the_settings_in_force_at_each_snapshot(changed):
    assert changed.config_at(_index(changed, 90)).train.loss == "non-saturating"
    assert changed.config_at(_index(changed, 100)).train.loss == "saturating"  # from its step on
    assert changed.config_at(_index(changed, 210)).train.generator == "frozen"
    assert changed.config_at(-1).train.generator == "trained"
    assert game_label(changed, 0) == "non-saturating GAN"
    assert game_label(changed, _index(changed, 220)) == "saturating GAN, G frozen"
    assert step_label(changed, _index(changed, 220)) == "training step (D alone)"
    assert step_label(changed, _index(changed, 260)) == "generator step"


def test_every_frame_of_an_animation_is_titled_and_labelled_as_it_was(changed):
    animation = Animation(changed, PANELS, width=960)
    try:
        for step, game, axis in ((50, "non-saturating GAN", "generator step"),
                                 (150, "saturating GAN", "generator step"),
                                 (220, "saturating GAN, G frozen", "training step (D alone)"),
                                 (290, "saturating GAN", "generator step")):
            animation.frame(_index(changed, step))
            title = animation.title.get_text() + animation.step_text.get_text()
            assert f"· {game} · seed" in title and f"step {step} /" in title, title
            curves = [p for p in animation.panels if p.name in ("convergence", "losses")]
            assert [p.ax.xaxis.label.get_text() for p in curves] == [axis, axis]
    finally:
        animation.close()


def test_the_frames_differ_where_the_settings_did(changed):
    """The drawn pixels of the title change with the game (not only the text of an artist)."""
    animation = Animation(changed, PANELS, width=960)
    try:
        top = slice(0, 40)
        before = animation.frame(_index(changed, 90))[top].copy()
        after = animation.frame(_index(changed, 90) + 2)[top]  # step 110: saturating
        assert (before != after).any()
    finally:
        animation.close()


def test_a_still_and_a_comparison_name_the_game_of_each_step(changed, tmp_path, monkeypatch):
    import importlib

    compare_module = importlib.import_module("toygan.render.compare")
    still_module = importlib.import_module("toygan.render.still")  # (the package exports still())

    titles = []
    monkeypatch.setattr(still_module, "write_still", lambda fig, path, fmt: titles.extend(
        [fig._suptitle.get_text()] + [t.get_text() for t in fig.findobj(matplotlib.text.Text)]))
    still_module.still(changed, tmp_path / "steps.png", steps=[50, 220, 290], panels=["samples", "losses"])
    assert "non-saturating GAN" not in titles[0]  # the title says what every column shares
    text = " | ".join(titles)
    assert "step 50\nnon-saturating GAN" in text and "step 220\nsaturating GAN, G frozen" in text
    assert "training step (D alone)" in text and "generator step" in text
    shared, own = compare_module.run_facts([compare_module.Column(changed, "a"),
                                            compare_module.Column(changed, "b", 0)])
    assert "non-saturating GAN, then saturating GAN, then saturating GAN, G frozen" in shared


def test_a_player_of_the_run_is_drawn_by_the_same_frames(changed):
    shown = player(changed, panels=PANELS, width=720, max_frames=31)  # (Animation.frame, above)
    assert "saturating GAN, G frozen" not in shown.title and shown.fragment.count("<img") <= 1


def test_labels_of_five_changes_within_twenty_steps_never_overlap():
    game = Game(tiny_config(**{"train.steps": 1000, "record.every": 10}))
    for _ in range(500):
        game.step()
    for step, change in zip(range(500, 520, 4), ({"train.lr_d": 3e-4}, {"train.lr_g": 3e-4},
                                                  {"train.d_steps": 2}, {"train.loss": "saturating"},
                                                  {"train.instance_noise": 0.1}), strict=True):
        while game.iteration < step:
            game.step()
        game.update(change)
    while game.iteration < 1000:
        game.step()
    history = game.history
    for width in (960, 1920):
        animation = Animation(history, ["samples", "convergence"], width=width)
        try:
            animation.frame(history.n_snapshots - 1)
            panel = next(p for p in animation.panels if p.name == "convergence")
            renderer = animation.fig.canvas.get_renderer()
            boxes = [text.get_window_extent(renderer) for _, (_, text) in panel.events]
            assert len(boxes) == 5 and all(text.get_visible() for _, (_, text) in panel.events)
            for a, b in zip(boxes, boxes[1:], strict=False):
                assert not a.overlaps(b), (width, a, b)
            axes = panel.ax.get_window_extent(renderer)
            assert all(axes.x0 - 20 <= box.x0 and box.x1 <= axes.x1 + 20 for box in boxes)
        finally:
            animation.close()


def test_an_event_the_config_refuses_is_one_line(changed):
    import dataclasses

    broken = dataclasses.replace(changed, events=[{"step": 0, "key": "train.lr_d", "old": 1e-3, "new": -5}])
    with pytest.raises(ToyganError, match="the history's events: .*lr_d"):
        broken.config_at(0)





def test_a_comparisons_headings_name_the_game_of_each_frame(changed):
    import importlib

    compare_module = importlib.import_module("toygan.render.compare")
    plain = Game(tiny_config(**{"train.steps": 300, "record.every": 10})).run(progress=False)
    comparison = compare_module.Comparison([compare_module.Column(changed, "changed"),
                                            compare_module.Column(plain, "plain")],
                                           ["samples", "losses"], width=960)
    try:
        headings, titles = {}, {}
        for step in (50, 150, 220):
            comparison.frame(list(comparison.timeline).index(step))
            headings[step], titles[step] = comparison.headings[0].get_text(), comparison.title.get_text()
        assert headings[50] == "changed"  # the same game as the other column: said once, in the title
        assert "non-saturating GAN" in titles[50] and "GAN" not in titles[150]
        assert headings[150] == "changed\nsaturating GAN"
        assert headings[220] == "changed\nsaturating GAN, G frozen"
        assert comparison.headings[1].get_text().startswith("plain")
    finally:
        comparison.close()
