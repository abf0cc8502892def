"""Every single change of the step solutions of notebooks 05, 09 and 10 (and of 09's scaler and
losses) through its checker: a change of behaviour gets ✗ with a mistake named; a harmless change,
and a correct answer written differently, gets ✓.

``EXERCISES()`` lists them for ``python -m tests.mutants --report``. All of them together run in about
40 s of one core (the reference runs are shared: each exercise is judged once per process), so they
are marked slow.
"""
import functools

import pytest

from gan_lesson.checks import (check_d_step, check_g_step, check_image_discriminator, check_image_generator,
                               check_image_train_step, check_series_losses, check_series_models, check_series_scaler,
                               check_series_steps)
from mutants import Exercise, judge, run_check
from notebook_cells import cells, solution_namespace

NB05, NB08, NB09 = "05_training_loop.ipynb", "09_challenge_sequences.ipynb", "10_challenge_images.ipynb"


def _cell(notebook, defines):
    """The solution cell of ``notebook`` that defines the function ``defines``."""
    return next(src for src in cells(notebook, "solution") if f"def {defines}(" in src)


# --------------------------------------------------------------------------- harmless changes, with why

ZERO_BEFORE_BACKWARD = "zero_grad still runs before backward(), so the gradients the step uses are this step's alone"

HARMLESS_05_D = {
    "moved `d_opt.zero_grad()` after `fake = G(z).detach()`": ZERO_BEFORE_BACKWARD,
    "moved `d_opt.zero_grad()` after `d_real, d_fake": ZERO_BEFORE_BACKWARD,
    "moved `d_opt.zero_grad()` after `loss = F.binary_cross_entropy": ZERO_BEFORE_BACKWARD,
}
HARMLESS_05_G = {
    "moved `g_opt.zero_grad()` after `d_fake = D(G(z))`": ZERO_BEFORE_BACKWARD,
    "moved `g_opt.zero_grad()` after `loss = F.binary_cross_entropy": ZERO_BEFORE_BACKWARD,
}
HARMLESS_08_SCALER = {}
HARMLESS_08_LOSSES = {}
HARMLESS_08_MODELS = {}
HARMLESS_08_D = {"moved `d_opt.zero_grad()` after `loss = d_loss(": ZERO_BEFORE_BACKWARD}
HARMLESS_08_G = {"moved `g_opt.zero_grad()` after `loss = g_loss(": ZERO_BEFORE_BACKWARD}
NORM_ORDER = ("a correct variant, not the same behaviour: batch norm after the activation instead of before it "
              "(both orders are in use and both train)")
HARMLESS_09_G = {
    "swapped the arguments nn.BatchNorm2d(64) and nn.ReLU()": NORM_ORDER,
    "swapped the arguments nn.BatchNorm2d(32) and nn.ReLU()": NORM_ORDER,
}
HARMLESS_09_D = {"swapped the arguments nn.BatchNorm2d(64) and nn.LeakyReLU(0.2)": NORM_ORDER}
HARMLESS_09 = {
    # D's zero_grad anywhere before loss_d.backward()
    "moved `d_opt.zero_grad()` after `'One DCGAN step": ZERO_BEFORE_BACKWARD,
    "moved `d_opt.zero_grad()` after `bce = F.binary_cross_entropy_with_logits`": ZERO_BEFORE_BACKWARD,
    "moved `d_opt.zero_grad()` after `d_real, d_fake": ZERO_BEFORE_BACKWARD,
    "moved `d_opt.zero_grad()` after `loss_d = ": ZERO_BEFORE_BACKWARD,
    # G's zero_grad anywhere before loss_g.backward(): D's backward does not reach G (the fake batch is detached)
    "moved `g_opt.zero_grad()` after `'One DCGAN step": ZERO_BEFORE_BACKWARD,
    "moved `g_opt.zero_grad()` after `bce = F.binary_cross_entropy_with_logits`": ZERO_BEFORE_BACKWARD,
    "moved `g_opt.zero_grad()` after `fake = G(z)`": ZERO_BEFORE_BACKWARD,
    "moved `g_opt.zero_grad()` after `d_opt.zero_grad()`": ZERO_BEFORE_BACKWARD,
    "moved `g_opt.zero_grad()` after `d_real, d_fake": ZERO_BEFORE_BACKWARD + " (D's loss does not reach G)",
    "moved `g_opt.zero_grad()` after `loss_d = ": ZERO_BEFORE_BACKWARD + " (D's loss does not reach G)",
    "moved `g_opt.zero_grad()` after `loss_d.backward()`": ZERO_BEFORE_BACKWARD,
    "moved `g_opt.zero_grad()` after `d_out = D(fake)`": ZERO_BEFORE_BACKWARD,
    "moved `g_opt.zero_grad()` after `loss_g = bce(": ZERO_BEFORE_BACKWARD,
}

