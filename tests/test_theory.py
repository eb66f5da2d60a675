import math

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.neighbors import KernelDensity

from toygan.data import GaussianMixture, grid, mixture, ring
from toygan.errors import ToyganError
from toygan.theory import jsd, kde, optimal_discriminator, quadrature, value

P = GaussianMixture([[-1.0, 0.0], [1.0, 0.5]], [0.4, 0.6], [0.3, 0.7])
Q = GaussianMixture([[0.0, 0.0]], 0.8)


def direct_pdf(gm: GaussianMixture, x: np.ndarray) -> np.ndarray:
    return sum(w * multivariate_normal(m, s**2 * np.eye(2)).pdf(x)
               for m, s, w in zip(gm.means, gm.stds, gm.weights, strict=True))


def test_optimal_discriminator_matches_the_direct_formula():
    x = np.random.default_rng(0).normal(size=(500, 2)) * 1.5
    p, q = direct_pdf(P, x), direct_pdf(Q, x)
    np.testing.assert_allclose(optimal_discriminator(P, Q, x), p / (p + q), rtol=1e-10)


def test_optimal_discriminator_is_half_when_p_g_equals_p_data():
    x = np.random.default_rng(1).normal(size=(300, 2)) * 3
    np.testing.assert_allclose(optimal_discriminator(ring(), ring(), x), 0.5, atol=1e-15)


def test_optimal_discriminator_stays_exact_far_from_both_densities():
    """At (40, 0) both densities underflow to 0 in float64, but their ratio is still defined."""
    a, b = GaussianMixture([[0.0, 0.0]], 1.0), GaussianMixture([[1.0, 0.0]], 1.0)
    x = np.array([[40.0, 0.0], [41.0, 0.0]])
    assert direct_pdf(a, x)[0] == 0.0 and direct_pdf(b, x)[0] == 0.0
    # log p_a − log p_b = (−40² + 39²)/2 = −39.5 exactly
    assert optimal_discriminator(a, b, x)[0] == pytest.approx(1 / (1 + math.exp(39.5)), rel=1e-9)


@pytest.mark.parametrize(("p", "q"), [(P, Q), (ring(), grid(side=3, spacing=1.5, std=0.1)),
                                      (ring(std=0.05), mixture([[2, 0], [0, 2]], 0.3))])
def test_value_at_d_star_is_minus_log_4_plus_2_jsd(p, q):
    """Goodfellow et al. 2014, Thm. 1: V(D*, G) = −log 4 + 2·JSD(p_data ‖ p_g)."""
    j = jsd(p, q, resolution=500)
    v = value(p, q, lambda x: optimal_discriminator(p, q, x), resolution=500)
    assert v == pytest.approx(-math.log(4) + 2 * j, abs=1e-3)
    assert 0 < j < math.log(2)


def test_jsd_against_a_monte_carlo_estimate():
    """An independent estimate: JSD = ½E_p[log 2p/(p+q)] + ½E_q[log 2q/(p+q)], by sampling."""
    rng = np.random.default_rng(2)
    xp, xq = P.sample(200_000, rng), Q.sample(200_000, rng)

    def term(x, own, other):
        lo, lt = own.log_prob(x), other.log_prob(x)
        return np.mean(math.log(2) + lo - np.logaddexp(lo, lt))

    mc = 0.5 * term(xp, P, Q) + 0.5 * term(xq, Q, P)
    assert jsd(P, Q) == pytest.approx(mc, abs=3e-3)


def test_jsd_is_zero_for_equal_and_log_2_for_far_apart_densities():
    assert abs(jsd(ring(), ring())) < 1e-12
    far = GaussianMixture([[30.0, 30.0]], 0.2)
    j = jsd(GaussianMixture([[0.0, 0.0]], 0.2), far, window=(-2, 32, -2, 32), resolution=1200)
    assert j == pytest.approx(math.log(2), abs=1e-4)


def test_value_at_half_is_minus_log_4():
    assert value(P, Q, lambda x: np.full(len(x), 0.5)) == pytest.approx(-math.log(4), abs=1e-4)


def test_integrals_refuse_a_grid_that_misses_mass():
    with pytest.raises(ToyganError, match="mass .* widen the window"):
        jsd(P, Q, window=(-1, 1, -1, 1))
    with pytest.raises(ToyganError, match="raise the resolution"):
        jsd(ring(std=0.01), ring(std=0.01), resolution=40)


def test_kde_matches_scikit_learn_and_a_direct_sum():
    samples = ring().sample(300, np.random.default_rng(3))
    estimate = kde(samples, bandwidth=0.1)
    x = np.concatenate([ring().sample(200, np.random.default_rng(4)), [[6.0, 6.0], [40.0, 0.0]]])
    reference = KernelDensity(bandwidth=0.1).fit(samples).score_samples(x[:200])
    np.testing.assert_allclose(estimate.log_prob(x[:200]), reference, rtol=1e-6)
    sq = ((x[:, None] - samples[None]) ** 2).sum(-1)
    direct = logsumexp(-0.5 * sq / 0.01, axis=1) - math.log(300) - 2 * math.log(0.1) - math.log(2 * math.pi)
    np.testing.assert_allclose(estimate.log_prob(x), direct, rtol=1e-10)


