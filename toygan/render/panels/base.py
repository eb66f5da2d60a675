"""What every panel is: the ``Panel`` protocol, the ``Context`` a panel is drawn in, and the
``Shared`` scales of one figure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from toygan.errors import ToyganError
from toygan.history import History
from toygan.render.style import D_CMAP

if TYPE_CHECKING:  # figure imports the panels' package through toygan.render: no import at run time
    from toygan.render.figure import Look

__all__ = ["Context", "Panel", "Shared"]


@dataclass
class Shared:
    """What the panels of one figure share, so that they agree (and a comparison's runs too)."""

    cmap: str = D_CMAP
    """The colour map of D and D* (other maps keep their own)."""
    d_range: tuple[float, float] = (0.0, 1.0)
    """The values of D and D* the colour map spans (``Look.d_range``)."""
    eigen_box: tuple[float, float, float] | None = None
    """The eigenvalue panels' axes (least Re λ, greatest Re λ, greatest |Im λ|), one for all runs of
    a comparison; None: each panel takes its own run's."""
    push_typical: float | None = None
    """The push length drawn as 1/14 of the window; None: each push panel takes its own run's."""
    number_modes: bool = False
    """Number the data modes on the plane (the figure has a mode timeline whose rows they name)."""
    computed: dict[Any, Any] = field(default_factory=dict)
    """Arrays computed once for all panels of a figure (the D* maps of each run and member),
    dropped when the figure is shown another history."""

    @classmethod
    def of(cls, look: Look, panels: Iterable[str]) -> Shared:
        """The options of a figure drawn in ``look`` with the panels named ``panels``: D's colours,
        and the modes numbered on the plane where a mode timeline names its rows by them."""
        return cls(cmap=look.cmap, d_range=look.d_range, number_modes="modes" in panels)


@dataclass
class Context:
    """What a panel is drawn from: its figure, the history and which member, the shared scales."""

    fig: Figure
    history: History
    member: int = 0
    shared: Shared = field(default_factory=Shared)


class Panel:
    """One view of a history on one axes; the figure lays the panels out and draws the frames.
    Every panel is a subclass, and this is the protocol they follow.

    A panel class says which histories it can draw (``dims``, ``check``) and how wide and tall it
    is (``width``, ``height``, relative to a square map). An instance draws its static parts once when it is
    made (``Panel(context, ax)``), lists its legend entries in ``handles``, and then moves its
    changing artists to snapshot i in ``update(i)``. ``animated()`` lists, in drawing order, the
    artists that change (or must be drawn above those that change); the figure redraws them on a
    cached background each frame (blitting).
    """

    name = ""
    """The panel's name in ``PANELS`` (and on the command line)."""
    title = ""
    dims: tuple[int, ...] = (2,)
    """The data dimensions it draws: the plane (2), a line (1), or both (scalars)."""
    width = 1.0
    """Its width beside a square map: 1.2 with a colour bar, 2 for a wide 1D picture."""
    height = 1.0
    """Its height in a stack of rows, relative to a square map: curves read at any shape and take
    less, so that a map above them is larger."""
    ensemble = False
    """Whether it shows every member of an ensemble at once (not one game)."""
    needs: frozenset[str] = frozenset()
    """What a live frame's snapshot must compute for it beyond G's samples, D's map and the mean
    D values (``Game.snapshot``'s ``needs``)."""

    def __init__(self, context: Context, ax: Axes) -> None:
        """Keep what every panel draws from; a panel calls this first, then draws its parts."""
        self.ax, self.history, self.member, self.shared = ax, context.history, context.member, context.shared
        self.handles: list = []

    @classmethod
    def check(cls, history: History) -> None:
        """A ToyganError unless this panel can draw ``history`` (beyond its dimension)."""

    @classmethod
    def agree(cls, runs: list[tuple[History, int]], shared: Shared) -> None:
        """Set in ``shared`` the scales that the columns of a comparison, each a (history,
        member), must share to compare; nothing by default."""

    def animated(self) -> list:
        """The artists that change, in drawing order."""
        raise NotImplementedError

    def update(self, i: int) -> None:
        """Move the changing artists to snapshot ``i``."""
        raise NotImplementedError

    def rebind(self, history: History) -> None:
        """Draw another history of the same run with the same settings (the live view's growing
        one) from the next ``update`` on; panels that derive arrays from the history derive them
        again here."""
        self.history = history

    def outgrown(self, history: History) -> bool:
        """Whether ``history`` no longer fits the scales this panel was laid out with (a live
        figure is then laid out again)."""
        return False

    def laid_out(self, renderer) -> None:
        """Called once the figure is laid out, before it is drawn: place what depends on the
        panel's final size; nothing by default."""


def recorded(history: History, name: str, panel: str) -> np.ndarray:
    """The history's optional recording ``name``, or a ToyganError saying that the panel needs it."""
    array = getattr(history, name)
    if array is None:
        raise ToyganError(f"panel {panel!r}: this history has no {name!r} recording (it was saved "
                          "by an older toygan, history format 1); train the run again")
    return array


def losses(history: History) -> str:
    """The run's objective for a message: ``train.loss = 'hinge'``, or each, if it changed mid-run."""
    return f"train.loss = {', then '.join(repr(name) for name in history.losses)}"


def needs_probability(history: History, panel: str) -> None:
    """A ToyganError unless D's recorded outputs are probabilities of single points."""
    if history.critic:
        raise ToyganError(f"panel {panel!r}: D* and ½ are defined for a discriminator that outputs a "
                          f"probability; {losses(history)} trains a critic")
    pack = history.config.train.pack
    if pack > 1:
        raise ToyganError(f"panel {panel!r}: with train.pack = {pack} D judges packs of {pack} "
                          "samples, whose optimum is not D* of single points")


def needs_modes(history: History, panel: str) -> None:
    if history.mode_counts is None or history.mode_counts.shape[-1] == 0:
        raise ToyganError(f"panel {panel!r}: target {history.config.data.name!r} has no modes to "
                          "count (mode metrics need a Gaussian mixture: ring, grid, mixture)")


def row_heights(rows: Sequence[Sequence[type[Panel]]]) -> list[float]:
    """The relative heights of rows of panel classes stacked in a frame: each row as tall as its
    tallest panel needs."""
    return [max((cls.height for cls in row), default=1.0) for row in rows]


def square(ax: Axes, window: tuple[float, float, float, float]) -> None:
    """Axes over the window, one unit as long on both."""
    ax.set_xlim(window[0], window[1])
    ax.set_ylim(window[2], window[3])
    ax.set_aspect("equal")
    ax.tick_params(labelsize=8)


def run_length(history: History) -> int:
    """The last step of a panel over training: the run's planned steps, or more if it ran on."""
    return max(int(history.config.train.steps), int(history.steps[-1]), 1)


def steps_axis(ax: Axes, history: History, i: int = -1) -> list:
    """The x axis of a panel over training: from 0 to the run's last step, named for what a step
    is at snapshot ``i`` (``step_label``). Returns what a frame must rename (``rename_steps``): the
    axis's label where the run froze or freed G, else nothing."""
    ax.set_xlim(0, run_length(history))
    ax.set_xlabel(step_label(history, i), fontsize=9)
    named = {step_label(history, j) for j in changes_at(history, "train.generator")}
    return [ax.xaxis.label] if len(named) > 1 else []


def rename_steps(labels: list, history: History, i: int) -> None:
    """Name the step axes ``labels`` (``steps_axis``'s) for snapshot ``i``."""
    for label in labels:
        label.set_text(step_label(history, i))


def step_label(history: History, i: int = -1) -> str:
    """What a step is at snapshot ``i``: a generator step, or, while G does not train, a training
    step of D alone."""
    trained = history.config_at(i).train.generator_mode.trained
    return "generator step" if trained else "training step (D alone)"


def changes_at(history: History, key: str) -> list[int]:
    """The snapshots at which setting ``key`` (``train.loss``, say) takes a new value, the first
    included: one entry for a setting that never changed."""
    steps = sorted({int(e["step"]) for e in history.events if e["key"] == key})
    at = [0] + [int(np.searchsorted(history.steps, s)) for s in steps]
    return sorted({i for i in at if i < history.n_snapshots})


_GENERATORS = {  # train.generator → (the game in a figure's title, the fake samples in a legend)
    "trained": ("{loss} GAN", "G(z), fixed z"),
    "frozen": ("{loss} GAN, G frozen", "G(z), fixed z (G frozen)"),
    "target": ("D alone against a fixed p_g", "samples of the fixed p_g"),
}


def game_changes(history: History) -> list[int]:
    """The snapshots at which the game's name may change (its loss, or G's part), the first included."""
    return sorted({*changes_at(history, "train.loss"), *changes_at(history, "train.generator")})


def games_played(history: History) -> list[str]:
    """The games a run played, in turn (``game_label`` at each ``game_changes``): one for a run
    that never changed them."""
    return list(dict.fromkeys(game_label(history, i) for i in game_changes(history)))


def game_label(history: History, i: int = -1) -> str:
    """The game at snapshot ``i`` as a figure's title names it: ``non-saturating GAN``, ``D alone
    against ...`` (the loss and G's part in force then)."""
    train = history.config_at(i).train
    return _GENERATORS[train.generator][0].format(loss=train.loss)


def samples_label(history: History) -> str:
    """What the fake samples are, for a legend."""
    return _GENERATORS[history.config.train.generator][1]
