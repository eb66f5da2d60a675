"""Sweeps: a grid (or list) of config overrides × seeds, run as independent tasks on an executor,
with the statistics a claim over seeds needs.

A sweep spec is a TOML file::

    [sweep]
    seeds = 10                      # members per configuration, trained as one batched ensemble
    preset = "ring"                 # the base: a preset, or base sections below ([train], ...)

    [grid]                          # every combination of these dotted overrides is one config
    "train.loss" = ["saturating", "non-saturating"]
    "train.steps" = [1000, 2000]

    [[configs]]                     # or an explicit list of override tables (grid × list)
    label = "R1"
    "train.regularizer" = "r1"
    "train.gamma" = 1.0

Each configuration is one task: its seeds train as one ensemble (``train.members``) in one
process. Tasks go to an executor — local processes through joblib, or an existing Dask cluster —
and write their results into the sweep folder, so a re-run skips what is done, and a task that
fails is recorded with its error while the others go on.

The folder: ``spec.toml`` (a copy), ``tasks/<id>/`` (config, history, ``rows.json``),
``rows.csv`` (one row per configuration and seed: final metrics, diverged, error),
``snapshots.csv`` (the metrics at every snapshot), ``summary.csv`` and ``summary.json`` (per
configuration: mean and standard error of each metric over the seeds, the share of seeds that
captured every mode, the share that diverged) and ``plots/<metric>.png`` (each metric against the
swept parameter, with standard-error bars).
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from toygan.atomic import atomic_path
from toygan.config import Config
from toygan.errors import ToyganError
from toygan.validate import read_toml

__all__ = ["SweepSpec", "Task", "load_spec", "run_sweep", "summarise", "BACKENDS", "METRICS"]

BACKENDS = ("joblib", "dask")
METRICS = ("modes_captured", "high_quality_fraction", "reverse_kl", "d_half_gap", "d_star_gap",
           "jsd")
"""Per-seed metrics a sweep reports (final value, and at every snapshot)."""
_SWEEP_KEYS = {"seeds", "preset"}


@dataclass(frozen=True)
class Task:
    """One configuration of the sweep: its id, its label, its overrides and the config."""

    id: str
    label: str
    overrides: dict[str, Any]
    config: Config


@dataclass
class SweepSpec:
    seeds: int
    tasks: list[Task]
    swept: list[str]  # the dotted keys that vary


def _override_label(overrides: dict[str, Any]) -> str:
    return ", ".join(f"{k.split('.')[-1]}={v}" for k, v in overrides.items()) or "base"


def load_spec(path: str | Path, device: str | None = None) -> SweepSpec:
    """Read a sweep spec and build every configuration, so any mistake is reported before work;
    ``device`` (cpu, cuda, auto) overrides ``train.device`` in all of them.

    Raises:
        ToyganError: naming the file and the problem (unknown key, empty grid, bad value, ...).
    """
    from toygan.presets import preset_config

    path = Path(path)
    where = str(path)
    values = read_toml(path, "sweep spec")
    sweep = values.pop("sweep", {})
    grid = values.pop("grid", {})
    listed = values.pop("configs", [])
    if not isinstance(sweep, dict) or set(sweep) - _SWEEP_KEYS:
        raise ToyganError(f"{where}: [sweep] takes {sorted(_SWEEP_KEYS)}; got {sweep!r}")
    seeds = sweep.get("seeds", 10)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= 1024:
        raise ToyganError(f"{where}: sweep.seeds = {seeds!r}: must be an integer from 1 to 1024")
    try:
        base = preset_config(sweep["preset"]) if "preset" in sweep else Config()
        if values:  # base sections written in the spec
            base = Config.from_dict({**base.to_dict(), **{k: {**base.to_dict().get(k, {}), **v}
                                                           for k, v in values.items()
                                                           if isinstance(v, dict)}})
            unknown = [k for k, v in values.items() if not isinstance(v, dict)]
            if unknown:
                raise ToyganError(f"unknown top-level key(s) {unknown}; allowed: [sweep], [grid], "
                                  "[[configs]] and config sections")
    except ToyganError as err:
        raise ToyganError(f"{where}: {err}") from None
    if not isinstance(grid, dict):
        raise ToyganError(f"{where}: [grid] must be a table of dotted keys → lists of values")
    for key, options in grid.items():
        if not isinstance(options, list) or not options:
            raise ToyganError(f"{where}: grid {key!r} = {options!r}: must be a non-empty list")
    if not isinstance(listed, list) or not all(isinstance(c, dict) for c in listed):
        raise ToyganError(f"{where}: [[configs]] must be a list of tables")
    if not grid and not listed:
        raise ToyganError(f"{where}: the sweep is empty: give a [grid] of lists or [[configs]]")
    combos = [dict(zip(grid, values_, strict=True)) for values_ in itertools.product(*grid.values())]
    extras = listed or [{}]
    tasks = []
    for i, (combo, extra) in enumerate(itertools.product(combos, extras)):
        extra = dict(extra)
        label = str(extra.pop("label", "")) or _override_label({**combo, **extra})
        overrides = {**combo, **extra, "train.members": seeds,
                      **({"train.device": device} if device else {})}
        try:
            config = base.replace(**overrides)
        except ToyganError as err:
            raise ToyganError(f"{where}: configuration {label!r}: {err}") from None
        tasks.append(Task(f"t{i:03d}", label, {**combo, **extra}, config))
    swept = list(grid) + sorted({k for c in listed for k in c if k != "label"})
    return SweepSpec(seeds, tasks, swept)


# --- one task: runs in a worker process ---

def run_task(task: Task, folder: str) -> list[dict[str, Any]]:
    """Train one configuration, save its history and rows; returns the rows (one per seed).

    Never raises: a failure becomes rows with its error, so the sweep goes on."""
    from toygan.training import train

    out = Path(folder) / "tasks" / task.id
    out.mkdir(parents=True, exist_ok=True)
    base = {"task": task.id, "label": task.label,
            **{k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in task.overrides.items()}}
    try:
        task.config.save(out / "config.toml")
        start = time.perf_counter()
        history = train(task.config, progress=False)
        seconds = time.perf_counter() - start
        history.save(out / "history.npz")
        rows = []
        for member in range(history.members):
            row = {**base, "seed": task.config.train.seed + member, "member": member,
                   "steps": int(history.steps[-1]), "diverged": history.status == "diverged",
                   "seconds": round(seconds, 2), "error": ""}
            for metric in METRICS:
                value = float(history.scalars[metric][-1, member])
                row[metric] = value if math.isfinite(value) else None
            k = history.mode_counts.shape[-1] if history.mode_counts is not None else 0
            row["all_modes"] = bool(k) and row["modes_captured"] == k
            rows.append(row)
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
    with atomic_path(out / "rows.json") as tmp:  # written last: its presence marks the task done
        tmp.write_text(json.dumps(rows))
    return rows


# --- executors ---

def _run_joblib(tasks: Sequence[Task], folder: str, workers: int, done: Callable) -> None:
    from joblib import Parallel, delayed

    jobs = Parallel(n_jobs=workers, backend="loky", return_as="generator_unordered")
    for rows in jobs(delayed(run_task)(task, folder) for task in tasks):
        done(rows)


def _run_dask(tasks: Sequence[Task], folder: str, workers: int, done: Callable,
              address: str | None, timeout: float) -> None:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ToyganError("--backend dask needs dask.distributed: pip install 'toygan[dask]'") from None
    cluster = None
    try:
        if address:
            client = Client(address, timeout=timeout)
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster, timeout=timeout)
    except (OSError, TimeoutError) as err:
        raise ToyganError(f"--address {address!r}: no Dask scheduler answered within {timeout:g} s "
                          f"({type(err).__name__}); start one or check the address") from None
    try:
        futures = [client.submit(run_task, task, folder, pure=False, key=f"toygan-{task.id}")
                   for task in tasks]
        for future in as_completed(futures):
            done(future.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_sweep(spec: SweepSpec, folder: str | Path, *, backend: str = "joblib", workers: int = 1,
              address: str | None = None, timeout: float = 10.0, progress: bool = True) -> Path:
    """Run every task not yet done in ``folder``, then write the tables and plots.

    Args:
        spec: from ``load_spec``.
        folder: the sweep folder; tasks already done there (``tasks/<id>/rows.json``) are skipped.
        backend: ``joblib`` (local processes) or ``dask`` (a cluster at ``address``, or a local
            one with ``workers`` processes).
        workers: local processes.
        address: a Dask scheduler, e.g. ``tcp://10.0.0.5:8786``.
        timeout: seconds to wait for the scheduler before giving up.

    Returns:
        The folder.
    """
    from tqdm.auto import tqdm

    if backend not in BACKENDS:
        raise ToyganError(f"--backend {backend!r}: choose one of {list(BACKENDS)}")
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 256:
        raise ToyganError(f"--workers {workers!r}: must be an integer from 1 to 256")
    if address and backend != "dask":
        raise ToyganError("--address names a Dask scheduler; use it with --backend dask")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    todo = [t for t in spec.tasks if not (folder / "tasks" / t.id / "rows.json").is_file()]
    bar = tqdm(total=len(spec.tasks), initial=len(spec.tasks) - len(todo), unit="task",
               desc="sweep", disable=not progress, dynamic_ncols=True)

    def done(rows: list[dict]) -> None:
        bar.update(1)

    try:
        if todo and backend == "joblib":
            _run_joblib(todo, str(folder), workers, done)
        elif todo:
            _run_dask(todo, str(folder), workers, done, address, timeout)
    finally:
        bar.close()
    summarise(spec, folder)
    return folder


# --- tables and plots ---

def _write_csv(path: Path, rows: list[dict]) -> None:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)


def summarise(spec: SweepSpec, folder: str | Path) -> list[dict[str, Any]]:
    """Collect the tasks' rows into rows.csv and snapshots.csv, write summary.csv/.json and the
    plots; returns the summary (one dict per configuration)."""
    folder = Path(folder)
    rows, snapshots, summary = [], [], []
    for task in spec.tasks:
        task_dir = folder / "tasks" / task.id
        if not (task_dir / "rows.json").is_file():
            continue
        task_rows = json.loads((task_dir / "rows.json").read_text())
        rows += task_rows
        if (task_dir / "snapshots.json").is_file():
            snapshots += json.loads((task_dir / "snapshots.json").read_text())
        entry: dict[str, Any] = {"task": task.id, "label": task.label, **task.overrides,
                                 "seeds": len(task_rows)}
        ok = [r for r in task_rows if not r["error"]]
        for metric in METRICS:
            values = np.array([r[metric] for r in ok if r[metric] is not None], dtype=float)
            entry[f"{metric}_mean"] = float(values.mean()) if values.size else None
            entry[f"{metric}_se"] = (float(values.std(ddof=1) / math.sqrt(values.size))
                                     if values.size > 1 else None)
        entry["all_modes_share"] = (sum(r["all_modes"] for r in ok) / len(ok)) if ok else None
        entry["diverged_share"] = (sum(r["diverged"] for r in ok) / len(ok)) if ok else None
        entry["failed"] = len(task_rows) - len(ok)
        summary.append(entry)
    if rows:
        _write_csv(folder / "rows.csv", rows)
    if snapshots:
        _write_csv(folder / "snapshots.csv", snapshots)
    if summary:
        _write_csv(folder / "summary.csv", summary)
        with atomic_path(folder / "summary.json") as tmp:
            tmp.write_text(json.dumps(summary, indent=1))
        _plots(spec, summary, folder / "plots")
    return summary


def _plots(spec: SweepSpec, summary: list[dict], out: Path) -> None:
    """Each metric against the first swept parameter (one line per value of the others)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not spec.swept:
        return
    x_key, others = spec.swept[0], spec.swept[1:]
    out.mkdir(parents=True, exist_ok=True)
    for metric in METRICS:
        # a Figure on its own Agg canvas: never touches the caller's matplotlib backend
        fig = Figure(figsize=(5.5, 3.8), dpi=110, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        groups: dict[str, list[dict]] = {}
        for entry in summary:
            key = ", ".join(f"{k.split('.')[-1]}={entry.get(k)}" for k in others) or metric
            groups.setdefault(key, []).append(entry)
        drawn = False
        for name, entries in groups.items():
            pts = [(e.get(x_key), e[f"{metric}_mean"], e[f"{metric}_se"] or 0.0) for e in entries
                   if e[f"{metric}_mean"] is not None]
            if not pts:
                continue
            labels = [str(p[0]) for p in pts]
            numeric = all(isinstance(p[0], int | float) and not isinstance(p[0], bool) for p in pts)
            xs = [p[0] for p in pts] if numeric else list(range(len(pts)))
            # categories (names) get no connecting line: there is nothing between them
            ax.errorbar(xs, [p[1] for p in pts], yerr=[p[2] for p in pts], marker="o", capsize=3,
                        ls="-" if numeric else "none", label=name if others else None)
            if not numeric:
                ax.set_xticks(xs, labels, rotation=20)
                ax.set_xlim(-0.5, len(xs) - 0.5)
            drawn = True
        if not drawn:
            continue
        ax.set_xlabel(x_key)
        ax.set_ylabel(metric)
        ax.set_title(f"{metric} at the end: mean ± standard error over {spec.seeds} seeds",
                     fontsize=9)
        if others:
            ax.legend(fontsize=8)
        with atomic_path(out / f"{metric}.png") as tmp:
            fig.savefig(tmp)
