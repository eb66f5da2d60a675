"""A live session: one game, played and steered from one worker thread, drawn after every change.

Everything that touches the game runs on the worker, in order: controls are queued and answered
there (``submit``), and while playing the worker trains, ``MAX_FPS`` times a second handing where
the game stands to the drawer (``toygan.live.drawer``), which draws the latest on the other core
while training goes on. Readers (the web server) take the latest frame and state without
waiting. A control that fails changes nothing and is answered with the error.

Stopping never waits on the game: ``stop`` gives the control in flight a moment to finish, then
cuts it short (the game is then kept as far as it went, its history without a checkpoint), and
``save_last`` saves what the class saw from the calling thread. A worker that fails is reported
(``failure``) and answers every waiting control; it never leaves a control unanswered.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toygan.atomic import atomic_path
from toygan.config import Config
from toygan.data import stored_files
from toygan.errors import ToyganError, first_line
from toygan.game import Game
from toygan.live.drawer import METRICS, START_SECONDS, Drawer, own_networks, picture
from toygan.live.saving import check_room, new_folder, next_number
from toygan.live.settings import DEFAULT_SPEED, RESTART_KEYS, checked_changes, choices, speed_of
from toygan.live.user_data import data_file, said_of_data
from toygan.live.view import LiveView, default_live_panels, live_panels
from toygan.validate import shown

__all__ = ["LiveSession", "ACTIONS"]

MAX_FPS = 32
"""Frames a second at most while playing, each drawn on the other core while training goes on: a
little over 30, so that the page still gets 30 when a frame now and then comes late (a slow
drawing or a busy machine: the frame offered meanwhile is dropped, never queued)."""
GRACE = 1.5
"""Seconds ``stop`` lets a control in flight finish before cutting it short (and again for the
cut to land: one torch operation)."""


@dataclass
class _Control:
    payload: Any
    future: Future


_REDRAW = object()
"""Queued by the drawer when it needs the whole game again (its process was replaced)."""


class _Cut(BaseException):
    """Raised inside the worker by ``stop`` to cut short a control that does not end in time;
    a BaseException so that no ``except Exception`` on the way holds it."""


ACTIONS: dict[str, Callable[[LiveSession], str]] = {
    "play": lambda session: session._do_play(),
    "pause": lambda session: session._do_pause(),
    "step": lambda session: session._move("step", "one iteration"),
    "d_step": lambda session: session._move("d_step", "one D step"),
    "g_step": lambda session: session._move("g_step", "one G step"),
    "reset": lambda session: session._do_reset(),
    "save": lambda session: session._do_save(),
}
"""The page's buttons (and ``{"action": NAME}`` of the API) → what the session does."""


