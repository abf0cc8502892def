"""What the discriminator is shown.

Most GANs judge one sample at a time (``"per_sample"``): a batch ``(n, d)`` goes in and ``n``
verdicts come out. The classic 1-D lesson instead turns a whole batch into *one* input vector
and makes one real/fake decision per batch, an early form of minibatch discrimination. Its four
variants ("preprocess" in that code) are here, each mapping a batch ``(n, d)`` to ``(1, k)``:

==================== ======================================== ===========
name                  what D sees                              k
==================== ======================================== ===========
``moments``           mean, std, skew, excess kurtosis          4·d
``raw``               the n values themselves                   n·d
``data_and_variances`` the values and (x − mean)²              2·n·d
``data_and_diffs``    the values and (x − mean)                2·n·d
==================== ======================================== ===========

The moments are the population ones, equal to ``numpy.std`` (ddof=0),
``scipy.stats.skew`` and ``scipy.stats.kurtosis`` (Fisher, so 0 for a Gaussian).
"""
import torch

from ..validation import check_choice, check_int

__all__ = ["FEATURES", "moments", "raw", "data_and_variances", "data_and_diffs",
           "per_sample", "featurize", "feature_size", "judges_batches"]

FEATURES = ("per_sample", "moments", "raw", "data_and_variances", "data_and_diffs")


def _as_batch(x):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"batch must be a torch.Tensor of shape (n, d); got {type(x).__name__}.")
    if x.ndim == 1:
        x = x.unsqueeze(1)
    if x.ndim != 2:
        raise ValueError(f"batch must have shape (n, d); got shape {tuple(x.shape)}.")
    return x


def moments(x):
    """Mean, std, skew and excess kurtosis of each column: ``(n, d)`` -> ``(1, 4·d)``."""
    x = _as_batch(x)
    mean = x.mean(dim=0, keepdim=True)
    diffs = x - mean
    std = diffs.pow(2).mean(dim=0, keepdim=True).sqrt()
    z = diffs / std.clamp_min(1e-12)
    skew = z.pow(3).mean(dim=0, keepdim=True)
    kurtosis = z.pow(4).mean(dim=0, keepdim=True) - 3.0
    return torch.cat([mean, std, skew, kurtosis], dim=0).T.reshape(1, -1)


def raw(x):
    """The batch itself as one row: ``(n, d)`` -> ``(1, n·d)``."""
    return _as_batch(x).T.reshape(1, -1)


def _decorate(x, exponent):
    x = _as_batch(x)
    diffs = (x - x.mean(dim=0, keepdim=True)).pow(exponent)
    return torch.cat([x.T.reshape(1, -1), diffs.T.reshape(1, -1)], dim=1)


def data_and_variances(x):
    """The values followed by their squared deviations from the batch mean: ``(1, 2·n·d)``."""
    return _decorate(x, 2)


def data_and_diffs(x):
    """The values followed by their deviations from the batch mean: ``(1, 2·n·d)``."""
    return _decorate(x, 1)


def per_sample(x):
    """No change: D judges each of the ``n`` samples on its own, ``(n, d)`` -> ``(n, d)``."""
    return _as_batch(x)


_BY_NAME = {"per_sample": per_sample, "moments": moments, "raw": raw,
            "data_and_variances": data_and_variances, "data_and_diffs": data_and_diffs}


def featurize(name):
    """The function for ``name`` (one of ``FEATURES``)."""
    return _BY_NAME[check_choice("features", name, FEATURES)]


def feature_size(name, batch_size, dim=1):
    """Length of D's input vector for ``name`` at this batch size and data dimension."""
    check_choice("features", name, FEATURES)
    batch_size = check_int("batch_size", batch_size, low=1)
    dim = check_int("dim", dim, low=1)
    return {"per_sample": dim, "moments": 4 * dim, "raw": batch_size * dim,
            "data_and_variances": 2 * batch_size * dim,
            "data_and_diffs": 2 * batch_size * dim}[name]


def judges_batches(name):
    """True when D makes one decision per batch (every variant except ``per_sample``)."""
    return check_choice("features", name, FEATURES) != "per_sample"
