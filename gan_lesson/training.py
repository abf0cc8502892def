"""The training loop, its history, and ``fit``: one call for the common case.

One epoch of the loop (``order="d_first"``, the classic one):

1. ``d_steps`` discriminator updates. Each draws a real batch (target label 1) and a fake batch
   ``G(z)`` that is *detached*, so the discriminator's labels do not train G (target label 0);
   then steps D's optimizer only.
2. ``g_steps`` generator updates. Each passes ``G(z)`` through D against the label "real" and
   steps G's optimizer only. D is frozen meanwhile (``requires_grad_(False)``), so the
   generator's loss neither moves D nor wastes time on D's gradients.

``order="g_first"`` runs the generator phase first. Every ``log_every`` epochs the run records
the mean losses, D(x), D(G(z)), the generator's gradient norm, the generated spread and the
distance to the target in a ``History``, keeps a snapshot of samples generated from one fixed
noise batch, and calls ``callback(state)``; a callback that returns ``False`` stops the run.

Faults: a non-finite loss stops the run before the step that would spoil the weights and says
which loss, when, and the likely cause; Ctrl-C (the notebook's stop button) stops it too. Both
return the result trained so far, with ``result.status`` saying what happened.
"""
import contextlib
import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from . import features as _features
from .losses import _gradient_penalty, loss_functions
from .metrics import distance as _distance
from .metrics import moments as _moments
from .models import Discriminator, Generator, LinearGenerator, MLPDiscriminator, MLPGenerator
from .recipes import RECIPES, Recipe, recipe_named
from .samplers import Empirical, Sampler, noise_sampler
from .validation import check_callable, check_int

__all__ = ["fit", "load", "FitResult", "History", "TrainingState", "Standardiser",
           "DataGenerator", "DataDiscriminator", "torch_threads"]

FORMAT = "gan-lesson/fit-result"
FORMAT_VERSION = 1
REFERENCE_SIZE = 2000   # real samples kept to measure the distance during training
SNAPSHOT_SIZE = 2000    # generated samples kept at each logged epoch (the same size: a fast W1)


@contextlib.contextmanager
def torch_threads(n):
    """Run the block with ``n`` PyTorch threads, then restore the previous count.

    Small networks are dominated by per-operation overhead: one thread is as fast as two and
    much faster when another process is busy, so training uses one by default.
    """
    n = check_int("threads", n, low=1)
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# --------------------------------------------------------------------------- bookkeeping

