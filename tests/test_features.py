import numpy as np
import pytest
import torch
from scipy import stats

from gan_lesson import features


def batch(n=500, seed=0):
    return 4 + 1.25 * torch.randn(n, 1, generator=torch.Generator().manual_seed(seed))


def test_moments_match_scipy():
    x = batch()
    m = features.moments(x)
    a = x.numpy().ravel().astype(float)
    assert m.shape == (1, 4)
    expected = [a.mean(), a.std(), stats.skew(a), stats.kurtosis(a)]
    assert np.allclose(m.numpy().ravel(), expected, atol=1e-4)


def test_moments_of_uniform_have_kurtosis_minus_1_2():
    x = torch.rand(200_000, 1, generator=torch.Generator().manual_seed(1))
    assert abs(features.moments(x)[0, 3].item() + 1.2) < 0.02


def test_moments_per_column_in_2d():
    x = torch.randn(1000, 2, generator=torch.Generator().manual_seed(2)) * torch.tensor([1.0, 3.0])
    m = features.moments(x).reshape(2, 4)
    assert np.allclose(m[:, 1].numpy(), x.numpy().std(0), atol=1e-4)


@pytest.mark.parametrize("name, size", [("per_sample", 1), ("moments", 4), ("raw", 500),
                                        ("data_and_variances", 1000), ("data_and_diffs", 1000)])
def test_every_variant_has_the_documented_size(name, size):
    out = features.featurize(name)(batch())
    assert out.shape[-1] == size == features.feature_size(name, 500)
    assert out.shape[0] == (500 if name == "per_sample" else 1)


def test_decorations_hold_data_then_deviations():
    x = torch.tensor([[1.0], [2.0], [6.0]])
    assert features.data_and_diffs(x).tolist() == [[1, 2, 6, -2, -1, 3]]
    assert features.data_and_variances(x).tolist() == [[1, 2, 6, 4, 1, 9]]


def test_judges_batches():
    assert not features.judges_batches("per_sample")
    assert features.judges_batches("moments")


def test_gradients_flow_through_moments():
    x = batch().requires_grad_(True)
    features.moments(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_bad_input():
    with pytest.raises(ValueError, match="features must be one of 'per_sample', 'moments'"):
        features.featurize("histogram")
    with pytest.raises(TypeError, match="batch must be a torch.Tensor"):
        features.moments([1, 2, 3])
    with pytest.raises(ValueError, match=r"batch must have shape \(n, d\); got shape \(2, 2, 2\)"):
        features.raw(torch.zeros(2, 2, 2))
