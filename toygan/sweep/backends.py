"""Where a sweep's tasks run: backend name → a function that runs tasks and hands back their rows.

Every backend has the same signature, ``run(tasks, folder, done, *, workers, address, timeout,
report)``: it calls ``done(rows)`` as each task finishes, in any order, and ``report(line)`` for
what the user should know about the workers.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from toygan.errors import ToyganError, first_line
from toygan.signals import deferred
from toygan.sweep.spec import Task

__all__ = ["BACKENDS", "Backend", "SLOW_ENV"]

Done = Callable[[list[dict[str, Any]]], None]
Work = Callable[[Task, str], list[dict[str, Any]]]
"""Runs one task into the sweep folder and returns its rows (``toygan.sweep.run.run_task``)."""

SLOW_ENV = "MALLOC_TRIM_THRESHOLD_"
"""The variable Dask's nanny sets for its workers (65536, to hand memory back to the system):
it fixes glibc's mmap threshold, so torch maps and unmaps every block of 128 KiB or more, and a
toygan task trained 2.1× slower (benchmarks/sweep_scaling.py --dask-default)."""
_NO_SLOW_ENV = {f"distributed.nanny.pre-spawn-environ.{SLOW_ENV}": None}  # None: Dask sets nothing
QUIET_WORKERS = {
    "distributed.worker.profile.enabled": False,  # samples the training thread's stack 100 times a second
    "distributed.admin.tick.interval": "1s",  # from 20 ms: checks that the event loop is not blocked
    "distributed.admin.system-monitor.interval": "5s",  # from 500 ms: the dashboard's CPU and memory
}
"""Dask settings for workers that train: housekeeping that competes with training for the GIL
and the cores is made rare (measured by benchmarks/sweep_scaling.py)."""


def dask_setup(worker: Any) -> None:
    """Run by each worker of toygan's local cluster as it starts (Dask's preload hook): Ctrl-C in
    the terminal reaches the workers too, and the client, not each worker, stops the sweep."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def worker_environ(name: str) -> str | None:
    """A variable of the environment this runs in (sent to each worker by ``client.run``; a bound
    ``os.environ.get`` would carry the caller's environment along with it)."""
    return os.environ.get(name)


def run_joblib(run_task: Work, tasks: Sequence[Task], folder: str, done: Done, *, workers: int,
               address: str | None, timeout: float, report: Callable[[str], None]) -> None:
    """Local processes through joblib's loky backend, each calling ``run_task(task, folder)``."""
    from joblib import Parallel, delayed  # (the backend asked for, when asked)

    jobs = Parallel(n_jobs=workers, backend="loky", return_as="generator_unordered")
    try:
        with deferred():  # a stop while the workers start would leave them for the exit to wait on
            results = jobs(delayed(run_task)(task, folder) for task in tasks)
        for rows in results:
            done(rows)
    except BrokenExecutor as err:  # a worker killed (out of memory, a signal): the pool is gone
        raise ToyganError(f"a worker process died ({first_line(err)}); the configurations that "
                          "finished are kept: run the same command again for the rest") from None


def run_dask(run_task: Work, tasks: Sequence[Task], folder: str, done: Done, *, workers: int,
             address: str | None, timeout: float, report: Callable[[str], None]) -> None:
    """A Dask cluster: the scheduler at ``address``, or a LocalCluster of ``workers`` processes
    (one thread each) whose workers start without the variable that slows torch down."""
    try:
        import dask  # (Dask: only for the dask backend)
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ToyganError("--backend dask needs dask.distributed: pip install 'toygan[dask]'") from None

    cluster = None
    try:
        if address is not None:
            client = Client(address, timeout=timeout)
        else:
            # the workers run dask_setup below; a stop is the client's to make (warnings from
            # the cluster's shutdown are its own business, not the user's)
            with dask.config.set({**_NO_SLOW_ENV, **QUIET_WORKERS,
                                  "distributed.worker.preload": [__name__]}):
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster, timeout=timeout)
    except Exception as err:  # noqa: BLE001 - whatever answered there, it is not a usable scheduler
        raise ToyganError(f"--address {address!r}: no Dask scheduler answered within {timeout:g} s "
                          f"({type(err).__name__}); start one or check the address") from None
    try:
        slow = {w: v for w, v in client.run(worker_environ, SLOW_ENV).items() if v is not None}
        if slow:
            report(f"note: {len(slow)} Dask worker(s) run with {SLOW_ENV}={next(iter(slow.values()))}, "
                   "which makes training about 2× slower; start them as docs/sweeps.md shows")
        futures = {client.submit(run_task, task, folder, pure=False, key=f"toygan-{task.id}"): task
                   for task in tasks}
        for future in as_completed(futures):
            try:
                done(future.result())
            except Exception as err:  # noqa: BLE001 - a lost worker (KilledWorker, ...) loses one task
                task = futures[future]
                report(f"note: configuration {task.label!r} ({task.id}) was lost on the cluster "
                       f"({type(err).__name__}: {first_line(err)}); it is not recorded as done")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def check_address(address: str) -> None:
    """A scheduler address as Dask writes it: [tcp://]host:port (TLS, UCX and the others need
    settings toygan does not pass)."""
    try:
        url = urlsplit(address if "://" in address else f"tcp://{address}")
        ok = url.scheme == "tcp" and bool(url.hostname) and url.port is not None
    except ValueError:  # a port that is not a number from 0 to 65535
        ok = False
    if not ok:
        raise ToyganError(f"--address {address!r}: not a Dask scheduler address; give "
                          "[tcp://]host:port, as in tcp://10.0.0.5:8786")


@dataclass(frozen=True)
class Backend:
    """Where a sweep's tasks run: ``run(run_task, tasks, folder, done, workers=, address=, timeout=,
    report=)``, and whether it can join a cluster started elsewhere (``--address``)."""

    run: Callable[..., None]
    joins: bool = False


BACKENDS: dict[str, Backend] = {"joblib": Backend(run_joblib), "dask": Backend(run_dask, joins=True)}
"""backend name → backend: ``joblib`` (local processes), ``dask`` (a Dask cluster, local or at an
address)."""
