import math

import pytest
import torch

import gan_lesson as gl
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


# --------------------------------------------------------------------------- the registry

# Each registered loss against its formula, written out by hand on fixed numbers. Adding a loss to
# losses.REGISTRY without a line here fails test_every_registered_loss_has_a_formula_test.
SCORES_REAL = torch.tensor([[1.5], [-0.5], [0.25]])     # raw scores (logits) of D on real samples
SCORES_FAKE = torch.tensor([[-2.0], [0.5], [0.0]])


def _sig(x):
    return 1 / (1 + math.exp(-x))


def _by_hand(name, real, fake):
    """(L_D, L_G) computed element by element from the formulas in losses.py's docstring."""
    r, f = [float(v) for v in real.flatten()], [float(v) for v in fake.flatten()]
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    if name in ("non_saturating", "minimax"):
        l_d = -mean([math.log(_sig(x)) for x in r]) - mean([math.log(1 - _sig(x)) for x in f])
        l_g = (-mean([math.log(_sig(x)) for x in f]) if name == "non_saturating"
               else mean([math.log(1 - _sig(x)) for x in f]))
        return l_d, l_g
    if name == "least_squares":
        return 0.5 * mean([(x - 1) ** 2 for x in r]) + 0.5 * mean([x ** 2 for x in f]), 0.5 * mean([(x - 1) ** 2 for x in f])
    if name in ("wasserstein_gp", "wasserstein_clip"):
        return mean(f) - mean(r), -mean(f)
    raise KeyError(name)


@pytest.mark.parametrize("name", list(losses.REGISTRY))
def test_every_registered_loss_matches_its_formula(name):
    loss = losses.get(name)
    l_d, l_g = _by_hand(name, SCORES_REAL, SCORES_FAKE)
    assert float(loss.d_loss(SCORES_REAL, SCORES_FAKE, True)) == pytest.approx(l_d, abs=1e-6)
    assert float(loss.g_loss(SCORES_FAKE, True)) == pytest.approx(l_g, abs=1e-6)
    if loss.probabilities:       # the same loss on probabilities (a D ending in a sigmoid)
        p_real, p_fake = torch.sigmoid(SCORES_REAL), torch.sigmoid(SCORES_FAKE)
        assert float(loss.d_loss(p_real, p_fake, False)) == pytest.approx(l_d, abs=1e-5)
        assert float(loss.g_loss(p_fake, False)) == pytest.approx(l_g, abs=1e-5)


def test_every_registered_loss_has_a_formula_test():
    for name in losses.REGISTRY:
        _by_hand(name, SCORES_REAL, SCORES_FAKE)      # KeyError: a loss was added without its formula here


def test_the_registry_says_what_each_loss_reads_and_needs():
    assert tuple(losses.REGISTRY) == losses.LOSSES
    assert [n for n, l in losses.REGISTRY.items() if l.probabilities] == ["non_saturating", "minimax"]
    assert [n for n, l in losses.REGISTRY.items() if not l.bounded] == ["wasserstein_gp", "wasserstein_clip"]
    assert losses.get("wasserstein_gp").penalty == "gradient" and losses.get("wasserstein_clip").penalty == "clip"
    assert losses.get(losses.get("minimax")) is losses.get("minimax")
    assert "minimax" in repr(losses.get("minimax"))


@pytest.mark.parametrize("call", [
    lambda: losses.get("hinge"),
    lambda: gl.fit(gl.samplers.Gaussian(), loss="hinge", epochs=1, progress=False),
    lambda: gl.RECIPES["modern"].replace(loss="hinge"),
    lambda: gl.many.fit_many(gl.samplers.Gaussian(), seeds=2, loss="hinge", epochs=1, progress=False),
])
def test_an_unknown_loss_is_an_error_everywhere(call):
    with pytest.raises(ValueError, match="loss must be one of 'non_saturating'.*got 'hinge'"):
        call()


def test_the_library_steps_train_every_registered_loss():
    torch.manual_seed(0)
    for name in losses.REGISTRY:
        G, D = torch.nn.Linear(2, 1), torch.nn.Linear(1, 1)
        g_opt, d_opt = torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1)
        before_d, before_g = D.weight.detach().clone(), G.weight.detach().clone()
        real, z = torch.randn(16, 1) + 3, torch.randn(16, 2)
        value = gl.steps.d_step(G, D, g_opt, d_opt, real, z, loss=name, logits=True, clip=0.05)
        assert math.isfinite(value)
        assert not torch.equal(D.weight, before_d) and torch.equal(G.weight, before_g)
        if name == "wasserstein_clip":
            assert D.weight.abs().max() <= 0.05
        gl.steps.g_step(G, D, g_opt, d_opt, z, loss=name, logits=True)
        assert not torch.equal(G.weight, before_g)
