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


_WGAN_GP = {"train.loss": "wasserstein", "train.regularizer": "gradient-penalty", "train.gamma": 0.1,
            "train.d_steps": 5, "train.lr_d": 1e-4, "train.lr_g": 1e-4, "train.betas": [0.5, 0.9]}
"""The WGAN-GP toy script's training settings (Gulrajani et al. 2017, gan_toy.py): λ = 0.1,
5 critic steps per generator step, Adam 1e-4 with β = (0.5, 0.9)."""

_RING = {"data.name": "ring", "data.params": {"n_modes": 8, "radius": 2.0, "std": 0.02}}
"""The ring of 8 of the Unrolled-GAN paper (Metz et al. 2016): radius 2, σ 0.02."""

_GRID = {"data.name": "grid", "data.params": {"side": 5, "spacing": 2.0, "std": 0.05},
         "train.steps": 5000, "record.every": 50, "record.kde_bandwidth": 0.1}
"""The 5×5 grid of PacGAN and VEEGAN (spacing 2, σ 0.05), 5,000 steps."""

_PACGAN = {"train.steps": 5000, "record.every": 50}
"""PacGAN's synthetic data (fjxmlzn/PacGAN, synthetic_data_experiments/2DRing_GAN&PacGAN/config.py
and 2DGrid_GAN&PacGAN/config.py), trained with toygan's defaults. PacGAN's own training (Adam 1e-4,
β1 0.8, batch 100, G 4×400 with batch norm, D 3×200 maxout with dropout) runs 400 epochs of 100,000
samples, 400,000 steps; measured here with those optimiser settings and widths (ReLU, no batch norm),
10,000 steps of the ring left 3 seeds at 1, 0 and 0 modes (296 s), far from converged. toygan's
defaults reach 4–6 of 8 modes in 5,000 steps (4 seeds, 28 s): a baseline packing can improve on."""

PRESETS: dict[str, Preset] = {
    "ring": Preset(
        "non-saturating GAN on a ring of 8 Gaussians (radius 2, σ 0.02; Metz et al. 2016): "
        "modes found, lost and re-found",
        {**_RING, "record.kde_bandwidth": 0.05},
    ),
    "ring-saturating": Preset(
        "the same ring with the saturating loss E[log(1 − D(G(z)))]: weak early gradients",
        {**_RING, "train.loss": "saturating", "record.kde_bandwidth": 0.05},
    ),
    "grid": Preset(
        "non-saturating GAN on a 5×5 grid (spacing 2, σ 0.05: PacGAN's grid, Lin et al. 2018): "
        "partial coverage",
        {**_GRID},
    ),
    "ring-wgan-gp": Preset(
        "WGAN-GP on the ring of 8 (λ = 0.1, 5 critic steps, Adam 1e-4, β = (0.5, 0.9), as in "
        "Gulrajani et al. 2017's toy script): a critic surface, all modes covered",
        {**_RING, **_WGAN_GP},
    ),
    "wgan-gp-8gaussians": Preset(
        "the WGAN-GP paper's 8 Gaussians: radius 2 and σ 0.02, both divided by 1.414 "
        "(gan_toy.py, Gulrajani et al. 2017); WGAN-GP settings as in ring-wgan-gp",
        {"data.name": "ring",
         "data.params": {"n_modes": 8, "radius": 2.0 / 1.414, "std": 0.02 / 1.414},
         **_WGAN_GP,
         "record.kde_bandwidth": 0.04},
    ),
    "wgan-gp-25gaussians": Preset(
        "the WGAN-GP paper's 25 Gaussians: a 5×5 grid of spacing 2 and σ 0.05, divided by 2.828 "
        "(gan_toy.py, Gulrajani et al. 2017); WGAN-GP settings",
        {"data.name": "grid",
         "data.params": {"side": 5, "spacing": 2.0 / 2.828, "std": 0.05 / 2.828},
         **_WGAN_GP,
         "train.steps": 5000, "record.every": 50},
    ),
    "wgan-gp-swissroll": Preset(
        "the WGAN-GP paper's swiss roll: make_swiss_roll(noise 0.25), coordinates (x, z) / 7.5 "
        "(gan_toy.py, Gulrajani et al. 2017); WGAN-GP settings",
        {"data.name": "swiss_roll", "data.params": {"noise": 0.25, "scale": 7.5},
         **_WGAN_GP},
    ),
    "pacgan-ring": Preset(
        "PacGAN's 2D ring (Lin et al. 2018): 8 modes at angles 2πk/8 on radius 1, σ 0.01; "
        "a plain non-saturating GAN, the baseline for packing (train.pack = 2, 3, 4)",
        {**_PACGAN, "data.name": "ring", "data.params": {"n_modes": 8, "radius": 1.0, "std": 0.01},
         "record.kde_bandwidth": 0.03},
    ),
    "pacgan-grid": Preset(
        "PacGAN's 2D grid (Lin et al. 2018): 25 modes at {-4, -2, 0, 2, 4}², σ 0.05; "
        "the baseline for packing",
        {**_GRID},
    ),
    # The grid of VEEGAN's example code (akashgit/VEEGAN notebooks; read through Stephen
    # Sinclair's TF2 port of them, which keeps `product(range(-4, 5, 2), ...)` and s = 0.05).
    "veegan-grid": Preset(
        "VEEGAN's 2D grid (Srivastava et al. 2017): 25 modes at {-4, -2, 0, 2, 4}², σ 0.05, "
        "equal weights; the data only: training keeps toygan's defaults",
        {**_GRID},
    ),
    "ring-unrolled": Preset(
        "the ring with an unrolled discriminator (K = 5 look-ahead steps, Metz et al. 2016); "
        "about 5× slower than ring",
        {**_RING, "train.unroll": 5, "record.kde_bandwidth": 0.05},
    ),
    "ring-r1": Preset(
        "the ring with the R1 penalty (γ = 1, Mescheder et al. 2018) on the discriminator",
        {**_RING, "train.regularizer": "r1", "train.gamma": 1.0, "record.kde_bandwidth": 0.05},
    ),
    "moons": Preset(
        "non-saturating GAN on scikit-learn's two moons (density by KDE)",
        {"data.name": "moons"},
    ),
    "figure-1": Preset(
        "Goodfellow et al. (2014)'s Figure 1 in one dimension: p_data = N(2, 0.5²), a 1D latent; "
        "D flattens to ½ as p_g reaches p_data (the goodfellow-figure-1 recipe's settings)",
        {"data.name": "mixture1d", "data.params": {"means": [2.0], "stds": 0.5}, "model.noise_dim": 1,
         "model.g_width": 32, "model.d_width": 32, "train.steps": 2000, "train.lr_g": 3e-4,
         "record.every": 20},
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
