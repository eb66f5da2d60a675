import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from toygan.data import GaussianMixture, ring
from toygan.testing import assert_discriminator_near_half, assert_optimal_discriminator
from toygan.theory import optimal_discriminator

P = GaussianMixture([[-1.0, 0.0], [1.0, 0.0]], 0.5)
Q = GaussianMixture([[0.0, 0.5]], 0.7)
ROOT = Path(__file__).resolve().parents[1]


def d_star(x):
    return optimal_discriminator(P, Q, x)


def test_passes_on_the_optimum():
    assert_optimal_discriminator(d_star, P, Q, atol=1e-9)
    points = np.random.default_rng(0).normal(size=(50, 2))
    assert_optimal_discriminator(d_star, P, Q, atol=1e-9, points=points)


def test_fails_on_a_wrong_discriminator_saying_where_and_by_how_much():
    def shifted(x):
        return np.clip(d_star(x) + 0.2 * (x[:, 0] > 0.5), 0, 1)

    with pytest.raises(AssertionError) as info:
        assert_optimal_discriminator(shifted, P, Q, atol=0.05)
    message = str(info.value)
    assert "D differs from D* by up to" in message and "at x = [" in message
    assert "points are off" in message and "atol 0.05" in message


def test_half_passes_when_p_g_equals_p_data_and_fails_otherwise():
    points = ring().sample(500, np.random.default_rng(1))
    assert_discriminator_near_half(lambda x: optimal_discriminator(ring(), ring(), x), points, atol=1e-12)
    with pytest.raises(AssertionError, match="D differs from ½ by up to 0.3"):
        assert_discriminator_near_half(lambda x: np.full(len(x), 0.8), points, atol=0.1)


@pytest.mark.parametrize(("discriminator", "needle"), [
    (lambda x: np.full(3, 0.5), "returned 3 values for"),
    (lambda x: np.full(len(x), np.nan), "returned NaN"),
    (lambda x: np.full(len(x), 3.0), "probabilities must lie in \\[0, 1\\]"),
])
def test_a_broken_discriminator_is_reported(discriminator, needle):
    with pytest.raises(AssertionError, match=needle):
        assert_optimal_discriminator(discriminator, P, Q)


def test_bad_arguments():
    with pytest.raises(ValueError, match="atol = -1"):
        assert_discriminator_near_half(d_star, np.zeros((3, 2)), atol=-1)
    with pytest.raises(ValueError, match="points: must be"):
        assert_discriminator_near_half(d_star, np.zeros(3))


def test_the_documented_example_test_file_passes():
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(ROOT / "docs/examples/test_my_discriminator.py")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
