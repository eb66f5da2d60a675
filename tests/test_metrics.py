import math

import numpy as np
import pytest

from toygan.data import GaussianMixture, grid, ring
from toygan.errors import ToyganError
from toygan.metrics import mode_coverage


def test_samples_exactly_on_every_mode():
    target = ring(n_modes=8, std=0.02)
    cov = mode_coverage(np.repeat(target.modes, 10, axis=0), target)
    assert cov.modes_captured == 8 and cov.high_quality_fraction == 1.0
    assert cov.reverse_kl == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_array_equal(cov.counts, 10)


def test_collapse_onto_one_mode_has_reverse_kl_log_k():
    target = grid(side=5, std=0.05)
    cov = mode_coverage(np.tile(target.modes[7], (100, 1)) + 0.01, target)
    assert cov.modes_captured == 1 and cov.reverse_kl == pytest.approx(math.log(25))
    assert cov.counts[7] == 100


def test_the_three_sigma_threshold_decides_quality():
    target = GaussianMixture([[0.0, 0.0], [10.0, 0.0]], 0.1)
    samples = np.array([[0.29, 0.0], [0.31, 0.0], [10.0, 0.2999], [5.0, 5.0]])
    cov = mode_coverage(samples, target)
    assert cov.high_quality_fraction == pytest.approx(0.5)
    np.testing.assert_array_equal(cov.counts, [1, 1])
    assert mode_coverage(samples, target, n_std=4.0).high_quality_fraction == pytest.approx(0.75)


def test_half_and_half_on_two_of_four_modes():
    target = ring(n_modes=4, std=0.05)
    samples = np.concatenate([np.tile(target.modes[0], (30, 1)), np.tile(target.modes[2], (30, 1))])
    cov = mode_coverage(samples, target)
    assert cov.modes_captured == 2
    assert cov.reverse_kl == pytest.approx(math.log(2))  # 2 · ½ log(½ / ¼)


def test_min_count_and_no_quality_samples():
    target = ring(n_modes=4, std=0.05)
    samples = np.concatenate([np.tile(target.modes[0], (5, 1)), target.modes[1:2]])
    assert mode_coverage(samples, target, min_count=2).modes_captured == 1
    far = mode_coverage(np.full((10, 2), 50.0), target)
    assert far.modes_captured == 0 and far.high_quality_fraction == 0 and math.isnan(far.reverse_kl)


def test_samples_of_the_target_itself_capture_everything():
    target = grid()
    cov = mode_coverage(target.sample(2500, np.random.default_rng(0)), target)
    assert cov.modes_captured == 25
    assert cov.high_quality_fraction == pytest.approx(1 - math.exp(-4.5), abs=0.01)  # 2D: P(r ≤ 3σ)
    assert cov.reverse_kl < 0.02


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"samples": np.zeros(3)}, "samples: must be"),
    ({"samples": np.array([[np.nan, 0.0]])}, "NaN"),
    ({"n_std": 0}, "n_std = 0"),
    ({"min_count": 0}, "min_count = 0"),
    ({"mixture": "ring"}, "mixture = 'ring'"),
])
def test_bad_input(kwargs, needle):
    args = {"samples": np.zeros((3, 2)), "mixture": ring(), **kwargs}
    with pytest.raises(ToyganError, match=needle):
        mode_coverage(**args)
