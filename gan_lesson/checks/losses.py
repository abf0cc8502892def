"""Checkers for notebook 04 (losses): the discriminator's loss, the non-saturating generator loss,
and the gradient a generator loss sends back through D's logit (``check_logit_gradient``).

Each checker probes the student's function with fixed tensors of D's probabilities, compares
the value with the right formula and with the usual wrong ones (labels swapped, sign flipped,
half of the loss, a sum instead of a mean, the saturating generator loss …), then checks the
gradient with autograd and that the loss stays finite when D says exactly 0 or 1.
"""
import torch

from . import mistakes
from .core import Fail, call, checker, expect

__all__ = ["check_d_loss", "check_g_loss", "check_logit_gradient"]

# D's probabilities on two small batches (rows are samples); chosen so that every wrong
# formula below gives a value of its own.
REAL_PROBES = (torch.tensor([[0.9], [0.6], [0.8], [0.95]]), torch.tensor([[0.7], [0.99], [0.5]]))
FAKE_PROBES = (torch.tensor([[0.2], [0.1], [0.3], [0.4]]), torch.tensor([[0.05], [0.6], [0.25]]))
# a real batch of 4 and a fake batch of 2: a mean over both batches joined weighs the real one double here
UNEQUAL_PROBES = (torch.tensor([[0.85], [0.55], [0.7], [0.9]]), torch.tensor([[0.35], [0.15]]))
REJECTED = 0.001      # D(G(z)) where D confidently rejects a fake: the saturation probe
CONFIDENTLY_WRONG = 0.001   # D(x) for a real sample D takes for fake (and 1 − it for a fake taken for real)
CLAMP_HINT = ("Clamp the probabilities before taking the log, e.g. `d.clamp(1e-7, 1 - 1e-7)`, "
              "or use nn.BCELoss, which clamps each log at −100.")


def _mean_log(p):
    return torch.log(p).mean()


def _close(a, b):
    return abs(a - b) <= 1e-4 + 1e-4 * abs(b)


def _backward(out, name):
    """``out.backward()``; a failure there is the student's graph, so it becomes a clear message."""
    try:
        out.reshape(()).backward()
    except Exception as exc:  # noqa: BLE001 — any autograd error is reported, never raised
        expect(False, f"backpropagating through {name}'s result raised {type(exc).__name__}: {exc}",
               "Avoid in-place changes (such as clamp_) of d_real / d_fake; use out-of-place torch operations.")


def _scalar_result(fn, args, name, signature):
    """Call ``fn(*args)`` and insist on a one-number tensor; return it."""
    out = call(fn, *[a.clone() for a in args], what=name)
    expect(isinstance(out, torch.Tensor),
           f"{signature} returned {type(out).__name__}, not a torch tensor.",
           "Keep the loss a tensor (no .item(), math.log or numpy): the training loop calls .backward() on it.")
    expect(out.numel() == 1,
           f"{signature} returned a tensor of shape {tuple(out.shape)}; a loss is one number for the whole batch.",
           "Average over the batch with .mean() so the result is a scalar.")
    expect(out.is_floating_point(), f"{signature} returned a {out.dtype} tensor; a loss is a float.",
           "Compute it with torch.log on the float probabilities.")
    return out


# --------------------------------------------------------------------------- d_loss

def _d_reference(r, f):
    return -_mean_log(r) - _mean_log(1 - f)


