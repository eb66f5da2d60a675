"""What a run measures, in one registry (``METRICS``: name, meaning, the points it is measured on,
which way is better), and the mode metrics for mixture targets, by the protocol of VEEGAN
(Srivastava et al. 2017, Sec. 5.1; its project page, "Synthetic Dataset": 3 standard deviations,
2,500 samples) and PacGAN (Lin et al. 2018, Sec. 5.1, which adds the reverse KL).

Each generated sample is assigned to its nearest mode. It is *high quality* if it lies within
``n_std`` standard deviations of that mode (3 in both papers). A mode is *captured* if it is the
nearest mode of at least ``min_count`` high-quality samples (1 here). The *reverse KL* is
KL(p̂ ‖ w) = Σₖ p̂ₖ log(p̂ₖ / wₖ) between the histogram p̂ of high-quality samples over the modes and
the mixture weights w (uniform for the ring and the grid); it is 0 when every mode gets its share,
log K when all samples sit on one of K equal modes, and +inf-free: empty modes add 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from toygan.data import GaussianMixture
from toygan.errors import MetricError, ToyganError, first_line
from toygan.validate import integer, number, points

__all__ = ["ModeCoverage", "mode_coverage", "Metric", "METRICS", "RECORDED", "SUMMARISED",
           "metrics_table", "own_metric", "snapshot_samples", "GAP_POINTS", "TAKEN", "LIVE"]

GAP_POINTS = 128
"""|D − D*| and the snapshots' JSD use this many data and as many generator samples (the KDE is the
costliest part of a snapshot)."""
_REAL = "the fixed real batch (record.n_samples points)"
_FAKE = "the snapshot's generator samples (record.n_samples, from one fixed noise batch)"
_GAP = "the first 128 of the fixed real batch and the first 128 generator samples"


@dataclass(frozen=True)
class Metric:
    """A quantity a run records at each snapshot, one value per member."""

    name: str
    meaning: str
    points: str
    """What it is measured on, or averaged over."""
    better: str = ""
    """"lower", "higher", or "" (neither: read against ½, or as a setting)."""
    summarised: bool = False
    """Reported by sweeps (final values: mean, error, interval) and measured again by the final
    evaluation where ``evaluated``."""
    evaluated: bool = False
    """Measured again at the end of a run on ``record.eval_samples`` samples (toygan.evaluation)."""
    subset: int | None = None
    """At a snapshot: measured on the first ``subset`` generator samples only; None: on all of
    them; 0: not on samples (a training loss)."""
    live: bool = False
    """Shown on the live page and the notebook widget as the game plays."""

    def snapshot_samples(self, n_samples: int) -> int:
        """Generator samples per member behind one snapshot's value, with ``record.n_samples``."""
        return n_samples if self.subset is None else min(self.subset, n_samples)


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("d_real", "mean of what D says on real points: σ(logit), the least-squares score or the "
           "critic's value (objective.reading); ½ at the equilibrium of the standard GAN", _REAL,
           live=True),
    Metric("d_fake", "mean of what D says on generated points; ½ at the equilibrium", _FAKE, live=True),
    Metric("value", "the objective's value on those two batches (−D's loss); V(D, G) of Eq. 1 for "
           "the standard losses, −log 4 at the equilibrium", f"{_REAL} and {_FAKE}"),
    Metric("d_half_gap", "mean |D − ½|: how far D is from the equilibrium's ½ (NaN for a critic)",
           "both batches together: the fixed real batch and the generator samples", "lower", True),
    Metric("d_star_gap", "mean |D − D*|, D* = p_data / (p_data + p_g) with p_g a KDE of the samples "
           "(exact for a fixed p_g); NaN for a critic or a packing D", _GAP, "lower", True,
           subset=GAP_POINTS, live=True),
    Metric("jsd", "JSD(p_data ‖ p_g) in nats, Monte Carlo; with a generator between the two densities "
           "smoothed by the KDE's kernel (p_g a KDE of all the samples)", _GAP, "lower", True, True,
           subset=GAP_POINTS, live=True),
    Metric("modes_captured", "modes with at least one high-quality sample (within 3 σ of its nearest "
           "mode; VEEGAN); NaN without modes", _FAKE, "higher", True, True, live=True),
    Metric("high_quality_fraction", "share of the samples within 3 σ of their nearest mode", _FAKE,
           "higher", True, True),
    Metric("reverse_kl", "KL(p̂ ‖ w) in nats of the high-quality samples' histogram over the modes "
           "against the mixture weights (PacGAN); NaN when none is high quality", _FAKE, "lower",
           True, True),
    Metric("loss_d", "D's training loss, mean over the steps since the previous snapshot",
           "every D minibatch since the previous snapshot", "lower", subset=0),
    Metric("loss_g", "G's training loss, mean over the steps since the previous snapshot",
           "every G minibatch since the previous snapshot", subset=0),
    Metric("kde_bandwidth", "the bandwidth h of the KDE that stands in for p_g (NaN for a fixed "
           "p_g)", _FAKE),
)}
"""Every metric a run records, in the order of the history's scalars."""
RECORDED = tuple(METRICS)
TAKEN = frozenset({*RECORDED, "task", "label", "kind", "seed", "member", "steps", "step", "diverged",
                   "seconds", "error", "all_modes", "eval_samples", "snapshot_samples", "samples",
                   "jsd_bandwidth"})
"""Names your own metric may not have: toygan's metrics and the columns of a sweep's tables."""
SUMMARISED = tuple(sorted((name for name, m in METRICS.items() if m.summarised),
                         key=lambda name: not METRICS[name].evaluated))
"""The metrics sweeps report (final values over seeds): the final evaluation's first."""
LIVE = tuple(name for name, m in METRICS.items() if m.live)
"""The metrics the live page and the notebook widget show as the game plays."""


def snapshot_samples(name: str, n_samples: int) -> int:
    """Generator samples behind a snapshot's value of ``name`` (your own metrics: all of them)."""
    return METRICS[name].snapshot_samples(n_samples) if name in METRICS else n_samples


def metrics_table() -> str:
    """The registry as a Markdown table (docs/history.md is generated from it)."""
    lines = ["| key | meaning | measured on | better |", "|---|---|---|---|"]
    for m in METRICS.values():
        evaluated = " Measured again by the final evaluation." if m.evaluated else ""
        live = " Shown live (the live page, the widget)." if m.live else ""
        lines.append(f"| `{m.name}` | {m.meaning}.{evaluated}{live} | {m.points} | {m.better or '—'} |")
    return "\n".join(lines) + "\n"


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


def own_metric(function: Callable[[np.ndarray, Any], Any], name: str, samples: np.ndarray,
               target: Any) -> float:
    """A user's metric (``record.metrics``) on one member's ``samples`` ``(n, d)``, as a float.

    Raises:
        ToyganError: in one line, for a function that raises or returns no single real number.
    """
    try:
        value = function(samples, target)
    except (Exception, SystemExit) as err:  # noqa: BLE001 — the user's code: what it raised, in one line
        raise MetricError(f"record.metrics: {name}(samples, target) raised {type(err).__name__} "
                          f"({first_line(err)})") from None
    try:
        if value is None or isinstance(value, bool | str | bytes):
            raise TypeError
        number = float(np.asarray(value, dtype=float).reshape(()))
    except (TypeError, ValueError, OverflowError):
        raise MetricError(f"record.metrics: {name}(samples, target) returned "
                          f"{type(value).__name__} {str(value)[:40]!r}; it must return one number") from None
    return number
