"""fit and fit_many are one training loop: a seed trained by each starts from the same weights,
scores a batch with the same losses, and ends at the same distance.

A run of one seed through fit_many draws the very random numbers fit draws (the real batches,
the noise, the penalty's mixing points), so the two runs differ only by floating-point rounding
(a batched product sums in another order): after 30 epochs the recorded distances agree to
about 1e-6 (measured: at most 1.5e-6, with the gradient penalty; 1e-8 or better otherwise). Over
a full 800-epoch run the game amplifies those roundings: measured on seeds 0-5, the histories
stay within 3e-3 of each other and the final distances within 0.002 (at most 2.6 % apart).
"""
import numpy as np
import pytest
import torch

import gan_lesson as gl
from gan_lesson import losses, samplers
from gan_lesson.training.many import _players, fit_many
from gan_lesson.training import build_models

TARGET = samplers.Gaussian(4, 1.25)


def _linear_layers(module):
    return [m for m in module.modules() if isinstance(m, torch.nn.Linear)]


@pytest.mark.parametrize("changes", [{}, {"generator": "linear"}, {"g_hidden": (16,), "d_hidden": (8, 8, 8)}])
@pytest.mark.parametrize("dim", [1, 2])
def test_each_gan_starts_from_the_weights_fit_starts_from(changes, dim):
    recipe = gl.RECIPES["modern"].replace(**changes)
    seeds = [0, 7, 123]
    G, D = _players(recipe, dim, seeds)
    for i, seed in enumerate(seeds):
        torch.manual_seed(seed)                         # what fit does before building its pair
        G1, D1 = build_models(recipe, dim)
        for stacked, single in ((G, G1), (D, D1)):
            layers = _linear_layers(single)
            assert len(layers) == len(stacked.blocks)
            for block, layer in zip(stacked.blocks, layers):
                assert torch.equal(block[i, :-1], layer.weight.T)
                assert torch.equal(block[i, -1], layer.bias)


def _as_fits(D, i, recipe, dim):
    """GAN ``i`` of a stacked discriminator as the module fit trains, holding the same weights."""
    _, single = build_models(recipe, dim)
    with torch.no_grad():
        for block, layer in zip(D.blocks, _linear_layers(single)):
            layer.weight.copy_(block[i, :-1].T)
            layer.bias.copy_(block[i, -1])
    return single


@pytest.mark.parametrize("name", list(losses.REGISTRY))
def test_the_same_batch_gets_the_same_loss(name):
    recipe = gl.RECIPES["modern"].replace(loss=name)
    loss, m, n = losses.get(name), 4, 32
    _, D = _players(recipe, 1, range(m))
    real, fake = torch.randn(m, n, 1), torch.randn(m, n, 1) * 2
    d_real, d_fake = D(torch.cat([real, fake], dim=1)).split(n, dim=1)
    for i in range(m):
        single = _as_fits(D, i, recipe, 1)
        theirs = loss.d_loss(single(real[i]), single(fake[i]), True)
        mine = loss.d_loss(d_real[i], d_fake[i], True)
        torch.testing.assert_close(mine, theirs, rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(loss.g_loss(d_fake[i], True), loss.g_loss(single(fake[i]), True),
                                   rtol=1e-6, atol=1e-7)
    # the stacked loss fit_many steps on is the sum of the GANs' own
    total = loss.d_loss(d_real, d_fake, True) * m
    own = sum(loss.d_loss(d_real[i], d_fake[i], True) for i in range(m))
    torch.testing.assert_close(total, own, rtol=1e-5, atol=1e-6)


SETTINGS = {
    "modern": ({}, {}), "uniform noise": ({"noise": "uniform"}, {}), "G first": ({"order": "g_first"}, {}),
    "D pre-trained": ({"d_pretrain": 5}, {}), "2 D and 3 G steps": ({"d_steps": 2, "g_steps": 3}, {}),
    "minimax": ({"loss": "minimax"}, {}), "least squares": ({"loss": "least_squares"}, {}),
    "gradient penalty": ({"loss": "wasserstein_gp"}, {}), "clipped critic": ({"loss": "wasserstein_clip"}, {}),
    "SGD": ({}, {"optimizer": "sgd", "lr_d": 0.01, "lr_g": 0.01}), "linear G": ({}, {"generator": "linear"}),
    "raw data": ({}, {"standardise": False}), "no decay, no average": ({}, {"lr_decay": False, "ema": 0.0}),
    "ReLU G, tanh D": ({}, {"g_activation": "relu", "d_activation": "tanh"}),
    "ELU G, sigmoid D, other widths": ({}, {"g_activation": "elu", "d_activation": "sigmoid", "g_hidden": (16,),
                                            "d_hidden": (8, 8, 8)}),
}


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_one_seed_trains_as_fit_trains_it(setting):
    keywords, changes = SETTINGS[setting]
    recipe = gl.RECIPES["modern"].replace(epochs=30, log_every=10, batch_size=128, **changes)
    single = gl.fit(TARGET, recipe=recipe, seed=3, progress=False, **keywords)
    many = fit_many(TARGET, seeds=[3], recipe=recipe, progress=False, **keywords)
    assert many.history["epoch"] == single.history.epoch == [0, 10, 20, 30]
    np.testing.assert_allclose(many.history["distance"][:, 0], single.history.distance, rtol=0, atol=1e-5)
    torch.testing.assert_close(many.samples[0], single.snapshots[-1][1], rtol=0, atol=1e-4)
    torch.testing.assert_close(many.reference, single.reference)


def test_a_two_dimensional_seed_trains_as_fit_trains_it():
    recipe = gl.RECIPES["modern"].replace(epochs=30, log_every=10, batch_size=128)
    single = gl.fit(samplers.Gaussian2D(), recipe=recipe, seed=5, progress=False)
    many = fit_many(samplers.Gaussian2D(), seeds=[5], recipe=recipe, progress=False)
    np.testing.assert_allclose(many.history["distance"][:, 0], single.history.distance, rtol=0, atol=1e-5)


@pytest.mark.slow
def test_full_runs_end_at_the_same_distance():
    seeds = [0, 1, 2]
    for seed in seeds:
        single = gl.fit(TARGET, seed=seed, progress=False)
        many = fit_many(TARGET, seeds=[seed], progress=False)
        np.testing.assert_allclose(many.history["distance"][:, 0], single.history.distance, rtol=0, atol=0.01)
        final = single.history.distance[-1]
        assert abs(many.distance[0] - final) < 0.005, (seed, many.distance, final)


@pytest.mark.slow
def test_many_seeds_learn_as_well_as_fits_seeds():
    seeds = range(8)
    many = fit_many(TARGET, seeds=seeds, progress=False)
    singles = [gl.fit(TARGET, seed=s, progress=False).history.distance[-1] for s in seeds]
    ratio = np.median(many.distance) / np.median(singles)
    assert 0.67 < ratio < 1.5, (many.distance, singles)
