import imageio.v2 as imageio
import numpy as np
import pytest
from conftest import tiny_config
from PIL import Image

from toygan import train
from toygan.errors import ToyganError
from toygan.render import Animation, frame_indices, render


@pytest.fixture(scope="module")
def history():
    return train(tiny_config(**{"train.steps": 50}), progress=False)  # 6 snapshots


def test_frame_indices_spread_evenly_with_first_and_last():
    np.testing.assert_array_equal(frame_indices(5, 10), np.arange(5))
    idx = frame_indices(101, 8)
    assert len(idx) == 8 and idx[0] == 0 and idx[-1] == 100
    assert np.all(np.diff(idx) > 0)


def test_gif_has_one_frame_per_snapshot_and_loops(history, tmp_path):
    path = render(history, tmp_path / "a.gif", width=640)
    with Image.open(path) as im:
        assert im.format == "GIF" and im.n_frames == history.n_snapshots
        assert im.size == (640, 256) and im.info.get("loop") == 0


def test_mp4_is_valid_h264_with_one_frame_per_snapshot(history, tmp_path):
    path = render(history, tmp_path / "a.mp4")
    reader = imageio.get_reader(path, format="FFMPEG")
    try:
        assert reader.count_frames() == history.n_snapshots
        assert reader.get_meta_data()["size"] == (960, 384)
        assert "h264" in reader.get_meta_data()["codec"]
    finally:
        reader.close()


def test_png_filmstrip_tiles_frames_two_across(history, tmp_path):
    path = render(history, tmp_path / "strip.png", filmstrip_frames=4)
    with Image.open(path) as im:
        assert im.format == "PNG"
        assert im.size == (2 * 960 + 8, 2 * 384 + 8)


def test_a_format_that_agrees_with_the_suffix_is_accepted(history, tmp_path):
    path = render(history, tmp_path / "anim.PNG", format="png")
    with Image.open(path) as im:
        assert im.format == "PNG"


@pytest.mark.parametrize(("name", "fmt", "needle"), [
    ("anim.bin", "png", r"anim.bin': \.bin is not a format written here"),  # no GIF bytes under .bin
    ("talk.pdf", None, "toygan figure"),  # a still figure is another command
    ("talk", "gif", "has no suffix; .* name it '.*talk.gif'"),
    ("talk.mp4", "gif", "format = 'gif' but the output .* ends in .mp4"),
    ("talk.gif", "avi", "format = 'avi': choose one of"),
])
def test_the_suffix_gives_the_format_and_a_disagreement_is_refused(history, tmp_path, name, fmt, needle):
    with pytest.raises(ToyganError, match=needle):
        render(history, tmp_path / name, format=fmt)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"format": "avi"}, "format = 'avi'"),
    ({"fps": 0}, "fps = 0"),
    ({"member": 3}, "member = 3"),
    ({"width": 10}, "width = 10"),
    ({"panels": ["samples", "loss"]}, "panel 'loss'"),
])
def test_bad_options_are_named(history, tmp_path, kwargs, needle):
    with pytest.raises(ToyganError, match=needle):
        render(history, tmp_path / "a.gif", **kwargs)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_blitted_frame_equals_a_full_redraw(history):
    """Frames draw only the changing artists over a cached background; a full redraw of the same
    state must look the same."""
    anim = Animation(history)
    try:
        blitted = anim.frame(3)
        for artist in anim.animated():
            artist.set_animated(False)
        anim.fig.canvas.draw()
        full = np.asarray(anim.fig.canvas.buffer_rgba())[..., :3]
        differing = np.any(np.abs(blitted.astype(int) - full) > 8, axis=-1).mean()
        assert differing < 0.002
    finally:
        anim.close()


def test_frames_change_with_the_snapshot(history):
    anim = Animation(history)
    try:
        first, last = anim.frame(0), anim.frame(history.n_snapshots - 1)
        assert first.shape == (384, 960, 3) and first.dtype == np.uint8
        assert np.any(first != last)
        np.testing.assert_array_equal(anim.frame(0), first)  # redrawing is stateless
    finally:
        anim.close()


