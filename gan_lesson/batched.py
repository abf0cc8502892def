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
import numbers
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .recipes import RECIPES, recipe_named
from .samplers import Sampler
from .interrupts import interrupt_guard
from .training import Standardiser, _as_target, _draw, check_spread, torch_threads
from .validation import check_bool, check_int, check_number, check_seed, unknown_setting
from .validation import short_repr as _show

__all__ = ["fit_many", "stability_map", "estimate_bytes", "ManyResult", "StabilityMap", "StackedMLP"]

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
    ``history``: ``{"epoch": [...], "distance": array (records, M)}``; ``seconds``; ``recipe``;
    ``status``: "finished", "interrupted" (Ctrl-C: what was trained so far) or "diverged" (every
    GAN's weights blew up, or the target returned NaN); ``message``: how the run ended;
    ``diverged``: which GANs' weights became NaN or infinite (their distance is NaN).
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


def fit_many(target, *, seeds=16, lr_d=None, lr_g=None, recipe="modern", epochs=None,
             batch_size=None, loss=None, log_every=None, threads=1, progress=True, **unknown):
    """Train independent GANs on ``target`` at once, one per seed; returns a ``ManyResult``.

    ``seeds``: how many (``16`` means seeds 0–15) or which (``range(64)``, ``[3, 7, 11]``).
    A run that would not fit in a classroom kernel's memory is refused before it starts
    (``estimate_bytes`` says what it needs); Ctrl-C stops it with what it trained so far.

    ``lr_d``/``lr_g``: one value for all, or one per GAN (``None``: the recipe's). The recipe
    must use per-sample features, MLP networks, Adam, and the loss 'non_saturating', 'minimax'
    or 'least_squares'. ``threads``: PyTorch threads (1 by default: on a shared machine a
    second thread often waits for a busy core; see benchmarks/many_benchmark.py for both).
    """
    if unknown:
        raise TypeError(unknown_setting("fit_many", sorted(unknown)[0], MANY_SETTINGS))
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
    seeds = _seed_list(seeds)
    m = len(seeds)
    lrs_d = _per_model("lr_d", rec.lr_d if lr_d is None else lr_d, m)
    lrs_g = _per_model("lr_g", rec.lr_g if lr_g is None else lr_g, m)
    target = _as_target(target)
    threads = check_int("threads", threads, low=1)
    progress = check_bool("progress", progress)
    with torch.random.fork_rng(devices=[]), torch_threads(threads), interrupt_guard() as guard:
        torch.manual_seed(seeds[0])
        return _train_many(target, rec, seeds, lrs_d, lrs_g, progress, guard)


#: What one fit_many run may use: a classroom kernel has about 1 GB, of which PyTorch, numpy and
#: matplotlib already take about 400 MB.
MEMORY_LIMIT = 600 * 2**20


def estimate_bytes(m, recipe, dim=1):
    """About how many bytes ``fit_many`` needs to train ``m`` GANs of ``recipe`` on ``dim``-D data.

    Counts the activations of one G step and one D step (kept for the backward pass, with their
    gradients), the 2000-sample snapshots, and each GAN's weights five times (weights, gradients,
    Adam's two moments, the average). Measured peaks stay below it (tests/test_accidents.py).
    """
    rec = recipe_named(recipe)
    n = rec.batch_size
    g_width = rec.noise_dim + sum(rec.g_hidden) + dim
    d_width = dim + sum(rec.d_hidden) + 1
    steps = n * g_width + 2 * n * d_width + n * d_width      # G step, D on real+fake, D inside the G step
    snapshot = 2000 * (g_width + 2 * dim)
    sizes_g = (rec.noise_dim, *rec.g_hidden, dim)
    sizes_d = (dim, *rec.d_hidden, 1)
    weights = sum(a * b + b for a, b in zip(sizes_g[:-1], sizes_g[1:])) + sum(a * b + b for a, b in zip(sizes_d[:-1], sizes_d[1:]))
    return int(4 * m * (3 * steps + 2 * snapshot + 5 * weights) + 4 * 7000 * dim)


MANY_SETTINGS = ("seeds", "lr_d", "lr_g", "recipe", "epochs", "batch_size", "loss", "log_every", "threads", "progress")


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


def _train_many(target, rec, seeds, lrs_d, lrs_g, progress, guard):
    m, n = len(seeds), rec.batch_size
    rng = torch.Generator().manual_seed(seeds[0] * 1_000_003 + m)
    first = _draw(target, 5000, rng)
    if not torch.isfinite(first).all():
        raise ValueError("target returned NaN or infinite values; real samples must be finite numbers.")
    check_spread(first)
    dim = first.shape[1]
    _check_memory(m, rec, dim)
    std = Standardiser.fitted_to(first) if rec.standardise else Standardiser(dim)
    reference = _draw(target, 2000, rng, dim)
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
    status, message = "finished", f"Finished {rec.epochs} epochs."
    completed = 0      # the last epoch whose steps all ran
    try:
        for epoch in range(1, rec.epochs + 1):
            if guard.requested:          # a Ctrl-C asked to stop: every step so far is complete
                raise KeyboardInterrupt
            scale = 1.0 - (epoch - 1) / rec.epochs if rec.lr_decay else 1.0
            for _ in range(rec.d_steps):
                real = std(_draw(target, m * n, rng, dim)).reshape(m, n, dim)
                if not torch.isfinite(real).all():
                    status = "diverged"
                    message = (f"Stopped at epoch {epoch}: the target returned NaN or infinite samples; real "
                               "samples must be finite numbers. The result keeps the weights from before that step.")
                    break
                with torch.no_grad():
                    fake = G(torch.randn(m, n, rec.noise_dim, generator=rng))
                out = D(torch.cat([real, fake], dim=1))          # one pass over both batches: fewer, larger products
                loss = d_loss(out[:, :n], out[:, n:])
                d_opt.zero_grad()
                loss.backward()
                d_opt.step(scale)
            if status != "finished":
                break
            for p in d_params:
                p.requires_grad = False
            try:
                for _ in range(rec.g_steps):
                    loss = g_loss(D(G(torch.randn(m, n, rec.noise_dim, generator=rng))))
                    g_opt.zero_grad()
                    loss.backward()
                    g_opt.step(scale)
            finally:
                for p in d_params:
                    p.requires_grad = True
            if rec.ema > 0:
                with torch.no_grad():
                    for p_avg, p in zip(G_avg, G.parameters()):
                        p_avg.lerp_(p, 1 - rec.ema)
            completed = epoch
            if epoch % rec.log_every == 0 or epoch == rec.epochs:
                # records during training: 8 directions, a quarter of the sorting of the final distance
                record = _distances(averaged(), reference, projections=8).numpy()
                hist_epochs.append(epoch)
                hist_dist.append(record)
                if not np.isfinite(record).any():
                    status = "diverged"
                    message = (f"Stopped at epoch {epoch}: the weights of every GAN became NaN or infinite. Likely "
                               f"cause: learning rates too high (lr_d up to {lrs_d.max():g}, lr_g up to "
                               f"{lrs_g.max():g}); try ten times smaller.")
                    break
                now = time.perf_counter()
                if progress and now - shown > 0.5:
                    shown = now
                    print(f"\r{m} GANs: epoch {epoch}/{rec.epochs} · median distance "
                          f"{np.nanmedian(record):.3f} · {now - started:.1f} s", end="", flush=True)
    except KeyboardInterrupt:
        done = hist_epochs[-1] if hist_epochs else 0
        status = "interrupted"
        message = (f"Training interrupted after epoch {completed} of {rec.epochs}; the distances are measured "
                   f"on the weights trained so far (the history's last record is at epoch {done}).")
    seconds = time.perf_counter() - started
    samples = averaged()
    dist = _distances(samples, reference).numpy()
    spread = float(reference.std(0).mean()) if dim == 1 else float(np.mean([(reference @ u).std() for u in
                                                                           _directions(dim)]))
    records = np.stack(hist_dist) if hist_dist else np.zeros((0, m))
    result = ManyResult(dist, dist / spread, lrs_d, lrs_g, np.asarray(seeds), samples,
                        {"epoch": hist_epochs, "distance": records}, seconds, rec, status, message,
                        epochs_done=completed)
    if progress and status == "finished":
        ok = ~result.diverged
        median = np.median(dist[ok]) if ok.any() else float("nan")
        lost = f" · {int(result.diverged.sum())} diverged" if result.diverged.any() else ""
        print(f"\r{m} GANs: {rec.epochs} epochs in {seconds:.1f} s · median distance {median:.3f}"
              f" · {result.fitted().mean():.0%} within 0.1σ of the target{lost}", flush=True)
    elif progress:
        print(f"\r{message}", flush=True)
    return result


def _directions(d):
    g = torch.Generator().manual_seed(0)
    u = torch.randn(d, 32, generator=g)
    return (u / u.norm(dim=0, keepdim=True)).T


def _rate_list(name, rates):
    """The learning rates of one axis of a stability map: a list of numbers (one number: a list of one)."""
    if isinstance(rates, torch.Tensor):
        rates = rates.detach().cpu().numpy()
    if isinstance(rates, numbers.Real) and not isinstance(rates, bool) or np.ndim(rates) == 0 and isinstance(rates, np.ndarray):
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