def _d_mistakes(r, f):
    """(value, problem, hint) for each typical wrong discriminator loss, most likely first."""
    n = r.shape[0]
    right = _d_reference(r, f)
    return [
        (-_mean_log(1 - r) - _mean_log(f),
         "the labels are swapped: you scored real samples against 0 and fakes against 1.",
         "Real samples get the label 1 (term −log D(x)), fakes the label 0 (term −log(1 − D(G(z))))."),
        (-right,
         "the sign is flipped: you return mean log D(x) + mean log(1 − D(G(z))), which D would maximise.",
         "A loss is minimised: put a minus sign in front of each log term."),
        (-_mean_log(r),
         "only the real half is there: −mean log D(x); the fake term is missing or does not change with D(G(z)).",
         "Add −mean log(1 − D(G(z))): D must also learn to reject the fakes."),
        (-_mean_log(1 - f),
         "only the fake half is there: −mean log(1 − D(G(z))); the real term is missing or does not change "
         "with D(x).",
         "Add −mean log D(x): D must also learn to accept real samples."),
        (-_mean_log(r) - _mean_log(f),
         "the fake term uses log D(G(z)); for the fakes D is scored with log(1 − D(G(z))).",
         "Write the fake half as −torch.log(1 - d_fake).mean()."),
        (n * right,
         "the loss grows with the batch size: you sum over the batch instead of averaging.",
         "Use .mean() instead of .sum(), so the step size does not depend on how many samples a batch holds."),
        (-torch.log(r.mean()) - torch.log(1 - f.mean()),
         "you took the log of the batch mean; the loss is the mean of the logs.",
         "Apply torch.log to each probability first, then .mean()."),
    ]


def _gradients(fn, inputs):
    """(value, [gradient of the value with respect to each input]) of ``fn(*inputs)``; None without a graph."""
    leaves = [t.clone().requires_grad_(True) for t in inputs]
    try:
        out = call(fn, *leaves, what="d_loss", diagnose=False)
        if not isinstance(out, torch.Tensor) or not out.requires_grad or out.numel() != 1:
            return None
        grads = torch.autograd.grad(out.reshape(()), leaves, allow_unused=True)
    except Exception:  # noqa: BLE001 — the value checks report what is wrong
        return None
    return float(out.detach()), [torch.zeros_like(t) if g is None else g.detach() for g, t in zip(grads, leaves)]


def _same(a, b):
    return bool(torch.allclose(a.double(), b.double(), rtol=1e-3, atol=1e-6))


def _term_mistake(grad, p, term):
    """What the student's ``term`` ("real" or "fake") does, read from its gradient with respect to ``p``
    (D's probabilities on that batch): None when it is right, else (problem, hint)."""
    n = p.shape[0]
    p = p.double()
    s = torch.sigmoid(p)
    if term == "real":
        right = -1 / (n * p)
        name, log, other = "D(x)", "log D(x)", "log(1 − D(x))"
        sig = -(1 - s) / n
        swapped = 1 / (n * (1 - p))
        write = "−torch.log(d_real).mean()"
    else:
        right = 1 / (n * (1 - p))
        name, log, other = "D(G(z))", "log(1 − D(G(z)))", "log D(G(z))"
        sig = s / n
        swapped = -1 / (n * p)
        write = "−torch.log(1 - d_fake).mean()"
    grad = grad.double()
    if _same(grad, right):
        return None
    if not bool(torch.isfinite(grad).all()):      # BCE(targets, D's output): its log 0 has an infinite slope
        first = "torch.ones_like(d_real)" if term == "real" else "torch.zeros_like(d_fake)"
        output = "d_real" if term == "real" else "d_fake"
        return (f"the {term} term has the targets and {name} in swapped places: F.binary_cross_entropy({first}, "
                f"{output}) reads the targets as D's probabilities: its value holds log 0 (which BCE clamps at −100) and its "
                "gradient is infinite, so one step would ruin D's weights.",
                f"D's output goes first, the targets second: F.binary_cross_entropy({output}, {first}).")
    if float(grad.abs().max()) < 1e-12:
        return (f"the {term} term does not change with {name}: no gradient reaches {name} (the term is missing, "
                "constant, detached, or clamped everywhere; clamp(min, max) takes the lower bound first).",
                f"Write the {term} half as {write}.")
    if _same(grad, -right):
        return (f"the {term} term has the wrong sign: the loss holds +mean {log} where it should hold −mean {log}, "
                f"so D would be pushed the wrong way on the {term} samples.",
                f"Each half of L_D is minus the mean of a log: write the {term} half as {write}.")
    if _same(grad, n * right):
        return (f"the {term} term sums over the batch instead of averaging: its gradient is {n} times too large.",
                "Use .mean() instead of .sum() in that term.")
    if _same(grad, right / 2):
        return (f"the {term} term is half as large as it should be.", f"Write the {term} half as {write}.")
    if _same(grad, swapped) or _same(grad, -swapped):
        return (f"the {term} term uses {other}; for the {term} samples D is scored with {log}.",
                f"Write the {term} half as {write}.")
    if _same(grad, sig) or _same(grad, -sig):
        return (f"the {term} term applies a sigmoid to {name}, which is already a probability (D ends in a sigmoid): "
                "the sigmoid is applied twice.", f"Take the log of {name} itself: {write}.")
    mean = p.mean()
    if _same(grad, torch.full_like(p, float(right[0] * p[0] / mean) if term == "real"
                                   else float(1 / (n * (1 - mean))))):
        return (f"the {term} term takes the log of the batch mean; the loss is the mean of the logs.",
                "Apply torch.log to each probability first, then .mean().")
    if term == "fake" and (_same(grad, -1 / (n * (1 + p))) or _same(grad, 1 / (n * (1 + p)))):
        return ("the fake term uses log(1 + D(G(z))): the minus sign inside the log is lost.",
                "Write the fake half as −torch.log(1 - d_fake).mean().")
    if term == "real" and (_same(grad, 1 / (n * (1 + p))) or _same(grad, -1 / (n * (1 + p)))):
        return ("the real term uses log(1 + D(x)) or log(−D(x)): D(x) itself goes into the log.",
                "Write the real half as −torch.log(d_real).mean().")
    if int((grad.abs() > 1e-12).sum()) == 1 and n > 2:
        return (f"only one sample of the {term} batch gets a gradient: the {term} term takes the median (or the "
                "max, min, or one element) of the logs instead of their mean.",
                f"Average over the whole batch: {write}.")
    return None


