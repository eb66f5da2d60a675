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
is assumed; with n ≤ 16 every pattern is counted, beyond that 2¹⁶ random patterns (seeded) are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import t as student_t

__all__ = ["interval", "rounded", "decimals", "mean_se", "Paired", "paired", "sign_flip_p"]

EXACT_UP_TO = 16
"""Up to this many pairs the sign-flip test counts all 2ⁿ patterns (65,536); beyond, it samples."""


def mean_se(values: np.ndarray) -> tuple[float | None, float | None, int]:
    """Mean, standard error (None for fewer than two) and n of the finite ``values``."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = int(values.size)
    if n == 0:
        return None, None, 0
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


def decimals(se: float) -> int:
    """The decimals that show two significant digits of a standard error (> 0), at most 12."""
    if not math.isfinite(se) or se <= 0:
        return 3
    return min(12, max(0, 1 - math.floor(math.log10(se))))


def rounded(mean: float | None, se: float | None) -> str:
    """A mean to the precision its standard error allows (two significant digits of the error)."""
    if mean is None:
        return "–"
    if not se or not math.isfinite(se) or not math.isfinite(mean) or abs(mean) >= 1e15:
        return f"{mean:.3g}" + (f" ± {se:.2g}" if se else "")
    places = decimals(se)
    return f"{mean:.{places}f} ± {se:.{places}f}"


def sign_flip_p(differences: np.ndarray, seed: int = 0) -> float:
    """Two-sided p-value of the exact sign-flip permutation test of mean(d) = 0."""
    d = np.asarray(differences, dtype=float)
    n = d.size
    if n == 0:
        return float("nan")
    observed = abs(d.mean())
    if n <= EXACT_UP_TO:
        signs = 1 - 2 * ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1)  # every pattern
    else:
        signs = np.random.default_rng(seed).choice([-1, 1], size=(2 ** EXACT_UP_TO, n))
    means = np.abs(signs @ d) / n
    # a relative tolerance for rounding: a pattern whose |mean| equals the observed one (summed in
    # another order) counts as reaching it, at any scale of the metric
    return float(np.mean(means >= observed * (1 - 1e-9)))


@dataclass(frozen=True)
class Paired:
    """Arm B against arm A over the same seeds."""

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
    """Two-sided p of the exact sign-flip test (``sign_flip_p``)."""

    def text(self, a: str, b: str) -> str:
        """One line: both arms, the paired difference with its error and interval, and p."""
        if self.difference is None:
            return f"{b} − {a}: no seed where both are defined"
        low, high = self.ci
        places = decimals(self.se) if self.se else 3
        ci = f" [{low:.{places}f}, {high:.{places}f}]" if low is not None else ""
        floor = (f" (the least p {self.n} seeds allow: 2/2^{self.n})"
                 if self.n <= EXACT_UP_TO and self.p <= 2 / 2 ** self.n + 1e-12 else "")
        return (f"{a}: {rounded(self.mean_a, self.se_a)}; {b}: {rounded(self.mean_b, self.se_b)}; "
                f"{b} − {a} = {rounded(self.difference, self.se)}{ci} over {self.n} paired seeds, "
                f"sign-flip test p = {self.p:.3g}{floor}")


def paired(a: np.ndarray, b: np.ndarray) -> Paired:
    """Compare ``b`` with ``a``, value i of each from seed i (NaN: not defined for that seed)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both = np.isfinite(a) & np.isfinite(b)
    d = b[both] - a[both]
    mean_a, se_a, _ = mean_se(a)
    mean_b, se_b, _ = mean_se(b)
    diff, se, n = mean_se(d)
    return Paired(n, mean_a, se_a, mean_b, se_b, diff, se, interval(diff, se, n), sign_flip_p(d))
