"""Probe what a small network does, whatever its weights: the shared tool of the model checkers.

A model built from ``nn.Linear`` layers and activations is probed without trusting its random
initial weights, by taking control of what its linear layers emit:

- ``output_curve(model, x)``: the last ``nn.Linear`` is made to emit a constant c (weights 0, bias
  c), for c from -100 to 100; what the model returns then is what comes after that layer, the
  output activation, as a curve c → output. ``name_curve`` names it: nothing, ReLU, sigmoid,
  tanh, a clamp, a sigmoid applied twice, a ReLU before the sigmoid, …
- ``gaps(model, x)``: between two consecutive linear layers (and between the input and the first
  one), the first one's output is replaced by wide random numbers (spread ±10) and the second
  one's input is recorded; a least-squares fit tells whether the map between them is linear. A
  linear gap means no activation acts there: the two layers collapse into one linear map.
- ``explain_crash(model, x, exc)``: the layer that crashed on the probing batch, the width it was
  given and the width it expects (first layer too narrow or too wide, two layers that do not fit).
- ``compare(student, reference, x)``: the first difference between the two models' behaviour, as
  a ``Difference(problem, hint)`` in the student's terms, or None.

Every probe works on a deep copy in ``eval`` mode, so the student's model is never changed, and
draws its numbers from fixed seeds, so the messages never depend on the global random state.
"""
import copy
from dataclasses import dataclass, field

import torch
from torch import nn

from .core import Fail, NotAttempted, call, expect

__all__ = ["shape_text", "linears", "explain_crash", "forward", "output_range", "output_curve", "name_curve",
           "stacked", "Gap", "gaps", "linear_gap_failure", "Behaviour", "behaviour", "Difference", "compare",
           "CURVE_INPUTS", "layer_crash", "build_crash"]

#: What the last nn.Linear is made to emit, from very negative to very positive.
CURVE_INPUTS = (-100.0, -10.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 10.0, 100.0)
GAP_ROWS = 512          # rows of the batch that probes the map between two linear layers
GAP_SPREAD = 10.0       # the replaced outputs are uniform in ±GAP_SPREAD: wide enough to bend a tanh
LINEAR_FIT = 1e-3       # relative residual of the least-squares fit below which a map counts as linear


def shape_text(t):
    """A tensor's shape as Python writes it: (64, 2), (64,)."""
    return "(" + ", ".join(str(s) for s in t.shape) + ("," if t.ndim == 1 else "") + ")"


def _plural(k, word):
    return f"{k} {word}{'s' if k != 1 else ''}"


def linears(model):
    """The model's nn.Linear layers, in the order they are registered."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


class _Hooks:
    """Hooks on every nn.Linear of a model: the order they are called in, the input each one gets,
    the layer that started but never finished (a crash), and outputs to emit instead of their own."""

    def __init__(self, model, replace=None):
        self.layers = linears(model)
        self.calls, self.inputs, self.open = [], {}, []
        self.replace = replace or {}          # index into self.layers → function(output) → new output
        self._handles = []

    def __enter__(self):
        for i, layer in enumerate(self.layers):
            self._handles.append(layer.register_forward_pre_hook(self._before(i)))
            self._handles.append(layer.register_forward_hook(self._after(i)))
        return self

    def __exit__(self, *exc):
        for h in self._handles:
            h.remove()

    def _before(self, i):
        def hook(module, args):
            self.calls.append(i)
            self.open.append(i)
            if args and isinstance(args[0], torch.Tensor):
                self.inputs.setdefault(i, args[0].detach().clone())
        return hook

    def _after(self, i):
        def hook(module, args, out):
            if self.open and self.open[-1] == i:
                self.open.pop()
            if i in self.replace:
                return self.replace[i](out)
            return None
        return hook


def _run(model, x, replace=None):
    """(output, hooks) of ``model(x)`` without gradients; the student's exceptions come through."""
    hooks = _Hooks(model, replace)
    with hooks, torch.no_grad():
        out = call(model, x.clone(), what=f"your model on a batch of shape {shape_text(x)}", diagnose=False)
    return out, hooks


def _order(model, x):
    """The model's nn.Linear layers in the order forward calls them; None if one is called twice or it fails."""
    try:
        _, hooks = _run(model, x)
    except Exception:
        return None
    if len(set(hooks.calls)) != len(hooks.calls):
        return None
    return hooks.calls


