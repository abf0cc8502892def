"""What the student writes is then used: a wrong answer shows up in the cells after the exercise.

For each exercise of notebooks 02, 03, 04, 08 and 11 the notebook's code cells run in order, once
with the notebook's solution and once with a typical wrong answer in its place, up to the cell
that puts the exercise to work; the number that cell measures (or plots) must differ, in the way
the mistake predicts. Stubs and check cells are skipped (the checkers have tests of their own).
"""
import functools
import json
import re

import matplotlib.pyplot as plt
import pytest
import torch

from notebook_cells import NOTEBOOKS, cells

CHECK_CALL = re.compile(r"^\s*(_\s*=\s*)?check_\w+\(")


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _defines(source, name):
    return re.search(rf"^(def {name}\(|{name}\s*=)", source, re.M) is not None


@functools.lru_cache(maxsize=None)
def with_solutions(notebook, until, edits=()):
    """``run_until`` with the notebook's own solutions, run once per test session (read it, do not change it)."""
    return run_until(notebook, until, edits=edits)


def run_until(notebook, until, replace=None, edits=()):
    """Run ``notebook``'s code cells in order up to and including the first whose source contains
    ``until``; the solution cell defining ``replace[0]`` runs ``replace[1]`` instead. ``edits`` are
    (old, new) text substitutions applied to every cell (to shorten a training run). Returns the
    namespace the cells filled."""
    nb = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))
    ns, replaced = {}, replace is None
    try:
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            tags = _tags(cell)
            if "exercise" in tags or "solution-check" in tags or CHECK_CALL.match(source):
                continue
            if replace is not None and "solution" in tags and _defines(source, replace[0]):
                source, replaced = replace[1], True
            for old, new in edits:
                source = source.replace(old, new)
            exec(compile(source, f"<{notebook}>", "exec"), ns)
            if until in source:
                assert replaced, f"no solution cell defines {replace[0]} before the cell with {until!r}"
                return ns
    finally:
        plt.close("all")
    raise AssertionError(f"no cell of {notebook} contains {until!r}")


def test_every_exercise_here_has_a_solution_cell():
    """The names below are the notebooks' real exercises (a renamed exercise must be renamed here)."""
    expected = {"02_samplers.ipynb": ["mixture_sampler", "four_moments"],
                "03_models.ipynb": ["make_generator", "make_discriminator"],
                "04_losses.ipynb": ["d_loss", "logit_gradient"],
                "08_gan_in_2d.ipynb": ["small_variance_axis", "variance_along", "prediction"],
                "11_conditional_digits.ipynb": ["generator_input"]}
    for notebook, names in expected.items():
        solutions = cells(notebook, "solution")
        for name in names:
            assert any(_defines(s, name) for s in solutions), (notebook, name)


# ---------------------------------------------------------------- 02: samplers

ADDED_COMPONENTS = '''
def mixture_sampler(n, generator=None):
    left = -2.0 + 0.5 * torch.randn(n, 1, generator=generator)
    right = 3.0 + 1.0 * torch.randn(n, 1, generator=generator)
    return 0.3 * left + 0.7 * right          # adds the components instead of picking one
'''

VARIANCE_FOR_STD = '''
def four_moments(x):
    x = x.flatten()
    d = x - x.mean()
    var = (d ** 2).mean()
    z = d / var.sqrt()
    return torch.stack([x.mean(), var, (z ** 3).mean(), (z ** 4).mean() - 3])   # the variance, not the std
'''


def left_share(ns):
    return float((ns["yours"] < -0.25).float().mean())


def test_02_mixture_sampler_makes_the_histogram():
    until = "yours = mixture_sampler("
    assert left_share(with_solutions("02_samplers.ipynb", until)) == pytest.approx(0.3, abs=0.02)
    assert left_share(run_until("02_samplers.ipynb", until, ("mixture_sampler", ADDED_COMPONENTS))) < 0.01


def test_02_four_moments_measures_the_batches():
    until = "per_batch = torch.stack([four_moments(b)"
    right = with_solutions("02_samplers.ipynb", until)
    wrong = run_until("02_samplers.ipynb", until, ("four_moments", VARIANCE_FOR_STD))
    assert float(right["per_batch"][:, 1].mean()) == pytest.approx(1.25, abs=0.02)
    assert float(wrong["per_batch"][:, 1].mean()) == pytest.approx(1.25 ** 2, abs=0.05)


# ---------------------------------------------------------------- 03: models

NO_TANH = '''
def make_generator(noise_dim):
    return nn.Sequential(nn.Linear(noise_dim, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
'''

NO_SIGMOID = '''
def make_discriminator():
    return nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16), nn.LeakyReLU(0.2),
                         nn.Linear(16, 1))                        # returns the logit, not P(real)
'''


def outside_box(ns):
    return int((ns["grown"].abs() > 1).any(dim=1).sum())


def test_03_make_generator_keeps_the_grown_points_in_the_box():
    until = "G_box = make_generator("
    assert outside_box(with_solutions("03_models.ipynb", until)) == 0
    assert outside_box(run_until("03_models.ipynb", until, ("make_generator", NO_TANH))) > 1000


