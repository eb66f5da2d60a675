"""Closed forms of GAN theory, to check training against.

- ``optimal_discriminator``: D*(x) = p_data(x) / (p_data(x) + p_g(x)) for a fixed generator
  (Goodfellow et al. 2014, Prop. 1), in log space.
- ``value`` and ``jsd`` on a quadrature grid, so that V(D*, G) = −log 4 + 2·JSD(p_data ‖ p_g)
  (Goodfellow et al. 2014, Thm. 1) can be checked numerically.
- ``kde``: a Gaussian kernel density for generator samples, where p_g has no closed form.

Densities are any objects with ``log_prob(x)`` mapping ``(n, d)`` to ``(n,)``, such as the targets of
``toygan.data``. The Dirac-GAN lives in ``toygan.dirac``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from scipy.special import expit

from toygan.errors import ToyganError
from toygan.validate import points

__all__ = ["Density", "optimal_discriminator", "optimal_discriminator_from_samples",
           "optimal_discriminator_from_log_densities", "kde_pair", "compared_densities",
           "jsd_from_samples", "KDE", "kde",
           "Quadrature", "quadrature", "jsd", "value", "BANDWIDTH_RULES"]


class Density(Protocol):
    def log_prob(self, x: np.ndarray) -> np.ndarray: ...


def _density(p: Any, name: str) -> Density:
    if not callable(getattr(p, "log_prob", None)):
        raise ToyganError(f"{name} = {p!r}: needs a log_prob(x) method (a toygan.data target, or "
                          "toygan.theory.kde(samples))")
    return p


def _log_prob(p: Density, x: np.ndarray, name: str) -> np.ndarray:
    lp = np.asarray(p.log_prob(x), dtype=np.float64)
    if lp.shape != (len(x),):
        raise ToyganError(f"{name}.log_prob returned shape {lp.shape}; expected ({len(x)},)")
    if np.any(np.isnan(lp)) or np.any(lp == np.inf):
        raise ToyganError(f"{name}.log_prob returned NaN or +inf")
    return lp


def optimal_discriminator(p_data: Density, p_g: Density, x: np.ndarray) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) (Goodfellow et al. 2014, Prop. 1).

    Computed as sigmoid(log p_data − log p_g), so it stays exact far from both densities, where the
    densities themselves underflow to 0. Where both log densities are −inf (0/0) it returns ½.

    Args:
        p_data, p_g: densities with ``log_prob``.
        x: points, shape ``(n, d)``.

    Returns:
        D*(x), shape ``(n,)``, in [0, 1].

    Raises:
        ToyganError: for points of the wrong shape or with NaN, or a density without ``log_prob``.
    """
    x = points(x)
    lp_data = _log_prob(_density(p_data, "p_data"), x, "p_data")
    lp_g = _log_prob(_density(p_g, "p_g"), x, "p_g")
    return optimal_discriminator_from_log_densities(lp_data, lp_g)


def optimal_discriminator_from_log_densities(lp_data: np.ndarray, lp_g: np.ndarray) -> np.ndarray:
    """D* = σ(log p_data − log p_g) from log densities at the same points; ½ where both are −inf."""
    both_zero = np.isneginf(lp_data) & np.isneginf(lp_g)
    with np.errstate(invalid="ignore"):
        d = expit(lp_data - lp_g)
    return np.where(both_zero, 0.5, d)


def kde_pair(p_data: Density, generated: np.ndarray, bandwidth: float | None = None, *,
             min_bandwidth: float = 0.0) -> tuple[Density, KDE]:
    """p_data and a KDE of ``generated`` samples, both seen through the same Gaussian kernel.

    A KDE with bandwidth h estimates p_g convolved with N(0, h² I), not p_g; comparing it with an
    unsmoothed p_data biases D* toward the sharper density. So a mixture p_data is convolved
    exactly (``smoothed(h)``), and a target whose own density is a KDE (a sample-only target) sets h
    to its bandwidth. Then D* is ½ wherever p_g = p_data, whatever h.

    Args:
        bandwidth: h for a mixture p_data; None or 0 for Scott's rule on ``generated``; ignored for
            a sample-only target.
        min_bandwidth: the least h Scott's rule may give (see ``kde``); a collapsed generator's
            identical samples then still have a density.
    """
    density = getattr(p_data, "density", None)
    if isinstance(density, KDE):  # a sample-only target: its own kernel for both
        return p_data, kde(generated, density.bandwidth)
    p_g = kde(generated, bandwidth or "scott", min_bandwidth=min_bandwidth)
    smoothed = getattr(p_data, "smoothed", None)
    return (smoothed(p_g.bandwidth) if callable(smoothed) else p_data), p_g