@pytest.fixture(scope="module")
def fixed_p_g_history():
    config = tiny_config(**{
        "data.name": "mixture", "data.params": {"means": [[-1, 0], [1, 0]], "stds": 0.5},
        "train.generator": "target", "fake.name": "mixture",
        "fake.params": {"means": [[0, 0.5]], "stds": 0.7}, "train.steps": 30})
    return train(config, progress=False)


def test_optimal_discriminator_maps_match_the_closed_form(fixed_p_g_history):
    from toygan.data import make_target
    from toygan.render.panels import OptimalDiscriminators
    from toygan.theory import optimal_discriminator

    h = fixed_p_g_history
    maps = OptimalDiscriminators(h, 0)
    assert maps.exact and maps.label() == "exact"
    xs, ys = h.grid_axes()
    j, i = 7, 10  # row j is y = ys[j], column i is x = xs[i]: near the data
    expected = optimal_discriminator(make_target("mixture", h.config.data.params),
                                     make_target("mixture", h.config.fake.params),
                                     np.array([[xs[i], ys[j]]]))[0]
    assert maps(0)[j, i] == pytest.approx(expected)
    assert maps(0) is maps(len(h.steps) - 1)  # a fixed p_g: one map for all snapshots
    assert np.isnan(maps(0)[0, 0])  # a far corner, where neither density has mass, is left out


def test_an_exact_d_star_draws_its_half_line_and_a_kde_one_does_not(fixed_p_g_history, history):
    """Where both densities are exact, D* = ½ is the smooth line where p_g = p_data, drawn as D's
    is; a KDE's D* is too ragged for one."""
    exact, kde = Animation(fixed_p_g_history, ["dstar"]), Animation(history, ["dstar"])
    try:
        exact.frame(0)
        kde.frame(0)
        assert exact.panels[0].contour_level == 0.5 and len(exact.panels[0].contour.get_xdata())
        assert kde.panels[0].contour_level is None and not len(kde.panels[0].contour.get_xdata())
    finally:
        exact.close()
        kde.close()


def test_kde_stands_in_for_a_generator_and_says_so(history):
    from toygan.render.panels import OptimalDiscriminators

    maps = OptimalDiscriminators(history, 0)
    assert not maps.exact and maps.label().startswith("KDE, h = ")
    assert maps(0).shape == history.d_grid.shape[-2:]
    assert 0 <= np.nanmin(maps(0)) and np.nanmax(maps(0)) <= 1


@pytest.mark.parametrize("panels", [["dstar", "gap", "optimality"], ["samples"],
                                    ["discriminator", "dstar"], ["modes", "convergence"]])
def test_panel_layouts_render(fixed_p_g_history, tmp_path, panels):
    path = render(fixed_p_g_history, tmp_path / "a.png", panels=panels, filmstrip_frames=2)
    with Image.open(path) as im:
        assert im.size[0] == 2 * 960 + 8


def test_empty_panel_list_is_refused(history, tmp_path):
    with pytest.raises(ToyganError, match="name at least one"):
        render(history, tmp_path / "a.gif", panels=[])


def test_dirac_animation_has_one_frame_per_step_and_the_paths(tmp_path):
    from toygan.dirac import dirac_gan, trajectory
    from toygan.render.dirac import DEFAULT_RUNS, DiracAnimation, parse_runs
    from toygan.render.dynamics import render_dirac

    path = render_dirac(tmp_path / "d.gif", steps=40)
    with Image.open(path) as im:
        assert im.n_frames == 41
    anim = DiracAnimation(DEFAULT_RUNS, steps=40)
    try:
        anim.frame(40)
        line = anim.lines[1].get_xydata()
        expected = trajectory(dirac_gan("gan"), 1.0, 1.0, steps=40, lr=0.1, scheme="alternating")
        np.testing.assert_allclose(line, expected)
    finally:
        anim.close()
    assert parse_runs("gan:simultaneous, r1:alternating:0.5")[1].gamma == 0.5
    for bad in ("gan", "gan:simultaneous:x", ""):
        with pytest.raises(ToyganError):
            parse_runs(bad)


