"""The sequences challenge (notebook 09): is a generated series valid, and do the series vary?

Real series are five numbers ``[a, b, c, c+1, c+2]`` with a, b and c uniform on ``[low, high)``
(``samplers.Sequences``; default ``[0, 10)``). Entries are numbered x₀ … x₄, so the rule is
x₃ = x₂ + 1 and x₄ = x₃ + 1. A generator is judged on whether its series are right and whether
they vary as the real ones do:

* ``validity(x, tol=0.1)``: the fraction of series that obey the rule, within ``tol``:
  |x₃ − x₂ − 1| ≤ tol and |x₄ − x₃ − 1| ≤ tol.
* ``coverage(x, low, high, bins=10)``: whether a, b and c, **each on its own**, fill their range
  as evenly as a uniform does. A generator that always returns ``[1, 2, 3, 4, 5]`` is 100 % valid,
  but its coverage is ``1/bins``: the least any sample inside the range can score.
* ``joint_coverage(x, low, high, bins=5)``: whether the points (a, b, c) fill the cube
  ``[low, high)³`` as evenly as the real ones, which are independent and uniform. This one also
  catches a generator whose a, b and c each look uniform but are tied to one another: writing
  ``[t, t, t, t+1, t+2]`` with t uniform is 100 % valid with a coverage near 1, yet its points
  lie on the cube's diagonal and reach only ``bins`` of its ``bins³`` cells (joint coverage
  ``1/bins²`` = 0.04).

``score(x)`` prints them as a table (pass a dict to compare several samples side by side).

Why ``tol = 0.1``: it is a tenth of the step the rule asks for, so a valid series plainly counts
up by one, not roughly by one. It is also far beyond chance: two unrelated numbers uniform on
[0, 10) are one step apart within 0.1 about 2 % of the time, so a random series passes both
steps about 0.03 % of the time (0.032 % in a simulation of 20 million rows). And it is
reachable: on z-scored data (std ≈ 2.9) it is 0.035 standard deviations, about the precision a
small network reaches in a minute. For another range, keep ``tol`` tied to the step (1), not to
the range.

Every function accepts a tensor or array of shape ``(n, 5)`` in the data's own units (not
scaled). A series holding NaN or infinity counts as invalid and covers nothing.
"""
import numpy as np
import torch

from ..validation import short_repr as _show, check_int, check_number

__all__ = ["TOL", "VARIABLES", "JOINT_BINS", "steps", "validity", "coverage_of", "coverage", "joint_coverage",
           "score"]

TOL = 0.1                      # default tolerance, in the data's units
VARIABLES = ("a", "b", "c")    # the free entries x₀, x₁, x₂
JOINT_BINS = 5                 # bins per variable in joint_coverage: 5³ = 125 cells


