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

from toygan.errors import ToyganError, first_line
from toygan.memory import check_bytes
from toygan.validate import generator, integer, number, points, sample_size

__all__ = ["Density", "optimal_discriminator", "optimal_discriminator_from_samples",
           "optimal_discriminator_from_log_densities", "kde_pair", "compared_densities",
           "jsd_from_samples", "KDE", "kde",
           "Quadrature", "quadrature", "grid_points", "jsd", "value", "jsd_estimate", "value_estimate",
           "Estimate",
           "JSD_METHODS", "VALUE_METHODS", "MC_SAMPLES", "GridRefused", "BANDWIDTH_RULES"]


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

    ``log_prob`` is computed here in log space (log-sum-exp over the samples, in chunks): exact and
    finite far from every sample, where scikit-learn's ``KernelDensity.score_samples`` is not (with
    h = 0.05 on the ring it gives −32.8 at (1, 0), where the log density is −185.6). Against it
    (``benchmarks/kde_speed.py``, 512 samples): 1.6–2.4× as fast with Scott's bandwidth, 0.6× with
    h = 0.05, where its tree prunes. The tests check it against ``KernelDensity`` near the samples.
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
        with np.errstate(over="ignore", invalid="ignore"):  # beyond float range: inf or NaN, no warning
            return self._log_sum(x) + norm

    def _log_sum(self, x: np.ndarray) -> np.ndarray:
        """log Σ_i exp(−½‖(x − s_i)/h‖²) at each point."""
        scaled = self.samples / self.bandwidth
        sq_s = (scaled**2).sum(1)
        out = np.empty(len(x))
        rows = min(2048, max(1, 2**21 // len(scaled)))  # (rows, n) blocks stay in cache, and bounded
        for start in range(0, len(x), rows):
            xs = x[start:start + rows] / self.bandwidth
            sq = (xs**2).sum(1)[:, None] - 2 * xs @ scaled.T + sq_s[None]
            expo = -0.5 * np.maximum(sq, 0.0)
            top = expo.max(1, keepdims=True)
            out[start:start + rows] = (top + np.log(np.exp(expo - top).sum(1, keepdims=True)))[:, 0]
        return out

    @property
    def dim(self) -> int:
        return self.samples.shape[1]

    def sample(self, n: int, rng: np.random.Generator | int) -> np.ndarray:
        """``n`` points from the KDE: a random sample plus N(0, h²I) noise; ``rng`` a NumPy
        generator or an integer seed."""
        n, rng = sample_size(n), generator(rng)
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
    else:
        h = number("bandwidth", bandwidth, 0.0)
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
    integer("resolution", resolution, 2, 4096)
    x0, x1, y0, y1 = (float(v) for v in window)
    if not (x0 < x1 and y0 < y1):
        raise ToyganError(f"window = {window!r}: needs xmin < xmax and ymin < ymax")
    hx, hy = (x1 - x0) / resolution, (y1 - y0) / resolution
    xs, ys = x0 + hx * (np.arange(resolution) + 0.5), y0 + hy * (np.arange(resolution) + 0.5)
    xx, yy = np.meshgrid(xs, ys)
    return Quadrature(np.stack([xx.ravel(), yy.ravel()], axis=1), hx * hy, (x0, x1, y0, y1), resolution)


def grid_points(window: tuple[float, float, float, float], resolution: int = 100) -> np.ndarray:
    """The centres of a ``resolution`` × ``resolution`` grid of cells over ``window`` (xmin, xmax,
    ymin, ymax), shape ``(resolution², 2)``, row by row from the bottom left: points at which to
    look at D, D* or a density (``target.bounds()`` gives a window around a target)."""
    resolution = integer("resolution", _index(resolution), 2, 4096)
    check_bytes(GRID_BYTES * resolution**2, f"resolution = {resolution}", "resolution")
    return quadrature(_window(window), resolution).points


def _grid_for(p: Any, q: Any, window, resolution: int) -> Quadrature:
    if window is None:
        boxes = [b.bounds() for b in (p, q) if callable(getattr(b, "bounds", None))]
        if not boxes:
            raise ToyganError("window: needed when neither density has bounds()")
        window = (min(b[0] for b in boxes), max(b[1] for b in boxes),
                  min(b[2] for b in boxes), max(b[3] for b in boxes))
    return quadrature(window, resolution)


class GridRefused(ToyganError):
    """The grid cannot integrate these densities (mass off the grid, cells too coarse, not 2D)."""


def _mass(lp: np.ndarray, grid: Quadrature, name: str, tol: float) -> None:
    mass = float(np.exp(lp).sum() * grid.cell_area)
    if abs(mass - 1) > tol:
        raise GridRefused(f"{name} puts mass {mass:.6f} on the grid (not 1 ± {tol:g}): widen the window "
                          f"{grid.window} or raise the resolution {grid.resolution}")


@dataclass(frozen=True)
class Estimate:
    """A number with its accuracy: ``value``; ``error``, the standard error of a Monte Carlo
    estimate, or for the grid the mass it misses or adds (|mass − 1| of each density, summed),
    which bounds the share of the error that comes from the window; and the ``method`` used."""

    value: float
    error: float
    method: str

    def __float__(self) -> float:
        return self.value


MC_SAMPLES = 2**20
"""Samples drawn from each density by the Monte Carlo method (1,048,576: a standard error of
about 1e-4 on the JSD of overlapping mixtures, under 1e-5 on nearly disjoint ones)."""


_NO_SAMPLE = ("the grid cannot integrate it and it has no sample(n, rng) for Monte Carlo; give a "
              "window and resolution that hold its mass")


def _sampler(p: Any, name: str, why: str = _NO_SAMPLE) -> Callable[[int, np.random.Generator], np.ndarray]:
    """Draws from the density ``log_prob`` describes: a sample-only target's KDE, else ``p``;
    ``why`` says what to do about a density that cannot be sampled."""
    source = getattr(p, "density", p)
    if not callable(getattr(source, "sample", None)):
        raise ToyganError(f"{name} = {p!r}: {why}")
    return source.sample


def _integrand_grid(p: Density, q: Density, window, resolution: int, mass_tol: float,
                    names: tuple[str, str]) -> tuple[Quadrature, np.ndarray, np.ndarray, float]:
    for name, density in zip(names, (p, q), strict=True):
        if getattr(density, "dim", 2) != 2:
            raise GridRefused(f"{name} is {density.dim}D; the grid integrates densities of the plane")
    grid = _grid_for(p, q, window, resolution)
    cell = max(grid.window[1] - grid.window[0], grid.window[3] - grid.window[2]) / grid.resolution
    narrowest = min(_narrowest(p), _narrowest(q))
    if cell > narrowest:  # the midpoint rule converges once cells are narrower than every mode
        raise GridRefused(f"a grid cell of {cell:.3g} is wider than the narrowest mode (σ or bandwidth "
                          f"{narrowest:.3g}): raise the resolution {grid.resolution} or narrow the window")
    lp, lq = _log_prob(p, grid.points, names[0]), _log_prob(q, grid.points, names[1])
    _mass(lp, grid, names[0], mass_tol)
    _mass(lq, grid, names[1], mass_tol)
    missed = sum(abs(float(np.exp(lx).sum() * grid.cell_area) - 1) for lx in (lp, lq))
    return grid, lp, lq, missed


def _narrowest(p: Any) -> float:
    """The narrowest scale of a density: a mixture's smallest σ, a KDE's bandwidth; inf if unknown."""
    source = getattr(p, "density", p)
    if getattr(source, "stds", None) is not None:
        return float(np.min(source.stds))
    return float(getattr(source, "bandwidth", math.inf))


def _samples(p: Any, q: Any, n: int, seed: int, names: tuple[str, str]):
    """``n`` draws from each density and both log densities at each draw."""
    rng = np.random.default_rng(seed)
    x = np.asarray(_sampler(p, names[0])(n, rng), dtype=np.float64)
    y = np.asarray(_sampler(q, names[1])(n, rng), dtype=np.float64)
    return ((_log_prob(p, x, names[0]), _log_prob(q, x, names[1])),
            (_log_prob(p, y, names[0]), _log_prob(q, y, names[1])), x, y)


def _mean_and_se(*terms: np.ndarray) -> tuple[float, float]:
    """½ Σ of the terms' means, and its standard error (independent samples)."""
    value = 0.5 * sum(float(t.mean()) for t in terms)
    return value, 0.5 * math.sqrt(sum(float(t.var(ddof=1)) / len(t) for t in terms))


def _jsd_grid(p, q, *, window, resolution, mass_tol, samples, seed) -> Estimate:
    grid, lp, lq, missed = _integrand_grid(p, q, window, resolution, mass_tol, ("p", "q"))
    lm = np.logaddexp(lp, lq) - math.log(2)
    with np.errstate(invalid="ignore"):
        kl_p = np.where(np.isneginf(lp), 0.0, np.exp(lp) * (lp - lm))
        kl_q = np.where(np.isneginf(lq), 0.0, np.exp(lq) * (lq - lm))
    return Estimate(float(0.5 * (kl_p.sum() + kl_q.sum()) * grid.cell_area), missed, "grid")


def _jsd_monte_carlo(p, q, *, window, resolution, mass_tol, samples, seed) -> Estimate:
    # JSD = ½E_p[log(2p/(p + q))] + ½E_q[log(2q/(p + q))]: both integrands are bounded above by
    # log 2, so the estimate is unbiased with a finite variance for any pair
    (lp_x, lq_x), (lp_y, lq_y), _, _ = _samples(p, q, samples, seed, ("p", "q"))
    on_p = math.log(2) + lp_x - np.logaddexp(lp_x, lq_x)
    on_q = math.log(2) + lq_y - np.logaddexp(lp_y, lq_y)
    value, se = _mean_and_se(on_p, on_q)
    return Estimate(min(max(value, 0.0), math.log(2)), se, "monte-carlo")  # rounding stays in bounds


def _value_grid(p_data, p_g, discriminator, *, window, resolution, mass_tol, samples, seed) -> Estimate:
    grid, lp, lq, missed = _integrand_grid(p_data, p_g, window, resolution, mass_tol, ("p_data", "p_g"))
    log_d, log_1md = _log_discriminator(discriminator, grid.points)
    return Estimate(float((np.exp(lp) * log_d + np.exp(lq) * log_1md).sum() * grid.cell_area),
                    missed, "grid")


def _value_monte_carlo(p_data, p_g, discriminator, *, window, resolution, mass_tol, samples,
                       seed) -> Estimate:
    _, _, x, y = _samples(p_data, p_g, samples, seed, ("p_data", "p_g"))
    on_data, on_g = _log_discriminator(discriminator, x)[0], _log_discriminator(discriminator, y)[1]
    value, se = _mean_and_se(on_data, on_g)
    return Estimate(2 * value, 2 * se, "monte-carlo")


def _log_discriminator(discriminator: Callable[[np.ndarray], np.ndarray],
                       x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log D and log(1 − D) at x, each floored at log(1e-300) (a D of exactly 0 or 1 where a
    density is nearly zero adds nothing instead of NaN)."""
    try:
        raw = discriminator(x)
    except Exception as err:  # noqa: BLE001 - the user's function failed: say so in one line
        raise ToyganError(f"discriminator raised {type(err).__name__} on points of shape {x.shape}: "
                          f"{first_line(err)}") from None
    if np.iscomplexobj(raw) or getattr(raw, "is_complex", lambda: False)():
        raise ToyganError("discriminator: returned complex numbers; it must return real probabilities")
    try:
        d = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ToyganError(f"discriminator: its output is not numbers ({first_line(err)})") from None
    if d.shape != (len(x),) or np.any(np.isnan(d)) or np.any((d < 0) | (d > 1)):
        raise ToyganError(f"discriminator: must map (n, {x.shape[1]}) points to n probabilities in "
                          f"[0, 1]; got shape {d.shape}")
    return np.log(np.clip(d, 1e-300, 1.0)), np.log(np.clip(1 - d, 1e-300, 1.0))


JSD_METHODS = {"grid": _jsd_grid, "monte-carlo": _jsd_monte_carlo}
"""How ``jsd`` integrates, by name; ``auto`` takes the grid where it holds, else Monte Carlo."""
VALUE_METHODS = {"grid": _value_grid, "monte-carlo": _value_monte_carlo}
"""How ``value`` integrates, by name, as for ``jsd``."""


def _estimate(methods: dict, method: str, args: tuple, options: dict) -> Estimate:
    if method not in (*methods, "auto"):
        raise ToyganError(f"method = {method!r}: choose one of {['auto', *methods]}")
    if method != "auto":
        return methods[method](*args, **options)
    try:  # the grid is exact and cheap where both densities put their mass on it
        return methods["grid"](*args, **options)
    except GridRefused as refused:
        try:
            return methods["monte-carlo"](*args, **options)
        except ToyganError as err:
            raise ToyganError(f"{err} (the grid refused too: {refused})") from None


def jsd_estimate(p: Density, q: Density, *, method: str = "auto",
                 window: tuple[float, float, float, float] | None = None, resolution: int = 400,
                 mass_tol: float = 1e-3, samples: int = MC_SAMPLES, seed: int = 0) -> Estimate:
    """JSD(p ‖ q) = ½KL(p‖m) + ½KL(q‖m), m = (p + q)/2, in nats, with its accuracy.

    0 for p = q, log 2 for densities with disjoint support.

    Args:
        p, q: densities with ``log_prob`` (and ``sample(n, rng)`` for Monte Carlo), 1D or 2D.
        method: ``grid`` (the midpoint rule on a ``resolution``² grid over ``window``; refused when
            a density puts mass off 1 by more than ``mass_tol`` on it, or is not 2D), ``monte-carlo``
            (``samples`` draws from each density with NumPy seed ``seed``; unbiased, with its
            standard error) or ``auto``: the grid where it holds, else Monte Carlo.
        window: the grid's window; default: the union of the densities' ``bounds()``.

    Raises:
        ToyganError: naming what no method could integrate, or a bad option.
    """
    p, q = _density(p, "p"), _density(q, "q")
    _same_dim(p, q, ("p", "q"))
    return _estimate(JSD_METHODS, method, (p, q), _options(window, resolution, mass_tol, samples, seed))


def jsd(p: Density, q: Density, **options: Any) -> float:
    """``jsd_estimate(p, q, **options).value``: the JSD in nats (see there for the options)."""
    return jsd_estimate(p, q, **options).value


def value_estimate(p_data: Density, p_g: Density, discriminator: Callable[[np.ndarray], np.ndarray], *,
                   method: str = "auto", window: tuple[float, float, float, float] | None = None,
                   resolution: int = 400, mass_tol: float = 1e-3, samples: int = MC_SAMPLES,
                   seed: int = 0) -> Estimate:
    """V(D, G) = E_data[log D(x)] + E_g[log(1 − D(x))] (Goodfellow et al. 2014, Eq. 1), with its
    accuracy; the methods and options as in ``jsd_estimate``.

    ``discriminator`` maps points ``(n, d)`` to probabilities ``(n,)``. With ``discriminator =
    optimal_discriminator`` this is −log 4 + 2·JSD(p_data ‖ p_g) (Thm. 1); the same method, seed
    and samples give exactly that from both functions.
    """
    p_data, p_g = _density(p_data, "p_data"), _density(p_g, "p_g")
    _same_dim(p_data, p_g, ("p_data", "p_g"))
    return _estimate(VALUE_METHODS, method, (p_data, p_g, discriminator),
                     _options(window, resolution, mass_tol, samples, seed))


def value(p_data: Density, p_g: Density, discriminator: Callable[[np.ndarray], np.ndarray],
          **options: Any) -> float:
    """``value_estimate(...).value``: V(D, G) in nats (see there for the options)."""
    return value_estimate(p_data, p_g, discriminator, **options).value


def _window(window: Any) -> tuple[float, float, float, float]:
    """``window`` as four finite floats (xmin, xmax, ymin, ymax) with xmin < xmax, ymin < ymax."""
    try:
        window = tuple(float(v) for v in window)
    except (TypeError, ValueError):
        window = ()
    if len(window) != 4 or not all(map(math.isfinite, window)) \
            or not (window[0] < window[1] and window[2] < window[3]):
        raise ToyganError("window: give four finite numbers (xmin, xmax, ymin, ymax) with "
                          "xmin < xmax and ymin < ymax")
    return window


MC_BYTES, GRID_BYTES = 160, 96
"""Memory per Monte Carlo sample (drawn from each density, with their log densities) and per grid
point, erring high: measured 82-147 and 69 bytes (peak RSS over 10⁶-4·10⁶ samples and a 2,000²
grid, on the ring and grid targets and a KDE)."""


def _options(window: Any, resolution: Any, mass_tol: Any, samples: Any, seed: Any) -> dict:
    """The integration options, checked before any method runs (their memory included)."""
    options = {"window": None if window is None else _window(window),
               "resolution": integer("resolution", resolution, 2, 4096),
               "mass_tol": number("mass_tol", mass_tol, 0.0, 1.0),
               "samples": integer("samples", _index(samples), 2, 2**26),
               "seed": integer("seed", _index(seed), 0)}
    check_bytes(max(MC_BYTES * options["samples"], GRID_BYTES * options["resolution"] ** 2),
                f"samples = {options['samples']:,} (resolution = {options['resolution']})",
                "samples (or resolution)")
    return options


def _index(value: Any) -> Any:
    """NumPy integers as ints (other values unchanged, for the checks to name)."""
    return int(value) if isinstance(value, np.integer) else value


def _same_dim(p: Any, q: Any, names: tuple[str, str]) -> int | None:
    """The dimension the two densities share (None if neither says); a ToyganError if they differ."""
    dims = [getattr(d, "dim", None) for d in (p, q)]
    if None not in dims and dims[0] != dims[1]:
        raise ToyganError(f"{names[0]} is {dims[0]}D and {names[1]} is {dims[1]}D; they must match")
    return dims[0] if dims[0] is not None else dims[1]
