"""toygan.testing: the assertions separate good discriminators from bad, take every kind of D, fail
short, and the pytest plugin and the documented example work."""

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from toygan.data import GaussianMixture, moons, ring, shifted
from toygan.errors import ToyganError
from toygan.testing import (
    HALF_MEAN_TOL,
    HALF_QUANTILE_TOL,
    MEAN_TOL,
    QUANTILE_TOL,
    as_probabilities,
    assert_discriminator_near_half,
    assert_optimal_discriminator,
    discriminator_gap,
    fit_discriminator,
)
from toygan.theory import optimal_discriminator

P = GaussianMixture([[-1.0, 0.0], [1.0, 0.0]], 0.5)
Q = GaussianMixture([[0.0, 0.5]], 0.7)
NORMAL = GaussianMixture([[0.0, 0.0]], 1.0)
ROOT = Path(__file__).resolve().parents[1]


def mlp(seed=0, dtype=torch.float32):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    return net.to(dtype)


@pytest.fixture(scope="module")
def ring_d():
    """An MLP trained the documented way on the ring against N(0, I) (the issue's failing case)."""
    return fit_discriminator(mlp(), ring(), NORMAL, seed=0)


def d_star(x):
    return optimal_discriminator(P, Q, x)


def test_the_exact_optimum_passes_even_pointwise():
    gap = assert_optimal_discriminator(d_star, P, Q, atol=1e-9)
    assert gap.worst < 1e-9 and gap.n == 4000
    points = np.random.default_rng(0).normal(size=(50, 2))
    assert_optimal_discriminator(d_star, P, Q, atol=1e-9, points=points)


def test_a_trained_module_passes_on_the_ring_and_the_bad_ones_fail(ring_d):
    """Calibration in small: the full table is benchmarks/testing_calibration.py's."""
    gap = assert_optimal_discriminator(ring_d, ring(), NORMAL, output="logit")
    assert gap.mean < MEAN_TOL and gap.quantile < QUANTILE_TOL
    early = fit_discriminator(mlp(), ring(), NORMAL, seed=0, steps=10)
    bad = {"½": (lambda x: np.full(len(x), 0.5), "probability"), "10 steps": (early, "logit"),
           "swapped": (lambda x: -ring_d(x), "logit")}
    for name, (D, output) in bad.items():
        with pytest.raises(AssertionError):
            assert_optimal_discriminator(D, ring(), NORMAL, output=output)
        assert not discriminator_gap(D, ring(), NORMAL, output=output).holds(MEAN_TOL, QUANTILE_TOL), name


def test_moons_against_themselves_moved():
    """A sample-only target: D* comes from its KDE, and fit_discriminator samples the KDE."""
    p_g = shifted(moons(), [0.5, 0.5])
    D = fit_discriminator(mlp(1), moons(), p_g, seed=1)
    assert_optimal_discriminator(D, moons(), p_g, output="logit")
    with pytest.raises(AssertionError):
        assert_optimal_discriminator(lambda x: -D(x), moons(), p_g, output="logit")


def test_on_overlapping_densities_half_fails_by_the_relative_bound():
    """D* of N(0, I) against N((0.5, 0), I) stays within about 0.1 of ½: the absolute bounds alone
    would pass D = ½; a trained D is far closer to D* than ½ is."""
    p, q = NORMAL, GaussianMixture([[0.5, 0.0]], 1.0)
    half = discriminator_gap(lambda x: np.full(len(x), 0.5), p, q)
    assert half.mean < MEAN_TOL and half.holds(MEAN_TOL, QUANTILE_TOL)  # absolute bounds only
    with pytest.raises(AssertionError, match="D = ½ would be off by 0.09"):
        assert_optimal_discriminator(lambda x: np.full(len(x), 0.5), p, q)
    D = fit_discriminator(mlp(2), p, q, seed=2, steps=1500)
    gap = assert_optimal_discriminator(D, p, q, output="logit")
    assert gap.mean < 0.5 * gap.half_mean


def test_near_half_passes_at_equilibrium_and_fails_elsewhere(ring_d):
    D = fit_discriminator(mlp(), ring(), ring(), seed=0, steps=1000)
    gap = assert_discriminator_near_half(D, ring(), output="logit")
    assert gap.mean < HALF_MEAN_TOL and gap.quantile < HALF_QUANTILE_TOL
    with pytest.raises(AssertionError, match="D is not ½: mean \\|D − ½\\|"):
        assert_discriminator_near_half(ring_d, ring(), output="logit")
    points = ring().sample(500, 1)  # points instead of a density
    assert_discriminator_near_half(lambda x: optimal_discriminator(ring(), ring(), x), points, atol=1e-12)
    with pytest.raises(AssertionError, match="allowed: mean ≤ 0.05"):
        assert_discriminator_near_half(lambda x: np.full(len(x), 0.8), points)


