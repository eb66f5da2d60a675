"""Assertions for your own pytest suites: has a discriminator reached the optimum D*? Is it ½ at
equilibrium? And ``fit_discriminator``, which trains your ``nn.Module`` the way Algorithm 1's D step
does, against fixed densities.

The criterion is statistical. D is trained on the mixture m = ½(p_data + p_g): half its batch is
data, half generated. So D is compared with D* = p_data / (p_data + p_g) at ``n`` points drawn from
each density, and the assertion holds when

- the mean of |D − D*| over those points is at most ``mean_tol``,
- and at most ``relative_tol`` (½) of the mean |½ − D*|, the miss of the constant D = ½ (so that
  ½ fails where D* itself stays near ½, on overlapping densities),
- and their ``quantile`` (the 95th percentile by default) is at most ``quantile_tol``.

A maximum over points cannot separate a good D from a bad one. Every trained D misses D* somewhere
in the tails, where few training samples fall. A D = ½, a D trained for 10 steps, or a D with its
labels swapped misses D* over most of the mass. The defaults are calibrated on ring, grid and moons
against N(0, I) and against the target moved by (0.5, 0.5), and on two overlapping Gaussians
(``benchmarks/testing_calibration.py``; the table is in ``docs/testing.md``).

``D`` may be an ``nn.Module`` or any torch callable, a NumPy callable, or a scikit-learn classifier
(``predict_proba``). Say whether it returns probabilities (the default) or logits with
``output="logit"``. Dtype, device, ``no_grad`` and eval mode are handled. A failure raises
``AssertionError``. The message gives the mean, the quantile, the worst point and what to try, and
toygan's own frames are hidden from pytest's traceback.
"""

from __future__ import annotations

import contextlib
import functools
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from toygan.errors import ToyganError, first_line
from toygan.memory import check_bytes
from toygan.theory import Density, _density, _same_dim, _sampler, optimal_discriminator
from toygan.validate import integer, number
from toygan.validate import points as checked_points

__all__ = ["MEAN_TOL", "QUANTILE_TOL", "RELATIVE_TOL", "RELATIVE_FLOOR", "HALF_MEAN_TOL",
           "HALF_QUANTILE_TOL", "QUANTILE", "Gap",
           "as_probabilities", "discriminator_gap", "assert_optimal_discriminator",
           "assert_discriminator_near_half", "fit_discriminator", "OUTPUT_KINDS",
           "FIT_OBJECTIVES"]  # noqa: F822 - FIT_OBJECTIVES is read from the registry (__getattr__)

MEAN_TOL = 0.1
"""Default bound on the mean |D − D*| under m = ½(p_data + p_g) (calibrated: ``docs/testing.md``)."""
QUANTILE_TOL = 0.4
"""Default bound on the ``QUANTILE`` of |D − D*| under m."""
RELATIVE_TOL = 0.5
"""Default bound on mean |D − D*| as a share of mean |½ − D*|: D must be at least twice as close to
D* as the constant ½ is, so that ½ fails where D* itself stays near ½ (overlapping densities)."""
RELATIVE_FLOOR = 0.01
"""A mean |D − D*| this small passes the relative bound whatever the pair (where D* ≈ ½ itself)."""
HALF_MEAN_TOL = 0.05
"""Default bound on the mean |D − ½| at equilibrium (calibrated: ``docs/testing.md``)."""
HALF_QUANTILE_TOL = 0.15
"""Default bound on the ``QUANTILE`` of |D − ½| at equilibrium."""
QUANTILE = 0.95
"""The quantile of |D − target| that the assertions bound, besides the mean."""

OUTPUT_KINDS = ("probability", "logit", "score")
"""What D's output means: a probability of "real" in [0, 1]; a logit a with D = σ(a); or a
least-squares score, whose optimum is D* too but which strays past 0 and 1 (clipped to [0, 1])."""


