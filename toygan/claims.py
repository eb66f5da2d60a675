"""The project's theory claims as measurements: ``toygan check`` runs them, with the recipes' checks.

Each ``Claim`` states what it measures and how many seeds it takes; ``measure(seeds)`` returns one
value per seed and whether the claim holds. ``CLAIMS`` maps a name to a claim. A seed changes what
is measured (the pair of densities, the step size, the network's start), not only the noise, so
that a claim holds for a family of cases and not for one lucky one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import expit
from torch import nn

from toygan.config import Config
from toygan.data import GaussianMixture, ring
from toygan.dirac import dirac_gan, trajectory
from toygan.game import Game
from toygan.objectives import non_saturating_generator_loss, saturating_generator_loss
from toygan.testing import (
    HALF_MEAN_TOL,
    HALF_QUANTILE_TOL,
    MEAN_TOL,
    QUANTILE_TOL,
    RELATIVE_TOL,
    discriminator_gap,
    fit_discriminator,
)
from toygan.theory import jsd_estimate, optimal_discriminator, value, value_estimate

__all__ = ["Claim", "Measured", "CLAIMS"]


@dataclass(frozen=True)
class Measured:
    """What a claim measured: ``what`` (the quantity and the bound it must meet), one value per
    seed, and whether the claim holds."""

    what: str
    values: list[float]
    holds: bool


@dataclass(frozen=True)
class Claim:
    """A statement from the literature and the measurement that tests it."""

    name: str
    statement: str
    source: str
    measure: Callable[[int], Measured]
    seeds: int = 5
    """Seeds measured by default."""
    quick_seeds: int = 3
    """Seeds measured by ``toygan check --quick``."""


def _random_pair(seed: int):
    """Two random 2D Gaussian mixtures that overlap, from ``seed``: 1–3 modes each, σ in [0.3, 0.8]."""
    rng = np.random.default_rng(seed)

    def one() -> GaussianMixture:
        k = int(rng.integers(1, 4))
        weights = rng.dirichlet(np.ones(k))
        return GaussianMixture(rng.uniform(-1.5, 1.5, (k, 2)), rng.uniform(0.3, 0.8, k), weights)

    return one(), one()


def _value_margin(p, q) -> float:
    """V(D*, G) minus the best V of D* with its logit moved by ±0.05 or ±0.5, on a grid."""
    def tilted(e: float):  # D* = σ(log p − log q), its logit moved by e
        return lambda y: expit(p.log_prob(y) - q.log_prob(y) + e)

    best = value(p, q, tilted(0.0), method="grid", resolution=300)
    return best - max(value(p, q, tilted(e), method="grid", resolution=300)
                      for e in (-0.5, -0.05, 0.05, 0.5))


def _optimal_discriminator(seeds: int) -> Measured:
    margins, agree = [], True
    for seed in range(seeds):
        p, q = _random_pair(seed)
        x = np.random.default_rng(seed).uniform(-3, 3, (2000, 2))
        dens_p, dens_q = np.exp(p.log_prob(x)), np.exp(q.log_prob(x))
        agree &= bool(np.allclose(optimal_discriminator(p, q, x), dens_p / (dens_p + dens_q),
                                  rtol=1e-9, atol=1e-12))
        margins.append(_value_margin(p, q))
    return Measured("V(D*, G) − the best V of D* with its logit moved by ±0.05 or ±0.5 (> 0), and "
                    f"D* = p/(p + q) pointwise{'' if agree else ' — it DIFFERS'}", margins,
                    agree and all(m > 0 for m in margins))


def _identity_gap(p, q, seed: int) -> tuple[float, bool]:
    """V(D*, G) on a grid − (−log 4 + 2·JSD by Monte Carlo), and whether it is within 4 standard
    errors of the Monte Carlo estimate (plus the grid's own error)."""
    v = value_estimate(p, q, lambda y: optimal_discriminator(p, q, y), method="grid")
    j = jsd_estimate(p, q, method="monte-carlo", samples=2**18, seed=seed)
    gap = v.value - (-math.log(4) + 2 * j.value)
    return gap, abs(gap) <= 4 * 2 * j.error + v.error + 1e-4


def _value_at_optimum(seeds: int) -> Measured:
    found = [_identity_gap(*_random_pair(seed), seed) for seed in range(seeds)]
    return Measured("V(D*, G) on a grid − (−log 4 + 2·JSD by Monte Carlo, 2¹⁸ draws), within 4 "
                    "standard errors", [g for g, _ in found], all(ok for _, ok in found))


def _mlp(seed: int):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def _d_converges(seeds: int) -> Measured:
    p_data, p_g = ring(), GaussianMixture([[0.0, 0.0]], 1.0)
    gaps = [discriminator_gap(fit_discriminator(_mlp(s), p_data, p_g, seed=s), p_data, p_g,
                              output="logit", seed=1000 + s) for s in range(seeds)]
    return Measured("mean |D − D*| of an MLP trained by fit_discriminator, ring against N(0, I) "
                    "(assert_optimal_discriminator's defaults hold)", [g.mean for g in gaps],
                    all(g.holds(MEAN_TOL, QUANTILE_TOL, relative_tol=RELATIVE_TOL) for g in gaps))


def _d_half(seeds: int) -> Measured:
    p = ring()
    gaps = [discriminator_gap(fit_discriminator(_mlp(s), p, p, seed=s), p, p, output="logit",
                              seed=1000 + s) for s in range(seeds)]
    return Measured("mean |D − ½| of an MLP trained on the ring against the ring "
                    "(assert_discriminator_near_half's defaults hold)", [g.mean for g in gaps],
                    all(g.holds(HALF_MEAN_TOL, HALF_QUANTILE_TOL) for g in gaps))


def _saturating_gradient(seeds: int) -> Measured:
    """|∇_θ G's loss| saturating / non-saturating, for G at its start and D trained against it."""
    torch.set_num_threads(1)
    game = Game(Config().replace(**{"train.generator": "frozen", "train.members": seeds}))
    for _ in range(100):  # D learns to reject G's first samples, as early in training
        game.d_step()
    z = game.streams.prior(game.config.model.prior, 1024, game.noise_dim)
    norms = []
    for loss in (saturating_generator_loss, non_saturating_generator_loss):
        for p in game.G.parameters():
            p.grad = None
        loss(game.D(game.G(z))).sum().backward()  # members are independent: one gradient each
        squares = sum((p.grad.reshape(seeds, -1) ** 2).sum(1) for p in game.G.parameters())
        norms.append(squares.sqrt())
    ratios = (norms[0] / norms[1]).tolist()
    return Measured("|∇ saturating G loss| / |∇ non-saturating G loss| at G's start, D trained "
                    "100 steps against it (< 0.1)", ratios, all(r < 0.1 for r in ratios))


def _dirac_case(seed: int) -> tuple[float, float, float]:
    """A step size h in [0.05, 0.5] and a start direction (cos, sin) from ``seed``."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi)
    return float(rng.uniform(0.05, 0.5)), math.cos(angle), math.sin(angle)


def _dirac_simultaneous(seeds: int) -> Measured:
    errors = []
    for seed in range(seeds):
        h, c, s = _dirac_case(seed)
        steps, r0 = 200, 1e-9  # near (0, 0), where the field is linear (f′(0) = ½)
        path = trajectory(dirac_gan("gan"), r0 * c, r0 * s, steps=steps, lr=h, scheme="simultaneous")
        growth = (np.linalg.norm(path[-1]) / r0) ** (1 / steps)
        errors.append(growth / math.sqrt(1 + h * h / 4) - 1)
    return Measured("per-step growth of simultaneous steps / √(1 + h²/4) − 1 (|·| < 1e-6), h from "
                    "0.05 to 0.5", errors, all(abs(e) < 1e-6 for e in errors))


def _dirac_alternating(seeds: int) -> Measured:
    ratios = []
    for seed in range(seeds):
        h, c, s = _dirac_case(seed)
        path = trajectory(dirac_gan("gan"), c, s, steps=5000, lr=h, scheme="alternating")
        ratios.append(float(np.linalg.norm(path, axis=1).max()))  # started at distance 1
    return Measured("largest distance from (0, 0) over 5,000 alternating steps, started at 1 "
                    "(< 1.5: bounded)", ratios, all(r < 1.5 for r in ratios))


def _dirac_r1(seeds: int) -> Measured:
    finals = []
    for seed in range(seeds):
        h, c, s = _dirac_case(seed)
        gamma = float(np.random.default_rng(seed + 10**6).uniform(0.1, 1.0))
        path = trajectory(dirac_gan("r1", gamma), c, s, steps=5000, lr=h, scheme="simultaneous")
        finals.append(float(np.linalg.norm(path[-1])))
    return Measured("distance from (0, 0) after 5,000 simultaneous steps with R1, γ in [0.1, 1], "
                    "started at 1 (< 1e-3)", finals, all(f < 1e-3 for f in finals))


CLAIMS: dict[str, Claim] = {c.name: c for c in [
    Claim("optimal-discriminator", "For a fixed G, D*(x) = p_data(x) / (p_data(x) + p_g(x)) "
          "maximises V(D, G)", "Goodfellow et al. 2014, Prop. 1", _optimal_discriminator),
    Claim("value-at-optimum", "V(D*, G) = −log 4 + 2·JSD(p_data ‖ p_g)",
          "Goodfellow et al. 2014, Thm. 1", _value_at_optimum),
    Claim("d-converges-to-d-star", "A discriminator trained against a fixed G approaches D*",
          "Goodfellow et al. 2014, Prop. 1 and Algorithm 1", _d_converges, seeds=5, quick_seeds=2),
    Claim("d-half-at-equilibrium", "At p_g = p_data the trained discriminator is ½ everywhere",
          "Goodfellow et al. 2014, Thm. 1", _d_half, seeds=5, quick_seeds=2),
    Claim("saturating-gradient", "Early in training the saturating G loss log(1 − D(G(z))) has a "
          "vanishing gradient; the non-saturating −log D(G(z)) does not",
          "Goodfellow et al. 2014, Sec. 3", _saturating_gradient),
    Claim("dirac-simultaneous", "Simultaneous gradient steps of size h on the Dirac-GAN spiral out "
          "by √(1 + h²/4) per step", "Mescheder et al. 2018, Lemma 2.3", _dirac_simultaneous),
    Claim("dirac-alternating", "Alternating gradient steps on the Dirac-GAN stay bounded",
          "Mescheder et al. 2018, Lemma 2.4", _dirac_alternating),
    Claim("dirac-r1", "With R1 (γ > 0) simultaneous steps on the Dirac-GAN converge to the "
          "equilibrium", "Mescheder et al. 2018, Sec. 4.1 and Thm. 4.1", _dirac_r1),
]}
"""Name → theory claim, in the order ``toygan check`` runs and prints them."""
