"""Frames drawn beside the training, never in its way: the live session's worker only hands over
where the game stands (``Game.position``: weights, settings, counters, new snapshots: a fraction of
a millisecond), and a drawer turns the latest such picture into a frame on the other core.

The drawer is a process of its own (``process=True``: drawing and training then run at once, each
on a core, since Python's lock would otherwise let only one of them run), or a thread of this one
(tests, and the fallback when a process cannot start). Either way a ``Painter`` holds a game that
``follow``s the session's and draws it with ``LiveView``. One picture is drawn at a time; a picture
offered while one is drawn replaces the one waiting, so a slow drawer drops frames and never
queues them.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import torch

from toygan.data import stored_files
from toygan.errors import ToyganError, first_line
from toygan.game import Game
from toygan.live.view import LiveView, encode
from toygan.metrics import LIVE

__all__ = ["Drawer", "Painter", "METRICS", "START_SECONDS", "own_networks"]

METRICS = LIVE  # (toygan.metrics: the registry says which metrics the page shows)
"""The readings a frame reports with it (the page's "Now" box)."""
START_SECONDS = 120.0
"""How long a drawing process may take to start and draw its first frame before the drawer draws
in a thread instead (importing torch and matplotlib takes about 2 s here)."""


class Painter:
    """Draws pictures (``picture(game, ...)``'s dicts) as JPEG frames, from a game of its own that
    follows the session's."""

    def __init__(self) -> None:
        self.view: LiveView | None = None
        self.game: Game | None = None
        self.key: Any = None
        self.rgb = None
        self._png: tuple = (None, b"")

    def paint(self, picture: dict) -> dict:
        """The frame of ``picture``: ``{"jpeg": bytes or None (a NaN in the game: no new frame),
        "metrics": {...}, "note": why a panel is left out, "error": a line or "", "key" and "held":
        the game drawn and how many of its snapshots this painter holds}``; with ``key`` None and
        no frame when it needs every snapshot again (a fresh painter sent only the new ones)."""
        try:
            held = len(self.game.recorder.steps) if self.game is not None else 0
            if picture["key"] != self.key or self.game is None:
                if picture["start"] is None:  # sent as to a painter that has the game: not this one
                    return _no_frame()
                with stored_files(picture["files"]):
                    self.game = Game(picture["start"], **picture["networks"])
                self.key, held = picture["key"], 0
            if picture["position"]["recorded"][0] > held:  # sent only the snapshots it lacks no more
                return _no_frame()
            self.game.follow(picture["position"])
            if self.view is None:
                self.view = LiveView(width=picture["width"])  # (the session checked the panels)
            self.view.panels, self.view.width = tuple(picture["panels"]), picture["width"]
            shown = self.view.frame(self.game, full=picture["full"])
        except Exception as err:  # noqa: BLE001 - said on the page; the session goes on
            self.key = None  # (the game may be half built)
            return _no_frame(error=first_line(err))
        held = {"key": self.key, "held": len(self.game.recorder.steps), "note": self.view.note}
        if shown is None:
            return _no_frame(**held)
        self.rgb, snapshot = shown
        metrics = {k: _number(snapshot[k][0]) for k in METRICS}
        return _no_frame(jpeg=encode(self.rgb, "jpeg"), metrics=metrics, **held)

    def png(self) -> bytes:
        """The last frame as PNG (lossless, for ``/api/frame.png``): encoded once per frame, however
        many watchers ask for it."""
        if self.rgb is None:
            raise ToyganError("no frame has been drawn yet")
        if self._png[0] is not self.rgb:
            self._png = (self.rgb, encode(self.rgb, "png"))
        return self._png[1]

    def close(self) -> None:
        if self.view is not None:
            self.view.close()


def _no_frame(**given: Any) -> dict:
    """A painter's answer: no frame and nothing held, but for what is ``given``."""
    return {"jpeg": None, "metrics": None, "note": "", "error": "", "key": None, "held": 0, **given}


def picture(game: Game, key: Any, sent: int | None, *, panels: tuple[str, ...], width: int,
            full: bool) -> dict:
    """What a painter needs to draw ``game`` now: ``key`` names the game (a new key builds a new
    one there), ``sent`` the snapshots that painter holds already, or None if it does not hold the
    game (its config and data files are then sent along: a data file may be megabytes)."""
    start = sent is None
    return {"key": key, "start": game.initial_config if start else None, "files": game.files if start else {},
            "networks": own_networks(game) if start else {},
            "position": game.position(sent or 0), "panels": panels, "width": width, "full": full}


def own_networks(game: Game) -> dict[str, torch.nn.Module]:
    """Copies of the user's own networks that ``game`` plays, as ``Game``'s keyword arguments (a
    game built with them has its players' shape; its weights then come from ``follow``). Networks
    the config names (``model.generator = "m:f"``) are left out: the config builds them anew."""
    model = game.initial_config.model
    if not any(own and not getattr(model, name) for name, own in game.own.items()):
        return {}
    try:
        plain = dict(zip(("generator", "discriminator"), game.networks(), strict=True))
    except Exception as err:  # noqa: BLE001 - deepcopy of a module holding a lock, a file, ...
        raise ToyganError(f"your own networks cannot be copied ({type(err).__name__}: {first_line(err)}); "
                          "a live session draws and restarts copies of them: keep locks, files and "
                          "the like out of the modules") from None
    return {name: plain[name] for name, own in game.own.items() if own and not getattr(model, name)}


def _send(stream, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream) -> Any:
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError("the pipe closed")
    (size,) = struct.unpack("<Q", head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the pipe closed mid-message")
    return pickle.loads(data)


def _serve() -> None:
    """The drawing process (``python -m toygan.live.drawer``): paint each picture read from stdin,
    answer each question on stdout, until stdin closes (the session ended, or its process died)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # the session's process stops this one, by closing the pipe
    with contextlib.suppress(OSError):
        os.nice(10)  # where the two meet on a core, the training goes first: frames are what may drop
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever a library prints goes to stderr, never into the answers
    torch.set_num_threads(1)  # the other core trains
    painter = Painter()
    try:
        while True:
            kind, payload = _receive(sys.stdin.buffer)
            _send(answers, painter.paint(payload) if kind == "paint" else _png(painter))
    except (EOFError, OSError):
        pass
    finally:
        painter.close()


def _png(painter: Painter) -> dict:
    try:
        return {"png": painter.png()}
    except ToyganError as err:
        return {"error": str(err)}


class Drawer:
    """Draws the latest picture ``offer``ed and hands each frame to ``deliver(frame)`` (from the
    drawer's thread); ``process``: in a process of its own (falls back to a thread, said in
    ``note``, if that process cannot start or dies)."""

    def __init__(self, deliver: Callable[[dict], None], *, process: bool = True) -> None:
        self.deliver = deliver
        self.note = ""
        self._pending: dict | None = None
        self._asked: list[Future] = []
        self._wake = threading.Condition()
        self._closed = False
        self._painter: Painter | None = None
        self._process: subprocess.Popen | None = None
        if process:
            # a command of its own, not multiprocessing: that would import the user's script again
            # in the new process, and start the session a second time unless the script is guarded
            home = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            path = os.pathsep.join(filter(None, [home, os.environ.get("PYTHONPATH")]))
            try:  # in a session of its own: the terminal's Ctrl-C is the server's to handle
                # -P: the folder the teacher started in is not on the path (a torch.py there would run)
                self._process = subprocess.Popen(
                    [sys.executable, "-P", "-m", "toygan.live.drawer"], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": path},
                    start_new_session=True)
            except OSError as err:
                self._fall_back(f"frames are drawn in the training's process ({first_line(err)})")
        else:
            self._painter = Painter()
        self._thread = threading.Thread(target=self._run, name="toygan-live-drawer", daemon=True)
        self._thread.start()

    @property
    def in_process(self) -> bool:
        """Whether frames are drawn by a process of their own (on another core)."""
        return self._painter is None

    def offer(self, picture: dict) -> None:
        """Draw ``picture`` next, in place of any picture still waiting."""
        with self._wake:
            self._pending = picture
            self._wake.notify()

    def png(self, timeout: float | None = None) -> bytes:
        """The last frame drawn, as PNG."""
        future: Future = Future()
        with self._wake:
            if self._closed:
                raise ToyganError("the live session has stopped")
            self._asked.append(future)
            self._wake.notify()
        return future.result(timeout)

    def close(self, timeout: float = 1.0) -> None:
        """Stop drawing, within about ``2 * timeout`` seconds: the frame being drawn may finish;
        a drawing process that does not answer by then (hung, stopped) is killed, never waited on."""
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout)
        if self._process is not None:
            if self._thread.is_alive():  # stuck on the pipe: killing the process frees it
                self._process.kill()
                self._thread.join(timeout)
            else:  # the process ends when its input does; closed from here, no one else writes
                with contextlib.suppress(OSError, ValueError):
                    self._process.stdin.close()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            for pipe in (self._process.stdin, self._process.stdout):
                with contextlib.suppress(OSError, ValueError):
                    pipe.close()
        if self._painter is not None:
            self._painter.close()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not (self._closed or self._asked or self._pending is not None):
                    self._wake.wait()
                if self._closed:
                    for future in self._asked:
                        future.set_exception(ToyganError("the live session has stopped"))
                    return
                asked, self._asked = self._asked, []
                job, self._pending = self._pending, None
            for future in asked:
                answer = self._call("png", None)
                if "png" in answer:
                    future.set_result(answer["png"])
                else:
                    future.set_exception(ToyganError(answer["error"]))
            if job is not None:
                self.deliver(self._call("paint", job))

    def _call(self, kind: str, payload: Any) -> dict:
        if self._painter is None:
            try:
                _send(self._process.stdin, (kind, payload))
                answer = _receive(self._process.stdout)
            # it died (or the game cannot be pickled to it: a user's network holding a lock): draw here
            except (EOFError, OSError, ValueError, TypeError, AttributeError, pickle.PickleError) as err:
                self._fall_back(f"the drawing process ended ({first_line(err) or type(err).__name__}); "
                                "frames are drawn in the training's process")
            else:
                if not (kind == "paint" and answer.get("error")):
                    return answer
                # a game it cannot draw (a loss registered in this process only, say): draw here
                self._fall_back("frames are drawn in the training's process: the drawing process "
                                f"could not draw this game ({answer['error']})")
        return self._painter.paint(payload) if kind == "paint" else _png(self._painter)

    def _fall_back(self, note: str) -> None:
        self.note = note
        self._painter = Painter()
        if self._process is not None and self._process.poll() is None:
            self._process.kill()


def _number(x: Any) -> float | None:
    """A metric for JSON: a float, or None where it is undefined (NaN)."""
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


if __name__ == "__main__":
    _serve()