@dataclass(frozen=True)
class Gap:
    """How far D is from a target (D* or ½) at ``n`` points: the mean and the ``q`` quantile of
    |D − target|, and the worst point ``x`` with D and the target there. ``flipped_mean`` is the
    mean of |(1 − D) − target| (small when D's labels are swapped); ``spread`` the standard
    deviation of D over the points (near 0 when D is constant)."""

    target: str
    mean: float
    quantile: float
    q: float
    worst: float
    x: tuple[float, ...]
    d: float
    expected: float
    n: int
    flipped_mean: float
    spread: float
    half_mean: float = math.nan
    """mean |½ − target|: how far the constant ½ is from the target at the same points."""

    def bound(self, mean_tol: float, relative_tol: float | None = None) -> float:
        """The mean |D − target| allowed: ``mean_tol``, and with ``relative_tol`` at most that
        share of ``half_mean`` (but never below ``RELATIVE_FLOOR``)."""
        if relative_tol is None:
            return mean_tol
        return min(mean_tol, max(relative_tol * self.half_mean, RELATIVE_FLOOR))

    def holds(self, mean_tol: float, quantile_tol: float, atol: float | None = None,
              relative_tol: float | None = None) -> bool:
        """Is the mean within ``bound(mean_tol, relative_tol)`` and the quantile ≤
        ``quantile_tol`` (and, given ``atol``, every point within it)?"""
        return (self.mean <= self.bound(mean_tol, relative_tol) and self.quantile <= quantile_tol
                and (atol is None or self.worst <= atol))

    def __str__(self) -> str:
        pct = f"{100 * self.q:g}th percentile"
        return (f"mean |D − {self.target}| = {self.mean:.3g}, {pct} {self.quantile:.3g}, worst "
                f"{self.worst:.3g} at x = {_rounded(self.x)} (D = {self.d:.3g}, {self.target} = "
                f"{self.expected:.3g}), over {self.n:,} points")