def test_every_kind_of_discriminator(ring_d):
    """nn.Module, a torch function given NumPy, float64 weights, a NumPy function, scikit-learn."""
    from sklearn.neighbors import KNeighborsClassifier

    x = np.concatenate([P.sample(3000, 1), Q.sample(3000, 2)])
    labels = np.r_[np.ones(3000), np.zeros(3000)]
    double = copy.deepcopy(ring_d).double()
    forms = {
        "module": (ring_d, "logit"),
        "torch function": (lambda t: torch.sigmoid(ring_d(t))[:, 0], "probability"),
        "float64 module": (double, "logit"),
        "torch function of a float64 module": (lambda t: torch.sigmoid(double(t))[:, 0], "probability"),
    }
    for name, (D, output) in forms.items():
        assert discriminator_gap(D, ring(), NORMAL, output=output).mean < MEAN_TOL, name
    knn = KNeighborsClassifier(100).fit(x, labels)
    assert discriminator_gap(knn, P, Q).mean < MEAN_TOL
    for other in (np.where(labels == 1, "real", "fake"), labels + 1):
        with pytest.raises(ToyganError, match="two classes, 1 \\(real\\) and 0"):
            discriminator_gap(KNeighborsClassifier(100).fit(x, other), P, Q)


def test_a_module_keeps_its_mode_and_its_gradients_are_not_needed(ring_d):
    net = nn.Sequential(nn.Linear(2, 16), nn.Dropout(0.5), nn.Linear(16, 1))
    net.train()
    d = as_probabilities(net, output="logit")
    x = np.random.default_rng(0).normal(size=(100, 2))
    assert np.array_equal(d(x), d(x))  # eval mode: dropout off
    assert net.training


@pytest.mark.parametrize(("D", "output", "needle"), [
    (lambda x: np.full(3, 0.5), "probability", "returned 3 values"),
    (lambda x: np.full(len(x), np.nan), "probability", "returned NaN"),
    (lambda x: np.full(len(x), 3.0), "probability", 'pass output="logit"'),
    (lambda x: ["a"] * len(x), "probability", "not numbers"),
    (lambda x: np.full(len(x), 0.5), "logits", "output = 'logits': choose one of"),
    (42, "probability", "not callable"),
    (lambda x: np.full(len(x), 0.5), np.str_("logit "), "output = np.str_"),
])
def test_a_broken_discriminator_is_one_line(D, output, needle):
    with pytest.raises(ToyganError, match=needle) as info:
        assert_optimal_discriminator(D, P, Q, output=output)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("options", "needle"), [
    ({"mean_tol": -1}, "mean_tol = -1"), ({"quantile_tol": float("nan")}, "quantile_tol = nan"),
    ({"atol": 2}, "atol = 2"), ({"n": 3}, "n = 3"), ({"seed": -1}, "seed = -1"),
    ({"quantile": 1.0}, "quantile = 1.0"), ({"points": np.zeros(3)}, "points: must be"),
    ({"points": np.zeros((4, 1))}, "points: shape \\(4, 1\\); the densities are 2D"),
    ({"relative_tol": -0.5}, "relative_tol = -0.5"),
])
def test_bad_options_are_one_line(options, needle):
    with pytest.raises(ToyganError, match=needle):
        assert_optimal_discriminator(d_star, P, Q, **options)


def test_numpy_scalars_are_numbers_and_dimensions_must_match():
    gap = assert_optimal_discriminator(d_star, P, Q, mean_tol=np.float32(0.1), n=np.int64(100),
                                       seed=np.int64(1), quantile=np.float32(0.9))
    assert gap.n == 200
    fit_discriminator(mlp(), P, Q, steps=np.int64(2), seed=np.int64(1), lr=np.float32(1e-3))
    from toygan.data import mixture1d

    with pytest.raises(ToyganError, match="p_data is 1D and p_g is 2D"):
        discriminator_gap(d_star, mixture1d(), Q)
    with pytest.raises(ToyganError, match="p_data is 1D and p_g is 2D"):
        fit_discriminator(nn.Linear(1, 1), mixture1d(), Q, steps=2)


def test_failure_says_mean_quantile_worst_point_and_what_to_try(ring_d):
    with pytest.raises(AssertionError) as info:
        assert_optimal_discriminator(lambda x: -ring_d(x), ring(), NORMAL, output="logit")
    message = str(info.value)
    for needle in ("mean |D − D*| = ", "95th percentile", "worst", "at x = [", "allowed: mean ≤ 0.1",
                   "Try: 1 − D is much closer to D*", "labels swapped"):
        assert needle in message
    with pytest.raises(AssertionError, match="nearly constant"):
        assert_optimal_discriminator(lambda x: np.full(len(x), 0.5), ring(), NORMAL)


