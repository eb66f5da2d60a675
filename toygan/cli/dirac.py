"""``toygan dirac``: the Dirac-GAN's trajectories, spectra and radii for each method."""

from __future__ import annotations

import argparse
import time

from toygan.cli.render import frame_of, look_of, output_options
from toygan.methods import method_settings
from toygan.render.dirac import parse_runs
from toygan.render.dynamics import VIEWS, render_dirac
from toygan.validate import printable

__all__ = ["dirac_command"]


def dirac_command(sub: argparse._SubParsersAction) -> None:
    """``toygan dirac`` and its options."""
    dirac = sub.add_parser(
        "dirac", help="animate Dirac-GAN trajectories (Mescheder et al. 2018) side by side",
        description="Animate the Dirac-GAN parameter plane: the vector field and one trajectory per "
                    "run, the runs in a grid; or the spectrum of each run's step (--view). A .pdf "
                    "or .svg --out is a still of the last frame. Variants: gan, nsgan, wgan, wgan-gp, "
                    "r1, instance-noise, and the small "
                    "games bilinear, non-nash, impossible; methods: continuous (the flow), "
                    "alternating, simultaneous, consensus, extragradient, optimistic, sga, cgd, "
                    "hamiltonian.")
    dirac.add_argument("--out", default="dirac.gif", help="output file (default: ./dirac.gif)")
    dirac.add_argument("--runs", default="gan:simultaneous,gan:alternating,r1:simultaneous:0.3",
                       help="comma-separated variant:method[:gamma] (default: "
                            "gan:simultaneous,gan:alternating,r1:simultaneous:0.3)")
    dirac.add_argument("--view", choices=VIEWS, default="trajectories",
                       help="trajectories: each run's path over the field; spectrum: the eigenvalues "
                            "of each run's step at (0, 0) as the step size grows to --lr, with the "
                            "unit circle; radius: spectral radius against step size, every run on "
                            "one plot (default: trajectories)")
    dirac.add_argument("--d-steps", type=int, default=1,
                       help="k: D steps per G step of alternating runs (default: 1)")
    dirac.add_argument("--consensus", type=float, default=0.0,
                       help="γ of consensus optimisation, for consensus runs (0: 0.3) and added to "
                            "simultaneous, extragradient and optimistic ones (default: 0)")
    dirac.add_argument("--sga-lambda", type=float, default=1.0, help="λ of sga runs (default: 1)")
    dirac.add_argument("--lookahead-k", type=int, default=0,
                       help="Lookahead-minmax around every run: average every k steps (default: 0, off)")
    dirac.add_argument("--lookahead-alpha", type=float, default=0.5,
                       help="α of Lookahead-minmax (default: 0.5)")
    dirac.add_argument("--steps", type=int, default=500, help="iterations (default: 500)")
    dirac.add_argument("--lr", type=float, default=0.1, help="step size h (default: 0.1)")
    dirac.add_argument("--theta0", type=float, default=1.0, help="starting θ (default: 1)")
    dirac.add_argument("--psi0", type=float, default=1.0, help="starting ψ (default: 1)")
    output_options(dirac, fps=20, width="400 a column of the grid, at least 960")
    dirac.set_defaults(func=cmd_dirac)


def cmd_dirac(args: argparse.Namespace) -> int:
    runs = parse_runs(args.runs)
    settings = method_settings(d_steps=args.d_steps, consensus=args.consensus, sga_lambda=args.sga_lambda,
                               lookahead_k=args.lookahead_k, lookahead_alpha=args.lookahead_alpha)
    start = time.perf_counter()
    size = frame_of(args)
    if args.width is None and args.size is None:
        size["width"] = None  # the animation's own: wide enough for its panels' titles
    path = render_dirac(args.out, runs, view=args.view, steps=args.steps, lr=args.lr, theta0=args.theta0,
                        psi0=args.psi0, format=args.format, fps=args.fps, **size,
                        max_frames=args.frames, look=look_of(args), settings=settings)
    print(printable(f"wrote {path} in {time.perf_counter() - start:.1f} s"))
    return 0
