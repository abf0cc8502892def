"""Every single change of the solutions of notebooks 02, 03, 04, 07, 08 and 11 through its checker: a
change of behaviour gets ✗ with the mistake named; a harmless change, and a correct answer written
differently, gets ✓.

``EXERCISES()`` lists them for ``python -m tests.mutants --report``.
"""
import functools

import pytest

from gan_lesson.checks import (check_d_loss, check_diagnose_run, check_four_moments, check_generator_input,
                               check_logit_gradient, check_make_discriminator, check_make_generator, check_mixture_sampler,
                               check_small_variance_axis, check_variance_along)
from mutants import Exercise, judge, run_check
from notebook_cells import cells, solution_namespace

NB02, NB03, NB04 = "02_samplers.ipynb", "03_models.ipynb", "04_losses.ipynb"
NB06, NB07, NB10 = "07_diagnosing_failures.ipynb", "08_gan_in_2d.ipynb", "11_conditional_digits.ipynb"

# --------------------------------------------------------------------------- harmless changes, with why
# label → why; where two mutants share a label, (label, a piece of the changed source) → why.

SYMMETRIC = "−noise has the same distribution as the noise (N(0, 1) is symmetric)"
HARMLESS = {
    "mixture_sampler": {
        "sign flipped on 0.5 * torch.randn(n, 1, generator=generator) in -2.0 + 0.5 * "
        "torch.randn(n, 1, generator=generator)": SYMMETRIC,
        "sign flipped on 1.0 * torch.randn(n, 1, generator=generator) in 3.0 + 1.0 * "
        "torch.randn(n, 1, generator=generator)": SYMMETRIC,
        "+ → − in -2.0 + 0.5 * torch.randn(n, 1, generator=generator)":
            "mean − std·noise has the same distribution as mean + std·noise",
        "+ → − in 3.0 + 1.0 * torch.randn(n, 1, generator=generator)":
            "mean − std·noise has the same distribution as mean + std·noise",
    },
    "four_moments": {
        "dropped line: x = x.flatten()": "every statistic reduces over all the values, so a column (n, 1) gives the "
                                         "same four numbers without the flatten",
    },
    "make_generator": {},
    "make_discriminator": {},
    "d_loss": {
        ("sign flipped on eps in 1 - eps", "d_real.clamp(eps, 1 - -eps)"):
            "the upper clamp of D(x) only acts at D(x) = 1, where −log D(x) = 0 is finite anyway",
        ("− → + in 1 - eps", "d_real.clamp(eps, 1 + eps)"):
            "the upper clamp of D(x) only acts at D(x) = 1, where −log D(x) = 0 is finite anyway",
    },
    "logit_gradient": {
        ".detach() removed from logits.detach()": "the logits given never require grad, and clone() already makes "
                                                  "a leaf of its own that the caller's tensor does not see",
    },
    "small_variance_axis": {
        "sign flipped on the returned value: −(vectors[:, 0])": "−v is the same axis as v",
    },
    "diagnose_run": {},
    "variance_along": {},
    "generator_input": {},
}

# --------------------------------------------------------------------------- correct answers written differently

