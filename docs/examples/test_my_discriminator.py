"""Copy this file into your project's tests and run `pytest`: it checks a discriminator against the
optimum D* = p_data / (p_data + p_g) (Goodfellow et al. 2014, Prop. 1). The fixtures toygan_ring,
toygan_normal, toygan_grid and toygan_pair come with toygan (its pytest plugin); nothing to import.
toygan runs this file in its own tests, so it stays correct."""

import numpy as np
import torch
from torch import nn

from toygan.testing import assert_discriminator_near_half, assert_optimal_discriminator, fit_discriminator


def make_discriminator(seed: int = 0) -> nn.Module:
    """Your architecture: here a small MLP that maps (n, 2) points to (n, 1) logits."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def train_my_way(net: nn.Module, p_data, p_g, steps: int = 3000, seed: int = 0) -> nn.Module:
    """Your own training code under test: binary cross-entropy, real = 1, generated = 0."""
    torch.set_num_threads(1)  # one thread is fastest for a network this small, and on a busy machine
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(256, 1), torch.zeros(256, 1)
    for _ in range(steps):
        real = torch.tensor(p_data.sample(256, rng), dtype=torch.float32)
        fake = torch.tensor(p_g.sample(256, rng), dtype=torch.float32)
        loss = bce(net(real), ones) + bce(net(fake), zeros)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net


def test_my_architecture_reaches_d_star(toygan_ring, toygan_normal):
    # fit_discriminator trains the module by Algorithm 1's D step against the fixed densities
    D = fit_discriminator(make_discriminator(), toygan_ring, toygan_normal, seed=0)
    # compares D with D* at 2,000 points from each density: mean and 95th percentile of |D − D*|
    assert_optimal_discriminator(D, toygan_ring, toygan_normal, output="logit")


def test_my_training_loop_reaches_d_star(toygan_ring, toygan_normal):
    D = train_my_way(make_discriminator(), toygan_ring, toygan_normal)
    gap = assert_optimal_discriminator(D, toygan_ring, toygan_normal, output="logit")
    print(gap)  # mean |D − D*| = ..., 95th percentile ..., worst ... at x = [...]


def test_discriminator_is_half_at_equilibrium(toygan_grid):
    D = fit_discriminator(make_discriminator(), toygan_grid, toygan_grid, seed=0)
    assert_discriminator_near_half(D, toygan_grid, output="logit")
