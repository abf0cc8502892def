"""The measures of the sequences challenge: validity, coverage, joint coverage and the score table."""
import numpy as np
import pytest
import torch

from gan_lesson import samplers
from gan_lesson.lessons.sequences import JOINT_BINS, TOL, coverage, coverage_of, joint_coverage, score, steps, validity


@pytest.fixture(scope="module")
def real():
    return samplers.Sequences(seed=0)(10_000)


def fixed_series(n=1000, a=1.0, b=2.0, c=3.0):
    return torch.tensor([[a, b, c, c + 1, c + 2]]).repeat(n, 1)


def series(a, b, c):
    """Rows [a, b, c, c+1, c+2] from three columns (n,)."""
    return torch.stack([a, b, c, c + 1, c + 2], dim=1)


def tied(n=20_000, seed=3):
    """The generator that cheats the per-variable coverage: [t, t, t, t+1, t+2] with t uniform on [0, 10)."""
    t = 10 * torch.rand(n, generator=torch.Generator().manual_seed(seed))
    return series(t, t, t)


# --------------------------------------------------------------------------- validity

def test_real_series_are_all_valid_and_their_steps_are_one(real):
    assert validity(real) == 1.0
    s = steps(real)
    assert s.shape == (len(real), 2)
    assert np.allclose(s, 1.0, atol=1e-5)


def test_validity_counts_series_whose_steps_are_within_the_tolerance():
    x = torch.tensor([[0.0, 0.0, 2.0, 3.0, 4.0],      # exact
                      [0.0, 0.0, 2.0, 3.5, 4.5],      # first step 1.5: |0.5| <= 0.5 at tol 0.5
                      [0.0, 0.0, 2.0, 3.0, 4.75],     # second step 1.75: invalid at tol 0.5
                      [0.0, 0.0, 2.0, 2.0, 2.0]])     # steps 0: invalid
    assert validity(x) == 0.25                         # only the first at tol 0.1
    assert validity(x, tol=0.5) == 0.5
    assert validity(x, tol=1.0) == 1.0


def test_validity_accepts_arrays_and_lists_and_counts_nan_as_invalid():
    rows = [[1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 2.0, 3.0, float("nan"), 5.0]]
    assert validity(np.array(rows)) == 0.5
    assert validity(rows) == 0.5


def test_unrelated_random_numbers_are_almost_never_valid():
    noise = samplers.Uniform(0, 10, dim=5, seed=1)(20_000)
    assert validity(noise) < 0.005                     # about 0.04 % expected


def test_default_tolerance_is_a_tenth_of_the_step():
    assert TOL == 0.1


