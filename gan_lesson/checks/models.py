"""Checkers for notebook 03 (models): build a generator, build a discriminator.

``check_make_generator``: ``make_generator(noise_dim)`` returns a generator of points in the box
[-1, 1]²: noise ``(n, noise_dim)`` → points ``(n, 2)``, every coordinate between -1 and 1
whatever the weights (a tanh-like output, not a clamp). The rules it enforces, all stated in
notebook 03's task: the first layer takes ``noise_dim`` inputs; at least one hidden layer, each
followed by an activation; the output reaches both sides of the box and within 0.01 of ±1 (a
sigmoid, 0.9·tanh or a tanh applied twice is refused); moderate outputs of the last layer (±3)
stay strictly inside (a clamp is refused). In float32 a tanh does reach exactly ±1 once its input
passes about 9, so only moderate outputs are tested. The function (or a class) is called for two
noise widths. ``check_make_discriminator``: ``make_discriminator()`` (or a model class, or a
model) returns D for 2-D samples: ``(n, 2)`` → P(real) ``(n, 1)``, one sigmoid after the last
layer, so that its outputs reach from near 0 ("surely fake") to near 1 ("surely real").

Both read the models through ``probe`` without trusting their random initial weights: the curve
of what comes after the last ``nn.Linear`` (named: nothing, ReLU, sigmoid, a sigmoid applied
twice, …), whether an activation acts between each pair of linear layers, and the layer a crash
happened in; they end by comparing the model's behaviour with the notebook's solution. When the
model has no ``nn.Linear`` (or something else follows the last one), the checkers fall back on
what the outputs do for very large inputs. Every probe works on a deep copy in ``eval`` mode, so
the student's own models are never changed.
"""
import copy

import torch
from torch import nn

from .core import Fail, NotAttempted, call, checker, expect
from .probe import (CURVE_INPUTS, compare, explain_crash, forward, linear_gap_failure, linears, name_curve,
                    output_curve, output_range, shape_text, stacked)

__all__ = ["check_make_generator", "check_make_discriminator", "explain_crash", "output_range", "shape_text"]

BATCH = 64                          # rows of the probing batches (appears in messages)


def _model(make, what, built=False):
    """The model: ``make`` itself if it is a module (or ``built``), else what calling it returns."""
    if isinstance(make, nn.Module) or built:
        model = make
    else:
        if not callable(make):
            raise Fail(f"{what} should be a function that returns a model, but it is a {type(make).__name__}.",
                       "Pass the function itself, without parentheses, after running the cell that defines it.")
        try:
            model = call(make, what=f"{what}()", diagnose=False)
        except NotImplementedError:
            raise NotAttempted() from None
        except Exception as exc:
            raise Fail(f"calling {what}() raised {type(exc).__name__}: {exc}",
                       "Read the error message; build the model in a cell of its own and print it.") from None
        if model is Ellipsis:
            raise NotAttempted()
    expect(model is not None, f"{what}() returned None.",
           "End the function with `return` followed by the model you built.")
    expect(isinstance(model, nn.Module),
           f"{what}() returned a {type(model).__name__}, not a torch.nn.Module.",
           "Build the model from nn.Linear layers, in nn.Sequential(...) or in a class that subclasses "
           "nn.Module, so that its weights are parameters an optimizer can train.")
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    expect(n_params > 0, "the model has no trainable parameters, so training could never change it.",
           "Create the layers in __init__ as attributes (self.map1 = nn.Linear(...)) or inside nn.Sequential; "
           "layers kept in a plain Python list are not registered (use nn.ModuleList).")
    try:
        probe = copy.deepcopy(model)
    except Exception as exc:
        raise Fail(f"the model could not be copied for testing ({type(exc).__name__}: {exc}).",
                   "Keep only layers and tensors as attributes of the model.") from None
    probe.eval()                    # dropout off: a deterministic map to probe
    return model, probe, n_params


def _linears(model):
    return linears(model)


_forward = forward


def _batches(width, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(BATCH, width, generator=gen)


def _large_input_range(probe, width):
    """Outputs for inputs up to 1000 in size (the probe when the model has no plain last nn.Linear)."""
    x = torch.cat([_batches(width, seed=s) * scale for s, scale in enumerate((1.0, 10.0, 100.0, 1000.0))])
    return _forward(probe, x)


def reference_generator(noise_dim):
    """Notebook 03's solution: noise (n, noise_dim) → points (n, 2) in [-1, 1]²."""
    return nn.Sequential(nn.Linear(noise_dim, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2), nn.Tanh())


def reference_discriminator():
    """Notebook 03's solution: samples (n, 2) → P(real) (n, 1)."""
    return nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16), nn.LeakyReLU(0.2),
                         nn.Linear(16, 1), nn.Sigmoid())


