"""Rendering: panels, the animation figure and writers. Reads a ``History``; never trains."""

import matplotlib

matplotlib.use("Agg")  # files only; never needs a screen (set before any pyplot import below)

# ruff: noqa: E402

from toygan.render.animation import FORMATS, Animation, frame_indices, player, render, write_frames
from toygan.render.compare import Column, Comparison, compare, seeds
from toygan.render.dirac import DiracAnimation, DiracRun, render_dirac
from toygan.render.figure import Look
from toygan.render.panels import PANELS

__all__ = ["Animation", "Column", "Comparison", "DiracAnimation", "DiracRun", "FORMATS", "Look", "PANELS",
           "compare", "frame_indices", "player", "render", "render_dirac", "seeds", "write_frames"]