@dataclass
class History:
    """What the run recorded every ``log_every`` epochs (one entry per record).

    ``loss_d``/``loss_g``: mean losses since the previous record; ``d_real``/``d_fake``: mean
    D(x) and D(G(z)) as probabilities (critic scores for Wasserstein losses); ``grad_g``: norm of
    the generator's gradient at its last step; ``distance``: Wasserstein-1 (sliced for d > 1)
    from the snapshot to a fixed real sample, in data units; ``spread``: generated std over real
    std (1 is right, near 0 is collapse); ``fake_mean`` … ``fake_kurtosis``: moments of the
    snapshot (1-D data only, else NaN); ``seconds``: wall time since the start.
    """

    epoch: list = field(default_factory=list)
    loss_d: list = field(default_factory=list)
    loss_g: list = field(default_factory=list)
    d_real: list = field(default_factory=list)
    d_fake: list = field(default_factory=list)
    grad_g: list = field(default_factory=list)
    distance: list = field(default_factory=list)
    spread: list = field(default_factory=list)
    fake_mean: list = field(default_factory=list)
    fake_std: list = field(default_factory=list)
    fake_skew: list = field(default_factory=list)
    fake_kurtosis: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    def __len__(self):
        return len(self.epoch)

    def as_dict(self):
        return {k: list(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, values):
        return cls(**{k: list(values.get(k, [])) for k in cls.__dataclass_fields__})

    def last(self):
        """The latest record as a dict (empty before the first)."""
        return {k: v[-1] for k, v in self.__dict__.items() if v}

    def __repr__(self):
        if not self.epoch:
            return "History(empty)"
        return (f"History({len(self)} records, epochs {self.epoch[0]}–{self.epoch[-1]}, "
                f"last distance {self.distance[-1]:.3g})")


@dataclass
class TrainingState:
    """What a callback receives every ``log_every`` epochs."""

    epoch: int
    epochs: int
    history: History
    samples: torch.Tensor      # the latest snapshot, (SNAPSHOT_SIZE, d), data units
    reference: torch.Tensor    # real samples, (REFERENCE_SIZE, d), data units
    seconds: float
    recipe: Recipe


class Standardiser(nn.Module):
    """Maps data to standard units and back: ``forward(x) = (x − shift)·M⁻¹``, ``inverse(y) = y·M + shift``.

    For 1-D data M is the standard deviation; for d > 1 it is the symmetric square root of the
    covariance (whitening), so correlated targets become round. Identity when ``enabled=False``.
    """

    def __init__(self, dim, shift=None, scale=None):
        super().__init__()
        self.register_buffer("shift", torch.zeros(dim) if shift is None else shift.float())
        self.register_buffer("scale", torch.eye(dim) if scale is None else scale.float())
        self.register_buffer("inverse_scale", torch.linalg.inv(self.scale.double()).float())

    @classmethod
    def fitted_to(cls, sample):
        x = sample.double()
        shift = x.mean(0)
        if x.shape[1] == 1:
            scale = x.std(0).clamp_min(1e-12).reshape(1, 1)
        else:
            values, vectors = torch.linalg.eigh(torch.cov(x.T))
            values = values.clamp_min(1e-4 * values.max().clamp_min(1e-24))
            scale = vectors @ torch.diag(values.sqrt()) @ vectors.T
        return cls(x.shape[1], shift, scale)

    def forward(self, x):
        return (x - self.shift) @ self.inverse_scale

    def inverse(self, y):
        return y @ self.scale + self.shift


class DataGenerator(nn.Module):
    """A trained generator in the data's units: noise ``(n, noise_dim)`` -> samples ``(n, d)``."""

    def __init__(self, net, standardiser):
        super().__init__()
        self.net, self.standardiser = net, standardiser

    def forward(self, z):
        return self.standardiser.inverse(self.net(z))

    def __repr__(self):
        return f"DataGenerator({self.net!r}, output in data units)"


class DataDiscriminator(nn.Module):
    """A trained discriminator in the data's units: samples ``(n, d)`` -> beliefs.

    Returns P(real) for the BCE losses and the raw score for least squares / Wasserstein; one
    row per sample (``per_sample``) or a single row for the whole batch (the other features).
    """

    def __init__(self, net, standardiser, features, probability):
        super().__init__()
        self.net, self.standardiser = net, standardiser
        self.features = features
        self.probability = probability
        self._featurize = _features.featurize(features)

    def forward(self, x):
        out = self.net(self._featurize(self.standardiser(x)))
        if self.probability and getattr(self.net, "outputs_logits", False):
            out = torch.sigmoid(out)
        return out

    def __repr__(self):
        return f"DataDiscriminator({self.net!r}, sees {self.features})"


# --------------------------------------------------------------------------- the result

class FitResult:
    """A trained pair, what the run recorded, and how it ended.

    ``generator``/``discriminator``: modules in the data's units; ``history``: a ``History``;
    ``snapshots``: list of ``(epoch, samples)`` from one fixed noise batch; ``status``:
    ``"finished"``, ``"interrupted"``, ``"stopped"`` (by a callback) or ``"diverged"``;
    ``message``: one sentence on how it ended; ``epochs_done``; ``seconds``; ``recipe``.
    """

    def __init__(self, generator, discriminator, history, snapshots, recipe, dim, status, message,
                 epochs_done, seconds, seed, reference=None, target=None):
        self.generator, self.discriminator = generator, discriminator
        self.history, self.snapshots, self.recipe = history, snapshots, recipe
        self.dim, self.status, self.message = dim, status, message
        self.epochs_done, self.seconds, self.seed = epochs_done, seconds, seed
        self.reference, self.target = reference, target

    @property
    def noise_dim(self):
        return self.recipe.noise_dim

    def noise(self, n, generator=None):
        """Noise of the kind this generator was trained on: ``(n, noise_dim)``."""
        return noise_sampler(self.recipe.noise)(n, self.recipe.noise_dim, generator=generator)

    @torch.no_grad()
    def sample(self, n, seed=None):
        """``n`` generated samples, tensor ``(n, d)`` in the target's units."""
        n = check_int("n", n, low=1)
        g = None if seed is None else torch.Generator().manual_seed(check_int("seed", seed, low=0))
        return self.generator(self.noise(n, g))

    def distance(self, n=20000, seed=0):
        """Wasserstein-1 (sliced for d > 1) between ``n`` generated and ``n`` fresh real samples."""
        if self.target is None:
            raise ValueError("this result has no target attached (it was loaded from a file); "
                             "use gan_lesson.metrics.distance(result.sample(n), real_samples).")
        g = torch.Generator().manual_seed(seed + 1)
        return _distance(self.sample(n, seed=seed), _draw(self.target, n, g))

    def report(self):
        """Print the final statistics the way the classic lesson does (1-D data)."""
        print(_report_line(self.history, self.reference, self.epochs_done, final=True))

    def save(self, path):
        """Save weights, settings and history (tensors, numbers and strings only)."""
        snaps = self.snapshots
        torch.save({
            "format": FORMAT, "version": FORMAT_VERSION, "recipe": self.recipe.to_dict(),
            "dim": self.dim, "status": self.status, "message": self.message,
            "epochs_done": self.epochs_done, "seconds": self.seconds, "seed": self.seed,
            "history": self.history.as_dict(),
            "generator": self.generator.state_dict(), "discriminator": self.discriminator.state_dict(),
            "snapshot_epochs": [e for e, _ in snaps],
            "snapshot_samples": torch.stack([s for _, s in snaps]) if snaps else torch.zeros(0),
            "reference": self.reference,
        }, path)
        return path

    def __repr__(self):
        dist = f", distance {self.history.distance[-1]:.3g}" if len(self.history) else ""
        return (f"FitResult({self.recipe.name}, {self.epochs_done}/{self.recipe.epochs} epochs, "
                f"{self.status}{dist}, {self.seconds:.1f} s)")


def load(path):
    """Bring back a ``FitResult`` saved with ``.save(path)``.

    Only tensors, numbers and strings are read (``weights_only=True``): no code in the file is
    ever run. A file that is not a saved result raises ``ValueError``.
    """
    import pickle
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise FileNotFoundError(f"path {str(path)!r} does not exist; give the file written by FitResult.save.") from None
    except pickle.UnpicklingError:
        raise ValueError(f"{str(path)!r} is not a gan-lesson result: it holds Python objects other than "
                         "tensors and numbers, and load() refuses to run code from a file.") from None
    except Exception as exc:  # not a torch file at all (zip error, truncated, text…)
        raise ValueError(f"{str(path)!r} is not a gan-lesson result (not a file written by FitResult.save): {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not a gan-lesson result: it was not written by FitResult.save.")
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"{str(path)!r} was saved in format version {data.get('version')}; this gan_lesson reads version {FORMAT_VERSION}.")
    recipe = Recipe.from_dict(data["recipe"])
    dim = data["dim"]
    G, D = _build_models(recipe, dim)
    std = Standardiser(dim)
    generator = DataGenerator(G, std)
    discriminator = DataDiscriminator(D, std, recipe.features, probability=recipe.loss in ("non_saturating", "minimax"))
    generator.load_state_dict(data["generator"])
    discriminator.load_state_dict(data["discriminator"])
    snaps = list(zip(data["snapshot_epochs"], data["snapshot_samples"])) if data["snapshot_epochs"] else []
    return FitResult(generator, discriminator, History.from_dict(data["history"]), snaps, recipe, dim,
                     data["status"], data["message"], data["epochs_done"], data["seconds"], data["seed"],
                     reference=data.get("reference"))


