"""Samplers: where real data and noise come from.

Every sampler is called as ``sampler(n)`` and returns a float32 tensor of shape ``(n, dim)``.
A sampler made with ``seed=...`` owns its random stream, so a notebook cell gives the same
numbers every time it is run; without a seed it draws from PyTorch's global generator.
``sampler(n, generator=g)`` draws from a ``torch.Generator`` you pass instead (``fit`` does
this, so a training run depends only on its own ``seed``).

Real data (targets): ``Gaussian`` (the series' N(4, 1.25²)), ``Uniform``, ``Gamma`` (skewed),
``Mixture`` (several bumps), ``Gaussian2D`` (X = Z·A + b), ``Ring`` (modes on a circle),
``Sequences`` ([a, b, c, c+1, c+2]) and ``Empirical`` (rows of a data set you already have).
Noise: ``uniform_noise`` and ``normal_noise``.
"""
import math
import numbers

import numpy as np
import torch
from scipy import stats

from ..validation import accepts_arguments, check_callable, real_numbers as _real_numbers
from ..validation import short_repr as _show, check_int, check_number, check_seed

__all__ = [
    "Sampler", "Gaussian", "Uniform", "Gamma", "Mixture", "Gaussian2D", "Ring", "Sequences",
    "Empirical", "uniform_noise", "normal_noise", "noise_sampler", "NOISE_KINDS",
]

NOISE_KINDS = ("uniform", "normal")

#: Bytes one draw may use (a classroom kernel has about 1 GB in all).
SAMPLE_LIMIT = 2**30


def _check_memory(n, dim, bytes_per_value):
    """Refuse, with the numbers, a draw of ``n`` rows of ``dim`` values that would need more than
    ``SAMPLE_LIMIT`` (the float32 result and the temporaries made on the way)."""
    need = n * dim * bytes_per_value
    if need > SAMPLE_LIMIT:
        most = SAMPLE_LIMIT // (dim * bytes_per_value)
        raise ValueError(f"n={n:,} rows of {dim} number(s) would need about {need / 2**30:.1f} GB of memory; at most "
                         f"{most:,} at once fit in {SAMPLE_LIMIT / 2**30:.0f} GB. Draw fewer (or several batches "
                         "and combine what you measure).")


def _is_scalar(x):
    """A single real number: a Python or numpy number, or a 0-d array or tensor."""
    if isinstance(x, (numbers.Real, np.generic)):
        return True
    return isinstance(x, (np.ndarray, torch.Tensor)) and x.ndim == 0


def _scalar(name, x, **bounds):
    """``check_number`` that also takes a 0-d array or tensor (``torch.tensor(.5)``)."""
    if isinstance(x, (np.ndarray, torch.Tensor)) and x.ndim == 0:
        if (x.is_complex() if isinstance(x, torch.Tensor) else np.iscomplexobj(x)):
            raise TypeError(f"{name} must be a real number; got {_show(x)}, which is complex.")
        x = x.item()
    return check_number(name, x, **bounds)


def _numbers_list(name, values, what, **bounds):
    """A list, tuple, array or tensor of numbers as a list of plain floats (each checked)."""
    if _is_scalar(values) or isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a list of {what}, e.g. {name}=[{_show(values)}]; got {_show(values)}.")
    if isinstance(values, (np.ndarray, torch.Tensor)) and values.ndim != 1:
        raise ValueError(f"{name} must be a flat list of {what}; got an array of shape {tuple(values.shape)}.")
    try:
        values = list(values)
    except TypeError:
        raise TypeError(f"{name} must be a list of {what}; got {_show(values)} of type "
                        f"{type(values).__name__}.") from None
    return [_scalar(f"{name}[{i}]", v, **bounds) for i, v in enumerate(values)]


def _points(name, x):
    """Where to evaluate a pdf, cdf or ppf: numbers of any shape, as a float64 array."""
    return _real_numbers(name, x, "numbers (a number, list, array or tensor)")


_EPS32 = torch.finfo(torch.float32).eps


