"""Running a sweep: one task per configuration on a backend, each writing its results into the
sweep folder, so that a re-run does only what is not done."""

from __future__ import annotations

import json
import math
import multiprocessing
import signal
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from toygan.atomic import atomic_path
from toygan.device import resolve_device
from toygan.errors import ToyganError, ToyganNotice, notify
from toygan.factories import check_importable
from toygan.players import given_networks, parameter_count
from toygan.progress import progress_bar
from toygan.resources import check_fits, estimate
from toygan.sweep.backends import BACKENDS, check_address
from toygan.sweep.results import ROWS, by_evaluation, flat, metric_names, read_rows, summarise
from toygan.sweep.spec import SweepSpec, Task
from toygan.training import train
from toygan.validate import choice, integer, number

__all__ = ["run_task", "run_sweep", "PLAN"]

PLAN = "plan.json"
"""The sweep folder's list of its configurations (id, kind, label)."""

NOTES = "notes.json"
"""A task's notices (toygan's notes on how it trained), said once by the sweep, not by each worker."""


def _rows(task: Task, history: Any, seconds: float, base: dict[str, Any]) -> list[dict[str, Any]]:
    k = history.mode_counts.shape[-1] if history.mode_counts is not None else 0
    rows = []
    for member in range(history.members):
        row = {**base, "seed": task.config.train.seed + member, "member": member,
               "steps": int(history.steps[-1]), "diverged": history.status == "diverged",
               "seconds": round(seconds, 2), "error": ""}
        evaluated = history.evaluation["metrics"] if history.evaluation else {}
        protocol = history.config.record.eval_samples > 0
        for metric in metric_names(history.config):  # the final evaluation's where it measured one
            if metric in evaluated:
                value = evaluated[metric][member]
            elif protocol and by_evaluation(metric):
                value = None  # no evaluation (a diverged run): not measured as the others were
            else:
                value = float(history.scalars[metric][-1, member])
            row[metric] = value if value is not None and math.isfinite(value) else None
        row["eval_samples"] = history.evaluation["n_samples"] if history.evaluation else 0
        row["snapshot_samples"] = int(history.samples.shape[2])
        row["jsd_bandwidth"] = evaluated.get("kde_bandwidth", [None] * (member + 1))[member]
        row["all_modes"] = bool(k) and row["modes_captured"] == k
        rows.append(row)
    return rows


