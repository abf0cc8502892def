"""Many independent GANs in one run: the same settings over many seeds, or a grid of learning rates.

Tiny networks spend their time on per-operation overhead, not arithmetic, so training 64 GANs
one after another costs 64 times the overhead. Here the weights of all ``M`` GANs are stacked
into tensors of shape ``(M, inputs + 1, outputs)`` (the bias is one more row) and every layer is
one batched matrix product (``torch.bmm``): a step of 64 GANs costs a few times one GAN's step.
The steps run forward and backward by hand into buffers kept from step to step (``_Pass``, which
the tests hold equal to autograd), and one flat tensor holds every weight, so an optimiser step
is a handful of operations. ``benchmarks/many_benchmark.py`` measures it against ``fit``.

It is ``gan_lesson.fit``'s loop in a stacked shape, not another recipe:

* GAN ``i`` starts from the weights ``fit(seed=seeds[i])`` starts from (G's layers, then D's,
  drawn as ``nn.Linear`` draws them after ``torch.manual_seed(seed)``), and its snapshots come
  from the same fixed noise batch as fit's;
* the losses are the registry's (``gan_lesson.losses.get(recipe.loss)``), called on the stacked
  outputs ``(M, n, 1)``. Each is a mean over the ``M·n`` rows, so ``M`` times it is the sum of
  the ``M`` per-GAN means: each GAN receives exactly its own gradient. Adam (or SGD), being
  element-wise, keeps them independent, with one learning rate per GAN if asked;
* an epoch is fit's: ``d_pretrain`` discriminator steps before the first, then ``d_steps``
  discriminator and ``g_steps`` generator steps in the recipe's ``order``, the learning rates
  decaying linearly, the generator's weights averaged;
* the distance is ``gan_lesson.metrics.distance`` (W1, or for d > 1 the sliced W1 over the same
  64 directions), between the same ``SNAPSHOT_SIZE`` generated and ``REFERENCE_SIZE`` real
  samples as fit's history; the real samples and batches are drawn in fit's order, so a run of
  one seed draws the very numbers ``fit(seed=...)`` draws (``tests/test_trainers_agree.py``).

What it cannot train is refused by name: discriminators that judge whole batches (``features``
other than ``"per_sample"``), the classic networks, and the classic per-epoch statistics
(``report_every``). Train those with ``fit``, one seed at a time.

    many = fit_many(Gaussian(4, 1.25), seeds=range(64))            # 64 seeds, one setting
    many.distance                                                   # (64,) W1 to the target
    grid = stability_map(Gaussian(4, 1.25), lr_d=[...], lr_g=[...], seeds=8)
"""
import math
import numbers
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..interrupts import interrupt_guard
from ..maths import losses
from ..maths.samplers import as_target, check_spread, draw, noise_sampler
from .loop import REFERENCE_SIZE, SNAPSHOT_SIZE, Progress, torch_threads
from .recipes import make_optimizer as fits_optimizer
from .recipes import recipe_named
from .results import Standardiser
from ..validation import check_bool, check_int, check_number, check_seed, unknown_setting
from ..validation import short_repr as _show

__all__ = ["fit_many", "stability_map", "estimate_bytes", "ManyResult", "StabilityMap", "StackedMLP"]

aten = torch.ops.aten

#: The activations of ``models.ACTIVATIONS`` (with the same constants as the modules in ``MLPGenerator``
#: and ``MLPDiscriminator``), each as: the function; the same written into ``out``; its
#: backward pass written into ``out`` from the gradient ``g``, the input ``z`` and the output ``h``;
#: whether that backward pass reads the output only (then the forward pass may overwrite its input).
_ACTIVATIONS = {
    "relu": (F.relu, lambda z, out: torch.clamp_min(z, 0, out=out),
             lambda g, z, h, out: aten.threshold_backward.grad_input(g, h, 0, grad_input=out), True),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda z, out: aten.leaky_relu.out(z, 0.2, out=out),
                   lambda g, z, h, out: aten.leaky_relu_backward.grad_input(g, h, 0.2, True, grad_input=out), True),
    "tanh": (torch.tanh, lambda z, out: out.copy_(torch.tanh_(z)),   # tanh into a column-cut view is 3× slower
             lambda g, z, h, out: aten.tanh_backward.grad_input(g, h, grad_input=out), True),
    "sigmoid": (torch.sigmoid, lambda z, out: torch.sigmoid(z, out=out),
                lambda g, z, h, out: aten.sigmoid_backward.grad_input(g, h, grad_input=out), True),
    "elu": (F.elu, lambda z, out: aten.elu.out(z, 1.0, 1, 1, out=out),
            lambda g, z, h, out: aten.elu_backward.grad_input(g, 1.0, 1, 1, True, h, grad_input=out), True),
    "silu": (F.silu, lambda z, out: aten.silu.out(z, out=out),
             lambda g, z, h, out: aten.silu_backward.grad_input(g, z, grad_input=out), False),
}
_IN_PLACE = {"relu": F.relu_, "tanh": torch.tanh_, "sigmoid": torch.sigmoid_, "elu": lambda x: F.elu(x, inplace=True),
             "leaky_relu": lambda x: F.leaky_relu_(x, 0.2), "silu": lambda x: F.silu(x, inplace=True)}