def _check_resolution(location, scale, where, centred, offset):
    """Refuse parameters whose spread ``scale`` float32 cannot represent at ``location``: samples
    there come in steps of about eps·|location|, and a spread under 8 such steps is rounded away
    (Gaussian(1e8, 1) gives samples of std 8, and training 'finishes' at distance 0). ``where``
    names the parameters and their values; ``centred`` is the call with ``offset`` taken away."""
    spacing = _EPS32 * abs(location)
    if scale > 0 and spacing > scale / 8:
        raise ValueError(f"{where}: float32 (the samples' and the networks' number type) holds numbers near "
                         f"{abs(location):.4g} only in steps of up to {spacing:.3g}, so a spread of {scale:.3g} "
                         f"would be rounded away. Centre the data: use {centred} (subtract the offset {offset:.10g}) "
                         "and add the offset back to the samples afterwards.")


def _fmt(x):
    if isinstance(x, float):
        return f"{x:.4g}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    return repr(x)


class Sampler:
    """Base class: ``sampler(n)`` -> tensor ``(n, dim)``; subclasses define ``_draw``."""

    dim = 1
    _bytes_per_value = 16    # the float32 result and the temporaries of _draw, per value drawn

    def __init__(self, seed=None):
        self.seed = None if seed is None else check_seed("seed", seed)
        self._generator = None if seed is None else torch.Generator().manual_seed(self.seed)

    def __call__(self, n, generator=None):
        n = check_int("n", n, low=1)
        if n * self.dim * self._bytes_per_value > SAMPLE_LIMIT:
            _check_memory(n, self.dim, self._bytes_per_value)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None; got {type(generator).__name__}.")
        return self._draw(n, generator if generator is not None else self._generator)

    def reseed(self, seed):
        """Restart this sampler's own random stream from ``seed``."""
        self.seed = check_seed("seed", seed)
        self._generator = torch.Generator().manual_seed(self.seed)
        return self

    def _draw(self, n, generator):
        name = type(self).__name__
        also = " (it defines sample() instead, which the sampler never calls)" if "sample" in type(self).__dict__ else ""
        raise NotImplementedError(f"{name} must define _draw(self, n, generator), returning a tensor (n, dim) drawn "
                                  f"with that torch.Generator{also}. Or give fit a plain function n -> tensor (n, d), "
                                  "or Empirical(data).")

    def _params(self):
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"


class _OneDimensional(Sampler):
    """A 1-D sampler backed by a frozen ``scipy.stats`` distribution (for pdf, cdf and ppf)."""

    def pdf(self, x):
        """Density at the points ``x`` (numpy array, any shape)."""
        return self._dist.pdf(_points("x", x))

    def cdf(self, x):
        return self._dist.cdf(_points("x", x))

    def ppf(self, u):
        """Inverse CDF F⁻¹(u): the perfect generator for uniform noise u in (0, 1)."""
        return self._dist.ppf(_points("u", u))

    @property
    def mean(self):
        return float(self._dist.mean())

    @property
    def std(self):
        return float(self._dist.std())


class Gaussian(_OneDimensional):
    """Normal distribution N(mean, std²); the series' target is ``Gaussian(4, 1.25)``."""

    def __init__(self, mean=4.0, std=1.25, seed=None):
        super().__init__(seed)
        self.mu = check_number("mean", mean)
        self.sigma = check_number("std", std, low=0, low_open=True)
        _check_resolution(self.mu, self.sigma, f"mean={self.mu:.10g} with std={self.sigma:g}",
                          f"Gaussian(0, {self.sigma:g})", self.mu)
        self._dist = stats.norm(self.mu, self.sigma)

    def _draw(self, n, generator):
        return self.mu + self.sigma * torch.randn(n, 1, generator=generator)

    def _params(self):
        return {"mean": self.mu, "std": self.sigma}


class Uniform(_OneDimensional):
    """Uniform on [low, high); with ``dim > 1`` each coordinate is independent."""

    def __init__(self, low=0.0, high=1.0, dim=1, seed=None):
        super().__init__(seed)
        self.low = check_number("low", low)
        self.high = check_number("high", high)
        if not self.high > self.low:
            raise ValueError(f"high must be greater than low; got low={self.low:g}, high={self.high:g}.")
        self.dim = check_int("dim", dim, low=1)
        mid = (self.low + self.high) / 2
        _check_resolution(max(abs(self.low), abs(self.high)), self.high - self.low,
                          f"low={self.low:.10g}, high={self.high:.10g}",
                          f"Uniform({self.low - mid:g}, {self.high - mid:g})", mid)
        self._dist = stats.uniform(self.low, self.high - self.low)

    def _draw(self, n, generator):
        return self.low + (self.high - self.low) * torch.rand(n, self.dim, generator=generator)

    def _params(self):
        p = {"low": self.low, "high": self.high}
        if self.dim != 1:
            p["dim"] = self.dim
        return p