def _diagnose_d_terms(d_loss, r, f, value, right):
    """Name the wrong term of L_D from the gradients with respect to D(x) and D(G(z)) (raises Fail)."""
    found = _gradients(d_loss, (r, f))
    if found is None:
        return
    _, (gr, gf) = found
    real, fake = _term_mistake(gr, r, "real"), _term_mistake(gf, f, "fake")
    if real and fake and "sigmoid" in real[0] and "sigmoid" in fake[0]:
        raise Fail("both terms apply a sigmoid to D's outputs, which are already probabilities (D ends in a "
                   "sigmoid): the sigmoid is applied twice (binary_cross_entropy_with_logits on probabilities?).",
                   "Take the logs of d_real and d_fake themselves, or use F.binary_cross_entropy, which reads "
                   "probabilities.")
    for mistake in (real, fake):
        if mistake is not None:
            raise Fail(*mistake)
    if real is None and fake is None:
        raise Fail(f"both terms change with D's outputs as they should, but the value is {value - right:+.4f} away "
                   f"from the right one ({right:.4f}): a constant is added to the loss.",
                   "Return exactly −mean log D(x) − mean log(1 − D(G(z))), with nothing added.")


def _factor(d_loss, sig):
    """The overall factor c of a d_loss that is c·L_D on every probe (c > 0, the same for every batch size),
    else None. 1 when it is L_D itself."""
    ratios = []
    for r, f in zip(REAL_PROBES, FAKE_PROBES):
        value = _scalar_result(d_loss, (r, f), "d_loss", sig).item()
        ratios.append(value / _d_reference(r, f).item())
    c = ratios[0]
    if c > 0 and all(abs(q - c) <= 1e-4 * abs(c) for q in ratios):
        return 1.0 if abs(c - 1) <= 1e-4 else c
    return None