def compared_densities(p_data: Density, generated: np.ndarray, *, p_g: Density | None = None,
                       bandwidth: float | None = None,
                       min_bandwidth: float = 0.0) -> tuple[Density, Density, float]:
    """The pair D* compares and the kernel bandwidth h: ``(p_data, p_g, 0)`` when p_g is known,
    else ``kde_pair(p_data, generated, bandwidth, min_bandwidth=...)`` and its h."""
    if p_g is not None:
        return p_data, p_g, 0.0
    view, estimate = kde_pair(p_data, generated, bandwidth, min_bandwidth=min_bandwidth)
    return view, estimate, estimate.bandwidth


def optimal_discriminator_from_samples(
    p_data: Density, generated: np.ndarray, x: np.ndarray, bandwidth: float | None = None,
) -> tuple[np.ndarray, float]:
    """D*(x) when p_g is known only through ``generated`` samples ``(m, d)``, with both densities
    seen through one kernel (``kde_pair``); returns (D*(x), the kernel's bandwidth h)."""
    view, p_g = kde_pair(p_data, generated, bandwidth)
    return optimal_discriminator(view, p_g, x), p_g.bandwidth


def jsd_from_samples(p_data: Density, p_g: Density, data_samples: np.ndarray,
                     generated: np.ndarray) -> float:
    """Monte Carlo JSD(p_data ‖ p_g) in nats from samples of each density (Lin 1991):
    log 2 + ½E_data[log D*] + ½E_g[log(1 − D*)], with D* = p_data / (p_data + p_g). Unbiased;
    its standard error shrinks as 1/√n (about 0.02 for 128 samples of each on the ring)."""
    d_data = optimal_discriminator(p_data, p_g, data_samples)
    d_gen = optimal_discriminator(p_data, p_g, generated)
    return float(math.log(2) + 0.5 * np.log(np.clip(d_data, 1e-300, 1)).mean()
                 + 0.5 * np.log(np.clip(1 - d_gen, 1e-300, 1)).mean())


MIN_BANDWIDTH = 0.002
"""The least KDE bandwidth toygan's recordings and panels use with a bandwidth rule, as a fraction
of the window's width: a collapsed generator's samples (all on one point, where Scott's rule gives
0) still have a density, and the run and its pictures go on, saying so."""


def min_bandwidth(window: tuple[float, ...]) -> float:
    """``MIN_BANDWIDTH`` × the window's width."""
    return MIN_BANDWIDTH * (window[1] - window[0])


def _scott(n: int, d: int) -> float:
    return n ** (-1.0 / (d + 4))


def _silverman(n: int, d: int) -> float:
    return (n * (d + 2) / 4.0) ** (-1.0 / (d + 4))


BANDWIDTH_RULES: dict[str, Callable[[int, int], float]] = {"scott": _scott, "silverman": _silverman}
"""Rule name → factor of the samples' standard deviation (Scott 1992, Eq. 6.42; Silverman 1986,
Eq. 4.14, for d dimensions): h = factor(n, d) · σ̄, σ̄ the mean of the per-axis standard deviations."""


