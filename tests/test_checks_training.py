"""The checkers of notebook 05: the notebook's solutions pass, and each typical mistake in one
discriminator step or one generator step is named."""
import pytest
import torch
import torch.nn.functional as F

from gan_lesson.checks import check_d_step, check_g_step
from notebook_cells import solution_namespace

NOTEBOOK = "05_training_loop.ipynb"


@pytest.fixture(scope="module")
def solutions():
    return solution_namespace(NOTEBOOK)


def bce(p, target):
    return F.binary_cross_entropy(p, torch.full_like(p, float(target)))


def run(check, fn, capsys):
    ok = check(fn)
    return ok, capsys.readouterr().out


# --------------------------------------------------------------------------- the solutions

def test_notebook_solutions_pass(solutions, capsys):
    ok, out = run(check_d_step, solutions["d_step"], capsys)
    assert ok and out.startswith("✓"), out
    assert "returns the loss as a float" in out
    ok, out = run(check_g_step, solutions["g_step"], capsys)
    assert ok and out.startswith("✓"), out


def test_messages_are_deterministic_and_leave_global_rng_alone(solutions, capsys):
    state = torch.get_rng_state()
    first = run(check_d_step, solutions["d_step"], capsys)[1] + run(check_g_step, solutions["g_step"], capsys)[1]
    again = run(check_d_step, solutions["d_step"], capsys)[1] + run(check_g_step, solutions["g_step"], capsys)[1]
    assert first == again
    assert torch.equal(state, torch.get_rng_state())


def test_stubs_are_not_attempted(capsys):
    def d_step(G, D, g_opt, d_opt, real, z):
        raise NotImplementedError

    def g_step(G, D, g_opt, d_opt, z):
        raise NotImplementedError

    for check, fn in ((check_d_step, d_step), (check_g_step, g_step)):
        ok, out = run(check, fn, capsys)
        assert not ok and "not attempted yet" in out


# --------------------------------------------------------------------------- D step: accepted variants

def d_classic(G, D, g_opt, d_opt, real, z):            # two backward() calls, as in the classic loop
    D.zero_grad()
    r = bce(D(real), 1)
    r.backward()
    f = bce(D(G(z).detach()), 0)
    f.backward()
    d_opt.step()
    return r.item() + f.item()


def d_mean_graph(G, D, g_opt, d_opt, real, z):         # one BCE over both batches; returns the tensor
    d_opt.zero_grad()
    with torch.no_grad():
        fake = G(z)
    out = D(torch.cat([real, fake]))
    each = F.binary_cross_entropy(out, torch.cat([torch.ones_like(real), torch.zeros_like(fake)]), reduction="none")
    loss = 0.5 * (each[:len(real)].mean() + each[len(real):].mean())
    loss.backward()
    d_opt.step()
    return loss


def d_joined(G, D, g_opt, d_opt, real, z):             # one mean over both batches joined: right for equal sizes
    d_opt.zero_grad()
    fake = G(z).detach()
    out = D(torch.cat([real, fake]))
    loss = F.binary_cross_entropy(out, torch.cat([torch.ones_like(real), torch.zeros_like(fake)]))
    loss.backward()
    d_opt.step()
    return loss.item()


def test_d_step_averaging_the_joined_batch_is_named_with_unequal_batches(capsys):
    ok, out = run(check_d_step, d_joined, capsys)
    assert not ok and "with 16 real and 32 fake samples, D's loss in the discriminator step averages over the two " \
        "batches joined together" in out and "the fake batch counts 2 times as much as the real one" in out, out


@pytest.mark.parametrize("fn, words", [
    (d_classic, "returns the loss as a float"),
    (d_mean_graph, "your loss is 0.5 × (BCE(D(real), 1) + BCE(D(fake), 0)), as one mean over both batches joined "
                   "gives when they have the same size: fine, its gradient is scaled by 0.5 too"),
])
def test_d_step_accepts_equivalent_forms(fn, words, capsys):
    ok, out = run(check_d_step, fn, capsys)
    assert ok, out
    assert words in out


def test_d_step_says_when_a_graph_is_returned(capsys):
    ok, out = run(check_d_step, d_mean_graph, capsys)
    assert ok and "still carries its graph" in out


# --------------------------------------------------------------------------- D step: mistakes

def backward_and_step(loss, optimizers, backward_first):
    """``loss.backward()`` and a step of each optimizer, in the right order or (a mistake) the wrong one."""
    if not backward_first:
        for o in optimizers:
            o.step()
    loss.backward()
    if backward_first:
        for o in optimizers:
            o.step()


