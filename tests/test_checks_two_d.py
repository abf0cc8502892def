"""The checkers of notebook 08: the notebook's solutions pass, and each typical mistake in finding
the axis of smallest variance, in the variance along an axis, and in the prediction is named."""
import math

import numpy as np
import pytest
import torch

from gan_lesson.checks import check_axis_prediction, check_small_variance_axis, check_variance_along
from gan_lesson.checks.two_d import SERIES_COV, relative_errors
from notebook_cells import solution_namespace

NOTEBOOK = "08_gan_in_2d.ipynb"
REAL_COV = torch.tensor(SERIES_COV)


@pytest.fixture(scope="module")
def solutions():
    return solution_namespace(NOTEBOOK)


def run(check, *args, capsys):
    ok = check(*args)
    return ok, capsys.readouterr().out


def eigh(cov):
    return torch.linalg.eigh(cov)


def gan_covs_off_along(axis, k=10):
    """k covariances off by the same absolute 0.05 along each principal axis of the series' target
    (``axis="small"``), or off by 30 % along the large axis only (``axis="large"``)."""
    values, vectors = eigh(REAL_COV.double())
    if axis == "small":
        values = values + 0.05
    else:
        values = values * torch.tensor([1.0, 1.3], dtype=torch.float64)
    cov = vectors @ torch.diag(values) @ vectors.T
    return cov.float().expand(k, 2, 2).clone()


# --------------------------------------------------------------------------- the solutions

def test_notebook_solutions_pass(solutions, capsys):
    ok, out = run(check_small_variance_axis, solutions["small_variance_axis"], capsys=capsys)
    assert ok and out.startswith("✓"), out
    assert "3×3" in out and "unchanged" in out
    ok, out = run(check_variance_along, solutions["variance_along"], capsys=capsys)
    assert ok and out.startswith("✓"), out
    ok, out = run(check_axis_prediction, solutions["prediction"], REAL_COV, gan_covs_off_along("small"),
                  capsys=capsys)
    assert ok and out.startswith("✓"), out
    assert "small-variance axis" in out


def test_messages_are_deterministic(solutions, capsys):
    first = [run(check_small_variance_axis, solutions["small_variance_axis"], capsys=capsys)[1],
             run(check_variance_along, solutions["variance_along"], capsys=capsys)[1]]
    again = [run(check_small_variance_axis, solutions["small_variance_axis"], capsys=capsys)[1],
             run(check_variance_along, solutions["variance_along"], capsys=capsys)[1]]
    assert first == again


def test_stubs_are_not_attempted(capsys):
    def stub(*args):
        raise NotImplementedError

    def ellipsis(*args):
        return ...

    for check in (check_small_variance_axis, check_variance_along):
        for fn in (stub, ellipsis):
            ok, out = run(check, fn, capsys=capsys)
            assert not ok and "not attempted yet" in out, out
    ok, out = run(check_axis_prediction, ..., REAL_COV, gan_covs_off_along("small"), capsys=capsys)
    assert not ok and "not attempted yet" in out and '"small"' in out


def test_none_is_nothing_to_check(capsys):
    for check, args in ((check_small_variance_axis, (None,)), (check_variance_along, (None,)),
                        (check_axis_prediction, (None, REAL_COV, gan_covs_off_along("small")))):
        ok, out = run(check, *args, capsys=capsys)
        assert not ok and "nothing to check yet" in out


# --------------------------------------------------------------------------- exercise 1: accepted variants

@pytest.mark.parametrize("fn", [
    lambda cov: -eigh(cov)[1][:, 0],                                         # the other sign
    lambda cov: torch.from_numpy(np.linalg.eigh(cov.numpy())[1][:, 0]),      # numpy's eigh, a tensor
    lambda cov: np.linalg.eigh(cov.numpy())[1][:, 0],                        # ... or an array
    lambda cov: torch.linalg.svd(cov)[0][:, -1],                             # svd: descending, so the last column
    lambda cov: (lambda w, v: v[:, w.real.argmin()].real)(*torch.linalg.eig(cov)),   # eig, picked at argmin
    lambda cov: eigh(cov.double())[1][:, 0],                                 # float64
], ids=["negated", "numpy-tensor", "numpy-array", "svd-last", "eig-argmin", "float64"])
def test_small_axis_accepted_variants(fn, capsys):
    ok, out = run(check_small_variance_axis, fn, capsys=capsys)
    assert ok and out.startswith("✓"), out


# --------------------------------------------------------------------------- exercise 1: the mistakes

def _middle_on_3x3(cov):
    v = eigh(cov)[1]
    return v[:, 0] if len(cov) == 2 else v[:, 1]


