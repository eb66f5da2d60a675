"""How tall the maps of each compare recipe are drawn, stacked over their curves and overlaid
(``toygan compare --overlay``), in pixels once the recipe's frame is shown at 1080p.

The sizes depend on the layout only, so each variant is trained for a few steps on one seed.
docs/animation.md quotes this table.

    python benchmarks/map_sizes.py
"""

from __future__ import annotations

from toygan.errors import ToyganError
from toygan.recipes import GALLERY, load_recipe, recipe_paths
from toygan.render import Column
from toygan.render.compare import Comparison, check_overlay
from toygan.render.figure import frame_size
from toygan.training import train


def map_height(columns: list[Column], panels: list[str], size: str, overlay: bool) -> float:
    """The first column's first panel's height, scaled to a 1080-pixel-tall screen."""
    figure = Comparison(columns, panels, size=size, overlay=overlay)
    try:
        return figure.panels[0][0].ax.get_window_extent().height * 1080 / frame_size(size)[1]
    finally:
        figure.close()


def main() -> None:
    print(f"{'recipe':32s} {'panels':24s} {'stacked':>8s} {'overlaid':>9s} {'ratio':>6s}")
    for path in recipe_paths(GALLERY):
        recipe = load_recipe(path)
        if recipe.kind != "compare":
            continue
        try:
            check_overlay(len(recipe.variants), recipe.panels)
        except ToyganError:  # no curves among the panels (a mode timeline): nothing to overlay
            continue
        columns = [Column(train(config.replace(**{"train.members": 1, "train.steps": 20,
                                                    "record.every": 10}), progress=False), label)
                   for label, config in recipe.configs().items()]
        stacked, overlaid = (map_height(columns, recipe.panels, recipe.size, o) for o in (False, True))
        print(f"{recipe.name:32s} {','.join(recipe.panels):24s} {stacked:7.0f}  {overlaid:8.0f} "
              f"{overlaid / stacked:6.2f}")


if __name__ == "__main__":
    main()