def explain_crash(model, x, exc):
    """A ``Fail`` explaining why ``model(x)`` raised ``exc``: which layer was given how many numbers a row."""
    width = x.shape[-1]
    hooks = _Hooks(model)
    try:
        with hooks, torch.no_grad():
            call(model, x, what="your model", diagnose=False)
    except Exception:
        pass
    layers = hooks.layers
    if hooks.open:                            # the crash happened inside this nn.Linear
        i = hooks.open[-1]
        layer = layers[i]
        got = hooks.inputs.get(i)
        got_width = got.shape[-1] if got is not None and got.ndim else None
        position = hooks.calls.index(i) + 1
        if got_width is not None and got_width != layer.in_features:
            if position == 1:
                return Fail(f"it crashes on a batch of shape {shape_text(x)}: its first layer is "
                            f"nn.Linear({layer.in_features}, {layer.out_features}), which expects "
                            f"{_plural(layer.in_features, 'number')} a row, but each row here has {got_width}.",
                            f"Make the first layer nn.Linear({got_width}, ...): its in_features is the number of "
                            "columns of the input.")
            before = layers[hooks.calls[position - 2]]
            return Fail(f"it crashes on a batch of shape {shape_text(x)}: linear layer {position} is "
                        f"nn.Linear({layer.in_features}, {layer.out_features}), but the layer before it, "
                        f"nn.Linear({before.in_features}, {before.out_features}), gives {got_width} numbers a row.",
                        "Each layer's in_features must equal the previous layer's out_features.")
    elif not hooks.calls and layers and layers[0].in_features != width:     # no hook ran: guess from the order
        first = layers[0]
        return Fail(f"it crashes on a batch of shape {shape_text(x)}: its first layer is "
                    f"nn.Linear({first.in_features}, {first.out_features}), which expects "
                    f"{_plural(first.in_features, 'number')} a row, but each row here has {width}.",
                    f"Make the first layer nn.Linear({width}, ...): its in_features is the number of columns "
                    "of the input.")
    if not hooks.open:
        for i, (a, b) in enumerate(zip(layers, layers[1:]), start=2):
            if a.out_features != b.in_features and not hooks.calls:
                return Fail(f"it crashes on a batch of shape {shape_text(x)}: linear layer {i} is "
                            f"nn.Linear({b.in_features}, {b.out_features}), but the layer before it gives "
                            f"{a.out_features} numbers a row.",
                            "Each layer's in_features must equal the previous layer's out_features.")
    found = layer_crash(model, x, exc, "the model")
    if found is not None:
        return found
    return Fail(f"calling the model on a batch of shape {shape_text(x)} raised {type(exc).__name__}: {exc}",
                f"Call your model on a small batch, e.g. model(torch.randn(4, {width})), in a cell of its own "
                "and read the error.")


def forward(model, x, what=None):
    """``model(x)`` without gradients: a stub is NotAttempted, a crash an explained Fail, a non-tensor a Fail."""
    try:
        with torch.no_grad():
            out = call(model, x, what=what or f"your model on a batch of shape {shape_text(x)}", diagnose=False)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as exc:
        raise explain_crash(model, x, exc) from None
    if out is Ellipsis:
        raise NotAttempted()
    expect(isinstance(out, torch.Tensor), f"forward returned a {type(out).__name__}, not a tensor.",
           "Return the output of the last layer (a tensor) from forward.")
    return out


# --------------------------------------------------------------------------- after the last layer

def output_curve(model, x):
    """What the model returns when its last nn.Linear emits each of ``CURVE_INPUTS``: a float64 tensor of
    the same length, or None when that tells nothing (no nn.Linear, or the output still depends on x)."""
    order = _order(model, x)
    if not order:
        return None
    last = order[-1]
    values = []
    for c in CURVE_INPUTS:
        try:
            out, _ = _run(model, x, {last: lambda y, c=c: torch.full_like(y, c)})
        except Exception:
            return None
        if not isinstance(out, torch.Tensor) or out.numel() == 0 or not out.dtype.is_floating_point:
            return None
        flat = out.reshape(out.shape[0], -1) if out.ndim else out.reshape(1, 1)
        if not torch.isfinite(flat).all() or (flat - flat[:1]).abs().max() > 1e-5:
            return None
        values.append(float(flat[0, 0]))
    return torch.tensor(values, dtype=torch.float64)