def _against_reference(probe, build, x, who):
    """The last safety net: the first way the model behaves unlike the notebook's solution (``build()``), as a
    Fail. The solution is built under a fixed seed, leaving the notebook's random state alone."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        reference = build().eval()
    difference = compare(probe, reference, x, who)
    if difference is not None:
        raise difference.fail()


def _named(curve):
    """" (<the activation's name> after the last layer)" when the probe recognises it, else ""."""
    name = name_curve(curve)
    return f" ({name} after the last nn.Linear)" if name else ""


# ---------------------------------------------------------------- the generator exercise

G_NOISE = (3, 8)                    # the noise widths the generator check builds
G_OUT = 2                           # points of the plane: two numbers a sample


def _generator(make, noise_dim):
    """The model ``make(noise_dim)`` returns (``make`` may be a function or a class)."""
    if isinstance(make, nn.Module):
        raise Fail("you passed a model; pass the function make_generator itself, which builds a generator for "
                   "any noise width (the check builds several).",
                   "Write check_make_generator(make_generator), without parentheses after make_generator.")
    if not callable(make):
        raise Fail(f"make_generator should be a function that returns a model, but it is a {type(make).__name__}.",
                   "Pass the function itself, without parentheses, after running the cell that defines it.")
    try:
        model = call(make, noise_dim, what=f"make_generator({noise_dim})", diagnose=False)
    except NotImplementedError:
        raise NotAttempted() from None
    except TypeError as exc:
        if "positional argument" in str(exc):
            raise Fail(f"make_generator({noise_dim}) raised TypeError: {exc}",
                       "make_generator takes one argument, the noise width: def make_generator(noise_dim):") from None
        raise Fail(f"calling make_generator({noise_dim}) raised TypeError: {exc}",
                   "Read the error message; build the model in a cell of its own and print it.") from None
    except Exception as exc:
        raise Fail(f"calling make_generator({noise_dim}) raised {type(exc).__name__}: {exc}",
                   "Read the error message; build the model in a cell of its own and print it.") from None
    if model is Ellipsis:
        raise NotAttempted()
    return _model(model, f"make_generator({noise_dim})", built=True)


@checker("your generator of points in the box [-1, 1]²")
def check_make_generator(make_generator):
    """Check ``make_generator(noise_dim)`` → nn.Module: noise (n, noise_dim) → points (n, 2) in [-1, 1]²."""
    built = {}
    for k in G_NOISE:
        model, probe, n_params = _generator(make_generator, k)
        layers = _linears(model)
        if layers and layers[0].in_features != k:
            first = layers[0]
            raise Fail(f"make_generator({k}) starts with nn.Linear({first.in_features}, {first.out_features}), which "
                       f"reads {first.in_features} number{'s' if first.in_features != 1 else ''} a row, but noise of "
                       f"width noise_dim = {k} has {k}.",
                       "Use the argument as the first layer's in_features: nn.Linear(noise_dim, ...).")
        built[k] = (model, probe, n_params, _forward(probe, _batches(k)))
    (model, probe, n_params, out), k = built[G_NOISE[0]], G_NOISE[0]

    # shape: one point per noise vector, two numbers each
    z = _batches(k)
    expect(out.ndim != 2 or out.shape[0] == BATCH,
           f"a noise batch of shape {shape_text(z)} gave shape {shape_text(out)}: it should give one point per noise "
           f"vector, {BATCH} rows.", "Do not sum, average or reshape across the batch (dimension 0).")
    expect(out.ndim == 2,
           f"a noise batch of shape {shape_text(z)} gave an output of shape {shape_text(out)}; a batch of points has "
           f"shape ({BATCH}, {G_OUT}), one row of {G_OUT} numbers a point.",
           "Remove any .squeeze(), .flatten() or .view(-1) at the end of forward.")
    if out.shape[1] != G_OUT:
        extra = " (one number a sample, like the classic generator)" if out.shape[1] == 1 else ""
        raise Fail(f"a noise batch of shape {shape_text(z)} gave shape {shape_text(out)}{extra}; a point of the plane has "
                   f"{G_OUT} coordinates, so the shape must be ({BATCH}, {G_OUT}).",
                   f"End with nn.Linear(hidden, {G_OUT}) (then the output activation).")
    expect(out.dtype.is_floating_point, f"the output has dtype {out.dtype}, not a floating-point type.",
           "Let the output through as floats (no rounding, no .long()).")
    expect(bool(torch.isfinite(out).all()), "the output holds NaN or infinite values.",
           "Look for a division or a log in forward; a stack of layers and activations gives finite numbers.")
    for n in (1, 7):
        other = _forward(probe, _batches(k, seed=n)[:n])
        expect(tuple(other.shape) == (n, G_OUT),
               f"a batch of {n} noise vector{'s' if n > 1 else ''} gave shape {shape_text(other)}, not ({n}, {G_OUT}).",
               "Nothing in forward should depend on the batch size: apply the layers to the whole batch.")
    moved = _forward(probe, _batches(k, seed=11) * 3)
    expect(float((moved - moved[:1]).abs().max()) > 1e-6,
           "it gives the same point for every noise vector, so it could never make a spread of points.",
           "Check that forward uses its input z, and that it returns the result of the layers.")

    # the box, whatever the weights: what comes after the last linear layer
    hint = ("Shape rule 1: the output activation must suit the data. torch.tanh (or nn.Tanh()) after the last "
            "nn.Linear maps every number into (-1, 1), whatever the weights.")
    curve = output_curve(probe, z)
    probed = curve is not None
    if probed:
        lo, hi = float(curve.min()), float(curve.max())
        named = _named(curve)
        moderate = curve[[CURVE_INPUTS.index(-3.0), CURVE_INPUTS.index(3.0)]]
        if lo < -1 - 1e-6 or hi > 1 + 1e-6:
            if lo >= 0:
                problem = (f"its coordinates can never be negative and can exceed 1 (up to {hi:.3g} when the last "
                           f"layer says 100){named}: a ReLU at the end leaves the box on one side and half of it "
                           "empty.")
            else:
                problem = (f"when the last layer's output grows (as training can make it), its points leave the box: "
                           f"coordinates from {lo:.3g} to {hi:.3g}{named}. Nothing after the last nn.Linear keeps "
                           "them between -1 and 1.")
            raise Fail(problem, hint)
        if lo >= 0:
            raise Fail(f"its coordinates stay between {lo:.3g} and {hi:.3g}{named or ' (a sigmoid at the end?)'}: "
                       "the left and the lower half of the box can never be reached.",
                       hint + " (2 * torch.sigmoid(y) - 1 works too.)")
        if hi <= 0:
            raise Fail(f"its coordinates stay between {lo:.3g} and {hi:.3g}{named}: the right and the upper half of "
                       "the box can never be reached.", hint)
        if lo > -0.99 or hi < 0.99:
            twice = " (an activation applied twice squashes twice)" if stacked(name_curve(curve)) else ""
            raise Fail(f"its coordinates only reach from {lo:.3g} to {hi:.3g}{named}, never the edges of the box: "
                       f"the output is squashed too far{twice}.",
                       "Use one torch.tanh(y) itself after the last layer, not a multiple of it, nor one activation "
                       "on top of another.")
        if float(moderate.abs().max()) >= 1 - 1e-6:
            raise Fail(f"its coordinates reach exactly -1 or 1 for moderate outputs of the last layer{named}: a clamp "
                       "(torch.clamp, nn.Hardtanh) cuts them off. Where it cuts, its slope is 0, so a point stuck "
                       "on the edge gives G no gradient to bring it back.", hint)
        if stacked(name_curve(curve)):
            raise Fail(f"after the last nn.Linear come two activations{named}: the output is squashed twice, "
                       "which bends the tanh's curve out of shape (a leaky ReLU first makes negative coordinates far "
                       "harder to reach than positive ones).",
                       "Apply exactly one torch.tanh (nn.Tanh()) to the last nn.Linear's output, and nothing else.")
    else:                           # no plain last nn.Linear: look at very large inputs instead
        big = _large_input_range(probe, k)
        lo, hi = float(big.min()), float(big.max())
        expect(lo >= -1 - 1e-6 and hi <= 1 + 1e-6,
               f"for large noise its coordinates go from {lo:.3g} to {hi:.3g}, outside the box [-1, 1]².", hint)

    # training must be able to change it
    grad_probe = copy.deepcopy(probe)
    with torch.enable_grad():
        try:
            y = call(grad_probe, _batches(k), what="your model", diagnose=False)
        except Exception as exc:
            raise explain_crash(grad_probe, _batches(k), exc) from None
    expect(isinstance(y, torch.Tensor) and y.requires_grad,
           "its output carries no gradient (a .detach(), .item() or torch.no_grad() in forward?), so training "
           "could never change the generator.", "Return the result of the layers as it is.")
    missing = linear_gap_failure(probe, z, "the generator")
    if missing is not None:
        raise missing
    layers = _linears(model)
    expect(len(layers) != 1,
           "it has a single linear layer: a squashed linear map of the noise, which can only stretch the noise "
           "cloud, never bend it.",
           "Put at least one hidden layer, with an activation such as ReLU, before the output layer.")
    _against_reference(probe, lambda: reference_generator(k), z, "the generator")
    edges = ("however large the last layer's output and comes close to ±1 on both sides; no clamp at ±1 for "
             "moderate outputs" if probed else "even for very large noise")
    return (f"noise ({BATCH}, {G_NOISE[0]}) and ({BATCH}, {G_NOISE[1]}) → points ({BATCH}, {G_OUT}); every "
            f"coordinate stays in [-1, 1] {edges}; {built[G_NOISE[0]][2]} parameters for noise_dim={G_NOISE[0]}.")


# ---------------------------------------------------------------- the discriminator exercise

@checker("your discriminator for 2-D samples")
def check_make_discriminator(make_discriminator):
    """Check a function returning an nn.Module: samples (n, 2) -> P(real) (n, 1), one verdict a sample."""
    model, probe, n_params = _model(make_discriminator, "make_discriminator")
    x = _batches(2, seed=3) * 2
    out = _forward(probe, x)

    if tuple(out.shape) != (BATCH, 1):
        hint = "D returns one number a sample, P(real): finish with nn.Linear(..., 1) and a sigmoid, shape (n, 1)."
        if tuple(out.shape) == (BATCH,):
            raise Fail(f"a batch of shape {shape_text(x)} gave shape {shape_text(out)}: the verdicts were flattened; the "
                       f"losses compare them with labels of shape ({BATCH}, 1).",
                       "Remove the .squeeze(), .flatten() or .view(-1) at the end of forward.")
        if tuple(out.shape) == (BATCH, 2):
            raise Fail(f"a batch of shape {shape_text(x)} gave shape {shape_text(out)}: two numbers a sample, like a "
                       "two-class classifier; a discriminator gives one, the probability of \"real\".", hint)
        if out.ndim >= 1 and out.shape[0] != BATCH:
            raise Fail(f"a batch of shape {shape_text(x)} gave shape {shape_text(out)}: here D must judge each sample on "
                       f"its own, {BATCH} verdicts in ({BATCH}, 1).",
                       "Do not average or sum over the batch (dimension 0).")
        raise Fail(f"a batch of shape {shape_text(x)} gave shape {shape_text(out)}, not ({BATCH}, 1).", hint)
    expect(out.dtype.is_floating_point, f"the output has dtype {out.dtype}, not a floating-point type.",
           "Return the sigmoid of the last layer's output unchanged.")
    expect(bool(torch.isfinite(out).all()), "the output holds NaN or infinite values.",
           "Look for a division or a log in forward; torch.sigmoid never gives NaN.")

    # probabilities, whatever the input, from "surely fake" to "surely real"
    curve = output_curve(probe, x)
    if curve is not None:
        lo, hi = float(curve.min()), float(curve.max())
    else:
        big = _large_input_range(probe, 2)
        lo, hi = float(big.min()), float(big.max())
    named = _named(curve)
    hint = ("Finish forward with torch.sigmoid(...) (or put nn.Sigmoid() last), so that every output is a "
            "probability in (0, 1).")
    if lo < 0 or hi > 1:
        if lo >= -1 and hi <= 1:
            what = (": a tanh on the output instead of a sigmoid" if not named or "a tanh after" in named
                    else named)
            raise Fail(f"its outputs can be negative (between -1 and 1){what}, so they are not probabilities.", hint)
        if lo >= 0:
            what = named or ": a ReLU or softplus at the end?"
            raise Fail(f"its outputs can be larger than 1 (never negative{what}), so they are not probabilities.", hint)
        raise Fail(f"its outputs go below 0 and above 1{named}, so they are not probabilities: the sigmoid at the end "
                   "is missing (the model returns a raw score, a logit).",
                   hint + " (Modern code returns the logit and lets nn.BCEWithLogitsLoss apply the sigmoid; "
                   "this exercise asks for P(real) itself.)")
    if curve is not None and (lo > 0.01 or hi < 0.99) and hi - lo > 1e-6:
        if lo >= 0.5 - 1e-6:
            problem = (f"its outputs stay between {lo:.3g} and {hi:.3g} whatever the last layer says{named}, so D can "
                       "never say \"fake\" (a probability below 0.5).")
            if "twice" in named:
                problem += " A sigmoid of a probability is at least sigmoid(0) = 0.5."
            elif "ReLU" in named:
                problem += " A ReLU before the sigmoid turns every negative score into 0, and sigmoid(0) = 0.5."
            raise Fail(problem, "Apply exactly one sigmoid, directly to the last nn.Linear's output.")
        if hi <= 0.5 + 1e-6:
            raise Fail(f"its outputs stay between {lo:.3g} and {hi:.3g} whatever the last layer says{named}, so D can "
                       "never say \"real\" (a probability above 0.5).",
                       "Apply exactly one sigmoid, directly to the last nn.Linear's output.")
        raise Fail(f"its outputs only reach from {lo:.3g} to {hi:.3g} whatever the last layer says{named}, never close "
                   "to 0 or 1, so D can never be sure a sample is fake or real.",
                   "Apply exactly one sigmoid, directly to the last nn.Linear's output, and nothing after it.")
    if curve is not None and hi - lo > 1e-6:
        moderate = curve[[CURVE_INPUTS.index(-3.0), CURVE_INPUTS.index(3.0)]]
        if float(moderate[0]) <= 1e-6 or float(moderate[1]) >= 1 - 1e-6:
            raise Fail(f"its outputs reach exactly 0 or 1 for moderate outputs of the last layer{named}: the curve is "
                       "cut flat there, so its slope is 0 and a sample judged wrongly with certainty gives D no "
                       "gradient (and log(0) in the loss).", hint)
    name = name_curve(curve)
    if name is not None and name != "a sigmoid" and hi - lo > 1e-6:
        raise Fail(f"after its last nn.Linear comes {name}, not a sigmoid alone: its outputs are probabilities, but "
                   "not sigmoid(score) of the last layer's score; the extra activation bends the scale on which D "
                   "says how sure it is (a leaky ReLU first makes \"fake\" five or a hundred times harder to say "
                   "than \"real\").",
                   "Apply exactly one sigmoid, directly to the last nn.Linear's output, and nothing after it.")
    missing = linear_gap_failure(probe, x, "the discriminator", activation="nn.LeakyReLU(0.2)")
    if missing is not None:
        raise missing

    # one verdict per sample, computed from that sample alone
    small = _forward(probe, x[:5])
    if abs(float(out.sum()) - 1) < 1e-4 and abs(float(small.sum()) - 1) < 1e-4:
        raise Fail("its outputs add up to 1 over the batch: a softmax across the batch (dim=0) makes the "
                   "samples compete, so one sample's verdict depends on the others.",
                   "Use torch.sigmoid on the last layer's output: it judges each sample on its own.")
    spread = torch.cat([x, _batches(2, seed=4) * 5])
    outs = _forward(probe, spread)
    if float(outs.max() - outs.min()) < 1e-6:
        if abs(float(outs.mean()) - 1) < 1e-6:
            raise Fail("it says 1.0 to every input: a softmax over a single output is always 1.",
                       "Replace the softmax with torch.sigmoid.")
        raise Fail("it returns the same value for every input, so it cannot tell real from fake.",
                   "Check that forward uses its input x and returns the result of the layers.")
    alone = _forward(probe, x[:1])
    perm = torch.arange(BATCH - 1, -1, -1)
    flipped = _forward(probe, x[perm])
    expect(float((alone - out[:1]).abs().max()) < 1e-5 and float((flipped - out[perm]).abs().max()) < 1e-5,
           "a sample's verdict changes when the other samples in the batch change; here D should judge each "
           "sample on its own.",
           "Remove operations across the batch (dimension 0): no softmax, mean or normalisation over rows.")
    _against_reference(probe, reference_discriminator, x, "the discriminator")
    return f"samples ({BATCH}, 2) → P(real) ({BATCH}, 1), in (0, 1) for any input, one verdict a sample; " \
           f"{n_params} parameters."
