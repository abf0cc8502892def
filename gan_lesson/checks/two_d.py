"""Checkers for notebook 08 (a GAN in two dimensions): where the GAN is least accurate.

``check_small_variance_axis(fn)``: ``fn(cov)`` with ``cov`` a covariance matrix, a tensor
``(d, d)``, must return the unit eigenvector of its smallest eigenvalue, a tensor ``(d,)``
(either sign: −v is the same axis). Probed on two 2×2 covariances and a 3×3 one, because for a
2×2 covariance the eigenvector matrix LAPACK returns is symmetric, so mixing up its rows and
columns goes unnoticed there.

``check_variance_along(fn)``: ``fn(x, axis)`` with points ``x`` ``(n, d)`` and a unit vector
``axis`` ``(d,)`` must return the variance of the projections ``x · axis``, one number (dividing
by n or by n − 1 are both accepted).

``check_axis_prediction(prediction, real_cov, gan_covs)``: the student's prediction, ``"small"``
or ``"large"``, of the axis along which the GAN's variance is further off *relative to the real
variance there*, checked against the covariances the run measured.
"""
import math

import numpy as np
import torch

from .core import Fail, NotAttempted, call, checker, expect

__all__ = ["check_small_variance_axis", "check_variance_along", "check_axis_prediction", "SERIES_COV"]

#: The series' 2-D target: covariance AᵀA of X = Z·A + b with A = [[1, 2], [−0.1, 0.5]].
SERIES_COV = ((1.01, 1.95), (1.95, 4.25))

_TOL = 1e-3      # relative tolerance (float32 arithmetic, any order of summation)


def _rotation(angle):
    c, s = math.cos(angle), math.sin(angle)
    return torch.tensor([[c, -s], [s, c]], dtype=torch.float64)


def _probes():
    """(label, covariance) pairs, float32: the series' 2×2, a negatively correlated 2×2, a 3×3."""
    tilted = _rotation(2.3) @ torch.diag(torch.tensor([0.5, 3.0], dtype=torch.float64)) @ _rotation(2.3).T
    q, _ = torch.linalg.qr(torch.tensor([[0.9, -0.4, 0.3], [0.2, 0.8, -0.5], [0.4, 0.3, 0.7]], dtype=torch.float64))
    three = q @ torch.diag(torch.tensor([0.2, 1.0, 4.0], dtype=torch.float64)) @ q.T
    return [("the series' covariance [[1.01, 1.95], [1.95, 4.25]]", torch.tensor(SERIES_COV)),
            ("a 2×2 covariance with negative correlation", tilted.float()),
            ("a 3×3 covariance", three.float())]


def _as_tensor(out):
    if isinstance(out, np.ndarray):
        return torch.from_numpy(np.array(out))
    if isinstance(out, (int, float, np.floating, np.integer)) and not isinstance(out, bool):
        return torch.tensor(float(out), dtype=torch.float64)
    return out


def _parallel(u, v, tol=1e-3):
    """True if the unit vectors u and v lie on the same line (either sign)."""
    return abs(float(u @ v)) > 1 - tol


def _unit(v):
    v = torch.as_tensor(v, dtype=torch.float64).reshape(-1)
    return v / v.norm()


# ----------------------------------------------------------------------------------------------
# Exercise 1: the axis of smallest variance
# ----------------------------------------------------------------------------------------------

_EIGH_HINT = ("values, vectors = torch.linalg.eigh(cov) sorts the eigenvalues in ascending order; the "
              "eigenvector of values[0] is the first COLUMN, vectors[:, 0].")