def output_range(model, x):
    """(lowest, highest) output when the last nn.Linear emits -100 … 100; None if that tells nothing."""
    curve = output_curve(model, x)
    if curve is None:
        return None
    return float(curve.min()), float(curve.max())


def _curves():
    c = torch.tensor(CURVE_INPUTS, dtype=torch.float64)
    s, t, r = torch.sigmoid, torch.tanh, torch.relu
    f = torch.nn.functional
    leaky = [f.leaky_relu(c, 0.01), f.leaky_relu(c, 0.2)]
    curves = [
        ("nothing (the last layer's output itself)", c),
        ("a ReLU", r(c)),
        ("a sigmoid", s(c)),
        ("a tanh", t(c)),
        ("a sigmoid applied twice", s(s(c))),
        ("a tanh applied twice", t(t(c))),
        ("a ReLU and then a sigmoid", s(r(c))),
        ("a ReLU and a tanh", t(r(c))),                   # the same in either order
        ("a tanh and then a sigmoid", s(t(c))),
        ("a sigmoid and then a tanh", t(s(c))),
        ("a clamp to [-1, 1] (torch.clamp or nn.Hardtanh)", c.clamp(-1, 1)),
        ("a clamp to [0, 1]", c.clamp(0, 1)),
        ("nn.Hardsigmoid", f.hardsigmoid(c)),
        ("a softplus", f.softplus(c)),
        ("2·sigmoid − 1", 2 * s(c) - 1),
        ("a softsign", c / (1 + c.abs())),
        ("a softmax over a single number (always 1)", torch.ones_like(c)),
        ("an exponential", torch.exp(c.clamp(max=80))),
    ]
    for y in leaky:
        curves += [("a leaky ReLU", y), ("a leaky ReLU and then a sigmoid", s(y)),
                   ("a leaky ReLU and then a tanh", t(y)), ("a tanh and then a leaky ReLU", f.leaky_relu(t(c), 0.01)),
                   ("a tanh and then a leaky ReLU", f.leaky_relu(t(c), 0.2))]
    return curves


def stacked(name):
    """True when ``name`` (from ``name_curve``) is one activation on top of another."""
    return bool(name) and ("twice" in name or " and " in name)


def name_curve(curve):
    """The name of the activation whose curve ``curve`` is (from ``output_curve``), or None."""
    if curve is None:
        return None
    finite = torch.isfinite(curve)
    for name, want in _curves():
        ok = finite & torch.isfinite(want)
        if bool(ok.all()) and torch.allclose(curve, want, rtol=1e-3, atol=1e-4):
            return name
    return None


# --------------------------------------------------------------------------- between the layers

@dataclass
class Gap:
    """The map between two consecutive linear layers (``before`` is None for the model's input)."""
    before: object
    after: nn.Linear
    position: int          # the ``after`` layer's place in the call order, 1 for the first
    linear: bool           # True: no activation acts there
    residual: float        # relative residual of the least-squares linear fit

    def describe(self):
        a = self.after
        if self.before is None:
            return f"the input and the first layer, nn.Linear({a.in_features}, {a.out_features})"
        b = self.before
        return (f"linear layer {self.position - 1}, nn.Linear({b.in_features}, {b.out_features}), and linear layer "
                f"{self.position}, nn.Linear({a.in_features}, {a.out_features})")


def _linear_fit_residual(inputs, outputs):
    """Relative residual of the best affine map inputs (n, k) → outputs (n, m), in float64."""
    a = torch.cat([inputs.double().reshape(len(inputs), -1), torch.ones(len(inputs), 1, dtype=torch.float64)], 1)
    b = outputs.double().reshape(len(outputs), -1)
    spread = float((b - b.mean(0)).norm())
    if spread < 1e-9:
        return 0.0
    solution = torch.linalg.lstsq(a, b).solution
    return float((a @ solution - b).norm()) / spread


def _wide(shape, seed):
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(*shape, generator=gen) * 2 - 1) * GAP_SPREAD