def _unequal_batches(d_loss, sig, c):
    """d_loss on a real batch of 4 and a fake batch of 2: the two means keep their equal weight."""
    r, f = UNEQUAL_PROBES
    try:
        value = _scalar_result(d_loss, (r, f), "d_loss", sig).item()
    except Fail as failed:
        if not str(failed.args[0]).startswith("calling "):
            raise
        crash = str(failed.args[0]).split(" raised ", 1)[-1]
        raise Fail(f"d_loss works when the real and fake batches have the same size, but with {len(r)} real and "
                   f"{len(f)} fake samples it raises {crash}: it combines the two batches element by element (such as "
                   "torch.log(d_real) + torch.log(1 - d_fake) before the mean), which needs them to have the same "
                   "size.",
                   "Average each batch on its own, then add: −torch.log(d_real).mean() − torch.log(1 - d_fake).mean()."
                   ) from None
    right = _d_reference(r, f).item()
    if _close(value, c * right):
        return
    joined = (-torch.log(r).sum() - torch.log(1 - f).sum()).item() / (len(r) + len(f))
    if any(_close(value, k * joined) for k in (2 * c, c, 1.0, 2.0)):
        raise mistakes.joined_fail(len(r), len(f), "d_loss", "−mean log D(x) − mean log(1 − D(G(z)))",
                                   value, c * right)
    for wrong, problem, hint in _d_mistakes(r, f):
        expect(not _close(value, wrong.item()), problem, hint)
    raise Fail(f"d_loss is right when the real and fake batches have the same size, but with {len(r)} real and "
               f"{len(f)} fake samples it gives {value:.4f}, where {'it' if c == 1 else f'{c:.3g} × L_D'} is "
               f"{c * right:.4f}: it assumes both batches have the same size.",
               "Average each batch on its own and add: −torch.log(d_real).mean() − torch.log(1 - d_fake).mean().")


@checker("d_loss")
def check_d_loss(d_loss):
    """Check ``d_loss(d_real, d_fake)`` -> scalar −mean log D(x) − mean log(1 − D(G(z))), or a positive
    constant times it (accepted with a note), also when the real and fake batches differ in size."""
    sig = "d_loss(d_real, d_fake)"
    c = _factor(d_loss, sig)
    for r, f in zip(REAL_PROBES, FAKE_PROBES):
        if c is not None:
            break
        value = _scalar_result(d_loss, (r, f), "d_loss", sig).item()
        right = _d_reference(r, f).item()
        if _close(value, right):
            continue
        for wrong, problem, hint in _d_mistakes(r, f):
            expect(not _close(value, wrong.item()), problem, hint)
        _diagnose_d_terms(d_loss, r, f, value, right)
        expect(False, f"on a batch of {r.shape[0]} the value is off: it gives {value:.4f}; the right value is "
               f"{right:.4f}.",
               "Compute −torch.log(d_real).mean() − torch.log(1 - d_fake).mean() and compare step by step.")
    c = 1.0 if c is None else c
    _unequal_batches(d_loss, sig, c)

    # the gradient reaches D's outputs, with the right size
    r, f = REAL_PROBES[0].clone().requires_grad_(True), FAKE_PROBES[0].clone().requires_grad_(True)
    out = _scalar_result(d_loss, (r, f), "d_loss", sig)
    expect(out.requires_grad,
           "the result is cut off from autograd: no gradient would reach the discriminator.",
           "Don't use .item(), .detach(), numpy or torch.tensor(...) inside; build the loss from d_real and d_fake.")
    _backward(out, "d_loss")
    n = r.shape[0]
    expect(r.grad is not None and torch.allclose(r.grad, -c / (n * r.detach()), rtol=1e-3, atol=1e-5)
           and f.grad is not None and torch.allclose(f.grad, c / (n * (1 - f.detach())), rtol=1e-3, atol=1e-5),
           "the value is right but the gradient is not that of −mean log D(x) − mean log(1 − D(G(z))).",
           "Build the loss directly from d_real and d_fake with torch operations, without detaching any part.")

    # where D is confidently wrong the loss must still pull it back: a clamp far from 0 and 1 cuts that off
    found = _gradients(d_loss, (torch.tensor([[CONFIDENTLY_WRONG], [0.5]]),
                                torch.tensor([[1 - CONFIDENTLY_WRONG], [0.5]])))
    if found is not None:
        _, (gr, gf) = found
        expect(abs(float(gr[0, 0])) > c and abs(float(gf[0, 0])) > c,
               f"where D is confidently wrong (D(x) = {CONFIDENTLY_WRONG} for a real sample, D(G(z)) = "
               f"{1 - CONFIDENTLY_WRONG} for a fake) the loss sends no gradient: the probabilities are clamped too "
               "far from 0 and 1 (such as clamp(0.01, 0.99)), so the samples D gets most wrong teach it nothing.",
               "Clamp close to 0 and 1 only: d.clamp(1e-7, 1 - 1e-7).")

    # a confident discriminator gives exactly 0 or 1 in float32
    r = torch.tensor([[0.0], [1.0]], requires_grad=True)
    f = torch.tensor([[1.0], [0.0]], requires_grad=True)
    out = _scalar_result(d_loss, (r, f), "d_loss", sig)
    value = out.detach().reshape(-1)[0].item()
    expect(bool(torch.isfinite(out.detach()).all()),
           f"with D(x) = 0 or D(G(z)) = 1 (a confidently wrong D) the loss is {value}; training would stop on it.",
           CLAMP_HINT)
    _backward(out, "d_loss")
    expect(all(g is not None and bool(torch.isfinite(g).all()) for g in (r.grad, f.grad)),
           "the value stays finite when D says exactly 0 or 1, but the gradient becomes nan or inf "
           "(clamping the log after taking it leaves 0 · ∞ = nan in the gradient).",
           CLAMP_HINT)
    scaled = f" ({mistakes.scaled_note(c, 'L_D')})" if c != 1 else ""
    return ("−mean log D(x) − mean log(1 − D(G(z))) on two batches and on a real batch of 4 with a fake batch of "
            f"2, with the right gradient, finite when D says exactly 0 or 1{scaled}.")


