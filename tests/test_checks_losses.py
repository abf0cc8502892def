"""The checkers of notebook 04: the notebook's solutions pass, each typical mistake is named.

``check_g_loss`` (the non-saturating generator loss) is no longer an exercise of the notebook,
which now asks for ``logit_gradient``; it is kept, and tested on a reference answer here.
"""
import itertools

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from notebook_cells import solution_namespace

from gan_lesson.checks import check_d_loss, check_g_loss
from gan_lesson.checks import losses as checks_losses
from gan_lesson.checks.losses import check_logit_gradient

NOTEBOOK = "04_losses.ipynb"
EPS = 1e-7
bce_logits = nn.functional.binary_cross_entropy_with_logits


@pytest.fixture(scope="module")
def solutions():
    return solution_namespace(NOTEBOOK)


def safe(p):
    return p.clamp(EPS, 1 - EPS)


def run(check, fn, capsys):
    ok = check(fn)
    return ok, capsys.readouterr().out


def stub(*args):
    raise NotImplementedError


# --------------------------------------------------------------------------- the probes

def test_probe_values_tell_every_mistake_apart():
    for r, f in zip(checks_losses.REAL_PROBES, checks_losses.FAKE_PROBES):
        d_values = [checks_losses._d_reference(r, f).item()] + [m[0].item() for m in checks_losses._d_mistakes(r, f)]
        g_values = [checks_losses._g_reference(f).item()] + [m[0].item() for m in checks_losses._g_mistakes(f)]
        for values in (d_values, g_values):
            gaps = [abs(a - b) for a, b in itertools.combinations(values, 2)]
            assert min(gaps) > 0.02


# --------------------------------------------------------------------------- d_loss

def test_notebook_d_loss_solution_passes(solutions, capsys):
    ok, out = run(check_d_loss, solutions["d_loss"], capsys)
    assert ok and out.startswith("✓ d_loss:")


def test_d_loss_with_bceloss_passes(capsys):
    bce = nn.BCELoss()
    ok, out = run(check_d_loss, lambda r, f: bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f)), capsys)
    assert ok, out


@pytest.mark.parametrize("factor", [0.5, 2.0])
def test_d_loss_times_a_constant_is_accepted_with_a_note(factor, capsys):
    ok, out = run(check_d_loss, lambda r, f: factor * (-torch.log(safe(r)).mean() - torch.log(1 - safe(f)).mean()),
                  capsys)
    assert ok and f"your loss is {factor:g} × (L_D)" in out and f"its gradient is scaled by {factor:g} too" in out, out


def test_d_loss_averaging_the_joined_batch_says_which_batch_weighs_more(capsys):
    ok, out = run(check_d_loss, D_MISTAKES["averages over the two batches joined together"], capsys)
    assert not ok and "with 4 real and 2 fake samples" in out and "the real batch counts 2 times as much as the " \
        "fake one" in out and "Average each batch on its own and add the two means" in out, out


def test_d_loss_stub_is_not_attempted(capsys):
    ok, out = run(check_d_loss, stub, capsys)
    assert not ok and "not attempted yet" in out


D_MISTAKES = {
    "labels are swapped": lambda r, f: -torch.log(1 - safe(r)).mean() - torch.log(safe(f)).mean(),
    "sign is flipped": lambda r, f: torch.log(safe(r)).mean() + torch.log(1 - safe(f)).mean(),
    "only the real half": lambda r, f: -torch.log(safe(r)).mean(),
    "only the fake half": lambda r, f: -torch.log(1 - safe(f)).mean(),
    "fake term uses log D(G(z))": lambda r, f: -torch.log(safe(r)).mean() - torch.log(safe(f)).mean(),
    "sum over the batch": lambda r, f: -torch.log(safe(r)).sum() - torch.log(1 - safe(f)).sum(),
    "averages over the two batches joined together": lambda r, f: nn.BCELoss()(
        torch.cat([r, f]), torch.cat([torch.ones_like(r), torch.zeros_like(f)])),
    "with 4 real and 2 fake samples, d_loss averages over the two batches joined": lambda r, f: 2 * nn.BCELoss()(
        torch.cat([r, f]), torch.cat([torch.ones_like(r), torch.zeros_like(f)])),
    "log of the batch mean": lambda r, f: -torch.log(safe(r).mean()) - torch.log(1 - safe(f).mean()),
    "shape (4, 1)": lambda r, f: -torch.log(safe(r)) - torch.log(1 - safe(f)),
    "returned float": lambda r, f: (-torch.log(safe(r)).mean() - torch.log(1 - safe(f)).mean()).item(),
    "cut off from autograd": lambda r, f: (-torch.log(safe(r)).mean() - torch.log(1 - safe(f)).mean()).detach(),
    "the loss is inf": lambda r, f: -torch.log(r).mean() - torch.log(1 - f).mean(),
    "the real term has the wrong sign": lambda r, f: torch.log(safe(r)).mean() - torch.log(1 - safe(f)).mean(),
    "the fake term has the wrong sign": lambda r, f: -torch.log(safe(r)).mean() + torch.log(1 - safe(f)).mean(),
    "the fake term sums over the batch": lambda r, f: -torch.log(safe(r)).mean() - torch.log(1 - safe(f)).sum(),
    "the fake term uses log(1 + D(G(z)))": lambda r, f: -torch.log(safe(r)).mean() - torch.log(1 + safe(f)).mean(),
    "the real term applies a sigmoid": lambda r, f: -torch.log(torch.sigmoid(r)).mean() - torch.log(1 - f).mean(),
    "takes the median": lambda r, f: -torch.log(safe(r)).median() - torch.log(1 - safe(f)).mean(),
    "both terms apply a sigmoid": lambda r, f: (bce_logits(r, torch.ones_like(r)) + bce_logits(f, torch.zeros_like(f))),
    "the real term has the targets and D(x) in swapped places": lambda r, f: (
        F.binary_cross_entropy(torch.ones_like(r), r) + F.binary_cross_entropy(torch.zeros_like(f), f)),
    "combines the two batches element by element": lambda r, f: -(torch.log(safe(r)) + torch.log(1 - safe(f))).mean(),
    "a constant is added": lambda r, f: 0.1 - torch.log(safe(r)).mean() - torch.log(1 - safe(f)).mean(),
    "clamped too far from 0 and 1": lambda r, f: (-torch.log(r.clamp(0.01, 0.99)).mean()
                                                   - torch.log(1 - f.clamp(0.01, 0.99)).mean()),
    "gradient becomes nan": lambda r, f: (-torch.log(r).clamp(min=-100).mean()
                                          - torch.log(1 - f).clamp(min=-100).mean()),
}


