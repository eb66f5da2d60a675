"""Mode metrics for mixture targets, by the protocol of VEEGAN (Srivastava et al. 2017, Sec. 5.1;
its project page, "Synthetic Dataset": 3 standard deviations, 2,500 samples) and PacGAN (Lin et
al. 2018, Sec. 5.1, which adds the reverse KL).

Each generated sample is assigned to its nearest mode. It is *high quality* if it lies within
``n_std`` standard deviations of that mode (3 in both papers). A mode is *captured* if it is the
nearest mode of at least ``min_count`` high-quality samples (1 here). The *reverse KL* is
KL(p̂ ‖ w) = Σₖ p̂ₖ log(p̂ₖ / wₖ) between the histogram p̂ of high-quality samples over the modes and
the mixture weights w (uniform for the ring and the grid); it is 0 when every mode gets its share,
log K when all samples sit on one of K equal modes, and +inf-free: empty modes add 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toygan.data import GaussianMixture
from toygan.errors import ToyganError
from toygan.validate import integer, number, points

__all__ = ["ModeCoverage", "mode_coverage"]


@dataclass(frozen=True)
class ModeCoverage:
    """What ``mode_coverage`` measured on one set of samples."""

    modes_captured: int
    """Modes with at least ``min_count`` high-quality samples."""
    high_quality_fraction: float
    """Fraction of all samples within ``n_std`` standard deviations of their nearest mode."""
    reverse_kl: float
    """KL(p̂ ‖ w) in nats; NaN when no sample is high quality."""
    counts: np.ndarray
    """High-quality samples per mode, shape ``(K,)``."""

    @property
    def n_modes(self) -> int:
        return len(self.counts)


def mode_coverage(samples: np.ndarray, mixture: GaussianMixture, n_std: float = 3.0,
                  min_count: int = 1) -> ModeCoverage:
    """Modes captured, high-quality fraction and reverse KL of ``samples`` ``(n, d)``.

    Args:
        samples: generated points.
        mixture: the target, with ``means``, ``stds`` and ``weights``.
        n_std: a sample is high quality within this many of its nearest mode's standard deviations.
        min_count: high-quality samples a mode needs to count as captured.

    Raises:
        ToyganError: for samples of the wrong shape or with NaN, or thresholds out of range.
    """
    samples = points(samples, "samples")
    if not isinstance(mixture, GaussianMixture):
        raise ToyganError(f"mixture = {mixture!r}: mode metrics need a GaussianMixture target")
    if samples.shape[1] != mixture.dim:
        raise ToyganError(f"samples: have {samples.shape[1]} coordinates, the mixture {mixture.dim}")
    number("n_std", n_std, 0.0)
    integer("min_count", min_count, 1)
    nearest = np.empty(len(samples), dtype=np.int64)
    distance = np.empty(len(samples))
    rows = max(1, 2**20 // len(mixture.weights))  # (rows, K, d) at a time: bounded for many modes
    for start in range(0, len(samples), rows):
        block = samples[start:start + rows]
        sq = ((block[:, None, :] - mixture.means[None]) ** 2).sum(-1)  # (rows, K)
        nearest[start:start + rows] = sq.argmin(axis=1)
        distance[start:start + rows] = np.sqrt(sq[np.arange(len(block)), nearest[start:start + rows]])
    good = distance <= n_std * mixture.stds[nearest]
    counts = np.bincount(nearest[good], minlength=len(mixture.weights))
    total = counts.sum()
    if total == 0:
        kl = float("nan")
    else:
        p = counts / total
        nonzero = p > 0
        with np.errstate(over="ignore"):  # a weight near 0 with samples there: KL is inf, and says so
            kl = float((p[nonzero] * np.log(p[nonzero] / mixture.weights[nonzero])).sum())
    return ModeCoverage(int((counts >= min_count).sum()), float(good.mean()), kl, counts)
