"""``toygan demo`` and ``toygan train`` (``--resume`` too): train, save the run, say where it is."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

from toygan.checkpoint import CHECKPOINT_FILE, CONFIG_FILE, HISTORY_FILE, holds_run
from toygan.cli.common import (
    EXIT_DIVERGED,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    common_options,
    count,
    overrides,
    say,
)
from toygan.config import Config
from toygan.errors import ToyganError
from toygan.game import Game
from toygan.history import History
from toygan.presets import PRESETS, preset_config
from toygan.render import render
from toygan.run_folder import check_new_run, resumable, take_for_new_run
from toygan.signals import CtrlC
from toygan.validate import printable

__all__ = ["demo_command", "train_command"]


def demo_command(sub: argparse._SubParsersAction) -> None:
    """``toygan demo`` and its options."""
    demo = sub.add_parser("demo", help="train on the ring of 8 Gaussians and write a GIF (~20 s)",
                          description="Train the 'ring' preset and write OUT/animation.gif.")
    demo.add_argument("--out", default="toygan-demo", help="run folder (default: ./toygan-demo)")
    common_options(demo)
    demo.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    config = preset_config("ring").replace(**overrides(args))
    out = Path(args.out)
    history, status = _train_and_save(_new_game(config, out, args), out, args)
    if status == EXIT_INTERRUPTED:
        return status
    # the frames go where the picture changes: the first steps, where D tilts and G's samples
    # leave the origin, play slowly; a quiet stretch passes quickly (and the GIF is smaller)
    path = render(history, out / "animation.gif", timing="changes")
    say(args, f"wrote the animation: {path}")
    return status


def train_command(sub: argparse._SubParsersAction) -> None:
    """``toygan train`` and its options."""
    train = sub.add_parser("train", help="train a preset or a TOML config and save the run",
                           description="Train and save OUT/config.toml and OUT/history.npz. Ctrl-C "
                                       "stops at the end of the current step and also saves "
                                       "OUT/checkpoint.pt; --resume OUT continues from it.")
    source = train.add_mutually_exclusive_group(required=True)
    source.add_argument("--preset", help=f"one of: {', '.join(PRESETS)}")
    source.add_argument("--config", help="a TOML config file (see docs/config.md)")
    source.add_argument("--resume", metavar="RUN",
                        help="continue a stopped run from RUN/checkpoint.pt, exactly (with "
                             "--steps N: on to step N, also a finished run)")
    train.add_argument("--out", help="run folder to write (required unless --resume)")
    common_options(train)
    train.set_defaults(func=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    if args.resume is not None:
        return _resume(args)
    if args.out is None:
        raise ToyganError("--out: name the run folder to write (or --resume RUN to continue one)")
    if args.config is not None:
        config = Config.load(args.config)
    else:
        config = preset_config(args.preset)
    config = config.replace(**overrides(args))
    out = Path(args.out)
    _, status = _train_and_save(_new_game(config, out, args), out, args)
    if status == 0:
        say(args, f"render it with: toygan render {args.out} --format gif")
    return status


def _resume(args: argparse.Namespace) -> int:
    given = [flag for flag, value in (("--out", args.out), ("--seed", args.seed),
                                      ("--seeds", args.seeds), ("--device", args.device),
                                      ("--set", args.set), ("--force", args.force or None))
             if value is not None]  # (--force would replace a folder: a resumed run keeps its own)
    if given:
        raise ToyganError(f"--resume continues the run as it was configured (only --steps may "
                          f"raise its length); drop {', '.join(given)}")
    run = Path(args.resume)
    game = resumable(run, args.steps)  # the rules of going on are the library's
    _, status = _train_and_save(game, run, args)
    if status == 0:
        say(args, f"render it with: toygan render {run} --format gif")
    return status


def _new_game(config: Config, out: Path, args: argparse.Namespace) -> Game:
    check_new_run(out, args.force)
    game = Game(config)  # every check of the config, its files and the machine: nothing written yet
    take_for_new_run(out, args.force)
    config.save(out / CONFIG_FILE)
    return game


def _train_and_save(game, out: Path, args: argparse.Namespace) -> tuple[History, int]:
    """Run ``game`` on to its end and save it into ``out`` (config, history and the state, which
    ``--resume`` continues from); return the history and the exit status."""
    t = game.config.train
    span = (f"from step {game.iteration:,} to step {t.steps:,}" if game.iteration
            else f"for {t.steps:,} steps")
    start = time.perf_counter()
    with CtrlC():  # from the announcement on, Ctrl-C stops at the end of a step and keeps it all
        say(args, f"training a {t.loss} GAN on {game.config.data.name} {span} "
                  f"(seed {t.seed}, batch {t.batch_size}, k = {t.d_steps})")
        try:
            game.run(progress=not args.quiet)
        except KeyboardInterrupt:  # a second Ctrl-C after the loop had stopped: its state is whole
            game.interrupt(f"training interrupted at step {game.iteration}")
    _save(game, out)
    history = game.history
    status = 0
    if history.status == "diverged":
        print(printable(f"toygan: {history.message}"), file=sys.stderr)
        status = EXIT_DIVERGED
    elif history.status in ("interrupted", "failed"):
        status = EXIT_INTERRUPTED if history.status == "interrupted" else EXIT_FAILED
        once = "" if history.status == "interrupted" else "once your code is fixed, "
        if (out / CHECKPOINT_FILE).is_file():
            print(printable(f"toygan: {history.message}; saved {out / CHECKPOINT_FILE}; {once}continue "
                            f"with: toygan train --resume {out}"), file=sys.stderr)
        else:
            print(printable(f"toygan: {history.message}"), file=sys.stderr)
    done = "trained in" if history.status == "completed" else f"{history.status} after"
    files = [str(out / CONFIG_FILE), f"{out / HISTORY_FILE} ({count(history.n_snapshots, 'snapshot')})"]
    if (out / CHECKPOINT_FILE).is_file():  # none after a step cut short by a second signal
        files.append(str(out / CHECKPOINT_FILE))
    say(args, f"{done} {time.perf_counter() - start:.1f} s; saved {', '.join(files[:-1])} and {files[-1]}")
    if history.evaluation:
        say(args, _evaluation_line(history.evaluation))
    return history, status


def _evaluation_line(evaluation: dict) -> str:
    """The final evaluation in one line: each metric's mean over the members."""
    from toygan.stats import mean_se  # (scipy: imported when a run is done, not at start-up)

    def mean(name: str) -> str:
        value = mean_se([math.nan if v is None else v for v in evaluation["metrics"][name]])[0]
        return "–" if value is None else f"{value:.3g}"

    shown = [name for name in evaluation["metrics"] if name != "kde_bandwidth"]
    members = len(next(iter(evaluation["metrics"].values()), []))
    over = f", mean of {members} seeds" if members > 1 else ""
    return (f"evaluation on {evaluation['n_samples']:,} samples{over}: "
            + ", ".join(f"{name} {mean(name)}" for name in shown))


def _save(game, out: Path) -> None:
    """Save the run; if that fails (a full disk), a new run's config.toml, written at its start,
    is removed too: a folder never looks like a run that is not there."""
    try:
        game.save(out)
    except OSError as err:
        if holds_run(out):  # --resume: the previous save stands, as the error says
            raise
        (out / CONFIG_FILE).unlink(missing_ok=True)
        why = os.strerror(err.errno) if err.errno else str(err)
        raise OSError(err.errno, f"{why}; the run could not be saved and nothing of it was kept "
                      f"(the config.toml written at its start was removed)", err.filename) from None
