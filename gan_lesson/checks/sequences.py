"""Checkers for notebook 09 (the sequences challenge), one per step of the scaffold:

    make_scaler(data) -> (scale, unscale)              1. data: to standard units and back
    make_generator(noise_dim), make_discriminator()    2. models: G (noise -> 5), D (5 -> logit)
    d_loss(real_logits, fake_logits), g_loss(fake_logits)   3. losses, on D's logits
    d_step(G, D, g_opt, d_opt, real, z), g_step(G, D, g_opt, d_opt, z) -> losses   4. the training steps

and one for the trained result, however it was built (the open challenge):

    check_series_result(G, noise, unscale, tol=0.1, validity_target=0.98)   validity and joint coverage
                                                       above the targets (the open challenge: tol=0.05, 0.99)

The step checkers work on data and networks of their own, built with fixed seeds inside
``torch.random.fork_rng`` (the notebook's random state is left alone), and give the student's
functions copies, so nothing the student holds is changed. Each compares what the student's code
did with the right result and with the usual wrong ones, and names the first mistake it finds.
The result checker draws series from the student's generator (a copy of it, in eval mode) with
noise made under a fixed seed, and says which measure fell short and what that usually means.
"""
import copy
import dataclasses

import torch
import torch.nn.functional as F
from torch import nn

from ..maths import samplers
from ..lessons.sequences import JOINT_BINS, TOL, VARIABLES, coverage, joint_coverage, steps, validity
from ..validation import check_number
from . import mistakes
from .core import Fail, NotAttempted, call, checker, expect
from .engine import Probe, Term, explain, run_step, sweep
from .probe import linear_gap_failure
from .models import explain_crash, output_range, shape_text
from .probe import build_crash

__all__ = ["check_series_scaler", "check_series_models", "check_series_losses", "check_series_steps",
           "check_series_result"]

BATCH = 64            # rows of the probing batches (appears in messages)
LR = 0.1              # plain SGD in the step checker: an update is exactly −LR · gradient
SEED_GRAD = 0.5       # stale gradients planted before the student's step
RUN_STEPS = 300       # the short training run of the step checker
RUN_TOL = 0.5         # its (loose) validity tolerance, in the data's units


def _quiet_rng():
    return torch.random.fork_rng(devices=[])


def _tensor_result(out, name, shape, what):
    """Insist that ``out`` is a float tensor of ``shape``; say what it is otherwise."""
    if not isinstance(out, torch.Tensor):
        kind = "a numpy array" if type(out).__module__.startswith("numpy") else type(out).__name__
        raise Fail(f"{name} returns {kind}, not a torch tensor; {what}",
                   "Use torch operations only (x.mean(dim=0), x.std(dim=0)), so the result stays a tensor.")
    expect(tuple(out.shape) == shape, f"{name} turned a batch of shape {shape} into shape {shape_text(out)}.",
           "Scale each entry in place of itself: the result has the shape of the input.")
    expect(out.is_floating_point(), f"{name} returns a {out.dtype} tensor; scaled series are floats.",
           "Compute with the float statistics, without rounding.")
    return out


# =========================================================================== 1. scaling

def _probe_data():
    with _quiet_rng():
        data = samplers.Sequences(-3.0, 5.0, seed=11)(2000)       # not the notebook's range on purpose
        other = samplers.Sequences(10.0, 30.0, seed=12)(2000)
        batch = samplers.Sequences(-3.0, 5.0, seed=13)(BATCH)
        y = torch.randn(BATCH, 5, generator=torch.Generator().manual_seed(14))
    return data, other, batch, y


def _scaler(make_scaler, data, label):
    arg = data.clone()
    out = call(make_scaler, arg, what="make_scaler")
    expect(torch.equal(arg, data), f"make_scaler changed the data it was given ({label}).",
           "Compute the statistics without in-place operations on data (no data -= …).")
    if callable(out):
        raise Fail("make_scaler returns one function; it must return two, the scaling and its inverse.",
                   "End make_scaler with `return scale, unscale`.")
    expect(isinstance(out, (tuple, list)) and len(out) == 2,
           f"make_scaler should return the pair (scale, unscale); it returns {type(out).__name__}"
           + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "") + ".",
           "End make_scaler with `return scale, unscale`.")
    scale, unscale = out
    expect(callable(scale) and callable(unscale),
           "make_scaler should return two functions (scale, unscale); "
           f"it returns a {type(scale).__name__} and a {type(unscale).__name__}.",
           "Define `def scale(x): …` and `def unscale(y): …` inside make_scaler and return them (no parentheses).")
    return scale, unscale


def _apply(fn, x, name, what):
    """``fn(x)`` on a copy; checks the copy is unchanged and the result is a tensor of x's shape."""
    arg = x.clone()
    try:
        out = call(fn, arg, what=name, diagnose=False)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as exc:  # noqa: BLE001 — the student's crash becomes a message
        text = str(exc)
        if "must match the size of tensor" in text or "expanded size" in text:
            raise Fail(f"{name} crashes on a batch of shape {shape_text(x)} ({type(exc).__name__}: {text}): the "
                       "statistics have one number per row of data, not one per column.",
                       "Take the statistics over the rows, one per column: data.mean(dim=0), data.std(dim=0), "
                       "each of shape (5,).") from None
        if "return_types" in text:
            raise Fail(f"{name} crashes on a batch of shape {shape_text(x)} ({type(exc).__name__}: {text}): "
                       "data.median(dim=0) (like max and min with a dim) returns a pair (values, indices), not a "
                       "tensor, and a pair cannot be subtracted.",
                       "Centre with the mean, data.mean(dim=0), a tensor of one number per column.") from None
        if isinstance(exc, NameError) and getattr(exc, "name", None):
            raise Fail(f"{name} uses `{exc.name}`, which no line of make_scaler gives a value before {name} runs "
                       f"({type(exc).__name__}): the line that computes it is missing.",
                       f"Compute `{exc.name}` from `data` in make_scaler, before defining {name}.") from None
        raise Fail(f"calling {name} on a batch of shape {shape_text(x)} raised {type(exc).__name__}: {text}",
                   "Try it on a small batch in a cell of its own and read the error.") from None
    if out is Ellipsis:
        raise NotAttempted()
    out = _tensor_result(out, name, tuple(x.shape), what)
    expect(torch.equal(arg, x), f"{name} changed the tensor it was given (an in-place operation such as x -= mean).",
           "Return a new tensor: `return (x - mean) / std`, never `x -= …`.")
    expect(bool(torch.isfinite(out).all()), f"{name} gives NaN or infinite values on an ordinary batch.",
           "Look for a division by a statistic that can be 0 (the std of a single row?).")
    return out


def _affine(scale_fn, data, name="scale"):
    """Per-column (slope, offset) of an affine ``scale_fn``, measured on two rows; None if not affine."""
    base = _apply(scale_fn, data[:2], name, "the networks need tensors.")
    x0, x1 = data[:1], data[:1] + 1.0
    y0, y1 = _apply(scale_fn, x0, name, ""), _apply(scale_fn, x1, name, "")
    slope = (y1 - y0)[0]
    offset = (y0 - x0 * slope)[0]
    return (slope, offset) if torch.allclose(base, data[:2] * slope + offset, atol=1e-4, rtol=1e-4) else None