def _one_line(func: Callable) -> Callable:
    """``func`` with a ToyganError from deeper in toygan raised again here, from a frame pytest
    hides: the user sees their test line and the message, not toygan's internals."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        try:
            return func(*args, **kwargs)
        except ToyganError as err:
            raise ToyganError(str(err)) from None

    return wrapper


def _as_density(p: Any, name: str) -> Density:
    """``p`` if it is a density; an array of samples in its place is named by its shape."""
    __tracebackhide__ = True
    if isinstance(p, np.ndarray | list | tuple):
        raise ToyganError(f"{name}: an array of shape {np.shape(p)}, not a density; pass a "
                          "toygan.data target, or toygan.theory.kde(samples)")
    return _density(p, name)


def _rounded(x: tuple[float, ...]) -> list[float]:
    return [float(round(v, 3)) for v in x]


def _output(output: Any) -> str:
    __tracebackhide__ = True
    if output not in OUTPUT_KINDS:
        raise ToyganError(f"output = {output!r}: choose one of {list(OUTPUT_KINDS)} (what D returns)")
    return output


@contextlib.contextmanager
def _evaluating(module: Any) -> Iterator[None]:
    """A torch module in eval mode without gradients, put back as it was afterwards."""
    import torch  # (torch: when a torch D is tested, never by the plugin's start; see the docstring)

    training = module.training
    module.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        module.train(training)


def _torch_call(D: Callable, x: np.ndarray) -> Any:
    """``D`` on ``x`` as a torch tensor: of a module's parameters' dtype and device, in eval mode;
    for another callable float32 on the CPU (float64 if it refuses float32); no gradients."""
    import torch  # (as _evaluating)
    from torch import nn

    params = list(D.parameters()) if isinstance(D, nn.Module) else []
    _check_parameters(params)
    floating = [p for p in params if p.is_floating_point()]
    dtype = floating[0].dtype if floating else torch.float32
    device = params[0].device if params else torch.device("cpu")
    if isinstance(D, nn.Module):
        with _evaluating(D):
            return D(torch.as_tensor(x, dtype=dtype, device=device))
    with torch.no_grad():
        try:
            return D(torch.as_tensor(x, dtype=torch.float32))
        except RuntimeError as err:  # a function around a float64 network
            if "dtype" not in str(err) and "Double" not in str(err):
                raise
            return D(torch.as_tensor(x, dtype=torch.float64))


CHUNK = 2**16
"""Points D is called on at once."""
POINT_BYTES = 250
"""Memory per point of an assertion, erring high: the point, the densities' log values, D and D*
and the gap (measured: 157-175 bytes per point, peak RSS over 2 × 10⁶ and 8 × 10⁶ points, with a
64-wide MLP D called in chunks)."""


def _check_parameters(params: list) -> None:
    """A module D can be called on points: its parameters hold values, and real ones."""
    __tracebackhide__ = True
    for p in params:
        if p.device.type == "meta":
            raise ToyganError("D: its parameters are on the 'meta' device, which holds no values; "
                              "make it on the CPU (or module.to_empty(device='cpu') and load its weights)")
        if p.is_complex():
            raise ToyganError(f"D: a parameter of dtype {str(p.dtype).removeprefix('torch.')}; a "
                              "discriminator has real parameters")


def _is_torch(D: Any) -> bool:
    torch = sys.modules.get("torch")  # a torch callable means torch is imported already
    return torch is not None and isinstance(D, torch.nn.Module)


def _raw(D: Any, x: np.ndarray) -> np.ndarray:
    """What ``D`` returns at ``x`` ``(n, d)``, as a float64 array, whatever kind of callable it is."""
    __tracebackhide__ = True
    if callable(getattr(D, "predict_proba", None)):  # a scikit-learn classifier
        return _sklearn(D, x)
    if not callable(D):
        raise ToyganError(f"D = {D!r}: not callable; pass an nn.Module, a function of (n, 2) points "
                          "or a scikit-learn classifier")
    if _is_torch(D):
        out = _torch_call(D, x)
    else:
        try:
            out = D(x)
        except (TypeError, AttributeError) as numpy_error:
            # a torch function given NumPy points ("linear(): argument 'input' must be Tensor")
            try:
                out = _torch_call(D, x)
            except Exception:  # noqa: BLE001 — not a torch function either: its own error shows
                raise numpy_error from None
    if type(out).__module__.startswith("torch"):
        if getattr(out, "is_complex", lambda: False)():
            raise ToyganError(f"D returned complex numbers ({out.dtype}); it must return real values")
        out = out.detach().cpu().double().numpy()
    if np.iscomplexobj(out) or (isinstance(out, list | tuple) and any(isinstance(v, complex) for v in out)):
        raise ToyganError("D returned complex numbers; it must return real values (its real part "
                          "alone would be judged silently)")
    try:
        out = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ToyganError(f"D returned {type(out).__name__}, not numbers ({first_line(err)})") from None
    return out[:, 0] if out.shape == (len(x), 1) else out


def _called(D: Any, x: np.ndarray) -> np.ndarray:
    """``_raw``, with an error of D's own said in one line (its type, the points, its message)."""
    __tracebackhide__ = True
    try:
        return _raw(D, x)
    except ToyganError:
        raise
    except Exception as err:  # noqa: BLE001 - whatever D raises, the assertion says it in one line
        raise ToyganError(f"D raised {type(err).__name__} on points of shape {x.shape}: "
                          f"{first_line(err)}") from None


def _sklearn(D: Any, x: np.ndarray) -> np.ndarray:
    __tracebackhide__ = True
    classes = [c.item() if hasattr(c, "item") else c for c in getattr(D, "classes_", [])]
    if sorted(classes) != [0, 1]:
        raise ToyganError(f"D: a classifier with classes {classes}; it must be fitted on two "
                          "classes, 1 (real) and 0 (generated)")
    return np.asarray(D.predict_proba(x), dtype=np.float64)[:, classes.index(1)]


