"""The checkers of notebook 09: the notebook's solutions pass, and each typical mistake in the
scaler, the two dense networks, the two losses and the two training steps is named; the judge of
a trained result passes a perfect generator and says which measure a bad one misses, and why."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_lesson.checks import check_series_losses, check_series_models, check_series_scaler, check_series_steps
from gan_lesson.checks.sequences import (JOINT_TARGET, OPEN_TOL, OPEN_VALIDITY_TARGET, RESULT_N, VALIDITY_TARGET,
                                         check_series_result)
from gan_lesson.lessons.sequences import validity
from notebook_cells import solution_namespace

NOTEBOOK = "09_challenge_sequences.ipynb"


@pytest.fixture(scope="module")
def solutions():
    return solution_namespace(NOTEBOOK)


def run(check, *fns, capsys):
    ok = check(*fns)
    return ok, capsys.readouterr().out


def fails_with(check, fns, text, capsys):
    ok, out = run(check, *fns, capsys=capsys)
    assert not ok, out
    assert out.startswith("✗"), out
    assert text in out, out
    return out


def bce(logits, target):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(target)))


# --------------------------------------------------------------------------- the solutions

def test_notebook_solutions_pass(solutions, capsys):
    ok, out = run(check_series_scaler, solutions["make_scaler"], capsys=capsys)
    assert ok and out.startswith("✓") and "z-scores" in out, out
    ok, out = run(check_series_models, solutions["make_generator"], solutions["make_discriminator"], capsys=capsys)
    assert ok and out.startswith("✓") and "logits (n, 1)" in out, out
    ok, out = run(check_series_losses, solutions["d_loss"], solutions["g_loss"], capsys=capsys)
    assert ok and out.startswith("✓") and "non-saturating" in out, out
    ok, out = run(check_series_steps, solutions["d_step"], solutions["g_step"], capsys=capsys)
    assert ok and out.startswith("✓") and "count up by one" in out, out


def test_messages_are_deterministic_and_leave_global_rng_alone(solutions, capsys):
    state = torch.get_rng_state()
    calls = ((check_series_scaler, ("make_scaler",)), (check_series_models, ("make_generator", "make_discriminator")),
             (check_series_losses, ("d_loss", "g_loss")))
    first = [run(check, *[solutions[n] for n in names], capsys=capsys)[1] for check, names in calls]
    again = [run(check, *[solutions[n] for n in names], capsys=capsys)[1] for check, names in calls]
    assert first == again
    assert torch.equal(state, torch.get_rng_state())


def test_the_step_checker_leaves_global_rng_alone(solutions, capsys):
    state = torch.get_rng_state()
    ok, _ = run(check_series_steps, solutions["d_step"], solutions["g_step"], capsys=capsys)
    assert ok
    assert torch.equal(state, torch.get_rng_state())


def test_stubs_are_not_attempted(capsys):
    def make_scaler(data):
        raise NotImplementedError

    def make_generator(noise_dim):
        raise NotImplementedError

    def make_discriminator():
        raise NotImplementedError

    def d_loss(real_logits, fake_logits):
        return ...

    def g_loss(fake_logits):
        return ...

    def d_step(G, D, g_opt, d_opt, real, z):
        raise NotImplementedError

    def g_step(G, D, g_opt, d_opt, z):
        raise NotImplementedError

    for check, fns in ((check_series_scaler, (make_scaler,)), (check_series_models, (make_generator, make_discriminator)),
                       (check_series_losses, (d_loss, g_loss)), (check_series_steps, (d_step, g_step))):
        ok, out = run(check, *fns, capsys=capsys)
        assert not ok, out
        assert "not attempted yet" in out, out


def test_a_missing_function_is_reported_not_raised(capsys):
    ok, out = run(check_series_scaler, None, capsys=capsys)
    assert not ok and "nothing to check yet" in out


# --------------------------------------------------------------------------- step 1: the scaler

def scaler(scale=None, unscale=None, stats=lambda d: (d.mean(dim=0), d.std(dim=0))):
    """A make_scaler built from two formulas in (x, mean, std)."""
    def make_scaler(data):
        mean, std = stats(data)

        def s(x):
            return scale(x, mean, std) if scale else (x - mean) / std

        def u(y):
            return unscale(y, mean, std) if unscale else y * std + mean
        return s, u
    return make_scaler


def min_max(data):
    lo, hi = data.min(dim=0).values, data.max(dim=0).values
    return lo, hi


def test_a_scaler_to_minus_one_one_is_accepted(capsys):
    make = scaler(lambda x, lo, hi: 2 * (x - lo) / (hi - lo) - 1, lambda y, lo, hi: (y + 1) / 2 * (hi - lo) + lo,
                  stats=min_max)
    ok, out = run(check_series_scaler, make, capsys=capsys)
    assert ok and "−1 and 1" in out, out


def in_place_scale(data):
    mean, std = data.mean(dim=0), data.std(dim=0)

    def scale(x):
        x -= mean
        x /= std
        return x
    return scale, lambda y: y * std + mean


def in_place_data(data):
    data -= data.mean(dim=0)
    return scaler()(data)


def one_function(data):
    mean, std = data.mean(dim=0), data.std(dim=0)
    return lambda x: (x - mean) / std


def returns_numpy(data):
    mean, std = data.mean(dim=0).numpy(), data.std(dim=0).numpy()
    return (lambda x: (x.numpy() - mean) / std), (lambda y: y * std + mean)


@pytest.mark.parametrize("make, words", [
    (one_function, "make_scaler returns one function"),
    (lambda data: scaler()(data)[0](data), "should return the pair (scale, unscale)"),
    (scaler(lambda x, m, s: (x - x.mean(dim=0)) / x.std(dim=0)), "it computes the statistics of the batch"),
    (scaler(stats=lambda d: (torch.full((5,), 5.0), torch.full((5,), 2.9))), "it uses fixed numbers"),
    (scaler(stats=lambda d: (d.mean(), d.std())), "one mean and one std for the whole table"),
    (scaler(stats=lambda d: (d.mean(dim=1), d.std(dim=1))), "one number per row of data, not one per column"),
    (scaler(lambda x, m, s: x - m), "does not divide by its std"),
    (scaler(lambda x, m, s: x / s), "does not subtract its mean"),
    (scaler(lambda x, lo, hi: (x - lo) / (hi - lo), stats=min_max), "maps each column to [0, 1]"),
    (scaler(unscale=lambda y, m, s: y / s + m), "unscale divides by the std"),
    (scaler(unscale=lambda y, m, s: (y + m) * s), "unscale adds the mean before multiplying"),
    (scaler(unscale=lambda y, m, s: y * s), "forgets to add the mean back"),
    (scaler(unscale=lambda y, m, s: y + m), "forgets to multiply by the std"),
    (scaler(unscale=lambda y, m, s: (y - m) / s), "applies scale a second time"),
    (in_place_scale, "scale changed the tensor it was given"),
    (in_place_data, "make_scaler changed the data it was given"),
    (returns_numpy, "returns a numpy array, not a torch tensor"),
])
def test_scaler_mistakes_are_named(make, words, capsys):
    fails_with(check_series_scaler, (make,), words, capsys)


# --------------------------------------------------------------------------- step 2: the two networks

def generator(out=5, tail=None, first=None):
    def make(noise_dim):
        layers = [nn.Linear(first or noise_dim, 32), nn.LeakyReLU(0.2), nn.Linear(32, out)]
        return nn.Sequential(*layers, *([tail] if tail else []))
    return make


def discriminator(width=5, out=1, tail=None):
    def make():
        layers = [nn.Linear(width, 32), nn.LeakyReLU(0.2), nn.Linear(32, out)]
        return nn.Sequential(*layers, *([tail] if tail else []))
    return make


class Flattened(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = discriminator()()

    def forward(self, x):
        return self.body(x).squeeze(1)


@pytest.mark.parametrize("make_g, make_d, words", [
    (generator(tail=nn.Sigmoid()), discriminator(), "between 0 and 1: a sigmoid on the output layer"),
    (generator(tail=nn.Tanh()), discriminator(), "between −1 and 1: a tanh on the output layer"),
    (generator(tail=nn.ReLU()), discriminator(), "can never be negative"),
    (generator(out=1), discriminator(), "it must give one series of 5 numbers a row, (64, 5)"),
    (generator(first=3), discriminator(), "it ignores its argument noise_dim"),
    (lambda noise_dim: None, discriminator(), "make_generator(3) returned None"),
    (lambda noise_dim: [nn.Linear(noise_dim, 5)], discriminator(), "not a torch.nn.Module"),
    (generator(), discriminator(tail=nn.Sigmoid()), "D ends in a sigmoid"),
    (generator(), discriminator(out=5), "it must give one verdict a series, shape (64, 1)"),
    (generator(), Flattened, "the verdicts were flattened"),
    (generator(), discriminator(width=3), "its first layer is nn.Linear(3, 32)"),
])
def test_model_mistakes_are_named(make_g, make_d, words, capsys):
    fails_with(check_series_models, (make_g, make_d), words, capsys)


# --------------------------------------------------------------------------- step 3: the losses

def right_d(r, f):
    return bce(r, 1) + bce(f, 0)


def right_g(f):
    return bce(f, 1)


def test_d_loss_as_one_bce_over_both_batches_is_rejected_when_the_batches_differ(capsys):
    def d_loss(r, f):                            # the mean over both batches joined: right only for equal sizes
        logits = torch.cat([r, f])
        return F.binary_cross_entropy_with_logits(logits, torch.cat([torch.ones_like(r), torch.zeros_like(f)]))
    ok, out = run(check_series_losses, d_loss, right_g, capsys=capsys)
    assert not ok and "with 3 real and 2 fake samples, d_loss averages over the two batches joined together" in out \
        and "the real batch counts 1.5 times as much as the fake one" in out and "Hint: Average each batch on its " \
        "own and add the two means" in out, out


@pytest.mark.parametrize("factor", [0.5, 3.0])
def test_d_loss_times_a_constant_is_accepted_with_a_note(factor, capsys):
    ok, out = run(check_series_losses, lambda r, f: (bce(r, 1) + bce(f, 0)) * factor, right_g, capsys=capsys)
    assert ok and f"your loss is {factor:g} × (d_loss)" in out and f"scaled by {factor:g} too" in out, out


def two_step_log(r, f):
    return -torch.log(torch.sigmoid(r)).mean() - torch.log(1 - torch.sigmoid(f)).mean()


@pytest.mark.parametrize("d_loss, g_loss, words", [
    (lambda r, f: bce(r, 0) + bce(f, 1), right_g, "d_loss: the labels are swapped: real series scored against 0"),
    (lambda r, f: -(bce(r, 1) + bce(f, 0)), right_g, "the sign is flipped"),
    (lambda r, f: bce(r, 1), right_g, "the fakes' term (target 0) is missing"),
    (lambda r, f: bce(f, 0), right_g, "the real series' term (target 1) is missing"),
    (lambda r, f: F.binary_cross_entropy_with_logits(r, torch.ones_like(r), reduction="sum")
     + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f), reduction="sum"), right_g,
     "sums over the batch instead of averaging"),
    (lambda r, f: bce(torch.sigmoid(r), 1) + bce(torch.sigmoid(f), 0), right_g, "the sigmoid is applied twice"),
    (lambda r, f: bce(r, 0) + bce(f, 0), right_g, "both batches are scored against 0"),
    (lambda r, f: F.binary_cross_entropy(r, torch.ones_like(r)) + F.binary_cross_entropy(f, torch.zeros_like(f)),
     right_g, "uses the binary cross-entropy for probabilities on D's logits"),
    (two_step_log, right_g, "with logits of ±200 (a very sure D) d_loss gives"),
    (lambda r, f: (bce(r, 1) + bce(f, 0)).item(), right_g, "returned float, not a torch tensor"),
    (lambda r, f: bce(r, 1).detach() + bce(f, 0), right_g, "d_loss's value is right but its gradient is not"),
    (lambda r, f: F.binary_cross_entropy_with_logits(r, torch.ones_like(r), reduction="none")
     + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f), reduction="none"), right_g,
     "a loss is one number"),
    (right_d, lambda f: -F.softplus(f).mean(), "this is the saturating (minimax) loss"),
    (right_d, lambda f: bce(f, 0), "g_loss: the labels are swapped: the fakes are scored against 0"),
    (right_d, lambda f: -bce(f, 1), "minimising it would make the fakes easier to spot"),
    (right_d, lambda f: bce(torch.sigmoid(f), 1), "the sigmoid is applied twice"),
    (right_d, lambda f: -torch.log(torch.sigmoid(f)).mean(), "with logits of ±200 (a very sure D) g_loss gives"),
])
def test_loss_mistakes_are_named(d_loss, g_loss, words, capsys):
    fails_with(check_series_losses, (d_loss, g_loss), words, capsys)


# --------------------------------------------------------------------------- step 4: the training steps

def d_ok(G, D, g_opt, d_opt, real, z):
    d_opt.zero_grad()
    loss = right_d(D(real), D(G(z).detach()))
    loss.backward()
    d_opt.step()
    return loss.item()


def g_ok(G, D, g_opt, d_opt, z):
    g_opt.zero_grad()
    loss = right_g(D(G(z)))
    loss.backward()
    g_opt.step()
    return loss.item()


def d_variant(*, detach=True, zero=True, swap=False, opt="d", early_step=False, ret=True, fresh=False,
              no_grad=False):
    def d_step(G, D, g_opt, d_opt, real, z):
        which = d_opt if opt == "d" else g_opt
        if zero:
            d_opt.zero_grad()
        if fresh:
            z = torch.randn_like(z)
        fake = G(z).detach() if detach else G(z)
        with torch.set_grad_enabled(not no_grad):
            loss = right_d(D(fake), D(real)) if swap else right_d(D(real), D(fake))
        if early_step:
            which.step()
        loss.backward()
        if not early_step:
            which.step()
        return loss.item() if ret else None
    return d_step


def g_variant(*, loss=right_g, zero=True, opt="g", detach=False, ret=True, step=True, both=False):
    def g_step(G, D, g_opt, d_opt, z):
        which = g_opt if opt == "g" else d_opt
        if zero:
            which.zero_grad()
        fake = G(z).detach() if detach else G(z)
        value = loss(D(fake))
        value.backward()
        if step:
            which.step()
        if both:
            d_opt.step()
        return value.item() if ret else None
    return g_step


@pytest.mark.parametrize("d_step, words", [
    (d_variant(detach=False), "the fake batch was not detached"),
    (d_variant(swap=True), "labels are swapped"),
    (d_variant(zero=False), "D's gradients were not zeroed before backward()"),
    (d_variant(opt="g"), "G's parameters changed during d_step"),
    (d_variant(early_step=True), "`d_opt.step()` ran before `loss.backward()`"),
    (d_variant(early_step=True, zero=False), "`d_opt.step()` ran before `loss.backward()`"),
    (d_variant(ret=False), "d_step returns nothing (None)"),
    (d_variant(fresh=True), "G made its series from noise other than the `z` d_step was given"),
    (d_variant(no_grad=True), "d_step's loss is cut off from autograd"),
])
def test_d_step_mistakes_are_named(d_step, words, capsys):
    fails_with(check_series_steps, (d_step, g_ok), words, capsys)


@pytest.mark.parametrize("g_step, words", [
    (g_variant(loss=lambda s: -F.softplus(s).mean()), "the saturating (minimax) loss"),
    (g_variant(loss=lambda s: bce(s, 0)), "G was trained towards the label 'fake' (0)"),
    (g_variant(loss=lambda s: -bce(s, 1)), "G's loss has the wrong sign"),
    (g_variant(zero=False), "G's gradients were not zeroed before backward()"),
    (g_variant(opt="d"), "g_step stepped the wrong optimizer"),
    (g_variant(both=True), "D must be held fixed while G trains"),
    (g_variant(detach=True), "G received no gradient from the loss: G's output was detached"),
    (g_variant(step=False), "G did not change, yet its gradients hold this step's loss"),
    (g_variant(ret=False), "g_step returns nothing (None)"),
])
def test_g_step_mistakes_are_named(g_step, words, capsys):
    fails_with(check_series_steps, (d_ok, g_step), words, capsys)


def test_steps_returning_the_loss_tensor_are_accepted(capsys):
    def d_step(G, D, g_opt, d_opt, real, z):
        d_opt.zero_grad()
        loss = right_d(D(real), D(G(z).detach()))
        loss.backward()
        d_opt.step()
        return loss

    ok, out = run(check_series_steps, d_step, g_ok, capsys=capsys)
    assert ok, out
    assert "only D stepped, returns the loss as a tensor that still carries its graph (fine; `.item()` gives a plain " \
        "float and frees the graph)" in out, out


def test_steps_that_are_each_right_but_drift_between_calls_are_caught(capsys):
    calls = []

    def g_step(G, D, g_opt, d_opt, z):
        calls.append(1)
        if len(calls) > 1:                       # right the first time, then it stops training G
            for group in g_opt.param_groups:
                group["lr"] = 0.0
        return g_ok(G, D, g_opt, d_opt, z)

    fails_with(check_series_steps, (d_ok, g_step), "each step is right on its own", capsys)



# --------------------------------------------------------------------------- the trained result (open challenge)

def uniform3(n):
    return torch.rand(n, 3)


def as_is(y):
    return y


def rows(a, b, c):
    return torch.stack([a, b, c, c + 1, c + 2], dim=1)


def perfect(z):
    """A generator that is right by construction: noise (n, 3) uniform on [0, 1) -> real series."""
    a, b, c = (10 * z).T
    return rows(a, b, c)


def test_the_targets_are_those_the_notebook_states():
    assert (VALIDITY_TARGET, JOINT_TARGET, RESULT_N) == (0.98, 0.90, 20_000)
    assert (OPEN_TOL, OPEN_VALIDITY_TARGET) == (0.05, 0.99)


def test_a_perfect_generator_passes_with_its_figures(capsys):
    ok, out = run(check_series_result, perfect, uniform3, as_is, capsys=capsys)
    assert ok, out
    assert out.startswith("✓ the open challenge")
    assert ("on 20 000 series from your generator, validity (steps 1 ± 0.1) 100.0 % (target 98 %) and joint "
            "coverage 0.9") in out


def slightly_off(z):
    """Real series whose entries carry errors of standard deviation 0.02: steps off by about 0.028."""
    return perfect(z) + 0.02 * torch.randn(len(z), 5, generator=torch.Generator().manual_seed(3))


def test_the_open_target_asks_for_more_precision_and_says_so(capsys):
    ok, out = run(check_series_result, slightly_off, uniform3, as_is, capsys=capsys)
    assert ok and "validity (steps 1 ± 0.1) 99.9 % (target 98 %)" in out, out
    ok = check_series_result(slightly_off, uniform3, as_is, tol=OPEN_TOL, validity_target=OPEN_VALIDITY_TARGET)
    out = capsys.readouterr().out
    assert not ok and "validity (steps 1 ± 0.05) 86.4 %" in out and "(target 99 %)" in out, out
    assert "within the tolerance of 0.05: a matter of precision" in out


@pytest.mark.parametrize("kwargs, words", [
    ({"tol": 0}, "tol must be a finite number > 0; got 0"),
    ({"tol": "0.05"}, "tol must be a number; got '0.05'"),
    ({"validity_target": 99}, "validity_target must be a finite number >= 0 and <= 1; got 99"),
])
def test_bad_tolerances_and_targets_are_named(kwargs, words):
    with pytest.raises((TypeError, ValueError), match=words.replace("(", r"\(")):
        check_series_result(perfect, uniform3, as_is, **kwargs)


class DroppedOut(nn.Module):
    """Right in eval mode; in train mode its dropout knocks x₄ off by ±1 in every series."""

    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)

    def forward(self, z):
        x = perfect(z)
        return torch.cat([x[:, :4], x[:, 4:] + self.drop(torch.ones(len(z), 1)) - 1], dim=1)


def test_the_generator_is_judged_in_eval_mode_and_left_in_its_own(capsys):
    G = DroppedOut()                                         # a fresh module is in train mode
    ok, out = run(check_series_result, G, uniform3, as_is, capsys=capsys)
    assert ok and "validity (steps 1 ± 0.1) 100.0 %" in out, out
    assert G.training                                        # the copy was put in eval mode, not G
    with torch.no_grad():
        assert validity(G(uniform3(1000))) == 0.0            # in train mode every series breaks the rule


def test_the_result_check_leaves_rng_and_generator_alone(capsys):
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.Linear(8, 5))
    stats = G[1].running_mean.clone()
    state = torch.get_rng_state()
    first = run(check_series_result, G, uniform3, as_is, capsys=capsys)[1]
    again = run(check_series_result, G, uniform3, as_is, capsys=capsys)[1]
    assert first == again                                    # the noise is drawn under the checker's seed
    assert torch.equal(state, torch.get_rng_state())
    assert torch.equal(G[1].running_mean, stats)             # a copy of G made the series


def test_a_collapsed_generator_fails_on_joint_coverage_as_mode_collapse(capsys):
    def collapsed(z):
        return torch.tensor([[2.0, 7.0, 4.0, 5.0, 6.0]]).repeat(len(z), 1)

    out = fails_with(check_series_result, (collapsed, uniform3, as_is), "joint coverage 0.008 (target 0.90): joint "
                     "coverage falls short; a fills only 0.10 of its range", capsys)
    assert "validity (steps 1 ± 0.1) 100.0 %" in out
    assert "G writes nearly the same series whatever the noise, a mode collapse." in out
    assert "Hint: Mode collapse" in out


def test_a_generator_stuck_in_part_of_the_range_is_a_partial_collapse(capsys):
    fails_with(check_series_result, (lambda z: perfect(0.25 + 0.5 * z), uniform3, as_is),
               "G writes series from only part of the range, a partial mode collapse.", capsys)


def test_the_tied_generator_fails_on_joint_coverage_with_its_correlations(capsys):
    def tied(z):
        t = 10 * z[:, :1]
        return torch.cat([t, t, t, t + 1, t + 2], dim=1)

    out = fails_with(check_series_result, (tied, uniform3, as_is), "joint coverage 0.040 (target 0.90): joint "
                     "coverage falls short; a, b and c each fill their range", capsys)
    assert "(correlations: a and b 1.00, a and c 1.00, b and c 1.00; 0 for real series)" in out
    assert "G ties the variables to one another, a partial mode collapse." in out
    assert "plot a against c" in out
    out = fails_with(check_series_result, (tied, lambda n: torch.rand(n, 1), as_is),
                     "joint coverage falls short", capsys)
    assert "Hint: Your noise has 1 number a row: G can then write only a 1-dimensional family of series" in out


def test_points_piled_into_some_cells_are_uneven_not_tied(capsys):
    def checkerboard(z):
        """Uniform in the 63 of the 125 cells whose three indices add up to an even number."""
        cells = torch.randint(0, 5, (4 * len(z), 3), generator=torch.Generator().manual_seed(2))
        cells = cells[cells.sum(dim=1) % 2 == 0][:len(z)]
        a, b, c = (2 * cells + 2 * z).T
        return rows(a, b, c)

    out = fails_with(check_series_result, (checkerboard, uniform3, as_is), "the points (a, b, c) fill the cube "
                     "[0, 10)³ unevenly: some of its 125 cells get too many series, others too few.", capsys)
    assert "joint coverage 0.50" in out and "correlations" not in out and "Hint: Plot a against c" in out


def test_series_left_in_scaled_units_are_named(capsys):
    mean, std = torch.tensor([5.0, 5.0, 5.0, 6.0, 7.0]), torch.full((5,), 10 / 12 ** 0.5)

    out = fails_with(check_series_result, (lambda z: (perfect(z) - mean) / std, uniform3, as_is),
                     "both fall short. Validity: the last three numbers of a series are nearly equal", capsys)
    assert "That is what scaled series look like" in out
    assert "Hint: Pass the unscale made from the data your GAN was trained on" in out


def test_imprecise_series_are_a_matter_of_precision(capsys):
    def blurred(z):
        return perfect(z) + 0.04 * torch.randn(len(z), 5, generator=torch.Generator().manual_seed(1))

    out = fails_with(check_series_result, (blurred, uniform3, as_is), "validity falls short; the series count up "
                     "by roughly one (100 % of them within 0.5), but only", capsys)
    assert "a matter of precision" in out and "Hint: Let the learning rate shrink" in out


def test_series_that_do_not_count_at_all_point_to_unscale_and_the_output_layer(capsys):
    torch.manual_seed(0)
    squeezed = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 5), nn.Tanh())
    out = fails_with(check_series_result, (squeezed, uniform3, lambda y: 3 * y + 5), "the series do not count up "
                     "by one, not even roughly", capsys)
    assert "G's outputs all lie in [−1, 1], as after a tanh." in out


def test_series_outside_the_range_are_counted_out(capsys):
    out = fails_with(check_series_result, (lambda z: 2 * perfect(z), uniform3, as_is),
                     "of the series have a, b or c outside [0, 10)", capsys)
    assert "and those earn nothing" in out


@pytest.mark.parametrize("G, noise, unscale, words", [
    (perfect, lambda n: torch.rand(n // 2, 3), as_is, "noise(20000) returned a tensor of shape (10000, 3); it should "
     "hold 20000 rows"),
    (perfect, lambda n: [0.0] * n, as_is, "noise(20000) returned a list, not a tensor."),
    (perfect, uniform3, lambda y: y[:, :4], "unscale(G(noise(20000))) has shape (20000, 4)"),
    (lambda z: z.numpy(), uniform3, as_is, "your generator returned a ndarray, not a tensor."),
    (nn.Linear(4, 5), uniform3, as_is, "calling your generator on noise of shape (20000, 3) raised RuntimeError"),
    (perfect, uniform3, lambda y: "series", "unscale returned a str, not a tensor of numbers."),
])
def test_results_of_the_wrong_kind_are_named(G, noise, unscale, words, capsys):
    fails_with(check_series_result, (G, noise, unscale), words, capsys)


def test_an_open_challenge_not_yet_done_is_reported_not_raised(capsys):
    ok, out = run(check_series_result, None, None, None, capsys=capsys)
    assert not ok and "the open challenge, your trained generator: nothing to check yet (got None)" in out


def test_zero_grad_between_backward_and_step_is_named_as_such(capsys):
    def d_step(G, D, g_opt, d_opt, real, z):
        loss = right_d(D(real), D(G(z).detach()))
        loss.backward()
        d_opt.zero_grad()
        d_opt.step()
        return loss.item()

    fails_with(check_series_steps, (d_step, g_ok), "`d_opt.zero_grad()` ran between `loss.backward()` and "
               "`d_opt.step()`", capsys)


@pytest.mark.parametrize("d_loss, g_loss, words", [
    (right_d, lambda f: -torch.log(torch.sigmoid(f).clamp(min=1e-7)).mean(),
     "for a logit -200 g_loss's gradient is 0, not -0.25"),
    (right_d, lambda f: -torch.log(torch.sigmoid(f) + 1e-8).mean(), "the loss is flat there"),
    (lambda r, f: -torch.log(torch.sigmoid(r).clamp(min=1e-7)).mean()
     - torch.log((1 - torch.sigmoid(f)).clamp(min=1e-7)).mean(),
     right_g, "for the real batch's logit -200 d_loss's gradient is 0"),
])
def test_a_loss_flat_at_large_logits_is_named(d_loss, g_loss, words, capsys):
    fails_with(check_series_losses, (d_loss, g_loss), words, capsys)


@pytest.mark.parametrize("make_g, make_d, words", [
    (lambda k: nn.Sequential(nn.Linear(k, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64), nn.Linear(64, 5)),
     lambda: nn.Sequential(nn.Linear(5, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1)),
     "nothing non-linear acts between linear layer 2, nn.Linear(64, 64), and linear layer 3"),
    (lambda k: nn.Sequential(nn.Linear(k, 64), nn.LeakyReLU(0.2), nn.Linear(64, 5)),
     lambda: nn.Sequential(nn.Linear(5, 128), nn.Linear(128, 128), nn.Linear(128, 1)),
     "no activation acts between D's 3 linear layers"),
])
def test_a_missing_hidden_activation_is_named(make_g, make_d, words, capsys):
    fails_with(check_series_models, (make_g, make_d), words, capsys)
