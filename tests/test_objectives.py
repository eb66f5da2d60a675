import math

import numpy as np
import pytest
import torch

from toygan.objectives import (
    OBJECTIVES,
    discriminator_loss,
    gradient_penalty,
    hinge_discriminator_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    minibatch_value,
    non_saturating_generator_loss,
    r1_penalty,
    saturating_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)


def test_value_at_d_equal_half_is_minus_log_4():
    zeros = torch.zeros(1, 10)
    assert minibatch_value(zeros, zeros).item() == pytest.approx(-math.log(4))
    assert discriminator_loss(zeros, zeros).item() == pytest.approx(math.log(4))


def test_losses_against_hand_computed_values():
    real, fake = torch.tensor([[2.0, -1.0]]), torch.tensor([[0.5, -3.0]])
    sig = torch.sigmoid
    expected_v = (torch.log(sig(real)).mean() + torch.log(1 - sig(fake)).mean()).item()
    assert minibatch_value(real, fake).item() == pytest.approx(expected_v, rel=1e-6)
    assert discriminator_loss(real, fake).item() == pytest.approx(-expected_v, rel=1e-6)
    assert saturating_generator_loss(fake).item() == pytest.approx(
        torch.log(1 - sig(fake)).mean().item(), rel=1e-6)
    assert non_saturating_generator_loss(fake).item() == pytest.approx(
        -torch.log(sig(fake)).mean().item(), rel=1e-6)


@pytest.mark.parametrize("a", [-30.0, -5.0, -1.0, 0.0, 0.7, 4.0])
def test_generator_gradients_wrt_the_logit(a):
    """D = σ(a): d/da log(1 − D) = −D (saturating), d/da [−log D] = −(1 − D) (non-saturating)."""
    d = 1 / (1 + math.exp(-a))
    for loss, expected in [(saturating_generator_loss, -d), (non_saturating_generator_loss, -(1 - d))]:
        logit = torch.tensor([[a]], dtype=torch.float64, requires_grad=True)
        loss(logit).sum().backward()
        assert logit.grad.item() == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_saturating_gradient_vanishes_where_d_rejects_fakes():
    logit = torch.tensor([[-20.0]], requires_grad=True)
    saturating_generator_loss(logit).sum().backward()
    assert abs(logit.grad.item()) < 1e-8
    logit.grad = None
    non_saturating_generator_loss(logit).sum().backward()
    assert logit.grad.item() == pytest.approx(-1.0)


def test_losses_stay_finite_when_d_saturates():
    big = torch.tensor([[1e4, -1e4]], requires_grad=True)
    for value in (discriminator_loss(big, big), saturating_generator_loss(big),
                  non_saturating_generator_loss(big)):
        assert torch.isfinite(value).all()
    (discriminator_loss(big, big) + non_saturating_generator_loss(big)).sum().backward()
    assert torch.isfinite(big.grad).all()


def test_losses_are_per_member():
    real, fake = torch.randn(3, 8), torch.randn(3, 8)
    out = discriminator_loss(real, fake)
    assert out.shape == (3,)
    assert out[1].item() == pytest.approx(discriminator_loss(real[1:2], fake[1:2]).item())


def test_registry_pairs_the_same_discriminator_loss_with_each_generator_loss():
    assert set(OBJECTIVES) == {"saturating", "non-saturating", "least-squares", "wasserstein", "hinge"}
    assert OBJECTIVES["saturating"].discriminator_loss is OBJECTIVES["non-saturating"].discriminator_loss
    assert [o.probabilistic for o in OBJECTIVES.values()] == [True, True, True, False, False]


def test_least_squares_losses_and_gradient():
    real, fake = torch.tensor([[0.8, 1.5]]), torch.tensor([[0.1, -0.4]], requires_grad=True)
    expected_d = 0.5 * ((0.8 - 1) ** 2 + (1.5 - 1) ** 2) / 2 + 0.5 * (0.1**2 + 0.4**2) / 2
    assert least_squares_discriminator_loss(real, fake).item() == pytest.approx(expected_d)
    least_squares_generator_loss(fake).sum().backward()
    # d/dD ½(D − 1)² averaged over 2 samples: (D − 1)/2
    np.testing.assert_allclose(fake.grad.numpy(), [[(0.1 - 1) / 2, (-0.4 - 1) / 2]], rtol=1e-6)


def test_wasserstein_and_hinge_losses():
    real, fake = torch.tensor([[2.0, 0.5]]), torch.tensor([[-1.5, 0.25]])
    assert wasserstein_critic_loss(real, fake).item() == pytest.approx((-1.5 + 0.25) / 2 - 1.25)
    assert wasserstein_generator_loss(fake).item() == pytest.approx(0.625)
    # hinge: relu(1 − 2) + relu(1 − 0.5) = 0.5 → mean 0.25; relu(1 − 1.5) + relu(1.25) → 0.625
    assert hinge_discriminator_loss(real, fake).item() == pytest.approx(0.25 + 0.625)


def linear_critic(w, b=0.3):
    """f(x) = w·x + b for E = 1: its input gradient is w everywhere."""
    w = torch.tensor(w)
    return lambda x: (x * w).sum(-1) + b


def test_r1_penalty_equals_gamma_half_squared_gradient_norm():
    x = torch.randn(1, 50, 2)
    penalty = r1_penalty(linear_critic([3.0, -4.0]), x, gamma=0.2)
    assert penalty.item() == pytest.approx(0.1 * 25.0)


def test_r1_penalty_of_a_nonlinear_critic_against_finite_differences():
    disc = lambda x: torch.tanh(x[..., 0] * x[..., 1]) + x[..., 0] ** 2  # noqa: E731
    x = torch.randn(1, 20, 2, dtype=torch.float64)
    h = 1e-6
    grads = []
    for k in range(2):
        step = torch.zeros_like(x)
        step[..., k] = h
        grads.append((disc(x + step) - disc(x - step)) / (2 * h))
    direct = 0.5 * 1.5 * (grads[0] ** 2 + grads[1] ** 2).mean(-1)
    torch.testing.assert_close(r1_penalty(disc, x, gamma=1.5), direct, rtol=1e-6, atol=1e-9)


def test_gradient_penalty_of_a_linear_critic():
    real, fake = torch.randn(1, 30, 2), torch.randn(1, 30, 2)
    eps = torch.rand(1, 30, 1)
    penalty = gradient_penalty(linear_critic([0.6, 0.8]), real, fake, gamma=10.0, eps=eps)
    assert penalty.item() == pytest.approx(0.0, abs=1e-6)  # ‖w‖ = 1
    penalty = gradient_penalty(linear_critic([3.0, 4.0]), real, fake, gamma=10.0, eps=eps)
    assert penalty.item() == pytest.approx(10.0 * 16.0, rel=1e-5)  # (‖w‖ − 1)² = 16
    with pytest.raises(ValueError, match="eps must be"):
        gradient_penalty(linear_critic([1.0, 0.0]), real, fake, gamma=1.0, eps=torch.rand(1, 30, 2))
