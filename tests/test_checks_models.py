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
    assert "(64, 3) and (64, 8) → points (64, 2)" in out and "1250 parameters for noise_dim=3" in out
    # a tanh does reach exactly ±1 in float32 (for outputs above about 9): the line claims no more than is tested
    assert "no clamp at ±1 for moderate outputs" in out and "never sticks" not in out
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


class BoxG(nn.Module):
    """A class answer: noise_dim → 16 → 16 → 2 with ReLU, dropout, and a tanh out."""

    def __init__(self, noise_dim):
        super().__init__()
        self.map1, self.map2, self.map3 = nn.Linear(noise_dim, 16), nn.Linear(16, 16), nn.Linear(16, 2)
        self.dropout = nn.Dropout(0.25)

    def forward(self, z):
        x = self.dropout(F.relu(self.map1(z)))
        x = self.dropout(F.relu(self.map2(x)))
        return torch.tanh(self.map3(x))


def test_a_class_is_accepted_and_a_model_is_explained(solutions, capsys):
    assert run(check_make_generator, BoxG, capsys)[0]
    fails_with(check_make_generator, BoxG(3), "you passed a model; pass the function make_generator", capsys)
    assert run(check_make_discriminator, solutions["make_discriminator"](), capsys)[0]


def test_the_students_model_is_not_changed(solutions, capsys):
    built = []

    def make(noise_dim):
        built.append(solutions["make_generator"](noise_dim))
        built[-1].train()
        return built[-1]

    assert run(check_make_generator, make, capsys)[0]
    assert built and all(G.training for G in built)
    G = built[0]
    before = copy.deepcopy(G.state_dict())
    assert run(check_make_generator, lambda k: G if k == 3 else make(k), capsys)[0]
    assert all(torch.equal(before[k], v) for k, v in G.state_dict().items())
    D = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))   # wrong (no sigmoid) and unchanged
    before = copy.deepcopy(D.state_dict())
    assert not run(check_make_discriminator, D, capsys)[0]
    assert all(torch.equal(before[k], v) for k, v in D.state_dict().items())


# ---------------------------------------------------------------- generator mistakes

def stub(*args):
    raise NotImplementedError


def test_generator_stub_and_non_models(capsys):
    assert "not attempted yet" in run(check_make_generator, stub, capsys)[1]

    class Stub(nn.Module):
        def __init__(self, noise_dim):
            super().__init__()
            self.map1 = nn.Linear(noise_dim, 16)

        def forward(self, z):
            raise NotImplementedError

    assert "not attempted yet" in run(check_make_generator, Stub, capsys)[1]
    fails_with(check_make_generator, lambda k: None, "returned None", capsys)
    fails_with(check_make_generator, lambda k: (lambda z: z), "not a torch.nn.Module", capsys)
    fails_with(check_make_generator, 3, "should be a function", capsys)
    out = fails_with(check_make_generator, lambda: BoxG(3), "takes 0 positional arguments", capsys)
    assert "def make_generator(noise_dim):" in out

    class ListOfLayers(nn.Module):
        def __init__(self, noise_dim):
            super().__init__()
            self.layers = [nn.Linear(noise_dim, 16), nn.Linear(16, 2)]

        def forward(self, z):
            for layer in self.layers:
                z = layer(z)
            return torch.tanh(z)

    fails_with(check_make_generator, ListOfLayers, "no trainable parameters", capsys)


def box(*hidden, act=nn.ReLU, out=nn.Tanh, width=2, first=None):
    """make_generator(noise_dim) for layers noise_dim → hidden… → width, then ``out`` (None: nothing)."""
    def make(noise_dim):
        sizes = (first or noise_dim, *hidden, width)
        layers = []
        for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2 and act is not None:
                layers.append(act())
        if out is not None:
            layers.append(out())
        return nn.Sequential(*layers)
    return make


def test_generator_reads_the_noise_width_it_is_given(capsys):
    out = fails_with(check_make_generator, box(32, first=2), "make_generator(3) starts with nn.Linear(2, 32)", capsys)
    assert "nn.Linear(noise_dim, ...)" in out
    mismatch = lambda k: nn.Sequential(nn.Linear(k, 16), nn.ReLU(), nn.Linear(10, 2), nn.Tanh())
    fails_with(check_make_generator, mismatch, "linear layer 2 is nn.Linear(10, 2)", capsys)


