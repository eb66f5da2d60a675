"""Target distributions: 2D Gaussian mixtures with an analytic density.

Every target has ``sample(n, rng)`` (NumPy, shape ``(n, 2)``), ``log_prob(x)`` (shape ``(n,)``),
``modes`` (the component means, ``(K, 2)``) and ``bounds()``. ``TARGETS`` maps a name to the factory
that builds it; ``make_target`` builds one from a name and keyword parameters, as a config does.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from toygan.errors import ToyganError

__all__ = ["GaussianMixture", "ring", "grid", "mixture", "TARGETS", "make_target"]


class GaussianMixture:
    """A mixture of isotropic Gaussians, ``sum_k w_k N(mean_k, std_k^2 I)``.

    Args:
        means: component means, shape ``(K, d)``.
        stds: one standard deviation for all components, or one per component ``(K,)``; each > 0.
        weights: mixture weights ``(K,)``, non-negative and summing to 1; ``None`` for equal weights.
        name: a short label used in titles.

    Raises:
        ToyganError: for a non-finite mean, a std ≤ 0, or weights that are negative or do not sum to 1.
    """

    def __init__(
        self,
        means: Sequence[Sequence[float]] | np.ndarray,
        stds: float | Sequence[float] | np.ndarray,
        weights: Sequence[float] | np.ndarray | None = None,
        name: str = "mixture",
    ) -> None:
        means, stds = _floats("means", means), _floats("stds", stds)
        if means.ndim != 2 or means.shape[0] < 1 or not np.all(np.isfinite(means)):
            raise ToyganError(f"means = {means.tolist()}: must be a non-empty (K, d) list of finite numbers")
        k = means.shape[0]
        if stds.ndim == 0:
            stds = np.full(k, float(stds))
        if stds.shape != (k,) or not np.all(np.isfinite(stds)) or np.any(stds <= 0):
            raise ToyganError(f"stds = {stds.tolist()}: must be one number > 0 or {k} numbers > 0")
        if weights is None:
            weights = np.full(k, 1.0 / k)
        weights = _floats("weights", weights)
        if weights.shape != (k,) or np.any(weights < 0) or not math.isclose(weights.sum(), 1.0, abs_tol=1e-6):
            raise ToyganError(f"weights = {weights.tolist()}: must be {k} numbers ≥ 0 that sum to 1")
        self.means, self.stds, self.weights, self.name = means, stds, weights, name
        self._cdf = np.cumsum(weights / weights.sum())

    @property
    def modes(self) -> np.ndarray:
        """The component means, shape ``(K, d)``."""
        return self.means.copy()

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` points, shape ``(n, d)``, from the NumPy generator ``rng``."""
        # inverse-CDF draw of components: rng.choice(p=...) re-validates p on every call, ~8× slower
        idx = np.minimum(np.searchsorted(self._cdf, rng.random(n), side="right"), len(self.weights) - 1)
        return self.means[idx] + self.stds[idx, None] * rng.standard_normal((n, self.dim))

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Log density at ``x`` of shape ``(n, d)``, returned as ``(n,)``; exact, in log space."""
        x = np.asarray(x, dtype=np.float64)
        sq = ((x[:, None, :] - self.means[None]) ** 2).sum(-1)  # (n, K)
        log_comp = (
            np.log(self.weights)[None]
            - 0.5 * sq / self.stds[None] ** 2
            - self.dim * np.log(self.stds)[None]
            - 0.5 * self.dim * math.log(2 * math.pi)
        )
        top = log_comp.max(axis=1, keepdims=True)
        return (top + np.log(np.exp(log_comp - top).sum(axis=1, keepdims=True)))[:, 0]

    def bounds(self, margin: float = 0.25) -> tuple[float, float, float, float]:
        """A square window ``(xmin, xmax, ymin, ymax)`` holding every mode's 4σ disc plus a margin
        (a fraction of the half-width), centred on the modes' bounding box."""
        lo = (self.means - 4 * self.stds[:, None]).min(axis=0)
        hi = (self.means + 4 * self.stds[:, None]).max(axis=0)
        centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * (1 + margin)
        return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)

    def __repr__(self) -> str:
        return f"GaussianMixture(name={self.name!r}, K={len(self.weights)}, d={self.dim})"


def _floats(name: str, value: Any) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ToyganError(f"{name} = {value!r}: must be numbers") from None


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0 \
            or not math.isfinite(value):
        raise ToyganError(f"{name} = {value!r}: must be a number > 0")
    return float(value)


def _count(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ToyganError(f"{name} = {value!r}: must be an integer ≥ {minimum}")
    return value


def ring(n_modes: int = 8, radius: float = 2.0, std: float = 0.02) -> GaussianMixture:
    """``n_modes`` equal-weight Gaussians with centres at angles 2πk/K, k = 0..K−1, on a circle.

    The default (8 modes, radius 2, σ = 0.02) is the ring of the Unrolled-GAN paper (Metz et al.
    2016, Sec. 3.1). Centres use k < K, not ``linspace(0, 2π, K)``, which would repeat a centre.
    """
    n_modes = _count("n_modes", n_modes)
    radius, std = _positive("radius", radius), _positive("std", std)
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    means = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return GaussianMixture(means, std, name=f"ring of {n_modes}")


def grid(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> GaussianMixture:
    """``side × side`` equal-weight Gaussians on a square lattice centred on the origin.

    The default (5 × 5, spacing 2, σ = 0.05) is the grid of PacGAN (Lin et al. 2018, Sec. 5.1).
    """
    side = _count("side", side)
    spacing, std = _positive("spacing", spacing), _positive("std", std)
    ticks = (np.arange(side) - (side - 1) / 2) * spacing
    xx, yy = np.meshgrid(ticks, ticks)
    means = np.stack([xx.ravel(), yy.ravel()], axis=1)
    return GaussianMixture(means, std, name=f"{side}×{side} grid")


def mixture(
    means: Sequence[Sequence[float]],
    stds: float | Sequence[float] = 0.05,
    weights: Sequence[float] | None = None,
) -> GaussianMixture:
    """A custom 2D mixture, as written in a config: ``means = [[x, y], ...]``, ``stds``, ``weights``."""
    gm = GaussianMixture(means, stds, weights)
    if gm.dim != 2:
        raise ToyganError(f"means = {gm.means.tolist()}: each mean must have 2 coordinates")
    return gm


TARGETS: dict[str, Callable[..., GaussianMixture]] = {"ring": ring, "grid": grid, "mixture": mixture}
"""Name → factory of every target a config can name."""


def make_target(name: str, params: dict[str, Any] | None = None) -> GaussianMixture:
    """Build the target ``name`` from keyword ``params``, checking both.

    Raises:
        ToyganError: for an unknown name, an unknown parameter or a bad value; the message names it.
    """
    if name not in TARGETS:
        raise ToyganError(f"data.name = {name!r}: unknown target; choose one of {sorted(TARGETS)}")
    factory, params = TARGETS[name], dict(params or {})
    allowed = list(inspect.signature(factory).parameters)
    for key in params:
        if key not in allowed:
            raise ToyganError(f"data.params.{key}: unknown parameter of {name!r}; allowed: {allowed}")
    try:
        return factory(**params)
    except ToyganError as err:
        raise ToyganError(f"data.params.{err}") from None
    except TypeError as err:  # e.g. a string where a list of numbers belongs
        raise ToyganError(f"data.params of {name!r} = {params!r}: {err}") from None
