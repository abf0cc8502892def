"""Many independent GANs in one run: the same settings over many seeds, or a grid of learning rates.

Tiny networks spend their time on per-operation overhead, not arithmetic, so training 64 GANs
one after another costs 64 times the overhead. Here the weights of all ``M`` GANs are stacked
into tensors of shape ``(M, inputs, outputs)`` and every layer is one batched matrix product
(``torch.baddbmm``): each step costs little more than one GAN's step. The losses of the ``M``
GANs are summed, so each one receives exactly its own gradient, and Adam, being element-wise,
keeps them independent. Each GAN may have its own learning rates, which is what a stability map
over (lr of D, lr of G) needs.

What is trained is the modern recipe's design (standardised data, Gaussian noise, SiLU
generator, leaky-ReLU discriminator returning a logit, per-sample decisions, Adam with β₁ = 0.5,
linear learning-rate decay and generator weight averaging — each switchable through the
``Recipe``), with the BCE losses (non-saturating or minimax) or least squares.

    many = fit_many(Gaussian(4, 1.25), seeds=range(64))            # 64 seeds, one setting
    many.distance                                                   # (64,) W1 to the target
    grid = stability_map(Gaussian(4, 1.25), lr_d=[...], lr_g=[...], seeds=8)
"""
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .recipes import RECIPES, recipe_named
from .samplers import Sampler
from .training import Standardiser, _as_target, _draw, torch_threads
from .validation import check_int, check_number

__all__ = ["fit_many", "stability_map", "ManyResult", "StabilityMap", "StackedMLP"]

_ACT = {"silu": F.silu, "relu": lambda x: F.relu(x, inplace=True), "tanh": torch.tanh, "sigmoid": torch.sigmoid, "elu": F.elu,
        "leaky_relu": lambda x: F.leaky_relu(x, 0.2, inplace=True)}   # on a fresh product: nothing else reads it


class StackedMLP(torch.nn.Module):
    """``M`` independent MLPs with the same layer sizes: ``(M, n, sizes[0])`` -> ``(M, n, sizes[-1])``.

    Model ``i`` is initialised from ``seeds[i]`` exactly like ``nn.Linear`` would (uniform in
    ±1/√fan_in), so it does not depend on which other models share the stack.
    """

    def __init__(self, sizes, activation, seeds):
        super().__init__()
        self.sizes, self.activation_name = tuple(sizes), activation
        self.act = _ACT[activation]
        seeds = list(seeds)
        self.weights = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        for a, b in zip(sizes[:-1], sizes[1:]):
            W, B = torch.empty(len(seeds), a, b), torch.empty(len(seeds), 1, b)
            bound = 1 / math.sqrt(a)
            for i, s in enumerate(seeds):
                g = torch.Generator().manual_seed(int(s) * 7919 + a * 31 + b)
                W[i].uniform_(-bound, bound, generator=g)
                B[i].uniform_(-bound, bound, generator=g)
            self.weights.append(torch.nn.Parameter(W))
            self.biases.append(torch.nn.Parameter(B))

    def forward(self, x):
        last = len(self.weights) - 1
        for i, (W, B) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(B, x, W)
            if i < last:
                x = self.act(x)
        return x

    def __repr__(self):
        return f"StackedMLP({self.weights[0].shape[0]} × {' → '.join(map(str, self.sizes))}, {self.activation_name})"


class _StackedAdam:
    """Adam on stacked parameters with one learning rate per model (shape (M, 1, 1))."""

    def __init__(self, params, lr, betas, eps=1e-8):
        self.params, self.lr, (self.b1, self.b2), self.eps = list(params), lr, betas, eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self, scale=1.0):
        self.t += 1
        c1, c2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        for p, m, v in zip(self.params, self.m, self.v):
            m.lerp_(p.grad, 1 - self.b1)
            v.mul_(self.b2).addcmul_(p.grad, p.grad, value=1 - self.b2)
            p.sub_((self.lr * scale / c1) * m / (v.div(c2).sqrt_().add_(self.eps)))

    def zero_grad(self):
        for p in self.params:
            p.grad = None


