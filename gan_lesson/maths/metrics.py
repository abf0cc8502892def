"""How close is the generated sample to the real one? Numbers a student can trust.

Loss values are not metrics (their trend matters, not their value); these are:

* ``wasserstein_1d``: the Wasserstein-1 ("earth mover's") distance between two 1-D samples, in
  the data's own units: the average distance each generated value must move to match the target.
* ``sliced_wasserstein``: the same, averaged over random 1-D projections, for ``d > 1``.
* ``distance``: whichever of the two fits the data's dimension (what training records).
* ``ks_statistic``: the largest gap between two CDFs (0 = identical, 1 = disjoint).
* ``moments``: mean, std, skew, excess kurtosis (scipy.stats conventions).
* ``mean_cov_error``: for 2-D Gaussians, how far the sample mean and covariance are from the truth.
* ``mode_coverage``: for mixtures such as the ring, how many modes a sample captures.

All accept tensors or arrays of real numbers, of shape ``(n,)`` or ``(n, d)``. Tables of pairwise
distances (``precision_recall``, ``mode_coverage``) are computed a block of rows at a time, so
memory stays bounded however large ``n`` is; a call that would need more than ``MEMORY_LIMIT``
(1 GB) at once is refused with the numbers.
"""

import numpy as np
import torch
from scipy import stats

from ..validation import real_numbers as _real_numbers
from ..validation import short_repr as _show, check_int, check_number, check_seed

__all__ = ["wasserstein_1d", "sliced_wasserstein", "distance", "ks_statistic", "moments",
           "mean_cov_error", "mode_coverage", "precision_recall"]


#: Bytes one call may use for its temporary arrays (a classroom kernel has about 1 GB in all).
MEMORY_LIMIT = 2**30
#: Bytes one block of pairwise distances may use; larger tables are computed block by block.
_BLOCK_BYTES = 64 * 2**20



def _not_a_sampler(name, x):
    """Refuse a sampler class (``Gaussian`` instead of ``Gaussian(4, 1.25)``) with a clear message."""
    if isinstance(x, type):
        example = "Gaussian(4, 1.25)" if x.__name__ == "Gaussian" else f"{x.__name__}()"
        raise TypeError(f"{name} is the class {x.__name__} itself; give "
                        + (f"an instance, e.g. {example}." if name == "target" else
                           f"samples drawn from an instance, e.g. {example}(1000)."))


def _as_array(name, x, dim=None):
    _not_a_sampler(name, x)
    if callable(x) and hasattr(x, "_draw") and not isinstance(x, (np.ndarray, torch.Tensor)):
        raise TypeError(f"{name} must be samples (a tensor or array of shape (n,) or (n, d)); got the sampler "
                        f"{_show(x)}: draw from it first, e.g. {name}=sampler(1000).")
    x = _real_numbers(name, x, "numbers in a tensor or array of shape (n,) or (n, d)")
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"{name} must have shape (n,) or (n, d) with n >= 1; got shape {x.shape}.")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"{name} must have {dim} column(s) to match; got {x.shape[1]}." + _row_hint(name, x))
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values; a distance needs finite samples.")
    return x


def _row_hint(name, x):
    """For one row of many numbers: the likely fix (the samples lie along the row)."""
    if x.shape[0] != 1 or x.shape[1] == 1:
        return ""
    return (f" {name} is a single row of {x.shape[1]} numbers; if those are {x.shape[1]} samples, pass {name}.T or "
            f"{name}.reshape(-1, 1) (one sample per row).")


def _one_column(name, x, function):
    if x.shape[1] != 1:
        raise ValueError(f"{name} must be 1-D for {function}; got {x.shape[1]} columns.")
    return x[:, 0]