@dataclass
class KDE:
    """A Gaussian kernel density estimate with one isotropic bandwidth h:
    p(x) = (1/n) Σᵢ N(x; xᵢ, h²I). Build it with ``kde(samples)``.

    ``log_prob`` is computed here in log space (log-sum-exp over the samples, in chunks), ~6× faster
    than scikit-learn's ``KernelDensity.score_samples`` at these sizes, and finite far from every
    sample; the tests check it against ``KernelDensity``.
    """

    samples: np.ndarray
    bandwidth: float
    floored: bool = False
    """True when the bandwidth rule gave less than the minimum asked for (samples bunched on a
    point: a collapsed generator) and ``bandwidth`` is that minimum."""

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Log density at ``x`` ``(n, d)`` → ``(n,)``."""
        x = points(x)
        n, d = self.samples.shape
        if x.shape[1] != d:
            raise ToyganError(f"x: points have {x.shape[1]} coordinates, the KDE's samples {d}")
        norm = -math.log(n) - d * math.log(self.bandwidth) - 0.5 * d * math.log(2 * math.pi)
        scaled = self.samples / self.bandwidth
        sq_s = (scaled**2).sum(1)
        out = np.empty(len(x))
        for start in range(0, len(x), 2048):  # (chunk, n) blocks stay in cache
            xs = x[start:start + 2048] / self.bandwidth
            sq = (xs**2).sum(1)[:, None] - 2 * xs @ scaled.T + sq_s[None]
            expo = -0.5 * np.maximum(sq, 0.0)
            top = expo.max(1, keepdims=True)
            out[start:start + 2048] = (top + np.log(np.exp(expo - top).sum(1, keepdims=True)))[:, 0]
        return out + norm

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` points from the KDE: a random sample plus N(0, h²I) noise."""
        idx = rng.integers(len(self.samples), size=n)
        return self.samples[idx] + self.bandwidth * rng.standard_normal((n, self.samples.shape[1]))

    def __repr__(self) -> str:
        floor = ", the minimum" if self.floored else ""
        return f"KDE(n={len(self.samples)}, bandwidth={self.bandwidth:.4g}{floor})"


def kde(samples: np.ndarray, bandwidth: float | str = "scott", *, min_bandwidth: float = 0.0) -> KDE:
    """A Gaussian KDE of ``samples`` ``(n, d)``, for p_g when only generator samples exist.

    Args:
        samples: points, shape ``(n, d)``, n ≥ 2.
        bandwidth: a number > 0, or ``"scott"`` / ``"silverman"`` (see ``BANDWIDTH_RULES``). The
            rules assume one roughly Gaussian blob; on a multimodal target with narrow modes they
            over-smooth badly (a ring of σ = 0.02 gets h ≈ 0.3 from 2,000 samples), so pass a number
            there.
        min_bandwidth: a floor for the rules: where they give less (samples bunched on one point,
            identical ones give 0), this is used instead and the KDE says so (``floored``). A
            bandwidth given as a number is used as it is.

    Raises:
        ToyganError: for samples of the wrong shape or with NaN, a bandwidth ≤ 0 or unknown, or
            identical samples with no minimum.
    """
    samples = points(samples, "samples")
    n, d = samples.shape
    if isinstance(bandwidth, str):
        if bandwidth not in BANDWIDTH_RULES:
            raise ToyganError(f"bandwidth = {bandwidth!r}: a number > 0 or one of {sorted(BANDWIDTH_RULES)}")
        if n < 2:
            raise ToyganError(f"samples: a bandwidth rule needs at least 2 samples, got {n}")
        spread = float(samples.std(axis=0, ddof=1).mean())
        h = BANDWIDTH_RULES[bandwidth](n, d) * spread
        if h < min_bandwidth:
            return KDE(samples, float(min_bandwidth), floored=True)
        if spread == 0:
            raise ToyganError("samples: all identical, so a bandwidth rule gives 0; pass a number")
    elif isinstance(bandwidth, bool) or not isinstance(bandwidth, int | float) \
            or not math.isfinite(bandwidth) or bandwidth <= 0:
        raise ToyganError(f"bandwidth = {bandwidth!r}: must be a number > 0 or a rule name")
    else:
        h = float(bandwidth)
    return KDE(samples, h)


@dataclass
class Quadrature:
    """A midpoint rule on a square grid: ``points`` ``(R², 2)``, each cell of area ``cell_area``."""

    points: np.ndarray
    cell_area: float
    window: tuple[float, float, float, float]
    resolution: int


def quadrature(window: tuple[float, float, float, float], resolution: int = 400) -> Quadrature:
    """Cell centres of a ``resolution`` × ``resolution`` grid over ``window`` (xmin, xmax, ymin, ymax).

    For Gaussian mixtures the midpoint rule converges geometrically once a cell is narrower than the
    smallest σ (the error is of order exp(−2π²σ²/h²) for a mode well inside the window); integrals
    below check the mass each density puts on the grid, which bounds the error of the window.
    """
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ToyganError(f"resolution = {resolution!r}: must be an integer ≥ 2")
    x0, x1, y0, y1 = (float(v) for v in window)
    if not (x0 < x1 and y0 < y1):
        raise ToyganError(f"window = {window!r}: needs xmin < xmax and ymin < ymax")
    hx, hy = (x1 - x0) / resolution, (y1 - y0) / resolution
    xs, ys = x0 + hx * (np.arange(resolution) + 0.5), y0 + hy * (np.arange(resolution) + 0.5)
    xx, yy = np.meshgrid(xs, ys)
    return Quadrature(np.stack([xx.ravel(), yy.ravel()], axis=1), hx * hy, (x0, x1, y0, y1), resolution)


