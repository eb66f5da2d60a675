"""Rendering: panels, the animation figure and writers. Reads a ``History``; never trains."""

from toygan.render.animation import FORMATS, Animation, frame_indices, player, render, write_frames
from toygan.render.compare import Column, Comparison, compare, seeds
from toygan.render.dirac import DiracAnimation, DiracRun
from toygan.render.dynamics import render_dirac
from toygan.render.figure import Look
from toygan.render.panels import PANELS, Context, Panel, Shared
from toygan.render.still import still

__all__ = ["Animation", "Column", "Comparison", "Context", "DiracAnimation", "DiracRun", "FORMATS", "Look",
           "PANELS", "Panel", "Shared", "compare", "frame_indices", "player", "render", "render_dirac",
           "seeds", "still", "write_frames"]


def _show_history(history) -> str:
    """In a notebook a history shows as an animation player (``player``)."""
    return player(history)._repr_html_()


# the core's History knows nothing of drawing; rendering registers how a notebook shows one
from toygan.history import History  # noqa: E402

History._repr_html_ = _show_history
