"""Checkers for notebook 05 (the training loop): one discriminator step and one generator step.

Both exercises share one signature shape, as in a real loop where both optimizers exist::

    d_step(G, D, g_opt, d_opt, real, z) -> the discriminator's loss
    g_step(G, D, g_opt, d_opt, z)       -> the generator's loss

``D`` returns P(real) of shape ``(n, 1)`` (a sigmoid output). The checker never touches the
student's own networks: it builds a small pair with fixed seeds, gives the student's function
deep copies with plain SGD optimizers (so one step moves the weights by exactly −lr·gradient),
and compares what moved, and by how much, with reference steps — the right one and the usual
wrong ones (labels swapped, gradients not zeroed, fake batch not detached, saturating loss,
wrong optimizer stepped, step before backward, …).
"""
import copy

import torch
import torch.nn.functional as F

from ..maths import models
from .core import Fail, call, checker, expect

__all__ = ["check_d_step", "check_g_step"]

LR = 0.1          # plain SGD in the checker: the update is exactly −LR · gradient
SEED_GRAD = 0.5   # every D (or G) .grad is pre-filled with this before the student's step
N = 32            # batch size of the probe
TOL = 2e-3        # relative tolerance when comparing updates (float32, any summation order)


# --------------------------------------------------------------------------- the probe

def _pair():
    """A small fixed G (2-D noise -> 1-D) and D (1-D -> P(real)), D fairly sure fakes are fake."""
    with torch.random.fork_rng(devices=[]):      # leave the notebook's global random state alone
        torch.manual_seed(1234)
        return _make_pair()


def _make_pair():
    G = models.MLPGenerator(noise_dim=2, data_dim=1, hidden=(8,), activation="tanh")
    D = models.MLPDiscriminator(1, hidden=(8,), activation="tanh", sigmoid=True)
    with torch.no_grad():
        G.net[-1].bias.fill_(-0.5)       # fakes sit to the left of the real data…
        D.net[0].weight.abs_()           # …and D rises with x, saying "fake" (~0.1) to most of them
        D.net[2].weight.abs_()
        D.net[2].bias.fill_(-2.0)
    g = torch.Generator().manual_seed(99)
    real = 1.0 + 0.5 * torch.randn(N, 1, generator=g)
    z = torch.randn(N, 2, generator=g)
    return G, D, real, z


def _copies(G, D):
    G2, D2 = copy.deepcopy(G), copy.deepcopy(D)
    g_opt = torch.optim.SGD(G2.parameters(), lr=LR)
    d_opt = torch.optim.SGD(D2.parameters(), lr=LR)
    return G2, D2, g_opt, d_opt


def _flat(params):
    return torch.cat([p.detach().reshape(-1) for p in params])


def _flat_grad(params):
    return torch.cat([(torch.zeros_like(p) if p.grad is None else p.grad.detach()).reshape(-1)
                      for p in params])


def _close(a, b, tol=TOL):
    return bool((a - b).norm() <= tol * max(float(b.norm()), 1e-12) + 1e-9)


def _grad_of(loss_fn, params):
    """Gradient of ``loss_fn()`` with respect to ``params`` (flattened)."""
    params = list(params)
    loss = loss_fn()
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    flat = torch.cat([(torch.zeros_like(p) if g is None else g).reshape(-1) for p, g in zip(params, grads)])
    return flat, loss.detach()


def _both(g):
    """The SGD updates for a loss summed over the two batches and for its mean (half of it)."""
    return [-LR * g, -LR * 0.5 * g]


def _bce(p, target):
    return F.binary_cross_entropy(p, torch.full_like(p, float(target)))


def _bce_logits(p, target):
    return F.binary_cross_entropy_with_logits(p, torch.full_like(p, float(target)))


def _loss_value(out):
    """The returned loss as a float and how it was returned; None when it is not a loss."""
    if isinstance(out, torch.Tensor):
        if out.numel() != 1 or not out.is_floating_point():
            return None, f"a tensor of shape {tuple(out.shape)}"
        kind = "a tensor that still carries its graph" if out.requires_grad else "a tensor"
        return float(out.detach().reshape(())), kind
    if isinstance(out, (float, int)) and not isinstance(out, bool):
        return float(out), "a float"
    return None, type(out).__name__


