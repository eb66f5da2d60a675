"""Writers: RGB frames ``(H, W, 3)`` uint8 → GIF, MP4 or a PNG filmstrip, each written atomically."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
from PIL import Image

from toygan.atomic import atomic_path

__all__ = ["write_gif", "write_mp4", "write_filmstrip"]


def write_gif(frames: Sequence[np.ndarray], path: Path, fps: float, hold_last: float = 1.5) -> None:
    """An endlessly looping GIF with one shared 255-colour palette and no dithering.

    One palette for all frames keeps colours steady between frames and is ~7× faster and half the
    size of a palette per frame (MACHINE_FACTS: 0.8 s / 10.5 MB against 5.5 s / 20.9 MB). Pillow is
    used directly because imageio's GIF writer quantises each frame on its own. The last frame is held
    ``hold_last`` seconds so the end state can be read before the loop restarts.
    """
    # the palette comes from 8 frames spread over the run; octree keeps the colormap's gradients
    # (mean error 1.2 of 255 per channel on the demo, against 2.7 for median cut, which bands them)
    picks = [frames[i] for i in np.unique(np.linspace(0, len(frames) - 1, 8).astype(int))]
    palette = Image.fromarray(np.concatenate(picks, axis=0)).quantize(
        colors=255, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    durations = [round(1000 / fps)] * len(images)
    durations[-1] = max(durations[-1], round(1000 * hold_last))
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                       duration=durations, loop=0)


def write_mp4(frames: Iterable[np.ndarray], path: Path, fps: float) -> None:
    """H.264 MP4 through imageio-ffmpeg (its bundled ffmpeg). Frame sides should be multiples of 16;
    other sizes are padded by ffmpeg's macro-block rounding."""
    with atomic_path(path) as tmp:
        writer = imageio.get_writer(tmp, format="FFMPEG", fps=fps, codec="libx264", quality=8,
                                    pixelformat="yuv420p", macro_block_size=16,
                                    ffmpeg_log_level="error")
        try:
            for frame in frames:
                writer.append_data(frame)
        finally:
            writer.close()


def write_filmstrip(frames: Sequence[np.ndarray], path: Path, columns: int = 2, gap: int = 8) -> None:
    """One PNG with the frames tiled row by row, ``columns`` across, white gaps between."""
    h, w, _ = frames[0].shape
    rows = -(-len(frames) // columns)
    sheet = np.full((rows * h + (rows - 1) * gap, columns * w + (columns - 1) * gap, 3), 255,
                    dtype=np.uint8)
    for i, frame in enumerate(frames):
        r, c = divmod(i, columns)
        sheet[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = frame
    with atomic_path(path) as tmp:
        imageio.imwrite(tmp, sheet, format="PNG")
