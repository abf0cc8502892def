import math

import pytest
import torch

from gan_lesson import losses

R = torch.tensor([[0.9], [0.8]])
F_ = torch.tensor([[0.1], [0.3]])


def close(t, value):
    return abs(float(t) - value) < 1e-6


def test_discriminator_loss_by_hand():
    expected = -(math.log(0.9) + math.log(0.8)) / 2 - (math.log(0.9) + math.log(0.7)) / 2
    assert close(losses.discriminator_loss(R, F_), expected)


def test_discriminator_loss_from_logits_matches():
    logit = lambda p: torch.log(p / (1 - p))  # noqa: E731
    assert close(losses.discriminator_loss(logit(R), logit(F_), logits=True),
                 float(losses.discriminator_loss(R, F_)))


def test_generator_losses_by_hand():
    assert close(losses.generator_loss_minimax(F_), (math.log(0.9) + math.log(0.7)) / 2)
    assert close(losses.generator_loss_non_saturating(F_), -(math.log(0.1) + math.log(0.3)) / 2)


def test_value_function_is_minus_log4_at_equilibrium():
    half = torch.full((10, 1), 0.5)
    assert close(losses.value_function(half, half), -math.log(4))
    assert close(losses.LOG4, math.log(4))


def test_saturation_gradients():
    # at D(G(z)) = 0.01 the minimax loss gives a gradient ~1 in D's output, the non-saturating ~100
    d = torch.tensor([[0.01]], requires_grad=True)
    losses.generator_loss_minimax(d).backward()
    g_minimax = d.grad.item()
    d.grad = None
    losses.generator_loss_non_saturating(d).backward()
    assert abs(g_minimax + 1 / 0.99) < 1e-4
    assert abs(d.grad.item() + 100) < 1e-2


def test_least_squares_by_hand():
    r, f = torch.tensor([[2.0], [0.0]]), torch.tensor([[1.0], [-1.0]])
    assert close(losses.least_squares_d_loss(r, f), 0.5 * (1 + 1) / 2 + 0.5 * (1 + 1) / 2)
    assert close(losses.least_squares_g_loss(f), 0.5 * (0 + 4) / 2)


def test_wasserstein_by_hand():
    r, f = torch.tensor([[3.0], [1.0]]), torch.tensor([[-1.0], [0.0]])
    assert close(losses.wasserstein_d_loss(r, f), -0.5 - 2.0)
    assert close(losses.wasserstein_g_loss(f), 0.5)


def test_gradient_penalty_zero_for_unit_slope_critic():
    critic = lambda x: 1.0 * x.sum(1, keepdim=True)  # noqa: E731  slope 1 in 1-D
    real, fake = torch.randn(16, 1), torch.randn(16, 1)
    assert close(losses.gradient_penalty(critic, real, fake), 0.0)
    steep = lambda x: 3.0 * x  # noqa: E731
    assert close(losses.gradient_penalty(steep, real, fake, weight=10), 10 * 4.0)
    gentle = lambda x: 0.5 * x  # noqa: E731   slope 1/2: only the two-sided form objects
    assert close(losses.gradient_penalty(gentle, real, fake), 0.0)
    assert close(losses.gradient_penalty(gentle, real, fake, one_sided=False), 10 * 0.25)


def test_clip_weights():
    lin = torch.nn.Linear(3, 3)
    with torch.no_grad():
        lin.weight.mul_(100)
    losses.clip_weights(lin, 0.01)
    assert lin.weight.abs().max() <= 0.01


def test_loss_functions_lookup():
    d, g = losses.loss_functions("non_saturating")
    assert close(d(R, F_, False), float(losses.discriminator_loss(R, F_)))
    assert close(g(F_, False), float(losses.generator_loss_non_saturating(F_)))


def test_bad_input_messages():
    with pytest.raises(ValueError, match=r"d_real must be probabilities in \[0, 1\].*pass logits=True"):
        losses.discriminator_loss(R * 3, F_)
    with pytest.raises(TypeError, match="d_fake must be a float tensor"):
        losses.generator_loss_minimax([0.1])
    with pytest.raises(ValueError, match="loss must be one of 'non_saturating'.*got 'hinge'"):
        losses.loss_functions("hinge")
    with pytest.raises(ValueError, match=r"clip must be a finite number > 0; got -1"):
        losses.clip_weights(torch.nn.Linear(1, 1), -1)
    with pytest.raises(ValueError, match="real and fake must have the same shape"):
        losses.gradient_penalty(lambda x: x, torch.zeros(3, 1), torch.zeros(4, 1))