# --------------------------------------------------------------------------- helpers

def _draw(target, n, generator):
    """n real samples from ``target`` as float32 ``(n, d)``, with the checks a student needs."""
    if isinstance(target, Sampler):
        x = target(n, generator=generator)
    else:
        x = target(n)
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"target must return a tensor or numpy array of shape (n, d); target({n}) returned "
                        f"{type(x).__name__}.")
    if x.ndim == 1:
        x = x.unsqueeze(1)
    if x.ndim != 2:
        raise ValueError(f"target must return shape (n, d); target({n}) returned shape {tuple(x.shape)}.")
    if x.shape[0] != n:
        raise ValueError(f"target must return n rows; target({n}) returned {x.shape[0]} rows.")
    return x.float()


def _as_target(target):
    if isinstance(target, (np.ndarray, torch.Tensor)):
        return Empirical(target)
    return check_callable("target", target, "a sampler: a function n -> tensor (n, d) of real samples "
                          "(or a tensor/array of real samples)")


def _build_models(recipe, dim):
    d_in = _features.feature_size(recipe.features, recipe.batch_size, dim)
    critic = recipe.loss not in ("non_saturating", "minimax")
    if recipe.generator == "classic":
        G = Generator(recipe.noise_dim, recipe.g_hidden[0], dim, recipe.g_activation, recipe.g_dropout)
    elif recipe.generator == "linear":
        G = LinearGenerator(recipe.noise_dim, dim)
    else:
        G = MLPGenerator(recipe.noise_dim, dim, recipe.g_hidden, recipe.g_activation)
    if recipe.discriminator == "classic":
        D = Discriminator(d_in, recipe.d_hidden[0], 1, sigmoid=not critic)
    else:
        D = MLPDiscriminator(d_in, recipe.d_hidden, recipe.d_activation, sigmoid=False)
    return G, D