def _return_check(out, reference_value, name):
    """Check the returned loss; give the words for the ✓ message."""
    expect(out is not None, f"{name} returns nothing (None).",
           "End it with `return loss.item()` (or `return loss`), the loss of this step.")
    value, kind = _loss_value(out)
    expect(value is not None, f"{name} should return the loss (one number); it returns {kind}.",
           "Return the scalar loss of this step: `return loss.item()`.")
    matches = [c for c in (1.0, 0.5) if abs(value - c * reference_value) <= 1e-3 * abs(reference_value) + 1e-5]
    expect(matches, f"{name} returns a number that is not the loss of this step (the loss before the update).",
           "Return the loss you called .backward() on, computed on the given batch.")
    if kind == "a tensor that still carries its graph":
        how = "returns the loss as a tensor that still carries its graph (fine; `.item()` gives a plain float and frees the graph)"
    else:
        how = f"returns the loss as {kind}"
    return how


def _run(fn, args, name, opt):
    """``call`` the student's step, naming the crash an optimizer step before backward() causes."""
    try:
        return call(fn, *args, what=name)
    except Fail as fail:
        if "modified by an inplace operation" in str(fail.args[0]):
            raise Fail(f"backward() failed because the weights changed after the loss was computed: "
                       f"`{opt}.step()` ran before `loss.backward()`.",
                       f"The order is: `{opt}.zero_grad()`, compute the loss, `loss.backward()`, `{opt}.step()`.") from None
        raise


def _requires_grad_restored(net, who, name):
    frozen = [n for n, p in net.named_parameters() if not p.requires_grad]
    expect(not frozen, f"after {name}, {who}'s parameters are left frozen (requires_grad=False).",
           f"If you freeze {who} during the step, set `requires_grad_(True)` again before returning, "
           "or the next step cannot train it.")


def _fresh_copies(G0, D0, stale):
    """Copies of the probe pair with their optimizers, their parameters and starting weights, and
    stale gradients planted in the ``stale`` network ("G" or "D"), as an earlier step leaves them."""
    G, D, g_opt, d_opt = _copies(G0, D0)
    g_params, d_params = list(G.parameters()), list(D.parameters())
    g_before, d_before = _flat(g_params), _flat(d_params)
    planted = d_params if stale == "D" else g_params
    for p in planted:
        p.grad = torch.full_like(p, SEED_GRAD)
    return G, D, g_opt, d_opt, g_params, d_params, g_before, d_before, _flat_grad(planted)


# --------------------------------------------------------------------------- D step