def _warm_up() -> None:
    """The first optimiser a process makes imports part of torch (about 2 s here, once per
    process); made before the clock starts, so that a task's ``seconds`` are its training alone,
    alike in a fresh worker and in one that has trained before."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def _train_noting(config: Any, out: Path) -> Any:
    """Train ``config``, keeping toygan's notices in ``out/notes.json`` for the sweep to say once
    (a worker's own warnings would print raw, once per task, after the table); other warnings go on."""
    said: list = []
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always", ToyganNotice)
            return train(config, progress=False)
    finally:  # (outside the recording: a warning passed on here is not recorded again)
        notes = sorted({str(w.message) for w in said if issubclass(w.category, ToyganNotice)})
        if notes:
            (out / NOTES).write_text(json.dumps(notes))
        for w in said:
            if not issubclass(w.category, ToyganNotice):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _say_notes(folder: Path, tasks: list[Task]) -> None:
    """Each notice the tasks just trained wrote, once, in the sweep's own process."""
    notes = {}
    for task in tasks:
        try:
            notes.update(dict.fromkeys(json.loads((folder / "tasks" / task.id / NOTES).read_text())))
        except (OSError, ValueError, TypeError):  # none written, or not a list of notes: nothing to say
            continue
    for note in notes:
        if isinstance(note, str):
            notify(note)


def run_task(task: Task, folder: str) -> list[dict[str, Any]]:
    """Train one configuration, save its history and rows; returns the rows (one per seed).

    A failure becomes rows with its error, so the sweep goes on. A run stopped by Ctrl-C marks
    nothing done and raises KeyboardInterrupt: the next run of the sweep trains it again."""
    if multiprocessing.parent_process() is not None and threading.current_thread() is threading.main_thread():
        # a worker process: Ctrl-C in the terminal reaches it too; the parent stops the sweep
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = Path(folder) / "tasks" / task.id
    out.mkdir(parents=True, exist_ok=True)
    base = {"task": task.id, "label": task.label, "kind": task.kind,
            **flat(task.overrides)}
    try:
        task.config.save(out / "config.toml")
        _warm_up()
        start = time.perf_counter()
        (out / NOTES).unlink(missing_ok=True)
        history = _train_noting(task.config, out)
        seconds = time.perf_counter() - start
        if history.status == "failed":  # your metric or network raised: the task's error
            raise ToyganError(history.message)
        if history.status == "interrupted":  # cut short: its metrics would pass for a finished run's
            raise KeyboardInterrupt(history.message)
        history.save(out / "history.npz")
        rows = _rows(task, history, seconds, base)
        snapshots = [{"task": task.id, "seed": task.config.train.seed + m, "step": int(step),
                      "samples": int(history.samples.shape[2]),
                      **{metric: float(history.scalars[metric][i, m])
                         for metric in metric_names(history.config)}}
                     for m in range(history.members) for i, step in enumerate(history.steps)]
        (out / "snapshots.json").write_text(json.dumps(snapshots))
    except Exception as err:  # noqa: BLE001 - a failed task is a result, recorded with its error
        detail = "".join(traceback.format_exception_only(type(err), err)).strip()
        rows = [{**base, "seed": task.config.train.seed + m, "member": m, "steps": 0,
                 "diverged": False, "seconds": 0.0, "error": detail,
                 **{metric: None for metric in metric_names(task.config)}, "all_modes": False}
                for m in range(task.config.train.members)]
    with atomic_path(out / ROWS) as tmp:
        tmp.write_text(json.dumps(rows))
    return rows


def _claim(spec: SweepSpec, folder: Path, force: bool) -> None:
    """Refuse a folder that holds another sweep (unless ``force``), then record this one's
    configurations in it (``plan.json``) and its spec's text (``spec.toml``)."""
    plan, ids = folder / PLAN, [t.id for t in spec.tasks]
    if not force and plan.is_file():
        try:
            held = [t["id"] for t in json.loads(plan.read_text(encoding="utf-8"))]
        except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError):
            raise ToyganError(f"{str(plan)!r} cannot be read as a sweep's plan; pass --force "
                              "(force=True) to run this sweep there") from None
        if sorted(held) != sorted(ids):
            new, gone = len(set(ids) - set(held)), len(set(held) - set(ids))
            raise ToyganError(f"{str(folder)!r} holds another sweep ({new} of this spec's configurations "
                              f"are not in it, and {gone} of its own are not in this spec); pass --force "
                              "(force=True) to run this one there, or choose another folder")
    elif not force and (folder / "tasks").is_dir() and any((folder / "tasks").iterdir()):
        raise ToyganError(f"{str(folder)!r} holds tasks but no plan (an older toygan's sweep?); pass "
                          "--force (force=True) to run this sweep there, or choose another folder")
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(plan) as tmp:
        tmp.write_text(json.dumps([{"id": t.id, "kind": t.kind, "label": t.label}
                                   for t in spec.tasks], indent=1), encoding="utf-8")
    if spec.source:
        with atomic_path(folder / "spec.toml") as tmp:
            tmp.write_text(spec.source, encoding="utf-8")


def _own_sizes(config: Any) -> tuple:
    """The sizes of the networks ``config`` names (one of each built), None for toygan's MLP."""
    if not (config.model.generator or config.model.discriminator):
        return None, None
    generator, discriminator = given_networks(config)
    return parameter_count(generator, "generator"), parameter_count(discriminator, "discriminator")