@_one_line
def as_probabilities(D: Any, *, output: str = "probability") -> Callable[[np.ndarray], np.ndarray]:
    """``D`` as a NumPy function of points ``(n, d)`` returning probabilities ``(n,)``.

    Args:
        D: an ``nn.Module`` or torch callable (called on a tensor of its parameters' dtype and
            device, in eval mode, without gradients), a NumPy callable, or a scikit-learn
            classifier (its ``predict_proba`` for class 1).
        output: ``"probability"``, ``"logit"`` (then σ is applied) or ``"score"`` (a least-squares
            D: clipped to [0, 1]); ignored for a classifier.

    The function raises ``ToyganError`` when D returns the wrong number of values, NaN, or
    "probabilities" outside [0, 1] (a hint to pass ``output="logit"``).
    """
    __tracebackhide__ = True
    output = _output(output)

    @_one_line
    def probabilities(x: np.ndarray) -> np.ndarray:
        __tracebackhide__ = True
        x = checked_points(x, "x")
        # in chunks: D's activations over millions of points at once would take gigabytes
        d = (np.concatenate([_called(D, x[i:i + CHUNK]) for i in range(0, len(x), CHUNK)]) if len(x)
             else _called(D, x))
        if d.shape != (len(x),):
            raise ToyganError(f"D returned {d.size} values (shape {d.shape}) for {len(x)} points; it "
                              "must map (n, d) points to n values")
        if np.any(np.isnan(d)):
            raise ToyganError(f"D returned NaN at {int(np.isnan(d).sum())} of {len(d)} points")
        if output == "logit" and not callable(getattr(D, "predict_proba", None)):
            with np.errstate(over="ignore"):
                return 1.0 / (1.0 + np.exp(-d))
        if output == "score":
            return np.clip(d, 0.0, 1.0)
        bad = np.flatnonzero((d < 0) | (d > 1))
        if bad.size:
            raise ToyganError(f"D returned {d[bad[0]]:.4g} at x = {_rounded(tuple(x[bad[0]]))}: "
                              "probabilities lie in [0, 1]; if D returns logits, pass output=\"logit\"")
        return d

    return probabilities


_NO_SAMPLE = ("has no sample(n, rng) to draw points from (the assertions also take the points "
              "themselves: points=(n, d))")