@checker("one discriminator step, d_step(G, D, g_opt, d_opt, real, z)")
def check_d_step(d_step):
    G0, D0, real, z = _pair()
    G, D, g_opt, d_opt, g_params, d_params, g_before, d_before, seeded = _fresh_copies(G0, D0, stale="D")

    out = _run(d_step, (G, D, g_opt, d_opt, real.clone(), z.clone()), "d_step", "d_opt")

    _requires_grad_restored(G, "G", "d_step")
    _requires_grad_restored(D, "D", "d_step")
    expect(_close(_flat(g_params), g_before, 1e-7),
           "G's parameters changed during the discriminator step: only D may be trained here (G is held fixed).",
           "Step D's optimizer only: `d_opt.step()`, not `g_opt.step()`.")
    g_grad = _flat_grad(g_params)
    expect(float(g_grad.abs().max()) == 0.0,
           "G's parameters received gradients during the discriminator step: the fake batch was not detached, "
           "so D's labels ('fake') would train G too.",
           "Use `fake = G(z).detach()` (or compute it under `torch.no_grad()`) before giving it to D.")

    # reference gradients on untouched copies
    Gr, Dr, _, _ = _copies(G0, D0)
    dr = list(Dr.parameters())
    with torch.no_grad():
        fake = Gr(z)

    def grad(real_target, fake_target, terms=("real", "fake"), lossf=_bce, sign=1.0):
        def loss():
            total = 0.0
            if "real" in terms:
                total = total + lossf(Dr(real), real_target)
            if "fake" in terms:
                total = total + lossf(Dr(fake), fake_target)
            return sign * total
        return _grad_of(loss, dr)

    g_ref, loss_ref = grad(1, 0)
    step = _flat(d_params) - d_before
    d_grad_after = _flat_grad(d_params)

    if float(step.abs().max()) == 0.0:
        expect(not (_close(d_grad_after, g_ref) or _close(d_grad_after, 0.5 * g_ref) or
                    _close(d_grad_after, g_ref + seeded)),
               "D did not change, yet its gradients hold this step's loss: `d_opt.step()` did not run after "
               "`loss.backward()` (missing, or called before it).",
               "The order is: `d_opt.zero_grad()`, `loss.backward()`, `d_opt.step()`.")
        expect(False, "D's parameters did not change: the discriminator was not stepped.",
               "After `loss.backward()`, call `d_opt.step()` (D's optimizer).")

    ok = [c for c in (1.0, 0.5) if _close(step, -LR * c * g_ref)]
    if not ok:
        not_zeroed = ("the update includes gradients left over from an earlier step: D's gradients were not "
                      "zeroed before backward().",
                      "Call `d_opt.zero_grad()` at the start of the step (gradients add up in .grad until zeroed).")
        candidates = [
            ([-LR * (g_ref + seeded), -LR * (0.5 * g_ref + seeded)], *not_zeroed),
            (_both(grad(0, 1)[0]), "the labels are swapped: D was trained to call the real batch fake (0) and "
             "the generated batch real (1).",
             "Real samples get the target 1 (torch.ones_like), generated ones the target 0 (torch.zeros_like)."),
            (_both(grad(1, 0, sign=-1.0)[0]), "D's loss has the wrong sign: the step went uphill, making D worse "
             "at telling real from fake.",
             "Minimise the binary cross-entropy itself: loss = BCE(D(real), 1) + BCE(D(fake), 0), no minus sign."),
            (_both(grad(1, 0, terms=("real",))[0]), "only the real batch is in D's loss: the generated batch "
             "(target 0) is missing.",
             "Add BCE(D(fake), 0) for `fake = G(z).detach()` to the loss."),
            (_both(grad(1, 0, terms=("fake",))[0]), "only the generated batch is in D's loss: the real batch "
             "(target 1) is missing.",
             "Add BCE(D(real), 1) to the loss."),
            (_both(grad(1, 0, lossf=_bce_logits)[0]), "the loss applies a second sigmoid: D already returns "
             "probabilities, and BCEWithLogits treats them as logits.",
             "Use `nn.BCELoss()` / `F.binary_cross_entropy` (or gl.losses.discriminator_loss) on D's output."),
        ]
        for targets, problem, hint in candidates:
            expect(not any(_close(step, t) for t in targets), problem, hint)
        # no known mistake matched: say which way D moved
        with torch.no_grad():
            after = _bce(D(real), 1) + _bce(D(fake), 0)
        expect(float(after) < float(loss_ref),
               "D moved the wrong way: after your step it tells this real batch from this fake batch worse "
               "than before.",
               "Targets: 1 for real, 0 for fake; minimise BCE with `d_opt.zero_grad(); loss.backward(); d_opt.step()`.")
        expect(False, "D improved, but not by one plain step on L_D = BCE(D(real), 1) + BCE(D(G(z)), 0) for the "
               "batch and noise you were given.",
               "Use the arguments `real` and `z` (draw nothing new), one backward() and one d_opt.step().")

    how = _return_check(out, float(loss_ref), "d_step")
    scale = " (your loss is the mean of the two terms, half the usual sum: fine)" if ok == [0.5] else ""
    return (f"D took one step on real → 1, detached fake → 0, with zeroed gradients; G untouched{scale}; "
            f"{how}.")


# --------------------------------------------------------------------------- G step