def _series(x, name="x"):
    """``x`` as a float64 numpy array of shape (n, 5); a clear error otherwise."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().double().numpy()
    try:
        x = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a tensor or array of numbers, shape (n, 5); got {_show(x)} "
                        f"of type {type(x).__name__}.") from None
    if x.ndim != 2 or x.shape[1] != 5 or x.shape[0] < 1:
        raise ValueError(f"{name} must have shape (n, 5) with n >= 1, one series [a, b, c, c+1, c+2] a row; "
                         f"got shape {tuple(x.shape)}.")
    return x


def _range(low, high):
    low, high = check_number("low", low), check_number("high", high)
    if not high > low:
        raise ValueError(f"high must be greater than low; got low={low:g}, high={high:g}.")
    return low, high


def steps(x):
    """The two steps of each series, x₃ − x₂ and x₄ − x₃: numpy array ``(n, 2)``; both are 1 when valid."""
    x = _series(x)
    return np.stack([x[:, 3] - x[:, 2], x[:, 4] - x[:, 3]], axis=1)


def validity(x, tol=TOL):
    """Fraction (0 to 1) of the series in ``x`` ``(n, 5)`` whose two steps are 1 within ``tol``.

    A series is valid when |x₃ − x₂ − 1| ≤ tol and |x₄ − x₃ − 1| ≤ tol; ``tol`` is in the data's
    units (default 0.1, a tenth of the step; see the module's notes).
    """
    tol = check_number("tol", tol, low=0, low_open=True)
    off = np.abs(steps(x) - 1.0)
    with np.errstate(invalid="ignore"):
        valid = (off <= tol).all(axis=1)          # NaN compares False: invalid
    return float(valid.mean())


def coverage_of(values, low=0.0, high=10.0, bins=10):
    """How evenly one variable fills ``[low, high)``: 1 for a flat histogram, ``1/bins`` for one value.

    The range is cut into ``bins`` equal bins; a uniform sample puts a share ``1/bins`` in each.
    Each bin is credited with its share of the samples, but never more than ``1/bins``; the
    coverage is the sum of the credits: ``Σ_k min(share_k, 1/bins)``, which is 1 − the total
    variation distance between the binned sample and the uniform. Values outside the range (or
    not finite) fall in no bin and earn nothing. ``values``: ``(n,)``. A real sample of n values
    scores about 1 − 0.4·√(bins/n) because of chance alone (about 0.99 for n = 10 000, bins = 10).
    """
    low, high = _range(low, high)
    bins = check_int("bins", bins, low=1)
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    values = np.asarray(values, dtype=float).reshape(-1)
    if values.size == 0:
        raise ValueError("values must hold at least one number; got an empty array.")
    inside = values[np.isfinite(values) & (values >= low) & (values < high)]
    k = np.minimum(((inside - low) / (high - low) * bins).astype(int), bins - 1)
    share = np.bincount(k, minlength=bins) / values.size
    return float(np.minimum(share, 1.0 / bins).sum())


def coverage(x, low=0.0, high=10.0, bins=10, per_variable=False):
    """How well a, b and c (entries x₀, x₁, x₂ of ``x`` ``(n, 5)``) cover ``[low, high)``, in [0, 1].

    Each variable's coverage is ``coverage_of`` its column; the result is the **worst** of the
    three, so a generator must vary all of them (one frozen variable scores ``1/bins``).
    ``per_variable=True`` returns ``{'a': …, 'b': …, 'c': …}`` instead.
    """
    x = _series(x)
    if not isinstance(per_variable, bool):
        raise TypeError(f"per_variable must be True or False; got {_show(per_variable)}.")
    each = {v: coverage_of(x[:, j], low, high, bins) for j, v in enumerate(VARIABLES)}
    return each if per_variable else min(each.values())


def joint_coverage(x, low=0.0, high=10.0, bins=JOINT_BINS):
    """How well the points (a, b, c) of ``x`` ``(n, 5)`` fill the cube ``[low, high)³``, in [0, 1].

    Each side is cut into ``bins`` equal bins, the cube into ``bins³`` cells; real (a, b, c) are
    independent and uniform, so each cell holds a share ``1/bins³`` of them. Each cell is
    credited with the generated series' share in it, but never more than ``1/bins³``; the joint
    coverage is the sum, ``Σ_cells min(share, 1/bins³)``: the share of the real distribution the
    generated set reaches, 1 − the total variation distance between the two binned
    distributions. A series with a, b or c outside the range (or not finite) earns nothing.

    It is 1 for points that fill the cube evenly and ``1/bins³`` for a single point. It catches
    what ``coverage`` cannot: a, b and c tied to one another (a = b = c scores ``1/bins²``) even
    when each one alone is uniform. Chance alone costs a real sample about 0.4·√(bins³/n): it
    scores about 0.94 for n = 5000 and 0.97 for n = 20 000 with the default 5 bins.
    """
    x = _series(x)
    low, high = _range(low, high)
    bins = check_int("bins", bins, low=1, high=100)
    abc = x[:, :3]
    inside = (np.isfinite(abc) & (abc >= low) & (abc < high)).all(axis=1)
    k = np.minimum(((abc[inside] - low) / (high - low) * bins).astype(int), bins - 1)
    cell = (k[:, 0] * bins + k[:, 1]) * bins + k[:, 2]
    share = np.bincount(cell, minlength=bins ** 3) / x.shape[0]
    return float(np.minimum(share, 1.0 / bins ** 3).sum())


def _scores(x, low, high, tol, bins, joint_bins):
    each = coverage(x, low, high, bins, per_variable=True)
    valid = validity(x, tol)
    joint = joint_coverage(x, low, high, joint_bins)
    return {"validity": valid, **{f"coverage_{v}": each[v] for v in VARIABLES},
            "coverage": min(each.values()), "joint_coverage": joint, "overall": valid * joint,
            "n": int(_series(x).shape[0])}


def score(x, low=0.0, high=10.0, tol=TOL, bins=10, joint_bins=JOINT_BINS, show=True):
    """Validity and coverage of generated series, printed as a table and returned as a dict.

    ``x``: one sample ``(n, 5)``, or a dict ``{name: sample}`` to compare several side by side
    (one column each). Returns ``{'validity', 'coverage_a', 'coverage_b', 'coverage_c',
    'coverage', 'joint_coverage', 'overall', 'n'}`` (a dict of those per name for a dict input);
    ``coverage`` is the worst of a, b, c (``bins`` bins each), ``joint_coverage`` that of the
    points (a, b, c) (``joint_bins³`` cells), and ``overall`` = validity × joint coverage, one
    number to compare generators by.
    """
    low, high = _range(low, high)
    tol = check_number("tol", tol, low=0, low_open=True)
    bins = check_int("bins", bins, low=1)
    joint_bins = check_int("joint_bins", joint_bins, low=1, high=100)
    if not isinstance(show, bool):
        raise TypeError(f"show must be True or False; got {_show(show)}.")
    if isinstance(x, dict):
        if not x:
            raise ValueError("x must hold at least one sample; got an empty dict.")
        for name in x:
            if not isinstance(name, str):
                raise TypeError(f"the names in x must be strings; got {_show(name)}.")
        results = {name: _scores(_series(sample, f"x[{name!r}]"), low, high, tol, bins, joint_bins)
                   for name, sample in x.items()}
    else:
        results = {"generated": _scores(_series(x), low, high, tol, bins, joint_bins)}
    if show:
        print(_table(results, low, high, tol, bins, joint_bins))
    return results if isinstance(x, dict) else results["generated"]


def _table(results, low, high, tol, bins, joint_bins):
    rows = [("series", "n", lambda v: f"{v:d}"),
            (f"validity (steps 1 ± {tol:g})", "validity", lambda v: f"{100 * v:.1f} %"),
            *[(f"coverage of {v} on [{low:g}, {high:g})", f"coverage_{v}", lambda v: f"{v:.3f}")
              for v in VARIABLES],
            (f"coverage (worst; {bins} bins)", "coverage", lambda v: f"{v:.3f}"),
            (f"joint coverage of (a, b, c) ({joint_bins}³ cells)", "joint_coverage", lambda v: f"{v:.3f}"),
            ("overall = validity × joint coverage", "overall", lambda v: f"{v:.3f}")]
    width = max(len(r[0]) for r in rows)
    cols = [max(len(name), 9) for name in results]
    lines = [" " * width + "  " + "  ".join(f"{name:>{w}}" for name, w in zip(results, cols))]
    for label, key, fmt in rows:
        cells = "  ".join(f"{fmt(r[key]):>{w}}" for r, w in zip(results.values(), cols))
        lines.append(f"{label:<{width}}  {cells}")
    return "\n".join(lines)
