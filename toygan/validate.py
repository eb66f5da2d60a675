"""The checks every module uses on user values, each failing with one line that names the field,
the value and what is allowed."""

from __future__ import annotations

import math
import operator
import os
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from toygan.errors import ToyganError
from toygan.memory import check_bytes

__all__ = ["as_index", "functions", "go_on", "integer", "number", "choice", "points", "generator",
           "sample_size", "read_text", "read_toml", "npy_claim", "plain", "shown", "printable", "path_arg"]


def path_arg(value: Any, name: str = "path") -> Path:
    """``value`` as a path, or a ToyganError naming ``name``: a non-empty ``str`` or
    ``os.PathLike`` without NUL characters (an empty one would mean the current folder)."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise ToyganError(f"{name} = {shown(value)}: give a path (a non-empty str or pathlib.Path)")
    return Path(value)


def plain(value: Any) -> Any:
    """``value`` with NumPy's numbers and arrays made Python's (``np.int64(2)`` → ``2``, an array →
    a list), in lists, tuples and tables too: a value is judged, shown and saved as what it is."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, list | tuple):
        return type(value)(plain(v) for v in value)
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    return value


def shown(value: Any, limit: int = 80) -> str:
    """``value`` in a message as the user wrote it: Python's repr of its plain form (no
    ``np.float64(…)``), control characters escaped, at most ``limit`` characters."""
    text = repr(plain(value))
    return text if len(text) <= limit else text[:limit - 3] + "..."


def printable(text: str) -> str:
    """``text`` with every character that is not printable (control characters, a terminal's
    escapes) written as its escape, so that nothing a user gave can drive the terminal; line
    breaks stay."""
    return "\n".join("".join(c if c.isprintable() else repr(c)[1:-1] for c in line)
                     for line in str(text).split("\n"))


def integer(where: str, value: Any, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int if it is an integer (Python's or NumPy's, not a bool) in [minimum,
    maximum], else a ToyganError."""
    given, value = value, plain(value)
    allowed = f"≥ {minimum}" if maximum is None else f"between {minimum} and {maximum}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ToyganError(f"{where} = {shown(given)}: must be an integer {allowed}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ToyganError(f"{where} = {shown(given)}: must be an integer {allowed}")
    return value


def number(where: str, value: Any, low: float, high: float = math.inf, *, open_low: bool = True,
           open_high: bool = False) -> float:
    """``value`` as a float if it is a finite number between ``low`` and ``high`` (open or closed
    ends), else a ToyganError."""
    given, value = value, plain(value)
    try:  # an int too large for a float (10**400) is not a usable number either
        ok = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
    except OverflowError:
        ok = False
    if ok:
        ok = (value > low if open_low else value >= low) and (value < high if open_high else value <= high)
    if not ok:
        lo = f"{'>' if open_low else '≥'} {low:g}"
        hi = "" if math.isinf(high) else f" and {'<' if open_high else '≤'} {high:g}"
        raise ToyganError(f"{where} = {shown(given)}: must be a number {lo}{hi}")
    return float(value)


def choice(where: str, value: Any, allowed: Any) -> None:
    """A ToyganError unless ``value`` is one of ``allowed``."""
    try:
        known = plain(value) in allowed
    except TypeError:  # a list or table where a name belongs: not hashable, not a name
        known = False
    if not known:
        raise ToyganError(f"{where} = {shown(value)}: unknown; choose one of {sorted(allowed)}")


def points(x: Any, name: str = "x") -> np.ndarray:
    """``x`` as a float64 ``(n, d)`` array of finite points (n ≥ 1), else a ToyganError naming it."""
    if np.iscomplexobj(x) or getattr(x, "is_complex", lambda: False)():
        raise ToyganError(f"{name}: holds complex numbers; points have real coordinates")
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
    """A number of points to draw: an integer (NumPy's too) from 0 to 10⁸ that fits in memory (64
    bytes a point: the points and the draw's own work, measured 64), else a ToyganError."""
    n = integer("n", n, 0, 10**8)
    check_bytes(64 * n, f"n = {n:,} points", "n")
    return n


def npy_claim(stream: Any) -> tuple[int, np.dtype]:
    """The bytes the header of the .npy array at ``stream``'s position claims for its data, and its
    dtype; the stream is left where the data begins (numpy would allocate what a damaged or
    hostile header claims before reading a byte)."""
    try:
        version = np.lib.format.read_magic(stream)
        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read(stream)
    except (ValueError, EOFError, OSError):
        raise
    except Exception as err:  # noqa: BLE001 - numpy parses a damaged header with ast and tokenize,
        # whose errors (SyntaxError, tokenize.TokenError, ...) are not ValueErrors
        raise ValueError(f"a damaged .npy header ({type(err).__name__}: {err})") from None
    return int(np.prod(shape, dtype=object)) * dtype.itemsize, dtype


MAX_TEXT_BYTES = 16 * 2**20
"""The largest config, recipe or sweep spec toygan reads (a TOML file of a few KiB)."""


def read_text(path: Path, what: str, limit: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of the regular file at ``path``, of at most ``limit`` bytes: a device, a pipe
    or a huge file is refused before it is read (``/dev/zero`` would be read until memory ran
    out). Errors call the file ``what`` and name it."""
    path = Path(path)
    try:
        if not path.exists():
            raise ToyganError(f"{what} {str(path)!r} does not exist")
        if not path.is_file():
            raise ToyganError(f"{what} {str(path)!r} is not a regular file")
        with open(path, "rb") as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise ToyganError(f"{what} {str(path)!r} is larger than {limit / 2**20:.0f} MiB; it is not "
                              f"a {what} toygan can read")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ToyganError(f"{what} {str(path)!r} cannot be read as text: {err}") from None


def read_toml(path: Path, what: str, text: str | None = None) -> dict[str, Any]:
    """The TOML file at ``path`` as a dict (``text``: its contents, if already read); a missing or
    unreadable file is a ToyganError that calls it ``what`` ("recipe", "sweep spec", ...) and names
    it."""
    text = read_text(path, what) if text is None else text
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ToyganError(f"{what} {str(path)!r} cannot be read: {err}") from None
    except RecursionError:  # tomllib parses nested arrays recursively
        raise ToyganError(f"{what} {str(path)!r} cannot be read: arrays or tables nested too "
                          "deeply") from None


def as_index(value: Any) -> int | None:
    """An int (NumPy's included, bool not) as a Python int; None for anything else."""
    if isinstance(value, bool | np.bool_):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def functions(callbacks: Any) -> list:
    """One function or several as a list of functions (callbacks), else a ToyganError."""
    if callable(callbacks) or isinstance(callbacks, str | bytes):
        callbacks = [callbacks]  # one function for a list of one; a string is refused below
    try:
        out = list(callbacks)
    except TypeError:
        out = [callbacks]
    bad = [c for c in out if not callable(c) or isinstance(c, str | bytes)]
    if bad:
        raise ToyganError(f"callbacks: {bad[0]!r} is not a function; give functions "
                          "f(game, recorded) that return False to stop")
    return out


def go_on(callbacks: list, game: Any, recorded: bool) -> bool:
    """Call each callback with the game; False once one returns False or raises StopIteration."""
    for callback in callbacks:
        try:
            if callback(game, recorded) is False:
                return False
        except StopIteration:
            return False
    return True