ALTERNATIVES = {
    "mixture_sampler": {
        "means and stds picked per sample": '''
def mixture_sampler(n, generator=None):
    pick = torch.rand(n, 1, generator=generator) < 0.3
    mean = torch.where(pick, torch.tensor(-2.0), torch.tensor(3.0))
    std = torch.where(pick, torch.tensor(0.5), torch.tensor(1.0))
    return mean + std * torch.randn(n, 1, generator=generator)
''',
        "a 0/1 Bernoulli mask blends the two columns": '''
def mixture_sampler(n, generator=None):
    b = torch.bernoulli(torch.full((n, 1), 0.3), generator=generator)
    both = torch.randn(n, 2, generator=generator) * torch.tensor([0.5, 1.0]) + torch.tensor([-2.0, 3.0])
    return b * both[:, :1] + (1 - b) * both[:, 1:]
''',
        "the component index from torch.multinomial": '''
def mixture_sampler(n, generator=None):
    k = torch.multinomial(torch.tensor([0.3, 0.7]), n, replacement=True, generator=generator)
    means, stds = torch.tensor([-2.0, 3.0]), torch.tensor([0.5, 1.0])
    return (means[k] + stds[k] * torch.randn(n, generator=generator)).unsqueeze(1)
''',
    },
    "four_moments": {
        "central moments m2, m3, m4": '''
def four_moments(x):
    x = x.reshape(-1)
    m = x.mean()
    m2, m3, m4 = (((x - m) ** k).mean() for k in (2, 3, 4))
    return torch.stack([m, m2.sqrt(), m3 / m2 ** 1.5, m4 / m2 ** 2 - 3])
''',
        "PyTorch's std (divides by n − 1)": '''
def four_moments(x):
    x = x.flatten()
    z = (x - x.mean()) / x.std()
    return torch.stack([x.mean(), x.std(), z.pow(3).mean(), z.pow(4).mean() - 3])
''',
        "var(unbiased=False), then sqrt": '''
def four_moments(x):
    v = x.view(-1)
    std = v.var(unbiased=False).sqrt()
    z = (v - v.mean()) / std
    return torch.tensor([v.mean().item(), std.item(), (z ** 3).mean().item(), (z ** 4).mean().item() - 3.0])
''',
    },
    "make_generator": {
        "a class with F.relu and torch.tanh, 64 wide": '''
class _G(nn.Module):
    def __init__(self, noise_dim):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(noise_dim, 64), nn.Linear(64, 64), nn.Linear(64, 2)

    def forward(self, z):
        return torch.tanh(self.c(F.relu(self.b(F.relu(self.a(z))))))


def make_generator(noise_dim):
    return _G(noise_dim)
''',
        "one hidden layer of ELU": '''
def make_generator(noise_dim):
    return nn.Sequential(nn.Linear(noise_dim, 48), nn.ELU(), nn.Linear(48, 2), nn.Tanh())
''',
        "2·sigmoid − 1 on the output, leaky ReLUs, three hidden layers": '''
class _G(nn.Module):
    def __init__(self, noise_dim):
        super().__init__()
        sizes = [noise_dim, 24, 24, 24]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.out = nn.Linear(24, 2)

    def forward(self, z):
        for layer in self.hidden:
            z = F.leaky_relu(layer(z), 0.1)
        return 2 * torch.sigmoid(self.out(z)) - 1


def make_generator(noise_dim):
    return _G(noise_dim)
''',
    },
    "make_discriminator": {
        "a class with F.leaky_relu and torch.sigmoid": '''
class _D(nn.Module):
    def __init__(self):
        super().__init__()
        self.map1, self.map2, self.map3 = nn.Linear(2, 32), nn.Linear(32, 32), nn.Linear(32, 1)

    def forward(self, x):
        return torch.sigmoid(self.map3(F.leaky_relu(self.map2(F.leaky_relu(self.map1(x), 0.2)), 0.2)))


def make_discriminator():
    return _D()
''',
        "ReLUs and three hidden layers": '''
def make_discriminator():
    return nn.Sequential(nn.Linear(2, 20), nn.ReLU(), nn.Linear(20, 20), nn.ReLU(), nn.Linear(20, 20), nn.ReLU(),
                         nn.Linear(20, 1), nn.Sigmoid())
''',
        "tanh hidden, the sigmoid written out": '''
class _D(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))

    def forward(self, x):
        return 1 / (1 + torch.exp(-self.net(x)))


def make_discriminator():
    return _D()
''',
    },
    "d_loss": {
        "nn.BCELoss on each half": '''
def d_loss(d_real, d_fake):
    bce = nn.BCELoss()
    return bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
''',
        "log1p for the fake half, one minus sign outside": '''
def d_loss(d_real, d_fake):
    return -(torch.log(d_real.clamp_min(1e-7)).mean() + torch.log1p(-d_fake.clamp_max(1 - 1e-7)).mean())
''',
        "one BCE over both batches, each batch's mean taken on its own": '''
def d_loss(d_real, d_fake):
    p = torch.cat([d_real, d_fake])
    y = torch.cat([torch.ones_like(d_real), torch.zeros_like(d_fake)])
    each = F.binary_cross_entropy(p, y, reduction="none")
    return each[:len(d_real)].mean() + each[len(d_real):].mean()
''',
        "the mean of the two means (half of L_D, accepted with a note)": '''
def d_loss(d_real, d_fake):
    return 0.5 * (F.binary_cross_entropy(d_real, torch.ones_like(d_real))
                  + F.binary_cross_entropy(d_fake, torch.zeros_like(d_fake)))
''',
    },
    "logit_gradient": {
        ".backward() on a leaf copy": '''
def logit_gradient(loss, logits):
    a = logits.clone().detach().requires_grad_()
    loss(torch.sigmoid(a)).sum().backward()
    return a.grad
''',
        "torch.func: the gradient of each element, vectorised": '''
def logit_gradient(loss, logits):
    return torch.func.vmap(torch.func.grad(lambda t: loss(torch.sigmoid(t))))(logits.detach())
''',
        "the chain rule by hand: dloss/dd times the sigmoid's slope d·(1 − d)": '''
def logit_gradient(loss, logits):
    d = torch.sigmoid(logits.detach()).requires_grad_(True)
    grad_d, = torch.autograd.grad(loss(d).sum(), d)
    return grad_d * d.detach() * (1 - d.detach())
''',
    },
    "diagnose_run": {
        "NumPy's mean and peak-to-peak": '''
def diagnose_run(d_real, d_fake, spread):
    r, f, s = np.mean(d_real[-5:]), np.mean(d_fake[-5:]), np.mean(spread[-5:])
    if r > 0.8 and f < 0.2:
        return "d_winning"
    if s < 0.35:
        return "collapsed"
    return "oscillating" if np.ptp(d_fake) > 0.3 else "healthy"
''',
        "the swings measured by a standard deviation, checked before the spread": '''
def diagnose_run(d_real, d_fake, spread):
    last = slice(len(d_real) - 5, len(d_real))
    if d_real[last].mean() > 0.8 and d_fake[last].mean() < 0.2:
        return "d_winning"
    if d_fake.std() > 0.1:
        return "oscillating"
    if spread[last].mean() < 0.35:
        return "collapsed"
    return "healthy"
''',
        "a table of rules, the first that holds": '''
def diagnose_run(d_real, d_fake, spread):
    recent = lambda a: float(sum(a[-5:]) / 5)
    rules = [("d_winning", recent(d_real) > 0.8 and recent(d_fake) < 0.2),
             ("collapsed", recent(spread) < 0.35),
             ("oscillating", float(max(d_fake) - min(d_fake)) > 0.3)]
    return next((label for label, holds in rules if holds), "healthy")
''',
    },
    "small_variance_axis": {
        "the column at argmin of the eigenvalues": '''
def small_variance_axis(cov):
    values, vectors = torch.linalg.eigh(cov)
    return vectors[:, values.argmin()]
''',
        "NumPy's eigh": '''
def small_variance_axis(cov):
    values, vectors = np.linalg.eigh(cov.numpy())
    return torch.from_numpy(vectors[:, 0])
''',
        "the last left singular vector (svd sorts descending)": '''
def small_variance_axis(cov):
    U, S, Vh = torch.linalg.svd(cov)
    return U[:, -1]
''',
    },
    "variance_along": {
        "mean squared deviation of the projections": '''
def variance_along(x, axis):
    p = x @ axis
    return ((p - p.mean()) ** 2).mean()
''',
        "axisᵀ · cov · axis": '''
def variance_along(x, axis):
    return axis @ torch.cov(x.T) @ axis
''',
        "NumPy, a Python float": '''
def variance_along(x, axis):
    return float(np.var(x.numpy() @ axis.numpy()))
''',
    },
    "generator_input": {
        "rows of an identity matrix, hstack": '''
def generator_input(z, labels, classes=10):
    return torch.hstack([z, torch.eye(classes)[labels]])
''',
        "zeros, then scatter_ of ones": '''
def generator_input(z, labels, classes=10):
    one_hot = torch.zeros(len(labels), classes).scatter_(1, labels.unsqueeze(1), 1.0)
    return torch.cat((z, one_hot), 1)
''',
        "a comparison with arange": '''
def generator_input(z, labels, classes=10):
    return torch.cat([z, (labels[:, None] == torch.arange(classes)).to(z.dtype)], dim=-1)
''',
    },
}