def _axis_output(out, cov, label):
    """Turn the student's output into a float64 vector (d,), or fail with what it is instead."""
    d = cov.shape[0]
    values, vectors = torch.linalg.eigh(cov.double())
    if isinstance(out, tuple) and len(out) == 2:
        raise Fail(f"for {label}, small_variance_axis returned a pair (eigenvalues and eigenvectors, everything "
                   "eigh gives), not one axis.", _EIGH_HINT)
    out = _as_tensor(out)
    if not isinstance(out, torch.Tensor):
        raise Fail(f"small_variance_axis returned a {type(out).__name__}, not a tensor.",
                   "Return a tensor of shape (d,), e.g. vectors[:, 0].")
    if out.is_complex():
        raise Fail("small_variance_axis returned complex numbers: torch.linalg.eig treats any matrix as "
                   "possibly non-symmetric and answers in complex numbers, in no particular order.",
                   "A covariance is symmetric: use torch.linalg.eigh, which returns real, sorted eigenvalues.")
    out = out.detach().double()
    if out.numel() == 1:
        v = float(out.reshape(()))
        if abs(v - float(values[0])) <= _TOL * abs(float(values[0])) + 1e-6:
            raise Fail(f"for {label}, small_variance_axis returned {v:.4g}, the smallest EIGENVALUE: the variance "
                       "along the axis, a number, not the axis (a direction, d numbers).", _EIGH_HINT)
        raise Fail(f"for {label}, small_variance_axis returned one number ({v:.4g}); an axis in {d} dimensions "
                   f"is a vector of {d} numbers.", _EIGH_HINT)
    if tuple(out.shape) == (d, d):
        raise Fail(f"for {label}, small_variance_axis returned a {d}×{d} matrix (all the eigenvectors?); the axis "
                   "is ONE of its columns.", _EIGH_HINT)
    if out.numel() == d and out.ndim == 2:
        raise Fail(f"small_variance_axis returned shape {tuple(out.shape)}; expected a flat vector ({d},).",
                   "Flatten it (v.flatten()), or index the matrix as vectors[:, 0], which is already flat.")
    expect(tuple(out.shape) == (d,), f"for {label}, small_variance_axis returned shape {tuple(out.shape)}; "
                                     f"expected ({d},).", _EIGH_HINT)
    expect(bool(torch.isfinite(out).all()), f"for {label}, small_variance_axis returned NaN or infinity.",
           _EIGH_HINT)
    for order in (values, values.flip(0)):
        if torch.allclose(out, order, rtol=_TOL, atol=1e-6):
            raise Fail(f"for {label}, small_variance_axis returned the EIGENVALUES {_fmt(out)}: the variances "
                       "along the principal axes, not an axis.", _EIGH_HINT)
    if d > 1 and torch.allclose(out, cov.double().diagonal(), rtol=_TOL, atol=1e-6):
        raise Fail(f"for {label}, small_variance_axis returned the diagonal of cov {_fmt(out)}: the variances of "
                   "the coordinates, not an axis.", _EIGH_HINT)
    expect(float(out.norm()) > 1e-8, f"for {label}, small_variance_axis returned the zero vector, which "
                                     "points nowhere.", _EIGH_HINT)
    return out


def _fmt(v):
    return "[" + ", ".join(f"{float(x):.3g}" for x in v.reshape(-1)) + "]"


def _rows(cov):
    """Rows of the eigenvector matrices that eigh and svd return (numpy's and torch's)."""
    c = cov.double()
    mats = [torch.linalg.eigh(c)[1], torch.from_numpy(np.linalg.eigh(c.numpy())[1]),
            torch.linalg.svd(c)[0], torch.from_numpy(np.linalg.svd(c.numpy())[0])]
    return [m[i] for m in mats for i in range(len(m))]


def _eig_first_columns(cov):
    """Column 0 of what the unsorted eig functions return (numpy's and torch's)."""
    c = cov.double()
    return [_unit(torch.from_numpy(np.linalg.eig(c.numpy())[1][:, 0].real)),
            _unit(torch.linalg.eig(c)[1][:, 0].real)]


