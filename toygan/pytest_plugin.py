"""toygan's pytest plugin, registered through the ``pytest11`` entry point: installing toygan makes
these fixtures available in every test suite, with nothing to import.

- ``toygan_ring``, ``toygan_grid``, ``toygan_moons``: the targets with their defaults (the ring of
  8 Gaussians, σ = 0.02; the 5 × 5 grid, σ = 0.05; scikit-learn's moons, whose density is a KDE).
- ``toygan_normal``: N(0, I), the usual stand-in for an untrained generator.
- ``toygan_target``: each of ring, grid and moons in turn (a test that uses it runs three times).
- ``toygan_pair``: (p_data, p_g) pairs the assertions' defaults were calibrated on: each target
  against N(0, I) and against itself moved by (0.5, 0.5), and two overlapping Gaussians (seven runs
  of the test).

With ``toygan.testing.fit_discriminator`` and ``assert_optimal_discriminator`` a test of your own
discriminator is three lines (``docs/testing.md``). The fixtures are session-scoped (the densities
are built once and never changed by toygan), so a fixture of any scope may use them: a
module-scoped fixture that trains D once, say. This module imports nothing heavy until a
fixture is used, so it costs other test suites nothing.
"""

from __future__ import annotations

import pytest

TARGET_NAMES = ("ring", "grid", "moons")
PAIR_IDS = (*(f"{name}-vs-{other}" for name in TARGET_NAMES for other in ("normal", "moved")),
            "overlap")


def _target(name: str):
    from toygan.data import make_target  # (when a fixture is used: see the module docstring)

    return make_target(name)


def _normal():
    from toygan.data import GaussianMixture  # (as _target)

    return GaussianMixture([[0.0, 0.0]], 1.0, name="N(0, I)")


@pytest.fixture(scope="session")
def toygan_ring():
    """The ring of 8 Gaussians (radius 2, σ = 0.02), as ``toygan.data.ring()``."""
    return _target("ring")


@pytest.fixture(scope="session")
def toygan_grid():
    """The 5 × 5 grid of Gaussians (spacing 2, σ = 0.05), as ``toygan.data.grid()``."""
    return _target("grid")


@pytest.fixture(scope="session")
def toygan_moons():
    """Two moons (noise 0.05); its density is a Gaussian KDE of bandwidth 0.1."""
    return _target("moons")


@pytest.fixture(scope="session")
def toygan_normal():
    """N(0, I) in the plane, as a one-component ``GaussianMixture``."""
    return _normal()


@pytest.fixture(scope="session", params=TARGET_NAMES)
def toygan_target(request):
    """Each default target in turn: ring, grid, moons."""
    return _target(request.param)


@pytest.fixture(scope="session", params=PAIR_IDS)
def toygan_pair(request):
    """(p_data, p_g): each target against N(0, I) and against itself moved by (0.5, 0.5); and
    N(0, I) against N((0.5, 0), I), which overlap (D* stays near ½)."""
    from toygan.data import GaussianMixture, shifted  # (as _target)

    if request.param == "overlap":
        return _normal(), GaussianMixture([[0.5, 0.0]], 1.0, name="N((0.5, 0), I)")
    name, other = request.param.split("-vs-")
    p_data = _target(name)
    return p_data, _normal() if other == "normal" else shifted(p_data, [0.5, 0.5])
