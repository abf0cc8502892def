"""The checkers of notebook 10: the notebook's solutions pass, each typical mistake in the
convolutional generator, the convolutional discriminator and the DCGAN training step is named, and
the open challenge's judge passes digits, names what falls short and refuses copies."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_lesson import data, images
from gan_lesson.checks import check_image_discriminator, check_image_generator, check_image_train_step
from gan_lesson.checks.images import check_digit_result
from notebook_cells import cells, solution_namespace

NOTEBOOK = "10_challenge_images.ipynb"


@pytest.fixture(scope="module")
def solutions():
    return solution_namespace(NOTEBOOK)


def run(check, fn, capsys):
    ok = check(fn)
    return ok, capsys.readouterr().out


def fails_with(check, fn, text, capsys):
    ok, out = run(check, fn, capsys)
    assert ok == False, out  # noqa: E712  (a Verdict)
    assert out.startswith("✗"), out
    assert text in out, out
    return out


# --------------------------------------------------------------------------- the solutions

def test_notebook_solutions_pass(solutions, capsys):
    ok, out = run(check_image_generator, solutions["make_generator"], capsys)
    assert ok and out.startswith("✓") and "1×1 → 2×2 → 4×4 → 8×8" in out, out
    ok, out = run(check_image_discriminator, solutions["make_discriminator"], capsys)
    assert ok and "8×8 → 4×4 → 2×2 → 1×1" in out and "(32, 1)" in out, out
    ok, out = run(check_image_train_step, solutions["train_step"], capsys)
    assert ok and out.startswith("✓"), out


def test_train_step_returning_tensors_is_accepted_with_the_note_05_gives(solutions, capsys):
    ns = dict(solutions)
    source = next(src for src in cells(NOTEBOOK, "solution") if "def train_step(" in src)
    assert "return loss_d.item(), loss_g.item()" in source
    exec(source.replace("return loss_d.item(), loss_g.item()", "return loss_d, loss_g"), ns)
    ok, out = run(check_image_train_step, ns["train_step"], capsys)
    assert ok and "returns both losses as tensors that still carry their graphs (fine; `.item()` gives a plain " \
        "float and frees the graph)" in out, out
    ok, out = run(check_image_train_step, solutions["train_step"], capsys)
    assert ok and "returns both losses as floats." in out, out


def test_messages_are_deterministic_and_leave_global_rng_alone(solutions, capsys):
    state = torch.get_rng_state()
    names = (("make_generator", check_image_generator), ("make_discriminator", check_image_discriminator),
             ("train_step", check_image_train_step))
    first = [run(check, solutions[name], capsys)[1] for name, check in names]
    again = [run(check, solutions[name], capsys)[1] for name, check in names]
    assert first == again
    assert torch.equal(state, torch.get_rng_state())


def test_stubs_are_not_attempted(capsys):
    def make_generator(noise_dim):
        raise NotImplementedError

    def make_discriminator():
        raise NotImplementedError

    def train_step(G, D, g_opt, d_opt, real, z):
        raise NotImplementedError

    for check, fn in ((check_image_generator, make_generator), (check_image_discriminator, make_discriminator),
                      (check_image_train_step, train_step)):
        ok, out = run(check, fn, capsys)
        assert ok == False and "not attempted yet" in out, out  # noqa: E712


# --------------------------------------------------------------------------- the generator

def gen(noise_dim, *, first=None, unflatten=True, mid=None, out_act=nn.Tanh, last=None, bn=True,
        act=nn.ReLU, bn_out=False, fixed=None):
    nd = fixed or noise_dim
    layers = [nn.Unflatten(1, (nd, 1, 1))] if unflatten else []
    layers += [first or nn.ConvTranspose2d(nd, 64, 2, 1, 0)] + ([nn.BatchNorm2d(64)] if bn else []) + [act()]
    layers += [mid or nn.ConvTranspose2d(64, 32, 4, 2, 1)] + ([nn.BatchNorm2d(32)] if bn else []) + [act()]
    layers += [last or nn.ConvTranspose2d(32, 1, 4, 2, 1)] + ([nn.BatchNorm2d(1)] if bn_out else [])
    if out_act:
        layers.append(out_act())
    return nn.Sequential(*layers)


@pytest.mark.parametrize("make, words", [
    (lambda nd: nn.Sequential(nn.Linear(nd, 64), nn.ReLU(), nn.Linear(64, 64), nn.Tanh(), nn.Unflatten(1, (1, 8, 8))),
     "G has no convolutions"),
    (lambda nd: nn.Sequential(nn.Unflatten(1, (nd, 1, 1)), nn.Upsample(scale_factor=8), nn.Conv2d(nd, 1, 3, 1, 1),
                              nn.Tanh()), "G has a single convolution"),
    (lambda nd: gen(nd, unflatten=False), "is a convolution, but the noise has shape (32, 16): flat rows"),
    (lambda nd: gen(nd, mid=nn.ConvTranspose2d(64, 32, 3, 2, 1)), "Picture size after each layer that changes it: "
     "1×1 → 2×2 → 3×3 → 6×6"),
    (lambda nd: gen(nd, last=nn.ConvTranspose2d(32, 3, 4, 2, 1)), "3 channels"),
    (lambda nd: nn.Sequential(gen(nd), nn.Flatten()), "flat rows of shape (32, 64)"),
    (lambda nd: gen(nd, out_act=None), "nothing follows the last transposed convolution"),
    (lambda nd: gen(nd, out_act=nn.Sigmoid), "ends with a sigmoid"),
    (lambda nd: gen(nd, out_act=nn.ReLU), "ends with a ReLU"),
    (lambda nd: gen(nd, bn_out=True), "batch norm sits after the last transposed convolution"),
    (lambda nd: gen(nd, bn=False), "G has no batch norm"),
    (lambda nd: gen(nd, act=nn.Identity), "no activation between its layers"),
    (lambda nd: gen(nd, fixed=16), "ignores its argument noise_dim"),
    (lambda nd: nn.Sequential(nn.Unflatten(1, (nd, 1, 1)), nn.ConvTranspose2d(nd, 1, 8, 1, 0), nn.Tanh()),
     "a single transposed convolution"),
])
def test_generator_mistakes_are_named(make, words, capsys):
    fails_with(check_image_generator, make, words, capsys)


def test_generator_checker_wants_the_function_not_the_model(solutions, capsys):
    fails_with(check_image_generator, solutions["make_generator"](16), "you passed the network itself", capsys)


def test_generator_returning_nothing_or_a_tensor(capsys):
    fails_with(check_image_generator, lambda nd: None, "returns None", capsys)
    fails_with(check_image_generator, lambda nd: torch.zeros(3), "not a torch.nn.Module", capsys)


def test_generator_in_a_class_of_its_own_passes(capsys):
    class G(nn.Module):
        def __init__(self, nd):
            super().__init__()
            self.nd = nd
            self.body = gen(nd, unflatten=False, out_act=None)

        def forward(self, z):
            return torch.tanh(self.body(z.view(-1, self.nd, 1, 1)))

    ok, out = run(check_image_generator, G, capsys)
    assert ok, out                       # tanh in forward: found from the output range instead


# --------------------------------------------------------------------------- the discriminator

def disc(*, first=None, second=None, last=None, act=lambda: nn.LeakyReLU(0.2), flatten=True, tail=None, pool=False):
    layers = [first or nn.Conv2d(1, 32, 4, 2, 1), act()]
    layers += [second or nn.Conv2d(32, 64, 4, 2, 1), nn.BatchNorm2d(64), act()]
    if pool:
        layers.append(nn.MaxPool2d(2))
    layers.append(last or nn.Conv2d(64, 1, 2, 1, 0))
    if flatten:
        layers.append(nn.Flatten())
    if tail:
        layers.append(tail)
    return nn.Sequential(*layers)


class Squeezed(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = disc()

    def forward(self, x):
        return self.body(x).squeeze(1)


@pytest.mark.parametrize("make, words", [
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1)), "no convolutions"),
    (lambda: disc(first=nn.Conv2d(1, 32, 3, 1, 0), second=nn.Conv2d(32, 64, 3, 1, 0), last=nn.Conv2d(64, 1, 4)),
     "none of D's convolutions has a stride"),
    (lambda: disc(flatten=False), "still a 1×1 picture"),
    (lambda: disc(last=nn.Conv2d(64, 1, 1, 1, 0), flatten=False), "a stack of pictures"),
    (lambda: Squeezed(), "without the column dimension"),
    (lambda: disc(last=nn.Conv2d(64, 10, 2, 1, 0)), "returns 10 numbers per image"),
    (lambda: disc(tail=nn.Sigmoid()), "applied twice"),
    (lambda: disc(tail=nn.LeakyReLU(0.2)), "an activation follows D's last layer"),
    (lambda: disc(act=nn.ReLU), "D uses ReLU"),
    (lambda: disc(act=nn.Tanh), "no leaky ReLU"),
])
def test_discriminator_mistakes_are_named(make, words, capsys):
    fails_with(check_image_discriminator, make, words, capsys)


def test_discriminator_that_detaches_is_caught(capsys):
    class Detached(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = disc()

        def forward(self, x):
            return self.body(x.detach())

    fails_with(check_image_discriminator, Detached, "no gradient flows", capsys)


def test_discriminator_that_shrinks_by_pooling_passes_with_a_note(capsys):
    make = lambda: disc(first=nn.Conv2d(1, 32, 3, 1, 1), second=nn.Conv2d(32, 64, 3, 1, 1), pool=True,
                        last=nn.Conv2d(64, 1, 4, 1, 0))
    ok, out = run(check_image_discriminator, make, capsys)
    assert ok and "convolutions and pooling (fine; DCGAN shrinks with strided convolutions" in out, out


def test_generator_that_upsamples_then_convolves_passes(capsys):
    make = lambda nd: nn.Sequential(
        nn.Unflatten(1, (nd, 1, 1)),
        nn.Upsample(scale_factor=2), nn.Conv2d(nd, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Upsample(scale_factor=2), nn.Conv2d(64, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Upsample(scale_factor=2), nn.Conv2d(32, 1, 3, 1, 1), nn.Tanh())
    ok, out = run(check_image_generator, make, capsys)
    assert ok and "through upsampling and convolutions (1×1 → 2×2 → 4×4 → 8×8)" in out, out


def test_generator_whose_forward_detaches_a_layer_is_caught(capsys):
    class Cut(nn.Module):
        def __init__(self, nd):
            super().__init__()
            self.head, self.body = gen(nd, out_act=None)[:4], gen(nd, out_act=None)[4:]

        def forward(self, z):
            return torch.tanh(self.body(self.head(z).detach()))

    fails_with(check_image_generator, Cut, "no gradient reaches G's parameters head.1.weight", capsys)


def test_discriminator_with_a_linear_head_passes(capsys):
    make = lambda: nn.Sequential(nn.Conv2d(1, 16, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(16, 32, 4, 2, 1),
                                 nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(128, 1))
    ok, out = run(check_image_discriminator, make, capsys)
    assert ok, out


# --------------------------------------------------------------------------- the training step

def bce(x, target):
    return F.binary_cross_entropy_with_logits(x, torch.full_like(x, float(target)))


def step(G, D, g_opt, d_opt, real, z, *, detach=True, zero_d=True, zero_g=True, labels=(1, 0), g_target=1,
         d_sign=1.0, g_sign=1.0, d_terms=("real", "fake"), sigmoid=False, minimax=False, d_opt_in_g=False,
         extra_d_step=False, g_first=False, together=False, mean=False, fresh_noise=False, regenerate=False,
         returns="both"):
    fake = G(z)

    def d_phase():
        if zero_d:
            d_opt.zero_grad()
        f = fake.detach() if detach else fake
        s = torch.sigmoid if sigmoid else (lambda t: t)
        loss = 0.0
        if "real" in d_terms:
            loss = loss + bce(s(D(real)), labels[0])
        if "fake" in d_terms:
            loss = loss + bce(s(D(f)), labels[1])
        loss = d_sign * (0.5 * loss if mean else loss)
        loss.backward()
        d_opt.step()
        return loss

    def g_phase():
        if zero_g:
            g_opt.zero_grad()
        f = G(torch.randn_like(z)) if fresh_noise else (G(z) if regenerate else fake)
        out = D(f)
        out = torch.sigmoid(out) if sigmoid else out
        loss = -bce(out, 0) if minimax else g_sign * bce(out, g_target)
        loss.backward()
        (d_opt if d_opt_in_g else g_opt).step()
        if extra_d_step:
            d_opt.step()
        return loss

    if together:
        d_opt.zero_grad()
        g_opt.zero_grad()
        ld = bce(D(real), 1) + bce(D(fake.detach()), 0)
        lg = bce(D(fake), 1)
        ld.backward()
        lg.backward()
        d_opt.step()
        g_opt.step()
    elif g_first:
        lg = g_phase()
        fake = G(z)
        ld = d_phase()
    else:
        ld = d_phase()
        lg = g_phase()
    if returns == "none":
        return None
    if returns == "swapped":
        return lg.item(), ld.item()
    if returns == "one":
        return ld.item()
    return ld.item(), lg.item()


def variant(**kw):
    return lambda G, D, g_opt, d_opt, real, z: step(G, D, g_opt, d_opt, real, z, **kw)


def test_accepted_variants(capsys):
    ok, out = run(check_image_train_step, variant(mean=True), capsys)
    assert ok and "your loss is 0.5 × (BCE(D(real), 1) + BCE(D(fake.detach()), 0))" in out, out

    def concatenated(G, D, g_opt, d_opt, real, z, joined=False):     # one BCE over both batches, fresh G(z)
        d_opt.zero_grad()
        with torch.no_grad():
            fake = G(z)
        out = D(torch.cat([real, fake]))
        target = torch.cat([torch.ones(len(real), 1), torch.zeros(len(fake), 1)])
        each = nn.BCEWithLogitsLoss(reduction="none")(out, target)
        loss_d = each.mean() if joined else each[:len(real)].mean() + each[len(real):].mean()
        loss_d.backward()
        d_opt.step()
        g_opt.zero_grad()
        loss_g = nn.BCEWithLogitsLoss()(D(G(z)), torch.ones(len(z), 1))
        loss_g.backward()
        g_opt.step()
        return loss_d, loss_g

    ok, out = run(check_image_train_step, concatenated, capsys)
    assert ok, out
    ok, out = run(check_image_train_step, lambda *a: concatenated(*a, joined=True), capsys)
    assert not ok and "with 8 real and 16 fake samples, D's loss in D's phase averages over the two batches joined " \
        "together" in out, out


@pytest.mark.parametrize("kw, words", [
    (dict(detach=False), "D's loss was backpropagated into G (the fake batch was not detached)"),
    (dict(detach=False, regenerate=True), "the fake batch was not detached in D's step"),
    (dict(zero_d=False), "D's gradients were not zeroed"),
    (dict(zero_g=False), "G's gradients were not zeroed"),
    (dict(labels=(0, 1)), "D's labels are swapped"),
    (dict(d_sign=-1.0), "D's loss has the wrong sign"),
    (dict(d_terms=("real",)), "only the real batch is in D's loss"),
    (dict(d_terms=("fake",)), "only the generated batch is in D's loss"),
    (dict(sigmoid=True), "a second sigmoid"),
    (dict(minimax=True), "saturating (minimax)"),
    (dict(g_target=0), "towards the label 'fake'"),
    (dict(g_sign=-1.0), "G's loss has the wrong sign"),
    (dict(extra_d_step=True), "D was stepped a second time"),
    (dict(d_opt_in_g=True), "stepped D's optimizer instead of G's"),
    (dict(g_first=True), "G was stepped before D"),
    (dict(together=True), "both losses were backpropagated before either network stepped"),
    (dict(fresh_noise=True), "G's update is not the gradient of BCE(D(fake), 1) for the noise you were given"),
    (dict(returns="none"), "returns nothing"),
    (dict(returns="swapped"), "wrong order"),
    (dict(returns="one"), "should return two numbers"),
])
def test_step_mistakes_are_named(kw, words, capsys):
    fails_with(check_image_train_step, variant(**kw), words, capsys)


def test_step_crashes_are_explained(capsys):
    def probabilities_to_bce(G, D, g_opt, d_opt, real, z):   # BCELoss on logits
        fake = G(z)
        d_opt.zero_grad()
        loss = nn.BCELoss()(D(real), torch.ones(len(real), 1))
        loss.backward()
        return 0.0, 0.0

    fails_with(check_image_train_step, probabilities_to_bce, "was given D's logits", capsys)

    def stale_d_output(G, D, g_opt, d_opt, real, z):        # G's loss built on D's output before D's step
        fake = G(z)
        d_fake = D(fake)
        d_opt.zero_grad()
        loss_d = bce(D(real), 1) + bce(d_fake, 0)
        loss_d.backward(retain_graph=True)
        d_opt.step()
        g_opt.zero_grad()
        loss_g = bce(d_fake, 1)
        loss_g.backward()
        g_opt.step()
        return loss_d.item(), loss_g.item()

    fails_with(check_image_train_step, stale_d_output, "weights changed after G's loss was computed", capsys)


def test_no_step_at_all(capsys):
    def nothing(G, D, g_opt, d_opt, real, z):
        return 0.0, 0.0

    fails_with(check_image_train_step, nothing, "D's parameters did not change", capsys)

    def only_d(G, D, g_opt, d_opt, real, z):
        d_opt.zero_grad()
        loss = bce(D(real), 1) + bce(D(G(z).detach()), 0)
        loss.backward()
        d_opt.step()
        return loss.item(), 0.0

    fails_with(check_image_train_step, only_d, "G's parameters did not change", capsys)


def test_step_leaves_networks_trainable(capsys):
    def frozen(G, D, g_opt, d_opt, real, z):
        out = step(G, D, g_opt, d_opt, real, z)
        D.requires_grad_(False)
        return out

    fails_with(check_image_train_step, frozen, "left frozen", capsys)


# --------------------------------------------------------------------------- the open challenge's judge

@pytest.fixture(scope="module")
def held():
    return images.held_out_digits()


def _noisy_real(held, keep=None, sd=0.15):
    """A stand-in generator: held-out real digits (of the labels below ``keep``) with pixel noise, so
    that no picture is a copy; the judge reads them much as it reads real digits."""
    x, labels = held
    pool = x if keep is None else x[labels < keep]

    def generator(z):
        picked = pool[torch.arange(len(z)) % len(pool)]
        return (picked + sd * torch.randn(picked.shape, generator=torch.Generator().manual_seed(1))).clamp(-1, 1)
    return generator


def test_digit_result_passes_pictures_the_judge_reads_as_digits(held, capsys):
    ok, out = run(lambda g: check_digit_result(g, noise_dim=4), _noisy_real(held), capsys)
    assert ok and out.startswith("✓ the open challenge"), out
    assert "classifier score 8.78 (target 7.5; real digits score" in out and "no picture copies" in out, out
    ok, out = run(lambda g: check_digit_result(g, noise_dim=4, target=9.5), _noisy_real(held), capsys)
    assert not ok and "(target 9.5;" in out, out


def test_digit_result_explains_an_untrained_generator(solutions, capsys):
    G = images.init_weights(solutions["make_generator"](16), torch.Generator().manual_seed(0))
    out = fails_with(check_digit_result, G, "classifier score 1.00 (target 7.5", capsys)
    assert "Nearly every picture is read as the same digit" in out and "Hint: Train it" in out, out


def test_digit_result_names_a_partial_collapse(held, capsys):
    out = fails_with(lambda g: check_digit_result(g, noise_dim=4), _noisy_real(held, keep=5),
                     "Most of the shortfall is evenness", capsys)
    assert "the judge reads 4 in 23 % of the pictures and never 6 or 9, a partial mode collapse" in out, out
    assert "confident 91 % (real digits 91 %)" in out, out


def test_digit_result_names_pictures_between_digits(held, capsys):
    x, _ = held

    def blends(z):                                 # two different real digits laid on each other
        n = torch.arange(len(z))
        return (x[n % len(x)] + x[(7 * n + 3) % len(x)]) / 2

    out = fails_with(lambda g: check_digit_result(g, noise_dim=4), blends, "Most of the shortfall is confidence",
                     capsys)
    assert "confident 34 %" in out and "Hint: Train longer" in out, out


def test_digit_result_refuses_copies_of_the_training_digits(capsys):
    digits = data.load_digits()[0]
    out = fails_with(lambda g: check_digit_result(g, noise_dim=3), lambda z: digits[:len(z)],
                     "100 % of your generator's pictures are copies of training digits", capsys)
    assert "learned nothing new" in out, out


def _dense(width):
    """An untrained dense generator, noise (n, 5) -> (n, width), the same weights every time."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(5, width), nn.Tanh())


