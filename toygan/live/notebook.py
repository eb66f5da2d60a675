"""The live game in a notebook: the live page's frame and controls as Jupyter widgets (ipywidgets),
over the same ``LiveSession`` and drawing as ``toygan live``: no server, no port.

    w = toygan.live.widget(preset="ring", lr_d=1e-4)    # a cell ending in w shows it
    w.buttons["play"].click()                           # what the play button does, from code
    w.session.state()                                   # the game's state, from the session

Every control goes through the session, which checks it: a value it refuses is said in one line
under the frame (until a control is taken), and the control shows the session's value again
(nothing changed). The widget is updated from a thread of its own, at most ``FPS`` times a second.
One game plays at a time: play in one widget pauses the others (two games would share the
machine's cores); running a widget's cell again closes the widget it made before. ``close()``, or
the end of the kernel, ends the widget's session (its worker thread and its drawing process).
"""

from __future__ import annotations

import atexit
import html
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import ipywidgets as w

from toygan.config import Config
from toygan.errors import ToyganError, first_line
from toygan.game import Game
from toygan.live.saving import save_folder
from toygan.live.session import LiveSession
from toygan.live.settings import DEFAULT_SPEED
from toygan.presets import preset_config

__all__ = ["LiveWidget", "widget", "FPS", "FIELDS"]

FPS = 20
"""Frames a second the widget shows at most: each is a JPEG sent through the notebook's messages
(through a hosted notebook's connection, too); the game trains at full speed meanwhile."""

BUTTONS = {"play": "▶ play", "step": "1 iteration", "d_step": "1 D step", "g_step": "1 G step",
           "reset": "reset", "save": "save"}
"""The session's actions (``toygan.live.ACTIONS``) the widget has a button for; play is also pause."""

FIELDS: dict[str, tuple[str, str]] = {
    "data.name": ("target", "choice"), "train.seed": ("seed", "int"),
    "train.loss": ("loss", "choice"), "train.updates": ("method", "choice"),
    "train.d_steps": ("k (D steps)", "int"), "train.lr_d": ("lr D", "float"),
    "train.lr_g": ("lr G", "float"), "train.regularizer": ("regulariser", "choice"),
    "train.gamma": ("γ", "float"), "train.instance_noise": ("instance noise", "float"),
    "live.speed": ("iterations/frame", "int"), "train.generator": ("freeze G", "freeze"),
    "live.panels": ("panels", "panels"),
}
"""The settings the widget shows (the session's keys) → (label, kind of control)."""

_OPEN: weakref.WeakSet[LiveWidget] = weakref.WeakSet()


def _control(kind: str, label: str, value: Any, choices: list[str]) -> w.ValueWidget:
    """A control of ``kind`` showing the widget's form of a setting's ``value``."""
    style, wide = {"description_width": "initial"}, w.Layout(width="auto")
    make: dict[str, Callable[[], w.ValueWidget]] = {
        "choice": lambda: w.Dropdown(options=choices, value=value, description=label, style=style,
                                     layout=wide),
        "int": lambda: w.IntText(value=value, description=label, style=style, layout=wide),
        "float": lambda: w.FloatText(value=value, description=label, style=style, layout=wide),
        "freeze": lambda: w.Checkbox(value=value, description=label, indent=False),
        "panels": lambda: w.SelectMultiple(options=choices, value=value, description=label, rows=4,
                                           style=style, layout=wide),
    }
    return make[kind]()


def _shown(kind: str, setting: Any) -> Any:
    """A session's setting as its control shows it."""
    if kind == "freeze":
        return setting == "frozen"
    return tuple(setting) if kind == "panels" else setting


def _setting(kind: str, shown: Any, panels_offered: list[str]) -> Any:
    """A control's value as the session takes it."""
    if kind == "freeze":
        return "frozen" if shown else "trained"
    if kind == "panels":  # in the order the live page offers them
        return [name for name in panels_offered if name in shown]
    return shown


