"""Measuring a recipe's checks: train its configs over seeds (or integrate a Dirac-GAN's field) and
read each check's metric, one value per seed or starting point."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from toygan.dirac import dirac_gan, spectral_radius, stable_range, trajectory
from toygan.errors import ToyganError
from toygan.history import History
from toygan.methods import Settings
from toygan.metrics import METRICS, snapshot_samples
from toygan.recipes.checks import OPS, Check, CheckResult
from toygan.render.dirac import parse_runs
from toygan.render.spectrum import RADIUS_STEPS
from toygan.training import train

if TYPE_CHECKING:
    from toygan.recipes.reading import Recipe

__all__ = ["EIGEN_METRICS", "DIRAC_METRICS", "metric_values", "measure", "dirac_starts", "train_recipe",
           "integrate"]


EIGEN_METRICS: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "eigen_max_real": ("the largest real part of the recorded eigenvalues (above 0: a direction the "
                       "field pushes away from)", lambda z: np.nanmax(z.real, axis=-1)),
    "eigen_max_imag": ("the largest |imaginary part| of the recorded eigenvalues (the fastest "
                       "rotation)", lambda z: np.nanmax(np.abs(z.imag), axis=-1)),
}
"""Metrics of ``record.eigenvalues``, per snapshot and member: name → (meaning, of the (T, E, K)
complex eigenvalues)."""


def metric_values(history: History, metric: str, when: str) -> np.ndarray:
    """One value of ``metric`` per member at ``when`` (see ``toygan.recipes``)."""
    if when == "evaluation":
        found = (history.evaluation or {}).get("metrics", {})
        if metric not in found:
            raise ToyganError(f"metric {metric!r} (evaluation): " + (
                f"the evaluation measures {sorted(found)}" if found else
                "the run has no final evaluation (record.eval_samples = 0, or it did not complete)"))
        return np.array([np.nan if v is None else v for v in found[metric]], dtype=float)
    if metric == "push":
        if history.push is None:
            raise ToyganError("metric 'push': the history has no push recording")
        series = np.linalg.norm(history.push, axis=-1).mean(axis=-1)  # (T, E)
    elif metric in history.scalars:
        series = history.scalars[metric]
    elif metric in EIGEN_METRICS:
        if history.eigenvalues is None:
            raise ToyganError(f"metric {metric!r}: the run recorded no eigenvalues (record.eigenvalues)")
        z = history.eigenvalues[..., 0] + 1j * history.eigenvalues[..., 1]  # (T, E, K)
        series = EIGEN_METRICS[metric][1](z)
    else:
        raise ToyganError(f"metric {metric!r}: choose 'push', a recorded scalar "
                          f"({sorted(history.scalars)}) or one of {sorted(EIGEN_METRICS)}")
    if when == "final":
        return series[-1]
    if when == "last-quarter":
        return series[-max(1, len(series) // 4):].mean(axis=0)
    step = int(when.split(":")[1])
    i = max(0, int(np.searchsorted(history.steps, step, side="right")) - 1)
    return series[i]


def measure(check: Check, histories: dict[str, History]) -> CheckResult:
    """Evaluate ``check`` on the histories of a recipe (label → history)."""
    values = metric_values(histories[check.variant], check.metric, check.when)
    try:
        other: np.ndarray | float = float(check.against)
    except ValueError:
        other = metric_values(histories[check.against], check.metric, check.when)
    passed = OPS[check.op](values, other)
    against = None if isinstance(other, float) else [float(v) for v in other]
    return CheckResult(check, int(np.sum(passed)), len(values), [float(v) for v in values], against,
                       [bool(p) for p in np.broadcast_to(passed, values.shape)],
                       samples=_samples_behind(histories[check.variant], check))


def _samples_behind(history: History, check: Check) -> int:
    """The generator samples per seed a check's metric was measured on (0: not a sample metric)."""
    if check.when == "evaluation":
        return history.evaluation["n_samples"]
    if check.metric in METRICS or check.metric in history.scalars or check.metric == "push":
        return snapshot_samples(check.metric, int(history.samples.shape[2]))
    return 0  # the eigenvalues: not measured on samples


