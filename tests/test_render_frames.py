"""Every panel, in every style, draws the same pixels as the frames recorded before render/ was
split into small panels (tests/data/frames/record.py records them; the histories are stored there
too, so that training plays no part)."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest

FRAMES = Path(__file__).parent / "data" / "frames"
sys.path.insert(0, str(FRAMES))
import record  # noqa: E402


@cache
def histories() -> dict:
    return record.load_histories()


def _same(drawn: np.ndarray, name: str, tmp_path: Path) -> None:
    expected = imageio.imread(FRAMES / name)[..., :3]
    if drawn.shape != expected.shape or not np.array_equal(drawn, expected):
        imageio.imwrite(tmp_path / name, drawn)
        differ = (drawn != expected).any(-1).sum() if drawn.shape == expected.shape else "all"
        pytest.fail(f"{name}: {differ} pixels differ from the recorded frame (drawn now: "
                    f"{tmp_path / name})")


@pytest.mark.parametrize(("run", "panel", "style"), record.cases())
def test_panel_draws_the_recorded_frame(run: str, panel: str, style: str, tmp_path: Path) -> None:
    _same(record.draw(histories()[run], panel, style), record.frame_name(run, panel, style), tmp_path)


def test_comparison_draws_the_recorded_frame(tmp_path: Path) -> None:
    _same(record.draw_comparison(histories()), "compare.png", tmp_path)


def test_overlay_draws_the_recorded_frame(tmp_path: Path) -> None:
    _same(record.draw_overlay(histories()), "overlay.png", tmp_path)


def test_dirac_animation_draws_the_recorded_frame(tmp_path: Path) -> None:
    _same(record.draw_dirac(), "dirac.png", tmp_path)