def _points(p: Density, q: Density, n: int, seed: int) -> np.ndarray:
    """``n`` points from each of p and q (from the density each ``log_prob`` describes): a sample
    of m = ½(p + q) with its halves fixed."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    return np.concatenate([_sampler(p, "p_data", _NO_SAMPLE)(n, rng), _sampler(q, "p_g", _NO_SAMPLE)(n, rng)])


def _gap(d: np.ndarray, target: np.ndarray, x: np.ndarray, q: float, name: str) -> Gap:
    gap = np.abs(d - target)
    worst = int(gap.argmax())
    return Gap(name, float(gap.mean()), float(np.quantile(gap, q)), q, float(gap[worst]),
               tuple(float(v) for v in x[worst]), float(d[worst]), float(target[worst]), len(x),
               float(np.abs(1 - d - target).mean()), float(d.std()), float(np.abs(0.5 - target).mean()))


def _options(n: Any, seed: Any, quantile: Any) -> tuple[int, int, float]:
    __tracebackhide__ = True
    checked = (integer("n", n, 10, 10**7), integer("seed", seed, 0),
               number("quantile", quantile, 0.0, 1.0, open_high=True))
    check_bytes(2 * checked[0] * POINT_BYTES, f"n = {checked[0]:,} points from each density", "n")
    return checked


@_one_line
def discriminator_gap(D: Any, p_data: Density, p_g: Density, *, output: str = "probability",
                      n: int = 2000, seed: int = 0, quantile: float = QUANTILE,
                      points: np.ndarray | None = None) -> Gap:
    """How far D is from D* = p_data / (p_data + p_g) under m = ½(p_data + p_g).

    Args:
        D, output: see ``as_probabilities``.
        p_data, p_g: densities with ``log_prob`` and ``sample(n, rng)`` (``toygan.data`` targets,
            ``toygan.theory.kde(samples)``); a sample-only target is sampled from its KDE, the
            density its ``log_prob`` gives.
        n: points drawn from each density (NumPy seed ``seed``); ``points`` ``(N, d)`` instead.
        quantile: which quantile of |D − D*| to report besides the mean.

    Returns:
        A ``Gap``: mean, quantile and worst point of |D − D*|.
    """
    __tracebackhide__ = True
    n, seed, quantile = _options(n, seed, quantile)
    p_data, p_g = _as_density(p_data, "p_data"), _as_density(p_g, "p_g")
    dim = _dim(p_data, p_g)
    x = _points(p_data, p_g, n, seed) if points is None else checked_points(points, "points")
    if x.shape[1] != dim:
        raise ToyganError(f"points: shape {x.shape}; the densities are {dim}D, so points must be "
                          f"(n, {dim})")
    d = as_probabilities(D, output=output)(x)
    return _gap(d, optimal_discriminator(p_data, p_g, x), x, quantile, "D*")


def _dim(p: Any, q: Any) -> int:
    """The common dimension of p_data and p_g (of what their ``log_prob`` describes; 2 if unsaid)."""
    __tracebackhide__ = True
    return _same_dim(getattr(p, "density", p), getattr(q, "density", q), ("p_data", "p_g")) or 2


def _tolerances(mean_tol: Any, quantile_tol: Any, atol: Any, relative_tol: Any = None) -> None:
    __tracebackhide__ = True
    number("mean_tol", mean_tol, 0.0, 1.0, open_low=False)
    number("quantile_tol", quantile_tol, 0.0, 1.0, open_low=False)
    if atol is not None:
        number("atol", atol, 0.0, 1.0, open_low=False)
    if relative_tol is not None:
        number("relative_tol", relative_tol, 0.0, open_low=False)


def _advice(gap: Gap) -> str:
    """What to try, from the shape of the miss."""
    if gap.target == "D*" and gap.flipped_mean < gap.mean / 2:
        return ("1 − D is much closer to D* than D: are the labels swapped (real must be 1, "
                "generated 0), or is D's output the probability of 'generated'?")
    if gap.spread < 0.02:
        return ("D is nearly constant (its standard deviation over the points is "
                f"{gap.spread:.3g}): was it trained, and is output={'logit'!r} needed?")
    if gap.target == "½":
        return "D still tells the two apart: is p_g really p_data, and is D overfitting its minibatches?"
    return ("train D longer or with a larger learning rate (more steps of your training loop, or "
            "fit_discriminator(..., steps=...)), widen it, or check it is trained on p_data (label 1) "
            "against p_g (label 0)")


def _fail(gap: Gap, mean_bound: float, quantile_tol: float, atol: float | None) -> None:
    __tracebackhide__ = True
    bounds = f"mean ≤ {mean_bound:.3g}"
    if gap.target == "D*":
        bounds += f" (D = ½ would be off by {gap.half_mean:.3g})"
    bounds += f", {100 * gap.q:g}th percentile ≤ {quantile_tol:g}"
    if atol is not None:
        bounds += f", every point ≤ {atol:g}"
    what = "optimal" if gap.target == "D*" else "½"
    raise AssertionError(f"D is not {what}: {gap}; allowed: {bounds}. Try: {_advice(gap)}")


@_one_line
def assert_optimal_discriminator(D: Any, p_data: Density, p_g: Density, *,
                                 output: str = "probability", mean_tol: float = MEAN_TOL,
                                 quantile_tol: float = QUANTILE_TOL, relative_tol: float = RELATIVE_TOL,
                                 atol: float | None = None, quantile: float = QUANTILE, n: int = 2000,
                                 seed: int = 0, points: np.ndarray | None = None) -> Gap:
    """Assert that D is the optimal discriminator D* = p_data / (p_data + p_g) (Goodfellow et al.
    2014, Prop. 1) under m = ½(p_data + p_g), where D is trained.

    Holds when the mean |D − D*| over ``n`` points from each density is ≤ ``mean_tol`` and at most
    ``relative_tol`` × the mean |½ − D*| (or ``RELATIVE_FLOOR``, where D* itself is near ½), and
    its ``quantile`` is ≤ ``quantile_tol``; with ``atol``, also every point within ``atol`` (for a
    D in closed form). The defaults pass a D trained to convergence (``fit_discriminator``'s
    defaults) and fail D = ½, a D trained for 10 steps and a D with swapped labels
    (``docs/testing.md`` has the table). Arguments as in ``discriminator_gap``.

    Returns:
        The ``Gap``, for a test to report or check further.

    Raises:
        AssertionError: with the mean, the quantile, the worst point and what to try.
        ToyganError: for a bad argument, or a D that returns the wrong shape, NaN or values
            outside [0, 1].
    """
    __tracebackhide__ = True
    _tolerances(mean_tol, quantile_tol, atol, relative_tol)
    gap = discriminator_gap(D, p_data, p_g, output=output, n=n, seed=seed, quantile=quantile,
                            points=points)
    if not gap.holds(mean_tol, quantile_tol, atol, relative_tol):
        _fail(gap, gap.bound(mean_tol, relative_tol), quantile_tol, atol)
    return gap


@_one_line
def assert_discriminator_near_half(D: Any, p: Density | np.ndarray, *, output: str = "probability",
                                   mean_tol: float = HALF_MEAN_TOL,
                                   quantile_tol: float = HALF_QUANTILE_TOL, atol: float | None = None,
                                   quantile: float = QUANTILE, n: int = 2000, seed: int = 0) -> Gap:
    """Assert D ≈ ½: D cannot tell data from generated samples, as at the equilibrium p_g = p_data
    (Goodfellow et al. 2014, Thm. 1), where D* = ½ everywhere.

    Args:
        p: the distribution both players share (``2n`` points are drawn from it), or points
            ``(N, d)`` at which to look.
        mean_tol, quantile_tol, atol, quantile: as in ``assert_optimal_discriminator``, for
            |D − ½|; the defaults pass a D trained with ``fit_discriminator`` on p against p, and
            fail a D trained against another p_g (``docs/testing.md``).

    Returns:
        The ``Gap``.

    Raises:
        AssertionError: with the mean, the quantile, the worst point and what to try.
    """
    __tracebackhide__ = True
    _tolerances(mean_tol, quantile_tol, atol)
    n, seed, quantile = _options(n, seed, quantile)
    if callable(getattr(p, "log_prob", None)) or callable(getattr(p, "sample", None)):
        x = _sampler(p, "p", _NO_SAMPLE)(2 * n, np.random.default_rng(seed))
    else:
        x = checked_points(p, "p")
    d = as_probabilities(D, output=output)(x)
    gap = _gap(d, np.full(len(x), 0.5), x, quantile, "½")
    if not gap.holds(mean_tol, quantile_tol, atol):
        _fail(gap, mean_tol, quantile_tol, atol)
    return gap


@functools.cache
def _fit_objectives() -> tuple[str, ...]:
    """Objectives whose D step has the optimum D* = p_data / (p_data + p_g), from the registry
    (``Objective.optimum_is_d_star``: the two GAN objectives share one D loss, binary cross-entropy;
    least squares reaches D* too, Mao et al. 2017, Prop. 1); the default first."""
    from toygan.objectives import OBJECTIVES  # (torch: not for every pytest run the plugin joins)

    names = [name for name, objective in OBJECTIVES.items() if objective.optimum_is_d_star]
    return tuple(sorted(names, key=lambda name: name != "non-saturating"))  # fit_discriminator's default


def __getattr__(name: str) -> Any:
    if name == "FIT_OBJECTIVES":  # read from the registry when asked (see _fit_objectives)
        return _fit_objectives()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@_one_line
def fit_discriminator(module: Any, p_data: Density, p_g: Density, *, steps: int = 3000,
                      seed: int = 0, batch_size: int = 256, lr: float = 3e-3,
                      loss: str = "non-saturating", threads: int = 1) -> Any:
    """Train ``module`` as D against fixed densities: Goodfellow et al. (2014), Algorithm 1's D
    step, ``steps`` times, with Adam.

    Each step draws ``batch_size`` points from p_data (label 1) and from p_g (label 0), from
    NumPy's generator seeded with ``seed``, and descends D's loss of ``loss`` (binary
    cross-entropy on logits for the GAN objectives; squared error to 1 and 0 for least squares).
    Dropout and other torch randomness draw from a torch generator seeded with ``seed`` too, so the
    same module, densities and seed give the same D. Learn what D* looks like:
    ``assert_optimal_discriminator(module, p_data, p_g, output="logit")`` (``output="score"`` for
    least squares).

    Args:
        module: an ``nn.Module`` mapping points ``(n, d)`` to logits ``(n,)`` or ``(n, 1)``
            (scores for least squares); trained in place, left in the mode it came in.
        p_data, p_g: densities with ``sample(n, rng)`` (a sample-only target: its KDE's samples, so
            that D* of its ``log_prob`` is the optimum).
        threads: torch's CPU threads while training (restored after); one is fastest for small
            networks, and stays fast when other processes use the other cores.

    Returns:
        ``module``, trained.

    Raises:
        ToyganError: for a module that does not map points to one value each, or a bad option.
    """
    import torch  # (as _evaluating)

    from toygan.objectives import OBJECTIVES
    from toygan.players import OwnDiscriminator

    if loss not in _fit_objectives():
        raise ToyganError(f"loss = {loss!r}: choose one of {list(_fit_objectives())} (the objectives "
                          "whose optimal D is D*)")
    steps, seed = integer("steps", steps, 1, 10**7), integer("seed", seed, 0, 2**63 - 1)
    batch_size = integer("batch_size", batch_size, 1, 2**20)
    lr = number("lr", lr, 0.0, 10.0)
    threads = integer("threads", threads, 1, 256)
    p_data, p_g = _as_density(p_data, "p_data"), _as_density(p_g, "p_g")
    draw_data, draw_g = _sampler(p_data, "p_data", _NO_SAMPLE), _sampler(p_g, "p_g", _NO_SAMPLE)
    dim = _dim(p_data, p_g)
    player = OwnDiscriminator(module, dim)  # probes the module: one value per point, or one line why
    params = [p for p in module.parameters() if p.requires_grad]
    dtype, device = next(p for p in params if p.is_floating_point()).dtype, params[0].device
    d_loss = OBJECTIVES[loss].discriminator_loss
    rng = np.random.default_rng(seed)
    training, previous = module.training, torch.get_num_threads()
    module.train()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            torch.set_num_threads(threads)
            optimizer = torch.optim.Adam(params, lr=lr, fused=params[0].is_floating_point())
            for _ in range(steps):
                batch = np.concatenate([draw_data(batch_size, rng), draw_g(batch_size, rng)])
                out = player(torch.as_tensor(batch, dtype=dtype, device=device)[None])  # (1, 2B)
                loss_value = d_loss(out[:, :batch_size], out[:, batch_size:]).sum()
                optimizer.zero_grad(set_to_none=True)
                loss_value.backward()
                optimizer.step()
                if not math.isfinite(float(loss_value.detach())):
                    raise ToyganError(f"fit_discriminator: D's loss became "
                                      f"{float(loss_value.detach())}; lower lr = {lr:g}, or "
                                      "check that the module's output stays finite")
    finally:
        torch.set_num_threads(previous)
        module.train(training)
    return module