@dataclass
class ManyResult:
    """What ``fit_many`` returns. Arrays have one entry per GAN.

    ``distance``: Wasserstein-1 (sliced for d > 1) to the target, data units, from 2000
    generated and 2000 real samples; ``relative``: the same over the target's std;
    ``lr_d``, ``lr_g``, ``seeds``; ``samples``: tensor ``(M, 2000, d)`` generated at the end;
    ``history``: ``{"epoch": [...], "distance": array (records, M)}``; ``seconds``; ``recipe``.
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

    def fitted(self, threshold=0.1):
        """Which GANs fit the target: relative distance below ``threshold`` (boolean array)."""
        return self.relative < check_number("threshold", threshold, low=0, low_open=True)

    def __len__(self):
        return len(self.distance)

    def __repr__(self):
        return (f"ManyResult({len(self)} GANs, {self.recipe.epochs} epochs in {self.seconds:.1f} s, "
                f"median distance {np.median(self.distance):.3g}, {self.fitted().mean():.0%} fit within 0.1σ)")


def _per_model(name, value, m):
    arr = np.broadcast_to(np.asarray(value, dtype=float), (m,)).copy() if np.ndim(value) == 0 else np.asarray(value, dtype=float)
    if arr.shape != (m,):
        raise ValueError(f"{name} must be one number or one per GAN ({m}); got {arr.shape[0]} values.")
    for v in arr:
        check_number(name, float(v), low=0, low_open=True, high=10)
    return arr


def _distances(samples, reference, projections=32):
    """W1 per model between (M, n, d) samples and an (n, d) reference of the same size (for d > 1
    the sliced W1 over ``projections`` fixed random directions: the sort dominates its cost)."""
    d = samples.shape[2]
    if d == 1:
        a, b = samples[..., 0], reference[:, 0]
    else:
        g = torch.Generator().manual_seed(0)
        u = torch.randn(d, projections, generator=g)
        u /= u.norm(dim=0, keepdim=True)
        a, b = samples @ u, reference @ u
    a = torch.sort(a, dim=1).values
    b = torch.sort(b, dim=0).values
    gap = (a - b.unsqueeze(0)).abs().mean(dim=1)
    return gap if gap.ndim == 1 else gap.mean(dim=1)


def fit_many(target, *, seeds=range(16), lr_d=None, lr_g=None, recipe="modern", epochs=None,
             batch_size=None, loss=None, log_every=None, threads=1, progress=True):
    """Train ``len(seeds)`` independent GANs on ``target`` at once; returns a ``ManyResult``.

    ``lr_d``/``lr_g``: one value for all, or one per GAN (``None``: the recipe's). The recipe
    must use per-sample features, MLP networks, Adam, and the loss 'non_saturating', 'minimax'
    or 'least_squares'. ``threads``: PyTorch threads (1 by default: on a shared machine a
    second thread often waits for a busy core; see benchmarks/many_benchmark.py for both).
    """
    rec = recipe_named(recipe)
    changes = {k: v for k, v in dict(epochs=epochs, batch_size=batch_size, loss=loss,
                                     log_every=log_every).items() if v is not None}
    rec = rec.replace(**changes) if changes else rec
    if rec.features != "per_sample" or rec.generator != "mlp" or rec.discriminator != "mlp" or rec.optimizer != "adam":
        raise ValueError("recipe must train per-sample MLP networks with Adam (like 'modern'); "
                         f"got features={rec.features!r}, generator={rec.generator!r}, "
                         f"discriminator={rec.discriminator!r}, optimizer={rec.optimizer!r}.")
    if rec.loss not in ("non_saturating", "minimax", "least_squares"):
        raise ValueError(f"loss must be one of 'non_saturating', 'minimax', 'least_squares' for fit_many; got {rec.loss!r}.")
    seeds = [check_int("seeds[i]", s, low=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one seed; got none.")
    m = len(seeds)
    lrs_d = _per_model("lr_d", rec.lr_d if lr_d is None else lr_d, m)
    lrs_g = _per_model("lr_g", rec.lr_g if lr_g is None else lr_g, m)
    target = _as_target(target)
    with torch.random.fork_rng(devices=[]), torch_threads(check_int("threads", threads, low=1)):
        torch.manual_seed(seeds[0])
        return _train_many(target, rec, seeds, lrs_d, lrs_g, progress)


def _train_many(target, rec, seeds, lrs_d, lrs_g, progress):
    m, n = len(seeds), rec.batch_size
    rng = torch.Generator().manual_seed(seeds[0] * 1_000_003 + m)
    first = _draw(target, 5000, rng)
    if not torch.isfinite(first).all():
        raise ValueError("target returned NaN or infinite values; real samples must be finite numbers.")
    dim = first.shape[1]
    std = Standardiser.fitted_to(first) if rec.standardise else Standardiser(dim)
    reference = _draw(target, 2000, rng)
    G = StackedMLP((rec.noise_dim, *rec.g_hidden, dim), rec.g_activation, seeds)
    D = StackedMLP((dim, *rec.d_hidden, 1), rec.d_activation, [s + 104729 for s in seeds])
    G_avg = [p.detach().clone() for p in G.parameters()]
    lr_shape = (m, 1, 1)
    d_opt = _StackedAdam(D.parameters(), torch.tensor(lrs_d, dtype=torch.float32).reshape(lr_shape), rec.betas)
    g_opt = _StackedAdam(G.parameters(), torch.tensor(lrs_g, dtype=torch.float32).reshape(lr_shape), rec.betas)
    d_params = list(D.parameters())
    ones, zeros = torch.ones(m, n, 1), torch.zeros(m, n, 1)
    fixed = torch.randn(m, 2000, rec.noise_dim, generator=torch.Generator().manual_seed(seeds[0] + 12345))

    def d_loss(real, fake):
        if rec.loss == "least_squares":
            return (0.5 * (real - 1).pow(2).mean((1, 2)) + 0.5 * fake.pow(2).mean((1, 2))).sum()
        return (F.binary_cross_entropy_with_logits(real, ones, reduction="none").mean((1, 2))
                + F.binary_cross_entropy_with_logits(fake, zeros, reduction="none").mean((1, 2))).sum()

    def g_loss(fake):
        if rec.loss == "least_squares":
            return (0.5 * (fake - 1).pow(2).mean((1, 2))).sum()
        if rec.loss == "minimax":
            return -F.binary_cross_entropy_with_logits(fake, zeros, reduction="none").mean((1, 2)).sum()
        return F.binary_cross_entropy_with_logits(fake, ones, reduction="none").mean((1, 2)).sum()

    @torch.no_grad()
    def generate(params):
        x = fixed
        for i in range(len(params) // 2):
            x = torch.baddbmm(params[len(params) // 2 + i], x, params[i])
            if i < len(params) // 2 - 1:
                x = G.act(x)
        return std.inverse(x)

    def averaged():
        return generate(G_avg if rec.ema > 0 else [p.detach() for p in G.parameters()])

    # parameters() yields all weights then all biases (two ParameterLists)
    hist_epochs, hist_dist = [], []
    started = time.perf_counter()
    shown = started
    for epoch in range(1, rec.epochs + 1):
        scale = 1.0 - (epoch - 1) / rec.epochs if rec.lr_decay else 1.0
        for _ in range(rec.d_steps):
            real = std(_draw(target, m * n, rng)).reshape(m, n, dim)
            with torch.no_grad():
                fake = G(torch.randn(m, n, rec.noise_dim, generator=rng))
            out = D(torch.cat([real, fake], dim=1))          # one pass over both batches: fewer, larger products
            loss = d_loss(out[:, :n], out[:, n:])
            d_opt.zero_grad()
            loss.backward()
            d_opt.step(scale)
        for p in d_params:
            p.requires_grad = False
        for _ in range(rec.g_steps):
            loss = g_loss(D(G(torch.randn(m, n, rec.noise_dim, generator=rng))))
            g_opt.zero_grad()
            loss.backward()
            g_opt.step(scale)
        for p in d_params:
            p.requires_grad = True
        if rec.ema > 0:
            with torch.no_grad():
                for p_avg, p in zip(G_avg, G.parameters()):
                    p_avg.lerp_(p, 1 - rec.ema)
        if epoch % rec.log_every == 0 or epoch == rec.epochs:
            hist_epochs.append(epoch)
            # records during training: 8 directions, a quarter of the sorting of the final distance
            hist_dist.append(_distances(averaged(), reference, projections=8).numpy())
            now = time.perf_counter()
            if progress and now - shown > 0.5:
                shown = now
                print(f"\r{m} GANs: epoch {epoch}/{rec.epochs} · median distance "
                      f"{np.median(hist_dist[-1]):.3f} · {now - started:.1f} s", end="", flush=True)
    seconds = time.perf_counter() - started
    samples = averaged()
    dist = _distances(samples, reference).numpy()
    spread = float(reference.std(0).mean()) if dim == 1 else float(np.mean([(reference @ u).std() for u in
                                                                           _directions(dim)]))
    result = ManyResult(dist, dist / spread, lrs_d, lrs_g, np.asarray(seeds), samples,
                        {"epoch": hist_epochs, "distance": np.stack(hist_dist)}, seconds, rec)
    if progress:
        print(f"\r{m} GANs: {rec.epochs} epochs in {seconds:.1f} s · median distance {np.median(dist):.3f}"
              f" · {result.fitted().mean():.0%} within 0.1σ of the target", flush=True)
    return result


def _directions(d):
    g = torch.Generator().manual_seed(0)
    u = torch.randn(d, 32, generator=g)
    return (u / u.norm(dim=0, keepdim=True)).T


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
    lr_d = np.asarray([check_number("lr_d", v, low=0, low_open=True, high=10) for v in lr_d])
    lr_g = np.asarray([check_number("lr_g", v, low=0, low_open=True, high=10) for v in lr_g])
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
