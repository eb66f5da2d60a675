"""What the commands share: exit statuses, messages, ``--set`` and the options of the commands that
train, ``--jobs`` and ``--recipes``, and stop signals while worker processes run."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import threading
import tomllib
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path

from toygan._stop import interrupt as stop
from toygan.errors import ToyganError
from toygan.recipes import GALLERY
from toygan.signals import STOP_SIGNALS
from toygan.validate import printable

__all__ = ["EXIT_DIVERGED", "EXIT_FAILED", "EXIT_BAD_INPUT", "EXIT_INTERRUPTED", "say", "set_value",
           "overrides",
           "common_options", "check_jobs", "recipes_folder", "quiet_pool", "signals_interrupt", "count"]

EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 1, 2, 130
"""1: the work did not end as asked (docs/cli.md: a run diverged, a claim did not hold, a session
not saved); 2: bad input, one line; 130: stopped by a signal."""
EXIT_DIVERGED = EXIT_FAILED


def say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(printable(text), flush=True)


def set_value(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` with the value read as TOML (``5``, ``1e-4``, ``"hinge"`` or bare ``hinge``,
    ``my_nets:make_g``, ``[0.5, 0.9]``, ``{std = 0.1}``)."""
    key, sep, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key:
        raise ToyganError(f"--set {text!r}: write KEY=VALUE, e.g. --set train.loss=hinge")
    try:
        parsed = tomllib.loads(f"v = {raw}")
        if list(parsed) != ["v"] or "\n" in raw:
            raise ToyganError(f"--set {text!r}: one KEY=VALUE per --set (the value is one line)")
        return key, parsed["v"]
    except RecursionError:
        raise ToyganError(f"--set {key}=...: arrays or tables nested too deeply to read") from None
    except tomllib.TOMLDecodeError:
        if raw and all(c.isalnum() or c in "-_.:" for c in raw):
            return key, raw  # a bare word is a name: train.loss=hinge, model.generator=my_nets:make_g
        raise ToyganError(f"--set {text!r}: {raw!r} is not a TOML value (a number, a \"string\", "
                          "true/false, [a list] or {a = table})") from None


def overrides(args: argparse.Namespace) -> dict:
    """--set KEY=VALUE in order, then the shorthands --steps, --seed, --seeds and --device."""
    if getattr(args, "seeds", None) is not None and not 1 <= args.seeds <= 1024:
        raise ToyganError(f"--seeds {args.seeds}: must be an integer from 1 to 1024 (train.members)")
    out = dict(set_value(item) for item in args.set or [])
    for flag, key in (("steps", "train.steps"), ("seed", "train.seed"), ("seeds", "train.members"),
                      ("device", "train.device")):
        if getattr(args, flag, None) is not None:
            out[key] = getattr(args, flag)
    return out


def common_options(p: argparse.ArgumentParser) -> None:
    """The options of the commands that train: config fields, steps, seeds, device, output."""
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="set a config field, e.g. --set train.loss=hinge (repeatable; the "
                        "value is read as TOML; see docs/config.md)")
    p.add_argument("--steps", type=int, help="generator steps (overrides the config)")
    p.add_argument("--seed", type=int, help="random seed (overrides the config)")
    p.add_argument("--seeds", type=int, metavar="N",
                   help="train N seeds (seed, seed+1, ...) at once as one batched ensemble")
    p.add_argument("--device", choices=["cpu", "cuda", "auto"],
                   help="where to train (overrides the config; auto: cuda if there is one)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or messages")
    p.add_argument("--force", action="store_true", help="overwrite a run already in --out")


def count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def check_jobs(jobs: int | None) -> None:
    """A ToyganError if ``--jobs`` is given out of range (None: the command's default)."""
    if jobs is not None and not 1 <= jobs <= 256:
        raise ToyganError(f"--jobs {jobs}: must be an integer from 1 to 256")


def recipes_folder(recipes: str | None) -> Path:
    """The folder of recipe files ``--recipes`` names, or toygan's own (None)."""
    if recipes is None:
        return GALLERY
    folder = Path(recipes)
    if not folder.is_dir():
        what = "is a file; give the folder of recipe files" if folder.exists() else "no such folder"
        raise ToyganError(f"--recipes {recipes!r}: {what}")
    return folder


def quiet_pool() -> None:
    """Keep a process pool's warnings and errors on a stop mid-run out of the one line the stop
    prints: joblib's that the tasks still running were cancelled, the resource tracker's of
    semaphores "leaked" (the tracker is a process of its own, started with the warning filters of
    the environment), and a race of the pool's own thread (``_without_pool_abort_race``)."""
    warnings.filterwarnings("ignore", message=r".*tasks which were still being processed",
                            category=UserWarning, module="joblib")
    quiet = "ignore:resource_tracker:UserWarning"
    given = os.environ.get("PYTHONWARNINGS", "")
    if quiet not in given.split(","):
        os.environ["PYTHONWARNINGS"] = f"{given},{quiet}" if given else quiet
    threading.excepthook = _without_pool_abort_race(threading.excepthook)


def _without_pool_abort_race(hook: Callable) -> Callable:
    """``hook``, silent about one error: loky's executor manager thread failing with a KeyError in
    ``add_call_item_to_queue`` when a stop's abort emptied the queue of work it was handing out (a
    race in joblib's pool, only on a stop; not the user's to read)."""
    def quiet(args) -> None:
        frames = traceback.extract_tb(args.exc_traceback)
        if (args.exc_type is KeyError and args.thread is not None
                and args.thread.name == "ExecutorManagerThread"
                and frames and frames[-1].name == "add_call_item_to_queue"):
            return
        hook(args)

    return hook if getattr(hook, "__name__", "") == "quiet" else quiet


@contextlib.contextmanager
def signals_interrupt():
    """SIGTERM and SIGHUP stop like Ctrl-C: a KeyboardInterrupt, so that worker processes are
    shut down on the way out and the command ends with one line (exit 130)."""
    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS if sig != signal.SIGINT}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