class StackedMLP(nn.Module):
    """``M`` independent MLPs with the same layer sizes: ``(M, n, sizes[0])`` -> ``(M, n, sizes[-1])``.

    ``seeds``: one entry per model, a seed or a ``torch.Generator``. Model ``i`` is initialised
    exactly as ``nn.Linear`` layers of these sizes would be after ``torch.manual_seed(seeds[i])``
    (each layer's weight, then its bias), so it does not depend on which other models share the
    stack; passing the same generators to a second stack continues their draws, as building
    fit's discriminator after its generator does.

    All weights live in one flat tensor, ``flat``: layer ``l`` is the block ``blocks[l]`` of
    shape ``(M, in + 1, out)``, its weights ``weights[l] = blocks[l][:, :in]`` and, as one more
    row, its bias ``biases[l] = blocks[l][:, in:]`` (views). An optimiser then updates every layer
    of every model with a handful of operations, and a layer is one product of its input, with a
    column of ones appended, and its block (``_Pass``).
    """

    def __init__(self, sizes, activation, seeds):
        super().__init__()
        self.sizes, self.activation_name = tuple(int(s) for s in sizes), activation
        self.act = _ACTIVATIONS[activation][0]
        self.output_only = _ACTIVATIONS[activation][3]
        generators = [s if isinstance(s, torch.Generator) else torch.Generator().manual_seed(int(s)) for s in seeds]
        self.models = len(generators)
        self._bind(torch.empty(self.count(self.sizes) * self.models))
        with torch.no_grad():
            for i, g in enumerate(generators):
                for block in self.blocks:
                    fan_in = block.shape[1] - 1
                    layer = torch.empty(block.shape[2], fan_in)          # nn.Linear's weight: (out, in)
                    nn.init.kaiming_uniform_(layer, a=math.sqrt(5), generator=g)
                    block[i, :fan_in].copy_(layer.T)
                    bound = 1 / math.sqrt(fan_in)
                    nn.init.uniform_(block[i, fan_in], -bound, bound, generator=g)

    @staticmethod
    def count(sizes):
        """Weights and biases of one model with these layer sizes."""
        return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))

    def _bind(self, flat):
        self.flat = flat
        self.blocks = self.views(flat)
        self.weights = nn.ParameterList([nn.Parameter(block[:, :-1]) for block in self.blocks])
        self.biases = nn.ParameterList([nn.Parameter(block[:, -1:]) for block in self.blocks])

    def views(self, flat):
        """The layer blocks ``(M, in + 1, out)`` of a flat tensor laid out as ``self.flat``."""
        m, start, blocks = self.models, 0, []
        for a, b in zip(self.sizes[:-1], self.sizes[1:]):
            blocks.append(flat[start:start + m * (a + 1) * b].view(m, a + 1, b))
            start += m * (a + 1) * b
        return blocks

    def per_model(self, values):
        """A tensor laid out as ``flat`` holding ``values[i]`` at every weight of model ``i``."""
        values = torch.as_tensor(values, dtype=torch.float32)
        return torch.cat([values.repeat_interleave(block[0].numel()) for block in self.blocks])

    def params(self):
        """The weight and bias tensors, layer by layer (W1, B1, W2, B2, …), for ``torch.autograd.grad``."""
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    def forward(self, x, blocks=None):
        """``x`` ``(M, n, in)`` through every model, with autograd (``blocks``: other weights laid out as
        ``blocks``, e.g. the averaged generator's; used without gradients)."""
        in_place = self.output_only or not torch.is_grad_enabled()
        act = _IN_PLACE[self.activation_name] if in_place else self.act
        layers = zip(self.weights, self.biases) if blocks is None else ((b[:, :-1], b[:, -1:]) for b in blocks)
        last = len(self.blocks) - 1
        for i, (W, B) in enumerate(layers):
            x = torch.baddbmm(B, x, W)
            if i < last:
                x = act(x)       # in place when the backward pass needs only the output: a fresh product
        return x

    def __repr__(self):
        return f"StackedMLP({self.models} × {' → '.join(map(str, self.sizes))}, {self.activation_name})"