def _zeroes_cov(cov):
    v = eigh(cov)[1][:, 0].clone()
    cov.zero_()
    return v


def _crashes(cov):
    return cov @ torch.ones(5)


@pytest.mark.parametrize("fn, words", [
    (lambda cov: eigh(cov)[1][:, -1], ["LARGEST variance"]),
    (lambda cov: eigh(cov)[1][0], ["ROW", "COLUMNS", "works on the 2×2", "any size d"]),
    (lambda cov: torch.linalg.svd(cov)[0][:, 0], ["LARGEST variance", "svd sorts"]),
    (lambda cov: torch.from_numpy(np.linalg.eig(cov.numpy())[1][:, 0]), ["first eigenvector that eig gives",
                                                                         "no particular order"]),
    (lambda cov: torch.linalg.eig(cov)[1][:, 0].real, ["first eigenvector that eig gives"]),
    (lambda cov: torch.linalg.eig(cov)[1][:, 0], ["complex numbers", "eigh"]),
    (_middle_on_3x3, ["works on the 2×2", "eigenvalue 1, not the smallest"]),
    (lambda cov: 2 * eigh(cov)[1][:, 0], ["right axis", "length 2", "UNIT vector"]),
    (lambda cov: (lambda w, v: w[0] * v[:, 0])(*eigh(cov)), ["eigenvalue times the eigenvector", "UNIT"]),
    (lambda cov: (lambda w, v: w[0].sqrt() * v[:, 0])(*eigh(cov)), ["standard deviation", "UNIT"]),
    (lambda cov: eigh(cov), ["a pair", "not one axis"]),
    (lambda cov: eigh(cov)[0][0], ["smallest EIGENVALUE", "not the axis"]),
    (lambda cov: eigh(cov)[0][1], ["one number", "vector of 2 numbers"]),
    (lambda cov: eigh(cov)[0], ["the EIGENVALUES"]),
    (lambda cov: eigh(cov)[0].flip(0), ["the EIGENVALUES"]),
    (lambda cov: eigh(cov)[1], ["2×2 matrix", "ONE of its columns"]),
    (lambda cov: eigh(cov)[1][:, :1], ["shape (2, 1)", "flat vector"]),
    (lambda cov: eigh(cov)[1][:, 0].tolist(), ["list, not a tensor"]),
    (lambda cov: cov.diagonal().clone(), ["diagonal of cov"]),
    (lambda cov: torch.eye(len(cov))[cov.diagonal().argmin()], ["coordinate axis x1", "correlated"]),
    (lambda cov: torch.zeros(len(cov)), ["zero vector"]),
    (lambda cov: torch.full((len(cov),), float("nan")), ["NaN or infinity"]),
    (lambda cov: torch.ones(len(cov)), ["not an eigenvector"]),
    (lambda cov: eigh(cov)[1][:, 0][:1].repeat(3), ["shape (3,)", "expected (2,)"]),
    (_zeroes_cov, ["changed the matrix", "in-place"]),
    (_crashes, ["raised RuntimeError"]),
    ("small_variance_axis", ["should be a function"]),
], ids=["largest", "row", "svd-first", "np-eig-first", "torch-eig-first", "complex", "middle", "length-2",
        "times-eigenvalue", "times-std", "pair", "eigenvalue", "other-number", "eigenvalues", "eigenvalues-desc",
        "matrix", "column-shape", "list", "diagonal", "coordinate-axis", "zero", "nan", "not-eigenvector",
        "wrong-length", "in-place", "crash", "not-callable"])
def test_small_axis_mistakes_are_named(fn, words, capsys):
    ok, out = run(check_small_variance_axis, fn, capsys=capsys)
    assert not ok and out.startswith("✗"), out
    for w in words:
        assert w in out, (w, out)
    assert "Hint:" in out


# --------------------------------------------------------------------------- exercise 2: accepted variants

@pytest.mark.parametrize("fn", [
    lambda x, a: (x @ a).var(unbiased=False),
    lambda x, a: ((x @ a - (x @ a).mean()) ** 2).mean(),
    lambda x, a: float((x @ a).var()),
    lambda x, a: np.var(x.numpy() @ a.numpy()),                       # numpy float32 scalar
    lambda x, a: a @ torch.cov(x.T) @ a,                              # aᵀ Σ a
    lambda x, a: ((x - x.mean(0)) @ a).pow(2).sum() / (len(x) - 1),
], ids=["biased", "by-hand", "float", "numpy", "quadratic-form", "centred-first"])
def test_variance_along_accepted_variants(fn, capsys):
    ok, out = run(check_variance_along, fn, capsys=capsys)
    assert ok and out.startswith("✓"), out