class LiveWidget(w.VBox):
    """The frame of a ``LiveSession`` with its controls, for a notebook (``widget`` makes one)."""

    def __init__(self, session: LiveSession) -> None:
        self.session = session
        state = session.state()
        self._state = state
        # at its own size (pixel for pixel: sharp), or narrower where the notebook is
        self.frame = w.Image(format="jpeg", layout=w.Layout(max_width="100%", height="auto",
                                                            align_self="flex-start"))
        self.status = w.HTML()
        self.error = w.HTML()
        self.buttons = {name: w.Button(description=text, layout=w.Layout(width="auto"))
                        for name, text in BUTTONS.items()}
        self.fields: dict[str, w.ValueWidget] = {}
        self._on_screen: dict[str, Any] = {}  # what each control was last set to by the session
        for key, (label, kind) in FIELDS.items():
            value = _shown(kind, state["settings"][key])
            self.fields[key] = _control(kind, label, value, self._choices(key, value))
            self._on_screen[key] = value
            self.fields[key].observe(lambda change, key=key: self._changed(key, change["new"]), "value")
        for name, button in self.buttons.items():
            button.on_click(lambda _, name=name: self._act(name))
        self._error = ""  # the last refusal, until a control is taken
        self._revert: set[str] = set()
        self._frame_shown = -1
        # the controls no wider than the frame: in reach beside it on a projector
        grid = w.GridBox(list(self.fields.values()),
                         layout=w.Layout(grid_template_columns="repeat(3, minmax(0, 1fr))",
                                         grid_gap="2px 12px", width=f"{session.width}px", max_width="100%"))
        self._parts = [self.frame, self.status, self.error, w.HBox(list(self.buttons.values())), grid]
        super().__init__(self._parts)
        self._closed = False
        self._wake = threading.Event()
        self._stop_listening = session.listen(self._wake.set)
        self._pusher = threading.Thread(target=self._push, name="toygan-widget", daemon=True)
        self._pusher.start()
        self._cell = _cell()
        for other in list(_OPEN):  # the cell run again: its old widget goes; the others wait
            if self._cell is not None and other._cell == self._cell:
                other.close()
            else:
                other.pause()
        _OPEN.add(self)
        self._wake.set()

    # --- from the notebook (its thread) ---

    def pause(self) -> None:
        """Pause play (does nothing once closed)."""
        if not self._closed and self.session.alive:
            self._answer("pause", self.session.submit({"action": "pause"}))

    def close(self) -> None:
        """End the session (its worker thread and drawing process) and remove the widget."""
        if not self._closed:
            self._closed = True
            self._wake.set()
            self._stop_listening()
            self.session.close()
            _OPEN.discard(self)
            for part in [*self._parts, *self._parts[3].children, *self._parts[4].children]:
                part.close()
        super().close()

    def _choices(self, key: str, value: Any) -> list[str]:
        offered = list(self._state["choices"].get(key, []))
        if FIELDS[key][1] == "choice" and value not in offered:  # (one's own data: "points")
            offered.append(value)
        return offered

    def _act(self, name: str) -> None:
        if name == "play":
            if self._state["running"]:
                name = "pause"
            else:
                for other in list(_OPEN):
                    if other is not self:
                        other.pause()
        self._answer(name, self.session.submit({"action": name}))

    def _changed(self, key: str, value: Any) -> None:
        # the widget's thread showing the session's value (a menu's new options included) is no change
        if threading.current_thread() is self._pusher or self._closed:
            return
        kind = FIELDS[key][1]
        setting = _setting(kind, value, self._state["choices"].get("live.panels", []))
        self._answer(key, self.session.submit({"set": {key: setting}}))

    def _answer(self, what: str, future: Future) -> None:
        """Said under the frame when the session answers: a refusal, or nothing."""
        def answered(done: Future) -> None:
            err = done.exception()
            if err is None:
                self._error = ""
            else:
                self._error = first_line(err)  # (the session's lines name the setting)
                self._revert.add(what)
            self._wake.set()
        future.add_done_callback(answered)

    # --- the widget's thread: the latest frame and state, at most FPS a second ---

    def _push(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            try:
                self._show()
            except Exception as err:  # noqa: BLE001 - a widget that cannot update must not kill its thread
                self._error = f"the widget could not update: {first_line(err)}"
            time.sleep(1 / FPS)

    def _show(self) -> None:
        session = self.session
        state = self._state = session.state()
        if state["frame"] != self._frame_shown:
            self._frame_shown, self.frame.value = state["frame"], session.jpeg
        running = state["running"] and session.alive
        self.buttons["play"].description = "❚❚ pause" if running else BUTTONS["play"]
        for key, (_, kind) in FIELDS.items():
            value = _shown(kind, state["settings"][key])
            if value != self._on_screen[key] or key in self._revert:
                self._revert.discard(key)
                self._on_screen[key] = value
                field = self.fields[key]
                offered = self._choices(key, value)
                if kind in ("choice", "panels") and list(field.options) != offered:
                    field.options = offered
                field.value = value
        self.status.value = _status(state, running, session.alive)
        error = html.escape(self._error)
        self.error.value = f'<span style="color:#b00">{error}</span>' if error else ""


def _status(state: dict, running: bool, alive: bool) -> str:
    """The line under the frame: step, D on real and fake points, the session's notes."""
    m = state["metrics"]
    parts = [f"step {state['step']:,}" + (" · playing" if running else "")]
    parts += [f"{label} {m[key]:.3f}" for key, label in
              (("d_real", "D(real)"), ("d_fake", "D(fake)"), ("jsd", "JSD")) if m.get(key) is not None]
    notes = [state["note"], state["view_note"], "" if alive else "the session has stopped"]
    text = " · ".join(parts) + "".join(f"<br>{html.escape(n)}" for n in notes if n)
    return f'<span style="font: 14px system-ui, sans-serif">{text}</span>'


def _dotted(settings: dict[str, Any], config: Config) -> dict[str, Any]:
    """Settings by dotted key (``**{"train.lr_d": 1e-4}``) or by field name where it is one
    section's only (``lr_d=1e-4``)."""
    sections = config.to_dict()
    out = {}
    for name, value in settings.items():
        if "." in name:
            out[name] = value
            continue
        homes = [section for section, fields in sections.items() if name in fields]
        if len(homes) != 1:
            known = sorted({f for fields in sections.values() for f in fields})
            raise ToyganError(f"{name} = {value!r}: " + (
                f"a field of {homes}; write it as {homes[0]}.{name}" if homes else
                f"not a setting; give a config field ({', '.join(known)}) or section.field"))
        out[f"{homes[0]}.{name}"] = value
    return out


def _cell() -> str | None:
    """The id of the notebook cell running now (JupyterLab, Notebook 7 and VS Code send it), or None."""
    try:
        from IPython import get_ipython  # (IPython comes with ipywidgets)

        shell = get_ipython()
        return shell.kernel.get_parent().get("metadata", {}).get("cellId") if shell is not None else None
    except Exception:  # noqa: BLE001 - no kernel, or one that keeps no parent message: no cell
        return None


def widget(preset: str | None = None, *, config: Config | None = None, game: Game | None = None,
           out: str | Path = "live-runs", panels: Any = None, width: int = 960, speed: int = DEFAULT_SPEED,
           drawing: str = "process", **settings: Any) -> LiveWidget:
    """The live game in a notebook: a cell ending in ``widget(...)`` shows its frame and controls.

    Args:
        preset: the game to start with (``toygan presets`` lists them; default ``"ring"``), or:
        config: a config to start with instead.
        game: a ``Game`` already built, played on from where it stands (``game.widget()``).
        out: the folder the save button writes run folders into.
        panels, width, speed, drawing: as for ``LiveSession`` (a 1920-pixel projector shows a
            ``width`` of 1280 to 1600 well).
        **settings: config settings, by field name (``lr_d=1e-4``, ``seed=3``) or dotted key
            (``**{"train.lr_d": 1e-4}``).

    Raises:
        ToyganError: for a setting, preset or option that cannot make a game, with the reason.
    """
    given = [name for name, value in (("preset", preset), ("config", config), ("game", game))
             if value is not None]
    if len(given) > 1:
        raise ToyganError(f"widget: {' and '.join(given)} given; give one of preset, config or game")
    if game is not None:
        if not isinstance(game, Game):
            raise ToyganError(f"game = {type(game).__name__}: give a toygan.Game (or config=, preset=)")
        if settings:
            raise ToyganError("widget(game=...): the game has its settings; change them with "
                              "game.update({...}) or on the widget")
        start: Config | Game = game
    else:
        if config is not None and not isinstance(config, Config):
            raise ToyganError(f"config = {type(config).__name__}: give a toygan.Config (or preset=NAME)")
        base = config if config is not None else preset_config(preset or "ring")
        start = base.replace(**_dotted(settings, base))
    out = save_folder(out, "out =")
    return LiveWidget(LiveSession(start, out=out, panels=panels, width=width, speed=speed, drawing=drawing))


def _game_widget(game: Game, **options: Any) -> LiveWidget:
    """This game live in a notebook (``widget(game=game, **options)``)."""
    return widget(game=game, **options)


if not hasattr(Game, "widget"):  # (``toygan.Game`` has it already: the package adds it on first use)
    Game.widget = _game_widget


@atexit.register
def _close_all() -> None:
    """The kernel ends: no drawing process or worker outlives it."""
    for one in list(_OPEN):
        one.session.close()