class _Pass:
    """A ``StackedMLP``'s forward and backward pass on batches of ``rows`` rows, by hand, into buffers
    kept from one step to the next.

    It computes what autograd computes for ``net.forward`` (tests/test_batched.py holds the
    gradients equal), without allocating memory at every step and without the bias's separate
    broadcast and sum: each layer's input carries a column of ones, so one product with the
    layer's block adds the bias, and one product gives the gradient of weights and bias together.
    Write the input into ``x``; ``forward()`` returns the output ``(M, rows, out)``;
    ``backward(g)`` takes the loss's gradient with respect to it and leaves the weights' gradient
    in ``grad`` (laid out as ``net.flat``) and, with ``inputs=True``, returns the input's.
    """

    def __init__(self, net, rows, models=None):
        m, sizes = models or net.models, net.sizes
        self.net = net
        _, self.act_out, self.act_backward, _ = _ACTIVATIONS[net.activation_name]
        self.inputs = [torch.ones(m, rows, a + 1) for a in sizes[:-1]]    # each layer's input, then a column of ones
        self.x = self.inputs[0][..., :-1]
        self.z = [torch.empty(m, rows, b) for b in sizes[1:]]            # each layer's product (before the activation)
        self.g_inputs = [torch.empty(m, rows, a + 1) for a in sizes[:-1]]
        self.grad = torch.zeros_like(net.flat)
        self.grads = net.views(self.grad)

    @staticmethod
    def floats(sizes, rows):
        """How many numbers the buffers of a pass hold, per model."""
        return rows * (2 * sum(a + 1 for a in sizes[:-1]) + sum(sizes[1:])) + StackedMLP.count(sizes)

    def forward(self, blocks=None):
        """The output ``(M, rows, out)`` for the input in ``x`` (``blocks``: other weights laid out as the net's)."""
        last = len(self.z) - 1
        for i, block in enumerate(self.net.blocks if blocks is None else blocks):
            torch.bmm(self.inputs[i], block, out=self.z[i])
            if i < last:
                self.act_out(self.z[i], self.inputs[i + 1][..., :-1])
        return self.z[-1]

    def backward(self, g, weights=True, inputs=False):
        for i in range(len(self.z) - 1, -1, -1):
            if weights:      # one output: a row times a matrix is the faster way round
                if g.shape[2] == 1:
                    torch.bmm(g.transpose(1, 2), self.inputs[i], out=self.grads[i].transpose(1, 2))
                else:
                    torch.bmm(self.inputs[i].transpose(1, 2), g, out=self.grads[i])
            if i == 0 and not inputs:
                return None
            g_in = torch.bmm(g, self.net.blocks[i].transpose(1, 2), out=self.g_inputs[i])[..., :-1]
            if i == 0:
                return g_in
            # through the activation; the product z is not needed any more: the gradient replaces it
            g = self.act_backward(g_in, self.z[i - 1], self.inputs[i][..., :-1], self.z[i - 1])


class _StackedAdam:
    """``torch.optim.Adam`` on a flat tensor of stacked parameters, with one learning rate per
    element (``StackedMLP.per_model``: each model's own). ``step(grad, scale)`` multiplies the
    learning rates by ``scale`` (the linear decay)."""

    def __init__(self, flat, lr, betas, eps=1e-8):
        self.flat, self.lr, (self.b1, self.b2), self.eps = flat, lr, betas, eps
        self.m, self.v = torch.zeros_like(flat), torch.zeros_like(flat)
        self.denom, self.step_size = torch.empty_like(flat), torch.empty_like(flat)
        self.t = 0

    @torch.no_grad()
    def step(self, grad, scale=1.0):
        self.t += 1
        c1, c2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        self.m.lerp_(grad, 1 - self.b1)
        self.v.mul_(self.b2).addcmul_(grad, grad, value=1 - self.b2)
        torch.sqrt(self.v, out=self.denom).div_(math.sqrt(c2)).add_(self.eps)      # as torch.optim.Adam computes it
        self.flat.addcdiv_(torch.mul(self.m, self.lr, out=self.step_size), self.denom, value=-scale / c1)


class _StackedSGD:
    """``torch.optim.SGD`` with momentum on a flat tensor of stacked parameters (per-element learning rates)."""

    def __init__(self, flat, lr, momentum):
        self.flat, self.lr, self.momentum = flat, lr, momentum
        self.buffer = None

    @torch.no_grad()
    def step(self, grad, scale=1.0):
        if self.momentum == 0:
            step = grad
        elif self.buffer is None:
            step = self.buffer = grad.clone()
        else:
            step = self.buffer.mul_(self.momentum).add_(grad)
        self.flat.addcmul_(step, self.lr, value=-scale)


class _FitsOptimizer:
    """The optimiser fit builds (``torch.optim.Adam``, fused, or ``SGD``), on the flat tensor of
    stacked parameters: what fit_many uses when every GAN has the same learning rate. ``step(grad,
    scale)`` sets the learning rate to ``lr · scale`` (the linear decay, as fit sets it) and steps."""

    def __init__(self, rec, flat, lr):
        self.param, self.lr = nn.Parameter(flat), lr          # the parameter is the flat tensor itself
        self.optimizer = fits_optimizer(rec, [self.param], lr)

    def step(self, grad, scale=1.0):
        self.param.grad = grad
        self.optimizer.param_groups[0]["lr"] = self.lr * scale
        self.optimizer.step()


def _optimizer(rec, net, rates):
    """fit's own optimiser when all ``rates`` are equal; otherwise the same rule with one rate per GAN."""
    if len(set(rates)) == 1:
        return _FitsOptimizer(rec, net.flat, float(rates[0]))
    lr = net.per_model(rates)
    if rec.optimizer == "sgd":
        return _StackedSGD(net.flat, lr, rec.momentum)
    return _StackedAdam(net.flat, lr, rec.betas)