def _cell(notebook, defines):
    """The solution cell of ``notebook`` that defines the function ``defines``."""
    return next(src for src in cells(notebook, "solution") if f"def {defines}(" in src)


@functools.lru_cache(maxsize=None)
def _namespace(notebook):
    return solution_namespace(notebook)


TABLE = (
    ("02", NB02, "mixture_sampler", check_mixture_sampler),
    ("02", NB02, "four_moments", check_four_moments),
    ("03", NB03, "make_generator", check_make_generator),
    ("03", NB03, "make_discriminator", check_make_discriminator),
    ("04", NB04, "d_loss", check_d_loss),
    ("04", NB04, "logit_gradient", check_logit_gradient),
    ("07", NB06, "diagnose_run", check_diagnose_run),
    ("08", NB07, "small_variance_axis", check_small_variance_axis),
    ("08", NB07, "variance_along", check_variance_along),
    ("10", NB10, "generator_input", check_generator_input),
)


@functools.lru_cache(maxsize=None)
def EXERCISES():
    return tuple(Exercise(f"{number} {name}", _cell(notebook, name), _namespace(notebook), name,
                          lambda ns, name=name, check=check: check(ns[name]), HARMLESS[name],
                          ALTERNATIVES[name])
                 for number, notebook, name, check in TABLE)


