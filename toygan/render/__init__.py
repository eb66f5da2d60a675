"""Rendering: panels, the animation figure and writers. Reads a ``History``; never trains."""

import matplotlib

matplotlib.use("Agg")  # files only; never needs a screen (set before any pyplot import below)

# ruff: noqa: E402

from toygan.render.animation import FORMATS, Animation, frame_indices, player, render, write_frames
from toygan.render.dirac import DiracAnimation, DiracRun, render_dirac
from toygan.render.panels import PANELS

__all__ = ["Animation", "DiracAnimation", "DiracRun", "FORMATS", "PANELS", "frame_indices", "player",
           "render", "render_dirac", "write_frames"]
