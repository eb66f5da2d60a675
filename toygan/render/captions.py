"""Captions: a line of text under the panels that tells the story step by step ("D tilts toward
the data", "G follows D's slope"), drawn into the frames and shown by the player.

Captions are a mapping step → text; a caption shows from its step until the next one's (none
before the first).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping

from toygan.errors import ToyganError
from toygan.render.figure import DoesNotFit
from toygan.validate import integer, shown

__all__ = ["Captions", "check_captions", "caption_at", "check_shown", "step_caption", "parse_captions",
           "CaptionBand", "MAX_CHARS"]

Captions = Mapping[int, str]
MAX_CHARS = 160
"""The longest caption: about two lines on a slide; a longer story belongs in the notes."""


def check_captions(captions: Mapping | None, where: str = "captions") -> dict[int, str]:
    """``captions`` as a dict of whole steps ≥ 0 → non-empty texts of at most ``MAX_CHARS``,
    sorted by step; TOML's keys ("200") are taken as steps.

    Raises:
        ToyganError: naming the step or text that is not allowed.
    """
    if captions is None:
        return {}
    if not isinstance(captions, Mapping):
        raise ToyganError(f"{where}: give a table of step = \"text\", such as {{0 = \"D tilts\"}}")
    checked: dict[int, str] = {}
    for key, text in captions.items():
        if isinstance(key, bool) or not (isinstance(key, int) or re.fullmatch(r"[0-9]+(_[0-9]+)*", str(key))):
            raise ToyganError(f"{where}: {key!r} is not a step; keys are whole training steps")
        step = key if isinstance(key, int) else int(key.replace("_", ""))
        integer(f"{where}: step", step, 0)
        if step in checked:
            raise ToyganError(f"{where}: step {step} has two captions; give each step one")
        if not isinstance(text, str) or not text.strip():
            raise ToyganError(f"{where}: step {step}: the caption must be non-empty text")
        if len(text) > MAX_CHARS:
            raise ToyganError(f"{where}: step {step}: the caption has {len(text)} characters; at "
                              f"most {MAX_CHARS} read in a frame")
        text = " ".join(text.split())
        if not text.isprintable():  # a terminal's escapes or a bell: nothing a frame can show
            raise ToyganError(f"{where}: step {step}: the caption {shown(text)} holds control "
                              "characters; give printable text")
        checked[step] = text
    return dict(sorted(checked.items()))


def check_shown(captions: Mapping[int, str], last: int, where: str = "caption",
                reach: str = "the run was recorded up to step") -> None:
    """A ToyganError for a caption after ``last``, the last step recorded (or trained): it would
    never show. ``where`` and ``reach`` word the message."""
    late = [step for step in captions if step > last]
    if late:
        raise ToyganError(f"{where} at step {late[0]}: {reach} {last:,}, so it would never show")


def caption_at(captions: Mapping[int, str], step: int) -> str:
    """The caption showing at ``step``: the last one whose step is ≤ ``step``, else ``""``."""
    passed = [text for at, text in captions.items() if at <= step]
    return passed[-1] if passed else ""


def step_caption(step: int, captions: Mapping[int, str]) -> str:
    """What the HTML player shows beside its slider: the step, and the caption showing then."""
    text = caption_at(captions, step)
    return f"step {step:,}" + (f" · {text}" if text else "")


def parse_captions(items: list[str] | None) -> dict[int, str]:
    """``--caption STEP:TEXT`` options (repeated) as captions.

    Raises:
        ToyganError: for an item without a step, or a bad step or text.
    """
    captions = {}
    for item in items or []:
        step, sep, text = item.partition(":")
        if not sep:
            raise ToyganError(f"--caption {item!r}: give STEP:TEXT, such as '200:G follows D'")
        if step.strip() in captions:
            raise ToyganError(f"--caption {item!r}: step {step.strip()} has two captions; give each "
                              "step one")
        captions[step.strip()] = text
    return check_captions(captions, "--caption")


class CaptionBand:
    """The caption line of a figure, under its title: while the layout runs, the tallest caption
    is a second line of the title (so the layout leaves room for it); ``place`` then gives it a
    text of its own there, changed per frame. Captions are wrapped to the frame's width."""

    def __init__(self, fig, captions: Mapping[int, str], fontsize: float = 11) -> None:
        self.captions = dict(captions)
        self.fig = fig
        chars = max(20, int(0.95 * fig.bbox.width / (0.55 * fontsize * fig.dpi / 72)))  # a glyph
        self.wrapped = {step: textwrap.fill(text, chars) for step, text in self.captions.items()}
        self.tallest = max(self.wrapped.values(), key=lambda t: (t.count("\n"), len(t)), default="")
        self.fontsize = fontsize
        self.text = None

    def __bool__(self) -> bool:
        return bool(self.wrapped)

    def under(self, title: str) -> str:
        """``title`` with room for the captions: the text the title is laid out with."""
        return f"{title}\n{self.tallest}" if self else title

    def place(self, top: float) -> None:
        """Give the captions their own text, centred, its top at ``top`` (a fraction of the
        figure's height: where the title's first line ended).

        Raises:
            DoesNotFit: when a caption is wider than the frame.
        """
        if not self:
            return
        self.text = self.fig.text(0.5, top, "", fontsize=self.fontsize, ha="center", va="top")
        renderer = self.fig.canvas.get_renderer()
        for text in self.wrapped.values():
            self.text.set_text(text)
            box = self.text.get_window_extent(renderer)
            if box.x0 < 0 or box.x1 > self.fig.bbox.width:
                raise DoesNotFit(f"the caption {text!r} does not fit the frame's width: shorten it "
                                 "or widen the frame")

    def animated(self) -> list:
        return [self.text] if self.text is not None else []

    def show(self, step: int) -> None:
        """Set the caption of ``step``."""
        if self.text is not None:
            self.text.set_text(caption_at(self.wrapped, step))
