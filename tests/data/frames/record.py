"""Reference frames of every panel in every style, drawn by toygan before render/ became a
package of small panels (issue 17): the test (tests/test_render_frames.py) draws each case again
from the same stored histories and requires the same pixels. Run this file to record them again
(only when a change of the pictures is intended, and say so in the commit).

The histories are tiny runs stored beside the frames, so that the frames do not depend on training.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
WIDTH = 320  # the smallest width a figure allows: small files, every artist still drawn

_TINY = {"train.batch_size": 32, "model.g_width": 16, "model.d_width": 16, "record.n_samples": 96,
         "record.grid_size": 24, "train.steps": 60, "record.every": 20}

RUNS: dict[str, tuple[str, dict]] = {
    # a two-seed ring run with a mid-run change of settings (an event on the curves)
    "ring": ("ring", {**_TINY, "train.members": 2}),
    "critic": ("ring", {**_TINY, "train.loss": "wasserstein", "train.regularizer": "gradient-penalty",
                        "train.gamma": 1.0}),
    "target": ("ring", {**_TINY, "train.generator": "target", "fake.name": "ring",
                        "fake.params": {"radius": 1.0}}),
    "pack": ("grid", {**_TINY, "train.pack": 2, "train.generator": "frozen"}),
    "moons": ("moons", {**_TINY, "train.loss": "least-squares"}),
    "line": ("ring", {**_TINY, "data.name": "mixture1d", "data.params": {}, "model.noise_dim": 1}),
}
"""Run → (preset, overrides)."""

PANELS: dict[str, tuple[str, ...]] = {
    "ring": ("samples", "discriminator", "convergence", "dstar", "gap", "optimality", "modes", "jsd",
             "value", "losses", "manifold", "push", "coverage"),
    "critic": ("discriminator", "convergence", "losses", "jsd", "push"),
    "target": ("samples", "dstar", "gap", "optimality", "convergence"),
    "pack": ("discriminator", "samples"),
    "moons": ("samples", "discriminator", "dstar", "losses"),
    "line": ("goodfellow", "convergence", "optimality", "jsd"),
}
"""Run → the panels drawn from it, each alone in a figure."""

STYLES = ("light", "dark")


def make_history(run: str):
    """Train the run (a tiny one; the ring run gets a change of lr_d at step 40)."""
    from toygan import Game
    from toygan.presets import preset_config

    preset, overrides = RUNS[run]
    game = Game(preset_config(preset).replace(**overrides))
    if run == "ring":
        game.run(40, progress=False)
        game.update({"train.lr_d": 1e-4})
    game.run(progress=False)
    return game.history


def cases() -> list[tuple[str, str, str]]:
    """(run, panel, style) of every reference frame."""
    return [(run, panel, style) for run, panels in PANELS.items() for panel in panels for style in STYLES]


def frame_name(run: str, panel: str, style: str) -> str:
    return f"{run}-{panel}-{style}.png"


def draw(history, panel: str, style: str):
    """The panel alone at the smallest width: frame 0, then the middle snapshot, which is kept
    (so that both the first drawing and an update are exercised)."""
    from toygan.render import Animation, Look

    animation = Animation(history, [panel], width=WIDTH, look=Look(style=style))
    try:
        animation.frame(0)
        return animation.frame(history.n_snapshots // 2)
    finally:
        animation.close()


def draw_comparison(histories: dict):
    """Two seeds of the ring side by side with samples and push (one arrow scale for both)."""
    from toygan.render.compare import Comparison, seeds

    comparison = Comparison(seeds(histories["ring"]), ("samples", "push"), width=640)
    try:
        comparison.frame(0)
        return comparison.frame(1)
    finally:
        comparison.close()


def draw_overlay(histories: dict):
    """The same two seeds with their push maps in a row beside one axes of both JSD curves."""
    from toygan.render.compare import Comparison, seeds

    comparison = Comparison(seeds(histories["ring"]), ("push", "jsd"), width=640, overlay=True)
    try:
        comparison.frame(0)
        return comparison.frame(2)
    finally:
        comparison.close()


def draw_dirac():
    from toygan.render.dirac import DEFAULT_RUNS, DiracAnimation, parse_runs

    runs = [*DEFAULT_RUNS, *parse_runs("wgan:alternating:0.5")]
    animation = DiracAnimation(runs, steps=40)  # its own width: 400 px a panel
    try:
        animation.frame(0)
        return animation.frame(20)
    finally:
        animation.close()


def load_histories() -> dict:
    from toygan import History

    return {run: History.load(HERE / f"{run}.npz") for run in RUNS}


def main() -> None:
    import imageio.v2 as imageio

    if "--histories" in sys.argv:
        for run in RUNS:
            make_history(run).save(HERE / f"{run}.npz")
    histories = load_histories()
    for run, panel, style in cases():
        imageio.imwrite(HERE / frame_name(run, panel, style), draw(histories[run], panel, style))
    imageio.imwrite(HERE / "compare.png", draw_comparison(histories))
    imageio.imwrite(HERE / "overlay.png", draw_overlay(histories))
    imageio.imwrite(HERE / "dirac.png", draw_dirac())


if __name__ == "__main__":
    main()
