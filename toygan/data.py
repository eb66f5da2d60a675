"""Target distributions: 2D Gaussian mixtures with an analytic density, and sample-only targets
(scikit-learn's toy sets, a spiral, a point file, an image) whose density is a KDE estimate; and
1D mixtures (``mixture1d``) for the one-axis picture of Goodfellow et al. (2014), Figure 1.

Every target has ``dim`` (2, or 1 for ``mixture1d``), ``sample(n, rng)`` (NumPy, shape
``(n, dim)``; ``rng`` a ``numpy.random.Generator`` or an integer seed), ``log_prob(x)`` (shape
``(n,)``), ``exact`` (is ``log_prob`` analytic?), ``modes``
(the component means ``(K, dim)``, or None) and ``bounds()``. ``TARGETS`` maps a name to the factory
that builds it; ``make_target`` builds one from a name and keyword parameters, as a config does.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from toygan.errors import ToyganError, first_line
from toygan.validate import generator, integer, npy_claim, number, sample_size, shown

WINDOW_REACH, MIN_WINDOW_SIDE = 1e6, 1e-4
"""A plot window lies within ±10⁶ and each side is at least 10⁻⁴ long (float32 grids, and plots)."""
SMALLEST_BANDWIDTH = 1e-8
"""The smallest KDE bandwidth but 0 (Scott's rule): a smaller one's squared inverse overflows."""

if TYPE_CHECKING:
    from toygan.config import Config

__all__ = ["game_targets", "GaussianMixture", "SampleTarget", "ring", "grid", "mixture", "mixture1d", "moons", "circles",
           "swiss_roll", "spiral", "points", "image", "shifted", "TARGETS", "make_target",
           "data_files", "stored_files", "reads_file", "MAX_DATA_FILE_BYTES", "MAX_IMAGE_PIXELS"]

_CHUNK_ENTRIES = 2**21  # points × modes per chunk of log_prob (16 MB per float64 array)


class GaussianMixture:
    """A mixture of isotropic Gaussians, ``sum_k w_k N(mean_k, std_k^2 I)``.

    Args:
        means: component means, shape ``(K, d)``.
        stds: one standard deviation for all components, or one per component ``(K,)``; each > 0.
        weights: mixture weights ``(K,)``, non-negative and summing to 1; ``None`` for equal weights.
        name: a short label used in titles.

    Raises:
        ToyganError: for a non-finite mean, a std ≤ 0, or weights that are negative or do not sum to 1.
    """

    def __init__(
        self,
        means: Sequence[Sequence[float]] | np.ndarray,
        stds: float | Sequence[float] | np.ndarray,
        weights: Sequence[float] | np.ndarray | None = None,
        name: str = "mixture",
    ) -> None:
        means, stds = _floats("means", means), _floats("stds", stds)
        if means.ndim != 2 or means.shape[0] < 1 or not np.all(np.isfinite(means)):
            raise ToyganError(f"means = {means.tolist()}: must be a non-empty (K, d) list of finite numbers")
        k = means.shape[0]
        if stds.ndim == 0:
            stds = np.full(k, float(stds))
        if stds.shape != (k,) or not np.all(np.isfinite(stds)) or np.any(stds <= 0):
            raise ToyganError(f"stds = {stds.tolist()}: must be one number > 0 or {k} numbers > 0")
        if weights is None:
            weights = np.full(k, 1.0 / k)
        weights = _floats("weights", weights)
        if weights.shape != (k,) or np.any(weights < 0) or not math.isclose(weights.sum(), 1.0, abs_tol=1e-6):
            raise ToyganError(f"weights = {weights.tolist()}: must be {k} numbers ≥ 0 that sum to 1")
        self.means, self.stds, self.weights, self.name = means, stds, weights, name
        self._cdf = np.cumsum(weights / weights.sum())

    @property
    def modes(self) -> np.ndarray:
        """The component means, shape ``(K, d)``."""
        return self.means.copy()

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sample(self, n: int, rng: np.random.Generator | int) -> np.ndarray:
        """Draw ``n`` points, shape ``(n, d)``, from the NumPy generator ``rng`` (or a new one
        seeded with the integer ``rng``)."""
        n, rng = sample_size(n), generator(rng)
        # inverse-CDF draw of components: rng.choice(p=...) re-validates p on every call, ~8× slower
        idx = np.minimum(np.searchsorted(self._cdf, rng.random(n), side="right"), len(self.weights) - 1)
        return self.means[idx] + self.stds[idx, None] * rng.standard_normal((n, self.dim))

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Log density at ``x`` of shape ``(n, d)``, returned as ``(n,)``; exact, in log space."""
        x = np.asarray(x, dtype=np.float64)
        # in chunks of points: an (n, K) array of 10,000 modes on a 320² grid would take GBs
        rows = max(1, _CHUNK_ENTRIES // len(self.weights))
        if len(x) > rows:
            return np.concatenate([self.log_prob(x[i:i + rows]) for i in range(0, len(x), rows)])
        with np.errstate(over="ignore", invalid="ignore"):  # beyond float range: inf or NaN, no warning
            return self._log_prob(x)

    def _log_prob(self, x: np.ndarray) -> np.ndarray:
        sq = ((x[:, None, :] - self.means[None]) ** 2).sum(-1)  # (n, K)
        log_comp = (
            np.log(self.weights)[None]
            - 0.5 * sq / self.stds[None] ** 2
            - self.dim * np.log(self.stds)[None]
            - 0.5 * self.dim * math.log(2 * math.pi)
        )
        top = log_comp.max(axis=1, keepdims=True)
        return (top + np.log(np.exp(log_comp - top).sum(axis=1, keepdims=True)))[:, 0]

    def smoothed(self, bandwidth: float) -> GaussianMixture:
        """This mixture convolved with N(0, h² I): each σ becomes √(σ² + h²), exactly."""
        return GaussianMixture(self.means, np.sqrt(self.stds**2 + bandwidth**2), self.weights,
                               name=self.name)

    def bounds(self, margin: float = 0.25) -> tuple[float, float, float, float]:
        """A square window ``(xmin, xmax, ymin, ymax)`` holding every mode's 4σ disc plus a margin
        (a fraction of the half-width), centred on the modes' bounding box."""
        lo = (self.means - 4 * self.stds[:, None]).min(axis=0)
        hi = (self.means + 4 * self.stds[:, None]).max(axis=0)
        centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * (1 + margin)
        y = centre[1] if self.dim > 1 else centre[0]  # a 1D target repeats its x range as y
        return _plain_floats(centre[0] - half, centre[0] + half, y - half, y + half)

    exact = True

    def __repr__(self) -> str:
        return f"GaussianMixture(name={self.name!r}, K={len(self.weights)}, d={self.dim})"


def _floats(name: str, value: Any) -> np.ndarray:
    """``value`` as float64, if it holds real numbers only (not booleans, not complex numbers)."""
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):  # ragged lists, tables
        raw = None
    if raw is None or not (raw.dtype.kind in "iuf" or (raw.dtype == object and raw.size == 0)):
        raise ToyganError(f"{name} = {value!r}: must be real numbers (not true/false, not complex)")
    return raw.astype(np.float64)


def ring(n_modes: int = 8, radius: float = 2.0, std: float = 0.02) -> GaussianMixture:
    """``n_modes`` equal-weight Gaussians with centres at angles 2πk/K, k = 0..K−1, on a circle.

    The default (8 modes, radius 2, σ = 0.02) is the ring of the Unrolled-GAN paper (Metz et al.
    2016, Sec. 3.1). Centres use k < K, not ``linspace(0, 2π, K)``, which would repeat a centre.
    """
    n_modes = integer("n_modes", n_modes, 1, 10_000)
    radius = number("radius", radius, 0.0)
    std = number("std", std, 0.0)
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    means = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return GaussianMixture(means, std, name=f"ring of {n_modes}")


def grid(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> GaussianMixture:
    """``side × side`` equal-weight Gaussians on a square lattice centred on the origin.

    The default (5 × 5, spacing 2, σ = 0.05) is the grid of PacGAN (Lin et al. 2018, Sec. 5.1).
    """
    side = integer("side", side, 1, 100)
    spacing = number("spacing", spacing, 0.0, WINDOW_REACH)
    std = number("std", std, 0.0)
    ticks = (np.arange(side) - (side - 1) / 2) * spacing
    xx, yy = np.meshgrid(ticks, ticks)
    means = np.stack([xx.ravel(), yy.ravel()], axis=1)
    return GaussianMixture(means, std, name=f"{side}×{side} grid")


def mixture(
    means: Sequence[Sequence[float]],
    stds: float | Sequence[float] = 0.05,
    weights: Sequence[float] | None = None,
) -> GaussianMixture:
    """A custom 2D mixture, as written in a config: ``means = [[x, y], ...]``, ``stds``, ``weights``."""
    gm = GaussianMixture(means, stds, weights)
    if gm.dim != 2:
        raise ToyganError(f"means = {gm.means.tolist()}: each mean must have 2 coordinates")
    return gm


def mixture1d(
    means: Sequence[float] = (2.0,),
    stds: float | Sequence[float] = 0.5,
    weights: Sequence[float] | None = None,
) -> GaussianMixture:
    """A 1D mixture, ``means = [x, ...]``: the setting of Goodfellow et al. (2014), Figure 1, where
    the 'goodfellow' panel draws p_data, p_g, D and the map z → x = G(z) on one axis."""
    flat = _floats("means", means)
    if flat.ndim != 1 or flat.size == 0:
        raise ToyganError(f"means = {flat.tolist()}: must be a non-empty list of numbers")
    return GaussianMixture(flat[:, None], stds, weights, name="1D mixture")


class SampleTarget:
    """A target known only through samples: scikit-learn's toy sets, a spiral, a point file, an image.

    ``log_prob`` is a Gaussian KDE of a fixed reference sample (``reference`` points drawn once with
    seed 0), so views that need a density can draw one; ``exact`` is False so that they say it is
    estimated. ``modes`` is None: there are no modes to count.

    Args:
        name: a label for titles.
        draw: ``draw(n, rng)`` → ``(n, 2)`` points.
        bandwidth: the KDE's bandwidth; 0 or None for Scott's rule on the reference sample.
        reference: points in the reference sample.
    """

    exact = False
    modes = None

    def __init__(self, name: str, draw: Callable[[int, np.random.Generator], np.ndarray],
                 bandwidth: float | None = None, reference: int = 1000) -> None:
        from toygan.theory import kde  # theory imports data's siblings only; no cycle at call time

        self.name, self._draw = name, draw
        if bandwidth and bandwidth < SMALLEST_BANDWIDTH:
            raise ToyganError(f"bandwidth = {shown(bandwidth)}: 0 (Scott's rule) or at least "
                              f"{SMALLEST_BANDWIDTH:g}")
        self.reference = np.asarray(draw(reference, np.random.default_rng(0)), dtype=np.float64)
        if not (np.isfinite(self.reference).all() and np.abs(self.reference).max() <= WINDOW_REACH):
            raise _Extent(f"its points reach beyond ±{WINDOW_REACH:g} (or are NaN or inf)")
        try:
            self.density = kde(self.reference, bandwidth if bandwidth else "scott")
        except ToyganError as err:  # theory speaks of its own arguments; these come from the target's
            raise ToyganError(f"bandwidth = {shown(bandwidth)}: the target's points give no density "
                              f"estimate ({err})") from None

    @property
    def dim(self) -> int:
        return 2

    def sample(self, n: int, rng: np.random.Generator | int) -> np.ndarray:
        """Draw ``n`` points, shape ``(n, 2)``, from the NumPy generator ``rng`` (or a new one
        seeded with the integer ``rng``)."""
        n, rng = sample_size(n), generator(rng)
        if n == 0:  # scikit-learn's generators refuse n = 0
            return np.empty((0, 2))
        return np.asarray(self._draw(n, rng), dtype=np.float64)

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """The KDE estimate of the log density at ``x`` ``(n, 2)``."""
        return self.density.log_prob(x)

    def bounds(self, margin: float = 0.25) -> tuple[float, float, float, float]:
        """A square window around the reference sample (its 0.5 %–99.5 % range), plus a margin."""
        lo, hi = np.percentile(self.reference, [0.5, 99.5], axis=0)
        centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * (1 + margin) + 3 * self.density.bandwidth
        return _plain_floats(centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)

    def __repr__(self) -> str:
        return f"SampleTarget(name={self.name!r}, KDE bandwidth={self.density.bandwidth:.3g})"


class _Extent(ToyganError):
    """A target whose parameters put it where toygan cannot draw it (said of all its parameters)."""


def _plain_floats(*values: Any) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _seed(rng: np.random.Generator) -> int:
    """An int seed for scikit-learn's generators, drawn from ``rng`` so runs stay reproducible."""
    return int(rng.integers(2**31 - 1))


def moons(noise: float = 0.05, bandwidth: float = 0.1) -> SampleTarget:
    """Two interleaving half circles, ``sklearn.datasets.make_moons``, centred on the origin.
    ``bandwidth``: of the KDE that stands in for the density (0: Scott's rule)."""
    from sklearn.datasets import make_moons  # (scikit-learn: only for the targets that use it)

    noise = number("noise", noise, 0.0, open_low=False)
    bandwidth = number("bandwidth", bandwidth, 0.0, open_low=False)
    return SampleTarget("moons", lambda n, rng: make_moons(n, noise=noise, random_state=_seed(rng))[0]
                        - [0.5, 0.25], bandwidth)


def circles(noise: float = 0.03, factor: float = 0.5, bandwidth: float = 0.08) -> SampleTarget:
    """Two concentric circles of radii 1 and ``factor``, ``sklearn.datasets.make_circles``."""
    from sklearn.datasets import make_circles  # (as make_moons)

    noise = number("noise", noise, 0.0, open_low=False)
    bandwidth = number("bandwidth", bandwidth, 0.0, open_low=False)
    factor = number("factor", factor, 0.0)
    if factor >= 1:
        raise ToyganError(f"factor = {factor!r}: must be a number in (0, 1)")
    return SampleTarget("circles", lambda n, rng: make_circles(
        n, noise=noise, factor=factor, random_state=_seed(rng))[0], bandwidth)


def swiss_roll(noise: float = 0.25, scale: float = 7.5, bandwidth: float = 0.1) -> SampleTarget:
    """``sklearn.datasets.make_swiss_roll`` seen from the side (coordinates x and z), divided by
    ``scale``; 0.25 and 7.5 are the WGAN-GP toy script's settings (Gulrajani et al. 2017,
    ``gan_toy.py``)."""
    from sklearn.datasets import make_swiss_roll  # (as make_moons)

    noise = number("noise", noise, 0.0, open_low=False)
    scale = number("scale", scale, 0.0)
    bandwidth = number("bandwidth", bandwidth, 0.0, open_low=False)
    return SampleTarget("swiss roll", lambda n, rng: make_swiss_roll(
        n, noise=noise, random_state=_seed(rng))[0][:, [0, 2]] / scale, bandwidth)


def spiral(turns: float = 2.0, arms: int = 2, noise: float = 0.05,
           bandwidth: float = 0.1) -> SampleTarget:
    """``arms`` interleaved Archimedean spiral arms of ``turns`` turns, radius growing to 2."""
    turns = number("turns", turns, 0.0)
    noise = number("noise", noise, 0.0, open_low=False)
    arms = integer("arms", arms, 1)
    bandwidth = number("bandwidth", bandwidth, 0.0, open_low=False)

    def draw(n: int, rng: np.random.Generator) -> np.ndarray:
        t = np.sqrt(rng.random(n))  # uniform along the arm's length, roughly
        arm = rng.integers(arms, size=n)
        angle = 2 * np.pi * (turns * t + arm / arms)
        points = 2 * t[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
        return points + noise * rng.standard_normal((n, 2))

    return SampleTarget("spiral", draw, bandwidth)


def points(path: str, jitter: float = 0.0, bandwidth: float = 0.0) -> SampleTarget:
    """The points of a file as the data: ``.npy`` (an ``(n, 2)`` array) or ``.csv`` / ``.txt``
    (two numeric columns; a header line is skipped). Samples are drawn with replacement, plus
    N(0, jitter²) noise.

    Raises:
        ToyganError: naming the file if it is missing, unreadable, not (n, 2), has NaN or inf, or
            has fewer than 2 points.
    """
    jitter = number("jitter", jitter, 0.0, open_low=False)
    bandwidth = number("bandwidth", bandwidth, 0.0, open_low=False)
    data = _read_points(str(path))

    def draw(n: int, rng: np.random.Generator) -> np.ndarray:
        return data[rng.integers(len(data), size=n)] + jitter * rng.standard_normal((n, 2))

    return SampleTarget(f"points from {Path(path).name}", draw, bandwidth)


def _read_points(path: str) -> np.ndarray:
    content = read_data_file(path)
    try:
        if Path(path).suffix.lower() == ".npy":
            data = _load_npy(content, path)
        else:
            text = content.decode("utf-8").splitlines()
            delimiter = "," if Path(path).suffix.lower() == ".csv" else None
            rows = [line for line in text if line.strip()]
            if not rows or (len(rows) == 1 and not _numeric_row(rows[0], delimiter)):  # a header alone
                raise ToyganError(f"path = {path!r}: holds no points (a file of rows x,y is needed)")
            skip = 1 if text and not _numeric_row(text[0], delimiter) else 0  # a header line
            data = np.loadtxt(text, delimiter=delimiter, skiprows=skip, ndmin=2)
    except ToyganError:
        raise
    except (OSError, ValueError, EOFError, UnicodeDecodeError) as err:
        raise ToyganError(f"path = {path!r}: cannot be read as points ({first_line(err)})") from None
    if data.dtype.kind not in "iuf":  # complex parts or booleans would be dropped or coerced
        raise ToyganError(f"path = {path!r}: holds {data.dtype} values; need real numbers")
    data = np.asarray(data, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] != 2:
        raise ToyganError(f"path = {path!r}: holds an array of shape {data.shape}; need (n, 2)")
    if not np.all(np.isfinite(data)):
        raise ToyganError(f"path = {path!r}: holds NaN or inf")
    if len(data) < 2:
        raise ToyganError(f"path = {path!r}: holds {len(data)} point(s); need at least 2")
    return data


def _load_npy(content: bytes, path: str) -> np.ndarray:
    """An .npy file's array, its header checked against its bytes first: a header that claims
    10¹² elements is refused here, not by a MemoryError."""
    stream = io.BytesIO(content)
    claimed, _ = npy_claim(stream)
    if claimed != len(content) - stream.tell():
        raise ToyganError(f"path = {path!r}: a damaged .npy file (its header claims {claimed:,} bytes, "
                          f"it holds {len(content) - stream.tell():,})")
    stream.seek(0)
    return np.load(stream, allow_pickle=False)


def _numeric_row(line: str, delimiter: str | None) -> bool:
    """Whether a line of a point file is numbers (``1e-3,2e-3`` is; ``x,y`` is a header)."""
    try:
        [float(field) for field in line.split(delimiter)]
    except ValueError:
        return False
    return True


def image(path: str, size: float = 4.0, invert: bool = False, bandwidth: float = 0.0) -> SampleTarget:
    """An image as a density: darker pixels carry more mass (lighter ones with ``invert``).

    The image is read as greyscale and fitted into a square of side ``size`` centred on the origin
    (aspect kept); a sample is a pixel drawn in proportion to its mass, placed uniformly within it.

    Raises:
        ToyganError: naming the file if it is missing, not an image, or blank (no mass).
    """
    from PIL import Image, UnidentifiedImageError  # (Pillow: only for an image target)

    size = number("size", size, 0.0)
    bandwidth = number("bandwidth", bandwidth, 0.0, open_low=False)
    if not isinstance(invert, bool):
        raise ToyganError(f"invert = {invert!r}: must be true or false")
    content, file = read_data_file(str(path)), Path(str(path))
    try:
        with warnings.catch_warnings():  # PIL warns of a large image; it is refused below instead
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as im:
                if im.width * im.height > MAX_IMAGE_PIXELS:
                    raise ToyganError(f"path = {str(path)!r}: an image of {im.width} × {im.height} "
                                      f"pixels; toygan reads up to {MAX_IMAGE_PIXELS:,} (scale it down)")
                grey = np.asarray(im.convert("L"), dtype=np.float64) / 255.0
    except UnidentifiedImageError:  # (its message names the in-memory copy, not the file)
        raise ToyganError(f"path = {str(path)!r}: not a readable image (no format PIL reads)") from None
    except (OSError, Image.DecompressionBombWarning, Image.DecompressionBombError) as err:
        raise ToyganError(f"path = {str(path)!r}: not a readable image ({first_line(err)})") from None
    mass = grey if invert else 1.0 - grey
    if mass.sum() <= 0:
        raise ToyganError(f"path = {str(path)!r}: the image is blank (no {'light' if invert else 'dark'} "
                          "pixels to take as mass)")
    rows, cols = mass.shape
    pixel = size / max(rows, cols)
    cdf = np.cumsum(mass.ravel() / mass.sum())

    def draw(n: int, rng: np.random.Generator) -> np.ndarray:
        idx = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), cdf.size - 1)
        r, c = np.divmod(idx, cols)
        x = (c + rng.random(n) - cols / 2) * pixel
        y = (rows / 2 - r - rng.random(n)) * pixel  # row 0 is the top of the image
        return np.stack([x, y], axis=1)

    return SampleTarget(f"image {file.name}", draw, bandwidth)


def shifted(target: GaussianMixture | SampleTarget,
            offset: Sequence[float]) -> GaussianMixture | SampleTarget:
    """``target`` moved by ``offset`` (one number per coordinate): a mixture with its means moved, or
    a sample-only target whose samples (and so its KDE) are moved. A p_g that has the data's shape
    in the wrong place."""
    if not isinstance(target, GaussianMixture | SampleTarget):
        raise ToyganError(f"target = {target!r}: must be a toygan.data target (a mixture, or a "
                          "sample-only target such as moons)")
    step = _floats("offset", offset)
    if step.shape != (target.dim,) or not np.all(np.isfinite(step)):
        raise ToyganError(f"offset = {step.tolist()}: must be {target.dim} finite number(s)")
    if isinstance(target, GaussianMixture):
        return GaussianMixture(target.means + step, target.stds, target.weights,
                               name=f"{target.name} moved by {step.tolist()}")
    return SampleTarget(f"{target.name} moved by {step.tolist()}",
                        lambda n, rng: target.sample(n, rng) + step, target.density.bandwidth,
                        len(target.reference))


MAX_DATA_FILE_BYTES = 64 * 2**20
"""The largest point file or image a target reads: a run keeps a copy of it in its history."""
MAX_IMAGE_PIXELS = 2**25
"""The most pixels an image target may have (about 5800 × 5800)."""

_STORED: ContextVar[Mapping[str, bytes]] = ContextVar("toygan_stored_files",
                                                        default=MappingProxyType({}))


@contextlib.contextmanager
def stored_files(files: Mapping[str, bytes]) -> Iterator[None]:
    """Within the block, a target that reads a file (``points``, ``image``) takes the bytes kept in
    ``files`` (path → bytes, as a run's history keeps them) instead of reading the disk. So a run
    loads from any folder, and after its data file is gone, with the very data it was trained on."""
    token = _STORED.set({**_STORED.get(), **files})
    try:
        yield
    finally:
        _STORED.reset(token)


def read_data_file(path: str) -> bytes:
    """The bytes of a target's data file: those a run kept (``stored_files``), else the regular
    file at ``path``, refused (one line naming it) if missing, not a file or over
    ``MAX_DATA_FILE_BYTES``."""
    stored = _STORED.get()
    if path in stored:
        return stored[path]
    file = Path(path)
    if not file.is_file():
        raise ToyganError(f"path = {path!r}: no such file" if not file.exists() else
                          f"path = {path!r}: not a regular file")
    try:
        with open(file, "rb") as f:
            content = f.read(MAX_DATA_FILE_BYTES + 1)
    except OSError as err:
        raise ToyganError(f"path = {path!r}: cannot be read ({err.strerror or err})") from None
    if len(content) > MAX_DATA_FILE_BYTES:
        raise ToyganError(f"path = {path!r}: larger than {MAX_DATA_FILE_BYTES // 2**20} MiB; a run "
                          "keeps a copy of its data, so toygan reads smaller files")
    return content


def reads_file(name: str) -> bool:
    """Whether the target ``name`` is built from a file (its factory takes a ``path``)."""
    return name in TARGETS and "path" in inspect.signature(TARGETS[name]).parameters


def data_files(*targets: tuple[str, Mapping[str, Any]]) -> dict[str, bytes]:
    """Path → bytes of every file the targets ``(name, params)`` read: what a run keeps."""
    return {params["path"]: read_data_file(params["path"]) for name, params in targets
            if reads_file(name) and isinstance(params.get("path"), str)}


TARGETS: dict[str, Callable[..., GaussianMixture | SampleTarget]] = {
    "ring": ring, "grid": grid, "mixture": mixture, "mixture1d": mixture1d, "moons": moons,
    "circles": circles,
    "swiss_roll": swiss_roll, "spiral": spiral, "points": points, "image": image,
}
"""Name → factory of every target a config can name."""


def make_target(name: str, params: dict[str, Any] | None = None) -> GaussianMixture | SampleTarget:
    """Build the target ``name`` from keyword ``params``, checking both.

    Raises:
        ToyganError: for an unknown name, an unknown parameter or a bad value; the message names it.
    """
    if not isinstance(name, str) or name not in TARGETS:
        raise ToyganError(f"data.name = {name!r}: unknown target; choose one of {sorted(TARGETS)}")
    factory, params = TARGETS[name], dict(params or {})
    allowed = list(inspect.signature(factory).parameters)
    for key in params:
        if key not in allowed:
            raise ToyganError(f"data.params.{key}: unknown parameter of {name!r}; allowed: {allowed}")
    # overflows in extreme parameters are not worth a warning: the checks below say what is wrong
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            target = factory(**params)
        except _Extent as err:
            raise ToyganError(f"data.params of {name!r} = {shown(params)}: {err}; give the target a "
                              "scale nearer 1") from None
        except ToyganError as err:
            raise ToyganError(f"data.params.{err}") from None
        except TypeError as err:  # e.g. a string where a list of numbers belongs
            raise ToyganError(f"data.params of {name!r} = {shown(params)}: {err}") from None
        _check_extent(target, name, params)
    return target


def _check_extent(target: GaussianMixture | SampleTarget, name: str, params: dict[str, Any]) -> None:
    """A target must lie where float32 grids and plots can draw it: within ±WINDOW_REACH."""
    x0, x1, y0, y1 = target.bounds()
    if all(math.isfinite(v) and abs(v) <= WINDOW_REACH for v in (x0, x1, y0, y1)):
        return
    raise ToyganError(f"data.params of {name!r} = {shown(params)}: the target spans x from {x0:.3g} to "
                      f"{x1:.3g}, y from {y0:.3g} to {y1:.3g}; toygan draws within ±{WINDOW_REACH:g}: "
                      "give the target a scale nearer 1")


def game_targets(config: Config) -> tuple[dict[str, bytes], Any, Any]:
    """The files a run's targets read (path → bytes), p_data and the fixed p_g (None when G makes
    the fake samples), built from the very bytes the run keeps."""
    files = data_files((config.data.name, config.data.params), (config.fake.name, config.fake.params))
    with stored_files(files):
        target = make_target(config.data.name, config.data.params)
        fake = (None if config.train.generator_mode.network
                else make_target(config.fake.name, config.fake.params))
    if fake is not None and fake.dim != target.dim:
        raise ToyganError(f"fake.name = {config.fake.name!r} has {fake.dim} dimension(s) but "
                          f"data.name = {config.data.name!r} has {target.dim}; they must match")
    return files, target, fake