def test_03_make_discriminator_judges_the_generated_points():
    until = "G_yours, D_yours = make_generator("
    right = with_solutions("03_models.ipynb", until)
    wrong = run_until("03_models.ipynb", until, ("make_discriminator", NO_SIGMOID))
    assert 0 < float(right["verdicts"].min()) and float(right["verdicts"].max()) < 1
    assert float(wrong["verdicts"].min()) < 0                 # not probabilities: shown in the print and figure


# ---------------------------------------------------------------- 04: losses

LABELS_SWAPPED = '''
def d_loss(d_real, d_fake):
    eps = 1e-7
    return -torch.log(1 - d_real.clamp(eps, 1 - eps)).mean() - torch.log(d_fake.clamp(eps, 1 - eps)).mean()
'''

WITHOUT_THE_SIGMOID = '''
def logit_gradient(loss, logits):
    d = torch.sigmoid(logits).detach().requires_grad_(True)
    grad, = torch.autograd.grad(loss(d).sum(), d)             # with respect to D(G(z)), not the logit
    return grad
'''


def distance_to_d_star(ns):
    x, inside = ns["x"], (ns["x"] > 0) & (ns["x"] < 7)
    return float(abs(ns["d_trained"][inside] - ns["d_star"][inside]).mean())


@pytest.mark.slow
def test_04_d_loss_trains_the_discriminator_drawn_against_d_star():
    until = "loss = d_loss(D(real), D(fake))"
    assert distance_to_d_star(with_solutions("04_losses.ipynb", until)) < 0.1
    assert distance_to_d_star(run_until("04_losses.ipynb", until, ("d_loss", LABELS_SWAPPED))) > 0.4


@pytest.mark.slow
def test_04_logit_gradient_draws_the_saturation():
    until = "logit_gradient(loss, a)"
    right = with_solutions("04_losses.ipynb", until)["curves"]
    wrong = run_until("04_losses.ipynb", until, ("logit_gradient", WITHOUT_THE_SIGMOID))["curves"]
    assert float(right["minimax"][2][0]) == pytest.approx(-0.0009, abs=1e-4)     # saturated
    assert float(right["non-saturating"][2][0]) == pytest.approx(-0.9991, abs=1e-4)
    assert float(wrong["minimax"][2][0]) == pytest.approx(-1.0, abs=0.01)         # the saturation vanishes
    assert float(wrong["non-saturating"][2][0]) < -1000


# ---------------------------------------------------------------- 08: two dimensions

LARGEST_EIGENVECTOR = '''
def small_variance_axis(cov):
    values, vectors = torch.linalg.eigh(cov)
    return vectors[:, -1]                     # eigh sorts ascending: this is the largest
'''

NOT_PROJECTED = '''
def variance_along(x, axis):
    return x.var(dim=0).sum()                 # the total variance, whatever the axis
'''


@pytest.mark.slow
def test_07_small_variance_axis_picks_the_axis_measured():
    until = "thin = small_variance_axis(true_cov)"
    right = with_solutions("08_gan_in_2d.ipynb", until)
    wrong = run_until("08_gan_in_2d.ipynb", until, ("small_variance_axis", LARGEST_EIGENVECTOR))
    assert right["real_var"]["thin"] == pytest.approx(0.095, abs=0.01)
    assert wrong["real_var"]["thin"] == pytest.approx(5.17, abs=0.1)
    assert not torch.allclose(right["ratio"], wrong["ratio"])


@pytest.mark.slow
def test_07_variance_along_does_the_measuring():
    until = "thin = small_variance_axis(true_cov)"
    right = with_solutions("08_gan_in_2d.ipynb", until)
    wrong = run_until("08_gan_in_2d.ipynb", until, ("variance_along", NOT_PROJECTED))
    assert right["real_var"]["long"] == pytest.approx(5.17, abs=0.1)
    assert wrong["real_var"]["thin"] == pytest.approx(wrong["real_var"]["long"])   # the axes no longer differ
    assert float((right["ratio"][:, 0] - wrong["ratio"][:, 0]).abs().max()) > 0.2


# ---------------------------------------------------------------- 10: conditional digits

LABEL_LOST = '''
def generator_input(z, labels, classes=10):
    return torch.cat([z, torch.zeros(len(z), classes)], dim=1)     # right shape, but the label is lost
'''


@pytest.mark.slow
def test_10_generator_input_feeds_the_conditional_generator():
    until = "agreement = conditional.class_agreement(G"
    edits = [("epochs = 20", "epochs = 8")]
    right = with_solutions("11_conditional_digits.ipynb", until, edits=tuple(edits))
    wrong = run_until("11_conditional_digits.ipynb", until, ("generator_input", LABEL_LOST), edits=tuple(edits))
    assert right["agreement"].overall > 0.8
    assert wrong["agreement"].overall < 0.25          # near chance: G cannot know which digit was asked for
