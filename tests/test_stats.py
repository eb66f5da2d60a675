"""Statistics over seeds (toygan.stats), checked against closed forms worked out here."""

import math

import numpy as np
import pytest

from toygan.errors import ToyganError
from toygan.stats import figure, mean_se, paired, rounded, sign_flip_p


def test_the_sign_flip_test_counts_the_patterns_exactly():
    # n = 3, all positive: of the 2³ = 8 sign patterns only +++ and −−− reach |mean| = 2
    assert sign_flip_p(np.array([1.0, 2.0, 3.0])) == 2 / 8
    # d = (1, −1): every pattern has |mean| ≥ 0 = the observed one
    assert sign_flip_p(np.array([1.0, -1.0])) == 1.0
    # d = (3, 1, 1, 1): |mean| ≥ 1.5 for ++++ and −−−− (1.5) only; +−−− gives 0, −+++ gives 0
    # and the patterns flipping one of the ones give (3 + 1 + 1 − 1)/4 = 1: p = 2/16
    assert sign_flip_p(np.array([3.0, 1.0, 1.0, 1.0])) == 2 / 16
    # up to 20 pairs still exact, counted 65,536 patterns at a time: of the 2²⁰ patterns of twenty
    # equal differences only the two without a flip, or with all flipped, reach |mean| = 1
    assert sign_flip_p(np.ones(20)) == 2 / 2 ** 20
    # seventeen equal differences and one of twice their size: the flips that keep |mean| = 19/18
    # are none or all, 2 of 2¹⁸
    assert sign_flip_p(np.r_[np.ones(17), 2.0]) == 2 / 2 ** 18
    assert math.isnan(sign_flip_p(np.array([])))


def test_beyond_twenty_pairs_a_sampled_p_counts_the_observed_pattern_and_is_never_zero():
    # 25 equal differences: a random pattern reaches |mean| = 1 only with no flip or all flipped,
    # P = 2/2²⁵; over 2¹⁶ draws from the fixed seed none does, so p = (0 + 1)/(2¹⁶ + 1)
    assert sign_flip_p(np.ones(25)) == 1 / (2 ** 16 + 1)
    # no difference at all: every pattern reaches it, p = (2¹⁶ + 1)/(2¹⁶ + 1)
    assert sign_flip_p(np.zeros(30)) == 1.0
    text = paired(np.zeros(25), np.ones(25) + np.arange(25) / 100).text("A", "B")
    assert ("on 65,536 random sign patterns) p = 1.53e-05 "
            "(the least p 65,536 patterns allow: 1/65,537)") in text


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
    # a seed where either arm is undefined is left out of the pairs, and of both arms: the arms'
    # means differ by the paired difference, (2 + 4)/2 − (1 + 3)/2 = 1
    part = paired(np.array([1.0, np.nan, 3.0]), np.array([2.0, 5.0, 4.0]))
    assert (part.n, part.left_out, part.mean_a, part.mean_b, part.difference) == (2, 1, 2.0, 3.0, 1.0)
    assert "over 2 paired seeds (1 seed(s) where either is undefined left out)" in part.text("A", "B")
    with pytest.raises(ToyganError, match=r"a has shape \(3,\) and b \(2,\)"):
        paired(np.ones(3), np.ones(2))


def test_a_mean_is_rounded_to_its_errors_second_significant_digit_at_any_scale():
    # two significant digits of the error decide the mean's last digit
    assert rounded(2.5, 0.65) == "2.50 ± 0.65" and rounded(1234.5, 12.3) == "1234 ± 12"
    # finer than six decimals: significant digits, not a row of zeros
    assert rounded(1.07e-10, 2.7e-11) == "1.07e-10 ± 2.7e-11"
    assert rounded(0.69314718023, 3.2e-10) == "0.6931471802 ± 3.2e-10"  # at most ten digits
    assert rounded(5.8e-84, 5.8e-84) == "5.8e-84 ± 5.8e-84"
    assert figure(-1.27e-83, 5.8e-84) == "-1.27e-83"
    # every seed alike: the mean and an error of 0; one seed: no error at all
    assert rounded(2.0794415, 0.0) == "2.079 ± 0" and rounded(7.0, None) == "7"


def test_mean_and_standard_error_leave_out_what_is_undefined():
    assert mean_se(np.array([1.0, np.nan, 3.0])) == (2.0, pytest.approx(1.0), 2)
    assert mean_se(np.array([5.0])) == (5.0, None, 1)
    assert mean_se(np.array([])) == (None, None, 0)


def test_the_sign_flip_test_does_not_depend_on_the_metrics_scale():
    d = np.array([-3.0, -1.0, -2.0])
    assert sign_flip_p(d) == sign_flip_p(d * 1e-301) == sign_flip_p(d * 1e300) == 2 / 8
    # near float's limit the sums would overflow: five equal differences are still 2/2⁵
    assert sign_flip_p(np.full(5, 1e308)) == 2 / 32 and sign_flip_p(np.full(25, 1e308)) == 1 / 65537
    assert math.isnan(sign_flip_p(np.array([np.nan, 1.0, 2.0])))  # undefined, never 0
    assert sign_flip_p(np.ones(1024)) == 1 / 65537  # the sweep's most seeds, drawn in chunks