@checker("one generator step, g_step(G, D, g_opt, d_opt, z)")
def check_g_step(g_step):
    G0, D0, _, z = _pair()
    G, D, g_opt, d_opt, g_params, d_params, g_before, d_before, seeded = _fresh_copies(G0, D0, stale="G")

    out = _run(g_step, (G, D, g_opt, d_opt, z.clone()), "g_step", "g_opt")

    _requires_grad_restored(D, "D", "g_step")
    _requires_grad_restored(G, "G", "g_step")
    step = _flat(g_params) - g_before
    g_moved = float(step.abs().max()) > 0.0
    d_moved = not _close(_flat(d_params), d_before, 1e-7)
    expect(not (d_moved and not g_moved),
           "D's parameters changed and G's did not: the generator step stepped the wrong optimizer.",
           "Call `g_opt.step()` (G's optimizer), not `d_opt.step()`.")
    expect(not d_moved,
           "D's parameters changed during the generator step: D must be held fixed while G trains.",
           "Step only `g_opt`; the gradients that reach D here are not meant to train it.")

    Gr, Dr, _, _ = _copies(G0, D0)
    gr = list(Gr.parameters())

    def grad(lossf):
        return _grad_of(lambda: lossf(Dr(Gr(z))), gr)

    g_ref, loss_ref = grad(lambda p: _bce(p, 1))
    grad_after = _flat_grad(g_params)

    if not g_moved:
        expect(not (_close(grad_after, g_ref) or _close(grad_after, g_ref + seeded)),
               "G did not change, yet its gradients hold this step's loss: `g_opt.step()` did not run after "
               "`loss.backward()` (missing, or called before it).",
               "The order is: `g_opt.zero_grad()`, `loss.backward()`, `g_opt.step()`.")
        d_grad = _flat_grad(d_params)
        expect(not (float(grad_after.abs().max()) == 0.0 and float(d_grad.abs().max()) > 0.0),
               "G received no gradient: its output was detached (or made under torch.no_grad()), so the loss "
               "cannot reach G's weights.",
               "Only the discriminator step detaches. Here use `D(G(z))` as it is.")
        expect(False, "G's parameters did not change: the generator was not stepped.",
               "After `loss.backward()`, call `g_opt.step()` (G's optimizer).")

    if _close(step, -LR * g_ref):
        how = _return_check(out, float(loss_ref), "g_step")
        return (f"G took one step on the non-saturating loss BCE(D(G(z)), 1) with zeroed gradients; "
                f"D held fixed; {how}.")

    g_minimax = grad(lambda p: -_bce(p, 0))[0]
    weaker = float(g_ref.norm() / g_minimax.norm())
    with torch.no_grad():
        belief = float(Dr(Gr(z)).mean())
    candidates = [
        (-LR * (g_ref + seeded), "the update includes gradients left over from an earlier step: G's gradients "
         "were not zeroed before backward().",
         "Call `g_opt.zero_grad()` at the start of the step."),
        (-LR * g_minimax, "this is the saturating (minimax) loss log(1 − D(G(z))): it moves G the right way, "
         "but its gradient fades when D confidently rejects the fakes (here D(G(z)) ≈ "
         f"{belief:.1f}, and the step is {weaker:.0f} times smaller than the non-saturating one).",
         "Use the non-saturating loss: BCE(D(G(z)), 1) = −log D(G(z)), 'pretend to be genuine'."),
        (-LR * grad(lambda p: _bce(p, 0))[0], "G was trained towards the label 'fake' (0): its samples now look "
         "MORE fake to D.",
         "The generator's target is 1 ('real'): loss = BCE(D(G(z)), torch.ones_like(...))."),
        (-LR * grad(lambda p: -_bce(p, 1))[0], "the generator's loss has the wrong sign: G went uphill and its "
         "samples now look more fake to D.",
         "Minimise BCE(D(G(z)), 1) itself, with no minus sign."),
        (-LR * grad(lambda p: _bce_logits(p, 1))[0], "the loss applies a second sigmoid: D already returns "
         "probabilities, and BCEWithLogits treats them as logits.",
         "Use `nn.BCELoss()` / `F.binary_cross_entropy` (or gl.losses.generator_loss_non_saturating)."),
    ]
    for target, problem, hint in candidates:
        expect(not _close(step, target), problem, hint)
    with torch.no_grad():
        before = Dr(Gr(z)).mean()
        after = D0(G(z)).mean()
    expect(float(after) > float(before),
           "G moved the wrong way: after your step D finds its samples less real than before.",
           "Minimise BCE(D(G(z)), 1): `g_opt.zero_grad(); loss.backward(); g_opt.step()`.")
    expect(False, "G's samples look more real to D, but the update is not one plain step on "
           "BCE(D(G(z)), 1) for the noise you were given.",
           "Use the argument `z` (draw no new noise), one backward() and one g_opt.step().")
