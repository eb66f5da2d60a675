"""Runs side by side: columns synchronised by step, shared arrow scale, small multiples of seeds."""

import numpy as np
import pytest
from conftest import tiny_config
from PIL import Image

from toygan import train
from toygan.cli import main
from toygan.errors import ToyganError
from toygan.render import Animation, Column, Comparison, compare, seeds


@pytest.fixture(scope="module")
def runs():
    short = train(tiny_config(**{"train.steps": 20, "record.every": 5}), progress=False)  # 0..20
    long = train(tiny_config(**{"train.steps": 40, "train.loss": "saturating"}), progress=False)
    return short, long


def test_every_column_shows_the_same_step(runs):
    short, long = runs
    fig = Comparison([Column(short, "short"), Column(long, "long")], ["samples"], width=480)
    try:
        np.testing.assert_array_equal(fig.timeline, [0, 5, 10, 15, 20, 30, 40])
        for t, step in enumerate(fig.timeline):
            for column in fig.columns:
                i = fig.snapshot_of(column, t)
                # the latest snapshot at or before the step; a run that ended stays at its end
                assert column.history.steps[i] <= step
                assert i == len(column.history.steps) - 1 or column.history.steps[i + 1] > step
        fig.frame(3)  # step 15: short at 15, long at 10
        offsets = [column[0].scatter.get_offsets() for column in fig.panels]
        np.testing.assert_allclose(offsets[0], short.samples[3, 0])
        np.testing.assert_allclose(offsets[1], long.samples[1, 0])
    finally:
        fig.close()


def test_a_column_draws_what_its_run_draws_alone(runs):
    """The comparison's column shows the same samples as a one-run animation at that snapshot."""
    short, long = runs
    fig = Comparison([Column(short, "a"), Column(long, "b")], ["samples", "discriminator"], width=480)
    alone = Animation(long, ["samples", "discriminator"], width=480)
    try:
        fig.frame(6)
        alone.frame(4)
        np.testing.assert_array_equal(fig.panels[1][1].image.get_array(),
                                      alone.panels[1].image.get_array())
    finally:
        fig.close()
        alone.close()


def test_a_column_gives_its_map_more_height_than_its_curves(runs):
    short, long = runs
    fig = Comparison([Column(short, "a"), Column(long, "b")], ["convergence", "samples"], size="1024x576")
    try:
        for curves, samples in fig.panels:
            assert samples.ax.get_window_extent().height > 1.3 * curves.ax.get_window_extent().height
    finally:
        fig.close()


def test_push_arrows_share_one_scale_across_runs(runs):
    fig = Comparison([Column(r, str(i)) for i, r in enumerate(runs)], ["push"], width=480)
    try:
        scales = {column[0].scale for column in fig.panels}
        assert len(scales) == 1
        assert "all runs" in column_labels(fig)
    finally:
        fig.close()


def test_overlay_draws_each_curve_once_with_every_runs_lines(runs):
    """An overlay: the runs' maps in a row, larger than stacked over their curves, and one axes of
    curves with a line style per run, each line following its own run."""
    short, long = runs
    columns = [Column(short, "short"), Column(long, "long")]
    stacked = Comparison(columns, ["samples", "convergence"], size="1024x576")
    fig = Comparison(columns, ["samples", "convergence"], size="1024x576", overlay=True)
    try:
        (s0, c0), (s1, c1) = fig.panels
        assert c0.ax is c1.ax  # one axes of curves for both runs
        assert {ln.get_linestyle() for _, ln in c0.lines} == {"-"}
        assert {ln.get_linestyle() for _, ln in c1.lines} == {"--"}
        assert s0.ax.get_window_extent().height > 1.25 * stacked.panels[0][0].ax.get_window_extent().height
        fig.frame(len(fig.timeline) - 1)
        np.testing.assert_allclose(c0.lines[0][1].get_ydata(), short.scalars["d_real"][:, 0])
        np.testing.assert_allclose(c1.lines[0][1].get_ydata(), long.scalars["d_real"][:, 0])
        legend = [t.get_text() for legend in fig.fig.legends for t in legend.get_texts()]
        assert {"short", "long", "mean D(real)"} <= set(legend)  # the runs' line styles named
    finally:
        fig.close()
        stacked.close()


