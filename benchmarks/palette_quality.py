"""GIF palettes: toygan's one shared palette (``toygan.render.palette.quantize``: the 96 most
frequent colours exactly, octree for the rest) against two plain references on the same frames,
in this one process: one median-cut palette shared by all frames, and Pillow's own palette per
frame (what writing each frame on its own gives). Prints the mean error per channel (of 255),
the time to quantise and the GIF's size.

The frames are the demo's: ``toygan demo``'s animation (the ring preset, 120 frames at 960 px),
from a history given with ``--history`` or trained here (``toygan demo --out DIR`` writes one).

    python benchmarks/palette_quality.py [--history RUN/history.npz]
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
from PIL import Image

from toygan import History, train
from toygan.presets import preset_config
from toygan.render import Animation, frame_indices
from toygan.render.palette import quantize


def shared_median_cut(frames: list[np.ndarray]) -> list[Image.Image]:
    picks = [frames[i] for i in np.unique(np.linspace(0, len(frames) - 1, 8).astype(int))]
    sheet = Image.fromarray(np.concatenate(picks, axis=0))
    palette = sheet.quantize(colors=255, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    return [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]


def per_frame(frames: list[np.ndarray]) -> list[Image.Image]:
    return [Image.fromarray(f).quantize(colors=255, dither=Image.Dither.NONE) for f in frames]


def gif_bytes(images: list[Image.Image]) -> int:
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=83, loop=0)
    return buffer.tell()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", help="a history.npz (default: train the demo here)")
    args = parser.parse_args()
    history = History.load(args.history) if args.history else train(preset_config("ring"), progress=False)
    animation = Animation(history, width=960)
    frames = [animation.frame(int(i)) for i in frame_indices(history.n_snapshots, 120)]
    animation.close()
    print(f"{len(frames)} frames of {frames[0].shape[1]} × {frames[0].shape[0]} px")
    print(f"{'palette':<40}{'mean error':>12}{'seconds':>10}{'GIF MB':>9}")
    for name, method in (("toygan: shared, 96 exact + octree", quantize),
                         ("shared median cut (reference)", shared_median_cut),
                         ("one palette per frame (reference)", per_frame)):
        start = time.perf_counter()
        images = method(frames)
        seconds = time.perf_counter() - start
        error = np.mean([np.abs(np.asarray(im.convert("RGB"), float) - f).mean()
                         for im, f in zip(images, frames, strict=True)])
        print(f"{name:<40}{error:>12.2f}{seconds:>10.2f}{gif_bytes(images) / 1e6:>9.2f}")


if __name__ == "__main__":
    main()