# --------------------------------------------------------------------------- correct answers written differently

ALTERNATIVES_05_D = {
    "two backward() calls, D.zero_grad()": """
def d_step(G, D, g_opt, d_opt, real, z):
    D.zero_grad()
    loss_real = F.binary_cross_entropy(D(real), torch.ones(len(real), 1))
    loss_real.backward()
    loss_fake = F.binary_cross_entropy(D(G(z).detach()), torch.zeros(len(z), 1))
    loss_fake.backward()
    d_opt.step()
    return loss_real.item() + loss_fake.item()
""",
    "one BCE over both batches (the mean of each part), returned as a tensor": """
def d_step(G, D, g_opt, d_opt, real, z):
    d_opt.zero_grad(set_to_none=False)
    with torch.no_grad():
        fake = G(z)
    out = D(torch.cat([real, fake]))
    each = nn.BCELoss(reduction="none")(out, torch.cat([torch.ones_like(real), torch.zeros_like(fake)]))
    loss = each[:len(real)].mean() + each[len(real):].mean()
    loss.backward()
    d_opt.step()
    return loss
""",
    "the log formula written out": """
def d_step(G, D, g_opt, d_opt, real, z):
    for p in D.parameters():
        p.grad = None
    fake = G(z).detach()
    loss = -(torch.log(D(real)).mean() + torch.log(1 - D(fake)).mean())
    loss.backward()
    d_opt.step()
    return float(loss.detach())
""",
}
ALTERNATIVES_05_G = {
    "−log D(G(z)) written out": """
def g_step(G, D, g_opt, d_opt, z):
    g_opt.zero_grad()
    loss = -torch.log(D(G(z))).mean()
    loss.backward()
    g_opt.step()
    return loss.item()
""",
    "D frozen during the step, nn.BCELoss": """
def g_step(G, D, g_opt, d_opt, z):
    D.requires_grad_(False)
    G.zero_grad()
    loss = nn.BCELoss()(D(G(z)), torch.ones(z.shape[0], 1))
    loss.backward()
    g_opt.step()
    D.requires_grad_(True)
    return loss
""",
    "zero_grad after the forward pass, binary_cross_entropy with a full target": """
def g_step(G, D, g_opt, d_opt, z):
    verdict = D(G(z))
    g_opt.zero_grad()
    loss = F.binary_cross_entropy(verdict, torch.full_like(verdict, 1.0))
    loss.backward()
    g_opt.step()
    return loss.item()
""",
}
ALTERNATIVES_08_SCALER = {
    "torch.std_mean and lambdas": """
def make_scaler(data):
    std, mean = torch.std_mean(data, dim=0)
    return (lambda x: (x - mean) / std), (lambda y: y * std + mean)
""",
    "keepdim statistics and torch.addcmul": """
def make_scaler(data):
    mean = data.mean(0, keepdim=True)
    std = data.std(0, keepdim=True)

    def scale(x):
        return (x - mean) / std

    def unscale(y):
        return torch.addcmul(mean, y, std)

    return scale, unscale
""",
    "each column to [−1, 1] by its minimum and maximum": """
def make_scaler(data):
    low, high = data.min(dim=0).values, data.max(dim=0).values

    def scale(x):
        return 2 * (x - low) / (high - low) - 1

    def unscale(y):
        return (y + 1) / 2 * (high - low) + low

    return scale, unscale
""",
}
ALTERNATIVES_08_MODELS = {
    "ReLU and one hidden layer each": """
def make_generator(noise_dim):
    return nn.Sequential(nn.Linear(noise_dim, 128), nn.ReLU(), nn.Linear(128, 5))


def make_discriminator():
    return nn.Sequential(nn.Linear(5, 64), nn.ReLU(), nn.Linear(64, 1))
""",
    "SiLU and tanh, three hidden layers": """
def make_generator(noise_dim):
    return nn.Sequential(nn.Linear(noise_dim, 32), nn.SiLU(), nn.Linear(32, 32), nn.SiLU(), nn.Linear(32, 32),
                         nn.SiLU(), nn.Linear(32, 5))


def make_discriminator():
    return nn.Sequential(nn.Linear(5, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
""",
    "a module class with forward": """
class _G(nn.Module):
    def __init__(self, noise_dim):
        super().__init__()
        self.hidden, self.out = nn.Linear(noise_dim, 64), nn.Linear(64, 5)

    def forward(self, z):
        return self.out(F.leaky_relu(self.hidden(z), 0.2))


def make_generator(noise_dim):
    return _G(noise_dim)


def make_discriminator():
    layers = [nn.Linear(5, 64), nn.ELU(), nn.Linear(64, 1)]
    return nn.Sequential(*layers)
""",
}
ALTERNATIVES_08_LOSSES = {
    "softplus": """
def d_loss(real_logits, fake_logits):
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def g_loss(fake_logits):
    return F.softplus(-fake_logits).mean()
""",
    "logsigmoid": """
def d_loss(real_logits, fake_logits):
    return -F.logsigmoid(real_logits).mean() - F.logsigmoid(-fake_logits).mean()


def g_loss(fake_logits):
    return -F.logsigmoid(fake_logits).mean()
""",
    "nn.BCEWithLogitsLoss, each batch's targets from its own logits": """
def d_loss(real_logits, fake_logits):
    bce = nn.BCEWithLogitsLoss()
    return bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))


def g_loss(fake_logits):
    return nn.BCEWithLogitsLoss()(fake_logits, torch.ones(fake_logits.shape))
""",
}
ALTERNATIVES_08_STEPS = {
    "the fake batch under no_grad, module zero_grad, a returned tensor": """
def d_step(G, D, g_opt, d_opt, real, z):
    D.zero_grad()
    with torch.no_grad():
        fake = G(z)
    loss = d_loss(D(real), D(fake))
    loss.backward()
    d_opt.step()
    return loss


def g_step(G, D, g_opt, d_opt, z):
    G.zero_grad()
    loss = g_loss(D(G(z)))
    loss.backward()
    g_opt.step()
    return loss
""",
    "the losses written out with softplus, D frozen in G's step": """
def d_step(G, D, g_opt, d_opt, real, z):
    d_opt.zero_grad()
    fake = G(z).detach()
    loss = F.softplus(-D(real)).mean() + F.softplus(D(fake)).mean()
    loss.backward()
    d_opt.step()
    return loss.item()


def g_step(G, D, g_opt, d_opt, z):
    D.requires_grad_(False)
    g_opt.zero_grad()
    loss = F.softplus(-D(G(z))).mean()
    loss.backward()
    g_opt.step()
    D.requires_grad_(True)
    return loss.item()
""",
    "zero_grad just before backward": """
def d_step(G, D, g_opt, d_opt, real, z):
    real_logits, fake_logits = D(real), D(G(z).detach())
    loss = d_loss(real_logits, fake_logits)
    d_opt.zero_grad()
    loss.backward()
    d_opt.step()
    return float(loss.detach())


def g_step(G, D, g_opt, d_opt, z):
    loss = g_loss(D(G(z)))
    g_opt.zero_grad()
    loss.backward()
    g_opt.step()
    return float(loss.detach())
""",
}
ALTERNATIVES_09 = {
    "one BCE over both batches (weighted per batch), G(z) again for G's step": """
def train_step(G, D, g_opt, d_opt, real, z):
    d_opt.zero_grad()
    with torch.no_grad():
        fake = G(z)
    out = D(torch.cat([real, fake]))
    target = torch.cat([torch.ones(len(real), 1), torch.zeros(len(fake), 1)])
    weight = torch.cat([torch.full((len(real), 1), 1 / len(real)), torch.full((len(fake), 1), 1 / len(fake))])
    loss_d = nn.BCEWithLogitsLoss(weight=weight, reduction="sum")(out, target)
    loss_d.backward()
    d_opt.step()
    g_opt.zero_grad()
    loss_g = nn.BCEWithLogitsLoss()(D(G(z)), torch.ones(len(z), 1))
    loss_g.backward()
    g_opt.step()
    return loss_d, loss_g
""",
    "the mean of D's two terms, softplus": """
def train_step(G, D, g_opt, d_opt, real, z):
    fake = G(z)
    D.zero_grad()
    loss_d = 0.5 * (F.softplus(-D(real)).mean() + F.softplus(D(fake.detach())).mean())
    loss_d.backward()
    d_opt.step()
    G.zero_grad()
    loss_g = F.softplus(-D(fake)).mean()
    loss_g.backward()
    g_opt.step()
    return loss_d.item(), loss_g.item()
""",
    "helper functions for the two phases, D frozen in G's phase": """
def train_step(G, D, g_opt, d_opt, real, z):
    bce = nn.BCEWithLogitsLoss()

    def d_phase(fake):
        d_opt.zero_grad()
        loss = bce(D(real), torch.ones(len(real), 1)) + bce(D(fake), torch.zeros(len(fake), 1))
        loss.backward()
        d_opt.step()
        return loss.item()

    def g_phase():
        D.requires_grad_(False)
        g_opt.zero_grad()
        loss = bce(D(G(z)), torch.ones(len(z), 1))
        loss.backward()
        g_opt.step()
        D.requires_grad_(True)
        return loss.item()

    with torch.no_grad():
        fake = G(z)
    return d_phase(fake), g_phase()
""",
}