def check_memory(spec: SweepSpec, workers: int) -> None:
    """Refuse a sweep whose largest configuration, ``workers`` at once, cannot fit here (networks
    the configurations name are sized by what they build, not by toygan's widths)."""
    sized = {}
    for task in spec.tasks:
        if (key := task.config.to_toml()) not in sized:
            own = _own_sizes(task.config)
            sized[key] = (estimate(task.config, own_params=own).total, task, own)
    _, biggest, own = max(sized.values(), key=lambda entry: entry[0])
    check_fits(biggest.config, own_params=own, copies=min(workers, len(spec.tasks)),
               what=f"configuration {biggest.id}", members="sweep.seeds")


def run_sweep(spec: SweepSpec, folder: str | Path, *, backend: str = "joblib", workers: int = 1,
              address: str | None = None, timeout: float = 10.0, progress: bool = True,
              force: bool = False, report: Callable[[str], None] | None = None) -> Path:
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
        force: run in a folder that holds another sweep (whose configurations differ); its
            tasks stay in ``tasks/`` but are no longer tabulated.
        report: called with each line the user should see (tasks already done, slow Dask
            workers, a task lost on a cluster).

    Returns:
        The folder. On Ctrl-C the tables are written for the tasks done so far, then the
        KeyboardInterrupt goes on; the tasks cut short are not marked done.
    """
    if not isinstance(spec, SweepSpec):
        raise ToyganError(f"run_sweep: spec = {spec!r}: give what load_spec returns")
    if not isinstance(folder, str | Path) or not str(folder):
        raise ToyganError(f"--out {folder!r}: give the sweep folder's path")
    choice("--backend", backend, BACKENDS)
    integer("--workers", workers, 1, 256)
    number("--timeout", timeout, 0, 3600)
    if address is not None and not BACKENDS[backend].joins:
        joining = [name for name, b in BACKENDS.items() if b.joins]
        raise ToyganError(f"--address names a scheduler to join; use it with --backend "
                          f"{' or '.join(joining)}")
    if address is not None:
        check_address(address)
    for device in {t.config.train.device for t in spec.tasks}:
        resolve_device(device)  # no GPU where a task asks for one: refused before any work
    if address is None:  # here, up to `workers` tasks at once (a cluster's memory is its own)
        check_memory(spec, workers)
        for config in {t.config.to_toml(): t.config for t in spec.tasks}.values():
            check_importable(config)  # a factory or metric the workers could not import: one line now
    report = report or (lambda line: None)
    folder = Path(folder)
    _claim(spec, folder, force)
    done = {t.id: read_rows(folder / "tasks" / t.id, spec.seeds) for t in spec.tasks}
    failed = [t for t in spec.tasks if done[t.id] is not None and any(r["error"] for r in done[t.id])]
    todo = [t for t in spec.tasks if done[t.id] is None] + failed  # a failure may have been the setting's
    if len(todo) < len(spec.tasks):
        report(f"{len(spec.tasks) - len(todo)} of {len(spec.tasks)} configurations already done in "
               f"{str(folder)!r}: skipped")
    if failed:
        report(f"{len(failed)} configuration(s) failed before (see the error column of rows.csv): "
               "training them again")
    for task in todo:
        if (folder / "tasks" / task.id / ROWS).exists() and task not in failed:
            report(f"{str(folder / 'tasks' / task.id / ROWS)!r} is not what a finished task writes; "
                   "training that configuration again")
    bar = progress_bar(total=len(spec.tasks), initial=len(spec.tasks) - len(todo), unit="task",
               desc="sweep", disable=not progress, dynamic_ncols=True)
    try:
        if todo:
            # absolute: a worker elsewhere (a cluster on a shared file system) has its own cwd
            BACKENDS[backend].run(run_task, todo, str(folder.resolve()), lambda rows: bar.update(1),
                                  workers=workers, address=address, timeout=timeout, report=report)
    finally:
        bar.close()
        _say_notes(folder, todo)
        summarise(spec, folder)
    return folder
