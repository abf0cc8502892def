"""Many GANs in one batched run."""
import numpy as np
import pytest
import torch

import gan_lesson as gl
from gan_lesson import losses, metrics, samplers
from gan_lesson.training.many import (_ACTIVATIONS, REFUSED, StackedMLP, _d_loss, _Distance, _g_loss, _generate,
                                _output_gradient, _Pass, _penalised_gradient, estimate_bytes, fit_many, stability_map)
from gan_lesson.maths.models import MLPDiscriminator


def test_stacked_models_get_independent_gradients():
    net = StackedMLP((2, 8, 1), "silu", seeds=[0, 1, 2])
    x = torch.randn(3, 16, 2)
    net(x).pow(2).mean((1, 2)).sum().backward()
    g0 = net.weights[0].grad[0].clone()
    with torch.no_grad():
        net.weights[0][1].mul_(3.0)           # change model 1 only
    net.zero_grad()
    net(x).pow(2).mean((1, 2)).sum().backward()
    assert torch.allclose(net.weights[0].grad[0], g0)


def test_initialisation_depends_only_on_the_seed():
    a = StackedMLP((1, 4, 1), "silu", seeds=[5, 6])
    b = StackedMLP((1, 4, 1), "silu", seeds=[9, 5])
    assert torch.equal(a.weights[0][0], b.weights[0][1])
    assert a.weights[0].data_ptr() == a.flat.data_ptr()          # the weights are views of one flat tensor


