"""Assertions for your own pytest suites: is a discriminator optimal? Is it ½ at equilibrium?

``discriminator`` is any callable mapping an ``(n, 2)`` NumPy array of points to ``(n,)``
probabilities — a torch module wrapped as ``lambda x: torch.sigmoid(d(torch.tensor(x))).numpy()``,
a scikit-learn classifier's ``predict_proba(x)[:, 1]``, or a closed form. A failure raises
``AssertionError`` saying where D is furthest from the target, by how much, and how often the
tolerance is broken.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from toygan.theory import Density, _density, optimal_discriminator
from toygan.validate import points as checked_points

__all__ = ["assert_optimal_discriminator", "assert_discriminator_near_half", "support_points"]


def support_points(p_data: Density, p_g: Density, n: int = 1000, seed: int = 0) -> np.ndarray:
    """``n`` points from each density (where D matters: on the data and generator support).

    Needs ``sample(n, rng)`` on both densities.
    """
    rng = np.random.default_rng(seed)
    missing = [name for name, p in (("p_data", p_data), ("p_g", p_g))
               if not callable(getattr(p, "sample", None))]
    if missing:
        raise TypeError(f"{', '.join(missing)}: cannot sample; pass points=... explicitly")
    return np.concatenate([p_data.sample(n, rng), p_g.sample(n, rng)])


def _probabilities(discriminator: Callable, points: np.ndarray) -> np.ndarray:
    d = np.asarray(discriminator(points), dtype=np.float64).reshape(-1)
    if d.shape != (len(points),):
        raise AssertionError(f"discriminator returned {d.size} values for {len(points)} points; "
                             "it must map (n, 2) points to n probabilities")
    if np.any(np.isnan(d)):
        raise AssertionError(f"discriminator returned NaN at {int(np.isnan(d).sum())} of {len(d)} points")
    if np.any((d < 0) | (d > 1)):
        bad = int(np.flatnonzero((d < 0) | (d > 1))[0])
        raise AssertionError(f"discriminator returned {d[bad]:.6g} at {points[bad].tolist()}: "
                             "probabilities must lie in [0, 1] (apply a sigmoid to logits)")
    return d


def _compare(d: np.ndarray, target: np.ndarray, points: np.ndarray, atol: float, what: str) -> None:
    gap = np.abs(d - target)
    if gap.max() <= atol:
        return
    worst = int(gap.argmax())
    raise AssertionError(
        f"D differs from {what} by up to {gap[worst]:.4g} (atol {atol:g}) at x = "
        f"{np.round(points[worst], 4).tolist()}: D = {d[worst]:.4g}, {what} = {target[worst]:.4g}; "
        f"{int((gap > atol).sum())} of {len(points)} points are off, mean |D − {what}| = {gap.mean():.4g}")


def _check_atol(atol: float) -> None:
    if not np.isfinite(atol) or atol < 0:
        raise ValueError(f"atol = {atol!r}: must be a number ≥ 0")


def assert_optimal_discriminator(discriminator: Callable[[np.ndarray], np.ndarray], p_data: Density,
                                 p_g: Density, *, atol: float = 0.05,
                                 points: np.ndarray | None = None) -> None:
    """Assert ``|D(x) − D*(x)| ≤ atol`` at every point, D* = p_data / (p_data + p_g).

    Args:
        discriminator: points ``(n, 2)`` → probabilities ``(n,)``.
        p_data, p_g: densities with ``log_prob`` (targets of ``toygan.data``, or
            ``toygan.theory.kde(samples)``).
        atol: the largest allowed absolute difference.
        points: where to compare, ``(n, 2)``; default 1,000 samples of each density (their support,
            where D is trained; far from both, D* is 0/0 and any D is optimal).

    Raises:
        AssertionError: saying where, by how much, and at how many points D misses D*.
    """
    _check_atol(atol)
    _density(p_data, "p_data")
    _density(p_g, "p_g")
    points = support_points(p_data, p_g) if points is None else checked_points(points, "points")
    d = _probabilities(discriminator, points)
    _compare(d, optimal_discriminator(p_data, p_g, points), points, atol, "D*")


def assert_discriminator_near_half(discriminator: Callable[[np.ndarray], np.ndarray],
                                   points: np.ndarray, *, atol: float = 0.05) -> None:
    """Assert ``|D(x) − ½| ≤ atol`` at every point: D cannot tell data from generated samples, as at
    the equilibrium p_g = p_data (Goodfellow et al. 2014, Thm. 1).

    Raises:
        AssertionError: saying where and by how much D is furthest from ½.
    """
    _check_atol(atol)
    points = checked_points(points, "points")
    d = _probabilities(discriminator, points)
    _compare(d, np.full(len(points), 0.5), points, atol, "½")
