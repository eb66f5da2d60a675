import math

import numpy as np
import pytest

from toygan.dirac import VARIANTS, dirac_gan, eigenvalues, jacobian, trajectory
from toygan.errors import ToyganError

A = 0.5  # f′(0) for f(t) = −log(1 + e^{−t})


def sorted_complex(z):
    return np.array(sorted(np.asarray(z, complex), key=lambda c: (round(c.real, 9), c.imag)))


def close(got, expected, tol=1e-6):
    np.testing.assert_allclose(sorted_complex(got), sorted_complex(expected), atol=tol)


def test_gan_jacobian_is_a_rotation():
    np.testing.assert_allclose(jacobian(dirac_gan("gan")), [[0, -A], [A, 0]], atol=1e-8)
    close(eigenvalues(dirac_gan("gan")), [1j * A, -1j * A])
    close(eigenvalues(dirac_gan("nsgan")), [1j * A, -1j * A])


@pytest.mark.parametrize("h", [0.05, 0.1, 0.5])
def test_simultaneous_gd_grows_by_sqrt_1_plus_h2_over_4(h):
    """Lemma 2.3: the update matrix I + hJ has eigenvalues of modulus √(1 + h²/4)."""
    moduli = np.abs(eigenvalues(dirac_gan("gan"), lr=h, scheme="simultaneous"))
    np.testing.assert_allclose(moduli, math.sqrt(1 + h * h / 4), rtol=1e-7)
    # and iterating from close to the equilibrium, where the field is linear, grows at that rate
    path = trajectory(dirac_gan("gan"), 1e-4, 0.0, steps=200, lr=h, scheme="simultaneous")
    ratio = np.linalg.norm(path[-1]) / np.linalg.norm(path[0])
    assert ratio == pytest.approx((1 + h * h / 4) ** 100, rel=1e-3)


def test_alternating_gd_neither_grows_nor_shrinks():
    """Lemma 2.4: the alternating update matrix has determinant 1, eigenvalues on the unit circle."""
    np.testing.assert_allclose(np.abs(eigenvalues(dirac_gan("gan"), lr=0.1, scheme="alternating")),
                               1.0, atol=1e-7)
    path = trajectory(dirac_gan("gan"), 1e-3, 1e-3, steps=2000, lr=0.1, scheme="alternating")
    norms = np.linalg.norm(path, axis=1)
    assert 0.8 < norms.min() / norms[0] and norms.max() / norms[0] < 1.25


def test_continuous_gan_dynamics_circle_the_equilibrium():
    path = trajectory(dirac_gan("gan"), 1.0, 1.0, steps=1000, lr=0.05, scheme="continuous")
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), math.sqrt(2), rtol=1e-6)


@pytest.mark.parametrize("gamma", [0.1, 0.3, 1.0, 2.0])
def test_r1_eigenvalues_and_convergence(gamma):
    """Sec. 4.1: −γ/2 ± √(γ²/4 − f′(0)²), both with negative real part."""
    root = np.sqrt(complex(gamma**2 / 4 - A**2))
    close(eigenvalues(dirac_gan("r1", gamma)), [-gamma / 2 + root, -gamma / 2 - root])
    path = trajectory(dirac_gan("r1", gamma), 1.0, 1.0, steps=6000, lr=0.05, scheme="simultaneous")
    assert np.linalg.norm(path[-1]) < 1e-3


@pytest.mark.parametrize("sigma", [0.5, 1.0])
def test_instance_noise_eigenvalues(sigma):
    """Sec. 3.3: f″(0)σ² ± √(f″(0)²σ⁴ − f′(0)²), f″(0) = −¼."""
    fpp = -0.25
    root = np.sqrt(complex(fpp**2 * sigma**4 - A**2))
    close(eigenvalues(dirac_gan("instance-noise", sigma)), [fpp * sigma**2 + root, fpp * sigma**2 - root],
          tol=1e-5)


@pytest.mark.parametrize("gamma", [0.3, 1.0])
def test_consensus_method_eigenvalues(gamma):
    """Sec. 3.4: consensus optimisation follows J − γJᵀJ; J = [[0, −A], [A, 0]] gives JᵀJ = A²I, so
    one step of size h has eigenvalues 1 + h(−γA² ± iA)."""
    from toygan.methods import Settings

    h = 0.2
    close(eigenvalues(dirac_gan("gan"), lr=h, scheme="consensus", settings=Settings(consensus=gamma)),
          [1 + h * (-gamma * A**2 + 1j * A), 1 + h * (-gamma * A**2 - 1j * A)])


def test_consensus_is_a_method_not_a_variant():
    with pytest.raises(ToyganError, match="gan:consensus"):
        dirac_gan("consensus")


def test_wgan_does_not_converge():
    path = trajectory(dirac_gan("wgan"), 1.0, 0.2, steps=4000, lr=0.05, scheme="continuous")
    assert np.linalg.norm(path[-500:], axis=1).min() > 0.1
    assert np.abs(path[:, 1]).max() <= 0.3 + 1e-12  # the clip holds
    gp = trajectory(dirac_gan("wgan-gp"), 1.0, 0.2, steps=4000, lr=0.05, scheme="simultaneous")
    assert np.abs(gp[-500:, 0]).max() > 0.1


def test_every_variant_has_a_finite_field_and_path():
    for name in VARIANTS:
        path = trajectory(dirac_gan(name), 1.0, 1.0, steps=50, lr=0.1, scheme="alternating")
        assert path.shape == (51, 2) and np.all(np.isfinite(path))


def test_bad_input():
    with pytest.raises(ToyganError, match="variant = 'lsgan'"):
        dirac_gan("lsgan")
    with pytest.raises(ToyganError, match="scheme = 'leapfrog'"):
        trajectory(dirac_gan("gan"), scheme="leapfrog")
    with pytest.raises(ToyganError, match="lr = -1"):
        trajectory(dirac_gan("gan"), lr=-1)
    with pytest.raises(ToyganError, match="theta0 = nan"):
        trajectory(dirac_gan("gan"), float("nan"))
    with pytest.raises(ToyganError, match="no Jacobian"):
        eigenvalues(dirac_gan("wgan-gp"))


def test_a_diverging_path_stops_where_it_escapes_and_unused_or_huge_settings_are_refused():
    import warnings

    from toygan.dirac import ESCAPE

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings on the way out
        path = trajectory(dirac_gan("wgan-gp", 100.0), 1.0, 1.0, steps=2000, lr=10.0)
    assert np.isfinite(path).all() and np.abs(path).max() <= ESCAPE
    for bad, match in [(lambda: dirac_gan("gan", 0.3), "variant 'gan' has no γ"),
                       (lambda: dirac_gan("r1", 1e308), "gamma = 1e.308"),
                       (lambda: trajectory(dirac_gan("gan"), lr=100.0), "lr = 100.0"),
                       (lambda: trajectory(dirac_gan("gan"), steps=10**7), "steps = 10000000")]:
        with pytest.raises(ToyganError, match=match):
            bad()