# --------------------------------------------------------------------------- g_loss

def _g_reference(f):
    return -_mean_log(f)


def _logit_gradient(fn, p):
    """d fn(σ(a)) / d a at the one-sample batch D(G(z)) = p, a = D's logit."""
    a = torch.logit(torch.tensor([[p]])).requires_grad_(True)
    out = fn(torch.sigmoid(a))
    if not isinstance(out, torch.Tensor) or not out.requires_grad:
        return float("nan")
    try:
        grad, = torch.autograd.grad(out.sum(), a, allow_unused=True)
    except Exception:  # noqa: BLE001 — reported by the later gradient checks
        return float("nan")
    return float("nan") if grad is None else grad.item()


def _g_mistakes(f):
    n = f.shape[0]
    right = _g_reference(f)
    return [
        (_mean_log(1 - f),
         "this is the saturating (minimax) loss mean log(1 − D(G(z))), not the non-saturating one.",
         "Return −mean log D(G(z)): maximise the log-probability that D calls the fakes real."),
        (-_mean_log(1 - f),
         "the labels are swapped: you scored the fakes against 0 ('fake'), which is D's goal, not G's.",
         "G pretends its samples are real: score D(G(z)) against the label 1, i.e. −mean log D(G(z))."),
        (-right,
         "the sign is flipped: you return mean log D(G(z)); minimising it would make the fakes easier to spot.",
         "Put a minus sign in front: −torch.log(d_fake).mean()."),
        (n * right,
         "the loss grows with the batch size: you sum over the batch instead of averaging.",
         "Use .mean() instead of .sum()."),
        (-torch.log(f.mean()),
         "you took the log of the batch mean; the loss is the mean of the logs.",
         "Apply torch.log to each probability first, then .mean()."),
        (-_mean_log(torch.sigmoid(f)),
         "you applied a sigmoid to d_fake, which is already a probability (D ends in a sigmoid): the sigmoid is "
         "applied twice, and −log σ(p) hardly changes as p goes from 0 to 1.",
         "Take the log of d_fake itself: −torch.log(d_fake).mean()."),
    ]