def _scale_statistics(scale, data):
    """Name the statistic a per-column affine scale uses in place of the mean or the std."""
    fit = _affine(scale, data)
    if fit is None:
        return
    k, t = fit
    near = lambda a, b: bool(torch.allclose(a, b, rtol=1e-3, atol=1e-4))   # noqa: E731
    mean, std = data.mean(0), data.std(0)
    divisor, centre = 1 / k, -t / k                 # scale(x) = (x − centre) / divisor
    if near(divisor, std) or near(divisor, -std):
        expect(not (near(divisor, -std) and near(centre, mean)), "scale flips the sign: it returns −(x − mean) / std.",
               "Return (x − mean) / std, with no minus sign in front.")
        expect(not near(divisor, -std), "scale negates x before centring it: (−x − mean) / std.",
               "Return (x − mean) / std.")
        if near(centre, mean) or near(centre, torch.zeros_like(mean)):
            return                                  # right, or no centring at all (named below)
        for value, problem in ((-mean, "scale adds each column's mean instead of subtracting it: (x + mean) / std."),
                               (data.sum(0), "scale subtracts each column's sum (data.sum), not its mean "
                                             "(data.mean): the scaled columns are far from 0."),
                               (data.median(0).values, "scale subtracts each column's median, not its mean.")):
            expect(not near(centre, value), problem, "Subtract data.mean(dim=0): z = (x − mean) / std.")
        raise Fail(f"scale subtracts {_fmt(centre)} from the columns, not their means {_fmt(mean)}: the scaled "
                   "columns are not centred on 0.", "Subtract data.mean(dim=0): z = (x − mean) / std.")
    for value, problem in ((std ** 2, "scale divides by the variance (data.var, the std squared), not the std: the "
                                      "scaled columns' spread is 1/std, not 1."),
                           (1 / std, "scale multiplies by the std instead of dividing by it."),
                           (std.sqrt(), "scale divides by the square root of the std, not the std.")):
        expect(not near(divisor, value), problem, "Divide by data.std(dim=0): z = (x − mean) / std.")


@checker("step 1, make_scaler(data) -> (scale, unscale)")
def check_series_scaler(make_scaler):
    data, other, batch, y = _probe_data()
    scale, unscale = _scaler(make_scaler, data, "the checker's data")
    scaled_batch = _apply(scale, batch, "scale", "the networks need tensors.")
    few = _apply(scale, batch[:3], "scale", "the networks need tensors.")
    expect(torch.allclose(few, scaled_batch[:3], atol=1e-5, rtol=1e-5),
           "scale gives a row a different value depending on the other rows of the batch: it computes the "
           "statistics of the batch it is given, not those of `data`.",
           "Compute mean and std once, from `data`, in make_scaler; scale(x) only applies them. (Generated "
           "batches must be scaled with the same numbers as the real data, or D could tell them apart by their "
           "scaling.)")
    scale_b, _ = _scaler(make_scaler, other, "a second data set")
    expect(not torch.allclose(_apply(scale_b, batch, "scale", ""), scaled_batch, atol=1e-5),
           "scale gives the same result whatever data make_scaler was given: it uses fixed numbers instead of the "
           "statistics of `data`.",
           "Compute mean = data.mean(dim=0) and std = data.std(dim=0) inside make_scaler.")

    s = _apply(scale, data, "scale", "the networks need tensors.")
    mean, std = s.mean(0), s.std(0)
    lo, hi = s.min(0).values, s.max(0).values
    z_scores = bool((mean.abs() < 1e-3).all() and ((std - 1).abs() < 2e-3).all())
    unit_range = bool(((lo + 1).abs() < 1e-3).all() and ((hi - 1).abs() < 1e-3).all())
    if not (z_scores or unit_range):
        _scale_statistics(scale, data)
        whole = (data - data.mean()) / data.std()
        expect(not torch.allclose(s, whole, atol=1e-3),
               "scale uses one mean and one std for the whole table; each column needs its own (a, b, c, c+1 "
               "and c+2 have different means).",
               "Take the statistics per column: data.mean(dim=0) and data.std(dim=0), shape (5,).")
        d_std = data.std(0)
        expect(not ((mean.abs() < 1e-3).all() and ((std - d_std).abs() < 1e-2 * d_std).all()),
               "scale subtracts each column's mean but does not divide by its std: the scaled columns still "
               f"spread over ±{float(d_std.max()) * 1.8:.0f}.",
               "Divide by data.std(dim=0) as well: z = (x − mean) / std.")
        expect(not (((std - 1).abs() < 2e-3).all() and (mean.abs() > 0.1).any()),
               "scale divides by each column's std but does not subtract its mean: the scaled columns are not "
               "centred on 0.",
               "Subtract data.mean(dim=0) first: z = (x − mean) / std.")
        expect(not ((lo.abs() < 1e-3).all() and ((hi - 1).abs() < 1e-3).all()),
               "scale maps each column to [0, 1]; the networks work best with numbers centred on 0.",
               "Map the column's minimum to −1 and its maximum to 1: 2·(x − min)/(max − min) − 1, or use z-scores.")
        raise Fail(f"after scale, the columns of data have means {_fmt(mean)} and stds {_fmt(std)}: neither "
                   "z-scores (mean 0, std 1) nor the range [−1, 1].",
                   "Use z = (x − mean) / std with mean = data.mean(dim=0), std = data.std(dim=0).")

    back = _apply(unscale, scaled_batch, "unscale", "the measures need tensors.")
    error = float((back - batch).abs().max())
    if error > 1e-4 * (1 + float(batch.abs().max())):
        fit = _affine(scale, data)
        unfit = _affine(unscale, y, "unscale")
        if fit is not None and unfit is not None:
            near = lambda a, b: bool(torch.allclose(a, b, rtol=1e-3, atol=1e-4))   # noqa: E731
            d_mean, d_std = data.mean(0), data.std(0)
            expect(not near(fit[0], -1 / d_std), "scale flips the sign: it returns −(x − mean) / std, so unscale "
                   "(which multiplies by the std and adds the mean) cannot undo it.",
                   "Return (x − mean) / std, with no minus sign in front.")
            expect(not (near(unfit[0], -d_std) and near(unfit[1], -d_mean)), "unscale returns minus the series: "
                   "−(y · std + mean).", "Return y · std + mean, with no minus sign in front.")
            expect(not near(unfit[0], -d_std), "unscale multiplies by −std: the sign of the spread is flipped.",
                   "Return y · std + mean.")
        if fit is not None:
            k, t = fit
            m, sd = -t / k, 1 / k
            sb = scaled_batch
            for wrong, problem in (
                    (sb / sd + m, "unscale divides by the std; to undo the division, multiply: y · std + mean."),
                    ((sb + m) * sd, "unscale adds the mean before multiplying by the std; undo the steps of scale "
                                    "in reverse order: multiply by the std first, then add the mean."),
                    (sb * sd - m, "unscale subtracts the mean; to undo the subtraction, add it: y · std + mean."),
                    (sb * sd, "unscale multiplies by the std but forgets to add the mean back."),
                    (sb + m, "unscale adds the mean back but forgets to multiply by the std."),
                    ((sb - m) / sd, "unscale applies scale a second time instead of undoing it.")):
                expect(not torch.allclose(back, wrong, atol=1e-4, rtol=1e-4), problem,
                       "Check it: unscale(scale(x)) must give x back.")
        raise Fail(f"unscale(scale(x)) does not give x back (largest error {error:.3g}).",
                   "unscale undoes scale's steps in reverse order: multiply by the std, then add the mean.")
    again = _apply(scale, _apply(unscale, y, "unscale", "the measures need tensors."), "scale", "")
    expect(torch.allclose(again, y, atol=1e-4, rtol=1e-4),
           "scale(unscale(y)) does not give y back for a batch y in scaled units.",
           "unscale must be the exact inverse of scale, for any numbers, not only for real series.")
    how = ("each column to z-scores (mean 0, std 1)" if z_scores else "each column's minimum and maximum to −1 and 1")
    return (f"scale maps {how} with the statistics of `data`, the same for any batch, row by row; "
            "unscale(scale(x)) = x and scale(unscale(y)) = y; nothing changed in place.")