@dataclass
class ManyResult:
    """What ``fit_many`` returns. Arrays have one entry per GAN.

    ``distance``: ``gan_lesson.metrics.distance`` (W1; the sliced W1 for d > 1) between
    ``SNAPSHOT_SIZE`` generated and ``REFERENCE_SIZE`` real samples, in data units, as in fit's
    history; ``relative``: the same over the target's std (for d > 1, its mean std along the
    distance's directions); ``lr_d``, ``lr_g``, ``seeds``; ``samples``: tensor
    ``(M, SNAPSHOT_SIZE, d)`` generated at the end from each seed's fixed noise;
    ``history``: ``{"epoch": [0, ...], "distance": array (records, M)}`` (epoch 0: before
    training, as in fit); ``seconds``; ``recipe``;
    ``status``: "finished", "interrupted" (Ctrl-C: what was trained so far) or "diverged" (every
    GAN's weights blew up, or the target returned NaN); ``message``: how the run ended;
    ``diverged``: which GANs' weights became NaN or infinite (their distance is NaN);
    ``reference``: the real samples the distances are measured against (as fit's ``reference``).
    """

    distance: np.ndarray
    relative: np.ndarray
    lr_d: np.ndarray
    lr_g: np.ndarray
    seeds: np.ndarray
    samples: torch.Tensor
    history: dict
    seconds: float
    recipe: object
    status: str = "finished"
    message: str = ""
    diverged: np.ndarray = None
    epochs_done: int = None          # epochs whose steps all ran (the recipe's count when finished)
    reference: torch.Tensor = None   # the real samples the distances are measured against, (REFERENCE_SIZE, d)

    def __post_init__(self):
        if self.diverged is None:
            self.diverged = ~np.isfinite(self.distance)
        if self.epochs_done is None:
            self.epochs_done = self.recipe.epochs

    def fitted(self, threshold=0.1):
        """Which GANs fit the target: relative distance below ``threshold`` (boolean array)."""
        return self.relative < check_number("threshold", threshold, low=0, low_open=True)

    def __len__(self):
        return len(self.distance)

    def __repr__(self):
        ran = self.epochs_done
        epochs = f"{self.recipe.epochs}" if ran == self.recipe.epochs else f"{ran}/{self.recipe.epochs}"
        lost = f", {int(self.diverged.sum())} diverged" if self.diverged.any() else ""
        status = "" if self.status == "finished" else f", {self.status}"
        median = np.median(self.distance[~self.diverged]) if (~self.diverged).any() else float("nan")
        return (f"ManyResult({len(self)} GANs, {epochs} epochs in {self.seconds:.1f} s{status}, "
                f"median distance {median:.3g}{lost}, {self.fitted().mean():.0%} fit within 0.1σ)")


def _per_model(name, value, m):
    """``value`` as one float per GAN: a single number for all, or a list of ``m`` numbers."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    items = [value] if np.ndim(value) == 0 else list(np.asarray(value, dtype=object).ravel())
    if np.ndim(value) > 1:
        raise ValueError(f"{name} must be one number or a flat list of one per GAN ({m}); got shape {np.shape(value)}.")
    if len(items) not in (1, m):
        raise ValueError(f"{name} must be one number or one per GAN ({m}); got {len(items)} values.")
    rates = [check_number(name if len(items) == 1 else f"{name}[{i}]", v, low=0, low_open=True, high=10)
             for i, v in enumerate(items)]
    return np.asarray(rates * m if len(rates) == 1 else rates, dtype=float)


# --------------------------------------------------------------------------- the distance

#: Directions of the sliced distance for d > 1: the ones ``metrics.sliced_wasserstein`` draws
#: with its defaults (64 projections, seed 0); tests/test_batched.py holds the two equal.
PROJECTIONS = 64


def _directions(d):
    """``(d, PROJECTIONS)`` unit columns, float64: ``metrics.sliced_wasserstein``'s directions."""
    u = np.random.default_rng(0).normal(size=(PROJECTIONS, d))
    return (u / np.linalg.norm(u, axis=1, keepdims=True)).T


class _Distance:
    """``metrics.distance(samples[i], reference)`` for every model at once, for an ``(n, d)``
    reference and ``(M, n, d)`` samples of the same size: W1 between equal-sized samples is the
    mean gap between their sorted values (along each direction for d > 1). float64 and numpy's
    sort, as the metric; the reference is projected and sorted once."""

    CHUNK = 8          # models per block: bounded memory (8 × 2000 × 64 float64 is 8 MB)

    def __init__(self, reference):
        ref = reference.double().numpy()
        self.dim = ref.shape[1]
        self.u = None if self.dim == 1 else _directions(self.dim)
        projected = self._project(ref[None])[0]                          # (directions, n)
        self.sorted = np.sort(projected, axis=-1)
        self.spread = float(projected.std(axis=-1, ddof=1).mean())       # the target's std (mean over directions)

    def _project(self, x):
        """``(m, n, d)`` -> a new array ``(m, directions, n)``: each direction's values contiguous (numpy sorts
        those fastest)."""
        x = x.transpose(0, 2, 1)
        return x.copy() if self.u is None else np.matmul(self.u.T, x)

    def __call__(self, samples):
        """``(M,)`` float64; NaN for a model whose samples are not all finite."""
        x = samples.detach().double().numpy()
        out = np.empty(len(x))
        for start in range(0, len(x), self.CHUNK):
            gaps = self._project(x[start:start + self.CHUNK])       # a new array, sorted and subtracted in place
            gaps.sort(axis=-1)
            gaps -= self.sorted
            np.abs(gaps, out=gaps)
            out[start:start + len(gaps)] = gaps.reshape(len(gaps), -1).mean(axis=1)
        out[~np.isfinite(x).all(axis=(1, 2))] = np.nan
        return out


