"""Checkers for notebook 02 (samplers): a mixture sampler and the four moments by hand.

``check_mixture_sampler(fn)``: ``fn(n, generator=None)`` must return a float32 tensor ``(n, 1)``
drawn from 30 % N(−2, 0.5²) + 70 % N(3, 1²), reproducible with a seeded ``torch.Generator``.

``check_four_moments(fn)``: ``fn(x)`` with ``x`` of shape ``(n,)`` or ``(n, 1)`` must return a
tensor ``(4,)``: mean, std, skew and excess kurtosis. The std may divide by n (as
``scipy.stats``, ``numpy.std`` and ``gl.features.moments`` do) or by n − 1 (PyTorch's
``x.std()`` default); both are accepted and the ✓ message says which one was used.
"""
import dataclasses
import inspect
import math

import numpy as np
import torch
from scipy import stats

from .core import Fail, call, checker, expect

__all__ = ["check_mixture_sampler", "check_four_moments", "MIXTURE"]

# The mixture of the exercise: (weight, mean, std) of each component.
MIXTURE = ((0.3, -2.0, 0.5), (0.7, 3.0, 1.0))
_SPLIT = -0.25          # between the bumps: where 0.3·N(x; −2, 0.5) = 0.7·N(x; 3, 1), roughly
_BIG = 100_000          # draws for the statistics (sampling errors are ~100× below the tolerances)


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _expect_tensor(out, what, hint):
    if isinstance(out, torch.Tensor):
        return
    if isinstance(out, np.ndarray):
        raise Fail(f"{what} returned a NumPy array, not a torch tensor; the networks only take tensors.", hint)
    raise Fail(f"{what} returned a {type(out).__name__}, not a torch tensor.", hint)


# ----------------------------------------------------------------------------------------------
# Exercise 1: a sampler for a mixture of two Gaussians
# ----------------------------------------------------------------------------------------------

_TORCH_HINT = ("Build the sample with torch functions (torch.rand, torch.randn, torch.where, ...), "
               "passing generator=generator to each.")