def _optimizer(recipe, params, lr):
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=recipe.momentum, fused=False)
    # fused: one kernel for all parameters, much less Python per step on small networks
    return torch.optim.Adam(params, lr=lr, betas=recipe.betas, fused=True)


def _report_line(history, reference, epoch, final=False):
    last = history.last()
    head = f"{'final' if final else 'epoch'} {epoch:>5}"
    if not last:
        return head + ": nothing recorded yet"
    if reference is not None and reference.shape[1] == 1:
        r = _moments(reference)
        real = f"mean {r['mean']:.2f} std {r['std']:.2f} skew {r['skew']:+.2f} kurt {r['kurtosis']:+.2f}"
        fake = (f"mean {last['fake_mean']:.2f} std {last['fake_std']:.2f} skew {last['fake_skew']:+.2f} "
                f"kurt {last['fake_kurtosis']:+.2f}")
        return (f"{head} | D loss {last['loss_d']:.3f}  G loss {last['loss_g']:.3f} | "
                f"real: {real} | fake: {fake}")
    return (f"{head} | D loss {last['loss_d']:.3f}  G loss {last['loss_g']:.3f} | "
            f"D(x) {last['d_real']:.2f}  D(G(z)) {last['d_fake']:.2f} | distance {last['distance']:.3f}")


class _Diverged(Exception):
    pass


class _Progress:
    """A one-line progress display, redrawn at most every half second."""

    def __init__(self, enabled, epochs, name):
        self.enabled, self.epochs, self.name = enabled, epochs, name
        self.start = time.perf_counter()
        self.shown = False
        self.next = self.start + 1.0

    def update(self, epoch, dist):
        if not self.enabled:
            return
        now = time.perf_counter()
        if now >= self.next:
            self.next = now + 0.5
            self.shown = True
            print(f"\r{self.name}: epoch {epoch}/{self.epochs} · distance {dist:.3f} · {now - self.start:.1f} s",
                  end="", flush=True)

    def say(self, line):
        if self.enabled:
            print(("\r" if self.shown else "") + line, flush=True)
            self.shown = False


