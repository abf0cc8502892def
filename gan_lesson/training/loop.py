"""The training loop around notebook 05's two steps, its history, and ``fit``.

One epoch of the loop (``order="d_first"``, the classic one):

1. ``d_steps`` calls of ``d_step(G, D, g_opt, d_opt, real, z)``: a real batch (target 1) and a
   detached fake batch ``G(z)`` (target 0), then D's optimizer steps;
2. ``g_steps`` calls of ``g_step(G, D, g_opt, d_opt, z)``: ``G(z)`` through D against the label
   "real", then G's optimizer steps. D is held fixed meanwhile (``requires_grad_(False)``), so
   the generator's loss neither moves D nor spends time on D's gradients.

The steps are ``gan_lesson.steps.d_step`` and ``g_step`` (the functions notebook 05 has you
write) unless you pass your own to ``fit``; the networks are the recipe's unless you pass your
own. ``order="g_first"`` runs the generator phase first. Every ``log_every`` epochs the run
records the mean losses, D(x) and D(G(z)), the generator's gradient norm, the generated spread
and the distance to the target in a ``History``, keeps a snapshot of samples generated from one
fixed noise batch, and calls ``callback(state)``; a callback that returns ``False`` stops it.

Faults: a loss that is not a finite number stops the run, says which loss, when and the likely
cause, and returns the weights of the last record; Ctrl-C (the notebook's stop button) stops it
at the end of the epoch. Both return the result trained so far, with ``result.status`` saying
what happened.
"""
import contextlib
import copy
import functools
import math
import sys
import threading
import time
import traceback
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..interrupts import interrupt_guard, warm_up
from ..maths import features as _features
from ..maths import losses
from ..maths.metrics import distance as _distance
from ..maths.metrics import moments as _moments
from ..maths.samplers import as_target, check_spread, draw, noise_sampler
from ..validation import accepts_arguments, check_bool, check_callable, check_int, check_seed, unknown_setting
from ..validation import short_repr as _show
from . import steps
from .recipes import Recipe, build_models, make_optimizer, recipe_named
from .results import DataDiscriminator, DataGenerator, FitResult, History, Standardiser, report_line

__all__ = ["fit", "TrainingState", "Progress", "reads_logits", "torch_threads", "REFERENCE_SIZE", "SNAPSHOT_SIZE"]

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


def _said_go_on(answer):
    """A callback's answer read as a yes or no (False, 0, np.False_, tensor(False) all say stop)."""
    try:
        return bool(answer)
    except Exception:
        raise TypeError(f"callback must return True/None (go on) or False (stop); it returned {_show(answer)}.") from None


class _CallbackFailed(Exception):
    pass


class _Diverged(Exception):
    pass


class Progress:
    """The one progress line every trainer prints, redrawn at most every half second.

    ``update(epoch, distance=0.31)`` shows ``name: epoch 120/800 · distance 0.310 · 1.2 s`` (any
    measures, by name); ``say(line)`` prints a line that stays (a report, the closing summary).
    """

    def __init__(self, enabled, epochs, name):
        self.enabled, self.epochs, self.name = enabled, epochs, name
        self.start = time.perf_counter()
        self.shown = False
        self.next = self.start + 1.0

    def update(self, epoch, **measures):
        if not self.enabled:
            return
        now = time.perf_counter()
        if now >= self.next:
            self.next = now + 0.5
            self.shown = True
            shown = "".join(f" · {k.replace('_', ' ')} {v:.3f}" if isinstance(v, float) else f" · {k.replace('_', ' ')} {v}"
                            for k, v in measures.items() if v is not None)
            print(f"\r{self.name}: epoch {epoch}/{self.epochs}{shown} · {now - self.start:.1f} s", end="", flush=True)

    def say(self, line):
        if self.enabled:
            print(("\r" if self.shown else "") + line, flush=True)
            self.shown = False