def test_fit_discriminator_is_reproducible_and_checks_its_input():
    a = fit_discriminator(mlp(3), P, Q, seed=5, steps=20)
    b = fit_discriminator(mlp(3), P, Q, seed=5, steps=20)
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters(), strict=True))
    threads = torch.get_num_threads()
    fit_discriminator(mlp(), P, Q, steps=2, threads=1)
    assert torch.get_num_threads() == threads
    with pytest.raises(ToyganError, match="loss = 'wasserstein'"):
        fit_discriminator(mlp(), P, Q, loss="wasserstein")
    with pytest.raises(ToyganError, match="fails on a batch of shape"):
        fit_discriminator(nn.Linear(3, 1), P, Q, steps=2)
    with pytest.raises(ToyganError, match="steps = 0"):
        fit_discriminator(mlp(), P, Q, steps=0)
    with pytest.raises(ToyganError, match="p_g = 'ring'"):
        fit_discriminator(mlp(), P, "ring", steps=2)
    # least squares reaches D* too, as a score that may stray past 0 and 1
    least = fit_discriminator(mlp(), P, Q, steps=1500, loss="least-squares")
    assert_optimal_discriminator(least, P, Q, output="score")


def run_pytest(folder: Path, name: str, code: str, *flags: str) -> subprocess.CompletedProcess:
    """pytest, in a fresh process, on a test file ``name`` holding ``code``, in ``folder``."""
    (folder / name).write_text(code)
    return subprocess.run([sys.executable, "-m", "pytest", *flags, "-p", "no:cacheprovider", name],
                          capture_output=True, text=True, timeout=300, cwd=folder)


def test_a_failure_under_pytest_is_short_and_hides_toygan(tmp_path):
    code = ("import numpy as np\nfrom torch import nn\n"
            "from toygan.testing import assert_optimal_discriminator, fit_discriminator\n"
            "def test_half(toygan_ring, toygan_normal):\n"
            "    assert_optimal_discriminator(lambda x: np.full(len(x), 0.5), toygan_ring, toygan_normal)\n"
            "def test_two_outputs(toygan_ring, toygan_normal):\n"
            "    fit_discriminator(nn.Linear(2, 2), toygan_ring, toygan_normal)\n")
    result = run_pytest(tmp_path, "test_fails.py", code, "-q")
    assert result.returncode == 1, result.stdout + result.stderr
    failures = result.stdout.split("short test summary")[0]
    half, two = failures.split("_ test_half _")[1].split("_ test_two_outputs _")
    assert "D is not optimal: mean |D − D*| = 0.49" in half
    assert "discriminator: maps points (3, 2) to shape (3, 2)" in two
    for failure in (half, two):
        assert "toygan/" not in failure, failure
        assert len(failure.strip().splitlines()) < 15, failure


def test_the_plugin_gives_fixtures_without_imports(tmp_path):
    code = ("def test_targets(toygan_ring, toygan_grid, toygan_moons, toygan_normal):\n"
            "    assert len(toygan_ring.modes) == 8 and len(toygan_grid.modes) == 25\n"
            "    assert toygan_moons.modes is None and toygan_normal.sample(3, 0).shape == (3, 2)\n"
            "def test_target(toygan_target):\n    assert toygan_target.dim == 2\n"
            "def test_pair(toygan_pair):\n    p, q = toygan_pair\n    assert p.dim == q.dim == 2\n")
    result = run_pytest(tmp_path, "test_fixtures.py", code, "-v")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "11 passed" in result.stdout
    assert "test_pair[grid-vs-moved]" in result.stdout and "test_pair[overlap]" in result.stdout
    assert "test_target[moons]" in result.stdout


def test_the_fixtures_serve_a_fixture_of_any_scope(tmp_path):
    """A module-scoped fixture that trains D once may use them (function-scoped ones raised
    ScopeMismatch)."""
    code = ("import pytest\nfrom torch import nn\n"
            "from toygan.testing import fit_discriminator\n"
            "TRAINED = []\n"
            "@pytest.fixture(scope='module')\n"
            "def trained(toygan_ring, toygan_normal):\n"
            "    TRAINED.append(1)\n"
            "    return fit_discriminator(nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 1)),\n"
            "                             toygan_ring, toygan_normal, steps=200, seed=0)\n"
            "def test_one(trained, toygan_ring):\n    assert toygan_ring.dim == 2\n"
            "def test_two(trained, toygan_pair):\n    assert len(TRAINED) == 1\n")
    result = run_pytest(tmp_path, "test_scopes.py", code, "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 passed" in result.stdout


def test_the_documented_example_test_file_passes(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(ROOT / "docs/examples/test_my_discriminator.py")],
                            capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