def _diagnose_axis(out, cov, label):
    """Fail with the likely mistake unless ``out`` is the unit eigenvector of the smallest eigenvalue."""
    values, vectors = torch.linalg.eigh(cov.double())
    d = len(values)
    length = float(out.norm())
    u = out / length
    smallest = vectors[:, 0]
    if _parallel(u, smallest):
        if abs(length - 1) > _TOL:
            if abs(length - float(values[0])) <= _TOL * float(values[0]):
                why = " — the eigenvalue times the eigenvector (cov @ v?)"
            elif abs(length - math.sqrt(float(values[0]))) <= _TOL * math.sqrt(float(values[0])):
                why = " — the eigenvector times the standard deviation along it"
            else:
                why = ""
            raise Fail(f"for {label}, your vector points along the right axis but has length {length:.4g}{why}; "
                       "an axis is a UNIT vector, length 1.",
                       "Divide by its length: v / v.norm() (eigh's eigenvectors already have length 1).")
        return
    if any(_parallel(u, e) for e in _eig_first_columns(cov)):
        raise Fail(f"for {label}, you returned the first eigenvector that eig gives, which belongs to the "
                   f"eigenvalue {_rayleigh(cov, u):.3g}, not the smallest ({float(values[0]):.3g}). eig returns "
                   "the eigenvalues in no particular order.",
                   "Use torch.linalg.eigh (sorted ascending, for symmetric matrices), or pick the column at "
                   "values.argmin().")
    if _parallel(u, vectors[:, -1]):
        raise Fail(f"for {label}, you returned the axis of LARGEST variance (eigenvalue {float(values[-1]):.3g}), "
                   f"not the smallest ({float(values[0]):.3g}).", _EIGH_HINT + " The last column belongs to the "
                   "largest eigenvalue (svd sorts the other way: descending).")
    if any(_parallel(u, r) for r in _rows(cov)):
        raise Fail(f"for {label}, you returned a ROW of the eigenvector matrix; the eigenvectors are its COLUMNS. "
                   "(For a 2×2 covariance eigh's matrix is symmetric, so rows and columns look alike there.)",
                   "Take vectors[:, 0], not vectors[0].")
    for k in range(1, d - 1):
        if _parallel(u, vectors[:, k]):
            raise Fail(f"for {label}, you returned an eigenvector, but of the eigenvalue {float(values[k]):.3g}, "
                       f"not the smallest ({float(values[0]):.3g}).", _EIGH_HINT)
    axis = int(cov.diagonal().argmin())
    if _parallel(u, torch.eye(d, dtype=torch.float64)[axis]):
        raise Fail(f"for {label}, you returned the coordinate axis x{axis + 1}, the coordinate with the smallest "
                   "variance. The coordinates are correlated, so the direction of least variance is tilted "
                   "between the axes.", _EIGH_HINT)
    raise Fail(f"for {label}, your vector {_fmt(out)} is not an eigenvector of cov: cov @ v does not point along v.",
               _EIGH_HINT)


def _rayleigh(cov, u):
    return float(u @ cov.double() @ u)


@checker("small_variance_axis")
def check_small_variance_axis(fn):
    """Check ``fn(cov)`` → the unit eigenvector ``(d,)`` of the smallest eigenvalue of ``cov`` ``(d, d)``."""
    for i, (label, cov) in enumerate(_probes()):
        arg = cov.clone()
        try:
            out = call(fn, arg, what=f"small_variance_axis on {label}")
            expect(torch.equal(arg, cov), f"small_variance_axis changed the matrix it was given ({label}): an "
                                          "in-place operation.", "Compute new tensors instead of changing cov.")
            _diagnose_axis(_axis_output(out, cov, label), cov, label)
        except Fail as f:
            problem, hint = f.args
            if cov.shape[0] == 3 and i > 0:
                problem = "it works on the 2×2 covariances, but " + problem
                hint = (hint or "") + " The same code should work for any size d."
            raise Fail(problem, hint) from None
    return ("the unit eigenvector of the smallest eigenvalue (either sign), for two 2×2 covariances and a 3×3 "
            "one; cov is left unchanged.")


# ----------------------------------------------------------------------------------------------
# Exercise 2: the variance along an axis
# ----------------------------------------------------------------------------------------------

