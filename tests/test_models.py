import pytest
import torch

from gan_lesson import models


def test_classic_generator_shape_and_parameter_count():
    G = models.Generator()
    assert G(torch.rand(64, 1)).shape == (64, 1)
    # 1·10+10 + 10·10+10 + 10·1+1
    assert models.count_parameters(G) == 141


def test_classic_discriminator_outputs_probabilities():
    D = models.Discriminator(input_size=4)
    out = D(torch.randn(32, 4) * 10)
    assert out.shape == (32, 1)
    assert (out > 0).all() and (out < 1).all()
    assert models.count_parameters(D) == 4 * 10 + 10 + 10 * 10 + 10 + 10 + 1


def test_untrained_discriminator_says_about_one_half():
    torch.manual_seed(0)
    D = models.Discriminator(input_size=4)
    out = D(torch.randn(200, 4))
    assert abs(out.mean().item() - 0.5) < 0.15
    assert out.std().item() < 0.05


def test_untrained_generator_makes_a_narrow_lump():
    torch.manual_seed(0)
    G = models.Generator()
    x = G(torch.rand(5000, 1))
    assert x.std().item() < 0.3        # far narrower than the target's 1.25


def test_tanh_variant_and_dropout_switch():
    G = models.Generator(activation="tanh", dropout=0.0)
    assert isinstance(G.act, torch.nn.Tanh)
    z = torch.rand(10, 1)
    assert torch.equal(G(z), G(z))     # no dropout: deterministic


def test_linear_generator_is_an_affine_map():
    G = models.LinearGenerator(2, 2)
    z = torch.randn(5, 2)
    assert torch.allclose(G(z), z @ G.linear.weight.T + G.linear.bias)


def test_mlp_pair_shapes_and_logits():
    G = models.MLPGenerator(noise_dim=4, data_dim=2, hidden=(16, 16))
    D = models.MLPDiscriminator(2, hidden=(5, 3), activation="tanh")
    x = G(torch.randn(8, 4))
    assert x.shape == (8, 2)
    assert D(x).shape == (8, 1)
    assert D.outputs_logits
    assert not models.MLPDiscriminator(2, sigmoid=True).outputs_logits


def test_reprs_show_structure():
    assert repr(models.Generator()) == "Generator(1 → 10 → 10 → 1, relu, dropout 0.25)"
    assert repr(models.MLPDiscriminator(2, (5, 3), "tanh", sigmoid=True)) == \
        "MLPDiscriminator(2 → 5 → 3 → 1, tanh, sigmoid out)"
    assert repr(models.LinearGenerator()) == "LinearGenerator(2 → 2)"


@pytest.mark.parametrize("make, error, message", [
    (lambda: models.Generator(hidden_size=0), ValueError, "hidden_size must be a whole number >= 1; got 0"),
    (lambda: models.Generator(activation="swish"), ValueError, "activation must be one of 'relu', 'tanh'; got 'swish'"),
    (lambda: models.Generator(dropout=1.0), ValueError, "dropout must be a finite number >= 0 and < 1; got 1.0"),
    (lambda: models.MLPGenerator(hidden=()), ValueError, "hidden must list at least one layer width"),
    (lambda: models.MLPDiscriminator(sigmoid="yes"), TypeError, "sigmoid must be True or False"),
    (lambda: models.count_parameters("G"), TypeError, "model must be a torch.nn.Module; got str"),
])
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()