@pytest.mark.parametrize("activation", sorted(_ACTIVATIONS))
def test_the_pass_by_hand_computes_what_autograd_computes(activation):
    for sizes in ((3, 8, 5, 2), (1, 6, 6, 1)):
        net = StackedMLP(sizes, activation, seeds=range(4))
        run = _Pass(net, 7)
        x = torch.randn(4, 7, sizes[0], requires_grad=True)
        run.x.copy_(x.detach())
        out = run.forward()
        expected = net(x)
        torch.testing.assert_close(out, expected.detach(), rtol=1e-6, atol=1e-6)
        g = torch.randn_like(out)
        *grads, g_x = torch.autograd.grad(expected, net.params() + [x], g)
        flat = torch.cat([torch.cat([gW, gB], dim=1).reshape(-1) for gW, gB in zip(grads[::2], grads[1::2])])
        g_in = run.backward(g, inputs=True)
        torch.testing.assert_close(run.grad, flat, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(g_in, g_x, rtol=1e-5, atol=1e-6)


def _single(D, i):
    """Model ``i`` of a stacked discriminator as fit's own MLPDiscriminator, with the same weights."""
    sizes = D.sizes
    single = MLPDiscriminator(sizes[0], sizes[1:-1], D.activation_name)
    layers = [m for m in single.net if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for layer, block in zip(layers, D.blocks):
            layer.weight.copy_(block[i, :-1].T)
            layer.bias.copy_(block[i, -1])
    return single


def _grads_of(single):
    layers = [m for m in single.net if isinstance(m, torch.nn.Linear)]
    return [torch.cat([layer.weight.grad.T, layer.bias.grad[None]]) for layer in layers]


@pytest.mark.parametrize("name", [n for n, loss in losses.REGISTRY.items() if loss.penalty != "gradient"])
def test_each_gan_gets_exactly_its_own_gradient_for_every_loss(name):
    """The stacked loss is m times the registry's mean: the sum of the m GANs' own losses."""
    loss, m, n = losses.get(name), 3, 6
    D = StackedMLP((2, 8, 8, 1), "leaky_relu", seeds=[0, 1, 2])
    real, fake = torch.randn(m, n, 2), torch.randn(m, n, 2) + 1
    judge = _Pass(D, 2 * n)
    judge.x[:, :n], judge.x[:, n:] = real, fake
    judge.backward(_output_gradient(judge.forward(), _d_loss(loss, n)))
    judge_fake = _Pass(D, n)
    judge_fake.x.copy_(fake)
    g_fake = judge_fake.backward(_output_gradient(judge_fake.forward(), _g_loss(loss)), weights=False, inputs=True)
    for i in range(m):
        single = _single(D, i)
        loss.d_loss(single(real[i]), single(fake[i]), True).backward()
        for mine, theirs in zip(D.views(judge.grad), _grads_of(single)):
            torch.testing.assert_close(mine[i], theirs, rtol=1e-5, atol=1e-7)
        x = fake[i].clone().requires_grad_(True)
        expected, = torch.autograd.grad(loss.g_loss(single(x), True), x)
        torch.testing.assert_close(g_fake[i], expected, rtol=1e-5, atol=1e-8)


def test_the_gradient_penalty_is_each_gans_own():
    loss, n = losses.get("wasserstein_gp"), 6
    D = StackedMLP((2, 8, 8, 1), "leaky_relu", seeds=[4])
    real, fake = torch.randn(1, n, 2), torch.randn(1, n, 2) + 1
    mine = _penalised_gradient(D, real, fake, loss, 10.0, torch.Generator().manual_seed(3))
    single = _single(D, 0)
    penalty = losses._gradient_penalty(single, real[0], fake[0], 10.0, torch.Generator().manual_seed(3))
    (loss.d_loss(single(real[0]), single(fake[0]), True) + penalty).backward()
    torch.testing.assert_close(torch.cat([g.reshape(-1) for g in _grads_of(single)]), mine, rtol=1e-5, atol=1e-7)
    # with more GANs in the stack, changing one leaves the others' gradients as they were
    D3 = StackedMLP((2, 8, 8, 1), "leaky_relu", seeds=[4, 5, 6])
    real3, fake3 = torch.randn(3, n, 2), torch.randn(3, n, 2)
    before = D3.views(_penalised_gradient(D3, real3, fake3, loss, 10.0, torch.Generator().manual_seed(0)))
    with torch.no_grad():
        D3.blocks[0][2].add_(0.5)             # GAN 2's first layer only
    after = D3.views(_penalised_gradient(D3, real3, fake3, loss, 10.0, torch.Generator().manual_seed(0)))
    for a, b in zip(after, before):
        torch.testing.assert_close(a[:2], b[:2])
    assert not all(torch.allclose(a[2], b[2]) for a, b in zip(after, before))


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_the_distance_is_metrics_distance(dim):
    reference = torch.randn(2000, dim) * torch.arange(1, dim + 1) + 3
    samples = torch.randn(5, 2000, dim) * 1.1 + torch.linspace(2, 4, 5)[:, None, None]
    batched = _Distance(reference)(samples)
    expected = [metrics.distance(s, reference) for s in samples]
    np.testing.assert_allclose(batched, expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(batched, expected, rtol=1e-9)           # in fact equal to float64 rounding


def test_the_reported_distance_is_metrics_distance_at_fits_sizes():
    many = fit_many(samplers.Gaussian2D(), seeds=[0, 1], epochs=10, progress=False)
    assert many.samples.shape == (2, gl.training.SNAPSHOT_SIZE, 2)
    assert many.reference.shape == (gl.training.REFERENCE_SIZE, 2)
    expected = [metrics.distance(s, many.reference) for s in many.samples]
    np.testing.assert_allclose(many.distance, expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(many.history["distance"][-1], many.distance, rtol=0, atol=1e-12)
    assert many.history["epoch"] == [0, 10]                  # epoch 0 is recorded before training, as in fit


@pytest.mark.slow
def test_many_seeds_fit_the_gaussian():
    many = fit_many(samplers.Gaussian(4, 1.25), seeds=range(8), progress=False)
    assert many.samples.shape == (8, 2000, 1)
    assert many.distance.shape == (8,)
    assert np.median(many.relative) < 0.1, many.relative
    assert many.history["distance"].shape == (len(many.history["epoch"]), 8)
    assert many.fitted().mean() >= 0.5


def test_each_gan_uses_its_own_learning_rate():
    many = fit_many(samplers.Gaussian(4, 1.25), seeds=[0, 1], lr_d=[1e-6, 2e-3], lr_g=[1e-6, 2e-3],
                    epochs=300, progress=False)
    frozen, trained = many.relative
    assert frozen > 0.5 and trained < 0.3, many.relative


def test_two_dimensional_target():
    many = fit_many(samplers.Gaussian2D(), seeds=range(3), epochs=200, progress=False)
    assert many.samples.shape == (3, 2000, 2)
    assert np.all(many.history["distance"][-1] < many.history["distance"][0])


@pytest.mark.slow
def test_stability_map_shape_and_values():
    grid = stability_map(samplers.Gaussian(), lr_d=[1e-5, 2e-3], lr_g=[1e-5, 2e-3], seeds=2, epochs=400, threshold=0.3,
                         progress=False)
    assert grid.fraction.shape == (2, 2) and grid.median.shape == (2, 2)
    assert ((0 <= grid.fraction) & (grid.fraction <= 1)).all()
    assert grid.fraction[1, 1] > grid.fraction[0, 0]          # learning beats not learning
    assert grid.median[0, 0] > grid.median[1, 1]
    assert len(grid.result) == 8


@pytest.mark.parametrize("kwargs, error, message", [
    ({"seeds": []}, ValueError, "seeds must name at least one seed"),
    ({"lr_d": [1e-3, 1e-3, 1e-3]}, ValueError, r"lr_d must be one number or one per GAN \(2\); got 3"),
    ({"lr_g": -1.0}, ValueError, "lr_g must be a finite number > 0"),
    ({"loss": "hinge"}, ValueError, "loss must be one of 'non_saturating', 'minimax', 'least_squares', "
                                    "'wasserstein_gp', 'wasserstein_clip'; got 'hinge'"),
    ({"noise": "cauchy"}, ValueError, "noise must be one of 'uniform', 'normal'; got 'cauchy'"),
    ({"order": "both"}, ValueError, "order must be one of 'd_first', 'g_first'; got 'both'"),
    ({"seed": 3}, TypeError, r"fit_many\(\) has no setting 'seed'. Did you mean seeds\?"),
])
def test_bad_arguments(kwargs, error, message):
    kwargs.setdefault("seeds", [0, 1])
    with pytest.raises(error, match=message):
        fit_many(samplers.Gaussian(), progress=False, **kwargs)


# --------------------------------------------------------------------------- what fit_many refuses

@pytest.mark.parametrize("setting, value, message", [
    ("features", "moments", r"fit_many trains per-sample discriminators only .*; got features='moments', and it "
                            r"accepts features='per_sample'\."),
    ("features", "raw", r"got features='raw', and it accepts features='per_sample'"),
    ("generator", "classic", r"fit_many trains MLP and linear generators only .*; got generator='classic', and it "
                             r"accepts generator='mlp' or generator='linear'\."),
    ("discriminator", "classic", r"fit_many trains MLP discriminators .*; got discriminator='classic', and it "
                                 r"accepts discriminator='mlp'\."),
    ("report_every", 50, r"fit_many prints one progress line for all its GANs.*; got report_every=50, and it "
                         r"accepts report_every=0\."),
])
def test_a_setting_it_cannot_train_is_refused_by_name(setting, value, message):
    assert setting in REFUSED
    fitting = {"generator": {"g_activation": "relu"}, "discriminator": {"d_activation": "sigmoid"}}.get(setting, {})
    recipe = gl.RECIPES["modern"].replace(**{setting: value}, **fitting)
    with pytest.raises(ValueError, match=message + ".*Train such a recipe with gan_lesson.fit"):
        fit_many(samplers.Gaussian(), seeds=2, recipe=recipe, progress=False)


def test_the_features_keyword_is_refused_as_the_recipe_setting_is():
    with pytest.raises(ValueError, match="got features='moments', and it accepts features='per_sample'"):
        fit_many(samplers.Gaussian(), seeds=2, features="moments", progress=False)


def test_the_classic_recipe_is_refused_with_every_reason():
    with pytest.raises(ValueError) as caught:
        fit_many(samplers.Gaussian(), seeds=2, recipe="classic", progress=False)
    text = str(caught.value)
    for part in ("features='moments'", "generator='classic'", "discriminator='classic'", "report_every=500",
                 "(recipe 'classic')"):
        assert part in text, text


# --------------------------------------------------------------------------- settings it honours
# (tests/test_trainers_agree.py trains each of them next to fit and finds the same numbers)

def _short(**changes):
    return fit_many(samplers.Gaussian(4, 1.25), seeds=[0, 1], epochs=20, batch_size=64, log_every=20,
                    progress=False, **changes)


@pytest.mark.parametrize("setting, value", [
    ("noise", "uniform"), ("order", "g_first"), ("d_pretrain", 10), ("d_steps", 3), ("g_steps", 3),
    ("loss", "minimax"), ("loss", "least_squares"), ("loss", "wasserstein_gp"), ("loss", "wasserstein_clip"),
])
def test_a_setting_it_honours_changes_the_run(setting, value):
    plain, changed = _short(), _short(**{setting: value})
    assert getattr(changed.recipe, setting) == value
    assert not np.allclose(plain.history["distance"][-1], changed.history["distance"][-1])


@pytest.mark.parametrize("changes", [
    {"optimizer": "sgd", "lr_d": 0.01, "lr_g": 0.01}, {"generator": "linear"}, {"standardise": False},
    {"lr_decay": False}, {"ema": 0.0}, {"betas": (0.9, 0.99)}, {"noise_dim": 2}, {"g_hidden": (16,)},
    {"d_hidden": (8, 8, 8)}, {"g_activation": "tanh"}, {"d_activation": "relu"},
    {"gp_weight": 1.0, "loss": "wasserstein_gp", "lr_d": 1e-2},
    {"clip": 0.1, "loss": "wasserstein_clip"},
])
def test_a_recipe_setting_it_honours_changes_the_run(changes):
    base = gl.RECIPES["modern"].replace(**{k: v for k, v in changes.items() if k in ("loss", "lr_d")})
    recipe = base.replace(**changes)
    plain, changed = (fit_many(samplers.Gaussian(4, 1.25), seeds=[0, 1], recipe=r, epochs=20, batch_size=64,
                               progress=False) for r in (base, recipe))
    assert not np.allclose(plain.history["distance"][-1], changed.history["distance"][-1])


# --------------------------------------------------------------------------- memory

def test_the_memory_estimate_counts_the_run():
    small, large = estimate_bytes(8, "modern"), estimate_bytes(64, "modern")
    assert 7 * small < large < 9 * small
    assert estimate_bytes(64, gl.RECIPES["modern"].replace(loss="wasserstein_gp")) > large


@pytest.mark.slow
@pytest.mark.parametrize("changes, dim", [({}, 1), ({"batch_size": 64}, 2), ({"loss": "wasserstein_gp"}, 1)])
def test_the_memory_estimate_bounds_the_measured_peak(changes, dim):
    import subprocess
    import sys
    code = f"""
import resource, torch, gan_lesson as gl
from gan_lesson.training.many import fit_many, estimate_bytes
fit_many(gl.samplers.Gaussian(), seeds=2, epochs=2, progress=False)          # PyTorch's own first-use memory
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
recipe = gl.RECIPES["modern"].replace(**{changes!r})
fit_many(gl.samplers.Gaussian() if {dim} == 1 else gl.samplers.Gaussian2D(), seeds=64, recipe=recipe, epochs=3,
         progress=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before, estimate_bytes(64, recipe, {dim}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    peak, estimate = map(int, out.stdout.split())
    assert peak < estimate, (peak, estimate)


@pytest.mark.parametrize("m", [1, 3, 8, 13])
def test_samples_are_generated_a_few_gans_at_a_time_as_all_at_once(m):
    G = StackedMLP((4, 16, 16, 2), "silu", seeds=range(m))
    noise = torch.randn(m, 50, 4)
    chunked = _generate(_Pass(G, 50, models=min(m, 8)), G.blocks, noise, torch.empty(m, 50, 2))
    with torch.no_grad():
        torch.testing.assert_close(chunked, G(noise), rtol=1e-6, atol=1e-6)


def test_every_activation_of_the_models_is_stacked():
    assert set(_ACTIVATIONS) == set(gl.models.ACTIVATIONS)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_one_learning_rate_per_gan_steps_as_fits_optimizer_does(optimizer):
    """With one rate for all, fit_many uses fit's own optimiser; with one per GAN, the same rule per element."""
    from gan_lesson.training.many import _FitsOptimizer, _optimizer
    recipe = gl.RECIPES["modern"].replace(optimizer=optimizer, momentum=0.9)
    nets = [StackedMLP((2, 5, 1), "silu", seeds=[0, 1, 2]) for _ in range(2)]
    same, apart = _optimizer(recipe, nets[0], [1e-2] * 3), _optimizer(recipe, nets[1], [1e-2, 1e-2, 2e-2])
    assert isinstance(same, _FitsOptimizer) and not isinstance(apart, _FitsOptimizer)
    generator = torch.Generator().manual_seed(0)
    for step in range(5):
        grad = torch.randn(nets[0].flat.shape, generator=generator)
        same.step(grad, scale=1 - step / 5)
        apart.step(grad.clone(), scale=1 - step / 5)
    first_two = [block[:2] for block in nets[0].blocks], [block[:2] for block in nets[1].blocks]
    for a, b in zip(*first_two):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert not torch.allclose(nets[0].blocks[0][2], nets[1].blocks[0][2])