_PROJECT_HINT = ("Project first, p = x @ axis (one number per point), then take the variance of those numbers: "
                 "p.var() (or ((p - p.mean()) ** 2).mean()).")


def _cloud(seed, mean):
    g = torch.Generator().manual_seed(seed)
    a = torch.tensor([[1.0, 2.0], [-0.1, 0.5]])
    return torch.randn(400, 2, generator=g) @ a + torch.tensor(mean)


def _axes_for(x):
    vectors = torch.linalg.eigh(torch.cov(x.T.double()))[1].float()
    return [("the axis of smallest variance", vectors[:, 0]), ("the axis of largest variance", vectors[:, 1]),
            ("the x₁ axis [1, 0]", torch.tensor([1.0, 0.0])), ("the axis [0.6, 0.8]", torch.tensor([0.6, 0.8]))]


def _variance_output(out, n, d, where):
    if isinstance(out, (tuple, list)):
        raise Fail(f"{where}, variance_along returned a {type(out).__name__}, not one number.",
                   "Return a single number (a float or a 0-d tensor).")
    out = _as_tensor(out)
    if not isinstance(out, torch.Tensor):
        raise Fail(f"{where}, variance_along returned a {type(out).__name__}, not a number.",
                   "Return a float or a 0-d tensor.")
    out = out.detach().double()
    if out.numel() == 1:
        v = float(out.reshape(()))
        expect(math.isfinite(v), f"{where}, variance_along returned {v}.", _PROJECT_HINT)
        return v
    if out.numel() == n:
        raise Fail(f"{where}, variance_along returned {n} numbers, one per point: the projections themselves. "
                   "Their variance is one number.", "Finish with .var() of the projections.")
    if out.numel() == d:
        raise Fail(f"{where}, variance_along returned {d} numbers, one per coordinate (a variance of each "
                   "column?). The variance along an axis is one number.", _PROJECT_HINT)
    if out.numel() == n * d:
        raise Fail(f"{where}, variance_along returned shape {tuple(out.shape)}: x * axis multiplies element by "
                   "element and does not add the coordinates up.", _PROJECT_HINT)
    raise Fail(f"{where}, variance_along returned shape {tuple(out.shape)}; expected one number.", _PROJECT_HINT)


def _close(a, b):
    return abs(a - b) <= _TOL * abs(b) + 1e-9


def _wrong_centre(got, p, x, axis):
    """(centre, name) when ``got`` is the mean squared distance of the projections ``p`` from a recognisable wrong
    mean (dividing by n or n − 1), else None."""
    n = len(p)
    candidates = [(float(x.mean()), "the mean of all the numbers in x, x.mean()"),
                  (float(x.mean(0)[0]), "the mean of the first coordinate, not of the projections"),
                  (float(x.mean(0)[1]), "the mean of the second coordinate, not of the projections"),
                  (float(x.mean(0).sum()), "the sum of the coordinates' means, without the axis"),
                  (float(x.mean(0) @ axis.abs()), "the mean point projected on |axis|"),
                  (float(x.mean() * axis.sum()), "x − x.mean() subtracts one number, the mean of all the "
                   "numbers in x, from every coordinate, not the mean point x.mean(dim=0)")]
    for centre, name in candidates:
        spread = ((p - centre) ** 2).sum()
        if any(_close(got, float(spread / k)) for k in (n, n - 1)):
            return centre, name
    return None