# --------------------------------------------------------------------------- what fit_many trains

#: Recipe settings fit_many cannot honour: name -> (values it accepts, why). Every other setting
#: is trained as fit trains it.
REFUSED = {
    "features": (("per_sample",), "fit_many trains per-sample discriminators only (one verdict per sample; "
                                  "a discriminator of whole batches is not stacked)"),
    "generator": (("mlp", "linear"), "fit_many trains MLP and linear generators only (the classic generator's "
                                     "dropout is not stacked)"),
    "discriminator": (("mlp",), "fit_many trains MLP discriminators returning a score only (the classic "
                                "discriminator's sigmoid layers are not stacked)"),
    "report_every": ((0,), "fit_many prints one progress line for all its GANs, not the classic statistics of each"),
}

#: Penalties of registered losses that fit_many applies (losses.Loss.penalty).
PENALTIES = (None, "clip", "gradient")


def _check_trainable(rec):
    """Refuse, by name, every setting of ``rec`` fit_many cannot honour (one message for all)."""
    problems = []
    for name, (accepted, why) in REFUSED.items():
        value = getattr(rec, name)
        if value not in accepted:
            listed = " or ".join(f"{name}={a!r}" for a in accepted)
            problems.append(f"{why}; got {name}={value!r}, and it accepts {listed}.")
    loss = losses.get(rec.loss)
    if loss.penalty not in PENALTIES:
        usable = [n for n, lo in losses.REGISTRY.items() if lo.penalty in PENALTIES]
        problems.append(f"fit_many cannot apply the {loss.penalty!r} penalty of loss={rec.loss!r}; it accepts "
                        f"loss={' or '.join(map(repr, usable))}.")
    if problems:
        where = f" (recipe {rec.name!r})" if rec.name != "custom" else ""
        raise ValueError(" ".join(problems) + f"{where} Train such a recipe with gan_lesson.fit, one seed at a time.")


def fit_many(target, *, seeds=16, lr_d=None, lr_g=None, recipe="modern", epochs=None, batch_size=None,
             loss=None, d_steps=None, g_steps=None, features=None, noise=None, order=None, d_pretrain=None,
             log_every=None, threads=1, progress=True, **unknown):
    """Train independent GANs on ``target`` at once, one per seed; returns a ``ManyResult``.

    ``seeds``: how many (``16`` means seeds 0–15) or which (``range(64)``, ``[3, 7, 11]``);
    GAN ``i`` starts from the weights ``fit(target, seed=seeds[i])`` starts from.
    A run that would not fit in a classroom kernel's memory is refused before it starts
    (``estimate_bytes`` says what it needs); Ctrl-C stops it with what it trained so far.

    ``lr_d``/``lr_g``: one value for all, or one per GAN (``None``: the recipe's). The other
    settings, left at ``None``, take the recipe's value, and mean what they mean for ``fit``;
    the ones fit_many cannot train (see ``REFUSED``) are refused by name. ``threads``: PyTorch
    threads (1 by default: on a shared machine a second thread often waits for a busy core;
    see benchmarks/many_benchmark.py).
    """
    if unknown:
        raise TypeError(unknown_setting("fit_many", sorted(unknown)[0], MANY_SETTINGS))
    rec = recipe_named(recipe)
    changes = {k: v for k, v in dict(epochs=epochs, batch_size=batch_size, loss=loss, d_steps=d_steps,
                                     g_steps=g_steps, features=features, noise=noise, order=order,
                                     d_pretrain=d_pretrain, log_every=log_every).items() if v is not None}
    rec = rec.replace(**changes) if changes else rec
    _check_trainable(rec)
    seeds = _seed_list(seeds)
    m = len(seeds)
    lrs_d = _per_model("lr_d", rec.lr_d if lr_d is None else lr_d, m)
    lrs_g = _per_model("lr_g", rec.lr_g if lr_g is None else lr_g, m)
    target = as_target(target)
    threads = check_int("threads", threads, low=1)
    progress = check_bool("progress", progress)
    with torch.random.fork_rng(devices=[]), torch_threads(threads), interrupt_guard() as guard:
        torch.manual_seed(seeds[0])          # a target drawing from the global generator: as fit(seed=seeds[0])
        with torch.enable_grad():
            return _train_many(target, rec, seeds, lrs_d, lrs_g, progress, guard)


#: What one fit_many run may use: a classroom kernel has about 1 GB, of which PyTorch, numpy and
#: matplotlib already take about 400 MB.
MEMORY_LIMIT = 600 * 2**20