def gaps(model, x):
    """``[Gap]``: the input → first layer, then each pair of consecutive nn.Linear layers (in call order),
    with whether the map between them is linear. None when the model cannot be probed this way."""
    width = x.shape[-1]
    big = _wide((max(GAP_ROWS, 4 * (width + 1)), width), seed=101)
    order = _order(model, big)
    if not order:
        return None
    layers = linears(model)
    found = []
    try:
        _, hooks = _run(model, big)
        first = hooks.inputs.get(order[0])
        if first is None or first.shape[0] != big.shape[0]:
            return None
        found.append(Gap(None, layers[order[0]], 1, *_verdict(big, first)))
        for k, (i, j) in enumerate(zip(order, order[1:]), start=2):
            rows = big.shape[0]
            emitted = _wide((rows, layers[i].out_features), seed=200 + k)
            # a copy each time: an in-place activation (nn.ReLU(inplace=True)) must not change `emitted`
            emit = (lambda y, e=emitted: e.to(y.dtype, copy=True) if y.shape == e.shape else y)
            _, hooks = _run(model, big, {i: emit})
            got = hooks.inputs.get(j)
            if got is None or got.shape[0] != rows:
                return None
            found.append(Gap(layers[i], layers[j], k, *_verdict(emitted, got)))
    except Exception:
        return None
    return found


def _verdict(inputs, outputs):
    residual = _linear_fit_residual(inputs, outputs)
    return residual < LINEAR_FIT, residual


def linear_gap_failure(model, x, who="the model", activation="nn.ReLU()"):
    """A ``Fail`` naming the first place where no activation acts (between the input and the first layer
    something non-linear acts instead), or None when every hidden layer has its activation."""
    found = gaps(model, x)
    if not found:
        return None
    head, hidden = found[0], found[1:]
    if not head.linear:
        return Fail(f"between {who}'s input and its first layer something non-linear acts (an activation before "
                    "the first nn.Linear?): it changes the input before any weight sees it, e.g. a ReLU there "
                    "throws away every negative number of the input.",
                    "Start with the first nn.Linear; put each activation after a linear layer, never before the "
                    "first one.")
    flat = [g for g in hidden if g.linear]
    if not flat:
        return None
    hint = (f"Put an activation ({activation} or another) after every hidden nn.Linear, so that each hidden "
            "layer bends what the one before it gives.")
    if len(flat) == len(hidden):
        return Fail(f"no activation acts between {who}'s {len(hidden) + 1} linear layers: a chain of linear maps "
                    "is one linear map, so the extra layers add nothing and the model can only stretch, turn "
                    "and shift its input, never bend it.", hint)
    g = flat[0]
    return Fail(f"nothing non-linear acts between {g.describe()} in {who}: two linear maps in a row are one "
                "linear map, so that hidden layer adds nothing a single layer could not do (an activation is "
                "missing there).", hint)


# --------------------------------------------------------------------------- the whole behaviour

@dataclass
class Behaviour:
    """What a model does on a probing batch, read without trusting its weights."""
    shape: tuple
    dtype: torch.dtype
    finite: bool
    uses_input: bool
    row_by_row: bool
    curve: object = None                   # output_curve, or None
    curve_name: str = None
    gaps: list = field(default_factory=list)

    @property
    def bounds(self):
        return None if self.curve is None else (float(self.curve.min()), float(self.curve.max()))


def behaviour(model, x):
    """Probe ``model`` (a copy of it, in eval mode) on the batch ``x`` ``(n, width)``."""
    probe = copy.deepcopy(model).eval()
    out = forward(probe, x)
    spread = forward(probe, torch.cat([x, x * 3 + 1]))
    alone = forward(probe, x[:1])
    flipped = forward(probe, x.flip(0))
    row_by_row = (tuple(alone.shape[1:]) == tuple(out.shape[1:]) and tuple(flipped.shape) == tuple(out.shape)
                  and out.ndim >= 1 and len(out) == len(x)
                  and float((alone - out[:1]).abs().max()) < 1e-5 and float((flipped - out.flip(0)).abs().max()) < 1e-5)
    uses = out.dtype.is_floating_point and float((spread - spread[:1]).abs().max()) > 1e-6
    curve = output_curve(probe, x)
    return Behaviour(tuple(out.shape), out.dtype, bool(torch.isfinite(out).all()) if out.dtype.is_floating_point
                     else True, uses, row_by_row, curve, name_curve(curve), gaps(probe, x) or [])


