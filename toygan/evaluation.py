"""The evaluation protocol: what a run's generator does, measured once on a stated number of samples.

Snapshots measure modes, quality and JSD on ``record.n_samples`` generator samples (512 by
default), cheaply and often. Those counts depend on the sample size: a mode is *captured* when at
least one high-quality sample lands on it, so more samples find more of the modes a generator
covers thinly (one trained generator on the 5 × 5 grid: 7.0 modes on 512 samples, 12.7 on 2,500,
18.7 on 10,000; see docs/evaluation.md). Papers compare at one size: VEEGAN (Srivastava et al.
2017, Sec. 5.1) and PacGAN (Lin et al. 2018, Sec. 5.1) draw 2,500 samples. So at the end of a run
(and on demand, ``Game.evaluate``) toygan draws ``record.eval_samples`` (default 2,500) samples of
each member from noise seeded by the member's seed alone, and measures

- ``modes_captured``, ``high_quality_fraction``, ``reverse_kl``: ``toygan.metrics.mode_coverage``
  (3 standard deviations, 1 sample), on mixture targets;
- your own metrics (``record.metrics``), on the same samples;
- ``jsd``: JSD(p_data ‖ p_g) in nats, a Monte Carlo estimate on as many data samples. With a
  generator, p_g is a Gaussian KDE of its samples and p_data is seen through the same kernel (its
  exact convolution for a mixture), so the JSD is between the two *smoothed* densities; with a
  fixed p_g, between the exact densities. ``jsd_against`` says which, with the bandwidth.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from toygan.config import MAX_EVAL_SAMPLES
from toygan.errors import MetricError, notify
from toygan.metrics import METRICS, mode_coverage, own_metric
from toygan.theory import compared_densities, jsd_from_samples, min_bandwidth
from toygan.validate import integer

if TYPE_CHECKING:
    from toygan.game import Game

__all__ = ["EVAL_SAMPLES", "MAX_EVAL_SAMPLES", "EVALUATED", "EVALUATION_CUT", "evaluate",
           "evaluation_seed", "describe"]

EVALUATION_CUT = "the final evaluation was interrupted"
"""Why a run whose steps are done stands interrupted: its next ``run`` evaluates it."""
EVAL_SAMPLES = 2500
"""Samples per member of the final evaluation, the VEEGAN / PacGAN protocol."""
EVALUATED = tuple(name for name, m in METRICS.items() if m.evaluated)
"""The metrics the evaluation measures (names as in the history's scalars)."""
_LABEL = 2500  # a spawn key: the evaluation's noise is a stream of its own, apart from training's


def evaluation_seed(seed: int) -> int:
    """The seed of the evaluation's draws for the member trained with ``seed``: its own stream,
    so member i of an ensemble and the one-member game with seed + i are evaluated alike."""
    return int(np.random.SeedSequence(seed, spawn_key=(_LABEL,)).generate_state(1)[0])


def _samples(game: Game, n: int, seeds: list[int]) -> np.ndarray:
    """``n`` samples of each member's G (or of the fixed p_g) from its seed, ``(E, n, d)`` float64."""
    if game.fake_target is not None:
        return np.stack([game.fake_target.sample(n, np.random.default_rng(s)) for s in seeds]).astype(float)
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    z = game.streams.prior(game.config.model.prior, n, game.noise_dim, gens).to(game.device)
    with torch.no_grad(), game.evaluating():
        return game.G(z).double().cpu().numpy()


def evaluate(game: Game, n_samples: int | None = None, stop: Callable[[], bool] | None = None
             ) -> dict[str, Any] | None:
    """The evaluation of ``game`` as it stands: ``{"step", "n_samples", "jsd_against", "metrics":
    {name: [one value per member, None for NaN]}}`` (see the module docstring); None as soon as
    ``stop()`` is true (checked before each member and at the end: Ctrl-C)."""
    if n_samples is None:  # (record.eval_samples = 0 turns off the run's own evaluation only)
        n_samples = game.config.record.eval_samples or EVAL_SAMPLES
    n = integer("n_samples", n_samples, 100, MAX_EVAL_SAMPLES)
    seeds = [evaluation_seed(game.config.train.seed + m) for m in range(game.members)]
    fake = _samples(game, n, seeds)
    own = game.recorder.own_metrics
    metrics: dict[str, list] = {k: [] for k in (*EVALUATED, "kde_bandwidth", *own)}
    floor = min_bandwidth(game.recorder.window)
    failed: dict[str, MetricError] = {}
    for m, seed in enumerate(seeds):
        if stop is not None and stop():
            return None
        gen = fake[m]
        finite = bool(np.isfinite(gen).all())
        if game.target.modes is not None and finite:
            coverage = mode_coverage(gen, game.target)
            found = (coverage.modes_captured, coverage.high_quality_fraction, coverage.reverse_kl)
        else:
            found = (np.nan, np.nan, np.nan)
        jsd, h = np.nan, np.nan
        if finite:
            rng = np.random.default_rng(seed + 1)
            p_data, p_g, h = compared_densities(game.target, gen, p_g=game.fake_target,
                                                bandwidth=game.config.record.kde_bandwidth,
                                                min_bandwidth=floor)
            data = game.target.sample(n, rng).astype(float)
            jitter = h * rng.standard_normal((2 * n, game.dim))  # samples of the smoothed densities
            jsd = jsd_from_samples(p_data, p_g, data + jitter[:n], gen + jitter[n:])
        values = {**dict(zip(("modes_captured", "high_quality_fraction", "reverse_kl"), found, strict=True)),
                  "jsd": jsd, "kde_bandwidth": h if game.fake_target is None else np.nan,
                  **{name: _own(f, name, gen, game.target, failed) if finite else np.nan
                     for name, f in own.items()}}
        for key in metrics:
            metrics[key].append(float(values[key]) if np.isfinite(values[key]) else None)
    if stop is not None and stop():  # a stop during the last member: the evaluation is not whole
        return None
    for err in failed.values():
        notify(f"the final evaluation leaves out {err} (toygan's own metrics are kept)")
    return {"step": game.iteration, "n_samples": n, "jsd_against": describe(game), "metrics": metrics}


def _own(function: Callable, name: str, samples: np.ndarray, target: Any,
         failed: dict[str, MetricError]) -> float:
    """A user's metric on one member's evaluation samples; NaN (left out) where it fails, the
    failure kept in ``failed`` to be said once."""
    try:
        return own_metric(function, name, samples, target)
    except MetricError as err:
        failed.setdefault(name, err)
        return np.nan


def describe(game: Game) -> str:
    """Which densities the evaluation's JSD is between."""
    if game.fake_target is not None:
        return "p_data and the fixed p_g, exact densities"
    if game.target.modes is not None:
        return ("p_data and a Gaussian KDE of the generator's samples, both smoothed by the KDE's "
                "kernel (kde_bandwidth: Scott's rule unless record.kde_bandwidth)")
    return "a KDE of p_data's samples and a KDE of the generator's, with the target's bandwidth"
