"""The two players: generators (noise -> sample) and discriminators (sample -> belief).

Shape rules, true of every pair here:
  * G maps noise ``(n, noise_dim)`` to samples ``(n, d)``, the shape of real data;
  * D takes what G makes (or features of it) and returns ``(n, 1)``, one verdict a row;
  * a discriminator with ``sigmoid=True`` returns P(real) in (0, 1); with ``sigmoid=False`` it
    returns a raw score (a logit, or a Wasserstein critic's value). ``D.outputs_logits`` says which.

Classic pair (the 1-D lesson): ``Generator`` (1 → 10 → 10 → 1, ReLU or tanh, dropout 0.25)
and ``Discriminator`` (sigmoid after every layer). 2-D lesson: ``LinearGenerator`` and an
``MLPDiscriminator`` with 5 and 3 tanh units. Modern recipe: ``MLPGenerator`` (SiLU) and
``MLPDiscriminator`` (leaky ReLU, logits out).
"""
import numbers

import numpy as np
import torch
from torch import nn

from ..validation import short_repr as _show, check_bool, check_choice, check_int, check_number

__all__ = ["Generator", "Discriminator", "LinearGenerator", "MLPGenerator", "MLPDiscriminator",
           "ACTIVATIONS", "count_parameters"]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "silu", "elu")


def _activation(name):
    check_choice("activation", name, ACTIVATIONS)
    return {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "silu": nn.SiLU,
            "elu": nn.ELU, "leaky_relu": lambda: nn.LeakyReLU(0.2)}[name]()


#: Bytes of weights one network may hold (a classroom kernel has about 1 GB in all).
WEIGHTS_LIMIT = 2**30


def _check_weights(kind, sizes):
    """Refuse, with the numbers, layer sizes whose float32 weights would need more than WEIGHTS_LIMIT."""
    count = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    if 4 * count > WEIGHTS_LIMIT:
        raise ValueError(f"a {kind} with layers {' → '.join(f'{s:,}' for s in sizes)} would hold {count:,} weights, "
                         f"about {4 * count / 2**30:.1f} GB; the limit is {WEIGHTS_LIMIT / 2**30:.0f} GB. "
                         "Use narrower layers (these lessons need tens of units).")


def _input_dtype(name, x, layer):
    """The slow half of a generator's input check, run only when the cheap test in ``forward``
    fails: check ``x`` against ``layer``'s real width and weight dtype and return that dtype (the
    cached one was stale, e.g. after ``G.double()``), or raise a clear error.

    The cheap test reads plain attributes only (``sizes`` and ``_dtype``): a few hundred
    nanoseconds against tens of microseconds for the forward pass itself.
    """
    width, dtype = layer.in_features, layer.weight.dtype
    if isinstance(x, torch.Tensor) and x.dim() == 2 and x.shape[1] == width and x.dtype == dtype:
        return dtype
    _bad_input(name, x, width, dtype)


