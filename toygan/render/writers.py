"""Writers: RGB frames ``(H, W, 3)`` uint8 → GIF, MP4, a PNG filmstrip or the HTML player
(``html.py``), each written atomically; ``FORMATS`` maps each format's name to its writer."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import imageio.v2 as imageio
import matplotlib
import numpy as np

from toygan.atomic import atomic_path
from toygan.errors import ToyganError
from toygan.render.html import write_html
from toygan.render.palette import quantize
from toygan.render.timing import END_SECONDS, START_SECONDS

__all__ = ["FORMATS", "STILL_FORMATS", "Format", "output_format", "write_gif", "write_mp4",
           "write_filmstrip", "write_still"]


def write_gif(frames: Sequence[np.ndarray], path: Path, fps: float, hold_last: float = END_SECONDS,
              hold_first: float = START_SECONDS) -> None:
    """An endlessly looping GIF with one shared palette (``toygan.render.palette``).

    Pillow is used directly because imageio's GIF writer quantises each frame on its own. The last
    frame is held ``hold_last`` seconds so the end state can be read before the loop restarts, and
    the first ``hold_first`` seconds so the start can be seen after it.
    """
    images = quantize(frames)
    # a GIF keeps each frame's time in hundredths of a second: 12 fps as 80 ms a frame would play
    # 4 % fast, so the frames end on the hundredth nearest their true time (80, 90, 80, ... ms)
    ends = np.round(np.arange(1, len(images) + 1) * 100 / fps).astype(int) * 10
    durations = np.diff(ends, prepend=0).tolist()
    durations[0] = max(durations[0], round(1000 * hold_first))
    durations[-1] = max(durations[-1], round(1000 * hold_last))
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                       duration=durations, loop=0)


def write_mp4(frames: Iterable[np.ndarray], path: Path, fps: float) -> None:
    """H.264 MP4 through imageio-ffmpeg (its bundled ffmpeg). Frame sides should be multiples of 8
    (1080 is not one of 16); other sizes are resized by imageio to the next multiple."""
    with atomic_path(path) as tmp:
        writer = imageio.get_writer(tmp, format="FFMPEG", fps=fps, codec="libx264", quality=8,
                                    pixelformat="yuv420p", macro_block_size=8,
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


@dataclass(frozen=True)
class Format:
    """An output format: ``write(frames, path, fps, captions, title)``, and whether it shows a few
    stills (a filmstrip) rather than the animation."""

    write: Callable[[Iterable[np.ndarray], Path, float, list[str], str], None]
    stills: bool = False


def _gif(frames: Iterable[np.ndarray], path: Path, fps: float, captions: list[str], title: str) -> None:
    write_gif(list(frames), path, fps)


def _mp4(frames: Iterable[np.ndarray], path: Path, fps: float, captions: list[str], title: str) -> None:
    write_mp4(frames, path, fps)  # frame by frame: a long video never sits in memory


def _png(frames: Iterable[np.ndarray], path: Path, fps: float, captions: list[str], title: str) -> None:
    write_filmstrip(list(frames), path)


def _html(frames: Iterable[np.ndarray], path: Path, fps: float, captions: list[str], title: str) -> None:
    write_html(list(frames), path, fps, captions, title=title)


FORMATS: dict[str, Format] = {"gif": Format(_gif), "mp4": Format(_mp4), "png": Format(_png, stills=True),
                              "html": Format(_html)}
"""Name (the output file's suffix) → format."""

STILL_FORMATS: dict[str, dict] = {"pdf": {"CreationDate": None}, "svg": {"Date": None}, "png": {}}
"""Suffix → the metadata a still figure is saved with (``toygan figure``): PDF and SVG are vector
files; their creation date is left out so the same figure gives the same bytes."""


def write_still(fig, path: Path, fmt: str) -> None:
    """A matplotlib figure as a PDF, SVG or PNG file, atomically, at the figure's own dpi."""
    # SVG element ids are random unless salted
    with atomic_path(path) as tmp, matplotlib.rc_context({"svg.hashsalt": "toygan"}):
        fig.savefig(tmp, format=fmt, dpi=fig.dpi, metadata=STILL_FORMATS[fmt])


def output_format(path: Path, format: str | None, formats: Sequence[str], elsewhere: str = "") -> str:
    """The format of an output file: its suffix, which must be one of ``formats``; ``format``,
    if given, must agree with it. ``elsewhere`` is appended to a refusal (where another format is
    written). So no command writes, say, GIF bytes under a name that claims another format, or over
    a run's own ``history.npz``.

    Raises:
        ToyganError: for a folder, a missing or unknown suffix, or a format that disagrees.
    """
    if path.is_dir():
        raise ToyganError(f"output {str(path)!r} is a folder; name a file in it, such as "
                          f"{str(path / ('animation.' + formats[0]))!r}")
    if format is not None and (not isinstance(format, str) or format.lower() not in formats):
        raise ToyganError(f"format = {format!r}: choose one of {list(formats)}{elsewhere}")
    suffix = path.suffix.lstrip(".").lower()
    if not suffix:
        example = path.with_name(f"{path.name}.{format or formats[0]}")
        raise ToyganError(f"output {str(path)!r} has no suffix; its suffix gives the format: name it "
                          f"{str(example)!r} (one of {', '.join('.' + f for f in formats)})")
    if suffix not in formats:
        raise ToyganError(f"output {str(path)!r}: .{suffix} is not a format written here; end the "
                          f"name in one of {', '.join('.' + f for f in formats)}{elsewhere}")
    if format is not None and format.lower() != suffix:
        raise ToyganError(f"format = {format!r} but the output {str(path)!r} ends in .{suffix}; "
                          "give one of them, or make them agree")
    return suffix
