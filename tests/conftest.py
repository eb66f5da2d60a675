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


def damaged(data, original: bytes) -> bytes:
    """``original`` truncated or with one to four bits flipped, as hypothesis's ``data`` draws."""
    from hypothesis import strategies as st

    if data.draw(st.booleans(), "truncate"):
        return original[:data.draw(st.integers(0, len(original) - 1), "length")]
    flipped = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4), "flips")):
        i = data.draw(st.integers(0, len(flipped) - 1), "byte")
        flipped[i] ^= 1 << data.draw(st.integers(0, 7), "bit")
    return bytes(flipped)