@dataclass
class Difference:
    """The first way a model behaves unlike the reference: ``problem`` and ``hint`` in the student's terms."""
    what: str
    problem: str
    hint: str

    def fail(self):
        return Fail(self.problem, self.hint)


def compare(student, reference, x, who="your model"):
    """The first ``Difference`` between ``student``'s and ``reference``'s behaviour on ``x``, or None.

    Compared in this order: output shape, dtype, finite values, use of the input, one output per row
    computed from that row alone, an activation before the first layer, hidden layers without an
    activation, and the bounds of the output activation (the lowest and highest output it can give).
    """
    mine, ref = behaviour(student, x), behaviour(reference, x)
    if mine.shape != ref.shape:
        return Difference("shape", f"a batch of shape {shape_text(x)} gives {who} an output of shape "
                          f"({', '.join(map(str, mine.shape))}), not ({', '.join(map(str, ref.shape))}).",
                          "Check the last layer's out_features and any reshaping at the end of forward.")
    if mine.dtype != ref.dtype:
        return Difference("dtype", f"{who}'s output has dtype {mine.dtype}, not {ref.dtype}.",
                          "Keep the output as the layers give it (no rounding, no .long(), no .double()).")
    if not mine.finite:
        return Difference("finite", f"{who}'s output holds NaN or infinite values.",
                          "Look for a division or a log in forward; layers and activations give finite numbers.")
    if not mine.uses_input:
        return Difference("input", f"{who} gives the same output for every input.",
                          "Check that forward uses its input and returns the result of the layers.")
    if ref.row_by_row and not mine.row_by_row:
        return Difference("rows", f"{who}'s output for one row changes when the other rows of the batch change.",
                          "Use only per-row layers (nn.Linear and activations); nothing across the batch (dim 0).")
    fail = linear_gap_failure(student, x, who)
    if fail is not None and linear_gap_failure(reference, x, who) is None:
        return Difference("activation", *fail.args)
    if mine.bounds is not None and ref.bounds is not None:
        (lo, hi), (rlo, rhi) = mine.bounds, ref.bounds
        width = max(rhi - rlo, 1e-6)
        if lo < rlo - 1e-3 * width or hi > rhi + 1e-3 * width or lo > rlo + 0.01 * width or hi < rhi - 0.01 * width:
            named = f" ({mine.curve_name} after the last layer)" if mine.curve_name else ""
            return Difference("bounds", f"{who}'s outputs range from {lo:.3g} to {hi:.3g} whatever the last layer "
                              f"says{named}, where they should range from {rlo:.3g} to {rhi:.3g}"
                              + (f" ({ref.curve_name})" if ref.curve_name else "") + ".",
                              "Change what comes after the last nn.Linear: the output activation sets the range.")
    return None


# --------------------------------------------------------------------------- crashes of any layer stack

CHANNELS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.InstanceNorm1d, nn.InstanceNorm2d)


def _leaf_layers(model):
    return [(name, m) for name, m in model.named_modules() if not list(m.children())]


def _layer(name, module):
    """"layer 3, nn.Conv2d(32, 64, …)": the name print(model) shows, and the layer as it prints."""
    where = f"layer {name}" if name else "the model"
    text = f"{type(module).__name__}({module.num_features})" if isinstance(module, NORMS) else repr(module)
    return f"{where}, nn.{text}"


def _needs(module):
    """(what the layer counts in its input, how many it expects, the input dimension it reads) or None."""
    if isinstance(module, CHANNELS):
        return "input channels", module.in_channels, 1
    if isinstance(module, NORMS) and module.num_features:
        return "channels", module.num_features, 1
    if isinstance(module, nn.Linear):
        return "numbers a row", module.in_features, -1
    return None


def _gives(module):
    """How many channels (or numbers a row) ``module`` gives, when it sets them; else None."""
    if isinstance(module, CHANNELS):
        return module.out_channels
    if isinstance(module, nn.Linear):
        return module.out_features
    return None


