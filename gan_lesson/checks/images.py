"""Checkers for notebook 10 (images): the convolutional generator, the convolutional
discriminator, one DCGAN training step, and the open challenge's trained result.

    make_generator(noise_dim)  -> a module: noise (n, noise_dim) -> images (n, 1, 8, 8) in [−1, 1]
    make_discriminator()       -> a module: images (n, 1, 8, 8) -> logits (n, 1)
    train_step(G, D, g_opt, d_opt, real, z) -> (D's loss, G's loss)
    check_digit_result(G)      -> the digit score of 1000 of G's pictures against TARGET

The model checkers build the student's model, then probe copies of it: the output shape, the
picture size after each convolution (forward hooks), what follows the last layer (that layer is
set to emit a constant −100 and then +100, so the output shows the activation after it).

The step checker never uses the student's networks: it builds a small convolutional pair without
batch norm (so the result does not depend on how batches are grouped), gives the student's
function copies with plain SGD optimizers (one step moves weights by exactly −lr·gradient) and
stale gradients already in ``.grad``, and compares the weights afterwards with reference steps —
the right one and the usual wrong ones. A gradient hook on G tells whether D's loss reached G
(the fake batch was not detached).
"""
import contextlib
import copy

import numpy as np
import torch
from torch import nn

from ..lessons import images as _images
from ..lessons.images import ImageDiscriminator, ImageGenerator
from . import mistakes
from .core import Fail, NotAttempted, call, checker, expect
from .engine import Probe, Term, run_step
from .probe import build_crash, layer_crash

__all__ = ["check_image_generator", "check_image_discriminator", "check_image_train_step", "check_digit_result"]

NOISE_DIM = 16      # what the checker passes to make_generator
BATCH = 32          # rows of the probing batches
POOLING = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.LPPool2d)
ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.SiLU, nn.GELU, nn.PReLU, nn.Tanh, nn.Sigmoid, nn.Mish, nn.SELU)


# --------------------------------------------------------------------------- shared helpers

@contextlib.contextmanager
def _own_random_state(seed=0):
    """Seed torch for the check (the student's layers start the same every time, so the messages
    are the same) and give the notebook its random state back afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield

def _build(make, what, *args):
    """The module ``make(*args)`` returns (a stub is NotAttempted, a crash a Fail)."""
    if isinstance(make, nn.Module):
        raise Fail(f"{what} should be the function that builds the network; you passed the network itself.",
                   f"Pass the function: the name after `def`, without parentheses.")
    label = f"{what}{args if len(args) != 1 else f'({args[0]})'}"
    try:
        model = call(make, *args, what=label, diagnose=False)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as exc:  # noqa: BLE001  (the student's crash, explained)
        raise build_crash(label, exc) from None
    if model is Ellipsis:
        raise NotAttempted()
    expect(model is not None, f"{what} returns None.", "End it with `return` followed by the network you built.")
    expect(isinstance(model, nn.Module), f"{what} returns a {type(model).__name__}, not a torch.nn.Module.",
           "Return the layers wrapped in nn.Sequential(...), so an optimizer can find their weights.")
    expect(any(p.requires_grad for p in model.parameters()),
           "the network has no trainable parameters, so training could never change it.",
           "Put the layers inside nn.Sequential(...) (layers kept in a plain Python list are not registered).")
    return model


def _shape(t):
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def _leaves(model):
    return [m for m in model.modules() if not list(m.children())]


def _trace(model, x):
    """Run ``model(x)`` (no grad) recording ``(module, output shape)`` of every leaf layer, in call order."""
    seen, hooks = [], []
    for m in _leaves(model):
        hooks.append(m.register_forward_hook(
            lambda mod, inp, out: seen.append((mod, tuple(out.shape) if isinstance(out, torch.Tensor) else None))))
    try:
        with torch.no_grad():
            out = call(model, x, what=f"your model on a batch of shape {_shape(x)}", diagnose=False)
    finally:
        for h in hooks:
            h.remove()
    return out, seen


def _forward(model, x, what):
    try:
        out, seen = _trace(model, x)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as exc:
        raise Fail(f"calling {what} on a batch of shape {_shape(x)} raised {type(exc).__name__}: {exc}", None) from exc
    if out is Ellipsis:
        raise NotAttempted()
    expect(isinstance(out, torch.Tensor), f"{what} returned a {type(out).__name__}, not a tensor.",
           "forward must return the output of the last layer.")
    return out, seen


def _path(seen, kinds, start=None):
    """'1×1 → 2×2 → 4×4' from the traced output shapes of the layers of ``kinds``."""
    sizes = [start] if start else []
    for m, s in seen:
        if isinstance(m, kinds) and s and len(s) == 4 and (not sizes or sizes[-1] != f"{s[-2]}×{s[-1]}"):
            sizes.append(f"{s[-2]}×{s[-1]}")
    return " → ".join(sizes)


def _last_layer(model, kinds):
    layers = [m for m in model.modules() if isinstance(m, kinds)]
    return layers[-1] if layers else None


def _after_last_layer(model, x, kinds):
    """Outputs when the last layer of ``kinds`` emits −100, then +100 everywhere: (low, high) or None."""
    probe = copy.deepcopy(model).eval()
    layer = _last_layer(probe, kinds)
    if layer is None or layer.bias is None:
        return None
    outs = []
    for c in (-100.0, 100.0):
        with torch.no_grad():
            layer.weight.zero_()
            layer.bias.fill_(c)
            try:
                outs.append(probe(x))
            except Exception:
                return None
    return float(outs[0].mean()), float(outs[1].mean())


# --------------------------------------------------------------------------- the generator

def _generator_crash(model, z, exc):
    found = layer_crash(model, z, exc, "G", "the noise")
    if found is not None:
        return found
    return Fail(f"calling G on noise of shape ({BATCH}, {NOISE_DIM}) raised {type(exc).__name__}: {exc}",
                f"Try G(torch.randn(4, {NOISE_DIM})) in a cell of its own and read the error.")


@checker("the generator's layer stack, make_generator(noise_dim)")
def check_image_generator(make_generator):
    with _own_random_state():
        return _check_generator(make_generator)


LEARNED = (nn.ConvTranspose2d, nn.Conv2d, nn.Linear)          # the layers with weights G and D are built from
RESIZE = (nn.ConvTranspose2d, nn.Conv2d, nn.Upsample, nn.UpsamplingNearest2d, nn.UpsamplingBilinear2d,
          nn.PixelShuffle, nn.Unflatten)                         # the layers whose output size the path shows


def _kind(layer):
    """A layer's kind in words: "transposed convolution", "convolution", "linear layer"."""
    return {nn.ConvTranspose2d: "transposed convolution", nn.Conv2d: "convolution"}.get(type(layer), "linear layer")


