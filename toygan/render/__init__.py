"""Rendering: panels, the animation figure and writers. Reads a ``History``; never trains."""

from toygan.render.animation import FORMATS, Animation, frame_indices, render
from toygan.render.panels import PANELS

__all__ = ["Animation", "FORMATS", "PANELS", "frame_indices", "render"]