def fit(target, *, recipe="modern", generator=None, discriminator=None, d_step=None, g_step=None, epochs=None, lr_d=None, lr_g=None, d_steps=None, g_steps=None,
        batch_size=None, seed=0, callback=None, loss=None, features=None, noise=None, order=None,
        d_pretrain=None, log_every=None, report_every=None, progress=True, threads=1, **unknown):
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

    Your own pieces, each optional (what is not given comes from the recipe):
    ``generator``: a module from noise ``(n, noise_dim)`` to samples ``(n, d)`` (its first
    ``nn.Linear`` sets ``noise_dim``); ``discriminator``: a module from samples ``(n, d)`` to one
    verdict per sample ``(n, 1)`` (logits, or probabilities if it ends in ``nn.Sigmoid``);
    ``d_step(G, D, g_opt, d_opt, real, z)`` and ``g_step(G, D, g_opt, d_opt, z)``: notebook 05's
    steps, returning the loss. Your modules are trained in place (with ``ema`` > 0 they end
    holding the averaged weights) and the result samples from them. When the recipe
    standardises the data, your networks work in standard units (``real`` arrives standardised).
    Your steps get a D that returns what the loss reads: P(real) for the BCE losses
    (``"non_saturating"``, ``"minimax"``), a raw score for the others.
    """
    if unknown:
        raise TypeError(unknown_setting("fit", sorted(unknown)[0], FIT_SETTINGS))
    with interrupt_guard() as guard:     # from the first line: a Ctrl-C never lands half-way
        pieces = _check_pieces(generator=generator, discriminator=discriminator, d_step=d_step, g_step=g_step)
        return _fit(target, guard, pieces=pieces, recipe=recipe, epochs=epochs, lr_d=lr_d, lr_g=lr_g, d_steps=d_steps,
                    g_steps=g_steps, batch_size=batch_size, seed=seed, callback=callback, loss=loss,
                    features=features, noise=noise, order=order, d_pretrain=d_pretrain, log_every=log_every,
                    report_every=report_every, progress=progress, threads=threads)


FIT_SETTINGS = ("recipe", "generator", "discriminator", "d_step", "g_step", "epochs", "lr_d", "lr_g", "d_steps", "g_steps", "batch_size", "seed", "callback", "loss",
                "features", "noise", "order", "d_pretrain", "log_every", "report_every", "progress", "threads")


def _check_pieces(**given):
    """The student's pieces that were given, each checked: modules for the players, functions for the steps."""
    pieces = {}
    for name in ("generator", "discriminator"):
        module = given[name]
        if module is None:
            continue
        if isinstance(module, type):
            raise TypeError(f"{name} must be a model (an nn.Module instance); got the class {module.__name__} itself. "
                            f"Note the brackets: {module.__name__}(...) makes one.")
        if not isinstance(module, nn.Module):
            hint = " (call your function: make_generator(...) returns the module)" if callable(module) else ""
            raise TypeError(f"{name} must be a torch.nn.Module (a network); got {_show(module)}{hint}.")
        if not any(p.requires_grad for p in module.parameters()):
            raise ValueError(f"{name} has no trainable parameters, so there is nothing to train: give it at least "
                             "one layer with weights (nn.Linear, nn.Conv2d, ...).")
        pieces[name] = module
    for name, count, call in (("d_step", 6, "d_step(G, D, g_opt, d_opt, real, z)"), ("g_step", 5, "g_step(G, D, g_opt, d_opt, z)")):
        step = given[name]
        if step is None:
            continue
        check_callable(name, step, f"a function {call} that makes one update and returns the loss")
        if not accepts_arguments(step, count):
            raise TypeError(f"{name} is called as {call}, with {count} arguments; {_show(step)} does not take "
                            f"{count}. Write it as `def {call}: ...`.")
        pieces[name] = step
    if "generator" in pieces and pieces.get("generator") is pieces.get("discriminator"):
        raise ValueError("generator and discriminator are the same module; give two separate networks.")
    return pieces


def _fit(target, guard, *, pieces, recipe, epochs, lr_d, lr_g, d_steps, g_steps, batch_size, seed, callback, loss,
         features, noise, order, d_pretrain, log_every, report_every, progress, threads):
    if torch.get_default_dtype() != torch.float32:
        raise RuntimeError(f"fit trains in float32, but PyTorch's default dtype is now {torch.get_default_dtype()} "
                           "(torch.set_default_dtype was called); run torch.set_default_dtype(torch.float32) first.")
    base = recipe_named(recipe)
    overrides = {k: v for k, v in dict(epochs=epochs, lr_d=lr_d, lr_g=lr_g, d_steps=d_steps, g_steps=g_steps,
                                       batch_size=batch_size, loss=loss, features=features, noise=noise,
                                       order=order, d_pretrain=d_pretrain, log_every=log_every,
                                       report_every=report_every).items() if v is not None}
    rec = base.replace(**overrides) if overrides else base
    seed = check_seed("seed", seed)
    if callback is not None:
        check_callable("callback", callback)
        if not accepts_arguments(callback, 1):
            raise TypeError(f"callback is called as callback(state), with a TrainingState, and must take one "
                            f"argument; {_show(callback)} does not. Write it as `def callback(state): ...`.")
    progress = check_bool("progress", progress)
    target = as_target(target)
    threads_n = check_int("threads", threads, low=1)

    warm_up()
    if threading.current_thread() is not threading.main_thread():
        # a dashboard's background run: the notebook's own random numbers (and thread count,
        # which PyTorch keeps per thread) must not notice it, so the run draws from private
        # generators only, seeded so that it trains exactly what the same call in the notebook would
        with torch_threads(threads_n):
            return _train(target, rec, seed, callback, progress, guard, private=True, pieces=pieces)
    np_state = np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]), torch_threads(threads_n):
            torch.manual_seed(seed)
            np.random.seed(seed)
            return _train(target, rec, seed, callback, progress, guard, pieces=pieces)
    finally:
        np.random.set_state(np_state)


