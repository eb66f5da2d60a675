"""A game on disk: a run folder holds ``config.toml`` (the current settings), ``history.npz`` (the
snapshots and events) and ``checkpoint.pt`` (the state: weights, optimiser states, every random
stream's state, the loss sums since the last snapshot, the events).

``Game.save`` writes it at any step boundary (the CLI does at the end of a run and on Ctrl-C), and
``Game.load`` reads it back, so a finished run's networks can be used later and a stopped run goes
on bit for bit on the CPU. The state is one ``torch.save`` archive of tensors, numbers and strings
(it loads with ``weights_only=True``), written atomically, with a format version.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from toygan import runlock
from toygan.atomic import atomic_path, leftovers
from toygan.config import MUTABLE, Config
from toygan.data import stored_files
from toygan.errors import ToyganError, a_type, first_line, notify
from toygan.factories import named_functions, source_digest
from toygan.history import History
from toygan.methods import memory_tensors
from toygan.signals import deferred
from toygan.validate import path_arg

if TYPE_CHECKING:
    from toygan.game import Game
    from toygan.players import Network

__all__ = ["CHECKPOINT_VERSION", "CONFIG_FILE", "HISTORY_FILE", "CHECKPOINT_FILE", "save_run",
           "load_run", "read_state", "game_state", "load_game_state", "holds_run", "clear_leftovers",
           "RUN_FILES"]

CHECKPOINT_VERSION = 2  # version 1 (toygan 0.2) held the history inside; it lives beside it now
CONFIG_FILE, HISTORY_FILE, CHECKPOINT_FILE = "config.toml", "history.npz", "checkpoint.pt"


RUN_FILES = (CONFIG_FILE, HISTORY_FILE, CHECKPOINT_FILE)


def holds_run(folder: Path) -> bool:
    """Whether ``folder`` holds a run (its history or checkpoint; a config alone is no run)."""
    return (folder / HISTORY_FILE).exists() or (folder / CHECKPOINT_FILE).exists()


def save_run(game: Game, run_dir: Path, *, replace: bool = False) -> Path:
    """Write the game into ``run_dir`` (see the module docstring); a game whose last step was cut
    short (a second Ctrl-C) has no whole state, so its folder keeps no checkpoint. A folder that
    holds another run is refused unless ``replace``; one another process is writing, always."""
    run_dir = path_arg(run_dir, "run_dir")
    if run_dir.exists() and not run_dir.is_dir():
        raise ToyganError(f"{str(run_dir)!r}: exists and is not a folder")
    if type(replace) is not bool:
        raise ToyganError(f"replace = {replace!r}: True or False")
    history = game.history
    whole = game.state_is_whole
    payload = {"format_version": CHECKPOINT_VERSION, "state": game_state(game)} if whole else None
    run_dir.mkdir(parents=True, exist_ok=True)
    with runlock.holding(run_dir):
        own = run_dir.resolve() == game.folder and _stamp(run_dir) == game._folder_stamp
        if holds_run(run_dir) and not replace and not own:
            raise ToyganError(f"{str(run_dir)!r} holds another run; save into a new folder, or pass "
                              "replace=True to replace it")
        clear_leftovers(run_dir)
        try:
            _write(run_dir, game, history, payload)
        except OSError as err:
            kept = [name for name in RUN_FILES if (run_dir / name).exists()]
            raise OSError(err.errno, f"{err.strerror or err}; nothing of this save was kept (the folder "
                          f"holds {', '.join(kept) if kept else 'no run files'}, as before)",
                          err.filename or str(run_dir)) from None
    game.folder, game._folder_stamp = run_dir.resolve(), _stamp(run_dir)
    return run_dir


def _stamp(run_dir: Path) -> tuple | None:
    """Which write of the run is in the folder: its history file's identity (each save renames a
    new file into place), so that a run another game or process saved there since is told apart."""
    try:
        info = (run_dir / HISTORY_FILE).stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size


def clear_leftovers(run_dir: Path) -> None:
    """Remove what a writer killed mid-save left in ``run_dir`` (its files' partial copies); call
    it holding the folder's lock, so that no writer is at work there."""
    for name in RUN_FILES:
        for partial in leftovers(run_dir / name):
            partial.unlink(missing_ok=True)


def _write(run_dir: Path, game: Game, history: History, payload: dict | None) -> None:
    # a Ctrl-C or SIGTERM now waits for the folder to be written: never half a run. Every file is
    # written beside its name first and renamed into place only once all are written, so a write
    # that fails (a full disk) leaves the previous save whole, and the game can be saved again.
    with deferred(), contextlib.ExitStack() as staged:
        game.config.save(staged.enter_context(atomic_path(run_dir / CONFIG_FILE)))
        history.save(staged.enter_context(atomic_path(run_dir / HISTORY_FILE)))
        if payload is not None:
            target = staged.enter_context(atomic_path(run_dir / CHECKPOINT_FILE))
            try:
                # through a buffer: torch names the archive's folder after the file it writes, and
                # the temporary file's name is random; a buffer's is always "archive", so the same
                # run saves the same bytes
                buffer = io.BytesIO()
                torch.save(payload, buffer)
                target.write_bytes(buffer.getvalue())
            except RuntimeError as err:  # torch's writer reports a full disk this way
                raise OSError(None, f"cannot write it ({first_line(err)}; is the disk full?)",
                              str(run_dir / CHECKPOINT_FILE)) from None
            except OSError as err:  # named by the file it was to be, not the temporary one
                raise OSError(err.errno, err.strerror, str(run_dir / CHECKPOINT_FILE)) from None
        elif (run_dir / CHECKPOINT_FILE).exists():
            (run_dir / CHECKPOINT_FILE).unlink()  # it belongs to an earlier step


def read_state(path: Path) -> dict:
    """The state in a ``checkpoint.pt``.

    Raises:
        ToyganError: for a missing, truncated, corrupt or foreign file, or an unknown version.
    """
    if not path.is_file():
        raise ToyganError(f"checkpoint {str(path)!r} does not exist")
    try:
        # onto the CPU: the game moves the state to its own device, whichever saved it
        payload = torch.load(path, weights_only=True, map_location="cpu")
    # a damaged archive can fail anywhere in torch's unpickler (KeyError, IndexError, ...):
    # whatever it raises, the file is not a checkpoint we can read
    except Exception as err:  # noqa: BLE001
        first = first_line(err)
        raise ToyganError(f"{str(path)!r} is not a readable toygan checkpoint ({first})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("state"), dict):
        raise ToyganError(f"{str(path)!r} is not a toygan checkpoint (no state inside)")
    version = payload.get("format_version")
    if type(version) is not int or version != CHECKPOINT_VERSION:
        raise ToyganError(f"{str(path)!r} has checkpoint format version {version!r}; this "
                          f"toygan reads version {CHECKPOINT_VERSION}")
    return payload["state"]


def load_run(cls: type[Game], run_dir: Path, *, generator: Network | None = None,
             discriminator: Network | None = None) -> Game:
    """The game saved in ``run_dir``, ready to go on; see ``Game.load``."""
    run_dir = path_arg(run_dir, "run_dir")
    if not run_dir.is_dir():
        raise ToyganError(f"{str(run_dir)!r}: not a folder holding a toygan run")
    if not (run_dir / CHECKPOINT_FILE).is_file():
        why = ("its last step was cut short, so only the history was kept"
               if (run_dir / HISTORY_FILE).is_file() else "no toygan run there")
        raise ToyganError(f"{str(run_dir)!r}: no {CHECKPOINT_FILE} to load the game from ({why})")
    state = read_state(run_dir / CHECKPOINT_FILE)
    history = History.load(run_dir / HISTORY_FILE)
    where = f"{str(run_dir / CHECKPOINT_FILE)!r}"
    try:
        with stored_files(history.files):
            initial = Config.from_toml(state["initial_config"], source=where)
            current = Config.from_toml(state["config"], source=where)
        own, snapshots, step = dict(state["own"]), int(state["snapshots"]), int(state["step"])
        if set(own) != {"generator", "discriminator"} or not all(type(v) is bool for v in own.values()):
            raise ValueError
        if not (isinstance(state["events"], list) and isinstance(state["diverged"], str)
                and isinstance(state["stopped"], str) and 0 <= step <= current.train.steps):
            raise ValueError
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ToyganError(f"{where}: a toygan checkpoint with parts missing or broken") from None
    fixed = [k for k in _fields(current) if k not in MUTABLE and _fields(current)[k] != _fields(initial)[k]]
    if fixed:
        raise ToyganError(f"{where}: its settings change {fixed[0]}, which cannot change mid-run")
    if history.n_snapshots != snapshots:
        raise ToyganError(f"{str(run_dir)!r}: {HISTORY_FILE} ({history.n_snapshots} snapshots) is not "
                          f"the one {CHECKPOINT_FILE} was saved with ({snapshots} snapshots)")
    if history.config != initial:
        raise ToyganError(f"{str(run_dir)!r}: {HISTORY_FILE} belongs to another run than "
                          f"{CHECKPOINT_FILE} (their configs differ)")
    _check_config_file(run_dir, current, history.files)
    kept = {path: hashlib.sha256(content).hexdigest() for path, content in history.files.items()}
    if state.get("files", {}) != kept:  # (a checkpoint of a run that kept no files has none)
        raise ToyganError(f"{str(run_dir)!r}: the data files kept in {HISTORY_FILE} are not those the "
                          f"run was trained on ({CHECKPOINT_FILE} records other contents)")
    for name, given in (("generator", generator), ("discriminator", discriminator)):
        named = getattr(initial.model, name)  # a factory the config names is found again by name
        if own.get(name) != (given is not None or bool(named)) or (given is not None and named):
            advice = ("pass a fresh instance of it (or its factory)" if own.get(name) and not named
                      else "pass none")
            raise ToyganError(f"{name}: the run was played with {_whose(name, own.get(name), named)}; "
                              f"{advice}")
    sources = state.get("sources") if isinstance(state.get("sources"), dict) else {}
    with stored_files(history.files):  # the data the run was trained on, wherever it is now
        try:
            game = cls(initial, generator=generator, discriminator=discriminator)
        except ToyganError as err:  # a factory not found here: say where the run found it
            where = [f"{n} from {v[0]}" for n, v in sources.items() if n in str(err) and _pair(v)]
            raise ToyganError(f"{err} (the run was trained with {where[0]})" if where else str(err)) from None
    for name, saved in sources.items():
        now = source_digest(name)
        if _pair(saved) and now is not None and now[1] != saved[1]:
            which = (f"{now[0]} has changed since the run was saved" if now[0] == saved[0] else
                     f"{now[0]} is not the file the run was trained with ({saved[0]}), and differs")
            notify(f"{name}: {which}; its weights are loaded into the code as it is now")
    game.config = current
    game._new_optimizers()  # of the current settings (events may have changed them)
    try:
        load_game_state(game, state, history)
    except (KeyError, RuntimeError, ValueError, TypeError, AttributeError, IndexError, OverflowError) as err:
        raise ToyganError(f"{str(run_dir)!r}: the saved state does not fit this game "
                          f"({_gist(err)})") from None
    game.evaluation = history.evaluation  # (kept by the history: valid while the game stays put)
    game.folder, game._folder_stamp = run_dir.resolve(), _stamp(run_dir)
    return game


def _pair(value: object) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)


def _whose(name: str, own: bool | None, named: str) -> str:
    if named:
        return f"the {name} model.{name} = {named!r} builds"
    return f"its own {name}" if own else "toygan's"


def _check_config_file(run_dir: Path, current: Config, files: dict[str, bytes]) -> None:
    """``config.toml`` must say what the checkpoint holds: the run goes on with the saved settings,
    so an edited file would be silently ignored (and then overwritten). A missing one is written
    again at the next save."""
    path = run_dir / CONFIG_FILE
    if not path.exists():
        return
    try:
        with stored_files(files):
            written = Config.load(path)
    except ToyganError as err:
        raise ToyganError(f"{str(path)!r} is not the run's config ({err}); {_REPAIR}") from None
    edited = [k for k, v in _fields(written).items() if _fields(current)[k] != v]
    if edited:
        key = edited[0]
        raise ToyganError(f"{str(path)!r} was edited since the run was saved ({key} = "
                          f"{_fields(written)[key]!r} there, {_fields(current)[key]!r} in "
                          f"{CHECKPOINT_FILE}); {_REPAIR}")


_REPAIR = ("a run goes on with its saved settings: undo the edit (or delete the file: it is written "
           "again), change settings mid-run with Game.update, or train the edited config as a new run")


def _gist(err: Exception) -> str:
    """torch's load_state_dict error in one line: what did not fit (a size mismatch, missing or
    unexpected keys), not only its heading."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    if not lines:
        return type(err).__name__
    detail = [line for line in lines[1:] if line.startswith(("size mismatch", "Missing", "Unexpected"))]
    return "; ".join([lines[0].rstrip(":")] + detail[:2])[:400]


def _fields(config: Config) -> dict[str, object]:
    """A config as dotted key → value."""
    return {f"{section}.{key}": value for section, values in config.to_dict().items()
            for key, value in values.items()}


def game_state(game: Game) -> dict:
    """Everything the game carries from one step to the next (weights, optimiser states, random
    streams, loss sums, the method's memory)."""
    return {
        "step": game.iteration, "since": game._since, "snapshots": len(game.recorder.steps),
        "sum_d": game._sum_d.cpu().clone(), "sum_g": game._sum_g.cpu().clone(),
        "gen": game.G.state_dict(), "disc": game.D.state_dict(),
        "opt_g": game.opt_g.state_dict(), "opt_d": game.opt_d.state_dict(),
        "streams": game.streams.state(), "config": game.config.to_toml(),
        "initial_config": game.initial_config.to_toml(),
        "events": [dict(e) for e in game.events], "diverged": game._diverged,
        "stopped": game._stopped,
        "own": dict(game.own), "method": _memory_state(game),
        "files": {path: hashlib.sha256(content).hexdigest() for path, content in game.files.items()},
        "sources": {name: list(digest) for _, name in named_functions(game.initial_config)
                    if (digest := source_digest(name)) is not None},
    }


def load_game_state(game: Game, state: dict, history: History) -> None:
    """Continue ``game`` from ``game_state``'s output and the history recorded up to it."""
    game.G.load_state_dict(state["gen"])
    game.D.load_state_dict(state["disc"])
    for name, net in (("generator", game.G), ("discriminator", game.D)):
        if not all(torch.isfinite(p).all() for p in net.state_dict().values() if p.is_floating_point()):
            raise ValueError(f"the {name}'s weights hold NaN or inf")  # a run saves finite ones
    for key, opt in (("opt_g", game.opt_g), ("opt_d", game.opt_d)):
        groups = [dict(g) for g in opt.param_groups]
        opt.load_state_dict(state[key])
        _check_optimizer(opt, groups, key)
    game.streams.load_state(state["streams"])
    game.recorder.restore(history)
    for key in ("sum_d", "sum_g"):
        if not torch.is_tensor(state[key]) or tuple(state[key].shape) != (game.members,) \
                or state[key].dtype != torch.float32:
            raise ValueError(f"{key} is not one float32 number per member")
    if isinstance(state["step"], bool) or not isinstance(state["step"], int) \
            or isinstance(state["since"], bool) or not isinstance(state["since"], int):
        raise ValueError("step and since must be integers")
    game._sum_d = state["sum_d"].to(game.device).clone()
    game._sum_g = state["sum_g"].to(game.device).clone()
    game._since, game.iteration = int(state["since"]), int(state["step"])
    game.moves += 1
    game.events = [dict(e) for e in state["events"]]
    game._diverged, game._stopped = state["diverged"], state["stopped"]
    _load_memory(game, state.get("method", {}))  # (toygan 0.2's checkpoints keep none)


def _memory_state(game: Game) -> dict:
    """The method's memory (the optimistic method's last update, Lookahead's slow weights and
    its count), on the CPU."""
    memory = game.play.memory
    out = {name: [t.cpu().clone() for t in memory[name]] for name in memory_tensors(game.play)}
    if "lookahead_count" in memory:
        out["lookahead_count"] = int(memory["lookahead_count"])
    return out


def _load_memory(game: Game, saved: dict) -> None:
    if not isinstance(saved, dict) or set(saved) - {"last_update", "slow", "lookahead_count"}:
        raise ValueError("the method's memory is not one toygan writes")
    params = game.play.point()
    memory = {}
    for name, tensors in saved.items():
        if name == "lookahead_count":
            if type(tensors) is not int or not 0 <= tensors < max(game.config.train.lookahead_k, 1):
                raise ValueError(f"the Lookahead count {tensors!r} does not fit train.lookahead_k")
            memory[name] = tensors
            continue
        if not isinstance(tensors, list) or len(tensors) != len(params) or not all(
                torch.is_tensor(t) and t.shape == p.shape and t.dtype == p.dtype
                and bool(torch.isfinite(t).all()) for t, p in zip(tensors, params, strict=False)):
            raise ValueError(f"the method's {name} does not fit the networks' parameters")
        memory[name] = [t.to(game.device).clone() for t in tensors]
    game.play.memory = memory


def _check_optimizer(opt: torch.optim.Optimizer, fresh: list[dict], name: str) -> None:
    """A loaded optimiser state must be one this optimiser wrote for these parameters: the run's
    settings, and for each parameter the keys, types, shapes and dtypes a fresh optimiser keeps
    after one step, all finite. A state that is not would fail at the first step (or make fused
    Adam write out of bounds), so it is refused before any step."""
    for group, want in zip(opt.param_groups, fresh, strict=True):
        if set(group) != set(want):
            raise ValueError(f"{name} is the state of another optimiser")
        for key, value in want.items():
            # the settings come from the run's config, so a saved state repeats them exactly
            if key != "params" and (type(group[key]) is not type(value) or group[key] != value):
                raise ValueError(f"{name}: {key} = {group[key]!r}, where the run's settings give "
                                 f"{value!r}")
    want = _stepped_state(opt, fresh)
    for p, st in opt.state.items():
        if not isinstance(st, dict):
            raise ValueError(f"{name}: its state is a {type(st).__name__}, not a table")
        if not st:
            continue  # a parameter not stepped yet
        if set(st) != set(want[p]):
            raise ValueError(f"{name}: its state holds {sorted(st)}, not {sorted(want[p])}")
        for key, value in st.items():
            ref = want[p][key]
            if torch.is_tensor(ref) != torch.is_tensor(value) or (torch.is_tensor(ref) and (
                    value.shape != ref.shape or value.dtype != ref.dtype)):
                raise ValueError(f"{name}: its {key} is {_kind(value)}, not {_kind(ref)}")
            if torch.is_tensor(value) and value.is_floating_point() and not torch.isfinite(value).all():
                raise ValueError(f"{name}: its {key} holds NaN or inf")


def _stepped_state(opt: torch.optim.Optimizer, fresh: list[dict]) -> dict:
    """Parameter → the state a fresh optimiser of the same kind and settings keeps after one step
    (on zero copies of the parameters): what a loaded state must look like."""
    copies = {}
    groups = []
    for group, loaded in zip(fresh, opt.param_groups, strict=True):
        params = [torch.zeros_like(p, requires_grad=True) for p in loaded["params"]]
        copies.update({id(c): p for c, p in zip(params, loaded["params"], strict=True)})
        groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": params})
    probe = type(opt)(groups)
    for group in probe.param_groups:
        for c in group["params"]:
            c.grad = torch.zeros_like(c)
    probe.step()
    return {copies[id(c)]: st for c, st in probe.state.items()}


def _kind(value: Any) -> str:
    if torch.is_tensor(value):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    return a_type(value)