def _bad_input(name, x, width, dtype):
    """Raise the clear error for an input a layer of ``width`` inputs and weights of ``dtype``
    cannot take."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a tensor of shape (n, {width}); got {type(x).__name__} {_show(x)} — "
                        f"make it with torch.rand(n, {width}) or torch.tensor(..., dtype=torch.float32).")
    if x.dim() != 2 or x.shape[1] != width:
        hint = ""
        if x.dim() == 1 and width == 1:
            hint = " — use z.unsqueeze(1)"
        elif x.dim() == 1 and len(x) == width:
            hint = " — for a single row use z.unsqueeze(0)"
        raise ValueError(f"{name} must have shape (n, {width}); got {tuple(x.shape)}{hint}.")
    fix = "z.float()" if dtype == torch.float32 else f"z.to({dtype})"
    raise TypeError(f"{name} must be a {dtype} tensor like the network's weights; got dtype {x.dtype} — use {fix}.")


def _bad_features(model, x):
    """Raise the clear error for an input whose last dimension a discriminator cannot take (the slow
    half of the check in ``forward``; the cheap test reads ``sizes`` only)."""
    width = model.sizes[0]
    kind = type(model).__name__
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{kind} expects a tensor of shape (n, {width}); got {type(x).__name__} {_show(x)}.")
    why = ""
    if isinstance(model, Discriminator) and width == 4:
        why = " (the classic D sees 4 moments: use gan_lesson.features.moments(x))"
    elif x.dim() >= 1 and x.shape[-1] != width:
        why = f" (input_size={width}: one row of {width} numbers per sample)"
    raise ValueError(f"{kind} expects (n, {width}) inputs{why}; got {tuple(x.shape)}.")


def count_parameters(model):
    """Number of trainable numbers (weights and biases) in ``model``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}.")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class Generator(nn.Module):
    """Classic generator: three linear layers, dropout after the first two, no output activation.

    ``forward``: noise ``(n, input_size)`` -> samples ``(n, output_size)``.
    """

    _dtype = None     # the weights' dtype as last seen by forward's input check

    def __init__(self, input_size=1, hidden_size=10, output_size=1, activation="relu", dropout=0.25):
        super().__init__()
        self.sizes = (check_int("input_size", input_size, low=1), check_int("hidden_size", hidden_size, low=1),
                      check_int("output_size", output_size, low=1))
        self.activation_name = check_choice("activation", activation, ("relu", "tanh"))
        self.p = check_number("dropout", dropout, low=0, high=1, high_open=True)
        input_size, hidden_size, output_size = self.sizes
        _check_weights("Generator", (input_size, hidden_size, hidden_size, output_size))
        self.map1 = nn.Linear(input_size, hidden_size)
        self.map2 = nn.Linear(hidden_size, hidden_size)
        self.map3 = nn.Linear(hidden_size, output_size)
        self.act = _activation(activation)
        self.dropout = nn.Dropout(self.p)
        self.dropout_generator = None   # a torch.Generator for dropout's draws (None: the global one)
        self._dtype = self.map1.weight.dtype

    def _drop(self, x):
        if self.dropout_generator is None or not self.training or self.p == 0:
            return self.dropout(x)
        # what nn.Dropout computes, drawing its mask from the private generator
        keep = torch.empty_like(x).bernoulli_(1 - self.p, generator=self.dropout_generator)
        return x * keep.div_(1 - self.p)

    def forward(self, z):
        if not (isinstance(z, torch.Tensor) and z.dim() == 2 and z.shape[1] == self.sizes[0]
                and z.dtype is self._dtype):
            self._dtype = _input_dtype("noise", z, self.map1)
        x = self._drop(self.act(self.map1(z)))
        x = self._drop(self.act(self.map2(x)))
        return self.map3(x)

    def __repr__(self):
        i, h, o = self.sizes
        return f"Generator({i} → {h} → {h} → {o}, {self.activation_name}, dropout {self.p:g})"


class Discriminator(nn.Module):
    """Classic discriminator: three linear layers with a sigmoid after each.

    ``forward``: ``(n, input_size)`` -> ``(n, output_size)``, a probability of "real" when
    ``sigmoid=True`` (the lesson's D); a raw score when False (least squares, Wasserstein).
    """

    def __init__(self, input_size=4, hidden_size=10, output_size=1, sigmoid=True):
        super().__init__()
        self.sizes = (check_int("input_size", input_size, low=1), check_int("hidden_size", hidden_size, low=1),
                      check_int("output_size", output_size, low=1))
        self.outputs_logits = not check_bool("sigmoid", sigmoid)
        input_size, hidden_size, output_size = self.sizes
        _check_weights("Discriminator", (input_size, hidden_size, hidden_size, output_size))
        self.map1 = nn.Linear(input_size, hidden_size)
        self.map2 = nn.Linear(hidden_size, hidden_size)
        self.map3 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        if not (isinstance(x, torch.Tensor) and x.dim() and x.shape[-1] == self.sizes[0]):
            _bad_features(self, x)
        x = torch.sigmoid(self.map1(x))
        x = torch.sigmoid(self.map2(x))
        x = self.map3(x)
        return x if self.outputs_logits else torch.sigmoid(x)

    def __repr__(self):
        i, h, o = self.sizes
        out = "score" if self.outputs_logits else "sigmoid"
        return f"Discriminator({i} → {h} → {h} → {o}, sigmoid hidden, {out} out)"