def _check_generator(make_generator):
    G = _build(make_generator, "make_generator", NOISE_DIM)
    convs = [m for m in G.modules() if isinstance(m, (nn.ConvTranspose2d, nn.Conv2d))]
    expect(convs, "G has no convolutions: this is not yet a convolutional generator.",
           "Go 1×1 → 2×2 → 4×4 → 8×8 with nn.ConvTranspose2d layers (kernel 2 for the first step, then kernel 4, "
           "stride 2, padding 1, which doubles the size), or with nn.Upsample(scale_factor=2) followed by "
           "nn.Conv2d(in, out, 3, 1, 1).")
    z = torch.randn(BATCH, NOISE_DIM, generator=torch.Generator().manual_seed(0))
    probe = copy.deepcopy(G).train()
    try:
        out, seen = _trace(probe, z)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as exc:
        raise _generator_crash(G, z, exc) from None
    expect(isinstance(out, torch.Tensor), f"G returns a {type(out).__name__}, not a tensor.",
           "The last layer's output (a tensor) is what G returns.")
    path = _path(seen, RESIZE)
    last = _last_layer(G, LEARNED)
    kind = _kind(last)
    expect(out.dim() != 2, f"G returns flat rows of shape {_shape(out)}, not pictures.",
           f"G must return images of shape ({BATCH}, 1, 8, 8): (batch, channels, height, width).")
    expect(out.dim() == 4, f"G returns shape {_shape(out)}; images have four dimensions: (batch, 1, 8, 8).",
           f"End with the last {kind} (and tanh); do not flatten or squeeze the output.")
    expect(out.shape[0] == BATCH, f"G returns {out.shape[0]} images for {BATCH} noise vectors.",
           "One image per noise vector: do not reshape across the batch dimension.")
    expect(tuple(out.shape[-2:]) == (8, 8),
           f"G makes {out.shape[-2]}×{out.shape[-1]} pictures, not 8×8. Picture size after each layer that changes "
           f"it: {path}.",
           "A transposed convolution makes size (in − 1)·stride − 2·padding + kernel: kernel 2, stride 1, padding 0 "
           "turns 1×1 into 2×2; kernel 4, stride 2, padding 1 doubles the size (2 → 4 → 8). (nn.Upsample("
           "scale_factor=2) doubles it too; a nn.Conv2d with kernel 3, padding 1 keeps it.)")
    expect(out.shape[1] == 1, f"G makes pictures with {out.shape[1]} channels; the digits are greyscale (1 channel).",
           f"Give the last {kind} out_channels=1.")

    # before the range probe: a batch norm on the output layer can also hide the range it reads
    norm_after = any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.InstanceNorm2d)) for m in
                     _leaves(G)[_leaves(G).index(last) + 1:])
    expect(not norm_after, f"batch norm sits after the last {kind}: it would fix the mean and spread of the "
           "output pixels, whatever the real digits have, instead of letting G learn them (DCGAN leaves it out "
           "there: with it, samples oscillate and training is unstable).",
           "DCGAN puts batch norm after every layer except the output layer: remove the last one.")
    low_high = _after_last_layer(G, z, LEARNED)
    lo, hi = float(out.min()), float(out.max())
    if low_high is not None:
        low, high = low_high
        expect(not (abs(low + 100) < 1 and abs(high - 100) < 1),
               f"nothing follows the last {kind}, so G's pixels can take any value; the digits are scaled to [−1, 1].",
               "End with nn.Tanh(): it squashes every pixel into [−1, 1], the range of the data.")
        relu_tanh = any(isinstance(m, nn.ReLU) for m in _leaves(G)[-3:]) and isinstance(_leaves(G)[-1], nn.Tanh)
        expect(not (abs(low) < 0.01 and abs(high - 1) < 0.01 and relu_tanh),
               f"a ReLU sits between G's last {kind} and its tanh, so its pixels lie in [0, 1): the digits are scaled "
               "to [−1, 1] (−1 background, +1 ink), and G could never draw the background.",
               f"End with the last {kind} and then nn.Tanh(), with no ReLU in between.")
        expect(not (abs(low) < 0.01 and abs(high - 1) < 0.01),
               "G ends with a sigmoid, so its pixels lie in (0, 1), but the digits are scaled to [−1, 1] "
               "(−1 background, +1 ink): G could never draw the background.",
               "Use nn.Tanh() as the last layer instead of nn.Sigmoid().")
        expect(not (abs(low) < 0.01 and high > 1.5),
               "G ends with a ReLU, so its pixels are never negative, but the digits are scaled to [−1, 1].",
               f"End with nn.Tanh() after the last {kind}, with no ReLU in between.")
        expect(abs(low + 1) < 0.01 and abs(high - 1) < 0.01,
               f"G's output range is not [−1, 1]: when its last layer emits −100 and +100 the output is "
               f"{low:.3g} and {high:.3g}.",
               f"End with nn.Tanh() right after the last {kind}.")
    else:
        expect(-1.0 <= lo and hi <= 1.0, f"G's pixels run from {lo:.3g} to {hi:.3g}, outside [−1, 1].",
               "End with nn.Tanh(): the digits are scaled to [−1, 1].")
        expect(lo < 0, "G's pixels are never negative, but the digits are scaled to [−1, 1] (−1 is the background).",
               "End with nn.Tanh() rather than a sigmoid or ReLU.")

    learned = [m for m in G.modules() if isinstance(m, LEARNED)]
    expect(len(learned) >= 2, f"G has a single {kind} ({path}): one layer cannot do much.",
           "Use three: 1×1 → 2×2 → 4×4 → 8×8, with batch norm and ReLU between them.")
    norms = [m for m in G.modules() if isinstance(m, nn.BatchNorm2d)]
    expect(norms, "G has no batch norm: DCGAN normalises the output of every hidden layer of G, which keeps "
           "its training stable.",
           f"Add nn.BatchNorm2d(channels) after each {kind} except the last, before its ReLU.")
    hidden = [m for m in _leaves(G) if isinstance(m, ACTIVATIONS) and not isinstance(m, nn.Tanh)]
    expect(hidden or _bends(G, z), "G has no activation between its layers, so everything before the tanh is one linear map.",
           "Put nn.ReLU() after each batch norm (DCGAN's generator uses ReLU inside, tanh at the end).")
    expect(not any(isinstance(m, POOLING) for m in G.modules()),
           "G contains a pooling layer, which shrinks the picture; a generator only enlarges it.",
           "Remove the pooling layer.")
    _gradients_reach(G, z, "G")

    # noise_dim must be honoured
    other = 7
    try:
        G7 = make_generator(other)
        with torch.no_grad():
            out7 = copy.deepcopy(G7).eval()(torch.randn(4, other, generator=torch.Generator().manual_seed(1)))
        ok7 = isinstance(out7, torch.Tensor) and tuple(out7.shape) == (4, 1, 8, 8)
    except Exception:
        ok7 = False
    expect(ok7, f"make_generator({other}) does not give a generator for noise of shape (n, {other}): the function "
           f"ignores its argument noise_dim (the number {NOISE_DIM} may be written into the layers).",
           "Use the argument: nn.Unflatten(1, (noise_dim, 1, 1)) and nn.ConvTranspose2d(noise_dim, ...).")

    # the output must depend on the noise (in evaluation mode too)
    with torch.no_grad():
        ev = copy.deepcopy(G).eval()
        a, b = ev(z[:4]), ev(z[4:8])
    expect(float((a - b).abs().max()) > 1e-6, "G gives the same picture whatever the noise.",
           "Each layer must work on the output of the one before, starting from z.")
    _activations_between(G, z, LEARNED, "G", "Put nn.ReLU() after the batch norm of every hidden layer.")
    with torch.no_grad():
        pictures = copy.deepcopy(G).eval()(z)
    still = int((pictures.std(0) == 0).sum())
    expect(still == 0, f"{still} of G's 64 pixels are the same in every picture, whatever the noise: no path from "
           "the noise reaches them (a kernel smaller than the stride leaves holes).",
           "Use kernel 4, stride 2, padding 1 for each doubling (the kernel at least as large as the stride).")
    n_params = sum(p.numel() for p in G.parameters() if p.requires_grad)
    enlarge = ("transposed convolutions" if any(isinstance(m, nn.ConvTranspose2d) for m in G.modules()) else
               "upsampling and convolutions")
    notes = []
    leaves = _leaves(G)
    hidden = [m for m in leaves[:leaves.index(last)] if isinstance(m, ACTIVATIONS)]
    if any(not isinstance(m, nn.ReLU) for m in hidden):
        kinds = sorted({type(m).__name__ for m in hidden if not isinstance(m, nn.ReLU)})
        notes.append(f"your hidden layers use {', '.join(kinds)} where DCGAN's generator uses ReLU (it works; the "
                     "leaky kind is DCGAN's choice for D)")
    norms = [i for i, m in enumerate(leaves) if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
    if any(i > 0 and isinstance(leaves[i - 1], ACTIVATIONS) for i in norms):
        notes.append("your batch norm comes after the activation; DCGAN normalises first, then applies ReLU, so "
                     "the ReLU sees values centred on 0 and cuts about half of them (both train)")
    return (f"noise ({BATCH}, {NOISE_DIM}) → images {_shape(out)} in [−1, 1] through {enlarge} "
            f"({path}), batch norm, tanh out; {n_params} parameters"
            + "".join(f". Note: {n}" for n in notes) + ".")


def _gradients_reach(model, x, who):
    """Fail when a layer's weights get no gradient from the output (a detach or no_grad inside forward)."""
    net = copy.deepcopy(model).train()
    try:
        net(x).float().pow(2).mean().backward()
    except RuntimeError as exc:
        if "does not require grad" not in str(exc):
            raise
    names = [f"{name}.weight" if name else "weight" for name, m in net.named_modules() if isinstance(m, LEARNED)
             and m.weight.requires_grad and (m.weight.grad is None or float(m.weight.grad.abs().sum()) == 0.0)]
    expect(not names, f"no gradient reaches {who}'s parameters {', '.join(names[:3])}"
           + (" …" if len(names) > 3 else "") + " from its output: something in forward is detached or runs "
           "under torch.no_grad(), so training could not change those layers.",
           "Use each layer's output directly in forward: no .detach(), .item() or torch.no_grad() inside the model.")


def _bends(model, x):
    """True when the model (in eval mode, its output activation aside) is not one affine map of its input:
    an activation acts somewhere, as a module or as a function called in forward."""
    net = copy.deepcopy(model).eval()
    with torch.no_grad():
        a, b = net(x[:8]), net(x[8:16])
        mixed = net(0.5 * x[:8] + 0.5 * x[8:16])
    inside = lambda t: torch.atanh(t.clamp(-0.999, 0.999)) if bool((t.abs() <= 1).all()) else t   # noqa: E731
    return float((inside(mixed) - 0.5 * (inside(a) + inside(b))).abs().max()) > 1e-4


def _activations_between(model, x, kinds, who, hint):
    """Fail where nothing non-linear acts before the first layer or between two consecutive layers.

    Each layer's output is replaced by wide random numbers (±10) and the next layer's input recorded
    (the model in eval mode, so batch norm is the fixed affine map it is after training); if that
    input is, feature by feature, an affine function of the replaced output, no activation acts there.
    """
    net = copy.deepcopy(model).eval()
    layers = [m for m in net.modules() if isinstance(m, kinds)]
    first = {}
    handle = layers[0].register_forward_pre_hook(lambda m, args: first.setdefault("x", args[0].detach().clone()))
    try:
        with torch.no_grad():
            net(x)
    finally:
        handle.remove()
    expect(first["x"].shape != x.shape or torch.equal(first["x"], x),
           f"something acts on {who}'s input before its first layer (an activation before the first "
           f"{type(layers[0]).__name__}?): it changes the input before any weight sees it.",
           f"Start {who} with its first layer; put each activation after a layer, never before the first one.")
    for i, (a, b) in enumerate(zip(layers, layers[1:])):
        wide, seen = {}, {}

        def emit(m, args, out):
            g = torch.Generator().manual_seed(300 + i)
            wide["x"] = (2 * torch.rand(out.shape, generator=g) - 1) * 10
            return wide["x"].clone()        # a copy: an in-place activation (inplace=True) must not change ours

        handles = [a.register_forward_hook(emit),
                   b.register_forward_pre_hook(lambda m, args: seen.setdefault("x", args[0].detach().clone()))]
        try:
            with torch.no_grad():
                net(x)
        except Exception:  # noqa: BLE001  (a layer between them cannot take the wide numbers: not a plain gap)
            continue
        finally:
            for h in handles:
                h.remove()
        if "x" not in seen or seen["x"].shape != wide["x"].shape:
            continue
        X = wide["x"].reshape(len(x), -1)
        Y = seen["x"].reshape(len(x), -1)
        Xc, Yc = X - X.mean(0), Y - Y.mean(0)
        slope = (Xc * Yc).sum(0) / (Xc * Xc).sum(0).clamp_min(1e-12)
        residual = float((Yc - slope * Xc).norm() / Yc.norm().clamp_min(1e-12))
        expect(residual > 1e-3 or float(Yc.norm()) == 0.0,
               f"nothing non-linear acts between {who}'s layer {i + 1}, {a}, and layer {i + 2}, {b}: with only batch "
               "norm (or nothing) between them, two layers in a row are one linear map, so that layer adds nothing a "
               "single layer could not do (an activation is missing there).", hint)


# --------------------------------------------------------------------------- the discriminator

def _probe_images():
    from ..lessons.data import load_digits
    images, _ = load_digits()
    return images[:BATCH].clone()


@checker("the discriminator, make_discriminator()")
def check_image_discriminator(make_discriminator):
    with _own_random_state():
        return _check_discriminator(make_discriminator)


def _check_discriminator(make_discriminator):
    D = _build(make_discriminator, "make_discriminator")
    x = _probe_images()
    pooled = any(isinstance(m, POOLING) for m in D.modules())
    convs = [m for m in D.modules() if isinstance(m, nn.Conv2d)]
    expect(convs, "D has no convolutions (nn.Conv2d): it is not yet a convolutional discriminator.",
           "Go 8×8 → 4×4 → 2×2 with nn.Conv2d(in, out, 4, 2, 1), then nn.Conv2d(channels, 1, 2) down to 1×1.")
    probe = copy.deepcopy(D).train()
    try:
        out, seen = _trace(probe, x)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as exc:
        found = layer_crash(D, x, exc, "D", "the digits")
        raise (found or Fail(f"calling D on real digits of shape {_shape(x)} raised {type(exc).__name__}: {exc}",
                             "Try D(torch.zeros(4, 1, 8, 8)) in a cell of its own; each layer's in_channels must "
                             "equal the previous layer's out_channels.")) from None
    expect(isinstance(out, torch.Tensor), f"D returns a {type(out).__name__}, not a tensor.",
           "forward must return the last layer's output.")
    path = _path(seen, (nn.Conv2d,) + POOLING, start="8×8")
    strided = [m for m in convs if max(m.stride) >= 2]
    expect(strided or pooled, f"none of D's convolutions has a stride, so the picture shrinks only by the kernel's edges "
           f"({path}).",
           "Use stride=2 (kernel 4, padding 1) to halve the picture each layer: 8×8 → 4×4 → 2×2.")
    if out.dim() == 4:
        expect(not (out.shape[1] == 1 and tuple(out.shape[-2:]) == (1, 1)),
               f"D returns shape {_shape(out)}: the verdict is still a 1×1 picture.",
               "End with nn.Flatten(), which turns (n, 1, 1, 1) into (n, 1).")
        expect(False, f"D returns shape {_shape(out)}, a stack of pictures, not one verdict per image. Size after "
               f"each convolution: {path}.",
               "Shrink to 1×1 with one output channel: after 2×2, use nn.Conv2d(channels, 1, kernel_size=2), then "
               "nn.Flatten().")
    expect(out.dim() != 1, f"D returns shape {_shape(out)}: one number per image, but without the column dimension.",
           f"Keep the shape ({BATCH}, 1), like the labels torch.ones(n, 1): use nn.Flatten() rather than squeeze().")
    expect(out.dim() == 2 and out.shape[0] == BATCH,
           f"D returns shape {_shape(out)} for {BATCH} images; it should return ({BATCH}, 1).",
           "One verdict per image: end with nn.Flatten() after a 1×1 convolution output with one channel.")
    expect(out.shape[1] == 1, f"D returns {out.shape[1]} numbers per image; it should return one, shape ({BATCH}, 1). "
           f"Size after each convolution: {path}.",
           "Give the last convolution out_channels=1 and reduce the picture to 1×1 before nn.Flatten().")

    low_high = _after_last_layer(D, x, (nn.Conv2d, nn.Linear))
    if low_high is not None:
        low, high = low_high
        expect(not (abs(low) < 0.01 and abs(high - 1) < 0.01),
               "D ends with a sigmoid, but the training step uses nn.BCEWithLogitsLoss, which applies the sigmoid "
               "itself: it would be applied twice.",
               "Remove the last nn.Sigmoid(): D returns a logit (any number; P(real) = sigmoid(logit)).")
        expect(not (low > -50 and high > 50),
               "an activation follows D's last layer (a ReLU or leaky ReLU), so D can hardly say 'fake' with "
               "confidence: its logit cannot go far below zero.",
               "Nothing after the last convolution but nn.Flatten(): a logit must be free to take any value.")
        expect(abs(low + 100) < 1 and abs(high - 100) < 1,
               f"D's output is not a raw score: when its last layer emits −100 and +100, D returns {low:.3g} and "
               f"{high:.3g}.",
               "End with the last convolution and nn.Flatten(), no activation: D returns a logit.")
    leaky = [m for m in D.modules() if isinstance(m, nn.LeakyReLU)]
    plain = [m for m in D.modules() if isinstance(m, nn.ReLU)]
    expect(not (plain and not leaky),
           "D uses ReLU; DCGAN's discriminator uses leaky ReLU, which keeps a small slope for negative inputs so "
           "that gradients reach G through every unit.",
           "Replace nn.ReLU() with nn.LeakyReLU(0.2).")
    others = [m for m in _leaves(D) if isinstance(m, ACTIVATIONS)]
    expect(leaky or (not others and _bends(D, x)), "D has no leaky ReLU between its layers.",
           "Put nn.LeakyReLU(0.2) after each hidden convolution (after its batch norm, if it has one).")

    _activations_between(D, x, (nn.Conv2d, nn.Linear), "D",
                         "Put nn.LeakyReLU(0.2) after every hidden convolution (after its batch norm, if it has one).")
    leaves = list(_leaves(D))
    first = next(i for i, m in enumerate(leaves) if isinstance(m, (nn.Conv2d, nn.Linear)))
    expect(not (first + 1 < len(leaves) and isinstance(leaves[first + 1], (nn.BatchNorm1d, nn.BatchNorm2d))),
           "a batch norm follows D's first layer: it rescales what D sees of each batch of raw pictures, so D's "
           "verdict on one picture depends on the others in its batch (DCGAN leaves it out there: with it, "
           "training is unstable).",
           "Remove the batch norm after the first convolution; keep it on the hidden layers only.")
    x_in = x.clone().requires_grad_(True)
    try:
        copy.deepcopy(D).train()(x_in).sum().backward()
        reaches = x_in.grad is not None and float(x_in.grad.abs().sum()) > 0
    except Exception:
        reaches = False
    expect(reaches, "no gradient flows from D's verdict back to the image, so D could not teach G anything.",
           "Do not detach or wrap anything in torch.no_grad() inside D; use the layers' outputs directly.")
    x_ev = x.clone().requires_grad_(True)          # eval mode: batch statistics would link every pixel
    copy.deepcopy(D).eval()(x_ev).sum().backward()
    blind = int((x_ev.grad.abs().sum(0) == 0).sum())
    expect(blind == 0, f"D never looks at {blind} of the 64 pixels: its verdict does not change whatever they hold "
           "(a stride larger than the kernel skips them), so G could draw anything there.",
           "Use kernel 4, stride 2, padding 1 for each halving (the kernel at least as large as the stride).")
    n_params = sum(p.numel() for p in D.parameters() if p.requires_grad)
    shrink = ("stride-2 convolutions" if not pooled else
              "convolutions and pooling (fine; DCGAN shrinks with strided convolutions instead, which learn how)"
              if not strided else "strided convolutions and pooling (fine)")
    notes = []
    slopes = sorted({m.negative_slope for m in leaky if m.negative_slope < 0.1})
    if slopes:
        notes.append(f"your leaky ReLU has slope {slopes[0]:g} for negative inputs (nn.LeakyReLU()'s default is "
                     "0.01); DCGAN uses 0.2, which lets more of the gradient through to G")
    odd = sorted({m.kernel_size[0] for m in D.modules() if isinstance(m, nn.Conv2d) and m.stride[0] == 2
                  and m.kernel_size[0] % 2 == 1})
    if odd:
        notes.append(f"a stride-2 convolution of yours has kernel {odd[0]}: its windows overlap unevenly (some pixels "
                     "are read twice, others once); DCGAN's kernel 4 with stride 2 reads every pixel equally often")
    if isinstance(_leaves(D)[-1], nn.Linear) or any(isinstance(m, nn.Linear) for m in _leaves(D)[-2:]):
        notes.append("D ends with nn.Linear where DCGAN ends with a convolution over the last 2×2 map (the same "
                     "weights, arranged as a layer)")
    note = "".join(f". Note: {n}" for n in notes)
    return (f"images {_shape(x)} → logits {_shape(out)} through {shrink} ({path}), leaky ReLU, "
            f"no sigmoid (BCEWithLogitsLoss applies it); {n_params} parameters{note}.")


# --------------------------------------------------------------------------- one training step

LR = 0.05           # plain SGD in the checker: the update is exactly −LR · gradient
STALE = 0.5         # every .grad is pre-filled with this before the student's step (left over from before)
TOL = 2e-3          # relative tolerance when comparing updates


def _step_probe():
    """A small conv pair without batch norm, D fairly sure the fakes are fake; real digits; noise."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(4321)
        G = ImageGenerator(noise_dim=4, width=4, batch_norm=False)
        D = ImageDiscriminator(width=4, batch_norm=False)
        for m in list(G.modules()) + list(D.modules()):
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                m.reset_parameters()            # PyTorch's default scale: clearer gradients than N(0, 0.02)
        g = torch.Generator().manual_seed(7)
        z = torch.randn(16, 4, generator=g)
    real = _probe_images()[:16]
    with torch.no_grad():
        last = D.net[-2]
        shift = float(D(G(z)).mean()) + 2.0            # D(G(z)) ≈ sigmoid(−2) ≈ 0.12: "fairly sure it is fake"
        last.bias -= shift
    return G, D, real, z


def _as_number(x):
    if isinstance(x, torch.Tensor) and x.numel() == 1 and x.is_floating_point():
        return float(x.detach().reshape(()))
    if isinstance(x, (float, int)) and not isinstance(x, bool):
        return float(x)
    return None


@checker("one training step, train_step(G, D, g_opt, d_opt, real, z)")
def check_image_train_step(train_step):
    with _own_random_state():
        return _check_train_step(train_step)


WORDS = mistakes.Words(
    fn="train_step", d_loss="BCE(D(real), 1) + BCE(D(fake.detach()), 0)", g_loss="BCE(D(fake), 1)",
    samples="pictures", real_term="BCE(D(real), ones)", fake_term="BCE(D(fake.detach()), zeros)",
    double_hint="Give nn.BCEWithLogitsLoss (binary_cross_entropy_with_logits) D's output as it is (no torch.sigmoid).")


def _crash(error, trace):
    text = f"{type(error).__name__}: {error}"
    if "modified by an inplace operation" in text and trace.of("step", "g_opt") and not trace.of("step", "d_opt"):
        return Fail("backward() failed because G's weights changed before G's loss went back through them: D's "
                    "phase called `g_opt.step()` (G's optimizer) where `d_opt.step()` belongs.",
                    "In D's phase call `d_opt.step()`; `g_opt.step()` comes only at the end of G's phase.")
    if "modified by an inplace operation" in text:
        return Fail("backward() failed because D's weights changed after G's loss was computed through D: "
                    "G's loss used D's output from before `d_opt.step()`.",
                    "Compute G's loss after D's step: `out = D(fake)` then `loss_g = bce(out, ones)`, where `fake` "
                    "is G(z) (not detached).")
    if "between 0 and 1" in text:
        return Fail("nn.BCELoss (binary_cross_entropy) was given D's logits: D returns raw scores (any number), and "
                    "BCELoss expects probabilities in [0, 1].",
                    "Use nn.BCEWithLogitsLoss(), which applies the sigmoid itself (and is safer numerically).")
    return mistakes.crash(error, WORDS, "d_opt")


def _check_train_step(train_step):
    G0, D0, real, z = _step_probe()
    probe = Probe(G0, D0, real, z, logits=True)
    trace = run_step(train_step, {"G": G0, "D": D0}, (real, z), lr=LR, stale={"G": STALE, "D": STALE},
                     what="train_step")
    if trace.error is not None:
        raise _crash(trace.error, trace)
    mistakes.frozen(trace, "G", WORDS)
    mistakes.frozen(trace, "D", WORDS)
    d_steps, g_steps = trace.of("step", "d_opt"), trace.of("step", "g_opt")

    # D's phase: what D's step used, and whether D's loss reached G
    if len(d_steps) > 1 and not g_steps:
        raise Fail("G's phase stepped D's optimizer instead of G's: D was trained to be fooled, and G did not change.",
                   "In G's phase call `g_opt.step()`, not `d_opt.step()`.")

    def g_loss_through_d(state):         # G's loss backpropagated into D: both losses before either step
        return {"gd": [(Term("gd", 1), probe.g_term(1, d_params=state["D"], g_params=state["G"], wrt="D"))]}

    exp_d = mistakes.d_update(trace, probe, WORDS, phase="D's phase", extra=g_loss_through_d, both=True)
    expect(exp_d.get("gd") is None, "both losses were backpropagated before either network stepped, so G's loss "
           "also left its gradient (which trains D to be fooled) in D's update.",
           "Finish D's phase (zero_grad, backward, step) before computing G's loss.")
    expect(not trace.reached("G", 0, d_steps[0]) or (g_steps and g_steps[0] < d_steps[0]),
           "the fake batch was not detached in D's step: D's loss (fake → 0) sent gradients into G, which would "
           "train G to look fake.",
           "Give D `fake.detach()` in its step; use `fake` itself (not detached) only for G's loss.")
    if len(d_steps) > 1:
        after_g = trace.reached("G", d_steps[0], d_steps[1])
        expect(False, "D was stepped a second time after G's backward(): that step uses the gradient of G's loss, "
               "which trains D to be fooled." if after_g else
               f"`d_opt.step()` ran {len(d_steps)} times: D took more than one step.",
               "Call only `g_opt.step()` in G's phase, and `d_opt.step()` once, in D's phase.")

    # G's phase
    mistakes.g_update(trace, probe, WORDS, phase="G's phase", both=True)
    expect(len(g_steps) == 1, f"`g_opt.step()` ran {len(g_steps)} times: G took more than one step.",
           "One `g_opt.step()` in G's phase.")
    expect(g_steps[0] > d_steps[0], "G was stepped before D. This exercise asks for D's step first, as in the "
           "DCGAN loop, so that G learns from the D that has just been updated.",
           "Swap the two phases: D's step, then G's step.")
    state = mistakes.state_at(trace, "G", g_steps[0])
    _unequal_batches(train_step)
    loss_d = probe.d_loss_value(exp_d.scale)
    loss_g = probe.g_loss_value(d_params=state["D"], g_params=state["G"])
    return _accepted(trace.out, loss_d, loss_g, exp_d.scale)


def _unequal_batches(train_step):
    """train_step on a real batch half the size of the fake one: D's two terms must keep their equal weight."""
    G0, D0, real, z = _step_probe()
    half = Probe(G0, D0, real[:len(real) // 2], z, logits=True)
    trace = run_step(train_step, {"G": G0, "D": D0}, (half.real, z), lr=LR, stale={"G": STALE, "D": STALE},
                     what="train_step")
    if trace.error is not None:
        raise mistakes.unequal_crash(trace.error, WORDS, len(half.real), len(z))
    mistakes.unequal_d_update(trace, half, WORDS, phase="D's phase")


def _accepted(out, loss_d, loss_g, scale):
    expect(out is not None, "train_step returns nothing (None).",
           "End it with `return loss_d.item(), loss_g.item()`.")
    expect(isinstance(out, (tuple, list)) and len(out) == 2,
           f"train_step should return two numbers, (D's loss, G's loss); it returns {type(out).__name__}"
           + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "") + ".",
           "End it with `return loss_d.item(), loss_g.item()`.")
    got_d, got_g = _as_number(out[0]), _as_number(out[1])
    expect(got_d is not None and got_g is not None, "train_step should return two numbers (floats or one-element "
           "tensors).", "Use `.item()` on each loss.")
    close = lambda a, b: abs(a - b) <= 1e-3 * abs(b) + 1e-5
    if close(got_d, loss_g) and close(got_g, loss_d) and not close(got_d, loss_d):
        raise Fail("the two losses are returned in the wrong order.", "Return (D's loss, G's loss).")
    expect(close(got_d, loss_d) or close(got_d, loss_d / scale * 0.5) or close(got_d, loss_d / scale),
           "the first number returned is not D's loss of this step.",
           "Return the loss you called backward() on in D's phase, computed before d_opt.step().")
    expect(close(got_g, loss_g), "the second number returned is not G's loss of this step.",
           "Return the loss you called backward() on in G's phase.")
    half = f" ({mistakes.scaled_note(scale, WORDS.d_loss)})" if abs(scale - 1) > 1e-6 else ""
    how = mistakes.how_returned([mistakes.loss_value(o)[1] for o in out], ("D's loss", "G's loss"))
    return ("D stepped on real → 1 and detached fake → 0, then G on fake → 1 through the updated D; "
            f"gradients zeroed, each optimizer stepping its own network{half}; {how}.")


# --------------------------------------------------------------------------- the open challenge

TARGET = 7.5        # the classifier score the open challenge asks for (real digits: about 9.0)
RESULT_N = 1000     # pictures the judge draws, noise from seed 0: the same as ImageResult.score()
COPY_DISTANCE = 0.5     # pixel distance under which a picture counts as a copy of a training digit
COPY_SHARE = 0.1        # the share of copies that fails the check


def _result_pictures(G, noise_dim):
    """``RESULT_N`` pictures from ``G`` (an ImageResult, a module or a function of the noise), noise from seed 0."""
    if isinstance(G, _images.ImageResult):
        G, noise_dim = G.G, G.noise_dim if noise_dim is None else noise_dim
    if isinstance(G, type):
        raise Fail(f"you passed the class {G.__name__} itself, not a trained generator.",
                   "Pass the trained network (or the result of images.train).")
    expect(callable(G), f"G must be your trained generator (a network, a function of the noise, or the result of "
           f"images.train); got a {type(G).__name__}.", "Pass the generator you trained, e.g. run.G.")
    if noise_dim is None:
        noise_dim = _images.noise_width(G) if isinstance(G, nn.Module) else None
    expect(noise_dim is not None, "cannot tell how long your generator's noise vectors are.",
           "Pass it: check_digit_result(G, noise_dim=...).")
    z = torch.randn(RESULT_N, noise_dim, generator=torch.Generator().manual_seed(0))
    if isinstance(G, nn.Module):
        probe = copy.deepcopy(G)
        out = call(_images.generate, probe, noise=z, what=f"your generator on noise of shape ({RESULT_N}, {noise_dim})")
    else:
        with torch.no_grad():
            out = call(G, z, what=f"your generator on noise of shape ({RESULT_N}, {noise_dim})")
    expect(isinstance(out, torch.Tensor), f"your generator returned a {type(out).__name__}, not a tensor of pictures.",
           "G(z) must return pictures of shape (n, 1, 8, 8).")
    out = out.detach().float()
    if out.dim() == 2 and out.shape[1] == 64:
        out = out.reshape(-1, 1, 8, 8)
    expect(tuple(out.shape) == (RESULT_N, 1, 8, 8),
           f"for {RESULT_N} noise vectors your generator made pictures of shape {tuple(out.shape)}; the judge reads "
           f"8×8 greyscale digits, ({RESULT_N}, 1, 8, 8).", "One picture per noise vector, 1 channel, 8×8 pixels.")
    expect(bool(torch.isfinite(out).all()), "your generator's pictures contain NaN or infinite pixels: training "
           "diverged (a loss became NaN) or a layer divides by zero.",
           "Train again with smaller learning rates; images.train stops and says so when a loss becomes NaN.")
    lo, hi = float(out.min()), float(out.max())
    expect(lo >= -1.001 and hi <= 1.001, f"your generator's pixels run from {lo:.3g} to {hi:.3g}, outside [−1, 1], "
           "the range of the digits (−1 paper, +1 ink).", "End G with nn.Tanh().")
    return out


def _copies(pictures):
    """The share of ``pictures`` closer than COPY_DISTANCE to some training digit, and the median distance."""
    from ..lessons.data import load_digits
    digits = load_digits()[0].reshape(-1, 64)
    nearest = torch.cdist(pictures.reshape(len(pictures), 64), digits).min(dim=1).values
    return float((nearest < COPY_DISTANCE).double().mean()), float(nearest.median())


@checker("the open challenge, your trained digit generator", limit=60)
def check_digit_result(G, noise_dim=None, target=TARGET):
    """Judge a trained generator of 8×8 digits however it was built, by its digit score.

    ``G``: the result of ``images.train``, or your trained generator (a module, or any function
    from noise ``(n, noise_dim)`` to pictures ``(n, 1, 8, 8)`` in [−1, 1]); ``noise_dim`` when it
    cannot be read from G's first layer. The judge draws ``RESULT_N`` pictures (noise from seed 0,
    G in evaluation mode, your random state left alone) and passes when their classifier score
    reaches ``target``; below it, it says which part of the score fell short and what to try.
    A generator that copies training digits fails: that is memory, not generation.
    """
    target = float(target)
    with _own_random_state():
        pictures = _result_pictures(G, noise_dim)
    held_out, _ = _images.held_out_digits()
    ceiling = _images.digit_score(held_out)
    floor = _images.digit_score(torch.rand(RESULT_N, 1, 8, 8, generator=torch.Generator().manual_seed(3)) * 2 - 1)
    got = _images.digit_score(pictures)
    copied, median = _copies(pictures)
    expect(copied < COPY_SHARE,
           f"{100 * copied:.0f} % of your generator's pictures are copies of training digits (closer than "
           f"{COPY_DISTANCE} to one, in pixel distance; two different real digits are almost never that close). "
           "The score cannot see that, but a generator that replays its data has learned nothing new.",
           "Let G learn from the pictures through D only: no training digit stored inside G, no lookup.")
    scale = (f"real digits score {ceiling.inception:.2f} and uniform noise {floor.inception:.2f} on the same "
             f"judge")
    figures = (f"on {RESULT_N} pictures from your generator, classifier score {got.inception:.2f} (target "
               f"{target:g}; {scale})")
    if got.inception >= target:
        return (f"{figures}: confident {100 * got.confident:.0f} % (real digits {100 * ceiling.confident:.0f} %), "
                f"evenness {got.evenness:.2f} (real {ceiling.evenness:.2f}); no picture copies a training digit "
                f"(median distance to the nearest one {median:.2f}).")
    share = np.array(got.counts) / got.n
    most, least = int(share.argmax()), int(share.argmin())
    measured = (f"The score is high only when each picture is read as one digit with confidence and all ten "
                f"digits come out about equally often: yours are confident {100 * got.confident:.0f} % (real "
                f"digits {100 * ceiling.confident:.0f} %) with evenness {got.evenness:.2f} (real "
                f"{ceiling.evenness:.2f}).")
    if got.inception < 2.0 and got.evenness < 0.5:
        raise Fail(f"{figures}. {measured} Nearly every picture is read as the same digit: G draws almost the same "
                   "picture for every noise vector (an untrained G paints the same grey fog; a collapsed one the same "
                   "digit).",
                   "Train it (images.train(G, D, ...)), and look at run.snapshots: if every picture is alike from "
                   "some epoch on, G has collapsed; lower the learning rates or average G's weights (ema).")
    uneven, unsure = got.evenness < 0.9, got.confident < 0.5 * ceiling.confident
    if uneven:
        missing = [str(k) for k in range(10) if got.counts[k] == 0]
        rarest = (f"never {', '.join(missing[:-1])} or {missing[-1]}" if len(missing) > 1 else
                  f"never {missing[0]}" if missing else f"{least} in only {100 * share[least]:.0f} %")
        readings = f"the judge reads {most} in {100 * share[most]:.0f} % of the pictures and {rarest}"
        collapse_hint = ("Average G's weights over the last steps (ema=0.995), lower D's learning rate, or train "
                         "longer: a G that lost digits often finds them again.")
    if uneven and unsure:
        raise Fail(f"{figures}. {measured} Both fall short: most pictures are no clear digit, and {readings}.",
                   "First make the pictures digits: train (longer), and look at run.snapshots; once they are "
                   "digits, see whether all ten come out.")
    if uneven:
        raise Fail(f"{figures}. {measured} Most of the shortfall is evenness: {readings}, a partial mode collapse "
                   "(G has lost some digits).", collapse_hint)
    raise Fail(f"{figures}. {measured} Most of the shortfall is confidence: many pictures sit between two digits "
               "or are smudged, so the classifier hesitates.",
               "Train longer (in the guided run the score was still rising at epoch 40), average G's weights (ema), "
               "try Adam with β₁ = 0 and a learning rate near 2e-3, or give G more channels.")