@checker("g_loss")
def check_g_loss(g_loss):
    """Check ``g_loss(d_fake)`` -> scalar −mean log D(G(z)) (the non-saturating generator loss)."""
    sig = "g_loss(d_fake)"
    for f in FAKE_PROBES:
        value = _scalar_result(g_loss, (f,), "g_loss", sig).item()
        right = _g_reference(f).item()
        if _close(value, right):
            continue
        for k, (wrong, problem, hint) in enumerate(_g_mistakes(f)):
            if _close(value, wrong.item()) and k == 0:    # show the saturation itself
                grad = _logit_gradient(lambda d: call(g_loss, d, what="g_loss"), REJECTED)
                problem += (f" Where D rejects a fake (D(G(z)) = {REJECTED}) its gradient with respect to "
                            f"D's logit is {grad:.4f} instead of {-(1 - REJECTED):.4f}: G would barely learn.")
            expect(not _close(value, wrong.item()), problem, hint)
        expect(False, f"on a batch of {f.shape[0]} the value is off: it gives {value:.4f}; the right value is "
               f"{right:.4f}.", "Compute −torch.log(d_fake).mean() and compare step by step.")

    f = FAKE_PROBES[0].clone().requires_grad_(True)
    out = _scalar_result(g_loss, (f,), "g_loss", sig)
    expect(out.requires_grad,
           "the result is cut off from autograd: no gradient would reach the generator.",
           "Don't use .item(), .detach(), numpy or torch.tensor(...) inside; build the loss from d_fake.")
    _backward(out, "g_loss")
    expect(f.grad is not None and torch.allclose(f.grad, -1 / (f.shape[0] * f.detach()), rtol=1e-3, atol=1e-5),
           "the value is right but the gradient is not that of −mean log D(G(z)).",
           "Build the loss directly from d_fake with torch operations, without detaching any part.")
    grad = _logit_gradient(lambda d: call(g_loss, d, what="g_loss"), REJECTED)
    expect(abs(grad + (1 - REJECTED)) < 1e-3,
           f"where D rejects a fake (D(G(z)) = {REJECTED}) the gradient with respect to D's logit is {grad:.4f}, "
           f"not {-(1 - REJECTED):.4f}: the loss saturates there.",
           "Return −torch.log(d_fake).mean(), computed from d_fake itself; if you clamp, clamp close to 0 "
           "(e.g. 1e-7), so that fakes D rejects outright still send a gradient.")

    f = torch.tensor([[0.0], [1.0]], requires_grad=True)
    out = _scalar_result(g_loss, (f,), "g_loss", sig)
    value = out.detach().reshape(-1)[0].item()
    expect(bool(torch.isfinite(out.detach()).all()),
           f"with D(G(z)) = 0 (a fake rejected with certainty) the loss is {value}; training would stop on it.",
           CLAMP_HINT)
    _backward(out, "g_loss")
    expect(f.grad is not None and bool(torch.isfinite(f.grad).all()),
           "the value stays finite when D(G(z)) = 0, but the gradient becomes nan or inf "
           "(clamping the log after taking it leaves 0 · ∞ = nan in the gradient).",
           CLAMP_HINT)
    return ("−mean log D(G(z)) on two batches, with the right gradient (strong where D rejects the fakes), "
            "finite when D says exactly 0 or 1.")


# ---------------------------------------------------------------- the gradient that reaches G

GRADIENT_LOGITS = torch.tensor([-7.0, -3.0, -1.0, 0.0, 0.5, 2.0, 4.0])      # D's raw scores on 7 fakes


def _gradient_cases():
    """``[(name, loss, exact derivative w.r.t. d)]``: the two GAN losses and one of no GAN at all."""
    return [("the non-saturating loss −log d", lambda d: -torch.log(d), lambda d: -1 / d),
            ("the minimax loss log(1 − d)", lambda d: torch.log(1 - d), lambda d: -1 / (1 - d)),
            ("the loss d²", lambda d: d ** 2, lambda d: 2 * d)]


