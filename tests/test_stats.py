"""Statistics over seeds (toygan.stats), checked against closed forms worked out here."""

import math

import numpy as np
import pytest

from toygan.stats import mean_se, paired, sign_flip_p


def test_the_sign_flip_test_counts_the_patterns_exactly():
    # n = 3, all positive: of the 2³ = 8 sign patterns only +++ and −−− reach |mean| = 2
    assert sign_flip_p(np.array([1.0, 2.0, 3.0])) == 2 / 8
    # d = (1, −1): every pattern has |mean| ≥ 0 = the observed one
    assert sign_flip_p(np.array([1.0, -1.0])) == 1.0
    # d = (3, 1, 1, 1): |mean| ≥ 1.5 for ++++ and −−−− (1.5) only; +−−− gives 0, −+++ gives 0
    # and the patterns flipping one of the ones give (3 + 1 + 1 − 1)/4 = 1: p = 2/16
    assert sign_flip_p(np.array([3.0, 1.0, 1.0, 1.0])) == 2 / 16
    # beyond 16 pairs, 2¹⁶ random patterns: twenty positive differences are far in the tail
    # (exactly 2/2²⁰ ≈ 2e-6); the sample sees none or almost none reach them
    assert sign_flip_p(np.ones(20)) < 1e-3
    assert math.isnan(sign_flip_p(np.array([])))


def test_a_paired_comparison_is_the_mean_of_the_differences_with_its_error():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = np.array([2.0, 4.0, 5.0, 7.0])  # d = (1, 2, 2, 3): mean 2, s² = (1 + 0 + 0 + 1)/3
    result = paired(a, b)
    assert result.n == 4 and result.difference == pytest.approx(2.0)
    assert result.se == pytest.approx(math.sqrt(2 / 3) / 2)
    t = 3.182446305284263  # t(0.975, 3), from tables
    assert result.ci == pytest.approx((2 - t * result.se, 2 + t * result.se))
    assert result.p == 2 / 16  # all four differences positive
    assert result.mean_a == 2.5 and result.mean_b == 4.5
    text = result.text("A", "B")
    assert "B − A = 2.00 ± 0.41" in text and "over 4 paired seeds" in text
    assert "p = 0.125 (the least p 4 seeds allow: 2/2^4)" in text
    # a seed where either arm is undefined is left out of the pairs
    assert paired(np.array([1.0, np.nan, 3.0]), np.array([2.0, 5.0, 4.0])).n == 2


def test_mean_and_standard_error_leave_out_what_is_undefined():
    assert mean_se(np.array([1.0, np.nan, 3.0])) == (2.0, pytest.approx(1.0), 2)
    assert mean_se(np.array([5.0])) == (5.0, None, 1)
    assert mean_se(np.array([])) == (None, None, 0)


def test_the_sign_flip_test_does_not_depend_on_the_metrics_scale():
    d = np.array([-3.0, -1.0, -2.0])
    assert sign_flip_p(d) == sign_flip_p(d * 1e-301) == sign_flip_p(d * 1e300) == 2 / 8