ALTERNATIVES_09_G = {
    "a linear layer first, then unflattened to 2×2": """
def make_generator(noise_dim):
    return nn.Sequential(
        nn.Linear(noise_dim, 64 * 2 * 2, bias=False), nn.Unflatten(1, (64, 2, 2)),
        nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.ConvTranspose2d(32, 1, 4, 2, 1), nn.Tanh(),
    )
""",
    "leaky ReLU inside, wider channels": """
def make_generator(noise_dim):
    return nn.Sequential(
        nn.Unflatten(1, (noise_dim, 1, 1)),
        nn.ConvTranspose2d(noise_dim, 128, 2, 1, 0, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh(),
    )
""",
    "a module class whose forward reshapes the noise": """
class _DigitG(nn.Module):
    def __init__(self, noise_dim):
        super().__init__()
        self.up1 = nn.ConvTranspose2d(noise_dim, 64, 2, 1, 0, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.up2 = nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.up3 = nn.ConvTranspose2d(32, 1, 4, 2, 1)

    def forward(self, z):
        h = F.relu(self.bn1(self.up1(z.view(len(z), -1, 1, 1))))
        h = F.relu(self.bn2(self.up2(h)))
        return torch.tanh(self.up3(h))


def make_generator(noise_dim):
    return _DigitG(noise_dim)
""",
}
ALTERNATIVES_09_G["nn.Upsample then nn.Conv2d, no transposed convolution"] = """
def make_generator(noise_dim):
    return nn.Sequential(
        nn.Unflatten(1, (noise_dim, 1, 1)),
        nn.Upsample(scale_factor=2), nn.Conv2d(noise_dim, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Upsample(scale_factor=2), nn.Conv2d(64, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Upsample(scale_factor=2, mode="bilinear"), nn.Conv2d(32, 1, 3, 1, 1), nn.Tanh(),
    )
"""
ALTERNATIVES_09_D = {
    "in-place leaky ReLUs": """
def make_discriminator():
    return nn.Sequential(
        nn.Conv2d(1, 32, kernel_size=4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(32, 64, kernel_size=4, stride=2, padding=1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(64, 1, kernel_size=2), nn.Flatten(start_dim=1),
    )
""",
    "average pooling shrinks, stride-1 convolutions": """
def make_discriminator():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, 1, 1), nn.LeakyReLU(0.2), nn.AvgPool2d(2),
        nn.Conv2d(32, 64, 3, 1, 1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2), nn.AvgPool2d(2),
        nn.Conv2d(64, 1, 2), nn.Flatten(),
    )
""",
    "no batch norm, wider channels": """
def make_discriminator():
    return nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(128, 1, 2), nn.Flatten(),
    )
""",
    "a linear layer at the end": """
def make_discriminator():
    return nn.Sequential(
        nn.Conv2d(1, 32, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(32, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(64 * 2 * 2, 1),
    )
""",
    "a module class with a functional leaky ReLU": """
class _DigitD(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 32, 4, 2, 1), nn.Conv2d(32, 64, 4, 2, 1)
        self.c3 = nn.Conv2d(64, 1, 2)

    def forward(self, x):
        h = F.leaky_relu(self.c1(x), 0.2)
        h = F.leaky_relu(self.c2(h), 0.2)
        return self.c3(h).view(-1, 1)


def make_discriminator():
    return _DigitD()
""",
}


