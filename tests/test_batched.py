"""Many GANs in one batched run."""
import numpy as np
import pytest
import torch

from gan_lesson import RECIPES, samplers
from gan_lesson.batched import StackedMLP, fit_many, stability_map


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
    ({"loss": "wasserstein_gp"}, ValueError, "loss must be one of 'non_saturating', 'minimax', 'least_squares'"),
    ({"recipe": "classic"}, ValueError, "recipe must train per-sample MLP networks with Adam"),
])
def test_bad_arguments(kwargs, error, message):
    kwargs.setdefault("seeds", [0, 1])
    with pytest.raises(error, match=message):
        fit_many(samplers.Gaussian(), progress=False, **kwargs)