@pytest.mark.parametrize("tol, error, words", [
    (0, ValueError, "tol must be a finite number > 0; got 0.0."),
    (-0.1, ValueError, "tol must be a finite number > 0; got -0.1."),
    (float("inf"), ValueError, "tol must be a finite number > 0"),
    ("0.1", TypeError, "tol must be a number; got '0.1' of type str."),
])
def test_validity_rejects_bad_tolerances(real, tol, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        validity(real, tol=tol)


@pytest.mark.parametrize("x, words", [
    (torch.zeros(10, 4), r"x must have shape \(n, 5\) with n >= 1.*got shape \(10, 4\)"),
    (torch.zeros(5), r"got shape \(5,\)"),
    (torch.zeros(0, 5), r"got shape \(0, 5\)"),
    (torch.zeros(2, 5, 1), r"got shape \(2, 5, 1\)"),
])
def test_series_of_the_wrong_shape_are_rejected_with_their_shape(x, words):
    with pytest.raises(ValueError, match=words):
        validity(x)


def test_non_numbers_are_rejected():
    with pytest.raises(TypeError, match="x must be a tensor or array of numbers, shape \\(n, 5\\); got 'abc'"):
        validity("abc")


# --------------------------------------------------------------------------- coverage

def test_a_uniform_sample_covers_its_range(real):
    for j in range(3):
        assert coverage_of(real[:, j]) > 0.97
    assert coverage(real) > 0.97


def test_one_fixed_valid_series_is_fully_valid_but_covers_one_bin_in_ten():
    x = fixed_series()
    assert validity(x) == 1.0
    assert coverage(x) == pytest.approx(0.1)
    assert coverage(x, bins=20) == pytest.approx(0.05)


def test_coverage_is_the_share_of_samples_a_flat_histogram_would_keep():
    half = torch.linspace(0, 4.999, 1000)              # uniform on the lower half of [0, 10)
    assert coverage_of(half) == pytest.approx(0.5, abs=0.01)
    piled = torch.cat([torch.full((500,), 0.5), torch.linspace(0, 9.999, 500)])   # half in one bin
    assert coverage_of(piled) == pytest.approx(0.1 + 0.45, abs=0.01)


def test_values_outside_the_range_or_not_finite_cover_nothing():
    assert coverage_of(torch.full((100,), 12.0)) == 0.0
    assert coverage_of(torch.full((100,), -0.5)) == 0.0
    assert coverage_of(torch.tensor([float("nan")] * 10)) == 0.0
    assert coverage_of(torch.tensor([10.0])) == 0.0      # the range is [low, high): high itself is outside


def test_the_range_and_bins_can_be_changed():
    x = samplers.Sequences(-3, 5, seed=2)(5000)
    assert coverage(x, low=-3, high=5) > 0.95
    assert coverage(x) < 0.6                            # judged against [0, 10) it misses a lot


def test_coverage_per_variable_and_the_worst_one(real):
    x = real.clone()
    x[:, 1] = 4.2                                       # b frozen, a and c still uniform
    each = coverage(x, per_variable=True)
    assert set(each) == {"a", "b", "c"}
    assert each["a"] > 0.97 and each["c"] > 0.97
    assert each["b"] == pytest.approx(0.1)
    assert coverage(x) == each["b"]


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(low=5, high=5), ValueError, "high must be greater than low; got low=5, high=5."),
    (dict(bins=0), ValueError, "bins must be a whole number >= 1; got 0."),
    (dict(bins=2.5), TypeError, "bins must be a whole number; got 2.5, which has a fractional part (use 2 or 3)."),
    (dict(low="0"), TypeError, "low must be a number; got '0' of type str."),
])
def test_coverage_rejects_bad_arguments(real, kwargs, error, words):
    with pytest.raises(error) as info:
        coverage(real, **kwargs)
    assert str(info.value) == words


def test_per_variable_must_be_a_bool(real):
    with pytest.raises(TypeError, match="per_variable must be True or False; got 1."):
        coverage(real, per_variable=1)


def test_coverage_of_needs_values():
    with pytest.raises(ValueError, match="values must hold at least one number"):
        coverage_of(torch.zeros(0))


# --------------------------------------------------------------------------- joint coverage

def test_a_perfect_sampler_fills_the_cube(real):
    big = samplers.Sequences(seed=5)(20_000)
    assert joint_coverage(big) == pytest.approx(0.973, abs=0.01)        # chance alone costs about 0.03
    assert joint_coverage(real) > 0.95
    assert JOINT_BINS == 5


def test_the_tied_generator_fools_coverage_but_not_joint_coverage():
    x = tied()
    assert validity(x) == 1.0
    assert coverage(x) > 0.98                                           # each of a, b, c alone is uniform
    assert joint_coverage(x) == pytest.approx(5 / 125)                  # the diagonal's 5 cells of 125
    assert joint_coverage(x, bins=10) == pytest.approx(10 / 1000)



def test_notebook_08s_yardsticks_score_as_its_text_says():
    """The yardsticks of notebook 09 (same seeds): the tied generator [t, t, t, t+1, t+2] is as valid and, one
    variable at a time, as well spread as real series; only the joint coverage tells it from them."""
    g = torch.Generator().manual_seed(1)
    real = samplers.Sequences(0, 10, seed=1)(5000)
    t = 10 * torch.rand(5000, 1, generator=g)
    tied_rows = torch.cat([t, t, t, t + 1, t + 2], dim=1)
    assert validity(real) == validity(tied_rows) == 1.0
    assert coverage(real) == pytest.approx(0.982, abs=5e-4)
    assert coverage(tied_rows) == pytest.approx(0.981, abs=5e-4)          # high, like the real series'
    assert joint_coverage(real) == pytest.approx(0.937, abs=5e-4)
    assert joint_coverage(tied_rows) == pytest.approx(0.040, abs=5e-4)    # the diagonal: 5 cells of 125

def test_a_collapsed_generator_reaches_one_cell():
    assert joint_coverage(fixed_series()) == pytest.approx(1 / 125)
    assert joint_coverage(fixed_series(), bins=2) == pytest.approx(1 / 8)


