"""Memory a save takes beyond the recording itself: a run with a large recording is saved, and the
peak of NumPy's allocations during the save (tracemalloc) is printed as a ratio of the recorded
bytes, against the plain reference of stacking the snapshots into new arrays first (how toygan
saved before 0.3).

    python benchmarks/save_memory.py [--steps 200]
"""

from __future__ import annotations

import argparse
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np

from toygan import Game
from toygan.history import SCALARS
from toygan.presets import preset_config
from toygan.recorder import ARRAYS


def peak_during(action) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    action()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    config = preset_config("ring").replace(**{"train.steps": args.steps, "record.every": 2,
                                              "record.grid_size": 128, "record.n_samples": 2048})
    game = Game(config)
    game.run(progress=False)
    recorded = config.recording_bytes()
    with tempfile.TemporaryDirectory() as folder:
        saved = peak_during(lambda: game.save(Path(folder) / "run"))
        rows = [game.recorder.snapshots[i] for i in range(len(game.recorder.snapshots))]

        def stacked_then_saved():
            arrays = {k: np.stack([r[k] for r in rows]) for k in (*ARRAYS, *SCALARS)}
            np.savez(Path(folder) / "plain.npz", **arrays)

        plain = peak_during(stacked_then_saved)
    print(f"recording {recorded / 2**20:.0f} MiB ({game.history.n_snapshots} snapshots)")
    print(f"toygan's save: peak {saved / 2**20:.1f} MiB = {saved / recorded:.2f}× the recording")
    print(f"stack, then save (reference): peak {plain / 2**20:.1f} MiB = {plain / recorded:.2f}× "
          f"the recording; ratio toygan / reference = {saved / plain:.2f}")


if __name__ == "__main__":
    main()
