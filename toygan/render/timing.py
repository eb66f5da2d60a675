"""When each snapshot is shown: frame schedules that give the moments where the picture changes the
screen time they need, and holds on chosen steps.

A schedule is a list of snapshot indices, one per frame, in order; a snapshot listed several times
is shown that much longer (slow motion), and one left out is skipped. ``TIMINGS`` maps each name
to its schedule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from toygan.errors import ToyganError
from toygan.history import History
from toygan.validate import integer, number

__all__ = ["TIMINGS", "MAX_SLOWDOWN", "CAPTION_SECONDS", "WORDS_PER_SECOND", "END_SECONDS", "START_SECONDS",
           "schedule", "hold_captions", "change", "parse_holds", "even"]

MAX_SLOWDOWN = 4.0
"""A schedule shows no snapshot longer than this many times its share under even timing."""
CAPTION_SECONDS = 3.0
"""The least time a caption stays on screen: about what a line of text takes to read aloud."""
WORDS_PER_SECOND = 4.0
"""A caption longer than ``CAPTION_SECONDS`` of reading stays its words / this many seconds (about
a lecturer's reading speed aloud: a 17-word caption needed about 4 s, not 3)."""
END_SECONDS = 3.0
"""How long a looping GIF holds its last frame: the end state is most often the claim's evidence,
and it needs the time of a caption to be read before the loop starts again."""
START_SECONDS = 1.5
"""How long a looping GIF holds its first frame: after the end's hold, the eye needs a moment to
see where the players start (G's samples, D's flat surface) before they move."""


def even(n_snapshots: int, max_frames: int) -> np.ndarray:
    """At most ``max_frames`` snapshot indices, evenly spread, always with the first and last."""
    if n_snapshots <= max_frames:
        return np.arange(n_snapshots)
    return np.unique(np.linspace(0, n_snapshots - 1, max_frames).round().astype(int))


def _by_share(weights: np.ndarray, max_frames: int) -> np.ndarray:
    """``max_frames`` frames where snapshot i (i ≥ 1) takes a share of the frames in proportion to
    ``weights[i]`` (at most ``MAX_SLOWDOWN`` × the mean), the time from snapshot i − 1 to i;
    snapshot 0 opens and the last one closes."""
    weights = np.asarray(weights, dtype=np.float64)[1:]
    if len(weights) and weights.sum() > 0:
        # no snapshot holds the screen more than 4× its even time: a sparse recording's first
        # interval would otherwise freeze the opening frame
        for _ in range(8):  # capping lowers the mean: cap again until it holds
            weights = np.minimum(weights, MAX_SLOWDOWN * weights.mean())
    total = np.concatenate([[0.0], np.cumsum(weights)])
    if total[-1] <= 0:  # nothing changes: even time
        return even(len(total), max_frames)
    targets = np.linspace(0, total[-1], max_frames)
    return np.searchsorted(total, targets, side="left").clip(0, len(total) - 1)


def change(history: History, member: int = 0) -> np.ndarray:
    """How much the picture changes into each snapshot: the generator samples' mean movement (the
    same noise z at every snapshot, as a share of the window) and D's mean change on the grid (as a
    share of its range over the run), each scaled to sum to 1 and then averaged; 0 for snapshot 0."""
    parts = []
    left, right, bottom, top = history.window
    moves = np.linalg.norm(np.diff(history.samples[:, member].astype(np.float64), axis=0), axis=-1)
    parts.append(moves.mean(axis=1) / max(right - left, top - bottom))
    grids = history.d_grid[:, member].astype(np.float64)
    cells = tuple(range(1, grids.ndim))
    if history.critic:  # a critic drifts by a constant that changes nothing
        grids = grids - np.median(grids, axis=cells, keepdims=True)
    reach = float(np.ptp(grids)) or 1.0
    parts.append(np.abs(np.diff(grids, axis=0)).mean(axis=cells) / reach)
    shares = [p / p.sum() for p in parts if np.isfinite(p).all() and p.sum() > 0]
    if not shares:
        return np.zeros(history.n_snapshots)
    return np.concatenate([[0.0], np.mean(shares, axis=0)])


def _even(history: History, max_frames: int, member: int) -> np.ndarray:
    return even(history.n_snapshots, max_frames)


def _log(history: History, max_frames: int, member: int) -> np.ndarray:
    # the time from step a to b is log(1 + b) − log(1 + a): each tenfold of steps the same time
    return _by_share(np.diff(np.log1p(history.steps.astype(np.float64)), prepend=0.0), max_frames)


def _changes(history: History, max_frames: int, member: int) -> np.ndarray:
    return _by_share(change(history, member), max_frames)


TIMINGS: dict[str, Callable[[History, int, int], np.ndarray]] = {
    "even": _even, "log": _log, "changes": _changes}
"""Name → schedule: ``even`` (every snapshot the same time), ``log`` (each tenfold of steps the
same time: the early steps slowed down), ``changes`` (time in proportion to how much the samples
and D change: the key moment slowed down, the quiet stretches skipped)."""


def parse_holds(text: str) -> dict[int, float]:
    """``"200:2,3000:1.5"`` → {200: 2.0, 3000: 1.5}: hold the frame of step 200 for 2 seconds.

    Raises:
        ToyganError: for anything else, naming the item.
    """
    holds = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        step, sep, seconds = item.partition(":")
        try:
            holds[int(step)] = float(seconds) if sep else 2.0
        except ValueError:
            raise ToyganError(f"--hold {item!r}: give STEP:SECONDS, such as 200:2 (seconds "
                              "default to 2)") from None
    return holds


def schedule(history: History, max_frames: int, timing: str = "even", *,
             holds: Mapping[int, float] | None = None, fps: float = 12, member: int = 0) -> list[int]:
    """The snapshot shown in each frame: ``max_frames`` frames by ``timing``, the first and last
    snapshot always in, then each step in ``holds`` held that many seconds (at ``fps``) at its
    nearest snapshot.

    Raises:
        ToyganError: for an unknown timing, or a hold outside the recorded steps or over 30 s.
    """
    if timing not in TIMINGS:
        raise ToyganError(f"timing = {timing!r}: choose one of {list(TIMINGS)}")
    integer("max_frames", max_frames, 2)
    frames = [int(i) for i in TIMINGS[timing](history, max_frames, member)]
    steps = history.steps.astype(np.int64)
    for step, seconds in (holds or {}).items():
        integer("hold step", step, 0)
        if not steps[0] <= step <= steps[-1]:
            raise ToyganError(f"hold at step {step}: this run recorded steps {int(steps[0]):,} to "
                              f"{int(steps[-1]):,}")
        number(f"hold at step {step}: seconds", seconds, 0, 30)
        i = int(np.abs(steps - step).argmin())
        at = next((k for k, j in enumerate(frames) if j >= i), len(frames))
        if at == len(frames) or frames[at] != i:
            frames.insert(at, i)  # the held snapshot was skipped: show it
        frames[at + 1:at + 1] = [i] * round(seconds * fps)
    return frames


def hold_captions(frames: Sequence[int], steps: np.ndarray, captions: Mapping[int, str], fps: float,
                  seconds: float = CAPTION_SECONDS) -> list[int]:
    """The schedule ``frames`` (indices into the sorted ``steps``) with every caption on screen for
    at least ``seconds``, or its words / ``WORDS_PER_SECOND`` if that is longer: a caption's first
    frame is held for the time its frames fall short, and a caption that no frame shows gets the
    first snapshot of its span. A caption shows from its step until the next caption's."""
    frames = list(frames)
    starts = sorted(captions)
    for start, end in zip(starts, [*starts[1:], math.inf], strict=False):
        need = math.ceil(max(seconds, len(captions[start].split()) / WORDS_PER_SECOND) * fps)
        shown = [j for j, i in enumerate(frames) if start <= steps[i] < end]
        if not shown:
            i = int(np.searchsorted(steps, start))
            if i == len(steps) or steps[i] >= end:
                continue  # no snapshot was recorded in its span
            at = next((j for j, f in enumerate(frames) if steps[f] >= start), len(frames))
            frames.insert(at, i)
            shown = [at]
        if need > len(shown):
            first = shown[0]
            frames[first + 1:first + 1] = [frames[first]] * (need - len(shown))
    return frames