def test_mode_timeline_shows_each_modes_share_up_to_the_frame(history):
    from toygan.render.panels import ModeTimelinePanel

    anim = Animation(history, ["modes"])
    try:
        anim.frame(2)
        panel = anim.panels[0]
        assert isinstance(panel, ModeTimelinePanel)
        shown = panel.image.get_array()
        counts = history.mode_counts[:3, 0]
        total = counts.sum(axis=1)
        for t in range(3):
            if total[t]:
                np.testing.assert_allclose(shown[:, t], counts[t] / total[t])
        assert np.all(np.isnan(np.ma.filled(shown[:, 3:], np.nan)))
    finally:
        anim.close()


@pytest.mark.parametrize("height, modes, every", [(4.0, 8, 1), (0.9, 8, 2), (4.5, 25, 1), (2.0, 25, 2),
                                                  (1.0, 2000, 500)])
def test_the_mode_timeline_numbers_every_mode_where_its_rows_have_room(height, modes, every):
    """Every row numbered as the samples panel numbers the modes, or every 2nd (5th ...) where
    the labels would touch; the choice is made at the laid-out height."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from toygan.render.panels.modes import ModeTicks

    fig = Figure(figsize=(4, height), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8), ylim=(-0.5, modes - 0.5))
    ax.tick_params(labelsize=8)
    ax.yaxis.set_major_locator(ModeTicks(modes))
    fig.canvas.draw()
    assert list(ax.get_yticks()) == list(range(0, modes, every))
    labels = [t.get_window_extent() for t in ax.get_yticklabels() if t.get_text()]
    assert all(a.y1 <= b.y0 for a, b in zip(labels, labels[1:], strict=False))  # none touch


def test_a_log_axis_numbers_every_decade_even_when_short(history):
    """The optimality panel's "below 0.01" must be readable in a short row of a 16:9 frame."""
    anim = Animation(history, ["samples", "discriminator", "convergence", "optimality"], size="1024x576")
    try:
        anim.frame(0)
        ax = anim.panels[-1].ax
        low, high = ax.get_ylim()
        shown = [t for t in ax.get_yticks() if low <= t <= high]
        assert len(shown) == round(np.log10(high / low)) + 1
    finally:
        anim.close()


def test_a_critic_is_drawn_centred_and_the_probability_panels_refuse_it(tmp_path):
    from toygan.render.panels import DiscriminatorPanel

    h = train(tiny_config(**{"train.loss": "wasserstein", "train.regularizer": "gradient-penalty",
                             "train.gamma": 1.0}), progress=False)
    anim = Animation(h, ["discriminator", "convergence"])
    try:
        anim.frame(2)
        panel = anim.panels[0]
        assert isinstance(panel, DiscriminatorPanel) and panel.critic
        shown = np.ma.getdata(panel.image.get_array())
        assert np.median(shown) == pytest.approx(0.0, abs=1e-6)
        low, high = panel.image.norm.vmin, panel.image.norm.vmax
        assert low == -high
        # the critic's curve is the gap between its means, its W1 estimate, over a dotted 0
        curves = anim.panels[1]
        (key, line), = curves.lines
        np.testing.assert_allclose(line.get_ydata(), (h.scalars["d_real"] - h.scalars["d_fake"])[:3, 0])
        assert "mean f(real) − mean f(G(z))" in line.get_label()
        low, high = curves.ax.get_ylim()
        assert low < min(0.0, line.get_ydata().min()) and high > max(0.0, line.get_ydata().max())
    finally:
        anim.close()
    for name in ("dstar", "gap", "optimality"):
        with pytest.raises(ToyganError, match="trains a critic"):
            render(h, tmp_path / "x.png", panels=[name])