def _grid_for(p: Any, q: Any, window, resolution: int) -> Quadrature:
    if window is None:
        boxes = [b.bounds() for b in (p, q) if callable(getattr(b, "bounds", None))]
        if not boxes:
            raise ToyganError("window: needed when neither density has bounds()")
        window = (min(b[0] for b in boxes), max(b[1] for b in boxes),
                  min(b[2] for b in boxes), max(b[3] for b in boxes))
    return quadrature(window, resolution)


def _mass(lp: np.ndarray, grid: Quadrature, name: str, tol: float) -> None:
    mass = float(np.exp(lp).sum() * grid.cell_area)
    if abs(mass - 1) > tol:
        raise ToyganError(f"{name} puts mass {mass:.6f} on the grid (not 1 ± {tol:g}): widen the window "
                          f"{grid.window} or raise the resolution {grid.resolution}")


def jsd(p: Density, q: Density, *, window: tuple[float, float, float, float] | None = None,
        resolution: int = 400, mass_tol: float = 1e-3) -> float:
    """Jensen–Shannon divergence ½KL(p‖m) + ½KL(q‖m), m = (p + q)/2, in nats, on a grid.

    0 for p = q, log 2 for densities with disjoint support.

    Args:
        p, q: densities with ``log_prob``.
        window: the integration window; default: the union of the densities' ``bounds()``.
        resolution: grid cells per side.
        mass_tol: each density must put mass 1 ± mass_tol on the grid, else ToyganError: a window
            that cuts off mass or cells too coarse for the narrowest mode make the integral wrong.
    """
    p, q = _density(p, "p"), _density(q, "q")
    grid = _grid_for(p, q, window, resolution)
    lp, lq = _log_prob(p, grid.points, "p"), _log_prob(q, grid.points, "q")
    _mass(lp, grid, "p", mass_tol)
    _mass(lq, grid, "q", mass_tol)
    lm = np.logaddexp(lp, lq) - math.log(2)
    with np.errstate(invalid="ignore"):
        kl_p = np.where(np.isneginf(lp), 0.0, np.exp(lp) * (lp - lm))
        kl_q = np.where(np.isneginf(lq), 0.0, np.exp(lq) * (lq - lm))
    return float(0.5 * (kl_p.sum() + kl_q.sum()) * grid.cell_area)


def value(p_data: Density, p_g: Density, discriminator: Callable[[np.ndarray], np.ndarray], *,
          window: tuple[float, float, float, float] | None = None, resolution: int = 400,
          mass_tol: float = 1e-3) -> float:
    """V(D, G) = E_data[log D(x)] + E_g[log(1 − D(x))] (Goodfellow et al. 2014, Eq. 1) on a grid.

    ``discriminator`` maps points ``(n, 2)`` to probabilities ``(n,)``. D and 1 − D are floored at
    1e-300 inside the logs, so a D that is exactly 0 or 1 where a density is (nearly) zero adds
    nothing instead of NaN. With ``discriminator = optimal_discriminator`` this is
    −log 4 + 2·JSD(p_data ‖ p_g) (Thm. 1).
    """
    p_data, p_g = _density(p_data, "p_data"), _density(p_g, "p_g")
    grid = _grid_for(p_data, p_g, window, resolution)
    lp, lq = _log_prob(p_data, grid.points, "p_data"), _log_prob(p_g, grid.points, "p_g")
    _mass(lp, grid, "p_data", mass_tol)
    _mass(lq, grid, "p_g", mass_tol)
    d = np.asarray(discriminator(grid.points), dtype=np.float64)
    if d.shape != (len(grid.points),) or np.any(np.isnan(d)) or np.any((d < 0) | (d > 1)):
        raise ToyganError(f"discriminator: must map (n, 2) points to n probabilities in [0, 1]; got "
                          f"shape {d.shape}")
    log_d = np.log(np.clip(d, 1e-300, 1.0))
    log_1md = np.log(np.clip(1 - d, 1e-300, 1.0))
    return float((np.exp(lp) * log_d + np.exp(lq) * log_1md).sum() * grid.cell_area)
