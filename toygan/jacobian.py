"""The eigenvalues of a neural GAN's game: the Jacobian of the joint field of both players'
parameters (Mescheder et al. 2017, "The Numerics of GANs", Sec. 3), on a fixed batch.

The field is v(w) = −ξ(w), ξ = (∇_ψ L_D, ∇_θ L_G) with w = (ψ, θ) D's and G's parameters: the
direction simultaneous gradient steps move them. Near a point where v = 0, the eigenvalues λ of
its Jacobian J = ∂v/∂w decide what the game does: Re λ < 0 attracts, Re λ > 0 repels, and a large
|Im λ| against a small |Re λ| is the rotation that makes GANs circle. A method that follows another
field has that field's Jacobian: consensus optimisation follows −(ξ + γJ_ξᵀξ) (its eigenvalues are
pulled left), the Hamiltonian method −J_ξᵀξ.

Up to ``EXACT_PARAMETERS`` parameters a member, the whole Jacobian is built row by row (one
vector-Jacobian product per row, by autograd, batched) and all its eigenvalues taken; above, the
``k`` largest in modulus are found by Arnoldi iteration (``scipy.sparse.linalg.eigs``) on the same
products: the eigenvalues of Jᵀ are those of J. Members of an ensemble are independent games,
each with its own Jacobian.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from toygan.errors import ToyganError
from toygan.methods import CONSENSUS_DEFAULT, Settings, settings_for

__all__ = ["Field", "field_of", "joint_field", "jacobian_rows", "eigenvalues",
           "EXACT_PARAMETERS", "ARNOLDI_PRODUCTS", "products_per_snapshot"]

Tensors = list[torch.Tensor]

EXACT_PARAMETERS = 1_500
"""At most this many parameters a member (both players): every eigenvalue, from the whole
Jacobian (1,500 × 1,500 takes about a second on two cores); above, the ``k`` largest."""
ARNOLDI_PRODUCTS = 40
"""Arnoldi iteration stops after about this many products per eigenvalue sought (ARPACK's
restarts); what has not converged by then is left out (NaN)."""
ROWS_AT_ONCE = 64
"""Rows of the Jacobian computed in one batched backward pass."""


@dataclass(frozen=True)
class Field:
    """The field a method follows, as a + b·J_ξᵀ applied to ξ (then negated): ``a`` ξ plus ``b``
    times the gradient of ½‖ξ‖²; ``label`` names it in a title."""

    a: float
    b: float
    label: str


def field_of(method: str, settings: Settings) -> Field:
    """The field ``method`` follows with ``settings``: the game's own, or consensus's and the
    Hamiltonian method's (whose eigenvalues differ from the game's)."""
    if method == "hamiltonian":
        return Field(0.0, 1.0, "Hamiltonian field −Jᵀξ")
    gamma = settings_for(method, settings).consensus
    if method == "consensus":
        gamma = gamma or CONSENSUS_DEFAULT
    if gamma:
        return Field(1.0, gamma, f"consensus field −(ξ + {gamma:g} Jᵀξ)")
    return Field(1.0, 0.0, "the game's field −ξ")


def joint_field(losses: Callable[[], tuple[torch.Tensor, torch.Tensor]], params_d: Tensors,
                params_g: Tensors, field: Field) -> Tensors:
    """v = −(a ξ + b J_ξᵀξ) at the current parameters, one tensor per parameter (D's, then G's),
    with its graph (so that it can be differentiated again). ``losses()`` gives D's and G's
    losses per member, each a function of both players."""
    loss_d, loss_g = losses()
    params = params_d + params_g
    xi = list(torch.autograd.grad(loss_d.sum(), params_d, create_graph=True, allow_unused=True,
                                  materialize_grads=True))
    if params_g:
        xi += torch.autograd.grad(loss_g.sum(), params_g, create_graph=True, allow_unused=True,
                                  materialize_grads=True)
    if field.b:
        # a gradient that no parameter moves (a bias's under a linear loss) has no graph: its
        # term of ∇½‖ξ‖² is zero
        live = [x for x in xi if x.requires_grad]
        pulled = (torch.autograd.grad(live, params, grad_outputs=live, create_graph=True,
                                      allow_unused=True, materialize_grads=True) if live
                  else [torch.zeros_like(p) for p in params])
        return [-(field.a * x + field.b * p) for x, p in zip(xi, pulled, strict=True)]
    return [-x for x in xi]


class _Products:
    """uᵀJ for u given per member as ``(B, E, N)`` → ``(B, E, N)``: B vector-Jacobian products of
    every member at once in one backward pass (the members' Jacobians are blocks of one)."""

    def __init__(self, v: Tensors, params: Tensors, members: int) -> None:
        self.v, self.params, self.members = v, params, members
        self.sizes = [p.numel() // members for p in params]
        self.n = sum(self.sizes)

    def __call__(self, u: torch.Tensor) -> torch.Tensor:
        b, e = u.shape[0], self.members
        pieces = [piece.reshape(b, *p.shape) for piece, p in
                  zip(u.split(self.sizes, dim=2), self.params, strict=True)]
        pairs = [(v, piece) for v, piece in zip(self.v, pieces, strict=True) if v.requires_grad]
        if not pairs:
            return torch.zeros_like(u)
        rows = torch.autograd.grad([v for v, _ in pairs], self.params,
                                   grad_outputs=[piece for _, piece in pairs], retain_graph=True,
                                   allow_unused=True, materialize_grads=True, is_grads_batched=True)
        # (a parameter the field does not depend on comes back as one unbatched zero tensor)
        return torch.cat([(r if r.numel() == b * p.numel() else r.expand(b, *p.shape)).reshape(b, e, -1)
                          for r, p in zip(rows, self.params, strict=True)], dim=2)


def jacobian_rows(v: Tensors, params: Tensors, members: int) -> np.ndarray:
    """Each member's whole Jacobian ∂v/∂w, ``(E, N, N)`` in float64, row i from the product
    e_iᵀJ (every member's at once)."""
    return _rows(_Products(v, params, members))


def _rows(products: _Products) -> np.ndarray:
    params, n, e = products.params, products.n, products.members
    out = np.empty((e, n, n))
    eye = torch.eye(n, dtype=params[0].dtype, device=params[0].device)
    for start in range(0, n, ROWS_AT_ONCE):
        basis = eye[start:start + ROWS_AT_ONCE]  # (B, N)
        rows = products(basis[:, None, :].expand(-1, e, -1).contiguous())  # (B, E, N)
        out[:, start:start + len(basis)] = rows.permute(1, 0, 2).double().cpu().numpy()
    return out


def _largest(products: _Products, member: int, k: int) -> np.ndarray:
    """The ``k`` eigenvalues of one member's Jacobian largest in modulus, by Arnoldi iteration on
    uᵀJ (Jᵀ has J's eigenvalues); NaN for those that did not converge."""
    # imported here: SciPy's sparse solvers take a third of a second to import, and only a
    # large game's eigenvalues need them
    from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, LinearOperator, eigs
    from threadpoolctl import threadpool_limits

    e, n = products.members, products.n
    p = products.params[0]

    def matvec(x: np.ndarray) -> np.ndarray:
        u = torch.zeros(1, e, n, dtype=p.dtype, device=p.device)
        u[0, member] = torch.from_numpy(np.asarray(x, np.float64).ravel()).to(p.dtype)
        out = products(u)[0, member].double().cpu().numpy()
        if not np.isfinite(out).all():
            raise ValueError("the Jacobian overflowed")
        return out

    operator = LinearOperator((n, n), matvec=matvec, dtype=np.float64)
    start = np.ones(n) / np.sqrt(n)  # a fixed start: the same eigenvalues every run
    ncv = _ncv(n, k)
    try:  # ARPACK's BLAS threads, left spinning between products, would slow torch's tenfold
        with threadpool_limits(1, user_api="blas"):
            values = eigs(operator, k=k, which="LM", v0=start, ncv=ncv, tol=1e-4,
                          maxiter=max(1, ARNOLDI_PRODUCTS * k // ncv), return_eigenvectors=False)
    except ArpackNoConvergence as err:
        values = err.eigenvalues
    except (ArpackError, ValueError):  # a Jacobian that overflowed, or one that is zero
        values = np.array([])
    found = np.full(k, np.nan + 0j)
    found[:len(values)] = values
    return found


def eigenvalues(v: Tensors, params: Tensors, members: int, k: int) -> tuple[np.ndarray, bool]:
    """Each member's eigenvalues of ∂v/∂w, ``(E, K)`` complex, sorted by modulus, largest first:
    all of them (K = N, exact) up to ``EXACT_PARAMETERS`` parameters a member, else the ``k``
    largest in modulus (K = k). Returns them and whether they are all."""
    products = _Products(v, params, members)
    if products.n <= EXACT_PARAMETERS:
        matrices = _rows(products)
        values = np.full(matrices.shape[:2], np.nan + 0j)
        finite = np.isfinite(matrices).all(axis=(1, 2))  # a diverging member's Jacobian overflows
        if finite.any():
            values[finite] = np.linalg.eigvals(matrices[finite])
        exact = True
    else:
        if not 1 <= k < products.n - 1:
            raise ToyganError(f"record.eigen_k = {k}: must be from 1 to {products.n - 2} "
                              f"(the game has {products.n:,} parameters a member)")
        values = np.stack([_largest(products, m, k) for m in range(members)])
        exact = False
    order = np.argsort(-np.nan_to_num(np.abs(values), nan=-1.0), axis=1, kind="stable")
    return np.take_along_axis(values, order, axis=1), exact


def products_per_snapshot(n: int, k: int) -> int:
    """Vector-Jacobian products one snapshot's eigenvalues take at most, for ``n`` parameters a
    member and ``k`` eigenvalues sought (the resource check counts them before training)."""
    if n <= EXACT_PARAMETERS:
        return n
    ncv = _ncv(n, k)
    return ncv + ncv * max(1, ARNOLDI_PRODUCTS * k // ncv)


def _ncv(n: int, k: int) -> int:
    """ARPACK's Arnoldi basis size for ``k`` eigenvalues of an n × n operator."""
    return min(n, max(2 * k + 1, 20))
