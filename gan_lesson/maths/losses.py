"""How each player is scored.

Labels: real = 1, fake = 0. With D(x) the discriminator's probability that x is real:

* discriminator (binary cross-entropy): L_D = −mean log D(x) − mean log(1 − D(G(z)))
* minimax generator (Goodfellow et al. 2014): L_G = mean log(1 − D(G(z))), to be minimised;
  it saturates (gradient → 0) exactly when D confidently rejects the fakes
* non-saturating generator: L_G = −mean log D(G(z)), the same fixed point, strong gradients early
* least squares (Mao et al. 2017): L_D = ½ mean (D(x) − 1)² + ½ mean D(G(z))²,
  L_G = ½ mean (D(G(z)) − 1)², on D's raw score
* Wasserstein (Arjovsky et al. 2017): a critic with an unbounded score, L_D = mean D(G(z)) − mean D(x),
  L_G = −mean D(G(z)); the critic must be kept 1-Lipschitz by a gradient penalty
  (Gulrajani et al. 2017; here one-sided by default, Petzka et al. 2018) or by clipping its weights.

Functions that take D's output accept probabilities by default; pass ``logits=True`` when D
returns raw scores (``D.outputs_logits``), which avoids log(0) for confident discriminators.
Every loss returns a scalar tensor.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from ..validation import short_repr as _show, check_bool, check_choice, check_number

__all__ = ["LOSSES", "discriminator_loss", "generator_loss_minimax", "generator_loss_non_saturating",
           "least_squares_d_loss", "least_squares_g_loss", "wasserstein_d_loss", "wasserstein_g_loss",
           "gradient_penalty", "clip_weights", "value_function", "loss_functions", "LOG4",
           "Loss", "REGISTRY", "get"]

#: The names ``fit`` and the dashboard accept for ``loss``.
LOSSES = ("non_saturating", "minimax", "least_squares", "wasserstein_gp", "wasserstein_clip")

#: V(D*, G*) at the global optimum: −log 4 ≈ −1.386.
LOG4 = math.log(4.0)


def _scores(name, x, logits):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a float tensor of D's outputs; got {type(x).__name__} {_show(x)} "
                        f"(make one with torch.tensor({_show(x)}, dtype=torch.float32)).")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a float tensor of D's outputs; got a tensor of dtype {x.dtype} — "
                        f"use {name}.float().")
    if x.numel() == 0:
        raise ValueError(f"{name} must hold at least one value; got an empty tensor.")
    values = x.detach()
    if torch.isnan(values).any():
        raise ValueError(f"{name} contains NaN ({int(torch.isnan(values).sum())} of {values.numel()} values); "
                         "a loss of NaN means nothing. D produced it: training has diverged, or its input held NaN.")
    if torch.isinf(values).any():
        raise ValueError(f"{name} contains infinite values; D's outputs must be finite numbers.")
    if not logits and (values.min() < 0 or values.max() > 1):
        raise ValueError(
            f"{name} must be probabilities in [0, 1] (D's sigmoid output); got values from "
            f"{x.detach().min().item():.3g} to {x.detach().max().item():.3g}. "
            "If D returns raw scores (no sigmoid), pass logits=True.")
    return x


# --- binary cross-entropy family (unchecked versions are used inside the training loop) ---

def _bce(x, target, logits):
    full = torch.full_like(x, float(target))
    if logits:
        return F.binary_cross_entropy_with_logits(x, full)
    return F.binary_cross_entropy(x, full)


def _d_bce(d_real, d_fake, logits):
    return _bce(d_real, 1, logits) + _bce(d_fake, 0, logits)


def _g_minimax(d_fake, logits):
    return -_bce(d_fake, 0, logits)


def _g_non_saturating(d_fake, logits):
    return _bce(d_fake, 1, logits)


def discriminator_loss(d_real, d_fake, *, logits=False):
    """L_D = −mean log D(x) − mean log(1 − D(G(z))): BCE with real → 1 and fake → 0."""
    logits = check_bool("logits", logits)
    return _d_bce(_scores("d_real", d_real, logits), _scores("d_fake", d_fake, logits), logits)


def generator_loss_minimax(d_fake, *, logits=False):
    """L_G = mean log(1 − D(G(z))) (minimised by G); saturates when D(G(z)) ≈ 0."""
    logits = check_bool("logits", logits)
    return _g_minimax(_scores("d_fake", d_fake, logits), logits)


def generator_loss_non_saturating(d_fake, *, logits=False):
    """L_G = −mean log D(G(z)): BCE of the fakes against the label 'real' (1)."""
    logits = check_bool("logits", logits)
    return _g_non_saturating(_scores("d_fake", d_fake, logits), logits)


def value_function(d_real, d_fake, *, logits=False):
    """V(D, G) = mean log D(x) + mean log(1 − D(G(z))); −log 4 at the global optimum."""
    logits = check_bool("logits", logits)
    return -discriminator_loss(d_real, d_fake, logits=logits)


# --- least squares ---

def _ls_d(real, fake):
    return 0.5 * (real - 1).pow(2).mean() + 0.5 * fake.pow(2).mean()


def _ls_g(fake):
    return 0.5 * (fake - 1).pow(2).mean()


def least_squares_d_loss(d_real, d_fake):
    """L_D = ½ mean (D(x) − 1)² + ½ mean D(G(z))², on D's raw score."""
    return _ls_d(_scores("d_real", d_real, True), _scores("d_fake", d_fake, True))


