"""The checkers of notebook 02: the notebook's solutions pass; each typical mistake is named."""
import numpy as np
import pytest
import torch

from gan_lesson.checks import check_four_moments, check_mixture_sampler
from notebook_cells import solution_namespace

NOTEBOOK = "02_samplers.ipynb"


@pytest.fixture(scope="module")
def solutions():
    return solution_namespace(NOTEBOOK)


def _fails_with(check, fn, capsys, *fragments):
    assert check(fn) == False  # noqa: E712
    out = capsys.readouterr().out
    assert out.startswith("✗"), out
    for fragment in fragments:
        assert fragment in out, f"{fragment!r} not in {out!r}"
    return out


def stub(*args, **kwargs):
    raise NotImplementedError


# ---------------------------------------------------------------- mixture_sampler

def good_mixture(n, generator=None):
    pick = torch.rand(n, 1, generator=generator) < 0.3
    left = -2.0 + 0.5 * torch.randn(n, 1, generator=generator)
    right = 3.0 + torch.randn(n, 1, generator=generator)
    return torch.where(pick, left, right)


def mixture_with(w=0.3, means=(-2.0, 3.0), stds=(0.5, 1.0)):
    def fn(n, generator=None):
        pick = torch.rand(n, 1, generator=generator) < w
        left = means[0] + stds[0] * torch.randn(n, 1, generator=generator)
        right = means[1] + stds[1] * torch.randn(n, 1, generator=generator)
        return torch.where(pick, left, right)
    return fn


def test_notebook_solutions_pass(solutions, capsys):
    assert check_mixture_sampler(solutions["mixture_sampler"]) == True  # noqa: E712
    assert capsys.readouterr().out.startswith("✓ mixture_sampler: float32 tensor (n, 1)")
    assert check_four_moments(solutions["four_moments"]) == True  # noqa: E712
    out = capsys.readouterr().out
    assert out.startswith("✓ four_moments: mean, std, skew and excess kurtosis match scipy.stats")
    assert "n − 1" not in out


def test_other_correct_mixture_samplers_pass(capsys):
    def multinomial_version(n, generator=None):
        k = torch.multinomial(torch.tensor([0.3, 0.7]), n, replacement=True, generator=generator)
        means, stds = torch.tensor([-2.0, 3.0]), torch.tensor([0.5, 1.0])
        return (means[k] + stds[k] * torch.randn(n, generator=generator)).unsqueeze(1)
    assert check_mixture_sampler(good_mixture) == True  # noqa: E712
    assert check_mixture_sampler(multinomial_version) == True  # noqa: E712
    capsys.readouterr()


def test_checker_leaves_the_global_random_stream_alone(capsys):
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    check_mixture_sampler(good_mixture)
    assert torch.equal(torch.rand(3), expected)
    capsys.readouterr()


def test_mixture_stub_and_non_callable(capsys):
    assert check_mixture_sampler(stub) == False  # noqa: E712
    assert "not attempted yet" in capsys.readouterr().out
    _fails_with(check_mixture_sampler, 5, capsys, "should be a function")


def test_mixture_type_shape_and_dtype_mistakes(capsys):
    _fails_with(check_mixture_sampler, lambda n, generator=None: good_mixture(n, generator).numpy(), capsys,
                "NumPy array")
    _fails_with(check_mixture_sampler, lambda n, generator=None: good_mixture(500, generator), capsys,
                "whatever n is", "ignores n")
    _fails_with(check_mixture_sampler, lambda n, generator=None: good_mixture(n, generator)[:, 0], capsys,
                "shape (1000,)", "unsqueeze(1)")
    _fails_with(check_mixture_sampler, lambda n, generator=None: good_mixture(n, generator).T, capsys,
                "shape (1, 1000)")
    both = lambda n, generator=None: torch.cat([-2 + 0.5 * torch.randn(n, 1, generator=generator),  # noqa: E731
                                                3 + torch.randn(n, 1, generator=generator)], dim=1)
    _fails_with(check_mixture_sampler, both, capsys, "(1000, 2)", "ONE component")
    _fails_with(check_mixture_sampler, lambda n, generator=None: good_mixture(n, generator).double(), capsys,
                "float64", "x.float()")
    _fails_with(check_mixture_sampler, lambda n, generator=None: good_mixture(n, generator).long(), capsys,
                "whole numbers")


