"""Sweeps: configurations × seeds, run as independent tasks on a backend, with the statistics a
claim over seeds needs.

A sweep spec is a TOML file (or the same as a dict)::

    [sweep]
    seeds = 10                      # seeds per configuration, trained as one batched ensemble
    preset = "ring"                 # the base: a preset, or base sections below ([train], ...)

    [train]
    steps = 2000

    [grid]                          # crossed: every combination is one configuration
    "train.loss" = ["saturating", "non-saturating"]

    [[cross]]                       # crossed with the grid: each variant for every combination
    label = "no penalty"
    [[cross]]
    label = "R1"
    "train.regularizer" = "r1"

    [[configs]]                     # listed: one configuration each, not crossed with anything
    label = "baseline"

Each configuration is one task: its seeds train as one ensemble (``train.members``) in one
process. Tasks go to a backend — local processes through joblib, or a Dask cluster — and write
their results into the sweep folder, so a re-run skips what is done, and a task that fails is
recorded with its error while the others go on.

The folder: ``spec.toml`` (a copy), ``tasks/<id>/`` (config, history, ``rows.json``),
``rows.csv`` (one row per configuration and seed: final metrics, diverged, error),
``snapshots.csv`` (the metrics at every snapshot), ``summary.csv`` and ``summary.json`` (per
configuration: its kind, mean and standard error of each metric over the seeds, the share of
seeds that captured every mode, the share that diverged) and ``plots/<metric>.png``.
"""

from toygan.sweep.backends import BACKENDS
from toygan.sweep.results import METRICS, read_summary, summarise
from toygan.sweep.run import run_sweep, run_task
from toygan.sweep.spec import KINDS, SweepSpec, Task, load_spec

__all__ = ["load_spec", "run_sweep", "read_summary", "summarise", "run_task", "SweepSpec", "Task",
           "BACKENDS", "KINDS", "METRICS"]