class Gamma(_OneDimensional):
    """A skewed target: ``loc`` + Gamma(shape, scale). Skew is 2/√shape."""

    _bytes_per_value = 24    # float64 draws in numpy, then the float32 tensor

    def __init__(self, shape=2.0, scale=1.0, loc=0.0, seed=None):
        super().__init__(seed)
        self.shape = check_number("shape", shape, low=0, low_open=True)
        self.scale = check_number("scale", scale, low=0, low_open=True)
        self.loc = check_number("loc", loc)
        self._dist = stats.gamma(self.shape, loc=self.loc, scale=self.scale)
        _check_resolution(self.loc + self.shape * self.scale, self.scale * math.sqrt(self.shape),
                          f"loc={self.loc:g} with shape={self.shape:g}, scale={self.scale:g}",
                          f"Gamma({self.shape:g}, {self.scale:g}, loc=0)", self.loc)

    def _draw(self, n, generator):
        # torch's Gamma sampler takes no generator; numpy's does, seeded from the torch stream
        # so that seeded runs stay reproducible.
        seed = int(torch.randint(2 ** 62, (1,), generator=generator))
        x = np.random.default_rng(seed).gamma(self.shape, self.scale, size=(n, 1)) + self.loc
        return torch.from_numpy(x).float()

    def _params(self):
        return {"shape": self.shape, "scale": self.scale, "loc": self.loc}


class Mixture(_OneDimensional):
    """A mixture of 1-D Gaussians: several bumps (for mode collapse)."""

    _bytes_per_value = 32    # int64 bump indices, the gathered means and stds, the noise, the result

    def __init__(self, means=(-2.0, 2.0), stds=0.5, weights=None, seed=None):
        super().__init__(seed)
        means = _numbers_list("means", means, "centres")
        if not means:
            raise ValueError("means must list at least one centre; got an empty list.")
        if _is_scalar(stds):        # one spread for every bump: 0.5, np.float32(.5), torch.tensor(.5)
            stds = [_scalar("stds", stds, low=0, low_open=True)] * len(means)
        stds = _numbers_list("stds", stds, "standard deviations (or one number for all)", low=0, low_open=True)
        if len(stds) != len(means):
            raise ValueError(f"stds must have one entry per mean ({len(means)}); got {len(stds)}.")
        if weights is None:
            weights = [1.0] * len(means)
        weights = _numbers_list("weights", weights, "weights, one per mean", low=0)
        if len(weights) != len(means) or sum(weights) <= 0:
            raise ValueError(f"weights must be {len(means)} non-negative numbers with a positive sum; got {weights}.")
        for i, (m, sd) in enumerate(zip(means, stds)):
            _check_resolution(m, sd, f"means[{i}]={m:.10g} with stds[{i}]={sd:g}",
                              f"means=[{', '.join(f'{v - m:g}' for v in means)}]", m)
        total = sum(weights)
        self.means, self.stds = means, stds
        self.weights = [w / total for w in weights]
        self._m = torch.tensor(means)
        self._s = torch.tensor(stds)
        self._w = torch.tensor(self.weights)

    def _draw(self, n, generator):
        k = torch.multinomial(self._w, n, replacement=True, generator=generator)
        return (self._m[k] + self._s[k] * torch.randn(n, generator=generator)).unsqueeze(1)

    def pdf(self, x):
        x = _points("x", x)
        return sum(w * stats.norm.pdf(x, m, s) for m, s, w in zip(self.means, self.stds, self.weights))

    def cdf(self, x):
        x = _points("x", x)
        return sum(w * stats.norm.cdf(x, m, s) for m, s, w in zip(self.means, self.stds, self.weights))

    def ppf(self, u):
        raise NotImplementedError("a mixture's inverse CDF has no closed form; sample it instead.")

    @property
    def mean(self):
        return float(sum(w * m for m, w in zip(self.means, self.weights)))

    @property
    def std(self):
        second = sum(w * (s * s + m * m) for m, s, w in zip(self.means, self.stds, self.weights))
        return math.sqrt(second - self.mean ** 2)

    def _params(self):
        return {"means": self.means, "stds": self.stds, "weights": self.weights}