class LiveSession:
    """A game steered live: ``submit`` a control, read ``state()`` and the latest ``frame``.

    Args:
        config: the game to start with: a config, or a ``Game`` already built (played on from
            where it stands; its own networks, if any, start every new game of the session, as
            they were when the session began).
        out: the folder that ``save`` writes numbered run folders into.
        panels, width: what the frames show (``LiveView``).
        speed: iterations per frame at most while playing (frames come ``MAX_FPS`` a second).
        drawing: ``"process"`` to draw frames in a process of their own, on the other core while
            the game trains (a thread if it cannot start), or ``"thread"`` to draw them in a
            thread of this process (sharing Python's lock with the training: slower).
    """

    def __init__(self, config: Config | Game, *, out: str | Path = "live-runs", panels: Any = None,
                 width: int = 960, speed: int = DEFAULT_SPEED, drawing: str = "process") -> None:
        if drawing not in ("process", "thread"):
            raise ToyganError(f"drawing = {drawing!r}: choose 'process' or 'thread'")
        self.game = config if isinstance(config, Game) else Game(config)
        if self.game.holder is not None:
            raise ToyganError("this game is played by another live session (a widget); close that "
                              "one first (w.close())")
        if self.game.status == "diverged":  # (its weights are NaN: there is nothing to draw)
            raise ToyganError(f"the game cannot be played on: {self.game.message}; build a new one")
        self._own = own_networks(self.game)  # (copies: the game trains its own)
        dim = self.game.dim
        self.panels = LiveView.check_panels(default_live_panels(dim) if panels is None else panels, dim)
        self.width = LiveView.check_width(width)
        self.speed = speed_of(speed)
        self.out = Path(out)
        self.running = False
        self.d_alone = 0  # D steps taken by hand since the last iteration or G step
        self.note = ""  # the last thing the session itself says (a save, a restart, a stop)
        self.saved: list[str] = []
        self._saved_at: tuple | None = None
        self.frame_id = 0
        self.jpeg = b""
        self.view_note = ""  # why a chosen panel is not shown
        self._state: dict = {}
        self._metrics: dict = dict.fromkeys(METRICS)
        self._key = 0  # which game of this session the drawer draws (a new one: a new key)
        self._held = (None, 0)  # the drawer's game and how many of its snapshots it holds
        self._published = threading.Lock()  # the worker's state and the drawer's frames, in turn
        self._first = threading.Event()
        self._due = 0.0  # when the next frame is due while playing (time.perf_counter)
        self._queue: queue.Queue[_Control | None] = queue.Queue()
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()  # guards the listeners list and whether controls are taken
        self._accepting = True
        self._uncut = threading.Lock()  # held by a save (never cut in half) and by stop() as it cuts
        self._cutting = False
        self._cut_seen = False  # the worker has caught a cut (or is ending): stop() cuts no more
        self._moving = False  # the worker is changing the game: a cut now leaves it inconsistent
        self._taken: list[_Control] = []  # the controls the worker is carrying out
        self.failure = ""
        """Why the worker failed (one line), or empty: the server then stops and says so."""
        self.saved_bytes = 0
        self._drawer = Drawer(self._delivered, process=drawing == "process")
        try:
            self._draw(full=True)
            drawn = self._first.wait(START_SECONDS) and self.frame_id
        except BaseException:  # (Ctrl-C while the first frame is drawn): no drawing process left behind
            self._drawer.close()
            raise
        if not drawn:
            self._drawer.close()
            raise ToyganError(self.note or f"the first frame was not drawn within {START_SECONDS:.0f} s")
        self._thread = threading.Thread(target=self._work, name="toygan-live", daemon=True)
        self._thread.start()

    # --- what readers see (any thread) ---

    def state(self) -> dict:
        """The latest published state (a fresh dict)."""
        return dict(self._state)

    def listen(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` (from the worker thread) after each new frame; returns the
        function that stops it."""
        with self._lock:
            self._listeners.append(callback)

        def stop() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)
        return stop

    def submit(self, payload: Any) -> Future:
        """Queue a control: ``{"action": NAME}`` or ``{"set": {KEY: VALUE, ...}}``. The future gives
        the new state, or raises ToyganError with one line (nothing was changed)."""
        future: Future = Future()
        with self._lock:  # the worker's last act refuses new controls under this lock
            if self._accepting and self._thread.is_alive():
                self._queue.put(_Control(payload, future))
                return future
        future.set_exception(ToyganError(self._stopped_why()))
        return future

    @property
    def alive(self) -> bool:
        """Whether the worker still takes controls."""
        return self._thread.is_alive() and self._accepting

    def _stopped_why(self) -> str:
        if self.failure:
            return f"the live session has stopped: its worker failed ({self.failure})"
        return "the live session has stopped (the server is shutting down)"

    def control(self, payload: Any, timeout: float | None = None) -> dict:
        """``submit`` and wait for the answer."""
        return self.submit(payload).result(timeout)

    def png(self, timeout: float | None = None) -> bytes:
        """The latest frame as PNG."""
        return self._drawer.png(timeout)

    @property
    def draws_apart(self) -> bool:
        """Whether frames are drawn in a process of their own (on another core than the training)."""
        return self._drawer.in_process

    def close(self) -> None:
        """``stop`` the worker and the drawer."""
        self.stop()
        self._drawer.close()

    def stop(self, grace: float = GRACE) -> None:
        """Stop the worker from another thread, in about ``2 * grace`` seconds at most: play stops;
        controls already queued are answered; one still running after ``grace`` seconds is cut
        short (the game is marked so: its history is whole, its state is not). Idempotent."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("stop() is called from outside the session's worker")
        self.running = False
        with self._lock:
            self._accepting = False
        self._queue.put(None)
        self._thread.join(grace)
        with self._uncut:
            self._cutting = True
        deadline = time.monotonic() + grace
        # again until it lands: a cut that arrives in a garbage collector's callback is dropped
        while self._thread.is_alive() and not self._cut_seen and time.monotonic() < deadline:
            with self._uncut:  # never while a save writes its files
                if self._thread.is_alive() and not self._cut_seen:
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._thread.ident),
                                                               ctypes.py_object(_Cut))
            self._thread.join(0.2)
        self._thread.join(max(0.0, deadline - time.monotonic()))

    def save_last(self) -> str:
        """After ``stop``: save the game if it changed since its last save, from the calling
        thread; returns what was saved (empty for nothing), or raises ToyganError."""
        if self._thread.is_alive():  # stuck in one long operation: what it changes is not kept
            self.game.interrupt(f"the server stopped during step {self.game.iteration + 1}", whole=False)
        return self._do_save() if self.unsaved else ""

    # --- the worker ---

    def _work(self) -> None:
        self.game.holder = threading.get_ident()  # no other thread moves the game meanwhile
        try:
            with contextlib.suppress(_Cut):  # (a second cut, landing in the handlers below)
                self._run_and_answer()
        finally:
            self.game.holder = None
            with contextlib.suppress(Exception):  # (a widget shows that the session has stopped)
                self._tell()

    def _run_and_answer(self) -> None:
        why = ""
        try:
            self._loop()
        except _Cut:  # stop() cut the control in flight: keep the game as far as it went
            self._cut_seen = True
            why = "the server stopped before this control finished; the game was kept as far as it went"
            if self._moving:
                self.game.interrupt(f"the server stopped during step {self.game.iteration + 1}",
                                    whole=False)
        except BaseException as err:  # noqa: BLE001 - reported by the server, never a silent death
            self.failure = f"{type(err).__name__}: {first_line(err)}"
            self.running = False
            self.note = f"stopped: {self.failure}"
            why = self._stopped_why()
        finally:
            self._cut_seen = True  # no more cuts: what follows runs to its end
            for _ in range(3):  # (unless one was on its way already)
                with contextlib.suppress(_Cut):
                    with self._lock:
                        self._accepting = False
                    self._answer_all(why or self._stopped_why())
                    break

    def _answer_all(self, why: str) -> None:
        """Answer every control taken or queued that has no answer yet, with ``why``."""
        waiting = list(self._taken)
        while True:
            try:
                waiting.append(self._queue.get_nowait())
            except queue.Empty:
                break
        for control in waiting:
            if control is not None and not control.future.done():
                with _quiet_if_done():
                    control.future.set_exception(ToyganError(why))

    def _loop(self) -> None:
        while True:
            if self.running:
                self._guarded(self._play)
                self._guarded(lambda: self._draw(full=not self.running))
            pending = []
            # while playing, wait only for what is left of this frame's time; paused, for a control
            wait = max(0.0, self._due - time.perf_counter()) if self.running else None
            try:
                pending.append(self._queue.get(timeout=wait))
                while True:
                    pending.append(self._queue.get_nowait())
            except queue.Empty:
                pass
            if None in pending:  # stop(): answer what came before it, then stop
                pending = pending[:pending.index(None) + 1]
            redraw = _REDRAW in pending
            pending = [c for c in pending if c is not _REDRAW]
            # a control whose asker gave up (its request was cancelled) is not carried out
            self._taken = [c for c in pending if c is not None and c.future.set_running_or_notify_cancel()]
            answered = [(c, self._apply(c.payload)) for c in self._taken]
            if answered:  # answered before the frame is drawn: the change is made, the picture follows
                self._publish()
            for control, error in answered:
                with _quiet_if_done():
                    if error is None:
                        control.future.set_result(self.state())
                    else:
                        control.future.set_exception(ToyganError(error))
            self._taken = []
            if None in pending:
                return
            if (answered or redraw) and not self.running:  # while playing, the next frame shows it
                self._guarded(lambda: self._draw(full=True))

    def _guarded(self, work: Callable[[], None]) -> None:
        """Run the worker's own ``work``; an error stops play with a note, never the worker."""
        try:
            work()
        except Exception as err:  # noqa: BLE001 - the server must outlive any failure of the game
            self.running = False
            self.note = f"stopped: {first_line(err)}"
            self._publish()

    def _apply(self, payload: Any) -> str | None:
        """Carry out one control; the error line if it was refused (then nothing changed)."""
        try:
            if not isinstance(payload, Mapping) or len(payload) != 1 or \
                    not set(payload) <= {"action", "set", "data"}:
                raise ToyganError('a control is {"action": NAME}, {"set": {KEY: VALUE, ...}} or '
                                  f'{{"data": {{"points": [[x, y], ...]}}}}; got {shown(payload)}')
            if "data" in payload:
                self.note = self._use_data(payload["data"])
            elif "action" in payload:
                name = payload["action"]
                if not isinstance(name, str) or name not in ACTIONS:
                    raise ToyganError(f"action = {shown(name)}: choose one of {list(ACTIONS)}")
                self.note = ACTIONS[name](self)
            else:
                self._set(payload["set"])
            return None
        except ToyganError as err:
            return first_line(err)
        except Exception as err:  # noqa: BLE001 - a control must never kill the session
            return f"{type(err).__name__}: {first_line(err)}"

    @contextlib.contextmanager
    def _changing(self) -> Iterator[None]:
        """While the worker changes the game (a cut landing here leaves it inconsistent, and
        ``_moving`` stays set for ``_work`` to see)."""
        self._moving = True
        try:
            yield
        except _Cut:
            raise
        except BaseException:
            self._moving = False
            raise
        self._moving = False

    def _play(self) -> None:
        """Train ``speed`` iterations, or fewer: until a frame is due or a control waits."""
        game, now = self.game, time.perf_counter()
        # frames on a fixed clock (not a frame's time after the last: that would lose the rest of
        # an iteration every frame), which starts again after a pause
        self._due = self._due + 1 / MAX_FPS if now - self._due < 1 / MAX_FPS else now + 1 / MAX_FPS
        try:
            for i in range(self.speed):
                if not self._queue.empty():  # a control (or close) waits at most one iteration
                    return
                if i and time.perf_counter() >= self._due:
                    return
                with self._changing():
                    self._extend()
                    game.step()
                if game.status == "diverged":
                    self.running = False
                    self.note = f"{game.message}; reset to start again"
                    return
        except ToyganError as err:  # the length cannot grow (the recording limit)
            self.running = False
            self.note = f"stopped: {first_line(err)}; save, then reset"

    def _draw(self, full: bool) -> None:
        """Hand the game as it stands to the drawer (which draws the latest it was handed), and
        publish the state; ``full``: the frame measures everything (the paused game's metrics)."""
        key, held = self._held
        self._drawer.offer(picture(self.game, self._key, held if key == self._key else None,
                                   panels=self.panels, width=self.width, full=full))
        self._publish(tell=not self.running)  # while playing, the frame brings the state along

    def _publish(self, tell: bool = True) -> None:
        with self._published:
            self._state = self._describe()
        if tell:
            self._tell()

    def _tell(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for callback in listeners:
            callback()

    def _delivered(self, frame: dict) -> None:
        """A frame from the drawer (its thread): published with the readings it shows."""
        with self._published:
            self._held = (frame["key"], frame["held"])
            if frame["jpeg"] is not None:
                self.jpeg, self.frame_id = frame["jpeg"], self.frame_id + 1
                self._metrics = frame["metrics"]
            if frame["error"]:
                self.note = f"the frame could not be drawn: {frame['error']}"
            self.view_note = frame["note"]
            self._state = {**self._state, "frame": self.frame_id, "metrics": dict(self._metrics),
                           "note": self.note, "view_note": self._view_notes()}
        if frame["key"] is None and not frame["error"]:
            self._queue.put(_REDRAW)  # it needs the whole game: the worker sends it
        self._first.set()
        self._tell()

    # --- the controls ---

    def _do_play(self) -> str:
        if self.game.status == "diverged":
            raise ToyganError(f"the game cannot go on ({self.game.message}); reset it")
        self.running, self.d_alone = True, 0
        return ""

    def _do_pause(self) -> str:
        self.running = False
        return f"paused at step {self.game.iteration}"

    def _move(self, move: str, what: str) -> str:
        """One move of the game by hand (``Game.step``, ``d_step`` or ``g_step``); pauses play."""
        self.running = False
        with self._changing():
            self._extend()
            getattr(self.game, move)()
        # D steps by hand do not advance the step counter: the page counts them instead
        self.d_alone = self.d_alone + 1 if move == "d_step" else 0
        return f"{what} at step {self.game.iteration}"

    def _extend(self) -> None:
        """Live play goes on past ``train.steps``: at the end, double the length."""
        if self.game.iteration >= self.game.config.train.steps:
            self.game.update({"train.steps": 2 * self.game.config.train.steps})

    def _do_reset(self) -> str:
        with stored_files(self.game.files):  # (one's own data: the file the game read)
            game = self._new_game(self.game.config)
        saved = self._replace(game)
        self.running = False
        return f"reset: a new game with the current settings{saved}"

    def _new_game(self, config: Config) -> Game:
        """A game with these settings, as long as the first one was (live play doubled it since),
        on fresh copies of the user's own networks where the session has them."""
        own = {name: copy.deepcopy(net) for name, net in self._own.items()}
        game = Game(config.replace(**{"train.steps": self.game.initial_config.train.steps}), **own)
        self._key += 1  # the drawer builds it anew
        return game

    def _replace(self, game: Game) -> str:
        """Put ``game`` in play; the one it replaces is saved first if it moved since its last save
        (what the class saw is never lost). Returns what was saved, as a note."""
        saved = f" ({self._do_save()})" if self.unsaved else ""
        if game.dim != self.game.dim:  # the plane's panels do not draw a line, nor the reverse
            self.panels = default_live_panels(game.dim)
        self.game.holder, game.holder = None, threading.get_ident()
        self.game = game
        return saved

    def _do_save(self) -> str:
        game = self.game
        with self._uncut:  # a save is never cut in half (stop() waits for it)
            if self._cutting and threading.current_thread() is self._thread:
                raise _Cut
            self._check_room()
            path = None
            try:
                path = new_folder(self.out)
                game.save(path)
            except OSError as err:
                if path is not None:
                    with contextlib.suppress(OSError):
                        path.rmdir()  # the empty folder of a save that wrote nothing
                raise ToyganError(f"out = {str(self.out)!r}: cannot save a run there "
                                  f"({err.strerror or err}); it must be a folder toygan can write") from None
            self.saved_bytes += sum(f.stat().st_size for f in path.iterdir() if f.is_file())
        self.saved.append(str(path))
        self._saved_at = (id(game), game.iteration, len(game.events))
        cut = "" if game.state_is_whole else " (its last step was cut short: the history, no checkpoint)"
        return f"saved to {path}{cut}: `toygan render {path} --out lecture.gif` animates it"

    def _check_room(self, adding: int = 0) -> None:
        check_room(self.out, self.saved_bytes, adding)

    @property
    def unsaved(self) -> bool:
        """Whether the game has moved or changed since the last save."""
        game = self.game
        moved = game.iteration > 0 or bool(game.events)
        return moved and self._saved_at != (id(game), game.iteration, len(game.events))

    def _set(self, changes: Any) -> None:
        config, page = checked_changes(changes, self.game.config, self.game.settings(), bool(self._own))
        speed, width = page.get("live.speed", self.speed), page.get("live.width")
        game = None
        if RESTART_KEYS & set(config):
            with stored_files(self.game.files):  # (one's own data: the file the game read)
                settings = self.game.config.replace(**config)  # checked here; a new game below
                game = self._new_game(settings)  # one of live_targets() or the current target
        dim = (game or self.game).dim
        panels = LiveView.check_panels(changes["live.panels"], dim) if "live.panels" in changes else None
        if game is not None:
            shape = any(k.startswith("model.") for k in changes)
            what = "the networks' shape" if shape else "the target or the seed"
            saved = self._replace(game)  # (a save refused: nothing has changed)
            self.running = False
            self.note = f"a new game: {what} changed{saved}"
        elif config:
            with self._changing():
                self.game.update(config)
            self.note = ""  # (what it said of an earlier change no longer holds)
        self.speed = speed
        if panels is not None:
            self.panels = panels
        if width is not None:
            self.width = width

    def _use_data(self, given: Any) -> str:
        """A new game on one's own points: ``{"points": [[x, y], ...]}`` (drawn on the page, with the
        ``window`` they were drawn in), ``{"csv": TEXT}`` or ``{"npy": BASE64}`` (an uploaded file,
        with its ``name``); the file is kept in ``out/data`` and in the run's history. Checked
        whole, room included, before anything changes."""
        content, suffix, window = data_file(given)
        folder = self.out / "data"
        path = (folder / f"points-{next_number(folder, 'points-'):03d}{suffix}").resolve()
        settings = {"data.name": "points", "data.params": {"path": str(path)}, "record.window": window,
                    "record.kde_bandwidth": 0.0}
        if self.game.dim == 1:  # points of the plane: a 1D latent would draw them as one curve
            settings["model.noise_dim"] = 2
        try:
            with stored_files({str(path): content}):  # checked as the run will read it, before it is written
                game = self._new_game(self.game.config.replace(**settings))
        except ToyganError as err:  # said of the data, not of a file the user never named
            raise ToyganError(said_of_data(str(err), path)) from None
        self._check_room(len(content))  # the data's file and the old game's save alike
        saved = self._replace(game)  # (saves the old game first: refused, nothing has changed)
        self.running = False
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as temporary:
                temporary.write_bytes(content)
            self.saved_bytes += len(content)
            kept = f"kept in {path}"
        except (OSError, ToyganError) as err:
            kept = f"kept in the run only: {first_line(err)}"
        what = "drawn points" if "points" in given else "file's points"
        return f"a new game on your {what} ({kept}){saved}"

    # --- the published state ---

    def _view_notes(self) -> str:
        """What the page says of the frame: a panel left out, frames drawn in this process."""
        return " · ".join(n for n in (self.view_note, self._drawer.note) if n)

    def _describe(self) -> dict:
        game = self.game
        settings = {f"{section}.{key}": value for section, values in game.settings().items()
                    for key, value in values.items()}
        settings.update({"live.speed": self.speed, "live.panels": list(self.panels),
                         "live.width": self.width})
        return {
            "step": game.iteration, "running": self.running, "status": game.status,
            "critic": not game.objective.probabilistic, "d_steps_alone": self.d_alone,
            "message": game.message, "note": self.note,
            "view_note": self._view_notes(),
            "frame": self.frame_id, "settings": settings, "metrics": dict(self._metrics),
            "events": [dict(e) for e in game.events if e["key"] != "train.steps"],
            "saved": list(self.saved), "unsaved": self.unsaved, "window": list(game.recorder.window),
            "choices": {**choices(), "live.panels": live_panels(game.dim)},
        }


def _quiet_if_done():
    """A future answered twice (its asker cancelled it meanwhile) is no error of the worker's."""
    return contextlib.suppress(InvalidStateError)


