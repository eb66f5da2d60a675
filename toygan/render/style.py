"""Colours and styles: one code for every drawing module.

Blue is the data ("real"), orange the generator ("fake"). The discriminator's map uses the same
code, blue where D says real (D → 1), red where D says fake (D → 0). Lines and marks that are
neither are drawn in the style's ink (``ink``), so that they read on a light and a dark background.
"""

from __future__ import annotations

import matplotlib
from matplotlib import patheffects
from matplotlib.colors import to_rgba

__all__ = ["REAL", "FAKE", "JSD_COLOUR", "VALUE_COLOUR", "D_STAR_GAP_COLOUR", "MODE_COLOUR", "BAR_COLOUR",
           "NO_MASS", "DENSITY_FILLS", "DENSITY_KEY", "D_CMAP", "GAP_CMAP", "MODES_CMAP", "STYLES", "ink",
           "map_marks"]

REAL = "#1f77b4"
FAKE = "#ff7f0e"
JSD_COLOUR = "#7570b3"  # purple: apart from the real (blue) and generated (orange) colours
VALUE_COLOUR = "#1b9e77"
D_STAR_GAP_COLOUR = "#7b3294"
MODE_COLOUR = "#41ab5d"  # the legend's key of the mode timeline, a mid green of MODES_CMAP
BAR_COLOUR = "#636363"
NO_MASS = "#d9d9d9"  # where D* is undefined: neither density has mass
DENSITY_FILLS = ("#c6dbef", "#6baed6", "#2171b5")  # the data density within 3σ, 2σ, 1σ
DENSITY_KEY = "#6baed6"
D_CMAP = "RdBu"  # diverging, white at ½: red = "fake" (D → 0), blue = "real" (D → 1)
GAP_CMAP = "magma_r"
MODES_CMAP = "Greens"

STYLES = {"light": "default", "dark": "dark_background"}
"""toygan's style names → matplotlib style sheets."""


def map_marks() -> dict:
    """How lines and marks over a map of D are drawn: black, since the map is pale around ½ in
    either style, with a white edge in the dark style so that their legend keys read on black too."""
    effects = [patheffects.withStroke(linewidth=2.4, foreground="white")] if ink()[0] > 0.5 else []
    return {"color": "black", "path_effects": effects}


def ink(alpha: float = 1.0) -> tuple[float, float, float, float]:
    """The style's foreground colour (black when light, white when dark) at opacity ``alpha``:
    lines, arrows and marks drawn in it read on either background."""
    return to_rgba(matplotlib.rcParams["text.color"], alpha)