def _fmt(v):
    return "[" + ", ".join(f"{float(a):.2f}" for a in v) + "]"


# =========================================================================== 2. models

NOISE_DIMS = (3, 8)


def _build(make, args, what):
    try:
        model = make(*args)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as exc:  # noqa: BLE001
        raise build_crash(what, exc) from None
    if model is Ellipsis:
        raise NotAttempted()
    expect(model is not None, f"{what} returned None.", "End the function with `return` and the model.")
    expect(isinstance(model, nn.Module), f"{what} returned a {type(model).__name__}, not a torch.nn.Module.",
           "Build it from nn.Linear layers inside nn.Sequential(...).")
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    expect(n > 0, f"{what} built a model with no trainable parameters.",
           "Put the layers in nn.Sequential (a plain Python list of layers is not registered).")
    probe = copy.deepcopy(model).eval()
    return probe, n


def _run(model, x, what):
    try:
        with torch.no_grad():
            out = call(model, x, what=what, diagnose=False)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as exc:  # noqa: BLE001
        fail = explain_crash(model, x, exc)
        raise Fail(f"{what}: {fail.args[0]}", fail.args[1]) from None
    expect(isinstance(out, torch.Tensor), f"{what} returned a {type(out).__name__}, not a tensor.",
           "Return the output of the last layer.")
    return out


def _layers(model):
    sizes = [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, nn.Linear)]
    if not sizes:
        return "no nn.Linear"
    return " → ".join(str(s) for s in [sizes[0][0]] + [o for _, o in sizes])


def _one_at_a_time(model, x, who):
    full = _run(model, x, who)
    alone = _run(model, x[:1], who)
    flipped = _run(model, x.flip(0), who)
    expect(torch.allclose(alone, full[:1], atol=1e-5) and torch.allclose(flipped, full.flip(0), atol=1e-5),
           f"{who}'s output for one row changes when the other rows of the batch change.",
           "Use only per-row layers (nn.Linear and activations); no normalisation or mean over the batch.")
    expect(float((full - full[:1]).abs().max()) > 1e-6, f"{who} gives the same output for every input row.",
           "Check that forward uses its input and returns the result of the layers.")


def _generator_part(make_generator):
    for k in NOISE_DIMS:
        G, n_g = _build(make_generator, (k,), f"make_generator({k})")
        z = torch.randn(BATCH, k, generator=torch.Generator().manual_seed(20 + k))
        layers = [m for m in G.modules() if isinstance(m, nn.Linear)]
        expect(not layers or layers[0].in_features == k,
               f"make_generator({k}) built a generator whose first layer takes {layers[0].in_features if layers else '?'} "
               f"numbers a row, but noise of dimension {k} has {k}: it ignores its argument noise_dim.",
               "Make the first layer nn.Linear(noise_dim, …), using the argument.")
        out = _run(G, z, f"G from make_generator({k})")
        expect(tuple(out.shape) == (BATCH, 5),
               f"G turned noise of shape {shape_text(z)} into shape {shape_text(out)}; it must give one series of 5 numbers "
               f"a row, ({BATCH}, 5).", "End G with nn.Linear(hidden, 5), and no reshaping.")
        expect(bool(torch.isfinite(out).all()), "G's output holds NaN or infinite values.",
               "A plain stack of nn.Linear layers and activations gives finite numbers.")
    k = NOISE_DIMS[0]                                  # report on the notebook's noise size
    G, n_g = _build(make_generator, (k,), f"make_generator({k})")
    z = torch.randn(BATCH, k, generator=torch.Generator().manual_seed(20 + k))
    rng = output_range(G, z)
    hint = ("Scaled series can be any real numbers (z-scores of a uniform reach ±1.7): put nothing after G's last "
            "nn.Linear.")
    if rng is not None:
        lo, hi = rng
        expect(not (lo >= 0 and hi <= 1), "G's outputs always stay between 0 and 1: a sigmoid on the output layer.",
               hint)
        expect(lo < 0, "G's outputs can never be negative: a ReLU (or similar) on the output layer.", hint)
        expect(not (lo >= -1 and hi <= 1), "G's outputs always stay between −1 and 1: a tanh on the output layer. "
               "It reaches ±1 only for infinite inputs, so the edges of the range would be hard to produce.", hint)
        expect(lo < -50 and hi > 50, "G squashes its outputs (an activation after the last nn.Linear).", hint)
    _one_at_a_time(G, z, "G")
    _activations_act(G, z, "G")
    return G, n_g


def _discriminator_part(make_discriminator):
    D, n_d = _build(make_discriminator, (), "make_discriminator()")
    x = 1.5 * torch.randn(BATCH, 5, generator=torch.Generator().manual_seed(30))
    out = _run(D, x, "D")
    if tuple(out.shape) != (BATCH, 1):
        if tuple(out.shape) == (BATCH,):
            raise Fail(f"D turned a batch of shape {shape_text(x)} into shape {shape_text(out)}: the verdicts were "
                       f"flattened; the losses compare them with labels of shape ({BATCH}, 1).",
                       "Remove the .squeeze(), .flatten() or .view(-1) at the end.")
        raise Fail(f"D turned a batch of shape {shape_text(x)} into shape {shape_text(out)}; it must give one verdict a "
                   f"series, shape ({BATCH}, 1).", "End D with nn.Linear(hidden, 1).")
    expect(bool(torch.isfinite(out).all()), "D's output holds NaN or infinite values.",
           "A plain stack of nn.Linear layers and activations gives finite numbers.")
    rng = output_range(D, x)
    hint = ("Here D returns a logit, the raw score s with P(real) = σ(s); the losses apply the sigmoid themselves, "
            "which stays accurate when D is very sure. Put nothing after D's last nn.Linear.")
    if rng is not None:
        lo, hi = rng
        expect(not (lo >= 0 and hi <= 1), "D's outputs stay between 0 and 1: D ends in a sigmoid (it returns "
               "P(real), not a logit).", hint)
        expect(not (lo >= -1 and hi <= 1), "D's outputs stay between −1 and 1: D ends in a tanh.", hint)
        expect(lo < -50 and hi > 50, "D squashes its outputs (an activation after the last nn.Linear), so it does "
               "not return a logit.", hint)
    _one_at_a_time(D, x, "D")
    _activations_act(D, x, "D")
    return D, n_d


def _activations_act(model, x, who):
    """Fail where no activation acts between two of the model's linear layers (the probe's reading)."""
    failed = linear_gap_failure(model, x, who, activation="nn.LeakyReLU(0.2)")
    if failed is not None:
        raise failed


@checker("step 2, make_generator(noise_dim) and make_discriminator()")
def check_series_models(make_generator, make_discriminator):
    with _quiet_rng():                          # building the networks draws their weights
        torch.manual_seed(0)
        G, n_g = _generator_part(make_generator)
        D, n_d = _discriminator_part(make_discriminator)
    return (f"G: noise (n, {NOISE_DIMS[0]}) → series (n, 5), no output activation ({_layers(G)}, {n_g} parameters); "
            f"D: series (n, 5) → logits (n, 1) ({_layers(D)}, {n_d} parameters); one verdict a row.")