def test_an_overlays_axis_and_cursor_follow_the_longest_run_whichever_comes_first(runs):
    short, long = runs
    for order in ([long, short], [short, long]):
        fig = Comparison([Column(h, str(k)) for k, h in enumerate(order)], ["samples", "jsd"], width=640,
                         overlay=True)
        try:
            fig.frame(len(fig.timeline) - 1)
            curves = fig.panels[0][1]
            assert curves.ax.get_xlim()[1] == 40  # the long run's last step, not the short one's
            assert list(curves.cursor.get_xdata()) == [40, 40] and curves.cursor.get_visible()
            assert not fig.panels[1][1].cursor.get_visible()  # one cursor for both
        finally:
            fig.close()


def test_an_overlay_refuses_a_critic_beside_a_discriminator(runs):
    critic = train(tiny_config(**{"train.loss": "wasserstein", "train.regularizer": "gradient-penalty",
                                  "train.gamma": 1.0, "train.steps": 20}), progress=False)
    with pytest.raises(ToyganError, match="a critic's run and a discriminator's"):
        Comparison([Column(runs[0], "D"), Column(critic, "f")], ["samples", "convergence"], width=480,
                   overlay=True)


def test_a_title_broken_to_fit_stays_broken_after_as_many_words(runs):
    short, _ = runs
    fig = Animation(short, ["samples"], width=640)
    try:
        panel = fig.panels[0]
        panel.ax.set_title("G vs data: 3\nof 8 modes")  # as wrap_wide_titles breaks it
        panel.readouts = lambda i: ["12 of 25 modes"]  # a count with more digits
        panel.titled(1)
        assert panel.ax.get_title() == "G vs data: 12\nof 25 modes"
    finally:
        fig.close()


@pytest.mark.parametrize("panels, n, match", [
    (["samples", "discriminator"], 2, "name at least one of each"),
    (["convergence", "jsd"], 2, "name at least one of each"),
    (["samples", "jsd"], 5, "at most 4 runs"),
])
def test_overlay_refuses_what_it_cannot_draw(runs, panels, n, match):
    with pytest.raises(ToyganError, match=match):
        Comparison([Column(runs[k % 2], str(k)) for k in range(n)], panels, width=480, overlay=True)


def test_plane_titles_count_modes_and_give_the_mean_push(runs):
    """The title gives each frame's numbers: modes captured (a target with modes) and the mean push,
    so that a weak push reads where its arrows are specks."""
    short, _ = runs
    fig = Animation(short, ["samples", "push"], width=640)
    try:
        for i in (0, short.n_snapshots - 1):
            fig.frame(i)
            samples, push = fig.panels
            captured = int(short.scalars["modes_captured"][i, 0])
            assert samples.ax.get_title() == f"G vs data: {captured} of 8 modes"
            mean = np.linalg.norm(short.push[i, 0], axis=-1).mean()
            assert push.ax.get_title().endswith(f"{captured} of 8 modes, mean push {mean:.2f}")
    finally:
        fig.close()


def column_labels(fig) -> str:
    return " ".join(h.get_label() for column in fig.panels for p in column for h in p.handles)


def test_seeds_make_small_multiples_and_files(tmp_path):
    h = train(tiny_config(**{"train.members": 3}), progress=False)
    columns = seeds(h)
    assert [c.member for c in columns] == [0, 1, 2] and columns[2].label == "seed 2"
    path = compare(columns, tmp_path / "s.gif", panels=["samples"], width=480)
    with Image.open(path) as im:
        assert im.n_frames == h.n_snapshots
    for bad, match in [([columns[0]], "1 column"), (columns, "panel 'nope'")]:
        with pytest.raises(ToyganError, match=match):
            compare(bad, tmp_path / "x.gif", panels=["nope"] if len(bad) > 1 else ["samples"])


def test_compare_command(runs, tmp_path, capsys):
    for i, h in enumerate(runs):
        (tmp_path / f"r{i}").mkdir()
        h.save(tmp_path / f"r{i}" / "history.npz")
    out = tmp_path / "c.png"
    assert main(["compare", str(tmp_path / "r0"), str(tmp_path / "r1@0"), "--out", str(out),
                 "--labels", "non-saturating,saturating", "--panels", "samples,convergence"]) == 0
    assert out.stat().st_size > 0
    assert main(["compare", str(tmp_path / "r0"), "--out", str(out)]) == 2
    assert "1 column(s)" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "r0"), str(tmp_path / "r1"), "--out", str(out),
                 "--labels", "one"]) == 2
    assert "1 labels for 2 runs" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "r0"), str(tmp_path / "r1"), "--out", str(out),
                 "--panels", "samples,jsd", "--overlay"]) == 0
    assert main(["compare", str(tmp_path / "r0"), str(tmp_path / "r1"), "--out", str(out),
                 "--overlay"]) == 2
    assert "name at least one of each" in capsys.readouterr().err
