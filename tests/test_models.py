import pytest
import torch

from toygan.models import Discriminator, EnsembleLinear, Generator, sample_prior


def gens(*seeds):
    return [torch.Generator().manual_seed(s) for s in seeds]


def test_shapes():
    g, d = Generator(members=3, noise_dim=4, width=8, depth=2), Discriminator(members=3, width=8)
    g.reset_parameters(gens(0, 1, 2))
    d.reset_parameters(gens(0, 1, 2))
    x = g(torch.randn(3, 5, 4))
    assert x.shape == (3, 5, 2)
    assert d(x).shape == (3, 5)


def test_ensemble_layer_is_a_batch_of_linear_layers():
    layer = EnsembleLinear(4, 3, 5)
    layer.reset_parameters(gens(0, 1, 2, 3))
    x = torch.randn(4, 7, 3)
    out = layer(x)
    for i in range(4):
        torch.testing.assert_close(out[i], x[i] @ layer.weight[i] + layer.bias[i])


def test_member_init_depends_only_on_its_own_generator():
    ensemble, single = Generator(members=3, width=8), Generator(members=1, width=8)
    ensemble.reset_parameters(gens(10, 11, 12))
    single.reset_parameters(gens(11))
    for pe, ps in zip(ensemble.parameters(), single.parameters(), strict=True):
        torch.testing.assert_close(pe[1], ps[0], rtol=0, atol=0)


def test_default_init_bounds_match_nn_linear():
    layer = EnsembleLinear(1, 64, 10)
    layer.reset_parameters(gens(0))
    assert layer.weight.abs().max() <= 1 / 8 and layer.weight.abs().max() > 0.1


def test_depth_zero_is_linear():
    d = Discriminator(members=1, depth=0)
    assert len(d.net) == 1


def test_wrong_input_shape_is_reported():
    d = Discriminator(members=2, width=4)
    with pytest.raises(ValueError, match="expected input"):
        d(torch.randn(5, 2))


@pytest.mark.parametrize("prior", ["normal", "uniform"])
def test_priors(prior):
    z = sample_prior(prior, 1000, 3, gens(0, 1))
    assert z.shape == (2, 1000, 3)
    if prior == "uniform":
        assert z.min() >= -1 and z.max() <= 1
    torch.testing.assert_close(z, sample_prior(prior, 1000, 3, gens(0, 1)), rtol=0, atol=0)
