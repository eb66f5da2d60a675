"""The Dirac-GAN's views of the methods (issue "Seeing the dynamics"): the grid of runs, the
spectrum and the radius against the step size, checked against closed forms derived here."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from toygan.dirac import dirac_gan, eigenvalues, spectral_radius, stable_range
from toygan.errors import ToyganError
from toygan.methods import Settings
from toygan.render.dirac import DiracAnimation, grid_shape, parse_runs
from toygan.render.dynamics import render_dirac
from toygan.render.spectrum import RADIUS_STEPS, RadiusFigure, SpectrumAnimation

ALL = ("bilinear:simultaneous,bilinear:alternating,bilinear:extragradient,bilinear:optimistic,"
       "bilinear:consensus,bilinear:sga,bilinear:cgd,bilinear:hamiltonian,gan:simultaneous,"
       "r1:alternating:0.3")


def _edge(rho, low: float, high: float) -> float:
    """Where a closed-form ρ(h) crosses 1 between low (stable) and high (not), by bisection."""
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if rho(mid) < 1 else (low, mid)
    return (low + high) / 2


def _optimistic_rho(h: float) -> float:
    # bilinear L = θψ: the field is v = A x with A = [[0, -1], [1, 0]] (eigenvalues ±i). The
    # optimistic step x' = x + h(2Av − Av_prev) acts on each eigen-mode a = ±i as the recurrence
    # λ² − (1 + 2ha)λ + ha = 0; ρ is the larger root's modulus
    return max(abs(r) for r in np.roots([1, -(1 + 2j * h), 1j * h]))


# closed forms of ρ(h) on the bilinear game (A's eigenvalues ±i, AᵀA = I):
CLOSED = {
    "simultaneous": lambda h: np.sqrt(1 + h**2),                   # |1 + ih|
    "extragradient": lambda h: np.sqrt((1 - h**2) ** 2 + h**2),     # |1 + ih(1 + ih)|
    "hamiltonian": lambda h: abs(1 - h),                            # x − h AᵀA x
    "consensus": lambda h: np.sqrt((1 - 0.3 * h) ** 2 + h**2),      # |1 + h(i − γ)|, γ = 0.3
    "sga": lambda h: np.sqrt((1 - h) ** 2 + h**2),                  # λ = 1: |1 + h(i − 1)|
    "cgd": lambda h: 1 / np.sqrt(1 + h**2),                         # (I + h²)⁻¹(1 + ih)
    "optimistic": _optimistic_rho,
}


@pytest.mark.parametrize("method", sorted(CLOSED))
def test_spectral_radius_on_the_bilinear_game_is_the_closed_form(method: str) -> None:
    gan = dirac_gan("bilinear")
    for h in (0.05, 0.3, 0.7, 1.5):
        assert spectral_radius(gan, lr=h, scheme=method) == pytest.approx(CLOSED[method](h), rel=1e-9)


@pytest.mark.parametrize(("method", "edge"), [
    ("extragradient", 1.0),                         # (1 − h²)² + h² < 1 ⇔ h < 1
    ("hamiltonian", 2.0),
    ("consensus", 2 * 0.3 / (1 + 0.3**2)),          # (1 − γh)² + h² < 1 ⇔ h < 2γ/(1 + γ²)
    ("sga", 1.0),
    ("optimistic", _edge(_optimistic_rho, 0.01, 1.0)),
])
def test_stable_range_ends_where_the_closed_form_crosses_one(method: str, edge: float) -> None:
    _, ranges = stable_range(dirac_gan("bilinear"), scheme=method, steps=RADIUS_STEPS)
    assert len(ranges) == 1
    low, high = ranges[0]
    assert low == RADIUS_STEPS[0]
    assert high == pytest.approx(edge, rel=1e-5)


def test_stable_range_is_empty_where_a_method_never_converges() -> None:
    # simultaneous steps on the bilinear game grow by √(1 + h²) > 1; alternating ones circle
    for method in ("simultaneous", "alternating"):
        radii, ranges = stable_range(dirac_gan("bilinear"), scheme=method, steps=RADIUS_STEPS[:200])
        assert ranges == [] and (radii >= 1 - 1e-9).all()


def test_lookahead_radius_is_read_per_step() -> None:
    # Lookahead k = 2, α = 1/2 around simultaneous on the bilinear game: one period's update is
    # (1 − α)I + αM² with M = I + hA, so its eigenvalues are ½ + ½(1 ± ih)², and ρ per step is
    # the square root of the period's
    h, gan = 0.3, dirac_gan("bilinear")
    period = abs(0.5 + 0.5 * (1 + 1j * h) ** 2)
    rho = spectral_radius(gan, lr=h, scheme="simultaneous", settings=Settings(lookahead_k=2))
    assert rho == pytest.approx(np.sqrt(period), rel=1e-9)


@pytest.mark.parametrize(("n", "shape"), [(1, (1, 1)), (3, (1, 3)), (4, (1, 4)), (6, (1, 6)),
                                          (8, (2, 4)), (10, (2, 5)), (12, (2, 6))])
def test_the_grid_takes_the_layout_whose_panels_are_largest(n: int, shape: tuple[int, int]) -> None:
    assert grid_shape(n, (1920, 1080)) == shape


def test_ten_methods_fit_a_projector_frame_each_titled_with_its_radius() -> None:
    # with settings lines on each panel and Lookahead in the figure's title
    settings = Settings(lookahead_k=5, consensus=0.5, d_steps=3)
    lookahead = DiracAnimation(parse_runs(ALL + ",impossible:sga,nsgan:optimistic"), steps=5,
                               size="1080p", settings=settings)
    lookahead.close()
    animation = DiracAnimation(parse_runs(ALL), steps=20, lr=0.2, size="1080p")
    try:
        assert animation.frame(10).shape == (1080, 1920, 3)
        titles = [ax.get_title() for ax in animation.fig.axes]
        assert len(titles) == 10
        rho = spectral_radius(dirac_gan("bilinear"), lr=0.2, scheme="extragradient")
        assert f"h = 0.2 · ρ = {rho:.4f}" in titles[2] and "extragradient" in titles[2]
    finally:
        animation.close()


def test_spectrum_frames_show_the_update_eigenvalues_at_each_step_size() -> None:
    runs = parse_runs("bilinear:extragradient,gan:continuous")
    animation = SpectrumAnimation(runs, lr=0.5, frames=5)
    try:
        assert animation.steps[-1] == pytest.approx(0.5)
        last = np.sort_complex(animation.values[0][-1])
        h = 0.5  # extragradient's eigenvalues on the bilinear game: 1 + ih(1 + ih) and its conjugate
        expected = np.sort_complex(np.array([1 - h**2 + 1j * h, 1 - h**2 - 1j * h]))
        np.testing.assert_allclose(last, expected, atol=1e-12)
        np.testing.assert_allclose(np.sort_complex(animation.values[1][0]),
                                   np.sort_complex(eigenvalues(dirac_gan("gan"))))
        animation.frame(4)
    finally:
        animation.close()


def test_radius_figure_names_each_stable_range() -> None:
    figure = RadiusFigure(parse_runs("bilinear:hamiltonian,bilinear:simultaneous,bilinear:alternating"),
                          lr=0.5)
    try:
        labels = [t.get_text() for t in figure.fig.legends[0].get_texts()]
        assert "hamiltonian — ρ < 1 for h < 2" in labels
        assert "simultaneous — ρ > 1 for every h from 0.001 to 10" in labels
        # alternating steps on the bilinear game: determinant 1, eigenvalues on the circle to h = 2
        assert "alternating — ρ = 1 (circles) for h up to about 2, never below 1" in labels
    finally:
        figure.close()


def test_vector_stills_are_the_same_bytes_every_time(tmp_path) -> None:
    runs = parse_runs("bilinear:extragradient,bilinear:optimistic")
    for view in ("trajectories", "spectrum", "radius"):
        a = render_dirac(tmp_path / f"a-{view}.svg", runs, view=view, steps=30, max_frames=10)
        b = render_dirac(tmp_path / f"b-{view}.svg", runs, view=view, steps=30, max_frames=10)
        assert a.read_bytes() == b.read_bytes() and b"<svg" in a.read_bytes()[:400]


@pytest.mark.parametrize(("args", "says"), [
    (["--view", "radius", "--out", "r.pdf", "--lr", "11"], "lr"),
    (["--view", "radius", "--runs", "gan:continuous"], "continuous flow has no step size"),
    (["--view", "spectrum", "--runs", "wgan-gp:simultaneous", "--out", "s.gif"], "needs a smooth game"),
    (["--view", "orbit"], "invalid choice"),
])
def test_bad_views_are_refused_in_one_line(tmp_path, args: list[str], says: str) -> None:
    out = [] if "--out" in args else ["--out", "r.png"]
    proc = subprocess.run([sys.executable, "-m", "toygan", "dirac", *args, *out], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and says in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list(tmp_path.iterdir())


def test_a_run_list_longer_than_the_grid_holds_is_refused() -> None:
    with pytest.raises(ToyganError, match="runs"):
        DiracAnimation(parse_runs(",".join(["bilinear:simultaneous"] * 17)), steps=2)


def test_an_overflowing_update_has_an_infinite_radius() -> None:
    # Lookahead with k = 320 at h = 10 multiplies by ~|1 + 10i|^320 a period: beyond float64
    rho = spectral_radius(dirac_gan("bilinear"), lr=10.0, scheme="simultaneous",
                          settings=Settings(lookahead_k=320))
    assert rho == np.inf


def test_a_dirac_recipe_check_a_run_cannot_answer_is_refused_when_loaded(tmp_path) -> None:
    from toygan.recipes import GALLERY, load_recipe

    text = (GALLERY / "how-fast-may-you-step.toml").read_text()
    bad = text.replace('runs = "bilinear:simultaneous,', 'runs = "gan:continuous,bilinear:simultaneous,')
    bad += '\n[[recipe.checks]]\nvariant = "gan:continuous"\nmetric = "stable_up_to"\ntest = "> 1"\nat_least = 1\n'
    (tmp_path / "flow.toml").write_text(bad)
    with pytest.raises(ToyganError, match="continuous flow has no step size"):
        load_recipe(tmp_path / "flow.toml")