class LinearGenerator(nn.Module):
    """One linear layer: z ``(n, noise_dim)`` -> z·W + b ``(n, data_dim)``; can only shift and shear."""

    _dtype = None     # the weights' dtype as last seen by forward's input check

    def __init__(self, noise_dim=2, data_dim=2):
        super().__init__()
        self.sizes = (check_int("noise_dim", noise_dim, low=1), check_int("data_dim", data_dim, low=1))
        _check_weights("LinearGenerator", self.sizes)
        self.linear = nn.Linear(*self.sizes)
        self._dtype = self.linear.weight.dtype

    def forward(self, z):
        if not (isinstance(z, torch.Tensor) and z.dim() == 2 and z.shape[1] == self.sizes[0]
                and z.dtype is self._dtype):
            self._dtype = _input_dtype("noise", z, self.linear)
        return self.linear(z)

    def __repr__(self):
        return f"LinearGenerator({self.sizes[0]} → {self.sizes[1]})"


def _mlp(sizes, activation):
    layers = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), _activation(activation)]
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


def _hidden(name, hidden):
    if isinstance(hidden, (np.ndarray, torch.Tensor)) and hidden.ndim == 0:
        hidden = hidden.item()
    if isinstance(hidden, numbers.Real) and not isinstance(hidden, (bool, np.bool_)):
        hidden = (hidden,)              # one hidden layer: 32, 32.0, np.int64(32)
    if isinstance(hidden, (str, bytes, bool, np.bool_)):
        raise TypeError(f"{name} must be a whole number or a list of them (layer widths); got {_show(hidden)}.")
    try:
        hidden = tuple(hidden)
    except TypeError:
        raise TypeError(f"{name} must be a whole number or a list of them (layer widths); "
                        f"got {_show(hidden)} of type {type(hidden).__name__}.") from None
    if not hidden:
        raise ValueError(f"{name} must list at least one layer width; got an empty list.")
    return tuple(check_int(f"{name}[{i}]", h, low=1) for i, h in enumerate(hidden))


class MLPGenerator(nn.Module):
    """A multilayer generator: noise ``(n, noise_dim)`` -> samples ``(n, data_dim)``, linear output."""

    _dtype = None     # the weights' dtype as last seen by forward's input check

    def __init__(self, noise_dim=4, data_dim=1, hidden=(32, 32), activation="silu"):
        super().__init__()
        self.hidden = _hidden("hidden", hidden)
        self.sizes = (check_int("noise_dim", noise_dim, low=1), *self.hidden, check_int("data_dim", data_dim, low=1))
        self.activation_name = check_choice("activation", activation, ACTIVATIONS)
        _check_weights("MLPGenerator", self.sizes)
        self.net = _mlp(self.sizes, activation)
        self._dtype = self.net[0].weight.dtype

    def forward(self, z):
        if not (isinstance(z, torch.Tensor) and z.dim() == 2 and z.shape[1] == self.sizes[0]
                and z.dtype is self._dtype):
            self._dtype = _input_dtype("noise", z, self.net[0])
        return self.net(z)

    def __repr__(self):
        return f"MLPGenerator({' → '.join(map(str, self.sizes))}, {self.activation_name})"


class MLPDiscriminator(nn.Module):
    """A multilayer discriminator: ``(n, input_size)`` -> ``(n, 1)``.

    ``sigmoid=False`` (the default) returns a logit; ``D.outputs_logits`` is then True and the
    losses apply the sigmoid inside, which is numerically safer.
    """

    def __init__(self, input_size=1, hidden=(32, 32), activation="leaky_relu", sigmoid=False):
        super().__init__()
        self.hidden = _hidden("hidden", hidden)
        self.sizes = (check_int("input_size", input_size, low=1), *self.hidden, 1)
        self.activation_name = check_choice("activation", activation, ACTIVATIONS)
        self.outputs_logits = not check_bool("sigmoid", sigmoid)
        _check_weights("MLPDiscriminator", self.sizes)
        self.net = _mlp(self.sizes, activation)

    def forward(self, x):
        # no input check here: notebook 03 shows what PyTorch itself says when G's output and D's
        # input disagree (the classic Discriminator, whose 4 moment inputs surprise, checks)
        x = self.net(x)
        return x if self.outputs_logits else torch.sigmoid(x)

    def __repr__(self):
        out = "score" if self.outputs_logits else "sigmoid"
        return f"MLPDiscriminator({' → '.join(map(str, self.sizes))}, {self.activation_name}, {out} out)"