def make_d_step(*, zero=True, detach=True, targets=(1, 0), sign=1.0, terms=("real", "fake"), step="d",
                backward_first=True, lossf=bce, ret="item"):
    def d_step(G, D, g_opt, d_opt, real, z):
        if zero:
            d_opt.zero_grad()
        fake = G(z).detach() if detach else G(z)
        loss = 0.0
        if "real" in terms:
            loss = loss + lossf(D(real), targets[0])
        if "fake" in terms:
            loss = loss + lossf(D(fake), targets[1])
        loss = sign * loss
        backward_and_step(loss, {"d": [d_opt], "g": [g_opt], "both": [d_opt, g_opt], "none": []}[step],
                          backward_first)
        if ret == "none":
            return None
        if ret == "after":
            with torch.no_grad():
                return (bce(D(real), 1) + bce(D(fake), 0)).item()
        return loss.item()
    return d_step


def bce_logits(p, target):
    return F.binary_cross_entropy_with_logits(p, torch.full_like(p, float(target)))


def d_new_batch(G, D, g_opt, d_opt, real, z):
    d_opt.zero_grad()
    g = torch.Generator().manual_seed(5)
    loss = bce(D(real + 0.3 * torch.randn(real.shape, generator=g)), 1) + bce(D(G(z).detach()), 0)
    loss.backward()
    d_opt.step()
    return loss.item()


def d_freezes_g(G, D, g_opt, d_opt, real, z):
    G.requires_grad_(False)
    return make_d_step()(G, D, g_opt, d_opt, real, z)


@pytest.mark.parametrize("fn, words", [
    (make_d_step(detach=False), "the fake batch was not detached"),
    (make_d_step(targets=(0, 1)), "labels are swapped"),
    (make_d_step(zero=False), "D's gradients were not zeroed"),
    (make_d_step(step="g", detach=False), "G's parameters changed during the discriminator step"),
    (make_d_step(step="both", detach=False), "G's parameters changed during the discriminator step"),
    (make_d_step(step="none"), "`d_opt.step()` did not run after `loss.backward()`"),
    (make_d_step(backward_first=False), "`d_opt.step()` ran before `loss.backward()`"),
    (make_d_step(backward_first=False, zero=False), "`d_opt.step()` ran before `loss.backward()`"),
    (make_d_step(sign=-1.0), "wrong sign"),
    (make_d_step(terms=("real",)), "only the real batch"),
    (make_d_step(terms=("fake",)), "only the generated batch"),
    (make_d_step(lossf=bce_logits), "second sigmoid"),
    (make_d_step(ret="none"), "returns nothing"),
    (make_d_step(ret="after"), "not the loss of this step"),
    (d_new_batch, "D never saw the real batch d_step was given"),
    (d_freezes_g, "G's parameters are left frozen"),
    (make_d_step(lossf=lambda p, target: p.mean() * (1 if target == 1 else -1)), "D moved the wrong way"),
])
def test_d_step_mistakes_are_named(fn, words, capsys):
    ok, out = run(check_d_step, fn, capsys)
    assert not ok
    assert out.startswith("✗") and words in out, out
    assert "Hint:" in out


# --------------------------------------------------------------------------- G step

def make_g_step(*, zero=True, detach=False, lossf=lambda p: bce(p, 1), step="g", backward_first=True,
                freeze_d=False, restore=True, ret="item"):
    def g_step(G, D, g_opt, d_opt, z):
        if freeze_d:
            D.requires_grad_(False)
        if zero:
            g_opt.zero_grad()
        fake = G(z).detach() if detach else G(z)
        loss = lossf(D(fake))
        backward_and_step(loss, {"d": [d_opt], "g": [g_opt], "both": [g_opt, d_opt], "none": []}[step],
                          backward_first)
        if freeze_d and restore:
            D.requires_grad_(True)
        if ret == "tuple":
            return loss.item(), fake
        return loss if ret == "tensor" else loss.item()
    return g_step


def g_new_noise(G, D, g_opt, d_opt, z):
    g_opt.zero_grad()
    loss = bce(D(G(torch.randn(z.shape, generator=torch.Generator().manual_seed(5)))), 1)
    loss.backward()
    g_opt.step()
    return loss.item()


def test_g_step_accepts_a_frozen_d_and_a_returned_tensor(capsys):
    ok, out = run(check_g_step, make_g_step(freeze_d=True, ret="tensor"), capsys)
    assert ok, out
    assert "still carries its graph" in out


