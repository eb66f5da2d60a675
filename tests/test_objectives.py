import math

import pytest
import torch

from toygan.objectives import (
    OBJECTIVES,
    discriminator_loss,
    minibatch_value,
    non_saturating_generator_loss,
    saturating_generator_loss,
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
    assert set(OBJECTIVES) == {"saturating", "non-saturating"}
    assert OBJECTIVES["saturating"].discriminator_loss is OBJECTIVES["non-saturating"].discriminator_loss
