"""Named configurations: ``toygan train --preset NAME`` and the demo start from these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toygan.config import Config
from toygan.errors import ToyganError

__all__ = ["Preset", "PRESETS", "preset_config"]


@dataclass(frozen=True)
class Preset:
    """A config, given as dotted overrides of the defaults, and one line saying what it shows."""

    summary: str
    overrides: dict[str, Any] = field(default_factory=dict)

    def config(self) -> Config:
        return Config().replace(**self.overrides)


PRESETS: dict[str, Preset] = {
    "ring": Preset(
        "non-saturating GAN on a ring of 8 Gaussians (radius 2, σ 0.02; Metz et al. 2016): "
        "modes found, lost and re-found",
        {"data.name": "ring", "data.params": {"n_modes": 8, "radius": 2.0, "std": 0.02},
         "record.kde_bandwidth": 0.05},
    ),
    "ring-saturating": Preset(
        "the same ring with the saturating loss E[log(1 − D(G(z)))]: weak early gradients",
        {"data.name": "ring", "data.params": {"n_modes": 8, "radius": 2.0, "std": 0.02},
         "train.loss": "saturating", "record.kde_bandwidth": 0.05},
    ),
    "grid": Preset(
        "non-saturating GAN on a 5×5 grid (spacing 2, σ 0.05; Lin et al. 2018): partial coverage",
        {"data.name": "grid", "data.params": {"side": 5, "spacing": 2.0, "std": 0.05},
         "train.steps": 5000, "record.every": 50, "record.kde_bandwidth": 0.1},
    ),
}
"""Name → preset."""


def preset_config(name: str) -> Config:
    """The config of preset ``name``.

    Raises:
        ToyganError: for an unknown name.
    """
    if name not in PRESETS:
        raise ToyganError(f"preset {name!r}: unknown; choose one of {sorted(PRESETS)} "
                          "(toygan presets lists them)")
    return PRESETS[name].config()
