"""The checkers of notebook 03: the notebook's solutions pass, each typical mistake is named."""
import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_lesson.checks import check_make_discriminator, check_make_generator
from notebook_cells import solution_namespace


@pytest.fixture(scope="module")
def solutions():
    return solution_namespace("03_models.ipynb")


def run(check, make, capsys):
    ok = check(make)
    return ok, capsys.readouterr().out


def fails_with(check, make, text, capsys):
    ok, out = run(check, make, capsys)
    assert not ok, out
    assert out.startswith("✗"), out
    assert text in out, out
    return out


# ---------------------------------------------------------------- the notebook's solutions

def test_notebook_solutions_pass(solutions, capsys):
    ok, out = run(check_make_generator, solutions["make_generator"], capsys)
    assert ok, out
    assert "371 parameters" in out
    ok, out = run(check_make_discriminator, solutions["make_discriminator"], capsys)
    assert ok, out
    assert out.startswith("✓") and "(64, 1)" in out


def test_messages_do_not_depend_on_the_random_initial_weights(solutions, capsys):
    first = [run(check_make_generator, solutions["make_generator"], capsys)[1],
             run(check_make_discriminator, solutions["make_discriminator"], capsys)[1]]
    for seed in range(5):
        torch.manual_seed(seed)
        assert run(check_make_generator, solutions["make_generator"], capsys)[1] == first[0]
        assert run(check_make_discriminator, solutions["make_discriminator"], capsys)[1] == first[1]


def test_a_class_or_a_model_is_accepted_too(solutions, capsys):
    class G(nn.Module):
        def __init__(self):
            super().__init__()
            self.map1, self.map2, self.map3 = nn.Linear(2, 16), nn.Linear(16, 16), nn.Linear(16, 3)
            self.dropout = nn.Dropout(0.25)

        def forward(self, z):
            x = self.dropout(F.relu(self.map1(z)))
            x = self.dropout(F.relu(self.map2(x)))
            return self.map3(x)

    assert run(check_make_generator, G, capsys)[0]
    assert run(check_make_generator, G(), capsys)[0]
    assert run(check_make_discriminator, solutions["make_discriminator"](), capsys)[0]


def test_the_students_model_is_not_changed(solutions, capsys):
    G = solutions["make_generator"]()
    G.train()
    before = copy.deepcopy(G.state_dict())
    assert run(check_make_generator, G, capsys)[0]
    assert G.training
    assert all(torch.equal(before[k], v) for k, v in G.state_dict().items())
    D = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))   # wrong (no sigmoid) and unchanged
    before = copy.deepcopy(D.state_dict())
    assert not run(check_make_discriminator, D, capsys)[0]
    assert all(torch.equal(before[k], v) for k, v in D.state_dict().items())


# ---------------------------------------------------------------- generator mistakes

def stub():
    raise NotImplementedError


def test_generator_stub_and_non_models(capsys):
    assert "not attempted yet" in run(check_make_generator, stub, capsys)[1]

    class Stub(nn.Module):
        def __init__(self):
            super().__init__()
            self.map1 = nn.Linear(2, 16)

        def forward(self, z):
            raise NotImplementedError

    assert "not attempted yet" in run(check_make_generator, Stub, capsys)[1]
    fails_with(check_make_generator, lambda: None, "returned None", capsys)
    fails_with(check_make_generator, lambda: (lambda z: z), "not a torch.nn.Module", capsys)
    fails_with(check_make_generator, 3, "should be a function", capsys)

    class ListOfLayers(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 16), nn.Linear(16, 16), nn.Linear(16, 3)]

        def forward(self, z):
            for layer in self.layers:
                z = layer(z)
            return z

    fails_with(check_make_generator, ListOfLayers, "no trainable parameters", capsys)


def seq(*sizes, act=nn.ReLU, out=None, bias=True):
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b, bias=bias))
        if i < len(sizes) - 2 and act is not None:
            layers.append(act())
    if out is not None:
        layers.append(out)
    return lambda: nn.Sequential(*layers)


def test_generator_input_size(capsys):
    out = fails_with(check_make_generator, seq(1, 16, 16, 3), "first layer is nn.Linear(1, 16)", capsys)
    assert "expects 1 number a row, but each row here has 2" in out and "nn.Linear(2, ...)" in out
    mismatch = lambda: nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 3))
    fails_with(check_make_generator, mismatch, "linear layer 2 is nn.Linear(10, 16)", capsys)