@checker("variance_along")
def check_variance_along(fn):
    """Check ``fn(x, axis)`` → the variance of the projections ``x @ axis`` (one number)."""
    for seed, mean, what in ((0, [1.0, 2.0], "points centred at [1, 2]"), (1, [5.0, -3.0], "points centred at [5, −3]")):
        x = _cloud(seed, mean)
        for name, axis in _axes_for(x):
            xa, aa = x.clone(), axis.clone()
            where = f"for {what} and {name}"
            got = _variance_output(call(fn, xa, aa, what="variance_along"), len(x), 2, where)
            expect(torch.equal(xa, x) and torch.equal(aa, axis),
                   "variance_along changed its inputs (an in-place operation such as x -= x.mean(0)).",
                   "Compute new tensors (d = x - x.mean(0)) instead of changing x or axis.")
            xd, ad = x.double(), axis.double()
            p = xd @ ad
            right = (float(p.var(unbiased=False)), float(p.var()))
            if any(_close(got, r) for r in right):
                continue
            var_cols = xd.var(0)
            wrong = [
                (float((p ** 2).mean()), "the mean of the SQUARED projections, without subtracting their mean "
                 "first (that is the variance only for data centred at 0)",
                 "Subtract the mean of the projections: p.var(), or ((p - p.mean()) ** 2).mean()."),
                (float(p.std(unbiased=False)), "the STANDARD DEVIATION of the projections, not their variance",
                 "Square it, or use p.var()."),
                (float(p.std()), "the STANDARD DEVIATION of the projections, not their variance",
                 "Square it, or use p.var()."),
                (float(p.mean()), "the MEAN of the projections, not their variance", "Use p.var()."),
                (float((ad ** 2 * var_cols).sum()), "Σ axisᵢ² · var(xᵢ): the variances of the coordinates, weighted. "
                 "That leaves out the correlation between x₁ and x₂ (the term 2·a₁a₂·cov(x₁, x₂))", _PROJECT_HINT),
                (float((ad * var_cols).sum()), "Σ axisᵢ · var(xᵢ): the coordinates' variances, weighted by the "
                 "axis. A variance scales with the SQUARE of a factor, and the correlation is left out", _PROJECT_HINT),
                (float(((p - p.mean()) ** 2).sum()), "the SUM of the squared deviations, not their mean",
                 "Divide by n (or n − 1): p.var()."),
                (float(xd.var()), "the variance of all the numbers in x together, whatever the axis",
                 _PROJECT_HINT),
                (float((xd * ad).var()), "the variance of all the numbers of x * axis together: `*` multiplies "
                 "each coordinate by its weight but does not add the two, so each point still has two numbers, "
                 "not one projection", _PROJECT_HINT),
                (float((xd * ad).var(0).sum()), "the variances of the two columns of x * axis, added: `*` weighs "
                 "each coordinate but never adds them into one projection, so the correlation is left out",
                 _PROJECT_HINT),
                (-right[0], "minus the variance: a variance is never negative, the sign is flipped",
                 "Return p.var() itself."),
                (-right[1], "minus the variance: a variance is never negative, the sign is flipped",
                 "Return p.var() itself."),
            ]
            rows = xd - xd.mean(1, keepdim=True)
            wrong += [
                (float(((rows @ ad) ** 2).mean()), "each point was centred on the mean of its own coordinates "
                 "(x.mean(dim=1)), not on the mean of the points (x.mean(dim=0))",
                 "Centre on the mean point, x - x.mean(dim=0), or take p.var() of the projections directly."),
                (float(((rows @ ad) ** 2).sum() / (len(p) - 1)), "each point was centred on the mean of its own "
                 "coordinates (x.mean(dim=1)), not on the mean of the points (x.mean(dim=0))",
                 "Centre on the mean point, x - x.mean(dim=0), or take p.var() of the projections directly."),
            ]
            for value, problem, hint in wrong:
                if _close(got, value):
                    raise Fail(f"{where}, variance_along returned {got:.4g}: {problem}. Expected {right[1]:.4g}.", hint)
            centre = _wrong_centre(got, p, xd, ad)
            if centre is not None:
                raise Fail(f"{where}, variance_along returned {got:.4g}, the mean squared distance of the projections "
                           f"from {centre[0]:.4g}, but their own mean is {float(p.mean()):.4g}: they were centred on "
                           f"the wrong mean ({centre[1]}). Expected {right[1]:.4g}.",
                           "Subtract the mean of the projections themselves: p.var(), or ((p - p.mean()) ** 2).mean().")
            raise Fail(f"{where}, variance_along returned {got:.4g}; the value is off: expected {right[1]:.4g} "
                       "(the variance of x @ axis).", _PROJECT_HINT)
    return ("the variance of the projections x @ axis, for 4 axes and two clouds of 400 points, one of them far "
            "from the origin (dividing by n or by n − 1 both accepted).")