class _LeafHooks:
    """Hooks on every leaf layer: the call order, each one's input shape, the layer left open by a crash."""

    def __init__(self, model):
        self.leaves = _leaf_layers(model)
        self.started, self.finished, self.open, self.inputs = [], [], [], {}
        self._handles = []

    def __enter__(self):
        for k, (name, m) in enumerate(self.leaves):
            self._handles.append(m.register_forward_pre_hook(self._before(k)))
            self._handles.append(m.register_forward_hook(self._after(k)))
        return self

    def __exit__(self, *exc):
        for h in self._handles:
            h.remove()

    def _before(self, k):
        def hook(module, args):
            self.started.append(k)
            self.open.append(k)
            if args and isinstance(args[0], torch.Tensor):
                self.inputs[k] = tuple(args[0].shape)
        return hook

    def _after(self, k):
        def hook(module, args, out):
            if self.open and self.open[-1] == k:
                self.open.pop()
            self.finished.append((k, tuple(out.shape) if isinstance(out, torch.Tensor) else None))
        return hook


def layer_crash(model, x, exc, who="the model", input_words=None):
    """A ``Fail`` saying which layer of ``model`` crashed on ``x`` (its name as print(model) shows it, its
    type), what it received against what it expects, and the likely fix; None when no layer was running
    when ``exc`` was raised (the crash is in forward's own code).

    ``input_words``: what the input is, e.g. "the noise" or "the digits" (default "the input").
    """
    hooks = _LeafHooks(model)
    try:
        with hooks, torch.no_grad():
            call(model, x.clone(), what=who, diagnose=False)
    except Exception:  # noqa: BLE001  (the crash being explained)
        pass
    if not hooks.open:
        return None
    k = hooks.open[-1]
    name, m = hooks.leaves[k]
    got = hooks.inputs.get(k)
    this = _layer(name, m)
    text = f"{type(exc).__name__}: {exc}"
    source = input_words or "the input"
    before = [j for j, _ in hooks.finished if j != k]
    sizes = dict(hooks.finished)
    setter = next((j for j in reversed(before) if _gives(hooks.leaves[j][1]) is not None
                   or isinstance(hooks.leaves[j][1], (nn.Flatten, nn.Unflatten))), None)
    order = "(in_channels, out_channels, kernel_size, stride, padding)"
    shape = "(" + ", ".join(map(str, got)) + ")" if got is not None else "?"
    flat = next((j for j in reversed(before) if isinstance(hooks.leaves[j][1], nn.Flatten)), None)

    if isinstance(m, CHANNELS) and got is not None and len(got) != m.weight.dim():
        want = "(n, channels, height, width)" if m.weight.dim() == 4 else f"{m.weight.dim()} dimensions"
        if flat is not None:
            fname, fm = hooks.leaves[flat]
            return Fail(f"{who}'s {this} receives a tensor of shape {shape}, but a convolution needs pictures {want}: "
                        f"{_layer(fname, fm)}, before it, flattened the pictures into rows.",
                        "nn.Flatten() belongs after the last convolution, at the very end; move it there.")
        if not before:
            return Fail(f"{who}'s first layer, {this}, is a convolution, but {source} has shape {shape}: flat rows, "
                        f"not pictures {want}.",
                        f"Start with nn.Unflatten(1, ({got[-1]}, 1, 1)): it reads each row as a 1×1 picture with "
                        f"{got[-1]} channels (use the argument, e.g. noise_dim, not the number).")
        return Fail(f"{who}'s {this} receives a tensor of shape {shape}, but a convolution needs pictures {want}.",
                    "Keep the pictures four-dimensional between the convolutions: no flatten, squeeze or view there.")

    need = _needs(m)
    if need is not None and got is not None and len(got) >= 2:
        what, expected, dim = need
        have = got[dim]
        if have != expected:
            if setter is None:
                origin = (f"{source} {'have' if source.endswith('s') else 'has'} "
                          + (_plural(have, "channel") if dim == 1 else f"{have} numbers a row"))
                fix_to = f"the {have} of {source}"
            else:
                sname, sm = hooks.leaves[setter]
                origin = f"{_layer(sname, sm)}, before it, gives {have}"
                fix_to = (f"the out_channels of layer {sname} ({have})" if isinstance(sm, CHANNELS) else
                          f"the out_features of layer {sname} ({have})" if isinstance(sm, nn.Linear) else
                          f"the {have} that layer {sname} gives")
            unit = what if expected != 1 else what.replace("channels", "channel")
            problem = f"{who}'s {this} expects {expected} {unit} but receives {have}: {origin}."
            if isinstance(m, NORMS):
                nxt = hooks.leaves[k + 1][1] if k + 1 < len(hooks.leaves) else None
                if nxt is not None and _gives(nxt) == expected:
                    return Fail(problem + f" The batch norm sits before the layer whose output it normalises "
                                f"(layer {hooks.leaves[k + 1][0]}, which gives {expected}).",
                                "Put each nn.BatchNorm2d right after the convolution it normalises: convolution, "
                                "batch norm, activation.")
                return Fail(problem, f"A batch norm's num_features is the number of channels of the layer before it: "
                            f"nn.{type(m).__name__}({have}) here, or give that layer {expected} output channels.")
            if isinstance(m, CHANNELS):
                swapped = m.out_channels == have
                hint = (f"Its in_channels must equal {fix_to}: nn.{type(m).__name__}({have}, …)."
                        + (f" In and out look swapped: the order is {order}." if swapped else ""))
                return Fail(problem, hint)
            return Fail(problem, f"Its in_features must equal {fix_to}: nn.Linear({have}, …).")

    if "Kernel size can't be greater" in str(exc) and isinstance(m, CHANNELS) and got is not None:
        pad = m.padding if isinstance(m.padding, tuple) else (m.padding, m.padding)
        h, w = got[-2] + 2 * pad[0], got[-1] + 2 * pad[1]
        return Fail(f"{who}'s {this} receives {got[-2]}×{got[-1]} pictures ({h}×{w} with its padding), smaller than "
                    f"its {m.kernel_size[0]}×{m.kernel_size[1]} kernel, so it has nowhere to go.",
                    f"Check the order of nn.{type(m).__name__}'s arguments, {order}, and the picture size each layer "
                    "leaves (kernel 4, stride 2, padding 1 halves it).")
    if "non-positive stride" in str(exc) and isinstance(m, CHANNELS):
        return Fail(f"{who}'s {this} has stride {m.stride[0]}: a stride must be at least 1.",
                    f"Check the order of nn.{type(m).__name__}'s arguments: {order}.")
    if "size mismatch" in str(exc) or "shapes cannot be multiplied" in str(exc) or "channels" in str(exc):
        return Fail(f"{who}'s {this} does not fit what it receives, a tensor of shape {shape} ({text}).",
                    "Print the model and compare each layer's in_channels (in_features) with the out_channels "
                    "(out_features) of the layer before it.")
    return Fail(f"{who}'s {this} crashed on a tensor of shape {shape}: {text}",
                "Print the model and check this layer's arguments against what the layer before it gives.")