@pytest.mark.parametrize("diagnosis", D_MISTAKES)
def test_d_loss_mistakes_are_named(diagnosis, capsys):
    ok, out = run(check_d_loss, D_MISTAKES[diagnosis], capsys)
    assert not ok
    assert out.startswith("✗ d_loss:") and diagnosis in out, out
    assert "Hint:" in out


def test_d_loss_messages_are_deterministic(capsys):
    outs = [run(check_d_loss, D_MISTAKES["sum over the batch"], capsys)[1] for _ in range(2)]
    assert outs[0] == outs[1]


def test_d_loss_crash_and_inplace_are_explained(capsys):
    ok, out = run(check_d_loss, lambda r, f: r.nonexistent(), capsys)
    assert not ok and "raised AttributeError" in out

    def inplace(r, f):
        real = safe(r)
        loss = -torch.log(real).mean() - torch.log(1 - safe(f)).mean()
        real.mul_(1.0)                   # changes a tensor autograd saved: backward fails
        return loss

    ok, out = run(check_d_loss, inplace, capsys)
    assert not ok and "backpropagating through d_loss's result raised RuntimeError" in out


def test_d_loss_leaves_no_trace_on_the_probes():
    before = [p.clone() for p in checks_losses.REAL_PROBES + checks_losses.FAKE_PROBES]
    check_d_loss(lambda r, f: r.mul_(0).sum())   # a student function that overwrites its input
    after = checks_losses.REAL_PROBES + checks_losses.FAKE_PROBES
    assert all(torch.equal(a, b) for a, b in zip(before, after))


# --------------------------------------------------------------------------- g_loss

def test_reference_g_loss_passes(capsys):
    ok, out = run(check_g_loss, lambda f: -torch.log(safe(f)).mean(), capsys)
    assert ok and out.startswith("✓ g_loss:")


def test_g_loss_with_bceloss_passes(capsys):
    ok, out = run(check_g_loss, lambda f: nn.BCELoss()(f, torch.ones_like(f)), capsys)
    assert ok, out


def test_g_loss_stub_is_not_attempted(capsys):
    ok, out = run(check_g_loss, stub, capsys)
    assert not ok and "not attempted yet" in out


G_MISTAKES = {
    "saturating (minimax) loss": lambda f: torch.log(1 - safe(f)).mean(),
    "labels are swapped": lambda f: nn.BCELoss()(f, torch.zeros_like(f)),
    "sign is flipped": lambda f: torch.log(safe(f)).mean(),
    "sum over the batch": lambda f: -torch.log(safe(f)).sum(),
    "log of the batch mean": lambda f: -torch.log(safe(f).mean()),
    "shape (4, 1)": lambda f: -torch.log(safe(f)),
    "returned float": lambda f: -torch.log(safe(f)).mean().item(),
    "cut off from autograd": lambda f: -torch.log(safe(f)).mean().detach(),
    "the loss is inf": lambda f: -torch.log(f).mean(),
    "gradient becomes nan": lambda f: -torch.log(f).clamp(min=-100).mean(),
    "the loss saturates there": lambda f: -torch.log(f.clamp(0.01, 1)).mean(),   # clamped far from 0
    "the sigmoid is applied twice": lambda f: -torch.log(torch.sigmoid(f)).mean(),
}


