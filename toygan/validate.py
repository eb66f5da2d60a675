"""The checks every module uses on user values, each failing with one line that names the field,
the value and what is allowed."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from toygan.errors import ToyganError

__all__ = ["integer", "number", "choice", "points", "generator", "sample_size"]


def integer(where: str, value: Any, minimum: int, maximum: int | None = None) -> int:
    """``value`` if it is an int (not a bool) in [minimum, maximum], else a ToyganError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ToyganError(f"{where} = {value!r}: must be an integer ≥ {minimum}")
    if value < minimum or (maximum is not None and value > maximum):
        allowed = f"≥ {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ToyganError(f"{where} = {value!r}: must be an integer {allowed}")
    return value


def number(where: str, value: Any, low: float, high: float = math.inf, *, open_low: bool = True,
           open_high: bool = False) -> float:
    """``value`` as a float if it is a finite number between ``low`` and ``high`` (open or closed
    ends), else a ToyganError."""
    try:  # an int too large for a float (10**400) is not a usable number either
        ok = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
    except OverflowError:
        ok = False
    if ok:
        ok = (value > low if open_low else value >= low) and (value < high if open_high else value <= high)
    if not ok:
        lo = f"{'>' if open_low else '≥'} {low:g}"
        hi = "" if math.isinf(high) else f" and {'<' if open_high else '≤'} {high:g}"
        raise ToyganError(f"{where} = {value!r}: must be a number {lo}{hi}")
    return float(value)


def choice(where: str, value: Any, allowed: Any) -> None:
    """A ToyganError unless ``value`` is one of ``allowed``."""
    try:
        known = value in allowed
    except TypeError:  # a list or table where a name belongs: not hashable, not a name
        known = False
    if not known:
        raise ToyganError(f"{where} = {value!r}: unknown; choose one of {sorted(allowed)}")


def points(x: Any, name: str = "x") -> np.ndarray:
    """``x`` as a float64 ``(n, d)`` array of finite points (n ≥ 1), else a ToyganError naming it."""
    try:
        x = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ToyganError(f"{name}: must be an (n, d) array of numbers") from None
    if x.ndim != 2 or x.shape[0] == 0:
        raise ToyganError(f"{name}: must be an (n, d) array of points, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        rows = np.flatnonzero(~np.isfinite(x).all(1))[:5].tolist()
        raise ToyganError(f"{name}: contains NaN or inf, at rows {rows} (first five)")
    return x


def generator(rng: Any, name: str = "rng") -> np.random.Generator:
    """``rng`` as a NumPy generator: a ``numpy.random.Generator`` as it is, or an integer seed ≥ 0
    (a NumPy integer too) for ``numpy.random.default_rng(seed)``; else a ToyganError naming it."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.integer):
        rng = int(rng)
    if isinstance(rng, bool) or not isinstance(rng, int) or rng < 0:
        raise ToyganError(f"{name} = {rng!r}: must be a seed (an integer ≥ 0) or a "
                          "numpy.random.Generator")
    return np.random.default_rng(rng)


def sample_size(n: Any) -> int:
    """A number of points to draw: an integer (NumPy's too) from 0 to 10⁸, else a ToyganError."""
    return integer("n", int(n) if isinstance(n, np.integer) else n, 0, 10**8)


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """The TOML file at ``path`` as a dict; a missing or unreadable file is a ToyganError that
    calls it ``what`` ("recipe", "sweep spec", ...) and names it."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ToyganError(f"{what} {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ToyganError(f"{what} {str(path)!r} cannot be read: {err}") from None
    except RecursionError:  # tomllib parses nested arrays recursively
        raise ToyganError(f"{what} {str(path)!r} cannot be read: arrays or tables nested too "
                          "deeply") from None
