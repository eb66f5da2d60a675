"""Copy this file into your test suite: it checks a discriminator you train against the analytic
optimum D* = p_data / (p_data + p_g) (Goodfellow et al. 2014, Prop. 1). toygan runs it in its own
tests, so it stays correct."""

import numpy as np
import torch
from torch import nn

from toygan.data import GaussianMixture
from toygan.testing import assert_discriminator_near_half, assert_optimal_discriminator

P_DATA = GaussianMixture(means=[[-1.0, 0.0], [1.0, 0.0]], stds=0.5)
P_G = GaussianMixture(means=[[0.0, 0.5]], stds=0.7)


def train_discriminator(p_data, p_g, steps=1500, seed=0):
    """Your code under test: here, a small MLP trained with binary cross-entropy."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(256, 1), torch.zeros(256, 1)
    for _ in range(steps):
        real = torch.tensor(p_data.sample(256, rng), dtype=torch.float32)
        fake = torch.tensor(p_g.sample(256, rng), dtype=torch.float32)
        loss = bce(net(real), ones) + bce(net(fake), zeros)
        opt.zero_grad()
        loss.backward()
        opt.step()

    def discriminator(x: np.ndarray) -> np.ndarray:  # (n, 2) points -> (n,) probabilities
        with torch.no_grad():
            return torch.sigmoid(net(torch.tensor(x, dtype=torch.float32)))[:, 0].numpy()

    return discriminator


def test_trained_discriminator_is_optimal():
    discriminator = train_discriminator(P_DATA, P_G)
    # compared on 1,000 samples of each density, where D is trained. The mean error is ~0.01; the
    # largest (0.07-0.14 over seeds) sits in the tails, where few training samples fall.
    assert_optimal_discriminator(discriminator, P_DATA, P_G, atol=0.15)


def test_discriminator_is_half_when_the_generator_matches_the_data():
    discriminator = train_discriminator(P_DATA, P_DATA)
    points = P_DATA.sample(1000, np.random.default_rng(1))
    assert_discriminator_near_half(discriminator, points, atol=0.1)