@pytest.mark.parametrize("diagnosis", G_MISTAKES)
def test_g_loss_mistakes_are_named(diagnosis, capsys):
    ok, out = run(check_g_loss, G_MISTAKES[diagnosis], capsys)
    assert not ok
    assert out.startswith("✗ g_loss:") and diagnosis in out, out
    assert "Hint:" in out


def test_g_loss_saturation_message_shows_the_vanishing_gradient(capsys):
    ok, out = run(check_g_loss, G_MISTAKES["saturating (minimax) loss"], capsys)
    assert "gradient with respect to D's logit is -0.0010 instead of -0.9990" in out


def test_g_loss_gradient_check_catches_a_right_value_with_a_wrong_gradient(capsys):
    # right value, but half of it is detached: the gradient is half of what it should be
    def half_detached(f):
        loss = -torch.log(safe(f)).mean()
        return 0.5 * loss + 0.5 * loss.detach()

    ok, out = run(check_g_loss, half_detached, capsys)
    assert not ok and "the value is right but the gradient is not" in out


# --------------------------------------------------------------------------- logit_gradient

def grad_of(reduce=torch.sum, through_sigmoid=True, sign=1.0):
    def logit_gradient(loss, logits):
        a = logits.detach().clone().requires_grad_(True)
        d = torch.sigmoid(a) if through_sigmoid else torch.sigmoid(a).detach().requires_grad_(True)
        grad, = torch.autograd.grad(reduce(loss(d)), a if through_sigmoid else d)
        return sign * grad
    return logit_gradient


def test_notebook_logit_gradient_solution_passes(solutions, capsys):
    ok, out = run(check_logit_gradient, solutions["logit_gradient"], capsys)
    assert ok and out.startswith("✓ logit_gradient:") and "-0.0009" in out and "-0.9991" in out, out
    assert "the loss d²" in out and "a third loss" not in out, out
    assert "not attempted yet" in run(check_logit_gradient, stub, capsys)[1]


def test_logit_gradient_line_quotes_the_students_values(capsys):
    """Within the tolerance, a slightly different answer passes, and the line prints that answer, not the formula."""
    nearly = grad_of()
    ok, out = run(check_logit_gradient, lambda loss, logits: nearly(loss, logits) * 1.0005, capsys)
    assert ok and "yours gives -0.0009 for the minimax loss and -0.9996 for the non-saturating one" in out, out


def test_logit_gradient_by_backward_passes(capsys):
    def by_backward(loss, logits):
        a = logits.clone().requires_grad_(True)
        loss(torch.sigmoid(a)).sum().backward()
        return a.grad
    assert run(check_logit_gradient, by_backward, capsys)[0]


@pytest.mark.parametrize("wrong, diagnosis", [
    (grad_of(through_sigmoid=False), "with respect to the probability d = sigmoid(a), not with respect to the logit"),
    (grad_of(reduce=torch.mean), "Each value is 1/7 of the right one"),
    (grad_of(sign=-1.0), "The sign is flipped"),
    (lambda loss, logits: grad_of()(lambda d: loss(torch.sigmoid(d)), logits), "applies the sigmoid twice"),
    (lambda loss, logits: grad_of()(lambda d: loss(d.clamp(1e-3, 1 - 1e-3)), logits),
     "At the logit -7 yours is 0: the probability (or its log) is clamped there"),
    (lambda loss, logits: grad_of()(lambda d: loss(torch.logit(d)), logits), "the sigmoid is missing"),
    (lambda loss, logits: grad_of()(loss, logits) * torch.sigmoid(logits) * (1 - torch.sigmoid(logits)),
     "multiplies by the sigmoid's slope d·(1 − d) once too often"),
])
def test_logit_gradient_mistakes_are_named(wrong, diagnosis, capsys):
    ok, out = run(check_logit_gradient, wrong, capsys)
    assert not ok and out.startswith("✗ logit_gradient:") and diagnosis in out, out


def test_logit_gradient_that_touches_the_logits_or_keeps_the_graph(capsys):
    def in_place(loss, logits):
        logits.requires_grad_(True)
        loss(torch.sigmoid(logits)).sum().backward()
        return logits.grad.detach()

    def attached(loss, logits):
        a = logits.detach().clone().requires_grad_(True)
        grad, = torch.autograd.grad(loss(torch.sigmoid(a)).sum(), a, create_graph=True)
        return grad

    out = run(check_logit_gradient, in_place, capsys)[1]
    assert "changed the logits it was given" in out and "detach().clone()" in out
    assert "still requires grad" in run(check_logit_gradient, attached, capsys)[1]
    flat = run(check_logit_gradient, lambda loss, logits: grad_of()(loss, logits).sum(), capsys)[1]
    assert "returned shape ()" in flat and "one derivative per logit" in flat


def test_logit_gradient_that_piles_up_in_a_kept_leaf(capsys):
    kept = {}

    def piles_up(loss, logits):
        a = kept.setdefault("a", logits.detach().clone().requires_grad_(True))
        loss(torch.sigmoid(a)).sum().backward()
        return a.grad.clone()

    ok, out = run(check_logit_gradient, piles_up, capsys)
    assert not ok and ("pile up" in out or "the derivative is" in out), out
