"""One's own data on the live page: points drawn there, or an uploaded CSV, text or NumPy file,
checked whole (size, points, values) before a game is made of them."""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from toygan.errors import ToyganError
from toygan.validate import shown

__all__ = ["MAX_POINTS", "MAX_DATA_BYTES", "data_file", "said_of_data"]


MAX_POINTS = 100_000
"""Points of one's own data at most (drawn, or in an uploaded file)."""


MAX_DATA_BYTES = 4 * 2**20
"""An uploaded data file's size at most (100,000 points as CSV take about 4 MB)."""


def said_of_data(message: str, path: Path) -> str:
    """An error about the data file said of "your data": the user named no such file."""
    message = message.replace(f"data.params.path = {str(path)!r}", "your data")
    return message.replace(repr(str(path)), "your data").replace(str(path), "your data")


def _real(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def data_file(given: Any) -> tuple[bytes, str, list[float]]:
    """The bytes and suffix of a data file from the page's points or upload, and the window to draw
    it in (the drawing's, or [] for one fitted to the points); a ToyganError for anything else."""
    if not isinstance(given, Mapping) or not given.keys() & {"points", "csv", "npy"}:
        raise ToyganError(f'data: {shown(given)}: give {{"points": [[x, y], ...]}}, {{"csv": TEXT}} or '
                          '{"npy": BASE64}')
    window = given.get("window", [])
    if "points" in given:
        xy = given["points"]
        if not isinstance(xy, list) or not all(isinstance(p, list) and len(p) == 2 for p in xy):
            raise ToyganError(f"data.points = {shown(xy)}: a list of [x, y] pairs")
        if not 2 <= len(xy) <= MAX_POINTS:
            raise ToyganError(f"data.points: {len(xy):,} points; draw 2 to {MAX_POINTS:,}")
        bad = next((p for p in xy if not all(_real(v) for v in p)), None)
        if bad is not None:
            raise ToyganError(f"data.points: {shown(bad)}: each point must be two numbers")
        with np.errstate(over="ignore"):
            try:
                array = np.array(xy, dtype=np.float64)
            except OverflowError:
                array = np.array([[np.inf, np.inf]])
        if not np.isfinite(array).all() or np.abs(array).max() > 1e6:
            raise ToyganError("data.points: each coordinate must lie within ±10⁶ (a window toygan can draw)")
        if len(np.unique(array, axis=0)) < 2:
            raise ToyganError("data.points: all the points are one point; draw at least two apart")
        content = ("x,y\n" + "".join(f"{x!r},{y!r}\n" for x, y in array.tolist())).encode()
        return content, ".csv", window
    if "csv" in given:
        text = given["csv"]
        if not isinstance(text, str):
            raise ToyganError("data.csv: the file's text, as a string")
        content = text.encode("utf-8", "replace")
        # a .txt file's columns may be split by spaces or tabs; a .csv's by commas
        name = given.get("name")
        suffix = ".txt" if isinstance(name, str) and name.lower().endswith(".txt") else ".csv"
        rows = sum(1 for line in text.splitlines() if line.strip()) - 1  # (less a header, if any)
    else:
        try:
            content = base64.b64decode(given["npy"], validate=True)
        except (TypeError, ValueError, binascii.Error):
            raise ToyganError("data.npy: the file's bytes as base64") from None
        suffix = ".npy"
        try:
            rows = len(np.load(io.BytesIO(content), allow_pickle=False))
        except Exception:  # noqa: BLE001 - the points reader says what is wrong with it
            rows = 0
    if len(content) > MAX_DATA_BYTES:
        raise ToyganError(f"a data file of {len(content) / 2**20:.1f} MiB; at most "
                          f"{MAX_DATA_BYTES // 2**20} MiB ({MAX_POINTS:,} points)")
    if rows > MAX_POINTS:
        raise ToyganError(f"a data file of {rows:,} points; at most {MAX_POINTS:,}")
    return content, suffix, window