def test_joint_coverage_is_the_share_of_the_cube_reached():
    g = torch.Generator().manual_seed(6)
    a, b, c = (10 * torch.rand(20_000, generator=g) for _ in range(3))
    assert joint_coverage(series(0.4 * a, b, c)) == pytest.approx(0.4, abs=0.01)     # a only in [0, 4): 2 bins of 5
    assert joint_coverage(series(a, 10 - a, c)) == pytest.approx(25 / 125, abs=0.01)  # b tied to a: 25 cells
    assert coverage(series(a, 10 - a, c)) > 0.98                                  # which coverage cannot see


def test_series_outside_the_cube_or_not_finite_reach_nothing(real):
    x = real[:1000].clone()
    x[:500, 1] = 11.0                                     # b outside [0, 10): those rows earn nothing
    assert joint_coverage(x) <= 0.5 + 1e-9
    x[:, 0] = float("nan")
    assert joint_coverage(x) == 0.0
    assert joint_coverage(real, low=20, high=30) == 0.0


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(bins=0), ValueError, "bins must be a whole number from 1 to 100; got 0."),
    (dict(bins=101), ValueError, "bins must be a whole number from 1 to 100; got 101."),
    (dict(low=3, high=1), ValueError, "high must be greater than low; got low=3, high=1."),
])
def test_joint_coverage_rejects_bad_arguments(real, kwargs, error, words):
    with pytest.raises(error) as info:
        joint_coverage(real, **kwargs)
    assert str(info.value) == words


def test_joint_coverage_checks_the_shape():
    with pytest.raises(ValueError, match=r"x must have shape \(n, 5\).*got shape \(4, 3\)"):
        joint_coverage(torch.zeros(4, 3))


# --------------------------------------------------------------------------- score

def test_score_prints_a_table_and_returns_the_numbers(real, capsys):
    result = score(real)
    out = capsys.readouterr().out
    assert set(result) == {"validity", "coverage_a", "coverage_b", "coverage_c", "coverage", "joint_coverage",
                           "overall", "n"}
    assert result["validity"] == 1.0 and result["n"] == len(real)
    assert result["joint_coverage"] == joint_coverage(real)
    assert result["overall"] == pytest.approx(result["validity"] * result["joint_coverage"])
    for words in ("validity (steps 1 ± 0.1)", "100.0 %", "coverage of a on [0, 10)", "coverage of c",
                  "coverage (worst; 10 bins)", "joint coverage of (a, b, c) (5³ cells)",
                  "overall = validity × joint coverage", "generated"):
        assert words in out


def test_score_compares_several_samples_side_by_side(real, capsys):
    results = score({"real": real, "one series": fixed_series()}, tol=0.2)
    out = capsys.readouterr().out
    assert list(results) == ["real", "one series"]
    assert results["one series"]["validity"] == 1.0
    assert results["one series"]["coverage"] == pytest.approx(0.1)
    header = out.splitlines()[0]
    assert "real" in header and "one series" in header
    assert "steps 1 ± 0.2" in out
    line = next(l for l in out.splitlines() if l.startswith("coverage (worst"))
    assert line.split()[-1] == "0.100"


def test_score_tells_the_tied_generator_by_its_joint_coverage(capsys):
    results = score({"tied": tied()}, joint_bins=4)
    out = capsys.readouterr().out
    assert results["tied"]["coverage"] > 0.98
    assert results["tied"]["joint_coverage"] == pytest.approx(4 / 64)
    assert results["tied"]["overall"] == pytest.approx(4 / 64)
    assert "joint coverage of (a, b, c) (4³ cells)" in out


def test_score_can_stay_quiet(real, capsys):
    score(real[:100], show=False)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("x, kwargs, error, words", [
    ({}, {}, ValueError, "x must hold at least one sample; got an empty dict."),
    ({1: torch.zeros(3, 5)}, {}, TypeError, "the names in x must be strings; got 1."),
    ({"bad": torch.zeros(3, 4)}, {}, ValueError, "x['bad'] must have shape (n, 5)"),
    (torch.zeros(3, 5), {"show": "yes"}, TypeError, "show must be True or False; got 'yes'."),
    (torch.zeros(3, 5), {"tol": 0}, ValueError, "tol must be a finite number > 0; got 0.0."),
    (torch.zeros(3, 5), {"joint_bins": 0}, ValueError, "joint_bins must be a whole number from 1 to 100; got 0."),
])
def test_score_rejects_bad_arguments(x, kwargs, error, words):
    with pytest.raises(error) as info:
        score(x, **kwargs)
    assert words in str(info.value)