def least_squares_g_loss(d_fake):
    """L_G = ½ mean (D(G(z)) − 1)²."""
    return _ls_g(_scores("d_fake", d_fake, True))


# --- Wasserstein ---

def _w_d(real, fake):
    return fake.mean() - real.mean()


def _w_g(fake):
    return -fake.mean()


def wasserstein_d_loss(c_real, c_fake):
    """Critic loss mean C(G(z)) − mean C(x); its negative estimates the Wasserstein-1 distance."""
    return _w_d(_scores("c_real", c_real, True), _scores("c_fake", c_fake, True))


def wasserstein_g_loss(c_fake):
    """Generator loss −mean C(G(z))."""
    return _w_g(_scores("c_fake", c_fake, True))


def gradient_penalty(critic, real, fake, *, weight=10.0, one_sided=True, generator=None):
    """A penalty that keeps the critic's slope near 1, at random points x̂ between real and fake rows.

    One-sided (the default, Petzka et al. 2018): weight · mean max(0, ‖∇ C(x̂)‖ − 1)², which
    only penalises slopes steeper than 1. Two-sided (``one_sided=False``, Gulrajani et al.
    2017): weight · mean (‖∇ C(x̂)‖ − 1)². The two-sided form can trap a 1-D critic: to turn
    its slope from −1 to +1 it must pass through 0, where the penalty is largest.
    ``critic``: a callable from samples ``(n, d)`` to scores; ``real`` and ``fake``: ``(n, d)``.
    """
    if isinstance(critic, type):
        raise TypeError(f"critic must be a model (an nn.Module instance) or a function; got the class "
                        f"{critic.__name__} itself. Note the brackets: {critic.__name__}(...) makes one.")
    if not callable(critic):
        raise TypeError(f"critic must be callable (a module or function); got {type(critic).__name__}.")
    weight = check_number("weight", weight, low=0)
    one_sided = check_bool("one_sided", one_sided)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None; got {_show(generator)}.")
    _samples("real", real)
    _samples("fake", fake)
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape; got {tuple(real.shape)} and {tuple(fake.shape)}.")
    if real.dtype != fake.dtype:
        raise TypeError(f"real and fake must have the same dtype; got {real.dtype} and {fake.dtype} — "
                        "use .float() on both.")
    weights = next(critic.parameters(), None) if isinstance(critic, nn.Module) else None
    if weights is not None and weights.is_floating_point() and weights.dtype != real.dtype:
        fix = "real.float() and fake.float()" if weights.dtype == torch.float32 else f"real.to({weights.dtype})"
        raise TypeError(f"real and fake are {real.dtype} but the critic's weights are {weights.dtype} — use {fix}.")
    first = critic[0] if isinstance(critic, nn.Sequential) and len(critic) else critic
    if isinstance(first, nn.Linear) and first.in_features != real.shape[1]:
        raise ValueError(f"real and fake have {real.shape[1]} column(s) but the critic takes rows of "
                         f"{first.in_features} (its first layer is {first}); "
                         f"give samples of shape (n, {first.in_features}).")
    if not torch.is_grad_enabled():
        raise RuntimeError("gradient_penalty needs gradients, but it was called inside torch.no_grad(); "
                           "call it where the critic's loss is computed.")
    return _gradient_penalty(critic, real, fake.detach(), weight, generator, one_sided, checked=True)


def _samples(name, x):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a float tensor of samples, shape (n, d); got {type(x).__name__} {_show(x)}.")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a float tensor of samples, shape (n, d); got dtype {x.dtype} — "
                        f"use {name}.float().")
    if x.dim() != 2 or len(x) == 0:
        hint = f" — use {name}.unsqueeze(1) for 1-D data" if x.dim() == 1 else ""
        raise ValueError(f"{name} must be a float tensor of samples, shape (n, d) with n >= 1; "
                         f"got shape {tuple(x.shape)}{hint}.")