# =========================================================================== 3. losses

# D's logits on two small batches; chosen so that every wrong formula gives a value of its own
REAL_LOGITS = (torch.tensor([[2.0], [0.5], [-1.0], [3.0]]), torch.tensor([[1.2], [-0.3], [4.0]]))
FAKE_LOGITS = (torch.tensor([[-2.0], [0.3], [-0.5], [1.5]]), torch.tensor([[-3.0], [0.8], [-1.1]]))
# a real and a fake batch of different sizes: a d_loss that assumes n == m (targets for both halves
# built from real_logits) fails or goes wrong only here
UNEQUAL_LOGITS = (torch.tensor([[0.7], [-1.4], [2.2]]), torch.tensor([[-0.6], [1.9]]))
EXTREME = 200.0       # a logit this large gives sigmoid = 1 exactly in float32
REJECTED = -8.0       # D's logit for a fake it confidently rejects: σ ≈ 0.0003
LOGIT_HINT = ("D returns logits here: use F.binary_cross_entropy_with_logits(logits, targets), or F.softplus: "
              "−log σ(s) = softplus(−s) and −log(1 − σ(s)) = softplus(s).")


def _sp(x):
    return F.softplus(x).mean()


def _loss_call(fn, args, name, signature):
    try:
        out = call(fn, *[a.clone() for a in args], what=signature, diagnose=False)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as exc:  # noqa: BLE001
        text = str(exc)
        if "between 0 and 1" in text:
            raise Fail(f"{name} uses the binary cross-entropy for probabilities on D's logits, which can be "
                       "negative or above 1, so it fails.", LOGIT_HINT) from None
        if isinstance(exc, NameError) and getattr(exc, "name", None):
            raise Fail(f"{name} uses `{exc.name}` before any line gives it a value ({type(exc).__name__}): the line "
                       f"that defines `{exc.name}` is missing, or comes after its first use.",
                       f"Define `{exc.name}` (e.g. `{exc.name} = …`) above the line that first uses it.") from None
        raise Fail(f"calling {signature} raised {type(exc).__name__}: {text}",
                   "Try it on small tensors of shape (4, 1) in a cell of its own.") from None
    if out is Ellipsis:
        raise NotAttempted()
    expect(isinstance(out, torch.Tensor), f"{signature} returned {type(out).__name__}, not a torch tensor.",
           "Keep the loss a tensor (no .item()): the training step calls .backward() on it.")
    expect(out.numel() == 1, f"{signature} returned a tensor of shape {shape_text(out)}; a loss is one number.",
           "Average over the batch with .mean().")
    expect(out.is_floating_point(), f"{signature} returned a {out.dtype} tensor; a loss is a float.", LOGIT_HINT)
    return out


def _match(value, candidates, name):
    for wrong, problem, hint in candidates:
        expect(not (abs(value - float(wrong)) <= 1e-4 + 1e-4 * abs(float(wrong))), f"{name}: {problem}", hint)


def _d_candidates(r, f):
    n = r.shape[0]
    right = _sp(-r) + _sp(f)
    return [
        (_sp(r) + _sp(-f), "the labels are swapped: real series scored against 0 and fakes against 1.",
         "Real logits get the target 1 (torch.ones_like), fake logits the target 0 (torch.zeros_like)."),
        (-right, "the sign is flipped: the loss goes down as D gets worse.",
         "Return the binary cross-entropy itself (it is already ≥ 0), no minus sign."),
        (_sp(-r), "only the real half is there: the fakes' term (target 0) is missing.",
         "Add the binary cross-entropy of the fake logits against 0."),
        (_sp(f), "only the fake half is there: the real series' term (target 1) is missing.",
         "Add the binary cross-entropy of the real logits against 1."),
        (n * right, "the loss grows with the batch size: it sums over the batch instead of averaging.",
         "Average (.mean(), the default reduction of the loss functions)."),
        (F.binary_cross_entropy_with_logits(torch.sigmoid(r), torch.ones_like(r))
         + F.binary_cross_entropy_with_logits(torch.sigmoid(f), torch.zeros_like(f)),
         "the sigmoid is applied twice: once by you, once inside binary_cross_entropy_with_logits.",
         "Give D's logits to binary_cross_entropy_with_logits as they are."),
        (_sp(r) + _sp(f),
         "both batches are scored against 0: the real series need the target 1.",
         "Use torch.ones_like(real_logits) as the real batch's target."),
    ]


def _g_candidates(f):
    n = f.shape[0]
    right = _sp(-f)
    return [
        (-_sp(f), "this is the saturating (minimax) loss mean log(1 − D(G(z))), not the non-saturating one.",
         "Score the fakes against the label 1 ('real'): F.binary_cross_entropy_with_logits(fake_logits, "
         "torch.ones_like(fake_logits))."),
        (_sp(f), "the labels are swapped: the fakes are scored against 0 ('fake'), which is D's goal, not G's.",
         "G pretends its series are real: target 1, torch.ones_like(fake_logits)."),
        (-right, "the sign is flipped: minimising it would make the fakes easier to spot.",
         "Return the binary cross-entropy against 1 itself, no minus sign."),
        (n * right, "the loss grows with the batch size: it sums over the batch instead of averaging.",
         "Average (.mean(), the default reduction)."),
        (F.binary_cross_entropy_with_logits(torch.sigmoid(f), torch.ones_like(f)),
         "the sigmoid is applied twice: once by you, once inside binary_cross_entropy_with_logits.",
         "Give D's logits to binary_cross_entropy_with_logits as they are."),
    ]


def _finite_at_extremes(fn, args, name, signature):
    args = [a.clone().requires_grad_(True) for a in args]
    out = _loss_call(fn, args, name, signature)
    expect(bool(torch.isfinite(out.detach()).all()),
           f"with logits of ±{EXTREME:g} (a very sure D) {name} gives {float(out.detach().reshape(-1)[0])}: training "
           "would stop on it. −log(σ(s)) computed in two steps overflows once σ(s) rounds to 0 or 1.", LOGIT_HINT)
    try:
        out.reshape(()).backward()
    except Exception as exc:  # noqa: BLE001
        raise Fail(f"backpropagating through {name} raised {type(exc).__name__}: {exc}",
                   "Build the loss from the logits with out-of-place torch operations.") from None
    expect(all(a.grad is not None and bool(torch.isfinite(a.grad).all()) for a in args),
           f"with logits of ±{EXTREME:g} {name}'s value is finite but its gradient is not.", LOGIT_HINT)


def _gradient_matches(fn, args, reference, name, signature, scales=(1.0,)):
    args = [a.clone().requires_grad_(True) for a in args]
    out = _loss_call(fn, args, name, signature)
    expect(out.requires_grad, f"{name}'s result is cut off from autograd: no gradient would reach the networks.",
           "Don't use .item(), .detach() or torch.tensor(...) inside; build the loss from the logits.")
    try:
        out.reshape(()).backward()
    except Exception as exc:  # noqa: BLE001
        raise Fail(f"backpropagating through {name} raised {type(exc).__name__}: {exc}",
                   "Build the loss from the logits with out-of-place torch operations.") from None
    ref_args = [a.detach().clone().requires_grad_(True) for a in args]
    reference(*ref_args).backward()
    ok = any(all(a.grad is not None and torch.allclose(a.grad, c * b.grad, rtol=1e-3, atol=1e-6)
                 for a, b in zip(args, ref_args)) for c in scales)
    expect(ok, f"{name}'s value is right but its gradient is not.",
           "Build the loss directly from the logits, without detaching any part of it.")


