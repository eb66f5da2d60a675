"""``toygan dirac``'s drawing: the runs of two-parameter games in one of three views, written
as an animation or a still."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from toygan.methods import Settings
from toygan.render.animation import check_output, write_frames
from toygan.render.dirac import DEFAULT_RUNS, DiracAnimation, DiracRun
from toygan.render.figure import Look
from toygan.render.spectrum import RadiusFigure, SpectrumAnimation
from toygan.render.writers import FORMATS, output_format
from toygan.validate import choice, path_arg

__all__ = ["render_dirac", "VIEWS"]


VIEWS = ("trajectories", "spectrum", "radius")
"""What ``toygan dirac`` draws: each run's path over the field; the eigenvalues of each run's
update in the complex plane as the step size grows to h; the spectral radius against the step
size, every run on one plot."""


def render_dirac(path: str | Path, runs: Sequence[DiracRun] = DEFAULT_RUNS, *, view: str = "trajectories",
                 steps: int = 500, lr: float = 0.1, theta0: float = 1.0, psi0: float = 1.0,
                 format: str | None = None, fps: float = 20, width: int | None = None,
                 max_frames: int = 150, look: Look | None = None,
                 size: str | tuple[int, int] | None = None, settings: Settings | None = None) -> Path:
    """Draw Dirac-GAN runs side by side, in a grid: animated (GIF, MP4, PNG filmstrip, HTML player)
    or as a still of the last frame (PDF, SVG). The ``radius`` view is one plot, its animation a
    cursor sweeping the step sizes; its PNG, PDF and SVG are stills with the cursor at ``lr``.

    Args:
        path: output file, written atomically.
        runs: variant, method and γ of each panel.
        view: one of ``VIEWS``.
        steps, lr: iterations and step size h (for ``continuous``, the RK4 step); the spectrum
            view sweeps the step size up to h, the radius view marks h.
        theta0, psi0: the starting point.
        format, fps, max_frames, look, size: as in ``toygan.render.render``.
        width: in pixels; None for 400 a column, at least 960.
        settings: the methods' own parameters (k, consensus γ, SGA's λ, Lookahead).
    """
    choice("view", view, VIEWS)
    path = path_arg(path)
    fmt = output_format(path, format, [*FORMATS, "pdf", "svg"])
    check_output(path.with_suffix(".gif"), None, fps, max_frames)  # the frame rate and count
    kw = {"lr": lr, "width": width, "look": look, "size": size, "settings": settings}
    if view == "radius":
        figure = RadiusFigure(runs, **kw)
    elif view == "spectrum":
        figure = SpectrumAnimation(runs, frames=max_frames, **kw)
    else:
        figure = DiracAnimation(runs, steps=steps, theta0=theta0, psi0=psi0, **kw)
    try:
        if fmt in ("pdf", "svg") or (fmt == "png" and view == "radius"):
            return figure.still(path, fmt)
        return write_frames(figure.frame, figure.frames, path, format=fmt, fps=fps,
                            max_frames=max_frames, caption=figure.caption,
                            title=f"Dirac-GAN: {view}")
    finally:
        figure.close()