def _accepts_generator(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):       # no signature to read: let the call decide
        return True
    return any(p.name == "generator" or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def _sample(fn, n):
    """Call ``fn(n)`` and insist on a tensor; return it."""
    out = call(fn, n, what="mixture_sampler")
    _expect_tensor(out, f"mixture_sampler({n})", _TORCH_HINT)
    return out


def _centre_width(x):
    q1, q2, q3 = torch.quantile(x, torch.tensor([0.25, 0.5, 0.75], dtype=x.dtype)).tolist()
    return q2, (q3 - q1) / 1.349


@checker("mixture_sampler")
def check_mixture_sampler(fn):
    """Check ``fn(n, generator=None)`` → float32 ``(n, 1)`` from 30 % N(−2, 0.5²) + 70 % N(3, 1²)."""
    state = torch.get_rng_state()          # the checks below must not move the student's global stream
    try:
        return _check_mixture(fn)
    finally:
        torch.set_rng_state(state)


def _generator_without_default(fn):
    try:
        p = inspect.signature(fn).parameters.get("generator")
    except (TypeError, ValueError):
        return False
    return p is not None and p.default is inspect.Parameter.empty


def _check_mixture(fn):
    expect(not _generator_without_default(fn),
           "`generator` has no default value, so mixture_sampler(n) without a generator fails.",
           "Give it the default None: def mixture_sampler(n, generator=None):")
    a = _sample(fn, 1000)
    b = _sample(fn, 37)
    expect(a.numel() != b.numel(),
           f"mixture_sampler returns {a.numel()} values whatever n is (asked for 1000, then 37): it ignores n.",
           "Use n in the size of every random draw, e.g. torch.randn(n, 1, generator=generator).")
    expect(tuple(a.shape) != (1000, 2),
           "mixture_sampler(1000) returned shape (1000, 2): two columns, one per component. "
           "A mixture picks ONE component for each sample.",
           "Draw both columns if you like, then keep one value per row, e.g. torch.where(pick, left, right).")
    for out, n in ((a, 1000), (b, 37)):
        expect(out.numel() == n, f"mixture_sampler({n}) returned {out.numel()} values (shape {tuple(out.shape)}), not {n}.",
               "Return exactly n samples, shape (n, 1).")
    expect(tuple(a.shape) != (1000,),
           "mixture_sampler(1000) returned shape (1000,), a flat vector; every sampler in this series returns "
           "one row per sample, shape (n, 1).",
           "Add the column with x.unsqueeze(1), or draw with torch.randn(n, 1, ...) from the start.")
    expect(tuple(a.shape) != (1, 1000),
           "mixture_sampler(1000) returned shape (1, 1000): one row holding every value, "
           "instead of one row per sample, shape (n, 1).",
           "Use x.reshape(n, 1) (or x.T), or draw with torch.randn(n, 1, ...) from the start.")
    expect(tuple(a.shape) == (1000, 1), f"mixture_sampler(1000) returned shape {tuple(a.shape)}; expected (1000, 1).",
           "Return one row per sample and one column: shape (n, 1).")
    expect(a.dtype.is_floating_point,
           f"the values have dtype {a.dtype}, whole numbers; a sample of a Gaussian mixture is real-valued.",
           "Make the values with torch.randn (float32) and keep them float.")
    expect(a.dtype == torch.float32,
           f"the values have dtype {a.dtype}; PyTorch layers hold float32 weights and refuse {a.dtype} inputs.",
           "Convert with x.float(), or make every tensor with torch functions (float32 by default).")
    expect(bool(torch.isfinite(a).all()), "some values are NaN or infinite.",
           "Check the formula: value = mean + std · torch.randn(...).")
    expect(float(a.std()) > 0, "all 1000 values are the same number: nothing random is drawn.",
           "Draw with torch.randn and torch.rand.")

    # Randomness and seeding
    expect(_accepts_generator(fn), "mixture_sampler has no `generator` parameter.",
           "Define it as def mixture_sampler(n, generator=None): and pass generator=generator to each torch draw.")
    s1 = call(fn, 2000, generator=_gen(7), what="mixture_sampler(2000, generator=...)")
    s2 = call(fn, 2000, generator=_gen(7), what="mixture_sampler(2000, generator=...)")
    s3 = call(fn, 2000, generator=_gen(8), what="mixture_sampler(2000, generator=...)")
    for s in (s1, s2, s3):
        _expect_tensor(s, "mixture_sampler(2000, generator=...)", _TORCH_HINT)
        expect(tuple(s.shape) == (2000, 1),
               f"mixture_sampler(2000, generator=...) returned shape {tuple(s.shape)}; expected (2000, 1).",
               "Return the same kind of tensor whether or not a generator is passed.")
    expect(torch.equal(s1, s2),
           "two calls with generators seeded alike gave different numbers: at least one random draw ignores "
           "`generator`, so a seeded notebook would not repeat itself.",
           "Pass generator=generator to EVERY torch.randn / torch.rand / torch.multinomial call "
           "(NumPy's, Python's and torch.distributions' samplers cannot take it).")
    expect(not torch.equal(s1, s3),
           "generators with different seeds gave the same numbers: the function always returns the same sample. "
           "Does it call torch.manual_seed or make its own seeded generator?",
           "Draw from the generator you are given; do not seed inside the function.")
    u1 = call(fn, 2000, what="mixture_sampler(2000)")
    u2 = call(fn, 2000, what="mixture_sampler(2000)")
    expect(not torch.equal(u1, u2),
           "two calls without a generator returned the same numbers; with generator=None the draws should come "
           "from PyTorch's global random stream, different at every call.",
           "Pass generator=generator straight to the torch calls: torch.randn(..., generator=None) uses the "
           "global stream. Do not build a seeded generator when none is given.")

    # The distribution, on a big seeded draw
    x = call(fn, _BIG, generator=_gen(2024), what=f"mixture_sampler({_BIG}, generator=...)")
    _expect_tensor(x, f"mixture_sampler({_BIG}, generator=...)", _TORCH_HINT)
    x = x.detach().reshape(-1).double()
    expect(x.numel() == _BIG, f"mixture_sampler({_BIG}) returned {x.numel()} values.", "Return exactly n samples.")
    (w1, m1, s1_), (w2, m2, s2_) = MIXTURE
    mean, std = float(x.mean()), float(x.std())
    blend_mean = w1 * m1 + w2 * m2
    blend_std = math.sqrt((w1 * s1_) ** 2 + (w2 * s2_) ** 2)
    far = float(x.abs().max())
    expect(far < 50,
           f"some values lie as far out as {far:.3g}: a Gaussian with std 1 around {m2:g} practically never passes "
           f"{m2 + 6:g}. Such far values come from dividing by the noise (std / torch.randn(...)), which is huge "
           "whenever the noise is close to 0.",
           "A component's value is mean + std · torch.randn(...): multiply the noise by the std.")
    left = x < _SPLIT
    frac = float(left.double().mean())
    expect(not (abs(mean - blend_mean) < 0.1 and abs(std - blend_std) < 0.05 and frac < 0.05),
           f"the sample is one bump around {blend_mean:g} (std ≈ {blend_std:.2f}): it looks like "
           f"{w1:g}·(left value) + {w2:g}·(right value), a weighted SUM of the two components' values. "
           "A mixture does not add values; it picks one component for each sample.",
           f"Draw pick = torch.rand(n, 1, generator=generator) < {w1:g}, then take the left value where pick "
           "is True and the right value elsewhere (torch.where).")
    expect(frac > 0.02,
           f"almost no values fall below {_SPLIT:g}: the bump at {m1:g} is missing, only one component is used.",
           "Choose a component separately for EACH of the n samples (a tensor of n choices), not once per call.")
    expect(frac < 0.98,
           f"almost every value falls below {_SPLIT:g}: the bump at {m2:g} is missing, only one component is used.",
           "Choose a component separately for EACH of the n samples (a tensor of n choices), not once per call.")
    if abs(frac - w1) > 0.03:
        if abs(frac - w2) < 0.03:
            problem = (f"about {w2:.0%} of the values lie in the bump near {m1:g} and {w1:.0%} near {m2:g}: "
                       "the weights (or the means) are swapped.")
        elif abs(frac - 0.5) < 0.03:
            problem = (f"the two bumps hold about half of the values each; the weights should be "
                       f"{w1:.0%} near {m1:g} and {w2:.0%} near {m2:g}.")
        else:
            problem = (f"{frac:.0%} of the values lie in the bump near {m1:g}; expected {w1:.0%}.")
        raise Fail(problem, f"pick the left component when torch.rand(...) < {w1:g}: that happens with "
                            f"probability {w1:g}.")
    # Each bump's centre and width, measured robustly (median; interquartile range / 1.349, which is
    # the std for a Gaussian), so that a wrong width leaking a little across the split does not
    # spoil the diagnosis.
    ml, sl = _centre_width(x[left])
    mr, sr = _centre_width(x[~left])
    expect(abs(ml - m1) < 0.1 and abs(mr - m2) < 0.1,
           f"the bumps are centred near {ml:.2f} and {mr:.2f}; expected {m1:g} and {m2:g}.",
           "A component's value is mean + std · torch.randn(...): check which mean goes with which weight.")
    if abs(sl - s1_) > 0.1 * s1_ or abs(sr - s2_) > 0.1 * s2_:
        if abs(sl - s2_) < 0.1 * s2_ and abs(sr - s1_) < 0.1 * s1_:
            problem = f"the bump near {m1:g} has std ≈ {sl:.2f} and the one near {m2:g} std ≈ {sr:.2f}: the stds are swapped."
        elif abs(sl - s1_ ** 2) < 0.1 * s1_ ** 2 and abs(sr - s2_ ** 2) < 0.1:
            problem = (f"the bump near {m1:g} has std ≈ {sl:.2f} = {s1_:g}²: the noise was multiplied by the "
                       "variance (std²) instead of the std.")
        elif abs(sl - math.sqrt(s1_)) < 0.1 * math.sqrt(s1_):
            problem = (f"the bump near {m1:g} has std ≈ {sl:.2f} = √{s1_:g}: {s1_:g} was used as a variance, "
                       f"but it is the standard deviation.")
        else:
            problem = f"the bumps have stds ≈ {sl:.2f} and {sr:.2f}; expected {s1_:g} and {s2_:g}."
        raise Fail(problem, "A component's value is mean + std · torch.randn(...), with std itself, not squared "
                            "and not square-rooted.")
    return (f"float32 tensor (n, 1); same seed → same numbers; ≈ {w1:.0%} of values in a bump at {m1:g} "
            f"(std {s1_:g}) and {w2:.0%} at {m2:g} (std {s2_:g}).")


# ----------------------------------------------------------------------------------------------
# Exercise 2: the four moments by hand
# ----------------------------------------------------------------------------------------------

# Probe batches: a small skewed one (where dividing by n or n − 1 differs by 5 %) and a larger,
# strongly skewed one given as a column (n, 1). Neither has std 1, so std and variance differ.
_SMALL = torch.tensor([2.0, 3.5, 4.0, 4.5, 5.0, 7.5, 3.0, 6.5, 9.0, 4.0])
_LARGE = (1.0 + 2.0 * -torch.log1p(-torch.rand(500, 1, generator=_gen(0)))).float()   # exponential, skew ≈ 2


def _close(a, b):
    return abs(a - b) <= 1e-4 + 1e-4 * abs(b)


def _candidates(x):
    """Correct answers (both std conventions) and the values typical mistakes give, for 1-D ``x``:
    ``{"reference", "n", "right": {moment: [values]}, "wrong": {moment: {mistake key: [values]}}}``."""
    a = x.detach().double().reshape(-1).numpy()
    n = len(a)
    m = a.mean()
    d = a - m
    s_p, s_u = a.std(), a.std(ddof=1)
    scipy_ref = np.array([m, s_p, stats.skew(a), stats.kurtosis(a)])   # the standard the exercise asks for
    z_p, z_u = d / s_p, d / s_u
    return {
        "reference": scipy_ref, "n": n,
        "std": {"population": s_p, "unbiased": s_u},
        "right": {"mean": [m], "std": [s_p, s_u], "skew": [np.mean(z_p ** 3), np.mean(z_u ** 3)],
                  "kurt": [np.mean(z_p ** 4) - 3, np.mean(z_u ** 4) - 3]},
        "wrong": {
            "mean": {"sum": [a.sum()], "median": [np.median(a), float(torch.tensor(a).median())], "sign": [-m]},
            "std": {"variance": [s_p ** 2, s_u ** 2],
                    "plus": [np.sqrt(np.mean((a + m) ** 2)), np.sqrt(np.sum((a + m) ** 2) / (n - 1))],
                    "uncentred": [np.sqrt(np.mean(a ** 2)), np.sqrt(np.sum(a ** 2) / (n - 1))],
                    "sum": [np.sqrt(np.sum(d ** 2))],
                    "median": [np.sqrt(np.median(d ** 2)), float(torch.tensor(d ** 2).median()) ** 0.5]},
            "skew": {
                "power": [np.mean(z ** p) for z in (z_p, z_u) for p in (2, 4)],
                "unstandardised": [np.mean(d ** 3), np.mean(d ** 3) / s_p, np.mean(d ** 3) / s_u],
                "variance": [np.mean((d / s_p ** 2) ** 3), np.mean((d / s_u ** 2) ** 3)],
                "cube_of_mean": [np.mean(z_p) ** 3],
                "sign": [-np.mean(z_p ** 3), -np.mean(z_u ** 3)],
                "uncentred": [np.mean((a / s) ** 3) for s in (s_p, s_u)],
                "times": [np.mean((d * s) ** 3) for s in (s_p, s_u)],
                "sum": [np.sum(z_p ** 3), np.sum(z_u ** 3)],
                "median": [float(torch.tensor(z ** 3).median()) for z in (z_p, z_u)] + [np.median(z_p ** 3)],
            },
            "kurt": {
                "not_excess": [np.mean(z_p ** 4), np.mean(z_u ** 4)],
                "unstandardised": [np.mean(d ** 4) - 3, np.mean(d ** 4), np.mean(d ** 4) / s_p - 3,
                                   np.mean(d ** 4) / s_u - 3],
                "power": [np.mean(z ** p) - c for z in (z_p, z_u) for p in (2, 3) for c in (0, 3)],
                "variance": [np.mean((d / s_p ** 2) ** 4) - 3, np.mean((d / s_u ** 2) ** 4) - 3],
                "plus_three": [np.mean(z_p ** 4) + 3, np.mean(z_u ** 4) + 3],
                "sign": [-np.mean(z_p ** 4) - 3, -np.mean(z_u ** 4) - 3, -np.mean(z_p ** 4) + 3],
                "uncentred": [np.mean((a / s) ** 4) - 3 for s in (s_p, s_u)],
                "times": [np.mean((d * s) ** 4) - 3 for s in (s_p, s_u)],
                "sum": [np.sum(z_p ** 4) - 3, np.sum(z_u ** 4) - 3],
                "median": [float(torch.tensor(z ** 4).median()) - 3 for z in (z_p, z_u)] + [np.median(z_p ** 4) - 3],
            },
        },
    }


@dataclasses.dataclass(frozen=True)
class Mistake:
    """One typical wrong way to compute a moment: the candidates' key of the values it gives, what the value
    shows (after "the skew (third value) "; {n} is the batch size) and the hint."""
    moment: str
    key: str
    problem: str
    hint: str


#: Each moment's name in the messages, and the hint when no listed mistake explains the value.
MOMENTS = {
    "mean": ("the mean (first value)", "The mean is x.mean(): the sum of the values divided by n."),
    "std": ("the std (second value)", "std = sqrt(mean((x − mean)²))."),
    "skew": ("the skew (third value)", "Skew = mean(z³) with z = (x − mean) / std."),
    "kurt": ("the excess kurtosis (fourth value)", "Excess kurtosis = mean(z⁴) − 3 with z = (x − mean) / std."),
}
_AVERAGE_STD = "Average the squared deviations (.mean()), then take the square root."
_Z3 = "Standardise the deviations: z = (x − mean) / std, then average z³."
_Z4 = "Standardise the deviations: z = (x − mean) / std, then mean(z⁴) − 3."

#: The mistakes, checked in this order for each moment (the first whose value matches is named).
MISTAKES = (
    Mistake("mean", "sum", "is the SUM of the {n} values, not their mean", MOMENTS["mean"][1]),
    Mistake("mean", "median", "is the MEDIAN of the values, not their mean", MOMENTS["mean"][1]),
    Mistake("mean", "sign", "is minus the mean: the sign is flipped", MOMENTS["mean"][1]),
    Mistake("std", "variance", "is the VARIANCE (the std squared), not the standard deviation",
            "Take the square root of the mean squared deviation: .sqrt()."),
    Mistake("std", "plus", "adds the mean to the values (x + mean, or −x − mean) instead of subtracting it",
            "The deviations are d = x − mean."),
    Mistake("std", "uncentred", "does not subtract the mean before squaring (that is the std only for data centred "
            "at 0)", "std = sqrt(mean((x − mean)²)): subtract the mean first."),
    Mistake("std", "sum", "takes the SUM of the squared deviations instead of their mean", _AVERAGE_STD),
    Mistake("std", "median", "takes the MEDIAN of the squared deviations instead of their mean", _AVERAGE_STD),
    Mistake("skew", "sign", "has the wrong sign", "Use deviations x − mean, not mean − x."),
    Mistake("skew", "power", "uses the wrong power",
            "Skew is the mean of z³, the THIRD power of z = (x − mean) / std."),
    Mistake("skew", "variance", "divides the deviations by the variance instead of the std",
            "Standardise with the std: z = (x − mean) / std, then average z³."),
    Mistake("skew", "unstandardised", "is not standardised (the deviations were not divided by the std before "
            "cubing)", "Use z = (x − mean) / std, then average z³ — or divide mean((x − mean)³) by std³."),
    Mistake("skew", "uncentred", "is computed without subtracting the mean (x / std cubed, not (x − mean) / std)",
            _Z3),
    Mistake("skew", "times", "multiplies the deviations by the std instead of dividing by it",
            "z = (x − mean) / std: divide, then average z³."),
    Mistake("skew", "sum", "sums z³ over the values instead of averaging", "Average: (z ** 3).mean()."),
    Mistake("skew", "median", "takes the MEDIAN of z³ instead of its mean", "Average: (z ** 3).mean()."),
    Mistake("skew", "cube_of_mean", "is (mean of z)³, which is always 0",
            "Cube each standardised value first, then average: (z ** 3).mean()."),
    Mistake("kurt", "not_excess", "is the plain kurtosis, not the EXCESS kurtosis (3 too big)",
            "Subtract 3, the kurtosis of a Gaussian, so that a Gaussian scores 0."),
    Mistake("kurt", "plus_three", "adds 3 instead of subtracting it",
            "Excess kurtosis = mean(z⁴) − 3: subtract the Gaussian's kurtosis, 3."),
    Mistake("kurt", "sign", "has the wrong sign on mean(z⁴) (−mean(z⁴) − 3)", "Excess kurtosis = mean(z⁴) − 3."),
    Mistake("kurt", "uncentred", "is computed without subtracting the mean (x / std, not (x − mean) / std)", _Z4),
    Mistake("kurt", "times", "multiplies the deviations by the std instead of dividing by it",
            "z = (x − mean) / std: divide, then mean(z⁴) − 3."),
    Mistake("kurt", "sum", "sums z⁴ over the values instead of averaging", "Average: (z ** 4).mean() − 3."),
    Mistake("kurt", "median", "takes the MEDIAN of z⁴ instead of its mean", "Average: (z ** 4).mean() − 3."),
    Mistake("kurt", "power", "uses the wrong power", "Kurtosis uses the FOURTH power: mean(z⁴) − 3."),
    Mistake("kurt", "variance", "divides the deviations by the variance instead of the std",
            "Standardise with the std: z = (x − mean) / std, then mean(z⁴) − 3."),
    Mistake("kurt", "unstandardised", "is not standardised (the deviations were not divided by the std first)",
            "Use z = (x − mean) / std, then mean(z⁴) − 3 — or divide mean((x − mean)⁴) by std⁴."),
)


def _moment_fail(moment, got, want, c, label):
    """The Fail for a wrong value of ``moment``: the first listed mistake whose value it is, else "is off"."""
    name, fallback = MOMENTS[moment]
    for m in MISTAKES:
        if m.moment == moment and _matches(got, c["wrong"][moment][m.key]):
            return Fail(f"on {label} {name} {m.problem.format(n=c['n'])}: got {got:.4g}, expected {want:.4g}.",
                        m.hint)
    return Fail(f"on {label} {name} is off: got {got:.4g}, expected {want:.4g}.", fallback)


def _matches(value, options):
    return any(_close(value, o) for o in options)


def _four(fn, x, label):
    """Call ``fn`` on a copy of ``x``; check it returned 4 finite numbers as a tensor (4,)."""
    arg = x.clone()
    out = call(fn, arg, what=f"four_moments on a batch of shape {tuple(x.shape)}")
    expect(torch.equal(arg, x),
           f"four_moments changed its input: after the call, the batch of shape {tuple(x.shape)} holds other "
           "values (an in-place operation such as x -= mean).",
           "Compute new tensors (d = x - mean) instead of changing x in place.")
    if isinstance(out, (tuple, list)) and len(out) == 4:
        raise Fail(f"four_moments returned a {type(out).__name__} of 4 values, not one tensor.",
                   "Combine them into one tensor of shape (4,): torch.stack([mean, std, skew, kurt]).")
    _expect_tensor(out, "four_moments", "Compute with torch (x.mean(), .pow(), .sqrt()) and return "
                                        "torch.stack([mean, std, skew, kurt]).")
    expect(out.numel() == 4, f"four_moments returned {out.numel()} numbers (shape {tuple(out.shape)}) for a batch "
                             f"of shape {tuple(x.shape)}; expected 4.",
           "Reduce over all n values (x.mean() on a flattened x), so each moment is a single number.")
    expect(tuple(out.shape) == (4,), f"four_moments returned shape {tuple(out.shape)}; expected (4,).",
           "Return a flat tensor of 4 numbers, e.g. torch.stack([...]) of four 0-d tensors, or .flatten().")
    expect(out.dtype.is_floating_point, f"four_moments returned dtype {out.dtype}; moments are real numbers.",
           "Keep the computation in floating point.")
    expect(bool(torch.isfinite(out).all()), f"four_moments returned NaN or infinity on {label}.",
           "Look for a division by zero or the square root of a negative number.")
    return [float(v) for v in out.detach().double()]


def _fmt4(v):
    return "[" + ", ".join(f"{x:.4g}" for x in v) + "]"


@checker("four_moments")
def check_four_moments(fn):
    """Check ``fn(x)`` → tensor (4,): mean, std, skew, excess kurtosis, against scipy.stats."""
    small_flat = _four(fn, _SMALL, "a batch of 10 values")
    small_col = _four(fn, _SMALL.reshape(-1, 1), "a batch of 10 values as a column")
    expect(all(_close(a, b) for a, b in zip(small_flat, small_col)),
           f"the same 10 values give {_fmt4(small_flat)} as shape (10,) but {_fmt4(small_col)} as shape (10, 1).",
           "Flatten first (x = x.flatten()), so that a column (n, 1) is treated like a vector (n,).")
    large = _four(fn, _LARGE, "a batch of 500 values")
    unbiased = False
    for got, x, label in ((small_flat, _SMALL, "the 10-value test batch"), (large, _LARGE, "the 500-value test batch")):
        c = _candidates(x)
        ref = c["reference"]
        got_s = got[1]
        if not all(_close(g, r) for g, r in zip(got, ref)) and \
                all(_close(g, r) for g, r in zip(sorted(got), sorted(ref))):
            raise Fail(f"on {label} you return the right four numbers in the wrong order: {_fmt4(got)}; "
                       f"expected [mean, std, skew, kurtosis] = {_fmt4(ref)}.",
                       "Return torch.stack([mean, std, skew, kurtosis]) in that order.")
        for moment, got_v, want in zip(MOMENTS, got, ref):
            if not _matches(got_v, c["right"][moment]):
                raise _moment_fail(moment, got_v, want, c, label)
        if _close(got_s, c["std"]["unbiased"]) and not _close(got_s, c["std"]["population"]):
            unbiased = True
    verified = ("mean, std, skew and excess kurtosis match scipy.stats on a 10-value and a 500-value batch, "
                "for shapes (n,) and (n, 1)")
    if unbiased:
        ref = _candidates(_SMALL)["reference"]
        verified += (". Your std divides by n − 1 (PyTorch's x.std() default); scipy.stats and gl.features "
                     f"divide by n. On the 10-value batch that makes your std {small_flat[1]:.3f} against "
                     f"{ref[1]:.3f}" + (f", your skew {small_flat[2]:.3f} against {ref[2]:.3f} and your kurtosis "
                                          f"{small_flat[3]:.3f} against {ref[3]:.3f} (standardised with that std)"
                                          if not _close(small_flat[2], ref[2]) else "")
                     + "; on 500 values the std differs by about 0.1 %. Both are accepted: say which "
                     "one you use when you compare numbers with someone else")
    return verified + "."