def test_generator_output_shape(capsys):
    fails_with(check_make_generator, box(32, width=1), "gave shape (64, 1) (one number a sample", capsys)
    fails_with(check_make_generator, box(32, width=3), "gave shape (64, 3); a point of the plane", capsys)

    class Flat(nn.Module):
        def __init__(self, noise_dim):
            super().__init__()
            self.net = box(16)(noise_dim)

        def forward(self, z):
            return self.net(z).flatten()

    fails_with(check_make_generator, Flat, "gave an output of shape (128,)", capsys)

    class Averaged(Flat):
        def forward(self, z):
            return self.net(z).mean(dim=0, keepdim=True)

    fails_with(check_make_generator, Averaged, "one point per noise vector", capsys)


class Scaled(nn.Module):
    """``scale · tanh``: inside the box, but short of its edges when the scale is below 1."""

    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, y):
        return self.scale * torch.tanh(y)


@pytest.mark.parametrize("out, diagnosis", [
    (None, "its points leave the box"),
    (nn.ReLU, "can never be negative and can exceed 1"),
    (nn.Sigmoid, "stay between 0 and 1"),
    (nn.Hardtanh, "a clamp (torch.clamp, nn.Hardtanh) cuts them off"),
    (lambda: nn.Sequential(nn.Tanh(), nn.Hardtanh(-0.5, 0.5)), "only reach from -0.5 to 0.5"),
    (lambda: Scaled(0.9), "only reach from -0.9 to 0.9, never the edges of the box"),
])
def test_generator_output_activation(out, diagnosis, capsys):
    fails_with(check_make_generator, box(32, 32, out=out), diagnosis, capsys)


def test_other_squashing_outputs_pass(capsys):
    assert run(check_make_generator, box(32, out=nn.Softsign), capsys)[0]

    class TwiceSigmoid(nn.Module):
        def __init__(self, noise_dim):
            super().__init__()
            self.net = box(16, out=None)(noise_dim)

        def forward(self, z):
            return 2 * torch.sigmoid(self.net(z)) - 1

    assert run(check_make_generator, TwiceSigmoid, capsys)[0]


def test_generator_output_activation_without_nn_linear(capsys):
    # parameters used through F.linear: the fallback probe (very large inputs) sees the missing bound
    class Functional(nn.Module):
        def __init__(self, noise_dim):
            super().__init__()
            sizes = (noise_dim, 16, 2)
            self.w = nn.ParameterList([nn.Parameter(torch.randn(b, a) / a ** 0.5) for a, b in zip(sizes, sizes[1:])])
            self.b = nn.ParameterList([nn.Parameter(torch.zeros(b)) for b in sizes[1:]])

        def forward(self, z):
            z = F.relu(F.linear(z, self.w[0], self.b[0]))
            return F.linear(z, self.w[1], self.b[1])

    fails_with(check_make_generator, Functional, "outside the box", capsys)


def test_generator_that_ignores_noise_detaches_or_has_one_layer(capsys):
    class IgnoresNoise(nn.Module):
        def __init__(self, noise_dim):
            super().__init__()
            self.net = box(16)(noise_dim)

        def forward(self, z):
            return self.net(torch.zeros_like(z))

    fails_with(check_make_generator, IgnoresNoise, "same point for every noise vector", capsys)

    class Detached(IgnoresNoise):
        def forward(self, z):
            return self.net(z).detach()

    fails_with(check_make_generator, Detached, "carries no gradient", capsys)
    fails_with(check_make_generator, box(), "it has a single linear layer", capsys)


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


# ---------------------------------------------------------------- behaviour the probe reads, whatever the weights

def sequential(*layers):
    return lambda *args: nn.Sequential(*layers)