def _as_values(out, n, what, raw=None):
    """The student's derivatives as float64 ``(n,)``; ``raw(a)``: the derivative of the loss at the logit itself
    (without the sigmoid), to name that mistake when the values are not finite."""
    expect(isinstance(out, torch.Tensor), f"{what} returned a {type(out).__name__}, not a tensor.",
           "Return the gradient tensor itself, one value per logit.")
    expect(tuple(out.shape) == (n,),
           f"{what} returned shape {tuple(out.shape)} for {n} logits of shape ({n},); it should return ({n},), "
           "one derivative per logit.",
           "Return the gradient with respect to the logits, which has their shape; do not sum or average it.")
    expect(not out.requires_grad,
           f"{what} returns a tensor that still requires grad (part of a graph): plotting or printing it "
           "would fail or keep the graph alive.",
           "torch.autograd.grad returns plain tensors; after .backward(), return a.grad.detach().")
    if not bool(torch.isfinite(out).all()) and raw is not None:
        # the loss read the logits themselves: its derivative at a, finite wherever a is not 0
        a = GRADIENT_LOGITS.double()
        keep = torch.isfinite(out) & (a != 0)
        if bool((~torch.isfinite(out) <= (a == 0) | (a < 0)).all()) and bool(keep.any()) and torch.allclose(
                out.detach().double()[keep], raw(a)[keep], rtol=1e-3, atol=1e-5):
            raise Fail(f"{what} returned NaN or infinite values, and where it is finite it is the loss's derivative "
                       "at the logit itself: the sigmoid is missing, so the loss reads a raw score (below 0 for "
                       "some) as if it were a probability.",
                       "Apply torch.sigmoid to the logits first, then the loss: loss(torch.sigmoid(a)).")
    expect(bool(torch.isfinite(out).all()), f"{what} returned NaN or infinite values for logits from -7 to 4.",
           "The losses are finite for every logit: compute them from torch.sigmoid(a), not from rounded probabilities.")
    return out.detach().double()


