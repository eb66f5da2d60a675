"""Running a sweep: one task per configuration on a backend, each writing its results into the
sweep folder, so that a re-run does only what is not done."""

from __future__ import annotations

import json
import math
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toygan.atomic import atomic_path
from toygan.errors import ToyganError
from toygan.sweep.backends import BACKENDS
from toygan.sweep.spec import SweepSpec, Task
from toygan.validate import choice, integer

__all__ = ["run_task", "run_sweep", "METRICS", "ROWS"]

METRICS = ("modes_captured", "high_quality_fraction", "reverse_kl", "d_half_gap", "d_star_gap",
           "jsd")
"""Per-seed metrics a sweep reports (final value, and at every snapshot)."""
ROWS = "rows.json"
"""The file a finished task writes last, so its presence marks the task done."""


def _rows(task: Task, history: Any, seconds: float, base: dict[str, Any]) -> list[dict[str, Any]]:
    k = history.mode_counts.shape[-1] if history.mode_counts is not None else 0
    rows = []
    for member in range(history.members):
        row = {**base, "seed": task.config.train.seed + member, "member": member,
               "steps": int(history.steps[-1]), "diverged": history.status == "diverged",
               "seconds": round(seconds, 2), "error": ""}
        for metric in METRICS:
            value = float(history.scalars[metric][-1, member])
            row[metric] = value if math.isfinite(value) else None
        row["all_modes"] = bool(k) and row["modes_captured"] == k
        rows.append(row)
    return rows


def _warm_up() -> None:
    """The first optimiser a process makes imports part of torch (about 2 s here, once per
    process); made before the clock starts, so that a task's ``seconds`` are its training alone,
    alike in a fresh worker and in one that has trained before."""
    import torch

    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def run_task(task: Task, folder: str) -> list[dict[str, Any]]:
    """Train one configuration, save its history and rows; returns the rows (one per seed).

    A failure becomes rows with its error, so the sweep goes on. A run stopped by Ctrl-C marks
    nothing done and raises KeyboardInterrupt: the next run of the sweep trains it again."""
    from toygan.training import train

    out = Path(folder) / "tasks" / task.id
    out.mkdir(parents=True, exist_ok=True)
    base = {"task": task.id, "label": task.label, "kind": task.kind,
            **{k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in task.overrides.items()}}
    try:
        task.config.save(out / "config.toml")
        _warm_up()
        start = time.perf_counter()
        history = train(task.config, progress=False)
        seconds = time.perf_counter() - start
        if history.status == "interrupted":  # cut short: its metrics would pass for a finished run's
            raise KeyboardInterrupt(history.message)
        history.save(out / "history.npz")
        rows = _rows(task, history, seconds, base)
        snapshots = [{"task": task.id, "seed": task.config.train.seed + m, "step": int(step),
                      **{metric: float(history.scalars[metric][i, m]) for metric in METRICS}}
                     for m in range(history.members) for i, step in enumerate(history.steps)]
        (out / "snapshots.json").write_text(json.dumps(snapshots))
    except Exception as err:  # noqa: BLE001 - a failed task is a result, recorded with its error
        detail = "".join(traceback.format_exception_only(type(err), err)).strip()
        rows = [{**base, "seed": task.config.train.seed + m, "member": m, "steps": 0,
                 "diverged": False, "seconds": 0.0, "error": detail,
                 **{metric: None for metric in METRICS}, "all_modes": False}
                for m in range(task.config.train.members)]
    with atomic_path(out / ROWS) as tmp:
        tmp.write_text(json.dumps(rows))
    return rows


def run_sweep(spec: SweepSpec, folder: str | Path, *, backend: str = "joblib", workers: int = 1,
              address: str | None = None, timeout: float = 10.0, progress: bool = True,
              report: Callable[[str], None] | None = None) -> Path:
    """Run every task not yet done in ``folder``, then write the tables and plots.

    Args:
        spec: from ``load_spec``.
        folder: the sweep folder; tasks already done there (``tasks/<id>/rows.json``) are skipped.
            A task's id carries a digest of its config, so a changed configuration is trained anew.
        backend: a name in ``BACKENDS``: ``joblib`` (local processes) or ``dask`` (the cluster at
            ``address``, or a local one with ``workers`` processes).
        workers: local processes.
        address: a Dask scheduler, e.g. ``tcp://10.0.0.5:8786``.
        timeout: seconds to wait for the scheduler before giving up.
        progress: show a progress bar.
        report: called with each line the user should see (e.g. about slow Dask workers).

    Returns:
        The folder. On Ctrl-C the tables are written for the tasks done so far, then the
        KeyboardInterrupt goes on; the tasks cut short are not marked done.
    """
    from tqdm.auto import tqdm

    from toygan.sweep.results import summarise

    choice("--backend", backend, BACKENDS)
    integer("--workers", workers, 1, 256)
    if address is not None and backend != "dask":
        raise ToyganError("--address names a Dask scheduler; use it with --backend dask")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    todo = [t for t in spec.tasks if not (folder / "tasks" / t.id / ROWS).is_file()]
    bar = tqdm(total=len(spec.tasks), initial=len(spec.tasks) - len(todo), unit="task",
               desc="sweep", disable=not progress, dynamic_ncols=True)
    try:
        if todo:
            # absolute: a worker elsewhere (a cluster on a shared file system) has its own cwd
            BACKENDS[backend](todo, str(folder.resolve()), lambda rows: bar.update(1), workers=workers,
                              address=address, timeout=timeout, report=report or (lambda line: None))
    finally:
        bar.close()
        summarise(spec, folder)
    return folder