# --------------------------------------------------------------------------- exercise 2: the mistakes

def _centres_in_place(x, axis):
    x -= x.mean(0)
    return (x @ axis).var()


@pytest.mark.parametrize("fn, words", [
    (lambda x, a: ((x @ a) ** 2).mean(), ["SQUARED projections", "without subtracting their mean"]),
    (lambda x, a: (x @ a).std(), ["STANDARD DEVIATION", "not their variance"]),
    (lambda x, a: (x @ a).std(unbiased=False), ["STANDARD DEVIATION"]),
    (lambda x, a: (x @ a).mean(), ["MEAN of the projections"]),
    (lambda x, a: (a ** 2 * x.var(0)).sum(), ["weighted", "correlation"]),
    (lambda x, a: (a * x.var(0)).sum(), ["SQUARE of a factor"]),
    (lambda x, a: ((x @ a - (x @ a).mean()) ** 2).sum(), ["SUM of the squared deviations"]),
    (lambda x, a: x.var(), ["all the numbers in x together"]),
    (lambda x, a: x @ a, ["400 numbers, one per point", "projections themselves"]),
    (lambda x, a: x.var(0), ["2 numbers, one per coordinate"]),
    (lambda x, a: x * a, ["element by element"]),
    (lambda x, a: (x @ a).var()[None].repeat(3), ["shape (3,)", "expected one number"]),
    (lambda x, a: ((x @ a).var(), (x @ a).mean()), ["returned a tuple, not one number"]),
    (lambda x, a: "0.5", ["returned a str, not a number"]),
    (lambda x, a: torch.tensor(float("nan")), ["returned nan"]),
    (lambda x, a: (x @ a).var() * 1.5, ["expected", "the variance of x @ axis"]),
    (_centres_in_place, ["changed its inputs", "in-place"]),
    (lambda x, a: ((x @ a - x.mean()) ** 2).mean(), ["centred on the wrong mean", "all the numbers in x"]),
    (lambda x, a: ((x @ a - x.mean(0)[0]) ** 2).mean(), ["centred on the wrong mean", "the first coordinate"]),
    (lambda x, a: (((x - x.mean(1, keepdim=True)) @ a) ** 2).mean(), ["mean of its own coordinates"]),
    (lambda x, a: -(x @ a).var(), ["never negative"]),
    (lambda x, a: ((x - x.mean()) @ a).pow(2).mean(), ["centred on the wrong mean", "x − x.mean() subtracts one"]),
], ids=["no-centring", "std", "std-biased", "mean", "weighted-squares", "weighted", "sum", "all-numbers",
        "projections", "per-column", "elementwise", "three-numbers", "tuple", "string", "nan", "off",
        "in-place", "centred-on-all-numbers", "centred-on-one-coordinate", "centred-per-point", "negative",
        "centred-on-one-number"])
def test_variance_along_mistakes_are_named(fn, words, capsys):
    ok, out = run(check_variance_along, fn, capsys=capsys)
    assert not ok and out.startswith("✗"), out
    for w in words:
        assert w in out, (w, out)


def test_variance_without_centring_is_caught_by_the_off_centre_cloud(capsys):
    """The clouds are centred away from 0, so forgetting to centre cannot pass by luck."""
    ok, out = run(check_variance_along, lambda x, a: ((x @ a) ** 2).mean(), capsys=capsys)
    assert not ok and "centred at 0" in out and "p.var()" in out


# --------------------------------------------------------------------------- exercise 3: the prediction

def test_prediction_right_either_way(capsys):
    ok, out = run(check_axis_prediction, "small", REAL_COV, gan_covs_off_along("small"), capsys=capsys)
    assert ok and "further off along the small-variance axis" in out
    ok, out = run(check_axis_prediction, "large", REAL_COV, gan_covs_off_along("large"), capsys=capsys)
    assert ok and "further off along the large-variance axis" in out
    ok, out = run(check_axis_prediction, "  Small ", REAL_COV, gan_covs_off_along("small"), capsys=capsys)
    assert ok, out


def test_wrong_prediction_says_what_the_run_shows(capsys):
    ok, out = run(check_axis_prediction, "large", REAL_COV, gan_covs_off_along("small"), capsys=capsys)
    assert not ok and out.startswith("✗"), out
    assert "you predicted the large-variance axis" in out
    assert "further off along the small-variance axis" in out
    assert "Think in proportions" in out and "Hint:" in out
    ok, out = run(check_axis_prediction, "small", REAL_COV, gan_covs_off_along("large"), capsys=capsys)
    assert not ok and "you predicted the small-variance axis" in out
    assert "further off along the large-variance axis" in out and "30% off" in out