@pytest.mark.parametrize("fn, words", [
    (make_g_step(lossf=lambda p: torch.log(1 - p).mean()), "saturating (minimax) loss"),
    (make_g_step(lossf=lambda p: -bce(p, 0)), "saturating (minimax) loss"),
    (make_g_step(lossf=lambda p: bce(p, 0)), "towards the label 'fake' (0)"),
    (make_g_step(lossf=lambda p: -bce(p, 1)), "wrong sign"),
    (make_g_step(lossf=lambda p: bce_logits(p, 1)), "second sigmoid"),
    (make_g_step(zero=False), "G's gradients were not zeroed"),
    (make_g_step(step="d"), "stepped the wrong optimizer"),
    (make_g_step(step="both"), "D must be held fixed"),
    (make_g_step(step="none"), "`g_opt.step()` did not run after `loss.backward()`"),
    (make_g_step(backward_first=False), "`g_opt.step()` ran before `loss.backward()`"),
    (make_g_step(backward_first=False, zero=False), "`g_opt.step()` ran before `loss.backward()`"),
    (make_g_step(detach=True), "G received no gradient"),
    (make_g_step(freeze_d=True, restore=False), "D's parameters are left frozen"),
    (make_g_step(ret="tuple"), "it returns tuple"),
    (make_g_step(lossf=lambda p: -p.mean()), "not the gradient of BCE(D(G(z)), 1) for the noise you were given"),
    (g_new_noise, "G made its samples from noise other than the `z` g_step was given"),
    (make_g_step(lossf=lambda p: p.mean()), "G moved the wrong way"),
])
def test_g_step_mistakes_are_named(fn, words, capsys):
    ok, out = run(check_g_step, fn, capsys)
    assert not ok
    assert out.startswith("✗") and words in out, out
    assert "Hint:" in out


def test_saturating_loss_message_quantifies_the_weaker_step(capsys):
    _, out = run(check_g_step, make_g_step(lossf=lambda p: torch.log(1 - p).mean()), capsys)
    assert "D(G(z)) ≈ 0.1" in out and "times smaller than the non-saturating one" in out


def test_a_step_that_never_returns_is_stopped_and_the_kernel_goes_on(capsys, monkeypatch):
    from gan_lesson.checks import core
    backward = torch.autograd.backward

    def d_step(G, D, g_opt, d_opt, real, z):
        d_opt.zero_grad()
        while True:
            pass

    monkeypatch.setattr(core, "TIME_LIMIT", 0.5)
    ok, out = run(check_d_step, d_step, capsys)
    assert not ok and "d_step did not return within the time limit of 0.5 seconds" in out
    assert torch.autograd.backward is backward                # the recording is undone
    monkeypatch.undo()
    ok, out = run(check_d_step, make_d_step(), capsys)
    assert ok, out


# --------------------------------------------------------------------------- mistakes named from behaviour

def d_zero_between(G, D, g_opt, d_opt, real, z):
    fake = G(z).detach()
    loss = bce(D(real), 1) + bce(D(fake), 0)
    loss.backward()
    d_opt.zero_grad()                                   # wipes what backward() just computed
    d_opt.step()
    return loss.item()


def d_output_detached(G, D, g_opt, d_opt, real, z):
    d_opt.zero_grad()
    d_fake = D(G(z)).detach()                           # detached after D, not before
    loss = bce(D(real), 1) + bce(d_fake, 0)
    loss.backward()
    d_opt.step()
    return loss.item()


def g_summed(G, D, g_opt, d_opt, z):
    g_opt.zero_grad()
    p = D(G(z))
    loss = F.binary_cross_entropy(p, torch.ones_like(p), reduction="sum")
    loss.backward()
    g_opt.step()
    return loss.item()


@pytest.mark.parametrize("check, fn, words, not_words", [
    (check_d_step, d_zero_between, "`d_opt.zero_grad()` ran between `loss.backward()` and `d_opt.step()`",
     "was not stepped"),
    (check_d_step, d_output_detached, "BCE(D(fake), 0) is in the loss (its value counts), but it sends no gradient",
     "Add BCE"),
    (check_d_step, make_d_step(lossf=lambda p, t: bce(p, t) * (1 if t == 1 else -1)), "a sign slip in one term",
     "wrong sign"),
    (check_g_step, g_summed, "sums over the batch instead of averaging", "noise"),
    (check_g_step, make_g_step(lossf=lambda p: bce(torch.sigmoid(p), 1)), "second sigmoid", "plain step"),
])
def test_the_mistake_made_is_the_one_named(check, fn, words, not_words, capsys):
    ok, out = run(check, fn, capsys)
    assert not ok and words in out and not_words not in out, out


def test_torch_autograd_backward_counts_as_a_backward(capsys):
    def d_step(G, D, g_opt, d_opt, real, z):
        d_opt.zero_grad()
        loss = bce(D(real), 1) + bce(D(G(z).detach()), 0)
        torch.autograd.backward(loss)
        d_opt.step()
        return loss.item()

    ok, out = run(check_d_step, d_step, capsys)
    assert ok, out


def test_smoothed_labels_are_named_with_their_targets(capsys):
    def d_step(G, D, g_opt, d_opt, real, z):
        d_opt.zero_grad()
        loss = F.binary_cross_entropy(D(real), torch.full((len(real), 1), 0.9)) + bce(D(G(z).detach()), 0)
        loss.backward()
        d_opt.step()
        return loss.item()

    ok, out = run(check_d_step, d_step, capsys)
    assert not ok and "D's targets are 0.90 for the real batch and 0.00 for the generated one" in out, out
