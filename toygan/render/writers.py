"""Writers: RGB frames ``(H, W, 3)`` uint8 → GIF, MP4 or a PNG filmstrip, each written atomically
(the HTML player: ``html.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import imageio.v2 as imageio
import numpy as np

from toygan.atomic import atomic_path
from toygan.render.palette import quantize

__all__ = ["write_gif", "write_mp4", "write_filmstrip"]


def write_gif(frames: Sequence[np.ndarray], path: Path, fps: float, hold_last: float = 1.5) -> None:
    """An endlessly looping GIF with one shared palette (``toygan.render.palette``).

    Pillow is used directly because imageio's GIF writer quantises each frame on its own. The last
    frame is held ``hold_last`` seconds so the end state can be read before the loop restarts.
    """
    images = quantize(frames)
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
