import numpy as np
import pytest
import torch
from scipy import stats

from gan_lesson import samplers


@pytest.mark.parametrize("sampler, dim", [
    (samplers.Gaussian(), 1), (samplers.Uniform(), 1), (samplers.Uniform(dim=3), 3),
    (samplers.Gamma(), 1), (samplers.Mixture(), 1), (samplers.Gaussian2D(), 2),
    (samplers.Ring(), 2), (samplers.Sequences(), 5), (samplers.Empirical(np.ones((4, 2))), 2),
])
def test_shape_and_dtype(sampler, dim):
    x = sampler(7)
    assert x.shape == (7, dim)
    assert x.dtype == torch.float32
    assert sampler.dim == dim


def test_gaussian_matches_its_parameters():
    x = samplers.Gaussian(4, 1.25, seed=0)(100_000)
    assert abs(x.mean().item() - 4) < 0.02
    assert abs(x.std().item() - 1.25) < 0.02


def test_seeded_sampler_repeats_and_reseeds():
    a = samplers.Gaussian(seed=3)
    first = a(5)
    assert not torch.equal(first, a(5))          # the stream moves on
    assert torch.equal(first, a.reseed(3)(5))    # and restarts from the seed
    assert torch.equal(first, samplers.Gaussian(seed=3)(5))


def test_generator_argument_overrides_own_stream():
    s = samplers.Uniform(seed=1)
    g1, g2 = torch.Generator().manual_seed(9), torch.Generator().manual_seed(9)
    assert torch.equal(s(4, generator=g1), s(4, generator=g2))


def test_uniform_noise_range_and_moments():
    x = samplers.uniform_noise(200_000, generator=torch.Generator().manual_seed(0)).numpy().ravel()
    assert x.min() >= 0 and x.max() < 1
    assert abs(stats.kurtosis(x) - (-1.2)) < 0.02


def test_normal_noise_shape():
    assert samplers.normal_noise(5, 3).shape == (5, 3)


def test_gaussian2d_covariance_is_AtA():
    s = samplers.Gaussian2D(seed=0)
    assert torch.allclose(s.cov, torch.tensor([[1.01, 1.95], [1.95, 4.25]]), atol=1e-5)
    x = s(200_000)
    assert torch.allclose(torch.cov(x.T), s.cov, atol=0.06)
    assert torch.allclose(x.mean(0), torch.tensor([1.0, 2.0]), atol=0.02)


def test_sequences_are_valid():
    x = samplers.Sequences(0, 10, seed=0)(1000)
    assert torch.allclose(x[:, 3] - x[:, 2], torch.ones(1000))
    assert torch.allclose(x[:, 4] - x[:, 3], torch.ones(1000))
    assert x[:, :3].min() >= 0 and x[:, :3].max() < 10


def test_mixture_pdf_integrates_to_one_and_moments():
    m = samplers.Mixture((-2, 2), 0.5, weights=(1, 3))
    xs = np.linspace(-6, 6, 20001)
    assert abs(np.trapezoid(m.pdf(xs), xs) - 1) < 1e-6
    assert abs(m.mean - 1.0) < 1e-9
    x = m(200_000).numpy()
    assert abs(x.std() - m.std) < 0.02


def test_ring_modes_on_circle():
    r = samplers.Ring(modes=8, radius=2.0)
    assert torch.allclose(r.centres.norm(dim=1), torch.full((8,), 2.0))


def test_ppf_is_the_perfect_generator():
    g = samplers.Gaussian(4, 1.25)
    u = np.array([0.5, 0.8413447])
    assert np.allclose(g.ppf(u), [4.0, 5.25], atol=1e-4)


def test_repr_is_short():
    assert repr(samplers.Gaussian(4, 1.25)) == "Gaussian(mean=4, std=1.25)"
    assert repr(samplers.Gaussian2D()) == "Gaussian2D(A=[[1, 2], [-0.1, 0.5]], b=[1, 2])"


@pytest.mark.parametrize("make, message", [
    (lambda: samplers.Gaussian(std=0), r"std must be a finite number > 0; got 0"),
    (lambda: samplers.Gaussian(mean=float("nan")), r"mean must be a finite number; got nan"),
    (lambda: samplers.Uniform(1, 0), r"high must be greater than low; got low=1, high=0"),
    (lambda: samplers.Mixture((0, 1), stds=(1,)), r"stds must have one entry per mean \(2\); got 1"),
    (lambda: samplers.Gaussian2D(A=[[1, 2, 3]]), r"A must be a finite 2×2 matrix"),
    (lambda: samplers.Ring(modes=0), r"modes must be a whole number >= 1; got 0"),
    (lambda: samplers.Empirical([[np.nan]]), r"data must hold only finite numbers"),
    (lambda: samplers.Gaussian()(0), r"n must be a whole number >= 1; got 0"),
])
def test_bad_arguments_name_parameter_value_and_range(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_types():
    with pytest.raises(TypeError, match=r"n must be a whole number; got 'ten'"):
        samplers.Gaussian()("ten")
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        samplers.Gaussian()(3, generator=5)
    with pytest.raises(ValueError, match="noise must be one of 'uniform', 'normal'; got 'pink'"):
        samplers.noise_sampler("pink")