def _gradient_penalty(critic, real, fake, weight, generator=None, one_sided=True, checked=False):
    t = torch.rand(real.shape[0], 1, generator=generator)
    mixed = (t * real + (1 - t) * fake).requires_grad_(True)
    if not checked:                                     # the training loop: no checks
        grad, = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    else:
        try:
            scores = critic(mixed)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"the critic could not score samples of shape {tuple(mixed.shape)} and dtype "
                             f"{mixed.dtype} (rows between real and fake); does it take rows of {mixed.shape[1]} "
                             f"numbers of that dtype? PyTorch said: {first}") from None
        if not isinstance(scores, torch.Tensor) or not scores.is_floating_point():
            raise TypeError(f"critic must return a float tensor of scores; got {_show(scores)}.")
        grad = None
        if scores.requires_grad:
            grad, = torch.autograd.grad(scores.sum(), mixed, create_graph=True, allow_unused=True)
        if grad is None:
            raise ValueError("the critic's output does not depend on its input, so it has no slope to penalise: "
                             "critic(x) must compute its scores from x (is it returning a constant?).")
    excess = grad.flatten(1).norm(dim=1) - 1
    return weight * (torch.relu(excess) if one_sided else excess).pow(2).mean()


def one_sided_penalty(critic, real, fake, weight, generator=None):
    """The training loop's one-sided gradient penalty, without argument checks (see ``gradient_penalty``)."""
    return _gradient_penalty(critic, real, fake, weight, generator)


@torch.no_grad()
def clip_weights(model, clip=0.01):
    """Clamp every parameter of ``model`` to [−clip, clip] (the original WGAN constraint)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (the critic); got {type(model).__name__} {_show(model)}.")
    clip = check_number("clip", clip, low=0, low_open=True)
    for p in model.parameters():
        p.clamp_(-clip, clip)


# --------------------------------------------------------------------------- the registry

class Loss:
    """One way of scoring the two players: D's loss, G's loss, and what D's output means.

    ``probabilities``: D's output is read as P(real) (through a sigmoid when D returns logits);
    otherwise it is a raw score. ``bounded``: whether D's loss has a floor (the BCE family and
    least squares do; the Wasserstein critic's does not). ``penalty``: ``None``, ``"gradient"``
    (a gradient penalty added to D's loss) or ``"clip"`` (D's weights clamped after its step).
    ``d_loss(d_real, d_fake, logits)`` and ``g_loss(d_fake, logits)`` skip argument checks: they
    are what the training loop calls. ``logits`` says whether D's outputs are raw scores.
    """

    def __init__(self, name, d_loss, g_loss, *, probabilities, bounded, penalty=None, formula=""):
        self.name, self._d, self._g = name, d_loss, g_loss
        self.probabilities, self.bounded, self.penalty, self.formula = probabilities, bounded, penalty, formula

    def d_loss(self, d_real, d_fake, logits=True):
        return self._d(d_real, d_fake, logits)

    def g_loss(self, d_fake, logits=True):
        return self._g(d_fake, logits)

    def __repr__(self):
        reads = "P(real)" if self.probabilities else "a raw score"
        extra = f", {self.penalty} penalty" if self.penalty else ""
        return f"Loss({self.name!r}: D's output read as {reads}{extra}; {self.formula})"


#: Every loss ``fit``, ``fit_many`` and the dashboard accept, by name. Adding a loss is one entry
#: here plus its test in tests/test_losses.py.
REGISTRY = {loss.name: loss for loss in (
    Loss("non_saturating", _d_bce, _g_non_saturating, probabilities=True, bounded=True,
         formula="L_D = −mean log D(x) − mean log(1 − D(G(z))), L_G = −mean log D(G(z))"),
    Loss("minimax", _d_bce, _g_minimax, probabilities=True, bounded=True,
         formula="L_D as non_saturating, L_G = mean log(1 − D(G(z)))"),
    Loss("least_squares", lambda r, f, logits: _ls_d(r, f), lambda f, logits: _ls_g(f),
         probabilities=False, bounded=True,
         formula="L_D = ½ mean (D(x) − 1)² + ½ mean D(G(z))², L_G = ½ mean (D(G(z)) − 1)²"),
    Loss("wasserstein_gp", lambda r, f, logits: _w_d(r, f), lambda f, logits: _w_g(f),
         probabilities=False, bounded=False, penalty="gradient",
         formula="L_D = mean C(G(z)) − mean C(x) + gradient penalty, L_G = −mean C(G(z))"),
    Loss("wasserstein_clip", lambda r, f, logits: _w_d(r, f), lambda f, logits: _w_g(f),
         probabilities=False, bounded=False, penalty="clip",
         formula="L_D = mean C(G(z)) − mean C(x), weights clipped, L_G = −mean C(G(z))"),
)}

assert tuple(REGISTRY) == LOSSES


def get(name):
    """The registered ``Loss`` called ``name`` (a ``ValueError`` naming the choices otherwise)."""
    if isinstance(name, Loss):
        return name
    return REGISTRY[check_choice("loss", name, tuple(REGISTRY))]


def loss_functions(name):
    """``(d_loss(d_real, d_fake, logits), g_loss(d_fake, logits))`` for a registered loss name."""
    loss = get(name)
    return loss.d_loss, loss.g_loss
