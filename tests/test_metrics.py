import numpy as np
import pytest
import torch
from scipy import stats

from gan_lesson import metrics, samplers


def test_w1_of_a_shift_is_the_shift():
    x = np.random.default_rng(0).normal(size=5000)
    assert abs(metrics.wasserstein_1d(x, x + 0.7) - 0.7) < 1e-9


def test_w1_matches_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=300), rng.normal(1, 2, size=500)
    assert abs(metrics.wasserstein_1d(a, b) - stats.wasserstein_distance(a, b)) < 1e-12


def test_sliced_w1_of_a_shift():
    x = np.random.default_rng(2).normal(size=(3000, 2))
    d = metrics.sliced_wasserstein(x, x + np.array([1.0, 0.0]), projections=200)
    assert abs(d - 2 / np.pi) < 0.05      # mean |cos θ| over directions is 2/π


def test_distance_dispatches_on_dimension():
    x = torch.zeros(10, 1)
    assert metrics.distance(x, x + 1) == pytest.approx(1.0)
    assert metrics.distance(torch.zeros(10, 2), torch.zeros(10, 2)) == 0.0


def test_ks_statistic_exact_and_two_sample():
    g = samplers.Gaussian(4, 1.25, seed=0)
    assert metrics.ks_statistic(g(5000), g) < 0.03
    assert metrics.ks_statistic(g(5000), g(5000) + 10) == 1.0


def test_moments_match_scipy():
    a = np.random.default_rng(3).gamma(2.0, size=2000)
    m = metrics.moments(a)
    assert np.allclose([m["mean"], m["std"], m["skew"], m["kurtosis"]],
                       [a.mean(), a.std(), stats.skew(a), stats.kurtosis(a)])


def test_mean_cov_error():
    s = samplers.Gaussian2D(seed=0)
    mean_err, cov_err = metrics.mean_cov_error(s(100_000), s.mean, s.cov)
    assert mean_err < 0.03 and cov_err < 0.1
    assert metrics.mean_cov_error(s(1000) * 0, s.mean, s.cov)[0] == pytest.approx(5 ** 0.5, rel=1e-6)


def test_mode_coverage_counts_collapse():
    ring = samplers.Ring(8, 2.0, 0.05, seed=0)
    # in 2-D, P(within 3σ of the centre) = 1 − exp(−9/2) ≈ 0.989
    assert metrics.mode_coverage(ring(4000), ring.centres, ring.std) == \
        {"high_quality": pytest.approx(1 - np.exp(-4.5), abs=0.006), "modes": 8, "of": 8}
    one_mode = ring.centres[:1].repeat(100, 1)
    assert metrics.mode_coverage(one_mode, ring.centres, ring.std)["modes"] == 1


def test_bad_input():
    with pytest.raises(ValueError, match="samples contains NaN"):
        metrics.distance([1.0, float("nan")], [1.0, 2.0])
    with pytest.raises(ValueError, match="reference must have 1 column"):
        metrics.wasserstein_1d(np.zeros(5), np.zeros((5, 2)))
    with pytest.raises(TypeError, match="samples must be numbers"):
        metrics.moments(object())
