"""Statistics over seeds that a paper can quote: a mean with its standard error and Student-t
interval, rounded to what the error allows, and a paired comparison of two settings over the same
seeds with an exact test.

The seeds of a sweep are its sample: n runs, independent but for the setting. A mean over them is
reported with its standard error s/√n and a 95 % interval from Student's t with n − 1 degrees of
freedom (the spread is estimated). Two settings run on the same seeds are compared seed by seed:
the differences d_i = b_i − a_i share each seed's luck (its data and starting weights), so their
mean has a smaller error than the difference of two means. The test of "no difference" is the
exact sign-flip permutation test (Fisher 1935, §21): under the null each d_i is as likely −d_i, so
the p-value is the share of the 2ⁿ sign patterns whose |mean| reaches the observed one. No normality
is assumed; with n ≤ 20 every pattern is counted; beyond that 2¹⁶ random patterns (seeded) are, and
p = (hits + 1)/(2¹⁶ + 1), counting the observed pattern itself, so that a sampled p is never 0
(Phipson & Smyth 2010, "Permutation p-values should never be zero").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import t as student_t

from toygan.errors import ToyganError

__all__ = ["interval", "rounded", "figure", "mean_se", "Paired", "paired", "sign_flip_p"]

EXACT_UP_TO = 20
"""Up to this many pairs the sign-flip test counts all 2ⁿ patterns (1,048,576); beyond, it samples."""

SAMPLED = 2 ** 16
"""Random sign patterns drawn beyond ``EXACT_UP_TO`` pairs."""

_FIXED_UP_TO = 6
"""Decimals shown as a plain decimal fraction; a finer error is shown in significant digits."""


def mean_se(values: np.ndarray) -> tuple[float | None, float | None, int]:
    """Mean, standard error (None for fewer than two) and n of the finite ``values``."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = int(values.size)
    if n == 0:
        return None, None, 0
    with np.errstate(over="ignore", invalid="ignore"):  # values near float's limit: an inf mean or error
        se = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else None
        return float(values.mean()), se, n


def interval(mean: float | None, se: float | None, n: int, level: float = 0.95) -> tuple:
    """The ``level`` confidence interval of a mean over ``n`` seeds: mean ± t·se, with t the
    Student quantile for n − 1 degrees of freedom (the seeds' spread is estimated, not known);
    (None, None) for fewer than two seeds."""
    if mean is None or se is None or n < 2:
        return None, None
    half = float(student_t.ppf(0.5 + level / 2, n - 1)) * se
    return mean - half, mean + half


def _places(se: float) -> int:
    """The decimals that show two significant digits of a standard error (finite, > 0)."""
    return max(0, 1 - math.floor(math.log10(se)))


def _roundable(x: float, se: float | None) -> bool:
    """Whether ``x`` can be shown to the precision ``se`` allows: both finite and in range (else
    three significant digits)."""
    return (se is not None and math.isfinite(se) and 0 <= se < 1e15 and math.isfinite(x)
            and abs(x) < 1e15)


def figure(x: float, se: float | None) -> str:
    """``x`` (a mean or an interval's end) to the precision a standard error ``se`` allows: its
    second significant digit. Plain decimals up to six places; beyond, significant digits (at most
    ten), so that a mean of 1e-10 does not print as a row of zeros."""
    if not _roundable(x, se):
        return f"{x:.3g}"
    if se == 0:  # every seed gave the same value
        return f"{x:.4g}"
    places = _places(se)
    if places <= _FIXED_UP_TO:
        return f"{x:.{places}f}"
    if x == 0:
        return "0"
    digits = math.floor(math.log10(abs(x))) - math.floor(math.log10(se)) + 2
    return f"{x:.{min(10, max(2, digits))}g}"


def _error(se: float) -> str:
    """A standard error to two significant digits, in the style of ``figure``."""
    if se == 0:
        return "0"
    places = _places(se)
    return f"{se:.{places}f}" if places <= _FIXED_UP_TO else f"{se:.2g}"


def rounded(mean: float | None, se: float | None) -> str:
    """A mean to the precision its standard error allows (two significant digits of the error)."""
    if mean is None:
        return "–"
    if not _roundable(mean, se):
        return f"{mean:.3g}" + (f" ± {se:.2g}" if se is not None and se > 0 else "")
    return f"{figure(mean, se)} ± {_error(se)}"