class Gaussian2D(Sampler):
    """Correlated 2-D Gaussian X = Z·A + b with Z ~ N(0, I₂); mean b, covariance AᵀA.

    The defaults are the series' values A = [[1, 2], [−0.1, 0.5]], b = [1, 2], whose
    covariance is [[1.01, 1.95], [1.95, 4.25]].
    """

    dim = 2

    def __init__(self, A=((1.0, 2.0), (-0.1, 0.5)), b=(1.0, 2.0), seed=None):
        super().__init__(seed)
        self.A = _fixed_numbers("A", A, (2, 2), "a finite 2×2 matrix of numbers")
        self.b = _fixed_numbers("b", b, (2,), "2 finite numbers")
        spread = self.A.double().norm(dim=0)        # each coordinate's std: the norm of A's column
        for j in range(2):
            _check_resolution(float(self.b[j]), float(spread[j]),
                              f"b[{j}]={float(self.b[j]):g} with a std of {float(spread[j]):.3g} (from A)",
                              "b=[0, 0]", float(self.b[j]))

    def _draw(self, n, generator):
        return torch.randn(n, 2, generator=generator) @ self.A + self.b

    @property
    def mean(self):
        return self.b.clone()

    @property
    def cov(self):
        return self.A.T @ self.A

    def _params(self):
        return {"A": self.A.tolist(), "b": self.b.tolist()}


def _fixed_numbers(name, value, shape, accepted):
    """``value`` as a float32 tensor of exactly ``shape``, all finite."""
    array = _real_numbers(name, value, accepted)
    if array.shape != shape:
        raise ValueError(f"{name} must be {accepted}; got {_show(value)}, of shape {array.shape}.")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be {accepted}; got {_show(value)}, which is not all finite.")
    return torch.as_tensor(array, dtype=torch.float32)


class Ring(Sampler):
    """``modes`` Gaussian bumps (each std ``std``) evenly spaced on a circle of ``radius``."""

    dim = 2
    _bytes_per_value = 24    # int64 mode indices, the gathered centres, the noise, the result

    def __init__(self, modes=8, radius=2.0, std=0.05, seed=None):
        super().__init__(seed)
        self.modes = check_int("modes", modes, low=1)
        self.radius = check_number("radius", radius, low=0, low_open=True)
        self.std = check_number("std", std, low=0, low_open=True)
        angles = torch.arange(self.modes) * (2 * math.pi / self.modes)
        self.centres = self.radius * torch.stack([angles.cos(), angles.sin()], dim=1)

    def _draw(self, n, generator):
        k = torch.randint(self.modes, (n,), generator=generator)
        return self.centres[k] + self.std * torch.randn(n, 2, generator=generator)

    def _params(self):
        return {"modes": self.modes, "radius": self.radius, "std": self.std}


class Sequences(Sampler):
    """Series of five numbers [a, b, c, c+1, c+2] with a, b, c uniform on [low, high)."""

    dim = 5

    def __init__(self, low=0.0, high=10.0, seed=None):
        super().__init__(seed)
        self.low = check_number("low", low)
        self.high = check_number("high", high)
        if not self.high > self.low:
            raise ValueError(f"high must be greater than low; got low={self.low:g}, high={self.high:g}.")
        mid = (self.low + self.high) / 2
        _check_resolution(max(abs(self.low), abs(self.high + 2)), self.high - self.low,
                          f"low={self.low:.10g}, high={self.high:.10g}",
                          f"Sequences({self.low - mid:g}, {self.high - mid:g})",
                          mid)

    def _draw(self, n, generator):
        abc = self.low + (self.high - self.low) * torch.rand(n, 3, generator=generator)
        c = abc[:, 2:3]
        return torch.cat([abc, c + 1, c + 2], dim=1)

    def _params(self):
        return {"low": self.low, "high": self.high}


