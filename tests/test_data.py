import math
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import trapezoid
from scipy.stats import multivariate_normal

from toygan.data import TARGETS, GaussianMixture, grid, make_target, mixture, ring
from toygan.errors import ToyganError
from toygan.recipes import GALLERY

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("k", [1, 3, 8, 12])
def test_ring_has_k_distinct_equal_weight_centres_on_the_circle(k):
    target = ring(n_modes=k, radius=2.0)
    centres = target.modes
    assert len(np.unique(centres.round(9), axis=0)) == k
    np.testing.assert_allclose(target.weights, 1 / k)
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 2.0)
    angles = np.sort(np.mod(np.arctan2(centres[:, 1], centres[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(angles, 2 * np.pi * np.arange(k) / k, atol=1e-12)


def test_grid_is_centred_with_the_given_spacing():
    target = grid(side=5, spacing=2.0)
    centres = target.modes
    assert len(np.unique(centres.round(9), axis=0)) == 25
    np.testing.assert_allclose(centres.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(np.unique(centres[:, 0]), [-4, -2, 0, 2, 4])
    np.testing.assert_allclose(target.weights, 1 / 25)


def test_log_prob_matches_scipy():
    means, stds, weights = [[0.0, 1.0], [2.0, -1.0], [-1.5, 0.5]], [0.3, 0.7, 1.2], [0.2, 0.5, 0.3]
    target = GaussianMixture(means, stds, weights)
    x = np.random.default_rng(0).normal(size=(200, 2)) * 2
    expected = sum(w * multivariate_normal(m, s**2 * np.eye(2)).pdf(x)
                   for m, s, w in zip(means, stds, weights, strict=True))
    np.testing.assert_allclose(target.log_prob(x), np.log(expected), rtol=1e-10)


def test_log_prob_is_finite_far_from_every_mode():
    target = ring(std=0.02)
    lp = target.log_prob(np.array([[100.0, 100.0], [0.0, 0.0]]))
    assert np.all(np.isfinite(lp)) and lp[0] < -1e6


@pytest.mark.parametrize("target", [ring(std=0.1), grid(side=3, std=0.2), mixture([[0, 0]], 0.5)])
def test_density_integrates_to_one(target):
    x0, x1, y0, y1 = target.bounds()
    xs, ys = np.linspace(x0, x1, 801), np.linspace(y0, y1, 801)
    xx, yy = np.meshgrid(xs, ys)
    p = np.exp(target.log_prob(np.stack([xx.ravel(), yy.ravel()], axis=1))).reshape(xx.shape)
    assert trapezoid(trapezoid(p, xs, axis=1), ys) == pytest.approx(1.0, abs=2e-3)


def test_samples_match_means_stds_and_weights():
    rng = np.random.default_rng(1)
    single = GaussianMixture([[1.0, -2.0]], 0.5)
    x = single.sample(200_000, rng)
    np.testing.assert_allclose(x.mean(axis=0), [1.0, -2.0], atol=0.01)
    np.testing.assert_allclose(x.std(axis=0), 0.5, rtol=0.01)
    target = GaussianMixture([[-3.0, 0.0], [3.0, 0.0]], [0.1, 0.2], [0.25, 0.75])
    x = target.sample(100_000, rng)
    right = x[:, 0] > 0
    assert right.mean() == pytest.approx(0.75, abs=0.01)
    assert x[right, 1].std() == pytest.approx(0.2, rel=0.02)
    assert x[~right, 1].std() == pytest.approx(0.1, rel=0.02)


def test_same_rng_seed_gives_same_samples():
    a = ring().sample(100, np.random.default_rng(3))
    b = ring().sample(100, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)


def test_bounds_hold_every_mode():
    x0, x1, y0, y1 = grid().bounds()
    assert x0 < -4 and x1 > 4 and y0 < -4 and y1 > 4
    assert math.isclose(x1 - x0, y1 - y0)


@pytest.mark.parametrize(("call", "needle"), [
    (lambda: ring(std=0), "std = 0"),
    (lambda: ring(std=-1.0), "std = -1.0"),
    (lambda: ring(n_modes=0), "n_modes = 0"),
    (lambda: grid(spacing=float("nan")), "spacing"),
    (lambda: GaussianMixture([[0, 0], [1, 1]], 0.1, [0.5, 0.6]), "sum to 1"),
    (lambda: GaussianMixture([[0, 0], [1, 1]], 0.1, [1.5, -0.5]), "≥ 0"),
    (lambda: GaussianMixture([[0, 0]], [0.1, 0.2]), "stds"),
    (lambda: GaussianMixture([["a", 0]], 0.1), "means"),
    (lambda: mixture([[0, 0, 0]]), "2 coordinates"),
])
def test_bad_values_raise_a_clear_error(call, needle):
    with pytest.raises(ToyganError, match=needle):
        call()


def test_registry_builds_targets_and_names_bad_input():
    assert set(TARGETS) >= {"ring", "grid", "mixture", "moons", "circles", "swiss_roll", "spiral",
                            "points", "image"}
    assert len(make_target("ring", {"n_modes": 5}).modes) == 5
    with pytest.raises(ToyganError, match="data.name = 'galaxy'.*choose one of"):
        make_target("galaxy")
    with pytest.raises(ToyganError, match="data.params.radiuss: unknown parameter"):
        make_target("ring", {"radiuss": 1.0})
    with pytest.raises(ToyganError, match="data.params.std = 0"):
        make_target("ring", {"std": 0})


@pytest.mark.parametrize("name", ["moons", "circles", "swiss_roll", "spiral"])
def test_sample_only_targets(name):
    target = make_target(name)
    a = target.sample(500, np.random.default_rng(0))
    assert a.shape == (500, 2) and np.all(np.isfinite(a))
    np.testing.assert_array_equal(a, target.sample(500, np.random.default_rng(0)))  # seeded
    assert target.modes is None and not target.exact
    x0, x1, y0, y1 = target.bounds()
    inside = (a[:, 0] > x0) & (a[:, 0] < x1) & (a[:, 1] > y0) & (a[:, 1] < y1)
    assert inside.mean() > 0.99
    assert np.all(np.isfinite(target.log_prob(a)))


def test_circles_have_the_requested_radii():
    x = make_target("circles", {"noise": 0.0, "factor": 0.4}).sample(1000, np.random.default_rng(1))
    np.testing.assert_allclose(np.sort(np.unique(np.linalg.norm(x, axis=1).round(6))), [0.4, 1.0])


def test_point_file_targets(tmp_path):
    pts = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, -1.0]])
    np.save(tmp_path / "p.npy", pts)
    (tmp_path / "p.csv").write_text("x,y\n0,0\n1,2\n3,-1\n")
    # a first row of numbers in exponent notation is data, not a header
    (tmp_path / "e.csv").write_text("0e0,0e-0\n1,2\n3,-1\n")
    for file in ("p.npy", "p.csv", "e.csv"):
        target = make_target("points", {"path": str(tmp_path / file)})
        x = target.sample(300, np.random.default_rng(0))
        assert {tuple(p) for p in x} == {tuple(p) for p in pts}  # resampled, no jitter


def test_image_target_puts_mass_on_dark_pixels(tmp_path):
    from PIL import Image

    pixels = np.full((20, 40), 255, np.uint8)
    pixels[:, :10] = 0  # a black band on the left quarter
    Image.fromarray(pixels).save(tmp_path / "img.png")
    x = make_target("image", {"path": str(tmp_path / "img.png"), "size": 4.0}).sample(
        2000, np.random.default_rng(0))
    assert x[:, 0].min() >= -2.0 and x[:, 0].max() <= -1.0  # the left quarter of [-2, 2]
    assert x[:, 1].min() >= -1.0 and x[:, 1].max() <= 1.0  # aspect kept: height 20/40 of 4


@pytest.mark.parametrize(("params", "needle"), [
    ({"path": "nope.npy"}, "no such file"),
    ({"path": "{tmp}/bad.npy"}, "shape \\(3,\\)"),
    ({"path": "{tmp}/nan.csv"}, "NaN or inf"),
    ({"path": "{tmp}/one.csv"}, "1 point\\(s\\); need at least 2"),
    ({"path": "{tmp}/text.csv"}, "cannot be read as points"),
    ({"path": "{tmp}/complex.npy"}, "holds complex128 values; need real numbers"),
    ({"path": "{tmp}/bool.npy"}, "holds bool values"),
])
def test_bad_point_files_name_the_file_and_problem(tmp_path, params, needle):
    np.save(tmp_path / "bad.npy", np.zeros(3))
    (tmp_path / "nan.csv").write_text("0,0\nnan,1\n")
    (tmp_path / "one.csv").write_text("0,0\n")
    (tmp_path / "text.csv").write_text("a,b\nc,d\n")
    np.save(tmp_path / "complex.npy", np.array([[1 + 1j, 2], [3, 4]]))
    np.save(tmp_path / "bool.npy", np.array([[True, False], [False, True]]))
    path = params["path"].format(tmp=tmp_path)
    with pytest.raises(ToyganError, match=needle):
        make_target("points", {"path": path})


def test_bad_images_are_refused(tmp_path):
    from PIL import Image

    (tmp_path / "x.png").write_text("not an image")
    with pytest.raises(ToyganError, match="x.png.*not a readable image"):
        make_target("image", {"path": str(tmp_path / "x.png")})
    Image.fromarray(np.full((4, 4), 255, np.uint8)).save(tmp_path / "white.png")
    with pytest.raises(ToyganError, match="blank"):
        make_target("image", {"path": str(tmp_path / "white.png")})


def test_smoothed_mixture_is_the_convolution():
    target = ring(std=0.1)
    smooth = target.smoothed(0.2)
    np.testing.assert_allclose(smooth.stds, np.sqrt(0.1**2 + 0.2**2))
    np.testing.assert_array_equal(smooth.means, target.means)


def test_a_1d_mixture_samples_and_has_an_exact_density():
    from toygan.data import make_target

    target = make_target("mixture1d", {"means": [-1.0, 2.0], "stds": [0.3, 0.5]})
    assert target.dim == 1 and target.modes.shape == (2, 1)
    x = target.sample(20000, np.random.default_rng(0))
    assert x.shape == (20000, 1) and abs(x.mean() - 0.5) < 0.05
    grid = np.linspace(-4, 6, 4001)[:, None]
    assert np.trapezoid(np.exp(target.log_prob(grid)), grid[:, 0]) == pytest.approx(1, abs=1e-6)
    lo, hi, _, _ = target.bounds()
    assert lo < -1 - 4 * 0.3 and hi > 2 + 4 * 0.5
    with pytest.raises(ToyganError, match="means"):
        make_target("mixture1d", {"means": [[1.0, 2.0]]})


def test_a_fixed_p_g_must_match_the_data_dimension():
    from conftest import tiny_config

    from toygan import train

    with pytest.raises(ToyganError, match="must match"):
        train(tiny_config(**{"data.name": "mixture1d", "train.generator": "target",
                             "fake.name": "ring"}), progress=False)


def test_sample_takes_an_integer_seed_or_a_generator():
    from toygan.data import moons, ring
    from toygan.theory import kde

    for target in (ring(), moons(), kde(ring().sample(50, 0), 0.1)):
        assert np.array_equal(target.sample(5, 3), target.sample(5, np.random.default_rng(3)))
        assert np.array_equal(target.sample(np.int64(5), np.int64(3)), target.sample(5, 3))
        assert target.sample(0, 1).shape == (0, 2)
        for bad_rng, needle in ((-1, "rng = -1"), (1.5, "rng = 1.5"), (True, "rng = True"),
                                (None, "rng = None")):
            with pytest.raises(ToyganError, match=needle):
                target.sample(5, bad_rng)
        with pytest.raises(ToyganError, match="n = -1"):
            target.sample(-1, 0)


def test_shifted_moves_a_target_and_its_density():
    from toygan.data import moons, ring, shifted

    moved = shifted(ring(), [0.5, -1.0])
    assert np.allclose(moved.modes, ring().modes + [0.5, -1.0])
    x = ring().sample(10, 0)
    assert np.allclose(moved.log_prob(x + [0.5, -1.0]), ring().log_prob(x))
    moved_moons = shifted(moons(), [1.0, 1.0])
    assert np.allclose(moved_moons.sample(20, 4), moons().sample(20, 4) + 1.0)
    assert np.allclose(moved_moons.log_prob(x + 1.0), moons().log_prob(x))
    with pytest.raises(ToyganError, match="offset = \\[1.0\\]: must be 2 finite"):
        shifted(ring(), [1.0])


def test_a_config_gives_its_targets():
    from toygan import Config

    config = Config.load(GALLERY / "d-converges-to-d-star.toml")
    assert np.allclose(config.target().modes, [[-1.0, 0.0], [1.0, 0.0]])
    assert np.allclose(config.fake_target().modes, [[0.0, 0.5]])
    assert Config().target().name == "ring of 8" and Config().fake_target() is None


@pytest.mark.parametrize(("name", "params"), [
    ("mixture", {"means": [[True, False]], "stds": 0.1}),
    ("mixture", {"means": [[0.0, 1.0]], "stds": [True]}),
    ("mixture1d", {"means": [1 + 2j]}),
])
def test_booleans_and_complex_numbers_are_no_parameters(name, params):
    with pytest.raises(ToyganError, match="must be real numbers"):
        make_target(name, params)