def test_mixture_seeding_mistakes(capsys):
    _fails_with(check_mixture_sampler, lambda n: good_mixture(n), capsys, "no `generator` parameter")
    _fails_with(check_mixture_sampler, lambda n, generator: good_mixture(n, generator), capsys,
                "has no default value", "generator=None")
    _fails_with(check_mixture_sampler, lambda n, generator=None: good_mixture(n), capsys,
                "seeded alike gave different numbers", "EVERY")

    def partly_seeded(n, generator=None):          # the component choice ignores the generator
        pick = torch.rand(n, 1) < 0.3
        return torch.where(pick, -2 + 0.5 * torch.randn(n, 1, generator=generator),
                           3 + torch.randn(n, 1, generator=generator))
    _fails_with(check_mixture_sampler, partly_seeded, capsys, "seeded alike gave different numbers")

    def numpy_inside(n, generator=None):
        return torch.from_numpy(np.random.normal(3, 1, (n, 1))).float()
    _fails_with(check_mixture_sampler, numpy_inside, capsys, "seeded alike gave different numbers")

    def seeds_itself(n, generator=None):
        return good_mixture(n, torch.Generator().manual_seed(0))
    _fails_with(check_mixture_sampler, seeds_itself, capsys, "different seeds gave the same numbers")

    def fixed_default(n, generator=None):
        return good_mixture(n, generator if generator is not None else torch.Generator().manual_seed(0))
    _fails_with(check_mixture_sampler, fixed_default, capsys, "without a generator returned the same numbers")

    _fails_with(check_mixture_sampler, lambda n, generator=None: torch.full((n, 1), 3.0), capsys,
                "all 1000 values are the same")


def test_mixture_distribution_mistakes(capsys):
    def weighted_sum(n, generator=None):
        left = -2 + 0.5 * torch.randn(n, 1, generator=generator)
        right = 3 + torch.randn(n, 1, generator=generator)
        return 0.3 * left + 0.7 * right
    _fails_with(check_mixture_sampler, weighted_sum, capsys, "weighted SUM")

    def once_per_call(n, generator=None):
        if torch.rand(1, generator=generator).item() < 0.3:
            return -2 + 0.5 * torch.randn(n, 1, generator=generator)
        return 3 + torch.randn(n, 1, generator=generator)
    out = _fails_with(check_mixture_sampler, once_per_call, capsys, "only one component is used", "EACH")
    assert "bump at" in out

    _fails_with(check_mixture_sampler, mixture_with(w=0.0), capsys, "bump at -2 is missing")
    _fails_with(check_mixture_sampler, mixture_with(w=1.0), capsys, "bump at 3 is missing")
    _fails_with(check_mixture_sampler, mixture_with(w=0.7), capsys, "swapped")
    _fails_with(check_mixture_sampler, mixture_with(w=0.5), capsys, "half of the values each")
    _fails_with(check_mixture_sampler, mixture_with(w=0.2), capsys, "20% of the values", "expected 30%")
    _fails_with(check_mixture_sampler, mixture_with(means=(-1.5, 3.0)), capsys, "centred near -1.5")
    _fails_with(check_mixture_sampler, mixture_with(stds=(1.0, 0.5)), capsys, "stds are swapped")
    _fails_with(check_mixture_sampler, mixture_with(stds=(0.25, 1.0)), capsys, "variance (std²)")
    _fails_with(check_mixture_sampler, mixture_with(stds=(0.5 ** 0.5, 1.0)), capsys, "used as a variance")
    _fails_with(check_mixture_sampler, mixture_with(stds=(0.5, 1.3)), capsys, "expected 0.5 and 1")


def test_noise_divided_instead_of_multiplied(capsys):
    def divided(n, generator=None):
        pick = torch.rand(n, 1, generator=generator) < 0.3
        left = -2.0 + 0.5 / torch.randn(n, 1, generator=generator)
        return torch.where(pick, left, 3.0 + torch.randn(n, 1, generator=generator))
    _fails_with(check_mixture_sampler, divided, capsys, "dividing by the noise")


def test_mixture_crash_is_explained(capsys):
    _fails_with(check_mixture_sampler, lambda n, generator=None: torch.randn(n, 1) @ torch.randn(2, 2), capsys,
                "raised RuntimeError")


# ---------------------------------------------------------------- four_moments

def moments_from(parts):
    """A four_moments built from a function of (x, mean, d, std) -> 4 values."""
    def fn(x):
        x = x.flatten()
        m = x.mean()
        d = x - m
        s = (d ** 2).mean().sqrt()
        return torch.stack(parts(x, m, d, s))
    return fn


def correct_parts(x, m, d, s):
    return [m, s, ((d / s) ** 3).mean(), ((d / s) ** 4).mean() - 3]


def test_unbiased_std_is_accepted_and_mentioned(capsys):
    def unbiased(x):
        x = x.flatten()
        m, s = x.mean(), x.std()
        z = (x - m) / s
        return torch.stack([m, s, (z ** 3).mean(), (z ** 4).mean() - 3])
    assert check_four_moments(unbiased) == True  # noqa: E712
    assert "divides by n − 1" in capsys.readouterr().out


def test_the_package_moments_pass_once_flattened(capsys):
    import gan_lesson as gl
    assert check_four_moments(lambda x: gl.features.moments(x).flatten()) == True  # noqa: E712
    capsys.readouterr()
    _fails_with(check_four_moments, lambda x: gl.features.moments(x), capsys, "shape (1, 4)", ".flatten()")


