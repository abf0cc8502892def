"""The checker of notebook 11: the notebook's solution passes, each typical mistake in building the
conditional generator's input (noise + one-hot label) is named."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gan_lesson.checks import check_generator_input
from notebook_cells import solution_namespace

NOTEBOOK = "11_conditional_digits.ipynb"


@pytest.fixture(scope="module")
def solutions():
    return solution_namespace(NOTEBOOK)


def run(fn, capsys):
    verdict = check_generator_input(fn)
    return verdict, capsys.readouterr().out


def fails_with(fn, text, capsys):
    verdict, out = run(fn, capsys)
    assert not verdict, out
    assert out.startswith("✗"), out
    assert text in out, out
    return out


def test_notebook_solution_passes(solutions, capsys):
    verdict, out = run(solutions["generator_input"], capsys)
    assert verdict, out
    assert out.startswith("✓") and "(6, 26) float32" in out and "classes=4 gives (5, 7)" in out, out


def test_int64_one_hot_is_accepted_because_cat_promotes_to_float(capsys):
    # torch.cat of float32 noise and int64 one-hot rows gives float32: the result is right
    verdict, out = run(lambda z, labels, classes=10: torch.cat([z, F.one_hot(labels, classes)], dim=1), capsys)
    assert verdict, out


def test_messages_are_deterministic_and_leave_global_rng_alone(solutions, capsys):
    state = torch.get_rng_state()
    first = run(solutions["generator_input"], capsys)[1]
    assert first == run(solutions["generator_input"], capsys)[1]
    assert torch.equal(state, torch.get_rng_state())


def test_stub_is_not_attempted(capsys):
    def generator_input(z, labels, classes=10):
        raise NotImplementedError

    verdict, out = run(generator_input, capsys)
    assert not verdict and "not attempted yet" in out, out


def test_none_and_not_a_function(capsys):
    verdict, out = run(None, capsys)
    assert not verdict and "nothing to check yet" in out
    fails_with(lambda z, labels, classes=10: None, "returns None", capsys)
    fails_with(42, "should be a function", capsys)


# --------------------------------------------------------------------------- the known mistakes

def oh(labels, classes=10):
    return F.one_hot(labels, num_classes=classes).float()


@pytest.mark.parametrize("wrong, diagnosis", [
    # concatenated on the wrong dimension
    (lambda z, y, classes=10: torch.cat([z, oh(y, classes)], dim=0), "stacks the one-hot rows under the noise"),
    (lambda z, y, classes=10: torch.cat([z[:, :10], oh(y, classes)], dim=0), "twice as many rows"),
    # the label not one-hot
    (lambda z, y, classes=10: torch.cat([z, y], dim=1), "appends `labels` itself"),
    (lambda z, y, classes=10: torch.cat([z, y[:, None].float()], dim=1), "appended as one number"),
    (lambda z, y, classes=10: torch.cat([z, oh(y, classes) * 3], dim=1), "in the right column, but it is not 1"),
    (lambda z, y, classes=10: torch.cat([z, torch.softmax(oh(y, classes), 1)], dim=1), "is not one-hot"),
    (lambda z, y, classes=10: torch.cat([z, oh((y + 1) % classes, classes)], dim=1), "one column off"),
    (lambda z, y, classes=10: torch.cat([z, oh(classes - 1 - y, classes)], dim=1), "run backwards"),
    (lambda z, y, classes=10: torch.cat([z, oh(y.flip(0), classes)], dim=1), "not in the labels' columns"),
    # the wrong shape
    (lambda z, y, classes=10: torch.cat([z, F.one_hot(y).float()], dim=1), "F.one_hot without num_classes"),
    (lambda z, y, classes=10: z.clone(), "the label is missing"),
    (lambda z, y, classes=10: oh(y, classes), "without the noise"),
    (lambda z, y, classes=10: torch.cat([z, oh(y, classes)], dim=1)[:, :, None], "should be (6, 26)"),
    (lambda z, y, classes=10: torch.cat([z, oh(y, classes)], dim=1)[:-1], "5 rows for 6 noise vectors"),
    (lambda z, y, classes=10: torch.cat([z, oh(y, classes), oh(y, classes)], dim=1), "should be (6, 26)"),
    # the wrong dtype
    (lambda z, y, classes=10: torch.cat([z, oh(y, classes)], dim=1).double(), "dtype float64"),
    (lambda z, y, classes=10: torch.cat([z.long(), F.one_hot(y, classes)], dim=1), "dtype int64"),
    (lambda z, y, classes=10: torch.cat([z, oh(y, classes)], dim=1).numpy(), "NumPy array"),
    (lambda z, y, classes=10: torch.cat([z, oh(y, classes)], dim=1).tolist(), "returns a list, not a tensor"),
    # the noise
    (lambda z, y, classes=10: torch.cat([oh(y, classes), z], dim=1), "the one-hot label comes first"),
    (lambda z, y, classes=10: torch.cat([torch.randn_like(z), oh(y, classes)], dim=1), "not the noise z"),
    (lambda z, y, classes=10: torch.cat([z * 2, oh(y, classes)], dim=1), "not the noise z"),
    (lambda z, y, classes=10: -torch.cat([z, oh(y, classes)], dim=1), "the whole result is negated"),
    # the classes argument
    (lambda z, y, classes=10: torch.cat([z, oh(y, 10)], dim=1), "the number 10 is written into the function"),
    (lambda z, y: torch.cat([z, oh(y, 10)], dim=1), "Keep the third argument"),
])
def test_each_mistake_is_named(wrong, diagnosis, capsys):
    fails_with(wrong, diagnosis, capsys)


def test_changing_z_in_place_is_named(capsys):
    def generator_input(z, labels, classes=10):
        z.mul_(1.0).add_(0.5)
        return torch.cat([z, oh(labels, classes)], dim=1)

    fails_with(generator_input, "changed the noise z in place", capsys)


def test_a_crash_is_reported_with_its_error(capsys):
    def generator_input(z, labels, classes=10):
        return torch.cat([z, np.eye(classes)[labels]], dim=1)

    out = fails_with(generator_input, "raised TypeError", capsys)
    assert "Hint:" in out