def dirac_starts(n: int) -> np.ndarray:
    """``n`` starting points (θ₀, ψ₀) evenly round the circle of radius √2, the first (1, 1)."""
    angles = np.pi / 4 + 2 * np.pi * np.arange(n) / n
    return np.sqrt(2) * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _distance_ratio(gan, run, recipe: Recipe, settings) -> np.ndarray:
    ratios = []
    for theta0, psi0 in dirac_starts(int(recipe.dirac.get("starts", 1))):
        path = trajectory(gan, float(theta0), float(psi0), steps=int(recipe.dirac.get("steps", 500)),
                          lr=float(recipe.dirac.get("lr", 0.1)), scheme=run.scheme, settings=settings)
        ratios.append(np.linalg.norm(path[-1]) / np.linalg.norm(path[0]))
    return np.array(ratios)


def _stable_up_to(gan, run, recipe: Recipe, settings) -> np.ndarray:
    _, ranges = stable_range(gan, scheme=run.scheme, settings=settings, steps=RADIUS_STEPS)
    first = ranges[0] if ranges and ranges[0][0] == RADIUS_STEPS[0] else None
    return np.array([first[1] if first else 0.0])


def _radius_at_lr(gan, run, recipe: Recipe, settings) -> np.ndarray:
    return np.array([spectral_radius(gan, lr=float(recipe.dirac.get("lr", 0.1)), scheme=run.scheme,
                                     settings=settings)])


DIRAC_METRICS: dict[str, tuple[str, Callable]] = {
    "distance_ratio": ("the distance from the equilibrium at the end over that at the start, "
                       "from each of recipe.starts starting points", _distance_ratio),
    "stable_up_to": ("the largest step size h (from 10⁻³, the radius view's range) below which "
                     "the method converges near the equilibrium; 0 if it never does", _stable_up_to),
    "spectral_radius": ("the spectral radius of a step at (0, 0) at the recipe's lr", _radius_at_lr),
}
"""A Dirac-GAN recipe's metrics: name → (meaning, its values for a run)."""


def integrate(recipe: Recipe, say: Callable[[str], None], progress: bool
               ) -> tuple[dict[str, History], list[CheckResult]]:
    """A Dirac-GAN recipe's checks, per run label: each metric of ``DIRAC_METRICS`` from every
    starting point (a metric that does not depend on the start counts once for each)."""
    starts = int(recipe.dirac.get("starts", 1))
    runs = {run.label: run for run in parse_runs(recipe.dirac.get("runs", ""))}
    results = []
    for check in recipe.checks:
        run = runs[check.variant]
        values = DIRAC_METRICS[check.metric][1](dirac_gan(run.variant, run.gamma), run, recipe, Settings())
        values = np.broadcast_to(values, (starts,))
        passed = OPS[check.op](values, float(check.against))
        results.append(CheckResult(check, int(np.sum(passed)), starts, [float(v) for v in values],
                                   passed=[bool(p) for p in passed], unit="starting points"))
    return {}, results


def train_recipe(recipe: Recipe, say: Callable[[str], None], progress: bool
                 ) -> tuple[dict[str, History], list[CheckResult]]:
    """Train each of the recipe's configs as one batched ensemble and measure the checks."""
    histories = {}
    for label, config in recipe.configs().items():
        histories[label] = history = train(config, progress=progress)
        if history.status == "interrupted":  # Ctrl-C: stop, measure nothing
            raise KeyboardInterrupt
        if history.status == "failed":  # your metric or network raised: nothing to measure it by
            raise ToyganError(f"{recipe.name} {label}: {history.message}")
        if history.status != "completed":
            say(f"  {recipe.name} {label}: {history.message}")
    return histories, [measure(check, histories) for check in recipe.checks]