@functools.lru_cache(maxsize=None)
def _namespace(notebook):
    return solution_namespace(notebook)


@functools.lru_cache(maxsize=None)
def EXERCISES():
    n05, n08, n09 = _namespace(NB05), _namespace(NB08), _namespace(NB09)
    return (
        Exercise("05 d_step", _cell(NB05, "d_step"), n05, "d_step", lambda ns: check_d_step(ns["d_step"]),
                 HARMLESS_05_D, ALTERNATIVES_05_D),
        Exercise("05 g_step", _cell(NB05, "g_step"), n05, "g_step", lambda ns: check_g_step(ns["g_step"]),
                 HARMLESS_05_G, ALTERNATIVES_05_G),
        Exercise("09 make_scaler", _cell(NB08, "make_scaler"), n08, "make_scaler",
                 lambda ns: check_series_scaler(ns["make_scaler"]), HARMLESS_08_SCALER, ALTERNATIVES_08_SCALER),
        Exercise("09 make_generator", _cell(NB08, "make_generator"), n08, "make_generator",
                 lambda ns: check_series_models(ns["make_generator"], ns["make_discriminator"]), HARMLESS_08_MODELS,
                 ALTERNATIVES_08_MODELS),
        Exercise("09 make_discriminator", _cell(NB08, "make_discriminator"), n08, "make_discriminator",
                 lambda ns: check_series_models(ns["make_generator"], ns["make_discriminator"]), HARMLESS_08_MODELS,
                 ALTERNATIVES_08_MODELS),
        Exercise("09 d_loss", _cell(NB08, "d_loss"), n08, "d_loss",
                 lambda ns: check_series_losses(ns["d_loss"], ns["g_loss"]), HARMLESS_08_LOSSES,
                 ALTERNATIVES_08_LOSSES),
        Exercise("09 g_loss", _cell(NB08, "g_loss"), n08, "g_loss",
                 lambda ns: check_series_losses(ns["d_loss"], ns["g_loss"]), HARMLESS_08_LOSSES,
                 ALTERNATIVES_08_LOSSES),
        Exercise("09 d_step", _cell(NB08, "d_step"), n08, "d_step",
                 lambda ns: check_series_steps(ns["d_step"], ns["g_step"]), HARMLESS_08_D, ALTERNATIVES_08_STEPS),
        Exercise("09 g_step", _cell(NB08, "g_step"), n08, "g_step",
                 lambda ns: check_series_steps(ns["d_step"], ns["g_step"]), HARMLESS_08_G, ALTERNATIVES_08_STEPS),
        Exercise("10 make_generator", _cell(NB09, "make_generator"), n09, "make_generator",
                 lambda ns: check_image_generator(ns["make_generator"]), HARMLESS_09_G, ALTERNATIVES_09_G),
        Exercise("10 make_discriminator", _cell(NB09, "make_discriminator"), n09, "make_discriminator",
                 lambda ns: check_image_discriminator(ns["make_discriminator"]), HARMLESS_09_D,
                 ALTERNATIVES_09_D),
        Exercise("10 train_step", _cell(NB09, "train_step"), n09, "train_step",
                 lambda ns: check_image_train_step(ns["train_step"]), HARMLESS_09, ALTERNATIVES_09),
    )