def build_crash(what, exc):
    """A ``Fail`` for a crash while building a model (``what`` is e.g. "make_generator(16)")."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, TypeError) and "bad operand type for unary -" in str(exc):
        return Fail(f"{what} crashes while building the network: a minus sign stands in front of a module "
                    f"({text}); a network cannot be negated.",
                    "Return the network itself: `return nn.Sequential(...)`, no sign in front.")
    if isinstance(exc, TypeError) and "unflattened_size" in str(exc):
        return Fail(f"{what} crashes while building nn.Unflatten: {exc}. Its arguments are (dim, unflattened_size), "
                    "the dimension first, then the new sizes as a tuple.",
                    "Write nn.Unflatten(1, (noise_dim, 1, 1)).")
    if isinstance(exc, NameError) and getattr(exc, "name", None):
        return Fail(f"{what} uses `{exc.name}` before any line gives it a value ({text}).",
                    f"Define `{exc.name}` above the line that first uses it (or use the function's argument).")
    if isinstance(exc, (TypeError, ValueError, RuntimeError)) and "channels" in str(exc):
        return Fail(f"{what} crashes while building a layer: {text}",
                    "Each layer's sizes are whole numbers ≥ 1: nn.Conv2d(in_channels, out_channels, kernel_size, "
                    "stride, padding), in that order.")
    return Fail(f"{what} crashes while building the network: {text}",
                "Build the network in a cell of its own and print it.")