def _table(name, data):
    """A data set as a float32 tensor, converted exactly as ``torch.as_tensor(np.asarray(data),
    dtype=torch.float32)`` would, with a clear message for what is not a table of numbers."""
    accepted = "a table of numbers (rows, dim)"
    if isinstance(data, torch.Tensor):
        if data.is_complex():
            raise TypeError(f"{name} must be real numbers; got a complex tensor ({data.dtype}). "
                            "Take .real or .abs() first if that is what you mean.")
        return data.detach().cpu().to(torch.float32)
    if data is None or isinstance(data, (str, bytes, numbers.Number)):
        raise TypeError(f"{name} must be {accepted}; got {_show(data)}.")
    try:
        array = np.asarray(data)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {accepted}; got {_show(data)}, whose rows do not all have "
                         "the same length.") from None
    if array.dtype.kind in "biuf":
        return torch.as_tensor(array, dtype=torch.float32)
    return torch.as_tensor(_real_numbers(name, data, accepted), dtype=torch.float32)


class Empirical(Sampler):
    """Rows drawn (with replacement) from a data set you already hold, shape ``(rows, dim)``."""

    def __init__(self, data, seed=None):
        super().__init__(seed)
        data = _table("data", data)
        if data.ndim == 1:
            data = data.unsqueeze(1)
        if data.ndim != 2 or len(data) == 0:
            raise ValueError(f"data must be a non-empty table of shape (rows, dim); got shape {tuple(data.shape)}.")
        if not torch.isfinite(data).all():
            raise ValueError("data must hold only finite numbers; it contains NaN or infinity.")
        self.data = data
        self.dim = data.shape[1]
        rows, cols = data.shape
        # as fit(array) says: fewer rows than columns is almost surely a data set lying on its side.
        # Refused at the first draw (where fit and the student first use it), after the memory check.
        self._sideways = None
        if rows <= cols:
            self._sideways = (f"data: a data set has one sample per row, and this one has {rows} row"
                              f"{'s' if rows != 1 else ''} of {cols} numbers, so it would train a {cols}-D GAN on "
                              f"{rows} sample{'s' if rows != 1 else ''}. If the samples run along the other axis, "
                              f"pass data.T (shape ({cols}, {rows})){' or data.reshape(-1, 1)' if rows == 1 else ''}.")

    def _draw(self, n, generator):
        if self._sideways is not None:
            raise ValueError(self._sideways)
        return self.data[torch.randint(len(self.data), (n,), generator=generator)]

    def _params(self):
        return {"rows": len(self.data), "dim": self.dim}


def uniform_noise(n, dim=1, generator=None):
    """Noise uniform on [0, 1): tensor ``(n, dim)`` (the classic generator's input)."""
    n = check_int("n", n, low=1)
    dim = check_int("dim", dim, low=1)
    _check_memory(n, dim, 4)
    return torch.rand(n, dim, generator=generator)


def normal_noise(n, dim=1, generator=None):
    """Standard normal noise N(0, I): tensor ``(n, dim)`` (the modern generator's input)."""
    n = check_int("n", n, low=1)
    dim = check_int("dim", dim, low=1)
    _check_memory(n, dim, 4)
    return torch.randn(n, dim, generator=generator)


def noise_sampler(kind):
    """The noise function for ``kind`` ('uniform' or 'normal')."""
    if kind == "uniform":
        return uniform_noise
    if kind == "normal":
        return normal_noise
    raise ValueError(f"noise must be one of 'uniform', 'normal'; got {kind!r}.")


# --------------------------------------------------------------------------- any target

F32_MAX = float(torch.finfo(torch.float32).max)

