"""A recipe's story over its steps, averaged over seeds: the numbers its captions are written from.

Trains the recipe's configs on ``--seeds`` seeds (one batched ensemble per variant) and prints,
every ``--every`` steps, the mean over seeds (and the range) of the high-quality share of G's
samples, the modes captured, the samples' mean distance from the origin, the JSD and mean D on
real and fake samples. A caption such as "from step 900 the samples drift inside the ring" is
written from this table, and the recipe's comment cites it.

    python benchmarks/recipe_story.py saturating-vs-non-saturating --seeds 4 --every 100
    python benchmarks/recipe_story.py goodfellow-figure-1 --seeds 3 --every 20
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from toygan.recipes import GALLERY, load_recipe
from toygan.training import train

COLUMNS = {"hq": "high_quality_fraction", "modes": "modes_captured", "jsd": "jsd",
           "D(real)": "d_real", "D(fake)": "d_fake"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe", help="a recipe of toygan's gallery (toygan animations list)")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--every", type=int, default=100, help="print every N steps")
    args = parser.parse_args()
    recipe = dataclasses.replace(load_recipe(GALLERY / f"{args.recipe}.toml"), seeds=args.seeds)
    for label, config in recipe.configs().items():
        history = train(config, progress=False)
        radius = np.linalg.norm(history.samples, axis=-1).mean(axis=-1)  # (T, E)
        series = {name: history.scalars[key] for name, key in COLUMNS.items() if key in history.scalars}
        series["radius"] = radius
        print(f"{label or recipe.name} ({args.seeds} seeds: mean [min, max])")
        for i, step in enumerate(history.steps):
            if step % args.every == 0 or i == len(history.steps) - 1:
                cells = "  ".join(f"{name} {v[i].mean():.2f} [{v[i].min():.2f}, {v[i].max():.2f}]"
                                  for name, v in series.items())
                print(f"  step {int(step):5d}: {cells}")


if __name__ == "__main__":
    main()