@pytest.mark.parametrize("prediction, words", [
    ("large", ["you predicted the large-variance axis"]),
    ("medium", ['must be "small" or "large"', "'medium'"]),
    ("", ['must be "small" or "large"']),
    (0, ['must be the word "small" or "large"', "got 0"]),
    (True, ['must be the word']),
])
def test_invalid_predictions_are_named(prediction, words, capsys):
    ok, out = run(check_axis_prediction, prediction, REAL_COV, gan_covs_off_along("small"), capsys=capsys)
    assert not ok and out.startswith("✗"), out
    for w in words:
        assert w in out, (w, out)


def test_prediction_accepts_arrays_lists_and_one_matrix(capsys):
    covs = gan_covs_off_along("small", k=3)
    for real, gan in ((REAL_COV.numpy(), covs.numpy()), (REAL_COV.double(), list(covs)), (REAL_COV, covs[0])):
        ok, out = run(check_axis_prediction, "small", real, gan, capsys=capsys)
        assert ok, out


@pytest.mark.parametrize("real, gan, words", [
    (torch.eye(3), gan_covs_off_along("small"), ["real_cov must hold finite 2×2", "(2, 2)", "got shape (3, 3)"]),
    (torch.ones(2), gan_covs_off_along("small"), ["real_cov", "got shape (2,)"]),
    (REAL_COV, torch.eye(3).expand(4, 3, 3), ["gan_covs must hold finite 2×2", "(k, 2, 2)", "(4, 3, 3)"]),
    (REAL_COV, torch.zeros(0, 2, 2), ["gan_covs", "(0, 2, 2)"]),
    (REAL_COV, torch.full((2, 2, 2), float("nan")), ["gan_covs must hold finite"]),
    ("cov", gan_covs_off_along("small"), ["real_cov must be a tensor", "got str"]),
    (REAL_COV, [[1.0, 0.0], [0.0, 1.0]], ["gan_covs must be a tensor", "got list"]),
    (torch.tensor([[1.0, 0.0], [0.0, 0.0]]), gan_covs_off_along("small"), ["real_cov must be a covariance",
                                                                            "positive variance"]),
    (torch.tensor([[1.0, 0.0], [0.0, -1.0]]), gan_covs_off_along("small"), ["real_cov must be a covariance"]),
], ids=["real-3x3", "real-1d", "gan-3x3", "gan-empty", "gan-nan", "real-str", "gan-list", "real-singular",
        "real-indefinite"])
def test_prediction_argument_errors_name_the_parameter(real, gan, words, capsys):
    for prediction in ("small", "large"):      # the arguments are checked whatever the prediction
        ok, out = run(check_axis_prediction, prediction, real, gan, capsys=capsys)
        assert not ok and out.startswith("✗"), out
        for w in words:
            assert w in out, (w, out)


# --------------------------------------------------------------------------- relative_errors

def test_relative_errors_on_a_diagonal_covariance():
    real = torch.diag(torch.tensor([1.0, 4.0], dtype=torch.float64))
    gan = torch.stack([torch.diag(torch.tensor(v, dtype=torch.float64)) for v in ([1.5, 4.4], [0.5, 3.6])])
    small, large = relative_errors(real, gan)
    assert small == pytest.approx(0.5)          # |1.5/1 − 1| and |0.5/1 − 1|
    assert large == pytest.approx(0.1)          # |4.4/4 − 1| and |3.6/4 − 1|


def test_relative_errors_measure_along_the_real_axes():
    values, vectors = eigh(REAL_COV.double())
    for scale, expected in (((1.2, 1.0), (0.2, 0.0)), ((1.0, 0.7), (0.0, 0.3))):
        gan = (vectors @ torch.diag(values * torch.tensor(scale, dtype=torch.float64)) @ vectors.T)[None]
        assert relative_errors(REAL_COV.double(), gan) == pytest.approx(expected, abs=1e-9)
    # the same absolute error weighs far more along the thin axis
    small, large = relative_errors(REAL_COV.double(), gan_covs_off_along("small").double())
    assert small == pytest.approx(0.05 / float(values[0]), rel=1e-4)
    assert large == pytest.approx(0.05 / float(values[1]), rel=1e-4)
    assert small > 10 * large


def test_relative_errors_is_zero_for_the_real_covariance():
    assert relative_errors(REAL_COV.double(), REAL_COV.double().expand(3, 2, 2)) == pytest.approx([0, 0], abs=1e-9)
    assert all(math.isfinite(e) for e in relative_errors(REAL_COV.double(), gan_covs_off_along("large").double()))