@pytest.mark.parametrize("generator, kwargs, words", [
    (lambda z: torch.zeros(len(z), 1, 16, 16), dict(noise_dim=2), r"made pictures of shape (1000, 1, 16, 16)"),
    (lambda z: torch.full((len(z), 1, 8, 8), float("nan")), dict(noise_dim=2), "NaN or infinite pixels"),
    (lambda z: torch.full((len(z), 1, 8, 8), 3.0), dict(noise_dim=2), "End G with nn.Tanh()"),
    (lambda z: torch.zeros(len(z), 1, 8, 8), {}, "cannot tell how long your generator's noise vectors are"),
    (lambda z: [0.0] * len(z), dict(noise_dim=2), "returned a list, not a tensor of pictures"),
    (_dense(64), {}, "Both fall short: most pictures are no clear digit"),
    (_dense(32), {}, "made pictures of shape (1000, 32)"),
    ("G", {}, "must be your trained generator"),
    (images.ImageGenerator, {}, "you passed the class ImageGenerator itself"),
])
def test_digit_result_names_what_it_cannot_judge(generator, kwargs, words, capsys):
    fails_with(lambda g: check_digit_result(g, **kwargs), generator, words, capsys)


def test_digit_result_reads_flat_rows_and_a_trained_result(solutions, capsys):
    ok, out = run(lambda g: check_digit_result(g, noise_dim=2), lambda z: torch.zeros(len(z), 64) - 1, capsys)
    assert not ok and "classifier score" in out, out                 # (n, 64) rows read as 8×8 pictures
    G = images.init_weights(solutions["make_generator"](16), torch.Generator().manual_seed(0))
    D = images.init_weights(solutions["make_discriminator"](), torch.Generator().manual_seed(1))
    result = images.train(G, D, data=data.load_digits()[0][:64], epochs=1, batch_size=32, progress=False)
    ok, out = run(check_digit_result, result, capsys)
    assert f"classifier score {result.score().inception:.2f} (target 7.5" in out, out