def estimate_bytes(m, recipe, dim=1):
    """About how many bytes ``fit_many`` needs to train ``m`` GANs of ``recipe`` on ``dim``-D data.

    Counts the buffers of the three passes (G on a noise batch, D on the real and fake batches,
    D on a fake batch; each with its gradient), each GAN's weights seven times (the weights,
    Adam's two moments and two work tensors, the learning rates, the average), the snapshot, the
    distance's blocks and the real samples. Measured peaks stay below it (tests/test_batched.py).
    """
    rec = recipe_named(recipe)
    n = rec.batch_size
    sizes_g = (rec.noise_dim, dim) if rec.generator == "linear" else (rec.noise_dim, *rec.g_hidden, dim)
    sizes_d = (dim, *rec.d_hidden, 1)
    passes = _Pass.floats(sizes_g, n) + _Pass.floats(sizes_d, 2 * n) + _Pass.floats(sizes_d, n)
    if losses.get(rec.loss).penalty == "gradient":       # D's step through autograd, twice over
        passes += 3 * _Pass.floats(sizes_d, 2 * n)
    weights = StackedMLP.count(sizes_g) + StackedMLP.count(sizes_d)
    snapshot = SNAPSHOT_SIZE * (rec.noise_dim + 2 * max(sizes_g) + 2 * dim)
    projections = 8 * 3 * _Distance.CHUNK * SNAPSHOT_SIZE * (1 if dim == 1 else PROJECTIONS)
    return int(4 * m * (passes + 7 * weights + snapshot) + 4 * (m * n + 7000) * dim + projections)


MANY_SETTINGS = ("seeds", "lr_d", "lr_g", "recipe", "epochs", "batch_size", "loss", "d_steps", "g_steps", "features",
                 "noise", "order", "d_pretrain", "log_every", "threads", "progress")


def _seed_list(seeds):
    """``seeds`` as a list of plain ints: a count (``16`` means seeds 0–15) or the seeds themselves."""
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        seeds = range(check_int("seeds", seeds, low=1))
    elif isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a count (e.g. 16) or a list of seeds (e.g. range(16)); got {seeds!r}.")
    seeds = [check_seed(f"seeds[{i}]", s) for i, s in enumerate(seeds)]
    if not seeds:
        raise ValueError("seeds must name at least one seed; got none.")
    if len(set(seeds)) < len(seeds):
        raise ValueError("seeds must all differ (two GANs with one seed train identically); "
                         f"got {len(seeds) - len(set(seeds))} repeated.")
    return seeds


def _check_memory(m, rec, dim):
    need = estimate_bytes(m, rec, dim)
    if need > MEMORY_LIMIT:
        fits = max(1, int(m * MEMORY_LIMIT / need))
        raise ValueError(f"seeds: training {m} GANs at once (batch_size={rec.batch_size}, {dim}-D data) would need "
                         f"about {need / 2**30:.1f} GB, more than the {MEMORY_LIMIT / 2**20:.0f} MB a run may use in "
                         f"a 1 GB classroom kernel; train at most about {fits} at once (or several runs, or a "
                         "smaller batch_size).")


def _players(rec, dim, seeds):
    """Stacked G and D, model ``i`` drawn as fit draws its pair for ``seeds[i]`` (G's layers, then D's)."""
    generators = [torch.Generator().manual_seed(s) for s in seeds]
    g_sizes = (rec.noise_dim, dim) if rec.generator == "linear" else (rec.noise_dim, *rec.g_hidden, dim)
    G = StackedMLP(g_sizes, rec.g_activation, generators)
    D = StackedMLP((dim, *rec.d_hidden, 1), rec.d_activation, generators)
    return G, D


def _generate(run, blocks, noise, out):
    """The generators' samples ``out`` ``(m, n, d)`` for their noise ``(m, n, noise_dim)``, ``run.x``'s
    few GANs at a time (small activations are faster, and the buffers are kept)."""
    m, step = len(noise), len(run.x)
    for i in range(0, m, step):
        j = min(m, i + step)                           # the last window may overlap the one before
        run.x.copy_(noise[j - step:j])
        out[i:j] = run.forward([b[j - step:j] for b in blocks])[step - (j - i):]
    return out


def _d_loss(loss, n):
    """D's loss on its stacked outputs ``(m, 2n, 1)`` (real rows, then fake rows): the registry's
    loss, a mean over all ``m·n`` rows of each half, times ``m``, which is the sum of the ``m``
    GANs' own losses (tests/test_batched.py checks each gets its own gradient, for every loss)."""
    return lambda out: loss.d_loss(*out.split(n, dim=1), True) * len(out)


def _g_loss(loss):
    """G's loss on D's stacked outputs ``(m, n, 1)`` for the fake batch: the sum of the m GANs' losses."""
    return lambda out: loss.g_loss(out, True) * len(out)


def _output_gradient(out, scoring):
    """The gradient of ``scoring(out)`` with respect to D's outputs ``out``: where backpropagation starts."""
    out = out.detach().requires_grad_(True)
    return torch.autograd.grad(scoring(out), out)[0]


