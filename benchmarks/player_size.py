"""The notebook player's size: a cell that ends in a history shows ``player(history)``, whose
frames are stored as lossless WebP changes over a shared palette (``toygan.render.html``). The
plain reference, in the same run: the same quantised frames as one PNG each (toygan 0.2.0's
player). Prints the cell's size in MB for each, the ratio, and the time to build the player.

The history is the default run's (``toygan.train()``: 3,000 steps, the ring), trained here
(about 12 s) unless ``--history`` gives one.

    python benchmarks/player_size.py [--history RUN/history.npz]
"""

from __future__ import annotations

import argparse
import base64
import io
import time

from toygan import History, train
from toygan.render import Animation
from toygan.render.palette import quantize
from toygan.render.timing import schedule


def png_cell_bytes(history: History) -> int:
    """Base64 PNG data URLs of the player's distinct frames, quantised alike: the frames alone."""
    animation = Animation(history, None, width=720)
    try:
        indices = sorted(set(schedule(history, 60, "even", fps=12, member=0)))
        frames = [animation.frame(i).copy() for i in indices]
    finally:
        animation.close()
    total = 0
    for image in quantize(frames):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=9)
        total += len(base64.b64encode(buffer.getvalue()))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", help="a saved history (default: train the default run here)")
    args = parser.parse_args()
    history = History.load(args.history) if args.history else train(progress=False)
    start = time.perf_counter()
    cell = len(history._repr_html_().encode())
    seconds = time.perf_counter() - start
    reference = png_cell_bytes(history)
    print(f"default run, {history.n_snapshots} snapshots, 60 frames at 720 px")
    print(f"one PNG per frame (frames alone): {reference / 1e6:.2f} MB")
    print(f"toygan's player (the whole cell): {cell / 1e6:.2f} MB, built in {seconds:.1f} s")
    print(f"ratio: {reference / cell:.2f}x smaller")


if __name__ == "__main__":
    main()