@pytest.mark.parametrize("sizes, ncol, columns", [
    ([3], 3, [[0], [1], [2]]),  # one panel: a row
    ([2, 2, 1, 3], 4, [[0, 1], [2, 3, 4], [5, 6, 7]]),  # one more row keeps each panel's together
    ([3, 3, 3, 3], 3, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]),  # not at one more: split
])
def test_legend_columns_keep_a_panels_entries_together(sizes, ncol, columns):
    from toygan.render.figure import legend_columns

    assert legend_columns(sizes, ncol) == columns


def test_the_legend_puts_mean_d_real_beside_mean_d_fake(history):
    """One column for a panel's entries: the two mean-D lines are read together."""
    anim = Animation(history, ["samples", "discriminator", "modes", "convergence"], size="1024x576")
    try:
        texts = {t.get_text(): t for legend in anim.fig.legends for t in legend.get_texts()}
        renderer = anim.fig.canvas.get_renderer()
        x = [texts[label].get_window_extent(renderer).x0 for label in ("mean D(real)", "mean D(G(z))")]
        assert x[0] == pytest.approx(x[1])
    finally:
        anim.close()


def test_value_panel_draws_v_and_its_jsd_bound(history, tmp_path):
    from toygan.render.panels import JSDPanel, ValuePanel

    anim = Animation(history, ["value", "jsd"])
    try:
        anim.frame(3)
        value, jsd = anim.panels
        assert isinstance(value, ValuePanel) and isinstance(jsd, JSDPanel)
        np.testing.assert_allclose(value.lines[0][1].get_ydata(), history.scalars["value"][:4, 0])
        bound = -np.log(4) + 2 * history.scalars["jsd"][:4, 0]
        np.testing.assert_allclose(value.bound_line.get_ydata(), bound, rtol=1e-6)
        np.testing.assert_allclose(jsd.lines[0][1].get_ydata(), history.scalars["jsd"][:4, 0])
    finally:
        anim.close()
    h = train(tiny_config(**{"train.loss": "least-squares"}), progress=False)
    with pytest.raises(ToyganError, match="panel 'value'.*'least-squares'"):
        render(h, tmp_path / "x.png", panels=["value"])


def test_render_reads_the_objective_the_history_recorded_not_its_name(tmp_path, monkeypatch):
    """A newly registered objective draws as its traits say, and a saved history keeps the traits
    it was trained with, whatever the name means later."""
    import dataclasses

    from toygan import History
    from toygan.objectives import OBJECTIVES
    from toygan.render.panels import DiscriminatorPanel

    mine = dataclasses.replace(OBJECTIVES["non-saturating"], name="mine")
    monkeypatch.setitem(OBJECTIVES, "mine", mine)
    h = train(tiny_config(**{"train.loss": "mine"}), progress=False)
    assert h.objective == {"output": "logit", "minimax_value": True}
    render(h, tmp_path / "value.png", panels=["value", "dstar"])  # a value, probabilities: drawn
    path = h.save(tmp_path / "h.npz")
    # the name now means a critic: the recorded run is still drawn as the logit game it was
    monkeypatch.setitem(OBJECTIVES, "mine", dataclasses.replace(mine, output="critic", minimax_value=False))
    loaded = History.load(path)
    assert loaded.objective == {"output": "logit", "minimax_value": True} and not loaded.critic
    anim = Animation(loaded, ["discriminator", "value"])
    try:
        assert isinstance(anim.panels[0], DiscriminatorPanel) and not anim.panels[0].critic
    finally:
        anim.close()
    # a run trained with the critic reading refuses what a critic has not
    critic = train(tiny_config(**{"train.loss": "mine"}), progress=False)
    assert critic.critic and not critic.minimax_value
    for panel, why in (("value", "no V.D, G. of Eq. 1"), ("dstar", "trains a critic")):
        with pytest.raises(ToyganError, match=why):
            render(critic, tmp_path / "x.png", panels=[panel])