def _unequal_batches(d_loss, sig, factor):
    """d_loss on 3 real and 2 fake logits: catches a loss that assumes both batches have n rows, or one that
    averages over the joined batch (``factor``: the overall factor accepted on batches of the same size)."""
    r, f = UNEQUAL_LOGITS
    sizes = f"{r.shape[0]} real and {f.shape[0]} fake logits"
    assumes = ("it assumes both batches have the same number of rows, e.g. it concatenates them and builds the "
               "targets for both halves from real_logits")
    fix = ("Build each batch's targets from its own logits: torch.ones_like(real_logits) for the real batch and "
           "torch.zeros_like(fake_logits) for the fake one (simplest: two BCE terms, one per batch, added).")
    try:
        value = float(_loss_call(d_loss, (r, f), "d_loss", sig).detach())
    except Fail as failed:
        problem = str(failed.args[0])
        if not problem.startswith("calling "):
            raise
        raise Fail(f"d_loss works when the real and fake batches have the same size, but on {sizes} "
                   f"{problem[len('calling '):]}: {assumes}.", fix) from None
    right = float(_sp(-r) + _sp(f))
    near = lambda a, b: abs(a - b) <= 1e-4 * (1 + abs(b))      # noqa: E731
    if near(value, factor * right):
        return
    joined = float((F.softplus(-r).sum() + F.softplus(f).sum()) / (r.shape[0] + f.shape[0]))
    if any(near(value, k * joined) for k in (2 * factor, factor, 1.0, 2.0)):
        raise mistakes.joined_fail(r.shape[0], f.shape[0], "d_loss", "BCE(real_logits, 1) + BCE(fake_logits, 0)",
                                   value, factor * right)
    if abs(value - float(_sp(-r) + F.softplus(f).sum() / r.shape[0])) <= 1e-4 * (1 + abs(right)):
        raise Fail(f"on {sizes} d_loss gives {value:.4f}, not {right:.4f}: the fakes' term is divided by the number "
                   f"of real rows: {assumes}.", fix)
    _match(value, _d_candidates(r, f), "d_loss")
    expect(False, f"d_loss is right when the real and fake batches have the same size, but on {sizes} it gives "
           f"{value:.4f}; the right value is {right:.4f}: {assumes}.", fix)


LOSS_WORDS = mistakes.Words(fn="d_loss", d_loss="BCE(real_logits, 1) + BCE(fake_logits, 0)",
                            g_loss="BCE(fake_logits, 1)", samples="series", real_term="BCE(real_logits, 1)",
                            fake_term="BCE(fake_logits, 0)", double_hint=LOGIT_HINT)


class _LogitProbe:
    """The loss terms as functions of the logits themselves (what ``mistakes.departures`` reads)."""
    logits = True

    def __init__(self, n, fake):
        self.n, self.fake = n, fake

    def verdicts(self, *_):
        return None, float(torch.sigmoid(self.fake).mean())

    def g_term(self, target, *_, **__):
        x = self.fake.clone().requires_grad_(True)
        F.binary_cross_entropy_with_logits(x, torch.full_like(x, float(target))).backward()
        return x.grad.reshape(-1)


def _logit_form(x, target, form):
    full = torch.full_like(x, float(target))
    if form == "swapped":
        return F.binary_cross_entropy_with_logits(full, x)
    return F.binary_cross_entropy_with_logits(torch.sigmoid(x) if form == "double" else x, full)


def _logit_options(batches):
    """{name: [(Term, gradient w.r.t. all the logits)]} for each (name, logits, right target) in ``batches``."""
    sizes = [x.numel() for _, x, _ in batches]
    options = {}
    for k, (name, x, right) in enumerate(batches):
        column = []
        for form in ("right", "double", "swapped"):
            for target in (right, 1 - right):
                xx = x.clone().requires_grad_(True)
                _logit_form(xx, target, form).backward()
                parts = [torch.zeros(m) for m in sizes]
                parts[k] = xx.grad.reshape(-1)
                vec = torch.cat(parts)
                if float(vec.abs().max()) == 0.0:
                    continue
                for c in (1.0, -1.0, float(x.shape[0]), -float(x.shape[0])):
                    column.append((Term(name, target, form, False, c), vec))
        column.sort(key=lambda tv: (tv[0].coef != 1.0, tv[0].target != right, tv[0].form != "right"))
        options[name] = column
    return options


def _name_loss(fn, args, names, name, signature):
    """Explain the gradient of the student's loss w.r.t. the logits as a sum of BCE terms; Fail naming the first
    departure from the right loss (returns when nothing fits)."""
    xs = [a.clone().requires_grad_(True) for a in args]
    out = _loss_call(fn, xs, name, signature)
    if not out.requires_grad:
        return
    out.reshape(()).backward()
    used = torch.cat([(torch.zeros_like(x) if x.grad is None else x.grad).reshape(-1) for x in xs])
    batches = [(n, a.detach(), 1 if n in ("real", "g") else 0) for n, a in zip(names, args)]
    exp = explain(used, _logit_options(batches))
    if exp is None:
        return
    words = dataclasses.replace(LOSS_WORDS, fn=name)
    found = mistakes.departures(exp, names, _LogitProbe(args[0].shape[0], args[-1]), words)
    if found:
        problem, hint = found[0]
        raise Fail(f"{name}: {problem}", hint)


def _across_the_range(fn, args, reference, name, signature, vary):
    """The loss and its gradient against the reference for one logit from −200 to 200 (the others as given)."""
    batch = ("the real batch's" if vary == 0 else "the fake batch's") if len(args) == 2 else "a"
    try:
        found = sweep(lambda *xs: _loss_call(fn, xs, name, signature), reference, args, vary)
    except Fail:
        return                          # _finite_at_extremes names the crash
    if found is None or found.kind in ("shape", "dtype", "finite") or found.got_grad is None:
        return                          # told by the other checks
    at = f"{found.at:g}"
    if abs(found.got_grad) < 1e-3 * abs(found.want_grad):
        raise Fail(f"for {batch} logit {at} {name}'s gradient is {found.got_grad + 0.0:.3g}, not "
                   f"{found.want_grad:.3g}"
                   + (f" (and its value {found.got:.4g}, not {found.want:.4g})" if found.kind == "value" else "")
                   + ": the loss is flat there (a clamp, or an epsilon inside the log), so where D is sure and "
                   "wrong the loss gives no gradient to learn from.", LOGIT_HINT)
    if found.kind == "value":
        raise Fail(f"for {batch} logit {at} {name} gives {found.got:.4g}, not {found.want:.4g}: the loss is right for "
                   "ordinary logits but not for large ones.", LOGIT_HINT)
    raise Fail(f"for {batch} logit {at} {name}'s gradient is {found.got_grad:.3g}, not {found.want_grad:.3g}: the "
               "loss is right for ordinary logits but not for large ones.", LOGIT_HINT)


