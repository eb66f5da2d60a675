"""Panels of recorded scalars against the step: D's outputs on real and generated points, its
distance to D* and to ½, the losses, the JSD and the value of the game; with the mid-run changes of
settings marked where they took effect."""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import LogLocator

from toygan.errors import ToyganError
from toygan.history import History
from toygan.objectives import OBJECTIVES
from toygan.render.panels.base import Context, Panel, losses, needs_probability, rename_steps, steps_axis
from toygan.render.style import D_STAR_GAP_COLOUR, FAKE, JSD_COLOUR, REAL, VALUE_COLOUR, ink

__all__ = ["CurvesPanel", "ConvergencePanel", "OptimalityPanel", "LossesPanel", "JSDPanel", "ValuePanel",
           "event_label", "event_marks"]


class CurvesPanel(Panel):
    """Recorded scalars against the step, drawn up to the current snapshot, with a cursor there.

    Subclasses list ``curves(history)``: (scalar name, colour, label) for each line.
    """

    ylabel = ""
    dims = (1, 2)
    height = 0.6
    log = False
    """A log y axis (``ylim`` then gives positive limits; values at or below 0 are drawn at the
    lower one)."""

    def curves(self, history: History) -> list[tuple[str, str, str]]:
        raise NotImplementedError

    def values(self, key: str) -> np.ndarray:
        """The line ``key`` of ``curves``, ``(T, E)``: a recorded scalar unless a panel derives it."""
        return self.history.scalars[key]

    def ylim(self, history: History, member: int) -> tuple[float, float]:
        return 0.0, 1.0

    def __init__(self, context: Context, ax: Axes) -> None:
        history, member = context.history, context.member
        super().__init__(context, ax)
        self.step_names = steps_axis(ax, history)
        if self.log:
            ax.set_yscale("log")
            # every decade numbered, however short the axes: "below 0.01" must be readable
            ax.yaxis.set_major_locator(LogLocator(base=10, numticks=12))
        ax.set_ylim(*self.ylim(history, member))
        self.lines = []
        for key, colour, label in self.curves(history):
            (line,) = ax.plot([], [], c=colour, lw=1.5, label=label)
            self.lines.append((key, line))
        self.cursor = ax.axvline(0, c=ink(0.5), lw=0.8)
        self.events = event_marks(ax, history)
        ax.set_ylabel(self.ylabel, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.set_title(self.title, fontsize=10)
        self.handles = [line for _, line in self.lines]

    def outgrown(self, history: History) -> bool:
        low, high = self.ax.get_ylim()
        new_low, new_high = self.ylim(history, self.member)
        if self.log:
            return new_low < low / 1.05 or new_high > high * 1.05
        slack = 0.02 * (high - low)  # by the panel's own rule, so a spike it ignores is no reason
        return new_low < low - slack or new_high > high + slack

    def curve_lines(self) -> list:
        """The lines of the run's values (not the reference lines): an overlay styles them per run."""
        return [line for _, line in self.lines]

    def laid_out(self, renderer) -> None:
        place_event_labels(self.ax, self.events, renderer)

    def drop_events(self) -> None:
        """Remove the marks of mid-run changes (an overlay keeps one set of marks they share)."""
        for _, pair in self.events:
            for artist in pair:
                artist.remove()
        self.events = []

    def rebind(self, history: History) -> None:
        if history.events != self.history.events:  # settings changed since: mark them
            self.drop_events()
            self.events = event_marks(self.ax, history)
            place_event_labels(self.ax, self.events, self.ax.figure.figure.canvas.get_renderer())
            for _, pair in self.events:
                for artist in pair:
                    artist.set_animated(True)
        self.history = history

    def animated(self) -> list:
        marks = [artist for _, pair in self.events for artist in pair]
        return [line for _, line in self.lines] + marks + [self.cursor] + self.step_names

    def update(self, i: int) -> None:
        steps = self.history.steps[: i + 1]
        for key, line in self.lines:
            values = self.values(key)[: i + 1, self.member]
            if self.log:  # 0 (D exactly at ½, say) has no place on a log axis: at its floor
                values = np.maximum(values, self.ax.get_ylim()[0])
            line.set_data(steps, values)
        self.cursor.set_xdata([steps[-1], steps[-1]])
        rename_steps(self.step_names, self.history, i)
        for step, pair in self.events:  # a change shows once the frame has reached it
            for artist in pair:
                artist.set_visible(step <= steps[-1])


def event_label(events: list[dict]) -> str:
    """Changes made at one step as one short label: ``lr_d 0.001→0.0001, loss hinge``."""
    def short(v) -> str:
        return f"{v:g}" if isinstance(v, float) else str(v)

    return ", ".join(f"{e['key'].split('.')[-1]} {short(e['old'])}→{short(e['new'])}" for e in events)


def event_marks(ax: Axes, history: History) -> list[tuple[int, tuple]]:
    """A labelled vertical line at each step where settings changed mid-run (``history.events``),
    hidden until a frame reaches it; returns (step, (line, label)) pairs. The labels run upward
    just right of their lines, kept inside the axes; ``place_event_labels`` moves those that would
    touch apart once the figure is laid out."""
    by_step: dict[int, list[dict]] = {}
    for event in history.events:
        if event["key"] != "train.steps":  # running longer is not a change of the game
            by_step.setdefault(int(event["step"]), []).append(event)
    marks = []
    for step, events in sorted(by_step.items()):
        line = ax.axvline(step, c=ink(0.8), lw=1.0, ls="--", visible=False)
        text = ax.text(step, 0.98, f"{event_label(events)} ", transform=ax.get_xaxis_transform(),
                       fontsize=7, va="top", ha="left", color=ink(0.9), rotation=90, visible=False,
                       clip_on=True, bbox={"facecolor": matplotlib.rcParams["axes.facecolor"],
                                           "alpha": 0.8, "edgecolor": "none", "pad": 1.0})
        marks.append((step, (line, text)))
    return marks


def place_event_labels(ax: Axes, marks: list[tuple[int, tuple]], renderer) -> None:
    """Once the figure is laid out: each label of ``marks`` just right of its line, or right of
    the label before it where they would touch; one that would leave the axes on the right goes
    left of its line (clipped to the axes either way)."""
    box = ax.get_window_extent(renderer)
    to_data = ax.transData.inverted()
    right = -np.inf  # the right edge of the last label placed, in pixels
    for step, (_, text) in marks:
        x = ax.transData.transform((step, 0))[0]
        shown = text.get_visible()
        text.set_visible(True)  # (a hidden text measures nothing)
        width = text.get_window_extent(renderer).width + 2
        text.set_visible(shown)
        at = max(x, right + 1)
        if at + width > box.x1 and x - width >= max(right + 1, box.x0):  # no room right: left of it
            text.set_horizontalalignment("right")
            at = x
            right = x
        else:
            right = at + width
        text.set_x(to_data.transform((at, 0))[0])


class ConvergencePanel(CurvesPanel):
    """Mean D on real and on generated samples against the step, with ½ and a cursor. For a critic
    objective, whose values have no fixed scale or target, the gap between the mean critic values
    on real and generated samples instead (for a Wasserstein critic, its estimate of W₁)."""

    name = "convergence"
    title = "Convergence toward D = ½"
    ylabel = "mean D"

    def curves(self, history: History) -> list[tuple[str, str, str]]:
        if not self.probabilistic:
            gap = OBJECTIVES[history.config.train.loss].critic_gap
            estimate = f": {gap}" if gap else ""
            return [("gap", VALUE_COLOUR, f"mean f(real) − mean f(G(z)){estimate}")]
        fixed = not history.config.train.generator_mode.network
        fake = "mean D(p_g samples)" if fixed else "mean D(G(z))"
        return [("d_real", REAL, "mean D(real)"), ("d_fake", FAKE, fake)]

    def values(self, key: str) -> np.ndarray:
        return critic_gap(self.history) if key == "gap" else self.history.scalars[key]

    def ylim(self, history: History, member: int) -> tuple[float, float]:
        if self.probabilistic:
            return 0.0, 1.0
        gap = critic_gap(history)[:, member]
        gap = gap[np.isfinite(gap)]
        low, high = (min(0.0, float(gap.min())), max(0.0, float(gap.max()))) if gap.size else (0.0, 1.0)
        pad = 0.05 * (high - low) or 1.0
        return low - pad, high + pad

    def __init__(self, context: Context, ax: Axes) -> None:
        self.probabilistic = not context.history.critic
        if not self.probabilistic:
            self.title, self.ylabel = "Critic: real minus generated", "gap in f"
        super().__init__(context, ax)
        if self.probabilistic:
            # grey, so that curves that reach it stay visible on it
            half = ax.axhline(0.5, ls=":", c=ink(0.4), lw=1.2, label="½: the optimum when p_g = p_data")
            self.handles.append(half)
        else:
            zero = ax.axhline(0.0, ls=":", c=ink(0.4), lw=1.2, label="0: no gap, at p_g = p_data")
            self.handles.append(zero)


def critic_gap(history: History) -> np.ndarray:
    """Mean f(real) − mean f(G(z)) at each snapshot, ``(T, E)``: a Wasserstein critic's W₁ estimate."""
    return history.scalars["d_real"] - history.scalars["d_fake"]


class OptimalityPanel(CurvesPanel):
    """Mean |D − D*| and mean |D − ½| on the data and generator samples against the step: the
    discriminator's distance to its optimum, and to the equilibrium value ½."""

    name = "optimality"
    needs = frozenset({"optimum"})
    title = "|D − D*| and |D − ½|"

    @classmethod
    def check(cls, history: History) -> None:
        needs_probability(history, cls.name)

    def curves(self, history: History) -> list[tuple[str, str, str]]:
        exact = not history.config.train.generator_mode.network
        return [("d_star_gap", D_STAR_GAP_COLOUR, "mean |D − D*|" + ("" if exact else " (p_g by KDE)")),
                ("d_half_gap", ink(0.65), "mean |D − ½|")]

    log = True  # "below 0.01" must be readable beside a start near 0.5

    def ylim(self, history: History, member: int) -> tuple[float, float]:
        values = np.concatenate([history.scalars[k][:, member] for k in ("d_star_gap", "d_half_gap")])
        values = values[np.isfinite(values) & (values > 0)]
        smallest = float(values.min()) if values.size else 1e-3
        # whole decades from below the smallest value (at least 1e-4) to 1, the most either gap reaches
        return 10.0 ** np.floor(np.log10(max(smallest, 1e-4))), 1.0


class LossesPanel(CurvesPanel):
    """The training losses of D and G, each the mean over the steps since the previous snapshot."""

    name = "losses"
    title = "Training losses"
    ylabel = "loss"

    def curves(self, history: History) -> list[tuple[str, str, str]]:
        return [("loss_d", REAL, "D's loss"), ("loss_g", FAKE, "G's loss")]

    def ylim(self, history: History, member: int) -> tuple[float, float]:
        values = np.concatenate([history.scalars["loss_d"][:, member],
                                 history.scalars["loss_g"][:, member]])
        values = values[np.isfinite(values)]
        if values.size == 0:
            return 0.0, 1.0
        low, high = np.percentile(values, [1, 99])  # one early spike would flatten the rest
        pad = 0.08 * (high - low) or 0.5
        return float(low - pad), float(high + pad)


class JSDPanel(CurvesPanel):
    """JSD(p_data ‖ p_g) against the step, between 0 (p_g = p_data) and log 2 (disjoint supports).
    p_g is a KDE of the recorded generator samples (``toygan.theory.jsd_from_samples``)."""

    name = "jsd"
    needs = frozenset({"optimum"})
    title = "JSD(p_data ‖ p_g)"
    ylabel = "JSD (nats)"

    def curves(self, history: History) -> list[tuple[str, str, str]]:
        estimated = ", p_g by KDE" if history.config.train.generator_mode.network else ""
        return [("jsd", JSD_COLOUR, f"JSD(p_data ‖ p_g){estimated}")]

    def ylim(self, history: History, member: int) -> tuple[float, float]:
        return -0.02, 1.08 * np.log(2)

    def __init__(self, context: Context, ax: Axes) -> None:
        super().__init__(context, ax)
        ceiling = ax.axhline(np.log(2), ls=":", c=ink(0.4), lw=1.2, label="log 2: disjoint supports")
        self.handles.append(ceiling)


class ValuePanel(CurvesPanel):
    """The value V(D, G) = E log D(x) + E log(1 − D(G(z))) against the step, beside
    V(D*, G) = −log 4 + 2·JSD(p_data ‖ p_g) (Goodfellow et al. 2014, Theorem 1), which bounds it from
    above, and the game's value −log 4 at p_g = p_data."""

    name = "value"
    needs = frozenset({"optimum"})
    title = "Value of the game"
    ylabel = "value (nats)"

    @classmethod
    def check(cls, history: History) -> None:
        if not history.minimax_value:
            raise ToyganError(f"panel 'value': {losses(history)} has no V(D, G) of Eq. 1 throughout; "
                              "it needs an objective whose D loss is −V, such as 'saturating' or "
                              "'non-saturating' (try the 'jsd' panel)")

    def __init__(self, context: Context, ax: Axes) -> None:
        super().__init__(context, ax)
        (self.bound_line,) = ax.plot([], [], c=JSD_COLOUR, lw=1.5, ls="--",
                                     label="V(D*, G) = −log 4 + 2·JSD")
        floor = ax.axhline(-np.log(4), ls=":", c=ink(0.7), lw=1, label="−log 4: value at p_g = p_data")
        self.handles += [self.bound_line, floor]

    @property
    def bound(self) -> np.ndarray:
        return -np.log(4) + 2 * self.history.scalars["jsd"][:, self.member]

    def curves(self, history: History) -> list[tuple[str, str, str]]:
        return [("value", VALUE_COLOUR, "V(D, G) = E log D(x) + E log(1 − D(G(z)))")]

    def ylim(self, history: History, member: int) -> tuple[float, float]:
        values = history.scalars["value"][:, member]
        finite = values[np.isfinite(values)]
        # a near-perfect D early on sends V far down; the 2nd percentile keeps the scale readable
        low = min(float(np.percentile(finite, 2)) if finite.size else -2.0, -np.log(4)) - 0.1
        return low, 0.05

    def curve_lines(self) -> list:
        return [*super().curve_lines(), self.bound_line]  # V's colour tells V from its bound

    def animated(self) -> list:
        return [*super().animated(), self.bound_line]

    def update(self, i: int) -> None:
        super().update(i)
        self.bound_line.set_data(self.history.steps[: i + 1], self.bound[: i + 1])
