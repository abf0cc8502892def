"""Checkers for notebook 03 (models): build a generator, build a discriminator.

Both checkers accept what the exercise asks for (a function ``make_...()`` that returns the
model), a model class, or a model itself. They probe a deep copy of the model in ``eval`` mode
under ``torch.no_grad``, so the student's own model is never changed.

How the output activation is found without trusting the random initial weights: in a copy, the
last ``nn.Linear`` is set to output the constant -100 (weights 0, bias -100), then +100, and the
model's outputs show what comes after that layer: ±100 (nothing), 0 and 100 (ReLU), about 0 and
1 (sigmoid), -1 and 1 (tanh). When the model has no ``nn.Linear`` (or something else follows
the last one), the checkers fall back on what the outputs do for very large inputs.
"""
import copy

import torch
from torch import nn

from .core import Fail, NotAttempted, call, checker, expect

__all__ = ["check_make_generator", "check_make_discriminator"]

BATCH = 64                          # rows of the probing batches (appears in messages)
G_SIZES = (2, 16, 16, 3)            # the generator the exercise asks for
NOT_RELU = (nn.Tanh, nn.Sigmoid, nn.SiLU, nn.ELU, nn.GELU, nn.Softplus, nn.LeakyReLU, nn.Mish)


def _model(make, what):
    """The model: ``make`` itself if it is a module, else what calling it returns."""
    if isinstance(make, nn.Module):
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
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def _shape(t):
    return "(" + ", ".join(str(s) for s in t.shape) + ("," if t.ndim == 1 else "") + ")"


def _crash(model, x, exc):
    """Explain a crash on the probing batch: first layer too narrow/wide, or a layer mismatch."""
    layers = _linears(model)
    width = x.shape[1]
    if layers and layers[0].in_features != width:
        first = layers[0]
        return Fail(f"it crashes on a batch of shape {_shape(x)}: its first layer is "
                    f"nn.Linear({first.in_features}, {first.out_features}), which expects {first.in_features} "
                    f"number{'s' if first.in_features != 1 else ''} a row, but each row here has {width}.",
                    f"Make the first layer nn.Linear({width}, ...): its in_features is the number of columns "
                    "of the input.")
    for i, (a, b) in enumerate(zip(layers, layers[1:]), start=2):
        if a.out_features != b.in_features:
            return Fail(f"it crashes on a batch of shape {_shape(x)}: linear layer {i} is "
                        f"nn.Linear({b.in_features}, {b.out_features}), but the layer before it gives "
                        f"{a.out_features} numbers a row.",
                        "Each layer's in_features must equal the previous layer's out_features.")
    return Fail(f"calling the model on a batch of shape {_shape(x)} raised {type(exc).__name__}: {exc}",
                "Call your model on a small batch, e.g. model(torch.randn(4, "
                f"{width})), in a cell of its own and read the error.")


def _forward(model, x):
    """``model(x)`` without gradients; a stub is NotAttempted, a crash an explained Fail."""
    try:
        with torch.no_grad():
            out = call(model, x, what=f"your model on a batch of shape {_shape(x)}", diagnose=False)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as exc:
        raise _crash(model, x, exc) from None
    if out is Ellipsis:
        raise NotAttempted()
    expect(isinstance(out, torch.Tensor), f"forward returned a {type(out).__name__}, not a tensor.",
           "Return the output of the last layer (a tensor) from forward.")
    return out


