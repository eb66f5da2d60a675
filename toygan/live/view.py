"""The live view: frames of a game as it stands now, drawn by the same panels as the animations.

A frame is the game's recorded snapshots (for the curves) with one more, unkept snapshot of the
game now at the end. The figure is laid out once per game and settings and then only redrawn
(``Animation.show``); it is laid out again when the game, its settings, its events or the chosen
panels change. A snapshot taken for a frame computes only what the shown panels draw; the other
scalars come from the latest recorded snapshot.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from toygan.errors import ToyganError
from toygan.game import Game
from toygan.history import SCALARS, History
from toygan.recorder import ARRAYS, EIGEN_ARRAYS
from toygan.render.animation import Animation
from toygan.render.figure import Look
from toygan.render.panels import PANELS, panel_names
from toygan.validate import integer

__all__ = ["LiveView", "live_panels", "encode"]


def live_panels(dim: int = 2) -> list[str]:
    """The panels the live page offers for a game of ``dim`` dimensions, of those registered now
    (not ``coverage``, which needs seeds)."""
    return [name for name, cls in PANELS.items() if dim in cls.dims and not cls.ensemble]


DEFAULT_LIVE_PANELS = ("samples", "discriminator", "convergence")
DEFAULT_LIVE_PANELS_1D = ("goodfellow", "convergence", "jsd")


def default_live_panels(dim: int) -> tuple[str, ...]:
    """What a live frame shows of a game of ``dim`` dimensions unless told otherwise."""
    return DEFAULT_LIVE_PANELS_1D if dim == 1 else DEFAULT_LIVE_PANELS


def encode(rgb: np.ndarray, format: str) -> bytes:
    """An RGB frame as JPEG (quality 85: cheap to stream) or PNG bytes."""
    buffer = io.BytesIO()
    if format == "jpeg":
        Image.fromarray(rgb).save(buffer, "JPEG", quality=85)
    else:
        Image.fromarray(rgb).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


class _Series:
    """The recorded scalars and mode counts of one game, stacked as they come (a frame must not
    re-stack thousands of snapshots)."""

    def __init__(self, game: Game) -> None:
        self.game, self.count = game, 0
        self.steps = np.zeros(0, np.int64)
        self.scalars: dict[str, np.ndarray] = {}
        self.mode_counts: np.ndarray | None = None

    def sync(self) -> None:
        new = self.game.recorder.snapshots[self.count:]
        if not new:
            return
        self.steps = np.concatenate([self.steps, self.game.recorder.steps[self.count:]])
        for key in SCALARS:
            fresh = np.stack([s[key] for s in new])
            old = self.scalars.get(key)
            self.scalars[key] = fresh if old is None else np.concatenate([old, fresh])
        fresh = np.stack([s["mode_counts"] for s in new])
        self.mode_counts = fresh if self.mode_counts is None else np.concatenate([self.mode_counts, fresh])
        self.count += len(new)


_LAYOUT = (("train", "loss"), ("train", "generator"), ("train", "steps"), ("data", "name"))
"""Settings the figure's layout, titles and scales depend on: a change lays it out again. Other
changes only add a mark to the curves."""


class LiveView:
    """Draws ``frame(game)``: the chosen ``panels`` of the game now, ``width`` pixels wide."""

    def __init__(self, panels: Sequence[str] | str | None = None, *, width: int = 960,
                 look: Look | None = None) -> None:
        self.panels = self.check_panels(DEFAULT_LIVE_PANELS if panels is None else panels)
        self.width, self.look = self.check_width(width), look
        self.note = ""
        """Why a chosen panel is not shown (it does not fit the game's settings), else empty."""
        self._series: _Series | None = None
        self._animation: Animation | None = None
        self._layout: tuple | None = None

    @staticmethod
    def check_width(width: Any, where: str = "width") -> int:
        """A frame width in pixels, 320–4096; a ToyganError otherwise."""
        return integer(where, width, 320, 4096)

    @staticmethod
    def check_panels(panels: Sequence[str] | str, dim: int = 2) -> tuple[str, ...]:
        """Panel names the live page can show for a game of ``dim`` dimensions, as a tuple; a
        ToyganError names any other."""
        offered = live_panels(dim)
        if not isinstance(panels, str | list | tuple) or not all(isinstance(p, str) for p in panels):
            raise ToyganError(f"panels = {panels!r}: give a list of panel names from {offered}")
        names = tuple(panel_names(panels))
        bad = [name for name in names if name not in offered]
        if bad or not names or len(set(names)) != len(names):
            raise ToyganError(f"panels = {list(names)!r}: choose one to five, each once, from {offered}")
        if len(names) > 5:
            raise ToyganError(f"panels = {list(names)!r}: at most five fit a live frame")
        return names

    def needs(self, full: bool) -> frozenset[str]:
        """What a frame's snapshot computes: the shown panels' needs, or everything (``full``)."""
        shown = frozenset(part for name in self.panels for part in PANELS[name].needs)
        return shown | {"push", "field", "manifold", "optimum", "modes"} if full else shown

    def history(self, game: Game, now: dict[str, np.ndarray]) -> History:
        """The recorded snapshots with ``now`` as the last (in place of a recorded one at the same
        step). Arrays other than the mode counts show ``now`` at every index: only the last one
        is drawn, and broadcasting costs nothing."""
        if self._series is None or self._series.game is not game:
            self._series = _Series(game)
        series = self._series
        series.sync()
        keep = series.count - (1 if series.steps[-1] == game.iteration else 0)
        last = game.recorder.snapshots[-1]
        now = {**last, **now}  # what the frame did not compute: as last recorded
        steps = np.append(series.steps[:keep], game.iteration)
        t = len(steps)
        arrays = {k: np.broadcast_to(now[k][None], (t, *now[k].shape)) for k in ARRAYS if k != "mode_counts"}
        scalars = {k: np.concatenate([series.scalars[k][:keep], now[k][None]]) for k in SCALARS}
        mode_counts = np.concatenate([series.mode_counts[:keep], now["mode_counts"][None]])
        if "eigenvalues" in now:  # the eigenvalues panel: those of now, computed for this frame
            arrays.update({k: np.broadcast_to(now[k][None], (t, *now[k].shape)) for k in EIGEN_ARRAYS})
            arrays["eigen_parameters"] = game.recorder.eigen_size(game)
        return History(config=game.config, window=game.recorder.window, steps=steps,
                       scalars=scalars, mode_counts=mode_counts, **arrays,
                       status="diverged" if game.status == "diverged" else "completed",
                       message=game.message, events=list(game.events),
                       objective=game.objective.traits())  # the frame shows D as it reads now

    def frame(self, game: Game, *, full: bool = False) -> tuple[np.ndarray, dict] | None:
        """The game now as an RGB frame, with the snapshot it shows; None if the snapshot holds a
        NaN or inf (a diverging game: the last good frame stays)."""
        recorder, needs = game.recorder, self.needs(full)
        recorded = recorder.eigen_parameters or "eigenvalues" not in needs  # (else not recorded)
        if recorder.steps[-1] == game.iteration and recorder.moves == game.moves and recorded:
            now = recorder.snapshots[-1]  # just recorded: the game is as that snapshot shows it
        else:
            now = game.snapshot(needs)
        if now is None:
            return None
        history = self.history(game, now)
        settings = game.config.to_dict()
        layout = (id(game), self.panels, self.width, *(settings[section][key] for section, key in _LAYOUT))
        if layout != self._layout or self._animation is None or self._animation.outgrown(history):
            self.close()
            self._animation = self._build(history)
            self._layout = layout
        rgb = self._animation.show(history, history.n_snapshots - 1)
        return rgb, {**game.recorder.snapshots[-1], **now}

    def _build(self, history: History) -> Animation:
        """The figure for these panels; panels that do not fit the game's settings (D* for a
        critic, say) are left out and ``note`` says why."""
        try:
            self.note = ""
            return Animation(history, self.panels, width=self._width(len(self.panels)), look=self.look)
        except ToyganError:
            pass
        shown, notes = [], []
        for name in self.panels:
            try:
                Animation(history, [name], width=320, look=self.look).close()
                shown.append(name)
            except ToyganError as err:
                notes.append(str(err))
        shown = shown or list(default_live_panels(history.samples.shape[-1])[:1])
        try:
            animation = Animation(history, shown, width=self._width(len(shown)), look=self.look)
        except ToyganError as err:  # too many panels for one frame: the first three
            notes.append(str(err))
            shown = shown[:3]
            animation = Animation(history, shown, width=self._width(len(shown)), look=self.look)
        self.note = "; ".join(notes)
        return animation

    def _width(self, n_panels: int) -> int:
        """``width``, or wider for more than three panels (they stay about as large)."""
        return max(self.width, 320 * n_panels)

    def close(self) -> None:
        if self._animation is not None:
            self._animation.close()
            self._animation = None