def test_digit_result_leaves_the_random_state_and_g_alone(solutions, capsys):
    G = images.init_weights(solutions["make_generator"](16), torch.Generator().manual_seed(0))
    G.train()
    before = [t.clone() for t in G.state_dict().values()]
    state = torch.get_rng_state()
    first = run(check_digit_result, G, capsys)[1]
    assert first == run(check_digit_result, G, capsys)[1]
    assert torch.equal(state, torch.get_rng_state()) and G.training
    assert all(torch.equal(a, b) for a, b in zip(before, G.state_dict().values()))


def test_both_phases_detached_is_named_as_such(capsys):
    def both_detached(G, D, g_opt, d_opt, real, z):
        bce_ = F.binary_cross_entropy_with_logits
        fake = G(z).detach()                           # detached once for both phases
        d_opt.zero_grad()
        loss_d = bce_(D(real), torch.ones(len(real), 1)) + bce_(D(fake), torch.zeros(len(z), 1))
        loss_d.backward()
        d_opt.step()
        g_opt.zero_grad()
        loss_g = bce_(D(fake), torch.ones(len(z), 1))
        loss_g.backward()
        g_opt.step()
        return loss_d.item(), loss_g.item()

    ok, out = run(check_image_train_step, both_detached, capsys)
    assert not ok and "G received no gradient from the loss" in out and "not stepped" not in out, out


