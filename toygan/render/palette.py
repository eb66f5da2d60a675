"""One shared palette for all frames of an animation (GIF and the HTML player)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

__all__ = ["quantize"]


def quantize(frames: Sequence[np.ndarray], colors: int = 255) -> list[Image.Image]:
    """The frames as palette images sharing one ``colors``-colour palette, without dithering.

    One palette for all frames keeps colours steady between frames and is ~7× faster and half the
    size of a palette per frame (MACHINE_FACTS: 0.8 s / 10.5 MB against 5.5 s / 20.9 MB).
    """
    # the palette comes from 8 frames spread over the run; octree keeps the colormap's gradients
    # (mean error 1.2 of 255 per channel on the demo, against 2.7 for median cut, which bands them)
    picks = [frames[i] for i in np.unique(np.linspace(0, len(frames) - 1, 8).astype(int))]
    palette = Image.fromarray(np.concatenate(picks, axis=0)).quantize(
        colors=colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    return [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