# --------------------------------------------------------------------------- the tests

NAMES = ["05 d_step", "05 g_step", "09 make_scaler", "09 make_generator", "09 make_discriminator", "09 d_loss",
         "10 make_generator", "10 make_discriminator", "09 g_loss", "09 d_step", "09 g_step", "10 train_step"]


def _exercise(name):
    return next(e for e in EXERCISES() if e.name == name)


@functools.lru_cache(maxsize=None)
def _outcomes(name):
    return tuple(judge(_exercise(name)))


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_every_mutant_that_changes_behaviour_is_named(name):
    exercise = _exercise(name)
    wrong = []
    for o in _outcomes(name):
        if exercise.is_harmless(o.mutant):
            continue
        if o.passed:
            wrong.append(f"passed: {o.mutant.label}")
        elif o.category != "named":
            wrong.append(f"no mistake named: {o.mutant.label}\n    {o.message.splitlines()[0]}")
        elif "Hint:" not in o.message and "not attempted" not in o.message:
            wrong.append(f"no hint: {o.mutant.label}\n    {o.message}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_harmless_mutants_pass(name):
    exercise = _exercise(name)
    harmless = [o for o in _outcomes(name) if exercise.is_harmless(o.mutant)]
    assert len(harmless) >= len(exercise.harmless), "a listed harmless change is no longer generated"
    failing = [f"{o.mutant.label}\n    {o.message}" for o in harmless if not o.passed]
    assert not failing, "\n".join(failing)


ALTERNATIVES = [(e, key) for e, table in (
    ("05 d_step", ALTERNATIVES_05_D), ("05 g_step", ALTERNATIVES_05_G), ("09 make_scaler", ALTERNATIVES_08_SCALER),
    ("09 make_generator", ALTERNATIVES_08_MODELS), ("09 d_loss", ALTERNATIVES_08_LOSSES), ("09 d_step", ALTERNATIVES_08_STEPS),
    ("10 make_generator", ALTERNATIVES_09_G), ("10 make_discriminator", ALTERNATIVES_09_D), ("10 train_step", ALTERNATIVES_09))
    for key in table]


@pytest.mark.slow
@pytest.mark.parametrize("name, key", ALTERNATIVES)
def test_correct_alternatives_pass(name, key):
    exercise = _exercise(name)
    ns = dict(exercise.namespace)
    exec(exercise.alternatives[key], ns)
    ok, message = run_check(exercise.check, ns)
    assert ok, message


def test_at_least_three_alternatives_per_exercise():
    for exercise in EXERCISES():
        assert len(exercise.alternatives) >= 3, exercise.name


#: The mutants of the known mistakes, and the words their diagnosis must hold (the right mistake, not another).
KNOWN = [
    ("05 d_step", "moved `d_opt.zero_grad()` after `loss.backward()`", "ran between `loss.backward()` and `d_opt.step()`"),
    ("09 d_step", "moved `d_opt.zero_grad()` after `loss.backward()`", "ran between `loss.backward()` and `d_opt.step()`"),
    ("10 train_step", "moved `d_opt.zero_grad()` after `loss_d.backward()`", "ran between `loss.backward()` and `d_opt.step()`"),
    ("05 g_step", "moved `g_opt.zero_grad()` after `loss.backward()`", "ran between `loss.backward()` and `g_opt.step()`"),
    ("05 d_step", ".detach() added after D(fake)", "it sends no gradient to D"),
    ("05 d_step", ".detach() moved from G(z).detach() to D(fake)", "it sends no gradient to D"),
    ("10 train_step", ".detach() added after G(z)", "G received no gradient"),
    ("05 d_step", "sign flipped on F.binary_cross_entropy(d_fake", "a sign slip in one term"),
    ("10 train_step", "+ → − in bce(d_real", "a sign slip in one term"),
    ("05 g_step", "sum for mean", "sums over the batch"),
    ("10 train_step", "sum for mean: reduction='sum' in bce(d_out", "sums over the batch"),
    ("05 g_step", "a sigmoid added around D(G(z))", "second sigmoid"),
    ("09 g_step", "a sigmoid added around D(G(z))", "second sigmoid"),
    ("05 d_step", "d_opt.step() → g_opt.step()", "called `g_opt.step()`"),
    ("05 d_step", "moved `d_opt.zero_grad()` after `d_opt.step()`", "runs only after `d_opt.step()`"),
    ("09 make_scaler", "std → var", "divides by the variance"),
    ("09 make_scaler", "sum for mean: data.mean", "not its mean"),
]


#: Mutants that crash inside the student's code, and the words their explanation must hold: the layer (its name
#: as print(model) shows it and its type), what it received against what it expects, and the fix.
CRASHES = [
    ("10 make_generator", "swapped the arguments 64 and 32 of nn.ConvTranspose2d",
     ["layer 4, nn.ConvTranspose2d(32, 64", "expects 32 input channels but receives 64",
      "in_channels must equal the out_channels of layer 1 (64)", "In and out look swapped"]),
    ("10 make_generator", "swapped the arguments nn.ConvTranspose2d(noise_dim, 64, 2, 1, 0, bias=False) and "
     "nn.BatchNorm2d(64)", ["layer 1, nn.BatchNorm2d(64) expects 64 channels but receives 16",
                            "The batch norm sits before the layer whose output it normalises"]),
    ("10 make_generator", "swapped the arguments 64 and 2 of nn.ConvTranspose2d",
     ["layer 2, nn.BatchNorm2d(64) expects 64 channels but receives 2", "nn.BatchNorm2d(2) here"]),
    ("10 make_generator", "swapped the arguments 1 and 0 of nn.ConvTranspose2d", ["has stride 0",
     "(in_channels, out_channels, kernel_size, stride, padding)"]),
    ("10 make_generator", "swapped the arguments 1 and (noise_dim, 1, 1) of nn.Unflatten",
     ["nn.Unflatten: ", "Its arguments are (dim, unflattened_size)"]),
    ("10 make_generator", "swapped the arguments nn.Unflatten(1, (noise_dim, 1, 1)) and nn.ConvTranspose2d",
     ["first layer, layer 0, nn.ConvTranspose2d(16, 64", "flat rows, not pictures", "nn.Unflatten(1, (16, 1, 1))"]),
    ("10 make_discriminator", "swapped the arguments 32 and 64 of nn.Conv2d",
     ["layer 2, nn.Conv2d(64, 32", "expects 64 input channels but receives 32",
      "in_channels must equal the out_channels of layer 0 (32): nn.Conv2d(32, …)"]),
    ("10 make_discriminator", "swapped the arguments 1 and 32 of nn.Conv2d",
     ["layer 0, nn.Conv2d(32, 1", "expects 32 input channels but receives 1: the digits have 1 channel"]),
    ("10 make_discriminator", "swapped the arguments 32 and 4 of nn.Conv2d",
     ["layer 0, nn.Conv2d(1, 4, kernel_size=(32, 32)", "8×8 pictures (10×10 with its padding), smaller than its "
      "32×32 kernel"]),
    ("10 make_discriminator", "swapped the arguments nn.Conv2d(64, 1, 2, 1, 0) and nn.Flatten()",
     ["layer 6, nn.Conv2d(64, 1", "receives a tensor of shape (32, 256)", "layer 5, nn.Flatten", "belongs after the "
      "last convolution"]),
    ("10 make_discriminator", "sign flipped on the returned value", ["a minus sign stands in front of a module"]),
    ("09 make_generator", "sign flipped on the returned value", ["a minus sign stands in front of a module"]),
    ("09 make_scaler", "mean → median in data.mean(dim=0)", ["returns a pair (values, indices), not a tensor"]),
    ("09 make_scaler", "dropped line: mean, std = ", ["scale uses `mean`", "the line that computes it is missing"]),
    ("09 d_loss", "dropped line: bce = ", ["d_loss uses `bce` before any line gives it a value"]),
]


@pytest.mark.slow
@pytest.mark.parametrize("name, label, words", CRASHES)
def test_crashes_are_explained_in_the_students_terms(name, label, words):
    found = [o for o in _outcomes(name) if o.mutant.label.startswith(label)]
    assert found, f"no mutant {label!r}"
    for o in found:
        assert not o.passed and "raised" not in o.message.split("Hint:")[0].replace("raised in", ""), o.message
        for w in words:
            assert w in o.message, f"{w!r} not in {o.message}"


@pytest.mark.slow
@pytest.mark.parametrize("name, label, words", KNOWN)
def test_known_mistakes_get_their_own_name(name, label, words):
    found = [o for o in _outcomes(name) if o.mutant.label.startswith(label)]
    assert found, f"no mutant {label!r}"
    for o in found:
        assert not o.passed and words in o.message, o.message