def test_one_missing_activation_between_convolutions_is_named(capsys):
    def make_generator(noise_dim):                     # the second ReLU left out: one ReLU is not enough
        return nn.Sequential(
            nn.Unflatten(1, (noise_dim, 1, 1)),
            nn.ConvTranspose2d(noise_dim, 64, 2, 1, 0, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32),
            nn.ConvTranspose2d(32, 1, 4, 2, 1), nn.Tanh())

    fails_with(check_image_generator, make_generator, "nothing non-linear acts between G's layer 2", capsys)


def test_pixels_a_discriminator_never_looks_at_are_named(capsys):
    def make_discriminator():                          # kernel 2, stride 4: every other pair of pixels skipped
        return nn.Sequential(nn.Conv2d(1, 32, 2, 4, 1), nn.LeakyReLU(0.2), nn.Conv2d(32, 64, 2, 1, 0),
                             nn.LeakyReLU(0.2), nn.Conv2d(64, 1, 2), nn.Flatten())

    fails_with(check_image_discriminator, make_discriminator, "D never looks at", capsys)


def test_functional_activations_are_accepted(capsys):
    class D(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.c2, self.c3 = nn.Conv2d(1, 32, 4, 2, 1), nn.Conv2d(32, 64, 4, 2, 1), nn.Conv2d(64, 1, 2)

        def forward(self, x):
            return self.c3(F.leaky_relu(self.c2(F.leaky_relu(self.c1(x), 0.2)), 0.2)).view(-1, 1)

    ok, out = run(check_image_discriminator, D, capsys)
    assert ok, out
