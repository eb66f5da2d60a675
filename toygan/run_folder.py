"""A run folder's rules: when a new run may be written into a folder, and when a saved one may go on.

The ``toygan`` command and anything else that writes runs follow them: a folder holding a run is
overwritten only when asked; a second writer is refused; a run resumes exactly where it was saved,
on to a longer end if asked, never past a divergence. ``flag`` names the option (or argument) that
gave the folder, so that a refusal names what the user typed.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from toygan import runlock
from toygan.checkpoint import CHECKPOINT_FILE, CONFIG_FILE, HISTORY_FILE, clear_leftovers, read_state
from toygan.errors import ToyganError
from toygan.game import Game

__all__ = ["check_new_run", "take_for_new_run", "resumable"]


def check_new_run(out: Path, force: bool, flag: str = "--out") -> None:
    """A ToyganError if a new run may not be written into ``out`` (a file, or a run without
    ``force``)."""
    if out.exists() and not out.is_dir():
        raise ToyganError(f"{flag} {str(out)!r}: exists and is not a folder")
    if (out / HISTORY_FILE).exists() and not force:
        raise ToyganError(f"{flag} {str(out)!r}: already holds a run; pass --force to overwrite it "
                          "or choose another folder")


def take_for_new_run(out: Path, force: bool, flag: str = "--out") -> None:
    """Take the folder (a second writer is refused here) and, with ``force``, clear the run it
    held: a new config must never stand beside an old history or checkpoint."""
    check_new_run(out, force, flag)
    out.mkdir(parents=True, exist_ok=True)
    runlock.hold(out, flag)
    clear_leftovers(out)  # a writer killed mid-save left its partial files: this one is the writer now
    for name in (CHECKPOINT_FILE, HISTORY_FILE, CONFIG_FILE):  # the checkpoint first: see checkpoint.load_run
        (out / name).unlink(missing_ok=True)


def resumable(run: Path, steps: int | None = None, flag: str = "--resume") -> Game:
    """The saved run in ``run``, loaded to go on (held by this process): on to ``steps`` if given
    (it may only raise the run's length, recorded as an event). A ToyganError if it cannot: no
    checkpoint, networks of the user's own that the config does not name, complete or diverged."""
    if run.is_dir():
        runlock.hold(run, flag)  # a run another process is writing is neither read nor written
    if not (run / CHECKPOINT_FILE).is_file():
        why = ("its last step was cut short (a second Ctrl-C, or your network failing in it), so "
               "only the history was kept" if (run / HISTORY_FILE).is_file() else "no toygan run there")
        raise ToyganError(f"{flag} {str(run)!r}: no {CHECKPOINT_FILE} to continue from ({why})")
    state = read_state(run / CHECKPOINT_FILE)
    own = [k for k, v in state.get("own", {}).items() if v] if isinstance(state.get("own"), dict) else []
    own = [k for k in own if not _named_network(state, k)]  # a factory the config names is found
    if own:
        raise ToyganError(f"{flag} {str(run)!r}: the run was played with your own "
                          f"{' and '.join(own)}; go on in Python: toygan.Game.load(RUN, "
                          f"{', '.join(f'{k}=...' for k in own)}).run()")
    game = Game.load(run)
    if steps is not None and game.status != "diverged":
        if steps < game.config.train.steps:
            raise ToyganError(f"--steps {steps}: with {flag} it raises the run's length, "
                              f"which is {game.config.train.steps:,} steps (at step {game.iteration:,})")
        game.update({"train.steps": steps})  # a longer run, recorded as an event
    if game.status == "completed":
        raise ToyganError(f"{flag} {str(run)!r}: the run is complete (step {game.iteration:,} of "
                          f"{game.config.train.steps:,}); nothing to continue (--steps N runs it "
                          "on to step N)")
    if game.status == "diverged":
        raise ToyganError(f"{flag} {str(run)!r}: the run diverged ({game.message}); it cannot go on")
    return game


def _named_network(state: dict, name: str) -> bool:
    """Whether the checkpoint's config names a factory for ``name`` (model.generator = "m:f")."""
    try:
        return bool(tomllib.loads(state["initial_config"])["model"][name])
    except (KeyError, TypeError, tomllib.TOMLDecodeError):
        return False
