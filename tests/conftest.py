"""Shared fixtures: tiny configs that train in well under a second."""

import pytest

from toygan import Config


def tiny_config(**overrides) -> Config:
    """A small, fast run; ``overrides`` are dotted fields, e.g. ``**{"train.steps": 5}``."""
    base = {
        "train.steps": 40, "train.batch_size": 32, "model.g_width": 16, "model.d_width": 16,
        "record.every": 10, "record.n_samples": 64, "record.grid_size": 16,
    }
    return Config().replace(**{**base, **overrides})


@pytest.fixture
def tiny():
    return tiny_config