def draw(target, n, generator, dim=None):
    """n real samples from ``target`` as float32 ``(n, d)``, with the checks a student needs.

    ``dim``: the number of columns the first call returned; a later call that returns another
    number is a clear error rather than a shape error deep inside a network.
    """
    if isinstance(target, Sampler):
        x = target(n, generator=generator)
    else:
        x = target(n)
    if isinstance(x, np.ndarray):
        if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
            raise TypeError(f"target must return real numbers; target({n}) returned an array of dtype {x.dtype}.")
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"target must return a tensor or numpy array of shape (n, d); target({n}) returned "
                        f"{type(x).__name__}.")
    if x.is_complex() or x.dtype == torch.bool:
        raise TypeError(f"target must return real numbers; target({n}) returned a tensor of dtype {x.dtype}.")
    x = x.detach()          # samples are data: a graph attached to them (say, from a network) is not
    if x.dtype == torch.float64 and bool(torch.isfinite(x).all()):
        if x.abs().max() > F32_MAX:
            raise ValueError(f"target returned values up to {x.abs().max().item():.3g}, beyond what float32 (the "
                             f"networks' number type) holds (about ±{F32_MAX:.1e}); rescale the data first.")
        _check_float32_spacing(x, n)
    if x.ndim == 1:
        x = x.unsqueeze(1)
    if x.ndim != 2:
        raise ValueError(f"target must return shape (n, d); target({n}) returned shape {tuple(x.shape)}.")
    if x.shape[0] != n:
        raise ValueError(f"target must return n rows; target({n}) returned {x.shape[0]} rows.")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"target must return the same number of columns at every call; it returned {dim} "
                         f"at first and {x.shape[1]} now (target({n}) has shape {tuple(x.shape)}).")
    return x.float()

def _check_float32_spacing(x, n):
    """Refuse float64 data whose spread float32 would round away (values near 3e7 come in steps of 2)."""
    if len(x) < 2:
        return
    centre = x.mean(0).abs()
    spacing = torch.finfo(torch.float32).eps * centre
    spread = x.std(0)
    coarse = spacing > spread / 8
    if bool(coarse.any()):
        j = int(coarse.nonzero()[0, 0])
        raise ValueError(f"target returned values around {x[:, j].mean().item():.4g} that vary by only about "
                         f"{spread[j].item():.3g}; float32 (the networks' number type) holds numbers that large only "
                         f"in steps of {float(np.spacing(np.float32(centre[j].item()))):.3g}, so the spread would be rounded away. Subtract "
                         f"the offset first (train on x - {x[:, j].mean().item():.4g}) and add it back to the samples.")

def check_spread(sample):
    """Refuse real data with no spread at all: a GAN learns a distribution, and a constant has none."""
    if len(sample) > 1 and bool((sample.double().std(0) == 0).all()):
        value = sample[0].tolist()
        value = value[0] if len(value) == 1 else (value if len(value) <= 4 else f"a row of {len(value)} numbers")
        hint = ""
        if sample.abs().max() >= 1e6:
            hint = (" At this size float32 (the networks' number type) keeps only about 7 significant digits, so "
                    "small differences may have been rounded away: subtract the offset (or rescale) first.")
        raise ValueError(f"target returned the same value ({value}) in all {len(sample)} samples: a constant has "
                         f"no distribution to learn. Give a target whose samples vary.{hint}")

def as_target(target):
    """``target`` as a sampler ``n -> (n, d)``: a data set becomes ``Empirical``; anything else is checked."""
    if isinstance(target, (np.ndarray, torch.Tensor)):
        if target.ndim == 2 and 1 <= target.shape[0] <= target.shape[1]:
            rows, cols = target.shape
            raise ValueError(f"target: a data set has one sample per row, and this one has {rows} row"
                             f"{'s' if rows != 1 else ''} of {cols} numbers, so it would train a {cols}-D GAN on "
                             f"{rows} sample{'s' if rows != 1 else ''}. If the samples run along the other axis, "
                             f"pass data.T (shape ({cols}, {rows})){' or data.reshape(-1, 1)' if rows == 1 else ''}.")
        if target.dtype in (np.float64, torch.float64) and target.ndim in (1, 2) and len(target) > 1:
            table = torch.as_tensor(target).reshape(len(target), -1)
            if bool(torch.isfinite(table).all()):
                _check_float32_spacing(table, len(table))
        return Empirical(target)
    if isinstance(target, type) and issubclass(target, Sampler):
        raise TypeError(f"target must be a sampler, such as {target.__name__}(...); got the class {target.__name__} "
                        f"itself. Note the brackets: {target.__name__}() makes one (with its own settings inside).")
    check_callable("target", target, "a sampler: a function n -> tensor (n, d) of real samples "
                   "(or a tensor/array of real samples)")
    if not isinstance(target, Sampler) and not accepts_arguments(target, 1):
        raise TypeError(f"target is called as target(n), with the number of samples wanted, and must return them "
                        f"(a tensor or array (n, d)); {_show(target)} does not take one argument. Write it as "
                        "`lambda n: ...` or `def target(n): ...`.")
    return target