@checker("logit_gradient")
def check_logit_gradient(logit_gradient):
    """``logit_gradient(loss, logits)`` → the derivative of ``loss(sigmoid(a))`` w.r.t. each logit ``a``."""
    n = len(GRADIENT_LOGITS)
    a64 = GRADIENT_LOGITS.double()
    d = torch.sigmoid(a64)
    slope = d * (1 - d)
    yours = {}                      # the student's derivatives, quoted in the final line
    for name, loss, derivative in _gradient_cases():
        logits = GRADIENT_LOGITS.clone()
        got = _as_values(call(logit_gradient, loss, logits, what="logit_gradient"), n,
                         f"logit_gradient for {name}", raw=derivative)
        expect(torch.equal(logits, GRADIENT_LOGITS) and not logits.requires_grad and logits.grad is None,
               "logit_gradient changed the logits it was given (their values, requires_grad or .grad).",
               "Work on a copy: a = logits.detach().clone().requires_grad_(True).")
        want = derivative(d) * slope
        if torch.allclose(got, want, rtol=1e-3, atol=1e-5):
            yours[name] = got
            continue
        show = ", ".join(f"{v:.3g}" for v in got[:3].tolist())
        right = ", ".join(f"{v:.3g}" for v in want[:3].tolist())
        where = f"For {name} at logits -7, -3, -1 you return {show}; the derivative is {right}."
        if torch.allclose(got, derivative(d), rtol=1e-3, atol=1e-5):
            raise Fail(f"{where} Yours is the derivative with respect to the probability d = sigmoid(a), not with "
                       "respect to the logit a: the sigmoid's slope d·(1 − d) is missing, and that slope is "
                       "what makes a loss saturate.",
                       "Let autograd go through the sigmoid: make the logits require grad, then "
                       "d = torch.sigmoid(a), then the loss of d.")
        if torch.allclose(got, -want, rtol=1e-3, atol=1e-5):
            raise Fail(f"{where} The sign is flipped.", "Differentiate loss(sigmoid(a)) itself, not its negative.")
        twice = torch.sigmoid(d)
        if torch.allclose(got, derivative(twice) * twice * (1 - twice) * slope, rtol=1e-3, atol=1e-5):
            raise Fail(f"{where} Yours applies the sigmoid twice: loss(sigmoid(sigmoid(a))). The loss function "
                       "takes the probability d = sigmoid(a) and applies nothing more.",
                       "Compute the loss of torch.sigmoid(a) once: loss(torch.sigmoid(a)).")
        flat = (got.abs() < 1e-12) & (want.abs() > 1e-3)
        rest = ~flat
        if bool(flat.any()) and torch.allclose(got[rest], want[rest], rtol=1e-3, atol=1e-5):
            at = ", ".join(f"{v:g}" for v in GRADIENT_LOGITS[flat].tolist())
            raise Fail(f"{where} At the logit{'s' if int(flat.sum()) > 1 else ''} {at} yours is 0: the probability "
                       "(or its log) is clamped there, so no gradient passes where D is sure. That is exactly the "
                       "saturation the non-saturating loss exists to avoid.",
                       "Do not clamp inside logit_gradient: sigmoid(a) of a float32 logit from -7 to 4 is never "
                       "exactly 0 or 1, so the loss stays finite without it.")
        if torch.allclose(got, want * slope, rtol=1e-3, atol=1e-5):
            raise Fail(f"{where} Yours multiplies by the sigmoid's slope d·(1 − d) once too often: autograd through "
                       "torch.sigmoid(a) already includes it.",
                       "Return the gradient autograd gives with respect to a, without multiplying it by anything.")
        if torch.allclose(got * n, want, rtol=1e-3, atol=1e-5):
            raise Fail(f"{where} Each value is 1/{n} of the right one: you differentiated the mean over the "
                       f"{n} logits, which divides every derivative by {n}.",
                       "Differentiate the sum: each term depends on its own logit only, so the gradient of the "
                       "sum holds every derivative unchanged.")
        raise Fail(where + " Yours is off in a way this check does not recognise.",
                   "Compute loss(torch.sigmoid(a)) for logits a that require grad, sum it, and take "
                          "torch.autograd.grad of the sum with respect to a.")
    # a second call on the same tensor: gradients must not pile up in .grad
    logits = GRADIENT_LOGITS.clone()
    first = _as_values(call(logit_gradient, lambda p: -torch.log(p), logits, what="logit_gradient"), n,
                       "logit_gradient")
    again = _as_values(call(logit_gradient, lambda p: -torch.log(p), logits, what="logit_gradient"), n,
                       "logit_gradient, called a second time,")
    expect(torch.allclose(first, again, rtol=1e-6, atol=1e-8),
           "a second call on the same logits gives another answer: gradients pile up in .grad from call to call.",
           "Use a fresh copy of the logits in every call, or torch.autograd.grad, which does not accumulate.")
    longer = torch.linspace(-5, 5, 33)
    out = _as_values(call(logit_gradient, lambda p: torch.log(1 - p), longer, what="logit_gradient"), 33,
                     "logit_gradient on 33 logits")
    p = torch.sigmoid(longer.double())
    expect(torch.allclose(out, -p, rtol=1e-3, atol=1e-5),
           "on 33 logits from -5 to 5 the minimax loss's derivative is not -sigmoid(a).",
           "Nothing in the function should depend on the number of logits.")
    non_saturating, minimax = (float(got[0]) for got in list(yours.values())[:2])    # at the first logit, -7
    return ("the derivative of loss(sigmoid(a)) with respect to each logit, for the non-saturating loss −log d, "
            "the minimax loss log(1 − d) and the loss d², as plain numbers, the same on a second call, without "
            f"touching the logits; at a = {GRADIENT_LOGITS[0]:g} (D sure the fake is fake) yours gives "
            f"{minimax:.4f} for the minimax loss and {non_saturating:.4f} for the non-saturating one.")