def _distance_blocks(x, y):
    """Yield ``(start, dist)``: the Euclidean distances from rows ``x[start:start + len(dist)]`` to
    every row of ``y``, a block of rows at a time so that memory stays bounded.

    Each entry is computed exactly as ``np.linalg.norm(x[:, None] - y[None], axis=2)`` would
    compute it, so the blocks together equal the full table.
    """
    per_row = 8 * len(y) * (3 * x.shape[1] + 2)    # differences, the two temporaries of norm, distances
    rows = max(1, _BLOCK_BYTES // per_row)
    for start in range(0, len(x), rows):
        yield start, np.linalg.norm(x[start:start + rows, None, :] - y[None, :, :], axis=2)


def wasserstein_1d(samples, reference):
    """W1 between two 1-D samples, in the data's units."""
    a = _as_array("samples", samples)
    if a.shape[1] != 1:
        raise ValueError(f"samples must be 1-D for wasserstein_1d; got {a.shape[1]} columns."
                         + (_row_hint("samples", a) if len(a) == 1 else " Use sliced_wasserstein for d > 1."))
    b = _as_array("reference", reference, a.shape[1])
    return float(stats.wasserstein_distance(a[:, 0], b[:, 0]))


def sliced_wasserstein(samples, reference, projections=64, seed=0):
    """Mean W1 of the two samples projected on ``projections`` random unit directions."""
    a = _as_array("samples", samples)
    b = _as_array("reference", reference, a.shape[1])
    projections = check_int("projections", projections, low=1)
    seed = check_seed("seed", seed)
    d, rows = a.shape[1], len(a) + len(b)
    per_projection = 8 * 3 * rows       # projected samples, their sorted copies and the gaps (float64)
    need = 8 * projections * d + per_projection
    if need > MEMORY_LIMIT:
        most = max(0, (MEMORY_LIMIT - per_projection) // (8 * d))
        raise ValueError(f"projections={projections:,} on {len(a):,} and {len(b):,} rows of {d} numbers would need "
                         f"at least {need / 2**30:.1f} GB of memory; the limit is {MEMORY_LIMIT / 2**30:.0f} GB "
                         f"(at most {most:,} projections with these rows). Use fewer projections (64 is plenty) "
                         "or fewer rows.")
    directions = np.random.default_rng(seed).normal(size=(projections, d))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    block = (MEMORY_LIMIT - 8 * projections * d) // per_projection     # projections at once
    if block >= projections:
        pa, pb = a @ directions.T, b @ directions.T
        if len(pa) == len(pb):   # equal sizes: W1 is the mean gap between sorted values, all directions at once
            return float(np.abs(np.sort(pa, axis=0) - np.sort(pb, axis=0)).mean())
        return float(np.mean([stats.wasserstein_distance(pa[:, k], pb[:, k]) for k in range(projections)]))
    # too many for memory at once: the same computation, a block of directions at a time
    total, per_direction = 0.0, []
    for start in range(0, projections, block):
        pa, pb = a @ directions[start:start + block].T, b @ directions[start:start + block].T
        if len(pa) == len(pb):
            total += float(np.abs(np.sort(pa, axis=0) - np.sort(pb, axis=0)).sum())
        else:
            per_direction += [stats.wasserstein_distance(pa[:, k], pb[:, k]) for k in range(pa.shape[1])]
    return total / (len(a) * projections) if len(a) == len(b) else float(np.mean(per_direction))


def _single_row(name, x):
    """Refuse one row of several numbers: one d-D point, almost surely d samples lying on their side."""
    if len(x) == 1 and x.shape[1] > 1:
        raise ValueError(f"{name} has shape (1, {x.shape[1]}): one {x.shape[1]}-D point, and a distance between "
                         "distributions needs many samples, one per row." + _row_hint(name, x))
    return x


def distance(samples, reference):
    """W1 for 1-D data, sliced W1 for ``d > 1``: the 'distance to target' in every history."""
    a = _single_row("samples", _as_array("samples", samples))
    b = _single_row("reference", _as_array("reference", reference, a.shape[1]))
    return wasserstein_1d(a, b) if a.shape[1] == 1 else sliced_wasserstein(a, b)


def ks_statistic(samples, target):
    """Kolmogorov–Smirnov statistic of a 1-D sample against ``target``.

    ``target``: a sampler with a ``cdf`` (exact test), or a second sample (two-sample test).
    """
    a = _one_column("samples", _as_array("samples", samples), "ks_statistic")
    _not_a_sampler("target", target)
    if hasattr(target, "cdf"):
        return float(stats.kstest(a, target.cdf).statistic)
    return float(stats.ks_2samp(a, _one_column("target", _as_array("target", target), "ks_statistic")).statistic)


def moments(samples):
    """``{'mean', 'std', 'skew', 'kurtosis'}`` of a 1-D sample (std with ddof=0, excess kurtosis)."""
    a = _one_column("samples", _as_array("samples", samples), "moments")
    mean, std = a.mean(), a.std()
    if len(a) < 2 or std == 0:
        return {"mean": float(mean), "std": 0.0, "skew": 0.0, "kurtosis": 0.0}
    z = (a - mean) / std          # the same formulas as scipy.stats.skew and kurtosis (bias=True)
    return {"mean": float(mean), "std": float(std), "skew": float(np.mean(z ** 3)),
            "kurtosis": float(np.mean(z ** 4) - 3.0)}


def mean_cov_error(samples, mean, cov):
    """``(‖sample mean − mean‖, ‖sample covariance − cov‖_F)`` for d-dimensional samples."""
    a = _as_array("samples", samples)
    d = a.shape[1]
    accepted = f"{d} numbers (one per column of samples)"
    mean = _real_numbers("mean", mean, accepted)
    if mean.size != d:
        raise ValueError(f"mean must be {accepted}; got {mean.size} number(s), shape {mean.shape}.")
    mean = _as_array("mean", mean.reshape(1, -1), d)[0]
    accepted = f"a ({d}, {d}) matrix of numbers"
    cov = _real_numbers("cov", cov, accepted)
    if cov.shape != (d, d):
        raise ValueError(f"cov must be {accepted}; got shape {cov.shape}.")
    if not np.isfinite(cov).all():
        raise ValueError(f"cov must be {accepted}, all finite; it contains NaN or infinite values.")
    if len(a) < 2:
        raise ValueError(f"samples must hold at least 2 rows to estimate a covariance; got {len(a)}.")
    return (float(np.linalg.norm(a.mean(0) - mean)), float(np.linalg.norm(np.cov(a.T).reshape(d, d) - cov)))


def mode_coverage(samples, centres, std, threshold=3.0):
    """Mode coverage as the literature measures it.

    A sample is *high quality* if it lies within ``threshold`` standard deviations of its
    nearest centre; a mode is *captured* if it is the nearest centre of at least one
    high-quality sample. Returns ``{'high_quality': fraction, 'modes': captured, 'of': total}``.
    """
    a = _as_array("samples", samples)
    c = _as_array("centres", centres, a.shape[1])
    std = check_number("std", std, low=0, low_open=True)
    threshold = check_number("threshold", threshold, low=0, low_open=True)
    nearest = np.empty(len(a), dtype=np.intp)
    good = np.empty(len(a), dtype=bool)
    for start, dist in _distance_blocks(a, c):
        stop = start + len(dist)
        nearest[start:stop] = dist.argmin(1)
        good[start:stop] = dist[np.arange(len(dist)), nearest[start:stop]] <= threshold * std
    return {"high_quality": float(good.mean()), "modes": int(len(np.unique(nearest[good]))), "of": len(c)}


def precision_recall(samples, reference, k=5, n=500, seed=0):
    """Precision and recall of a generated sample (Kynkäänniemi et al. 2019), on ``n`` points each.

    Each point gets a ball reaching its k-th nearest neighbour in its own sample. *Precision*:
    the fraction of generated points inside some real ball (are the fakes realistic?).
    *Recall*: the fraction of real points inside some generated ball (is all of the target
    covered?). Mode collapse shows as high precision with low recall.
    """
    a = _as_array("samples", samples)
    b = _as_array("reference", reference, a.shape[1])
    k = check_int("k", k, low=1)
    n = check_int("n", n, low=1)
    seed = check_seed("seed", seed)
    rng = np.random.default_rng(seed)
    a = a[rng.choice(len(a), min(n, len(a)), replace=False)]
    b = b[rng.choice(len(b), min(n, len(b)), replace=False)]
    if min(len(a), len(b)) <= k:
        raise ValueError(f"samples and reference need more than k={k} rows each; got {len(a)} and {len(b)}.")

    # The distance tables are n × n; they are computed a block of rows at a time, so memory stays
    # bounded (about _BLOCK_BYTES) however large n is, and each block is dropped once used.
    def radii(x):
        r = np.empty(len(x))
        for start, dist in _distance_blocks(x, x):
            r[start:start + len(dist)] = np.partition(dist, k, axis=1)[:, k]   # column 0: the point itself
        return r

    radius_a, radius_b = radii(a), radii(b)
    realistic = np.empty(len(a), dtype=bool)      # fake i lies in some real ball
    covered = np.zeros(len(b), dtype=bool)        # real j lies in some fake ball
    for start, cross in _distance_blocks(a, b):   # (fake, real)
        stop = start + len(cross)
        realistic[start:stop] = (cross <= radius_b[None, :]).any(axis=1)
        covered |= (cross <= radius_a[start:stop, None]).any(axis=0)
    return {"precision": float(realistic.mean()), "recall": float(covered.mean())}