class _Judge(nn.Module):
    """D as the steps see it: the recipe's features first (a batch's moments, or each sample as it is),
    then D; ``probabilities=True`` applies the sigmoid to a D that returns logits."""

    def __init__(self, D, features, probabilities=False):
        super().__init__()
        self.D, self.featurize = D, _features.featurize(features)
        self.sigmoid = probabilities

    def forward(self, x):
        out = self.D(self.featurize(x))
        return torch.sigmoid(out) if self.sigmoid else out


@contextlib.contextmanager
def _held_fixed(D):
    """D's weights take no gradient inside the block (the generator's phase): nothing to compute or to leak."""
    params = [p for p in D.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


class _Mean:
    """A running mean that starts empty (NaN until something is added)."""

    def __init__(self):
        self.total, self.count = 0.0, 0

    def add(self, value):
        self.total, self.count = self.total + value, self.count + 1

    def take(self):
        """The mean so far, then start again."""
        mean = self.total / self.count if self.count else float("nan")
        self.total, self.count = 0.0, 0
        return mean


def _loss_value(value, step):
    """What a step returned, as a float (a scalar tensor or a number), or a clear error."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach())
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"{step} must return the loss it stepped on (a float such as loss.item(), or a scalar tensor); "
                    f"it returned {_show(value)}. End it with `return loss.item()`.")


def _grad_norm(module):
    grads = [p.grad.norm() for p in module.parameters() if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack(grads)).item() if grads else float("nan")


class _Averager:
    """G's weights averaged over the steps (``ema`` > 0): ``avg ← ema·avg + (1 − ema)·G`` after every epoch."""

    def __init__(self, G, ema):
        self.ema = ema
        self.G_avg = copy.deepcopy(G).requires_grad_(False) if ema > 0 else G
        self.pairs = list(zip(self.G_avg.parameters(), G.parameters())) if ema > 0 else []
        self.buffers = list(zip(self.G_avg.buffers(), G.buffers())) if ema > 0 else []

    @torch.no_grad()
    def update(self):
        for p_avg, p in self.pairs:
            p_avg.lerp_(p, 1.0 - self.ema)
        for b_avg, b in self.buffers:       # batch-norm statistics: the latest ones
            b_avg.copy_(b)


@torch.enable_grad()          # training needs gradients, even when called inside torch.no_grad()
def _train(target, rec, seed, callback, progress, guard, private=False, pieces=None):
    pieces = pieces or {}
    rng = torch.Generator().manual_seed(seed)

    # --- the data: checked once, standardised for the networks, a fixed sample to measure against
    first = draw(target, rec.batch_size, rng)
    if not torch.isfinite(first).all():
        raise ValueError(f"target returned NaN or infinite values (in the first batch of {rec.batch_size}); "
                         "real samples must be finite numbers.")
    dim = first.shape[1]
    reference = draw(target, REFERENCE_SIZE, rng, dim)
    check_spread(torch.cat([first, reference]))
    std = (Standardiser.fitted_to(torch.cat([reference, draw(target, max(0, 5000 - REFERENCE_SIZE), rng, dim)]))
           if rec.standardise else Standardiser(dim))

    # --- the players: the student's own where given, else the recipe's
    G, D, rec = _players(rec, dim, pieces, private, seed)
    logits = reads_logits(D)
    loss = losses.get(rec.loss)
    d_opt = make_optimizer(rec, D.parameters(), rec.lr_d)
    g_opt = make_optimizer(rec, G.parameters(), rec.lr_g)
    noise = noise_sampler(rec.noise)
    fixed_noise = noise(SNAPSHOT_SIZE, rec.noise_dim, generator=torch.Generator().manual_seed(seed + 12345))
    judge = D if rec.features == "per_sample" else _Judge(D, rec.features)          # D's raw output
    belief = _Judge(D, rec.features, probabilities=logits and loss.probabilities)   # read as the loss reads it
    if "d_step" in pieces:
        d_step, D_for_d = pieces["d_step"], belief
    else:
        d_step, D_for_d = functools.partial(steps.d_step, loss=loss, logits=logits, gp_weight=rec.gp_weight,
                                            clip=rec.clip, generator=rng), judge
    if "g_step" in pieces:
        g_step, D_for_g = pieces["g_step"], belief
    else:
        g_step, D_for_g = functools.partial(steps.g_step, loss=loss, logits=logits), judge
    _check_players(G, belief, std(first), noise(2, rec.noise_dim, generator=torch.Generator().manual_seed(0)),
                   dim, rec, pieces)

    real_batch = _RealBatches(target, rec.batch_size, rng, dim, std)

    def noise_batch():
        return noise(rec.batch_size, rec.noise_dim, generator=rng)

    averager = _Averager(G, rec.ema)
    history, snapshots = History(), []
    loss_d, loss_g, grad_g = _Mean(), _Mean(), float("nan")
    saved = _weights(G, D, averager.G_avg)           # the last recorded weights: what a diverged run returns
    bar = Progress(progress, rec.epochs, f"{rec.name} recipe")
    started = time.perf_counter()
    phases = ("d", "g") if rec.order == "d_first" else ("g", "d")
    status, message, epoch = "finished", f"Finished {rec.epochs} epochs.", 0   # epoch: the last one completed

    try:
        for _ in range(rec.d_pretrain):                # D first learns what real looks like
            guard.stop_here()
            _finite(_loss_value(d_step(G, D_for_d, g_opt, d_opt, real_batch(), noise_batch()), "d_step"), "discriminator")
        row, samples = _record(G, averager.G_avg, belief, std, fixed_noise, reference, rec, loss_d, loss_g, grad_g, 0, started)
        snapshots.append((0, samples))
        history.append(**row)
        _after_record(callback, history, snapshots, reference, rec, bar, started)

        for epoch_now in range(1, rec.epochs + 1):
            guard.stop_here()                          # a Ctrl-C asked to stop: here every step is complete
            if rec.lr_decay:                           # linearly down to zero over the run
                d_opt.param_groups[0]["lr"] = rec.lr_d * (1 - (epoch_now - 1) / rec.epochs)
                g_opt.param_groups[0]["lr"] = rec.lr_g * (1 - (epoch_now - 1) / rec.epochs)
            for phase in phases:
                if phase == "d":                       # 1. D: real -> 1, detached fake -> 0
                    for _ in range(rec.d_steps):
                        value = _loss_value(d_step(G, D_for_d, g_opt, d_opt, real_batch(), noise_batch()), "d_step")
                        loss_d.add(_finite(value, "discriminator"))
                else:                                  # 2. G: fake through a fixed D -> 1
                    with _held_fixed(D):
                        for _ in range(rec.g_steps):
                            value = _loss_value(g_step(G, D_for_g, g_opt, d_opt, noise_batch()), "g_step")
                            loss_g.add(_finite(value, "generator"))
                    grad_g = _grad_norm(G)             # the size of G's last step's gradient
            averager.update()
            epoch = epoch_now
            if epoch % rec.log_every == 0 or epoch == rec.epochs or (rec.report_every and epoch % rec.report_every == 0):
                row, samples = _record(G, averager.G_avg, belief, std, fixed_noise, reference, rec, loss_d, loss_g,
                                       grad_g, epoch, started)
                snapshots.append((epoch, samples))
                history.append(**row)
                saved = _weights(G, D, averager.G_avg)
                if not _after_record(callback, history, snapshots, reference, rec, bar, started):
                    status = "stopped"
                    message = f"Stopped by the callback at epoch {epoch} of {rec.epochs}; the result holds what was trained so far."
                    break
    except KeyboardInterrupt:
        status = "interrupted"
        message = (f"Training interrupted after epoch {epoch} of {rec.epochs}; "
                   f"the result holds what was trained up to there.")
        if rec.d_pretrain and not len(history):
            message = (f"Training interrupted while the discriminator was pre-trained (before epoch 1 of "
                       f"{rec.epochs}); the result holds the untrained generator.")
    except _CallbackFailed as exc:
        error = exc.args[0]
        status = "failed"
        message = (f"Stopped at epoch {epoch} of {rec.epochs}: the callback raised {type(error).__name__}: {error} "
                   "(its traceback is printed above); the result holds what was trained up to there.")
        traceback.print_exception(error, file=sys.stderr)
    except _Diverged as exc:
        which, value = exc.args
        if which == "discriminator" and not torch.isfinite(real_batch.last).all():
            which = "target"               # the data, not the weights, made the loss NaN
        status = "diverged"
        kept = history.epoch[-1] if len(history) else 0
        _restore(saved, G, D, averager.G_avg)          # the weights of the last record, before the blow-up
        message = _divergence_message(which, value, epoch + 1, rec, reference, kept)
        if rec.d_pretrain and not len(history):
            message = message.replace(f"at epoch {epoch + 1}", "while the discriminator was pre-trained")
        epoch = kept

    seconds = time.perf_counter() - started
    history.trim()                                   # a record cut short by an exception
    del snapshots[len(history):]
    if status in ("interrupted", "diverged") and (not len(history) or history.epoch[-1] != epoch):
        with contextlib.suppress(Exception, KeyboardInterrupt):      # a last record of the weights returned
            row, samples = _record(G, averager.G_avg, belief, std, fixed_noise, reference, rec, loss_d, loss_g,
                                   grad_g, epoch, started)
            snapshots.append((epoch, samples))
            history.append(**row)
        history.trim()
        del snapshots[len(history):]
    if rec.ema > 0:                                  # G itself holds the averaged weights it is judged by
        G.load_state_dict(averager.G_avg.state_dict())
    result = FitResult(DataGenerator(G, std), DataDiscriminator(D, std, rec.features, probability=loss.probabilities),
                       history, snapshots, rec, dim, status, message, epoch, seconds, seed, reference=reference,
                       target=target, own_networks={k: k in pieces for k in ("generator", "discriminator")})
    if status == "finished":
        d = history.distance[-1] if len(history) else float("nan")
        bar.say(f"{rec.name} recipe: {epoch} epochs in {seconds:.1f} s · distance to target {d:.3f}")
    elif progress:
        print(("\r" if bar.shown else "") + message, flush=True)
    return result


class _RealBatches:
    """Draws real batches in standard units; ``last`` keeps the latest one as drawn (to tell NaN data from a blow-up)."""

    def __init__(self, target, batch_size, rng, dim, std):
        self.target, self.batch_size, self.rng, self.dim, self.std = target, batch_size, rng, dim, std
        self.last = torch.zeros(0)

    def __call__(self):
        self.last = draw(self.target, self.batch_size, self.rng, self.dim)
        return self.std(self.last)


def _finite(value, which):
    if not math.isfinite(value):
        raise _Diverged(which, value)
    return value


@torch.no_grad()
def _record(G, G_avg, belief, std, fixed_noise, reference, rec, loss_d, loss_g, grad_g, epoch, started):
    """One history row and the snapshot: what the figures plot."""
    samples = std.inverse(G_avg(fixed_noise))
    finite = bool(torch.isfinite(samples).all())
    n = min(rec.batch_size, len(reference), len(fixed_noise))
    d_real = belief(std(reference[:n])).mean().item()               # D(x) on real samples
    d_fake = belief(G(fixed_noise[:n])).mean().item()                # D(G(z)) on the current G's samples
    m = _moments(samples) if finite and samples.shape[1] == 1 else dict.fromkeys(("mean", "std", "skew", "kurtosis"), float("nan"))
    return dict(epoch=epoch, loss_d=loss_d.take(), loss_g=loss_g.take(), d_real=d_real, d_fake=d_fake, grad_g=grad_g,
                distance=_distance(samples, reference) if finite else float("inf"),
                spread=float((samples.std(0) / reference.std(0).clamp_min(1e-12)).mean()) if finite else float("nan"),
                fake_mean=m["mean"], fake_std=m["std"], fake_skew=m["skew"], fake_kurtosis=m["kurtosis"],
                seconds=time.perf_counter() - started), samples.clone()


def _after_record(callback, history, snapshots, reference, rec, bar, started):
    """Print what the recipe asks for and ask the callback whether to go on (False: stop)."""
    epoch, samples = snapshots[-1]
    if rec.report_every and epoch % rec.report_every == 0:
        bar.say(report_line(history, reference, epoch))
    bar.update(epoch, distance=history.distance[-1])
    if callback is None:
        return True
    try:       # the callback sees copies: whatever it does to them, the run's own record stays as it was
        answer = callback(TrainingState(epoch, rec.epochs, History.from_dict(history.as_dict()), samples.clone(),
                                        reference.clone(), time.perf_counter() - started, rec))
    except Exception as exc:          # the student's callback broke: keep what was trained
        raise _CallbackFailed(exc) from exc
    return answer is None or _said_go_on(answer)


def _weights(*modules):
    return [{k: v.detach().clone() for k, v in m.state_dict().items()} for m in modules]


def _restore(saved, *modules):
    for state, m in zip(saved, modules):
        m.load_state_dict(state)


def reads_logits(D):
    """Whether D returns raw scores: its own ``outputs_logits`` if it says, else whether it does not end in a sigmoid."""
    said = getattr(D, "outputs_logits", None)
    if said is not None:
        return bool(said)
    last = [m for m in D.modules() if not list(m.children())]
    return not (last and isinstance(last[-1], nn.Sigmoid))


def _players(rec, dim, pieces, private, seed):
    """G and D: the student's modules where given (trained in place), the recipe's otherwise."""
    G, D = pieces.get("generator"), pieces.get("discriminator")
    if G is not None:
        width = getattr(G, "noise_dim", None) or next((m.in_features for m in G.modules() if isinstance(m, nn.Linear)), None)
        if width is not None and width != rec.noise_dim:
            rec = rec.replace(noise_dim=int(width))        # the noise this generator takes
    if G is None or D is None:
        built_G, built_D = build_models(rec, dim, generator=torch.Generator().manual_seed(seed) if private else None)
        G = built_G if G is None else G
        D = built_D if D is None else D
    return G.train(), D.train(), rec


def _run_once(net, x, failed):
    """``net(x)`` without gradients; an error says ``failed`` and what PyTorch said."""
    try:
        with torch.no_grad():
            return net(x)
    except Exception as exc:
        raise ValueError(f"{failed}: {type(exc).__name__}: {str(exc).strip().splitlines()[0][:200]}") from None


def _check_players(G, belief, real, z, dim, rec, pieces):
    """Run each player once on a tiny batch and say clearly what does not fit."""
    mine = "your generator" if "generator" in pieces else "the recipe's generator"
    out = _run_once(G, z, f"generator: {mine} could not take noise of shape {tuple(z.shape)} (the recipe's "
                          f"noise_dim={rec.noise_dim})")
    if not isinstance(out, torch.Tensor) or out.shape != (len(z), dim):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"generator: {mine} must map noise (n, {rec.noise_dim}) to samples (n, {dim}) like the "
                         f"target's; for noise of shape {tuple(z.shape)} it returned {shape}.")
    mine = "your discriminator" if "discriminator" in pieces else "the recipe's discriminator"
    verdict = _run_once(belief, real, f"discriminator: {mine} could not judge a real batch of shape "
                                      f"{tuple(real.shape)} (D sees {rec.features!r})")
    rows = len(real) if rec.features == "per_sample" else 1
    if not isinstance(verdict, torch.Tensor) or verdict.shape != (rows, 1):
        shape = tuple(verdict.shape) if isinstance(verdict, torch.Tensor) else type(verdict).__name__
        raise ValueError(f"discriminator: {mine} must give one verdict per {'sample' if rows > 1 else 'batch'}, "
                         f"shape ({rows}, 1), for a real batch of shape {tuple(real.shape)}; it returned {shape}.")


def _divergence_message(which, value, epoch, rec, reference, kept):
    kept_text = f"from epoch {kept}, its last record" if kept else "it started with"
    if which == "target":
        return (f"Training stopped at epoch {epoch}: the target returned NaN or infinite samples, so the losses would "
                f"be NaN. Likely cause: the target returned NaN or infinite samples; real samples must be finite "
                f"numbers. The result keeps the weights {kept_text}.")
    head = f"Training stopped at epoch {epoch}: the {which} loss became {value} (not a finite number)."
    lr = rec.lr_d if which == "discriminator" else rec.lr_g
    cause = (f"Likely cause: the learning rates are too high for this setup (lr_d={rec.lr_d:g}, "
             f"lr_g={rec.lr_g:g}) and the weights blew up; try {lr / 10:g} for lr_{which[0]}")
    if not losses.get(rec.loss).bounded or rec.loss == "least_squares":
        cause += f", or a bounded loss such as 'non_saturating' (this run used {rec.loss!r})"
    cause += "."
    kept = f"from epoch {kept}, its last record" if kept else "it started with"
    return f"{head} {cause} The result keeps the weights {kept}."