def _penalised_gradient(D, real, fake, loss, weight, rng):
    """D's gradient for a loss with a gradient penalty (``losses.one_sided_penalty``, as fit adds
    it), laid out as ``D.flat``. The penalty differentiates D's gradient, so this step goes through
    autograd: ``D.forward`` on the real and fake batches ``(m, n, d)``, each GAN's penalty on its
    own rows (the critic is called on rows ``(m·n, d)``)."""
    m, n, dim = real.shape
    d_real, d_fake = D(torch.cat([real, fake], dim=1)).split(n, dim=1)
    critic = lambda rows: D(rows.reshape(m, n, dim)).reshape(-1, 1)  # noqa: E731
    d_loss = m * (loss.d_loss(d_real, d_fake, True)
                  + losses.one_sided_penalty(critic, real.reshape(-1, dim), fake.reshape(-1, dim), weight, rng))
    grads = torch.autograd.grad(d_loss, D.params())
    return torch.cat([torch.cat([gW, gB], dim=1).reshape(-1) for gW, gB in zip(grads[::2], grads[1::2])])


class _NotFinite(Exception):
    """The target returned NaN or infinite samples."""


def _train_many(target, rec, seeds, lrs_d, lrs_g, progress, guard):
    m, n, k = len(seeds), rec.batch_size, rec.noise_dim
    # the data, drawn as fit draws it: a first batch (checked), the reference, more for the standardiser
    rng = torch.Generator().manual_seed(seeds[0])
    first = draw(target, n, rng)
    if not torch.isfinite(first).all():
        raise ValueError("target returned NaN or infinite values; real samples must be finite numbers.")
    dim = first.shape[1]
    _check_memory(m, rec, dim)
    reference = draw(target, REFERENCE_SIZE, rng, dim)
    check_spread(torch.cat([first, reference]))
    std = (Standardiser.fitted_to(torch.cat([reference, draw(target, max(0, 5000 - REFERENCE_SIZE), rng, dim)]))
           if rec.standardise else Standardiser(dim))
    distance = _Distance(reference)

    # the players, their optimisers, the loss, the noise
    G, D = _players(rec, dim, seeds)
    average = G.flat.clone()                   # the averaged generator's weights (with ema > 0)
    G_avg = G.views(average) if rec.ema > 0 else G.blocks
    d_opt, g_opt = _optimizer(rec, D, lrs_d), _optimizer(rec, G, lrs_g)
    loss = losses.get(rec.loss)
    noise = noise_sampler(rec.noise)
    fixed = torch.stack([noise(SNAPSHOT_SIZE, k, generator=torch.Generator().manual_seed(s + 12345)) for s in seeds])
    make = _Pass(G, n)                         # G on a noise batch
    judge_both = _Pass(D, 2 * n)               # D on the real batch and the fake batch at once
    judge_fake = _Pass(D, n)                   # D on the fake batch of the generator's step

    def d_step(scale):
        real = draw(target, m * n, rng, dim)
        if not torch.isfinite(real).all():
            raise _NotFinite
        make.x.copy_(noise(m * n, k, generator=rng).reshape(m, n, k))
        if loss.penalty == "gradient":
            d_grad = _penalised_gradient(D, std(real).reshape(m, n, dim), make.forward(), loss, rec.gp_weight, rng)
        else:
            judge_both.x[:, :n] = std(real).reshape(m, n, dim)
            judge_both.x[:, n:] = make.forward()                  # G(z), with no graph: D's labels do not train G
            judge_both.backward(_output_gradient(judge_both.forward(), _d_loss(loss, n)))   # both batches at once
            d_grad = judge_both.grad
        d_opt.step(d_grad, scale)
        if loss.penalty == "clip":
            D.flat.clamp_(-rec.clip, rec.clip)

    def g_step(scale):                          # D is held fixed: only its input's gradient is computed
        make.x.copy_(noise(m * n, k, generator=rng).reshape(m, n, k))
        judge_fake.x.copy_(make.forward())
        g_fake = judge_fake.backward(_output_gradient(judge_fake.forward(), _g_loss(loss)), weights=False, inputs=True)
        make.backward(g_fake)
        g_opt.step(make.grad, scale)

    show = _Pass(G, SNAPSHOT_SIZE, models=min(m, _Distance.CHUNK))    # the snapshot's G, a few GANs at a time
    samples = torch.empty(m, SNAPSHOT_SIZE, dim)

    def snapshot():
        return std.inverse(_generate(show, G_avg, fixed, samples))

    history_epochs, history_distance = [], []

    def record(epoch):
        history_epochs.append(epoch)
        history_distance.append(distance(snapshot()))
        return history_distance[-1]

    bar = Progress(progress, rec.epochs, f"{m} GANs")
    started = time.perf_counter()
    status, message = "finished", f"Finished {rec.epochs} epochs."
    completed = 0      # the last epoch whose steps all ran
    try:
        for _ in range(rec.d_pretrain):      # D first learns what real looks like
            if guard.requested:
                raise KeyboardInterrupt
            d_step(1.0)
        record(0)
        for epoch in range(1, rec.epochs + 1):
            if guard.requested:          # a Ctrl-C asked to stop: every step so far is complete
                raise KeyboardInterrupt
            scale = 1.0 - (epoch - 1) / rec.epochs if rec.lr_decay else 1.0
            for phase in (("d", "g") if rec.order == "d_first" else ("g", "d")):
                if phase == "d":
                    for _ in range(rec.d_steps):
                        d_step(scale)
                else:
                    for _ in range(rec.g_steps):
                        g_step(scale)
            if rec.ema > 0:
                average.lerp_(G.flat, 1 - rec.ema)
            completed = epoch
            if epoch % rec.log_every == 0 or epoch == rec.epochs:
                dist = record(epoch)
                if not np.isfinite(dist).any():
                    status = "diverged"
                    message = (f"Stopped at epoch {epoch}: the weights of every GAN became NaN or infinite. Likely "
                               f"cause: learning rates too high (lr_d up to {lrs_d.max():g}, lr_g up to "
                               f"{lrs_g.max():g}); try ten times smaller.")
                    break
                bar.update(epoch, median_distance=float(np.nanmedian(dist)))
    except _NotFinite:
        status = "diverged"
        when = f"at epoch {completed + 1}" if history_epochs else "while the discriminator was pre-trained"
        message = (f"Stopped {when}: the target returned NaN or infinite samples; real samples must be finite "
                   "numbers. The result keeps the weights from before that step.")
    except KeyboardInterrupt:
        done = history_epochs[-1] if history_epochs else 0
        status = "interrupted"
        message = (f"Training interrupted after epoch {completed} of {rec.epochs}; the distances are measured "
                   f"on the weights trained so far (the history's last record is at epoch {done}).")
    seconds = time.perf_counter() - started
    samples = snapshot()
    dist = distance(samples)
    records = np.stack(history_distance) if history_distance else np.zeros((0, m))
    result = ManyResult(dist, dist / distance.spread, lrs_d, lrs_g, np.asarray(seeds), samples,
                        {"epoch": history_epochs, "distance": records}, seconds, rec, status, message,
                        epochs_done=completed, reference=reference)
    if status == "finished":
        ok = ~result.diverged
        median = np.median(dist[ok]) if ok.any() else float("nan")
        lost = f" · {int(result.diverged.sum())} diverged" if result.diverged.any() else ""
        bar.say(f"{m} GANs: {rec.epochs} epochs in {seconds:.1f} s · median distance {median:.3f}"
                f" · {result.fitted().mean():.0%} within 0.1σ of the target{lost}")
    else:
        bar.say(message)
    return result