def why_harmless(name, mutant):
    """Why ``mutant`` of exercise ``name`` changes no behaviour, or None when it does."""
    for key, why in HARMLESS[name].items():
        label, piece = (key, None) if isinstance(key, str) else key
        if mutant.label == label and (piece is None or piece in mutant.source):
            return why
    return None


@functools.lru_cache(maxsize=None)
def outcomes(name):
    exercise = next(e for e in EXERCISES() if e.function == name)
    return tuple(judge(exercise))


NAMES = [name for _, _, name, _ in TABLE]


@pytest.mark.parametrize("name", NAMES)
def test_every_behaviour_changing_mutant_is_named(name):
    found = outcomes(name)
    changing = [o for o in found if why_harmless(name, o.mutant) is None]
    wrong = [f"{o.mutant.label}\n    {o.message.splitlines()[0] if o.message else ''}"
             for o in changing if o.category != "named"]
    named = len(changing) - len(wrong)
    assert changing and named / len(changing) >= 0.95, "\n".join(wrong)
    assert not [o for o in changing if o.passed], "\n".join(wrong)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", NAMES)
def test_harmless_mutants_pass_and_are_all_listed(name):
    found = outcomes(name)
    harmless = [o for o in found if why_harmless(name, o.mutant) is not None]
    assert all(o.passed for o in harmless), [(o.mutant.label, o.message) for o in harmless if not o.passed]
    assert len(harmless) == len(HARMLESS[name]), "a harmless change listed here is no longer made"


@pytest.mark.parametrize("name", NAMES)
def test_correct_alternatives_pass(name):
    exercise = next(e for e in EXERCISES() if e.function == name)
    assert len(ALTERNATIVES[name]) >= 3
    for label, source in ALTERNATIVES[name].items():
        ns = dict(exercise.namespace)
        exec(compile(source, f"<alternative: {label}>", "exec"), ns)
        ok, message = run_check(exercise.check, ns)
        assert ok, f"{label}: {message}"