def test_a_missing_activation_between_two_hidden_layers_is_named(capsys):
    make = lambda k: nn.Sequential(nn.Linear(k, 32), nn.ReLU(), nn.Linear(32, 32), nn.Linear(32, 2), nn.Tanh())
    out = fails_with(check_make_generator, make, "nothing non-linear acts between linear layer 2, nn.Linear(32, 32), "
                     "and linear layer 3, nn.Linear(32, 2)", capsys)
    assert "after every hidden nn.Linear" in out
    linear = lambda: nn.Sequential(nn.Linear(2, 16), nn.Linear(16, 16), nn.Linear(16, 1), nn.Sigmoid())
    fails_with(check_make_discriminator, linear, "no activation acts between the discriminator's 3 linear layers",
               capsys)

    class Functional(nn.Module):          # the activation forgotten in forward, not in a Sequential
        def __init__(self):
            super().__init__()
            self.a, self.b, self.c = nn.Linear(2, 8), nn.Linear(8, 8), nn.Linear(8, 1)

        def forward(self, x):
            return torch.sigmoid(self.c(self.b(F.relu(self.a(x)))))

    fails_with(check_make_discriminator, Functional, "between linear layer 2, nn.Linear(8, 8), and linear layer 3",
               capsys)


def test_an_activation_before_the_first_layer_is_named(capsys):
    make = lambda k: nn.Sequential(nn.ReLU(), nn.Linear(k, 32), nn.ReLU(), nn.Linear(32, 2), nn.Tanh())
    fails_with(check_make_generator, make, "between the generator's input and its first layer something non-linear",
               capsys)


def test_a_sigmoid_applied_twice_is_named(capsys):
    twice = sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1), nn.Sigmoid(), nn.Sigmoid())
    out = fails_with(check_make_discriminator, twice, "stay between 0.5 and 0.731", capsys)
    assert "a sigmoid applied twice" in out and "never say \"fake\"" in out
    fails_with(check_make_discriminator, head(lambda y: torch.sigmoid(torch.relu(y))),
               "A ReLU before the sigmoid", capsys)
    fails_with(check_make_discriminator, head(lambda y: torch.sigmoid(F.leaky_relu(y, 0.2))),
               "a leaky ReLU and then a sigmoid, not a sigmoid alone", capsys)
    fails_with(check_make_generator, box(32, out=lambda: nn.Sequential(nn.Tanh(), nn.Tanh())),
               "a tanh applied twice", capsys)
    fails_with(check_make_discriminator, head(F.hardsigmoid), "exactly 0 or 1 for moderate outputs", capsys)


def test_unusual_but_correct_models_pass(capsys):
    assert run(check_make_discriminator, sequential(nn.Linear(2, 16), nn.LeakyReLU(-0.2), nn.Linear(16, 1),
                                                    nn.Sigmoid(), nn.ReLU()), capsys)[0]   # relu(sigmoid) = sigmoid
    assert run(check_make_generator, box(16, 16, act=nn.SiLU), capsys)[0]
    assert run(check_make_generator, box(16, act=nn.Tanh), capsys)[0]
    assert run(check_make_generator, box(16, 16, act=lambda: nn.ReLU(inplace=True)), capsys)[0]


def test_the_probe_names_curves_and_crashes():
    from gan_lesson.checks import probe
    x = torch.randn(8, 2)
    D = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    assert probe.name_curve(probe.output_curve(D, x)) == "nothing (the last layer's output itself)"
    assert probe.output_range(nn.Sequential(D, nn.Sigmoid(), nn.Sigmoid()), x) == pytest.approx((0.5, 0.7311), abs=1e-4)
    assert [g.linear for g in probe.gaps(D, x)] == [True, False]
    linear_d = nn.Sequential(nn.Linear(2, 4), nn.Linear(4, 1))               # a D with no activation at all
    assert "no activation acts between D's 2 linear layers" in probe.linear_gap_failure(linear_d, x, "D").args[0]
    assert probe.linear_gap_failure(D, x, "D") is None
    bad = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(5, 1))
    with pytest.raises(RuntimeError) as crash:
        bad(x)
    assert "linear layer 2 is nn.Linear(5, 1), but the layer before it, nn.Linear(2, 4), gives 4 numbers" in \
        probe.explain_crash(bad, x, crash.value).args[0]
    same = probe.compare(D, nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)), x)
    assert same is None
    diff = probe.compare(nn.Sequential(D, nn.Sigmoid(), nn.Sigmoid()), nn.Sequential(D, nn.Sigmoid()), x)
    assert diff.what == "bounds" and "a sigmoid applied twice" in diff.problem