@checker("step 3, d_loss(real_logits, fake_logits) and g_loss(fake_logits)")
def check_series_losses(d_loss, g_loss):
    sig = "d_loss(real_logits, fake_logits)"
    ratios = [float(_loss_call(d_loss, (r, f), "d_loss", sig).detach()) / float(_sp(-r) + _sp(f))
              for r, f in zip(REAL_LOGITS, FAKE_LOGITS)]
    factor = ratios[0]                     # an overall factor: the same on every batch, positive (1: none)
    if not (factor > 0 and all(abs(q - factor) <= 1e-4 * factor for q in ratios)):
        factor = 1.0
    elif abs(factor - 1) <= 1e-4:
        factor = 1.0
    for r, f in zip(REAL_LOGITS, FAKE_LOGITS):
        value = float(_loss_call(d_loss, (r, f), "d_loss", sig).detach())
        right = float(_sp(-r) + _sp(f))
        expect(value == value, "d_loss gives NaN on ordinary logits: it takes the log of D's outputs as if they "
               "were probabilities, but logits can be negative.", LOGIT_HINT)
        if abs(value - factor * right) <= 1e-4 * (1 + abs(right)):
            continue
        _match(value, _d_candidates(r, f), "d_loss")
        _name_loss(d_loss, (r, f), ("real", "fake"), "d_loss", sig)
        expect(False, f"on a batch of {r.shape[0]} logits it gives {value:.4f}; the right value is {right:.4f}.",
               LOGIT_HINT)
    _unequal_batches(d_loss, sig, factor)
    reference = (lambda r, f: (_sp(-r) + _sp(f)) * factor)
    _gradient_matches(d_loss, (REAL_LOGITS[0], FAKE_LOGITS[0]), reference, "d_loss", sig)
    _finite_at_extremes(d_loss, (torch.tensor([[-EXTREME], [EXTREME]]), torch.tensor([[EXTREME], [-EXTREME]])),
                        "d_loss", sig)
    for vary in (0, 1):
        _across_the_range(d_loss, (REAL_LOGITS[0], FAKE_LOGITS[0]), reference, "d_loss", sig, vary)

    sig = "g_loss(fake_logits)"
    for f in FAKE_LOGITS:
        value = float(_loss_call(g_loss, (f,), "g_loss", sig).detach())
        right = float(_sp(-f))
        expect(value == value, "g_loss gives NaN on ordinary logits: it takes the log of D's outputs as if they "
               "were probabilities, but logits can be negative.", LOGIT_HINT)
        if abs(value - right) <= 1e-4 * (1 + abs(right)):
            continue
        _match(value, _g_candidates(f), "g_loss")
        _name_loss(g_loss, (f,), ("g",), "g_loss", sig)
        expect(False, f"on a batch of {f.shape[0]} logits it gives {value:.4f}; the right value is {right:.4f}.",
               LOGIT_HINT)
    _gradient_matches(g_loss, (FAKE_LOGITS[0],), lambda f: _sp(-f), "g_loss", sig)
    s = torch.tensor([[REJECTED]], requires_grad=True)      # where D rejects a fake outright
    _loss_call(g_loss, (s,), "g_loss", sig).reshape(()).backward()
    expect(abs(float(s.grad) + float(torch.sigmoid(-s.detach()))) < 1e-3,
           f"where D rejects a fake (logit {REJECTED:g}) g_loss's gradient is {float(s.grad):.4f}, not "
           f"{-float(torch.sigmoid(torch.tensor(-REJECTED))):.4f}: the loss saturates there.", LOGIT_HINT)
    _finite_at_extremes(g_loss, (torch.tensor([[-EXTREME], [EXTREME]]),), "g_loss", sig)
    _across_the_range(g_loss, (FAKE_LOGITS[0],), lambda f: _sp(-f), "g_loss", sig, 0)
    scale = f" ({mistakes.scaled_note(factor, 'd_loss')})" if factor != 1.0 else ""
    return ("d_loss = BCE(real logits, 1) + BCE(fake logits, 0)" + scale + "; g_loss = BCE(fake logits, 1), the "
            "non-saturating loss; right values and gradients, finite for logits of ±200.")


# =========================================================================== 4. the training steps