def _batches(width, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(BATCH, width, generator=gen)


def _output_range(probe, x):
    """(lowest, highest) output when the last nn.Linear emits -100 and then +100; None if that tells nothing."""
    layers = _linears(probe)
    if not layers or layers[-1].bias is None:
        return None
    results = []
    for c in (-100.0, 100.0):
        forced = copy.deepcopy(probe)
        last = _linears(forced)[-1]
        with torch.no_grad():
            last.weight.zero_()
            last.bias.fill_(c)
            try:
                out = forced(x)
            except Exception:
                return None
        if not isinstance(out, torch.Tensor) or not torch.isfinite(out).all():
            return None
        if (out - out[:1]).abs().max() > 1e-5:      # something after the last Linear still depends on x
            return None
        results.append(out)
    return float(results[0].min()), float(results[1].max())


def _large_input_range(probe, width):
    """Lowest and highest output over inputs up to 1000 in size (the fallback probe)."""
    x = torch.cat([_batches(width, seed=s) * scale for s, scale in enumerate((1.0, 10.0, 100.0, 1000.0))])
    out = _forward(probe, x)
    return out


# ---------------------------------------------------------------- the generator exercise

@checker("your generator (2 → 16 → 16 → 3)")
def check_make_generator(make_generator):
    """Check a function returning an nn.Module: noise (n, 2) -> samples (n, 3), 2 → 16 → 16 → 3, ReLU."""
    model, probe, n_params = _model(make_generator, "make_generator")
    z_dim, h1, h2, out_dim = G_SIZES
    z = _batches(z_dim)
    out = _forward(probe, z)

    # shape: one row per noise vector, three columns (one real sample each)
    expect(out.ndim != 2 or out.shape[0] == BATCH,
           f"a noise batch of shape {_shape(z)} gave shape {_shape(out)}: it should give one sample per noise "
           f"vector, {BATCH} rows.", "Do not sum, average or reshape across the batch (dimension 0).")
    expect(out.ndim == 2,
           f"a noise batch of shape {_shape(z)} gave an output of shape {_shape(out)}; a batch of samples "
           f"has shape ({BATCH}, {out_dim}), one row of {out_dim} numbers a sample.",
           "Remove any .squeeze(), .flatten() or .view(-1) at the end of forward.")
    if out.shape[1] != out_dim:
        k = out.shape[1]
        if k == 1:
            problem = (f"a noise batch of shape {_shape(z)} gave shape {_shape(out)}: one number a sample, but "
                       f"each sample must have {out_dim}.")
        elif k == h2:
            problem = (f"a noise batch of shape {_shape(z)} gave shape {_shape(out)}: {k} numbers a sample is the "
                       f"hidden width, so the output layer ({h2} → {out_dim}) seems to be missing.")
        else:
            problem = (f"a noise batch of shape {_shape(z)} gave shape {_shape(out)}; a batch of samples has "
                       f"shape ({BATCH}, {out_dim}).")
        raise Fail(problem, f"G's output is one real sample a row: end with nn.Linear({h2}, {out_dim}).")
    expect(out.dtype.is_floating_point, f"the output has dtype {out.dtype}, not a floating-point type.",
           "Let the last nn.Linear's output through unchanged (no rounding, no .long()).")
    expect(bool(torch.isfinite(out).all()), "the output holds NaN or infinite values.",
           "Look for a division or a log in forward; a plain stack of layers gives finite numbers.")
    for n in (1, 7):
        other = _forward(probe, _batches(z_dim, seed=n)[:n])
        expect(tuple(other.shape) == (n, out_dim),
               f"a batch of {n} noise vector{'s' if n > 1 else ''} gave shape {_shape(other)}, not ({n}, {out_dim}).",
               "Nothing in forward should depend on the batch size: apply the layers to the whole batch.")

    # what comes after the last linear layer
    rng = _output_range(probe, z)
    if rng is not None:
        lo, hi = rng
        never_negative, bounded = lo >= 0, (lo >= -1 and hi <= 1)
    else:
        big = _large_input_range(probe, z_dim)
        never_negative = bool((big.min(dim=0).values >= 0).all())
        bounded = bool(big.abs().max() <= 1)
        lo, hi = float(big.min()), float(big.max())
    hint = (f"A generator's output activation must suit the data; these samples can be any real numbers, "
            f"so nothing goes after the last nn.Linear({h2}, {out_dim}).")
    if never_negative and hi <= 1:
        raise Fail("its outputs always stay between 0 and 1: there is a sigmoid on the output layer.", hint)
    expect(not never_negative, "its outputs can never be negative: the output layer ends in a ReLU (or another "
           "activation that cuts off negative values).", hint)
    expect(not bounded, "its outputs always stay between -1 and 1: there is a tanh on the output layer.", hint)
    expect(rng is None or lo < -50, "it squashes negative outputs (a leaky ReLU or ELU on the output layer?).", hint)

    # the sizes of the layers
    layers = _linears(model)
    expected = [(z_dim, h1), (h1, h2), (h2, out_dim)]
    found = [(m.in_features, m.out_features) for m in layers]
    if layers and found != expected:
        chained = all(a[1] == b[0] for a, b in zip(found, found[1:]))
        if chained:
            desc = " → ".join(str(s) for s in [found[0][0]] + [o for _, o in found])
        else:
            desc = ", ".join(f"nn.Linear({a}, {b})" for a, b in found)
        raise Fail(f"its linear layers are {desc}; the exercise asks for 2 → 16 → 16 → 3 "
                   "(two hidden layers of 16 units).",
                   "Use exactly three layers: nn.Linear(2, 16), nn.Linear(16, 16), nn.Linear(16, 3).")
    want = sum(a * b + b for a, b in expected)
    if n_params != want:
        no_bias = sum(a * b for a, b in expected)
        raise Fail(f"it has {n_params} trainable parameters; 2 → 16 → 16 → 3 has {want} "
                   f"(2·16+16 + 16·16+16 + 16·3+3).",
                   "Did you turn the biases off (bias=False)? Keep them: a layer is x·W + b."
                   if n_params == no_bias else
                   "Count them with gl.models.count_parameters(model); nn.Linear(a, b) has a·b + b.")

    # a nonlinearity between the layers
    a, b = _batches(z_dim, seed=11) * 3, _batches(z_dim, seed=12) * 3
    fa, fb, fm = _forward(probe, a), _forward(probe, b), _forward(probe, (a + b) / 2)
    expect(float((fa - fa[:1]).abs().max()) > 1e-6,
           "it gives the same sample for every noise vector, so it could never make a spread of samples.",
           "Check that forward uses its input z, and that it returns the result of the layers.")
    scale = float(torch.cat([fa, fb]).abs().max()) + 1e-6
    expect(float((fm - (fa + fb) / 2).abs().max()) > 1e-4 * scale,
           "the map is affine (a straight-line function of z): without an activation between the layers, "
           "three linear layers collapse into one, and a linear map of noise only shifts and stretches it.",
           "Put nn.ReLU() after the first and after the second linear layer.")

    # ReLU, as asked (only when it can be told for sure)
    kinds = {type(m).__name__ for m in model.modules() if isinstance(m, NOT_RELU)}
    has_relu = any(isinstance(m, nn.ReLU) for m in model.modules())
    if kinds and not has_relu:
        raise Fail(f"its hidden layers use {', '.join(sorted(kinds))}; the exercise asks for ReLU.",
                   "Replace the activation modules with nn.ReLU().")
    if not kinds and not has_relu and _smooth(probe, z_dim):
        raise Fail("its activation is smooth (tanh, sigmoid, SiLU…?); the exercise asks for ReLU, whose "
                   "output is piecewise linear.", "Use torch.relu (or nn.ReLU()) between the layers.")
    return (f"noise ({BATCH}, {z_dim}) → samples ({BATCH}, {out_dim}) through 2 → 16 → 16 → 3 with ReLU and "
            f"no output activation; {want} parameters.")


def _smooth(probe, width):
    """True if the map has curvature almost everywhere along a line (not piecewise linear)."""
    try:
        p = copy.deepcopy(probe).double()
        gen = torch.Generator().manual_seed(5)
        start, direction = torch.randn(1, width, generator=gen, dtype=torch.float64), \
            torch.randn(1, width, generator=gen, dtype=torch.float64)
        t = torch.linspace(-3, 3, 3001, dtype=torch.float64).unsqueeze(1)
        with torch.no_grad():
            f = p(start + t * direction)
        d2 = (f[2:] - 2 * f[1:-1] + f[:-2]).abs().max(dim=1).values
        flat = (d2 < 1e-10 * (float(f.abs().max()) + 1.0)).double().mean()
        return bool(flat < 0.5)
    except Exception:
        return False


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
            raise Fail(f"a batch of shape {_shape(x)} gave shape {_shape(out)}: the verdicts were flattened; the "
                       f"losses compare them with labels of shape ({BATCH}, 1).",
                       "Remove the .squeeze(), .flatten() or .view(-1) at the end of forward.")
        if tuple(out.shape) == (BATCH, 2):
            raise Fail(f"a batch of shape {_shape(x)} gave shape {_shape(out)}: two numbers a sample, like a "
                       "two-class classifier; a discriminator gives one, the probability of \"real\".", hint)
        if out.ndim >= 1 and out.shape[0] != BATCH:
            raise Fail(f"a batch of shape {_shape(x)} gave shape {_shape(out)}: here D must judge each sample on "
                       f"its own, {BATCH} verdicts in ({BATCH}, 1).",
                       "Do not average or sum over the batch (dimension 0).")
        raise Fail(f"a batch of shape {_shape(x)} gave shape {_shape(out)}, not ({BATCH}, 1).", hint)
    expect(out.dtype.is_floating_point, f"the output has dtype {out.dtype}, not a floating-point type.",
           "Return the sigmoid of the last layer's output unchanged.")
    expect(bool(torch.isfinite(out).all()), "the output holds NaN or infinite values.",
           "Look for a division or a log in forward; torch.sigmoid never gives NaN.")

    # probabilities, whatever the input
    rng = _output_range(probe, x)
    if rng is not None:
        lo, hi = rng
    else:
        big = _large_input_range(probe, 2)
        lo, hi = float(big.min()), float(big.max())
    hint = ("Finish forward with torch.sigmoid(...) (or put nn.Sigmoid() last), so that every output is a "
            "probability in (0, 1).")
    if lo < 0 or hi > 1:
        if lo >= -1 and hi <= 1:
            raise Fail("its outputs can be negative (between -1 and 1): a tanh on the output instead of a "
                       "sigmoid, so they are not probabilities.", hint)
        if lo >= 0:
            raise Fail("its outputs can be larger than 1 (never negative: a ReLU or softplus at the end?), so "
                       "they are not probabilities.", hint)
        raise Fail("its outputs go below 0 and above 1, so they are not probabilities: the sigmoid at the end "
                   "is missing (the model returns a raw score, a logit).",
                   hint + " (Modern code returns the logit and lets nn.BCEWithLogitsLoss apply the sigmoid; "
                   "this exercise asks for P(real) itself.)")

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
    return f"samples ({BATCH}, 2) → P(real) ({BATCH}, 1), in (0, 1) for any input, one verdict a sample; " \
           f"{n_params} parameters."