# ----------------------------------------------------------------------------------------------
# Exercise 3: predict, then measure
# ----------------------------------------------------------------------------------------------

def _matrix(name, m, ndim):
    if isinstance(m, np.ndarray):
        m = torch.from_numpy(m)
    if isinstance(m, (list, tuple)) and m and isinstance(m[0], torch.Tensor):
        m = torch.stack(list(m))
    if not isinstance(m, torch.Tensor):
        raise Fail(f"{name} must be a tensor; got {type(m).__name__}.", "Pass the tensors the notebook computed.")
    m = m.detach().double()
    if m.ndim == 2 and ndim == 3:
        m = m.unsqueeze(0)
    if m.ndim != ndim or tuple(m.shape[-2:]) != (2, 2) or len(m) == 0 or not torch.isfinite(m).all():
        shape = "(2, 2)" if ndim == 2 else "(k, 2, 2)"
        raise Fail(f"{name} must hold finite 2×2 covariance matrices, shape {shape}; got shape {tuple(m.shape)}.",
                   "Pass the tensors the notebook computed.")
    return m


def relative_errors(real_cov, gan_covs):
    """Mean |var_G / var_real − 1| along the real data's smallest- and largest-variance axes."""
    values, vectors = torch.linalg.eigh(real_cov)
    out = []
    for k in (0, -1):
        u = vectors[:, k]
        var_g = torch.einsum("i,kij,j->k", u, gan_covs, u)
        out.append(float((var_g / values[k] - 1).abs().mean()))
    return out


@checker("prediction")
def check_axis_prediction(prediction, real_cov, gan_covs):
    """Check ``prediction`` ("small" or "large") against the run: along which axis is the GAN's variance
    further off, relative to the real variance there? ``real_cov``: ``(2, 2)``; ``gan_covs``: G's
    covariance at the epochs to compare, ``(k, 2, 2)``."""
    if prediction is Ellipsis:
        raise NotAttempted('set prediction = "small" or prediction = "large"')
    expect(isinstance(prediction, str), f'prediction must be the word "small" or "large"; got {prediction!r}.',
           'Write prediction = "small" (the axis of small variance) or prediction = "large".')
    word = prediction.strip().lower()
    expect(word in ("small", "large"), f'prediction must be "small" or "large"; got {prediction!r}.',
           'Write prediction = "small" (the axis of small variance) or prediction = "large".')
    real_cov = _matrix("real_cov", real_cov, 2)
    gan_covs = _matrix("gan_covs", gan_covs, 3)
    expect(float(torch.linalg.eigvalsh(real_cov)[0]) > 0,
           f"real_cov must be a covariance with a positive variance along every axis; its eigenvalues are "
           f"{_fmt(torch.linalg.eigvalsh(real_cov))}.", "Pass the tensors the notebook computed.")
    small, large = relative_errors(real_cov, gan_covs)
    truth = "small" if small > large else "large"
    if word != truth:
        values = torch.linalg.eigh(real_cov)[0]
        err = 0.05
        raise Fail(f"you predicted the {word}-variance axis, but in this run the GAN is further off along the "
                   f"{truth}-variance axis: its variance there is {max(small, large):.0%} off on average, against "
                   f"{min(small, large):.0%} along the other.",
                   f"Think in proportions: an error of {err} in variance is {err / float(values[-1]):.0%} of the "
                   f"large variance ({float(values[-1]):.3g}) but {err / float(values[0]):.0%} of the small one "
                   f"({float(values[0]):.3g}).")
    other = "large" if truth == "small" else "small"
    return (f"right. Relative to the real variance along each axis, the GAN is further off along the "
            f"{truth}-variance axis than along the {other}-variance one.")
