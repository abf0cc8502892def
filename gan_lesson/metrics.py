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

All accept tensors or arrays of shape ``(n,)`` or ``(n, d)``.
"""
import numpy as np
import torch
from scipy import stats

from .validation import check_int, check_number

__all__ = ["wasserstein_1d", "sliced_wasserstein", "distance", "ks_statistic", "moments",
           "mean_cov_error", "mode_coverage", "precision_recall"]


def _as_array(name, x, dim=None):
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    try:
        x = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numbers in a tensor or array; got {type(x).__name__}.") from None
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"{name} must have shape (n,) or (n, d) with n >= 1; got shape {x.shape}.")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"{name} must have {dim} column(s) to match; got {x.shape[1]}.")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values; a distance needs finite samples.")
    return x


def wasserstein_1d(samples, reference):
    """W1 between two 1-D samples, in the data's units."""
    a = _as_array("samples", samples)
    b = _as_array("reference", reference, a.shape[1])
    if a.shape[1] != 1:
        raise ValueError(f"samples must be 1-D for wasserstein_1d; got {a.shape[1]} columns (use sliced_wasserstein).")
    return float(stats.wasserstein_distance(a[:, 0], b[:, 0]))


def sliced_wasserstein(samples, reference, projections=64, seed=0):
    """Mean W1 of the two samples projected on ``projections`` random unit directions."""
    a = _as_array("samples", samples)
    b = _as_array("reference", reference, a.shape[1])
    projections = check_int("projections", projections, low=1)
    directions = np.random.default_rng(seed).normal(size=(projections, a.shape[1]))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    pa, pb = a @ directions.T, b @ directions.T
    if len(pa) == len(pb):   # equal sizes: W1 is the mean gap between sorted values, all directions at once
        return float(np.abs(np.sort(pa, axis=0) - np.sort(pb, axis=0)).mean())
    return float(np.mean([stats.wasserstein_distance(pa[:, k], pb[:, k]) for k in range(projections)]))


def distance(samples, reference):
    """W1 for 1-D data, sliced W1 for ``d > 1``: the 'distance to target' in every history."""
    a = _as_array("samples", samples)
    return wasserstein_1d(a, reference) if a.shape[1] == 1 else sliced_wasserstein(a, reference)


def ks_statistic(samples, target):
    """Kolmogorov–Smirnov statistic of a 1-D sample against ``target``.

    ``target``: a sampler with a ``cdf`` (exact test), or a second sample (two-sample test).
    """
    a = _as_array("samples", samples)[:, 0]
    if hasattr(target, "cdf"):
        return float(stats.kstest(a, target.cdf).statistic)
    return float(stats.ks_2samp(a, _as_array("target", target)[:, 0]).statistic)


def moments(samples):
    """``{'mean', 'std', 'skew', 'kurtosis'}`` of a 1-D sample (std with ddof=0, excess kurtosis)."""
    a = _as_array("samples", samples)
    if a.shape[1] != 1:
        raise ValueError(f"samples must be 1-D for moments; got {a.shape[1]} columns.")
    a = a[:, 0]
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
    mean = _as_array("mean", np.reshape(np.asarray(mean, dtype=float), (1, -1)), d)[0]
    cov = np.asarray(cov.detach().numpy() if isinstance(cov, torch.Tensor) else cov, dtype=float)
    if cov.shape != (d, d):
        raise ValueError(f"cov must have shape ({d}, {d}); got {cov.shape}.")
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
    dist = np.linalg.norm(a[:, None, :] - c[None, :, :], axis=2)
    nearest = dist.argmin(1)
    good = dist[np.arange(len(a)), nearest] <= threshold * std
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
    rng = np.random.default_rng(seed)
    a = a[rng.choice(len(a), min(n, len(a)), replace=False)]
    b = b[rng.choice(len(b), min(n, len(b)), replace=False)]
    if min(len(a), len(b)) <= k:
        raise ValueError(f"samples and reference need more than k={k} rows each; got {len(a)} and {len(b)}.")

    def radii(x):
        dist = np.linalg.norm(x[:, None, :] - x[None, :, :], axis=2)
        return np.sort(dist, axis=1)[:, k]          # column 0 is the point itself

    cross = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)    # (fake, real)
    precision = float((cross <= radii(b)[None, :]).any(axis=1).mean())
    recall = float((cross <= radii(a)[:, None]).any(axis=0).mean())
    return {"precision": precision, "recall": recall}