# --------------------------------------------------------------------------- fit

def fit(target, *, recipe="modern", epochs=None, lr_d=None, lr_g=None, d_steps=None, g_steps=None,
        batch_size=None, seed=0, callback=None, loss=None, features=None, noise=None, order=None,
        d_pretrain=None, log_every=None, report_every=None, progress=True, threads=1):
    """Train a GAN on ``target`` and return a ``FitResult``.

    ``target``: a function ``n -> tensor (n, d)`` of real samples (a sampler from
    ``gan_lesson.samplers``, any callable returning a tensor or numpy array, or a tensor/array
    holding a data set). ``recipe``: ``"modern"`` (seconds, close fit), ``"classic"`` (the
    classic 1-D loop of notebook 05) or a ``Recipe``. Every other setting left at ``None`` takes the
    recipe's value. ``seed`` fixes every random number of the run (same seed, same machine →
    same weights). ``callback(state)`` is called every ``log_every`` epochs with a
    ``TrainingState``; returning ``False`` stops the run. ``progress`` prints a progress line and
    a closing line (the summary, or why the run stopped early; ``result.message`` holds it too);
    ``threads`` is the PyTorch thread count used while training.
    """
    base = recipe_named(recipe)
    overrides = {k: v for k, v in dict(epochs=epochs, lr_d=lr_d, lr_g=lr_g, d_steps=d_steps, g_steps=g_steps,
                                       batch_size=batch_size, loss=loss, features=features, noise=noise,
                                       order=order, d_pretrain=d_pretrain, log_every=log_every,
                                       report_every=report_every).items() if v is not None}
    rec = base.replace(**overrides) if overrides else base
    seed = check_int("seed", seed, low=0)
    if callback is not None:
        check_callable("callback", callback)
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False; got {progress!r}.")
    target = _as_target(target)
    threads_n = check_int("threads", threads, low=1)

    np_state = np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]), torch_threads(threads_n):
            torch.manual_seed(seed)
            np.random.seed(seed)
            return _train(target, rec, seed, callback, progress)
    finally:
        np.random.set_state(np_state)