@pytest.mark.parametrize("bandwidth", ["scott", "silverman", 0.05])
def test_kde_integrates_to_one(bandwidth):
    estimate = kde(P.sample(500, np.random.default_rng(5)), bandwidth=bandwidth)
    g = quadrature((-5, 5, -5, 5), 300)
    assert np.exp(estimate.log_prob(g.points)).sum() * g.cell_area == pytest.approx(1.0, abs=2e-3)


def test_kde_bandwidth_rules():
    samples = np.random.default_rng(6).normal(size=(1000, 2)) * 2.0
    sigma = samples.std(axis=0, ddof=1).mean()
    assert kde(samples).bandwidth == pytest.approx(sigma * 1000 ** (-1 / 6))
    assert kde(samples, "silverman").bandwidth == pytest.approx(sigma * 1000 ** (-1 / 6))  # d = 2
    assert kde(samples, 0.3).bandwidth == 0.3


def test_kde_of_samples_of_a_density_approaches_it():
    """Scott's rule on 2,000 Gaussian samples: JSD 0.0030–0.0034 over three seeds (measured)."""
    estimate = kde(Q.sample(2000, np.random.default_rng(7)))
    assert jsd(Q, estimate, window=(-5, 5, -5, 5), resolution=200) < 0.005


@pytest.mark.parametrize(("call", "needle"), [
    (lambda: optimal_discriminator(P, Q, np.zeros(5)), "x: must be an \\(n, d\\) array"),
    (lambda: optimal_discriminator(P, Q, [[0.0, np.nan]]), "x: contains NaN"),
    (lambda: optimal_discriminator(P, object(), [[0.0, 0.0]]), "p_g = .* needs a log_prob"),
    (lambda: optimal_discriminator("ring", Q, [[0.0, 0.0]]), "p_data = 'ring'"),
    (lambda: kde(np.ones((10, 2)), bandwidth=0), "bandwidth = 0"),
    (lambda: kde(np.ones((10, 2)), bandwidth=-1.0), "bandwidth = -1.0"),
    (lambda: kde(np.ones((10, 2)), bandwidth="wide"), "bandwidth = 'wide'"),
    (lambda: kde(np.ones((10, 2))), "all identical"),
    (lambda: kde(np.ones(10)), "samples: must be an \\(n, d\\) array"),
    (lambda: value(P, Q, lambda x: np.ones(3)), "discriminator: must map"),
    (lambda: quadrature((1, 0, 0, 1)), "window"),
])
def test_bad_input_names_the_argument(call, needle):
    with pytest.raises(ToyganError, match=needle):
        call()


def test_d_star_from_samples_is_half_when_p_g_equals_p_data():
    """With both densities seen through one kernel, samples of p_data itself give D* ≈ ½ — an
    unsmoothed p_data against the KDE would give D* ≈ 1 on the modes and ≈ 0 between them."""
    from toygan.theory import kde_pair, optimal_discriminator_from_samples

    target = ring(std=0.02)
    rng = np.random.default_rng(8)
    generated, x = target.sample(4000, rng), target.sample(500, rng)
    d, h = optimal_discriminator_from_samples(target, generated, x, bandwidth=0.05)
    assert h == 0.05 and np.abs(d - 0.5).mean() < 0.05
    naive = optimal_discriminator(target, kde(generated, 0.05), x)
    assert np.abs(naive - 0.5).mean() > 0.2  # measured 0.28: biased toward the sharper p_data
    view, p_g = kde_pair(target, generated, 0.05)
    np.testing.assert_allclose(view.stds, np.hypot(0.02, 0.05))


def test_d_star_from_samples_of_a_sample_only_target_uses_its_kernel():
    from toygan.data import make_target
    from toygan.theory import optimal_discriminator_from_samples

    moons = make_target("moons")
    rng = np.random.default_rng(9)
    d, h = optimal_discriminator_from_samples(moons, moons.sample(4000, rng), moons.sample(300, rng))
    assert h == moons.density.bandwidth and np.abs(d - 0.5).mean() < 0.06


def test_jsd_from_samples_agrees_with_the_grid_integral():
    from toygan.theory import jsd_from_samples

    rng = np.random.default_rng(10)
    estimate = jsd_from_samples(P, Q, P.sample(20_000, rng), Q.sample(20_000, rng))
    assert estimate == pytest.approx(jsd(P, Q), abs=0.01)
    same = jsd_from_samples(P, P, P.sample(20_000, rng), P.sample(20_000, rng))
    assert abs(same) < 1e-12  # D* = ½ exactly: log 2 + ½ log ½ + ½ log ½ = 0