def test_generator_output_shape(capsys):
    fails_with(check_make_generator, seq(2, 16, 16, 1), "gave shape (64, 1): one number a sample", capsys)
    fails_with(check_make_generator, seq(2, 16, 16), "output layer (16 → 3) seems to be missing", capsys)
    fails_with(check_make_generator, seq(2, 16, 16, 5), "gave shape (64, 5)", capsys)

    class Flat(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = seq(2, 16, 16, 3)()

        def forward(self, z):
            return self.net(z).flatten()

    fails_with(check_make_generator, Flat, "gave an output of shape (192,)", capsys)

    class Averaged(Flat):
        def forward(self, z):
            return self.net(z).mean(dim=0, keepdim=True)

    fails_with(check_make_generator, Averaged, "one sample per noise vector", capsys)


def test_generator_output_activation(capsys):
    fails_with(check_make_generator, seq(2, 16, 16, 3, out=nn.ReLU()), "can never be negative", capsys)
    fails_with(check_make_generator, seq(2, 16, 16, 3, out=nn.Sigmoid()), "between 0 and 1", capsys)
    fails_with(check_make_generator, seq(2, 16, 16, 3, out=nn.Tanh()), "between -1 and 1", capsys)
    fails_with(check_make_generator, seq(2, 16, 16, 3, out=nn.LeakyReLU(0.2)), "squashes negative outputs", capsys)


def test_generator_output_activation_without_nn_linear(capsys):
    # parameters used through F.linear: the fallback probe (very large inputs) still sees the ReLU
    class Functional(nn.Module):
        def __init__(self):
            super().__init__()
            sizes = (2, 16, 16, 3)
            self.w = nn.ParameterList([nn.Parameter(torch.randn(b, a) / a ** 0.5) for a, b in zip(sizes, sizes[1:])])
            self.b = nn.ParameterList([nn.Parameter(torch.zeros(b)) for b in sizes[1:]])

        def forward(self, z):
            for w, b in zip(self.w, self.b):
                z = F.relu(F.linear(z, w, b))
            return z

    fails_with(check_make_generator, Functional, "can never be negative", capsys)


def test_generator_sizes_and_parameter_count(capsys):
    fails_with(check_make_generator, seq(2, 16, 3), "its linear layers are 2 → 16 → 3", capsys)
    fails_with(check_make_generator, seq(2, 32, 32, 3), "its linear layers are 2 → 32 → 32 → 3", capsys)
    out = fails_with(check_make_generator, seq(2, 16, 16, 3, bias=False), "it has 336 trainable parameters", capsys)
    assert "bias=False" in out


def test_generator_without_nonlinearity_or_ignoring_noise(capsys):
    fails_with(check_make_generator, seq(2, 16, 16, 3, act=None), "the map is affine", capsys)

    class IgnoresNoise(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = seq(2, 16, 16, 3)()

        def forward(self, z):
            return self.net(torch.zeros_like(z))

    fails_with(check_make_generator, IgnoresNoise, "same sample for every noise vector", capsys)


def test_generator_with_another_activation(capsys):
    fails_with(check_make_generator, seq(2, 16, 16, 3, act=nn.Tanh), "use Tanh; the exercise asks for ReLU", capsys)

    class FunctionalTanh(nn.Module):
        def __init__(self):
            super().__init__()
            self.map1, self.map2, self.map3 = nn.Linear(2, 16), nn.Linear(16, 16), nn.Linear(16, 3)

        def forward(self, z):
            return self.map3(torch.tanh(self.map2(torch.tanh(self.map1(z)))))

    fails_with(check_make_generator, FunctionalTanh, "its activation is smooth", capsys)


# ---------------------------------------------------------------- discriminator mistakes

class Head(nn.Module):
    """2 → 16 → 1 with tanh, then ``finish`` applied to the last layer's output."""

    def __init__(self, finish, first=2, last=1):
        super().__init__()
        self.map1, self.map2 = nn.Linear(first, 16), nn.Linear(16, last)
        self.finish = finish

    def forward(self, x):
        return self.finish(self.map2(torch.tanh(self.map1(x))))


def head(finish, **kw):
    return lambda: Head(finish, **kw)


def test_discriminator_stub_and_input_size(capsys):
    assert "not attempted yet" in run(check_make_discriminator, stub, capsys)[1]
    fails_with(check_make_discriminator, head(torch.sigmoid, first=1), "first layer is nn.Linear(1, 16)", capsys)
    fails_with(check_make_discriminator, head(torch.sigmoid, first=4), "expects 4 numbers a row", capsys)


def test_discriminator_output_shape(capsys):
    fails_with(check_make_discriminator, head(lambda y: torch.sigmoid(y).squeeze()),
               "gave shape (64,): the verdicts were flattened", capsys)
    fails_with(check_make_discriminator, head(torch.sigmoid, last=2), "two-class classifier", capsys)
    fails_with(check_make_discriminator, head(lambda y: torch.sigmoid(y).mean(dim=0, keepdim=True)),
               "judge each sample on its own", capsys)


def test_discriminator_without_sigmoid(capsys):
    fails_with(check_make_discriminator, head(lambda y: y), "the sigmoid at the end is missing", capsys)
    fails_with(check_make_discriminator, head(torch.tanh), "a tanh on the output", capsys)
    fails_with(check_make_discriminator, head(torch.relu), "can be larger than 1", capsys)


def test_discriminator_softmax_constant_and_batch_mixing(capsys):
    fails_with(check_make_discriminator, head(lambda y: torch.softmax(y, dim=0)), "add up to 1 over the batch", capsys)
    fails_with(check_make_discriminator, head(lambda y: torch.softmax(y, dim=1)), "says 1.0 to every input", capsys)

    class Constant(Head):
        def forward(self, x):
            return torch.sigmoid(self.map2(torch.tanh(self.map1(torch.ones_like(x)))))

    fails_with(check_make_discriminator, lambda: Constant(None), "same value for every input", capsys)

    class Centred(Head):
        def forward(self, x):
            return torch.sigmoid(self.map2(torch.tanh(self.map1(x - x.mean(dim=0)))))

    fails_with(check_make_discriminator, lambda: Centred(None), "verdict changes when the other samples", capsys)