def _train(target, rec, seed, callback, progress):
    rng = torch.Generator().manual_seed(seed)
    draw = lambda n: _draw(target, n, rng)  # noqa: E731

    # first draw: check everything about the target once
    first = draw(rec.batch_size)
    if not torch.isfinite(first).all():
        raise ValueError(f"target returned NaN or infinite values (in the first batch of {rec.batch_size}); "
                         "real samples must be finite numbers.")
    dim = first.shape[1]
    reference = draw(REFERENCE_SIZE)
    if rec.standardise:
        std = Standardiser.fitted_to(torch.cat([reference, draw(max(0, 5000 - REFERENCE_SIZE))]))
    else:
        std = Standardiser(dim)

    standardise = std if rec.standardise else (lambda x: x)
    G, D = _build_models(rec, dim)
    d_opt = _optimizer(rec, D.parameters(), rec.lr_d)
    g_opt = _optimizer(rec, G.parameters(), rec.lr_g)
    G_avg = copy.deepcopy(G).requires_grad_(False) if rec.ema > 0 else G
    avg_pairs = list(zip(G_avg.parameters(), G.parameters())) if rec.ema > 0 else []
    logits = getattr(D, "outputs_logits", False)
    bce = rec.loss in ("non_saturating", "minimax")
    d_loss_fn, g_loss_fn = loss_functions(rec.loss)
    featurize = _features.featurize(rec.features)
    noise = noise_sampler(rec.noise)
    judge = lambda x: D(featurize(x))  # noqa: E731
    as_prob = (lambda s: torch.sigmoid(s)) if (logits and bce) else (lambda s: s)  # noqa: E731
    fixed_noise = noise(SNAPSHOT_SIZE, rec.noise_dim, generator=torch.Generator().manual_seed(seed + 12345))

    history, snapshots = History(), []
    sums = {"loss_d": 0.0, "loss_g": 0.0, "d_real": 0.0, "d_fake": 0.0, "nd": 0, "ng": 0}
    last_grad = [float("nan")]
    state = {"epoch": 0}
    started = time.perf_counter()
    bar = _Progress(progress, rec.epochs, f"{rec.name} recipe")
    real_std = reference.std(0).clamp_min(1e-12)

    def d_step(count):
        real = standardise(draw(rec.batch_size))
        with torch.no_grad():     # like G(z).detach(): D's labels must not train G (and no graph is built)
            fake = G(noise(rec.batch_size, rec.noise_dim, generator=rng))
        if rec.features == "per_sample":      # one pass through D for both halves: same result, faster
            d_real, d_fake = D(torch.cat([real, fake])).split(rec.batch_size)
        else:
            d_real, d_fake = judge(real), judge(fake)
        loss = d_loss_fn(d_real, d_fake, logits)
        if rec.loss == "wasserstein_gp":
            loss = loss + _gradient_penalty(judge, real, fake, rec.gp_weight, rng)
        value = loss.item()
        if not math.isfinite(value):
            raise _Diverged(("discriminator", value, real))
        d_opt.zero_grad()
        loss.backward()
        d_opt.step()
        if rec.loss == "wasserstein_clip":
            with torch.no_grad():
                for p in D.parameters():
                    p.clamp_(-rec.clip, rec.clip)
        if count:
            sums["loss_d"] += value
            sums["d_real"] += as_prob(d_real).mean().item()
            sums["d_fake"] += as_prob(d_fake).mean().item()
            sums["nd"] += 1

    def g_step(measure):
        fake = G(noise(rec.batch_size, rec.noise_dim, generator=rng))
        loss = g_loss_fn(judge(fake), logits)               # "pretend to be real"
        value = loss.item()
        if not math.isfinite(value):
            raise _Diverged(("generator", value, None))
        g_opt.zero_grad()
        loss.backward()                                     # D is frozen here: only G gets gradients
        if measure:
            last_grad[0] = torch.linalg.vector_norm(
                torch.stack([p.grad.norm() for p in G.parameters() if p.grad is not None])).item()
        g_opt.step()
        sums["loss_g"] += value
        sums["ng"] += 1

    d_params = list(D.parameters())

    def g_phase(logging):
        for p in d_params:           # hold D fixed while G trains (and skip its gradients)
            p.requires_grad = False
        try:
            for i in range(rec.g_steps):
                g_step(logging and i == rec.g_steps - 1)
        finally:
            for p in d_params:
                p.requires_grad = True

    @torch.no_grad()
    def record(epoch):
        samples = std.inverse(G_avg(fixed_noise))
        finite = bool(torch.isfinite(samples).all())
        dist = _distance(samples, reference) if finite else float("inf")
        history.epoch.append(epoch)
        nd, ng = sums["nd"] or float("nan"), sums["ng"] or float("nan")   # NaN: nothing measured yet
        history.loss_d.append(sums["loss_d"] / nd)
        history.loss_g.append(sums["loss_g"] / ng)
        history.d_real.append(sums["d_real"] / nd)
        history.d_fake.append(sums["d_fake"] / nd)
        history.grad_g.append(last_grad[0])
        history.distance.append(dist)
        history.spread.append(float((samples.std(0) / real_std).mean()) if finite else float("nan"))
        if dim == 1 and finite:
            m = _moments(samples)
            vals = (m["mean"], m["std"], m["skew"], m["kurtosis"])
        else:
            vals = (float("nan"),) * 4
        for name, v in zip(("fake_mean", "fake_std", "fake_skew", "fake_kurtosis"), vals):
            getattr(history, name).append(v)
        history.seconds.append(time.perf_counter() - started)
        for k in sums:
            sums[k] = 0 if k in ("nd", "ng") else 0.0
        snapshots.append((epoch, samples.clone()))
        if rec.report_every and epoch % rec.report_every == 0:
            bar.say(_report_line(history, reference, epoch))
        bar.update(epoch, dist)
        if callback is not None:
            answer = callback(TrainingState(epoch, rec.epochs, history, samples, reference,
                                            time.perf_counter() - started, rec))
            if answer is False:
                return False
        return True

    status, message = "finished", ""
    epoch = 0
    try:
        for _ in range(rec.d_pretrain):
            d_step(count=False)
        record(0)
        for epoch in range(1, rec.epochs + 1):
            state["epoch"] = epoch
            if rec.lr_decay:
                frac = 1.0 - (epoch - 1) / rec.epochs
                d_opt.param_groups[0]["lr"] = rec.lr_d * frac
                g_opt.param_groups[0]["lr"] = rec.lr_g * frac
            logging = (epoch % rec.log_every == 0 or epoch == rec.epochs
                       or (rec.report_every and epoch % rec.report_every == 0))
            if rec.order == "g_first":
                g_phase(logging)
            for _ in range(rec.d_steps):
                d_step(count=True)
            if rec.order == "d_first":
                g_phase(logging)
            if avg_pairs:
                with torch.no_grad():
                    for p_avg, p in avg_pairs:
                        p_avg.lerp_(p, 1.0 - rec.ema)
            if logging and not record(epoch):
                status = "stopped"
                message = f"Stopped by the callback at epoch {epoch} of {rec.epochs}; the result holds what was trained so far."
                break
        else:
            epoch = rec.epochs
            message = f"Finished {rec.epochs} epochs."
    except KeyboardInterrupt:
        status = "interrupted"
        epoch = max(state["epoch"] - 1, 0)
        message = (f"Training interrupted at epoch {state['epoch']} of {rec.epochs}; "
                   f"the result holds what was trained up to epoch {epoch}.")
    except _Diverged as exc:
        which, value, real = exc.args[0]
        status = "diverged"
        epoch = max(state["epoch"] - 1, 0)
        message = _divergence_message(which, value, state["epoch"], rec, real)

    seconds = time.perf_counter() - started
    if status in ("interrupted", "diverged") and history.epoch[-1] != epoch:
        with contextlib.suppress(Exception, KeyboardInterrupt):
            record(epoch)   # a last record of the weights being returned
    disc = DataDiscriminator(D, std, rec.features, probability=bce)
    result = FitResult(DataGenerator(G_avg, std), disc, history, snapshots, rec, dim, status, message,
                       epoch, seconds, seed, reference=reference, target=target)
    if status == "finished":
        d = history.distance[-1] if len(history) else float("nan")
        bar.say(f"{rec.name} recipe: {epoch} epochs in {seconds:.1f} s · distance to target {d:.3f}")
    elif progress:
        print(("\r" if bar.shown else "") + message, flush=True)
    return result


def _divergence_message(which, value, epoch, rec, real):
    head = f"Training stopped at epoch {epoch}: the {which} loss became {value} (not a finite number)."
    if real is not None and not torch.isfinite(real).all():
        cause = "Likely cause: the target returned NaN or infinite samples."
    else:
        lr = rec.lr_d if which == "discriminator" else rec.lr_g
        cause = (f"Likely cause: the learning rates are too high for this setup (lr_d={rec.lr_d:g}, "
                 f"lr_g={rec.lr_g:g}) and the weights blew up; try {lr / 10:g} for lr_{which[0]}")
        if rec.loss in ("least_squares", "wasserstein_gp", "wasserstein_clip"):
            cause += f", or a bounded loss such as 'non_saturating' (this run used {rec.loss!r})"
        cause += "."
    return f"{head} {cause} The result keeps the weights from before that step."