def _rate_list(name, rates):
    """The learning rates of one axis of a stability map: a list of numbers (one number: a list of one)."""
    if isinstance(rates, torch.Tensor):
        rates = rates.detach().cpu().numpy()
    if (isinstance(rates, numbers.Real) and not isinstance(rates, bool)
            or np.ndim(rates) == 0 and isinstance(rates, np.ndarray)):
        rates = [rates]
    if isinstance(rates, (str, bytes)) or not hasattr(rates, "__iter__"):
        raise TypeError(f"{name} must be a list of learning rates (e.g. [1e-3, 2e-3, 4e-3]); got {_show(rates)}. "
                        "The arguments are stability_map(target, lr_d, lr_g, ...).")
    return np.asarray([check_number(f"{name}[{i}]", v, low=0, low_open=True, high=10) for i, v in enumerate(rates)])


@dataclass
class StabilityMap:
    """Fraction of seeds that fit the target for each (lr_d, lr_g) pair: ``fraction[i, j]`` is
    for ``lr_d[i]`` and ``lr_g[j]``; ``median[i, j]`` the median relative distance there."""

    lr_d: np.ndarray
    lr_g: np.ndarray
    fraction: np.ndarray
    median: np.ndarray
    threshold: float
    result: ManyResult

    def __repr__(self):
        return (f"StabilityMap({len(self.lr_d)} × {len(self.lr_g)} learning rates, "
                f"{len(self.result) // (len(self.lr_d) * len(self.lr_g))} seeds each, "
                f"{self.result.seconds:.1f} s)")


def stability_map(target, lr_d, lr_g, *, seeds=8, threshold=0.1, recipe="modern", epochs=None, **kwargs):
    """Train ``seeds`` GANs for every pair of ``lr_d`` × ``lr_g`` values in one batched run.

    A GAN "fits" when its distance to the target is below ``threshold`` target standard
    deviations. Returns a ``StabilityMap``.
    """
    unknown = sorted(set(kwargs) - set(MANY_SETTINGS) - {"seeds", "lr_d", "lr_g"})
    if unknown:
        raise TypeError(unknown_setting("stability_map", unknown[0], ("seeds", "threshold", *MANY_SETTINGS[1:])))
    lr_d, lr_g = _rate_list("lr_d", lr_d), _rate_list("lr_g", lr_g)
    seeds = check_int("seeds", seeds, low=1)
    threshold = check_number("threshold", threshold, low=0, low_open=True)
    if len(lr_d) == 0 or len(lr_g) == 0:
        raise ValueError("lr_d and lr_g must each list at least one learning rate.")
    pairs = [(a, b) for a in lr_d for b in lr_g]
    all_d = np.repeat([a for a, _ in pairs], seeds)
    all_g = np.repeat([b for _, b in pairs], seeds)
    result = fit_many(target, seeds=range(len(all_d)), lr_d=all_d, lr_g=all_g, recipe=recipe,
                      epochs=epochs, **kwargs)
    ok = result.fitted(threshold).reshape(len(lr_d), len(lr_g), seeds)
    med = np.median(result.relative.reshape(len(lr_d), len(lr_g), seeds), axis=2)
    return StabilityMap(lr_d, lr_g, ok.mean(axis=2), med, threshold, result)