def sign_flip_p(differences: np.ndarray, seed: int = 0) -> float:
    """Two-sided p-value of the exact sign-flip permutation test of mean(d) = 0."""
    d = np.asarray(differences, dtype=float).ravel()
    n = d.size
    if n == 0 or not np.isfinite(d).all():  # (paired() leaves out the seeds where it is undefined)
        return float("nan")
    if np.abs(d).max() > 0:
        d = d / np.abs(d).max()  # the test does not depend on the scale; sums near 1e308 would overflow
    observed = abs(d.mean()) * (1 - 1e-9)
    # a relative tolerance for rounding: a pattern whose |mean| equals the observed one (summed in
    # another order) counts as reaching it, at any scale of the metric
    if n <= EXACT_UP_TO:  # every pattern, 65,536 at a time
        reach = 0
        for start in range(0, 2 ** n, SAMPLED):
            rows = np.arange(start, min(start + SAMPLED, 2 ** n))[:, None]
            signs = 1 - 2 * ((rows >> np.arange(n)) & 1)
            reach += int(np.count_nonzero(np.abs(signs @ d) / n >= observed))
        return reach / 2 ** n
    rng, reach, rows = np.random.default_rng(seed), 0, max(1, 2 ** 22 // n)  # (memory: 4M signs at a time)
    for start in range(0, SAMPLED, rows):
        signs = rng.choice(np.array([-1, 1], dtype=np.int8), size=(min(rows, SAMPLED - start), n))
        reach += int(np.count_nonzero(np.abs(signs @ d) / n >= observed))
    return (reach + 1) / (SAMPLED + 1)


@dataclass(frozen=True)
class Paired:
    """Arm B against arm A over the same seeds: both arms and their difference are over the n seeds
    where both are defined, so that mean_b − mean_a is the difference."""

    n: int
    mean_a: float | None
    se_a: float | None
    mean_b: float | None
    se_b: float | None
    difference: float | None
    """Mean of b_i − a_i over the seeds where both are defined."""
    se: float | None
    """Its standard error, s_d/√n."""
    ci: tuple
    """Its 95 % interval (Student t, n − 1 degrees of freedom)."""
    p: float
    """Two-sided p of the sign-flip test (``sign_flip_p``): exact up to ``EXACT_UP_TO`` pairs."""
    left_out: int = 0
    """Seeds where either arm is undefined (a seed that captured no mode has no reverse KL)."""

    def text(self, a: str, b: str) -> str:
        """One line: both arms, the paired difference with its error and interval, and p."""
        if self.difference is None:
            return f"{b} − {a}: no seed where both are defined"
        low, high = self.ci
        ci = f" [{figure(low, self.se)}, {figure(high, self.se)}]" if low is not None else ""
        if self.n > EXACT_UP_TO:
            test = f"sign-flip test (on {SAMPLED:,} random sign patterns) p = {self.p:.3g}"
            least, allowed = 1 / (SAMPLED + 1), f"{SAMPLED:,} patterns allow: 1/{SAMPLED + 1:,}"
        else:
            test = f"sign-flip test p = {self.p:.3g}"
            least = 2 / 2 ** self.n
            allowed = f"{self.n} seeds allow: 2/2^{self.n}" if self.n > 1 else "1 seed allows: 2/2^1"
        floor = f" (the least p {allowed})" if self.p <= least * (1 + 1e-9) else ""
        out = f" ({self.left_out} seed(s) where either is undefined left out)" if self.left_out else ""
        return (f"{a}: {rounded(self.mean_a, self.se_a)}; {b}: {rounded(self.mean_b, self.se_b)}; "
                f"{b} − {a} = {rounded(self.difference, self.se)}{ci} over {self.n} paired "
                f"seed{'' if self.n == 1 else 's'}"
                f"{out}, {test}{floor}")


def paired(a: np.ndarray, b: np.ndarray) -> Paired:
    """Compare ``b`` with ``a``, value i of each from seed i (NaN: not defined for that seed)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape:
        raise ToyganError(f"paired: a has shape {a.shape} and b {b.shape}; give one value per seed "
                          "in each, the same seeds in the same order")
    both = np.isfinite(a) & np.isfinite(b)
    d = b[both] - a[both]
    mean_a, se_a, _ = mean_se(a[both])
    mean_b, se_b, _ = mean_se(b[both])
    diff, se, n = mean_se(d)
    return Paired(n, mean_a, se_a, mean_b, se_b, diff, se, interval(diff, se, n), sign_flip_p(d),
                  left_out=int(a.size - n))