def _small_pair():
    """A small fixed G (3-D noise -> 5) and D (5 -> logit), a scaled real batch and noise."""
    with _quiet_rng():
        torch.manual_seed(4321)
        G = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 5))
        D = nn.Sequential(nn.Linear(5, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
        data = samplers.Sequences(seed=41)(4000)
        mean, std = data.mean(0), data.std(0)
        real = (samplers.Sequences(seed=43)(32) - mean) / std
        z = torch.randn(32, 3, generator=torch.Generator().manual_seed(42))
    return G, D, real, z


WORDS = mistakes.Words(
    fn="d_step", d_loss="d_loss(D(real), D(G(z).detach()))", g_loss="g_loss(D(G(z)))", samples="series",
    real_term="BCE(D(real), 1)", fake_term="BCE(D(fake), 0)",
    double_hint=("D returns logits: give them to your d_loss and g_loss as they are (binary_cross_entropy_with_logits "
                 "applies the sigmoid itself), no torch.sigmoid."),
    use_loss=" (your d_loss from step 3 has both: d_loss(D(real), D(G(z).detach())))")
G_WORDS = dataclasses.replace(WORDS, fn="g_step")


def _probe():
    G, D, real, z = _small_pair()
    return Probe(G, D, real, z, logits=True)


def _check_d_step(d_step):
    probe = _probe()
    trace = run_step(d_step, {"G": probe.G, "D": probe.D}, (probe.real, probe.z), lr=LR,
                     stale={"G": SEED_GRAD, "D": SEED_GRAD}, what="d_step")
    if trace.error is not None:
        raise mistakes.crash(trace.error, WORDS, "d_opt")
    mistakes.frozen(trace, "G", WORDS)
    mistakes.frozen(trace, "D", WORDS)
    expect(not trace.moved("G"),
           "G's parameters changed during d_step: only D may be trained here (G is held fixed).",
           "Step D's optimizer only: d_opt.step(), not g_opt.step().")
    expect(not trace.reached("G"), "the fake batch was not detached: D's loss sent gradients into G, so D's labels "
           "('fake') would train G too.", "Give D `G(z).detach()` (or make the fake batch under torch.no_grad()).")
    exp = mistakes.d_update(trace, probe, WORDS)
    expect(len(trace.of("step", "d_opt")) == 1,
           f"d_opt.step() ran {len(trace.of('step', 'd_opt'))} times: D took more than one step.",
           "One d_opt.step() per call of d_step.")
    how = mistakes.returned(trace.out, probe.d_loss_value(), "d_step", scales=(exp.scale,))
    G, D, real, z = _small_pair()
    half = Probe(G, D, real[:len(real) // 2], z, logits=True)
    trace = run_step(d_step, {"G": half.G, "D": half.D}, (half.real, half.z), lr=LR,
                     stale={"G": SEED_GRAD, "D": SEED_GRAD}, what="d_step")
    if trace.error is not None:
        raise mistakes.unequal_crash(trace.error, WORDS, len(half.real), len(half.z))
    mistakes.unequal_d_update(trace, half, WORDS)
    return exp.scale, how


def _check_g_step(g_step):
    probe = _probe()
    trace = run_step(g_step, {"G": probe.G, "D": probe.D}, (probe.z,), lr=LR, stale={"G": SEED_GRAD}, what="g_step")
    if trace.error is not None:
        raise mistakes.crash(trace.error, G_WORDS, "g_opt")
    mistakes.frozen(trace, "D", G_WORDS)
    mistakes.frozen(trace, "G", G_WORDS)
    g_moved, d_moved = trace.moved("G"), trace.moved("D")
    expect(not (d_moved and not g_moved), "D's parameters changed and G's did not: g_step stepped the wrong "
           "optimizer.", "Call g_opt.step() (G's optimizer), not d_opt.step().")
    expect(not d_moved, "D's parameters changed during g_step: D must be held fixed while G trains.",
           "Step only g_opt; the gradients that reach D here are not meant to train it.")
    mistakes.g_update(trace, probe, G_WORDS)
    expect(len(trace.of("step", "g_opt")) == 1,
           f"g_opt.step() ran {len(trace.of('step', 'g_opt'))} times: G took more than one step.",
           "One g_opt.step() per call of g_step.")
    return mistakes.returned(trace.out, probe.g_loss_value(), "g_step", scales=(1.0,))


def _short_run(d_step, g_step):
    """The checker's own small GAN trained with the student's steps: validity before and after."""
    with _quiet_rng():
        torch.manual_seed(7)
        G = nn.Sequential(nn.Linear(3, 32), nn.SiLU(), nn.Linear(32, 32), nn.SiLU(), nn.Linear(32, 5))
        D = nn.Sequential(nn.Linear(5, 32), nn.LeakyReLU(0.2), nn.Linear(32, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
        g_opt = torch.optim.Adam(G.parameters(), lr=3e-3, betas=(0.5, 0.999))
        d_opt = torch.optim.Adam(D.parameters(), lr=3e-3, betas=(0.5, 0.999))
        data = samplers.Sequences(seed=51)(4000)
        mean, std = data.mean(0), data.std(0)
        real = samplers.Sequences(seed=52)
        gen = torch.Generator().manual_seed(53)
        fixed = 2 * torch.rand(2000, 3, generator=torch.Generator().manual_seed(54)) - 1
        noise = lambda n: 2 * torch.rand(n, 3, generator=gen) - 1   # noqa: E731

        def valid():
            with torch.no_grad():
                return validity(G(fixed) * std + mean, tol=RUN_TOL)

        before = valid()
        for _ in range(RUN_STEPS):
            for _ in range(2):
                call(d_step, G, D, g_opt, d_opt, (real(128) - mean) / std, noise(128), what="d_step")
            call(g_step, G, D, g_opt, d_opt, noise(128), what="g_step")
        after = valid()
    return before, after


@checker("step 4, d_step(G, D, g_opt, d_opt, real, z) and g_step(G, D, g_opt, d_opt, z)")
def check_series_steps(d_step, g_step):
    factor, d_how = _check_d_step(d_step)
    g_how = _check_g_step(g_step)
    before, after = _short_run(d_step, g_step)
    expect(after >= 0.3 and after > before + 0.2,
           f"each step is right on its own, yet {RUN_STEPS} rounds of the checker's small GAN with them did not raise "
           f"the share of valid series (steps 1 ± {RUN_TOL:g}) clearly above the untrained generator's.",
           "Look for something that changes between calls: state kept outside the functions, a network left in "
           "eval mode, or a learning rate changed inside.")
    scale = f" ({mistakes.scaled_note(factor, 'd_loss')})" if abs(factor - 1) > 1e-6 else ""
    return ("d_step: real → 1, detached fake → 0 (batches of equal or different sizes), zeroed gradients, only D "
            "stepped" + scale + f", {d_how}; g_step: "
            f"non-saturating loss, zeroed gradients, only G stepped, {g_how}; "
            f"{RUN_STEPS} rounds with them turn an untrained generator into one whose series mostly count up by one.")


# =========================================================================== 5. the trained result

RESULT_N = 20_000         # series drawn from the student's generator
RESULT_SEED = 2024        # the seed the noise is drawn under
# The targets: the notebook's guided recipe, trained with seeds 0-11 and judged on these 20 000
# series, reached validity 99.4-100 % and joint coverage 0.932-0.951 (real series: 100 % and 0.973);
# seeds 0-7, which the notebook quotes: 99.9-100 % and 0.932-0.951.
VALIDITY_TARGET = 0.98
JOINT_TARGET = 0.90
# The open challenge asks for more precision than the guided recipe gives: steps 1 ± 0.05 on at least
# 99 % of the series (the guided recipe's seed 0 reaches 97.5 %), with the same joint coverage.
OPEN_TOL = 0.05
OPEN_VALIDITY_TARGET = 0.99


def _pct(share):
    return f"{100 * share:.0f} %"


def _count(n):
    return f"{n:,}".replace(",", " ")                   # 20 000


def _draw(G, noise, unscale):
    """(z, G(z), series): ``RESULT_N`` series ``unscale(G(noise(RESULT_N)))`` in the data's units, as a float64
    tensor ``(RESULT_N, 5)``, made by a copy of G from noise drawn under a fixed seed."""
    try:
        G = copy.deepcopy(G)                    # batch statistics and the like stay the student's own
    except Exception:  # noqa: BLE001 — a generator that cannot be copied is used as it is
        pass
    training = G.training if isinstance(G, nn.Module) else None
    if training is not None:
        G.eval()                                # judged as it is used: dropout off, batch norm's running statistics
    try:
        return _draw_series(G, noise, unscale)
    finally:
        if training is not None:
            G.train(training)                   # only matters when G could not be copied


def _draw_series(G, noise, unscale):
    with _quiet_rng(), torch.no_grad():
        torch.manual_seed(RESULT_SEED)
        z = call(noise, RESULT_N, what=f"noise({RESULT_N})")
        expect(isinstance(z, torch.Tensor), f"noise({RESULT_N}) returned a {type(z).__name__}, not a tensor.",
               "noise(n) should return a batch of n noise rows for your generator, e.g. torch.randn(n, 3).")
        expect(z.ndim >= 1 and z.shape[0] == RESULT_N,
               f"noise({RESULT_N}) returned a tensor of shape {shape_text(z)}; it should hold {RESULT_N} rows, one per "
               "series.", "Make noise(n) return n rows: torch.randn(n, noise_dim).")
        out = call(G, z, what=f"your generator on noise of shape {shape_text(z)}")
        expect(isinstance(out, torch.Tensor), f"your generator returned a {type(out).__name__}, not a tensor.",
               "Pass the generator itself (the nn.Module), which turns a noise batch into a batch of series.")
        x = call(unscale, out, what=f"unscale on G's output of shape {shape_text(out)}")
    try:
        x = torch.as_tensor(x.detach() if isinstance(x, torch.Tensor) else x, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        raise Fail(f"unscale returned a {type(x).__name__}, not a tensor of numbers.",
                   "unscale(y) should return the series in the data's own units, a tensor of shape (n, 5).") from None
    expect(tuple(x.shape) == (RESULT_N, 5),
           f"unscale(G(noise({RESULT_N}))) has shape {shape_text(x)}; the measures need one series of five numbers a "
           f"row, ({RESULT_N}, 5).", "G should end with 5 outputs, and unscale keep the shape of its input.")
    return z, out, x


def _validity_problem(x, valid, out, tol):
    """What low validity most likely means, from the steps the series take: (problem, hint)."""
    s = steps(x.numpy())
    finite = s[~(s != s).any(axis=1)]
    if finite.shape[0] < 0.5 * x.shape[0]:
        return ("most series hold NaN or infinite numbers.",
                "Look for a division by zero in unscale, or a training run that diverged (losses of nan).")
    median = float(torch.as_tensor(finite).median())
    rough = float((abs(finite - 1) <= 0.5).all(axis=1).mean())
    c = x[:, 2].numpy()
    together = finite[:, 0].std() < 0.2 * c[c == c].std()      # c, c+1, c+2 move as one
    if abs(median) < 0.2 and together:
        return (f"the last three numbers of a series are nearly equal (median step x₃ − x₂ = {median:.2f}, not 1). "
                "That is what scaled series look like: in z-scores c, c+1 and c+2 are the same number.",
                "Pass the unscale made from the data your GAN was trained on, and check unscale(scale(x)) == x "
                "(step 1's checker).")
    if rough < 0.5:
        squeezed = bool(out.abs().max() <= 1.0)
        return (f"the series do not count up by one, not even roughly: the median step x₃ − x₂ is {median:.2f}, "
                f"and only {_pct(rough)} of the series have both steps within 0.5 of 1."
                + (" G's outputs all lie in [−1, 1], as after a tanh." if squeezed else ""),
                "Check that unscale undoes the scaling your D saw (step 1's checker), that G ends in a plain "
                "nn.Linear (no tanh or sigmoid squeezing the scaled values), and that training learned the rule at "
                "all: watch validity during training, and run your training steps through their checkers.")
    return (f"the series count up by roughly one ({_pct(rough)} of them within 0.5), but only {100 * valid:.1f} % "
            f"within the tolerance of {tol:g}: a matter of precision.",
            "Let the learning rate shrink towards the end of training, train for more rounds, or give D more room "
            "(more units, two D steps a round) to notice errors of a few hundredths.")


def _coverage_problem(x, z, low, high):
    """What low joint coverage most likely means: a narrow or collapsed variable, or variables tied together."""
    each = coverage(x.numpy(), low, high, per_variable=True)
    worst = min(each, key=each.get)
    abc = x[:, :3]
    inside = (torch.isfinite(abc) & (abc >= low) & (abc < high)).all(dim=1)
    outside = 1 - float(inside.double().mean())
    if outside > 0.25:
        lo, hi = (float(v) for v in torch.nan_to_num(abc).quantile(torch.tensor([0.01, 0.99], dtype=abc.dtype)))
        return (f"{_pct(outside)} of the series have a, b or c outside [{low:g}, {high:g}) (the middle 98 % of their "
                f"values spans [{lo:.2f}, {hi:.2f}]), and those earn nothing.",
                "Check that unscale undoes your scaling with the statistics of the real data, and that the noise you "
                "pass is the kind G was trained on.")
    if each[worst] < 0.8:
        spread = float(abc[:, VARIABLES.index(worst)].std())
        collapsed = spread < 0.1 * (high - low) / 12 ** 0.5
        return ((f"{worst} fills only {each[worst]:.2f} of its range (a uniform fills about 0.99; its standard "
                 f"deviation is {spread:.3f}, a uniform's {(high - low) / 12 ** 0.5:.2f}): "
                 + ("G writes nearly the same series whatever the noise, a mode collapse."
                    if collapsed else "G writes series from only part of the range, a partial mode collapse.")),
                "Mode collapse: G found a few series D accepts and stays there. Try a shrinking learning rate, "
                "two D steps a round, noise with as many numbers as the series has free ones (3), or a fresh seed.")
    corr = torch.corrcoef(abc[inside].T.float()) if int(inside.sum()) > 2 else torch.zeros(3, 3)
    tied = [f"{VARIABLES[i]} and {VARIABLES[j]} {float(corr[i, j]):.2f}" for i in range(3) for j in range(i + 1, 3)
            if abs(float(corr[i, j])) > 0.2]
    few = z.ndim == 2 and z.shape[1] < 3
    filled = f"a, b and c each fill their range (coverage {min(each.values()):.2f} or more), but"
    if tied or few:
        return ((f"{filled} not together: the points (a, b, c) leave much of the cube [{low:g}, {high:g})³ empty"
                 + (f" (correlations: {', '.join(tied)}; 0 for real series)" if tied else "")
                 + ". G ties the variables to one another, a partial mode collapse."),
                (f"Your noise has {z.shape[1]} number{'s' if z.shape[1] != 1 else ''} a row: G can then write only a "
                 f"{z.shape[1]}-dimensional family of series, and a, b, c need 3. Use noise with at least 3 numbers."
                 if few else "Train longer with a shrinking learning rate, or give D more room to notice the missing "
                 "combinations; plot a against c for your series and for real ones to see which are missing."))
    spill = f"; {_pct(outside)} of the series fall outside the range and earn nothing" if outside > 0.02 else ""
    return (f"{filled} the points (a, b, c) fill the cube [{low:g}, {high:g})³ unevenly: some of its "
            f"{JOINT_BINS ** 3} cells get too many series, others too few{spill}.",
            "Plot a against c, and a against b, for your series and for real ones to see where they pile up. Training "
            "longer with a shrinking learning rate, or a D with more room, usually evens them out.")


@checker("the open challenge, your trained generator")
def check_series_result(G, noise, unscale, tol=TOL, validity_target=VALIDITY_TARGET, low=0.0, high=10.0):
    """Judge a trained generator however it was built: validity and joint coverage of its series.

    ``G``: the generator (an nn.Module or any function), noise batch -> batch of outputs;
    ``noise(n)``: a noise batch of n rows for G; ``unscale(y)``: G's outputs -> series ``(n, 5)`` in
    the data's units. ``RESULT_N`` series are drawn with noise made under ``RESULT_SEED`` (the
    caller's random state is left alone; G is copied first and the copy put in eval mode, so
    dropout is off and batch norm uses its running statistics). Passes when validity (steps
    1 ± ``tol``, in the data's units) is at least ``validity_target`` (a share, 0 to 1) and the joint
    coverage of (a, b, c) on ``[low, high)³`` at least ``JOINT_TARGET``; otherwise says which fell short
    and the usual cause. The guided recipe is judged with the defaults (tol 0.1, 98 %), the open
    challenge with ``tol=OPEN_TOL, validity_target=OPEN_VALIDITY_TARGET`` (0.05, 99 %).
    """
    tol = check_number("tol", tol, low=0, low_open=True)
    validity_target = check_number("validity_target", validity_target, low=0, high=1)
    z, out, x = _draw(G, noise, unscale)
    valid, joint = validity(x.numpy(), tol), joint_coverage(x.numpy(), low, high)
    figures = (f"on {_count(RESULT_N)} series from your generator, validity (steps 1 ± {tol:g}) {100 * valid:.1f} % "
               f"(target {100 * validity_target:g} %) and joint coverage {joint:.3f} (target {JOINT_TARGET:.2f})")
    short_v, short_j = valid < validity_target, joint < JOINT_TARGET
    if short_v and short_j:
        pv, hv = _validity_problem(x, valid, out, tol)
        pj, hj = _coverage_problem(x, z, low, high)
        raise Fail(f"{figures}: both fall short. Validity: {pv} Joint coverage: {pj}", f"{hv} {hj}")
    if short_v:
        problem, hint = _validity_problem(x, valid, out, tol)
        raise Fail(f"{figures}: validity falls short; {problem}", hint)
    if short_j:
        problem, hint = _coverage_problem(x, z, low, high)
        raise Fail(f"{figures}: joint coverage falls short; {problem}", hint)
    return (f"{figures}; both reached (real series score 100 % and about 0.97). Coverage of each variable alone: "
            f"{coverage(x.numpy(), low, high):.3f} (the worst of a, b, c).")