def test_a_run_whose_loss_changed_mid_run_is_read_by_what_held_throughout(tmp_path):
    from toygan import Game
    from toygan.objectives import OBJECTIVES, run_traits
    from toygan.render.panels import DiscriminatorPanel

    game = Game(tiny_config(**{"train.steps": 40, "record.every": 10}))
    game.run(20, progress=False)
    game.update({"train.loss": "hinge"})
    game.run(progress=False)
    h = game.history
    assert h.config.train.loss == "non-saturating" and h.critic and not h.minimax_value
    anim = Animation(h, ["discriminator"])
    try:
        assert isinstance(anim.panels[0], DiscriminatorPanel) and anim.panels[0].critic
    finally:
        anim.close()
    with pytest.raises(ToyganError, match="train.loss = 'non-saturating', then 'hinge' has no V"):
        render(h, tmp_path / "x.png", panels=["value"])
    # logit and least-squares outputs are both probabilities; a value only if every loss had one
    mixed = run_traits([OBJECTIVES["saturating"], OBJECTIVES["least-squares"]])
    assert mixed == {"output": "probability", "minimax_value": False}
    assert run_traits([OBJECTIVES["saturating"], OBJECTIVES["non-saturating"]]) == {
        "output": "logit", "minimax_value": True}


def test_a_history_with_malformed_objective_traits_is_one_line(tmp_path):
    import io
    import json
    import zipfile

    from toygan import History

    path = train(tiny_config(), progress=False).save(tmp_path / "h.npz")
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    meta = np.load(path)["meta"]
    changed = json.loads(str(meta))
    changed["objective"] = {"output": "odds", "minimax_value": True}
    buffer = io.BytesIO()
    np.save(buffer, np.array(json.dumps(changed)))
    members["meta.npy"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(ToyganError, match="its objective is not"):
        History.load(path)


def test_manifold_push_and_losses_panels_follow_the_history(history, tmp_path):
    from toygan.render.panels import ManifoldPanel, PushPanel

    anim = Animation(history, ["manifold", "push", "losses"])
    try:
        anim.frame(4)
        manifold, push, losses = anim.panels
        assert isinstance(manifold, ManifoldPanel) and isinstance(push, PushPanel)
        segments = np.concatenate(manifold.mesh.get_segments())
        np.testing.assert_allclose(segments, history.manifold[4, 0], rtol=1e-6)
        np.testing.assert_allclose(push.arrows.U, history.push[4, 0, ::push.every, 0], rtol=1e-6)
        np.testing.assert_allclose(push.arrows.get_offsets(), history.samples[4, 0, ::push.every])
        np.testing.assert_allclose(losses.lines[1][1].get_ydata(), history.scalars["loss_g"][:5, 0])
    finally:
        anim.close()


def test_panels_needing_new_recordings_explain_old_histories(history, fixed_p_g_history, tmp_path):
    import dataclasses

    old = dataclasses.replace(history, push=None, field=None, manifold=None)
    for name in ("manifold", "push"):
        with pytest.raises(ToyganError, match=f"panel '{name}'.*older toygan"):
            render(old, tmp_path / "x.png", panels=[name])
    with pytest.raises(ToyganError, match="panel 'manifold'.*no generator"):
        render(fixed_p_g_history, tmp_path / "x.png", panels=["manifold"])


def test_coverage_panel_counts_the_seeds_that_capture_each_mode():
    h = train(tiny_config(**{"train.members": 3, "train.steps": 60}), progress=False)
    anim = Animation(h, ["coverage"])
    try:
        i = h.n_snapshots - 1
        anim.frame(i)
        heights = [bar.get_height() for bar in anim.panels[0].bars]
        np.testing.assert_allclose(heights, (h.mode_counts[i] > 0).mean(axis=0))
        every = int((h.mode_counts[i] > 0).all(axis=1).sum())
        assert anim.panels[0].note.get_text() == f"all 8 modes: {every} of 3 seeds"
    finally:
        anim.close()


def test_a_1d_run_draws_goodfellow_figure_1(tmp_path):
    from toygan.render.panels import GoodfellowPanel

    h = train(tiny_config(**{"data.name": "mixture1d", "model.noise_dim": 1}), progress=False)
    assert h.samples.shape[-1] == 1 and h.d_grid.shape == (h.n_snapshots, 1, 16)
    anim = Animation(h)  # the default panels for a 1D run
    try:
        anim.frame(3)
        panel = anim.panels[0]
        assert isinstance(panel, GoodfellowPanel)
        np.testing.assert_allclose(panel.d_line.get_ydata(), h.d_grid[3, 0])
        ends = np.array([seg[1] for seg in panel.mapping.get_segments()])  # (z point, x = G(z))
        np.testing.assert_allclose(ends[:, 0], h.manifold[3, 0, :, 0], rtol=1e-6)
        assert np.all(ends[:, 1] == 0)
        # the p_g curve is a density: it integrates to about 1 over the window
        assert np.trapezoid(panel.g_line.get_ydata(), panel.xs) == pytest.approx(1, abs=0.05)
    finally:
        anim.close()
    with pytest.raises(ToyganError, match="panel 'discriminator' draws the plane"):
        render(h, tmp_path / "x.png", panels=["discriminator"])
    with pytest.raises(ToyganError, match="panel 'goodfellow' is the 1D picture"):
        render(train(tiny_config(), progress=False), tmp_path / "x.png", panels=["goodfellow"])
    render(h, tmp_path / "one.gif", panels=["goodfellow", "value", "jsd"])


def test_look_sets_style_colour_map_and_text_size(history, tmp_path):
    from toygan.render import Look

    light = Animation(history, ["discriminator"], width=480)
    dark = Animation(history, ["discriminator"], width=480, look=Look(style="dark", cmap="PuOr"))
    big = Animation(history, ["discriminator"], width=480, look=Look(dpi=100))
    try:
        assert light.frame(0)[2, 2].mean() > 200 and dark.frame(0)[2, 2].mean() < 50  # the corner
        assert dark.panels[0].image.get_cmap().name.startswith("PuOr")
        assert big.fig.dpi == 100 and light.fig.dpi == 50  # 480 px / 9.6
        assert big.frame(0).shape == light.frame(0).shape
    finally:
        for a in (light, dark, big):
            a.close()
    for kwargs, match in [({"style": "sepia"}, "style = 'sepia'"), ({"cmap": "nope"}, "cmap = 'nope'"),
                          ({"dpi": 5}, "dpi = 5")]:
        with pytest.raises(ToyganError, match=match):
            Look(**kwargs)
    import matplotlib.pyplot as plt

    assert plt.rcParams["text.color"] == "black", "the dark style must not leak out of the figure"


def test_what_a_frame_cannot_hold_or_a_folder_is_refused_and_png_keeps_to_frames(history, tmp_path):
    from toygan.render.panels import PANELS

    def draws(cls) -> bool:  # (the eigenvalues panel needs a run that recorded them)
        try:
            cls.check(history)
        except ToyganError:
            return False
        return True

    plane = [name for name, cls in PANELS.items() if 2 in cls.dims and not cls.ensemble and draws(cls)]
    with pytest.raises(ToyganError, match=f"{len(plane)} panels need a width of at least"):
        render(history, tmp_path / "a.png", panels=plane)
    with pytest.raises(ToyganError, match="is a folder"):
        render(history, tmp_path)
    path = render(history, tmp_path / "b.png", max_frames=2)
    with Image.open(path) as im:  # two frames, side by side: one row
        assert im.width > 2 * im.height


@pytest.mark.parametrize(("size", "expected"), [
    ("1080p", (1920, 1080)), ("720P", (1280, 720)), ("4k", (3840, 2160)), ("1600x900", (1600, 896)),
    ((1000, 600), (1000, 600)),
])
def test_frame_sizes_by_name_or_sides(size, expected):
    from toygan.render.figure import frame_size

    assert frame_size(size) == expected


@pytest.mark.parametrize(("size", "needle"), [
    ("huge", "size = 'huge': give one of 720p, 1080p, 4k or WIDTHxHEIGHT"),
    ("1920x", "size = '1920x'"),
    ("100x100", "width = 100: must be an integer between 320 and 4096"),
    ("2000x400", "between square and 4:1"),
    ("640x1000", "between square and 4:1"),
])
def test_bad_frame_sizes_are_named(size, needle):
    from toygan.render.figure import frame_size

    with pytest.raises(ToyganError, match=needle):
        frame_size(size)


PANEL_SETS = [["samples"], None, ["samples", "discriminator", "dstar", "gap"],
              ["samples", "discriminator", "convergence", "jsd", "modes"], ["losses", "value", "optimality"]]


@pytest.mark.parametrize("size", ["720p", "1080p", "1024x768"])
@pytest.mark.parametrize("panels", PANEL_SETS)
def test_a_sized_frame_fills_the_size_keeps_its_text_readable_and_cuts_nothing(history, size, panels):
    """Every panel set at a projector's sizes: the frame is the size asked for, no text is
    smaller than 1/40 of its height, and no axes, label, title or legend reaches past its edge."""
    from matplotlib.text import Text

    from toygan.render.figure import frame_size

    width, height = frame_size(size)
    anim = Animation(history, panels, size=size)
    try:
        frame = anim.frame(history.n_snapshots - 1)
        assert frame.shape == (height, width, 3)
        fig = anim.fig
        renderer = fig.canvas.get_renderer()
        texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
        assert min(t.get_fontsize() * fig.dpi / 72 for t in texts) >= height / 40 - 0.01
        # the axes' boxes hold their titles, labels and the ticks they draw; the figure's own text
        # (title, step, legend) is measured apart
        boxes = ([ax.get_tightbbox(renderer) for ax in fig.axes]
                 + [a.get_window_extent(renderer) for a in [*fig.texts, *fig.legends, anim.step_text]])
        assert max(max(b.x1 - width, -b.x0, b.y1 - height, -b.y0) for b in boxes) <= 1
    finally:
        anim.close()


def test_many_panels_in_a_squarer_frame_take_more_rows(history):
    wide = Animation(history, ["samples", "discriminator", "dstar", "gap"], size="1920x540")
    square = Animation(history, ["samples", "discriminator", "dstar", "gap"], size="1024x1024")
    try:
        rows = [len({id(p.ax.figure) for p in a.panels}) for a in (wide, square)]  # a subfigure a row
        assert rows == [1, 2]
    finally:
        wide.close()
        square.close()


def test_a_row_of_maps_gets_the_height_a_row_of_curves_does_not_need(history):
    """Stacked rows: a map keeps one unit as long on both axes, so it is as large as its row is
    tall; curves read at any shape, so their row is the shorter one."""
    anim = Animation(history, ["samples", "discriminator", "convergence", "jsd"], size="1024x1024")
    try:
        rows = {p.name: p.ax.figure.bbox.height for p in anim.panels}  # a subfigure a row
        assert rows["samples"] == rows["discriminator"] and rows["convergence"] == rows["jsd"]
        assert rows["convergence"] < 0.8 * rows["samples"]
        maps = [p.ax.get_window_extent().height for p in anim.panels[:2]]
        assert min(maps) > anim.panels[2].ax.get_window_extent().height
    finally:
        anim.close()


def test_text_too_large_for_the_frame_is_refused_not_clipped(history, tmp_path):
    from toygan.render import Look

    with pytest.raises(ToyganError, match="do not fit a 960x384 frame at dpi 300: lower --dpi"):
        render(history, tmp_path / "a.gif", look=Look(dpi=300))
    assert not list(tmp_path.iterdir())


def test_a_1080p_mp4_is_1920_by_1080(history, tmp_path):
    path = render(history, tmp_path / "a.mp4", size="1080p", max_frames=3)
    reader = imageio.get_reader(path, format="FFMPEG")
    try:
        assert reader.get_meta_data()["size"] == (1920, 1080)
    finally:
        reader.close()


def test_a_narrower_d_range_spans_the_colours_over_d_and_d_star_alike(fixed_p_g_history):
    """A D that stays near ½ (a hopping clump) is pale on 0..1; a range about ½ gives it the
    colours, with the end colours extended beyond, and D* keeps D's range so that they compare."""
    from toygan.render import Look

    anim = Animation(fixed_p_g_history, ["discriminator", "dstar"], width=640, look=Look(d_range=(0.3, 0.7)))
    plain = Animation(fixed_p_g_history, ["discriminator"], width=640)
    try:
        for panel in anim.panels:
            assert (panel.image.norm.vmin, panel.image.norm.vmax) == (0.3, 0.7)
            assert panel.extend == "both" and panel.ticks == [0.3, 0.4, 0.5, 0.6, 0.7]  # round ones
        assert anim.panels[0].ax.get_title().endswith("colours 0.3–0.7")  # it looks as strong as 0..1
        assert (plain.panels[0].image.norm.vmin, plain.panels[0].image.norm.vmax) == (0.0, 1.0)
    finally:
        anim.close()
        plain.close()


@pytest.mark.parametrize("d_range", [(0.3, 0.8), (0.5, 0.5), (-0.1, 1.1), (0.2,), "wide", (0.7, 0.3),
                                     (False, True), "01", (0.3, "0.7"), (float("nan"), 0.5)])
def test_a_d_range_off_centre_or_malformed_is_refused(d_range):
    from toygan.render import Look

    with pytest.raises(ToyganError, match="centred on 1/2"):
        Look(d_range=d_range)


def test_a_fixed_p_g_has_no_mode_count_in_its_title(fixed_p_g_history):
    """A fixed p_g covers the same modes throughout: a count would say nothing."""
    anim = Animation(fixed_p_g_history, ["samples"], width=640)
    try:
        anim.frame(fixed_p_g_history.n_snapshots - 1)
        assert anim.panels[0].ax.get_title() == "Fixed p_g vs data"
    finally:
        anim.close()


@pytest.mark.parametrize("target", [
    {"data.name": "grid", "data.params": {"side": 5, "spacing": 2.0, "std": 0.05}}, {"data.name": "ring"}])
def test_mode_numbers_stay_inside_the_map_and_apart(target):
    """The gallery's grid (25 modes) and ring at the gallery's frame, in a compare's small maps:
    numbered inward, the grid's centre number met its neighbours'; outward, its outer numbers met
    the frame; centred beside the mode, two digits covered it."""
    from matplotlib.transforms import Bbox

    from toygan.render.compare import Column, Comparison

    h = train(tiny_config(**{"train.steps": 2, **target}), progress=False)
    comparison = Comparison([Column(h, "a"), Column(h, "b")], ["samples", "modes"], size="1024x576")
    try:
        renderer = comparison.fig.canvas.get_renderer()
        panel = comparison.panels[0][0]
        inside = panel.ax.get_window_extent(renderer)
        boxes = [label.get_window_extent(renderer) for label in panel.mode_numbers]
        assert len(boxes) == len(h.target().modes)
        r = 2 * comparison.fig.dpi / 72  # 2 pt about each mode: where its samples gather
        modes = panel.ax.transData.transform(h.target().modes)
        spots = [Bbox([[x - r, y - r], [x + r, y + r]]) for x, y in modes]
        for k, box in enumerate(boxes):
            assert inside.x0 < box.x0 and box.x1 < inside.x1 and inside.y0 < box.y0 and box.y1 < inside.y1, k
            assert not any(box.overlaps(other) for other in boxes[k + 1:]), k
            assert not any(box.overlaps(around) for around in spots), k  # no number hides a mode
    finally:
        comparison.close()