def test_four_moments_stub_and_form_mistakes(capsys):
    assert check_four_moments(stub) == False  # noqa: E712
    assert "not attempted yet" in capsys.readouterr().out
    as_tuple = lambda x: tuple(moments_from(correct_parts)(x))  # noqa: E731
    _fails_with(check_four_moments, as_tuple, capsys, "tuple of 4 values", "torch.stack")
    _fails_with(check_four_moments, lambda x: moments_from(correct_parts)(x).numpy(), capsys, "NumPy array")

    def in_place(x):
        x -= x.mean()
        return moments_from(correct_parts)(x)
    _fails_with(check_four_moments, in_place, capsys, "changed its input")

    def per_column(x):                   # moments along dim 1: wrong for a column (n, 1)
        m = x.mean(dim=-1, keepdim=True)
        d = x - m
        s = (d ** 2).mean(dim=-1, keepdim=True).sqrt().clamp_min(1e-6)
        z = d / s
        return torch.stack([m.mean(), s.mean(), (z ** 3).mean(), (z ** 4).mean() - 3])
    _fails_with(check_four_moments, per_column, capsys, "as shape (10,) but", "flatten")

    order = moments_from(lambda x, m, d, s: [s, m, ((d / s) ** 3).mean(), ((d / s) ** 4).mean() - 3])
    _fails_with(check_four_moments, order, capsys, "wrong order")
    _fails_with(check_four_moments, lambda x: torch.full((4,), float("nan")), capsys, "NaN")


def test_mean_and_std_mistakes(capsys):
    median = moments_from(lambda x, m, d, s: [x.median(), s, ((d / s) ** 3).mean(), ((d / s) ** 4).mean() - 3])
    _fails_with(check_four_moments, median, capsys, "the mean (first value)")
    variance = moments_from(lambda x, m, d, s: [m, s ** 2, ((d / s) ** 3).mean(), ((d / s) ** 4).mean() - 3])
    _fails_with(check_four_moments, variance, capsys, "VARIANCE", ".sqrt()")
    _fails_with(check_four_moments, median, capsys, "MEDIAN of the values")
    total = moments_from(lambda x, m, d, s: [x.sum(), s, ((d / s) ** 3).mean(), ((d / s) ** 4).mean() - 3])
    _fails_with(check_four_moments, total, capsys, "the SUM of the 10 values")

    def plus_mean(x):
        x = x.flatten()
        d = x + x.mean()
        s = (d ** 2).mean().sqrt()
        return torch.stack([x.mean(), s, ((d / s) ** 3).mean(), ((d / s) ** 4).mean() - 3])
    _fails_with(check_four_moments, plus_mean, capsys, "adds the mean to the values")
    mad = moments_from(lambda x, m, d, s: [m, d.abs().mean(), ((d / s) ** 3).mean(), ((d / s) ** 4).mean() - 3])
    _fails_with(check_four_moments, mad, capsys, "the std (second value)")


@pytest.mark.parametrize("skew, fragment", [
    (lambda d, s: ((d / s) ** 2).mean(), "wrong power"),
    (lambda d, s: ((d / s) ** 4).mean(), "wrong power"),
    (lambda d, s: (d ** 3).mean(), "not standardised"),
    (lambda d, s: (d ** 3).mean() / s, "not standardised"),
    (lambda d, s: ((d / s ** 2) ** 3).mean(), "by the variance instead of the std"),
    (lambda d, s: (d / s).mean() ** 3, "always 0"),
    (lambda d, s: ((-d / s) ** 3).mean(), "wrong sign"),
    (lambda d, s: ((d / s) ** 3).mean() + 0.5, "skew (third value) is off"),
    (lambda d, s: ((d * s) ** 3).mean(), "multiplies the deviations by the std"),
    (lambda d, s: ((d / s) ** 3).sum(), "sums z³"),
])
def test_skew_mistakes(skew, fragment, capsys):
    fn = moments_from(lambda x, m, d, s: [m, s, skew(d, s), ((d / s) ** 4).mean() - 3])
    _fails_with(check_four_moments, fn, capsys, "the skew (third value)", fragment)


def test_skew_without_subtracting_the_mean(capsys):
    def uncentred(x):
        x = x.flatten()
        m = x.mean()
        s = ((x - m) ** 2).mean().sqrt()
        return torch.stack([m, s, (x ** 3).mean() / s ** 3, (((x - m) / s) ** 4).mean() - 3])
    _fails_with(check_four_moments, uncentred, capsys, "the skew (third value)", "without subtracting the mean")


@pytest.mark.parametrize("kurt, fragment", [
    (lambda d, s: ((d / s) ** 4).mean(), "not the EXCESS kurtosis"),
    (lambda d, s: (d ** 4).mean() - 3, "not standardised"),
    (lambda d, s: ((d / s) ** 3).mean() - 3, "wrong power"),
    (lambda d, s: ((d / s ** 2) ** 4).mean() - 3, "by the variance instead of the std"),
    (lambda d, s: ((d / s) ** 4).mean() - 2, "excess kurtosis (fourth value) is off"),
    (lambda d, s: ((d / s) ** 4).mean() + 3, "adds 3 instead of subtracting it"),
    (lambda d, s: ((d / s) ** 4).median() - 3, "MEDIAN of z⁴"),
])
def test_kurtosis_mistakes(kurt, fragment, capsys):
    fn = moments_from(lambda x, m, d, s: [m, s, ((d / s) ** 3).mean(), kurt(d, s)])
    _fails_with(check_four_moments, fn, capsys, "the excess kurtosis (fourth value)", fragment)
